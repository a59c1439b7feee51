/*
 * test_cspec: the container spec of a game server as the engine receives
 * it (the create body JSON): name, labels, hardening, limits with the
 * overhead policy, ports, mounts, environment, and the spec hash telling
 * a live update from a recreate.
 */
#include "unit.h"

#include <signal.h>

#include "buf.h"
#include "egg.h"
#include "json.h"
#include "limit.h"
#include "state.h"
#include "../../reconciler/cspec.h"

/* A string literal where the state structs take char *. */
#define S(s)	((char *)(s))

struct fixture {
	struct state_server	 srv;
	struct state_var	 vars[2];
	int			 extra[1];
	struct egg		 egg;
	struct egg_var		 evars[3];
	struct egg_image	 img;
	struct cspec_node	 node;
};

static void
fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->srv.name = S("survival");
	f->srv.node = S("node-a");
	f->srv.egg = S("roost/demo");
	f->srv.state = STATE_RUNNING;
	f->srv.limits.memory = 1024;
	f->srv.limits.swap = 0;
	f->srv.limits.cpu = 150;
	f->srv.limits.disk = 2048;
	f->srv.limits.io = 500;
	f->srv.limits.pids = 256;
	f->srv.port = 31500;
	f->extra[0] = 31501;
	f->srv.extra_ports = f->extra;
	f->srv.nextra_ports = 1;
	f->vars[0].key = S("MOTD");
	f->vars[0].value = S("hello world");
	f->srv.vars = f->vars;
	f->srv.nvars = 1;
	f->srv.restarted_at = S("2026-11-25T10:00:00Z");

	f->img.label = S("demo");
	f->img.ref = S("roost.local/demo:1");
	f->egg.images = &f->img;
	f->egg.nimages = 1;
	f->egg.startup = S("demo-server --motd {{MOTD}}");
	f->egg.stop.kind = EGG_STOP_SIGNAL;
	f->egg.stop.signal = SIGINT;
	f->evars[0].env = S("MOTD");
	f->evars[0].def = S("default motd");
	f->evars[1].env = S("level_name");
	f->evars[1].def = S("world");
	f->evars[2].env = S("SERVER_PORT");	/* reserved: ignored */
	f->evars[2].def = S("1");
	f->egg.vars = f->evars;
	f->egg.nvars = 3;

	f->node.node = S("node-a");
	f->node.data_dir = S("/var/lib/roost");
	f->node.network = S("roost0");
	f->node.address = S("127.0.0.1");
	f->node.uid = 999;
	f->node.gid = 999;
	f->node.tmpfs_mb = 100;
	f->node.timezone = S("Europe/Paris");
	f->node.overhead = STATE_OVERHEAD_WINGS;
	f->node.swap_ok = 1;
	f->node.revision = S("abc123");
}

static struct cspec *
build(struct fixture *f)
{
	struct rerr	 err;
	struct cspec	*cs;

	rerr_init(&err);
	cs = cspec_build(&f->srv, &f->egg, f->srv.image, &f->node, &err);
	if (cs == NULL)
		fail_msg("cspec_build: %s", err.msg);
	return cs;
}

static cJSON *
body(const struct cspec *cs)
{
	struct rerr	 err;
	cJSON		*j;
	char		*s = docker_create_body(&cs->spec);

	rerr_init(&err);
	assert_rok(json_parse(&j, s, strlen(s), "body", &err), &err);
	free(s);
	return j;
}

static int
has_str(const cJSON *arr, const char *s)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return 1;
	return 0;
}

/* Fails unless the array arr holds each string of want (NULL-ended). */
static void
assert_has_all(const cJSON *arr, const char *const *want)
{
	for (; *want != NULL; want++)
		if (!has_str(arr, *want))
			fail_msg("'%s' is missing", *want);
}

static void
test_cspec__identity_and_labels(void **state)
{
	struct fixture	 f;
	struct cspec	*cs;
	cJSON		*j;

	fixture_init(&f);
	cs = build(&f);
	assert_string_equal(cs->name, "roost-survival");
	j = body(cs);
	assert_string_equal(json_str(j, "Image", ""), "roost.local/demo:1");
	assert_string_equal(json_str(j, "User", ""), "999:999");
	assert_non_null(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.managed"));
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.node")->valuestring, "node-a");
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.server")->valuestring, "survival");
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.spec-hash")->valuestring, cs->hash);
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.revision")->valuestring, "abc123");
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.restarted-at")->valuestring, "2026-11-25T10:00:00Z");
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "Labels"),
	    "roost.reinstall-at")->valuestring, "");
	assert_int_equal(strlen(cs->hash), 32);
	assert_true(json_bool(j, "OpenStdin", 0));
	assert_string_equal(json_str(j, "StopSignal", ""), "SIGINT");
	cJSON_Delete(j);
	cspec_free(cs);
}

static void
test_cspec__hardening(void **state)
{
	struct fixture	 f;
	struct cspec	*cs;
	cJSON		*j;
	const cJSON	*cd;
	static const char *const caps[] = { "setpcap", "net_raw",
	    "dac_override", "sys_chroot", "sys_ptrace", NULL };

	fixture_init(&f);
	cs = build(&f);
	j = body(cs);
	assert_true(json_bool(j, "HostConfig.ReadonlyRootfs", 0));
	assert_true(has_str(json_get(j, "HostConfig.SecurityOpt"),
	    "no-new-privileges"));
	cd = json_get(j, "HostConfig.CapDrop");
	assert_has_all(cd, caps);
	assert_int_equal(cJSON_GetArraySize(cd), 11);
	assert_string_equal(cJSON_GetObjectItem(json_get(j, "HostConfig.Tmpfs"),
	    "/tmp")->valuestring, "rw,exec,nosuid,size=100m");
	assert_int_equal(json_int64(j, "HostConfig.PidsLimit", 0), 256);
	assert_string_equal(json_str(j, "HostConfig.LogConfig.Type", ""),
	    "json-file");
	assert_string_equal(json_str(j, "HostConfig.LogConfig.Config.max-size",
	    ""), "5m");
	assert_string_equal(json_str(j, "HostConfig.RestartPolicy.Name", ""),
	    "no");
	assert_string_equal(json_str(j, "HostConfig.NetworkMode", ""),
	    "roost0");
	assert_true(has_str(json_get(j, "HostConfig.Binds"),
	    "/var/lib/roost/volumes/survival:/home/container"));
	cJSON_Delete(j);

	/* pids default when the server sets none */
	f.srv.limits.pids = 0;
	cspec_free(cs);
	cs = build(&f);
	assert_int_equal(cs->spec.limits.pids_limit, 512);
	cspec_free(cs);
}

static void
test_cspec__limits(void **state)
{
	struct fixture	 f;
	struct cspec	*cs;
	cJSON		*j;
	int64_t		 mem = 1024LL * 1024 * 1024;

	fixture_init(&f);
	cs = build(&f);
	j = body(cs);
	/* Wings tier: +15% up to 2 GiB, in binary MiB */
	assert_int_equal(json_int64(j, "HostConfig.Memory", 0),
	    (int64_t)(mem * 1.15 + 0.5));
	/* swap 0: MemorySwap equals Memory (no swap) */
	assert_int_equal(json_int64(j, "HostConfig.MemorySwap", 0),
	    json_int64(j, "HostConfig.Memory", 0));
	assert_int_equal(json_int64(j, "HostConfig.CpuQuota", 0), 150000);
	assert_int_equal(json_int64(j, "HostConfig.CpuPeriod", 0), 100000);
	/* io weight only when the host supports it */
	assert_null(json_get(j, "HostConfig.BlkioWeight"));
	cJSON_Delete(j);
	cspec_free(cs);

	f.node.io_weight_ok = 1;
	f.srv.limits.swap = -1;
	f.srv.limits.cpu = 0;
	cs = build(&f);
	j = body(cs);
	assert_int_equal(json_int64(j, "HostConfig.BlkioWeight", 0), 500);
	assert_int_equal(json_int64(j, "HostConfig.MemorySwap", 0), -1);
	assert_null(json_get(j, "HostConfig.CpuQuota"));
	cJSON_Delete(j);
	cspec_free(cs);

	assert_int_equal(cspec_memory_bytes(3072, STATE_OVERHEAD_WINGS, 0),
	    (int64_t)(3072.0 * 1048576 * 1.10 + 0.5));
	assert_int_equal(cspec_memory_bytes(8192, STATE_OVERHEAD_WINGS, 0),
	    (int64_t)(8192.0 * 1048576 * 1.05 + 0.5));
	assert_int_equal(cspec_memory_bytes(1000, STATE_OVERHEAD_NONE, 0),
	    1000LL * 1048576);
	assert_int_equal(cspec_memory_bytes(1000, STATE_OVERHEAD_PERCENT, 20),
	    1200LL * 1048576);
	assert_int_equal(cspec_memory_bytes(0, STATE_OVERHEAD_WINGS, 0), 0);
}

/*
 * One conversion point: the installer's limits come from the same
 * conversion as the server's (the overhead policy included), with its
 * floors; the planner sees a spec and an inspected container alike.
 */
static void
test_cspec__install_limits_and_plan(void **state)
{
	struct fixture		 f;
	struct cspec		*cs;
	struct docker_limits	 l;
	struct plan_limits	 a, b;

	fixture_init(&f);
	f.srv.limits.memory = 3072;
	f.srv.limits.pids = 2048;
	cs = build(&f);
	assert_int_equal(cs->install_limits.memory,
	    cspec_memory_bytes(3072, STATE_OVERHEAD_WINGS, 0));
	assert_int_equal(cs->install_limits.memory, cs->spec.limits.memory);
	assert_int_equal(cs->install_limits.pids_limit, 2048);
	assert_int_equal(cs->install_limits.cpu_quota, 0);
	assert_int_equal(cs->install_limits.memory_swap, 0);
	assert_int_equal(cs->disk_bytes, 2048 * LIMIT_MIB);
	cspec_free(cs);

	/* Small servers: at least 1024 MiB and the default pids. */
	f.srv.limits.memory = 128;
	f.srv.limits.pids = 64;
	f.srv.limits.disk = 0;
	f.node.overhead = STATE_OVERHEAD_NONE;
	cs = build(&f);
	assert_int_equal(cs->install_limits.memory,
	    CSPEC_INSTALL_MEMORY_MIB * LIMIT_MIB);
	assert_int_equal(cs->install_limits.pids_limit,
	    limit_get(LIMIT_PIDS)->def);
	assert_int_equal(cs->spec.limits.pids_limit, 64);
	assert_int_equal(cs->disk_bytes, 0);

	/* A spec and the same values inspected compare equal. */
	cspec_plan_limits(&cs->spec.limits, &a);
	l = cs->spec.limits;
	cspec_plan_limits(&l, &b);
	assert_false(plan_limits_differ(&a, &b));
	l.pids_limit++;
	cspec_plan_limits(&l, &b);
	assert_true(plan_limits_differ(&a, &b));
	cspec_free(cs);

	/* An unset pids limit gets the table's default, nowhere else's. */
	fixture_init(&f);
	f.srv.limits.pids = 0;
	cs = build(&f);
	assert_int_equal(cs->spec.limits.pids_limit,
	    limit_get(LIMIT_PIDS)->def);
	cspec_free(cs);
}

static void
test_cspec__ports(void **state)
{
	struct fixture	 f;
	struct cspec	*cs;
	cJSON		*j;
	const cJSON	*pb;
	static const char *const keys[] = { "31500/tcp", "31500/udp",
	    "31501/tcp", "31501/udp", NULL };
	size_t		 i;

	fixture_init(&f);
	cs = build(&f);
	j = body(cs);
	pb = json_get(j, "HostConfig.PortBindings");
	for (i = 0; keys[i] != NULL; i++)
		assert_non_null(cJSON_GetObjectItem(pb, keys[i]));
	assert_string_equal(json_str(cJSON_GetObjectItem(pb, "31500/tcp"),
	    "0.HostIp", ""), "127.0.0.1");
	assert_string_equal(json_str(cJSON_GetObjectItem(pb, "31501/udp"),
	    "0.HostPort", ""), "31501");
	cJSON_Delete(j);
	cspec_free(cs);
}

static void
test_cspec__env(void **state)
{
	struct fixture	 f;
	struct cspec	*cs;
	cJSON		*j;
	const cJSON	*env;
	static const char *const want[] = { "MOTD=hello world",
	    "LEVEL_NAME=world",		/* the default, upper case */
	    "STARTUP=demo-server --motd {{MOTD}}", "SERVER_MEMORY=1024",
	    "SERVER_IP=0.0.0.0", "SERVER_PORT=31500",
	    "P_SERVER_LOCATION=node-a", "P_SERVER_UUID=survival",
	    "P_SERVER_ALLOCATION_LIMIT=1", "TZ=Europe/Paris", NULL };

	fixture_init(&f);
	cs = build(&f);
	j = body(cs);
	env = json_get(j, "Env");
	assert_has_all(env, want);
	assert_false(has_str(env, "SERVER_PORT=1"));
	cJSON_Delete(j);
	cspec_free(cs);

	f.node.address = S("203.0.113.7");
	cs = build(&f);
	j = body(cs);
	assert_true(has_str(json_get(j, "Env"), "SERVER_IP=203.0.113.7"));
	cJSON_Delete(j);
	cspec_free(cs);
}

static void
test_cspec__hash(void **state)
{
	struct fixture	 f;
	struct cspec	*a, *b;

	fixture_init(&f);
	a = build(&f);

	/* limits only: same hash (live update) */
	f.srv.limits.memory = 2048;
	f.srv.limits.cpu = 300;
	f.srv.limits.pids = 100;
	f.node.revision = S("def456");
	f.srv.restarted_at = S("2026-11-26T00:00:00Z");
	b = build(&f);
	assert_string_equal(a->hash, b->hash);
	assert_true(b->spec.limits.memory > a->spec.limits.memory);
	cspec_free(b);

	/* a variable: new hash */
	f.vars[0].value = S("other");
	b = build(&f);
	assert_string_not_equal(a->hash, b->hash);
	cspec_free(b);
	f.vars[0].value = S("hello world");

	/* the image */
	f.srv.image = S("roost.local/demo:2");
	b = build(&f);
	assert_string_not_equal(a->hash, b->hash);
	assert_string_equal(b->image, "roost.local/demo:2");
	cspec_free(b);
	f.srv.image = S("~roost.local/demo:1");
	b = build(&f);
	assert_string_equal(a->hash, b->hash);
	assert_true(b->local_image);
	cspec_free(b);
	f.srv.image = NULL;

	/* a port */
	f.extra[0] = 31502;
	b = build(&f);
	assert_string_not_equal(a->hash, b->hash);
	cspec_free(b);
	f.extra[0] = 31501;

	/* the startup */
	f.egg.startup = S("demo-server");
	b = build(&f);
	assert_string_not_equal(a->hash, b->hash);
	cspec_free(b);
	f.egg.startup = S("demo-server --motd {{MOTD}}");

	/* back to the start: same hash again */
	b = build(&f);
	assert_string_equal(a->hash, b->hash);
	cspec_free(b);

	/* removing the memory limit cannot be done live */
	f.srv.limits.memory = 0;
	b = build(&f);
	assert_string_not_equal(a->hash, b->hash);
	cspec_free(b);
	cspec_free(a);
}

static void
test_cspec__no_image(void **state)
{
	struct fixture	 f;
	struct rerr	 err;

	fixture_init(&f);
	f.egg.nimages = 0;
	rerr_init(&err);
	assert_null(cspec_build(&f.srv, &f.egg, NULL, &f.node, &err));
	assert_contains(err.msg, "no image");
}

static void
test_cspec__sha256(void **state)
{
	unit_assert_sha256(cspec_sha256_hex);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_cspec__identity_and_labels),
    cmocka_unit_test(test_cspec__hardening),
    cmocka_unit_test(test_cspec__limits),
    cmocka_unit_test(test_cspec__install_limits_and_plan),
    cmocka_unit_test(test_cspec__ports),
    cmocka_unit_test(test_cspec__env),
    cmocka_unit_test(test_cspec__hash),
    cmocka_unit_test(test_cspec__no_image),
    cmocka_unit_test(test_cspec__sha256))
