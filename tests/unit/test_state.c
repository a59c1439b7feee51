/*
 * test_state: loading and validating state repositories: every field of
 * the example, the invalid corpus in tests/data/state/bad (each file says
 * where it goes and which "path:line:col: error: message" lines it must
 * produce), isolation of a bad server, the parse cache, permissions, the
 * canonical writer and format-preserving edits.
 */
#include "unit.h"

#include <dirent.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "state.h"
#include "util.h"
#include "yedit.h"

static struct egg_library *eggs;

/* A work tree with one file laid over it (or hidden, data NULL). */
struct overlay {
	struct state_src	 dir;
	const char		*path;
	const char		*data;
};

static int
ov_list(void *arg, const char *d, char ***names, size_t *n,
    struct rerr *err)
{
	struct overlay	*o = arg;
	const char	*slash = strrchr(o->path, '/');
	size_t		 i;
	int		 rc;

	rc = o->dir.list(o->dir.arg, d, names, n, err);
	if (rc == ROOST_ENOTFOUND)
		rc = 0;
	if (rc != 0 || slash == NULL || strncmp(o->path, d, strlen(d)) != 0 ||
	    (size_t)(slash - o->path) != strlen(d))
		return rc;
	for (i = 0; i < *n; i++)
		if (strcmp((*names)[i], slash + 1) == 0)
			return 0;
	*names = realloc(*names, (*n + 1) * sizeof(**names));
	(*names)[(*n)++] = strdup(slash + 1);
	return 0;
}

static int
ov_read(void *arg, const char *path, struct buf *out, char *id,
    size_t idlen, struct rerr *err)
{
	struct overlay	*o = arg;

	if (strcmp(path, o->path) == 0) {
		buf_puts(out, o->data);
		snprintf(id, idlen, "overlay-%zu", strlen(o->data));
		return 0;
	}
	return o->dir.read(o->dir.arg, path, out, id, idlen, err);
}

static int
ov_isdir(void *arg, const char *path)
{
	struct overlay	*o = arg;

	return o->dir.isdir(o->dir.arg, path);
}

static struct state *
load_overlay(const char *root, const char *path, const char *data)
{
	struct overlay	 o;
	struct state_src src;
	struct state	*st;
	struct rerr	 err;

	state_src_dir(&o.dir, root);
	o.path = path;
	o.data = data;
	src.arg = &o;
	src.list = ov_list;
	src.read = ov_read;
	src.isdir = ov_isdir;
	src.stat = NULL;
	rerr_init(&err);
	assert_rok(state_load(&st, &src, eggs, NULL, &err), &err);
	return st;
}

static struct state *
load_dir(const char *dir, struct state_cache *cache)
{
	struct state_src src;
	struct state	*st;
	struct rerr	 err;

	state_src_dir(&src, dir);
	rerr_init(&err);
	assert_rok(state_load(&st, &src, eggs, cache, &err), &err);
	return st;
}

static int
setup(void **state)
{
	struct diags	d;

	eggs = egglib_new();
	diags_init(&d);
	if (egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/", &d) != 0)
		return -1;
	diags_dispose(&d);
	return 0;
}

static int
teardown(void **state)
{
	egglib_free(eggs);
	return 0;
}

static void
test_state__example_fields(void **state)
{
	struct state		*st = load_dir("state-example", NULL);
	struct state_server	*s;
	struct state_node	*n;
	const char		*roles[] = { "333333333333333333" };

	assert_int_equal(st->diags->nerrors, 0);
	assert_int_equal(st->nnodes, 2);
	assert_non_null(n = state_node_find(st, "node-a"));
	assert_string_equal(n->address, "127.0.0.1");
	assert_int_equal(n->nports, 2);
	assert_int_equal(n->ports[0].lo, 25565);
	assert_int_equal(n->ports[0].hi, 25700);
	assert_int_equal(n->cap_memory, 16384);
	assert_true(n->oversubscribe > 1.49 && n->oversubscribe < 1.51);
	assert_int_equal(n->overhead, STATE_OVERHEAD_WINGS);
	assert_non_null(s = state_server_find(st, "demo"));
	assert_true(s->valid);
	assert_string_equal(s->owner, "444444444444444444");
	assert_string_equal(s->node, "node-a");
	assert_string_equal(s->egg, "roost/demo");
	assert_int_equal(s->state, STATE_RUNNING);
	assert_int_equal(s->limits.memory, 128);
	assert_int_equal(s->limits.cpu, 50);
	assert_int_equal(s->limits.pids, 64);
	assert_int_equal(s->port, 25600);
	assert_string_equal(state_server_var(st, s, "MOTD"),
	    "Hello from roost");
	assert_string_equal(state_server_var(st, s, "MAX_PLAYERS"), "20");
	assert_string_equal(state_server_image(st, s), "roost.local/demo:1");
	assert_int_equal(s->nsftp, 1);
	assert_string_equal(s->sftp[0].user, "alice");
	assert_int_equal(s->sftp[0].perms, SFTP_PERM_READ | SFTP_PERM_WRITE |
	    SFTP_PERM_DELETE);
	assert_int_equal(s->nmembers, 1);
	assert_int_equal(s->members[0].perms, PERM_POWER | PERM_SFTP);
	/* Defaults from roost.yaml fill what a file leaves out. */
	assert_non_null(s = state_server_find(st, "vanilla"));
	assert_int_equal(s->limits.swap, 0);
	assert_int_equal(s->limits.io, 500);
	assert_int_equal(s->state, STATE_STOPPED);
	assert_non_null(s = state_server_find(st, "survival"));
	assert_int_equal(s->nextra_ports, 1);
	assert_int_equal(s->extra_ports[0], 28075);
	/* Permissions: roles, owner, members. */
	s = state_server_find(st, "demo");
	assert_int_equal(state_perms(st, s, "999999999999999999", roles, 1),
	    PERM_VIEW | PERM_POWER);
	assert_true(state_perms(st, s, "444444444444444444", NULL, 0) &
	    PERM_DELETE);
	assert_false(state_perms(st, s, "555555555555555555", NULL, 0) &
	    PERM_DELETE);
	assert_true(state_perms(st, s, "555555555555555555", NULL, 0) &
	    PERM_SFTP);
	state_free(st);
}

/* Each bad file yields exactly its expected problems, and only its own. */
static void
test_state__invalid_corpus(void **state)
{
	DIR		*dir;
	struct dirent	*e;
	int		 cases = 0;

	assert_non_null(dir = opendir("tests/data/state/bad"));
	while ((e = readdir(dir)) != NULL) {
		char		 path[512], target[256], *p, *nl;
		struct buf	 b, got;
		struct state	*st;
		int		 nexpect = 0;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "tests/data/state/bad/%s",
		    e->d_name);
		buf_init(&b, 0);
		assert_int_equal(util_read_file(path, &b, NULL), 0);
		assert_int_equal(sscanf(buf_str(&b), "# file: %255s",
		    target), 1);
		st = load_overlay("tests/data/state/good", target,
		    buf_str(&b));
		buf_init(&got, 0);
		diags_format(st->diags, &got);
		for (p = strstr(buf_str(&b), "# expect: "); p != NULL;
		    p = strstr(p + 1, "# expect: ")) {
			char line[1024];

			nl = strchr(p, '\n');
			snprintf(line, sizeof(line), "%.*s\n",
			    (int)(nl - p - 10), p + 10);
			if (strstr(buf_str(&got), line) == NULL)
				fail_msg("%s: expected\n  %s got\n%s",
				    e->d_name, line, buf_str(&got));
			nexpect++;
		}
		assert_true(nexpect > 0);
		/* The good server is never affected by another file. */
		assert_true(state_server_find(st, "ok")->valid ||
		    strstr(target, "nodes/") != NULL ||
		    strcmp(target, "roost.yaml") == 0);
		if (strncmp(target, "servers/", 8) == 0)
			assert_int_equal(st->diags->nerrors, nexpect);
		buf_dispose(&got);
		buf_dispose(&b);
		state_free(st);
		cases++;
	}
	closedir(dir);
	assert_true(cases >= 30);
}

static void
test_state__bad_server_isolated(void **state)
{
	struct state	*st = load_overlay("state-example",
	    "servers/broken.yaml", "name: broken\nowner: x\n");
	size_t		 i, valid = 0;

	for (i = 0; i < st->nservers; i++)
		valid += st->servers[i]->valid;
	assert_int_equal(st->nservers, 8);
	assert_int_equal(valid, 7);
	assert_false(state_server_find(st, "broken")->valid);
	assert_non_null(state_server_find(st, "broken")->error);
	state_free(st);
	/* A file that is not even YAML still names its server. */
	st = load_overlay("state-example", "servers/junk.yaml", "a: [\n");
	assert_non_null(state_server_find(st, "junk"));
	assert_false(state_server_find(st, "junk")->valid);
	assert_true(state_server_find(st, "demo")->valid);
	state_free(st);
}

/* A repository with nodes and no servers/ directory at all. */
static void
test_state__no_servers_directory(void **state)
{
	struct state	*st = load_dir("tests/data/state/no-servers", NULL);

	assert_int_equal(st->nservers, 0);
	assert_int_equal(st->nnodes, 1);
	assert_int_equal(st->diags->nerrors, 0);
	state_free(st);
}

static void
test_state__cache_skips_unchanged(void **state)
{
	struct state_cache	*c = state_cache_new();
	struct state		*st;

	st = load_dir("state-example", c);
	assert_int_equal(state_cache_parses(c), 7);
	state_free(st);
	st = load_dir("state-example", c);
	assert_int_equal(state_cache_parses(c), 7);	/* nothing new */
	assert_true(state_server_find(st, "demo")->valid);
	assert_int_equal(state_server_find(st, "demo")->port, 25600);
	state_free(st);
	state_cache_free(c);
}

static void
test_state__writer_roundtrip(void **state)
{
	struct state		*st = load_dir("state-example", NULL), *st2;
	struct state_server	*a, *b;
	struct buf		 out;

	a = state_server_find(st, "demo");
	buf_init(&out, 0);
	state_server_write(a, &out);
	assert_contains(buf_str(&out), "yaml-language-server");
	st2 = load_overlay("state-example", "servers/demo.yaml",
	    buf_str(&out));
	assert_int_equal(st2->diags->nerrors, 0);
	b = state_server_find(st2, "demo");
	assert_string_equal(a->owner, b->owner);
	assert_int_equal(a->limits.memory, b->limits.memory);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->nvars, b->nvars);
	assert_string_equal(a->sftp[0].password, b->sftp[0].password);
	assert_int_equal(a->members[0].perms, b->members[0].perms);
	buf_dispose(&out);
	state_free(st2);
	state_free(st);
}

static void
test_state__names_and_ids(void **state)
{
	assert_true(state_name_valid("mc-1"));
	assert_false(state_name_valid("-mc"));
	assert_false(state_name_valid("MC"));
	assert_false(state_name_valid("abcdefghijabcdefghijabcdefghijab"));
	assert_true(state_name_valid("abcdefghijabcdefghijabcdefghija"));
	assert_true(state_snowflake_valid("123456789012345678"));
	assert_false(state_snowflake_valid("1234"));
	assert_false(state_snowflake_valid("12345678901234567a"));
	assert_int_equal(state_perm_parse("power"), PERM_POWER);
	assert_int_equal(state_perm_parse("all"), PERM_ALL);
	assert_int_equal(state_perm_parse("nope"), 0);
}

static void
edit(const char *src, const char *path, const char *value, int mode,
    const char *want)
{
	struct buf	out;
	struct rerr	err;

	buf_init(&out, 0);
	rerr_init(&err);
	assert_rok(yedit_set(&out, src, strlen(src), path, value, mode,
	    &err), &err);
	assert_string_equal(buf_str(&out), want);
	buf_dispose(&out);
}

static void
test_yedit__keeps_the_rest(void **state)
{
	const char	*src = "# a person wrote this\nname: mc   # name\n"
			    "limits: { memory: 2048, cpu: 200 }\n"
			    "variables:\n  A: 'x'\n  B: \"y\"\n";

	edit(src, "limits.memory", "4096", YEDIT_AUTO,
	    "# a person wrote this\nname: mc   # name\n"
	    "limits: { memory: 4096, cpu: 200 }\n"
	    "variables:\n  A: 'x'\n  B: \"y\"\n");
	edit(src, "limits.disk", "100", YEDIT_AUTO,
	    "# a person wrote this\nname: mc   # name\n"
	    "limits: { memory: 2048, cpu: 200, disk: 100 }\n"
	    "variables:\n  A: 'x'\n  B: \"y\"\n");
	edit(src, "variables.A", "it's", YEDIT_AUTO,
	    "# a person wrote this\nname: mc   # name\n"
	    "limits: { memory: 2048, cpu: 200 }\n"
	    "variables:\n  A: 'it''s'\n  B: \"y\"\n");
	edit(src, "variables.C", "3", YEDIT_STRING,
	    "# a person wrote this\nname: mc   # name\n"
	    "limits: { memory: 2048, cpu: 200 }\n"
	    "variables:\n  A: 'x'\n  B: \"y\"\n  C: \"3\"\n");
	edit(src, "state", "stopped", YEDIT_AUTO,
	    "# a person wrote this\nname: mc   # name\n"
	    "limits: { memory: 2048, cpu: 200 }\n"
	    "variables:\n  A: 'x'\n  B: \"y\"\nstate: stopped\n");
	edit("a: 1\nports:\n  default: 1\n", "ports.extra", "[2, 3]",
	    YEDIT_RAW, "a: 1\nports:\n  default: 1\n  extra: [2, 3]\n");
	edit("a: 1\nvars:\nb: 2\n", "vars.X", "val", YEDIT_AUTO,
	    "a: 1\nvars:\n  X: val\nb: 2\n");
}

static void
test_yedit__delete_and_errors(void **state)
{
	struct buf	out;
	struct rerr	err;
	const char	*src = "a: 1\nrestartedAt: \"x\" # c\nb: 2\n";

	buf_init(&out, 0);
	assert_int_equal(yedit_delete(&out, src, strlen(src), "restartedAt",
	    NULL), 0);
	assert_string_equal(buf_str(&out), "a: 1\nb: 2\n");
	buf_reset(&out);
	rerr_init(&err);
	assert_int_equal(yedit_set(&out, "a: [1\n", 6, "a", "x", YEDIT_AUTO,
	    &err), ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(yedit_set(&out, "a: [1]\n", 7, "a.b", "x",
	    YEDIT_AUTO, &err), ROOST_EINVAL);
	assert_contains(err.msg, "not a map");
	buf_dispose(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state__example_fields),
		cmocka_unit_test(test_state__invalid_corpus),
		cmocka_unit_test(test_state__bad_server_isolated),
		cmocka_unit_test(test_state__no_servers_directory),
		cmocka_unit_test(test_state__cache_skips_unchanged),
		cmocka_unit_test(test_state__writer_roundtrip),
		cmocka_unit_test(test_state__names_and_ids),
		cmocka_unit_test(test_yedit__keeps_the_rest),
		cmocka_unit_test(test_yedit__delete_and_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
