/*
 * test_recon: the reconciler against the real Docker engine. Each test
 * writes a state repository into a temporary directory (a node, server
 * files and a PTDL_v2 egg using the offline demo image), loads it with
 * state_load + state_src_dir and drives recon_pass directly, then checks
 * what a user would: phases, containers and their settings as the engine
 * reports them, ports that answer, files in the server directory and the
 * trash. Every test uses its own node name (roost.node=<node>), so
 * cleanup removes exactly what the test created.
 */
#include "unit.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"
#include "../../reconciler/docker.h"
#include "../../reconciler/recon.h"

#define DEMO_IMAGE	"roost.local/demo:1"

#define T_PORTS		8

/*
 * One test's world. Server ports in the tests are names (31101, ...) that
 * t_port maps, in order of first use, onto ports the kernel gave the node
 * (bound to port 0), so two runs on one machine never share a port;
 * server names go through SN, which adds the run's id, as container names
 * are global on the engine.
 */
struct t {
	char		 root[256];	/* temp dir */
	char		 repo[300];	/* state repository */
	char		 data[300];	/* dataDir */
	char		 node[64];
	char		 net[64];
	struct recon	*r;
	struct recon_conf conf;
	struct docker	*d;
	int		 changes;
	int		 ports[T_PORTS];	/* the node's, from the kernel */
	int		 names[T_PORTS];	/* the tests' port names */
};

/* Returns server name base with this run's id ("alpha-u1a2b"). */
static const char *
SN(const char *base)
{
	static char	ring[8][64];
	static int	next;
	char		*p = ring[next++ % 8];

	snprintf(p, sizeof(ring[0]), "%s-%s", base, unit_run_id());
	return p;
}

/* Returns a formatted string that stays valid for a few calls. */
static const char *
t_rel(const char *fmt, ...)
{
	static char	ring[8][256];
	static int	next;
	char		*p = ring[next++ % 8];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return p;
}

/* Returns the node's port that the tests' port name stands for. */
static int
t_port(struct t *t, int name)
{
	int	i;

	for (i = 0; i < T_PORTS && t->names[i] != 0; i++)
		if (t->names[i] == name)
			return t->ports[i];
	if (i == T_PORTS)
		fail_msg("more than %d ports in one test", T_PORTS);
	t->names[i] = name;
	return t->ports[i];
}

static int	test_seq;

/* The demo egg: done line, console stop, an install script. */
static const char demo_egg[] =
"{\n"
"  \"meta\": { \"version\": \"PTDL_v2\", \"update_url\": null },\n"
"  \"exported_at\": \"2026-11-25T00:00:00+00:00\",\n"
"  \"name\": \"Demo\", \"author\": \"roost@example.org\",\n"
"  \"description\": \"offline demo server\", \"features\": null,\n"
"  \"docker_images\": { \"Demo\": \"" DEMO_IMAGE "\" },\n"
"  \"file_denylist\": [],\n"
"  \"startup\": \"demo-server --motd {{MOTD}}\",\n"
"  \"config\": { \"logs\": \"{}\", \"stop\": \"stop\",\n"
"    \"files\": \"{\\\"server.properties\\\": {\\\"parser\\\": "
"\\\"properties\\\", \\\"find\\\": {\\\"server-port\\\": "
"\\\"{{server.build.default.port}}\\\", \\\"motd\\\": "
"\\\"{{server.build.env.MOTD}}\\\"}}}\",\n"
"    \"startup\": \"{\\\"done\\\": \\\"ready on port\\\"}\" },\n"
"  \"scripts\": { \"installation\": { \"container\": \"" DEMO_IMAGE "\",\n"
"    \"entrypoint\": \"ash\", \"script\": \"echo installing $MOTD\\r\\n"
"echo run >> /mnt/server/installs.txt\\r\\nexit $INSTALL_EXIT\\r\\n\" } },\n"
"  \"variables\": [\n"
"    { \"name\": \"Motd\", \"description\": \"\", \"env_variable\": \"MOTD\",\n"
"      \"default_value\": \"hello\", \"user_viewable\": true,\n"
"      \"user_editable\": true, \"rules\": \"required|string|max:64\",\n"
"      \"field_type\": \"text\" },\n"
"    { \"name\": \"Install exit\", \"description\": \"\",\n"
"      \"env_variable\": \"INSTALL_EXIT\", \"default_value\": \"0\",\n"
"      \"user_viewable\": true, \"user_editable\": true,\n"
"      \"rules\": \"required|integer\", \"field_type\": \"text\" }\n"
"  ]\n"
"}\n";

static void
on_change(void *arg, const char *server, int removed)
{
	struct t	*t = arg;

	__atomic_add_fetch(&t->changes, 1, __ATOMIC_RELAXED);
}

static void
t_write(struct t *t, const char *rel, const char *text)
{
	struct rerr	 err;
	char		*path, *dir, *slash;

	xasprintf(&path, "%s/%s", t->repo, rel);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	rerr_init(&err);
	assert_rok(util_write_atomic(path, text, strlen(text), 0644, &err),
	    &err);
	free(dir);
	free(path);
}

static void
t_unlink(struct t *t, const char *rel)
{
	char	*path;

	xasprintf(&path, "%s/%s", t->repo, rel);
	assert_int_equal(unlink(path), 0);
	free(path);
}

/*
 * Writes servers/<name>.yaml of egg (test/demo, test/hostile) with port
 * name port (t_port). extra is appended verbatim (restartedAt,
 * reinstallAt); vars is a flow map body ("MOTD: one").
 */
static void
t_server_egg(struct t *t, const char *egg, const char *name, int port,
    int memory, const char *state, const char *vars, const char *extra)
{
	char	*text, *rel;

	xasprintf(&text,
	    "apiVersion: roost/v1\n"
	    "kind: Server\n"
	    "name: %s\n"
	    "owner: \"123456789012345678\"\n"
	    "node: %s\n"
	    "egg: %s\n"
	    "state: %s\n"
	    "limits: { memory: %d, swap: 0, cpu: 100, disk: 64, io: 500, "
	    "pids: 64 }\n"
	    "ports: { default: %d }\n"
	    "variables: { %s }\n"
	    "%s",
	    name, t->node, egg, state, memory, t_port(t, port),
	    vars ? vars : "", extra ? extra : "");
	xasprintf(&rel, "servers/%s.yaml", name);
	t_write(t, rel, text);
	free(rel);
	free(text);
}

/* The same of the demo egg. */
static void
t_server(struct t *t, const char *name, int port, int memory,
    const char *state, const char *vars, const char *extra)
{
	t_server_egg(t, "test/demo", name, port, memory, state, vars, extra);
}

static void
t_init(struct t *t, int allow_empty)
{
	struct rerr	 err;
	char		*text, *root, pool[T_PORTS * 8];
	size_t		 i, n = 0;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < T_PORTS; i++) {
		t->ports[i] = unit_free_port();
		n += (size_t)snprintf(pool + n, sizeof(pool) - n, "%s%d",
		    i > 0 ? ", " : "", t->ports[i]);
	}
	assert_non_null(root = unit_tmpdir("test-recon"));
	snprintf(t->root, sizeof(t->root), "%s", root);
	free(root);
	snprintf(t->repo, sizeof(t->repo), "%s/repo", t->root);
	snprintf(t->data, sizeof(t->data), "%s/data", t->root);
	snprintf(t->node, sizeof(t->node), "trecon-%d-%d", (int)getpid(),
	    ++test_seq);
	snprintf(t->net, sizeof(t->net), "roost-trecon-%d", (int)getpid());
	t_write(t, "roost.yaml", "apiVersion: roost/v1\nkind: Deployment\n");
	xasprintf(&text,
	    "apiVersion: roost/v1\n"
	    "kind: Node\n"
	    "name: %s\n"
	    "address: 127.0.0.1\n"
	    "ports: [ %s ]\n"
	    "capacity: { memory: 8192, disk: 100000, cpu: 800 }\n"
	    "%s",
	    t->node, pool, allow_empty ? "allowEmpty: true\n" : "");
	t->conf.node = xstrdup(t->node);
	{
		char *rel;

		xasprintf(&rel, "nodes/%s.yaml", t->node);
		t_write(t, rel, text);
		free(rel);
	}
	free(text);
	t_write(t, "eggs/test/demo.json", demo_egg);

	t->conf.data_dir = t->data;
	t->conf.network = t->net;
	t->conf.stop_timeout_ms = 5000;
	t->conf.install_timeout_ms = 60000;
	t->conf.backoff_min_ms = 300;
	t->conf.backoff_max_ms = 1200;
	t->conf.crashloop_max = 3;
	t->conf.crashloop_window_ms = 120000;
	t->conf.usage_interval_ms = 1000;
	t->conf.disk_interval_ms = 1000;
	t->conf.on_change = on_change;
	t->conf.cb_arg = t;
	rerr_init(&err);
	t->r = recon_new(&t->conf, &err);
	assert_non_null(t->r);
	t->d = docker_new(NULL);
}

static void
t_restart_recon(struct t *t)
{
	struct rerr	err;

	recon_free(t->r);
	rerr_init(&err);
	t->r = recon_new(&t->conf, &err);
	assert_non_null(t->r);
}

static void
t_cleanup(struct t *t)
{
	struct rerr	 err;
	char		**ids = NULL, *label;
	size_t		 i;

	recon_free(t->r);
	xasprintf(&label, "roost.node=%s", t->node);
	rerr_init(&err);
	if (docker_container_list(t->d, label, &ids, &err) == 0) {
		for (i = 0; ids[i] != NULL; i++) {
			rerr_init(&err);
			docker_container_remove(t->d, ids[i], 1, 1, &err);
		}
		docker_strv_free(ids);
	}
	free(label);
	docker_free(t->d);
	if (unit_rmtree(t->root) != 0)
		fprintf(stderr, "# cleanup of %s failed\n", t->root);
	free((char *)t->conf.node);
}

/* Loads the repository and runs one pass; returns recon_pass's code. */
static int
t_pass(struct t *t, const char *rev)
{
	struct state_src	 src;
	struct state		*st = NULL;
	struct rerr		 err;
	int			 rc;

	state_src_dir(&src, t->repo);
	rerr_init(&err);
	assert_rok(state_load(&st, &src, NULL, NULL, &err), &err);
	rerr_init(&err);
	rc = recon_pass(t->r, st, rev, &err);
	if (rc != 0 && rc != ROOST_EDENIED)
		fail_msg("recon_pass: %s", err.msg);
	state_free(st);
	return rc;
}

static cJSON *
t_status(struct t *t, const char *name)
{
	return recon_status_tree(t->r, name);
}

static char *
t_phase(struct t *t, const char *name)
{
	cJSON	*j = t_status(t, name);
	char	*p;

	if (j == NULL)
		return xstrdup("(none)");
	xasprintf(&p, "%s: %s", json_str(j, "phase", "?"),
	    json_str(j, "message", ""));
	cJSON_Delete(j);
	return p;
}

/* Waits until name's phase is phase (ticking the reconciler). */
static void
t_wait_phase(struct t *t, const char *name, const char *phase, int secs)
{
	char	*p = NULL;
	int	 i;

	for (i = 0; i < secs * 20; i++) {
		recon_tick(t->r);
		free(p);
		p = t_phase(t, name);
		if (strncmp(p, phase, strlen(phase)) == 0 &&
		    p[strlen(phase)] == ':') {
			free(p);
			return;
		}
		usleep(50000);
	}
	{
		/* The console tail tells why (roost's own notes included). */
		struct buf	b;
		struct rerr	err;

		buf_init(&b, 0);
		rerr_init(&err);
		recon_logs(t->r, name, 30, &b, &err);
		fprintf(stderr, "# console of %s:\n%s", name, buf_str(&b));
		buf_dispose(&b);
	}
	fail_msg("%s: waited %d s for %s, phase is %s", name, secs, phase, p);
}

/*
 * The first revision, rev1: server name running on port with 128 MiB and
 * vars (or NULL), applied and waited for until it is in phase.
 */
static void
t_first(struct t *t, const char *name, int port, const char *vars,
    const char *phase)
{
	t_server(t, name, port, 128, "running", vars, NULL);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, name, phase, 60);
}

static void
t_idle(struct t *t)
{
	int	i;

	for (i = 0; i < 3; i++) {
		recon_tick(t->r);
		assert_int_equal(recon_wait_idle(t->r, 30000), 0);
		usleep(200000);
	}
}

/* Runs one pass of rev, which must succeed, and waits for its work. */
static void
t_converge(struct t *t, const char *rev)
{
	assert_int_equal(t_pass(t, rev), 0);
	t_idle(t);
}

/* Inspects roost-<name>; returns 0 or ROOST_ENOTFOUND. */
static int
t_inspect(struct t *t, const char *name, struct docker_container *c)
{
	struct rerr	 err;
	char		*cname;
	int		 rc;

	memset(c, 0, sizeof(*c));
	xasprintf(&cname, "roost-%s", name);
	rerr_init(&err);
	rc = docker_container_inspect(t->d, cname, c, &err);
	free(cname);
	if (rc != 0 && rc != ROOST_ENOTFOUND)
		fail_msg("inspect: %s", err.msg);
	return rc;
}

/* GETs path from 127.0.0.1:port; returns the body or NULL. */
static char *
t_http_get(int port, const char *path)
{
	struct sockaddr_in	 sin;
	struct buf		 b;
	char			 req[256], chunk[4096], *body;
	ssize_t			 n;
	int			 fd, i;

	for (i = 0; i < 50; i++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd == -1)
		return NULL;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n",
	    path);
	if (write(fd, req, strlen(req)) < 0) {
		close(fd);
		return NULL;
	}
	buf_init(&b, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (b.data == NULL || strstr(b.data, "\r\n\r\n") == NULL) {
		buf_dispose(&b);
		return NULL;
	}
	body = xstrdup(strstr(b.data, "\r\n\r\n") + 4);
	buf_dispose(&b);
	return body;
}

/* The docker CLI's answer for a --format template, or NULL. */
static char *
t_docker_format(const char *ref, const char *fmt)
{
	struct buf	 out;
	char		*cmd, line[4096];
	FILE		*fp;
	int		 st;

	xasprintf(&cmd, "docker inspect --format '%s' %s 2>/dev/null", fmt,
	    ref);
	fp = popen(cmd, "r");
	free(cmd);
	assert_non_null(fp);
	buf_init(&out, 0);
	while (fgets(line, sizeof(line), fp) != NULL)
		buf_puts(&out, line);
	st = pclose(fp);
	if (st != 0) {
		buf_dispose(&out);
		return NULL;
	}
	return buf_detach(&out);
}

static int
t_has_env(const struct docker_container *c, struct t *t, const char *kv)
{
	char	*env;
	int	 hit;

	/* docker.h does not expose Config.Env: ask the CLI. */
	env = t_docker_format(c->id,
	    "{{range .Config.Env}}{{println .}}{{end}}");
	hit = env != NULL && strstr(env, kv) != NULL;
	free(env);
	return hit;
}

/* Creates an empty file. */
static void
fd_put(const char *path)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

static char *
t_read(const char *path)
{
	struct buf	b;
	struct rerr	err;

	buf_init(&b, 0);
	rerr_init(&err);
	if (util_read_file(path, &b, &err) != 0) {
		buf_dispose(&b);
		return NULL;
	}
	return buf_detach(&b);
}

static void
test_recon__create_running_and_noop(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	struct stat		 sb;
	cJSON			*j;
	char			*body, *path;
	uint64_t		 writes;
	int			 changes;

	t_first(t, SN("alpha"), 31101, "MOTD: first", "Running");

	/* The port answers with the file the install script wrote. */
	body = t_http_get(t_port(t, 31101), "/installs.txt");
	assert_non_null(body);
	assert_string_equal(body, "run\n");
	free(body);
	body = t_http_get(t_port(t, 31101), "/motd.txt");
	assert_non_null(body);
	assert_string_equal(body, "first\n");
	free(body);
	/* The egg's config file was written before the start. */
	body = t_http_get(t_port(t, 31101), "/server.properties");
	assert_non_null(body);
	assert_contains(body, t_rel("server-port=%d", t_port(t, 31101)));
	assert_contains(body, "motd=first");
	free(body);

	/* Status as documented. */
	j = t_status(t, SN("alpha"));
	assert_non_null(j);
	assert_true(json_bool(j, "ready", 0));
	assert_string_equal(json_str(j, "reason", ""), "Succeeded");
	assert_string_equal(json_str(j, "observedRevision", ""), "rev1");
	assert_string_equal(json_str(j, "appliedRevision", ""), "rev1");
	assert_string_equal(json_str(j, "install.result", ""), "succeeded");
	assert_int_equal(json_int64(j, "install.exitCode", -1), 0);
	assert_contains(json_str(j, "install.logTail", ""), "installing first");
	assert_int_equal(json_int64(j, "ports.0", 0), t_port(t, 31101));
	assert_string_equal(json_str(j, "container.state", ""), "running");

	/* The container as the engine has it. */
	assert_int_equal(t_inspect(t, SN("alpha"), &c), 0);
	assert_string_equal(docker_container_label(&c, "roost.spec-hash"),
	    json_str(j, "specHash", "?"));
	assert_string_equal(docker_container_label(&c, "roost.node"), t->node);
	assert_string_equal(docker_container_label(&c, "roost.revision"),
	    "rev1");
	assert_true(c.readonly_rootfs);
	assert_int_equal(c.limits.pids_limit, 64);
	assert_int_equal(c.limits.memory, (int64_t)(128.0 * 1048576 * 1.15 +
	    0.5));
	assert_int_equal(c.limits.cpu_quota, 100000);
	assert_true(t_has_env(&c, t, t_rel("SERVER_PORT=%d",
	    t_port(t, 31101))));
	assert_true(t_has_env(&c, t, "MOTD=first"));
	assert_true(t_has_env(&c, t,
	    "STARTUP=demo-server --motd {{MOTD}}"));
	docker_container_dispose(&c);
	cJSON_Delete(j);

	/* The server directory belongs to the container user. */
	xasprintf(&path, "%s/volumes/%s", t->data, SN("alpha"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 999);
	free(path);

	/* A second pass over the converged node writes nothing. */
	t_idle(t);
	writes = recon_engine_writes(t->r);
	changes = t->changes;
	t_converge(t, "rev2");
	assert_int_equal(recon_engine_writes(t->r), writes);
	j = t_status(t, SN("alpha"));
	assert_string_equal(json_str(j, "phase", ""), "Running");
	cJSON_Delete(j);
	(void)changes;

	/* A fresh reconciler adopts without a restart or a write. */
	assert_int_equal(t_inspect(t, SN("alpha"), &c), 0);
	body = xstrdup(c.started_at);
	docker_container_dispose(&c);
	t_restart_recon(t);
	assert_int_equal(t_pass(t, "rev2"), 0);
	t_wait_phase(t, SN("alpha"), "Running", 20);
	t_idle(t);
	assert_int_equal(recon_engine_writes(t->r), 0);
	assert_int_equal(t_inspect(t, SN("alpha"), &c), 0);
	assert_string_equal(c.started_at, body);
	docker_container_dispose(&c);
	free(body);
}

static void
test_recon__limits_live_and_recreate(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	char			*id, *started;
	int64_t			 mem;

	t_first(t, SN("beta"), 31111, "MOTD: one", "Running");
	assert_int_equal(t_inspect(t, SN("beta"), &c), 0);
	id = xstrdup(c.id);
	started = xstrdup(c.started_at);
	mem = c.limits.memory;
	docker_container_dispose(&c);

	/* Memory only: updated in place. */
	t_server(t, SN("beta"), 31111, 256, "running", "MOTD: one", NULL);
	t_converge(t, "rev2");
	t_wait_phase(t, SN("beta"), "Running", 20);
	assert_int_equal(t_inspect(t, SN("beta"), &c), 0);
	assert_string_equal(c.id, id);
	assert_string_equal(c.started_at, started);
	assert_true(c.running);
	assert_int_equal(c.limits.memory, (int64_t)(256.0 * 1048576 * 1.15 +
	    0.5));
	assert_true(c.limits.memory > mem);
	docker_container_dispose(&c);

	/* A variable: a new container with the new value. */
	t_server(t, SN("beta"), 31111, 256, "running", "MOTD: two", NULL);
	t_converge(t, "rev3");
	t_wait_phase(t, SN("beta"), "Running", 60);
	assert_int_equal(t_inspect(t, SN("beta"), &c), 0);
	assert_string_not_equal(c.id, id);
	assert_true(t_has_env(&c, t, "MOTD=two"));
	docker_container_dispose(&c);
	{
		char *body = t_http_get(t_port(t, 31111), "/motd.txt");

		assert_non_null(body);
		assert_string_equal(body, "two\n");
		free(body);
	}

	/* A port: recreated on the new port. */
	t_server(t, SN("beta"), 31112, 256, "running", "MOTD: two", NULL);
	t_converge(t, "rev4");
	t_wait_phase(t, SN("beta"), "Running", 60);
	{
		char *body = t_http_get(t_port(t, 31112), "/motd.txt");

		assert_non_null(body);
		free(body);
	}
	free(id);
	free(started);
}

static void
test_recon__stop_start_restart_once(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	char			*started;

	t_first(t, SN("gamma"), 31121, NULL, "Running");

	t_server(t, SN("gamma"), 31121, 128, "stopped", NULL, NULL);
	assert_int_equal(t_pass(t, "rev2"), 0);
	t_wait_phase(t, SN("gamma"), "Stopped", 30);
	assert_int_equal(t_inspect(t, SN("gamma"), &c), 0);
	assert_false(c.running);
	/* The console "stop" command ended it cleanly, not a SIGKILL. */
	assert_int_equal(c.exit_code, 0);
	docker_container_dispose(&c);
	{
		cJSON *j = t_status(t, SN("gamma"));

		assert_true(json_bool(j, "ready", 0));
		cJSON_Delete(j);
	}

	t_server(t, SN("gamma"), 31121, 128, "running", NULL, NULL);
	assert_int_equal(t_pass(t, "rev3"), 0);
	t_wait_phase(t, SN("gamma"), "Running", 30);
	assert_int_equal(t_inspect(t, SN("gamma"), &c), 0);
	started = xstrdup(c.started_at);
	docker_container_dispose(&c);

	/* restartedAt: restarted once. */
	t_server(t, SN("gamma"), 31121, 128, "running", NULL,
	    "restartedAt: \"2026-11-25T10:00:00Z\"\n");
	t_converge(t, "rev4");
	t_wait_phase(t, SN("gamma"), "Running", 60);
	assert_int_equal(t_inspect(t, SN("gamma"), &c), 0);
	assert_string_not_equal(c.started_at, started);
	assert_string_equal(docker_container_label(&c, "roost.restarted-at"),
	    "2026-11-25T10:00:00Z");
	free(started);
	started = xstrdup(c.started_at);
	docker_container_dispose(&c);

	/* Not again: neither on the next pass nor after a roostd restart. */
	t_converge(t, "rev5");
	t_restart_recon(t);
	t_converge(t, "rev5");
	t_wait_phase(t, SN("gamma"), "Running", 20);
	assert_int_equal(t_inspect(t, SN("gamma"), &c), 0);
	assert_string_equal(c.started_at, started);
	docker_container_dispose(&c);
	free(started);
}

static void
test_recon__reinstall_once(void **state)
{
	struct t		*t = *state;
	char		*path, *text;

	t_first(t, SN("delta"), 31131, NULL, "Running");
	xasprintf(&path, "%s/volumes/%s/installs.txt", t->data,
	    SN("delta"));
	text = t_read(path);
	assert_string_equal(text, "run\n");
	free(text);

	t_server(t, SN("delta"), 31131, 128, "running", NULL,
	    "reinstallAt: \"2026-11-25T11:00:00Z\"\n");
	assert_int_equal(t_pass(t, "rev2"), 0);
	t_wait_phase(t, SN("delta"), "Installing", 30);
	t_wait_phase(t, SN("delta"), "Running", 60);
	text = t_read(path);
	assert_string_equal(text, "run\nrun\n");
	free(text);

	t_restart_recon(t);
	t_converge(t, "rev3");
	t_wait_phase(t, SN("delta"), "Running", 20);
	text = t_read(path);
	assert_string_equal(text, "run\nrun\n");
	free(text);
	free(path);
}

static void
test_recon__install_failure(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	cJSON			*j;

	t_first(t, SN("eps"), 31141, "INSTALL_EXIT: 3", "InstallFailed");
	j = t_status(t, SN("eps"));
	assert_int_equal(json_int64(j, "install.exitCode", 0), 3);
	assert_string_equal(json_str(j, "install.result", ""), "failed");
	assert_contains(json_str(j, "install.logTail", ""), "installing hello");
	assert_contains(json_str(j, "message", ""), "exit code 3");
	assert_false(json_bool(j, "ready", 1));
	cJSON_Delete(j);
	t_idle(t);
	assert_int_equal(t_inspect(t, SN("eps"), &c), ROOST_ENOTFOUND);

	/* Fixed variable: a new spec retries the install. */
	t_server(t, SN("eps"), 31141, 128, "running", "INSTALL_EXIT: 0", NULL);
	assert_int_equal(t_pass(t, "rev2"), 0);
	t_wait_phase(t, SN("eps"), "Running", 60);
}

static void
test_recon__delete_to_trash(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	char			*cmd, *path, *text;
	FILE			*fp;
	char			 line[512];

	t_server(t, SN("keep"), 31151, 128, "running", NULL, NULL);
	t_server(t, SN("gone"), 31152, 128, "running", NULL, NULL);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, SN("keep"), "Running", 60);
	t_wait_phase(t, SN("gone"), "Running", 60);

	t_unlink(t, t_rel("servers/%s.yaml", SN("gone")));
	t_converge(t, "rev2");
	assert_int_equal(t_inspect(t, SN("gone"), &c), ROOST_ENOTFOUND);
	assert_null(t_status(t, SN("gone")));
	t_wait_phase(t, SN("keep"), "Running", 10);

	xasprintf(&cmd, "ls %s/trash", t->data);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	pclose(fp);
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strncmp(line, SN("gone"), strlen(SN("gone"))), 0);
	assert_int_equal(line[strlen(SN("gone"))], '-');
	xasprintf(&path, "%s/trash/%s/installs.txt", t->data, line);
	text = t_read(path);
	assert_string_equal(text, "run\n");
	free(text);
	free(path);
	free(cmd);
}

static void
test_recon__invalid_file_isolated(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	char			*id, *text;
	cJSON			*j;

	t_server(t, SN("good"), 31161, 128, "running", "MOTD: one", NULL);
	t_server(t, SN("bad"), 31162, 128, "running", "MOTD: one", NULL);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, SN("good"), "Running", 60);
	t_wait_phase(t, SN("bad"), "Running", 60);
	assert_int_equal(t_inspect(t, SN("bad"), &c), 0);
	id = xstrdup(c.id);
	docker_container_dispose(&c);

	/* bad gets a broken limit and a new variable; good a new variable. */
	xasprintf(&text, "apiVersion: roost/v1\nkind: Server\nname: %s\n"
	    "owner: \"123456789012345678\"\nnode: x\negg: test/demo\n"
	    "state: running\nlimits: { memory: lots }\n"
	    "ports: { default: %d }\nvariables: { MOTD: two }\n", SN("bad"),
	    t_port(t, 31162));
	t_write(t, t_rel("servers/%s.yaml", SN("bad")), text);
	free(text);
	t_server(t, SN("good"), 31161, 128, "running", "MOTD: two", NULL);
	t_converge(t, "rev2");
	t_wait_phase(t, SN("good"), "Running", 60);
	t_wait_phase(t, SN("bad"), "Invalid", 10);
	j = t_status(t, SN("bad"));
	assert_contains(json_str(j, "message", ""),
	    t_rel("servers/%s.yaml", SN("bad")));
	assert_string_equal(json_str(j, "container.state", ""), "running");
	cJSON_Delete(j);
	assert_int_equal(t_inspect(t, SN("bad"), &c), 0);
	assert_string_equal(c.id, id);
	assert_true(c.running);
	assert_true(t_has_env(&c, t, "MOTD=one"));
	docker_container_dispose(&c);
	assert_int_equal(t_inspect(t, SN("good"), &c), 0);
	assert_true(t_has_env(&c, t, "MOTD=two"));
	docker_container_dispose(&c);

	/* After a roostd restart the broken file still prunes nothing. */
	t_restart_recon(t);
	t_converge(t, "rev3");
	t_wait_phase(t, SN("bad"), "Invalid", 10);
	assert_int_equal(t_inspect(t, SN("bad"), &c), 0);
	assert_string_equal(c.id, id);
	docker_container_dispose(&c);
	free(id);
}

static void
test_recon__empty_revision_refused(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	cJSON			*j;

	t_first(t, SN("only"), 31171, NULL, "Running");

	t_unlink(t, t_rel("servers/%s.yaml", SN("only")));
	assert_int_equal(t_pass(t, "rev2"), ROOST_EDENIED);
	t_idle(t);
	assert_int_equal(t_inspect(t, SN("only"), &c), 0);
	assert_true(c.running);
	docker_container_dispose(&c);
	j = t_status(t, NULL);
	assert_contains(json_str(j, "node.refused", ""), "every server");
	cJSON_Delete(j);

	/* With allowEmpty the same revision is applied. */
	t->conf.allow_empty = 1;
	t_restart_recon(t);
	t_converge(t, "rev2");
	assert_int_equal(t_inspect(t, SN("only"), &c), ROOST_ENOTFOUND);
}

static void
test_recon__drift_healed(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	struct rerr		 err;
	char			*id;

	t_first(t, SN("drift"), 31181, NULL, "Running");
	assert_int_equal(t_inspect(t, SN("drift"), &c), 0);
	id = xstrdup(c.id);
	docker_container_dispose(&c);

	/* Removed behind roost's back: created again. */
	rerr_init(&err);
	assert_rok(docker_container_remove(t->d, id, 1, 1, &err), &err);
	sleep(1);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, SN("drift"), "Running", 60);
	assert_int_equal(t_inspect(t, SN("drift"), &c), 0);
	assert_string_not_equal(c.id, id);
	free(id);
	id = xstrdup(c.id);
	docker_container_dispose(&c);

	/* Stopped behind roost's back: started again, no pass needed. */
	rerr_init(&err);
	assert_rok(docker_container_stop(t->d, id, 5, &err), &err);
	sleep(1);
	t_wait_phase(t, SN("drift"), "Running", 30);
	assert_int_equal(t_inspect(t, SN("drift"), &c), 0);
	assert_string_equal(c.id, id);
	assert_true(c.running);
	docker_container_dispose(&c);
	free(id);

	/* A stale container under the name (another spec): replaced. */
	t_restart_recon(t);
	rerr_init(&err);
	assert_rok(docker_container_remove(t->d, t_rel("roost-%s",
	    SN("drift")), 1, 1, &err), &err);
	{
		char *cmd;

		xasprintf(&cmd, "docker create -q --name roost-%s --label "
		    "roost.managed=true --label roost.node=%s --label "
		    "roost.server=%s --label roost.role=server "
		    DEMO_IMAGE " >/dev/null", SN("drift"), t->node,
		    SN("drift"));
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	sleep(1);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, SN("drift"), "Running", 60);
	assert_int_equal(t_inspect(t, SN("drift"), &c), 0);
	assert_non_null(docker_container_label(&c, "roost.spec-hash"));
	docker_container_dispose(&c);
}

/*
 * A container under a server's name that is not this node's (a person's
 * own, or another node's on a shared engine) is never removed: the
 * server fails with a message saying whose it is, and once the name is
 * free the server is created.
 */
static void
test_recon__foreign_namesake_kept(void **state)
{
	struct t		*t = *state;
	struct docker_container	 c;
	struct rerr		 err;
	char			*cmd, *p;

	xasprintf(&cmd, "docker rm -f roost-%s >/dev/null 2>&1; "
	    "docker create -q --name roost-%s --label "
	    "roost.node=%s-other --label roost.server=%s " DEMO_IMAGE
	    " >/dev/null", SN("alien"), SN("alien"), t->node, SN("alien"));
	assert_int_equal(system(cmd), 0);
	free(cmd);
	t_first(t, SN("alien"), 31183, NULL, "Failed");
	p = t_phase(t, SN("alien"));
	assert_non_null(strstr(p, "belongs to roost node"));
	assert_non_null(strstr(p, "-other'"));
	free(p);
	/* Still there, untouched. */
	memset(&c, 0, sizeof(c));
	rerr_init(&err);
	assert_rok(docker_container_inspect(t->d, t_rel("roost-%s",
	    SN("alien")), &c, &err),
	    &err);
	xasprintf(&p, "%s-other", t->node);
	assert_non_null(docker_container_label(&c, "roost.node"));
	assert_string_equal(docker_container_label(&c, "roost.node"), p);
	free(p);
	docker_container_dispose(&c);

	/* The owner removes it: the next retry creates the server. */
	rerr_init(&err);
	assert_rok(docker_container_remove(t->d, t_rel("roost-%s",
	    SN("alien")), 1, 1, &err),
	    &err);
	t_wait_phase(t, SN("alien"), "Running", 90);
}

static void
test_recon__crash_loop(void **state)
{
	struct t		*t = *state;
	struct rerr	 err;
	cJSON		*j;
	int		 i;

	t_server(t, SN("crashy"), 31191, 128, "running", NULL, NULL);
	assert_int_equal(t_pass(t, "rev1"), 0);
	for (i = 0; i < 3; i++) {
		t_wait_phase(t, SN("crashy"), "Running", 60);
		rerr_init(&err);
		assert_rok(recon_command(t->r, SN("crashy"), "crash", &err), &err);
		if (i < 2)
			t_wait_phase(t, SN("crashy"), "Crashed", 10);
	}
	t_wait_phase(t, SN("crashy"), "CrashLoop", 30);
	j = t_status(t, SN("crashy"));
	assert_int_equal(json_int64(j, "container.exitCode", 0), 1);
	assert_int_equal(json_int64(j, "container.restarts", 0), 3);
	assert_contains(json_str(j, "message", ""), "crashed 3 times");
	cJSON_Delete(j);
	/* It stays down... */
	sleep(2);
	recon_tick(t->r);
	t_wait_phase(t, SN("crashy"), "CrashLoop", 1);

	/* ...until a restart is requested. */
	t_server(t, SN("crashy"), 31191, 128, "running", NULL,
	    "restartedAt: \"2026-11-25T12:00:00Z\"\n");
	assert_int_equal(t_pass(t, "rev2"), 0);
	t_wait_phase(t, SN("crashy"), "Running", 60);
}

static void
test_recon__logs(void **state)
{
	struct t		*t = *state;
	struct buf	 b;
	struct rerr	 err;

	t_first(t, SN("talk"), 31195, NULL, "Running");
	rerr_init(&err);
	assert_rok(recon_command(t->r, SN("talk"), "say roost was here", &err),
	    &err);
	usleep(500000);
	buf_init(&b, 0);
	rerr_init(&err);
	assert_rok(recon_logs(t->r, SN("talk"), 0, &b, &err), &err);
	assert_contains(buf_str(&b), t_rel("Demo server ready on port %d",
	    t_port(t, 31195)));
	assert_contains(buf_str(&b), "roost was here");
	buf_dispose(&b);
	rerr_init(&err);
	assert_int_equal(recon_logs(t->r, "nosuch", 0, &b, &err),
	    ROOST_ENOTFOUND);
}

static void
test_recon__disk_limit_and_usage(void **state)
{
	struct t	*t = *state;
	cJSON		*j;
	char		*path;
	int		 i;

	t_first(t, SN("disk"), 31197, NULL, "Running");

	/* Usage is sampled while it runs. */
	for (i = 0; i < 100; i++) {
		j = t_status(t, SN("disk"));
		if (json_str(j, "usage.sampledAt", NULL) != NULL)
			break;
		cJSON_Delete(j);
		j = NULL;
		usleep(100000);
	}
	assert_non_null(j);
	assert_true(json_int64(j, "usage.memoryBytes", 0) > 0);
	assert_int_equal(json_int64(j, "usage.diskLimitBytes", 0),
	    64LL * 1048576);
	cJSON_Delete(j);

	/* 70 MiB (written, not a hole) in a 64 MiB server: stopped. */
	xasprintf(&path, "%s/volumes/%s/big.bin", t->data, SN("disk"));
	{
		char	buf[65536];
		int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		assert_true(fd >= 0);
		memset(buf, 'd', sizeof(buf));
		for (i = 0; i < 70 * 16; i++)
			assert_int_equal(write(fd, buf, sizeof(buf)),
			    (ssize_t)sizeof(buf));
		close(fd);
	}
	t_wait_phase(t, SN("disk"), "Stopped", 30);
	j = t_status(t, SN("disk"));
	assert_string_equal(json_str(j, "reason", ""), "DiskLimitExceeded");
	assert_contains(json_str(j, "message", ""), "over the limit");
	assert_true(json_int64(j, "usage.diskBytes", 0) > 64LL * 1048576);
	cJSON_Delete(j);

	/* Space freed: it runs again. */
	assert_int_equal(unlink(path), 0);
	t_wait_phase(t, SN("disk"), "Running", 60);
	free(path);
}

/*
 * An egg whose install script leaves a FIFO and tries a device node; it
 * waits for a "go" file so the test can look at the running installer
 * and add, as root, what a root install script would leave (the demo
 * image's installer runs as its user 999): a socket, a device, root-owned
 * files deep down.
 */
static const char hostile_egg[] =
"apiVersion: roost/v1\n"
"kind: Egg\n"
"name: Hostile\n"
"images:\n"
"  - { label: Demo, ref: \"" DEMO_IMAGE "\" }\n"
"startup: demo-server --motd hi\n"
"stop: stop\n"
"done: [ \"ready on port\" ]\n"
"install:\n"
"  image: \"" DEMO_IMAGE "\"\n"
"  entrypoint: ash\n"
"  script: |\n"
"    cd /mnt/server\n"
"    mkfifo fifo\n"
"    if mknod null c 1 3 2>/dev/null; then echo mknod-allowed;\n"
"    else echo mknod-refused; fi\n"
"    while [ ! -e go ]; do sleep 0.1; done\n"
"    [ -S sock ] && [ -p fifo ] && echo left-fifo-and-socket\n"
"    [ -c dev ] && echo left-a-device\n"
"    exit $INSTALL_EXIT\n"
"variables:\n"
"  - env: INSTALL_EXIT\n"
"    name: Install exit\n"
"    default: \"0\"\n"
"    viewable: true\n"
"    editable: true\n"
"    rules: [required, integer]\n";

/* Writes a server of egg test/hostile that exits with code after install. */
static void
t_hostile(struct t *t, const char *name, int code)
{
	static int	 seq;	/* port names, one per server */
	char		 vars[64];

	snprintf(vars, sizeof(vars), "INSTALL_EXIT: \"%d\"", code);
	t_server_egg(t, "test/hostile", name, 39000 + ++seq, 128, "running",
	    vars, NULL);
}

/*
 * Waits until the volume of name exists (its installer started), then
 * puts in it a socket, a character device and root-owned directories and
 * file, as a root install script would.
 */
static void
t_leave_root_things(struct t *t, const char *name)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	char			*vol, *p;
	int			 fd, i;

	xasprintf(&vol, "%s/volumes/%s", t->data, name);
	for (i = 0; i < 600 && stat(vol, &sb) == -1; i++) {
		recon_tick(t->r);
		usleep(50000);
	}
	assert_int_equal(stat(vol, &sb), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", vol);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	if (geteuid() == 0) {
		xasprintf(&p, "%s/dev", vol);
		assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
		free(p);
	}
	xasprintf(&p, "%s/a/b/c", vol);
	assert_int_equal(util_mkdir_p(p, 0755), 0);
	free(p);
	xasprintf(&p, "%s/a/b/c/root-file", vol);
	fd_put(p);
	free(p);
	free(vol);
}

/* Asserts nothing special is left in a volume and all is uid 999's. */
static void
t_assert_tidy(struct t *t, const char *name)
{
	struct stat	 sb;
	char		*p;
	const char	*gone[] = { "fifo", "sock", "null", "dev" };
	const char	*owned[] = { "", "a", "a/b/c", "a/b/c/root-file" };
	size_t		 i;

	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		xasprintf(&p, "%s/volumes/%s/%s", t->data, name, gone[i]);
		if (lstat(p, &sb) == 0)
			fail_msg("%s is still there (mode %o)", p,
			    (unsigned)sb.st_mode);
		free(p);
	}
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		xasprintf(&p, "%s/volumes/%s/%s", t->data, name, owned[i]);
		assert_int_equal(lstat(p, &sb), 0);
		if (geteuid() == 0 && (sb.st_uid != 999 || sb.st_gid != 999))
			fail_msg("%s belongs to %d:%d", p, (int)sb.st_uid,
			    (int)sb.st_gid);
		free(p);
	}
}

/*
 * The installer is hardened (no mknod, no raw sockets, a pids limit), and
 * after an install, succeeded or failed, the server directory holds no
 * FIFO, socket or device and everything in it belongs to the server user.
 */
static void
test_recon__installer_hardened(void **state)
{
	struct t	*t = *state;
	cJSON		*j;
	char		*host, *p;
	int		 i;

	t_write(t, "eggs/test/hostile.yaml", hostile_egg);
	t_hostile(t, SN("hard-ok"), 0);
	t_hostile(t, SN("hard-bad"), 3);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, SN("hard-ok"), "Installing", 60);
	host = NULL;
	for (i = 0; i < 200 && host == NULL; i++) {
		recon_tick(t->r);
		host = t_docker_format(t_rel("roost-%s-install", SN("hard-ok")),
		    "{{json .HostConfig.CapDrop}} pids={{.HostConfig.PidsLimit}}");
		if (host == NULL)
			usleep(50000);
	}
	assert_non_null(host);
	for (p = host; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_contains_all(host, "MKNOD", "NET_RAW", "PIDS=");
	assert_null(strstr(host, "PIDS=0"));
	assert_null(strstr(host, "PIDS=<NIL>"));
	free(host);
	/* Leave what a root script would, then let both scripts finish. */
	for (i = 0; i < 2; i++) {
		const char *name = i ? SN("hard-bad") : SN("hard-ok");

		t_leave_root_things(t, name);
		xasprintf(&p, "%s/volumes/%s/go", t->data, name);
		fd_put(p);
		free(p);
	}
	t_wait_phase(t, SN("hard-ok"), "Running", 60);
	t_wait_phase(t, SN("hard-bad"), "InstallFailed", 60);
	j = t_status(t, SN("hard-ok"));
	assert_contains(json_str(j, "install.logTail", ""),
	    "left-fifo-and-socket");
	assert_contains(json_str(j, "install.logTail", ""), "mknod-refused");
	if (geteuid() == 0)
		assert_contains(json_str(j, "install.logTail", ""),
		    "left-a-device");
	cJSON_Delete(j);
	j = t_status(t, SN("hard-bad"));
	assert_contains(json_str(j, "install.logTail", ""),
	    "left-fifo-and-socket");
	cJSON_Delete(j);
	t_assert_tidy(t, SN("hard-ok"));
	t_assert_tidy(t, SN("hard-bad"));
}

/*
 * What an earlier installer (or anyone) planted in the install directory
 * is never written through: links at the script's temporary names and at
 * install.sh, and the directory itself replaced by a link.
 */
static void
test_recon__install_dir_planted(void **state)
{
	struct t	*t = *state;
	struct stat	 sb;
	char		*keep, *outside, *dir, *p, *q, a[64], b[64];

	/* names of this run: another run's reconciler may hold plant-a */
	snprintf(a, sizeof(a), "%s", SN("plant-a"));
	snprintf(b, sizeof(b), "%s", SN("plant-b"));

	xasprintf(&keep, "%s/outside", t->root);
	assert_int_equal(mkdir(keep, 0755), 0);
	xasprintf(&outside, "%s/precious", keep);
	fd_put(outside);
	xasprintf(&dir, "%s/tmp/install-%s", t->data, a);
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	xasprintf(&p, "%s/install.sh.tmp.%ld", dir, (long)getpid());
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	xasprintf(&p, "%s/.install.sh.tmp.%ld", dir, (long)getpid());
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	xasprintf(&p, "%s/install.sh", dir);
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	free(dir);
	xasprintf(&dir, "%s/tmp/install-%s", t->data, b);
	assert_int_equal(symlink(keep, dir), 0);
	free(dir);

	t_server(t, a, 31211, 128, "running", NULL, NULL);
	t_server(t, b, 31212, 128, "running", NULL, NULL);
	assert_int_equal(t_pass(t, "rev1"), 0);
	t_wait_phase(t, a, "Running", 60);
	t_wait_phase(t, b, "Running", 60);
	assert_int_equal(stat(outside, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	xasprintf(&q, "%s/install.sh", keep);
	assert_int_equal(lstat(q, &sb), -1);
	free(q);
	/* The installs ran (the script wrote its line). */
	xasprintf(&q, "%s/volumes/%s/installs.txt", t->data, b);
	p = t_read(q);
	assert_non_null(p);
	assert_string_equal(p, "run\n");
	free(p);
	free(q);
	free(outside);
	free(keep);
}

/*
 * roostd killed with SIGKILL at random points while converging: a new
 * reconciler ends with exactly one running container per server and no
 * installer left behind.
 */
static void
test_recon__kill9_converges(void **state)
{
	struct t	*t = *state;
	struct rerr	 err;
	char		*label, **ids = NULL, name[32];
	pid_t		 pid;
	int		 round, i, n, ms;
	unsigned	 seed = (unsigned)getpid();

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "k%d-%s", i, unit_run_id());
		t_server(t, name, 31140 + i, 96, "running", NULL, NULL);
	}
	recon_free(t->r);
	t->r = NULL;
	for (round = 0; round < 4; round++) {
		if ((pid = fork()) == 0) {
			rerr_init(&err);
			t->r = recon_new(&t->conf, &err);
			t_pass(t, "rev1");
			for (;;) {
				recon_tick(t->r);
				usleep(50000);
			}
		}
		ms = 300 + (int)(rand_r(&seed) % 2500);
		usleep((useconds_t)ms * 1000);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (round == 1)
			for (i = 0; i < 4; i++) {
				snprintf(name, sizeof(name), "k%d-%s", i, unit_run_id());
				t_server(t, name, 31140 + i, 96, "running",
				    "MOTD: changed", NULL);
			}
	}
	rerr_init(&err);
	t->r = recon_new(&t->conf, &err);
	assert_non_null(t->r);
	assert_int_equal(t_pass(t, "rev2"), 0);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "k%d-%s", i, unit_run_id());
		t_wait_phase(t, name, "Running", 90);
	}
	t_idle(t);
	xasprintf(&label, "roost.node=%s", t->node);
	rerr_init(&err);
	assert_rok(docker_container_list(t->d, label, &ids, &err), &err);
	for (n = 0; ids[n] != NULL; n++)
		;
	assert_int_equal(n, 4);
	docker_strv_free(ids);
	free(label);
	for (i = 0; i < 4; i++) {
		struct docker_container c;

		snprintf(name, sizeof(name), "k%d-%s", i, unit_run_id());
		assert_int_equal(t_inspect(t, name, &c), 0);
		assert_true(c.running);
		assert_true(t_has_env(&c, t, "MOTD=changed"));
		docker_container_dispose(&c);
	}
}

static int
t_setup(void **state)
{
	struct t	*t = xcalloc(1, sizeof(*t));

	t_init(t, 0);
	*state = t;
	return 0;
}

static int
t_teardown(void **state)
{
	struct t	*t = *state;

	t_cleanup(t);
	free(t);
	return 0;
}

static int
group_setup(void **state)
{
	struct docker	*d = docker_new(NULL);
	struct rerr	 err;
	struct docker_image img;
	int		 rc;

	rerr_init(&err);
	memset(&img, 0, sizeof(img));
	rc = docker_image_inspect(d, DEMO_IMAGE, &img, &err);
	if (rc == 0)
		docker_image_dispose(&img);
	docker_free(d);
	if (rc != 0) {
		fprintf(stderr, "# the demo image is missing "
		    "(scripts/demo-image.sh): %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* Removes the tests' network once every container has left it. */
static int
group_teardown(void **state)
{
	struct docker	*d = docker_new(NULL);
	struct rerr	 err;
	char		 net[64];
	int		 i, rc = -1;

	snprintf(net, sizeof(net), "roost-trecon-%d", (int)getpid());
	for (i = 0; i < 50 && rc != 0 && rc != ROOST_ENOTFOUND; i++) {
		if (i > 0)
			usleep(200000);
		rerr_init(&err);
		rc = docker_network_remove(d, net, &err);
	}
	docker_free(d);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_recon__create_running_and_noop,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__limits_live_and_recreate,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__stop_start_restart_once,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__reinstall_once,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__install_failure,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__delete_to_trash,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__invalid_file_isolated,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__empty_revision_refused,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__drift_healed,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__foreign_namesake_kept,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__crash_loop,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__logs,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__disk_limit_and_usage,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__kill9_converges,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__installer_hardened,
		    t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_recon__install_dir_planted,
		    t_setup, t_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	/* ROOST_TEST_FILTER=test_recon__drift* runs some of them. */
	if (getenv("ROOST_TEST_FILTER") != NULL)
		cmocka_set_test_filter(getenv("ROOST_TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
