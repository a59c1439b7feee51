/*
 * test_panel: the panel core against real state repositories made in a
 * temporary directory: commits as the author with the
 * bot as committer, format-preserving edits, the work tree left clean,
 * dirty and invalid edits refused with nothing committed, racing writers
 * (threads and processes) losing nothing, a remote that moved, request-id
 * idempotency, SFTP hashes, members, power and history.
 */
#include "unit.h"

#include <sys/wait.h>

#include <crypt.h>
#include <pthread.h>

#include "buf.h"
#include "diag.h"
#include "gitstore.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#define AUTHOR	"Alice (discord:123456789012345678) " \
		"<123456789012345678@users.discord.invalid>"
#define BOT	"roost-bot <bot@roost.invalid>"

static char	 node[64], egg[128];

static int
count(const char *dir)
{
	char	*s = unit_sh_out("git -C %s rev-list --count main", dir);
	int	 n = atoi(s);

	free(s);
	return n;
}

static struct panel *
open_panel(const char *rel, const char *remote)
{
	struct panel_opts	o;

	memset(&o, 0, sizeof(o));
	o.remote = remote;
	o.committer = BOT;
	o.attempts = 30;
	return unit_panel_open(&o, rel);
}

/*
 * A state repository of its own: two nodes, a repository egg with a
 * variable rule, and one hand-written server with comments.
 */
static int
setup(void **state)
{
	static const struct unit_file more[] = {
		{ "w/nodes/node-b.yaml", "apiVersion: roost/v1\nkind: Node\n"
		    "name: node-b\naddress: 127.0.0.2\n"
		    "ports: [\"27000-27010\"]\n"
		    "capacity: { memory: 4096, disk: 102400, cpu: 400 }\n" },
		{ "w/servers/mc.yaml", "# the first server\n"
		    "apiVersion: roost/v1\nkind: Server\nname: mc\n"
		    "owner: \"123456789012345678\"\nnode: node-a\n"
		    "egg: demo/demo\nstate: running\nlimits:\n"
		    "  memory: 2048   # two GiB\nports:\n  default: 25565\n"
		    "variables:\n  GREETING: hello\n" },
	};

	if (unit_demo_repo("panel", "apiVersion: roost/v1\nkind: Config\n"
	    "defaults:\n  limits: { memory: 1024, disk: 4096 }\n", more,
	    sizeof(more) / sizeof(more[0])) != 0)
		return -1;
	snprintf(node, sizeof(node), "node-a");
	snprintf(egg, sizeof(egg), "demo/demo");
	return 0;
}

/* A server name of the demo egg owned by Alice, on no node yet. */
static void
spec_init(struct panel_server_spec *spec, const char *name, int64_t memory)
{
	memset(spec, 0, sizeof(*spec));
	spec->name = name;
	spec->egg = egg;
	spec->owner = "123456789012345678";
	spec->memory = memory;
	spec->disk = spec->cpu = -1;
}

/* Creates spec as AUTHOR with request id reqid; res and err made fresh. */
static int
create_spec(struct panel *p, const struct panel_server_spec *spec,
    const char *reqid, struct panel_result *res, struct rerr *err)
{
	struct panel_req	req = { AUTHOR, reqid };

	panel_result_init(res);
	rerr_init(err);
	return panel_server_create(p, &req, spec, res, err);
}

static int
create(struct panel *p, const char *name, int64_t memory,
    const char *reqid, struct panel_result *res, struct rerr *err)
{
	struct panel_server_spec	 spec;

	spec_init(&spec, name, memory);
	spec.node = node;
	return create_spec(p, &spec, reqid, res, err);
}

/* Creates name with memory MiB as AUTHOR; fails the test on error. */
static void
create_ok(struct panel *p, const char *name, int64_t memory)
{
	struct panel_result	res;
	struct rerr		err;

	assert_rok(create(p, name, memory, NULL, &res, &err), &err);
	panel_result_dispose(&res);
}

/* Creates alpha unless an earlier test did (a test may run alone). */
static void
have_alpha(struct panel *p)
{
	if (unit_sh("test -f w/servers/alpha.yaml") != 0)
		create_ok(p, "alpha", 1024);
}

static int
set1(struct panel *p, const char *name, const char *kv, const char *reqid,
    struct panel_result *res, struct rerr *err)
{
	struct panel_req	req = { AUTHOR, reqid };

	panel_result_init(res);
	rerr_init(err);
	return panel_server_set(p, &req, name, &kv, 1, res, err);
}

/* Sets name's schedules to yaml as AUTHOR; res and err made fresh. */
static int
schedules(struct panel *p, const char *name, const char *yaml,
    struct panel_result *res, struct rerr *err)
{
	struct panel_req	req = { AUTHOR, NULL };

	panel_result_init(res);
	rerr_init(err);
	return panel_server_set_schedules(p, &req, name, yaml, res, err);
}

static void
test_panel__create_and_set(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	char			*head;
	int			 n = count("w");

	assert_rok(create(p, "alpha", 1024, NULL, &res, &err), &err);
	assert_true(res.pushed);
	assert_string_equal(res.node, "node-a");	/* no reload needed */
	assert_int_equal(res.attempts, 1);
	head = unit_sh_out("git -C w rev-parse HEAD");
	assert_string_equal(res.commit, head);
	free(head);
	assert_int_equal(count("w"), n + 1);
	unit_assert_sh_eq("Alice (discord:123456789012345678)|"
	    "123456789012345678@users.discord.invalid|roost-bot|"
	    "bot@roost.invalid", "git -C w log -1 --format='%an|%ae|%cn|%ce'");
	unit_assert_sh_eq("server create", "git -C w log -1 "
	    "--format='%(trailers:key=Roost-Command,valueonly)' | head -n1");
	assert_int_equal(unit_sh("git -C w show HEAD:servers/alpha.yaml | "
	    "grep -q 'memory: 1024'"), 0);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	unit_assert_sh_eq(res.commit, "git -C r.git rev-parse main");
	panel_result_dispose(&res);

	/* a hand-written comment survives an edit */
	assert_int_equal(unit_sh("cd w && printf '# keep me\\n' >> "
	    "servers/alpha.yaml && git commit -qam comment && "
	    "git push -q origin main"), 0);
	assert_rok(set1(p, "alpha", "memory=4096", NULL, &res, &err), &err);
	assert_string_equal(res.summary,
	    "roost server set alpha: limits.memory 1024 -> 4096");
	unit_assert_sh_eq("roost server set alpha: limits.memory 1024 -> 4096",
	    "git -C w log -1 --format=%s");
	assert_int_equal(unit_sh("grep -q '# keep me' w/servers/alpha.yaml"), 0);
	assert_int_equal(unit_sh("grep -q 'memory: 4096' w/servers/alpha.yaml"), 0);
	unit_assert_sh_eq("1 file changed, 1 insertion(+), 1 deletion(-)",
	    "git -C w diff --stat HEAD~1 HEAD | tail -n1 | sed 's/^ *//'");
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);

	/* only the keys that change are listed; no change, no commit */
	{
		const char *kv2[] = { "memory=4096", "disk=8192" };
		struct panel_req req = { AUTHOR, NULL };
		char *tip = unit_sh_out("git -C r.git rev-parse main");

		panel_result_init(&res);
		rerr_init(&err);
		assert_rok(panel_server_set(p, &req, "alpha", kv2, 2, &res,
		    &err), &err);
		assert_string_equal(res.summary, "roost server set alpha: "
		    "limits.disk 8192");
		panel_result_dispose(&res);
		free(tip);
		tip = unit_sh_out("git -C r.git rev-parse main");
		panel_result_init(&res);
		assert_rok(panel_server_set(p, &req, "alpha", kv2, 2, &res,
		    &err), &err);
		assert_true(res.unchanged);
		assert_contains(res.summary, "nothing to change");
		unit_assert_sh_eq(tip, "git -C r.git rev-parse main");
		panel_result_dispose(&res);
		free(tip);
	}

	/* a number past int64_t is "at most", not "at least" */
	assert_int_equal(set1(p, "alpha", "memory=100000000000000000000000",
	    NULL, &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "must be at most");
	assert_null(strstr(err.msg, "at least"));
	panel_result_dispose(&res);

	/* an egg variable by its name, and the shorthand keys */
	rerr_init(&err);
	assert_int_equal(set1(p, "alpha", "colour=blue", NULL, &res, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "unknown key 'colour'");
	panel_result_dispose(&res);
	assert_int_equal(set1(p, "nosuch", "memory=2048", NULL, &res, &err),
	    ROOST_ENOTFOUND);
	assert_contains(err.msg, "'nosuch' does not exist");
	panel_result_dispose(&res);
	assert_int_equal(create(p, "alpha", 1024, NULL, &res, &err),
	    ROOST_EEXISTS);
	panel_result_dispose(&res);
	panel_close(p);
}

/*
 * The vars permission sets variables only: a key such as owner, node or
 * memory given to the variable entry point is refused, never written as
 * that field of the server (it took the server over before).
 */
static void
test_panel__vars_only_variables(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	struct panel_req	 req = { AUTHOR, NULL };
	const char		*attack[] = { "owner=999999999999999999",
				    "node=node-b", "memory=64", "egg=demo/demo",
				    "limits.memory=64", "variables.X=1",
				    "greeting=x" };
	const char		*ok = "GREETING=yo";
	size_t			 i;
	int			 n = count("w");

	for (i = 0; i < sizeof(attack) / sizeof(attack[0]); i++) {
		panel_result_init(&res);
		rerr_init(&err);
		assert_int_equal(panel_server_set_vars(p, &req, "mc",
		    &attack[i], 1, &res, &err), ROOST_EINVAL);
		assert_contains(err.msg, "is not a variable name");
		panel_result_dispose(&res);
	}
	assert_int_equal(count("w"), n);
	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_set_vars(p, &req, "mc", &ok, 1, &res, &err),
	    &err);
	assert_string_equal(res.summary,
	    "roost server vars mc: variables.GREETING hello -> yo");
	assert_string_equal(res.node, "node-a");
	panel_result_dispose(&res);
	assert_int_equal(unit_sh("git -C r.git show main:servers/mc.yaml | "
	    "grep -q '^owner: \"123456789012345678\"'"), 0);
	assert_int_equal(unit_sh("git -C r.git show main:servers/mc.yaml | "
	    "grep -q '^node: node-a'"), 0);
	panel_close(p);
}

/*
 * Discord display names that a git signature cannot hold as they are
 * ('<', '>', newlines, control characters), emoji, U+2028 and a
 * 32-character name all make their change, authored as docs/gitops.md
 * says.
 */
static void
test_panel__discord_authors(void **state)
{
	static const char *const names[] = {
		"Eve <3", "<script>alert(1)</script>", "new\nline\r\n",
		"nul\x01" "ctl\x7f", "para\xe2\x80\xa8sep", "<>", "",
		/* 32 characters of emoji */
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c"
		"\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c\xf0\x9f\xa6\x9c",
		"abcdefghijklmnopqrstuvwxyz012345",
	};
	static const char *const want[] = {
		"Eve \xe2\x80\xb9" "3", "\xe2\x80\xb9script\xe2\x80\xba"
		"alert(1)\xe2\x80\xb9/script\xe2\x80\xba", "new line",
		"nul ctl", "para\xe2\x80\xa8sep", "\xe2\x80\xb9\xe2\x80\xba",
		"discord user", NULL, "abcdefghijklmnopqrstuvwxyz012345",
	};
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	struct panel_req	 req = { NULL, NULL };
	char			 kv[32], *got, *exp;
	const char		*kvp = kv;
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		req.author = panel_author_discord(names[i],
		    "123456789012345678");
		snprintf(kv, sizeof(kv), "memory=%zu", 1024 + i);
		panel_result_init(&res);
		rerr_init(&err);
		assert_rok(panel_server_set(p, &req, "mc", &kvp, 1, &res,
		    &err), &err);
		assert_false(res.unchanged);
		panel_result_dispose(&res);
		got = unit_sh_out("git -C r.git log -1 --format='%%an|%%ae' main");
		xasprintf(&exp, "%s (discord:123456789012345678)|"
		    "123456789012345678@users.discord.invalid",
		    want[i] ? want[i] : names[i]);
		assert_string_equal(got, exp);
		free(exp);
		free(got);
		free((char *)req.author);
	}
	panel_close(p);
}

static void
test_panel__invalid_refused(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	int			 n;
	size_t			 i, seen = 0;

	have_alpha(p);
	n = count("w");
	assert_int_equal(set1(p, "alpha", "memory=1", NULL, &res, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "servers/alpha.yaml");
	assert_contains(err.msg, "nothing was committed");
	for (i = 0; i < res.diags.n; i++)
		if (strcmp(res.diags.v[i].path, "servers/alpha.yaml") == 0 &&
		    res.diags.v[i].line > 0 &&
		    strstr(res.diags.v[i].msg, "memory") != NULL)
			seen++;
	assert_true(seen > 0);
	assert_int_equal(count("w"), n);
	assert_int_equal(count("r.git"), n);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);

	/* a broken file elsewhere does not block an unrelated edit */
	assert_int_equal(unit_sh("cd w && printf 'name: [oops\\n' > "
	    "servers/broken.yaml && git add . && git commit -qm broken && "
	    "git push -q origin main"), 0);
	assert_rok(set1(p, "alpha", "memory=2048", NULL, &res, &err), &err);
	panel_result_dispose(&res);
	assert_int_equal(unit_sh("cd w && git rm -q servers/broken.yaml && "
	    "git commit -qm fixed && git push -q origin main"), 0);
	panel_close(p);
}

static void
test_panel__dirty_refused(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	int			 n;

	have_alpha(p);
	n = count("w");
	assert_int_equal(unit_sh("printf '# local\\n' >> w/servers/alpha.yaml"), 0);
	assert_int_equal(set1(p, "alpha", "memory=3000", NULL, &res, &err),
	    ROOST_EDIRTY);
	assert_contains(err.msg, "'servers/alpha.yaml' has uncommitted local "
	    "changes");
	assert_int_equal(count("w"), n);
	assert_int_equal(count("r.git"), n);
	unit_assert_sh_eq("M servers/alpha.yaml", "git -C w status --porcelain | "
	    "sed 's/^ *//'");
	panel_result_dispose(&res);
	assert_int_equal(unit_sh("git -C w checkout -q servers/alpha.yaml"), 0);
	panel_close(p);
}

static void
test_panel__remote_moved(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;

	have_alpha(p);
	/* someone else pushes a change to another file */
	assert_int_equal(unit_sh("git clone -q r.git other && cd other && "
	    "printf '# elsewhere\\n' >> roost.yaml && "
	    "git commit -qam 'someone else' && git push -q origin main"), 0);
	assert_rok(set1(p, "alpha", "cpu=150", NULL, &res, &err), &err);
	assert_true(res.pushed);
	unit_assert_sh_eq("someone else", "git -C r.git log -1 --skip=1 "
	    "--format=%s main");
	unit_assert_sh_eq(res.commit, "git -C r.git rev-parse main");
	unit_assert_sh_eq(res.commit, "git -C w rev-parse main");
	/* the work tree caught up with the other change as well */
	assert_int_equal(unit_sh("grep -q '# elsewhere' w/roost.yaml"), 0);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);
	panel_close(p);
}

static void
test_panel__idempotent(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res, res2;
	struct rerr		 err;
	int			 n;

	have_alpha(p);
	assert_rok(set1(p, "alpha", "memory=2500", "1180000000000000042",
	    &res, &err), &err);
	assert_false(res.existing);
	n = count("w");
	unit_assert_sh_eq("1180000000000000042", "git -C w log -1 "
	    "--format='%(trailers:key=Roost-Request,valueonly)' | head -n1");
	/* the same interaction again, even with another value */
	assert_rok(set1(p, "alpha", "memory=2600", "1180000000000000042",
	    &res2, &err), &err);
	assert_true(res2.existing);
	assert_string_equal(res2.commit, res.commit);
	assert_int_equal(count("w"), n);
	assert_int_equal(unit_sh("grep -q 'memory: 2500' w/servers/alpha.yaml"), 0);
	panel_result_dispose(&res);
	panel_result_dispose(&res2);
	panel_close(p);
}

struct racer {
	const char	*repo;
	char		 name[32];
	int		 rc;
	char		 msg[512];
};

static void *
race_one(void *arg)
{
	struct racer		*r = arg;
	struct panel		*p = open_panel(r->repo, NULL);
	struct panel_result	 res;
	struct rerr		 err;

	r->rc = create(p, r->name, 512, NULL, &res, &err);
	snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
	panel_result_dispose(&res);
	panel_close(p);
	return NULL;
}

static void
test_panel__racing_writers(void **state)
{
	struct racer	 r[6];
	pthread_t	 t[6];
	pid_t		 pid;
	int		 i, n, st;
	char		*s;

	/* two more clones of the remote race with the work tree */
	assert_int_equal(unit_sh("git clone -q r.git c1 && git clone -q r.git c2"),
	    0);
	n = count("r.git");
	for (i = 0; i < 6; i++) {
		r[i].repo = i % 3 == 0 ? "w" : i % 3 == 1 ? "c1" : "c2";
		snprintf(r[i].name, sizeof(r[i].name), "race-%d", i);
	}
	/* and a separate process on the work tree */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct racer pr = { "w", "race-proc", 0, "" };

		race_one(&pr);
		if (pr.rc != 0)
			fprintf(stderr, "# %s: %d %s\n", pr.name, pr.rc,
			    pr.msg);
		_exit(pr.rc == 0 ? 0 : 1);
	}
	for (i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_one, &r[i]),
		    0);
	for (i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		if (r[i].rc != 0)
			fail_msg("%s: %d %s", r[i].name, r[i].rc, r[i].msg);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* every commit landed on the remote, none lost */
	assert_int_equal(count("r.git"), n + 7);
	for (i = 0; i < 6; i++)
		assert_int_equal(unit_sh("git -C r.git cat-file -e "
		    "main:servers/race-%d.yaml", i), 0);
	assert_int_equal(unit_sh("git -C r.git cat-file -e "
	    "main:servers/race-proc.yaml"), 0);
	/* ports were given out without a clash */
	s = unit_sh_out("for f in $(git -C r.git ls-tree --name-only main "
	    "servers/); do git -C r.git show main:$f; done | "
	    "grep -E '^ *default:|ports:.*default' | sort | uniq -d");
	assert_string_equal(s, "");
	free(s);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	/* and the state at the tip is valid */
	assert_int_equal(unit_sh("git -C w pull -q --ff-only"), 0);
}

/* The commit id of rev in the work tree w. */
static char *
rev_of(const char *rev)
{
	char	*s = unit_sh_out("git -C w rev-parse %s", rev);

	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Reverts commit's change to name as AUTHOR; returns the code, err set. */
static int
revert(struct panel *p, const char *name, const char *commit,
    struct rerr *err)
{
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	int			 rc;

	panel_result_init(&res);
	rerr_init(err);
	rc = panel_server_revert(p, &req, name, commit, &res, err);
	panel_result_dispose(&res);
	return rc;
}

/* Fails unless w's servers/NAME.yaml is as it was at rev. */
static void
assert_file_as_at(const char *name, const char *rev)
{
	char	*msg;

	msg = unit_sh_out("git -C w diff %s HEAD -- servers/%s.yaml", rev,
	    name);
	assert_string_equal(msg, "");
	free(msg);
}

/*
 * Revert: a limits change and a variable change undone on a tip that
 * moved since (other lines stay), a conflicting revert explained with
 * nothing committed, a revert of the creation and of the deletion;
 * rollback with its diff.
 */
static void
test_panel__revert_and_rollback(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	struct rerr		 err;
	struct buf		 diff;
	char			*mem, *var, *created, *gone, *msg, full[41];
	const char		*kv;
	int			 before;

	create_ok(p, "rho", 1024);
	created = rev_of("HEAD");
	assert_rok(set1(p, "rho", "memory=1536", NULL, &res, &err), &err);
	panel_result_dispose(&res);
	mem = rev_of("HEAD");
	panel_result_init(&res);
	rerr_init(&err);
	kv = "GREETING=howdy";
	assert_rok(panel_server_set_vars(p, &req, "rho", &kv, 1, &res, &err),
	    &err);
	panel_result_dispose(&res);
	var = rev_of("HEAD");

	/* the memory change goes; the later variable change stays */
	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_revert(p, &req, "rho", mem, &res, &err),
	    &err);
	assert_contains(res.summary, "roost server revert rho: revert ");
	assert_contains(res.summary, "limits.memory");
	panel_result_dispose(&res);
	unit_assert_sh_eq("memory: 1024", "grep -o 'memory: [0-9]*' "
	    "w/servers/rho.yaml");
	assert_int_equal(unit_sh("grep -q 'GREETING: .*howdy' w/servers/rho.yaml"),
	    0);
	msg = unit_sh_out("git -C w log -1 --format=%%B");
	xasprintf(&gone, "Roost-Reverts: %s", mem);
	assert_contains(msg, gone);
	free(gone);
	free(msg);
	/* the variable change, by a short id */
	snprintf(full, sizeof(full), "%.7s", var);
	assert_rok(revert(p, "rho", full, &err), &err);
	assert_int_equal(unit_sh("grep -q 'GREETING: .*howdy' w/servers/rho.yaml"),
	    1);

	/* memory changed again since: reverting the first one conflicts */
	assert_rok(set1(p, "rho", "memory=2048", NULL, &res, &err), &err);
	panel_result_dispose(&res);
	free(mem);
	mem = rev_of("HEAD");
	assert_rok(set1(p, "rho", "memory=3072", NULL, &res, &err), &err);
	panel_result_dispose(&res);
	before = count("w");
	assert_int_equal(revert(p, "rho", mem, &err), -1);
	assert_contains(err.msg, "conflicts with later changes");
	assert_contains(err.msg, "nothing was committed");
	assert_int_equal(count("w"), before);

	/* a commit that did not touch the server, and a bad revision */
	assert_int_equal(revert(p, "mc", mem, &err), ROOST_EINVAL);
	assert_contains(err.msg, "did not change server 'mc'");
	assert_int_equal(revert(p, "rho", "--upload-pack", &err),
	    ROOST_EINVAL);

	/* rollback to right after the creation: its diff, then the commit */
	buf_init(&diff, 0);
	rerr_init(&err);
	assert_rok(panel_server_rollback_diff(p, "rho", created, &diff, full,
	    &err), &err);
	assert_string_equal(full, created);
	assert_contains(buf_str(&diff), "-  memory: 3072");
	assert_contains(buf_str(&diff), "+  memory: 1024");
	assert_contains(buf_str(&diff), "+++ b/servers/rho.yaml");
	buf_dispose(&diff);
	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_rollback(p, &req, "rho", created, &res, &err),
	    &err);
	panel_result_dispose(&res);
	assert_file_as_at("rho", created);
	msg = unit_sh_out("git -C w log -1 --format=%%B");
	assert_contains(msg, "Roost-Rollback-To: ");
	free(msg);

	/* reverting the creation deletes; reverting that brings it back */
	assert_rok(revert(p, "rho", created, &err), &err);
	assert_int_equal(unit_sh("test -e w/servers/rho.yaml"), 1);
	gone = rev_of("HEAD");
	assert_rok(revert(p, "rho", gone, &err), &err);
	assert_file_as_at("rho", created);
	free(gone);
	free(created);
	free(mem);
	free(var);
	panel_close(p);
}

static void
test_panel__power_delete_history(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	struct gitstore_logent	*v;
	struct rerr		 err;
	size_t			 n;

	create_ok(p, "beta", 1024);
	panel_result_init(&res);
	assert_rok(panel_server_power(p, &req, "beta", PANEL_STOP, &res, &err),
	    &err);
	assert_string_equal(res.summary,
	    "roost server stop beta: state running -> stopped");
	panel_result_dispose(&res);
	panel_result_init(&res);
	assert_rok(panel_server_power(p, &req, "beta", PANEL_STOP, &res, &err),
	    &err);
	assert_true(res.unchanged);
	panel_result_dispose(&res);
	panel_result_init(&res);
	assert_rok(panel_server_power(p, &req, "beta", PANEL_RESTART, &res,
	    &err), &err);
	assert_int_equal(unit_sh("grep -Eq '^restartedAt: \"?20[0-9]{2}-[0-9]{2}-"
	    "[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' w/servers/beta.yaml"), 0);
	panel_result_dispose(&res);

	assert_rok(panel_server_history(p, "beta", 0, &v, &n, &err), &err);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].author_name,
	    "Alice (discord:123456789012345678)");
	assert_contains(v[0].summary, "roost server restart beta");
	assert_contains(v[1].summary, "roost server stop beta");
	assert_contains(v[2].summary, "roost server create beta");
	gitstore_log_free(v, n);

	panel_result_init(&res);
	assert_rok(panel_server_delete(p, &req, "beta", &res, &err), &err);
	assert_int_equal(unit_sh("test -e w/servers/beta.yaml"), 1);
	assert_int_equal(unit_sh("git -C r.git cat-file -e main:servers/beta.yaml"),
	    128);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);
	panel_close(p);
}

/* Backup and restore requests: committed once, checked first. */
static void
test_panel__backup_restore_requests(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	struct rerr		 err;

	create_ok(p, "delta", 1024);
	panel_result_init(&res);
	assert_rok(panel_server_backup(p, &req, "delta", "before the update",
	    &res, &err), &err);
	assert_contains(res.summary, "roost server backup delta");
	assert_int_equal(unit_sh("grep -Eq '^backupRequestedAt: \"?20[0-9]{2}-' "
	    "w/servers/delta.yaml && grep -q '^backupNote: \"before the "
	    "update\"' w/servers/delta.yaml"), 0);
	panel_result_dispose(&res);

	/*
	 * Requests made within the same second: each is a new request
	 * with a later time, none "unchanged".
	 */
	{
		const char	*get = "sed -n 's/^backupRequestedAt: "
		    "\"*\\([^\"]*\\)\"*$/\\1/p' w/servers/delta.yaml";
		char		*t1, *t2, *t3;
		int		 i;

		t1 = unit_sh_out("%s", get);
		for (i = 0; i < 2; i++) {
			panel_result_init(&res);
			assert_rok(panel_server_backup(p, &req, "delta",
			    "again", &res, &err), &err);
			assert_false(res.unchanged);
			panel_result_dispose(&res);
			if (i == 0)
				t2 = unit_sh_out("%s", get);
		}
		t3 = unit_sh_out("%s", get);
		assert_int_equal(strlen(t1), 20);
		assert_true(strcmp(t1, t2) < 0);
		assert_true(strcmp(t2, t3) < 0);
		free(t1);
		free(t2);
		free(t3);
	}

	/* A note of two lines, an id that is a path: refused, no commit. */
	panel_result_init(&res);
	rerr_init(&err);
	assert_int_equal(panel_server_backup(p, &req, "delta", "a\nb", &res,
	    &err), ROOST_EINVAL);
	panel_result_dispose(&res);
	panel_result_init(&res);
	rerr_init(&err);
	assert_int_equal(panel_server_restore(p, &req, "delta", "../x", &res,
	    &err), ROOST_EINVAL);
	assert_contains(err.msg, "not a backup id");
	panel_result_dispose(&res);

	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_restore(p, &req, "delta", "20261202T100000Z",
	    &res, &err), &err);
	assert_int_equal(unit_sh("grep -q '^  backup: \"20261202T100000Z\"' "
	    "w/servers/delta.yaml && grep -Eq '^  requestedAt: \"?20' "
	    "w/servers/delta.yaml"), 0);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);
	panel_close(p);
}

static void
test_panel__schedules(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct rerr		 err;
	int			 n;
	size_t			 i, seen = 0;

	create_ok(p, "sched", 1024);

	/* a valid list: committed under schedules:, the rest kept */
	n = count("r.git");
	assert_rok(schedules(p, "sched",
	    "# nightly\n- name: nightly\n  cron: \"0 5 * * *\"\n"
	    "  timezone: Europe/Berlin\n  tasks:\n"
	    "    - command: \"say <Restart> \xe2\x80\xa8 soon\"\n"
	    "    - after: 1m\n      restart: true\n", &res, &err), &err);
	assert_int_equal(count("r.git"), n + 1);
	assert_contains(res.summary, "roost server schedules sched");
	assert_int_equal(unit_sh("grep -q '^schedules:' w/servers/sched.yaml &&"
	    " grep -q '^  - name: nightly' w/servers/sched.yaml && "
	    "grep -q '^  # nightly' w/servers/sched.yaml && "
	    "grep -q '^      - after: 1m' w/servers/sched.yaml && "
	    "grep -q '^egg: demo/demo' w/servers/sched.yaml"), 0);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_result_dispose(&res);

	/* a bad cron: refused with the validation message, no commit */
	assert_int_equal(schedules(p, "sched",
	    "- name: bad\n  cron: \"61 * * * *\"\n  tasks: [ { restart: "
	    "true } ]\n", &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "nothing was committed");
	for (i = 0; i < res.diags.n; i++)
		if (strcmp(res.diags.v[i].path, "servers/sched.yaml") == 0 &&
		    strstr(res.diags.v[i].msg, "61") != NULL)
			seen++;
	assert_true(seen > 0);
	assert_int_equal(count("r.git"), n + 1);
	panel_result_dispose(&res);

	/* a start task: refused with the explanation */
	seen = 0;
	assert_int_equal(schedules(p, "sched",
	    "- name: up\n  cron: \"0 6 * * *\"\n  tasks: [ { start: true } ]\n",
	    &res, &err), ROOST_EINVAL);
	for (i = 0; i < res.diags.n; i++)
		if (strstr(res.diags.v[i].msg, "state") != NULL)
			seen++;
	assert_true(seen > 0);
	assert_int_equal(count("r.git"), n + 1);
	panel_result_dispose(&res);

	/* not a list, YAML that would leave its key: refused before git */
	assert_int_equal(schedules(p, "sched", "name: x\n", &res, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "must be a YAML list");
	panel_result_dispose(&res);
	assert_int_equal(schedules(p, "sched", "- [oops\n", &res, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "not YAML");
	panel_result_dispose(&res);
	/* a document end and a second key: never outside schedules: */
	assert_int_not_equal(schedules(p, "sched",
	    "- name: x\n  cron: \"* * * * *\"\n  tasks: [ { restart: true } ]"
	    "\n...\nstate: stopped\n", &res, &err), 0);
	panel_result_dispose(&res);
	assert_int_equal(count("r.git"), n + 1);
	assert_int_equal(unit_sh("grep -q '^state: ' w/servers/sched.yaml"),
	    0);

	/* blank: the key goes (roost.yaml's defaults apply again) */
	assert_rok(schedules(p, "sched", "  \n# none\n", &res, &err), &err);
	assert_int_equal(count("r.git"), n + 2);
	assert_int_equal(unit_sh("grep -q 'schedules' w/servers/sched.yaml"),
	    1);
	panel_result_dispose(&res);
	panel_close(p);
}

static void
test_panel__sftp_and_members(void **state)
{
	struct panel		*p = open_panel("w", NULL);
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	struct panel_sftp	 op;
	struct state		*st;
	struct state_server	*srv;
	struct crypt_data	*cd;
	struct rerr		 err;
	char			*h;

	create_ok(p, "gamma", 1024);
	memset(&op, 0, sizeof(op));
	op.user = "alice";
	op.generate = 1;
	op.perms = SFTP_PERM_READ | SFTP_PERM_WRITE;
	panel_result_init(&res);
	assert_rok(panel_sftp_set(p, &req, "gamma", &op, &res, &err), &err);
	assert_non_null(res.password);
	assert_true(strlen(res.password) >= 20);
	assert_int_equal(unit_sh("grep -q '%s' w/servers/gamma.yaml", res.password),
	    1);
	assert_rok(panel_state(p, NULL, 0, &st, &err), &err);
	srv = state_server_find(st, "gamma");
	assert_non_null(srv);
	assert_true(srv->valid);
	assert_int_equal(srv->nsftp, 1);
	assert_string_equal(srv->sftp[0].user, "alice");
	assert_int_equal(srv->sftp[0].perms, SFTP_PERM_READ | SFTP_PERM_WRITE);
	assert_int_equal(strncmp(srv->sftp[0].password, "$y$", 3), 0);
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(res.password, srv->sftp[0].password, cd);
	assert_non_null(h);
	assert_string_equal(h, srv->sftp[0].password);
	free(cd);
	state_free(st);
	panel_result_dispose(&res);

	/* add a key to alice, add bob, remove bob */
	memset(&op, 0, sizeof(op));
	op.user = "alice";
	op.perms = -1;
	op.key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOdlqCxrA4Xkx0bQ"
	    "VOv3RVRzHpbXv4SK7LcJDsyQn0pM alice@laptop";
	panel_result_init(&res);
	assert_rok(panel_sftp_set(p, &req, "gamma", &op, &res, &err), &err);
	panel_result_dispose(&res);
	op.user = "bob";
	op.key = NULL;
	op.password = "correct horse battery";
	panel_result_init(&res);
	assert_rok(panel_sftp_set(p, &req, "gamma", &op, &res, &err), &err);
	assert_null(res.password);
	panel_result_dispose(&res);
	assert_rok(panel_state(p, NULL, 0, &st, &err), &err);
	srv = state_server_find(st, "gamma");
	assert_int_equal(srv->nsftp, 2);
	assert_int_equal(srv->sftp[0].nkeys, 1);
	assert_contains(srv->sftp[0].keys[0], "alice@laptop");
	assert_non_null(srv->sftp[0].password);
	state_free(st);
	op.password = NULL;
	op.remove = 1;
	panel_result_init(&res);
	assert_rok(panel_sftp_set(p, &req, "gamma", &op, &res, &err), &err);
	panel_result_dispose(&res);

	/* a member */
	panel_result_init(&res);
	assert_rok(panel_member_set(p, &req, "gamma", "234567890123456789",
	    PERM_POWER | PERM_SFTP, &res, &err), &err);
	panel_result_dispose(&res);
	assert_rok(panel_state(p, NULL, 0, &st, &err), &err);
	srv = state_server_find(st, "gamma");
	assert_int_equal(srv->nsftp, 1);
	assert_int_equal(srv->nmembers, 1);
	assert_string_equal(srv->members[0].id, "234567890123456789");
	assert_int_equal(srv->members[0].perms, PERM_POWER | PERM_SFTP);
	assert_true(srv->valid);
	state_free(st);
	unit_assert_sh_eq("", "git -C w status --porcelain");
	panel_close(p);
}

static void
test_panel__placement(void **state)
{
	struct panel			*p = open_panel("w", NULL);
	struct panel_server_spec	 spec;
	struct panel_result		 res;
	struct state			*st;
	struct state_server		*srv;
	struct rerr			 err;

	/* no node given: the one with the most free memory that fits */
	spec_init(&spec, "placed", 3000);
	assert_rok(create_spec(p, &spec, NULL, &res, &err), &err);
	assert_contains(res.summary, "on node node-a");
	panel_result_dispose(&res);
	assert_rok(panel_state(p, NULL, 0, &st, &err), &err);
	srv = state_server_find(st, "placed");
	assert_non_null(srv);
	assert_string_equal(srv->node, "node-a");
	/* the lowest port of the node's ranges that nobody uses */
	assert_true(srv->port >= 25566 && srv->port <= 25600);
	assert_true(srv->valid);
	/* limits not given come from roost.yaml's defaults */
	assert_int_equal(srv->limits.disk, 4096);
	state_free(st);

	/* on node-b, the first port of its range */
	spec.name = "onb";
	spec.node = "node-b";
	spec.memory = 1024;
	assert_rok(create_spec(p, &spec, NULL, &res, &err), &err);
	assert_contains(res.summary, "on node node-b, port 27000");
	panel_result_dispose(&res);

	/* nothing fits */
	spec.name = "huge";
	spec.node = NULL;
	spec.memory = 1 << 20;
	assert_int_equal(create_spec(p, &spec, NULL, &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "no node has");
	panel_result_dispose(&res);

	/* an owner is required, and an unknown node is named */
	spec.name = "noowner";
	spec.owner = NULL;
	spec.memory = 1024;
	assert_int_equal(create_spec(p, &spec, NULL, &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "owner");
	panel_result_dispose(&res);
	spec.owner = "123456789012345678";
	spec.node = "node-z";
	assert_int_equal(create_spec(p, &spec, NULL, &res, &err), ROOST_EINVAL);
	assert_contains(err.msg, "node 'node-z' does not exist");
	panel_result_dispose(&res);
	panel_close(p);
}

static void
test_panel__password(void **state)
{
	char	 a[25], b[25], *h;
	struct rerr err;

	panel_password_generate(a, 24);
	panel_password_generate(b, 24);
	assert_int_equal(strlen(a), 24);
	assert_string_not_equal(a, b);
	rerr_init(&err);
	assert_rok(panel_password_hash(a, &h, &err), &err);
	assert_int_equal(strncmp(h, "$y$", 3), 0);
	assert_null(strstr(h, a));
	free(h);
}

/* Moves: the node, port and move: set; unknown, same and full refused. */
static void
test_panel__move(void **state)
{
	static const struct {
		const char	*name, *node;
		int		 rc;
		const char	*msg;
	} bad[] = {
		{ "mover", "node-z", ROOST_ENOTFOUND,
		    "node 'node-z' does not exist" },
		{ "mover", "node-a", ROOST_EINVAL, "already on node 'node-a'" },
		{ "heavy", "node-b", ROOST_EINVAL,
		    "node 'node-b' has no room for server 'heavy'" },
		{ "mover", "../x", ROOST_EINVAL, "" },
	};
	struct panel		*p = open_panel("w", NULL);
	struct panel_server_spec spec;
	struct panel_result	 res;
	struct panel_req	 req = { AUTHOR, NULL };
	struct state		*st;
	struct state_server	*srv;
	struct rerr		 err;
	size_t			 i;
	int			 rc;

	/* node-b has 400 % of cpu: a server of 500 % does not fit there */
	spec_init(&spec, "heavy", 128);
	spec.node = "node-a";
	spec.cpu = 500;
	assert_rok(create_spec(p, &spec, NULL, &res, &err), &err);
	panel_result_dispose(&res);
	create_ok(p, "mover", 128);
	panel_result_init(&res);
	assert_rok(panel_server_restore(p, &req, "mover", "20261202T100000Z",
	    &res, &err), &err);
	panel_result_dispose(&res);
	panel_result_init(&res);
	assert_rok(panel_server_backup(p, &req, "mover", "old", &res, &err),
	    &err);
	panel_result_dispose(&res);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		panel_result_init(&res);
		rerr_init(&err);
		rc = panel_server_move(p, &req, bad[i].name, bad[i].node, &res,
		    &err);
		if (rc != bad[i].rc || strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("move %s to %s: rc %d, '%s'", bad[i].name,
			    bad[i].node, rc, err.msg);
		panel_result_dispose(&res);
	}
	unit_assert_sh_eq("", "git -C w status --porcelain");

	panel_result_init(&res);
	rerr_init(&err);
	assert_rok(panel_server_move(p, &req, "mover", "node-b", &res, &err),
	    &err);
	assert_contains(res.summary, "roost server move mover");
	panel_result_dispose(&res);
	assert_rok(panel_state(p, NULL, 0, &st, &err), &err);
	srv = state_server_find(st, "mover");
	assert_non_null(srv);
	assert_true(srv->valid);
	assert_string_equal(srv->node, "node-b");
	assert_true(srv->port >= 27000 && srv->port <= 27010);
	assert_string_equal(srv->move_from, "node-a");
	assert_non_null(srv->move_at);
	/* the old node's one-shot requests are not carried over */
	assert_null(srv->restore_at);
	assert_null(srv->backup_at);
	assert_null(srv->backup_note);
	state_free(st);
	panel_close(p);
}

UNIT_GIT_MAIN(setup, unit_root_teardown,
    cmocka_unit_test(test_panel__password),
    cmocka_unit_test(test_panel__create_and_set),
    cmocka_unit_test(test_panel__invalid_refused),
    cmocka_unit_test(test_panel__vars_only_variables),
    cmocka_unit_test(test_panel__discord_authors),
    cmocka_unit_test(test_panel__dirty_refused),
    cmocka_unit_test(test_panel__remote_moved),
    cmocka_unit_test(test_panel__idempotent),
    cmocka_unit_test(test_panel__racing_writers),
    cmocka_unit_test(test_panel__power_delete_history),
    cmocka_unit_test(test_panel__backup_restore_requests),
    cmocka_unit_test(test_panel__schedules),
    cmocka_unit_test(test_panel__revert_and_rollback),
    cmocka_unit_test(test_panel__sftp_and_members),
    cmocka_unit_test(test_panel__placement),
    cmocka_unit_test(test_panel__move))
