/*
 * test_http: the libcurl client against a small HTTP/1.1 server in a
 * thread on 127.0.0.1 (status and headers such as rate limits, request
 * bodies, chunked streaming and early stop, the size cap, timeouts,
 * keep-alive) and against the Docker engine's unix socket.
 */
#include "unit.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>

#include "buf.h"
#include "http.h"

struct srv {
	int		lfd;
	int		port;
	int		accepted;
	pthread_t	thread;
};

static struct srv	srv;

static void
srv_send(int fd, const char *s, size_t n)
{
	ssize_t	w;

	while (n > 0 && (w = send(fd, s, n, MSG_NOSIGNAL)) > 0) {
		s += w;
		n -= w;
	}
}

static void
srv_reply(int fd, const char *status, const char *extra, const char *body)
{
	char	*head;

	if (asprintf(&head, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n",
	    status, extra, strlen(body)) == -1)
		abort();
	srv_send(fd, head, strlen(head));
	srv_send(fd, body, strlen(body));
	free(head);
}

/* Serves one connection until the client closes it. */
static void
srv_conn(int fd)
{
	char		 req[65536], method[16], path[256], body[1024], *end;
	char		*cl, *reply;
	size_t		 len = 0, blen;
	ssize_t		 n;

	for (;;) {
		while ((end = memmem(req, len, "\r\n\r\n", 4)) == NULL) {
			n = recv(fd, req + len, sizeof(req) - len - 1, 0);
			if (n <= 0)
				return;
			len += n;
		}
		req[len] = '\0';
		sscanf(req, "%15s %255s", method, path);
		blen = 0;
		if ((cl = strcasestr(req, "Content-Length:")) != NULL &&
		    cl < end)
			blen = strtoul(cl + 15, NULL, 10);
		while ((size_t)(end + 4 - req) + blen > len) {
			n = recv(fd, req + len, sizeof(req) - len - 1, 0);
			if (n <= 0)
				return;
			len += n;
		}
		snprintf(body, sizeof(body), "%.*s", (int)blen, end + 4);
		memmove(req, end + 4 + blen, len - (end + 4 - req) - blen);
		len -= (end + 4 - req) + blen;

		if (strcmp(path, "/429") == 0)
			srv_reply(fd, "429 Too Many Requests",
			    "Retry-After: 2\r\nx-ratelimit-remaining: 0\r\n"
			    "X-RateLimit-Bucket: abc\r\n",
			    "{\"retry_after\": 1.5}");
		else if (strcmp(path, "/echo") == 0) {
			if (asprintf(&reply, "%s %zu:%s", method, blen,
			    body) == -1)
				abort();
			srv_reply(fd, "200 OK", "", reply);
			free(reply);
		} else if (strcmp(path, "/stream") == 0) {
			static const char chunked[] =
			    "HTTP/1.1 200 OK\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n";
			srv_send(fd, chunked, strlen(chunked));
			srv_send(fd, "6\r\nline1\n\r\n", 11);
			usleep(50000);
			srv_send(fd, "6\r\nline2\n\r\n", 11);
			usleep(50000);
			srv_send(fd, "6\r\nline3\n\r\n", 11);
			srv_send(fd, "0\r\n\r\n", 5);
		} else if (strcmp(path, "/big") == 0) {
			char	*big = malloc(100001);

			memset(big, 'x', 100000);
			big[100000] = '\0';
			srv_reply(fd, "200 OK", "", big);
			free(big);
		} else if (strcmp(path, "/slow") == 0) {
			sleep(2);
			srv_reply(fd, "200 OK", "", "late");
			return;
		} else if (strcmp(path, "/count") == 0) {
			if (asprintf(&reply, "%d", srv.accepted) == -1)
				abort();
			srv_reply(fd, "200 OK", "", reply);
			free(reply);
		} else
			srv_reply(fd, "404 Not Found", "", "no");
	}
}

static void *
srv_main(void *arg)
{
	int	fd;

	while ((fd = accept(srv.lfd, NULL, NULL)) != -1) {
		srv.accepted++;
		srv_conn(fd);
		close(fd);
	}
	return NULL;
}

static int
group_setup(void **state)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	/* Port 0: the kernel chooses a free one. */
	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(srv.lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    listen(srv.lfd, 8) == -1)
		return -1;
	srv.port = ntohs(sin.sin_port);
	pthread_create(&srv.thread, NULL, srv_main, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	shutdown(srv.lfd, SHUT_RDWR);
	close(srv.lfd);
	pthread_join(srv.thread, NULL);
	return 0;
}

static char *
url(const char *path)
{
	char	*u;

	if (asprintf(&u, "http://127.0.0.1:%d%s", srv.port, path) == -1)
		abort();
	return u;
}

/* A client with one request and its response, as the tests use them. */
struct client {
	struct http		*h;
	struct http_request	 req;
	struct http_response	 resp;
	struct rerr		 err;
};

/* A client of the unix socket sock (NULL: TCP) with an empty request. */
static void
client_init(struct client *cl, const char *sock)
{
	memset(cl, 0, sizeof(*cl));
	cl->h = http_new(sock);
	http_response_init(&cl->resp);
	rerr_init(&cl->err);
}

/* Sends cl's request; http_do's code, the answer in cl->resp. */
static int
client_do(struct client *cl)
{
	return http_do(cl->h, &cl->req, &cl->resp, &cl->err);
}

static void
client_dispose(struct client *cl)
{
	http_response_dispose(&cl->resp);
	http_free(cl->h);
}

static void
test_http__status_and_headers(void **state)
{
	struct client		 cl;
	char			*u = url("/429");

	client_init(&cl, NULL);
	cl.req.url = u;
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(cl.resp.status, 429);
	assert_string_equal(http_response_header(&cl.resp, "Retry-After"), "2");
	assert_string_equal(http_response_header(&cl.resp,
	    "X-RateLimit-Remaining"), "0");
	assert_string_equal(http_response_header(&cl.resp,
	    "x-ratelimit-bucket"), "abc");
	assert_null(http_response_header(&cl.resp, "X-Absent"));
	assert_string_equal(buf_str(&cl.resp.body), "{\"retry_after\": 1.5}");
	client_dispose(&cl);
	free(u);
}

static void
test_http__methods_and_keepalive(void **state)
{
	struct client		 cl;
	static const char *const hdrs[] = { "Content-Type: application/json",
	    NULL };
	char			*u = url("/echo"), *c = url("/count");
	int			 before;

	client_init(&cl, NULL);
	cl.req.url = u;
	cl.req.body = "{\"a\":1}";
	cl.req.body_len = (size_t)-1;
	cl.req.headers = hdrs;
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(cl.resp.status, 200);
	assert_string_equal(buf_str(&cl.resp.body), "POST 7:{\"a\":1}");

	cl.req.method = "PATCH";
	assert_rok(client_do(&cl), &cl.err);
	assert_string_equal(buf_str(&cl.resp.body), "PATCH 7:{\"a\":1}");

	memset(&cl.req, 0, sizeof(cl.req));
	cl.req.url = u;
	cl.req.method = "DELETE";
	assert_rok(client_do(&cl), &cl.err);
	assert_string_equal(buf_str(&cl.resp.body), "DELETE 0:");

	/* The same connection served all of them. */
	memset(&cl.req, 0, sizeof(cl.req));
	cl.req.url = c;
	assert_rok(client_do(&cl), &cl.err);
	before = atoi(buf_str(&cl.resp.body));
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(atoi(buf_str(&cl.resp.body)), before);
	client_dispose(&cl);
	free(u);
	free(c);
}

struct chunks {
	struct buf	all;
	int		calls;
	int		stop_after;
};

static int
on_chunk(const char *p, size_t n, void *arg)
{
	struct chunks	*c = arg;

	buf_add(&c->all, p, n);
	c->calls++;
	return c->stop_after > 0 && c->calls >= c->stop_after;
}

static void
test_http__streaming(void **state)
{
	struct client		 cl;
	struct chunks		 c;
	char			*u = url("/stream"), *m = url("/missing");

	client_init(&cl, NULL);
	memset(&c, 0, sizeof(c));
	buf_init(&c.all, 0);
	cl.req.url = u;
	cl.req.on_data = on_chunk;
	cl.req.arg = &c;
	assert_rok(client_do(&cl), &cl.err);
	assert_string_equal(buf_str(&c.all), "line1\nline2\nline3\n");
	assert_true(c.calls >= 2);
	assert_int_equal(cl.resp.body.len, 0);
	assert_false(cl.resp.stopped);

	/* The callback ends it early. */
	buf_reset(&c.all);
	c.calls = 0;
	c.stop_after = 1;
	assert_rok(client_do(&cl), &cl.err);
	assert_true(cl.resp.stopped);
	assert_string_equal(buf_str(&c.all), "line1\n");

	/* An error status is collected, not streamed. */
	buf_reset(&c.all);
	c.calls = 0;
	cl.req.url = m;
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(cl.resp.status, 404);
	assert_int_equal(c.calls, 0);
	assert_string_equal(buf_str(&cl.resp.body), "no");
	buf_dispose(&c.all);
	client_dispose(&cl);
	free(u);
	free(m);
}

static void
test_http__limits_and_failures(void **state)
{
	struct client		 cl;
	char			*big = url("/big"), *slow = url("/slow");
	char			 closed[64];
	int			 port;

	client_init(&cl, NULL);
	cl.req.url = big;
	cl.req.max_response = 1000;
	assert_int_equal(client_do(&cl), -1);
	assert_contains(cl.err.msg, "larger than 1000 bytes");
	rerr_init(&cl.err);
	cl.req.max_response = 0;
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(cl.resp.body.len, 100000);

	rerr_init(&cl.err);
	cl.req.url = slow;
	cl.req.timeout_ms = 300;
	assert_int_equal(client_do(&cl), ROOST_ETIMEDOUT);
	assert_contains(cl.err.msg, "timed out");

	/* Nothing listens there (a port the kernel just had free). */
	rerr_init(&cl.err);
	port = unit_free_port();
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%d/", port);
	cl.req.url = closed;
	cl.req.timeout_ms = 2000;
	assert_int_equal(client_do(&cl), -1);
	snprintf(closed, sizeof(closed), "127.0.0.1:%d", port);
	assert_contains(cl.err.msg, closed);
	client_dispose(&cl);
	free(big);
	free(slow);
}

static void
test_http__unix_socket(void **state)
{
	const char		*sock = getenv("ROOST_DOCKER_SOCK");
	struct client		 cl;

	client_init(&cl, sock != NULL && *sock ? sock : "/var/run/docker.sock");
	cl.req.url = "http://docker/_ping";
	assert_rok(client_do(&cl), &cl.err);
	assert_int_equal(cl.resp.status, 200);
	assert_string_equal(buf_str(&cl.resp.body), "OK");
	assert_non_null(http_response_header(&cl.resp, "Api-Version"));
	client_dispose(&cl);

	client_init(&cl, "/nonexistent/roost.sock");
	cl.req.url = "http://docker/_ping";
	assert_int_equal(client_do(&cl), -1);
	assert_contains(cl.err.msg, "/nonexistent/roost.sock");
	client_dispose(&cl);
}

static void
test_http__escape(void **state)
{
	char	*s = http_escape("a b/{\"label\":[\"x=y\"]}~");

	assert_string_equal(s, "a%20b%2F%7B%22label%22%3A%5B%22x%3Dy%22%5D%7D~");
	free(s);
}

UNIT_MAIN(group_setup, group_teardown,
    cmocka_unit_test(test_http__status_and_headers),
    cmocka_unit_test(test_http__methods_and_keepalive),
    cmocka_unit_test(test_http__streaming),
    cmocka_unit_test(test_http__limits_and_failures),
    cmocka_unit_test(test_http__unix_socket),
    cmocka_unit_test(test_http__escape))
