/*
 * bot: roost-bot's process. The gateway thread hands each interaction to a
 * pool of acknowledgement threads, which answer within milliseconds (the
 * handler's first response: a reply, a modal, or a deferral); anything
 * that touches git goes on to a pool of worker threads, each with its own
 * panel, which commit, refresh the state snapshot, ask the node hub to
 * make the affected node fetch, and hand the deferred response to the
 * live messages (live.c), which follow the server as the node reports it;
 * status views are kept live there too. An interaction id seen before is
 * never run again, and the panel's request id (the interaction id) makes
 * a redelivery after a restart harmless too.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "actions.h"
#include "bot.h"
#include "alerts.h"
#include "commands.h"
#include "consoles.h"
#include "deploys.h"
#include "gateway.h"
#include "hub.h"
#include "live.h"
#include "rest.h"
#include "reviews.h"

#define BOT_SEEN	8192

static volatile sig_atomic_t bot_stop_flag;

struct qitem {
	void		*p;
	struct qitem	*next;
};

struct queue {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct qitem	*head, *tail;
	int		 closed;
};

/* An interaction waiting for its first response, and when it arrived. */
struct ack_item {
	cJSON		*ix;
	double		 arrived_ms;	/* live_now_msf() */
};

struct snap {
	struct state	*st;
	int		 refs;
};

struct bot {
	const struct bot_conf	*conf;
	struct rest		*rest;
	struct gw		*gw;
	struct bhub		*hub;
	struct live		*live;		/* NULL without a hub */
	struct consoles		*cons;		/* console jobs, audit */
	struct deploys		*deploys;	/* NULL without deployChannel */
	struct alerts		*alerts;	/* NULL without a hub */
	char			*repo_path;

	pthread_mutex_t		 mu;		/* snapshot, seen ids */
	struct snap		*snap;
	char			*seen[BOT_SEEN];
	size_t			 seen_pos;

	struct queue		 acks;		/* struct ack_item */
	struct queue		 jobs;		/* struct cmd_job */
	pthread_t		*threads;
	size_t			 nthreads;
	volatile int		 fatal;
};

/* ---------------------------------------------------------- queues */

static void
q_init(struct queue *q)
{
	memset(q, 0, sizeof(*q));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

static void
q_push(struct queue *q, void *p)
{
	struct qitem	*it = xcalloc(1, sizeof(*it));

	it->p = p;
	pthread_mutex_lock(&q->mu);
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Returns the next item, or NULL once the queue is closed and empty. */
static void *
q_pop(struct queue *q)
{
	struct qitem	*it;
	void		*p;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	if ((it = q->head) == NULL) {
		pthread_mutex_unlock(&q->mu);
		return NULL;
	}
	q->head = it->next;
	if (q->head == NULL)
		q->tail = NULL;
	pthread_mutex_unlock(&q->mu);
	p = it->p;
	free(it);
	return p;
}

static void
q_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* ---------------------------------------------------------- snapshot */

static struct snap *
snap_get(struct bot *b)
{
	struct snap	*s;

	pthread_mutex_lock(&b->mu);
	if ((s = b->snap) != NULL)
		s->refs++;
	pthread_mutex_unlock(&b->mu);
	return s;
}

static void
snap_put(struct bot *b, struct snap *s)
{
	int	last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (last) {
		state_free(s->st);
		free(s);
	}
}

/* Makes st the snapshot; returns whether the revision moved. */
static int
snap_set(struct bot *b, struct state *st)
{
	struct snap	*s = xcalloc(1, sizeof(*s)), *old;
	int		 moved;

	s->st = st;
	s->refs = 1;
	pthread_mutex_lock(&b->mu);
	old = b->snap;
	b->snap = s;
	moved = old == NULL || old->st->revision == NULL ||
	    st->revision == NULL || strcmp(old->st->revision,
	    st->revision) != 0;
	pthread_mutex_unlock(&b->mu);
	snap_put(b, old);
	if (moved)
		bhub_state_changed(b->hub);
	return moved;
}

/* Where the state puts server, for the hub (see bhub_assign_cb). */
static int
hub_assign(void *arg, const char *node, const char *server)
{
	struct bot		*b = arg;
	struct snap		*s = snap_get(b);
	struct state_server	*srv;
	int			 r = BHUB_UNKNOWN;

	if (s != NULL && (srv = state_server_find(s->st, server)) != NULL &&
	    srv->node != NULL)
		r = strcmp(srv->node, node) == 0 ? BHUB_MINE : BHUB_OTHER;
	snap_put(b, s);
	return r;
}

static int
snap_reload(struct bot *b, struct bot_actions *a, int fetch)
{
	struct state	*st;
	struct snap	*old;
	struct rerr	 err;
	char		*subject = NULL, *author = NULL;
	int		 moved;

	rerr_init(&err);
	if (a->load(a->arg, fetch, &st, &err) != 0) {
		log_warnx("cannot load the state repository: %s", err.msg);
		return -1;
	}
	old = snap_get(b);
	moved = snap_set(b, st) && old != NULL && st->revision != NULL;
	/* a new revision: deploy feedback against the one before */
	if (moved && b->deploys != NULL) {
		rerr_init(&err);
		if (a->describe != NULL && a->describe(a->arg, st->revision,
		    &subject, &author, &err) != 0)
			log_warnx("deploy: %s", err.msg);
		deploys_revision(b->deploys, old->st, st, subject, author);
		free(subject);
		free(author);
	}
	/* whoever moved the branch (a merged pull request too), the nodes
	   apply it now rather than at their next poll */
	if (moved)
		bhub_fetch(b->hub, NULL, st->revision);
	snap_put(b, old);
	return 0;
}

static cJSON *
env_server_status(void *arg, const char *name)
{
	return bhub_server_status(((struct bot *)arg)->hub, name);
}

static cJSON *
env_node_status(void *arg, const char *name)
{
	return bhub_node_status(((struct bot *)arg)->hub, name);
}

static void
env_make(struct bot *b, struct snap *s, struct cmd_env *env)
{
	memset(env, 0, sizeof(*env));
	env->st = s != NULL ? s->st : NULL;
	env->server_status = env_server_status;
	env->node_status = env_node_status;
	env->arg = b;
	env->review_channel = b->conf->review_channel;
}

static void *
live_env_get(void *arg, struct cmd_env *env)
{
	struct bot	*b = arg;
	struct snap	*s = snap_get(b);

	env_make(b, s, env);
	return s;
}

static void
live_env_put(void *arg, void *ref)
{
	snap_put(arg, ref);
}

/* What the live senders and the alerts read: b's API, hub and snapshot. */
static void
live_src_of(struct bot *b, struct live_src *src)
{
	memset(src, 0, sizeof(*src));
	src->rest = b->rest;
	src->hub = b->hub;
	src->env_get = live_env_get;
	src->env_put = live_env_put;
	src->arg = b;
}

/* An audit entry from a node goes to the audit channel. */
static void
hub_audit(void *arg, const char *node, const cJSON *entry)
{
	consoles_audit(arg, node, entry);
}

static void
hub_changed(void *arg, const char *server)
{
	struct bot	*b = arg;

	live_changed(b->live, server);
	deploys_changed(b->deploys, server);
	alerts_changed(b->alerts, server);
}

/* ---------------------------------------------------------- gateway */

/* True when id was seen before; remembers it otherwise. */
static int
seen_before(struct bot *b, const char *id)
{
	size_t	i;

	pthread_mutex_lock(&b->mu);
	for (i = 0; i < BOT_SEEN; i++)
		if (b->seen[i] != NULL && strcmp(b->seen[i], id) == 0) {
			pthread_mutex_unlock(&b->mu);
			return 1;
		}
	free(b->seen[b->seen_pos]);
	b->seen[b->seen_pos] = xstrdup(id);
	b->seen_pos = (b->seen_pos + 1) % BOT_SEEN;
	pthread_mutex_unlock(&b->mu);
	return 0;
}

static void
on_dispatch(void *arg, const char *t, int64_t s, const cJSON *d,
    double arrived_ms)
{
	struct bot	*b = arg;
	const char	*id;

	if (strcmp(t, "INTERACTION_CREATE") != 0)
		return;
	id = json_str(d, "id", NULL);
	if (id == NULL || json_str(d, "token", NULL) == NULL) {
		log_warnx("gateway: an interaction without id or token");
		return;
	}
	if (seen_before(b, id)) {
		log_info("interaction %s delivered again (seq %lld); already "
		    "handled", id, (long long)s);
		return;
	}
	{
		struct ack_item	*it = xcalloc(1, sizeof(*it));

		it->ix = cJSON_Duplicate(d, 1);
		it->arrived_ms = arrived_ms;
		/* REST calls other than first responses wait for it */
		rest_acks_pending(b->rest, 1);
		q_push(&b->acks, it);
	}
}

static void
on_fatal(void *arg, int code, const char *why)
{
	struct bot	*b = arg;

	b->fatal = code;
	bot_stop_flag = 1;
}

/* ---------------------------------------------------------- threads */

static void *
ack_thread(void *arg)
{
	struct bot	*b = arg;
	struct snap	*s;
	struct cmd_env	 env;
	struct cmd_job	*job;
	struct rest_reply rep;
	struct rerr	 err;
	struct ack_item	*it;
	cJSON		*ix, *reply;
	char		*path, server[64];
	int64_t		 received;
	int		 rc;

	while ((it = q_pop(&b->acks)) != NULL) {
		ix = it->ix;
		/* The token's 15 minutes run from the arrival. */
		received = (int64_t)it->arrived_ms;
		s = snap_get(b);
		env_make(b, s, &env);
		cmd_handle(&env, ix, &reply, &job);
		snap_put(b, s);
		if (job != NULL)
			job->received_ms = received;
		xasprintf(&path, "/interactions/%s/%s/callback",
		    json_str(ix, "id", ""), json_str(ix, "token", ""));
		rerr_init(&err);
		rc = rest_call(b->rest, "POST", path, reply, &rep, &err);
		/* With -v: from the frame's arrival to Discord's answer. */
		log_debug("interaction %s acknowledged %.3f ms after it "
		    "arrived", json_str(ix, "id", ""), live_now_msf() -
		    it->arrived_ms);
		rest_acks_pending(b->rest, -1);
		free(it);
		if (rc != 0) {
			log_warnx("interaction %s: %s", json_str(ix, "id", ""),
			    err.msg);
			cmd_job_free(job);
			job = NULL;
		} else if (b->live != NULL &&
		    cmd_reply_view(reply, server, sizeof(server)))
			live_view(b->live, json_str(ix, "application_id", ""),
			    json_str(ix, "token", ""), json_str(ix,
			    "channel_id", ""), json_str(ix, "message.id", NULL),
			    server, received);
		rest_reply_dispose(&rep);
		free(path);
		cJSON_Delete(reply);
		cJSON_Delete(ix);
		if (job != NULL && CMD_JOB_CONSOLE(job->kind))
			consoles_submit(b->cons, job);
		else if (job != NULL)
			q_push(&b->jobs, job);
	}
	return NULL;
}

/* Sends the SFTP password by DM; records how it went in res. */
static void
send_password(struct bot *b, const struct cmd_job *job,
    struct cmd_result *res)
{
	struct rest_reply	 rep;
	struct rerr		 err;
	cJSON			*body, *msg;
	char			*path;
	int			 rc;

	body = json_new_object();
	json_add_str(body, "recipient_id", job->user_id);
	rerr_init(&err);
	rc = rest_call(b->rest, "POST", "/users/@me/channels", body, &rep,
	    &err);
	cJSON_Delete(body);
	if (rc != 0 || json_str(rep.json, "id", NULL) == NULL) {
		log_warnx("sftp: cannot open a DM with %s: %s", job->user_id,
		    err.msg);
		rest_reply_dispose(&rep);
		res->dm_closed = 1;
		return;
	}
	xasprintf(&path, "/channels/%s/messages", json_str(rep.json, "id",
	    ""));
	rest_reply_dispose(&rep);
	msg = cmd_sftp_dm(job, res->password);
	rerr_init(&err);
	rc = rest_call(b->rest, "POST", path, msg, &rep, &err);
	cJSON_Delete(msg);
	free(path);
	if (rc == 0)
		res->dm_sent = 1;
	else {
		/* 50007: the user does not take DMs; never retried */
		log_info("sftp: DM to %s refused (code %d); replying "
		    "ephemerally", job->user_id, rep.code);
		res->dm_closed = 1;
	}
	rest_reply_dispose(&rep);
}

static void *
worker_thread(void *arg)
{
	struct bot			*b = ((void **)arg)[0];
	struct bot_actions		*a = ((void **)arg)[1];
	struct cmd_job			*job;
	struct cmd_result		 res;
	struct cmd_env			 env;
	struct snap			*s;
	struct rest_reply		 rep;
	struct rerr			 err;
	cJSON				*msg;
	char				*path;

	free(arg);
	while ((job = q_pop(&b->jobs)) != NULL) {
		memset(&res, 0, sizeof(res));
		a->run(a->arg, job, &res);
		if (reviews_job(job))
			reviews_after(b->rest, b->conf->review_channel, job,
			    &res);
		/* a proposal leaves the tracked branch as it was */
		if (res.rc == 0 && job->kind != JOB_HISTORY &&
		    !res.unchanged && !job->propose) {
			snap_reload(b, a, 0);
			if (res.node != NULL)
				bhub_fetch(b->hub, res.node, res.commit);
		}
		if (res.rc == 0 && job->kind == JOB_SFTP &&
		    res.password != NULL)
			send_password(b, job, &res);
		log_info("%s %s by %s: %s%s%.12s", job->what,
		    job->server ? job->server : "", job->user_id,
		    res.rc == 0 ? "ok" : "failed: ", res.rc == 0 ? " " :
		    res.msg, res.rc == 0 ? res.commit : "");
		if (b->live != NULL && cmd_job_follows(job, &res)) {
			/* the live message takes the job and edits it */
			live_follow(b->live, job, &res);
			continue;
		}
		s = snap_get(b);
		env_make(b, s, &env);
		msg = cmd_job_message(&env, job, &res);
		snap_put(b, s);
		xasprintf(&path, "/webhooks/%s/%s/messages/@original",
		    job->application_id, job->token);
		rerr_init(&err);
		if (rest_call(b->rest, "PATCH", path, msg, &rep, &err) != 0)
			log_warnx("interaction %s: %s", job->interaction_id,
			    err.msg);
		rest_reply_dispose(&rep);
		free(path);
		cJSON_Delete(msg);
		cmd_result_dispose(&res);
		cmd_job_free(job);
	}
	a->close(a->arg);
	free(a);
	return NULL;
}

/* ---------------------------------------------------------- startup */

static int
register_commands(struct bot *b, struct rerr *err)
{
	struct rest_reply	 rep;
	cJSON			*defs;
	char			*path;
	size_t			 i;
	int			 rc = 0;

	defs = cmd_definitions();
	for (i = 0; i < b->conf->nguilds || (i == 0 && rc == 0); i++) {
		if (b->conf->nguilds > 0)
			xasprintf(&path, "/applications/%s/guilds/%s/commands",
			    b->conf->application_id, b->conf->guilds[i]);
		else
			xasprintf(&path, "/applications/%s/commands",
			    b->conf->application_id);
		rc = rest_call(b->rest, "PUT", path, defs, &rep, err);
		rest_reply_dispose(&rep);
		free(path);
		if (rc != 0 || b->conf->nguilds == 0)
			break;
	}
	cJSON_Delete(defs);
	return rc;
}

static int
gateway_url(struct bot *b, char **out, struct rerr *err)
{
	struct rest_reply	rep;
	int			rc;

	if (b->conf->gateway_url != NULL) {
		*out = xstrdup(b->conf->gateway_url);
		return 0;
	}
	if ((rc = rest_call(b->rest, "GET", "/gateway/bot", NULL, &rep,
	    err)) != 0) {
		rest_reply_dispose(&rep);
		return rc;
	}
	if (json_str(rep.json, "url", NULL) == NULL) {
		rest_reply_dispose(&rep);
		return rerr_set(err, -1, "GET /gateway/bot gave no url");
	}
	*out = xstrdup(json_str(rep.json, "url", ""));
	rest_reply_dispose(&rep);
	return 0;
}

static void
panel_conf(const struct bot *b, struct actions_panel_conf *pc, char *who,
    size_t len)
{
	snprintf(who, len, "%s <%s>", b->conf->committer_name,
	    b->conf->committer_email);
	memset(pc, 0, sizeof(*pc));
	pc->repo = b->repo_path;
	/* a mirror's HEAD says nothing; its branch is the configured one */
	pc->branch = b->conf->branch != NULL ? b->conf->branch :
	    b->conf->workdir != NULL ? "main" : NULL;
	pc->committer = who;
	pc->ssh_key = b->conf->ssh_key;
	pc->token_file = b->conf->repo_token_file;
	pc->host_key = b->conf->host_key;
}

/* Asks a running bot to stop. */
void
bot_request_stop(void)
{
	bot_stop_flag = 1;
}

/*
 * Starts b's ackers and workers, each worker with a panel of its own
 * opened with pc. Returns 0, or -1 with err set when a panel does not
 * open (the threads started so far keep running).
 */
static int
start_threads(struct bot *b, const struct actions_panel_conf *pc,
    struct rerr *err)
{
	struct bot_actions	 *wa;
	void			**targ;
	size_t			  i;

	b->threads = xcalloc((size_t)(b->conf->ackers + b->conf->workers),
	    sizeof(pthread_t));
	for (i = 0; i < (size_t)b->conf->ackers; i++)
		if (pthread_create(&b->threads[b->nthreads], NULL, ack_thread,
		    b) == 0)
			b->nthreads++;
	for (i = 0; i < (size_t)b->conf->workers; i++) {
		wa = xcalloc(1, sizeof(*wa));
		if (actions_panel_open(wa, pc, err) != 0) {
			free(wa);
			return -1;
		}
		targ = xcalloc(2, sizeof(void *));
		targ[0] = b;
		targ[1] = wa;
		if (pthread_create(&b->threads[b->nthreads], NULL,
		    worker_thread, targ) == 0)
			b->nthreads++;
		else {
			wa->close(wa->arg);
			free(wa);
			free(targ);
		}
	}
	return 0;
}

/*
 * Starts the node hub when bot.yaml has one, and the live messages that
 * follow it. Returns 0 (also without a hub), or -1 with err set and
 * nothing left running.
 */
static int
start_hub(struct bot *b, struct rerr *err)
{
	const struct bot_conf	*conf = b->conf;
	struct bhub_conf	 hc;
	struct live_conf	 lc;

	if (conf->hub_listen == NULL)
		return 0;
	memset(&hc, 0, sizeof(hc));
	hc.listen = conf->hub_listen;
	hc.nodes = conf->hub_nodes;
	hc.nnodes = conf->nhub_nodes;
	hc.tls_cert = conf->hub_tls_cert;
	hc.tls_key = conf->hub_tls_key;
	hc.assign = hub_assign;
	hc.assign_arg = b;
	if (bhub_start(&b->hub, &hc, err) != 0)
		return -1;
	memset(&lc, 0, sizeof(lc));
	live_src_of(b, &lc.src);
	lc.follow_min = conf->status_follow_min;
	if (live_start(&b->live, &lc, err) != 0) {
		bhub_stop(b->hub);
		return -1;
	}
	bhub_set_listener(b->hub, hub_changed, b);
	return 0;
}

/* Runs the bot; see bot.h. */
int
bot_run(const struct bot_conf *conf, struct rerr *err)
{
	struct bot			 b;
	struct actions_panel_conf	 pc;
	struct bot_actions		 main_a;
	struct gw_conf			 gc;
	char				 who[512], *url = NULL;
	size_t				 i;
	int				 rc = -1, ticks = 0;

	memset(&b, 0, sizeof(b));
	b.conf = conf;
	pthread_mutex_init(&b.mu, NULL);
	q_init(&b.acks);
	q_init(&b.jobs);
	b.repo_path = xstrdup(conf->workdir != NULL ? conf->workdir :
	    conf->repo);
	panel_conf(&b, &pc, who, sizeof(who));
	if (conf->workdir != NULL &&
	    actions_mirror_prepare(conf->workdir, conf->repo, conf->branch,
	    &pc, err) != 0)
		goto out;
	if (actions_panel_open(&main_a, &pc, err) != 0)
		goto out;
	if (snap_reload(&b, &main_a, 0) != 0)
		log_warnx("starting without a state snapshot; commands will "
		    "say so until the repository loads");
	b.rest = rest_new(conf->api_base, conf->token);
	if (register_commands(&b, err) != 0)
		goto out_actions;
	log_info("commands registered for %s", conf->nguilds ?
	    "the configured guilds" : "every guild (global)");
	if (gateway_url(&b, &url, err) != 0)
		goto out_actions;
	if (start_hub(&b, err) != 0)
		goto out_actions;
	{
		struct consoles_conf cc;

		memset(&cc, 0, sizeof(cc));
		cc.rest = b.rest;
		cc.hub = b.hub;
		cc.follow_min = conf->status_follow_min;
		cc.audit_channel = conf->audit_channel;
		if (consoles_start(&b.cons, &cc, err) != 0) {
			bhub_set_listener(b.hub, NULL, NULL);
			live_stop(b.live);
			bhub_stop(b.hub);
			goto out_actions;
		}
		bhub_set_audit(b.hub, hub_audit, b.cons);
	}
	if (b.hub != NULL) {
		struct live_src src;

		live_src_of(&b, &src);
		if (alerts_start(&b.alerts, &src, err) != 0)
			log_warnx("%s", err->msg);
	}
	if (conf->deploy_channel != NULL) {
		struct deploys_conf dc;

		memset(&dc, 0, sizeof(dc));
		dc.rest = b.rest;
		dc.hub = b.hub;
		dc.channel = conf->deploy_channel;
		if (deploys_start(&b.deploys, &dc, err) != 0)
			log_warnx("%s", err->msg);
	}

	if (start_threads(&b, &pc, err) != 0)
		goto out_threads;

	memset(&gc, 0, sizeof(gc));
	gc.url = url;
	gc.token = conf->token;
	gc.intents = 0;
	gc.on_dispatch = on_dispatch;
	gc.on_fatal = on_fatal;
	gc.arg = &b;
	if (gw_start(&b.gw, &gc, err) != 0)
		goto out_threads;
	log_info("roost-bot running (gateway %s)", url);
	while (!bot_stop_flag) {
		usleep(100 * 1000);
		if (++ticks >= conf->refresh_s * 10) {
			ticks = 0;
			snap_reload(&b, &main_a, 1);
		}
	}
	if (b.fatal != 0)
		rc = rerr_set(err, -1, "the gateway closed with code %d, "
		    "after which reconnecting is not allowed (4004: wrong "
		    "token; 4010-4014: shard, version or intents)", b.fatal);
	else
		rc = 0;
	gw_stop(b.gw);
out_threads:
	q_close(&b.acks);
	q_close(&b.jobs);
	for (i = 0; i < b.nthreads; i++)
		pthread_join(b.threads[i], NULL);
	free(b.threads);
	bhub_set_listener(b.hub, NULL, NULL);
	bhub_set_audit(b.hub, NULL, NULL);
	consoles_stop(b.cons);
	deploys_stop(b.deploys);
	b.deploys = NULL;
	alerts_stop(b.alerts);
	b.alerts = NULL;
	live_stop(b.live);
	bhub_stop(b.hub);
out_actions:
	main_a.close(main_a.arg);
out:
	rest_free(b.rest);
	if (b.snap != NULL)
		snap_put(&b, b.snap);
	for (i = 0; i < BOT_SEEN; i++)
		free(b.seen[i]);
	free(b.repo_path);
	free(url);
	return rc;
}
