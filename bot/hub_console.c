/*
 * hub_console: the consoles through the node hub (see hub.h). The bot
 * follows a server's console only while someone looks at it: the first
 * follower sends "subscribe" to the server's node, the last one
 * "unsubscribe"; the lines that come back are kept per server, numbered
 * as the node numbers them. A console command waits for its node's
 * "command_result" on the hub's condition variable. Audit entries are
 * handed to a listener. Everything here runs under the hub's mutex except
 * the parsing of frames and the audit listener.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hubproto.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "ws.h"
#include "xmalloc.h"

#include "hub.h"
#include "hub_int.h"

/* The followed console of server, or NULL. Locked. */
static struct hub_con *
con_find(struct bhub *h, const char *server)
{
	size_t	i;

	for (i = 0; i < h->ncons; i++)
		if (strcmp(h->cons[i].server, server) == 0)
			return &h->cons[i];
	return NULL;
}

static struct hub_node *
node_find(struct bhub *h, const char *name)
{
	size_t	i;

	for (i = 0; i < h->nnodes; i++)
		if (strcmp(h->nodes[i].name, name) == 0)
			return &h->nodes[i];
	return NULL;
}

static void
con_clear(struct hub_con *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->text[(c->head + i) % HUB_CON_LINES]);
	c->head = c->n = 0;
}

/* Keeps a line, the oldest going when the ring is full. Locked. */
static void
con_push(struct hub_con *c, uint64_t seq, const char *text)
{
	size_t	at;

	if (c->n == HUB_CON_LINES) {
		free(c->text[c->head]);
		c->head = (c->head + 1) % HUB_CON_LINES;
		c->n--;
	}
	at = (c->head + c->n) % HUB_CON_LINES;
	c->seq[at] = seq;
	c->text[at] = xstrndup(text, HUB_CON_TEXT);
	c->n++;
	c->last = seq;
}

/* Takes in a console frame of node n. Locked. */
static void
con_lines_locked(struct bhub *h, struct hub_node *n, const cJSON *o)
{
	struct hub_con	*c;
	const cJSON	*lines, *it;
	const char	*text;
	int64_t		 seq;

	if ((c = con_find(h, json_str(o, "server", ""))) == NULL ||
	    c->node != n)
		return;		/* not followed, or not this node's */
	lines = cJSON_GetObjectItemCaseSensitive(o, "lines");
	if (json_bool(o, "tail", 0)) {
		con_clear(c);
		c->last = 0;
		c->tails++;
	}
	c->dropped += (unsigned long long)json_int64(o, "dropped", 0);
	cJSON_ArrayForEach(it, lines) {
		seq = json_int64(it, "seq", -1);
		text = json_str(it, "text", NULL);
		/* a line seen already (a tail overlaps what followed) */
		if (seq <= 0 || text == NULL || (uint64_t)seq <= c->last)
			continue;
		con_push(c, (uint64_t)seq, text);
	}
	pthread_cond_broadcast(&h->cv);
}

/* Takes in a command_result frame of node n. Locked. */
static void
con_result_locked(struct bhub *h, struct hub_node *n, const cJSON *o)
{
	struct hub_cmd	*q;
	const char	*id = json_str(o, "id", "");

	for (q = h->cmds; q != NULL; q = q->next)
		if (q->node == n && !q->done && strcmp(q->id, id) == 0)
			break;
	if (q == NULL)
		return;
	q->done = 1;
	snprintf(q->code, sizeof(q->code), "%s", json_str(o, "code",
	    HUBP_CODE_FAILED));
	if (json_str(o, "error", NULL) != NULL)
		q->error = xstrndup(json_str(o, "error", ""), 400);
	q->seq = (uint64_t)json_int64(o, "seq", 0);
	q->retry_ms = (uint64_t)json_int64(o, "retryMs", 0);
	pthread_cond_broadcast(&h->cv);
}

/* See hub_int.h. */
void
hubcon_receive(struct bhub *h, struct hub_node *n, cJSON *o)
{
	const cJSON	*entry;
	bhub_audit_cb	 cb;
	void		*arg;
	int		 a;

	switch (hubp_type(o)) {
	case HUBP_CONSOLE:
		pthread_mutex_lock(&h->mu);
		con_lines_locked(h, n, o);
		pthread_mutex_unlock(&h->mu);
		break;
	case HUBP_COMMAND_RESULT:
		pthread_mutex_lock(&h->mu);
		con_result_locked(h, n, o);
		pthread_mutex_unlock(&h->mu);
		break;
	case HUBP_AUDIT:
		entry = cJSON_GetObjectItemCaseSensitive(o, "entry");
		if (json_str(entry, "server", NULL) == NULL ||
		    json_str(entry, "who", NULL) == NULL ||
		    json_str(entry, "line", NULL) == NULL)
			break;
		/* a node speaks only for its own servers */
		if (h->assign != NULL) {
			a = h->assign(h->assign_arg, n->name,
			    json_str(entry, "server", ""));
			if (a != BHUB_MINE) {
				log_warnx("hub: node %s sent an audit entry "
				    "for server '%s', which is not its own; "
				    "ignored", n->name,
				    json_str(entry, "server", ""));
				break;
			}
		}
		pthread_mutex_lock(&h->mu);
		cb = h->on_audit;
		arg = h->audit_arg;
		pthread_mutex_unlock(&h->mu);
		if (cb != NULL)
			cb(arg, n->name, entry);
		break;
	default:
		break;
	}
	cJSON_Delete(o);
}

/* See hub_int.h. */
void
hubcon_node_up_locked(struct bhub *h, struct hub_node *n)
{
	size_t	i;

	for (i = 0; i < h->ncons; i++)
		if (h->cons[i].node == n)
			hub_queue_locked(n, hubp_subscribe(h->cons[i].server,
			    0));
}

/* See hub_int.h. */
void
hubcon_node_down_locked(struct bhub *h, struct hub_node *n)
{
	struct hub_cmd	*q;

	for (q = h->cmds; q != NULL; q = q->next)
		if (q->node == n && !q->done) {
			q->done = 1;
			snprintf(q->code, sizeof(q->code), "offline");
		}
	pthread_cond_broadcast(&h->cv);
}

/* See hub_int.h. */
void
hubcon_free(struct bhub *h)
{
	size_t	i;

	for (i = 0; i < h->ncons; i++) {
		con_clear(&h->cons[i]);
		free(h->cons[i].server);
	}
	free(h->cons);
	h->cons = NULL;
	h->ncons = 0;
}

/* Follows a console. */
int
bhub_console_follow(struct bhub *h, const char *node, const char *server,
    unsigned int tail, struct rerr *err)
{
	struct hub_node	*n;
	struct hub_con	*c;

	if (h == NULL)
		return rerr_set(err, -1, "the bot runs without a node hub");
	if (tail > HUBP_TAIL_MAX)
		tail = HUBP_TAIL_MAX;
	pthread_mutex_lock(&h->mu);
	if ((n = node_find(h, node)) == NULL || n->wsi == NULL) {
		pthread_mutex_unlock(&h->mu);
		return rerr_set(err, -1, "node %s is not connected to the "
		    "bot right now", node);
	}
	if ((c = con_find(h, server)) == NULL) {
		if (h->ncons >= HUB_CON_MAX) {
			pthread_mutex_unlock(&h->mu);
			return rerr_set(err, -1, "%d consoles are followed "
			    "already; try again later", HUB_CON_MAX);
		}
		h->cons = xreallocarray(h->cons, h->ncons + 1,
		    sizeof(*h->cons));
		c = &h->cons[h->ncons++];
		memset(c, 0, sizeof(*c));
		c->server = xstrdup(server);
	} else if (c->node != n) {
		/* the server moved: start over on its new node */
		con_clear(c);
		c->last = 0;
	}
	c->node = n;
	c->refs++;
	/* a tail replaces what is kept; none keeps what came so far */
	if (c->refs == 1 || tail > 0)
		hub_queue_locked(n, hubp_subscribe(server, tail));
	pthread_mutex_unlock(&h->mu);
	ws_loop_wake(h->loop);
	return 0;
}

/* Stops following a console. */
void
bhub_console_unfollow(struct bhub *h, const char *server)
{
	struct hub_con	*c;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	if ((c = con_find(h, server)) != NULL && --c->refs <= 0) {
		if (c->node->wsi != NULL)
			hub_queue_locked(c->node, hubp_unsubscribe(server));
		con_clear(c);
		free(c->server);
		*c = h->cons[--h->ncons];
	}
	pthread_mutex_unlock(&h->mu);
	ws_loop_wake(h->loop);
}

/* Reads the kept lines of a followed console. */
ssize_t
bhub_console_read(struct bhub *h, const char *server, uint64_t after,
    size_t max, struct bhub_line **out, uint64_t *next, unsigned long *tails)
{
	struct hub_con	*c;
	size_t		 i, first, n = 0, at;

	*out = NULL;
	if (h == NULL)
		return -1;
	pthread_mutex_lock(&h->mu);
	if ((c = con_find(h, server)) == NULL) {
		pthread_mutex_unlock(&h->mu);
		return -1;
	}
	for (first = 0; first < c->n; first++)
		if (c->seq[(c->head + first) % HUB_CON_LINES] > after)
			break;
	if (max > 0 && c->n - first > max)
		first = c->n - max;
	if (c->n > first)
		*out = xcalloc(c->n - first, sizeof(**out));
	for (i = first; i < c->n; i++) {
		at = (c->head + i) % HUB_CON_LINES;
		(*out)[n].seq = c->seq[at];
		(*out)[n++].text = xstrdup(c->text[at]);
	}
	if (next != NULL)
		*next = c->last;
	if (tails != NULL)
		*tails = c->tails;
	pthread_mutex_unlock(&h->mu);
	return (ssize_t)n;
}

/* Frees what bhub_console_read returned. */
void
bhub_lines_free(struct bhub_line *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/* Waits for a new line or tail. */
int
bhub_console_wait(struct bhub *h, const char *server, uint64_t after,
    unsigned long tails, long timeout_ms)
{
	struct hub_con	*c;
	struct timespec	 ts;
	int		 got = 0;

	if (h == NULL)
		return 0;
	util_deadline(&ts, CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&h->mu);
	for (;;) {
		c = con_find(h, server);
		if (c != NULL && (c->last > after || c->tails > tails)) {
			got = 1;
			break;
		}
		if (c == NULL || pthread_cond_timedwait(&h->cv, &h->mu, &ts) ==
		    ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&h->mu);
	return got;
}

/*
 * Sends a console command (schedule NULL) or a schedule_run (line NULL)
 * and waits for the node's command_result.
 */
static int
send_wait(struct bhub *h, const char *node, const char *server,
    const char *user, const char *line, const char *schedule,
    long timeout_ms, struct bhub_cmd_result *res, struct rerr *err)
{
	struct hub_node	 *n;
	struct hub_cmd	  q, **pp;
	struct timespec	  ts;
	int		  rc = 0;

	memset(res, 0, sizeof(*res));
	snprintf(res->code, sizeof(res->code), "offline");
	if (h == NULL)
		return rerr_set(err, -1, "the bot runs without a node hub");
	memset(&q, 0, sizeof(q));
	util_deadline(&ts, CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&h->mu);
	if ((n = node_find(h, node)) == NULL || n->wsi == NULL) {
		pthread_mutex_unlock(&h->mu);
		return rerr_set(err, -1, "node %s is not connected to the "
		    "bot right now", node);
	}
	q.node = n;
	snprintf(q.id, sizeof(q.id), "cmd-%lu", ++h->cmd_id);
	q.next = h->cmds;
	h->cmds = &q;
	hub_queue_locked(n, schedule != NULL ? hubp_schedule_run(q.id,
	    server, schedule, user) : hubp_command(q.id, server, user, line));
	ws_loop_wake(h->loop);
	while (!q.done)
		if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) == ETIMEDOUT)
			break;
	for (pp = &h->cmds; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &q) {
			*pp = q.next;
			break;
		}
	pthread_mutex_unlock(&h->mu);
	if (!q.done) {
		snprintf(res->code, sizeof(res->code), "timeout");
		rc = rerr_set(err, -1, "node %s did not answer within %ld s",
		    node, timeout_ms / 1000);
	} else if (strcmp(q.code, "offline") == 0) {
		snprintf(res->code, sizeof(res->code), "offline");
		rc = rerr_set(err, -1, "node %s disconnected before it "
		    "answered", node);
	} else {
		snprintf(res->code, sizeof(res->code), "%s", q.code);
		res->seq = q.seq;
		res->retry_ms = q.retry_ms;
		if (strcmp(q.code, HUBP_CODE_OK) != 0)
			rc = rerr_set(err, -1, "%s", q.error != NULL ?
			    q.error : "the node refused the request");
	}
	free(q.error);
	return rc;
}

/* Sends a console command and waits for its answer. */
int
bhub_command(struct bhub *h, const char *node, const char *server,
    const char *user, const char *line, long timeout_ms,
    struct bhub_cmd_result *res, struct rerr *err)
{
	return send_wait(h, node, server, user, line, NULL, timeout_ms, res,
	    err);
}

/* Runs a schedule now and waits for the node's answer. */
int
bhub_schedule_run(struct bhub *h, const char *node, const char *server,
    const char *user, const char *schedule, long timeout_ms,
    struct bhub_cmd_result *res, struct rerr *err)
{
	return send_wait(h, node, server, user, NULL, schedule, timeout_ms,
	    res, err);
}

/* Sets the audit listener. */
void
bhub_set_audit(struct bhub *h, bhub_audit_cb cb, void *arg)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->on_audit = cb;
	h->audit_arg = arg;
	pthread_mutex_unlock(&h->mu);
}
