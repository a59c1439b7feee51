/*
 * bench_front.h: a stand-in for Discord's REST side, for the bot
 * benchmarks. It is a small HTTP/1.1 server in front of the fake Discord
 * (tests/fakediscord/fakediscord.py), which is one Python process and
 * answers concurrent requests one after another; the front answers them
 * in parallel, a thread per connection, so a benchmark measures the bot
 * and not the fake. Its threads are started, and their stacks, heaps and
 * HTTP clients warmed up, before the bot connects: the front should cost
 * the machine as little as it can while the bot answers a burst, since
 * Discord's own work is not done on it.
 *
 * An interaction callback (POST /api/v10/interactions/ID/TOKEN/callback)
 * is answered at once with 204 No Content, as Discord answers it, and
 * queued; FRONT_FORWARDERS threads send the queue on to the fake, which
 * records the first response as before. Every other request goes to the
 * fake at once and its answer (status, Content-Type, rate-limit headers
 * and body) comes back. A webhook request (/api/v10/webhooks/APP/TOKEN/..,
 * the edits of a first response) waits until the callbacks of its token
 * have reached the fake, so the fake never sees an edit before the first
 * response it edits. A callback the fake refuses (late, twice, malformed)
 * was answered 204 all the same: it is counted and reported on stderr.
 *
 * Requests carry bodies with Content-Length (libcurl, as lib/http.c sets
 * it up, never sends chunked bodies; "Expect: 100-continue" is answered
 * all the same); a chunked body is refused with 411. Keep-alive unless the
 * client says "Connection: close" or speaks HTTP/1.0.
 *
 * bench_front_stop closes the listening socket and every connection,
 * sends what is still queued to the fake, and joins every thread.
 */
#ifndef ROOST_BENCH_FRONT_H
#define ROOST_BENCH_FRONT_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "rerr.h"
#include "xmalloc.h"

#define FRONT_FORWARDERS	2
#define FRONT_MAX_HEAD		65536
#define FRONT_MAX_BODY		(8UL << 20)
#define FRONT_NHDRS		4	/* headers passed to the fake */
#define FRONT_WORKERS		64	/* started at once; more when busy */
#define FRONT_WARM_STACK	(128 * 1024)
#define FRONT_WARM_HEAP		(64 * 1024)

/* A request as the front read it. */
struct front_req {
	char			 method[16];
	char			*target;	/* path and query */
	char			*hdrs[FRONT_NHDRS + 1];	/* NULL-terminated */
	int			 nhdrs;
	char			*body;		/* NULL: no Content-Length */
	size_t			 body_len;
	int			 close;		/* the client closes after */
};

/* A callback answered and on its way to the fake. */
struct front_job {
	struct front_req	 req;
	char			*token;
	int			 taken;		/* a forwarder has it */
	struct front_job	*next;
};

struct bench_front;

/*
 * A thread serving connections, one at a time. They are started and
 * warmed up (heap, stack, HTTP client) before a burst comes, so a burst
 * does not pay for new threads in the front.
 */
struct front_worker {
	struct bench_front	*f;
	pthread_t		 th;
	int			 fd;		/* -1: idle */
	struct front_worker	*next;
};

/* An accepted connection waiting for a worker. */
struct front_pending {
	int			 fd;
	struct front_pending	*next;
};

struct bench_front {
	int			 port;		/* where it listens */
	int			 upstream;	/* the fake's REST port */
	int			 lfd;
	int			 wake[2];	/* a pipe: the acceptor stops */
	pthread_t		 acceptor;
	pthread_t		 fwd[FRONT_FORWARDERS];
	pthread_mutex_t		 mu;
	pthread_cond_t		 queued;	/* a job came, or draining */
	pthread_cond_t		 sent;		/* a job reached the fake */
	pthread_cond_t		 conn;		/* a connection came, or stop */
	struct front_job	*jobs;		/* queued and in flight */
	struct front_worker	*workers;
	struct front_pending	*pending;	/* in the order accepted */
	int			 npending;
	int			 idle;		/* workers waiting */
	int			 stopping;	/* the workers end */
	int			 draining;	/* the forwarders end */
	unsigned long		 acked;		/* callbacks answered 204 */
	unsigned long		 refused;	/* of which the fake refused */
};

/* Frees what r holds. */
static inline void
front_req_dispose(struct front_req *r)
{
	int	i;

	for (i = 0; i < r->nhdrs; i++)
		free(r->hdrs[i]);
	free(r->target);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Sends all of p[0..n) on fd; returns 0, or -1 when the peer is gone. */
static inline int
front_send(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads what fd has into in; returns the count, 0 at the end, -1. */
static inline ssize_t
front_recv(int fd, struct buf *in)
{
	char	tmp[16384];
	ssize_t	n;

	do
		n = recv(fd, tmp, sizeof(tmp), 0);
	while (n == -1 && errno == EINTR);
	if (n > 0 && buf_add(in, tmp, (size_t)n) == -1)
		return -1;
	return n;
}

/* Returns the offset just past the blank line ending a head, or 0. */
static inline size_t
front_head_end(const char *p, size_t n)
{
	size_t	i;

	for (i = 3; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\r' && p[i - 2] == '\n' &&
		    p[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* Drops the first n bytes of in, keeping the rest (a pipelined request). */
static inline void
front_consume(struct buf *in, size_t n)
{
	memmove(in->data, in->data + n, in->len - n);
	in->len -= n;
	in->data[in->len] = '\0';
}

/*
 * Parses the head (the request line and the headers, NUL-terminated) into
 * r and *clen; *flags gets 1 for "Expect: 100-continue", 2 for a chunked
 * body and 4 for a Content-Length. Returns 0, or -1 when it is not
 * HTTP/1.x.
 */
static inline int
front_parse_head(char *head, struct front_req *r, size_t *clen, int *flags)
{
	static const char *pass[FRONT_NHDRS] = { "Authorization",
	    "Content-Type", "User-Agent", "X-Audit-Log-Reason" };
	char	*line, *next, *sp, *v, *e;
	int	 i;

	line = head;
	if ((next = strstr(line, "\r\n")) == NULL)
		return -1;
	*next = '\0';
	next += 2;
	if ((sp = strchr(line, ' ')) == NULL ||
	    (size_t)(sp - line) >= sizeof(r->method) ||
	    (v = strchr(sp + 1, ' ')) == NULL ||
	    strncmp(v + 1, "HTTP/1.", 7) != 0)
		return -1;
	memcpy(r->method, line, (size_t)(sp - line));
	r->target = xstrndup(sp + 1, (size_t)(v - sp - 1));
	r->close = strcmp(v + 1, "HTTP/1.0") == 0;
	while ((e = strstr(next, "\r\n")) != NULL && e != next) {
		line = next;
		*e = '\0';
		next = e + 2;
		if ((v = strchr(line, ':')) == NULL)
			return -1;
		*v++ = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (e = v + strlen(v); e > v && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			e[-1] = '\0';
		if (strcasecmp(line, "Content-Length") == 0) {
			*clen = strtoull(v, NULL, 10);
			*flags |= 4;
		}
		else if (strcasecmp(line, "Transfer-Encoding") == 0 &&
		    strcasestr(v, "chunked") != NULL)
			*flags |= 2;
		else if (strcasecmp(line, "Expect") == 0 &&
		    strcasecmp(v, "100-continue") == 0)
			*flags |= 1;
		else if (strcasecmp(line, "Connection") == 0)
			r->close = strcasecmp(v, "close") == 0 ? 1 :
			    strcasecmp(v, "keep-alive") == 0 ? 0 : r->close;
		for (i = 0; i < FRONT_NHDRS; i++)
			if (strcasecmp(line, pass[i]) == 0 &&
			    r->nhdrs < FRONT_NHDRS)
				xasprintf(&r->hdrs[r->nhdrs++], "%s: %s",
				    pass[i], v);
	}
	return 0;
}

/*
 * Reads the next request on fd into r; in holds what was read and not yet
 * used. Returns 1, 0 when the connection ended, or the HTTP status to
 * answer before closing it (400, 411, 413).
 */
static inline int
front_read(int fd, struct buf *in, struct front_req *r)
{
	size_t	hend, clen = 0;
	char	*head;
	int	 flags = 0, rc;

	memset(r, 0, sizeof(*r));
	while ((hend = front_head_end(in->data, in->len)) == 0) {
		if (in->len > FRONT_MAX_HEAD)
			return 413;
		if (front_recv(fd, in) <= 0)
			return 0;
	}
	head = xstrndup(in->data, hend);
	rc = front_parse_head(head, r, &clen, &flags);
	free(head);
	if (rc != 0)
		return 400;
	if (flags & 2)
		return 411;
	if (clen > FRONT_MAX_BODY)
		return 413;
	if ((flags & 1) && in->len < hend + clen &&
	    front_send(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
		return 0;
	while (in->len < hend + clen)
		if (front_recv(fd, in) <= 0)
			return 0;
	if (flags & 4) {
		/* a body, perhaps empty */
		r->body = xmalloc(clen + 1);
		memcpy(r->body, in->data + hend, clen);
		r->body[clen] = '\0';
		r->body_len = clen;
	}
	front_consume(in, hend + clen);
	return 1;
}

/* The reason phrase of status. */
static inline const char *
front_reason(long status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 429:
		return "Too Many Requests";
	case 502:
		return "Bad Gateway";
	default:
		return "Status";
	}
}

/*
 * Answers on fd with status and body (len bytes; none for 204), the
 * Content-Type, X-RateLimit-* and Retry-After headers of resp when not
 * NULL, and "Connection: close" with closing. Returns 0, or -1 when the
 * client is gone.
 */
static inline int
front_answer(int fd, long status, const struct http_response *resp,
    const char *body, size_t len, int closing)
{
	struct buf	 out;
	size_t		 i;
	const char	*n;
	int		 rc;

	buf_init(&out, 0);
	buf_addf(&out, "HTTP/1.1 %ld %s\r\n", status, front_reason(status));
	for (i = 0; resp != NULL && i < resp->nheaders; i++) {
		n = resp->headers[i].name;
		if (strcasecmp(n, "Content-Type") == 0 ||
		    strncasecmp(n, "X-RateLimit-", 12) == 0 ||
		    strcasecmp(n, "Retry-After") == 0)
			buf_addf(&out, "%s: %s\r\n", n,
			    resp->headers[i].value);
	}
	if (resp == NULL && len > 0)
		buf_puts(&out, "Content-Type: application/json\r\n");
	if (status != 204 && status != 304)
		buf_addf(&out, "Content-Length: %zu\r\n", len);
	if (closing)
		buf_puts(&out, "Connection: close\r\n");
	buf_puts(&out, "\r\n");
	if (status != 204 && status != 304 && len > 0)
		buf_add(&out, body, len);
	rc = front_send(fd, out.data, out.len);
	buf_dispose(&out);
	return rc;
}

/* Sends r to the fake on h; returns as http_do. */
static inline int
front_forward(struct bench_front *f, struct http *h,
    const struct front_req *r, struct http_response *resp, struct rerr *err)
{
	struct http_request	req;
	char			*url;
	int			 rc;

	xasprintf(&url, "http://127.0.0.1:%d%s", f->upstream, r->target);
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.url = url;
	req.headers = (const char *const *)r->hdrs;
	req.body = r->body;
	req.body_len = r->body_len;
	req.timeout_ms = 15000;
	req.max_response = FRONT_MAX_BODY;
	rc = http_do(h, &req, resp, err);
	free(url);
	return rc;
}

/*
 * Returns segment i (0: the first) of target after prefix, newly
 * allocated, or NULL when target does not start with prefix or has fewer
 * segments. A segment ends at '/', '?' or the end.
 */
static inline char *
front_segment(const char *target, const char *prefix, int i)
{
	const char	*p;
	size_t		 n;

	if (strncmp(target, prefix, strlen(prefix)) != 0)
		return NULL;
	p = target + strlen(prefix);
	for (;;) {
		n = strcspn(p, "/?");
		if (n == 0)
			return NULL;
		if (i-- == 0)
			return xstrndup(p, n);
		if (p[n] != '/')
			return NULL;
		p += n + 1;
	}
}

/*
 * Returns the token of an interaction callback (POST
 * /api/v10/interactions/ID/TOKEN/callback), newly allocated, or NULL.
 */
static inline char *
front_callback_token(const struct front_req *r)
{
	const char	*pre = "/api/v10/interactions/";
	char		*tok, *last;
	size_t		 n = strlen(r->target);
	int		 ok;

	if (strcmp(r->method, "POST") != 0 ||
	    (tok = front_segment(r->target, pre, 1)) == NULL)
		return NULL;
	/* "callback" is the third segment and the last */
	last = front_segment(r->target, pre, 2);
	ok = last != NULL && strcmp(last, "callback") == 0 && n > 9 &&
	    strcmp(r->target + n - 9, "/callback") == 0;
	free(last);
	if (!ok) {
		free(tok);
		return NULL;
	}
	return tok;
}

/*
 * Waits until no callback of the webhook request r's token is queued or
 * in flight.
 */
static inline void
front_wait_token(struct bench_front *f, const struct front_req *r)
{
	struct front_job	*j;
	char			*tok;

	if ((tok = front_segment(r->target, "/api/v10/webhooks/", 1)) ==
	    NULL)
		return;
	pthread_mutex_lock(&f->mu);
	for (j = f->jobs; j != NULL; )
		if (strcmp(j->token, tok) == 0) {
			pthread_cond_wait(&f->sent, &f->mu);
			j = f->jobs;
		} else
			j = j->next;
	pthread_mutex_unlock(&f->mu);
	free(tok);
}

/* A forwarder: sends the queued callbacks to the fake until stopped. */
static inline void *
front_forwarder(void *arg)
{
	struct bench_front	 *f = arg;
	struct http		 *h = http_new(NULL);
	struct http_response	  resp;
	struct front_job	 *j, **pp;
	struct rerr		  err;
	int			  rc;

	http_response_init(&resp);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		for (j = f->jobs; j != NULL && j->taken; j = j->next)
			;
		if (j == NULL) {
			if (f->draining)
				break;
			pthread_cond_wait(&f->queued, &f->mu);
			continue;
		}
		j->taken = 1;
		pthread_mutex_unlock(&f->mu);
		rerr_init(&err);
		rc = front_forward(f, h, &j->req, &resp, &err);
		if (rc != 0)
			fprintf(stderr, "bench_front: %s\n", err.msg);
		else if (resp.status < 200 || resp.status > 299)
			fprintf(stderr, "bench_front: the fake answered %s "
			    "with HTTP %ld: %s\n", j->req.target, resp.status,
			    buf_str(&resp.body));
		pthread_mutex_lock(&f->mu);
		if (rc != 0 || resp.status < 200 || resp.status > 299)
			f->refused++;
		for (pp = &f->jobs; *pp != j; pp = &(*pp)->next)
			;
		*pp = j->next;
		pthread_cond_broadcast(&f->sent);
		front_req_dispose(&j->req);
		free(j->token);
		free(j);
	}
	pthread_mutex_unlock(&f->mu);
	http_response_dispose(&resp);
	http_free(h);
	return NULL;
}

/* Queues the callback r (taken over) with its token (taken over). */
static inline void
front_queue(struct bench_front *f, struct front_req *r, char *tok)
{
	struct front_job	*j = xcalloc(1, sizeof(*j)), **pp;

	j->req = *r;
	memset(r, 0, sizeof(*r));
	j->token = tok;
	pthread_mutex_lock(&f->mu);
	for (pp = &f->jobs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = j;
	f->acked++;
	pthread_cond_signal(&f->queued);
	pthread_mutex_unlock(&f->mu);
}

/* Serves the connection fd with the HTTP client h until it ends. */
static inline void
front_serve(struct bench_front *f, int fd, struct http *h)
{
	static const char	 bad[] = "{\"message\":\"bench_front: the "
				    "fake did not answer\",\"code\":0}";
	struct http_response	 resp;
	struct front_req	 r;
	struct buf		 in;
	struct rerr		 err;
	char			*tok;
	int			 st = 0, last, rc = 0;

	buf_init(&in, FRONT_MAX_HEAD + FRONT_MAX_BODY);
	http_response_init(&resp);
	while (rc == 0 && (st = front_read(fd, &in, &r)) == 1) {
		last = r.close;
		if ((tok = front_callback_token(&r)) != NULL) {
			/* queued before the answer: an edit comes after */
			front_queue(f, &r, tok);
			rc = front_answer(fd, 204, NULL, NULL, 0, last);
		} else {
			front_wait_token(f, &r);
			rerr_init(&err);
			if (front_forward(f, h, &r, &resp, &err) == 0)
				rc = front_answer(fd, resp.status, &resp,
				    resp.body.data, resp.body.len, last);
			else
				rc = front_answer(fd, 502, NULL, bad,
				    strlen(bad), last);
			http_response_dispose(&resp);
		}
		front_req_dispose(&r);
		if (last)
			rc = -1;
	}
	if (rc == 0 && st > 1)
		front_answer(fd, st, NULL, NULL, 0, 1);
	front_req_dispose(&r);
	buf_dispose(&in);
}

/*
 * Touches FRONT_WARM_STACK bytes of the calling thread's stack and
 * FRONT_WARM_HEAP of its malloc arena, so their pages are there before a
 * burst.
 */
static inline void
front_warm(void)
{
	volatile char	 stack[FRONT_WARM_STACK];
	char		*p = xmalloc(FRONT_WARM_HEAP);

	memset((char *)stack, 0, sizeof(stack));
	memset(p, 0, FRONT_WARM_HEAP);
	free(p);
}

/* A worker: serves the connections the acceptor hands over until stop. */
static inline void *
front_work(void *arg)
{
	struct front_worker	*w = arg;
	struct bench_front	*f = w->f;
	struct front_pending	*p;
	struct http		*h = http_new(NULL);
	int			 fd;

	front_warm();
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->pending == NULL && !f->stopping) {
			f->idle++;
			pthread_cond_wait(&f->conn, &f->mu);
			f->idle--;
		}
		if ((p = f->pending) == NULL)
			break;
		f->pending = p->next;
		f->npending--;
		w->fd = fd = p->fd;
		free(p);
		pthread_mutex_unlock(&f->mu);
		front_serve(f, fd, h);
		pthread_mutex_lock(&f->mu);
		/* under the lock: bench_front_stop shuts only open ones */
		w->fd = -1;
		close(fd);
	}
	pthread_mutex_unlock(&f->mu);
	http_free(h);
	return NULL;
}

/* Starts one more worker; the caller holds f->mu. Returns 0, or -1. */
static inline int
front_add_worker(struct bench_front *f)
{
	struct front_worker	*w = xcalloc(1, sizeof(*w));

	w->f = f;
	w->fd = -1;
	if (pthread_create(&w->th, NULL, front_work, w) != 0) {
		free(w);
		return -1;
	}
	w->next = f->workers;
	f->workers = w;
	return 0;
}

/*
 * The acceptor: hands each new connection to an idle worker, starting
 * one more when none is idle, until stopped.
 */
static inline void *
front_acceptor(void *arg)
{
	struct bench_front	*f = arg;
	struct front_pending	*p, **pp;
	struct pollfd		 pfd[2];
	int			 fd, one = 1;

	pfd[0].fd = f->lfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = f->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		if ((fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p = xcalloc(1, sizeof(*p));
		p->fd = fd;
		pthread_mutex_lock(&f->mu);
		for (pp = &f->pending; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = p;
		f->npending++;
		if (f->npending > f->idle && front_add_worker(f) != 0)
			fprintf(stderr, "bench_front: no thread for a "
			    "connection; it waits\n");
		pthread_cond_signal(&f->conn);
		pthread_mutex_unlock(&f->mu);
	}
	return NULL;
}

/*
 * Starts a front for the fake Discord's REST port upstream, listening on
 * 127.0.0.1 at a port the kernel chooses (f->port), with FRONT_WORKERS
 * workers. Returns 0, or -1 (with nothing left open).
 */
static inline int
bench_front_start(struct bench_front *f, int upstream)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			i;

	memset(f, 0, sizeof(*f));
	f->upstream = upstream;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(f->lfd, 256) == -1 ||
	    getsockname(f->lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    pipe2(f->wake, O_CLOEXEC) == -1) {
		close(f->lfd);
		return -1;
	}
	f->port = ntohs(sin.sin_port);
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->queued, NULL);
	pthread_cond_init(&f->sent, NULL);
	pthread_cond_init(&f->conn, NULL);
	for (i = 0; i < FRONT_FORWARDERS; i++)
		if (pthread_create(&f->fwd[i], NULL, front_forwarder, f) != 0)
			err(1, "pthread_create");
	pthread_mutex_lock(&f->mu);
	for (i = 0; i < FRONT_WORKERS; i++)
		if (front_add_worker(f) != 0)
			err(1, "pthread_create");
	pthread_mutex_unlock(&f->mu);
	if (pthread_create(&f->acceptor, NULL, front_acceptor, f) != 0)
		err(1, "pthread_create");
	return 0;
}

/*
 * Stops f: no new connections, the open ones closed, the queued callbacks
 * sent to the fake (which must still run), every thread joined, every
 * descriptor closed.
 */
static inline void
bench_front_stop(struct bench_front *f)
{
	struct front_worker	*w;
	struct front_pending	*p;
	int			 i;

	if (write(f->wake[1], "x", 1) != 1)
		err(1, "bench_front: write");
	pthread_join(f->acceptor, NULL);
	pthread_mutex_lock(&f->mu);
	f->stopping = 1;
	while ((p = f->pending) != NULL) {
		f->pending = p->next;
		close(p->fd);
		free(p);
	}
	f->npending = 0;
	for (w = f->workers; w != NULL; w = w->next)
		if (w->fd != -1)
			shutdown(w->fd, SHUT_RDWR);
	pthread_cond_broadcast(&f->conn);
	pthread_mutex_unlock(&f->mu);
	while ((w = f->workers) != NULL) {
		f->workers = w->next;
		pthread_join(w->th, NULL);
		free(w);
	}
	/* no callback comes any more: the queue empties, and they end */
	pthread_mutex_lock(&f->mu);
	f->draining = 1;
	pthread_cond_broadcast(&f->queued);
	pthread_mutex_unlock(&f->mu);
	for (i = 0; i < FRONT_FORWARDERS; i++)
		pthread_join(f->fwd[i], NULL);
	close(f->lfd);
	close(f->wake[0]);
	close(f->wake[1]);
	pthread_cond_destroy(&f->conn);
	pthread_cond_destroy(&f->sent);
	pthread_cond_destroy(&f->queued);
	pthread_mutex_destroy(&f->mu);
}

#endif
