/*
 * test_plan: the reconciler's pure planner as tables of desired x observed
 * -> expected actions, written "kind:server" in order, space-separated.
 * Covers every action and every safety rule of plan.h.
 */
#include "unit.h"

#include "buf.h"
#include "../../reconciler/plan.h"

#define MAXROWS	4

struct plan_case {
	const char		*title;
	struct plan_desired	 d[MAXROWS];
	size_t			 nd;
	struct plan_observed	 o[MAXROWS];
	size_t			 no;
	int			 tree_valid;
	int			 allow_empty;
	const char		*want;		/* expected actions */
	int			 want_refused;
};

#define LIM	{ 1024LL << 20, 1024LL << 20, 100000, 512, 0 }
#define LIM2	{ 2048LL << 20, 2048LL << 20, 100000, 512, 0 }

/* A desired running server with spec hash h, installed. */
#define D(n, h)	{ .name = n, .spec_hash = h, .limits = LIM, .running = 1, \
		  .has_install = 1, .installed = 1, .installed_for = "" }
/* An observed adopted running container of server n with spec hash h. */
#define O(n, h)	{ .server = n, .id = "id-" n, .name = "roost-" n, \
		  .spec_hash = h, .limits = LIM, .running = 1, .adopted = 1, \
		  .restarted_at = "", .reinstall_at = "" }

/* Plans the desired and observed servers of c into res. */
static void
plan_case(const struct plan_case *c, struct plan_result *res)
{
	struct plan_input	in;

	memset(&in, 0, sizeof(in));
	in.desired = c->d;
	in.ndesired = c->nd;
	in.observed = c->o;
	in.nobserved = c->no;
	in.tree_valid = c->tree_valid;
	in.allow_empty = c->allow_empty;
	plan_make(&in, res);
}

static void
run_case(const struct plan_case *c)
{
	struct plan_result	 res;
	struct buf		 got;
	size_t			 i;

	plan_case(c, &res);
	buf_init(&got, 0);
	for (i = 0; i < res.n; i++)
		buf_addf(&got, "%s%s:%s", i ? " " : "",
		    plan_kind_str(res.v[i].kind),
		    res.v[i].server ? res.v[i].server : "?");
	if (strcmp(buf_str(&got), c->want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", c->title,
		    buf_str(&got), c->want);
	if (res.refused_empty != c->want_refused)
		fail_msg("%s: refused_empty %d, want %d", c->title,
		    res.refused_empty, c->want_refused);
	buf_dispose(&got);
	plan_result_dispose(&res);
}

static void
test_plan__create_install_start(void **state)
{
	struct plan_case c = {
		.title = "new server with an install script",
		.d = { { .name = "mc", .spec_hash = "h1", .limits = LIM,
		    .running = 1, .has_install = 1 } }, .nd = 1,
		.tree_valid = 1,
		.want = "install:mc create:mc start:mc"
	};
	run_case(&c);

	c.title = "new server without install";
	c.d[0].has_install = 0;
	c.want = "create:mc start:mc";
	run_case(&c);

	c.title = "new stopped server: created, not started";
	c.d[0].running = 0;
	c.want = "create:mc";
	run_case(&c);

	c.title = "installed data, container lost: no install again";
	c.d[0].running = 1;
	c.d[0].has_install = 1;
	c.d[0].installed = 1;
	c.want = "create:mc start:mc";
	run_case(&c);
}

static void
test_plan__converged_is_empty(void **state)
{
	struct plan_case c = {
		.title = "converged",
		.d = { D("a", "h1"), D("b", "h2") }, .nd = 2,
		.o = { O("a", "h1"), O("b", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = ""
	};
	run_case(&c);

	c.title = "converged, stopped server stays stopped";
	c.d[1].running = 0;
	c.o[1].running = 0;
	run_case(&c);
}

static void
test_plan__adopt(void **state)
{
	struct plan_case c = {
		.title = "existing container taken over without restart",
		.d = { D("a", "h1") }, .nd = 1,
		.o = { O("a", "h1") }, .no = 1,
		.tree_valid = 1,
		.want = "adopt:a"
	};
	c.o[0].adopted = 0;
	run_case(&c);

	c.title = "adopted with old hash: adopt then recreate";
	c.o[0].spec_hash = "old";
	c.want = "adopt:a recreate:a start:a";
	run_case(&c);

	c.title = "existing container without install marker: no install";
	c.o[0].spec_hash = "h1";
	c.d[0].installed = 0;
	c.want = "adopt:a";
	run_case(&c);
}

static void
test_plan__recreate_and_update(void **state)
{
	struct plan_case c = {
		.title = "spec hash changed",
		.d = { D("a", "h2") }, .nd = 1,
		.o = { O("a", "h1") }, .no = 1,
		.tree_valid = 1,
		.want = "recreate:a start:a"
	};
	run_case(&c);

	c.title = "half-created container without a hash label";
	c.o[0].spec_hash = NULL;
	c.o[0].running = 0;
	run_case(&c);

	c.title = "limits only: live update";
	c.o[0].spec_hash = "h2";
	c.o[0].running = 1;
	c.o[0].limits = (struct plan_limits)LIM2;
	c.want = "update:a";
	run_case(&c);

	c.title = "limits and spec: recreate covers both";
	c.o[0].spec_hash = "h1";
	c.want = "recreate:a start:a";
	run_case(&c);

	c.title = "cpu unlimited either way is equal";
	c.o[0].spec_hash = "h2";
	c.o[0].limits = (struct plan_limits)LIM;
	c.o[0].limits.cpu_quota = -1;
	c.d[0].limits.cpu_quota = 0;
	c.want = "";
	run_case(&c);

	c.title = "io weight not managed is ignored, managed is compared";
	c.o[0].limits.io_weight = 500;
	run_case(&c);
	c.d[0].limits.io_weight = 300;
	c.want = "update:a";
	run_case(&c);
}

static void
test_plan__start_stop(void **state)
{
	struct plan_case c = {
		.title = "desired running, container exited",
		.d = { D("a", "h1") }, .nd = 1,
		.o = { O("a", "h1") }, .no = 1,
		.tree_valid = 1,
		.want = "start:a"
	};
	c.o[0].running = 0;
	run_case(&c);

	c.title = "desired stopped, container running";
	c.d[0].running = 0;
	c.o[0].running = 1;
	c.want = "stop:a";
	run_case(&c);

	c.title = "desired stopped, roost already stopping it";
	c.o[0].stopping = 1;
	c.want = "";
	run_case(&c);
}

static void
test_plan__holds(void **state)
{
	static const enum plan_hold holds[] = { PLAN_HOLD_BACKOFF,
	    PLAN_HOLD_CRASHLOOP, PLAN_HOLD_DISK };
	struct plan_case c = {
		.title = "held start",
		.d = { D("a", "h1") }, .nd = 1,
		.o = { O("a", "h1") }, .no = 1,
		.tree_valid = 1,
		.want = ""
	};
	size_t i;

	c.o[0].running = 0;
	for (i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		c.d[0].hold = holds[i];
		run_case(&c);
	}

	c.title = "busy: nothing planned while an operation runs";
	c.d[0].hold = PLAN_HOLD_BUSY;
	c.d[0].spec_hash = "h2";
	run_case(&c);

	c.title = "install failed: no create, no start";
	c.d[0].hold = PLAN_HOLD_INSTALL_FAILED;
	c.no = 0;
	c.d[0].installed = 0;
	run_case(&c);

	c.title = "install failed, then a reinstall bump retries";
	c.d[0].reinstall_at = "2026-11-25T10:00:00Z";
	c.want = "install:a create:a";
	run_case(&c);

	c.title = "spec change while crash-looping: recreate, no start";
	c.d[0].reinstall_at = NULL;
	c.d[0].installed = 1;
	c.d[0].hold = PLAN_HOLD_CRASHLOOP;
	c.no = 1;
	c.want = "recreate:a";
	run_case(&c);
}

static void
test_plan__one_shots(void **state)
{
	struct plan_case c = {
		.title = "new restartedAt restarts",
		.d = { D("a", "h1") }, .nd = 1,
		.o = { O("a", "h1") }, .no = 1,
		.tree_valid = 1,
		.want = "restart:a start:a"
	};
	c.d[0].restarted_at = "2026-11-25T10:00:00Z";
	run_case(&c);

	c.title = "restartedAt already in the label: nothing";
	c.o[0].restarted_at = "2026-11-25T10:00:00Z";
	c.want = "";
	run_case(&c);

	c.title = "restartedAt removed from the file: nothing";
	c.d[0].restarted_at = NULL;
	run_case(&c);

	c.title = "new reinstallAt: stop, install, recreate, start";
	c.d[0].reinstall_at = "2026-11-26T00:00:00Z";
	c.want = "stop:a install:a recreate:a start:a";
	run_case(&c);

	c.title = "reinstallAt handled per the label";
	c.o[0].reinstall_at = "2026-11-26T00:00:00Z";
	c.want = "";
	run_case(&c);

	c.title = "reinstallAt handled per the install marker";
	c.o[0].reinstall_at = "";
	c.d[0].installed_for = "2026-11-26T00:00:00Z";
	run_case(&c);

	c.title = "reinstall of an egg without script still recreates once";
	c.d[0].installed_for = "";
	c.d[0].has_install = 0;
	c.o[0].running = 0;
	c.want = "recreate:a start:a";
	run_case(&c);

	c.title = "first create with a pending restartedAt: no extra restart";
	c.d[0].reinstall_at = NULL;
	c.d[0].restarted_at = "2026-11-25T10:00:00Z";
	c.no = 0;
	c.want = "create:a start:a";
	run_case(&c);
}

static void
test_plan__prune(void **state)
{
	struct plan_case c = {
		.title = "file removed from a valid tree",
		.d = { D("a", "h1") }, .nd = 1,
		.o = { O("a", "h1"), O("gone", "h9") }, .no = 2,
		.tree_valid = 1,
		.want = "prune:gone"
	};
	run_case(&c);

	c.title = "nothing pruned when the tree is not valid";
	c.tree_valid = 0;
	c.want = "";
	run_case(&c);
}

static void
test_plan__empty_node(void **state)
{
	struct plan_case c = {
		.title = "revision removing every server is refused",
		.nd = 0,
		.o = { O("a", "h1"), O("b", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = "",
		.want_refused = 1
	};
	run_case(&c);

	c.title = "allowed by the node";
	c.allow_empty = 1;
	c.want = "prune:a prune:b";
	c.want_refused = 0;
	run_case(&c);

	c.title = "empty node with no containers is not a refusal";
	c.allow_empty = 0;
	c.no = 0;
	c.want = "";
	run_case(&c);

	c.title = "state failed to load: no refusal, no prune";
	c.no = 2;
	c.tree_valid = 0;
	run_case(&c);
}

static void
test_plan__invalid_server(void **state)
{
	struct plan_case c = {
		.title = "invalid file with a last good spec: kept as it was",
		.d = { D("a", "h1"), D("b", "h2") }, .nd = 2,
		.o = { O("a", "h1"), O("b", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = ""
	};
	c.d[0].invalid = 1;
	run_case(&c);

	c.title = "invalid file with a last good spec: still healed";
	c.o[0].running = 0;
	c.want = "start:a";
	run_case(&c);

	c.title = "invalid file without any known spec: left alone";
	c.d[0].spec_hash = NULL;
	c.o[0].adopted = 0;
	c.want = "adopt:a";
	run_case(&c);

	c.title = "invalid and no container: nothing, and never pruned";
	c.o[0] = c.o[1];
	c.no = 1;
	c.want = "";
	run_case(&c);

	c.title = "only an invalid server remains: not an empty node";
	c.d[0] = c.d[1];
	c.d[0].spec_hash = NULL;
	c.d[0].name = "b";
	c.nd = 1;
	run_case(&c);
}

static void
test_plan__duplicates(void **state)
{
	struct plan_case c = {
		.title = "two containers of one server: keep the current one",
		.d = { D("a", "h2") }, .nd = 1,
		.o = { O("a", "h1"), O("a", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = "remove:a"
	};
	c.o[1].id = "id-a2";
	c.o[1].running = 0;
	c.o[0].running = 1;
	c.d[0].running = 0;
	run_case(&c);
}

/*
 * Observed containers in no particular order: each server still finds its
 * own, and between equals the first one of the input is kept.
 */
static void
test_plan__observed_unsorted(void **state)
{
	struct plan_case c = {
		.title = "observed out of order, a tie between duplicates",
		.d = { D("a", "h1"), D("b", "h1") }, .nd = 2,
		.o = { O("b", "h0"), O("a", "h1"), O("b", "h0") }, .no = 3,
		.tree_valid = 1,
		.want = "remove:b recreate:b"
	};
	struct plan_result	res;

	c.d[1].running = 0;
	c.o[0].id = "id-b1";
	c.o[0].running = 0;
	c.o[2].id = "id-b2";
	c.o[2].running = 0;
	run_case(&c);
	plan_case(&c, &res);
	assert_int_equal(res.n, 2);
	assert_string_equal(res.v[0].container, "id-b2");
	assert_string_equal(res.v[1].container, "id-b1");
	plan_result_dispose(&res);
}

static void
test_plan__order(void **state)
{
	struct plan_case c = {
		.title = "prunes first, then servers in name order",
		.d = { D("a", "h1"), D("c", "h3") }, .nd = 2,
		.o = { O("c", "h0"), O("b", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = "prune:b install:a create:a start:a recreate:c start:c"
	};
	c.d[0].installed = 0;
	run_case(&c);
}

static void
test_plan__limits_differ(void **state)
{
	struct plan_limits a = LIM, b = LIM;

	assert_false(plan_limits_differ(&a, &b));
	b.memory_swap = -1;
	assert_true(plan_limits_differ(&a, &b));
	b = a;
	b.pids = 0;
	a.pids = -1;
	assert_false(plan_limits_differ(&a, &b));
	a.pids = 100;
	assert_true(plan_limits_differ(&a, &b));
	assert_string_equal(plan_kind_str(PLAN_UPDATE), "update");
	assert_string_equal(plan_kind_str((enum plan_kind)99), "?");
}

static void
test_plan__move_out(void **state)
{
	struct plan_case c = {
		.title = "moving away while running: stopped, not pruned",
		.d = { D("a", "h1"), D("b", "h2") }, .nd = 2,
		.o = { O("a", "h1"), O("b", "h2") }, .no = 2,
		.tree_valid = 1,
		.want = "stop:a"
	};

	c.d[0].move_out = 1;
	run_case(&c);

	c.title = "moving away, a spec change: still only the stop";
	c.d[0].spec_hash = "h9";
	run_case(&c);

	c.title = "moving away, stop under way: nothing more";
	c.o[0].stopping = 1;
	c.want = "";
	run_case(&c);

	c.title = "moving away, stopped, data not sent yet: kept as it is";
	c.o[0].stopping = 0;
	c.o[0].running = 0;
	run_case(&c);

	c.title = "moving away and sent: pruned";
	c.d[0].move_sent = 1;
	c.want = "prune:a";
	run_case(&c);

	c.title = "moving away and sent, no container: its data pruned";
	c.o[0] = c.o[1];
	c.no = 1;
	run_case(&c);

	c.title = "sent but running again: stopped before any prune";
	c.o[0] = (struct plan_observed)O("a", "h1");
	c.o[1] = (struct plan_observed)O("b", "h2");
	c.no = 2;
	c.want = "stop:a";
	run_case(&c);

	c.title = "moving away, desired stopped, never started: pruned";
	c.d[0].running = 0;
	c.o[0].running = 0;
	c.want = "prune:a";
	run_case(&c);

	c.title = "moving away while an operation runs: nothing";
	c.d[0].hold = PLAN_HOLD_BUSY;
	c.want = "";
	run_case(&c);

	c.title = "moving away, invalid file (no spec): still pruned once sent";
	c.d[0].hold = PLAN_HOLD_NONE;
	c.d[0].spec_hash = NULL;
	c.d[0].invalid = 1;
	c.want = "prune:a";
	run_case(&c);
}

static void
test_plan__transferring(void **state)
{
	struct plan_case c = {
		.title = "moving here: no install, create or start",
		.d = { { .name = "a", .spec_hash = "h1", .limits = LIM,
		    .running = 1, .has_install = 1,
		    .hold = PLAN_HOLD_TRANSFER } }, .nd = 1,
		.tree_valid = 1,
		.want = ""
	};

	run_case(&c);

	c.title = "moving here with a reinstall asked: still waits";
	c.d[0].reinstall_at = "2026-11-25T10:00:00Z";
	run_case(&c);

	c.title = "moving here, a container found running: stopped";
	c.o[0] = (struct plan_observed)O("a", "h0");
	c.no = 1;
	c.want = "stop:a";
	run_case(&c);

	c.title = "moving here, a stopped container found: left alone";
	c.o[0].running = 0;
	c.want = "";
	run_case(&c);

	c.title = "data arrived (hold lifted): created and started, no "
	    "install";
	c.d[0].hold = PLAN_HOLD_NONE;
	c.d[0].reinstall_at = NULL;
	c.d[0].installed = 1;
	c.d[0].installed_for = "";
	c.no = 0;
	c.want = "create:a start:a";
	run_case(&c);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_plan__create_install_start),
    cmocka_unit_test(test_plan__converged_is_empty),
    cmocka_unit_test(test_plan__adopt),
    cmocka_unit_test(test_plan__recreate_and_update),
    cmocka_unit_test(test_plan__start_stop),
    cmocka_unit_test(test_plan__holds),
    cmocka_unit_test(test_plan__one_shots),
    cmocka_unit_test(test_plan__prune),
    cmocka_unit_test(test_plan__empty_node),
    cmocka_unit_test(test_plan__invalid_server),
    cmocka_unit_test(test_plan__duplicates),
    cmocka_unit_test(test_plan__observed_unsorted),
    cmocka_unit_test(test_plan__order),
    cmocka_unit_test(test_plan__limits_differ),
    cmocka_unit_test(test_plan__move_out),
    cmocka_unit_test(test_plan__transferring))
