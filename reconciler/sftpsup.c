/*
 * sftpsup: starting, feeding and restarting roost-sftpd for roostd.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egg.h"
#include "ev.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "conf.h"
#include "sftpd.h"
#include "sftpsup.h"

#define SFTPSUP_BACKOFF_MIN	1000
#define SFTPSUP_BACKOFF_MAX	60000

struct sftpsup {
	char		*prog;
	char		*users;
	char		*listen;
	char		*hostkey;
	char		*node;
	char		*volumes;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	uint64_t	 backoff;
	uint64_t	 restart_at;
	int		 verbose;
};

/*
 * Starts roost-sftpd. SIGHUP (roostd's reload signal) stays blocked in
 * the child from the fork on: roost-sftpd reads it from its signalfd once
 * its handler is in place, and one sent before that waits instead of
 * killing it.
 */
static void
sftpsup_spawn(struct sftpsup *s)
{
	char		*argv[10];
	sigset_t	 hup, old;
	int		 i = 0;
	pid_t		 pid;

	argv[i++] = s->prog;
	argv[i++] = (char *)"-d";
	argv[i++] = (char *)"-c";
	argv[i++] = s->users;
	argv[i++] = (char *)"-l";
	argv[i++] = s->listen;
	argv[i++] = (char *)"-k";
	argv[i++] = s->hostkey;
	argv[i] = NULL;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, &old);
	pid = fork();
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	switch (pid) {
	case -1:
		log_warn("sftp: fork");
		return;
	case 0:
		/* roostd blocks signals for its signalfd; all but SIGHUP go. */
		sigprocmask(SIG_SETMASK, &hup, NULL);
		execv(s->prog, argv);
		log_warn("sftp: cannot run '%s'", s->prog);
		_exit(127);
	default:
		s->pid = pid;
		log_info("sftp: roost-sftpd started on %s (pid %ld)",
		    s->listen, (long)pid);
	}
}

/* Starts roost-sftpd. */
int
sftpsup_start(struct sftpsup **out, const struct conf *c, const char *argv0,
    struct rerr *err)
{
	struct sftpsup	*s;
	char		*copy, *dir, *path;

	*out = NULL;
	copy = xstrdup(argv0);
	dir = dirname(copy);
	xasprintf(&path, "%s/roost-sftpd", dir);
	free(copy);
	if (access(path, X_OK) != 0) {
		free(path);
		xasprintf(&path, "%s/roost-sftpd", ROOST_LIBEXECDIR);
		if (access(path, X_OK) != 0) {
			rerr_set(err, -1, "roost-sftpd not found next to "
			    "roostd or in '%s'", ROOST_LIBEXECDIR);
			free(path);
			return -1;
		}
	}
	s = xcalloc(1, sizeof(*s));
	s->prog = path;
	xasprintf(&s->users, "%s/sftp/users.json", c->data_dir);
	xasprintf(&s->volumes, "%s/volumes", c->data_dir);
	s->listen = xstrdup(c->sftp_listen);
	s->hostkey = xstrdup(c->sftp_host_key);
	s->node = xstrdup(c->node);
	s->uid = c->uid;
	s->gid = c->gid;
	s->backoff = SFTPSUP_BACKOFF_MIN;
	{
		char	*d;

		xasprintf(&d, "%s/sftp", c->data_dir);
		if (util_mkdir_p(d, 0700) == -1) {
			rerr_errno(err, -1, "cannot create '%s'", d);
			free(d);
			sftpsup_stop(s);
			return -1;
		}
		free(d);
	}
	/* An empty users file until the first revision is applied. */
	if (access(s->users, F_OK) != 0 &&
	    sftpd_users_write(s->users, NULL, 0, err) != 0) {
		sftpsup_stop(s);
		return -1;
	}
	sftpsup_spawn(s);
	*out = s;
	return 0;
}

/* Writes the users file from the state and signals a reload. */
int
sftpsup_update(struct sftpsup *s, const struct state *st, struct rerr *err)
{
	struct sftpd_server	*sv;
	struct sftpd_user	*us;
	const struct egg	*egg;
	char			**roots;
	size_t			 i, j, n = 0, nu = 0;
	int			 rc;

	sv = xcalloc(st->nservers + 1, sizeof(*sv));
	roots = xcalloc(st->nservers + 1, sizeof(*roots));
	for (i = 0; i < st->nservers; i++)
		nu += st->servers[i]->nsftp;
	us = xcalloc(nu + 1, sizeof(*us));
	nu = 0;
	for (i = 0; i < st->nservers; i++) {
		const struct state_server *srv = st->servers[i];

		if (!srv->valid || srv->node == NULL ||
		    strcmp(srv->node, s->node) != 0)
			continue;
		xasprintf(&roots[n], "%s/%s", s->volumes, srv->name);
		sv[n].name = srv->name;
		sv[n].root = roots[n];
		sv[n].uid = s->uid;
		sv[n].gid = s->gid;
		sv[n].disk_limit_mib = srv->limits.disk > 0 ?
		    (uint64_t)srv->limits.disk : 0;
		if ((egg = state_server_egg(st, srv)) != NULL) {
			sv[n].denylist = (const char **)egg->denylist;
			sv[n].ndenylist = egg->ndenylist;
		}
		sv[n].users = &us[nu];
		for (j = 0; j < srv->nsftp; j++) {
			const struct state_sftp_user *u = &srv->sftp[j];

			us[nu].name = u->user;
			us[nu].password = u->password;
			us[nu].keys = (const char **)u->keys;
			us[nu].nkeys = u->nkeys;
			us[nu].perms =
			    ((u->perms & SFTP_PERM_READ) ?
			    SFTPD_PERM_READ : 0) |
			    ((u->perms & SFTP_PERM_WRITE) ?
			    SFTPD_PERM_WRITE : 0) |
			    ((u->perms & SFTP_PERM_DELETE) ?
			    SFTPD_PERM_DELETE : 0);
			nu++;
			sv[n].nusers++;
		}
		n++;
	}
	rc = sftpd_users_write(s->users, sv, n, err);
	for (i = 0; i < n; i++)
		free(roots[i]);
	free(roots);
	free(us);
	free(sv);
	if (rc == 0 && s->pid > 0)
		kill(s->pid, SIGHUP);
	return rc;
}

/* Restarts roost-sftpd after it died. */
void
sftpsup_tick(struct sftpsup *s)
{
	int		status;
	uint64_t	now = ev_now_ms();

	if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
		if (WIFEXITED(status))
			log_warnx("sftp: roost-sftpd exited with status %d; "
			    "restarting in %llu ms", WEXITSTATUS(status),
			    (unsigned long long)s->backoff);
		else
			log_warnx("sftp: roost-sftpd killed by signal %d; "
			    "restarting in %llu ms", WTERMSIG(status),
			    (unsigned long long)s->backoff);
		s->pid = 0;
		s->restart_at = now + s->backoff;
		s->backoff = s->backoff * 2 > SFTPSUP_BACKOFF_MAX ?
		    SFTPSUP_BACKOFF_MAX : s->backoff * 2;
	}
	if (s->pid == 0 && now >= s->restart_at)
		sftpsup_spawn(s);
}

/* The pid of the running roost-sftpd, or 0. */
pid_t
sftpsup_pid(const struct sftpsup *s)
{
	return s != NULL ? s->pid : 0;
}

/* Stops roost-sftpd. */
void
sftpsup_stop(struct sftpsup *s)
{
	if (s == NULL)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	free(s->prog);
	free(s->users);
	free(s->listen);
	free(s->hostkey);
	free(s->node);
	free(s->volumes);
	free(s);
}
