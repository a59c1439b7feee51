/*
 * deploys: deploy feedback (see deploys.h). A deploy is the list of
 * servers a revision changed, compared with the revision before by the
 * content ids of their files; its message is rendered from the hub's
 * latest report of each (cmd_follow_settled says when one is done) and
 * edited at most once a second, only when the rendering changed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "commands.h"
#include "deploys.h"
#include "hub.h"
#include "live.h"
#include "rest.h"
#include "worker.h"

#define DEPLOY_TICK_MS	250
#define DEPLOY_SEEN	16		/* revisions remembered as posted */

enum dsrv_kind {
	DS_CHANGED,
	DS_ADDED,
	DS_REMOVED
};

struct dsrv {
	char		*name;
	char		*node;
	enum dsrv_kind	 kind;
	int		 done;		/* settled at the revision */
};

struct deploy {
	char		*revision;
	char		*subject;
	char		*author;
	struct dsrv	*srv;
	size_t		 nsrv;
	char		*message_id;	/* once posted */
	char		*last;		/* content sent last */
	int64_t		 until;
	int64_t		 last_edit;
	int		 dirty;
	int		 superseded;
	struct deploy	*next;
};

struct deploys {
	struct deploys_conf	 c;
	struct worker		 th;
	struct deploy		*head;
	int			 n;
	long			 posted;
	long			 edits;
	char			*seen[DEPLOY_SEEN];
	size_t			 seen_pos;
};

static void
deploy_free(struct deploy *e)
{
	size_t	i;

	for (i = 0; i < e->nsrv; i++) {
		free(e->srv[i].name);
		free(e->srv[i].node);
	}
	free(e->srv);
	free(e->revision);
	free(e->subject);
	free(e->author);
	free(e->message_id);
	free(e->last);
	free(e);
}

static void
add_srv(struct deploy *e, const struct state_server *s, enum dsrv_kind k)
{
	e->srv = xreallocarray(e->srv, e->nsrv + 1, sizeof(*e->srv));
	e->srv[e->nsrv].name = xstrdup(s->name);
	e->srv[e->nsrv].node = xstrdup(s->node != NULL ? s->node : "?");
	e->srv[e->nsrv].kind = k;
	e->srv[e->nsrv].done = 0;
	e->nsrv++;
}

/* Whether two files differ by their content ids. */
static int
differs(const struct state_server *a, const struct state_server *b)
{
	if (a->blob_id == NULL || b->blob_id == NULL)
		return 1;
	return strcmp(a->blob_id, b->blob_id) != 0;
}

/* Posts a deploy; see deploys.h. */
void
deploys_revision(struct deploys *d, const struct state *old,
    const struct state *new, const char *subject, const char *author)
{
	struct deploy		*e, *x;
	const struct state_server *s, *o;
	size_t			 i;

	if (d == NULL || new == NULL || new->revision == NULL)
		return;
	/* two threads may see the same move: one message */
	pthread_mutex_lock(&d->th.mu);
	for (i = 0; i < DEPLOY_SEEN; i++)
		if (d->seen[i] != NULL && strcmp(d->seen[i], new->revision) ==
		    0) {
			pthread_mutex_unlock(&d->th.mu);
			return;
		}
	free(d->seen[d->seen_pos]);
	d->seen[d->seen_pos] = xstrdup(new->revision);
	d->seen_pos = (d->seen_pos + 1) % DEPLOY_SEEN;
	pthread_mutex_unlock(&d->th.mu);
	e = xcalloc(1, sizeof(*e));
	e->revision = xstrdup(new->revision);
	e->subject = xstrdup(subject != NULL ? subject : "");
	e->author = xstrdup(author != NULL ? author : "");
	for (i = 0; i < new->nservers; i++) {
		s = new->servers[i];
		o = old != NULL ? state_server_find(old, s->name) : NULL;
		if (o == NULL)
			add_srv(e, s, DS_ADDED);
		else if (differs(o, s))
			add_srv(e, s, DS_CHANGED);
	}
	for (i = 0; old != NULL && i < old->nservers; i++)
		if (state_server_find(new, old->servers[i]->name) == NULL)
			add_srv(e, old->servers[i], DS_REMOVED);
	e->until = live_now_ms() + DEPLOY_FOLLOW_MS;
	e->dirty = 1;
	log_info("deploy %.12s: %zu server%s changed", e->revision, e->nsrv,
	    e->nsrv == 1 ? "" : "s");
	pthread_mutex_lock(&d->th.mu);
	/* an older deploy's servers now follow the newer one */
	for (x = d->head; x != NULL; x = x->next)
		if (!x->superseded) {
			x->superseded = 1;
			x->dirty = 1;
		}
	e->next = d->head;
	d->head = e;
	d->n++;
	pthread_cond_signal(&d->th.cv);
	pthread_mutex_unlock(&d->th.mu);
}

/* Marks the deploys that list server. */
void
deploys_changed(struct deploys *d, const char *server)
{
	struct deploy	*e;
	size_t		 i;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->th.mu);
	for (e = d->head; e != NULL; e = e->next)
		for (i = 0; i < e->nsrv; i++)
			if (server == NULL || strcmp(e->srv[i].name, server) ==
			    0) {
				e->dirty = 1;
				break;
			}
	pthread_mutex_unlock(&d->th.mu);
}

/*
 * How one server stands at the deploy's revision, from its report, into
 * b; returns 1 when it settled there.
 */
static int
srv_line(struct deploys *d, const struct deploy *e, const struct dsrv *s,
    struct buf *b)
{
	cJSON		*st = bhub_server_status(d->c.hub, s->name);
	const char	*phase = json_str(st, "phase", NULL);
	const char	*why = json_str(st, "message", NULL);
	int		 settled = 0;

	buf_addf(b, "`%s` ", s->name);
	if (s->kind == DS_REMOVED) {
		settled = st == NULL;
		buf_puts(b, settled ? "removed" : "removing\xe2\x80\xa6");
	} else if (st != NULL && cmd_follow_settled(st, e->revision)) {
		settled = 1;
		if (strcmp(phase, "Running") == 0 || strcmp(phase,
		    "Stopped") == 0)
			buf_addf(b, "applied \xc2\xb7 %s", phase);
		else
			buf_addf(b, "**failed** \xc2\xb7 %s%s%.200s", phase,
			    why != NULL ? ": " : "", why != NULL ? why : "");
	} else if (phase != NULL)
		buf_addf(b, "%s \xc2\xb7 %s\xe2\x80\xa6", s->kind == DS_ADDED ?
		    "new" : "changed", phase);
	else
		buf_addf(b, "%s \xc2\xb7 waiting for node\xe2\x80\xa6",
		    s->kind == DS_ADDED ? "new" : "changed");
	buf_putc(b, '\n');
	cJSON_Delete(st);
	return settled;
}

/* Renders a deploy; *all_done says whether every server settled. */
static char *
render(struct deploys *d, struct deploy *e, int *all_done)
{
	struct buf	 b;
	const char	*node;
	size_t		 i, j, shown = 0, settled = 0;
	int		*seen = xcalloc(e->nsrv + 1, sizeof(int));
	struct buf	 hidden;

	buf_init(&b, 0);
	buf_init(&hidden, 0);
	buf_addf(&b, "**Deploy** `%.7s` \xc2\xb7 %.200s\nby %.100s\n",
	    e->revision, e->subject, e->author);
	if (e->nsrv == 0)
		buf_puts(&b, "No server changed.\n");
	/* per node, in the order nodes first appear */
	for (i = 0; i < e->nsrv; i++) {
		if (seen[i])
			continue;
		node = e->srv[i].node;
		buf_addf(&b, "__%s__\n", node);
		for (j = i; j < e->nsrv; j++) {
			if (seen[j] || strcmp(e->srv[j].node, node) != 0)
				continue;
			seen[j] = 1;
			if (shown == DEPLOY_MAX_SERVERS)
				buf_addf(&b, "\xe2\x80\xa6 and %zu more\n",
				    e->nsrv - shown);
			/* past the listed ones, only whether they settled */
			buf_reset(&hidden);
			if (!e->srv[j].done && srv_line(d, e, &e->srv[j],
			    shown < DEPLOY_MAX_SERVERS ? &b : &hidden))
				e->srv[j].done = 1;
			if (e->srv[j].done)
				settled++;
			shown++;
		}
	}
	free(seen);
	buf_dispose(&hidden);
	*all_done = settled == e->nsrv;
	if (e->superseded && !*all_done)
		buf_puts(&b, "A newer revision followed; see its message.\n");
	else if (*all_done && e->nsrv > 0)
		buf_puts(&b, "Done.\n");
	return buf_detach(&b);
}

/* Sends e's message (POST the first time, PATCH after). */
static int
send_msg(struct deploys *d, struct deploy *e, const char *text)
{
	struct rerr	 err;
	cJSON		*m = json_new_object();
	int		 rc;

	json_add_str(m, "content", text);	/* under 2,000: see render */
	json_add_array(json_add_object(m, "allowed_mentions"), "parse");
	rerr_init(&err);
	if ((rc = rest_channel_message(d->c.rest, d->c.channel,
	    &e->message_id, m, &err)) != 0)
		log_warnx("deploy channel: %s", err.msg);
	cJSON_Delete(m);
	return rc;
}

/* The first deploy due for an edit (or its end), or NULL. Locked. */
static struct deploy *
due_locked(struct deploys *d, int64_t now)
{
	struct deploy	*e;

	for (e = d->head; e != NULL; e = e->next) {
		if (now >= e->until)
			return e;
		if (!e->dirty)
			continue;
		if (e->message_id == NULL || now - e->last_edit >= LIVE_EDIT_MS)
			return e;
	}
	return NULL;
}

/* Sends or edits every deploy message that is due. With th.mu held. */
static void
deploys_tick(void *arg)
{
	struct deploys	*d = arg;
	struct deploy	*e, **pp;
	char		*text;
	int		 done, first, end, sent;

	/* only this thread unlinks deploys: e stays valid unlocked */
	while (!d->th.stop && (e = due_locked(d, live_now_ms())) != NULL) {
		e->dirty = 0;
		end = live_now_ms() >= e->until || e->superseded;
		pthread_mutex_unlock(&d->th.mu);
		text = render(d, e, &done);
		first = e->message_id == NULL;
		sent = 0;
		if ((first || strcmp(text, e->last) != 0) &&
		    send_msg(d, e, text) == 0) {
			free(e->last);
			e->last = text;
			text = NULL;
			sent = 1;
		}
		free(text);
		pthread_mutex_lock(&d->th.mu);
		if (sent && first)
			d->posted++;
		else if (sent)
			d->edits++;
		e->last_edit = live_now_ms();
		if (done || end || e->message_id == NULL) {
			for (pp = &d->head; *pp != e; pp = &(*pp)->next)
				;
			*pp = e->next;
			d->n--;
			deploy_free(e);
		}
	}
}

/* Starts the sender. */
int
deploys_start(struct deploys **out, const struct deploys_conf *conf,
    struct rerr *err)
{
	struct deploys	*d = xcalloc(1, sizeof(*d));

	d->c = *conf;
	d->c.channel = xstrdup(conf->channel);
	if (worker_start(&d->th, deploys_tick, d, DEPLOY_TICK_MS) != 0) {
		deploys_stop(d);
		return rerr_set(err, -1, "cannot start the deploy thread");
	}
	*out = d;
	return 0;
}

/* Stops the sender. */
void
deploys_stop(struct deploys *d)
{
	struct deploy	*e;
	size_t		 i;

	if (d == NULL)
		return;
	worker_stop(&d->th);
	while ((e = d->head) != NULL) {
		d->head = e->next;
		deploy_free(e);
	}
	for (i = 0; i < DEPLOY_SEEN; i++)
		free(d->seen[i]);
	free((char *)d->c.channel);
	free(d);
}

/* Counts. */
void
deploys_counts(struct deploys *d, long *posted, long *edits)
{
	*posted = *edits = 0;
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->th.mu);
	*posted = d->posted;
	*edits = d->edits;
	pthread_mutex_unlock(&d->th.mu);
}
