/*
 * test_docker: the Engine API client and the container cache against the
 * real Docker engine ($ROOST_DOCKER_SOCK or /var/run/docker.sock) with the
 * offline demo image. An engine that does not answer fails the tests.
 * Every container is labelled roost.test=docker-<run id> and removed;
 * names, labels, networks and published ports are this run's own, so two
 * runs on one engine do not meet.
 */
#include "unit.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "limit.h"
#include "xmalloc.h"

#include "../../reconciler/dcache.h"
#include "../../reconciler/docker.h"
#include "../../reconciler/runtime.h"
#include "../tools/bench_docker.h"

#define TEST_IMAGE	"roost.local/demo:1"
#define TEST_LABEL	test_label
#define CACHE_LABEL	cache_label

static char	test_label[64];		/* roost.test=docker-<run id> */
static char	cache_label[64];	/* roost.test.cache=<run id> */

/*
 * Returns "roost-unit-<run id>-base", a container name of this run only
 * (a ring of buffers, so a few can be used in one call).
 */
static const char *
run_name(const char *base)
{
	static char	ring[8][96];
	static int	next;
	char		*p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "roost-unit-%s-%s", unit_run_id(), base);
	return p;
}

static const char *
test_sock(void)
{
	const char	*s = getenv("ROOST_DOCKER_SOCK");

	return s != NULL && *s != '\0' ? s : DOCKER_DEFAULT_SOCK;
}

static int64_t
now_nano(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Removes every container this test program labelled. */
static void
cleanup_all(struct docker *d)
{
	char		**ids = NULL;
	struct rerr	  err;
	size_t		  i;

	rerr_init(&err);
	if (docker_container_list(d, TEST_LABEL, &ids, &err) != 0)
		return;
	for (i = 0; ids[i] != NULL; i++)
		docker_container_remove(d, ids[i], 1, 1, NULL);
	docker_strv_free(ids);
}

static int
group_setup(void **state)
{
	struct docker	*d;
	struct rerr	 err;
	char		*cmd;
	const char	*src = getenv("ROOST_SRC");

	snprintf(test_label, sizeof(test_label), "roost.test=docker-%s",
	    unit_run_id());
	snprintf(cache_label, sizeof(cache_label), "roost.test.cache=%s",
	    unit_run_id());
	xasprintf(&cmd, "%s/scripts/demo-image.sh >/dev/null",
	    src != NULL ? src : ".");
	if (system(cmd) != 0)
		fprintf(stderr, "# scripts/demo-image.sh failed\n");
	free(cmd);
	d = docker_new(test_sock());
	rerr_init(&err);
	if (docker_ping(d, &err) != 0) {
		fprintf(stderr, "# docker engine at %s: %s\n", test_sock(),
		    err.msg);
		docker_free(d);
		return -1;
	}
	cleanup_all(d);
	*state = d;
	return 0;
}

static int
group_teardown(void **state)
{
	struct docker	*d = *state;

	if (d != NULL) {
		cleanup_all(d);
		docker_free(d);
	}
	return 0;
}

/* The demo server's spec, hardened the way roostd creates servers. */
static char *
demo_body(int port, const char *extra_label)
{
	struct docker_spec	 s;
	const char		*labels[4], *env[4];
	char			*penv, *body;
	int			 ports[1];

	xasprintf(&penv, "SERVER_PORT=%d", port);
	env[0] = penv;
	env[1] = "MOTD=unit test";
	env[2] = "STARTUP=demo-server --motd \"{{MOTD}}\"";
	env[3] = NULL;
	labels[0] = TEST_LABEL;
	labels[1] = "roost.server=unit";
	labels[2] = extra_label;
	labels[3] = NULL;
	ports[0] = port;
	memset(&s, 0, sizeof(s));
	s.image = TEST_IMAGE;
	s.env = env;
	s.labels = labels;
	s.ports = ports;
	s.nports = port > 0 ? 1 : 0;
	s.host_ip = "127.0.0.1";
	s.limits.memory = 64 * LIMIT_MIB;
	s.limits.memory_swap = 128 * LIMIT_MIB;
	s.limits.cpu_quota = 50000;
	s.limits.pids_limit = 64;
	bench_demo_harden(&s);
	s.stop_signal = "SIGTERM";
	s.stop_timeout = 5;
	body = docker_create_body(&s);
	free(penv);
	return body;
}

/* Creates a container named name (NULL: none) from body, freed; its id. */
static char *
create_from(struct docker *d, const char *name, char *body)
{
	struct rerr	 err;
	char		*id = NULL;

	rerr_init(&err);
	assert_rok(docker_container_create(d, name, body, &id, &err), &err);
	free(body);
	return id;
}

/* Reads console output until needle appears or 10 s pass. */
static void
read_until(struct docker_attach *a, struct buf *out, const char *needle)
{
	struct rerr	err;
	int		eof = 0, i;

	for (i = 0; i < 100 && strstr(buf_str(out), needle) == NULL; i++) {
		rerr_init(&err);
		if (docker_attach_read(a, out, 100, &eof, &err) != 0 &&
		    err.code != ROOST_ETIMEDOUT)
			fail_msg("attach read: %s", err.msg);
		if (eof)
			break;
	}
	assert_contains(buf_str(out), needle);
}

static int
port_answers(int port)
{
	struct sockaddr_in	sin;
	int			fd, rc;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return rc == 0;
}

static void
test_docker__ping_version_info(void **state)
{
	struct docker		*d = *state;
	struct docker_version	 v;
	struct docker_info	 info;
	struct rerr		 err;

	rerr_init(&err);
	assert_rok(docker_ping(d, &err), &err);
	assert_rok(docker_version(d, &v, &err), &err);
	assert_true(v.version[0] != '\0');
	assert_true(strtod(v.api_version, NULL) >= 1.41);
	assert_string_equal(v.os, "linux");
	assert_rok(docker_info(d, &info, &err), &err);
	assert_true(info.cgroup_version == 1 || info.cgroup_version == 2);
	assert_true(info.cgroup_driver[0] != '\0');
	assert_true(info.ncpu > 0);
	assert_true(info.mem_total > 0);
	assert_true(docker_requests(d) >= 3);
}

static void
test_docker__create_body(void **state)
{
	/* Only a body: no port is bound. */
	char		*body = demo_body(25565, NULL);
	cJSON		*j;
	struct rerr	 err;

	rerr_init(&err);
	assert_rok(json_parse(&j, body, strlen(body), "body", &err), &err);
	assert_string_equal(json_str(j, "Image", ""), TEST_IMAGE);
	assert_string_equal(json_str(j, "HostConfig.PortBindings.25565/tcp.0"
	    ".HostPort", ""), "25565");
	assert_string_equal(json_str(j, "HostConfig.PortBindings.25565/udp.0"
	    ".HostIp", ""), "127.0.0.1");
	assert_non_null(json_get(j, "ExposedPorts.25565/udp"));
	assert_string_equal(json_str(j, "HostConfig.LogConfig.Config.max-size",
	    ""), "1m");
	assert_string_equal(json_str(j, "HostConfig.Tmpfs./tmp", ""),
	    "rw,exec,nosuid,size=16m");
	assert_true(json_bool(j, "OpenStdin", 0));
	assert_int_equal(json_int64(j, "HostConfig.CpuPeriod", 0), 100000);
	cJSON_Delete(j);
	free(body);
}

static void
test_docker__json_getters(void **state)
{
	static const char text[] = "{\"State\":{\"Status\":\"running\","
	    "\"ExitCode\":137,\"OOMKilled\":false,\"Pid\":null},"
	    "\"Mem\":8589934592,\"Half\":1.5,\"Nets\":[{\"n\":\"a\"}]}";
	struct rerr	 err;
	struct buf	 b;
	cJSON		*j;
	const char	*s;
	int64_t		 v64;
	int		 v;

	rerr_init(&err);
	assert_rok(json_parse(&j, text, strlen(text), "inspect", &err), &err);
	assert_rok(json_get_str(j, "State.Status", &s, &err), &err);
	assert_string_equal(s, "running");
	assert_rok(json_get_int(j, "State.ExitCode", &v, &err), &err);
	assert_int_equal(v, 137);
	assert_rok(json_get_bool(j, "State.OOMKilled", &v, &err), &err);
	assert_false(v);
	assert_rok(json_get_int64(j, "Mem", &v64, &err), &err);
	assert_int_equal(v64, 8589934592LL);
	assert_string_equal(json_str(j, "Nets.0.n", ""), "a");
	assert_null(json_get(j, "Nets.1.n"));

	assert_int_equal(json_get_str(j, "State.Pid", &s, &err),
	    ROOST_ENOTFOUND);
	assert_string_equal(err.msg, "\"State.Pid\" is missing");
	rerr_init(&err);
	assert_int_equal(json_get_str(j, "State.ExitCode", &s, &err),
	    ROOST_EINVAL);
	assert_string_equal(err.msg, "\"State.ExitCode\" must be a string");
	rerr_init(&err);
	assert_int_equal(json_get_int(j, "Mem", &v, &err), ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(json_get_int64(j, "Half", &v64, &err), ROOST_EINVAL);
	assert_int_equal(json_int64(j, "Half", -7), -7);
	cJSON_Delete(j);

	rerr_init(&err);
	assert_int_equal(json_parse(&j, "{\"a\":", 5, "reply", &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "reply: invalid JSON at byte");
	assert_null(j);

	buf_init(&b, 0);
	json_escape(&b, "a\"b\\c\n\x01");
	assert_string_equal(buf_str(&b), "\"a\\\"b\\\\c\\n\\u0001\"");
	assert_rok(json_parse(&j, b.data, b.len, "escaped", &err), &err);
	assert_true(cJSON_IsString(j));
	assert_string_equal(j->valuestring, "a\"b\\c\n\x01");
	cJSON_Delete(j);
	buf_dispose(&b);
}

static void
test_docker__lifecycle(void **state)
{
	struct docker		*d = *state;
	struct docker_container	 c, c2;
	struct docker_attach	*a = NULL;
	struct docker_limits	 lim;
	struct docker_stats	 st;
	struct rerr		 err;
	struct buf		 out, logs;
	char			*id = NULL, ready[64];
	int			 code = -1, i, port = unit_free_port();

	rerr_init(&err);
	buf_init(&out, 0);
	buf_init(&logs, 0);
	snprintf(ready, sizeof(ready), "Demo server ready on port %d", port);
	docker_container_remove(d, run_name("life"), 1, 1, NULL);
	id = create_from(d, run_name("life"), demo_body(port, NULL));
	assert_true(strlen(id) == 64);

	/* Attach first, as roostd does, so no line is lost. */
	assert_rok(docker_attach_open(d, id, 0, &a, &err), &err);
	assert_rok(docker_container_start(d, id, &err), &err);
	read_until(a, &out, ready);
	assert_contains(buf_str(&out), "demo-server --motd unit test");

	assert_rok(docker_container_inspect(d, run_name("life"), &c, &err),
	    &err);
	assert_string_equal(c.id, id);
	assert_string_equal(c.name, run_name("life"));
	assert_string_equal(c.status, "running");
	assert_true(c.running);
	assert_true(c.open_stdin);
	assert_false(c.tty);
	assert_true(c.readonly_rootfs);
	assert_int_equal(c.limits.memory, 64 * LIMIT_MIB);
	assert_int_equal(c.limits.memory_swap, 128 * LIMIT_MIB);
	assert_int_equal(c.limits.pids_limit, 64);
	assert_int_equal(c.limits.cpu_quota, 50000);
	assert_string_equal(docker_container_label(&c, "roost.server"),
	    "unit");
	assert_string_equal(c.image, TEST_IMAGE);

	/* The hardening is visible in the raw inspect as well. */
	{
		FILE	*p;
		char	 line[4096], *cmd;

		xasprintf(&cmd, "docker inspect --format '{{json .HostConfig."
		    "CapDrop}} {{json .HostConfig.SecurityOpt}} "
		    "{{.HostConfig.ReadonlyRootfs}}' %s", id);
		p = popen(cmd, "r");
		free(cmd);
		assert_non_null(p);
		assert_non_null(fgets(line, sizeof(line), p));
		pclose(p);
		assert_contains(line, "\"net_raw\"");
		assert_contains(line, "\"setfcap\"");
		assert_contains(line, "no-new-privileges");
		assert_contains(line, "true");
	}

	/* The published port answers on the host. */
	assert_true(port_answers(port));

	/* A live limit change keeps the container running as it is. */
	memset(&lim, 0, sizeof(lim));
	lim.memory = 96 * LIMIT_MIB;
	lim.pids_limit = 128;
	assert_rok(docker_container_update(d, id, &lim, &err), &err);
	assert_rok(docker_container_inspect(d, id, &c2, &err), &err);
	assert_string_equal(c2.id, c.id);
	assert_string_equal(c2.started_at, c.started_at);
	assert_true(c2.running);
	assert_int_equal(c2.limits.memory, 96 * LIMIT_MIB);
	assert_int_equal(c2.limits.pids_limit, 128);
	docker_container_dispose(&c2);

	assert_rok(docker_container_stats(d, id, &st, &err), &err);
	assert_true(st.memory > 0);
	assert_int_equal(st.memory_limit, 96 * LIMIT_MIB);
	assert_true(st.pids >= 2);

	assert_rok(docker_container_logs(d, id, 10, 0, &logs, &err), &err);
	assert_contains(buf_str(&logs), ready);
	/* Demultiplexed: no frame header bytes in the text. */
	assert_null(memchr(logs.data, '\0', logs.len));

	/* Console commands go to stdin. */
	assert_rok(docker_attach_write(a, "say hello roost\n", 16, &err), &err);
	read_until(a, &out, "hello roost");
	assert_rok(docker_attach_write(a, "stop\n", 5, &err), &err);
	read_until(a, &out, "Stopping demo server");
	assert_rok(docker_container_wait(d, id, NULL, &code, 20000, &err),
	    &err);
	assert_int_equal(code, 0);
	docker_attach_close(a);

	assert_rok(docker_container_inspect(d, id, &c2, &err), &err);
	assert_false(c2.running);
	assert_string_equal(c2.status, "exited");
	assert_int_equal(c2.exit_code, 0);
	assert_false(c2.oom_killed);
	assert_true(c2.finished_at[0] != '\0');
	docker_container_dispose(&c2);

	assert_rok(docker_container_remove(d, id, 0, 1, &err), &err);
	for (i = 0; i < 2; i++) {
		rerr_init(&err);
		assert_int_equal(docker_container_inspect(d, id, &c2, &err),
		    ROOST_ENOTFOUND);
	}
	docker_container_dispose(&c);
	buf_dispose(&out);
	buf_dispose(&logs);
	free(id);
}

static void
test_docker__errors(void **state)
{
	struct docker		*d = *state;
	struct docker_container	 c;
	struct docker_image	 img;
	struct rerr		 err;
	char			*body, *id = NULL, *id2 = NULL;

	rerr_init(&err);
	assert_int_equal(docker_container_inspect(d, run_name("missing"), &c,
	    &err), ROOST_ENOTFOUND);
	assert_contains(err.msg, run_name("missing"));
	rerr_init(&err);
	assert_int_equal(docker_container_start(d, run_name("missing"),
	    &err), ROOST_ENOTFOUND);
	rerr_init(&err);
	assert_int_equal(docker_image_inspect(d, "roost.local/absent:0", &img,
	    &err), ROOST_ENOTFOUND);

	/* The same name twice is a conflict. */
	body = demo_body(0, NULL);
	docker_container_remove(d, run_name("twice"), 1, 1, NULL);
	rerr_init(&err);
	assert_rok(docker_container_create(d, run_name("twice"), body, &id,
	    &err), &err);
	assert_int_equal(docker_container_create(d, run_name("twice"), body,
	    &id2, &err), ROOST_ECONFLICT);
	assert_contains(err.msg, run_name("twice"));
	assert_null(id2);
	rerr_init(&err);
	assert_rok(docker_container_remove(d, id, 1, 1, &err), &err);
	free(body);
	free(id);

	/* A bad body comes back with the engine's message. */
	rerr_init(&err);
	assert_int_equal(docker_container_create(d, NULL, "{\"Image\":1}",
	    &id2, &err), -1);
	assert_true(err.msg[0] != '\0');

	/* Nothing listens on this socket. */
	{
		struct docker	*bad = docker_new("/nonexistent/docker.sock");

		rerr_init(&err);
		assert_int_equal(docker_ping(bad, &err), -1);
		assert_contains(err.msg, "/nonexistent/docker.sock");
		docker_free(bad);
	}
}

static void
test_docker__image_and_network(void **state)
{
	struct docker		*d = *state;
	struct docker_image	 img;
	struct rerr		 err;
	char			*id1 = NULL, *id2 = NULL, ref[64], bridge[16];
	char			 subnet[32], gw[32];
	int			 i, k;

	rerr_init(&err);
	assert_rok(docker_image_inspect(d, TEST_IMAGE, &img, &err), &err);
	assert_contains(img.id, "sha256:");
	assert_string_equal(docker_kv_get(img.labels, img.nlabels,
	    "roost.demo"), "1");
	docker_image_dispose(&img);

	/* Pulling from a registry that is not there fails with a message. */
	rerr_init(&err);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/none:1", unit_free_port());
	assert_int_not_equal(docker_image_pull(d, ref, NULL, NULL, NULL,
	    30000, &err), 0);
	assert_true(err.msg[0] != '\0');

	/*
	 * A network, bridge and subnet of this run: another run may hold a
	 * subnet at the same time, so the next one is tried. The subnets are
	 * outside the engine's default pools (172.17-31/16, 192.168/16),
	 * which other runs' networks draw from at any time.
	 */
	docker_network_remove(d, run_name("net"), NULL);
	snprintf(bridge, sizeof(bridge), "r%s", unit_run_id());
	for (i = 0; i < 50; i++) {
		k = (getpid() + i) % 200 + 20;
		snprintf(subnet, sizeof(subnet), "10.213.%d.0/24", k);
		snprintf(gw, sizeof(gw), "10.213.%d.1", k);
		rerr_init(&err);
		if (docker_network_ensure(d, run_name("net"), bridge, subnet,
		    gw, &id1, &err) == 0)
			break;
	}
	assert_rok(err.code, &err);
	assert_rok(docker_network_ensure(d, run_name("net"), bridge, subnet,
	    gw, &id2, &err), &err);
	assert_string_equal(id1, id2);
	assert_rok(docker_network_remove(d, run_name("net"), &err), &err);
	free(id1);
	free(id2);
}

struct ev_wait {
	const char	*id;
	int		 seen_start;
	int		 seen_die;
	char		 exit_code[16];
	int		 seen_kill;
	int64_t		 last_time;
};

static int
ev_cb(const struct docker_event *ev, void *arg)
{
	struct ev_wait	*w = arg;
	const char	*x;

	if (strcmp(ev->id, w->id) != 0)
		return 0;
	assert_string_equal(ev->type, "container");
	assert_string_equal(docker_event_attr(ev, "roost.test"),
	    strchr(TEST_LABEL, '=') + 1);
	assert_true(ev->time_nano > 0);
	if (strcmp(ev->action, "start") == 0)
		w->seen_start = 1;
	if (strcmp(ev->action, "die") == 0) {
		w->seen_die = 1;
		x = docker_event_attr(ev, "exitCode");
		snprintf(w->exit_code, sizeof(w->exit_code), "%s",
		    x != NULL ? x : "");
	}
	return w->seen_start && w->seen_die;
}

static void
test_docker__events(void **state)
{
	struct docker	*d = *state;
	struct ev_wait	 w;
	struct rerr	 err;
	char		*id = NULL;
	int64_t		 since;

	rerr_init(&err);
	since = now_nano() - 1000000000LL;
	id = create_from(d, NULL, demo_body(0, NULL));
	assert_rok(docker_container_start(d, id, &err), &err);
	assert_rok(docker_container_kill(d, id, "SIGKILL", &err), &err);

	/* Replayed from before the start, ended by the callback. */
	memset(&w, 0, sizeof(w));
	w.id = id;
	assert_rok(docker_events(d, TEST_LABEL, since, 15000, ev_cb, &w, &err),
	    &err);
	assert_true(w.seen_start);
	assert_true(w.seen_die);
	assert_string_equal(w.exit_code, "137");

	/* Nothing new: the deadline ends the stream. */
	rerr_init(&err);
	assert_int_equal(docker_events(d, "roost.test=nothing-here", 0, 500,
	    ev_cb, &w, &err), ROOST_ETIMEDOUT);
	rerr_init(&err);
	assert_rok(docker_container_remove(d, id, 1, 1, &err), &err);
	free(id);
}

/* Waits up to 10 s for server's container to reach status in the cache. */
static int
cache_wait(struct dcache *c, const char *server, const char *status)
{
	const struct docker_container	*dc;
	int				 i, ok = 0;

	for (i = 0; i < 200 && !ok; i++) {
		dcache_lock(c);
		dc = dcache_find(c, server, NULL);
		if (status == NULL)
			ok = dc == NULL;
		else
			ok = dc != NULL && strcmp(dc->status, status) == 0;
		dcache_unlock(c);
		if (!ok)
			usleep(50000);
	}
	return ok;
}

/* A create body for server's container with role, and spec hash if any. */
static char *
cache_body_hash(const char *server, const char *role, const char *hash)
{
	struct docker_spec	 s;
	const char		*labels[6], *env[2];
	char			*sl, *rl = NULL, *hl = NULL, *body;
	size_t			 n = 0;

	xasprintf(&sl, "roost.server=%s", server);
	labels[n++] = TEST_LABEL;
	labels[n++] = CACHE_LABEL;
	labels[n++] = sl;
	if (role != NULL) {
		xasprintf(&rl, "roost.role=%s", role);
		labels[n++] = rl;
	}
	if (hash != NULL) {
		xasprintf(&hl, "roost.spec-hash=%s", hash);
		labels[n++] = hl;
	}
	labels[n] = NULL;
	env[0] = "STARTUP=demo-server";
	env[1] = NULL;
	memset(&s, 0, sizeof(s));
	s.image = TEST_IMAGE;
	s.env = env;
	s.labels = labels;
	body = docker_create_body(&s);
	free(sl);
	free(rl);
	free(hl);
	return body;
}

static char *
cache_body(const char *server, const char *role)
{
	return cache_body_hash(server, role, NULL);
}

/*
 * Two main containers of one server: the cache hands the worker the same
 * one the planner keeps (the desired spec hash, else the running one), so
 * removing "the others" never removes the one the planner chose.
 */
static void
test_docker__cache_primary(void **state)
{
	struct docker		*d = *state;
	struct dcache		*c;
	struct docker_container	 got;
	struct rerr		 err;
	char			*ida = NULL, *idb = NULL;

	rerr_init(&err);
	c = dcache_new(test_sock(), CACHE_LABEL);
	ida = create_from(d, run_name("gamma-a"),
	    cache_body_hash("gamma", NULL, "hash-a"));
	idb = create_from(d, run_name("gamma-b"),
	    cache_body_hash("gamma", NULL, "hash-b"));
	assert_rok(docker_container_start(d, idb, &err), &err);
	assert_rok(dcache_relist(c, &err), &err);

	assert_rok(dcache_get_primary(c, "gamma", "hash-a", &got), &err);
	assert_string_equal(got.id, ida);
	docker_container_dispose(&got);
	assert_rok(dcache_get_primary(c, "gamma", "hash-b", &got), &err);
	assert_string_equal(got.id, idb);
	docker_container_dispose(&got);
	/* No hash matches: the running one. */
	assert_rok(dcache_get_primary(c, "gamma", "other", &got), &err);
	assert_string_equal(got.id, idb);
	docker_container_dispose(&got);
	assert_rok(dcache_get_primary(c, "gamma", NULL, &got), &err);
	assert_string_equal(got.id, idb);
	docker_container_dispose(&got);
	assert_int_equal(dcache_get_primary(c, "delta", NULL, &got),
	    ROOST_ENOTFOUND);

	/* A removed container does not come back from a refresh by id. */
	assert_rok(docker_container_remove(d, idb, 1, 1, &err), &err);
	assert_rok(dcache_refresh(c, idb, &err), &err);
	assert_rok(dcache_get_primary(c, "gamma", "hash-b", &got), &err);
	assert_string_equal(got.id, ida);
	docker_container_dispose(&got);
	assert_rok(docker_container_remove(d, ida, 1, 1, &err), &err);
	dcache_free(c);
	free(ida);
	free(idb);
}

static void
test_docker__cache_relist(void **state)
{
	struct docker		*d = *state;
	struct dcache		*c;
	struct docker_container	 got;
	struct dcache_stats	 st;
	struct rerr		 err;
	char			*id1 = NULL, *id2 = NULL;
	uint64_t		 gen, calls;
	int			 i;

	rerr_init(&err);
	c = dcache_new(test_sock(), CACHE_LABEL);
	assert_rok(dcache_relist(c, &err), &err);
	dcache_lock(c);
	assert_int_equal(dcache_count(c), 0);
	dcache_unlock(c);

	/* Created behind the cache's back: only a relist sees them. */
	id1 = create_from(d, run_name("alpha"), cache_body("alpha", NULL));
	id2 = create_from(d, run_name("alpha-install"),
	    cache_body("alpha", "install"));
	gen = dcache_generation(c);
	assert_int_equal(dcache_get(c, "alpha", NULL, &got),
	    ROOST_ENOTFOUND);
	assert_rok(dcache_relist(c, &err), &err);
	assert_true(dcache_generation(c) > gen);

	assert_int_equal(dcache_get(c, "alpha", NULL, &got), 0);
	assert_string_equal(got.id, id1);
	assert_string_equal(got.status, "created");
	docker_container_dispose(&got);
	assert_rok(dcache_get(c, "alpha", "install", &got), &err);
	assert_string_equal(got.id, id2);
	docker_container_dispose(&got);

	/* Lookups alone make no engine call. */
	dcache_get_stats(c, &st);
	calls = st.engine_calls;
	assert_int_equal(st.containers, 2);
	for (i = 0; i < 1000; i++) {
		dcache_lock(c);
		assert_non_null(dcache_find(c, "alpha", NULL));
		assert_null(dcache_find(c, "beta", NULL));
		dcache_unlock(c);
	}
	dcache_get_stats(c, &st);
	assert_int_equal(st.engine_calls, calls);

	/* A refresh after roostd's own action, and one of a gone container. */
	assert_rok(docker_container_start(d, id1, &err), &err);
	assert_rok(dcache_refresh(c, id1, &err), &err);
	assert_true(cache_wait(c, "alpha", "running"));
	assert_rok(docker_container_remove(d, id1, 1, 1, &err), &err);
	assert_rok(dcache_refresh(c, id1, &err), &err);
	assert_true(cache_wait(c, "alpha", NULL));
	assert_rok(docker_container_remove(d, id2, 1, 1, &err), &err);
	dcache_free(c);
	free(id1);
	free(id2);
}

static int	notified;

static void
cache_notify(const char *server, void *arg)
{
	if (server != NULL && strcmp(server, (const char *)arg) == 0)
		notified++;
}

/*
 * Reads the engine's event log until both the kill and the die of
 * container w->id are in (the engine logs "kill" after sending the
 * signal, so it may come after "die"); keeps the later one's time.
 */
static int
kill_die_cb(const struct docker_event *ev, void *arg)
{
	struct ev_wait	*w = arg;

	if (strcmp(ev->id, w->id) != 0)
		return 0;
	if (strcmp(ev->action, "die") == 0)
		w->seen_die = 1;
	else if (strcmp(ev->action, "kill") == 0)
		w->seen_kill = 1;
	else
		return 0;
	if (ev->time_nano > w->last_time)
		w->last_time = ev->time_nano;
	return w->seen_die && w->seen_kill;
}

/*
 * Waits until the cache has handled every event the kill of container
 * id caused (read back from the engine's own event log, from since), so
 * no late event of it can still make an engine call.
 */
static void
cache_settle_after_die(struct docker *d, struct dcache *c, const char *id,
    int64_t since)
{
	struct ev_wait	w;
	struct rerr	err;
	int		i;

	memset(&w, 0, sizeof(w));
	w.id = id;
	rerr_init(&err);
	assert_rok(docker_events(d, TEST_LABEL, since, 20000, kill_die_cb, &w,
	    &err), &err);
	assert_true(w.seen_die && w.seen_kill);
	for (i = 0; i < 2000 && dcache_handled(c) < w.last_time; i++)
		usleep(10000);
	assert_true(dcache_handled(c) >= w.last_time);
}

static void
test_docker__cache_events(void **state)
{
	struct docker		*d = *state;
	struct dcache		*c;
	struct dcache_stats	 st;
	struct rerr		 err;
	char			*id = NULL;
	uint64_t		 gen, calls;
	int64_t			 before_kill;

	rerr_init(&err);
	c = dcache_new(test_sock(), CACHE_LABEL);
	dcache_set_notify(c, cache_notify, (void *)"beta");
	assert_rok(dcache_start(c, &err), &err);
	dcache_drain(c);
	gen = dcache_generation(c);

	/* The events thread sees create, start and destroy on its own. */
	id = create_from(d, run_name("beta"), cache_body("beta", NULL));
	assert_true(cache_wait(c, "beta", "created"));
	assert_rok(docker_container_start(d, id, &err), &err);
	assert_true(cache_wait(c, "beta", "running"));
	assert_true(dcache_generation(c) > gen);
	assert_true(notified > 0);
	{
		uint64_t	v;

		assert_int_equal(read(dcache_fd(c), &v, sizeof(v)),
		    (ssize_t)sizeof(v));
		assert_true(v > 0);
	}

	/* A kill shows up with its exit code. */
	before_kill = now_nano() - 1000000000LL;
	assert_rok(docker_container_kill(d, id, "SIGKILL", &err), &err);
	assert_true(cache_wait(c, "beta", "exited"));
	{
		struct docker_container	got;

		assert_rok(dcache_get(c, "beta", NULL, &got), &err);
		assert_int_equal(got.exit_code, 137);
		assert_false(got.running);
		docker_container_dispose(&got);
	}

	/*
	 * With no change, nothing is asked of the engine: once the cache
	 * has handled the kill's events (kill and die), however late they
	 * came, no engine call follows.
	 */
	cache_settle_after_die(d, c, id, before_kill);
	dcache_get_stats(c, &st);
	calls = st.engine_calls;
	usleep(300000);
	dcache_get_stats(c, &st);
	assert_int_equal(st.engine_calls, calls);
	assert_true(st.events >= 3);

	assert_rok(docker_container_remove(d, id, 1, 1, &err), &err);
	assert_true(cache_wait(c, "beta", NULL));
	dcache_stop(c);
	dcache_free(c);
	free(id);
}

static void
test_docker__tty_console(void **state)
{
	struct docker		*d = *state;
	struct docker_spec	 s;
	struct docker_attach	*a = NULL;
	struct rerr		 err;
	struct buf		 out, logs;
	const char		*labels[] = { TEST_LABEL, NULL };
	const char		*env[] = { "STARTUP=demo-server --motd {{M}}",
				    "M=tty", NULL, NULL };
	char			*id = NULL, penv[32], ready[64];
	int			 code = -1, port = unit_free_port();

	snprintf(penv, sizeof(penv), "SERVER_PORT=%d", port);
	env[2] = penv;
	snprintf(ready, sizeof(ready), "Demo server ready on port %d", port);
	rerr_init(&err);
	buf_init(&out, 0);
	buf_init(&logs, 0);
	memset(&s, 0, sizeof(s));
	s.image = TEST_IMAGE;
	s.env = env;
	s.labels = labels;
	s.open_stdin = 1;
	s.tty = 1;
	id = create_from(d, NULL, docker_create_body(&s));
	assert_rok(docker_attach_open(d, id, 1, &a, &err), &err);
	assert_rok(docker_container_start(d, id, &err), &err);
	read_until(a, &out, ready);
	assert_contains(buf_str(&out), "motd: tty");
	assert_rok(docker_attach_write(a, "say over a tty\n", 15, &err), &err);
	read_until(a, &out, "over a tty\r\nover a tty");
	assert_rok(docker_attach_write(a, "crash\n", 6, &err), &err);
	read_until(a, &out, "Demo server crashed");
	assert_rok(docker_container_wait(d, id, NULL, &code, 20000, &err),
	    &err);
	assert_int_equal(code, 1);
	docker_attach_close(a);
	/* A TTY's log is one stream without frame headers. */
	assert_rok(docker_container_logs(d, id, -1, 1, &logs, &err), &err);
	assert_contains(buf_str(&logs), "Demo server crashed");
	assert_rok(docker_container_remove(d, id, 1, 1, &err), &err);
	buf_dispose(&out);
	buf_dispose(&logs);
	free(id);
}

static void
test_docker__stop_and_rename(void **state)
{
	struct docker		*d = *state;
	struct docker_container	 c;
	struct rerr		 err;
	char			*id = NULL;
	time_t			 t0;

	rerr_init(&err);
	docker_container_remove(d, run_name("stop"), 1, 1, NULL);
	docker_container_remove(d, run_name("stop2"), 1, 1, NULL);
	id = create_from(d, run_name("stop"), demo_body(0, NULL));
	assert_rok(docker_container_start(d, id, &err), &err);
	/* Starting twice is fine. */
	assert_rok(docker_container_start(d, id, &err), &err);
	usleep(300000);

	/* SIGTERM ends the demo server cleanly, long before the timeout. */
	t0 = time(NULL);
	assert_rok(docker_container_stop(d, id, 20, &err), &err);
	assert_true(time(NULL) - t0 < 10);
	assert_rok(docker_container_inspect(d, id, &c, &err), &err);
	assert_false(c.running);
	assert_int_equal(c.exit_code, 0);
	docker_container_dispose(&c);
	/* Stopping a stopped container is fine too. */
	assert_rok(docker_container_stop(d, id, 1, &err), &err);

	assert_rok(docker_container_rename(d, id, run_name("stop2"), &err),
	    &err);
	assert_rok(docker_container_inspect(d, run_name("stop2"), &c, &err),
	    &err);
	assert_string_equal(c.id, id);
	docker_container_dispose(&c);
	assert_rok(docker_container_remove(d, id, 0, 1, &err), &err);
	free(id);
}

static void
rt_line(void *arg, const char *server, const char *cid, const char *line)
{
	(void)arg;
	(void)server;
	(void)cid;
	(void)line;
}

static void
rt_eof(void *arg, const char *server, const char *cid)
{
	(void)arg;
	(void)server;
	(void)cid;
}

struct rt_racer {
	struct runtime	*rt;
	const char	*id;
	const char	*server;
	int		 rounds;
	int		 failed;
};

/* Follows one server again and again through new attach streams. */
static void *
rt_race(void *arg)
{
	struct rt_racer		*r = arg;
	struct docker		*d = docker_new(test_sock());
	struct docker_attach	*a;
	struct rerr		 err;
	int			 i;

	for (i = 0; i < r->rounds; i++) {
		rerr_init(&err);
		if (docker_attach_open(d, r->id, 0, &a, &err) != 0) {
			r->failed++;
			continue;
		}
		runtime_follow(r->rt, r->server, r->id, a);
		if (i % 3 == 2)
			runtime_unfollow(r->rt, r->server, i % 2);
	}
	docker_free(d);
	return NULL;
}

/*
 * The console thread and its callers: following a server again waits
 * (on a condition variable) until the thread has closed the old stream,
 * as does unfollowing; four threads doing it at once on two servers,
 * with forgets in between, neither hang nor leave a stream behind.
 */
static void
test_docker__runtime_refollow(void **state)
{
	struct docker		*d = *state;
	struct runtime		*rt;
	struct rt_racer		 r[4];
	struct docker_attach	*a;
	pthread_t		 t[4];
	struct rerr		 err;
	char			*id = NULL;
	int			 i;

	rerr_init(&err);
	id = create_from(d, NULL, demo_body(0, NULL));
	assert_rok(docker_container_start(d, id, &err), &err);
	rt = runtime_new(rt_line, rt_eof, NULL);
	for (i = 0; i < 4; i++) {
		r[i].rt = rt;
		r[i].id = id;
		r[i].server = i % 2 == 0 ? "even" : "odd";
		r[i].rounds = 25;
		r[i].failed = 0;
		assert_int_equal(pthread_create(&t[i], NULL, rt_race, &r[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].failed, 0);
	}
	runtime_unfollow(rt, "even", 1);
	runtime_unfollow(rt, "odd", 0);
	assert_false(runtime_following(rt, "even", id));
	assert_false(runtime_following(rt, "odd", id));
	/* And once more after all that: the stream is followed. */
	assert_rok(docker_attach_open(d, id, 0, &a, &err), &err);
	runtime_follow(rt, "odd", id, a);
	assert_true(runtime_following(rt, "odd", id));
	runtime_free(rt);
	assert_rok(docker_container_remove(d, id, 1, 1, &err), &err);
	free(id);
}

static void
test_docker__cache_periodic_relist(void **state)
{
	struct dcache		*c;
	struct dcache_stats	 st;
	struct rerr		 err;

	rerr_init(&err);
	c = dcache_new(test_sock(), CACHE_LABEL);
	dcache_set_relist_interval(c, 1);
	assert_rok(dcache_start(c, &err), &err);
	usleep(2600000);
	dcache_get_stats(c, &st);
	/* The first relist at start, then one a second. */
	assert_true(st.relists >= 3);
	assert_int_equal(st.reconnects, 0);
	dcache_stop(c);
	dcache_free(c);
}

UNIT_MAIN(group_setup, group_teardown,
    cmocka_unit_test(test_docker__ping_version_info),
    cmocka_unit_test(test_docker__json_getters),
    cmocka_unit_test(test_docker__create_body),
    cmocka_unit_test(test_docker__lifecycle),
    cmocka_unit_test(test_docker__errors),
    cmocka_unit_test(test_docker__image_and_network),
    cmocka_unit_test(test_docker__events),
    cmocka_unit_test(test_docker__cache_relist),
    cmocka_unit_test(test_docker__cache_events),
    cmocka_unit_test(test_docker__cache_primary),
    cmocka_unit_test(test_docker__tty_console),
    cmocka_unit_test(test_docker__stop_and_rename),
    cmocka_unit_test(test_docker__cache_periodic_relist),
    cmocka_unit_test(test_docker__runtime_refollow))
