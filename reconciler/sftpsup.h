/*
 * sftpsup: roostd's supervision of roost-sftpd, the privilege-separated
 * SFTP service. roostd starts it, restarts it with backoff when it dies,
 * and after every applied revision writes the users file it serves (the
 * SFTP users of this node's servers, their roots, limits and the eggs'
 * file denylists) and tells it to reload.
 */
#ifndef ROOSTD_SFTPSUP_H
#define ROOSTD_SFTPSUP_H

#include <sys/types.h>

struct conf;
struct rerr;
struct state;

struct sftpsup;

/*
 * Starts roost-sftpd for c (borrowed for the call) from the directory of
 * argv0 (roostd's own, from /proc/self/exe, when argv0 has no slash) or
 * ROOST_LIBEXECDIR. Returns 0, or -1 when the program is absent.
 */
int	sftpsup_start(struct sftpsup **out, const struct conf *c,
	    const char *argv0, struct rerr *err);
/* Writes the users file from st and signals a reload. Returns 0 or -1. */
int	sftpsup_update(struct sftpsup *s, const struct state *st,
	    struct rerr *err);
/* Reaps and restarts a dead roost-sftpd when its backoff has passed. */
void	sftpsup_tick(struct sftpsup *s);
/* The pid of the running roost-sftpd, 0 while none runs; takes NULL. */
pid_t	sftpsup_pid(const struct sftpsup *s);
/* Stops roost-sftpd and frees s; takes NULL. */
void	sftpsup_stop(struct sftpsup *s);

#endif
