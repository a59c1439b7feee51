/*
 * consoles: the console workers (see consoles.h). A queue of console
 * jobs feeds CONS_WORKERS threads, each of which may wait a few seconds
 * for a node (a command's answer and output, a tail); one ticker thread
 * edits the followed logs messages (at most once a second each, only when
 * new lines came) and posts the audit entries. Messages are rendered by
 * the pure cmd_console_message and cmd_audit_message of commands.h.
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
#include "util.h"
#include "xmalloc.h"

#include "commands.h"
#include "consoles.h"
#include "hub.h"
#include "live.h"
#include "rest.h"

#define CONS_WORKERS	4
#define CONS_TICK_MS	200
#define CONS_TAIL_MS	3000		/* a node's tail */
#define CONS_MAX_AUDITS	1000		/* entries waiting to be posted */

/* A job or an audit entry waiting. */
struct item {
	struct cmd_job	*job;
	char		*node;		/* audit */
	cJSON		*entry;		/* audit */
	struct item	*next;
};

/* Items waiting, oldest first. */
struct fifo {
	struct item	*head, *tail;
};

/* A logs message kept up to date. */
struct follow {
	struct cmd_job	*job;
	int64_t		 until;		/* monotonic ms */
	char		 until_text[32];
	int64_t		 last_edit;
	uint64_t	 last_seq;
	int		 edited;
	struct follow	*next;
};

struct consoles {
	struct consoles_conf	 c;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* jobs */
	pthread_cond_t		 tick_cv;	/* audits, follows, stop */
	struct fifo		 jobs;
	struct fifo		 audits;
	int			 naudits;
	struct follow		*follows;
	int			 nfollows;
	int			 stop;
	pthread_t		 workers[CONS_WORKERS];
	int			 nworkers;
	pthread_t		 ticker;
	int			 ticker_up;
	long			 edits;
	long			 posted;
};

/* Appends it to q. */
static void
fifo_push(struct fifo *q, struct item *it)
{
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

/* Takes the oldest item off q; NULL when q is empty. */
static struct item *
fifo_pop(struct fifo *q)
{
	struct item	*it;

	if ((it = q->head) != NULL && (q->head = it->next) == NULL)
		q->tail = NULL;
	return it;
}

/* Edits the job's deferred response (or its component's message). */
static int
edit_original(struct consoles *cs, const struct cmd_job *job, cJSON *msg)
{
	struct rest_reply	 rep;
	struct rerr		 err;
	char			*path;
	int			 rc;

	xasprintf(&path, "/webhooks/%s/%s/messages/@original",
	    job->application_id, job->token);
	rerr_init(&err);
	if ((rc = rest_call(cs->c.rest, "PATCH", path, msg, &rep, &err)) != 0)
		log_warnx("interaction %s: %s", job->interaction_id, err.msg);
	rest_reply_dispose(&rep);
	free(path);
	cJSON_Delete(msg);
	return rc;
}

/* The texts of lines, for a view (pointers borrowed from lines). */
static const char **
texts(const struct bhub_line *lines, size_t n)
{
	const char	**t = xcalloc(n + 1, sizeof(*t));
	size_t		  i;

	for (i = 0; i < n; i++)
		t[i] = lines[i].text;
	return t;
}

/* Sends and edits a message that says why nothing could be shown. */
static void
edit_error(struct consoles *cs, const struct cmd_job *job, const char *why)
{
	struct cmd_console_view	v;

	memset(&v, 0, sizeof(v));
	v.error = why;
	edit_original(cs, job, cmd_console_message(job, &v));
}

/*
 * /server console: follow the console, send the line, collect what
 * follows it until CONS_QUIET_MS pass without a line (or CONS_COLLECT_MS
 * in all), stop following, edit the response.
 */
static void
run_command(struct consoles *cs, struct cmd_job *job)
{
	struct cmd_console_view	 v;
	struct bhub_cmd_result	 res;
	struct bhub_line	*lines = NULL;
	struct rerr		 err;
	char			 user[64];
	const char		**t;
	uint64_t		 next, seen;
	int64_t			 start, last;
	ssize_t			 n = 0;

	rerr_init(&err);
	if (bhub_console_follow(cs->c.hub, job->node, job->server, 0,
	    &err) != 0) {
		edit_error(cs, job, err.msg);
		return;
	}
	snprintf(user, sizeof(user), "discord:%s", job->user_id);
	if (bhub_command(cs->c.hub, job->node, job->server, user, job->line,
	    CONS_ANSWER_MS, &res, &err) != 0) {
		bhub_console_unfollow(cs->c.hub, job->server);
		log_info("/server console %s by %s: %s", job->server,
		    job->user_id, err.msg);
		edit_error(cs, job, err.msg);
		return;
	}
	log_info("/server console %s by %s: sent", job->server, job->user_id);
	start = last = live_now_ms();
	seen = res.seq;
	for (;;) {
		int64_t	now = live_now_ms(), wait;

		wait = start + CONS_COLLECT_MS - now;
		if (seen > res.seq && last + CONS_QUIET_MS - now < wait)
			wait = last + CONS_QUIET_MS - now;
		if (wait <= 0)
			break;
		if (bhub_console_wait(cs->c.hub, job->server, seen, (unsigned
		    long)-1, (long)wait)) {
			bhub_lines_free(lines, (size_t)(n > 0 ? n : 0));
			n = bhub_console_read(cs->c.hub, job->server, res.seq,
			    0, &lines, &next, NULL);
			seen = next;
			last = live_now_ms();
		}
	}
	if (n <= 0) {
		bhub_lines_free(lines, 0);
		lines = NULL;
		n = 0;
	}
	bhub_console_unfollow(cs->c.hub, job->server);
	memset(&v, 0, sizeof(v));
	t = texts(lines, (size_t)n);
	v.lines = t;
	v.nlines = (size_t)n;
	edit_original(cs, job, cmd_console_message(job, &v));
	free(t);
	bhub_lines_free(lines, (size_t)n);
}

/*
 * Follows job's console with a tail of its nlines and waits for the
 * tail. Returns 0, or -1 with why filled (nothing followed then).
 */
static int
follow_tail(struct consoles *cs, struct cmd_job *job, char *why, size_t len)
{
	struct bhub_line	*v;
	struct rerr		 err;
	unsigned long		 tails = 0;
	ssize_t			 n;

	n = bhub_console_read(cs->c.hub, job->server, 0, 1, &v, NULL, &tails);
	if (n > 0)
		bhub_lines_free(v, (size_t)n);
	rerr_init(&err);
	if (bhub_console_follow(cs->c.hub, job->node, job->server,
	    (unsigned int)job->nlines, &err) != 0) {
		snprintf(why, len, "%s", err.msg);
		return -1;
	}
	if (!bhub_console_wait(cs->c.hub, job->server, UINT64_MAX, tails,
	    CONS_TAIL_MS)) {
		bhub_console_unfollow(cs->c.hub, job->server);
		snprintf(why, len, "node %s did not send the console within "
		    "%d s", job->node, CONS_TAIL_MS / 1000);
		return -1;
	}
	return 0;
}

/* Renders and sends a logs message from the kept lines. */
static int
edit_logs(struct consoles *cs, struct cmd_job *job, int following,
    int ended, const char *until, uint64_t *last_seq)
{
	struct cmd_console_view	 v;
	struct bhub_line	*lines;
	const char		**t;
	uint64_t		 next = 0;
	ssize_t			 n;
	int			 rc;

	n = bhub_console_read(cs->c.hub, job->server, 0, (size_t)job->nlines,
	    &lines, &next, NULL);
	if (n < 0)
		n = 0;
	t = texts(lines, (size_t)n);
	memset(&v, 0, sizeof(v));
	v.lines = t;
	v.nlines = (size_t)n;
	v.following = following;
	v.ended = ended;
	v.until = until;
	rc = edit_original(cs, job, cmd_console_message(job, &v));
	free(t);
	bhub_lines_free(lines, (size_t)n);
	if (last_seq != NULL)
		*last_seq = next;
	return rc;
}

/* /server logs: the tail, once. */
static void
run_logs(struct consoles *cs, struct cmd_job *job)
{
	char	why[600];

	if (follow_tail(cs, job, why, sizeof(why)) != 0) {
		edit_error(cs, job, why);
		return;
	}
	edit_logs(cs, job, 0, 0, NULL, NULL);
	bhub_console_unfollow(cs->c.hub, job->server);
}

/*
 * Run now: the node starts the schedule (and audits it, which comes back
 * as an audit entry for the audit channel) or says why not.
 */
static void
run_schedule(struct consoles *cs, struct cmd_job *job)
{
	struct bhub_cmd_result	 res;
	struct rerr		 err;
	char			 user[64];
	int			 rc;

	rerr_init(&err);
	snprintf(user, sizeof(user), "discord:%s", job->user_id);
	rc = bhub_schedule_run(cs->c.hub, job->node, job->server, user,
	    job->schedule, CONS_ANSWER_MS, &res, &err);
	log_info("run schedule %s of %s by %s: %s", job->schedule, job->server,
	    job->user_id, rc == 0 ? "started" : err.msg);
	edit_original(cs, job, cmd_schedule_run_message(job, res.code,
	    rc == 0 ? NULL : err.msg));
}

/* Follow: the logs message goes on the ticker's list. */
static void
run_follow(struct consoles *cs, struct cmd_job *job)
{
	struct follow	*f, **pp, *old = NULL;
	struct tm	 tm;
	time_t		 t;
	int64_t		 now = live_now_ms(), span, tok;
	char		 why[600];

	if (follow_tail(cs, job, why, sizeof(why)) != 0) {
		edit_error(cs, job, why);
		cmd_job_free(job);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->job = job;
	span = (int64_t)cs->c.follow_min * 60 * 1000;
	tok = job->received_ms + LIVE_TOKEN_MS - now;
	if (tok < span)
		span = tok > 0 ? tok : 0;
	f->until = now + span;
	t = time(NULL) + (time_t)(span / 1000);
	gmtime_r(&t, &tm);
	strftime(f->until_text, sizeof(f->until_text), "%H:%M UTC", &tm);
	pthread_mutex_lock(&cs->mu);
	/* the same message followed again replaces the old follow */
	for (pp = &cs->follows; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->job->message_id != NULL && job->message_id != NULL &&
		    strcmp((*pp)->job->message_id, job->message_id) == 0) {
			old = *pp;
			*pp = old->next;
			cs->nfollows--;
			break;
		}
	if (old == NULL && cs->nfollows >= CONS_MAX_FOLLOWS) {
		/* the oldest ends early: its time is given up */
		old = cs->follows;
		cs->follows = old->next;
		cs->nfollows--;
	}
	f->next = cs->follows;
	cs->follows = f;
	cs->nfollows++;
	pthread_cond_signal(&cs->tick_cv);
	pthread_mutex_unlock(&cs->mu);
	if (old != NULL) {
		bhub_console_unfollow(cs->c.hub, old->job->server);
		cmd_job_free(old->job);
		free(old);
	}
}

static void *
worker(void *arg)
{
	struct consoles	*cs = arg;
	struct item	*it;
	struct cmd_job	*job;

	pthread_mutex_lock(&cs->mu);
	for (;;) {
		while (cs->jobs.head == NULL && !cs->stop)
			pthread_cond_wait(&cs->cv, &cs->mu);
		if (cs->stop)
			break;
		it = fifo_pop(&cs->jobs);
		pthread_mutex_unlock(&cs->mu);
		job = it->job;
		free(it);
		if (job->kind == JOB_CONSOLE)
			run_command(cs, job);
		else if (job->kind == JOB_LOGS)
			run_logs(cs, job);
		else if (job->kind == JOB_SCHEDULE_RUN)
			run_schedule(cs, job);
		if (job->kind == JOB_FOLLOW)
			run_follow(cs, job);	/* takes the job */
		else
			cmd_job_free(job);
		pthread_mutex_lock(&cs->mu);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

/* Posts one audit entry to the audit channel. */
static void
post_audit(struct consoles *cs, struct item *it)
{
	struct rerr	 err;
	cJSON		*msg;
	char		*id = NULL;

	msg = cmd_audit_message(it->node, it->entry);
	rerr_init(&err);
	if (rest_channel_message(cs->c.rest, cs->c.audit_channel, &id, msg,
	    &err) != 0)
		log_warnx("audit channel: %s", err.msg);
	else {
		pthread_mutex_lock(&cs->mu);
		cs->posted++;
		pthread_mutex_unlock(&cs->mu);
	}
	free(id);
	cJSON_Delete(msg);
}

/*
 * One pass over the follows: each one due (new lines and a second since
 * its last edit, or its first edit, or its end) is taken off the list,
 * edited without the lock, and put back unless it ended. Locked.
 */
static void
tick_follows_locked(struct consoles *cs)
{
	struct follow	*f, **pp;
	struct bhub_line *v;
	uint64_t	 next;
	int64_t		 now = live_now_ms();
	ssize_t		 n;
	int		 end, rc;

	for (pp = &cs->follows; (f = *pp) != NULL; ) {
		end = now >= f->until;
		if (!end && f->edited && now - f->last_edit < LIVE_EDIT_MS) {
			pp = &f->next;
			continue;
		}
		if (!end && f->edited) {
			n = bhub_console_read(cs->c.hub, f->job->server,
			    f->last_seq, 1, &v, &next, NULL);
			if (n > 0)
				bhub_lines_free(v, (size_t)n);
			if (n <= 0 && next == f->last_seq) {
				pp = &f->next;
				continue;
			}
		}
		*pp = f->next;
		cs->nfollows--;
		pthread_mutex_unlock(&cs->mu);
		rc = edit_logs(cs, f->job, !end, end, f->until_text,
		    &f->last_seq);
		f->last_edit = live_now_ms();
		f->edited = 1;
		pthread_mutex_lock(&cs->mu);
		cs->edits++;
		if (end || rc != 0 || cs->stop) {
			pthread_mutex_unlock(&cs->mu);
			log_info("/server logs %s: follow ended%s",
			    f->job->server, rc != 0 ? " (the message cannot be "
			    "edited)" : "");
			bhub_console_unfollow(cs->c.hub, f->job->server);
			cmd_job_free(f->job);
			free(f);
			pthread_mutex_lock(&cs->mu);
		} else {
			f->next = cs->follows;
			cs->follows = f;
			cs->nfollows++;
		}
		/* the list may have changed meanwhile: start over */
		pp = &cs->follows;
		now = live_now_ms();
		if (cs->stop)
			break;
	}
}

static void *
ticker(void *arg)
{
	struct consoles	*cs = arg;
	struct item	*it;
	struct timespec	 ts;

	pthread_mutex_lock(&cs->mu);
	while (!cs->stop) {
		while ((it = fifo_pop(&cs->audits)) != NULL) {
			cs->naudits--;
			pthread_mutex_unlock(&cs->mu);
			post_audit(cs, it);
			free(it->node);
			cJSON_Delete(it->entry);
			free(it);
			pthread_mutex_lock(&cs->mu);
		}
		tick_follows_locked(cs);
		util_deadline(&ts, CLOCK_REALTIME, CONS_TICK_MS);
		if (!cs->stop && cs->audits.head == NULL)
			pthread_cond_timedwait(&cs->tick_cv, &cs->mu, &ts);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

/* Starts the workers. */
int
consoles_start(struct consoles **out, const struct consoles_conf *conf,
    struct rerr *err)
{
	struct consoles	*cs = xcalloc(1, sizeof(*cs));
	int		 i;

	*out = NULL;
	cs->c = *conf;
	cs->c.audit_channel = conf->audit_channel != NULL ?
	    xstrdup(conf->audit_channel) : NULL;
	if (cs->c.follow_min <= 0)
		cs->c.follow_min = 60;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_cond_init(&cs->cv, NULL);
	pthread_cond_init(&cs->tick_cv, NULL);
	for (i = 0; i < CONS_WORKERS; i++) {
		if (pthread_create(&cs->workers[i], NULL, worker, cs) != 0) {
			rerr_set(err, -1, "cannot start the console workers");
			consoles_stop(cs);
			return -1;
		}
		cs->nworkers++;
	}
	if (pthread_create(&cs->ticker, NULL, ticker, cs) != 0) {
		rerr_set(err, -1, "cannot start the console ticker");
		consoles_stop(cs);
		return -1;
	}
	cs->ticker_up = 1;
	*out = cs;
	return 0;
}

/* Stops the workers. */
void
consoles_stop(struct consoles *cs)
{
	struct follow	*f;
	struct item	*it;
	int		 i;

	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->stop = 1;
	pthread_cond_broadcast(&cs->cv);
	pthread_cond_broadcast(&cs->tick_cv);
	pthread_mutex_unlock(&cs->mu);
	for (i = 0; i < cs->nworkers; i++)
		pthread_join(cs->workers[i], NULL);
	if (cs->ticker_up)
		pthread_join(cs->ticker, NULL);
	while ((f = cs->follows) != NULL) {
		cs->follows = f->next;
		bhub_console_unfollow(cs->c.hub, f->job->server);
		cmd_job_free(f->job);
		free(f);
	}
	while ((it = fifo_pop(&cs->jobs)) != NULL) {
		cmd_job_free(it->job);
		free(it);
	}
	while ((it = fifo_pop(&cs->audits)) != NULL) {
		free(it->node);
		cJSON_Delete(it->entry);
		free(it);
	}
	free((char *)cs->c.audit_channel);
	pthread_cond_destroy(&cs->tick_cv);
	pthread_cond_destroy(&cs->cv);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

/* Queues a console job. */
void
consoles_submit(struct consoles *cs, struct cmd_job *job)
{
	struct item	*it = xcalloc(1, sizeof(*it));

	it->job = job;
	pthread_mutex_lock(&cs->mu);
	fifo_push(&cs->jobs, it);
	pthread_cond_signal(&cs->cv);
	pthread_mutex_unlock(&cs->mu);
}

/* Queues an audit entry for the audit channel. */
void
consoles_audit(struct consoles *cs, const char *node, const cJSON *entry)
{
	struct item	*it;

	if (cs == NULL || cs->c.audit_channel == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	if (cs->naudits >= CONS_MAX_AUDITS) {
		pthread_mutex_unlock(&cs->mu);
		log_warnx("audit channel: %d entries wait already; one of "
		    "node %s is only in its audit.log", CONS_MAX_AUDITS, node);
		return;
	}
	it = xcalloc(1, sizeof(*it));
	it->node = xstrdup(node);
	it->entry = cJSON_Duplicate(entry, 1);
	fifo_push(&cs->audits, it);
	cs->naudits++;
	pthread_cond_signal(&cs->tick_cv);
	pthread_mutex_unlock(&cs->mu);
}

/* Counts. */
void
consoles_get_stats(struct consoles *cs, struct consoles_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	out->follows = cs->nfollows;
	out->edits = cs->edits;
	out->audits = cs->posted;
	pthread_mutex_unlock(&cs->mu);
}
