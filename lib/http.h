/*
 * http: roost's HTTP client, the only user of libcurl. One struct http is a
 * reusable connection cache (keep-alive) for one thread; the Docker client
 * points it at a unix socket, the Discord bot uses it for HTTPS REST.
 *
 * A request either collects the response body into resp->body (bounded by
 * max_response) or, when on_data is set, streams it chunk by chunk to the
 * callback (Docker events, image pull progress, logs). Response headers are
 * always collected so callers can read rate-limit headers. Only a 2xx
 * response is streamed; any other status collects its body (the error
 * message) into resp->body as usual.
 *
 * Threading: a struct http belongs to one thread at a time; only
 * http_cancel may be called from another thread. libcurl's global setup
 * runs once, the first time http_new is called.
 */
#ifndef ROOST_HTTP_H
#define ROOST_HTTP_H

#include <stddef.h>

#include "buf.h"
#include "rerr.h"

struct http;

/*
 * Called with each chunk of a streamed body. Returns 0 to go on, or
 * non-zero to end the transfer early; http_do then returns 0 and sets
 * resp->stopped.
 */
typedef int	(*http_data_cb)(const char *p, size_t n, void *arg);

struct http_request {
	const char	 *method;	/* NULL: GET, or POST if body != NULL */
	const char	 *url;		/* http://localhost/... with a socket */
	const char *const *headers;	/* NULL-terminated "Name: value" */
	const char	 *body;		/* NULL: none */
	size_t		  body_len;	/* (size_t)-1: strlen(body) */
	long		  timeout_ms;	/* whole transfer; 0: none */
	long		  connect_timeout_ms; /* 0: 10 s */
	size_t		  max_response;	/* body cap; 0: 64 MiB */
	http_data_cb	  on_data;	/* set: stream instead of collect */
	void		 *arg;
	const char	 *aws_sigv4;	/* "aws:amz:REGION:s3": libcurl signs;
					   a transfer stalled 60 s ends */
	const char	 *userpwd;	/* "KEY:SECRET" for aws_sigv4 */
};

struct http_header {
	char	*name;
	char	*value;
};

struct http_response {
	long			 status;	/* 0 when no response came */
	struct buf		 body;		/* collected body */
	struct http_header	*headers;	/* of the final response */
	size_t			 nheaders;
	int			 stopped;	/* on_data ended it early */
};

/*
 * Returns a new client. unix_socket (copied; may be NULL) sends every
 * request over that socket whatever the URL's host. Never fails: an
 * out-of-memory or a libcurl setup failure is fatal.
 */
struct http	*http_new(const char *unix_socket);
/* Closes the client's connections and frees it; NULL is fine. */
void		 http_free(struct http *h);

/*
 * Sends req and fills resp (which the caller initialises with
 * http_response_init and later frees with http_response_dispose). Returns
 * 0 whenever a response came, whatever its status; ROOST_ETIMEDOUT when
 * the deadline passed; -1 on a transport error, a body over the cap, or a
 * cancel, with the message in err.
 */
int		 http_do(struct http *h, const struct http_request *req,
		    struct http_response *resp, struct rerr *err);

/*
 * Asks a transfer running in another thread on h to stop; it ends within
 * about a second with -1 ("cancelled"). The flag stays set until
 * http_reset_cancel. Safe from any thread.
 */
void		 http_cancel(struct http *h);
/* Clears the cancel flag so h can be used again. */
void		 http_reset_cancel(struct http *h);

/* Prepares an empty response. */
void		 http_response_init(struct http_response *resp);
/* Frees the response's body and headers; resp can be used again. */
void		 http_response_dispose(struct http_response *resp);
/*
 * Returns the value of the first response header called name (any case),
 * borrowed from resp, or NULL.
 */
const char	*http_response_header(const struct http_response *resp,
		    const char *name);

/*
 * Returns a newly allocated copy of s with every byte outside the URL's
 * unreserved set percent-encoded (for query values).
 */
char		*http_escape(const char *s);

#endif
