/*
 * dcache: roostd's in-memory copy of the containers it manages (those
 * carrying a label, roost.managed=true by default), kept current by the
 * engine's events stream, in the manner of the kubelet's evented PLEG. A
 * reconcile pass reads only this cache, so a pass that changes nothing
 * makes no engine call.
 *
 * Keeping it current: dcache_start does a full relist (list + inspect),
 * then a thread follows GET /events; each container event re-inspects
 * that one container (a destroy, or an inspect that finds nothing,
 * removes it). The thread relists every 5 minutes and after every
 * reconnect of the stream, replaying events from the last one seen.
 *
 * Threading: the events thread owns two engine connections of its own;
 * the caller's functions (dcache_relist, dcache_refresh) use a third, and
 * dcache_refresh_on the caller's own.
 * Entries are guarded by one mutex. Readers either copy an entry
 * (dcache_get) or hold dcache_lock while they use the borrowed pointers
 * dcache_find / dcache_item return, and call nothing else of dcache
 * meanwhile. Each change bumps the generation, makes dcache_fd readable
 * (an eventfd, for roostd's poll loop) and calls the notify callback with
 * the server name, outside the lock, from the thread that made the change
 * (the events thread, or the caller's during dcache_relist and
 * dcache_refresh); the callback must therefore be thread-safe.
 *
 * The server a container belongs to is its label roost.server; roost.role
 * tells the server's main container ("server" or no label) from helpers
 * such as the installer ("install").
 */
#ifndef ROOST_DCACHE_H
#define ROOST_DCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "rerr.h"

#include "docker.h"

#define DCACHE_LABEL_MANAGED	"roost.managed=true"
#define DCACHE_LABEL_SERVER	"roost.server"
#define DCACHE_LABEL_ROLE	"roost.role"
#define DCACHE_LABEL_HASH	"roost.spec-hash"
#define DCACHE_RELIST_SECS	300

struct dcache;

/* Called after a change of server's containers (server may be NULL). */
typedef void	(*dcache_notify_cb)(const char *server, void *arg);

struct dcache_stats {
	uint64_t	relists;	/* full relists done */
	uint64_t	events;		/* container events handled */
	uint64_t	reconnects;	/* events stream reconnects */
	uint64_t	engine_calls;	/* requests on all three connections */
	size_t		containers;	/* entries now */
	uint64_t	skipped;	/* events left to a claim's worker */
};

/*
 * Returns a cache of the containers labelled label ("key=value"; NULL:
 * roost.managed=true) on the engine at sock (NULL: the default socket).
 * Nothing is read until dcache_relist or dcache_start.
 */
struct dcache	*dcache_new(const char *sock, const char *label);
/* Stops the events thread if it runs and frees c; NULL is fine. */
void		 dcache_free(struct dcache *c);
/* Calls cb(server, arg) after each change; set it before dcache_start. */
void		 dcache_set_notify(struct dcache *c, dcache_notify_cb cb,
		    void *arg);
/* Sets the periodic relist interval (default DCACHE_RELIST_SECS). */
void		 dcache_set_relist_interval(struct dcache *c, int secs);

/*
 * Relists synchronously on the caller's connection, then starts the
 * events thread. Returns the relist's error (no thread is started then).
 */
int		 dcache_start(struct dcache *c, struct rerr *err);
/* Stops the events thread (within about a second); the entries stay. */
void		 dcache_stop(struct dcache *c);
/* Replaces every entry with a fresh list + inspect (caller's thread). */
int		 dcache_relist(struct dcache *c, struct rerr *err);
/*
 * Re-inspects one container (id or name) now, after roostd acted on it,
 * so the cache does not wait for the event; one that is gone is dropped.
 */
int		 dcache_refresh(struct dcache *c, const char *ref,
		    struct rerr *err);
/*
 * The same through the caller's own connection d, so several threads can
 * refresh at once (each with its own connection).
 */
int		 dcache_refresh_on(struct dcache *c, struct docker *d,
		    const char *ref, struct rerr *err);

/*
 * A worker about to create and start the container named name claims
 * it: the events thread then does not inspect it after its first create
 * and its first start event (every other event is inspected as usual),
 * because the worker inspects it itself once its start has returned
 * (dcache_release). A later start can only follow a die or a stop, whose
 * event is inspected. Returns 0, or -1 when every claim slot is taken
 * (the events thread then inspects as usual; dcache_release is still
 * right to call).
 */
int		 dcache_claim(struct dcache *c, const char *name);
/*
 * Inspects ref (the claimed container's id, or its name) through d into
 * the cache, then releases the claim of name. started says that the
 * worker's start succeeded: its events may still be on their way, so they
 * stay skipped when they come (for up to 30 s); otherwise the claim ends.
 * Returns the inspect's error (a missing container is removed from the
 * cache and is not an error).
 */
int		 dcache_release(struct dcache *c, struct docker *d,
		    const char *name, const char *ref, int started,
		    struct rerr *err);
/*
 * Waits up to ms milliseconds for the die event of container id (a full
 * id) and stores the exit code it carried in *code: 0, or
 * ROOST_ENOTFOUND when none came (or the events thread is not running).
 * The event comes as the container stops; an inspect made then is only
 * answered once the engine has torn the container down.
 */
int		 dcache_exit_wait(struct dcache *c, const char *id, int ms,
		    int *code);
/* Returns the change counter; it grows after every change. */
uint64_t	 dcache_generation(struct dcache *c);
/* Returns an fd that is readable after a change, for poll. */
int		 dcache_fd(const struct dcache *c);
/* Empties dcache_fd's readiness; call when poll says it is readable. */
void		 dcache_drain(struct dcache *c);
/*
 * Returns the engine time (ns since the epoch) of the last event the
 * events thread has finished handling (its inspect done, the entry
 * updated), 0 before the first. A caller that knows an event's time can
 * wait for the cache to have settled past it.
 */
int64_t		 dcache_handled(struct dcache *c);
/* Fills *st with counters (engine_calls includes every connection). */
void		 dcache_get_stats(struct dcache *c, struct dcache_stats *st);

/*
 * Copies the main container of server (role absent or "server") into
 * *out, which the caller disposes of. Returns 0 or ROOST_ENOTFOUND.
 * role selects another container of the server (NULL: the main one).
 */
int		 dcache_get(struct dcache *c, const char *server,
		    const char *role, struct docker_container *out);
/*
 * Copies the main container of server into *out, chosen as the planner
 * chooses among duplicates (plan_container_score: the one labelled with
 * spec hash hash, NULL for none wanted, else a running one, else the
 * first). ROOST_ENOTFOUND when
 * the server has none.
 */
int		 dcache_get_primary(struct dcache *c, const char *server,
		    const char *hash, struct docker_container *out);

void		 dcache_lock(struct dcache *c);
void		 dcache_unlock(struct dcache *c);
/*
 * With the lock held: the container of server with role (NULL: the
 * main one), borrowed until dcache_unlock, or NULL.
 */
const struct docker_container *dcache_find(struct dcache *c,
		    const char *server, const char *role);
/* With the lock held: the number of entries, and entry i (by server). */
size_t		 dcache_count(struct dcache *c);
const struct docker_container *dcache_item(struct dcache *c, size_t i);

#endif
