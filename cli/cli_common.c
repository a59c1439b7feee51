/*
 * cli_common: what several roost commands share: the socket of the local
 * roostd, one request to it, and the panel opened with an author for
 * commits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "gitstore.h"
#include "http.h"
#include "panel.h"
#include "rerr.h"

#include "cli.h"

#define CLI_DEFAULT_API	"/run/roost/roostd.sock"

/* The roostd socket: $ROOST_API, else the packaged one. */
const char *
cli_api(void)
{
	const char	*api = getenv("ROOST_API");

	return api != NULL ? api : CLI_DEFAULT_API;
}

/*
 * One request to roostd at api (a POST has an empty body); the answer in
 * resp, which the caller disposes. Returns 0, or CLI_USAGE when roostd
 * cannot be reached (said why on stderr).
 */
int
cli_roostd(const char *api, const char *method, const char *url,
    struct http_response *resp)
{
	struct http_request	 req;
	struct http		*h = http_new(api);
	struct rerr		 err;
	int			 rc = 0;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.body = strcmp(method, "POST") == 0 ? "" : NULL;
	req.body_len = (size_t)-1;
	req.timeout_ms = 10000;
	http_response_init(resp);
	rerr_init(&err);
	if (http_do(h, &req, resp, &err) != 0) {
		fprintf(stderr, "roost: cannot reach roostd at '%s': %s\n"
		    "roost: is roostd running? (use --api SOCKET or "
		    "$ROOST_API for another socket)\n", api, err.msg);
		rc = CLI_USAGE;
	}
	http_free(h);
	return rc;
}

/*
 * Opens the panel of po; when author is not NULL, fills it with who the
 * commits are by: author_opt, else the repository's git identity, else
 * $USER at localhost. Returns CLI_OK, or CLI_USAGE with the reason printed
 * after prefix.
 */
int
cli_panel_open(const char *prefix, const struct panel_opts *po,
    const char *author_opt, struct panel **p, struct buf *author)
{
	struct rerr	 err;
	const char	*user;

	rerr_init(&err);
	if (panel_open(p, po, &err) != 0) {
		fprintf(stderr, "%s: %s\n", prefix, err.msg);
		return CLI_USAGE;
	}
	if (author == NULL)
		return CLI_OK;
	if (author_opt != NULL)
		buf_puts(author, author_opt);
	else if (gitstore_config_identity(panel_gitstore(*p), author,
	    NULL) != 0) {
		user = getenv("USER");
		if (user == NULL || *user == '\0')
			user = "roost";
		buf_addf(author, "%s <%s@localhost>", user, user);
	}
	return CLI_OK;
}
