/*
 * alerts: the alerts channel (see alerts.h). The hub's listener marks
 * servers dirty; the thread, every ALERTS_TICK_MS, reads the dirty
 * servers' reports and the nodes' connections, turns them into events
 * (alert_step, pure) and posts or edits one embed per server and
 * coalescing window, or per node outage.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "alerts.h"
#include "commands.h"
#include "hub.h"
#include "live.h"
#include "rest.h"
#include "worker.h"

#define ALERTS_TICK_MS	500
#define ALERTS_MAX	1024		/* servers and nodes tracked */
#define COLOR_BAD	0xe74c3c
#define COLOR_GOOD	0x2ecc71

/* A server or a node the watcher follows. */
struct watch {
	char			*name;
	int			 is_node;
	int			 dirty;
	struct alert_track	 t;
	/* the open alert message (within its window) */
	char			*message_id;
	int64_t			 opened;
	int			 crashes;
	enum alert_event	 worst;
	/* nodes */
	int			 connected;
	int			 ever;		/* seen connected */
	int64_t			 down_since;
	int			 down_posted;
};

struct alerts {
	struct live_src		 c;
	struct worker		 th;
	struct watch		*w;
	size_t			 nw;
	int			 all_dirty;
	char			 since[40];	/* when it started, UTC */
};

/* Every event: its bit in alerts.on, its phase, its alert's title. */
static const struct {
	enum alert_event	 e;
	unsigned		 bit;
	const char		*phase;		/* entering it; NULL: none */
	const char		*title;		/* after the server's name */
} events[] = {
	{ AE_CRASH, ALERT_CRASH, "Crashed", " crashed" },
	{ AE_CRASHLOOP, ALERT_CRASHLOOP, "CrashLoop", " is in a crash loop" },
	{ AE_INSTALL, ALERT_INSTALL, "InstallFailed", " failed to install" },
	{ AE_START, ALERT_START, "Failed", " failed to start" },
	{ AE_SCHEDULE, ALERT_SCHEDULE, NULL, ": a scheduled run failed" },
	{ AE_BACKUP, ALERT_BACKUP, NULL, ": a backup failed" },
};

#define NEVENTS	(sizeof(events) / sizeof(events[0]))

/* See alerts.h. */
unsigned
alert_event_bit(enum alert_event e)
{
	size_t	i;

	for (i = 0; i < NEVENTS; i++)
		if (events[i].e == e)
			return events[i].bit;
	return 0;
}

/* The event of entering a failing phase; AE_NONE for any other phase. */
static enum alert_event
phase_event(const char *phase)
{
	size_t	i;

	for (i = 0; i < NEVENTS; i++)
		if (events[i].phase != NULL &&
		    strcmp(events[i].phase, phase) == 0)
			return events[i].e;
	return AE_NONE;
}

/* See alerts.h. */
enum alert_event
alert_step(struct alert_track *t, const cJSON *status, const char *since)
{
	const char		*phase = json_str(status, "phase", "");
	int64_t			 restarts = json_int64(status,
				    "container.restarts", 0);
	enum alert_event	 e = AE_NONE;
	int			 changed = strcmp(phase, t->phase) != 0;
	int64_t			 sf = 0;
	const cJSON		*sc;
	const char		*bend = json_str(status,
				    "backups.lastBackup.finishedAt", "");
	int			 bfail = strcmp(json_str(status,
				    "backups.lastBackup.result", ""),
				    "failed") == 0;

	cJSON_ArrayForEach(sc, json_get(status, "schedules"))
		sf += json_int64(sc, "failures", 0);

	if (t->seen) {
		if (changed && phase_event(phase) != AE_NONE)
			e = phase_event(phase);
		else if (restarts > t->restarts &&
		    strcmp(t->phase, "Crashed") != 0)
			e = AE_CRASH;	/* a crash between two reports */
		else if (sf > t->sched_failures)
			e = AE_SCHEDULE;
		else if (bfail && strcmp(bend, t->backup_end) != 0)
			e = AE_BACKUP;
	} else if (since != NULL) {
		/* the first report: only what happened since the start */
		if (strcmp(json_str(status, "lastTransitionTime", ""),
		    since) >= 0)
			e = phase_event(phase);
		if (e == AE_NONE && bfail && strcmp(bend, since) >= 0)
			e = AE_BACKUP;
	}
	t->sched_failures = sf;
	snprintf(t->backup_end, sizeof(t->backup_end), "%s", bend);
	snprintf(t->phase, sizeof(t->phase), "%s", phase);
	/* roostd counts restarts since it started: a new roostd resets */
	t->restarts = restarts;
	t->seen = 1;
	return e;
}

static struct watch *
watch_get(struct alerts *al, const char *name, int is_node)
{
	size_t	i;

	for (i = 0; i < al->nw; i++)
		if (al->w[i].is_node == is_node &&
		    strcmp(al->w[i].name, name) == 0)
			return &al->w[i];
	if (al->nw >= ALERTS_MAX)
		return NULL;
	al->w = xreallocarray(al->w, al->nw + 1, sizeof(*al->w));
	memset(&al->w[al->nw], 0, sizeof(*al->w));
	al->w[al->nw].name = xstrdup(name);
	al->w[al->nw].is_node = is_node;
	al->w[al->nw].dirty = 1;
	return &al->w[al->nw++];
}

/* Marks a server (NULL: every server) for a look. */
void
alerts_changed(struct alerts *al, const char *server)
{
	struct watch	*w;

	if (al == NULL)
		return;
	pthread_mutex_lock(&al->th.mu);
	if (server == NULL)
		al->all_dirty = 1;
	else if ((w = watch_get(al, server, 0)) != NULL)
		w->dirty = 1;
	pthread_mutex_unlock(&al->th.mu);
}

/* Posts (or, with *mid set, edits) a message in channel; keeps its id. */
static void
send(struct alerts *al, const char *channel, char **mid, cJSON *m)
{
	struct rerr	err;

	rerr_init(&err);
	if (rest_channel_message(al->c.rest, channel, mid, m, &err) != 0)
		log_warnx("alerts channel: %s", err.msg);
	cJSON_Delete(m);
}

/* A message with one embed and, maybe, a mention of owner. */
static cJSON *
embed_msg(const char *title, const char *desc, int color, const char *owner)
{
	cJSON	*m = json_new_object(), *e, *am;
	char	 ts[40];

	e = json_new_object();
	json_add_str(e, "title", title);
	json_add_str(e, "description", desc);
	json_add_num(e, "color", color);
	util_now_rfc3339(ts, sizeof(ts));
	json_add_str(e, "timestamp", ts);
	cJSON_AddItemToArray(json_add_array(m, "embeds"), e);
	am = json_add_object(m, "allowed_mentions");
	json_add_array(am, "parse");
	if (owner != NULL) {
		char *c;

		xasprintf(&c, "<@%s>", owner);
		json_add_str(m, "content", c);
		json_push_str(json_add_array(am, "users"), owner);
		free(c);
	} else
		json_add_str(m, "content", "");
	return m;
}

/* The message of the failed schedule run in status, for its alert. */
static const char *
sched_failed(const cJSON *status)
{
	static __thread char	 out[600];
	const cJSON		*sc, *t;
	const char		*r;

	cJSON_ArrayForEach(sc, json_get(status, "schedules")) {
		r = json_str(sc, "lastRun.result", "");
		if (strcmp(r, "failed") != 0 && strcmp(r, "interrupted") != 0)
			continue;
		snprintf(out, sizeof(out), "Schedule `%s`: run %s", json_str(sc,
		    "name", "?"), r);
		cJSON_ArrayForEach(t, json_get(sc, "lastRun.tasks"))
			if (strcmp(json_str(t, "result", ""), "succeeded") != 0 &&
			    json_str(t, "message", NULL) != NULL) {
				snprintf(out + strlen(out), sizeof(out) -
				    strlen(out), " \xc2\xb7 %s task: %s",
				    json_str(t, "task", "?"), json_str(t,
				    "message", ""));
				break;
			}
		return out;
	}
	return NULL;
}

/* The embed of a server's open alert. */
static cJSON *
server_msg(const struct watch *w, const struct state_server *srv,
    const cJSON *status)
{
	struct buf	 b;
	char		 title[160];
	const char	*why = json_str(status, "message", NULL);
	cJSON		*m;
	size_t		 i;

	/* AE_CRASH, the first, for any other */
	for (i = NEVENTS - 1; i > 0 && events[i].e != w->worst; i--)
		;
	snprintf(title, sizeof(title), "%s%s", w->name, events[i].title);
	if (w->worst == AE_SCHEDULE)
		why = sched_failed(status);
	else if (w->worst == AE_BACKUP)
		why = json_str(status, "backups.lastBackup.message", why);
	buf_init(&b, 0);
	buf_addf(&b, "Node `%s` \xc2\xb7 phase **%s**", srv->node != NULL ?
	    srv->node : "?", json_str(status, "phase", "?"));
	if (w->crashes > 0)
		buf_addf(&b, " \xc2\xb7 crashed %d time%s since this alert "
		    "opened", w->crashes, w->crashes == 1 ? "" : "s");
	if (why != NULL)
		buf_addf(&b, "\n%.900s", why);
	m = embed_msg(title, buf_str(&b), COLOR_BAD, srv->alerts_mention ?
	    srv->owner : NULL);
	buf_dispose(&b);
	return m;
}

/*
 * Looks at server i; locked, unlocks to send (the array may grow then:
 * only the index stays good).
 */
static void
look_server(struct alerts *al, size_t i, const struct state *st)
{
	struct watch			*w = &al->w[i];
	const struct state_server	*srv = state_server_find(st, w->name);
	cJSON				*status;
	enum alert_event		 e;
	int64_t				 now = live_now_ms();
	char				*mid;
	cJSON				*m;

	w->dirty = 0;
	status = bhub_server_status(al->c.hub, w->name);
	if (status == NULL)
		return;
	e = alert_step(&w->t, status, al->since);
	if (e == AE_NONE || srv == NULL || !srv->alerts ||
	    (st->conf.alerts.on & alert_event_bit(e)) == 0) {
		cJSON_Delete(status);
		return;
	}
	if (w->message_id == NULL || now - w->opened > ALERT_COALESCE_MS) {
		free(w->message_id);
		w->message_id = NULL;
		w->opened = now;
		w->crashes = 0;
		w->worst = AE_NONE;
	}
	if (e == AE_CRASH)
		w->crashes++;
	if (e != AE_CRASH || w->worst == AE_NONE)
		w->worst = e;
	mid = w->message_id;
	w->message_id = NULL;
	log_info("alert: %s: %s", w->name, w->t.phase);
	m = server_msg(w, srv, status);
	cJSON_Delete(status);
	pthread_mutex_unlock(&al->th.mu);
	send(al, st->conf.alerts.channel, &mid, m);
	pthread_mutex_lock(&al->th.mu);
	al->w[i].message_id = mid;
}

/* Looks at node i's connection; locked, unlocks to send. */
static void
look_node(struct alerts *al, size_t i, const struct state *st)
{
	struct watch	*w = &al->w[i];
	cJSON		*ns = bhub_node_status(al->c.hub, w->name);
	int64_t		 now = live_now_ms();
	char		*mid = NULL, desc[256], title[160];
	cJSON		*m = NULL;

	w->connected = ns != NULL;
	cJSON_Delete(ns);
	if (w->connected) {
		w->ever = 1;
		w->down_since = 0;
		if (w->down_posted) {
			w->down_posted = 0;
			snprintf(title, sizeof(title), "node %s is back",
			    w->name);
			snprintf(desc, sizeof(desc), "Connected to the bot "
			    "again.");
			m = embed_msg(title, desc, COLOR_GOOD, NULL);
		}
	} else if (w->ever) {
		if (w->down_since == 0)
			w->down_since = now;
		if (!w->down_posted && now - w->down_since >=
		    (int64_t)st->conf.alerts.node_down_ms) {
			w->down_posted = 1;
			snprintf(title, sizeof(title), "node %s is not "
			    "connected", w->name);
			snprintf(desc, sizeof(desc), "Disconnected for %lld s; "
			    "its servers' status is not known until it is "
			    "back.", (long long)((now - w->down_since) / 1000));
			m = embed_msg(title, desc, COLOR_BAD, NULL);
		}
	}
	if (m == NULL || (st->conf.alerts.on & ALERT_NODE) == 0) {
		cJSON_Delete(m);
		return;
	}
	log_info("alert: node %s %s", w->name, w->connected ? "back" :
	    "disconnected");
	pthread_mutex_unlock(&al->th.mu);
	send(al, st->conf.alerts.channel, &mid, m);
	free(mid);
	pthread_mutex_lock(&al->th.mu);
}

/* One look at the state and the hub's reports. With th.mu held. */
static void
alerts_tick(void *arg)
{
	struct alerts	*al = arg;
	struct cmd_env	 env;
	void		*ref;
	size_t		 i;

	pthread_mutex_unlock(&al->th.mu);
	ref = al->c.env_get(al->c.arg, &env);
	pthread_mutex_lock(&al->th.mu);
	if (env.st != NULL && env.st->conf.alerts.channel != NULL) {
		for (i = 0; i < env.st->nservers; i++)
			(void)watch_get(al, env.st->servers[i]->name, 0);
		for (i = 0; i < env.st->nnodes; i++)
			(void)watch_get(al, env.st->nodes[i].name, 1);
		/* by index: the array may grow while unlocked */
		for (i = 0; i < al->nw && !al->th.stop; i++) {
			if (al->w[i].is_node)
				look_node(al, i, env.st);
			else if (al->w[i].dirty || al->all_dirty)
				look_server(al, i, env.st);
		}
		al->all_dirty = 0;
	}
	pthread_mutex_unlock(&al->th.mu);
	al->c.env_put(al->c.arg, ref);
	pthread_mutex_lock(&al->th.mu);
}

/* Starts the watcher. */
int
alerts_start(struct alerts **out, const struct live_src *src,
    struct rerr *err)
{
	struct alerts	*al = xcalloc(1, sizeof(*al));

	al->c = *src;
	util_now_rfc3339(al->since, sizeof(al->since));
	if (worker_start(&al->th, alerts_tick, al, ALERTS_TICK_MS) != 0) {
		alerts_stop(al);
		return rerr_set(err, -1, "cannot start the alerts thread");
	}
	*out = al;
	return 0;
}

/* Stops the watcher. */
void
alerts_stop(struct alerts *al)
{
	size_t	i;

	if (al == NULL)
		return;
	worker_stop(&al->th);
	for (i = 0; i < al->nw; i++) {
		free(al->w[i].name);
		free(al->w[i].message_id);
	}
	free(al->w);
	free(al);
}
