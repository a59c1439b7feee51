/*
 * transfer: the two sides of a move between nodes (see transfer.h). Per
 * server the module keeps the old node's side ("out") and the new node's
 * ("in"), mirrored in <dataDir>/transfers/<server>.json; the old node's
 * final backup runs on a detached thread of its own, which also rewrites
 * the move note on the target while it works.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "backup.h"
#include "install.h"
#include "thread.h"
#include "transfer.h"

#define TR_RETRY_S	30	/* a failed final backup, tried again */
#define TR_FILE_MAX	(64 * 1024)

/* One side of a move. */
struct tr_side {
	char	*from;
	char	*to;
	char	*at;
	char	*state;		/* out: running sent nothing failed;
				   in: waiting restoring done fresh */
	char	*target;
	char	*id;		/* the final backup */
	char	*message;
	char	*note_time;	/* in: the old node's note, last seen */
	int64_t	 since;		/* in: wall clock when the wait began */
	int64_t	 heard;		/* in: when the note last changed */
	int64_t	 retry;		/* out: a failed attempt again after */
};

struct tr_srv {
	char		*name;
	int		 loaded;
	int		 running;	/* an old-node thread works */
	char		 last;		/* 'i' or 'o': the side shown */
	struct tr_side	 in;
	struct tr_side	 out;
};

struct transfers {
	char			*data_dir;
	char			*node;
	struct backups		*b;
	transfer_change_cb	 on_change;
	void			*cb_arg;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct tr_srv		**v;
	size_t			 n;
	int			 njobs;
};

static int
same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static void
setp(char **dst, const char *src)
{
	char	*c = src != NULL ? xstrdup(src) : NULL;

	free(*dst);
	*dst = c;
}

static void
side_clear(struct tr_side *sd)
{
	free(sd->from);
	free(sd->to);
	free(sd->at);
	free(sd->state);
	free(sd->target);
	free(sd->id);
	free(sd->message);
	free(sd->note_time);
	memset(sd, 0, sizeof(*sd));
}

/* True when side sd is about move m. */
static int
side_is(const struct tr_side *sd, const struct transfer_move *m)
{
	return sd->at != NULL && same(sd->from, m->from) &&
	    same(sd->to, m->to) && same(sd->at, m->at);
}

/* Starts side sd over for move m. */
static void
side_begin(struct tr_side *sd, const struct transfer_move *m,
    const char *state)
{
	side_clear(sd);
	sd->from = xstrdup(m->from);
	sd->to = xstrdup(m->to);
	sd->at = xstrdup(m->at);
	sd->state = xstrdup(state);
}

/* Adds the keys that name a move: from, to and requestedAt. */
static void
tr_add_move(cJSON *o, const char *from, const char *to, const char *at)
{
	json_add_str(o, "from", from);
	json_add_str(o, "to", to);
	json_add_str(o, "requestedAt", at);
}

/* Adds side sd as its status shows it. */
static void
side_add_status(cJSON *o, const struct tr_side *sd)
{
	tr_add_move(o, sd->from, sd->to, sd->at);
	json_add_str(o, "state", sd->state);
	json_add_str(o, "target", sd->target);
	json_add_str(o, "backup", sd->id);
	json_add_str(o, "message", sd->message);
}

static cJSON *
side_json(const struct tr_side *sd)
{
	cJSON	*o = json_new_object();

	side_add_status(o, sd);
	json_add_str(o, "noteTime", sd->note_time);
	json_add_num(o, "since", (double)sd->since);
	json_add_num(o, "heard", (double)sd->heard);
	json_add_num(o, "retry", (double)sd->retry);
	return o;
}

static void
side_from_json(struct tr_side *sd, const cJSON *o)
{
	side_clear(sd);
	if (!cJSON_IsObject(o) || json_str(o, "requestedAt", NULL) == NULL)
		return;
	sd->from = xstrdup(json_str(o, "from", ""));
	sd->to = xstrdup(json_str(o, "to", ""));
	sd->at = xstrdup(json_str(o, "requestedAt", ""));
	sd->state = xstrdup(json_str(o, "state", ""));
	setp(&sd->target, json_str(o, "target", NULL));
	setp(&sd->id, json_str(o, "backup", NULL));
	setp(&sd->message, json_str(o, "message", NULL));
	setp(&sd->note_time, json_str(o, "noteTime", NULL));
	sd->since = (int64_t)json_double(o, "since", 0);
	sd->heard = (int64_t)json_double(o, "heard", 0);
	sd->retry = (int64_t)json_double(o, "retry", 0);
}

/* ---- the state file ---- */

static char *
tr_path(struct transfers *t, const char *server)
{
	char	*p;

	xasprintf(&p, "%s/transfers/%s.json", t->data_dir, server);
	return p;
}

/* Finds (or makes and loads) a server's entry; under t->mtx. */
static struct tr_srv *
tr_get(struct transfers *t, const char *server)
{
	struct tr_srv	*s;
	cJSON		*o;
	char		*path;
	size_t		 i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i]->name, server) == 0)
			return t->v[i];
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(server);
	path = tr_path(t, server);
	if ((o = json_read_file(path, TR_FILE_MAX)) != NULL) {
		side_from_json(&s->in, json_get(o, "in"));
		side_from_json(&s->out, json_get(o, "out"));
		s->last = json_str(o, "last", "o")[0] == 'i' ? 'i' : 'o';
		/* A final backup cut short is taken again. */
		if (same(s->out.state, "running"))
			setp(&s->out.state, "failed");
		cJSON_Delete(o);
	}
	free(path);
	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = s;
	return s;
}

/* Writes a server's state file atomically; under t->mtx. */
static void
tr_save(struct transfers *t, const struct tr_srv *s)
{
	struct rerr	 err;
	cJSON		*o;
	char		*text, *path;

	o = json_new_object();
	cJSON_AddItemToObject(o, "in", side_json(&s->in));
	cJSON_AddItemToObject(o, "out", side_json(&s->out));
	json_add_str(o, "last", s->last == 'i' ? "in" : "out");
	text = json_print_free(o);
	path = tr_path(t, s->name);
	rerr_init(&err);
	if (util_write_atomic(path, text, strlen(text), 0600, &err) != 0)
		log_warnx("server \"%s\": transfer: %s", s->name, err.msg);
	free(path);
	free(text);
}

/* ---- the old node ---- */

/* What a final backup's thread owns. */
struct tr_job {
	struct transfers	*t;
	char			*server;
	char			*from;
	char			*to;
	char			*at;
	char			*revision;
	char			*target;
	int			 have_data;
	char			*volume;
	struct state_backups	 policy;
	uint64_t		 max_bytes;
	int			 done;
};

static void
tr_job_free(struct tr_job *j)
{
	free(j->server);
	free(j->from);
	free(j->to);
	free(j->at);
	free(j->revision);
	free(j->target);
	free(j->volume);
	free(j->policy.target);
	util_strv_free(j->policy.ignore, j->policy.nignore);
	free(j);
}

/* The move note's text: the old node's progress, read by the new one. */
static char *
tr_note_text(const struct tr_job *j, const char *state, const char *id,
    const char *message)
{
	cJSON	*o;
	char	 now[32];

	util_now_rfc3339(now, sizeof(now));
	o = json_new_object();
	tr_add_move(o, j->from, j->to, j->at);
	json_add_str(o, "state", state);
	json_add_str(o, "backup", id);
	json_add_str(o, "message", message);
	json_add_str(o, "time", now);
	return json_print_free(o);
}

static void
tr_note(struct tr_job *j, const char *state, const char *id,
    const char *message)
{
	struct rerr	 err;
	char		*text;

	if (j->target == NULL)
		return;
	text = tr_note_text(j, state, id, message);
	rerr_init(&err);
	if (backup_transfer_note(j->t->b, j->target, j->server, text, NULL,
	    &err) != 0)
		log_warnx("server \"%s\": move note: %s", j->server, err.msg);
	free(text);
}

/* Rewrites the working note every TRANSFER_BEAT_S until the job is done. */
static void *
tr_beat(void *arg)
{
	struct tr_job		*j = arg;
	struct transfers	*t = j->t;
	struct timespec		 ts;

	pthread_mutex_lock(&t->mtx);
	while (!j->done) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += TRANSFER_BEAT_S;
		if (pthread_cond_timedwait(&t->cond, &t->mtx, &ts) == 0 ||
		    j->done)
			continue;
		pthread_mutex_unlock(&t->mtx);
		tr_note(j, "working", NULL, NULL);
		pthread_mutex_lock(&t->mtx);
	}
	pthread_mutex_unlock(&t->mtx);
	return NULL;
}

/* Takes the final backup; returns 0 with *id, or an error with err. */
static int
tr_take(struct tr_job *j, char **id, struct rerr *err)
{
	struct backup_req	 rq;
	pthread_t		 beat;
	cJSON			*tr;
	char			*note;
	int			 rc, beating;

	memset(&rq, 0, sizeof(rq));
	rq.server = j->server;
	rq.volume = j->volume;
	rq.policy = &j->policy;
	rq.backup_at = j->at;
	xasprintf(&note, "move to node %s", j->to);
	rq.note = note;
	rq.revision = j->revision;
	rq.max_bytes = j->max_bytes;
	tr = json_new_object();
	tr_add_move(tr, j->from, j->to, j->at);
	json_add_str(tr, "revision", j->revision);
	beating = pthread_create(&beat, NULL, tr_beat, j) == 0;
	rc = backup_transfer_take(j->t->b, &rq, tr, id, err);
	pthread_mutex_lock(&j->t->mtx);
	j->done = 1;
	pthread_cond_broadcast(&j->t->cond);
	pthread_mutex_unlock(&j->t->mtx);
	if (beating)
		pthread_join(beat, NULL);
	cJSON_Delete(tr);
	free(note);
	return rc;
}

/* The old node's thread: the final backup (or the note that none is). */
static void *
tr_out_run(void *arg)
{
	struct tr_job		*j = arg;
	struct transfers	*t = j->t;
	struct tr_srv		*s;
	struct rerr		 err;
	char			*id = NULL, *msg = NULL;
	const char		*state;
	int			 rc = 0;

	rerr_init(&err);
	if (j->target == NULL) {
		state = "sent";
		xasprintf(&msg, "this node has no backup target for the "
		    "server: its data stays in this node's trash");
	} else if (!j->have_data) {
		state = "nothing";
		xasprintf(&msg, "node %s never had the server's data", j->from);
		tr_note(j, state, NULL, msg);
	} else {
		tr_note(j, "working", NULL, NULL);
		log_info("server \"%s\": moving to node %s: taking the final "
		    "backup", j->server, j->to);
		rc = tr_take(j, &id, &err);
		state = rc == 0 ? "sent" : "failed";
		if (rc != 0)
			xasprintf(&msg, "the final backup failed: %s", err.msg);
		tr_note(j, state, id, msg);
		if (rc == 0)
			log_info("server \"%s\": sent to node %s as backup %s",
			    j->server, j->to, id);
		else
			log_warnx("server \"%s\": moving to node %s: %s",
			    j->server, j->to, msg);
	}
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, j->server);
	if (same(s->out.at, j->at) && same(s->out.to, j->to)) {
		setp(&s->out.state, state);
		setp(&s->out.id, id);
		setp(&s->out.message, msg);
		s->out.retry = rc != 0 ? (int64_t)time(NULL) + TR_RETRY_S : 0;
		tr_save(t, s);
	}
	s->running = 0;
	pthread_mutex_unlock(&t->mtx);
	if (t->on_change != NULL)
		t->on_change(t->cb_arg, j->server);
	thread_job_done(&t->mtx, &t->cond, &t->njobs);
	free(id);
	free(msg);
	tr_job_free(j);
	return NULL;
}

/* Where a move stands on the old node; see transfer.h. */
enum transfer_out
transfer_out_state(struct transfers *t, const struct transfer_move *m,
    int *retry)
{
	struct tr_srv		*s;
	enum transfer_out	 st = TRANSFER_OUT_NONE;

	*retry = 0;
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (side_is(&s->out, m)) {
		if (s->running)
			st = TRANSFER_OUT_RUNNING;
		else if (same(s->out.state, "sent") ||
		    same(s->out.state, "nothing"))
			st = TRANSFER_OUT_SENT;
		else if (same(s->out.state, "failed")) {
			st = TRANSFER_OUT_FAILED;
			*retry = (int64_t)time(NULL) >= s->out.retry;
		}
	}
	pthread_mutex_unlock(&t->mtx);
	return st;
}

/* Starts the old node's side; see transfer.h. */
void
transfer_out_start(struct transfers *t, const struct transfer_move *m,
    const struct backup_req *rq)
{
	struct tr_srv	*s;
	struct tr_job	*j;
	char		*target;
	int		 configured = 0;

	target = t->b != NULL ? backup_target_of(t->b, m->policy,
	    &configured) : NULL;
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (s->running || (side_is(&s->out, m) && (same(s->out.state,
	    "sent") || same(s->out.state, "nothing")))) {
		pthread_mutex_unlock(&t->mtx);
		free(target);
		return;
	}
	side_begin(&s->out, m, "running");
	setp(&s->out.target, configured ? target : NULL);
	s->last = 'o';
	s->running = 1;
	tr_save(t, s);
	j = xcalloc(1, sizeof(*j));
	j->t = t;
	j->server = xstrdup(m->server);
	j->from = xstrdup(m->from);
	j->to = xstrdup(m->to);
	j->at = xstrdup(m->at);
	j->revision = m->revision != NULL ? xstrdup(m->revision) : NULL;
	j->target = configured ? target : NULL;
	if (!configured)
		free(target);
	j->have_data = rq != NULL;
	if (rq != NULL) {
		j->volume = xstrdup(rq->volume);
		j->max_bytes = rq->max_bytes;
		if (m->policy != NULL) {
			j->policy = *m->policy;
			j->policy.target = m->policy->target != NULL ?
			    xstrdup(m->policy->target) : NULL;
			j->policy.ignore = util_strv_dup(m->policy->ignore,
			    m->policy->nignore);
			j->policy.before = j->policy.after = NULL;
			j->policy.nbefore = j->policy.nafter = 0;
		}
	}
	t->njobs++;
	thread_spawn(tr_out_run, j, "transfer");
	pthread_mutex_unlock(&t->mtx);
}

/* ---- the new node ---- */

/* Gives up waiting: the server is installed fresh, the status says why. */
static void
tr_in_fresh(struct transfers *t, struct tr_srv *s, const char *why)
{
	char	*msg;

	xasprintf(&msg, "%s; installed fresh (the server's data stays in node "
	    "%s's trash)", why, s->in.from);
	setp(&s->in.state, "fresh");
	setp(&s->in.message, msg);
	log_warnx("server \"%s\": moved from node %s: %s", s->name, s->in.from,
	    msg);
	free(msg);
	tr_save(t, s);
}

/*
 * Reads the old node's move note: a new time means it is alive; "nothing"
 * means there is nothing to wait for. Returns 1 when it says "nothing".
 */
static int
tr_in_note(struct transfers *t, const struct transfer_move *m,
    const char *target, char **msg, char **time_seen)
{
	struct rerr	 err;
	cJSON		*o;
	char		*text = NULL;
	int		 nothing = 0;

	*msg = *time_seen = NULL;
	rerr_init(&err);
	if (backup_transfer_note(t->b, target, m->server, NULL, &text,
	    &err) != 0)
		return 0;
	if ((o = json_parse_len(text, strlen(text))) != NULL &&
	    same(json_str(o, "from", NULL), m->from) &&
	    same(json_str(o, "to", NULL), m->to) &&
	    same(json_str(o, "requestedAt", NULL), m->at)) {
		nothing = same(json_str(o, "state", NULL), "nothing");
		if (json_str(o, "message", NULL) != NULL)
			*msg = xstrdup(json_str(o, "message", NULL));
		if (json_str(o, "time", NULL) != NULL)
			*time_seen = xstrdup(json_str(o, "time", NULL));
	}
	cJSON_Delete(o);
	free(text);
	return nothing;
}

/* A waiting server: looks for the archive and the old node's note. */
static void
tr_in_wait(struct transfers *t, const struct transfer_move *m,
    const char *target)
{
	struct tr_srv	*s;
	cJSON		*want;
	char		*id, *msg = NULL, *seen = NULL, *why;
	int		 nothing = 0;
	int64_t		 now = (int64_t)time(NULL), last;

	want = json_new_object();
	tr_add_move(want, m->from, m->to, m->at);
	id = backup_transfer_find(t->b, target, m->server, want);
	cJSON_Delete(want);
	if (id == NULL)
		nothing = tr_in_note(t, m, target, &msg, &seen);
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (!side_is(&s->in, m) || !same(s->in.state, "waiting"))
		;
	else if (id != NULL) {
		setp(&s->in.state, "restoring");
		setp(&s->in.id, id);
		setp(&s->in.message, NULL);
		log_info("server \"%s\": restoring backup %s from node %s",
		    m->server, id, m->from);
		tr_save(t, s);
	} else if (nothing)
		tr_in_fresh(t, s, msg != NULL ? msg : "the old node had no "
		    "data");
	else {
		if (seen != NULL && !same(seen, s->in.note_time)) {
			setp(&s->in.note_time, seen);
			setp(&s->in.message, msg);
			s->in.heard = now;
			tr_save(t, s);
		}
		last = s->in.heard > s->in.since ? s->in.heard : s->in.since;
		if (now - last > TRANSFER_WAIT_S) {
			xasprintf(&why, "no word from node %s for %d s",
			    m->from, TRANSFER_WAIT_S);
			tr_in_fresh(t, s, why);
			free(why);
		}
	}
	pthread_mutex_unlock(&t->mtx);
	free(id);
	free(msg);
	free(seen);
}

/* A restoring server: follows backup.c's restore of the final backup. */
static void
tr_in_restoring(struct transfers *t, const struct transfer_move *m,
    const char *rat, const char *reinstall_at)
{
	struct tr_srv	*s;
	struct rerr	 err;
	cJSON		*bk;
	const cJSON	*lr = NULL;
	char		*why;
	int		 ok = -1;

	if ((bk = backup_status_json(t->b, m->server)) != NULL) {
		lr = json_get(bk, "lastRestore");
		if (cJSON_IsObject(lr) && same(json_str(lr, "requestedAt",
		    NULL), rat))
			ok = same(json_str(lr, "result", NULL), "succeeded");
	}
	if (ok == 1) {
		rerr_init(&err);
		if (install_marker_write(t->data_dir, m->server,
		    reinstall_at != NULL ? reinstall_at : "", &err) != 0) {
			log_warnx("server \"%s\": %s", m->server, err.msg);
			ok = -1;
		}
	}
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (ok != -1 && side_is(&s->in, m) && same(s->in.state, "restoring")) {
		if (ok == 1) {
			setp(&s->in.state, "done");
			setp(&s->in.message, NULL);
			log_info("server \"%s\": arrived from node %s (backup "
			    "%s)", m->server, m->from, s->in.id);
			tr_save(t, s);
		} else {
			xasprintf(&why, "restoring backup %s failed: %s (the "
			    "archive stays on target '%s')", s->in.id,
			    json_str(lr, "message", "unknown error"),
			    s->in.target != NULL ? s->in.target : "");
			tr_in_fresh(t, s, why);
			free(why);
		}
	}
	pthread_mutex_unlock(&t->mtx);
	cJSON_Delete(bk);
}

/* The new node's side of a move; see transfer.h. */
enum transfer_in
transfer_in_step(struct transfers *t, const struct transfer_move *m,
    const char *reinstall_at, char **id, char **at)
{
	struct tr_srv	*s;
	char		*target, *state = NULL, *why, *rat;
	int		 configured = 0;
	enum transfer_in res = TRANSFER_IN_NONE;

	*id = *at = NULL;
	if (m->from == NULL || m->at == NULL || t->b == NULL ||
	    strcmp(m->from, t->node) == 0)
		return TRANSFER_IN_NONE;
	target = backup_target_of(t->b, m->policy, &configured);
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (!side_is(&s->in, m)) {
		side_begin(&s->in, m, "waiting");
		s->in.since = (int64_t)time(NULL);
		setp(&s->in.target, target);
		s->last = 'i';
		if (!configured) {
			xasprintf(&why, "no shared backup target: this node "
			    "has no target '%s'", target != NULL ? target :
			    "(none set, and not exactly one)");
			tr_in_fresh(t, s, why);
			free(why);
		} else {
			log_info("server \"%s\": moving here from node %s; "
			    "waiting for its final backup on target '%s'",
			    m->server, m->from, target);
			tr_save(t, s);
		}
	}
	s->last = 'i';
	state = xstrdup(s->in.state);
	pthread_mutex_unlock(&t->mtx);
	xasprintf(&rat, "move:%s:%s", m->from, m->at);
	if (strcmp(state, "waiting") == 0 && configured)
		tr_in_wait(t, m, target);
	else if (strcmp(state, "restoring") == 0)
		tr_in_restoring(t, m, rat, reinstall_at);
	pthread_mutex_lock(&t->mtx);
	s = tr_get(t, m->server);
	if (side_is(&s->in, m) && same(s->in.state, "waiting"))
		res = TRANSFER_IN_WAIT;
	else if (side_is(&s->in, m) && same(s->in.state, "restoring")) {
		res = TRANSFER_IN_RESTORE;
		*id = xstrdup(s->in.id);
		*at = rat;
		rat = NULL;
	}
	pthread_mutex_unlock(&t->mtx);
	free(rat);
	free(state);
	free(target);
	return res;
}

/* ---- status ---- */

/*
 * Locks t->mtx and finds the side of server's transfer that happened
 * last (*in says whether it is the incoming one), or NULL when none was
 * asked for.
 */
static const struct tr_side *
tr_last_lock(struct transfers *t, const char *server, int *in)
{
	const struct tr_side	*sd;
	struct tr_srv		*s = NULL;
	size_t			 i;

	pthread_mutex_lock(&t->mtx);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i]->name, server) == 0)
			s = t->v[i];
	if (s == NULL)
		return NULL;
	*in = s->last == 'i';
	sd = *in ? &s->in : &s->out;
	return sd->at != NULL ? sd : NULL;
}

/* A server's transfer for its status; see transfer.h. */
cJSON *
transfer_status_json(struct transfers *t, const char *server)
{
	const struct tr_side	*sd;
	cJSON			*o = NULL;
	int			 in;

	if ((sd = tr_last_lock(t, server, &in)) != NULL) {
		o = json_new_object();
		json_add_str(o, "direction", in ? "in" : "out");
		side_add_status(o, sd);
	}
	pthread_mutex_unlock(&t->mtx);
	return o;
}

/* The status message while a server transfers; see transfer.h. */
char *
transfer_message(struct transfers *t, const char *server)
{
	const struct tr_side	*sd;
	char			*msg = NULL;
	int			 in;

	if ((sd = tr_last_lock(t, server, &in)) == NULL)
		;
	else if (in && same(sd->state, "restoring"))
		xasprintf(&msg, "restoring backup %s from node %s", sd->id,
		    sd->from);
	else if (in)
		xasprintf(&msg, "waiting for node %s's final backup on target "
		    "'%s'%s%s", sd->from, sd->target != NULL ? sd->target : "",
		    sd->message != NULL ? "; node says: " : "",
		    sd->message != NULL ? sd->message : "");
	else if (same(sd->state, "failed"))
		xasprintf(&msg, "moving to node %s: %s; trying again", sd->to,
		    sd->message != NULL ? sd->message : "failed");
	else if (same(sd->state, "running"))
		xasprintf(&msg, "moving to node %s: taking the final backup",
		    sd->to);
	else
		xasprintf(&msg, "moving to node %s: %s", sd->to,
		    same(sd->state, "sent") && sd->id != NULL ?
		    "sent; removing it here" : "removing it here");
	pthread_mutex_unlock(&t->mtx);
	return msg;
}

/* ---- life cycle ---- */

/* Makes the module; see transfer.h. */
struct transfers *
transfer_new(const struct transfer_conf *conf, struct rerr *err)
{
	struct transfers	*t;
	char			*p;

	t = xcalloc(1, sizeof(*t));
	t->data_dir = xstrdup(conf->data_dir != NULL ? conf->data_dir :
	    "/var/lib/roost");
	t->node = xstrdup(conf->node != NULL ? conf->node : "");
	t->b = conf->backups;
	t->on_change = conf->on_change;
	t->cb_arg = conf->cb_arg;
	pthread_mutex_init(&t->mtx, NULL);
	pthread_cond_init(&t->cond, NULL);
	xasprintf(&p, "%s/transfers", t->data_dir);
	if (util_mkdir_p(p, 0700) == -1) {
		rerr_errno(err, -1, "create \"%s\"", p);
		free(p);
		transfer_free(t);
		return NULL;
	}
	free(p);
	return t;
}

/* Waits for the threads, then frees; see transfer.h. */
void
transfer_free(struct transfers *t)
{
	size_t	i;

	if (t == NULL)
		return;
	thread_jobs_wait(&t->mtx, &t->cond, &t->njobs);
	for (i = 0; i < t->n; i++) {
		side_clear(&t->v[i]->in);
		side_clear(&t->v[i]->out);
		free(t->v[i]->name);
		free(t->v[i]);
	}
	free(t->v);
	free(t->data_dir);
	free(t->node);
	pthread_mutex_destroy(&t->mtx);
	pthread_cond_destroy(&t->cond);
	free(t);
}
