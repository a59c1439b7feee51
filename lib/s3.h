/*
 * s3: a client of the S3 API for backup targets (AWS S3 and the stores
 * that speak it: MinIO, Garage, Backblaze B2, Cloudflare R2...). Requests
 * go through lib/http.c (libcurl), signed with AWS Signature Version 4 by
 * libcurl itself (CURLOPT_AWS_SIGV4); every body sent carries its SHA-256
 * in x-amz-content-sha256. S3's XML answers are read with libxml2; this is
 * the only file that includes its headers.
 *
 * An S3 error reaches the caller as "S3 <Code>: <Message> (HTTP n)";
 * a missing object as ROOST_ENOTFOUND.
 *
 * Threading: a struct s3 belongs to one thread at a time (it holds one
 * HTTP connection cache); make one per thread. s3_init is called once
 * before any thread uses this module.
 */
#ifndef ROOST_S3_H
#define ROOST_S3_H

#include <stddef.h>
#include <stdint.h>

struct rerr;
struct s3;

/* Where and who (every string copied by s3_new). */
struct s3_conf {
	const char	*endpoint;	/* http(s)://host[:port], no path */
	const char	*bucket;
	const char	*region;	/* us-east-1 when NULL */
	int		 path_style;	/* endpoint/bucket/key, else bucket.host */
	const char	*access_key;
	const char	*secret_key;
};

/* Smallest part of a multipart upload S3 accepts (but the last). */
#define S3_PART_MIN	(5 * 1024 * 1024)
/* Most parts of one multipart upload. */
#define S3_PARTS_MAX	10000

/* Sets libxml2 up; once, before threads use s3 (more calls are fine). */
void	 s3_init(void);
/*
 * Checks a configuration (endpoint URL, bucket and region names).
 * Returns 0, or ROOST_EINVAL with err set.
 */
int	 s3_conf_check(const struct s3_conf *c, struct rerr *err);
/* A client for c (checked with s3_conf_check); never fails. */
struct s3 *s3_new(const struct s3_conf *c);
void	 s3_free(struct s3 *s);

/*
 * Reads a credentials file: the access key id on its first line, the
 * secret key on the second (blank lines and lines starting with # are
 * skipped). Returns 0 with both set (to free), or -1 with err set.
 */
int	 s3_keys_read(const char *path, char **access_key, char **secret_key,
	    struct rerr *err);

/* Called with each object a listing finds. */
typedef void	(*s3_list_cb)(void *arg, const char *key, uint64_t size);
/* Lists every object whose key starts with prefix (all pages). */
int	 s3_list(struct s3 *s, const char *prefix, s3_list_cb cb, void *arg,
	    struct rerr *err);

/* Stores len bytes at p as object key. */
int	 s3_put(struct s3 *s, const char *key, const void *p, size_t len,
	    struct rerr *err);
/* The size of object key (ROOST_ENOTFOUND when there is none). */
int	 s3_head(struct s3 *s, const char *key, uint64_t *size,
	    struct rerr *err);
/*
 * Called with each piece of an object read; returns 0 to go on, -1 to
 * stop (s3_get then returns 1).
 */
typedef int	(*s3_sink)(void *arg, const void *p, size_t len);
/*
 * Streams object key from byte offset on to sink. Returns 0 at its end,
 * 1 when sink stopped it, or an error code with err set.
 */
int	 s3_get(struct s3 *s, const char *key, uint64_t offset, s3_sink sink,
	    void *arg, struct rerr *err);
/* Reads a whole small object (at most max bytes) into a new string. */
int	 s3_get_small(struct s3 *s, const char *key, size_t max, char **out,
	    size_t *len, struct rerr *err);
/* Removes object key (no error when it is already gone). */
int	 s3_delete(struct s3 *s, const char *key, struct rerr *err);

/* Starts a multipart upload of key; *upload_id to free. */
int	 s3_mpu_begin(struct s3 *s, const char *key, char **upload_id,
	    struct rerr *err);
/* Sends part number n (1...) of an upload; *etag to free. */
int	 s3_mpu_part(struct s3 *s, const char *key, const char *upload_id,
	    int n, const void *p, size_t len, char **etag, struct rerr *err);
/* Joins parts 1..n (their etags) into the object: it appears now. */
int	 s3_mpu_complete(struct s3 *s, const char *key, const char *upload_id,
	    char *const *etags, int n, struct rerr *err);
/* Drops an upload and its parts. */
int	 s3_mpu_abort(struct s3 *s, const char *key, const char *upload_id,
	    struct rerr *err);
/* Called with each unfinished upload a listing finds. */
typedef void	(*s3_upload_cb)(void *arg, const char *key,
		    const char *upload_id);
/* Lists the unfinished multipart uploads below prefix (first 1000). */
int	 s3_mpu_list(struct s3 *s, const char *prefix, s3_upload_cb cb,
	    void *arg, struct rerr *err);

/*
 * Reads an S3 XML answer (exposed for the fuzz target): calls cb with
 * each element's local name path ("ListBucketResult/Contents/Key") and
 * text, for elements without element children. Returns 0, or
 * ROOST_EINVAL when body is not XML.
 */
typedef void	(*s3_xml_cb)(void *arg, const char *path, const char *text);
int	 s3_xml_walk(const char *body, size_t len, s3_xml_cb cb, void *arg);

#endif
