/*
 * test_state: loading and validating state repositories: every field of
 * the example, the invalid corpus in tests/data/state/bad (each file says
 * where it goes and which "path:line:col: error: message" lines it must
 * produce), isolation of a bad server, the parse cache, permissions, the
 * canonical writer and format-preserving edits.
 */
#include "unit.h"

#include <sys/stat.h>

#include <dirent.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "limit.h"
#include "state.h"
#include "util.h"
#include "ydoc.h"
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
	src.list_block = NULL;
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
	assert_string_equal(n->public_address, "play.example.com");
	/* without publicAddress players connect to address */
	assert_string_equal(state_node_find(st, "node-b")->public_address,
	    "10.0.0.2");
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

/*
 * Reads tests/data/state/bad/name into b (to dispose); target is the file
 * of the state it stands for, from its "# file:" line.
 */
static void
read_bad(const char *name, struct buf *b, char target[256])
{
	char	path[512];

	snprintf(path, sizeof(path), "tests/data/state/bad/%s", name);
	buf_init(b, 0);
	assert_int_equal(util_read_file(path, b, NULL), 0);
	assert_int_equal(sscanf(buf_str(b), "# file: %255s", target), 1);
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
		char		 target[256], *p, *nl;
		struct buf	 b, got;
		struct state	*st;
		int		 nexpect = 0;

		if (e->d_name[0] == '.')
			continue;
		read_bad(e->d_name, &b, target);
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

/* The demo server with its limits line replaced. */
static struct state *
load_demo_limits(const char *limits)
{
	struct buf	 b, in;
	struct rerr	 err;
	struct state	*st;
	const char	*p, *e;

	buf_init(&in, 0);
	rerr_init(&err);
	assert_rok(util_read_file("state-example/servers/demo.yaml", &in,
	    &err), &err);
	p = strstr(buf_str(&in), "limits:");
	assert_non_null(p);
	e = strchr(p, '\n');
	buf_init(&b, 0);
	buf_add(&b, buf_str(&in), (size_t)(p - buf_str(&in)));
	buf_addf(&b, "limits: { %s }", limits);
	buf_puts(&b, e);
	st = load_overlay("state-example", "servers/demo.yaml", buf_str(&b));
	buf_dispose(&b);
	buf_dispose(&in);
	return st;
}

/*
 * The loader's bounds and validation's defaults are the limits table's:
 * each row's min and max load, one past either is an error naming the
 * key, and a limit set nowhere gets the row's default.
 */
static void
test_state__limits_table(void **state)
{
	const struct limit_def	*d;
	struct state_server	*srv;
	struct state		*st;
	struct buf		 in, b;
	struct rerr		 err;
	char			 text[64], want[96];
	const char		*p;
	size_t			 i;
	int			 k;

	for (i = 0; i < LIMIT_COUNT; i++) {
		d = &limit_table[i];
		for (k = 0; k < 4; k++) {
			int64_t v = k == 0 ? d->min : k == 1 ? d->max :
			    k == 2 ? d->min - 1 : d->max + 1;

			snprintf(text, sizeof(text), "%s: %lld", d->name,
			    (long long)v);
			st = load_demo_limits(text);
			srv = state_server_find(st, "demo");
			assert_non_null(srv);
			if (k < 2) {
				/* In bounds (a node may still be too small). */
				if (!srv->valid && strstr(srv->error,
				    "must be at") != NULL)
					fail_msg("%s: %s", text, srv->error);
				assert_int_equal(limit_value(&srv->limits,
				    d->id), v);
			} else {
				assert_false(srv->valid);
				snprintf(want, sizeof(want), "'%s' must be at "
				    "%s %lld", d->name, k == 2 ? "least" :
				    "most", (long long)(k == 2 ? d->min :
				    d->max));
				assert_contains(srv->error, want);
			}
			state_free(st);
		}
	}

	/* Without roost.yaml's defaults, the table's apply. */
	buf_init(&in, 0);
	rerr_init(&err);
	assert_rok(util_read_file("state-example/roost.yaml", &in, &err),
	    &err);
	p = strstr(buf_str(&in), "defaults:");
	assert_non_null(p);
	buf_init(&b, 0);
	buf_add(&b, buf_str(&in), (size_t)(p - buf_str(&in)));
	buf_puts(&b, strstr(p, "maxServersPerUser"));
	st = load_overlay("state-example", "roost.yaml", buf_str(&b));
	srv = state_server_find(st, "db");	/* sets memory, cpu, disk */
	assert_non_null(srv);
	assert_true(srv->valid);
	assert_int_equal(srv->limits.memory, 2048);
	assert_int_equal(srv->limits.swap, limit_get(LIMIT_SWAP)->def);
	assert_int_equal(srv->limits.io, limit_get(LIMIT_IO)->def);
	assert_int_equal(srv->limits.pids, 512);
	assert_int_equal(limit_get(LIMIT_PIDS)->def, 512);
	state_free(st);
	buf_dispose(&b);
	buf_dispose(&in);
	/* Names with or without the prefix; nothing else. */
	assert_ptr_equal(limit_find("limits.cpu"), limit_get(LIMIT_CPU));
	assert_ptr_equal(limit_find("pids"), limit_get(LIMIT_PIDS));
	assert_null(limit_find("owner"));
	assert_null(limit_find("limits.owner"));
	limit_names(text, sizeof(text));
	assert_string_equal(text, "memory, swap, cpu, disk, io, pids");
}

/* publicAddress is a host name or address, no URL or port. */
static void
test_state__public_address(void **state)
{
	const char	*bad[] = { "play.example.com:25565", "ws://x", "a b",
	    "" };
	struct state	*st;
	char		 y[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(y, sizeof(y), "name: node-b\naddress: 10.0.0.2\n"
		    "publicAddress: \"%s\"\nports: [\"28000-28100\"]\n",
		    bad[i]);
		st = load_overlay("state-example", "nodes/node-b.yaml", y);
		assert_int_equal(st->diags->nerrors, 1);
		assert_non_null(strstr(st->diags->v[0].msg,
		    "'publicAddress' must be a host name"));
		assert_string_equal(state_node_find(st,
		    "node-b")->public_address, "10.0.0.2");
		state_free(st);
	}
	st = load_overlay("state-example", "nodes/node-b.yaml", "name: node-b\n"
	    "address: 10.0.0.2\npublicAddress: \"2001:db8::1\"\n"
	    "ports: [\"28000-28100\"]\n");
	assert_int_equal(st->diags->nerrors, 0);
	assert_string_equal(state_node_find(st, "node-b")->public_address,
	    "2001:db8::1");
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

/* The first problem of st whose message holds what, or fails. */
static const struct diag *
find_diag(const struct state *st, const char *what)
{
	size_t	i;

	for (i = 0; i < st->diags->n; i++)
		if (strstr(st->diags->v[i].msg, what) != NULL)
			return &st->diags->v[i];
	fail_msg("no problem says '%s'", what);
	return NULL;
}

/*
 * Loads the good tree with servers/mc.yaml made of head and n variables,
 * written to b.
 */
static struct state *
load_variables(struct buf *b, const char *head, size_t n)
{
	size_t	i;

	buf_reset(b);
	buf_puts(b, head);
	buf_puts(b, "ports: { default: 30001 }\nvariables:\n");
	for (i = 0; i < n; i++)
		buf_addf(b, "  V%zu: x\n", i);
	return load_overlay("tests/data/state/good", "servers/mc.yaml",
	    buf_str(b));
}

/*
 * Files built to be slow to read: 200,000 variables (each used to be
 * compared with every other), 80,000 items on one line, 1,001 variables.
 * Each is refused with its place, in CPU time far below what the old
 * quadratic code took (over 60 s and 8.4 s).
 */
static void
test_state__pathological_sizes(void **state)
{
	const char		*head = "apiVersion: roost/v1\nname: mc\n"
				    "owner: \"444444444444444444\"\nnode: n1\n"
				    "egg: roost/demo\n";
	struct buf		 b;
	struct state		*st;
	const struct diag	*g;
	clock_t			 t0 = clock();
	size_t			 i;

	buf_init(&b, 0);
	st = load_variables(&b, head, 200000);
	g = find_diag(st, "more than 250000 yaml values");
	assert_string_equal(g->path, "servers/mc.yaml");
	assert_int_equal(g->line, 7 + (250000 - 3 - 12) / 2);
	assert_false(state_server_find(st, "ok") == NULL);
	state_free(st);

	buf_reset(&b);
	buf_puts(&b, head);
	buf_puts(&b, "ports: { default: 30001, extra: [");
	for (i = 0; i < 80000; i++)
		buf_addf(&b, "%s%zu", i ? ", " : "", 30002 + i % 1000);
	buf_puts(&b, "] }\n");
	st = load_overlay("tests/data/state/good", "servers/mc.yaml",
	    buf_str(&b));
	g = find_diag(st, "more than 100 extra ports; at most 100");
	assert_int_equal(g->line, 6);
	state_free(st);

	st = load_variables(&b, head, 1001);
	g = find_diag(st, "more than 1000 variables");
	assert_int_equal(g->line, 8 + 1000);
	state_free(st);
	buf_dispose(&b);
	/* Generous: the three take well under a second of CPU. */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
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
#define SRC_HEAD	"# a person wrote this\nname: mc   # name\n"
#define SRC_LIMITS	"limits: { memory: 2048, cpu: 200 }\n"
#define SRC_VARS	"variables:\n  A: 'x'\n  B: \"y\"\n"
	static const struct {
		const char	*src, *path, *value;
		int		 mode;
		const char	*want;
	} cases[] = {
		{ NULL, "limits.memory", "4096", YEDIT_AUTO, SRC_HEAD
		    "limits: { memory: 4096, cpu: 200 }\n" SRC_VARS },
		{ NULL, "limits.disk", "100", YEDIT_AUTO, SRC_HEAD
		    "limits: { memory: 2048, cpu: 200, disk: 100 }\n"
		    SRC_VARS },
		{ NULL, "variables.A", "it's", YEDIT_AUTO, SRC_HEAD SRC_LIMITS
		    "variables:\n  A: 'it''s'\n  B: \"y\"\n" },
		{ NULL, "variables.C", "3", YEDIT_STRING, SRC_HEAD SRC_LIMITS
		    SRC_VARS "  C: \"3\"\n" },
		{ NULL, "state", "stopped", YEDIT_AUTO, SRC_HEAD SRC_LIMITS
		    SRC_VARS "state: stopped\n" },
		{ "a: 1\nports:\n  default: 1\n", "ports.extra", "[2, 3]",
		    YEDIT_RAW, "a: 1\nports:\n  default: 1\n  extra: [2, 3]\n" },
		{ "a: 1\nvars:\nb: 2\n", "vars.X", "val", YEDIT_AUTO,
		    "a: 1\nvars:\n  X: val\nb: 2\n" },
	};
	const char	*src = SRC_HEAD SRC_LIMITS SRC_VARS;
	size_t		 i;

	/* a NULL src is the commented file above */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		edit(cases[i].src != NULL ? cases[i].src : src, cases[i].path,
		    cases[i].value, cases[i].mode, cases[i].want);
#undef SRC_HEAD
#undef SRC_LIMITS
#undef SRC_VARS
}

/*
 * A value with a character YAML reads as a line break a reviewer cannot
 * see (NEL, U+2028, U+2029), a control or a byte order mark is escaped in
 * every style an edit can write, and reads back as exactly that value.
 */
static void
test_yedit__hidden_breaks_escaped(void **state)
{
	static const char	*srcs[] = { "variables:\n  A: x\n",
	    "variables:\n  A: 'x'\n", "variables:\n  A: \"x\"\n",
	    "variables:\n  B: x\n", "variables: { B: 1 }\n", "a: 1\n",
	    "variables:\n", NULL };
	static const char	*values[] = {
	    "x\xe2\x80\xa8owner: \"555555555555555555\"",
	    "a\xe2\x80\xa9" "b", "a\xc2\x85" "b", "\xef\xbb\xbf" "bom",
	    "tab\there", "bell\x07", "c1\xc2\x9b", "it's\xe2\x80\xa8",
	    "two\nlines", "lin::e::?:;", "a:b", "?x", NULL };
	struct buf		 out;
	struct rerr		 err;
	struct diags		 d;
	struct ydoc		*doc;
	size_t			 i, j;

	for (i = 0; srcs[i] != NULL; i++)
		for (j = 0; values[j] != NULL; j++) {
			buf_init(&out, 0);
			rerr_init(&err);
			assert_rok(yedit_set(&out, srcs[i], strlen(srcs[i]),
			    "variables.A", values[j], YEDIT_AUTO, &err), &err);
			unit_assert_no_hidden(buf_str(&out));
			diags_init(&d);
			if (ydoc_parse(&doc, "t.yaml", out.data, out.len,
			    &d) != 0)
				fail_msg("%s", d.v[0].msg);
			assert_string_equal(ydoc_get(ydoc_get(doc->root,
			    "variables"), "A")->str, values[j]);
			assert_null(ydoc_get(doc->root, "owner"));
			ydoc_free(doc);
			diags_dispose(&d);
			buf_dispose(&out);
		}
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

/* A server file's text: name, port and what follows. */
#define SCHED_SRV "apiVersion: roost/v1\nkind: Server\nname: %s\n" \
	"owner: \"444444444444444444\"\nnode: n1\negg: roost/demo\n" \
	"ports: { default: %d }\n%s"

/* Writes text to dir/rel. */
static void
sched_write(const char *dir, const char *rel, const char *text)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
}

/*
 * roost.yaml's defaults.schedules reach a server that writes none; a
 * server's own list replaces them and an empty one turns them off; the
 * tasks keep their kinds, offsets and notes, and survive a copy.
 */
static void
test_state__schedules_defaults(void **state)
{
	char			*dir, text[1024], path[1024];
	struct state		*st;
	struct state_server	*a, *b, *c, *d;
	const struct state_schedule *s;

	assert_non_null(dir = unit_tmpdir("sched"));
	snprintf(path, sizeof(path), "%s/nodes", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/servers", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	sched_write(dir, "roost.yaml", "defaults:\n  schedules:\n"
	    "    - name: nightly\n      cron: \"0 5 * * *\"\n"
	    "      timezone: Europe/Berlin\n      onlyWhenRunning: true\n"
	    "      tasks:\n        - command: \"say bye\"\n"
	    "        - after: 4m\n          restart: true\n"
	    "          continueOnFailure: true\n"
	    "        - backup: { note: nightly }\n");
	sched_write(dir, "nodes/n1.yaml", "name: n1\naddress: 127.0.0.1\n"
	    "ports: [\"30000-30010\"]\n");
	snprintf(text, sizeof(text), SCHED_SRV, "a", 30000, "");
	sched_write(dir, "servers/a.yaml", text);
	snprintf(text, sizeof(text), SCHED_SRV, "b", 30001, "schedules: []\n");
	sched_write(dir, "servers/b.yaml", text);
	snprintf(text, sizeof(text), SCHED_SRV, "c", 30002, "schedules:\n"
	    "  - { name: hourly, cron: \"0 0 * * * *\", tasks: "
	    "[ { backup: true } ] }\n");
	sched_write(dir, "servers/c.yaml", text);
	st = load_dir(dir, NULL);
	assert_int_equal(st->diags->nerrors, 0);
	a = state_server_find(st, "a");
	b = state_server_find(st, "b");
	c = state_server_find(st, "c");
	assert_int_equal(a->schedules.n, 1);
	assert_non_null(s = state_schedule_find(a, "nightly"));
	assert_string_equal(s->cron, "0 5 * * *");
	assert_string_equal(s->timezone, "Europe/Berlin");
	assert_true(s->only_running);
	assert_int_equal(s->ntasks, 3);
	assert_int_equal(s->tasks[0].kind, STATE_TASK_COMMAND);
	assert_string_equal(s->tasks[0].arg, "say bye");
	assert_int_equal(s->tasks[1].kind, STATE_TASK_RESTART);
	assert_int_equal(s->tasks[1].after_ms, 240000);
	assert_true(s->tasks[1].cont);
	assert_false(s->tasks[0].cont);
	assert_int_equal(s->tasks[2].kind, STATE_TASK_BACKUP);
	assert_string_equal(s->tasks[2].arg, "nightly");
	assert_int_equal(b->schedules.n, 0);
	assert_int_equal(c->schedules.n, 1);
	assert_null(state_schedule_find(c, "nightly"));
	assert_non_null(s = state_schedule_find(c, "hourly"));
	assert_null(s->timezone);
	assert_null(s->tasks[0].arg);
	d = state_server_dup(a);
	state_free(st);
	assert_non_null(s = state_schedule_find(d, "nightly"));
	assert_string_equal(s->tasks[0].arg, "say bye");
	state_server_free(d);
	unit_rmtree(dir);
	free(dir);
}

/* Loads dir on nthreads threads, through cache (may be NULL), as text. */
static char *
load_text(const char *dir, int nthreads, struct state_cache *cache)
{
	struct state	*st;
	char		*t;

	state_load_threads(nthreads);
	st = load_dir(dir, cache);
	state_load_threads(0);
	t = unit_state_text(st, 1);
	state_free(st);
	return t;
}

/*
 * Server files parsed on several threads give the state, the problems
 * and their order that parsing them one by one gives: every bad server
 * file of the corpus side by side (several times over), with files that
 * cannot be read, YAML that does not parse, a name written twice and a
 * file that is not a server's, cold and through the parse cache.
 */
static void
test_state__threads_same_result(void **state)
{
	struct state_cache	*c1, *c4;
	DIR			*dir;
	struct dirent		*e;
	struct buf		 b;
	char			*root, path[1024], target[256], *one, *many;
	int			 round, nfiles = 0, nt;

	assert_non_null(root = unit_tmpdir("threads"));
	snprintf(path, sizeof(path), "%s/nodes", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/servers", root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (round = 0; round < 3; round++) {
		const char *f[] = { "roost.yaml", "nodes/n1.yaml",
		    "servers/ok.yaml" };

		snprintf(path, sizeof(path), "tests/data/state/good/%s",
		    f[round]);
		buf_init(&b, 0);
		assert_int_equal(util_read_file(path, &b, NULL), 0);
		sched_write(root, f[round], buf_str(&b));
		buf_dispose(&b);
	}
	for (round = 0; round < 4; round++) {
		assert_non_null(dir = opendir("tests/data/state/bad"));
		while ((e = readdir(dir)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			read_bad(e->d_name, &b, target);
			if (strncmp(target, "servers/", 8) == 0) {
				/* Named after the fixture: names differ. */
				snprintf(path, sizeof(path),
				    "%s/servers/r%d-%.*s.yaml", root, round,
				    (int)(strlen(e->d_name) - 5), e->d_name);
				sched_write("/", path, buf_str(&b));
				nfiles++;
			}
			buf_dispose(&b);
		}
		closedir(dir);
	}
	assert_true(nfiles >= 80);
	sched_write(root, "servers/junk.yaml", "a: [\n");
	sched_write(root, "servers/ok.yml", "name: ok\n");
	sched_write(root, "servers/notes.txt", "not a server\n");
	snprintf(path, sizeof(path), "%s/servers/adir.yaml", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/servers/link.yaml", root);
	assert_int_equal(symlink("ok.yaml", path), 0);

	one = load_text(root, 1, NULL);
	assert_non_null(strstr(one, "servers/adir.yaml"));
	assert_non_null(strstr(one, "servers/link.yaml"));
	assert_non_null(strstr(one, "defined twice"));
	for (nt = 2; nt <= 5; nt += 3) {
		many = load_text(root, nt, NULL);
		assert_string_equal(many, one);
		free(many);
	}
	/* Through a cache: parsed, then every file found in it. */
	c1 = state_cache_new();
	c4 = state_cache_new();
	free(load_text(root, 1, c1));
	many = load_text(root, 4, c4);
	assert_string_equal(many, one);
	free(many);
	assert_int_equal(state_cache_parses(c4), state_cache_parses(c1));
	many = load_text(root, 4, c4);
	assert_string_equal(many, one);
	free(many);
	assert_int_equal(state_cache_parses(c4), state_cache_parses(c1));
	state_cache_free(c1);
	state_cache_free(c4);
	free(one);
	unit_rmtree(root);
	free(root);
}

/*
 * Node and egg files that cannot be read are each reported with their own
 * reason: a directory named like a node file, then a symlink, then an egg
 * that is a directory.
 */
static void
test_state__unreadable_files_own_reasons(void **state)
{
	char	*root, path[1024], *t;

	assert_non_null(root = unit_tmpdir("unreadable"));
	sched_write(root, "roost.yaml", "");
	snprintf(path, sizeof(path), "%s/nodes", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nodes/a.yaml", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/nodes/b.yaml", root);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/eggs", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/eggs/g", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/eggs/g/e.yaml", root);
	assert_int_equal(mkdir(path, 0755), 0);

	t = load_text(root, 1, NULL);
	assert_non_null(strstr(t, "'nodes/a.yaml' is not a regular file"));
	assert_non_null(strstr(t, "'nodes/b.yaml' is a symlink"));
	assert_non_null(strstr(t, "'eggs/g/e.yaml' is not a regular file"));
	free(t);
	unit_rmtree(root);
	free(root);
}

UNIT_MAIN(setup, teardown,
    cmocka_unit_test(test_state__example_fields),
    cmocka_unit_test(test_state__invalid_corpus),
    cmocka_unit_test(test_state__bad_server_isolated),
    cmocka_unit_test(test_state__limits_table),
    cmocka_unit_test(test_state__no_servers_directory),
    cmocka_unit_test(test_state__cache_skips_unchanged),
    cmocka_unit_test(test_state__writer_roundtrip),
    cmocka_unit_test(test_state__pathological_sizes),
    cmocka_unit_test(test_state__names_and_ids),
    cmocka_unit_test(test_state__unreadable_files_own_reasons),
    cmocka_unit_test(test_state__public_address),
    cmocka_unit_test(test_yedit__keeps_the_rest),
    cmocka_unit_test(test_yedit__hidden_breaks_escaped),
    cmocka_unit_test(test_yedit__delete_and_errors),
    cmocka_unit_test(test_state__schedules_defaults),
    cmocka_unit_test(test_state__threads_same_result))
