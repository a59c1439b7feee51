/*
 * test_gitstore: the git store against real repositories made with the git
 * CLI in a temporary directory: commits (author, committer, message,
 * content), the work tree left clean, dirty files refused, compare-and-
 * swap conflicts, trees read as state sources with overlays, fetch over
 * file:// and git daemon on loopback, push and non-fast-forward, file log
 * and trailers.
 */
#include "unit.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <signal.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "gitstore.h"
#include "state.h"
#include "xmalloc.h"

static pid_t	 servers[8];	/* daemons started by tests */
static int	 nservers;

/* Remembers a daemon so that teardown stops it when a test failed. */
static void
server_started(pid_t pid)
{
	if (nservers < 8)
		servers[nservers++] = pid;
}

/*
 * Starts a server (argv[0] on PATH) in a process group of its own and
 * remembers it for teardown; returns its pid.
 */
static pid_t
spawn_server(const char *const argv[])
{
	pid_t	pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	server_started(pid);
	return pid;
}

/* Starts git daemon on 127.0.0.1:port over unit_root; push: receive too. */
static pid_t
git_daemon(int port, int push)
{
	const char	*argv[9];
	char		 pa[64], ba[4200];
	int		 n = 0;

	snprintf(pa, sizeof(pa), "--port=%d", port);
	snprintf(ba, sizeof(ba), "--base-path=%s", unit_root);
	argv[n++] = "git";
	argv[n++] = "daemon";
	argv[n++] = "--listen=127.0.0.1";
	argv[n++] = pa;
	argv[n++] = ba;
	argv[n++] = "--reuseaddr";
	argv[n++] = "--export-all";
	if (push)
		argv[n++] = "--enable=receive-pack";
	argv[n] = NULL;
	return spawn_server(argv);
}

/* Fails unless the branch main of the bare repository gitdir is at id. */
static void
assert_main(const char *gitdir, const char *id)
{
	char	*want;

	want = unit_sh_out("git --git-dir=%s rev-parse main", gitdir);
	assert_string_equal(id, want);
	free(want);
}

/*
 * Fails unless src reads path as text, with the blob id that the shell
 * command idcmd prints (NULL: the id is not checked).
 */
static void
assert_read(const struct state_src *src, const char *path, const char *text,
    const char *idcmd)
{
	struct buf	 b;
	struct rerr	 err;
	char		 id[GITSTORE_IDLEN], *want;

	buf_init(&b, 0);
	rerr_init(&err);
	assert_rok(src->read(src->arg, path, &b, id, sizeof(id), &err), &err);
	assert_string_equal(buf_str(&b), text);
	if (idcmd != NULL) {
		want = unit_sh_out("%s", idcmd);
		assert_string_equal(id, want);
		free(want);
	}
	buf_dispose(&b);
}

/* Fetches until the server (maybe still starting) answers; the last rc. */
static int
fetch_retry(struct gitstore *gs, const char *branch, char *tip,
    struct rerr *err)
{
	int	i, rc = -1;

	for (i = 0; i < 50; i++) {
		rerr_init(err);
		if ((rc = gitstore_fetch(gs, NULL, branch, tip, err)) == 0)
			break;
		usleep(100000);
	}
	return rc;
}

/*
 * Opens a mirror at path of url with auth and fetches (retrying while the
 * server starts) main, which must be that of the bare gitdir; its tip goes
 * to tip.
 */
static struct gitstore *
mirror_fetch(const char *path, const char *url,
    const struct gitstore_auth *auth, const char *gitdir, char *tip)
{
	struct gitstore	*gs;
	struct rerr	 err;

	rerr_init(&err);
	assert_rok(gitstore_mirror_open(&gs, path, url, "main", &err), &err);
	gitstore_set_auth(gs, auth);
	assert_rok(fetch_retry(gs, NULL, tip, &err), &err);
	assert_main(gitdir, tip);
	return gs;
}

/*
 * Commits a file at path on base as Bob with msg, pushes it and checks
 * that it is main of the bare gitdir; its id goes to id.
 */
static void
commit_push(struct gitstore *gs, const char *base, const char *path,
    const char *msg, const char *gitdir, char *id)
{
	struct gitstore_change	ch;
	struct rerr		err;

	ch.path = path;
	ch.data = "name: x\n";
	ch.len = strlen(ch.data);
	rerr_init(&err);
	assert_rok(gitstore_commit_create(gs, base, &ch, 1,
	    "Bob <bob@example.com>", NULL, msg, 0, id, &err), &err);
	assert_rok(gitstore_push(gs, NULL, id, "main", &err), &err);
	assert_main(gitdir, id);
}

static int
setup(void **state)
{
	if ((unit_root = unit_tmpdir("gitstore")) == NULL)
		return -1;
	/* w: a work tree with two commits; r.git: a bare remote of it */
	if (unit_sh("git init -q w && cd w && mkdir servers nodes && "
	    "printf 'name: a\\nmemory: 1\\n' > servers/a.yaml && "
	    "printf 'name: n\\n' > nodes/n.yaml && git add . && "
	    "git commit -qm 'first' && "
	    "printf 'name: a\\nmemory: 2\\n' > servers/a.yaml && "
	    "git commit -qam 'second' && "
	    "git clone -q --bare . ../r.git && "
	    "git remote add origin ../r.git && git fetch -q origin") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	int	i;

	for (i = 0; i < nservers; i++)
		if (kill(-servers[i], SIGTERM) == 0)
			waitpid(servers[i], NULL, 0);
	unit_rmtree(unit_root);
	free(unit_root);
	return 0;
}

static struct gitstore *
open_ok(const char *rel)
{
	struct gitstore	*gs;
	struct rerr	 err;
	char		*p;

	rerr_init(&err);
	xasprintf(&p, "%s/%s", unit_root, rel);
	assert_rok(gitstore_open(&gs, p, &err), &err);
	free(p);
	return gs;
}

static void
test_gitstore__open_resolve(void **state)
{
	struct gitstore	*gs;
	struct rerr	 err;
	char		 id[GITSTORE_IDLEN], *want, *p;
	struct buf	 b;

	rerr_init(&err);
	xasprintf(&p, "%s/nowhere", unit_root);
	mkdir(p, 0755);
	assert_int_equal(gitstore_open(&gs, p, &err), ROOST_ENOTFOUND);
	assert_contains(err.msg, "not a git repository");
	free(p);

	gs = open_ok("w");
	assert_non_null(gitstore_workdir(gs));
	buf_init(&b, 0);
	assert_rok(gitstore_head_branch(gs, &b, &err), &err);
	assert_string_equal(buf_str(&b), "main");
	buf_dispose(&b);
	assert_true(gitstore_has_remote(gs, "origin"));
	assert_false(gitstore_has_remote(gs, "upstream"));
	assert_true(gitstore_remote_is_local(gs, "origin"));

	want = unit_sh_out("cd w && git rev-parse HEAD");
	assert_rok(gitstore_resolve(gs, "HEAD", id, &err), &err);
	assert_string_equal(id, want);
	assert_rok(gitstore_resolve(gs, "main", id, &err), &err);
	assert_string_equal(id, want);
	want[8] = '\0';
	assert_rok(gitstore_resolve(gs, want, id, &err), &err);
	assert_int_equal(strncmp(id, want, 8), 0);
	free(want);
	want = unit_sh_out("cd w && git rev-parse HEAD~1");
	assert_rok(gitstore_resolve(gs, "HEAD~1", id, &err), &err);
	assert_string_equal(id, want);
	rerr_init(&err);
	assert_int_equal(gitstore_resolve(gs, "nosuchbranch", id, &err),
	    ROOST_ENOTFOUND);
	assert_contains(err.msg, "nosuchbranch");
	free(want);
	gitstore_close(gs);

	/* a bare repository opens too and has no work tree */
	gs = open_ok("r.git");
	assert_null(gitstore_workdir(gs));
	gitstore_close(gs);
}

/* Fails unless g dumps as wd; frees g. */
static void
assert_dump(struct state *g, const char *wd)
{
	char	*gd = unit_state_text(g, 0);

	assert_string_equal(gd, wd);
	state_free(g);
	free(gd);
}

/*
 * Loads the built-in eggs into eggs and makes the work tree dir with n
 * nodes n<i> (two digits when wide) on 10.0.0.<i+1>, with ports 20000 to
 * last; node small has small_mem MiB, the others plenty.
 */
static void
scale_repo(const char *dir, struct egg_library *eggs, int n, int wide,
    int last, int small, int small_mem)
{
	struct diags	 d;
	char		 name[16], rel[64], *text;
	int		 i;

	diags_init(&d);
	assert_int_equal(egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/",
	    &d), 0);
	diags_dispose(&d);
	assert_int_equal(unit_sh("git init -q %s && mkdir %s/nodes "
	    "%s/servers", dir, dir, dir), 0);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), wide ? "n%02d" : "n%d", i);
		xasprintf(&text, "name: %s\naddress: 10.0.0.%d\nports: "
		    "[\"20000-%d\"]\ncapacity: { memory: %d, disk: "
		    "100000000, cpu: 1000000 }\n", name, i + 1, last,
		    i == small ? small_mem : 1000000);
		snprintf(rel, sizeof(rel), "%s/nodes/%s.yaml", dir, name);
		unit_write(rel, text);
		free(text);
	}
}

static struct state *
load_ok(const struct state_src *src, const struct egg_library *eggs,
    struct state_cache *cache)
{
	struct state	*st;
	struct rerr	 err;

	rerr_init(&err);
	assert_rok(state_load(&st, src, eggs, cache, &err), &err);
	return st;
}

static struct state *
load_rev(struct gitstore *gs, const char *rev,
    const struct gitstore_change *ch, size_t nch,
    const struct egg_library *eggs, struct state_cache *cache)
{
	struct state_src	 src;
	struct state		*st;
	struct rerr		 err;
	char			 id[GITSTORE_IDLEN];

	rerr_init(&err);
	assert_rok(gitstore_resolve(gs, rev, id, &err), &err);
	assert_rok(gitstore_state_src(gs, id, ch, nch, &src, &err), &err);
	st = load_ok(&src, eggs, cache);
	gitstore_state_src_release(&src);
	return st;
}

/*
 * 2,000 servers on 20 nodes, with the faults validation finds (a port
 * used twice, an unknown node and egg, YAML that does not parse, a full
 * node): the state read from the commit's objects is the state read from
 * the work tree, cold and through the parse cache after one file changes
 * (the commit's files parsed on four threads, the work tree's one after
 * the other), and a commit made by the store has the tree git makes for
 * the same change.
 */
static void
test_gitstore__state_at_scale(void **state)
{
	struct egg_library	*eggs = egglib_new();
	struct state_cache	*cache = state_cache_new();
	struct gitstore		*gs;
	struct gitstore_change	 ch[3];
	struct state_src	 wsrc;
	struct state		*w, *g;
	struct rerr		 err;
	struct buf		 b;
	char			*wd, *wdir, *tree, *want, rel[64];
	char			 tip[GITSTORE_IDLEN], id[GITSTORE_IDLEN];
	size_t			 parses;
	int			 i;

	scale_repo("big", eggs, 20, 1, 20199, 7, 5000);
	buf_init(&b, 0);
	for (i = 0; i < 2000; i++) {
		buf_reset(&b);
		if (i == 50)
			buf_puts(&b, "name: [\n");
		else
			buf_addf(&b, "apiVersion: roost/v1\nkind: Server\n"
			    "name: s%04d\nowner: \"444444444444444444\"\n"
			    "node: %s\negg: %s\nstate: running\nlimits: "
			    "{ memory: 256, cpu: 50, disk: 1024 }\nports: "
			    "{ default: %d }\nvariables:\n  MOTD: \"hi %d\"\n",
			    i, i == 13 ? "nx" : "", i == 100 ? "no/such" :
			    "roost/demo", 20000 + (i % 97 == 3 ? 0 : i / 20),
			    i);
		if (i != 50 && i != 13) {
			/* the node field, filled after the fact */
			char *t = xstrdup(buf_str(&b)), *at = strstr(t,
			    "node: ");

			buf_reset(&b);
			buf_add(&b, t, (size_t)(at - t) + 6);
			buf_addf(&b, "n%02d%s", i % 20, at + 6);
			free(t);
		}
		snprintf(rel, sizeof(rel), "big/servers/s%04d.yaml", i);
		unit_write(rel, buf_str(&b));
	}
	assert_int_equal(unit_sh("cd big && git add . && git commit -qm big"), 0);

	xasprintf(&wdir, "%s/big", unit_root);
	state_src_dir(&wsrc, wdir);
	/* the work tree one file after the other, the commit on threads */
	state_load_threads(1);
	w = load_ok(&wsrc, eggs, NULL);
	state_load_threads(4);
	assert_int_equal(w->nservers, 2000);
	assert_true(w->diags->nerrors >= 5);
	wd = unit_state_text(w, 0);
	gs = open_ok("big");
	g = load_rev(gs, "HEAD", NULL, 0, eggs, NULL);
	assert_dump(g, wd);
	/* through the cache: a second load of the same commit parses none */
	g = load_rev(gs, "HEAD", NULL, 0, eggs, cache);
	state_free(g);
	parses = state_cache_parses(cache);
	g = load_rev(gs, "HEAD", NULL, 0, eggs, cache);
	assert_int_equal(state_cache_parses(cache), parses);
	assert_dump(g, wd);
	state_free(w);
	free(wd);

	/* one file changed, one removed and one added in a new directory */
	ch[0].path = "servers/s0500.yaml";
	rerr_init(&err);
	buf_reset(&b);
	assert_rok(wsrc.read(wsrc.arg, ch[0].path, &b, id, sizeof(id),
	    &err), &err);
	want = xstrdup(buf_str(&b));
	memcpy(strstr(want, "memory: 256"), "memory: 512", 11);
	ch[0].data = want;
	ch[0].len = strlen(want);
	ch[1].path = "servers/s0501.yaml";
	ch[1].data = NULL;
	ch[1].len = 0;
	ch[2].path = "extra/deep/note.txt";
	ch[2].data = "note\n";
	ch[2].len = 5;
	rerr_init(&err);
	assert_rok(gitstore_resolve(gs, "HEAD", tip, &err), &err);
	assert_rok(gitstore_commit_create(gs, tip, ch, 3, "t <t@e.org>", NULL,
	    "change", 0, id, &err), &err);
	unit_write("big/servers/s0500.yaml", want);
	assert_int_equal(unit_sh("cd big && git rm -q servers/s0501.yaml && "
	    "mkdir -p extra/deep && printf 'note\\n' > extra/deep/note.txt "
	    "&& git add . && git commit -qm same"), 0);
	tree = unit_sh_out("cd big && git rev-parse %s^{tree}", id);
	want = unit_sh_out("cd big && git rev-parse HEAD^{tree}");
	assert_string_equal(tree, want);
	free(tree);
	free(want);

	/* the changed commit through the warm cache: one file parsed */
	w = load_ok(&wsrc, eggs, NULL);
	wd = unit_state_text(w, 0);
	parses = state_cache_parses(cache);
	g = load_rev(gs, "HEAD", NULL, 0, eggs, cache);
	assert_int_equal(state_cache_parses(cache), parses + 1);
	assert_dump(g, wd);
	/* and the same change as an overlay on the old commit */
	g = load_rev(gs, "HEAD~1", ch, 3, eggs, cache);
	assert_dump(g, wd);
	state_free(w);
	free(wd);
	free((char *)ch[0].data);
	gitstore_close(gs);
	buf_dispose(&b);
	free(wdir);
	state_cache_free(cache);
	egglib_free(eggs);
	state_load_threads(0);
}

/* Writes server file i of the "inc" repository. */
static void
inc_server(int i, const char *node, int port, int memory, const char *vars)
{
	char	rel[64], text[512];

	snprintf(text, sizeof(text), "name: s%03d\nowner: \"444444444444444444\""
	    "\nnode: %s\negg: roost/demo\nlimits: { memory: %d }\nports: "
	    "{ default: %d }\nvariables:\n  MOTD: \"hi %d\"\n%s", i, node,
	    memory, port, i, vars);
	snprintf(rel, sizeof(rel), "inc/servers/s%03d.yaml", i);
	unit_write(rel, text);
}

/*
 * Loads the tip of "inc" through cache (on three threads) and checks it
 * against the work tree read on its own (on one); the state loaded
 * before stays alive meanwhile (roostd and the panel hold it), and is
 * freed after. Returns the new state.
 */
static struct state *
inc_check(struct gitstore *gs, struct state_src *wsrc,
    const struct egg_library *eggs, struct state_cache *cache,
    struct state *prev, const char *what)
{
	struct state	*w, *g;
	char		*wd, *gd;

	assert_int_equal(unit_sh("cd inc && git add -A . && git commit -qm "
	    "'%s'", what), 0);
	state_load_threads(1);
	w = load_ok(wsrc, eggs, NULL);
	wd = unit_state_text(w, 0);
	state_load_threads(3);
	g = load_rev(gs, "HEAD", NULL, 0, eggs, cache);
	state_load_threads(0);
	gd = unit_state_text(g, 0);
	assert_string_equal(gd, wd);
	if (prev != NULL) {
		/* the state before is untouched by the one after */
		free(wd);
		wd = unit_state_text(prev, 0);
		assert_non_null(wd);
		state_free(prev);
	}
	state_free(w);
	free(wd);
	free(gd);
	return g;
}

/*
 * A revision that changes a few server files is built from the state
 * before, sharing the servers no change can affect; every other server
 * on a node a change touches is validated again. Each step is checked
 * against the work tree: a port taken from a server whose file did not
 * change, a node filled up, a server moved between nodes, files removed
 * and added, a node file changed, a second file for one name, a variable
 * the egg does not have.
 */
static void
test_gitstore__incremental_load(void **state)
{
	struct egg_library	*eggs = egglib_new();
	struct state_cache	*cache = state_cache_new();
	struct gitstore		*gs;
	struct state_src	 wsrc;
	struct state		*g;
	const struct state_server *s;
	char			*wdir, text[256];
	size_t			 parses;
	int			 i;

	scale_repo("inc", eggs, 3, 0, 20099, 2, 1000);
	for (i = 0; i < 60; i++) {
		snprintf(text, sizeof(text), "n%d", i % 3);
		inc_server(i, text, 20000 + i / 3, i % 3 == 2 ? 100 : 256, "");
	}
	xasprintf(&wdir, "%s/inc", unit_root);
	state_src_dir(&wsrc, wdir);
	gs = open_ok("inc");
	g = inc_check(gs, &wsrc, eggs, cache, NULL, "60 servers");
	assert_true(g->diags->nerrors > 0);	/* n2 is full */

	/* s001 takes s004's port on n1: s004's file is the same, not it */
	inc_server(1, "n1", 20001, 256, "");
	parses = state_cache_parses(cache);
	g = inc_check(gs, &wsrc, eggs, cache, g, "port");
	assert_int_equal(state_cache_parses(cache), parses + 1);
	assert_non_null(s = state_server_find(g, "s004"));
	assert_false(s->valid);
	assert_non_null(s = state_server_find(g, "s003"));
	assert_true(s->valid);
	/* and gives it back */
	inc_server(1, "n1", 20000, 256, "");
	g = inc_check(gs, &wsrc, eggs, cache, g, "port back");
	assert_true(state_server_find(g, "s004")->valid);
	/* s002 fills n2 by itself */
	inc_server(2, "n2", 20000, 5000, "");
	g = inc_check(gs, &wsrc, eggs, cache, g, "memory");
	/* s010 moves from n1 to n0, onto s009's port */
	inc_server(10, "n0", 20003, 256, "");
	g = inc_check(gs, &wsrc, eggs, cache, g, "move");
	/* one removed, one added, one with a variable the egg lacks */
	assert_int_equal(unit_sh("rm inc/servers/s004.yaml"), 0);
	inc_server(100, "n1", 20050, 256, "");
	inc_server(20, "n2", 20006, 100, "  NOPE: \"x\"\n");
	g = inc_check(gs, &wsrc, eggs, cache, g, "remove, add, variable");
	/* a node file changes: every server is validated again */
	unit_write("inc/nodes/n2.yaml", "name: n2\naddress: 10.0.0.3\nports: "
	    "[\"20000-20004\"]\ncapacity: { memory: 100000 }\n");
	g = inc_check(gs, &wsrc, eggs, cache, g, "node");
	/* a second file for one name, then gone again */
	unit_write("inc/servers/s005.yml", "name: s005\n");
	g = inc_check(gs, &wsrc, eggs, cache, g, "yml");
	assert_int_equal(unit_sh("rm inc/servers/s005.yml"), 0);
	inc_server(7, "n1", 20002, 300, "");
	g = inc_check(gs, &wsrc, eggs, cache, g, "no yml");
	inc_server(8, "n2", 20002, 300, "");
	g = inc_check(gs, &wsrc, eggs, cache, g, "after");
	state_free(g);
	gitstore_close(gs);
	free(wdir);
	state_cache_free(cache);
	egglib_free(eggs);
}

static void
test_gitstore__state_src(void **state)
{
	struct gitstore		*gs = open_ok("w");
	struct state_src	 src;
	struct gitstore_change	 ch[2];
	struct rerr		 err;
	struct buf		 b;
	char			 tip[GITSTORE_IDLEN], id[64], **names;
	size_t			 n;

	rerr_init(&err);
	assert_rok(gitstore_resolve(gs, "HEAD", tip, &err), &err);
	assert_rok(gitstore_state_src(gs, tip, NULL, 0, &src, &err), &err);
	assert_rok(src.list(src.arg, "servers", &names, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "a.yaml");
	free(names[0]);
	free(names);
	assert_rok(src.list(src.arg, "", &names, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "nodes");
	assert_string_equal(names[1], "servers");
	strv_free(names, n);
	assert_int_equal(src.list(src.arg, "eggs", &names, &n, &err),
	    ROOST_ENOTFOUND);
	assert_true(src.isdir(src.arg, "servers"));
	assert_false(src.isdir(src.arg, "servers/a.yaml"));
	assert_false(src.isdir(src.arg, "eggs"));

	buf_init(&b, 0);
	assert_read(&src, "servers/a.yaml", "name: a\nmemory: 2\n",
	    "cd w && git rev-parse HEAD:servers/a.yaml");
	/* the work tree does not matter: only committed content is read */
	assert_int_equal(unit_sh("printf 'junk\\n' > w/servers/a.yaml"), 0);
	assert_read(&src, "servers/a.yaml", "name: a\nmemory: 2\n", NULL);
	assert_int_equal(unit_sh("cd w && git checkout -q servers/a.yaml"), 0);
	assert_int_equal(src.read(src.arg, "servers/none.yaml", &b, id,
	    sizeof(id), &err), ROOST_ENOTFOUND);
	gitstore_state_src_release(&src);

	/* an overlay adds b, hides a, and ids are git blob ids */
	ch[0].path = "servers/b.yaml";
	ch[0].data = "name: b\n";
	ch[0].len = 8;
	ch[1].path = "servers/a.yaml";
	ch[1].data = NULL;
	ch[1].len = 0;
	assert_rok(gitstore_state_src(gs, tip, ch, 2, &src, &err), &err);
	assert_rok(src.list(src.arg, "servers", &names, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "b.yaml");
	free(names[0]);
	free(names);
	assert_read(&src, "servers/b.yaml", "name: b\n",
	    "printf 'name: b\\n' | git hash-object --stdin");
	assert_int_equal(src.read(src.arg, "servers/a.yaml", &b, id,
	    sizeof(id), &err), ROOST_ENOTFOUND);
	gitstore_state_src_release(&src);

	/* an overlay can make a new directory */
	ch[0].path = "eggs/demo/x.yaml";
	assert_rok(gitstore_state_src(gs, tip, ch, 1, &src, &err), &err);
	assert_true(src.isdir(src.arg, "eggs"));
	assert_true(src.isdir(src.arg, "eggs/demo"));
	assert_rok(src.list(src.arg, "eggs", &names, &n, &err), &err);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "demo");
	free(names[0]);
	free(names);
	gitstore_state_src_release(&src);
	buf_dispose(&b);
	gitstore_close(gs);
}

static void
test_gitstore__commit_work_tree(void **state)
{
	struct gitstore			*gs = open_ok("w");
	struct gitstore_commit_opts	 o;
	struct gitstore_change		 ch[2];
	struct rerr			 err;
	char				 id[GITSTORE_IDLEN], *head;

	rerr_init(&err);
	memset(&o, 0, sizeof(o));
	o.author = "Alice Example (discord:1234) <1234@users.discord.invalid>";
	o.committer = "roost-bot <bot@roost.invalid>";
	o.message = "roost server set a: memory 2 -> 3\n\n"
	    "Roost-Command: server set\n";
	ch[0].path = "servers/a.yaml";
	ch[0].data = "name: a\nmemory: 3\n";
	ch[0].len = strlen(ch[0].data);
	ch[1].path = "servers/c.yaml";
	ch[1].data = "name: c\n";
	ch[1].len = strlen(ch[1].data);
	assert_rok(gitstore_commit(gs, &o, ch, 2, id, &err), &err);

	head = unit_sh_out("cd w && git rev-parse HEAD");
	assert_string_equal(id, head);
	free(head);
	unit_assert_sh_eq("Alice Example (discord:1234)|"
	    "1234@users.discord.invalid|roost-bot|bot@roost.invalid|"
	    "roost server set a: memory 2 -> 3",
	    "cd w && git log -1 --format='%an|%ae|%cn|%ce|%s'");
	unit_assert_sh_eq("server set",
	    "cd w && git log -1 --format='%(trailers:key=Roost-Command,"
	    "valueonly)' | head -n1");
	unit_assert_sh_eq("name: a\nmemory: 3", "cd w && git show HEAD:servers/a.yaml");
	/* the work tree and index are as after "git commit" */
	unit_assert_sh_eq("", "cd w && git status --porcelain");
	unit_assert_sh_eq("name: c", "cat w/servers/c.yaml");
	unit_assert_sh_eq("name: a\nmemory: 3", "cat w/servers/a.yaml");
	unit_assert_sh_eq("", "cd w && git diff --cached --name-only");

	/* removing a file removes it from disk and the index */
	memset(&o, 0, sizeof(o));
	o.author = "Bob <bob@example.com>";
	o.message = "roost server delete c";
	ch[0].path = "servers/c.yaml";
	ch[0].data = NULL;
	assert_rok(gitstore_commit(gs, &o, ch, 1, id, &err), &err);
	assert_int_equal(access("w/servers/c.yaml", F_OK), -1);
	unit_assert_sh_eq("", "cd w && git status --porcelain");
	unit_assert_sh_eq("Bob|bob@example.com",
	    "cd w && git log -1 --format='%cn|%ce'");
	gitstore_close(gs);
}

static void
test_gitstore__dirty_refused(void **state)
{
	struct gitstore			*gs = open_ok("w");
	struct gitstore_commit_opts	 o;
	struct gitstore_change		 ch;
	struct rerr			 err;
	char				 id[GITSTORE_IDLEN], *before, *after;

	before = unit_sh_out("cd w && git rev-parse HEAD");
	assert_int_equal(unit_sh("printf 'name: a\\nmemory: 99\\n' > "
	    "w/servers/a.yaml"), 0);
	memset(&o, 0, sizeof(o));
	o.author = "Bob <bob@example.com>";
	o.message = "edit";
	ch.path = "servers/a.yaml";
	ch.data = "name: a\nmemory: 5\n";
	ch.len = strlen(ch.data);
	rerr_init(&err);
	assert_int_equal(gitstore_commit(gs, &o, &ch, 1, id, &err),
	    ROOST_EDIRTY);
	assert_contains(err.msg, "'servers/a.yaml' has uncommitted local "
	    "changes");
	after = unit_sh_out("cd w && git rev-parse HEAD");
	assert_string_equal(before, after);
	free(after);
	/* the person's edit is untouched */
	unit_assert_sh_eq("name: a\nmemory: 99", "cat w/servers/a.yaml");

	/* staged changes are refused too */
	assert_int_equal(unit_sh("cd w && git add servers/a.yaml"), 0);
	rerr_init(&err);
	assert_int_equal(gitstore_commit(gs, &o, &ch, 1, id, &err),
	    ROOST_EDIRTY);
	assert_contains(err.msg, "staged");

	/* an edit of another file goes through and leaves a's state alone */
	ch.path = "nodes/n.yaml";
	ch.data = "name: n\naddress: 10.0.0.1\n";
	ch.len = strlen(ch.data);
	rerr_init(&err);
	assert_rok(gitstore_commit(gs, &o, &ch, 1, id, &err), &err);
	unit_assert_sh_eq("M  servers/a.yaml", "cd w && git status --porcelain");
	unit_assert_sh_eq("name: n\naddress: 10.0.0.1", "cat w/nodes/n.yaml");
	assert_int_equal(unit_sh("cd w && git reset -q --hard"), 0);

	/* an untracked file where the edit would create one is refused */
	assert_int_equal(unit_sh("printf 'x\\n' > w/servers/new.yaml"), 0);
	ch.path = "servers/new.yaml";
	ch.data = "name: new\n";
	ch.len = strlen(ch.data);
	rerr_init(&err);
	assert_int_equal(gitstore_commit(gs, &o, &ch, 1, id, &err),
	    ROOST_EDIRTY);
	assert_contains(err.msg, "not committed");
	assert_int_equal(unit_sh("rm w/servers/new.yaml"), 0);
	free(before);
	gitstore_close(gs);
}

static void
test_gitstore__cas_conflict(void **state)
{
	struct gitstore			*gs = open_ok("w");
	struct gitstore_commit_opts	 o;
	struct gitstore_change		 ch;
	struct rerr			 err;
	char				 base[GITSTORE_IDLEN], id[GITSTORE_IDLEN];
	char				*head;

	rerr_init(&err);
	assert_rok(gitstore_resolve(gs, "main", base, &err), &err);
	/* someone else commits meanwhile */
	assert_int_equal(unit_sh("cd w && printf 'name: n\\nx: 1\\n' > nodes/n.yaml"
	    " && git commit -qam other"), 0);
	memset(&o, 0, sizeof(o));
	o.author = "Bob <bob@example.com>";
	o.message = "late edit";
	o.parent = base;
	ch.path = "servers/a.yaml";
	ch.data = "name: a\nmemory: 7\n";
	ch.len = strlen(ch.data);
	assert_int_equal(gitstore_commit(gs, &o, &ch, 1, id, &err),
	    ROOST_ECONFLICT);
	assert_contains(err.msg, "moved");
	head = unit_sh_out("cd w && git log -1 --format=%%s");
	assert_string_equal(head, "other");
	free(head);
	unit_assert_sh_eq("", "cd w && git status --porcelain");
	gitstore_close(gs);
}

static void
test_gitstore__fetch_file_and_rewrite(void **state)
{
	struct gitstore	*gs;
	struct rerr	 err;
	char		*url, *path, *want;
	char		 tip[GITSTORE_IDLEN], tip2[GITSTORE_IDLEN];

	rerr_init(&err);
	xasprintf(&url, "file://%s/r.git", unit_root);
	xasprintf(&path, "%s/mirror.git", unit_root);
	assert_rok(gitstore_mirror_open(&gs, path, url, "main", &err), &err);
	assert_null(gitstore_workdir(gs));
	assert_rok(gitstore_fetch(gs, NULL, NULL, tip, &err), &err);
	assert_main("r.git", tip);
	/* the mirror was made bare, with the remote recorded */
	unit_assert_sh_eq("true", "git --git-dir=mirror.git rev-parse "
	    "--is-bare-repository");
	unit_assert_sh_eq(url, "git --git-dir=mirror.git remote get-url origin");
	gitstore_close(gs);

	/* someone pushes: the new tip descends from the old */
	assert_int_equal(unit_sh("git clone -q r.git c1 && cd c1 && "
	    "printf 'name: d\\n' > servers/d.yaml && git add . && "
	    "git commit -qm d && git push -q origin main"), 0);
	assert_rok(gitstore_mirror_open(&gs, path, url, "main", &err), &err);
	assert_rok(gitstore_fetch(gs, NULL, NULL, tip2, &err), &err);
	assert_string_not_equal(tip, tip2);
	assert_int_equal(gitstore_descends(gs, tip2, tip, &err), 1);
	assert_int_equal(gitstore_descends(gs, tip2, tip2, &err), 1);

	/* a force push that rewrites history is seen as not descending */
	assert_int_equal(unit_sh("cd c1 && git reset -q --hard HEAD~2 && "
	    "printf 'rewritten\\n' > x && git add x && "
	    "git commit -qm rewrite && git push -qf origin main"), 0);
	assert_rok(gitstore_fetch(gs, NULL, NULL, tip, &err), &err);
	assert_main("r.git", tip);
	assert_int_equal(gitstore_descends(gs, tip, tip2, &err), 0);

	/* a branch the remote lacks */
	rerr_init(&err);
	assert_int_equal(gitstore_fetch(gs, NULL, "nosuch", tip, &err),
	    ROOST_ENOTFOUND);
	assert_contains(err.msg, "nosuch");
	gitstore_close(gs);

	/* a local path works as a url too, and a changed url is updated */
	free(url);
	xasprintf(&url, "%s/w", unit_root);
	assert_rok(gitstore_mirror_open(&gs, path, url, "main", &err), &err);
	assert_rok(gitstore_fetch(gs, NULL, NULL, tip, &err), &err);
	want = unit_sh_out("cd w && git rev-parse main");
	assert_string_equal(tip, want);
	free(want);
	gitstore_close(gs);
	free(url);
	free(path);
}

static void
test_gitstore__fetch_git_daemon(void **state)
{
	struct gitstore	*gs;
	struct rerr	 err;
	char		*url, *path;
	char		 tip[GITSTORE_IDLEN];
	pid_t		 pid;
	int		 port = unit_free_port(), rc = -1;

	rerr_init(&err);
	assert_int_equal(unit_sh("git clone -q --bare w daemon.git && "
	    "touch daemon.git/git-daemon-export-ok"), 0);
	pid = git_daemon(port, 0);
	xasprintf(&url, "git://127.0.0.1:%d/daemon.git", port);
	xasprintf(&path, "%s/dmirror.git", unit_root);
	assert_rok(gitstore_mirror_open(&gs, path, url, "main", &err), &err);
	rc = fetch_retry(gs, NULL, tip, &err);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	assert_rok(rc, &err);
	assert_main("daemon.git", tip);
	gitstore_close(gs);
	free(url);
	free(path);
}

static void
test_gitstore__fetch_ssh(void **state)
{
	struct gitstore		*gs;
	struct gitstore_auth	 auth;
	struct rerr		 err;
	char			*url, *path, *fp, *bad;
	char			 tip[GITSTORE_IDLEN];
	pid_t			 pid;
	int			 port = unit_free_port();

	if (access("/usr/sbin/sshd", X_OK) != 0) {
		skip();
		return;
	}
	assert_int_equal(unit_sh("mkdir -p ssh && "
	    "ssh-keygen -q -t ed25519 -N '' -f ssh/host && "
	    "ssh-keygen -q -t ed25519 -N '' -f ssh/client && "
	    "cp ssh/client.pub ssh/authorized_keys && "
	    "chmod 600 ssh/authorized_keys && "
	    "git clone -q --bare w ssh.git && "
	    "{ [ \"$(id -u)\" != 0 ] || mkdir -p /run/sshd; } && "
	    "printf 'Port %d\\nListenAddress 127.0.0.1\\n"
	    "HostKey %s/ssh/host\\nAuthorizedKeysFile %s/ssh/authorized_keys\\n"
	    "StrictModes no\\nUsePAM no\\nPasswordAuthentication no\\n"
	    "PermitRootLogin prohibit-password\\nPidFile none\\n' > ssh/config",
	    port, unit_root, unit_root), 0);
	{
		char	 cfg[4200];
		const char	*argv[] = { "/usr/sbin/sshd", "-D", "-e", "-f", cfg,
			    NULL };

		snprintf(cfg, sizeof(cfg), "%s/ssh/config", unit_root);
		pid = spawn_server(argv);
	}
	fp = unit_sh_out("ssh-keygen -l -E sha256 -f ssh/host.pub | "
	    "awk '{print $2}'");
	assert_int_equal(strncmp(fp, "SHA256:", 7), 0);
	xasprintf(&url, "ssh://%s@127.0.0.1:%d%s/ssh.git", getenv("USER") ?
	    getenv("USER") : "root", port, unit_root);
	xasprintf(&path, "%s/smirror.git", unit_root);
	memset(&auth, 0, sizeof(auth));
	xasprintf((char **)&auth.ssh_key, "%s/ssh/client", unit_root);
	xasprintf((char **)&auth.ssh_pubkey, "%s/ssh/client.pub", unit_root);
	auth.host_key_sha256 = fp;
	gs = mirror_fetch(path, url, &auth, "ssh.git", tip);

	/* a host key that does not match the pin is refused */
	bad = xstrdup(fp);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	auth.host_key_sha256 = bad;
	gitstore_set_auth(gs, &auth);
	rerr_init(&err);
	assert_int_not_equal(gitstore_fetch(gs, NULL, NULL, tip, &err), 0);
	assert_contains(err.msg, "host key");

	/* without a pin or known_hosts entry the host is not trusted */
	auth.host_key_sha256 = NULL;
	gitstore_set_auth(gs, &auth);
	rerr_init(&err);
	assert_int_not_equal(gitstore_fetch(gs, NULL, NULL, tip, &err), 0);

	/* a wrong key is an authentication error, not a loop */
	auth.host_key_sha256 = fp;
	free((char *)auth.ssh_key);
	free((char *)auth.ssh_pubkey);
	xasprintf((char **)&auth.ssh_key, "%s/ssh/host", unit_root);
	xasprintf((char **)&auth.ssh_pubkey, "%s/ssh/host.pub", unit_root);
	gitstore_set_auth(gs, &auth);
	rerr_init(&err);
	assert_int_not_equal(gitstore_fetch(gs, NULL, NULL, tip, &err), 0);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	gitstore_close(gs);
	free((char *)auth.ssh_key);
	free((char *)auth.ssh_pubkey);
	free(bad);
	free(fp);
	free(url);
	free(path);
}

static void
test_gitstore__push_non_fast_forward(void **state)
{
	struct gitstore			*gs;
	struct gitstore_change		 ch;
	struct rerr			 err;
	char				 base[GITSTORE_IDLEN], id[GITSTORE_IDLEN];
	char				 tip[GITSTORE_IDLEN];

	assert_int_equal(unit_sh("git init -q --bare p.git && "
	    "git clone -q w p1 && cd p1 && git remote set-url origin ../p.git"
	    " && git push -q origin main"), 0);
	gs = open_ok("p1");
	rerr_init(&err);
	assert_rok(gitstore_fetch(gs, NULL, "main", base, &err), &err);
	commit_push(gs, base, "servers/p.yaml", "push me", "p.git", id);
	/* no temporary refs are left behind */
	unit_assert_sh_eq("", "cd p1 && git for-each-ref refs/roost");

	/* someone else pushes; a commit on the old tip is refused */
	assert_int_equal(unit_sh("git clone -q p.git p2 && cd p2 && "
	    "printf 'q\\n' > q && git add q && git commit -qm q && "
	    "git push -q origin main"), 0);
	ch.path = "servers/late.yaml";
	ch.data = "name: p\n";
	ch.len = strlen(ch.data);
	assert_rok(gitstore_commit_create(gs, id, &ch, 1,
	    "Bob <bob@example.com>", NULL, "late", 0, tip, &err), &err);
	rerr_init(&err);
	assert_int_equal(gitstore_push(gs, NULL, tip, "main", &err),
	    ROOST_ECONFLICT);
	assert_contains(err.msg, "non-fast-forward");
	unit_assert_sh_eq("q", "git --git-dir=p.git log -1 --format=%s");

	/* after a fetch, a commit on the new tip goes through */
	assert_rok(gitstore_fetch(gs, NULL, "main", base, &err), &err);
	assert_rok(gitstore_commit_create(gs, base, &ch, 1,
	    "Bob <bob@example.com>", NULL, "late, again", 0, tip, &err),
	    &err);
	assert_rok(gitstore_push(gs, NULL, tip, "main", &err), &err);
	unit_assert_sh_eq("late, again", "git --git-dir=p.git log -1 --format=%s");
	unit_assert_sh_eq("q", "git --git-dir=p.git log -1 --skip=1 --format=%s");
	gitstore_close(gs);
}

static void
test_gitstore__push_git_daemon(void **state)
{
	struct gitstore	*gs;
	struct rerr	 err;
	struct gitstore_change ch;
	char		*url;
	char		 tip[GITSTORE_IDLEN], id[GITSTORE_IDLEN];
	pid_t		 pid;
	int		 port = unit_free_port(), rc = -1;

	assert_int_equal(unit_sh("git clone -q --bare w dp.git && "
	    "printf '#!/bin/sh\\nif [ -e \"$GIT_DIR/reject\" ]; then "
	    "echo protected >&2; exit 1; fi\\n' > dp.git/hooks/pre-receive && "
	    "chmod +x dp.git/hooks/pre-receive && git clone -q dp.git dp1"),
	    0);
	pid = git_daemon(port, 1);
	xasprintf(&url, "git://127.0.0.1:%d/dp.git", port);
	assert_int_equal(unit_sh("git -C dp1 remote set-url origin '%s'", url), 0);
	gs = open_ok("dp1");
	rc = fetch_retry(gs, "main", tip, &err);
	assert_rok(rc, &err);
	commit_push(gs, tip, "servers/d.yaml", "over git://", "dp.git", id);

	/* a hook that refuses is an error with the server's words */
	assert_int_equal(unit_sh("touch dp.git/reject"), 0);
	assert_rok(gitstore_commit_create(gs, id, &ch, 0,
	    "Bob <bob@example.com>", NULL, "refused", 0, tip, &err), &err);
	rerr_init(&err);
	rc = gitstore_push(gs, NULL, tip, "main", &err);
	assert_int_equal(rc, -1);
	assert_contains(err.msg, "refused");
	assert_int_equal(unit_sh("rm dp.git/reject"), 0);

	/* someone else pushed: a commit on the old tip is non-fast-forward */
	assert_int_equal(unit_sh("git clone -q dp.git dp2 && cd dp2 && "
	    "printf 'x\\n' > x && git add x && git commit -qm x && "
	    "git push -q origin main"), 0);
	rerr_init(&err);
	assert_int_equal(gitstore_push(gs, NULL, tip, "main", &err),
	    ROOST_ECONFLICT);
	unit_assert_sh_eq("x", "git --git-dir=dp.git log -1 --format=%s");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	gitstore_close(gs);
	free(url);
}

/* A smart-HTTP git server (git http-backend) asking for a token. */
static const char http_server_py[] =
	    "import base64, os, subprocess, sys\n"
	    "from http.server import BaseHTTPRequestHandler, HTTPServer\n"
	    "root, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n"
	    "want = \"Basic \" + base64.b64encode((\"x-access-token:\" + token).encode()).decode()\n"
	    "class H(BaseHTTPRequestHandler):\n"
	    "    def log_message(self, *a): pass\n"
	    "    def handle_git(self):\n"
	    "        if self.headers.get(\"Authorization\") != want:\n"
	    "            self.send_response(401)\n"
	    "            self.send_header(\"WWW-Authenticate\", 'Basic realm=\"roost\"')\n"
	    "            self.send_header(\"Content-Length\", \"0\")\n"
	    "            self.end_headers()\n"
	    "            return\n"
	    "        path, _, query = self.path.partition(\"?\")\n"
	    "        n = int(self.headers.get(\"Content-Length\") or 0)\n"
	    "        body = self.rfile.read(n) if n else b\"\"\n"
	    "        if self.headers.get(\"Transfer-Encoding\") == \"chunked\":\n"
	    "            while True:\n"
	    "                size = int(self.rfile.readline().strip(), 16)\n"
	    "                body += self.rfile.read(size)\n"
	    "                self.rfile.readline()\n"
	    "                if size == 0: break\n"
	    "        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL=\"1\",\n"
	    "                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,\n"
	    "                   CONTENT_TYPE=self.headers.get(\"Content-Type\") or \"\", REMOTE_USER=\"x\",\n"
	    "                   CONTENT_LENGTH=str(len(body)))\n"
	    "        out = subprocess.run([\"git\", \"http-backend\"], input=body, env=env, capture_output=True).stdout\n"
	    "        head, _, rest = out.partition(b\"\\r\\n\\r\\n\")\n"
	    "        status = 200\n"
	    "        hdrs = []\n"
	    "        for line in head.split(b\"\\r\\n\"):\n"
	    "            k, _, v = line.decode().partition(\":\")\n"
	    "            if k.lower() == \"status\": status = int(v.strip().split()[0])\n"
	    "            elif k: hdrs.append((k, v.strip()))\n"
	    "        self.send_response(status)\n"
	    "        for k, v in hdrs: self.send_header(k, v)\n"
	    "        self.send_header(\"Content-Length\", str(len(rest)))\n"
	    "        self.end_headers()\n"
	    "        self.wfile.write(rest)\n"
	    "    do_GET = handle_git\n"
	    "    do_POST = handle_git\n"
	    "HTTPServer((\"127.0.0.1\", port), H).serve_forever()\n";

static void
test_gitstore__fetch_push_http_token(void **state)
{
	struct gitstore		*gs;
	struct gitstore_auth	 auth;
	struct rerr		 err;
	char			*url, *path, *py, *tok, *bad;
	char			 tip[GITSTORE_IDLEN], id[GITSTORE_IDLEN];
	pid_t			 pid;
	FILE			*fp;
	int			 port = unit_free_port();

	assert_int_equal(unit_sh("git clone -q --bare w http.git && "
	    "git -C http.git config http.receivepack true && "
	    "printf 'sekrit-token\\n' > token && printf 'wrong\\n' > bad"), 0);
	xasprintf(&py, "%s/srv.py", unit_root);
	fp = fopen(py, "w");
	assert_non_null(fp);
	fputs(http_server_py, fp);
	fclose(fp);
	{
		char	 pa[16];
		const char	*argv[] = { "python3", py, unit_root, pa,
			    "sekrit-token", NULL };

		snprintf(pa, sizeof(pa), "%d", port);
		pid = spawn_server(argv);
	}
	xasprintf(&url, "http://127.0.0.1:%d/http.git", port);
	xasprintf(&path, "%s/hmirror.git", unit_root);
	xasprintf(&tok, "%s/token", unit_root);
	xasprintf(&bad, "%s/bad", unit_root);
	memset(&auth, 0, sizeof(auth));
	auth.token_file = tok;
	gs = mirror_fetch(path, url, &auth, "http.git", tip);

	/* push with the token */
	commit_push(gs, tip, "servers/h.yaml", "over http", "http.git", id);

	/* a wrong token fails once, without looping */
	auth.token_file = bad;
	gitstore_set_auth(gs, &auth);
	rerr_init(&err);
	assert_int_not_equal(gitstore_fetch(gs, NULL, NULL, tip, &err), 0);
	assert_contains(err.msg, "authentication");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	gitstore_close(gs);
	free(url);
	free(path);
	free(tok);
	free(bad);
	free(py);
}

static void
test_gitstore__file_log_and_trailers(void **state)
{
	struct gitstore			*gs;
	struct gitstore_commit_opts	 o;
	struct gitstore_change		 ch;
	struct gitstore_logent		*v;
	struct rerr			 err;
	char				 id[GITSTORE_IDLEN], found[GITSTORE_IDLEN];
	size_t				 n;

	assert_int_equal(unit_sh("git init -q l && cd l && "
	    "printf '1\\n' > f && git add f && git commit -qm 'f one' && "
	    "printf '1\\n' > g && git add g && git commit -qm 'g only'"), 0);
	gs = open_ok("l");
	rerr_init(&err);
	memset(&o, 0, sizeof(o));
	o.author = "Carol (discord:42) <42@users.discord.invalid>";
	o.message = "roost server set f: x 1 -> 2\n\nRoost-Command: server "
	    "set\nRoost-Request: 99887766\n";
	o.time = 1800000000;
	ch.path = "f";
	ch.data = "2\n";
	ch.len = 2;
	assert_rok(gitstore_commit(gs, &o, &ch, 1, id, &err), &err);
	assert_rok(gitstore_file_log(gs, "HEAD", "f", 0, &v, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, id);
	assert_string_equal(v[0].author_name, "Carol (discord:42)");
	assert_string_equal(v[0].author_email, "42@users.discord.invalid");
	assert_int_equal(v[0].time, 1800000000);
	assert_string_equal(v[0].summary, "roost server set f: x 1 -> 2");
	assert_string_equal(v[1].summary, "f one");
	gitstore_log_free(v, n);
	assert_rok(gitstore_file_log(gs, "HEAD", "f", 1, &v, &n, &err), &err);
	assert_int_equal(n, 1);
	gitstore_log_free(v, n);
	assert_rok(gitstore_file_log(gs, "HEAD", "none", 0, &v, &n, &err),
	    &err);
	assert_int_equal(n, 0);
	gitstore_log_free(v, n);

	assert_rok(gitstore_find_trailer(gs, "HEAD", "Roost-Request",
	    "99887766", 10, found, &err), &err);
	assert_string_equal(found, id);
	rerr_init(&err);
	assert_int_equal(gitstore_find_trailer(gs, "HEAD", "Roost-Request",
	    "11111111", 10, found, &err), ROOST_ENOTFOUND);
	gitstore_close(gs);
}

static void
test_gitstore__ident(void **state)
{
	struct rerr	 err;
	char		*name, *email;

	rerr_init(&err);
	assert_rok(gitstore_ident_parse("A B <a@b>", &name, &email, &err),
	    &err);
	assert_string_equal(name, "A B");
	assert_string_equal(email, "a@b");
	free(name);
	free(email);
	assert_int_equal(gitstore_ident_parse("nobody", &name, &email, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "Name <email>");
	assert_int_equal(gitstore_ident_parse("<a@b>", &name, &email, NULL),
	    ROOST_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitstore__open_resolve),
		cmocka_unit_test(test_gitstore__state_src),
		cmocka_unit_test(test_gitstore__commit_work_tree),
		cmocka_unit_test(test_gitstore__dirty_refused),
		cmocka_unit_test(test_gitstore__cas_conflict),
		cmocka_unit_test(test_gitstore__fetch_file_and_rewrite),
		cmocka_unit_test(test_gitstore__fetch_git_daemon),
		cmocka_unit_test(test_gitstore__fetch_ssh),
		cmocka_unit_test(test_gitstore__push_non_fast_forward),
		cmocka_unit_test(test_gitstore__push_git_daemon),
		cmocka_unit_test(test_gitstore__fetch_push_http_token),
		cmocka_unit_test(test_gitstore__file_log_and_trailers),
		cmocka_unit_test(test_gitstore__ident),
		cmocka_unit_test(test_gitstore__state_at_scale),
		cmocka_unit_test(test_gitstore__incremental_load),
	};

	setenv("GIT_AUTHOR_NAME", "Test Author", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_COMMITTER_NAME", "Test Committer", 1);
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	return unit_run_git_tests(tests, setup, teardown);
}
