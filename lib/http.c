/*
 * http: requests over libcurl's easy interface, one reusable handle per
 * client so connections stay alive between requests (see http.h). This
 * file owns every libcurl call in roost and turns CURLcode and the error
 * buffer into struct rerr.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#define HTTP_DEFAULT_MAX	(64UL * 1024 * 1024)
#define HTTP_CONNECT_TIMEOUT_MS	10000L

struct http {
	CURL		*curl;
	char		*sock;
	atomic_int	 cancel;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct http_xfer {
	const struct http_request *req;
	struct http_response	*resp;
	struct http		*h;
	int			 overflow;
	int			 streaming;	/* -1: not known yet */
};

static pthread_once_t	http_once = PTHREAD_ONCE_INIT;

static void
http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("libcurl global initialisation failed");
}

/* Returns a client, optionally bound to a unix socket. */
struct http *
http_new(const char *unix_socket)
{
	struct http	*h;

	pthread_once(&http_once, http_global_init);
	h = xcalloc(1, sizeof(*h));
	if ((h->curl = curl_easy_init()) == NULL)
		fatalx("libcurl could not create a handle");
	if (unix_socket != NULL)
		h->sock = xstrdup(unix_socket);
	atomic_init(&h->cancel, 0);
	return h;
}

/* Frees h and closes its connections. */
void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h->sock);
	free(h);
}

/* Sets the cancel flag; any thread. */
void
http_cancel(struct http *h)
{
	atomic_store(&h->cancel, 1);
}

/* Clears the cancel flag. */
void
http_reset_cancel(struct http *h)
{
	atomic_store(&h->cancel, 0);
}

/* Prepares an empty response. */
void
http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	buf_init(&resp->body, 0);
}

static void
http_headers_clear(struct http_response *resp)
{
	size_t	i;

	for (i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	resp->headers = NULL;
	resp->nheaders = 0;
}

/* Frees what resp holds. */
void
http_response_dispose(struct http_response *resp)
{
	http_headers_clear(resp);
	buf_dispose(&resp->body);
	resp->status = 0;
	resp->stopped = 0;
}

/* Returns the first header called name, or NULL. */
const char *
http_response_header(const struct http_response *resp, const char *name)
{
	size_t	i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

/* Percent-encodes s for a query value; the caller frees the result. */
char *
http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf	 b;
	const unsigned char *p;

	buf_init(&b, 0);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			buf_putc(&b, *p);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b);
}

static size_t
http_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;
	size_t			 len = size * n;
	long			 status = 0;

	if (x->req->on_data != NULL && x->streaming == -1) {
		curl_easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &status);
		x->streaming = status >= 200 && status < 300;
	}
	if (x->req->on_data != NULL && x->streaming == 1) {
		if (x->req->on_data(p, len, x->req->arg) != 0) {
			x->resp->stopped = 1;
			return len == 0 ? 1 : 0;
		}
		return len;
	}
	if (buf_add(&x->resp->body, p, len) == -1) {
		x->overflow = 1;
		return len == 0 ? 1 : 0;
	}
	return len;
}

static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;
	struct http_response	*resp = x->resp;
	size_t			 len = size * n, nl, vl;
	const char		*colon, *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after 1xx or a redirect): start over. */
		http_headers_clear(resp);
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	nl = colon - p;
	v = colon + 1;
	vl = len - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	resp->headers = xreallocarray(resp->headers, resp->nheaders + 1,
	    sizeof(*resp->headers));
	resp->headers[resp->nheaders].name = xstrndup(p, nl);
	resp->headers[resp->nheaders].value = xstrndup(v, vl);
	resp->nheaders++;
	return len;
}

static int
http_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_xfer	*x = arg;

	return atomic_load(&x->h->cancel) ? 1 : 0;
}

/*
 * Why a unix socket did not answer, in the socket's terms (curl's own
 * message speaks of "localhost port 80").
 */
static const char *
http_sock_why(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == -1)
		return errno == ENOENT ? "no such socket" : strerror(errno);
	if (!S_ISSOCK(sb.st_mode))
		return "not a socket";
	if (access(path, W_OK) == -1)
		return "permission denied";
	return "connection refused";
}

/* Sends req and fills resp; see http.h for the return values. */
int
http_do(struct http *h, const struct http_request *req,
    struct http_response *resp, struct rerr *err)
{
	struct curl_slist	*hdrs = NULL, *tmp;
	struct http_xfer	 x;
	const char		*method;
	size_t			 i, blen = 0;
	CURLcode		 cc;
	CURL			*c = h->curl;
	long			 status = 0;

	method = req->method;
	if (method == NULL)
		method = req->body != NULL ? "POST" : "GET";
	if (req->body != NULL)
		blen = req->body_len == (size_t)-1 ? strlen(req->body) :
		    req->body_len;

	http_headers_clear(resp);
	buf_reset(&resp->body);
	resp->body.max = req->max_response ? req->max_response :
	    HTTP_DEFAULT_MAX;
	resp->status = 0;
	resp->stopped = 0;

	memset(&x, 0, sizeof(x));
	x.req = req;
	x.resp = resp;
	x.h = h;
	x.streaming = -1;

	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (h->sock != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->sock);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    req->connect_timeout_ms ? req->connect_timeout_ms :
	    HTTP_CONNECT_TIMEOUT_MS);
	if (req->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, http_progress_cb);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (req->aws_sigv4 != NULL) {
		/* AWS Signature Version 4, computed by libcurl. */
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		curl_easy_setopt(c, CURLOPT_USERPWD, req->userpwd);
		/* Transfers of any length, but a stalled one ends. */
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	}

	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (req->body != NULL || strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)blen);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			    req->body != NULL ? req->body : "");
		}
	}

	/*
	 * Never wait for a 100-continue that small servers do not send. Not
	 * with AWS signing: Debian 12's libcurl would sign the empty header.
	 */
	if (req->aws_sigv4 == NULL &&
	    (hdrs = curl_slist_append(hdrs, "Expect:")) == NULL)
		fatalx("out of memory");
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((tmp = curl_slist_append(hdrs, req->headers[i])) == NULL)
			fatalx("out of memory");
		hdrs = tmp;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);

	if (cc == CURLE_OK)
		return 0;
	if (cc == CURLE_WRITE_ERROR && resp->stopped)
		return 0;
	if (cc == CURLE_WRITE_ERROR && x.overflow)
		return rerr_set(err, -1, "response to %s \"%s\" is larger "
		    "than %zu bytes", method, req->url, resp->body.max);
	if (cc == CURLE_ABORTED_BY_CALLBACK)
		return rerr_set(err, -1, "%s \"%s\" cancelled", method,
		    req->url);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return rerr_set(err, ROOST_ETIMEDOUT, "%s \"%s\" timed out: "
		    "%s", method, req->url, h->errbuf[0] ? h->errbuf :
		    curl_easy_strerror(cc));
	if (h->sock != NULL && (cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_COULDNT_RESOLVE_HOST))
		return rerr_set(err, -1, "cannot connect to \"%s\": %s; check "
		    "that the service is running", h->sock,
		    http_sock_why(h->sock));
	return rerr_set(err, -1, "%s \"%s\": %s", method, req->url,
	    h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
}
