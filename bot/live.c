/*
 * live: followed jobs and live status views (see live.h). Every message
 * followed is one entry in a list under a mutex; the hub's listener marks
 * the entries of a server dirty, and a few sender threads pick the entry
 * that is due (dirty and past its throttle, or at a deadline), render it
 * from the hub's latest report with the pure renderers of commands.c, and
 * send the edit. An entry being sent is busy: only its sender touches it
 * then, so no two edits of one message are ever in flight.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "commands.h"
#include "hub.h"
#include "live.h"
#include "rest.h"

#define LIVE_THREADS	2
#define LIVE_RETRY_MS	5000		/* after an edit that failed */
#define LIVE_LINES	32
#define LIVE_USAGE_MS	20000		/* running: wait for a usage sample */

enum ent_kind {
	ENT_JOB,
	ENT_VIEW
};

/* What a send asks the sender thread to do with its entry. */
enum ent_next {
	NEXT_KEEP,
	NEXT_RETRY,
	NEXT_DONE,
	NEXT_VIEW
};

struct ent {
	enum ent_kind		 kind;
	char			*server;
	char			*app;
	char			*token;
	char			*channel;
	char			*message_id;	/* the message, once known */
	int			 in_channel;	/* edited with the bot token */
	int64_t			 received;	/* the token's start */
	int64_t			 until;		/* the follow ends */
	int64_t			 last_sent;
	int64_t			 usage_wait;	/* running, no sample: until */
	int			 dirty;
	int			 busy;
	int			 done;
	char			*last;		/* the body sent last */
	struct cmd_job		*job;		/* ENT_JOB */
	struct cmd_result	 res;
	struct ent		*next;
};

struct live {
	struct live_conf	 c;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct ent		*head;		/* oldest first */
	int			 stop;
	pthread_t		 threads[LIVE_THREADS];
	int			 nthreads;
};

/* Monotonic milliseconds, with their fraction. */
double
live_now_msf(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Monotonic milliseconds. */
int64_t
live_now_ms(void)
{
	return (int64_t)live_now_msf();
}

static void
ent_free(struct ent *e)
{
	free(e->server);
	free(e->app);
	free(e->token);
	free(e->channel);
	free(e->message_id);
	free(e->last);
	cmd_job_free(e->job);
	cmd_result_dispose(&e->res);
	free(e);
}

static struct ent *
ent_new(enum ent_kind kind, const char *server, const char *app,
    const char *token, const char *channel, const char *message_id)
{
	struct ent	*e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->server = xstrdup(server);
	e->app = xstrdup(app);
	e->token = xstrdup(token);
	e->channel = xstrdup(channel);
	e->message_id = message_id != NULL && *message_id != '\0' ?
	    xstrdup(message_id) : NULL;
	return e;
}

static int
count_locked(struct live *lv, enum ent_kind kind)
{
	struct ent	*e;
	int		 n = 0;

	for (e = lv->head; e != NULL; e = e->next)
		if (!e->done && e->kind == kind)
			n++;
	return n;
}

/* Ends the oldest entry of kind. Locked. */
static void
drop_oldest_locked(struct live *lv, enum ent_kind kind)
{
	struct ent	*e;

	for (e = lv->head; e != NULL; e = e->next)
		if (!e->done && e->kind == kind) {
			e->done = 1;
			return;
		}
}

/* Ends the views of message id (another entry edits it now). Locked. */
static void
drop_message_locked(struct live *lv, const char *id)
{
	struct ent	*e;

	if (id == NULL)
		return;
	for (e = lv->head; e != NULL; e = e->next)
		if (!e->done && e->kind == ENT_VIEW && e->message_id != NULL &&
		    strcmp(e->message_id, id) == 0)
			e->done = 1;
}

/*
 * Adds e, which takes over its message from any view of it, keeping at
 * most max live entries of its kind (the oldest end first).
 */
static void
add_entry(struct live *lv, struct ent *e, int max)
{
	struct ent	**pp;

	pthread_mutex_lock(&lv->mu);
	drop_message_locked(lv, e->message_id);
	while (count_locked(lv, e->kind) >= max)
		drop_oldest_locked(lv, e->kind);
	for (pp = &lv->head; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = e;
	pthread_cond_broadcast(&lv->cv);
	pthread_mutex_unlock(&lv->mu);
}

/* Follows a job's server. */
void
live_follow(struct live *lv, struct cmd_job *job, struct cmd_result *res)
{
	struct ent	*e;

	e = ent_new(ENT_JOB, job->server, job->application_id, job->token,
	    job->channel_id, job->on_message ? job->message_id : NULL);
	e->received = job->received_ms != 0 ? job->received_ms :
	    live_now_ms();
	e->until = e->received + LIVE_TOKEN_MS;
	e->dirty = 1;
	e->job = job;
	e->res = *res;
	memset(res, 0, sizeof(*res));
	add_entry(lv, e, LIVE_MAX_JOBS);
}

/* Keeps a status view live. */
void
live_view(struct live *lv, const char *app, const char *token,
    const char *channel, const char *message_id, const char *server,
    int64_t received_ms)
{
	struct ent	*e;

	e = ent_new(ENT_VIEW, server, app, token, channel, message_id);
	e->received = received_ms != 0 ? received_ms : live_now_ms();
	e->until = e->received + (int64_t)lv->c.follow_min * 60 * 1000;
	/* the first response showed the view just now */
	e->last_sent = live_now_ms();
	add_entry(lv, e, LIVE_MAX_VIEWS);
}

/* Marks the entries of server dirty. */
void
live_changed(struct live *lv, const char *server)
{
	struct ent	*e;
	int		 any = 0;

	if (lv == NULL)
		return;
	pthread_mutex_lock(&lv->mu);
	for (e = lv->head; e != NULL; e = e->next)
		if (!e->done && (server == NULL ||
		    strcmp(e->server, server) == 0)) {
			e->dirty = 1;
			any = 1;
		}
	if (any)
		pthread_cond_broadcast(&lv->cv);
	pthread_mutex_unlock(&lv->mu);
}

/* ---------------------------------------------------------- sending */

/* Renders e from the hub's latest report. Not locked. */
static cJSON *
render(struct live *lv, struct ent *e, int timed_out, int *settled,
    int *no_usage)
{
	struct cmd_progress	 lines[LIVE_LINES];
	struct cmd_follow	 f;
	struct cmd_env		 env;
	cJSON			*st, *prog, *it, *ns, *msg;
	void			*ref;
	size_t			 n = 0;

	ref = lv->c.src.env_get(lv->c.src.arg, &env);
	st = bhub_server_status(lv->c.src.hub, e->server);
	prog = bhub_server_progress(lv->c.src.hub, e->server);
	cJSON_ArrayForEach(it, prog)
		if (n < LIVE_LINES) {
			lines[n].kind = json_str(it, "kind", "");
			lines[n].text = json_str(it, "text", "");
			n++;
		}
	*settled = *no_usage = 0;
	if (e->kind == ENT_JOB) {
		ns = e->res.node != NULL ? bhub_node_status(lv->c.src.hub,
		    e->res.node) : NULL;
		memset(&f, 0, sizeof(f));
		f.job = e->job;
		f.res = &e->res;
		f.status = st;
		f.lines = lines;
		f.nlines = n;
		f.connected = ns != NULL;
		f.timed_out = timed_out;
		msg = cmd_follow_message(&env, &f);
		*settled = cmd_job_settled(e->job, &e->res, st);
		*no_usage = strcmp(json_str(st, "phase", ""), "Running") == 0 &&
		    json_str(st, "usage.sampledAt", NULL) == NULL;
		cJSON_Delete(ns);
	} else {
		msg = cmd_status_view(&env, e->server, st, lines, n);
		/* an edit keeps what it does not name: clear a job's note */
		if (!cJSON_HasObjectItem(msg, "content"))
			json_add_str(msg, "content", "");
	}
	lv->c.src.env_put(lv->c.src.arg, ref);
	cJSON_Delete(prog);
	cJSON_Delete(st);
	return msg;
}

/* Discord's answers for an interaction token that is no longer valid. */
static int
token_dead(const struct rest_reply *rep)
{
	return rep->status == 401 || rep->code == 50027 ||
	    rep->code == 10015;
}

static void
set_message_id(struct live *lv, struct ent *e, const cJSON *msg)
{
	const char	*id = json_str(msg, "id", NULL);

	if (id == NULL || (e->message_id != NULL &&
	    strcmp(e->message_id, id) == 0))
		return;
	pthread_mutex_lock(&lv->mu);
	free(e->message_id);
	e->message_id = xstrdup(id);
	pthread_mutex_unlock(&lv->mu);
}

/* Keeps *text (taken) as what e shows now. */
static void
sent(struct ent *e, char **text)
{
	free(e->last);
	e->last = *text;
	*text = NULL;
}

/* PATCHes the interaction's original message. */
static int
edit_original(struct live *lv, struct ent *e, const cJSON *body,
    struct rest_reply *rep, struct rerr *err)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "/webhooks/%s/%s/messages/@original", e->app,
	    e->token);
	rc = rest_call(lv->c.src.rest, "PATCH", path, body, rep, err);
	free(path);
	return rc;
}

/* Posts the view as a channel message and edits that from now on. */
static enum ent_next
move_to_channel(struct live *lv, struct ent *e, cJSON *msg, char **text,
    int planned)
{
	struct rest_reply	 rep;
	struct rerr		 err;
	cJSON			*note;
	char			*path;
	int			 rc;

	if (planned) {
		/* the old message says where the view went */
		note = json_new_object();
		json_add_str(note, "content", "This status view goes on in "
		    "a new message in this channel.");
		json_add_array(note, "embeds");
		json_add_array(note, "components");
		rerr_init(&err);
		if (edit_original(lv, e, note, &rep, &err) != 0)
			log_info("live: %s", err.msg);
		rest_reply_dispose(&rep);
		cJSON_Delete(note);
	}
	cJSON_DeleteItemFromObject(msg, "flags");
	xasprintf(&path, "/channels/%s/messages", e->channel);
	rerr_init(&err);
	rc = rest_call(lv->c.src.rest, "POST", path, msg, &rep, &err);
	free(path);
	if (rc != 0 || json_str(rep.json, "id", NULL) == NULL) {
		log_warnx("live: cannot post the status view of %s in channel "
		    "%s: %s", e->server, e->channel, err.msg);
		rest_reply_dispose(&rep);
		return NEXT_DONE;
	}
	set_message_id(lv, e, rep.json);
	rest_reply_dispose(&rep);
	e->in_channel = 1;
	sent(e, text);
	log_info("live: the status view of %s goes on as message %s in "
	    "channel %s", e->server, e->message_id, e->channel);
	return NEXT_KEEP;
}

/*
 * Edits a followed job's message to msg (printed as *text) when that
 * changed, and says what comes next. Not locked.
 */
static enum ent_next
send_job(struct live *lv, struct ent *e, int64_t now, cJSON *msg,
    char **text, int settled, int no_usage)
{
	struct rest_reply	 rep;
	struct rerr		 err;
	enum ent_next		 next = NEXT_KEEP;
	int			 timed_out = now >= e->until;

	if (settled && no_usage && !timed_out) {
		/* running: give the node a moment to report the usage */
		if (e->usage_wait == 0)
			e->usage_wait = now + LIVE_USAGE_MS;
		if (now < e->usage_wait)
			settled = 0;
	}
	if (e->last == NULL || strcmp(e->last, *text) != 0) {
		rerr_init(&err);
		if (edit_original(lv, e, msg, &rep, &err) == 0) {
			set_message_id(lv, e, rep.json);
			sent(e, text);
		} else {
			log_warnx("live: %s %s: %s", e->job->what, e->server,
			    err.msg);
			if (token_dead(&rep) || rep.status == 404)
				next = NEXT_DONE;
			else
				next = NEXT_RETRY;
		}
		rest_reply_dispose(&rep);
	}
	if (next == NEXT_RETRY && !timed_out)
		return next;		/* the last state is sent again */
	if (next == NEXT_DONE || settled || timed_out) {
		if (next != NEXT_DONE && settled && e->job->on_message)
			next = NEXT_VIEW;
		else
			next = NEXT_DONE;
		log_info("live: %s %s: %s", e->job->what, e->server, settled ?
		    "settled" : timed_out ? "no longer followed (token "
		    "expires)" : "no longer followed");
	}
	return next;
}

/*
 * Edits a status view to msg (printed as *text) when that changed, or
 * moves it to a channel message before its token expires; says what
 * comes next. Not locked.
 */
static enum ent_next
send_view(struct live *lv, struct ent *e, int64_t now, cJSON *msg,
    char **text)
{
	struct rest_reply	 rep;
	struct rerr		 err;
	enum ent_next		 next = NEXT_KEEP;
	char			*path;
	int			 rc;

	if (!e->in_channel && now >= e->received + LIVE_TOKEN_MS)
		return move_to_channel(lv, e, msg, text, 1);
	if (e->last != NULL && strcmp(e->last, *text) == 0)
		return next;
	rerr_init(&err);
	if (e->in_channel) {
		xasprintf(&path, "/channels/%s/messages/%s", e->channel,
		    e->message_id);
		rc = rest_call(lv->c.src.rest, "PATCH", path, msg, &rep, &err);
		free(path);
	} else
		rc = edit_original(lv, e, msg, &rep, &err);
	if (rc == 0) {
		if (!e->in_channel)
			set_message_id(lv, e, rep.json);
		sent(e, text);
	} else if (!e->in_channel && token_dead(&rep)) {
		log_info("live: the token of the status view of %s is no "
		    "longer valid (HTTP %ld, code %d)", e->server, rep.status,
		    rep.code);
		next = move_to_channel(lv, e, msg, text, 0);
	} else if (rep.status == 404 || rep.status == 403) {
		log_info("live: the status view of %s is gone: %s", e->server,
		    err.msg);
		next = NEXT_DONE;
	} else {
		log_warnx("live: status view of %s: %s", e->server, err.msg);
		next = NEXT_RETRY;
	}
	rest_reply_dispose(&rep);
	return next;
}

/* Renders e from the hub's latest report and sends it. Not locked. */
static enum ent_next
send_ent(struct live *lv, struct ent *e, int64_t now)
{
	enum ent_next	 next;
	cJSON		*msg;
	char		*text;
	int		 settled, no_usage;

	msg = render(lv, e, e->kind == ENT_JOB && now >= e->until, &settled,
	    &no_usage);
	text = json_print(msg);
	if (e->kind == ENT_JOB)
		next = send_job(lv, e, now, msg, &text, settled, no_usage);
	else
		next = send_view(lv, e, now, msg, &text);
	free(text);
	cJSON_Delete(msg);
	return next;
}

/* When e wants to be sent next (ms). Locked. */
static int64_t
due_at(const struct ent *e, int64_t now)
{
	int64_t	t = INT64_MAX, move;

	if (e->kind == ENT_JOB) {
		if (now >= e->until || e->dirty || (e->usage_wait != 0 &&
		    now >= e->usage_wait))
			return e->last_sent + LIVE_EDIT_MS;
		if (e->usage_wait != 0 && e->usage_wait < e->until)
			return e->usage_wait;
		return e->until;
	}
	move = e->in_channel ? INT64_MAX : e->received + LIVE_TOKEN_MS;
	if (move <= now && move < e->until)
		return now;
	if (e->dirty)
		t = e->last_sent + LIVE_EDIT_MS;
	if (move < t && move < e->until)
		t = move;
	return t < e->until ? t : e->until;
}

static void *
live_thread(void *arg)
{
	struct live	 *lv = arg;
	struct ent	 *e, *x, **pp;
	struct timespec	  ts;
	enum ent_next	  next;
	int64_t		  now, wake, t;

	pthread_mutex_lock(&lv->mu);
	while (!lv->stop) {
		now = live_now_ms();
		wake = now + 1000;
		e = NULL;
		for (pp = &lv->head; (x = *pp) != NULL; ) {
			if (!x->busy && !x->done && x->kind == ENT_VIEW &&
			    now >= x->until)
				x->done = 1;
			if (x->done && !x->busy) {
				*pp = x->next;
				ent_free(x);
				continue;
			}
			pp = &x->next;
			if (x->busy || x->done)
				continue;
			t = due_at(x, now);
			if (t <= now && e == NULL)
				e = x;
			else if (t < wake)
				wake = t;
		}
		if (e == NULL) {
			ts.tv_sec = wake / 1000;
			ts.tv_nsec = (wake % 1000) * 1000000;
			pthread_cond_timedwait(&lv->cv, &lv->mu, &ts);
			continue;
		}
		e->busy = 1;
		e->dirty = 0;
		pthread_mutex_unlock(&lv->mu);
		next = send_ent(lv, e, now);
		pthread_mutex_lock(&lv->mu);
		e->busy = 0;
		e->last_sent = now;
		switch (next) {
		case NEXT_KEEP:
			break;
		case NEXT_RETRY:
			e->dirty = 1;
			e->last_sent = now + LIVE_RETRY_MS - LIVE_EDIT_MS;
			break;
		case NEXT_DONE:
			e->done = 1;
			break;
		case NEXT_VIEW:
			/* a status view again, with the job's token */
			e->kind = ENT_VIEW;
			e->until = e->received + (int64_t)lv->c.follow_min *
			    60 * 1000;
			cmd_job_free(e->job);
			e->job = NULL;
			cmd_result_dispose(&e->res);
			break;
		}
	}
	pthread_mutex_unlock(&lv->mu);
	return NULL;
}

/* Starts the senders. */
int
live_start(struct live **out, const struct live_conf *conf, struct rerr *err)
{
	struct live		*lv;
	pthread_condattr_t	 ca;
	int			 i;

	*out = NULL;
	lv = xcalloc(1, sizeof(*lv));
	lv->c = *conf;
	pthread_mutex_init(&lv->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lv->cv, &ca);
	pthread_condattr_destroy(&ca);
	for (i = 0; i < LIVE_THREADS; i++)
		if (pthread_create(&lv->threads[lv->nthreads], NULL,
		    live_thread, lv) == 0)
			lv->nthreads++;
	if (lv->nthreads == 0) {
		pthread_cond_destroy(&lv->cv);
		pthread_mutex_destroy(&lv->mu);
		free(lv);
		return rerr_set(err, -1, "live: cannot start a thread");
	}
	*out = lv;
	return 0;
}

/* Stops the senders. */
void
live_stop(struct live *lv)
{
	struct ent	*e, *next;
	int		 i;

	if (lv == NULL)
		return;
	pthread_mutex_lock(&lv->mu);
	lv->stop = 1;
	pthread_cond_broadcast(&lv->cv);
	pthread_mutex_unlock(&lv->mu);
	for (i = 0; i < lv->nthreads; i++)
		pthread_join(lv->threads[i], NULL);
	for (e = lv->head; e != NULL; e = next) {
		next = e->next;
		ent_free(e);
	}
	pthread_cond_destroy(&lv->cv);
	pthread_mutex_destroy(&lv->mu);
	free(lv);
}
