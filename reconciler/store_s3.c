/*
 * store_s3: a backup target in an S3 bucket (see store.h), through
 * lib/s3.c. Keys are <prefix><server>/<id>.tar.zst and <id>.json.
 *
 *  - An archive smaller than one part is sent with one PUT when it is
 *    complete; a larger one as a multipart upload: the writer fills one
 *    part buffer while a thread of the store sends the other, so memory
 *    stays at two parts (8 MiB each, doubled every 2000 parts to stay
 *    within S3's 10,000). The object appears only when the upload is
 *    completed; the record is written after it.
 *  - A kill -9 mid-upload leaves an unfinished multipart upload, which
 *    lists nothing; the next backup of the server aborts the uploads
 *    the store lists (where ListMultipartUploads is offered).
 *  - Reading: a thread streams the object into one end of a socket pair;
 *    the reader gets the other end.
 *  - Credentials are read from accessKeyFile at every operation, so a
 *    rotated key needs no restart.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "rerr.h"
#include "s3.h"
#include "util.h"
#include "xmalloc.h"

#include "conf.h"
#include "dbuf.h"
#include "store.h"

#define SS_PART		(8 * 1024 * 1024)	/* first part size */
#define SS_PART_STEP	2000			/* parts before it doubles */
#define SS_SOCKBUF	(1024 * 1024)

struct st_s3 {
	struct store	 s;
	char		*endpoint;
	char		*bucket;
	char		*region;
	char		*prefix;	/* "" or ending in '/' */
	char		*keyfile;
	int		 path_style;
};

/* A client with fresh credentials; NULL with err set. */
static struct s3 *
ss_client(struct st_s3 *st, struct rerr *err)
{
	struct s3_conf	 c;
	struct s3	*s;
	char		*ak, *sk;
	struct rerr	 e2;

	rerr_init(&e2);
	if (s3_keys_read(st->keyfile, &ak, &sk, &e2) != 0) {
		rerr_set(err, e2.code, "accessKeyFile: %s", e2.msg);
		return NULL;
	}
	memset(&c, 0, sizeof(c));
	c.endpoint = st->endpoint;
	c.bucket = st->bucket;
	c.region = st->region;
	c.path_style = st->path_style;
	c.access_key = ak;
	c.secret_key = sk;
	s = s3_new(&c);
	explicit_bzero(sk, strlen(sk));
	free(ak);
	free(sk);
	return s;
}

/* <prefix><server>/<id><ext>, or the server's prefix when id is NULL. */
static char *
ss_key(const struct st_s3 *st, const char *server, const char *id,
    const char *ext)
{
	char	*k;

	if (id == NULL)
		xasprintf(&k, "%s%s/", st->prefix, server);
	else
		xasprintf(&k, "%s%s/%s%s", st->prefix, server, id, ext);
	return k;
}

/*
 * A client with fresh credentials, and in *key the key ss_key names;
 * NULL with err set.
 */
static struct s3 *
ss_open(struct store *s, const char *server, const char *id,
    const char *ext, char **key, struct rerr *err)
{
	struct st_s3	*st = (struct st_s3 *)s;
	struct s3	*c;

	if ((c = ss_client(st, err)) != NULL)
		*key = ss_key(st, server, id, ext);
	return c;
}

/* ---- listing ---- */

struct ss_names {
	size_t	 plen;
	char	**json;
	size_t	 njson;
	char	**arch;
	size_t	 narch;
};

static void
ss_list_cb(void *arg, const char *key, uint64_t size)
{
	struct ss_names	*x = arg;
	const char	*name = key + x->plen;
	size_t		 n;

	if (strlen(key) <= x->plen || strchr(name, '/') != NULL)
		return;
	n = strlen(name);
	if (n > 5 && n < STORE_ID_MAX + 5 &&
	    strcmp(name + n - 5, ".json") == 0) {
		x->json = xreallocarray(x->json, x->njson + 1, sizeof(char *));
		x->json[x->njson++] = xstrndup(name, n - 5);
	} else if (n > 8 && strcmp(name + n - 8, ".tar.zst") == 0) {
		x->arch = xreallocarray(x->arch, x->narch + 1, sizeof(char *));
		x->arch[x->narch++] = xstrndup(name, n - 8);
	}
}

static int
ss_list(struct store *s, const char *server, char ***out, size_t *np,
    struct rerr *err)
{
	struct ss_names	 x;
	struct s3	*c;
	char		*pfx, **v = NULL;
	size_t		 i, k, n = 0;
	int		 rc;

	if ((c = ss_open(s, server, NULL, NULL, &pfx, err)) == NULL)
		return -1;
	memset(&x, 0, sizeof(x));
	x.plen = strlen(pfx);
	rc = s3_list(c, pfx, ss_list_cb, &x, err);
	free(pfx);
	s3_free(c);
	for (i = 0; rc == 0 && i < x.njson; i++)
		for (k = 0; k < x.narch; k++)
			if (strcmp(x.json[i], x.arch[k]) == 0) {
				v = xreallocarray(v, n + 1, sizeof(char *));
				v[n++] = xstrdup(x.json[i]);
				break;
			}
	util_strv_free(x.json, x.njson);
	util_strv_free(x.arch, x.narch);
	if (rc != 0) {
		util_strv_free(v, n);
		return -1;
	}
	*out = v;
	*np = n;
	return 0;
}

static int
ss_remove(struct store *s, const char *server, const char *id,
    struct rerr *err)
{
	struct s3	*c;
	char		*key;
	int		 rc;

	if ((c = ss_open(s, server, id, ".json", &key, err)) == NULL)
		return -1;
	rc = s3_delete(c, key, err);
	free(key);
	if (rc == 0) {
		key = ss_key((struct st_s3 *)s, server, id, ".tar.zst");
		rc = s3_delete(c, key, err);
		free(key);
	}
	s3_free(c);
	return rc;
}

/* Aborts one unfinished upload a listing found. */
static void
ss_tidy_cb(void *arg, const char *key, const char *upload_id)
{
	struct s3	*c = arg;
	struct rerr	 err;

	rerr_init(&err);
	if (s3_mpu_abort(c, key, upload_id, &err) != 0)
		log_warnx("S3: cannot abort the upload of %s: %s", key,
		    err.msg);
	else
		log_info("S3: aborted an unfinished upload of %s", key);
}

static void
ss_tidy(struct store *s, const char *server)
{
	struct rerr	 err;
	struct s3	*c;
	char		*pfx;

	rerr_init(&err);
	if ((c = ss_open(s, server, NULL, NULL, &pfx, &err)) == NULL)
		return;
	/* Not every S3-compatible store lists uploads: no error then. */
	(void)s3_mpu_list(c, pfx, ss_tidy_cb, c, &err);
	free(pfx);
	s3_free(c);
}

/* ---- writing ---- */

struct ss_put {
	struct store_put p;
	struct st_s3	*st;
	struct s3	*c;		/* the writer's client */
	char		*key;
	char		*rkey;
	struct dbuf	 parts;		/* its thread sends them */
	struct s3	*uc;		/* the thread's client */
	char		*upload_id;
	char		**etags;
	int		 nparts;
};

/* Before part n: the upload starts with part 1; S3 takes so many parts. */
static int
ss_next_part(void *arg, int n, struct rerr *err)
{
	struct ss_put	*w = arg;

	if (n == 1) {
		if (s3_mpu_begin(w->c, w->key, &w->upload_id, err) != 0)
			return -1;
		if ((w->uc = ss_client(w->st, err)) == NULL)
			return -1;
	}
	if (n > S3_PARTS_MAX)
		return rerr_set(err, -1, "the archive needs more than %d "
		    "upload parts", S3_PARTS_MAX);
	return 0;
}

/* Sends the next part, on the parts' thread. */
static int
ss_send_part(void *arg, const void *p, size_t len, struct rerr *err)
{
	struct ss_put	*w = arg;
	char		*etag;

	if (s3_mpu_part(w->uc, w->key, w->upload_id, w->nparts + 1, p, len,
	    &etag, err) != 0)
		return -1;
	w->etags = xreallocarray(w->etags, (size_t)w->nparts + 1,
	    sizeof(char *));
	w->etags[w->nparts++] = etag;
	return 0;
}

static int
ss_put_write(struct store_put *p, const void *data, size_t len,
    struct rerr *err)
{
	struct ss_put	*w = (struct ss_put *)p;

	return dbuf_put(&w->parts, data, len, err);
}

static void
ss_put_free(struct ss_put *w)
{
	int	i;

	dbuf_free(&w->parts);
	for (i = 0; i < w->nparts; i++)
		free(w->etags[i]);
	free(w->etags);
	free(w->upload_id);
	s3_free(w->uc);
	s3_free(w->c);
	free(w->key);
	free(w->rkey);
	free(w);
}

static void
ss_put_abort(struct store_put *p)
{
	struct ss_put	*w = (struct ss_put *)p;
	struct rerr	 err;

	dbuf_stop(&w->parts);
	rerr_init(&err);
	if (w->upload_id != NULL &&
	    s3_mpu_abort(w->c, w->key, w->upload_id, &err) != 0)
		log_warnx("S3: cannot abort the upload of %s: %s", w->key,
		    err.msg);
	ss_put_free(w);
}

/* The archive (one PUT, or the last part and the join), then the record. */
static int
ss_put_commit(struct store_put *p, const char *record, size_t len,
    struct rerr *err)
{
	struct ss_put	*w = (struct ss_put *)p;
	int		 rc = 0;

	if (w->parts.njobs == 0)
		rc = s3_put(w->c, w->key, w->parts.buf[w->parts.cur],
		    w->parts.fill, err);
	else {
		rc = dbuf_finish(&w->parts, err);
		if (rc == 0)
			rc = s3_mpu_complete(w->c, w->key, w->upload_id,
			    w->etags, w->nparts, err);
		if (rc == 0)
			log_info("S3: %s sent in %d parts", w->key,
			    w->nparts);
	}
	if (rc != 0) {
		ss_put_abort(p);
		return rc;
	}
	rc = s3_put(w->c, w->rkey, record, len, err);
	if (rc != 0) {
		struct rerr	e2;

		rerr_init(&e2);
		(void)s3_delete(w->c, w->key, &e2);
	}
	ss_put_free(w);
	return rc;
}

static int
ss_put_begin(struct store *s, const char *server, const char *id,
    struct store_put **out, struct rerr *err)
{
	struct st_s3	*st = (struct st_s3 *)s;
	struct ss_put	*w;
	struct s3	*c;

	if ((c = ss_client(st, err)) == NULL)
		return -1;
	w = xcalloc(1, sizeof(*w));
	w->p.write = ss_put_write;
	w->p.commit = ss_put_commit;
	w->p.abort = ss_put_abort;
	w->st = st;
	w->c = c;
	w->key = ss_key(st, server, id, ".tar.zst");
	w->rkey = ss_key(st, server, id, ".json");
	dbuf_init(&w->parts, SS_PART, SS_PART_STEP, ss_send_part, ss_next_part,
	    w);
	*out = &w->p;
	return 0;
}

/* ---- reading ---- */

struct ss_get {
	struct store_get g;
	struct s3	*c;
	char		*key;
	uint64_t	 offset;
	int		 wfd;		/* the thread's end */
	pthread_t	 t;
	int		 rc;
	struct rerr	 err;
};

/* Sends a piece down the socket; -1 when the reader went away. */
static int
ss_get_sink(void *arg, const void *p, size_t len)
{
	struct ss_get	*r = arg;
	const char	*c = p;
	ssize_t		 n;

	while (len > 0) {
		n = send(r->wfd, c, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
ss_getter(void *arg)
{
	struct ss_get	*r = arg;

	rerr_init(&r->err);
	r->rc = s3_get(r->c, r->key, r->offset, ss_get_sink, r, &r->err);
	/* The reader sees the end of the stream. */
	close(r->wfd);
	r->wfd = -1;
	return NULL;
}

static int
ss_get_close(struct store_get *g, struct rerr *err)
{
	struct ss_get	*r = (struct ss_get *)g;
	int		 rc;

	close(r->g.fd);		/* a thread still sending stops */
	pthread_join(r->t, NULL);
	rc = r->rc;
	if (rc != 0 && rc != 1)
		rerr_set(err, rc, "%s", r->err.msg);
	s3_free(r->c);
	free(r->key);
	free(r);
	return rc == 0 || rc == 1 ? 0 : -1;
}

/* The thread of a read past the end: nothing to send. */
static void *
ss_getter_none(void *arg)
{
	return NULL;
}

static int
ss_get_open(struct store *s, const char *server, const char *id,
    uint64_t offset, struct store_get **out, struct rerr *err)
{
	struct ss_get	*r;
	struct s3	*c;
	uint64_t	 size;
	char		*key;
	int		 sv[2], rc, sz = SS_SOCKBUF;

	if ((c = ss_open(s, server, id, ".tar.zst", &key, err)) == NULL)
		return -1;
	if ((rc = s3_head(c, key, &size, err)) != 0) {
		if (rc == ROOST_ENOTFOUND) {
			rerr_init(err);
			rerr_set(err, rc, "the archive of backup %s is "
			    "missing", id);
		}
		free(key);
		s3_free(c);
		return rc;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		free(key);
		s3_free(c);
		return rerr_errno(err, -1, "socketpair");
	}
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	r = xcalloc(1, sizeof(*r));
	r->g.close = ss_get_close;
	r->g.fd = sv[0];
	r->g.size = size;
	r->c = c;
	r->key = key;
	r->offset = offset;
	r->wfd = sv[1];
	if (offset >= size) {
		/* Nothing to read: an empty stream, no request. */
		close(sv[1]);
		r->wfd = -1;
	}
	if (pthread_create(&r->t, NULL, offset >= size ? ss_getter_none :
	    ss_getter, r) != 0)
		fatalx("store_s3: cannot start a thread");
	*out = &r->g;
	return 0;
}

static void
ss_free(struct store *s)
{
	struct st_s3	*st = (struct st_s3 *)s;

	free(st->s.name);
	free(st->endpoint);
	free(st->bucket);
	free(st->region);
	free(st->prefix);
	free(st->keyfile);
	free(st);
}

/* Writes the object <prefix><server>/<name>. */
static int
ss_note_put(struct store *s, const char *server, const char *name,
    const char *text, size_t len, struct rerr *err)
{
	struct s3	*c;
	char		*key;
	int		 rc;

	if ((c = ss_open(s, server, name, "", &key, err)) == NULL)
		return -1;
	rc = s3_put(c, key, text, len, err);
	free(key);
	s3_free(c);
	return rc;
}

/* Reads the object <prefix><server>/<name>. */
static int
ss_read_small(struct store *s, const char *server, const char *name,
    const char *what, char **out, size_t *len, struct rerr *err)
{
	struct s3	*c;
	char		*key;
	int		 rc;

	if ((c = ss_open(s, server, name, "", &key, err)) == NULL)
		return -1;
	rc = s3_get_small(c, key, STORE_RECORD_MAX, out, len, err);
	free(key);
	s3_free(c);
	return rc;
}

static const struct store_ops ss_ops = {
	ss_list, ss_remove, ss_tidy, ss_put_begin, ss_get_open, ss_free,
	ss_note_put, ss_read_small
};

/* An S3 target; see store.h. */
struct store *
store_s3_new(const struct conf_target *t, struct rerr *err)
{
	struct st_s3	*st;
	struct s3_conf	 c;
	struct rerr	 e2;
	const char	*p;
	size_t		 n;

	memset(&c, 0, sizeof(c));
	c.endpoint = t->endpoint;
	c.bucket = t->bucket;
	c.region = t->region;
	rerr_init(&e2);
	if (s3_conf_check(&c, &e2) != 0) {
		rerr_set(err, ROOST_EINVAL, "backup target '%s': %s", t->name,
		    e2.msg);
		return NULL;
	}
	s3_init();
	st = xcalloc(1, sizeof(*st));
	st->s.ops = &ss_ops;
	st->s.name = xstrdup(t->name);
	st->s.remote = 1;
	st->endpoint = xstrdup(t->endpoint);
	st->bucket = xstrdup(t->bucket);
	st->region = xstrdup(t->region != NULL ? t->region : "us-east-1");
	st->keyfile = xstrdup(t->access_key_file != NULL ?
	    t->access_key_file : "");
	st->path_style = t->path_style;
	p = t->prefix != NULL ? t->prefix : "";
	p += strspn(p, "/");
	n = strlen(p);
	if (n == 0)
		st->prefix = xstrdup("");
	else if (p[n - 1] == '/')
		st->prefix = xstrdup(p);
	else
		xasprintf(&st->prefix, "%s/", p);
	return &st->s;
}
