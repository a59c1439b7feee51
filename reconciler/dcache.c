/*
 * dcache: the events-fed container cache (see dcache.h for the threading
 * model). Entries are kept sorted by (server, role, id) so lookups are a
 * binary search. Each entry remembers the sequence number taken when its
 * inspect began; an older inspect never replaces a newer one, so a slow
 * caller's refresh cannot undo what the events thread saw later. A removed
 * container leaves a tombstone (its id and the sequence number of the
 * removal) for the same reason: an inspect that began before the removal
 * but finished after it, or a relist that listed it just before, cannot
 * bring it back as a stale entry.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "dcache.h"
#include "docker.h"
#include "plan.h"
#include "thread.h"

#define DCACHE_TOMBS	64		/* recent removals remembered */
#define DCACHE_IDLEN	64		/* a full container id */
#define DCACHE_CLAIMS	64		/* containers in workers' hands */
#define DCACHE_CLAIM_SECS 30		/* a released claim's life */
#define DCACHE_EXITS	32		/* recent die events remembered */

/* A die event: the container's id and the exit code it carried. */
struct dcache_exit {
	char		 id[DCACHE_IDLEN + 1];
	int		 code;
};

struct dcache_tomb {
	char		 id[DCACHE_IDLEN + 1];
	uint64_t	 seq;
};

/*
 * A container a worker is creating and starting (by name): the events
 * thread leaves its first create and first start event to the worker's
 * own inspect at dcache_release. After a successful start the claim
 * stays, released, until those two events have come by (or for
 * DCACHE_CLAIM_SECS), as the stream may bring them after the inspect.
 */
struct dcache_claim {
	char		*name;
	int		 seen_create;
	int		 seen_start;
	int		 released;
	int64_t		 expires;	/* dcache_now() when released */
};

struct dcache_entry {
	struct docker_container	 c;
	const char		*server;	/* borrowed from c's labels */
	const char		*role;		/* "" for the main container */
	uint64_t		 seq;
};

struct dcache {
	char			*label;
	struct docker		*d;		/* caller's connection */
	struct docker		*ev;		/* events stream (thread) */
	struct docker		*in;		/* thread's inspects */
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct dcache_entry	**v;
	size_t			 n;
	atomic_uint_fast64_t	 gen;
	atomic_uint_fast64_t	 seq;
	int			 efd;
	dcache_notify_cb	 notify;
	void			*notify_arg;
	int			 relist_secs;
	pthread_t		 thread;
	int			 running;
	int			 stopping;	/* under mtx */
	int64_t			 since;		/* last event time (ns) */
	int64_t			 handled;	/* last handled event's (ns) */
	uint64_t		 relists;
	uint64_t		 events;
	uint64_t		 reconnects;
	struct dcache_tomb	 tombs[DCACHE_TOMBS];	/* under mtx */
	size_t			 ntomb;			/* next slot */
	struct dcache_claim	 claims[DCACHE_CLAIMS];	/* under mtx */
	uint64_t		 skipped;		/* under mtx */
	struct dcache_exit	 exits[DCACHE_EXITS];	/* under mtx */
	size_t			 nexit;			/* next slot */
	pthread_cond_t		 exit_cond;		/* a die came */
};

static int64_t
dcache_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Returns a cache; see dcache.h. */
struct dcache *
dcache_new(const char *sock, const char *label)
{
	struct dcache	*c;

	c = xcalloc(1, sizeof(*c));
	c->label = xstrdup(label != NULL ? label : DCACHE_LABEL_MANAGED);
	c->d = docker_new(sock);
	c->ev = docker_new(docker_sock(c->d));
	c->in = docker_new(docker_sock(c->d));
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_cond_init(&c->exit_cond, NULL);
	atomic_init(&c->gen, 0);
	atomic_init(&c->seq, 0);
	if ((c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	c->relist_secs = DCACHE_RELIST_SECS;
	return c;
}

static void
dcache_claim_drop(struct dcache_claim *cl)
{
	free(cl->name);
	memset(cl, 0, sizeof(*cl));
}

static void
dcache_entry_free(struct dcache_entry *e)
{
	if (e == NULL)
		return;
	docker_container_dispose(&e->c);
	free(e);
}

/* Stops the thread and frees c. */
void
dcache_free(struct dcache *c)
{
	size_t	i;

	if (c == NULL)
		return;
	dcache_stop(c);
	for (i = 0; i < c->n; i++)
		dcache_entry_free(c->v[i]);
	free(c->v);
	for (i = 0; i < DCACHE_CLAIMS; i++)
		dcache_claim_drop(&c->claims[i]);
	docker_free(c->d);
	docker_free(c->ev);
	docker_free(c->in);
	close(c->efd);
	pthread_mutex_destroy(&c->mtx);
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->exit_cond);
	free(c->label);
	free(c);
}

/* Sets the change callback. */
void
dcache_set_notify(struct dcache *c, dcache_notify_cb cb, void *arg)
{
	c->notify = cb;
	c->notify_arg = arg;
}

/* Sets the periodic relist interval. */
void
dcache_set_relist_interval(struct dcache *c, int secs)
{
	c->relist_secs = secs > 0 ? secs : DCACHE_RELIST_SECS;
}

static int
dcache_cmp_key(const char *s1, const char *r1, const char *s2,
    const char *r2)
{
	int	rc;

	if ((rc = strcmp(s1, s2)) != 0)
		return rc;
	return strcmp(r1, r2);
}

static int
dcache_cmp(const void *a, const void *b)
{
	const struct dcache_entry *x = *(struct dcache_entry *const *)a;
	const struct dcache_entry *y = *(struct dcache_entry *const *)b;
	int			 rc;

	if ((rc = dcache_cmp_key(x->server, x->role, y->server, y->role)) != 0)
		return rc;
	return strcmp(x->c.id, y->c.id);
}

static struct dcache_entry *
dcache_entry_new(struct docker_container *dc, uint64_t seq)
{
	struct dcache_entry	*e;
	const char		*role;

	e = xcalloc(1, sizeof(*e));
	e->c = *dc;
	memset(dc, 0, sizeof(*dc));
	e->server = docker_container_label(&e->c, DCACHE_LABEL_SERVER);
	if (e->server == NULL)
		e->server = "";
	role = docker_container_label(&e->c, DCACHE_LABEL_ROLE);
	e->role = role == NULL || strcmp(role, "server") == 0 ? "" : role;
	e->seq = seq;
	return e;
}

static void
dcache_changed(struct dcache *c, const char *server)
{
	uint64_t	one = 1;

	atomic_fetch_add(&c->gen, 1);
	if (write(c->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("dcache: eventfd");
	if (c->notify != NULL)
		c->notify(server, c->notify_arg);
}

/* With the lock held: the index of the entry with id, or -1. */
static ssize_t
dcache_index_id(struct dcache *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i]->c.id, id) == 0 ||
		    strcmp(c->v[i]->c.name, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* With the lock held: whether id was removed after sequence number seq. */
static int
dcache_buried_after(const struct dcache *c, const char *id, uint64_t seq)
{
	size_t	i;

	for (i = 0; i < DCACHE_TOMBS; i++)
		if (c->tombs[i].seq > seq && strcmp(c->tombs[i].id, id) == 0)
			return 1;
	return 0;
}

/* With the lock held: remembers that the container id is gone at seq. */
static void
dcache_bury(struct dcache *c, const char *id, uint64_t seq)
{
	/* Only full ids: a name is reused by the next container. */
	if (strlen(id) != DCACHE_IDLEN)
		return;
	memcpy(c->tombs[c->ntomb].id, id, DCACHE_IDLEN + 1);
	c->tombs[c->ntomb].seq = seq;
	c->ntomb = (c->ntomb + 1) % DCACHE_TOMBS;
}

/*
 * Puts the inspected container in place of the entry with the same id,
 * unless that entry comes from a later inspect or the container was
 * removed after this inspect began. dc is consumed. Returns whether
 * anything changed.
 */
static int
dcache_upsert(struct dcache *c, struct docker_container *dc, uint64_t seq)
{
	struct dcache_entry	*e;
	ssize_t			 i;

	pthread_mutex_lock(&c->mtx);
	i = dcache_index_id(c, dc->id);
	if ((i >= 0 && c->v[i]->seq > seq) ||
	    dcache_buried_after(c, dc->id, seq)) {
		pthread_mutex_unlock(&c->mtx);
		docker_container_dispose(dc);
		return 0;
	}
	e = dcache_entry_new(dc, seq);
	if (i >= 0) {
		dcache_entry_free(c->v[i]);
		c->v[i] = e;
	} else {
		c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		c->v[c->n++] = e;
	}
	qsort(c->v, c->n, sizeof(*c->v), dcache_cmp);
	pthread_mutex_unlock(&c->mtx);
	return 1;
}

/* Drops the entry with id (or name); copies its server to *server. */
static int
dcache_remove(struct dcache *c, const char *id, uint64_t seq, char **server)
{
	ssize_t	i;

	*server = NULL;
	pthread_mutex_lock(&c->mtx);
	i = dcache_index_id(c, id);
	if (i < 0 || c->v[i]->seq <= seq)
		dcache_bury(c, i >= 0 ? c->v[i]->c.id : id, seq);
	if (i < 0 || c->v[i]->seq > seq) {
		pthread_mutex_unlock(&c->mtx);
		return 0;
	}
	*server = xstrdup(c->v[i]->server);
	dcache_entry_free(c->v[i]);
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
	c->n--;
	pthread_mutex_unlock(&c->mtx);
	return 1;
}

/* Inspects ref on d and puts the result in the cache. */
static int
dcache_inspect_one(struct dcache *c, struct docker *d, const char *ref,
    struct rerr *err)
{
	struct docker_container	 dc;
	uint64_t		 seq;
	char			*server = NULL;
	int			 rc;

	seq = atomic_fetch_add(&c->seq, 1) + 1;
	rc = docker_container_inspect(d, ref, &dc, err);
	if (rc == ROOST_ENOTFOUND) {
		if (dcache_remove(c, ref, seq, &server))
			dcache_changed(c, server);
		free(server);
		return 0;
	}
	if (rc != 0)
		return rc;
	server = xstrdup(docker_container_label(&dc, DCACHE_LABEL_SERVER) ?
	    docker_container_label(&dc, DCACHE_LABEL_SERVER) : "");
	if (dcache_upsert(c, &dc, seq))
		dcache_changed(c, server[0] != '\0' ? server : NULL);
	free(server);
	return 0;
}

/* Relists on connection d; see dcache_relist. */
static int
dcache_relist_on(struct dcache *c, struct docker *d, struct rerr *err)
{
	struct docker_container	 dc;
	struct dcache_entry	**nv = NULL, **ov;
	char			**ids = NULL;
	size_t			 n = 0, on, i, j2;
	uint64_t		 seq;
	int			 rc;

	seq = atomic_fetch_add(&c->seq, 1) + 1;
	if ((rc = docker_container_list(d, c->label, &ids, err)) != 0)
		return rc;
	for (i = 0; ids[i] != NULL; i++)
		;
	nv = xcalloc(i + 1, sizeof(*nv));
	for (i = 0; ids[i] != NULL; i++) {
		rc = docker_container_inspect(d, ids[i], &dc, err);
		if (rc == ROOST_ENOTFOUND) {
			rerr_init(err);
			continue;	/* removed since the list */
		}
		if (rc != 0) {
			while (n > 0)
				dcache_entry_free(nv[--n]);
			free(nv);
			docker_strv_free(ids);
			return rc;
		}
		nv[n++] = dcache_entry_new(&dc, seq);
	}
	docker_strv_free(ids);
	qsort(nv, n, sizeof(*nv), dcache_cmp);

	pthread_mutex_lock(&c->mtx);
	/* An entry refreshed while we listed is newer than ours. */
	for (i = 0; i < n; i++) {
		ssize_t j = dcache_index_id(c, nv[i]->c.id);

		if (dcache_buried_after(c, nv[i]->c.id, seq)) {
			/* Removed since we listed it. */
			dcache_entry_free(nv[i]);
			nv[i] = NULL;
			continue;
		}
		if (j >= 0 && c->v[j]->seq > seq) {
			dcache_entry_free(nv[i]);
			nv[i] = c->v[j];
			c->v[j] = NULL;
		}
	}
	for (i = j2 = 0; i < n; i++)
		if (nv[i] != NULL)
			nv[j2++] = nv[i];
	n = j2;
	/* So is one that appeared after the list. */
	for (i = 0; i < c->n; i++) {
		if (c->v[i] == NULL || c->v[i]->seq <= seq)
			continue;
		nv = xreallocarray(nv, n + 1, sizeof(*nv));
		nv[n++] = c->v[i];
		c->v[i] = NULL;
	}
	qsort(nv, n, sizeof(*nv), dcache_cmp);
	ov = c->v;
	on = c->n;
	c->v = nv;
	c->n = n;
	c->relists++;
	pthread_mutex_unlock(&c->mtx);
	for (i = 0; i < on; i++)
		dcache_entry_free(ov[i]);
	free(ov);
	dcache_changed(c, NULL);
	return 0;
}

/* Replaces every entry from a fresh list + inspect. */
int
dcache_relist(struct dcache *c, struct rerr *err)
{
	return dcache_relist_on(c, c->d, err);
}

/* Re-inspects ref now. */
int
dcache_refresh(struct dcache *c, const char *ref, struct rerr *err)
{
	return dcache_inspect_one(c, c->d, ref, err);
}

/* Re-inspects ref now through d; see dcache.h. */
int
dcache_refresh_on(struct dcache *c, struct docker *d, const char *ref,
    struct rerr *err)
{
	return dcache_inspect_one(c, d, ref, err);
}

static int
dcache_ignored(const char *action)
{
	static const char *const skip[] = { "attach", "detach", "resize",
	    "top", "export", "commit", "copy", "archive-path",
	    "extract-to-dir", "exec_create", "exec_start", "exec_die",
	    "exec_detach", NULL };
	size_t	i;

	if (strncmp(action, "exec_", 5) == 0)
		return 1;
	for (i = 0; skip[i] != NULL; i++)
		if (strcmp(action, skip[i]) == 0)
			return 1;
	return 0;
}

/* Records that every event up to time (ns) has been handled. */
static void
dcache_handled_up_to(struct dcache *c, int64_t time)
{
	pthread_mutex_lock(&c->mtx);
	if (time > c->handled)
		c->handled = time;
	pthread_mutex_unlock(&c->mtx);
}

/*
 * Whether ev is the first create or the first start of a container a
 * worker has claimed: the worker inspects it after its start returns
 * (dcache_release), which sees at least what those events announce. A
 * later start of the same container can only follow a die or stop, so
 * only the first of each is skipped; every other event is inspected.
 */
static int
dcache_claimed_event(struct dcache *c, const struct docker_event *ev)
{
	const char	*name = NULL;
	size_t		 i;
	int		 create, skip = 0;

	create = strcmp(ev->action, "create") == 0;
	if (!create && strcmp(ev->action, "start") != 0)
		return 0;
	for (i = 0; i < ev->nattrs; i++)
		if (strcmp(ev->attrs[i].key, "name") == 0)
			name = ev->attrs[i].value;
	if (name == NULL)
		return 0;
	pthread_mutex_lock(&c->mtx);
	for (i = 0; i < DCACHE_CLAIMS; i++) {
		struct dcache_claim *cl = &c->claims[i];

		if (cl->name == NULL || strcmp(cl->name, name) != 0)
			continue;
		if (cl->released && dcache_now() >= cl->expires) {
			dcache_claim_drop(cl);
			break;
		}
		if (create && !cl->seen_create)
			skip = cl->seen_create = 1;
		else if (!create && !cl->seen_start)
			skip = cl->seen_start = 1;
		if (cl->released && cl->seen_create && cl->seen_start)
			dcache_claim_drop(cl);
		break;
	}
	if (skip)
		c->skipped++;
	pthread_mutex_unlock(&c->mtx);
	return skip;
}

/* Claims the container named name for a worker; see dcache.h. */
int
dcache_claim(struct dcache *c, const char *name)
{
	struct dcache_claim	*cl = NULL;
	size_t			 i;
	int64_t			 now = dcache_now();

	pthread_mutex_lock(&c->mtx);
	for (i = 0; i < DCACHE_CLAIMS; i++) {
		if (c->claims[i].name != NULL && c->claims[i].released &&
		    now >= c->claims[i].expires)
			dcache_claim_drop(&c->claims[i]);
		if (c->claims[i].name != NULL &&
		    strcmp(c->claims[i].name, name) == 0)
			cl = &c->claims[i];
	}
	for (i = 0; cl == NULL && i < DCACHE_CLAIMS; i++)
		if (c->claims[i].name == NULL)
			cl = &c->claims[i];
	if (cl != NULL) {
		if (cl->name == NULL)
			cl->name = xstrdup(name);
		cl->seen_create = cl->seen_start = cl->released = 0;
	}
	pthread_mutex_unlock(&c->mtx);
	return cl != NULL ? 0 : -1;
}

/* Inspects ref through d into the cache, then releases name's claim. */
int
dcache_release(struct dcache *c, struct docker *d, const char *name,
    const char *ref, int started, struct rerr *err)
{
	size_t	i;
	int	rc;

	rc = dcache_inspect_one(c, d, ref, err);
	pthread_mutex_lock(&c->mtx);
	for (i = 0; i < DCACHE_CLAIMS; i++) {
		struct dcache_claim *cl = &c->claims[i];

		if (cl->name == NULL || strcmp(cl->name, name) != 0)
			continue;
		if (!started || (cl->seen_create && cl->seen_start))
			dcache_claim_drop(cl);
		else {
			cl->released = 1;
			cl->expires = dcache_now() +
			    (int64_t)DCACHE_CLAIM_SECS * 1000000000LL;
		}
		break;
	}
	pthread_mutex_unlock(&c->mtx);
	return rc;
}

/*
 * Remembers a die event's exit code: the engine sends the event as the
 * container stops, while an inspect or a log read made then waits until
 * it has torn the container down (tens of milliseconds).
 */
static void
dcache_note_exit(struct dcache *c, const struct docker_event *ev)
{
	struct dcache_exit	*x;
	const char		*code = NULL;
	char			*end;
	long			 v;
	size_t			 i;

	for (i = 0; i < ev->nattrs; i++)
		if (strcmp(ev->attrs[i].key, "exitCode") == 0)
			code = ev->attrs[i].value;
	if (code == NULL || *code == '\0' || strlen(ev->id) > DCACHE_IDLEN)
		return;
	errno = 0;
	v = strtol(code, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 255)
		return;
	pthread_mutex_lock(&c->mtx);
	x = &c->exits[c->nexit];
	c->nexit = (c->nexit + 1) % DCACHE_EXITS;
	memcpy(x->id, ev->id, strlen(ev->id) + 1);
	x->code = (int)v;
	pthread_cond_broadcast(&c->exit_cond);
	pthread_mutex_unlock(&c->mtx);
}

/* Waits for the die event of container id; see dcache.h. */
int
dcache_exit_wait(struct dcache *c, const char *id, int ms, int *code)
{
	struct timespec	ts;
	size_t		i;
	int		found = 0;

	util_deadline(&ts, CLOCK_REALTIME, ms);
	pthread_mutex_lock(&c->mtx);
	for (;;) {
		for (i = 0; i < DCACHE_EXITS && !found; i++)
			if (*id != '\0' && strcmp(c->exits[i].id, id) == 0) {
				*code = c->exits[i].code;
				found = 1;
			}
		if (found || c->stopping || !c->running ||
		    pthread_cond_timedwait(&c->exit_cond, &c->mtx, &ts) != 0)
			break;
	}
	pthread_mutex_unlock(&c->mtx);
	return found ? 0 : ROOST_ENOTFOUND;
}

static int
dcache_on_event(const struct docker_event *ev, void *arg)
{
	struct dcache	*c = arg;
	struct rerr	 err;
	char		*server = NULL;
	uint64_t	 seq;

	pthread_mutex_lock(&c->mtx);
	if (ev->time_nano > c->since)
		c->since = ev->time_nano;
	c->events++;
	if (c->stopping) {
		pthread_mutex_unlock(&c->mtx);
		return 1;
	}
	pthread_mutex_unlock(&c->mtx);
	if (strcmp(ev->type, "container") != 0 || ev->id[0] == '\0' ||
	    dcache_ignored(ev->action)) {
		dcache_handled_up_to(c, ev->time_nano);
		return 0;
	}
	if (strcmp(ev->action, "die") == 0)
		dcache_note_exit(c, ev);
	if (dcache_claimed_event(c, ev)) {
		dcache_handled_up_to(c, ev->time_nano);
		return 0;
	}
	if (strcmp(ev->action, "destroy") == 0) {
		seq = atomic_fetch_add(&c->seq, 1) + 1;
		if (dcache_remove(c, ev->id, seq, &server))
			dcache_changed(c, server);
		free(server);
		dcache_handled_up_to(c, ev->time_nano);
		return 0;
	}
	rerr_init(&err);
	if (dcache_inspect_one(c, c->in, ev->id, &err) != 0)
		log_warnx("dcache: after \"%s\" of %.12s: %s", ev->action,
		    ev->id, err.msg);
	dcache_handled_up_to(c, ev->time_nano);
	return 0;
}

/* Returns the time of the last event the events thread has handled. */
int64_t
dcache_handled(struct dcache *c)
{
	int64_t	t;

	pthread_mutex_lock(&c->mtx);
	t = c->handled;
	pthread_mutex_unlock(&c->mtx);
	return t;
}

/* Sleeps up to secs unless stopping; returns whether stopping. */
static int
dcache_pause(struct dcache *c, int secs)
{
	struct timespec	ts;
	int		stopping;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	pthread_mutex_lock(&c->mtx);
	while (!c->stopping &&
	    pthread_cond_timedwait(&c->cond, &c->mtx, &ts) == 0)
		;
	stopping = c->stopping;
	pthread_mutex_unlock(&c->mtx);
	return stopping;
}

static void *
dcache_thread(void *arg)
{
	struct dcache	*c = arg;
	struct rerr	 err;
	int64_t		 since, deadline;
	int		 rc, need_relist = 0, backoff = 1, stopping;

	deadline = dcache_now() + (int64_t)c->relist_secs * 1000000000LL;
	for (;;) {
		pthread_mutex_lock(&c->mtx);
		stopping = c->stopping;
		since = c->since;
		pthread_mutex_unlock(&c->mtx);
		if (stopping)
			break;
		if (need_relist || dcache_now() >= deadline) {
			/* Events from before the relist are replayed. */
			since = dcache_now() - 1000000000LL;
			rerr_init(&err);
			if (dcache_relist_on(c, c->in, &err) != 0) {
				log_warnx("dcache: relist: %s", err.msg);
				if (dcache_pause(c, backoff))
					break;
				backoff = backoff < 30 ? backoff * 2 : 30;
				continue;
			}
			pthread_mutex_lock(&c->mtx);
			if (since > c->since)
				c->since = since;
			pthread_mutex_unlock(&c->mtx);
			need_relist = 0;
			deadline = dcache_now() +
			    (int64_t)c->relist_secs * 1000000000LL;
		}
		rerr_init(&err);
		rc = docker_events(c->ev, c->label, since,
		    (long)((deadline - dcache_now()) / 1000000) + 1,
		    dcache_on_event, c, &err);
		if (rc == ROOST_ETIMEDOUT) {
			backoff = 1;
			continue;	/* time for the periodic relist */
		}
		pthread_mutex_lock(&c->mtx);
		stopping = c->stopping;
		if (!stopping)
			c->reconnects++;
		pthread_mutex_unlock(&c->mtx);
		if (stopping)
			break;
		log_warnx("dcache: events stream: %s; reconnecting",
		    rc == 0 ? "ended" : err.msg);
		need_relist = 1;
		if (dcache_pause(c, backoff))
			break;
		backoff = backoff < 30 ? backoff * 2 : 30;
	}
	return NULL;
}

/* Relists, then starts the events thread. */
int
dcache_start(struct dcache *c, struct rerr *err)
{
	int64_t	since;
	int	rc;

	if (c->running)
		return 0;
	since = dcache_now() - 1000000000LL;
	if ((rc = dcache_relist(c, err)) != 0)
		return rc;
	pthread_mutex_lock(&c->mtx);
	c->stopping = 0;
	if (since > c->since)
		c->since = since;
	pthread_mutex_unlock(&c->mtx);
	docker_reset_cancel(c->ev);
	docker_reset_cancel(c->in);
	if ((rc = pthread_create(&c->thread, NULL, dcache_thread, c)) != 0) {
		errno = rc;
		return rerr_errno(err, -1, "cannot start the container "
		    "events thread");
	}
	c->running = 1;
	return 0;
}

/* Stops the events thread. */
void
dcache_stop(struct dcache *c)
{
	if (!c->running)
		return;
	thread_raise(&c->mtx, &c->cond, &c->stopping);
	docker_cancel(c->ev);
	docker_cancel(c->in);
	pthread_join(c->thread, NULL);
	c->running = 0;
}

/* Returns the change counter. */
uint64_t
dcache_generation(struct dcache *c)
{
	return atomic_load(&c->gen);
}

/* Returns the change fd. */
int
dcache_fd(const struct dcache *c)
{
	return c->efd;
}

/* Empties the change fd. */
void
dcache_drain(struct dcache *c)
{
	uint64_t	v;

	while (read(c->efd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		;
}

/* Fills *st. */
void
dcache_get_stats(struct dcache *c, struct dcache_stats *st)
{
	pthread_mutex_lock(&c->mtx);
	st->relists = c->relists;
	st->events = c->events;
	st->reconnects = c->reconnects;
	st->containers = c->n;
	st->skipped = c->skipped;
	pthread_mutex_unlock(&c->mtx);
	st->engine_calls = docker_requests(c->d) + docker_requests(c->ev) +
	    docker_requests(c->in);
}

/* Takes the entries' lock. */
void
dcache_lock(struct dcache *c)
{
	pthread_mutex_lock(&c->mtx);
}

/* Releases the entries' lock. */
void
dcache_unlock(struct dcache *c)
{
	pthread_mutex_unlock(&c->mtx);
}

/*
 * With the lock held: the index of the first entry of server with role
 * ("" for the main container), or where it would be.
 */
static size_t
dcache_first(struct dcache *c, const char *server, const char *role)
{
	size_t	lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (dcache_cmp_key(c->v[mid]->server, c->v[mid]->role,
		    server, role) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* With the lock held: whether entry i is server's container with role. */
static int
dcache_is(struct dcache *c, size_t i, const char *server, const char *role)
{
	return i < c->n && dcache_cmp_key(c->v[i]->server, c->v[i]->role,
	    server, role) == 0;
}

/* With the lock held: server's container with role, or NULL. */
const struct docker_container *
dcache_find(struct dcache *c, const char *server, const char *role)
{
	size_t	i;

	if (role == NULL || strcmp(role, "server") == 0)
		role = "";
	i = dcache_first(c, server, role);
	return dcache_is(c, i, server, role) ? &c->v[i]->c : NULL;
}

/* Copies the server's main container the planner would keep; see dcache.h. */
int
dcache_get_primary(struct dcache *c, const char *server, const char *hash,
    struct docker_container *out)
{
	const struct dcache_entry	*e, *best = NULL;
	size_t				 i;
	int				 score, bscore = -1;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->mtx);
	for (i = dcache_first(c, server, ""); dcache_is(c, i, server, "");
	    i++) {
		e = c->v[i];
		score = plan_container_score(hash, docker_container_label(&e->c,
		    DCACHE_LABEL_HASH), e->c.running);
		if (score > bscore) {
			best = e;
			bscore = score;
		}
	}
	if (best == NULL) {
		pthread_mutex_unlock(&c->mtx);
		return ROOST_ENOTFOUND;
	}
	docker_container_copy(out, &best->c);
	pthread_mutex_unlock(&c->mtx);
	return 0;
}

/* With the lock held: the number of entries. */
size_t
dcache_count(struct dcache *c)
{
	return c->n;
}

/* With the lock held: entry i. */
const struct docker_container *
dcache_item(struct dcache *c, size_t i)
{
	return i < c->n ? &c->v[i]->c : NULL;
}

/* Copies server's container with role into *out. */
int
dcache_get(struct dcache *c, const char *server, const char *role,
    struct docker_container *out)
{
	const struct docker_container *dc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->mtx);
	if ((dc = dcache_find(c, server, role)) == NULL) {
		pthread_mutex_unlock(&c->mtx);
		return ROOST_ENOTFOUND;
	}
	docker_container_copy(out, dc);
	pthread_mutex_unlock(&c->mtx);
	return 0;
}
