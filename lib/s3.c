/*
 * s3: the S3 API over lib/http.c, signed by libcurl, answers read with
 * libxml2 (see s3.h). Every request is one call of s3_req: the URL
 * (path-style or virtual-host), the payload's SHA-256 header, and an S3
 * error turned into a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "buf.h"
#include "http.h"
#include "rerr.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

#include "s3.h"

#define S3_XML_MAX	(8 * 1024 * 1024)	/* one answer of S3 */
#define S3_KEYS_MAX	4096			/* a credentials file */
#define S3_SMALL_TIMEOUT_MS	(120 * 1000)	/* requests without data */

struct s3 {
	struct http	*h;
	char		*scheme;	/* "http" or "https" */
	char		*host;		/* host[:port] */
	char		*bucket;
	char		*sigv4;		/* aws:amz:REGION:s3 */
	char		*userpwd;
	int		 path_style;
};

/* One request. */
struct s3_call {
	const char	*method;
	const char	*key;		/* NULL: the bucket */
	const char	*query;		/* sorted, encoded; NULL: none */
	const void	*body;
	size_t		 len;
	const char	*range;		/* "bytes=N-" or NULL */
	http_data_cb	 on_data;	/* stream a 2xx body */
	void		*arg;
	long		 timeout_ms;
};

/* Sets libxml2 up once; see s3.h. */
void
s3_init(void)
{
	xmlInitParser();
}

static int
s3_name_ok(const char *s, size_t min, size_t max, const char *set)
{
	size_t	n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n >= min && n <= max && strspn(s, set) == n;
}

/* Splits an endpoint into scheme and host[:port]; -1 when it is not one. */
static int
s3_endpoint_split(const char *ep, char **scheme, char **host)
{
	const char	*h;
	size_t		 n;

	if (strncmp(ep, "https://", 8) == 0)
		h = ep + 8;
	else if (strncmp(ep, "http://", 7) == 0)
		h = ep + 7;
	else
		return -1;
	n = strcspn(h, "/?#");
	if (n == 0 || (h[n] != '\0' && strcmp(h + n, "/") != 0) ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") < n)
		return -1;
	if (scheme != NULL)
		*scheme = xstrndup(ep, (size_t)(h - ep) - 3);
	if (host != NULL)
		*host = xstrndup(h, n);
	return 0;
}

/* Checks a configuration; see s3.h. */
int
s3_conf_check(const struct s3_conf *c, struct rerr *err)
{
	if (c->endpoint == NULL || s3_endpoint_split(c->endpoint, NULL,
	    NULL) != 0)
		return rerr_set(err, ROOST_EINVAL, "the endpoint must be "
		    "http(s)://host[:port], not '%s'",
		    c->endpoint != NULL ? c->endpoint : "");
	if (!s3_name_ok(c->bucket, 3, 63, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_"))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a bucket name",
		    c->bucket != NULL ? c->bucket : "");
	if (c->region != NULL && !s3_name_ok(c->region, 1, 64,
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a region name",
		    c->region);
	return 0;
}

/* A client; see s3.h. */
struct s3 *
s3_new(const struct s3_conf *c)
{
	struct s3	*s;

	s = xcalloc(1, sizeof(*s));
	if (s3_endpoint_split(c->endpoint, &s->scheme, &s->host) != 0) {
		s->scheme = xstrdup("https");
		s->host = xstrdup("invalid");
	}
	s->bucket = xstrdup(c->bucket);
	s->path_style = c->path_style;
	xasprintf(&s->sigv4, "aws:amz:%s:s3", c->region != NULL ? c->region :
	    "us-east-1");
	xasprintf(&s->userpwd, "%s:%s", c->access_key != NULL ?
	    c->access_key : "", c->secret_key != NULL ? c->secret_key : "");
	s->h = http_new(NULL);
	return s;
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	http_free(s->h);
	free(s->scheme);
	free(s->host);
	free(s->bucket);
	free(s->sigv4);
	if (s->userpwd != NULL)
		explicit_bzero(s->userpwd, strlen(s->userpwd));
	free(s->userpwd);
	free(s);
}

/* Reads the credentials file; see s3.h. */
int
s3_keys_read(const char *path, char **access_key, char **secret_key,
    struct rerr *err)
{
	struct buf	 b;
	char		*line, *p, *v[2];
	size_t		 n = 0, len;

	*access_key = *secret_key = NULL;
	buf_init(&b, S3_KEYS_MAX);
	if (util_read_file(path, &b, err) != 0) {
		buf_dispose(&b);
		return -1;
	}
	p = b.data;
	while (n < 2 && (line = strsep(&p, "\n")) != NULL) {
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\r' ||
		    line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		v[n++] = line;
	}
	if (n < 2 || strchr(v[0], ':') != NULL) {
		explicit_bzero(b.data, b.len);
		buf_dispose(&b);
		return rerr_set(err, ROOST_EINVAL, "\"%s\": the access key id "
		    "on the first line and the secret key on the second", path);
	}
	*access_key = xstrdup(v[0]);
	*secret_key = xstrdup(v[1]);
	explicit_bzero(b.data, b.len);
	buf_dispose(&b);
	return 0;
}

/* Percent-encodes a key, keeping '/' (S3's canonical URI). */
static void
s3_key_escape(struct buf *b, const char *key)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~' || *p == '/')
			buf_putc(b, *p);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

/* The URL of a call. */
static char *
s3_url(const struct s3 *s, const struct s3_call *c)
{
	struct buf	b;

	buf_init(&b, 0);
	if (s->path_style)
		buf_addf(&b, "%s://%s/%s", s->scheme, s->host, s->bucket);
	else
		buf_addf(&b, "%s://%s.%s", s->scheme, s->bucket, s->host);
	/* The bucket itself is "/bucket" (path-style) or "/". */
	if (c->key != NULL || !s->path_style)
		buf_putc(&b, '/');
	if (c->key != NULL)
		s3_key_escape(&b, c->key);
	if (c->query != NULL)
		buf_addf(&b, "?%s", c->query);
	return buf_detach(&b);
}

/* ---- XML ---- */

static xmlDocPtr
s3_xml_read(const char *body, size_t len)
{
	if (len == 0 || len > INT32_MAX)
		return NULL;
	/* No network, no entities substituted, no DTD loaded. */
	return xmlReadMemory(body, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
}

/* The text of n's first child element called name, or NULL (to free). */
static char *
s3_child_text(xmlNodePtr n, const char *name)
{
	xmlNodePtr	 c;
	xmlChar		*t;
	char		*r;

	for (c = n != NULL ? n->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, name) == 0) {
			if ((t = xmlNodeGetContent(c)) == NULL)
				return xstrdup("");
			r = xstrdup((const char *)t);
			xmlFree(t);
			return r;
		}
	return NULL;
}

static int
s3_is(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static int
s3_has_elements(xmlNodePtr n)
{
	xmlNodePtr	c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static void
s3_walk(xmlNodePtr n, struct buf *path, s3_xml_cb cb, void *arg, int depth)
{
	xmlChar	*t;
	size_t	 mark;

	for (; n != NULL && depth < 32; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		mark = path->len;
		if (mark > 0)
			buf_putc(path, '/');
		buf_puts(path, (const char *)n->name);
		if (s3_has_elements(n))
			s3_walk(n->children, path, cb, arg, depth + 1);
		else {
			t = xmlNodeGetContent(n);
			cb(arg, buf_str(path), t != NULL ? (const char *)t : "");
			xmlFree(t);
		}
		path->len = mark;
		path->data[mark] = '\0';
	}
}

/* Walks an XML answer; see s3.h. */
int
s3_xml_walk(const char *body, size_t len, s3_xml_cb cb, void *arg)
{
	xmlDocPtr	doc;
	struct buf	path;

	if ((doc = s3_xml_read(body, len)) == NULL)
		return ROOST_EINVAL;
	buf_init(&path, 0);
	s3_walk(xmlDocGetRootElement(doc), &path, cb, arg, 0);
	buf_dispose(&path);
	xmlFreeDoc(doc);
	return 0;
}

/*
 * The error of an answer: S3's <Error><Code/><Message/></Error> when the
 * body has one, else the HTTP status. Returns the code set.
 */
static int
s3_error(const struct s3_call *c, const struct http_response *r,
    struct rerr *err)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root;
	char		*code = NULL, *msg = NULL;
	int		 rc;

	rc = r->status == 404 ? ROOST_ENOTFOUND : r->status == 403 ?
	    ROOST_EDENIED : -1;
	if ((doc = s3_xml_read(r->body.data, r->body.len)) != NULL) {
		root = xmlDocGetRootElement(doc);
		if (s3_is(root, "Error")) {
			code = s3_child_text(root, "Code");
			msg = s3_child_text(root, "Message");
		}
		xmlFreeDoc(doc);
	}
	if (code != NULL && (strcmp(code, "NoSuchKey") == 0 ||
	    strcmp(code, "NoSuchUpload") == 0))
		rc = ROOST_ENOTFOUND;
	if (code != NULL)
		rerr_set(err, rc, "S3 %.60s: %.300s (HTTP %ld, %s %s)", code,
		    msg != NULL ? msg : "", r->status, c->method,
		    c->key != NULL ? c->key : "/");
	else
		rerr_set(err, rc, "S3 answered HTTP %ld to %s %s", r->status,
		    c->method, c->key != NULL ? c->key : "/");
	free(code);
	free(msg);
	return rc;
}

/* A 200 can still carry an <Error> (CompleteMultipartUpload does). */
static int
s3_body_is_error(const struct http_response *r)
{
	return r->body.len > 0 && memmem(r->body.data, r->body.len > 256 ?
	    256 : r->body.len, "<Error>", 7) != NULL;
}

/*
 * Sends one signed request; resp holds the answer. Returns 0 for a 2xx
 * answer, else an error code with err set.
 */
static int
s3_req(struct s3 *s, const struct s3_call *c, struct http_response *resp,
    struct rerr *err)
{
	struct http_request	 req;
	const char		*hdrs[4];
	char			 sha[65], *url, *h0, *h1 = NULL;
	size_t			 nh = 0;
	int			 rc;

	sha256_hex(c->body != NULL ? c->body : "", c->body != NULL ? c->len :
	    0, sha);
	xasprintf(&h0, "x-amz-content-sha256: %s", sha);
	hdrs[nh++] = h0;
	if (c->range != NULL) {
		xasprintf(&h1, "Range: %s", c->range);
		hdrs[nh++] = h1;
	}
	hdrs[nh] = NULL;
	url = s3_url(s, c);
	memset(&req, 0, sizeof(req));
	req.method = c->method;
	req.url = url;
	req.headers = hdrs;
	req.body = c->body;
	req.body_len = c->len;
	req.timeout_ms = c->timeout_ms;
	req.max_response = S3_XML_MAX;
	req.on_data = c->on_data;
	req.arg = c->arg;
	req.aws_sigv4 = s->sigv4;
	req.userpwd = s->userpwd;
	if (c->body == NULL && strcmp(c->method, "POST") == 0) {
		req.body = "";
		req.body_len = 0;
	}
	rc = http_do(s->h, &req, resp, err);
	if (rc == 0 && (resp->status < 200 || resp->status > 299 ||
	    (c->on_data == NULL && s3_body_is_error(resp))))
		rc = s3_error(c, resp, err);
	else if (rc != 0) {
		struct rerr	e2 = *err;

		rerr_init(err);
		rerr_set(err, rc, "S3 %s %s: %s", c->method, c->key != NULL ?
		    c->key : "/", e2.msg);
	}
	free(url);
	free(h0);
	free(h1);
	return rc;
}

/*
 * Sends method on key (NULL: the bucket) with query and body (either may
 * be NULL) and timeout_ms (0: none); the answer in resp, which it
 * initialises and the caller disposes of, or NULL when nobody wants it.
 * As s3_req.
 */
static int
s3_send(struct s3 *s, const char *method, const char *key, const char *query,
    const void *body, size_t len, long timeout_ms, struct http_response *resp,
    struct rerr *err)
{
	struct s3_call		 c = { .method = method, .key = key,
	    .query = query, .body = body, .len = len,
	    .timeout_ms = timeout_ms };
	struct http_response	 own;
	int			 rc;

	http_response_init(resp != NULL ? resp : &own);
	rc = s3_req(s, &c, resp != NULL ? resp : &own, err);
	if (resp == NULL)
		http_response_dispose(&own);
	return rc;
}

/* The query "uploadId=<upload_id>", to free. */
static char *
s3_upload_query(const char *upload_id)
{
	char	*q, *eid;

	eid = http_escape(upload_id);
	xasprintf(&q, "uploadId=%s", eid);
	free(eid);
	return q;
}

/* ---- objects ---- */

/* Lists objects; see s3.h. */
int
s3_list(struct s3 *s, const char *prefix, s3_list_cb cb, void *arg,
    struct rerr *err)
{
	struct http_response	 resp;
	struct s3_call		 c;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, n;
	char			*q, *ep, *et = NULL, *key, *size, *trunc, *next;
	int			 rc = 0, pages;

	ep = http_escape(prefix);
	http_response_init(&resp);
	for (pages = 0; rc == 0 && pages < 10000; pages++) {
		if (et != NULL)
			xasprintf(&q, "continuation-token=%s&list-type=2&"
			    "prefix=%s", et, ep);
		else
			xasprintf(&q, "list-type=2&prefix=%s", ep);
		memset(&c, 0, sizeof(c));
		c.method = "GET";
		c.query = q;
		c.timeout_ms = S3_SMALL_TIMEOUT_MS;
		rc = s3_req(s, &c, &resp, err);
		free(q);
		free(et);
		et = NULL;
		if (rc != 0)
			break;
		doc = s3_xml_read(resp.body.data, resp.body.len);
		root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
		if (!s3_is(root, "ListBucketResult")) {
			rc = rerr_set(err, -1, "S3 listed the bucket with an "
			    "answer that is not a ListBucketResult");
			xmlFreeDoc(doc);
			break;
		}
		for (n = root->children; n != NULL; n = n->next) {
			if (!s3_is(n, "Contents"))
				continue;
			key = s3_child_text(n, "Key");
			size = s3_child_text(n, "Size");
			if (key != NULL)
				cb(arg, key, size != NULL ?
				    strtoull(size, NULL, 10) : 0);
			free(key);
			free(size);
		}
		trunc = s3_child_text(root, "IsTruncated");
		next = s3_child_text(root, "NextContinuationToken");
		if (trunc != NULL && strcmp(trunc, "true") == 0 &&
		    next != NULL && *next != '\0')
			et = http_escape(next);
		free(trunc);
		free(next);
		xmlFreeDoc(doc);
		if (et == NULL)
			break;
	}
	free(et);
	free(ep);
	http_response_dispose(&resp);
	return rc;
}

/* Stores an object; see s3.h. */
int
s3_put(struct s3 *s, const char *key, const void *p, size_t len,
    struct rerr *err)
{
	return s3_send(s, "PUT", key, NULL, p, len, 0, NULL, err);
}

/* An object's size; see s3.h. */
int
s3_head(struct s3 *s, const char *key, uint64_t *size, struct rerr *err)
{
	struct http_response	 resp;
	const char		*v;
	int			 rc;

	rc = s3_send(s, "HEAD", key, NULL, NULL, 0, S3_SMALL_TIMEOUT_MS,
	    &resp, err);
	if (rc == 0) {
		if ((v = http_response_header(&resp, "Content-Length")) ==
		    NULL)
			rc = rerr_set(err, -1, "S3 gave no size for %s", key);
		else
			*size = strtoull(v, NULL, 10);
	}
	http_response_dispose(&resp);
	return rc;
}

/* What s3_get hands its sink. */
struct s3_get_x {
	s3_sink	 sink;
	void	*arg;
};

static int
s3_get_data(const char *p, size_t n, void *arg)
{
	struct s3_get_x	*x = arg;

	return x->sink(x->arg, p, n) == 0 ? 0 : 1;
}

/* Streams an object; see s3.h. */
int
s3_get(struct s3 *s, const char *key, uint64_t offset, s3_sink sink,
    void *arg, struct rerr *err)
{
	struct http_response	resp;
	struct s3_call		c;
	struct s3_get_x		x;
	char			range[48];
	int			rc;

	x.sink = sink;
	x.arg = arg;
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.key = key;
	if (offset > 0) {
		snprintf(range, sizeof(range), "bytes=%llu-",
		    (unsigned long long)offset);
		c.range = range;
	}
	c.on_data = s3_get_data;
	c.arg = &x;
	http_response_init(&resp);
	rc = s3_req(s, &c, &resp, err);
	if (rc == 0 && resp.stopped)
		rc = 1;
	http_response_dispose(&resp);
	return rc;
}

/* Reads a small object; see s3.h. */
int
s3_get_small(struct s3 *s, const char *key, size_t max, char **out,
    size_t *len, struct rerr *err)
{
	struct http_response	resp;
	int			rc;

	*out = NULL;
	*len = 0;
	rc = s3_send(s, "GET", key, NULL, NULL, 0, S3_SMALL_TIMEOUT_MS, &resp,
	    err);
	if (rc == 0 && resp.body.len > max)
		rc = rerr_set(err, ROOST_EINVAL, "S3 object %s is larger than "
		    "%zu bytes", key, max);
	if (rc == 0) {
		*len = resp.body.len;
		*out = buf_detach(&resp.body);
	}
	http_response_dispose(&resp);
	return rc;
}

/* Removes an object; see s3.h. */
int
s3_delete(struct s3 *s, const char *key, struct rerr *err)
{
	int	rc;

	rc = s3_send(s, "DELETE", key, NULL, NULL, 0, S3_SMALL_TIMEOUT_MS,
	    NULL, err);
	return rc == ROOST_ENOTFOUND ? 0 : rc;
}

/* ---- multipart uploads ---- */

/* Starts an upload; see s3.h. */
int
s3_mpu_begin(struct s3 *s, const char *key, char **upload_id,
    struct rerr *err)
{
	struct http_response	 resp;
	xmlDocPtr		 doc;
	xmlNodePtr		 root;
	int			 rc;

	*upload_id = NULL;
	rc = s3_send(s, "POST", key, "uploads=", NULL, 0, S3_SMALL_TIMEOUT_MS,
	    &resp, err);
	if (rc == 0) {
		doc = s3_xml_read(resp.body.data, resp.body.len);
		root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
		if (s3_is(root, "InitiateMultipartUploadResult"))
			*upload_id = s3_child_text(root, "UploadId");
		xmlFreeDoc(doc);
		if (*upload_id == NULL || **upload_id == '\0') {
			free(*upload_id);
			*upload_id = NULL;
			rc = rerr_set(err, -1, "S3 started an upload of %s "
			    "without an upload id", key);
		}
	}
	http_response_dispose(&resp);
	return rc;
}

/* Sends a part; see s3.h. */
int
s3_mpu_part(struct s3 *s, const char *key, const char *upload_id, int n,
    const void *p, size_t len, char **etag, struct rerr *err)
{
	struct http_response	 resp;
	const char		*v;
	char			*q, *eid;
	int			 rc;

	*etag = NULL;
	eid = http_escape(upload_id);
	xasprintf(&q, "partNumber=%d&uploadId=%s", n, eid);
	free(eid);
	rc = s3_send(s, "PUT", key, q, p, len, 0, &resp, err);
	if (rc == 0) {
		if ((v = http_response_header(&resp, "ETag")) == NULL)
			rc = rerr_set(err, -1, "S3 gave no ETag for part %d "
			    "of %s", n, key);
		else
			*etag = xstrdup(v);
	}
	http_response_dispose(&resp);
	free(q);
	return rc;
}

/* Adds text to b with XML's special characters escaped. */
static void
s3_xml_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else
			buf_putc(b, *s);
	}
}

/* Joins the parts; see s3.h. */
int
s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id,
    char *const *etags, int n, struct rerr *err)
{
	struct buf	 b;
	char		*q;
	int		 i, rc;

	buf_init(&b, 0);
	buf_puts(&b, "<CompleteMultipartUpload>");
	for (i = 0; i < n; i++) {
		buf_addf(&b, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
		s3_xml_escape(&b, etags[i]);
		buf_puts(&b, "</ETag></Part>");
	}
	buf_puts(&b, "</CompleteMultipartUpload>");
	q = s3_upload_query(upload_id);
	rc = s3_send(s, "POST", key, q, b.data, b.len, 0, NULL, err);
	buf_dispose(&b);
	free(q);
	return rc;
}

/* Drops an upload; see s3.h. */
int
s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id,
    struct rerr *err)
{
	char	*q;
	int	 rc;

	q = s3_upload_query(upload_id);
	rc = s3_send(s, "DELETE", key, q, NULL, 0, S3_SMALL_TIMEOUT_MS, NULL,
	    err);
	free(q);
	return rc == ROOST_ENOTFOUND ? 0 : rc;
}

/* Lists unfinished uploads; see s3.h. */
int
s3_mpu_list(struct s3 *s, const char *prefix, s3_upload_cb cb, void *arg,
    struct rerr *err)
{
	struct http_response	 resp;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, n;
	char			*q, *ep, *key, *id;
	int			 rc;

	ep = http_escape(prefix);
	xasprintf(&q, "prefix=%s&uploads=", ep);
	free(ep);
	rc = s3_send(s, "GET", NULL, q, NULL, 0, S3_SMALL_TIMEOUT_MS, &resp,
	    err);
	if (rc == 0) {
		doc = s3_xml_read(resp.body.data, resp.body.len);
		root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
		for (n = root != NULL ? root->children : NULL; n != NULL;
		    n = n->next) {
			if (!s3_is(n, "Upload"))
				continue;
			key = s3_child_text(n, "Key");
			id = s3_child_text(n, "UploadId");
			if (key != NULL && id != NULL)
				cb(arg, key, id);
			free(key);
			free(id);
		}
		xmlFreeDoc(doc);
	}
	http_response_dispose(&resp);
	free(q);
	return rc;
}
