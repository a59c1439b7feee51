/*
 * cmd_validate: roost validate. Loads a state repository, from a work
 * tree (the files as they are on disk) or from a committed revision read
 * straight from git objects, and prints every problem as
 * "path:line:col: error: message", or a JSON document for CI.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "egg.h"
#include "gitstore.h"
#include "json.h"
#include "rerr.h"
#include "state.h"

/*
 * roost validate: exits 0 when the state is valid, 1 when it has errors,
 * 2 on a usage or I/O error.
 */
int
cmd_validate(int argc, char *argv[])
{
	const char		*repo = ".", *rev = NULL, *format = "text";
	const struct cli_opt	 opts[] = {
		{ 'C', "repo",	 CLI_OPT_STRING, &repo },
		{ 'r', "rev",	 CLI_OPT_STRING, &rev },
		{ 'f', "format", CLI_OPT_STRING, &format },
		{ 0 }
	};
	struct gitstore		*gs = NULL;
	struct state_src	 src;
	struct state		*st = NULL;
	struct egg_library	*eggs;
	struct diags		 ed;
	struct rerr		 err;
	struct buf		 out;
	struct stat		 sb;
	char			 id[GITSTORE_IDLEN];
	int			 i, json, rc;

	if ((i = cli_opts_parse("validate", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i != argc)
		return cli_usage("validate", 0);
	if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
		fprintf(stderr, "roost validate: format '%s' is not text or "
		    "json\n", format);
		return CLI_USAGE;
	}
	json = strcmp(format, "json") == 0;
	rerr_init(&err);
	memset(&src, 0, sizeof(src));
	if (rev != NULL) {
		if ((rc = gitstore_open(&gs, repo, &err)) != 0 ||
		    (rc = gitstore_resolve(gs, rev, id, &err)) != 0 ||
		    (rc = gitstore_state_src(gs, id, NULL, 0, &src,
		    &err)) != 0) {
			fprintf(stderr, "roost validate: %s\n", err.msg);
			gitstore_close(gs);
			return CLI_USAGE;
		}
	} else {
		if (stat(repo, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "roost validate: '%s' is not a directory; "
			    "pass the state repository with --repo\n", repo);
			return CLI_USAGE;
		}
		state_src_dir(&src, repo);
	}

	eggs = egglib_new();
	diags_init(&ed);
	if (egglib_builtin_dir() != NULL)
		(void)egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/", &ed);
	diags_dispose(&ed);

	rc = state_load(&st, &src, eggs, NULL, &err);
	if (gs != NULL)
		gitstore_state_src_release(&src);
	if (rc != 0) {
		fprintf(stderr, "roost validate: %s\n", err.msg);
		egglib_free(eggs);
		gitstore_close(gs);
		return CLI_USAGE;
	}
	diags_sort(st->diags);
	buf_init(&out, 0);
	if (json) {
		buf_addf(&out, "{\"valid\":%s,\"revision\":",
		    st->diags->nerrors == 0 ? "true" : "false");
		if (rev != NULL)
			json_escape(&out, id);
		else
			buf_puts(&out, "null");
		buf_addf(&out, ",\"servers\":%zu,\"nodes\":%zu,\"errors\":%zu,"
		    "\"problems\":", st->nservers, st->nnodes,
		    st->diags->nerrors);
		diags_json(st->diags, &out);
		buf_puts(&out, "}\n");
		fputs(buf_str(&out), stdout);
	} else {
		diags_print(st->diags, stdout);
		if (st->diags->nerrors == 0)
			printf("valid: %zu servers, %zu nodes%s%.12s\n",
			    st->nservers, st->nnodes,
			    rev != NULL ? " at " : "", rev != NULL ? id : "");
		else
			printf("invalid: %zu error%s\n", st->diags->nerrors,
			    st->diags->nerrors == 1 ? "" : "s");
	}
	rc = st->diags->nerrors == 0 ? CLI_OK : CLI_FAIL;
	buf_dispose(&out);
	state_free(st);
	egglib_free(eggs);
	gitstore_close(gs);
	return rc;
}
