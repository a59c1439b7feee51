/*
 * console: the servers' console rings, the flood throttle, subscriptions,
 * the input rules, the per-user rate limit and the audit log (see
 * console.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "conline.h"
#include "ev.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "console.h"

/* The ring: a circular array of lines, bounded in lines and bytes. */
struct cring {
	struct console_line	*v;
	size_t			 max_lines;
	size_t			 max_bytes;
	size_t			 head;		/* oldest */
	size_t			 n;
	size_t			 bytes;
	uint64_t		 seq;		/* newest line's number */
};

/* Makes a ring; see console.h. */
struct cring *
cring_new(size_t max_lines, size_t max_bytes)
{
	struct cring	*r = xcalloc(1, sizeof(*r));

	r->max_lines = max_lines > 0 ? max_lines : 1;
	r->max_bytes = max_bytes > 0 ? max_bytes : 1;
	r->v = xcalloc(r->max_lines, sizeof(*r->v));
	return r;
}

static void
cring_drop_oldest(struct cring *r)
{
	struct console_line	*l = &r->v[r->head];

	r->bytes -= l->len;
	free(l->text);
	l->text = NULL;
	r->head = (r->head + 1) % r->max_lines;
	r->n--;
}

/* Empties a ring; see console.h. */
void
cring_clear(struct cring *r)
{
	while (r->n > 0)
		cring_drop_oldest(r);
}

/* Frees a ring; see console.h. */
void
cring_free(struct cring *r)
{
	if (r == NULL)
		return;
	cring_clear(r);
	free(r->v);
	free(r);
}

/* Keeps a line; see console.h. */
uint64_t
cring_push(struct cring *r, const char *text, size_t len, uint64_t time_ms)
{
	struct console_line	*l;

	if (len > r->max_bytes)
		len = r->max_bytes;
	while (r->n > 0 && (r->n == r->max_lines ||
	    r->bytes + len > r->max_bytes))
		cring_drop_oldest(r);
	l = &r->v[(r->head + r->n) % r->max_lines];
	l->text = xmalloc(len + 1);
	memcpy(l->text, text, len);
	l->text[len] = '\0';
	l->len = len;
	l->time_ms = time_ms;
	l->seq = ++r->seq;
	r->n++;
	r->bytes += len;
	return l->seq;
}

/* Lines kept; see console.h. */
size_t
cring_count(const struct cring *r)
{
	return r->n;
}

/* Bytes kept; see console.h. */
size_t
cring_bytes(const struct cring *r)
{
	return r->bytes;
}

/* Newest number; see console.h. */
uint64_t
cring_last(const struct cring *r)
{
	return r->seq;
}

/* Copies lines out; see console.h. */
ssize_t
cring_read(const struct cring *r, uint64_t after, size_t max,
    struct console_line **out, uint64_t *skipped)
{
	struct console_line	*v;
	uint64_t		 oldest;
	size_t			 first, n, i;

	*out = NULL;
	*skipped = 0;
	if (after >= r->seq)
		return 0;
	if (r->n == 0) {
		/* Cleared: everything above after is gone. */
		*skipped = r->seq - after;
		return 0;
	}
	oldest = r->seq - r->n + 1;
	if (after + 1 < oldest) {
		*skipped = oldest - after - 1;
		first = 0;
	} else
		first = (size_t)(after + 1 - oldest);
	n = r->n - first;
	if (max > 0 && n > max) {
		if (after > 0 || *skipped > 0)
			*skipped += n - max;
		first += n - max;
		n = max;
	}
	v = xcalloc(n > 0 ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		const struct console_line *l =
		    &r->v[(r->head + first + i) % r->max_lines];

		v[i] = *l;
		v[i].text = xmalloc(l->len + 1);
		memcpy(v[i].text, l->text, l->len + 1);
	}
	*out = v;
	return (ssize_t)n;
}

/* Frees read lines; see console.h. */
void
console_lines_free(struct console_line *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

/*
 * The rate limiter: per key, the times of the last count tokens taken. A
 * bounded table: keys whose window has passed are reused first, and when
 * every slot is busy the oldest key is forgotten.
 */
#define CRATE_KEYS	1024

struct crate_key {
	char		*key;
	uint64_t	*t;		/* count times, oldest first */
	unsigned int	 n;
	uint64_t	 last;
};

struct crate {
	unsigned int		 count;
	uint64_t		 window;
	struct crate_key	 keys[CRATE_KEYS];
};

/* Makes a rate limiter; see console.h. */
struct crate *
crate_new(unsigned int count, uint64_t window_ms)
{
	struct crate	*rl = xcalloc(1, sizeof(*rl));

	rl->count = count > 0 ? count : 1;
	rl->window = window_ms;
	return rl;
}

/* Frees a rate limiter; see console.h. */
void
crate_free(struct crate *rl)
{
	size_t	i;

	if (rl == NULL)
		return;
	for (i = 0; i < CRATE_KEYS; i++) {
		free(rl->keys[i].key);
		free(rl->keys[i].t);
	}
	free(rl);
}

/* Takes a token; see console.h. */
uint64_t
crate_take(struct crate *rl, const char *key, uint64_t now_ms)
{
	struct crate_key	*k = NULL, *spare = NULL;
	size_t			 i;

	for (i = 0; i < CRATE_KEYS; i++) {
		struct crate_key *c = &rl->keys[i];

		if (c->key != NULL && strcmp(c->key, key) == 0) {
			k = c;
			break;
		}
		if (c->key == NULL || now_ms - c->last >= rl->window) {
			if (spare == NULL || spare->key != NULL)
				spare = c;
		} else if (spare == NULL || (spare->key != NULL &&
		    c->last < spare->last))
			spare = c;
	}
	if (k == NULL) {
		k = spare;
		free(k->key);
		k->key = xstrdup(key);
		if (k->t == NULL)
			k->t = xcalloc(rl->count, sizeof(*k->t));
		k->n = 0;
	}
	/* Forget the times that left the window. */
	while (k->n > 0 && now_ms - k->t[0] >= rl->window) {
		memmove(k->t, k->t + 1, (k->n - 1) * sizeof(*k->t));
		k->n--;
	}
	if (k->n == rl->count)
		return k->t[0] + rl->window - now_ms;
	k->t[k->n++] = now_ms;
	k->last = now_ms;
	return 0;
}

/* The console: one stream per server, never freed before the console. */
struct cstream {
	char		*server;
	struct cring	*ring;
	uint64_t	 win_start;	/* ms, monotonic */
	unsigned int	 win_lines;
	uint64_t	 dropped;	/* in the throttled windows so far */
};

struct csub {
	uint64_t	 id;
	char		*server;	/* NULL: every server */
	console_line_cb	 cb;
	void		*arg;
};

struct console {
	struct console_conf	 conf;
	char			*audit_path;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 waiters;
	uint64_t		 wakes;
	struct cstream		**v;
	size_t			 n;
	struct cstream		*last;		/* lookup cache */
	struct csub		*subs;
	size_t			 nsubs;
	uint64_t		 sub_id;
	struct crate		*rate;
	pthread_mutex_t		 amu;		/* the audit log */
	int			 afd;
};

static uint64_t
con_real_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Makes a console; see console.h. */
struct console *
console_new(const struct console_conf *conf)
{
	struct console	*con = xcalloc(1, sizeof(*con));
	pthread_condattr_t ca;

	if (conf != NULL)
		con->conf = *conf;
	if (con->conf.lines == 0)
		con->conf.lines = CONSOLE_DEF_LINES;
	if (con->conf.bytes == 0)
		con->conf.bytes = CONSOLE_DEF_BYTES;
	if (con->conf.throttle_lines == 0)
		con->conf.throttle_lines = CONSOLE_DEF_THROTTLE;
	if (con->conf.throttle_ms == 0)
		con->conf.throttle_ms = CONSOLE_DEF_THROTTLE_MS;
	if (con->conf.rate == 0)
		con->conf.rate = CONSOLE_DEF_RATE;
	if (con->conf.rate_ms == 0)
		con->conf.rate_ms = CONSOLE_DEF_RATE_MS;
	if (con->conf.audit_max == 0)
		con->conf.audit_max = CONSOLE_DEF_AUDIT_MAX;
	if (conf != NULL && conf->audit_path != NULL)
		con->audit_path = xstrdup(conf->audit_path);
	con->conf.audit_path = con->audit_path;
	pthread_mutex_init(&con->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&con->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&con->amu, NULL);
	con->rate = crate_new(con->conf.rate, con->conf.rate_ms);
	con->afd = -1;
	return con;
}

/* Frees a console; see console.h. */
void
console_free(struct console *con)
{
	size_t	i;

	if (con == NULL)
		return;
	for (i = 0; i < con->n; i++) {
		cring_free(con->v[i]->ring);
		free(con->v[i]->server);
		free(con->v[i]);
	}
	free(con->v);
	for (i = 0; i < con->nsubs; i++)
		free(con->subs[i].server);
	free(con->subs);
	crate_free(con->rate);
	if (con->afd != -1)
		close(con->afd);
	pthread_mutex_destroy(&con->amu);
	pthread_cond_destroy(&con->cv);
	pthread_mutex_destroy(&con->mu);
	free(con->audit_path);
	free(con);
}

static struct cstream *
con_find(struct console *con, const char *server, int create)
{
	struct cstream	*s;
	size_t		 i;

	if (con->last != NULL && strcmp(con->last->server, server) == 0)
		return con->last;
	for (i = 0; i < con->n; i++)
		if (strcmp(con->v[i]->server, server) == 0)
			return con->last = con->v[i];
	if (!create)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->server = xstrdup(server);
	s->ring = cring_new(con->conf.lines, con->conf.bytes);
	con->v = xreallocarray(con->v, con->n + 1, sizeof(*con->v));
	con->v[con->n++] = s;
	return con->last = s;
}

/* Keeps a line and tells the subscribers and waiters; locked. */
static void
con_keep(struct console *con, struct cstream *s, const char *text,
    size_t len)
{
	uint64_t	seq;
	size_t		i;

	seq = cring_push(s->ring, text, len, con_real_ms());
	for (i = 0; i < con->nsubs; i++) {
		struct csub *sub = &con->subs[i];

		if (sub->server == NULL || strcmp(sub->server, s->server) == 0)
			sub->cb(sub->arg, s->server, seq, text,
			    len > con->conf.bytes ? con->conf.bytes : len);
	}
	if (con->waiters > 0)
		pthread_cond_broadcast(&con->cv);
}

/* Says how many lines the last throttled windows dropped; locked. */
static void
con_flush_dropped(struct console *con, struct cstream *s, uint64_t now)
{
	char	msg[200];
	int	n;

	if (s->dropped == 0 || now - s->win_start < con->conf.throttle_ms)
		return;
	n = snprintf(msg, sizeof(msg), "[roost] %llu lines dropped: the "
	    "server printed more than %u lines in %llu ms",
	    (unsigned long long)s->dropped, con->conf.throttle_lines,
	    (unsigned long long)con->conf.throttle_ms);
	s->dropped = 0;
	con_keep(con, s, msg, (size_t)n);
}

/* Adds output, throttled; see console.h. */
void
console_output(struct console *con, const char *server, const char *text,
    size_t len)
{
	struct cstream	*s;
	uint64_t	 now = ev_now_ms();

	pthread_mutex_lock(&con->mu);
	s = con_find(con, server, 1);
	if (now - s->win_start >= con->conf.throttle_ms) {
		con_flush_dropped(con, s, now);
		s->win_start = now;
		s->win_lines = 0;
	}
	if (s->win_lines >= con->conf.throttle_lines)
		s->dropped++;
	else {
		s->win_lines++;
		con_keep(con, s, text, len);
	}
	pthread_mutex_unlock(&con->mu);
}

/* Adds a note; see console.h. */
void
console_note(struct console *con, const char *server, const char *text)
{
	struct buf	b;

	buf_init(&b, 0);
	buf_addf(&b, "[roost] %s", text);
	pthread_mutex_lock(&con->mu);
	con_keep(con, con_find(con, server, 1), buf_str(&b), b.len);
	pthread_mutex_unlock(&con->mu);
	buf_dispose(&b);
}

/* Drops a server's lines; see console.h. */
void
console_forget(struct console *con, const char *server)
{
	struct cstream	*s;

	pthread_mutex_lock(&con->mu);
	if ((s = con_find(con, server, 0)) != NULL) {
		cring_clear(s->ring);
		s->dropped = 0;
	}
	pthread_mutex_unlock(&con->mu);
}

/* True when a server has a ring; see console.h. */
int
console_known(struct console *con, const char *server)
{
	int	yes;

	pthread_mutex_lock(&con->mu);
	yes = con_find(con, server, 0) != NULL;
	pthread_mutex_unlock(&con->mu);
	return yes;
}

/* Reads lines; see console.h. */
ssize_t
console_read(struct console *con, const char *server, uint64_t after,
    size_t max, struct console_line **out, uint64_t *skipped, uint64_t *next)
{
	struct cstream	*s;
	ssize_t		 n;

	*out = NULL;
	*skipped = 0;
	pthread_mutex_lock(&con->mu);
	if ((s = con_find(con, server, 0)) == NULL) {
		pthread_mutex_unlock(&con->mu);
		*next = 0;
		return -1;
	}
	con_flush_dropped(con, s, ev_now_ms());
	n = cring_read(s->ring, after, max, out, skipped);
	*next = n > 0 ? (*out)[n - 1].seq : cring_last(s->ring);
	pthread_mutex_unlock(&con->mu);
	return n;
}

/* Waits for a new line; see console.h. */
int
console_wait(struct console *con, const char *server, uint64_t after,
    long timeout_ms)
{
	struct cstream	*s;
	struct timespec	 ts;
	uint64_t	 wakes;
	int		 have = 0;

	util_deadline(&ts, CLOCK_MONOTONIC, (int64_t)timeout_ms);
	pthread_mutex_lock(&con->mu);
	wakes = con->wakes;
	for (;;) {
		if ((s = con_find(con, server, 0)) != NULL) {
			con_flush_dropped(con, s, ev_now_ms());
			if (cring_last(s->ring) > after) {
				have = 1;
				break;
			}
		}
		if (con->wakes != wakes)
			break;
		con->waiters++;
		if (pthread_cond_timedwait(&con->cv, &con->mu, &ts) ==
		    ETIMEDOUT) {
			con->waiters--;
			break;
		}
		con->waiters--;
	}
	pthread_mutex_unlock(&con->mu);
	return have;
}

/* Wakes every waiter; see console.h. */
void
console_wake(struct console *con)
{
	pthread_mutex_lock(&con->mu);
	con->wakes++;
	pthread_cond_broadcast(&con->cv);
	pthread_mutex_unlock(&con->mu);
}

/* Subscribes to new lines; see console.h. */
uint64_t
console_subscribe(struct console *con, const char *server,
    console_line_cb cb, void *arg)
{
	struct csub	*sub;
	uint64_t	 id;

	pthread_mutex_lock(&con->mu);
	con->subs = xreallocarray(con->subs, con->nsubs + 1,
	    sizeof(*con->subs));
	sub = &con->subs[con->nsubs++];
	sub->id = id = ++con->sub_id;
	sub->server = server != NULL ? xstrdup(server) : NULL;
	sub->cb = cb;
	sub->arg = arg;
	pthread_mutex_unlock(&con->mu);
	return id;
}

/* Ends a subscription; see console.h. */
void
console_unsubscribe(struct console *con, uint64_t id)
{
	size_t	i;

	pthread_mutex_lock(&con->mu);
	for (i = 0; i < con->nsubs; i++)
		if (con->subs[i].id == id) {
			free(con->subs[i].server);
			con->subs[i] = con->subs[--con->nsubs];
			break;
		}
	pthread_mutex_unlock(&con->mu);
}

/* Opens the audit log, rotating it when it is over its bound; locked. */
static int
con_audit_open(struct console *con, size_t add, struct rerr *err)
{
	struct stat	 sb;
	char		*old;

	if (con->afd != -1) {
		if (fstat(con->afd, &sb) == 0 &&
		    (uint64_t)sb.st_size + add <= con->conf.audit_max)
			return 0;
		if (fstat(con->afd, &sb) == 0 && sb.st_size == 0)
			return 0;
		close(con->afd);
		con->afd = -1;
		xasprintf(&old, "%s.1", con->audit_path);
		if (rename(con->audit_path, old) == -1 && errno != ENOENT)
			log_warn("audit: cannot rotate '%s'", con->audit_path);
		free(old);
	}
	con->afd = open(con->audit_path, O_WRONLY | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0640);
	if (con->afd == -1)
		return rerr_errno(err, -1, "cannot open the audit log '%s'",
		    con->audit_path);
	if (fstat(con->afd, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		close(con->afd);
		con->afd = -1;
		return rerr_set(err, -1, "the audit log '%s' is not a regular "
		    "file", con->audit_path);
	}
	if (fstat(con->afd, &sb) == 0 && sb.st_size > 0 &&
	    (uint64_t)sb.st_size + add > con->conf.audit_max)
		return con_audit_open(con, add, err);
	return 0;
}

/* Appends one audit entry (a JSON line). */
static int
con_audit(struct console *con, const char *server, const char *who,
    const char *line, char **entry, struct rerr *err)
{
	cJSON		*o;
	struct tm	 tm;
	uint64_t	 now = con_real_ms();
	time_t		 t = (time_t)(now / 1000);
	char		 ts[40], *s, *l;
	size_t		 len;
	ssize_t		 w;
	int		 rc = 0;

	*entry = NULL;
	gmtime_r(&t, &tm);
	len = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + len, sizeof(ts) - len, ".%03uZ",
	    (unsigned int)(now % 1000));
	o = json_new_object();
	cJSON_AddStringToObject(o, "time", ts);
	cJSON_AddStringToObject(o, "server", server);
	l = conline_utf8(who, strlen(who));
	cJSON_AddStringToObject(o, "who", l);
	free(l);
	cJSON_AddStringToObject(o, "line", line);
	s = json_print_free(o);
	*entry = xstrdup(s);
	if (con->audit_path == NULL) {
		free(s);
		return 0;
	}
	len = strlen(s);
	s = xreallocarray(s, len + 2, 1);
	s[len++] = '\n';
	s[len] = '\0';
	pthread_mutex_lock(&con->amu);
	if ((rc = con_audit_open(con, len, err)) == 0) {
		w = write(con->afd, s, len);
		if (w != (ssize_t)len)
			rc = rerr_errno(err, -1, "cannot write the audit log "
			    "'%s'", con->audit_path);
	}
	pthread_mutex_unlock(&con->amu);
	free(s);
	if (rc != 0) {
		free(*entry);
		*entry = NULL;
	}
	return rc;
}

/* Sends a command, rate limited when limit is set. */
static int
con_command(struct console *con, const char *server, const char *who,
    const char *line, int limit, struct console_result *res,
    struct rerr *err)
{
	struct console_result	 tmp;
	struct cstream		*s;
	uint64_t		 wait;
	char			*entry;
	int			 rc;

	if (res == NULL)
		res = &tmp;
	memset(res, 0, sizeof(*res));
	snprintf(res->who, sizeof(res->who), "%s", who);
	if ((rc = conline_check(line, strlen(line), err)) != 0)
		return rc;
	if (con->conf.send == NULL)
		return rerr_set(err, -1, "no console transport");
	if ((rc = con->conf.send(con->conf.send_arg, server, NULL, err)) != 0)
		return rc;
	pthread_mutex_lock(&con->mu);
	wait = limit ? crate_take(con->rate, who, ev_now_ms()) : 0;
	s = con_find(con, server, 0);
	res->seq = s != NULL ? cring_last(s->ring) : 0;
	pthread_mutex_unlock(&con->mu);
	if (wait > 0) {
		res->retry_ms = wait;
		return rerr_set(err, ROOST_EDENIED, "rate limited: at most %u "
		    "commands per %llu s each; try again in %llu.%llu s",
		    con->conf.rate,
		    (unsigned long long)(con->conf.rate_ms / 1000),
		    (unsigned long long)(wait / 1000),
		    (unsigned long long)(wait % 1000 / 100));
	}
	if ((rc = con_audit(con, server, who, line, &entry, err)) != 0)
		return rc;
	if (con->conf.on_audit != NULL)
		con->conf.on_audit(con->conf.audit_arg, entry);
	free(entry);
	rc = con->conf.send(con->conf.send_arg, server, line, err);
	if (rc != 0)
		log_warnx("console: %s: a command of %s was audited but not "
		    "sent: %s", server, who, err != NULL ? err->msg : "");
	return rc;
}

/* Sends a command; see console.h. */
int
console_command(struct console *con, const char *server, const char *who,
    const char *line, struct console_result *res, struct rerr *err)
{
	return con_command(con, server, who, line, 1, res, err);
}

/* Sends one of roostd's own commands; see console.h. */
int
console_command_own(struct console *con, const char *server,
    const char *who, const char *line, struct console_result *res,
    struct rerr *err)
{
	return con_command(con, server, who, line, 0, res, err);
}

/* Audits an action that is not a console line; see console.h. */
int
console_audit(struct console *con, const char *server, const char *who,
    const char *what, struct rerr *err)
{
	char	*entry;
	int	 rc;

	if ((rc = con_audit(con, server, who, what, &entry, err)) != 0)
		return rc;
	if (con->conf.on_audit != NULL)
		con->conf.on_audit(con->conf.audit_arg, entry);
	free(entry);
	return 0;
}
