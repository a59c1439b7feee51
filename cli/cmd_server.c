/*
 * cmd_server: roost server, the same edits of desired state the Discord
 * bot makes, through the panel core: create, set, start, stop, restart,
 * reinstall, delete, backup, restore, sftp, member; and the read-only list
 * and history.
 * Each edit is a commit on the state repository's branch (pushed when it
 * has a remote), authored by --author or the git identity.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "gitstore.h"
#include "json.h"
#include "limit.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

struct server_opts {
	const char	*repo;
	const char	*author;
	const char	*branch;
	const char	*remote;
	const char	*request_id;
};

static int
exit_code(int rc)
{
	if (rc == 0)
		return CLI_OK;
	return rc == ROOST_EGENERIC ? CLI_USAGE : CLI_FAIL;
}

/* The panel options of the common options. */
static void
panel_opts_of(const struct server_opts *so, struct panel_opts *po)
{
	memset(po, 0, sizeof(*po));
	po->repo = so->repo;
	po->branch = so->branch;
	po->remote = so->remote;
}

/* Opens the panel of the common options; with author, who commits. */
static int
open_panel(const struct server_opts *so, struct panel **p, struct buf *author)
{
	struct panel_opts	 po;

	panel_opts_of(so, &po);
	return cli_panel_open("roost server", &po, so->author, p, author);
}

/* roost server set NAME VAR --secret, with the common options. */
static int
server_set_secret(const struct server_opts *so, const char *name,
    const char *var)
{
	struct panel_opts	 po;

	panel_opts_of(so, &po);
	return cli_server_set_secret(&po, so->author, so->request_id, name,
	    var);
}

/* One edit through the panel core: the panel, the request, its result. */
struct server_edit {
	struct panel		*p;
	struct buf		 author;
	struct panel_req	 req;
	struct panel_result	 res;
	struct rerr		 err;
};

/* Opens the panel for an edit; when that fails nothing is left to end. */
static int
edit_begin(const struct server_opts *so, struct server_edit *e)
{
	int	rc;

	buf_init(&e->author, 0);
	if ((rc = open_panel(so, &e->p, &e->author)) != 0) {
		buf_dispose(&e->author);
		return rc;
	}
	e->req.author = buf_str(&e->author);
	e->req.request_id = so->request_id;
	panel_result_init(&e->res);
	rerr_init(&e->err);
	return 0;
}

/* Frees what edit_begin opened. */
static void
edit_end(struct server_edit *e)
{
	panel_result_dispose(&e->res);
	panel_close(e->p);
	buf_dispose(&e->author);
}

/*
 * Prints what an edit did (rc from the panel core), or why it was
 * refused; returns the exit code.
 */
static int
report(int rc, const struct server_edit *e)
{
	const struct panel_result	*res = &e->res;

	if (rc == ROOST_EINVAL && res->diags.n > 0) {
		fprintf(stderr, "roost server: the edit was refused, nothing "
		    "was committed:\n");
		diags_print(&res->diags, stderr);
		return exit_code(rc);
	}
	if (rc != 0) {
		fprintf(stderr, "roost server: %s\n", e->err.msg);
		return exit_code(rc);
	}
	if (res->existing)
		printf("%s (already done in commit %.12s)\n",
		    res->summary ? res->summary : "request", res->commit);
	else if (res->unchanged)
		printf("%s\n", res->summary);
	else
		printf("%s\ncommit %.12s on %s%s%s\n", res->summary,
		    res->commit, panel_branch(e->p),
		    res->pushed ? ", pushed" : "",
		    res->attempts > 1 ? " (retried on a moved branch)" : "");
	return CLI_OK;
}

/* Prints the limits table (limit.h): what "limits:" takes. */
static int
server_limits(int argc, char *argv[])
{
	const struct limit_def	*d;
	cJSON			*doc, *arr, *o;
	char			*text;
	size_t			 i;
	int			 json = 0;

	if (argc == 3 && strcmp(argv[1], "--format") == 0 &&
	    (strcmp(argv[2], "json") == 0 || strcmp(argv[2], "text") == 0))
		json = strcmp(argv[2], "json") == 0;
	else if (argc != 1)
		return cli_usage("server", 0);
	if (json) {
		doc = json_new_object();
		arr = json_add_array(doc, "limits");
		for (i = 0; i < LIMIT_COUNT; i++) {
			d = &limit_table[i];
			o = json_new_object();
			cJSON_AddItemToArray(arr, o);
			json_add_str(o, "name", d->name);
			json_add_str(o, "unit", d->unit);
			json_add_str(o, "note", d->note);
			json_add_num(o, "min", (double)d->min);
			json_add_num(o, "max", (double)d->max);
			json_add_num(o, "default", (double)d->def);
			json_add_bool(o, "live", d->live);
		}
		text = json_print_free(doc);
		printf("%s\n", text);
		free(text);
		return CLI_OK;
	}
	printf("%-8s %-16s %8s %14s %8s  %s\n", "LIMIT", "UNIT", "MIN", "MAX",
	    "DEFAULT", "LIVE");
	for (i = 0; i < LIMIT_COUNT; i++) {
		d = &limit_table[i];
		printf("%-8s %-16s %8lld %14lld %8lld  %s%s%s\n", d->name,
		    d->unit, (long long)d->min, (long long)d->max,
		    (long long)d->def, d->live ? "yes" : "no",
		    *d->note != '\0' ? "  " : "", d->note);
	}
	return CLI_OK;
}

/*
 * create --memory, --disk and --cpu (within the bounds of the limit of
 * that name) and --port.
 */
static int
create_num_opt(const struct cli_opt *opt, const char *arg)
{
	const struct limit_def	*lim = limit_find(opt->long_name);
	char			*end;
	long long		 n;

	n = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || n < 0 || n > 1LL << 40) {
		fprintf(stderr, "roost server create: '%s' is not a number\n",
		    arg);
		return -1;
	}
	if (lim != NULL && !limit_in_range(lim, n)) {
		fprintf(stderr, "roost server create: --%s must be from %lld "
		    "to %lld (%s), not %lld\n", lim->name, (long long)lim->min,
		    (long long)lim->max, lim->unit, n);
		return -1;
	}
	if (lim != NULL)
		*(int64_t *)opt->value = n;
	else if (n < 1 || n > 65535) {
		fprintf(stderr, "roost server create: port '%s' is not between "
		    "1 and 65535\n", arg);
		return -1;
	} else
		*(int *)opt->value = (int)n;
	return 0;
}

static int
server_create(const struct server_opts *so, int argc, char *argv[])
{
	struct panel_server_spec spec;
	struct cli_list		 vars = { NULL, 0 };
	const struct cli_opt	 opts[] = {
		{ 'e', "egg", CLI_OPT_STRING, &spec.egg },
		{ 'N', "node", CLI_OPT_STRING, &spec.node },
		{ 'm', "memory", CLI_OPT_CALL, &spec.memory, create_num_opt },
		{ 'd', "disk", CLI_OPT_CALL, &spec.disk, create_num_opt },
		{ 'c', "cpu", CLI_OPT_CALL, &spec.cpu, create_num_opt },
		{ 'p', "port", CLI_OPT_CALL, &spec.port, create_num_opt },
		{ 'v', "var", CLI_OPT_LIST, &vars },
		{ 'o', "owner", CLI_OPT_STRING, &spec.owner },
		{ 'i', "image", CLI_OPT_STRING, &spec.image },
		{ 's', "stopped", CLI_OPT_FLAG, &spec.stopped },
		{ 0 }
	};
	struct server_edit	 e;
	int			 i, rc;

	memset(&spec, 0, sizeof(spec));
	spec.memory = spec.disk = spec.cpu = -1;
	if ((i = cli_opts_parse("server", opts, argc, argv, &rc)) == -1)
		return rc;
	spec.name = argv[i];
	spec.vars = vars.v;
	spec.nvars = vars.n;
	if (i != argc - 1)
		rc = cli_usage("server", 0);
	else if (spec.egg == NULL) {
		fprintf(stderr, "roost server create: give the egg with --egg "
		    "nest/name (see \"roost egg list\")\n");
		rc = CLI_USAGE;
	} else if ((rc = edit_begin(so, &e)) == 0) {
		rc = report(panel_server_create(e.p, &e.req, &spec, &e.res,
		    &e.err), &e);
		edit_end(&e);
	}
	free(vars.v);
	return rc;
}

static int
server_edit(const struct server_opts *so, const char *sub, int argc,
    char *argv[])
{
	struct server_edit	 e;
	enum panel_power	 act = PANEL_START;
	const char		*note = NULL;
	int			 rc;

	if (argc < 2)
		return cli_usage("server", 0);
	/* backup NAME [--note TEXT], restore NAME BACKUP */
	if (strcmp(sub, "backup") == 0 && argc == 4 &&
	    strcmp(argv[2], "--note") == 0)
		note = argv[3];
	else if (strcmp(sub, "backup") == 0 && argc == 3 &&
	    strncmp(argv[2], "--note=", 7) == 0)
		note = argv[2] + 7;
	else if ((strcmp(sub, "restore") == 0 || strcmp(sub, "move") == 0) &&
	    argc != 3)
		return cli_usage("server", 0);
	else if (strcmp(sub, "set") != 0 && strcmp(sub, "restore") != 0 &&
	    strcmp(sub, "move") != 0 && argc != 2)
		return cli_usage("server", 0);
	if (strcmp(sub, "set") == 0 && argc < 3) {
		fprintf(stderr, "roost server set: give KEY=VALUE items, e.g. "
		    "memory=4096\n");
		return CLI_USAGE;
	}
	if (strcmp(sub, "stop") == 0)
		act = PANEL_STOP;
	else if (strcmp(sub, "restart") == 0)
		act = PANEL_RESTART;
	else if (strcmp(sub, "reinstall") == 0)
		act = PANEL_REINSTALL;
	if ((rc = edit_begin(so, &e)) != 0)
		return rc;
	if (strcmp(sub, "set") == 0)
		rc = panel_server_set(e.p, &e.req, argv[1],
		    (const char *const *)argv + 2, (size_t)argc - 2, &e.res,
		    &e.err);
	else if (strcmp(sub, "delete") == 0)
		rc = panel_server_delete(e.p, &e.req, argv[1], &e.res, &e.err);
	else if (strcmp(sub, "backup") == 0)
		rc = panel_server_backup(e.p, &e.req, argv[1], note, &e.res,
		    &e.err);
	else if (strcmp(sub, "restore") == 0)
		rc = panel_server_restore(e.p, &e.req, argv[1], argv[2],
		    &e.res, &e.err);
	else if (strcmp(sub, "move") == 0)
		rc = panel_server_move(e.p, &e.req, argv[1], argv[2], &e.res,
		    &e.err);
	else
		rc = panel_server_power(e.p, &e.req, argv[1], act, &e.res,
		    &e.err);
	rc = report(rc, &e);
	edit_end(&e);
	return rc;
}

/*
 * roost server revert NAME COMMIT: undo what COMMIT changed in the
 * server's file. roost server rollback NAME REVISION [--yes]: show the
 * diff to the file at REVISION, ask (or --yes), commit it.
 */
static int
server_revert(const struct server_opts *so, const char *sub, int argc,
    char *argv[])
{
	struct server_edit	 e;
	struct buf		 diff;
	char			 id[GITSTORE_IDLEN], answer[16];
	int			 rc, yes = 0, rollback;

	rollback = strcmp(sub, "rollback") == 0;
	if (rollback && argc == 4 && strcmp(argv[3], "--yes") == 0) {
		yes = 1;
		argc--;
	}
	if (argc != 3)
		return cli_usage("server", 0);
	if ((rc = edit_begin(so, &e)) != 0)
		return rc;
	buf_init(&diff, 0);
	if (!rollback)
		rc = panel_server_revert(e.p, &e.req, argv[1], argv[2], &e.res,
		    &e.err);
	else if ((rc = panel_server_rollback_diff(e.p, argv[1], argv[2],
	    &diff, id, &e.err)) == 0) {
		fwrite(buf_str(&diff), 1, diff.len, stdout);
		if (diff.len == 0)
			printf("server '%s' is already as it was at %.12s\n",
			    argv[1], id);
		else if (!yes && !isatty(STDIN_FILENO)) {
			fprintf(stderr, "roost server rollback: give --yes to "
			    "commit this without being asked\n");
			rc = CLI_USAGE;
			goto out;
		} else if (!yes) {
			printf("Roll back server '%s' to %.12s? [y/N] ",
			    argv[1], id);
			fflush(stdout);
			if (fgets(answer, sizeof(answer), stdin) == NULL ||
			    (answer[0] != 'y' && answer[0] != 'Y')) {
				printf("nothing was changed\n");
				rc = CLI_OK;
				goto out;
			}
		}
		if (diff.len > 0)
			rc = panel_server_rollback(e.p, &e.req, argv[1], id,
			    &e.res, &e.err);
	}
	if (rc == 0 && rollback && diff.len == 0)
		rc = CLI_OK;
	else
		rc = report(rc, &e);
out:
	buf_dispose(&diff);
	edit_end(&e);
	return rc;
}

/* sftp --permissions: a list of read, write and delete. */
static int
sftp_perms_opt(const struct cli_opt *opt, const char *arg)
{
	char	*copy, *t, *q;
	int	*perms = opt->value;

	*perms = 0;
	copy = q = xstrdup(arg);
	while ((t = strsep(&q, ",")) != NULL) {
		if (strcmp(t, "read") == 0)
			*perms |= SFTP_PERM_READ;
		else if (strcmp(t, "write") == 0)
			*perms |= SFTP_PERM_WRITE;
		else if (strcmp(t, "delete") == 0)
			*perms |= SFTP_PERM_DELETE;
		else if (*t != '\0') {
			fprintf(stderr, "roost server sftp: permissions are a "
			    "list of read, write and delete\n");
			*perms = -1;
			break;
		}
	}
	free(copy);
	return *perms < 0 ? -1 : 0;
}

static char *
read_line(FILE *fp)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((n = getline(&line, &cap, fp)) < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int
server_sftp(const struct server_opts *so, int argc, char *argv[])
{
	struct panel_sftp	 op;
	struct server_edit	 e;
	const char		*keyfile = NULL;
	char			*password = NULL, *key = NULL;
	FILE			*fp;
	int			 i, rc, pwstdin = 0, modes;
	const struct cli_opt	 opts[] = {
		{ 'u', "user",		 CLI_OPT_STRING, &op.user },
		{ 'g', "generate",	 CLI_OPT_FLAG,	 &op.generate },
		{ 'P', "password-stdin", CLI_OPT_FLAG,	 &pwstdin },
		{ 'k', "key",		 CLI_OPT_STRING, &keyfile },
		{ 'p', "permissions",	 CLI_OPT_CALL,	 &op.perms,
		    sftp_perms_opt },
		{ 'x', "remove",	 CLI_OPT_FLAG,	 &op.remove },
		{ 0 }
	};

	memset(&op, 0, sizeof(op));
	op.perms = -1;
	if ((i = cli_opts_parse("server", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i != argc - 1 || op.user == NULL)
		return cli_usage("server", 0);
	modes = op.generate + pwstdin + (keyfile != NULL) + op.remove;
	if (modes > 1 || (modes == 0 && op.perms < 0) ||
	    (op.remove && op.perms >= 0)) {
		fprintf(stderr, "roost server sftp: give one of --generate, "
		    "--password-stdin, --key FILE or --remove (or only "
		    "--permissions)\n");
		return CLI_USAGE;
	}
	if (pwstdin) {
		if ((password = read_line(stdin)) == NULL || *password == '\0') {
			fprintf(stderr, "roost server sftp: no password on "
			    "standard input\n");
			free(password);
			return CLI_USAGE;
		}
		op.password = password;
	}
	if (keyfile != NULL) {
		fp = strcmp(keyfile, "-") == 0 ? stdin : fopen(keyfile, "re");
		if (fp == NULL || (key = read_line(fp)) == NULL) {
			fprintf(stderr, "roost server sftp: cannot read the key "
			    "file '%s'\n", keyfile);
			if (fp != NULL && fp != stdin)
				fclose(fp);
			return CLI_USAGE;
		}
		if (fp != stdin)
			fclose(fp);
		op.key = key;
	}
	if ((rc = edit_begin(so, &e)) != 0)
		goto out;
	rc = report(panel_sftp_set(e.p, &e.req, argv[i], &op, &e.res, &e.err),
	    &e);
	if (rc == CLI_OK && e.res.password != NULL)
		printf("password for SFTP user %s (shown once, not stored): "
		    "%s\n", op.user, e.res.password);
	edit_end(&e);
out:
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	free(key);
	return rc;
}

/*
 * member --permissions: a comma-separated list, added to the set (-1
 * while none was given).
 */
static int
member_perms_opt(const struct cli_opt *opt, const char *arg)
{
	long		*perms = opt->value;
	char		*copy, *q, *t;
	unsigned	 one;
	int		 rc = 0;

	if (*perms < 0)
		*perms = 0;
	copy = q = xstrdup(arg);
	while ((t = strsep(&q, ",")) != NULL) {
		if (*t == '\0')
			continue;
		if ((one = state_perm_parse(t)) == 0) {
			fprintf(stderr, "roost server member: unknown "
			    "permission '%s'\n", t);
			rc = -1;
			break;
		}
		*perms |= one;
	}
	free(copy);
	return rc;
}

static int
server_member(const struct server_opts *so, int argc, char *argv[])
{
	struct server_edit	 e;
	const char		*id = NULL;
	long			 perms = -1;
	int			 i, rc, remove = 0;
	const struct cli_opt	 opts[] = {
		{ 'i', "id",		CLI_OPT_STRING,	&id },
		{ 'p', "permissions",	CLI_OPT_CALL,	&perms,
		    member_perms_opt },
		{ 'x', "remove",	CLI_OPT_FLAG,	&remove },
		{ 0 }
	};

	if ((i = cli_opts_parse("server", opts, argc, argv, &rc)) == -1)
		return rc;
	if (i != argc - 1 || id == NULL || remove == (perms >= 0))
		return cli_usage("server", 0);
	if ((rc = edit_begin(so, &e)) != 0)
		return rc;
	rc = report(panel_member_set(e.p, &e.req, argv[i], id,
	    remove ? 0 : (unsigned)perms, &e.res, &e.err), &e);
	edit_end(&e);
	return rc;
}

/* history -n: how many commits at most. */
static int
history_count_opt(const struct cli_opt *opt, const char *arg)
{
	*(size_t *)opt->value = strtoul(arg, NULL, 10);
	return 0;
}

static int
server_history(const struct server_opts *so, int argc, char *argv[])
{
	struct gitstore_logent	*v;
	struct panel		*p;
	struct rerr		 err;
	struct tm		 tm;
	time_t			 t;
	char			 when[64];
	size_t			 n, i, max = 20;
	int			 argi, rc;
	const struct cli_opt	 opts[] = {
		{ 'n', NULL, CLI_OPT_CALL, &max, history_count_opt },
		{ 0 }
	};

	if ((argi = cli_opts_parse("server", opts, argc, argv, &rc)) == -1)
		return rc;
	if (argi != argc - 1)
		return cli_usage("server", 0);
	if ((rc = open_panel(so, &p, NULL)) != 0)
		return rc;
	rerr_init(&err);
	rc = panel_server_history(p, argv[argi], max, &v, &n, &err);
	if (rc != 0) {
		fprintf(stderr, "roost server history: %s\n", err.msg);
		panel_close(p);
		return exit_code(rc);
	}
	if (n == 0)
		printf("no history for server '%s' on %s\n", argv[argi],
		    panel_branch(p));
	for (i = 0; i < n; i++) {
		t = (time_t)v[i].time;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
		printf("%.12s  %s  %s <%s>  %s\n", v[i].id, when,
		    v[i].author_name, v[i].author_email, v[i].summary);
	}
	gitstore_log_free(v, n);
	panel_close(p);
	return CLI_OK;
}

static int
server_list(const struct server_opts *so, int argc, char *argv[])
{
	struct panel		*p;
	struct state		*st;
	struct rerr		 err;
	const struct state_server *s;
	size_t			 i;
	int			 rc;

	if (argc != 1)
		return cli_usage("server", 0);
	if ((rc = open_panel(so, &p, NULL)) != 0)
		return rc;
	rerr_init(&err);
	if ((rc = panel_state(p, NULL, 0, &st, &err)) != 0) {
		fprintf(stderr, "roost server list: %s\n", err.msg);
		panel_close(p);
		return exit_code(rc);
	}
	printf("%-20s %-12s %-24s %-8s %8s %6s  %s\n", "NAME", "NODE", "EGG",
	    "STATE", "MEMORY", "PORT", "VALID");
	for (i = 0; i < st->nservers; i++) {
		s = st->servers[i];
		printf("%-20s %-12s %-24s %-8s %8lld %6d  %s\n", s->name,
		    s->node ? s->node : "-", s->egg ? s->egg : "-",
		    s->state == STATE_RUNNING ? "running" : "stopped",
		    (long long)s->limits.memory, s->port,
		    s->valid ? "yes" : "no (roost validate)");
	}
	state_free(st);
	panel_close(p);
	return CLI_OK;
}

/*
 * roost server: parses the common options, then runs the subcommand.
 * Returns 0 on success, 1 when an edit was refused, 2 on usage or I/O
 * errors.
 */
int
cmd_server(int argc, char *argv[])
{
	struct server_opts	 so;
	char			**rest;
	const char		*sub;
	int			 i, n = 0, rc;

	memset(&so, 0, sizeof(so));
	so.repo = ".";
	if (argc < 2)
		return cli_usage("server", 0);
	/* common options may appear anywhere; take them out first */
	rest = xcalloc(argc + 1, sizeof(*rest));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		const char **slot = NULL;
		static const char *const names[] = { "--repo", "--author",
		    "--branch", "--remote", "--request-id" };
		size_t k, l;

		for (k = 0; k < 5; k++) {
			l = strlen(names[k]);
			if (strncmp(a, names[k], l) == 0 &&
			    (a[l] == '\0' || a[l] == '='))
				break;
		}
		if (k == 5) {
			rest[n++] = argv[i];
			continue;
		}
		l = strlen(names[k]);
		if (a[l] == '=')
			v = a + l + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else {
			fprintf(stderr, "roost server: %s needs a value\n",
			    names[k]);
			free(rest);
			return CLI_USAGE;
		}
		slot = k == 0 ? &so.repo : k == 1 ? &so.author :
		    k == 2 ? &so.branch : k == 3 ? &so.remote : &so.request_id;
		*slot = v;
	}
	if (n == 0) {
		free(rest);
		return cli_usage("server", 0);
	}
	sub = rest[0];
	if (strcmp(sub, "set") == 0 && n == 4 && (strcmp(rest[3],
	    "--secret") == 0 || strcmp(rest[2], "--secret") == 0))
		rc = server_set_secret(&so, rest[1],
		    strcmp(rest[3], "--secret") == 0 ? rest[2] : rest[3]);
	else if (strcmp(sub, "create") == 0)
		rc = server_create(&so, n, rest);
	else if (strcmp(sub, "set") == 0 || strcmp(sub, "start") == 0 ||
	    strcmp(sub, "stop") == 0 || strcmp(sub, "restart") == 0 ||
	    strcmp(sub, "reinstall") == 0 || strcmp(sub, "delete") == 0 ||
	    strcmp(sub, "backup") == 0 || strcmp(sub, "restore") == 0 ||
	    strcmp(sub, "move") == 0)
		rc = server_edit(&so, sub, n, rest);
	else if (strcmp(sub, "sftp") == 0)
		rc = server_sftp(&so, n, rest);
	else if (strcmp(sub, "schedules") == 0)
		rc = cmd_server_schedules(n, rest);
	else if (strcmp(sub, "schedule-run") == 0)
		rc = cmd_server_schedule_run(n, rest);
	else if (strcmp(sub, "member") == 0)
		rc = server_member(&so, n, rest);
	else if (strcmp(sub, "history") == 0)
		rc = server_history(&so, n, rest);
	else if (strcmp(sub, "revert") == 0 || strcmp(sub, "rollback") == 0)
		rc = server_revert(&so, sub, n, rest);
	else if (strcmp(sub, "list") == 0)
		rc = server_list(&so, n, rest);
	else if (strcmp(sub, "limits") == 0)
		rc = server_limits(n, rest);
	else if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0)
		rc = cli_usage("server", 1);
	else {
		fprintf(stderr, "roost server: unknown subcommand '%s'\n", sub);
		rc = cli_usage("server", 0);
	}
	free(rest);
	return rc;
}
