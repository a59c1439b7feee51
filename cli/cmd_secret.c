/*
 * cmd_secret: sealed secrets from the command line.
 *
 *   roost secret seal [--repo DIR] [--server NAME] [--node N]... < value
 *   roost secret reseal [--repo DIR] [--api SOCKET] [--node N]...
 *   roost node pubkey [--api SOCKET]
 *   roost server set NAME VAR --secret    (cmd_server.c calls in here)
 *
 * A secret is read from the terminal without echo, or from standard input
 * (one trailing newline dropped); it is never printed, only its sealed
 * form. Sealing needs only the sealKeys in the repository's nodes/;
 * resealing asks the local roostd, the only holder of its private key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "panel.h"
#include "rerr.h"
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "xmalloc.h"

/* Reads a secret: without echo from a terminal, else all of stdin. */
int
cli_secret_read(const char *what, struct buf *out)
{
	struct termios	 t, quiet;
	char		 chunk[4096];
	size_t		 n;
	int		 tty = isatty(STDIN_FILENO), c;

	if (tty) {
		fprintf(stderr, "%s (not shown): ", what);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &t) != 0)
			return -1;
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		while ((c = getchar()) != EOF && c != '\n')
			if (buf_putc(out, c) != 0)
				break;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fputc('\n', stderr);
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
			if (out->len + n > SEAL_MAX_PLAIN + 2 ||
			    buf_add(out, chunk, n) != 0)
				break;
		explicit_bzero(chunk, sizeof(chunk));
		if (out->len > 0 && out->data[out->len - 1] == '\n')
			out->data[--out->len] = '\0';
		if (out->len > 0 && out->data[out->len - 1] == '\r')
			out->data[--out->len] = '\0';
	}
	return 0;
}

/* Wipes and frees a buffer that held a secret. */
static void
secret_buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->len);
	buf_dispose(b);
}

/* Loads the state of a work tree, as it is on disk (no eggs needed). */
static int
secret_state(const char *repo, struct state **st)
{
	struct state_src	 src;
	struct rerr		 err;

	state_src_dir(&src, repo);
	rerr_init(&err);
	if (state_load(st, &src, NULL, NULL, &err) != 0) {
		fprintf(stderr, "roost secret: %s\n", err.msg);
		return CLI_USAGE;
	}
	return CLI_OK;
}

/* roost secret seal */
static int
secret_seal_cmd(int argc, char *argv[])
{
	const struct state_server	*srv = NULL;
	struct state			*st = NULL;
	const char			*repo = ".", *server = NULL;
	struct cli_list			 nodes = { NULL, 0 };
	const struct cli_opt		 opts[] = {
		{ 'r', "repo",	 CLI_OPT_STRING, &repo },
		{ 's', "server", CLI_OPT_STRING, &server },
		{ 'n', "node",	 CLI_OPT_LIST,	 &nodes },
		{ 0 }
	};
	struct buf			 plain, out;
	struct rerr			 err;
	int				 i, rc;

	if ((i = cli_opts_parse("secret", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i != argc || nodes.n > SEAL_MAX_RECIPIENTS) {
		rc = cli_usage("secret", 0);
		goto done;
	}
	if ((rc = secret_state(repo, &st)) != CLI_OK)
		goto done;
	if (server != NULL && (srv = state_server_find(st, server)) == NULL) {
		fprintf(stderr, "roost secret: no server '%s' in %s\n", server,
		    repo);
		rc = CLI_FAIL;
		goto done;
	}
	buf_init(&plain, 0);
	buf_init(&out, 0);
	rerr_init(&err);
	if (cli_secret_read("Value", &plain) != 0)
		rc = CLI_USAGE;
	else if (secret_seal(st, srv, nodes.v, nodes.n, buf_str(&plain),
	    plain.len, &out, &err) != 0) {
		fprintf(stderr, "roost secret: %s\n", err.msg);
		rc = CLI_FAIL;
	} else
		printf("%s\n", buf_str(&out));
	secret_buf_wipe(&plain);
	buf_dispose(&out);
done:
	state_free(st);
	free(nodes.v);
	return rc;
}

/* Opens the panel of the work tree repo with an author for commits. */
static int
secret_panel(const char *repo, const char *author_opt, struct panel **p,
    struct buf *author)
{
	struct panel_opts	 po;

	memset(&po, 0, sizeof(po));
	po.repo = repo;
	return cli_panel_open("roost", &po, author_opt, p, author);
}

/*
 * roost server set NAME VAR --secret: reads the value, seals it for the
 * server (secret.h's rules, with the branch tip's keys) and commits it
 * on po's branch and remote, like every other server edit.
 */
int
cli_server_set_secret(const struct panel_opts *po, const char *author_opt,
    const char *request_id, const char *name, const char *var)
{
	const struct state_server	*srv;
	struct panel_result		 res;
	struct panel_req		 req;
	struct panel			*p;
	struct state			*st = NULL;
	struct buf			 author, plain, sealed, kv;
	struct rerr			 err;
	const char			*item;
	int				 rc;

	buf_init(&author, 0);
	if ((rc = cli_panel_open("roost server", po, author_opt, &p,
	    &author)) != CLI_OK) {
		buf_dispose(&author);
		return rc;
	}
	buf_init(&plain, 0);
	buf_init(&sealed, 0);
	buf_init(&kv, 0);
	panel_result_init(&res);
	rerr_init(&err);
	rc = CLI_FAIL;
	if (panel_state(p, NULL, 1, &st, &err) != 0)
		fprintf(stderr, "roost server: %s\n", err.msg);
	else if ((srv = state_server_find(st, name)) == NULL)
		fprintf(stderr, "roost server: server '%s' does not exist; "
		    "see \"roost server list\"\n", name);
	else if (cli_secret_read(var, &plain) != 0)
		rc = CLI_USAGE;
	else if (plain.len == 0)
		fprintf(stderr, "roost server: an empty secret is not sealed "
		    "(\"roost server set %s %s=\" removes the variable)\n",
		    name, var);
	else if (secret_seal(st, srv, NULL, 0, buf_str(&plain), plain.len,
	    &sealed, &err) != 0)
		fprintf(stderr, "roost server: %s\n", err.msg);
	else {
		buf_addf(&kv, "%s=%s", var, buf_str(&sealed));
		item = buf_str(&kv);
		req.author = buf_str(&author);
		req.request_id = request_id;
		if (panel_server_set_vars(p, &req, name, &item, 1, &res,
		    &err) != 0)
			fprintf(stderr, "roost server: %s\n", err.msg);
		else {
			printf("%s\ncommit %.12s on %s%s\n", res.summary,
			    res.commit, panel_branch(p), res.pushed ?
			    ", pushed" : "");
			rc = CLI_OK;
		}
	}
	secret_buf_wipe(&plain);
	buf_dispose(&sealed);
	buf_dispose(&kv);
	panel_result_dispose(&res);
	state_free(st);
	panel_close(p);
	buf_dispose(&author);
	return rc;
}

/* Asks roostd: method on path with body (NULL: GET). */
static int
secret_api(const char *api, const char *path, const char *body,
    struct http_response *resp)
{
	struct http_request	 req;
	struct http		*h;
	struct rerr		 err;
	char			*url;
	int			 rc = 0;

	xasprintf(&url, "http://localhost%s", path);
	h = http_new(api);
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.body = body;
	req.body_len = (size_t)-1;
	req.timeout_ms = 60000;
	rerr_init(&err);
	if (http_do(h, &req, resp, &err) != 0) {
		fprintf(stderr, "roost: cannot reach roostd at '%s': %s "
		    "(use --api SOCKET or $ROOST_API)\n", api, err.msg);
		rc = -1;
	} else if (resp->status != 200) {
		fprintf(stderr, "roost: roostd answered %ld: %s\n",
		    resp->status, buf_str(&resp->body));
		rc = -1;
	}
	http_free(h);
	free(url);
	return rc;
}

/* Commits the resealed values of one server. */
static int
reseal_commit(struct panel *p, const char *author, const char *server,
    char **kv, size_t n)
{
	struct panel_result	res;
	struct panel_req	req;
	struct rerr		err;
	int			rc;

	req.author = author;
	req.request_id = NULL;
	panel_result_init(&res);
	rerr_init(&err);
	rc = panel_server_set_vars(p, &req, server, (const char *const *)kv,
	    n, &res, &err);
	if (rc != 0)
		fprintf(stderr, "roost secret: %s: %s\n", server, err.msg);
	else
		printf("%s\n", res.summary);
	panel_result_dispose(&res);
	return rc;
}

/* Commits every value of the answer, one commit per server. */
static int
reseal_apply(struct panel *p, const char *author, const cJSON *values)
{
	const cJSON	*it, *jt;
	char		**kv;
	size_t		 n, i;
	int		 bad = 0, done;

	n = (size_t)cJSON_GetArraySize(values);
	kv = xcalloc(n + 1, sizeof(char *));
	/* Servers in the order they come, each once. */
	cJSON_ArrayForEach(it, values) {
		const char *srv = json_str(it, "server", "");

		done = 0;
		cJSON_ArrayForEach(jt, values) {
			if (jt == it)
				break;
			if (strcmp(json_str(jt, "server", ""), srv) == 0)
				done = 1;
		}
		if (done)
			continue;
		i = 0;
		cJSON_ArrayForEach(jt, values)
			if (strcmp(json_str(jt, "server", ""), srv) == 0)
				xasprintf(&kv[i++], "%s=%s", json_str(jt,
				    "variable", ""), json_str(jt, "value", ""));
		if (reseal_commit(p, author, srv, kv, i) != 0)
			bad = 1;
		while (i > 0)
			free(kv[--i]);
	}
	free(kv);
	return bad;
}

/* roost secret reseal */
static int
secret_reseal_cmd(int argc, char *argv[])
{
	struct http_response	 resp;
	struct panel		*p;
	struct buf		 body, author;
	const cJSON		*it;
	cJSON			*root, *nodes;
	const char		*repo = ".", *author_opt = NULL;
	const char		*api = cli_api();
	struct cli_list		 node_opts = { NULL, 0 };
	const struct cli_opt	 opts[] = {
		{ 'r', "repo",	 CLI_OPT_STRING, &repo },
		{ 'a', "api",	 CLI_OPT_STRING, &api },
		{ 'n', "node",	 CLI_OPT_LIST,	 &node_opts },
		{ 'A', "author", CLI_OPT_STRING, &author_opt },
		{ 0 }
	};
	char			*s;
	size_t			 i;
	int			 argi, rc = CLI_OK;

	if ((argi = cli_opts_parse("secret", opts, argc, argv, &rc)) == -1)
		return rc;
	if (argi != argc) {
		free(node_opts.v);
		return cli_usage("secret", 0);
	}
	root = json_new_object();
	nodes = json_add_array(root, "nodes");
	for (i = 0; i < node_opts.n; i++)
		json_push_str(nodes, node_opts.v[i]);
	free(node_opts.v);
	buf_init(&body, 0);
	s = json_print_free(root);
	buf_puts(&body, s);
	free(s);
	root = NULL;
	http_response_init(&resp);
	buf_init(&author, 0);
	if (secret_api(api, "/v1/secrets/reseal", buf_str(&body), &resp) != 0)
		rc = CLI_USAGE;
	else if ((root = json_parse_str(buf_str(&resp.body))) == NULL) {
		fprintf(stderr, "roost: roostd sent a reply that is not json\n");
		rc = CLI_USAGE;
	} else if ((rc = secret_panel(repo, author_opt, &p, &author)) ==
	    CLI_OK) {
		cJSON_ArrayForEach(it, json_get(root, "failed")) {
			fprintf(stderr, "roost secret: %s %s: %s\n",
			    json_str(it, "server", ""), json_str(it,
			    "variable", ""), json_str(it, "error", ""));
			rc = CLI_FAIL;
		}
		if (reseal_apply(p, buf_str(&author), json_get(root,
		    "values")) != 0)
			rc = CLI_FAIL;
		printf("%d values resealed by node %s\n",
		    cJSON_GetArraySize(json_get(root, "values")),
		    json_str(root, "node", "?"));
		panel_close(p);
	}
	cJSON_Delete(root);
	http_response_dispose(&resp);
	buf_dispose(&body);
	buf_dispose(&author);
	return rc;
}

/* roost secret seal|reseal */
int
cmd_secret(int argc, char *argv[])
{
	if (argc < 2)
		return cli_usage("secret", 0);
	if (strcmp(argv[1], "seal") == 0)
		return secret_seal_cmd(argc - 1, argv + 1);
	if (strcmp(argv[1], "reseal") == 0)
		return secret_reseal_cmd(argc - 1, argv + 1);
	fprintf(stderr, "roost secret: unknown subcommand '%s'\n", argv[1]);
	return cli_usage("secret", 0);
}

/* roost node pubkey: the local node's public key, from its status. */
int
cmd_node(int argc, char *argv[])
{
	struct http_response	 resp;
	cJSON			*root;
	const char		*api = cli_api(), *key;
	int			 rc = CLI_OK;

	if (argc == 4 && strcmp(argv[2], "--api") == 0)
		api = argv[3];
	else if (argc == 3 && strncmp(argv[2], "--api=", 6) == 0)
		api = argv[2] + 6;
	else if (argc != 2)
		return cli_usage("secret", 0);
	if (strcmp(argv[1], "pubkey") != 0)
		return cli_usage("secret", 0);
	http_response_init(&resp);
	if (secret_api(api, "/v1/status", NULL, &resp) != 0)
		rc = CLI_USAGE;
	else if ((root = json_parse_str(buf_str(&resp.body))) == NULL ||
	    (key = json_str(root, "node.sealKey", NULL)) == NULL) {
		fprintf(stderr, "roost node: roostd did not say its sealKey\n");
		cJSON_Delete(root);
		rc = CLI_FAIL;
	} else {
		printf("%s\n", key);
		if (!json_bool(root, "node.sealKeyCommitted", 0))
			fprintf(stderr, "roost node: commit it in "
			    "nodes/%s.yaml as  sealKey: %s\n", json_str(root,
			    "node.name", "NODE"), key);
		cJSON_Delete(root);
	}
	http_response_dispose(&resp);
	return rc;
}
