/*
 * docker: the Docker Engine API client (see docker.h). Plain requests and
 * streams go through lib/http on the engine's unix socket; attach opens
 * its own socket because the engine hijacks that connection. Engine
 * errors become ROOST_ENOTFOUND (404), ROOST_ECONFLICT (409) or -1, with
 * the engine's "message" kept in the rerr.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "docker.h"

#define DOCKER_BASE		"http://docker/v" DOCKER_API_VERSION
#define DOCKER_TIMEOUT_MS	60000L
#define DOCKER_LOG_MAX		(16UL * 1024 * 1024)

struct docker {
	struct http	*http;
	char		*sock;
	atomic_uint_fast64_t requests;
};

/* Requests of every client of this process, for roostd's metrics. */
static atomic_uint_fast64_t docker_requests_all;

struct docker_attach {
	int		 fd;
	int		 tty;
	struct buf	 raw;		/* undecoded frame bytes */
};

/* Returns a client for sock or the default socket. */
struct docker *
docker_new(const char *sock)
{
	struct docker	*d;
	const char	*host;

	if (sock == NULL) {
		host = getenv("DOCKER_HOST");
		if (host != NULL && strncmp(host, "unix://", 7) == 0)
			sock = host + 7;
		else
			sock = DOCKER_DEFAULT_SOCK;
	}
	d = xcalloc(1, sizeof(*d));
	d->sock = xstrdup(sock);
	d->http = http_new(d->sock);
	atomic_init(&d->requests, 0);
	return d;
}

/* Frees d. */
void
docker_free(struct docker *d)
{
	if (d == NULL)
		return;
	http_free(d->http);
	free(d->sock);
	free(d);
}

/* Returns d's socket path. */
const char *
docker_sock(const struct docker *d)
{
	return d->sock;
}

/* Stops a stream running on d in another thread. */
void
docker_cancel(struct docker *d)
{
	http_cancel(d->http);
}

/* Clears the cancel flag. */
void
docker_reset_cancel(struct docker *d)
{
	http_reset_cancel(d->http);
}

/* Returns how many requests d has sent. */
uint64_t
docker_requests(const struct docker *d)
{
	return atomic_load(&((struct docker *)d)->requests);
}

/* Returns how many requests all clients of this process have sent. */
uint64_t
docker_requests_total(void)
{
	return atomic_load(&docker_requests_all);
}

/*
 * Counts one request of d, in its counter and in the process total, and
 * logs it at the debug level (roostd -vv).
 */
static void
docker_count(struct docker *d, const char *method, const char *path)
{
	log_debug("engine: %s %s", method, path);
	atomic_fetch_add(&d->requests, 1);
	atomic_fetch_add(&docker_requests_all, 1);
}

/* Turns a non-2xx response into the matching error code and message. */
static int
docker_status(const char *method, const char *path,
    struct http_response *resp, struct rerr *err)
{
	cJSON		*j = NULL;
	const char	*msg = NULL;
	int		 code;
	char		 what[160];

	/* 304: already started, already stopped. */
	if ((resp->status >= 200 && resp->status < 300) || resp->status == 304)
		return 0;
	if (resp->body.len > 0 && json_parse(&j, resp->body.data,
	    resp->body.len, "engine reply", NULL) == 0)
		msg = json_str(j, "message", NULL);
	if (msg == NULL)
		msg = resp->body.len > 0 ? buf_str(&resp->body) : "no message";
	switch (resp->status) {
	case 404:
		code = ROOST_ENOTFOUND;
		break;
	case 409:
		code = ROOST_ECONFLICT;
		break;
	default:
		code = -1;
	}
	snprintf(what, sizeof(what), "%s", path);
	what[strcspn(what, "?")] = '\0';
	rerr_set(err, code, "docker engine: %s %s: %s (HTTP %ld)", method,
	    what, msg, resp->status);
	cJSON_Delete(j);
	return code;
}

/*
 * Sends one request to path (below /v1.41) and checks its status; resp
 * keeps the body for the caller, who disposes of it.
 */
static int
docker_call(struct docker *d, const char *method, const char *path,
    const char *body, long timeout_ms, http_data_cb cb, void *arg,
    struct http_response *resp, struct rerr *err)
{
	struct http_request	 req;
	static const char *const json_hdr[] = {
		"Content-Type: application/json", NULL
	};
	char			*url;
	int			 rc;

	xasprintf(&url, DOCKER_BASE "%s", path);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.headers = json_hdr;
	req.body = body;
	req.body_len = (size_t)-1;
	req.timeout_ms = timeout_ms;
	req.max_response = DOCKER_LOG_MAX;
	req.on_data = cb;
	req.arg = arg;
	docker_count(d, method, path);
	rc = http_do(d->http, &req, resp, err);
	free(url);
	if (rc != 0)
		return rc;
	return docker_status(method, path, resp, err);
}

/* docker_call without a body to keep. */
static int
docker_simple(struct docker *d, const char *method, const char *path,
    const char *body, long timeout_ms, struct rerr *err)
{
	struct http_response	resp;
	int			rc;

	http_response_init(&resp);
	rc = docker_call(d, method, path, body, timeout_ms, NULL, NULL, &resp,
	    err);
	http_response_dispose(&resp);
	return rc;
}

/* docker_call that parses the reply into *out. */
static int
docker_json(struct docker *d, const char *method, const char *path,
    const char *body, long timeout_ms, cJSON **out, struct rerr *err)
{
	struct http_response	resp;
	int			rc;

	*out = NULL;
	http_response_init(&resp);
	rc = docker_call(d, method, path, body, timeout_ms, NULL, NULL, &resp,
	    err);
	if (rc == 0)
		rc = json_parse(out, resp.body.data != NULL ? resp.body.data :
		    "", resp.body.len, "docker engine reply", err) == 0 ? 0 : -1;
	http_response_dispose(&resp);
	return rc;
}

/* Returns pre + ref (percent-encoded) + post, newly allocated. */
static char *
docker_path(const char *pre, const char *ref, const char *post)
{
	char	*e, *p;

	e = http_escape(ref);
	xasprintf(&p, "%s%s%s", pre, e, post != NULL ? post : "");
	free(e);
	return p;
}

/* GETs the JSON document at pre + ref (percent-encoded) + post. */
static int
docker_get(struct docker *d, const char *pre, const char *ref,
    const char *post, cJSON **out, struct rerr *err)
{
	char	*path;
	int	 rc;

	path = docker_path(pre, ref, post);
	rc = docker_json(d, "GET", path, NULL, DOCKER_TIMEOUT_MS, out, err);
	free(path);
	return rc;
}

/* Copies j's string key (or "") into dst, len bytes at most. */
static void
docker_copy_key(char *dst, size_t len, const cJSON *j, const char *key)
{
	snprintf(dst, len, "%s", json_str(j, key, ""));
}

static struct docker_kv *
docker_kv_from(const cJSON *obj, size_t *n)
{
	struct docker_kv	*kv = NULL;
	const cJSON		*it;
	size_t			 i = 0;

	*n = 0;
	if (!cJSON_IsObject(obj))
		return NULL;
	cJSON_ArrayForEach(it, obj)
		i++;
	if (i == 0)
		return NULL;
	kv = xcalloc(i, sizeof(*kv));
	cJSON_ArrayForEach(it, obj) {
		kv[*n].key = xstrdup(it->string);
		kv[*n].value = xstrdup(cJSON_IsString(it) ? it->valuestring :
		    "");
		(*n)++;
	}
	return kv;
}

static void
docker_kv_free(struct docker_kv *kv, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* Returns the value of key in kv, or NULL. */
const char *
docker_kv_get(const struct docker_kv *kv, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

/* Checks that the engine answers. */
int
docker_ping(struct docker *d, struct rerr *err)
{
	return docker_simple(d, "GET", "/_ping", NULL, 10000, err);
}

/* Fills out from GET /version. */
int
docker_version(struct docker *d, struct docker_version *out,
    struct rerr *err)
{
	cJSON	*j;
	int	 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = docker_json(d, "GET", "/version", NULL, 10000, &j, err)) != 0)
		return rc;
	docker_copy_key(out->version, sizeof(out->version), j, "Version");
	docker_copy_key(out->api_version, sizeof(out->api_version), j,
	    "ApiVersion");
	docker_copy_key(out->min_api_version, sizeof(out->min_api_version), j,
	    "MinAPIVersion");
	docker_copy_key(out->os, sizeof(out->os), j, "Os");
	docker_copy_key(out->arch, sizeof(out->arch), j, "Arch");
	docker_copy_key(out->kernel, sizeof(out->kernel), j, "KernelVersion");
	cJSON_Delete(j);
	return 0;
}

static int
docker_file_has_word(const char *path, const char *word)
{
	char	 line[512], *tok, *save;
	FILE	*f;
	int	 found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		for (tok = strtok_r(line, " \n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \n", &save))
			if (strcmp(tok, word) == 0)
				found = 1;
	fclose(f);
	return found;
}

static int
docker_io_weight(int cgroup_version)
{
	if (cgroup_version == 2)
		return docker_file_has_word("/sys/fs/cgroup/cgroup.controllers",
		    "io") && (access("/sys/fs/cgroup/system.slice/io.weight",
		    F_OK) == 0 || access("/sys/fs/cgroup/system.slice/"
		    "io.bfq.weight", F_OK) == 0);
	return access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0 ||
	    access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0;
}

/* Fills out from GET /info and the host's cgroup files. */
int
docker_info(struct docker *d, struct docker_info *out, struct rerr *err)
{
	cJSON		*j;
	const char	*v;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = docker_json(d, "GET", "/info", NULL, 10000, &j, err)) != 0)
		return rc;
	v = json_str(j, "CgroupVersion", "1");
	out->cgroup_version = strcmp(v, "2") == 0 ? 2 : 1;
	docker_copy_key(out->cgroup_driver, sizeof(out->cgroup_driver), j,
	    "CgroupDriver");
	docker_copy_key(out->storage_driver, sizeof(out->storage_driver), j,
	    "Driver");
	docker_copy_key(out->server_version, sizeof(out->server_version), j,
	    "ServerVersion");
	out->ncpu = (int)json_int64(j, "NCPU", 0);
	out->mem_total = json_int64(j, "MemTotal", 0);
	out->swap_limit = json_bool(j, "SwapLimit", 0);
	out->cpu_cfs = json_bool(j, "CpuCfsQuota", 0) &&
	    json_bool(j, "CpuCfsPeriod", 0);
	out->pids_limit = json_bool(j, "PidsLimit", 0);
	out->io_weight = docker_io_weight(out->cgroup_version);
	cJSON_Delete(j);
	return 0;
}

/* Inspects a local image. */
int
docker_image_inspect(struct docker *d, const char *ref,
    struct docker_image *out, struct rerr *err)
{
	cJSON	*j;
	int	 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = docker_get(d, "/images/", ref, "/json", &j, err)) != 0)
		return rc;
	out->id = xstrdup(json_str(j, "Id", ""));
	out->size = json_int64(j, "Size", 0);
	out->labels = docker_kv_from(json_get(j, "Config.Labels"),
	    &out->nlabels);
	cJSON_Delete(j);
	return 0;
}

/* Frees what img holds. */
void
docker_image_dispose(struct docker_image *img)
{
	free(img->id);
	docker_kv_free(img->labels, img->nlabels);
	memset(img, 0, sizeof(*img));
}

/*
 * Splits a stream of newline-separated JSON objects and hands each
 * parsed object to a handler.
 */
struct docker_lines {
	struct buf	  line;
	int		(*fn)(cJSON *, void *);
	void		 *arg;
	int		  stop;
};

static int
docker_lines_cb(const char *p, size_t n, void *arg)
{
	struct docker_lines	*l = arg;
	const char		*nl;
	cJSON			*j;
	size_t			 k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (buf_add(&l->line, p, k) == -1)
			return 1;
		p += k;
		n -= k;
		if (nl == NULL)
			break;
		p++;
		n--;
		if (l->line.len > 0 && json_parse(&j, l->line.data,
		    l->line.len, "engine stream", NULL) == 0) {
			if (l->fn(j, l->arg) != 0)
				l->stop = 1;
			cJSON_Delete(j);
		}
		buf_reset(&l->line);
		if (l->stop)
			return 1;
	}
	return 0;
}

struct docker_pull {
	docker_progress_cb	 cb;
	void			*arg;
	char			*error;
};

static int
docker_pull_line(cJSON *j, void *arg)
{
	struct docker_pull	*p = arg;
	const char		*e;

	if ((e = json_str(j, "error", NULL)) != NULL ||
	    (e = json_str(j, "errorDetail.message", NULL)) != NULL) {
		if (p->error == NULL)
			p->error = xstrdup(e);
		return 0;
	}
	if (p->cb != NULL && json_str(j, "status", NULL) != NULL)
		p->cb(json_str(j, "status", ""), json_str(j, "id", NULL),
		    json_int64(j, "progressDetail.current", 0),
		    json_int64(j, "progressDetail.total", 0), p->arg);
	return 0;
}

/* Pulls ref; see docker.h. */
int
docker_image_pull(struct docker *d, const char *ref, const char *auth,
    docker_progress_cb cb, void *arg, long timeout_ms, struct rerr *err)
{
	struct http_request	 req;
	struct http_response	 resp;
	struct docker_lines	 l;
	struct docker_pull	 p;
	const char		*hdrs[3] = { NULL, NULL, NULL };
	char			*name, *tag, *colon, *slash, *url, *en, *et;
	char			*auth_hdr = NULL;
	int			 rc;

	name = xstrdup(ref);
	tag = NULL;
	colon = strrchr(name, ':');
	slash = strrchr(name, '/');
	if (strchr(name, '@') == NULL && colon != NULL &&
	    (slash == NULL || colon > slash)) {
		*colon = '\0';
		tag = colon + 1;
	}
	en = http_escape(name);
	et = http_escape(tag != NULL ? tag : "latest");
	if (strchr(name, '@') != NULL)
		xasprintf(&url, DOCKER_BASE "/images/create?fromImage=%s", en);
	else
		xasprintf(&url, DOCKER_BASE "/images/create?fromImage=%s&"
		    "tag=%s", en, et);
	free(en);
	free(et);
	free(name);
	if (auth != NULL) {
		xasprintf(&auth_hdr, "X-Registry-Auth: %s", auth);
		hdrs[0] = auth_hdr;
	}

	memset(&l, 0, sizeof(l));
	buf_init(&l.line, 1024 * 1024);
	memset(&p, 0, sizeof(p));
	p.cb = cb;
	p.arg = arg;
	l.fn = docker_pull_line;
	l.arg = &p;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = hdrs;
	req.timeout_ms = timeout_ms;
	req.on_data = docker_lines_cb;
	req.arg = &l;
	http_response_init(&resp);
	docker_count(d, "POST", "/images/create");
	rc = http_do(d->http, &req, &resp, err);
	if (rc == 0)
		rc = docker_status("POST", "/images/create", &resp, err);
	if (rc == 0 && p.error != NULL)
		rc = rerr_set(err, -1, "pulling \"%s\": %s; check the image "
		    "name and the registry", ref, p.error);
	http_response_dispose(&resp);
	buf_dispose(&l.line);
	free(p.error);
	free(auth_hdr);
	free(url);
	return rc;
}

/* Frees a NULL-terminated string array. */
void
docker_strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Lists the ids of containers carrying label. */
int
docker_container_list(struct docker *d, const char *label, char ***ids,
    struct rerr *err)
{
	struct buf	 f;
	cJSON		*j, *it;
	char		*path, *ef;
	size_t		 n = 0;
	int		 rc;

	*ids = NULL;
	if (label != NULL) {
		buf_init(&f, 0);
		buf_puts(&f, "{\"label\":[");
		json_escape(&f, label);
		buf_puts(&f, "]}");
		ef = http_escape(buf_str(&f));
		buf_dispose(&f);
		xasprintf(&path, "/containers/json?all=1&filters=%s", ef);
		free(ef);
	} else
		path = xstrdup("/containers/json?all=1");
	rc = docker_json(d, "GET", path, NULL, DOCKER_TIMEOUT_MS, &j, err);
	free(path);
	if (rc != 0)
		return rc;
	*ids = xcalloc(cJSON_GetArraySize(j) + 1, sizeof(**ids));
	cJSON_ArrayForEach(it, j) {
		if (json_str(it, "Id", NULL) != NULL)
			(*ids)[n++] = xstrdup(json_str(it, "Id", NULL));
	}
	cJSON_Delete(j);
	return 0;
}

static char *
docker_dup(const cJSON *j, const char *path)
{
	return xstrdup(json_str(j, path, ""));
}

/* Inspects ref into *out. */
int
docker_container_inspect(struct docker *d, const char *ref,
    struct docker_container *out, struct rerr *err)
{
	cJSON		*j;
	const char	*name;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = docker_get(d, "/containers/", ref, "/json", &j, err)) != 0)
		return rc;
	out->id = docker_dup(j, "Id");
	name = json_str(j, "Name", "");
	out->name = xstrdup(name[0] == '/' ? name + 1 : name);
	out->image = docker_dup(j, "Config.Image");
	out->image_id = docker_dup(j, "Image");
	out->labels = docker_kv_from(json_get(j, "Config.Labels"),
	    &out->nlabels);
	out->status = docker_dup(j, "State.Status");
	out->running = json_bool(j, "State.Running", 0);
	out->paused = json_bool(j, "State.Paused", 0);
	out->restarting = json_bool(j, "State.Restarting", 0);
	out->oom_killed = json_bool(j, "State.OOMKilled", 0);
	out->dead = json_bool(j, "State.Dead", 0);
	out->pid = (pid_t)json_int64(j, "State.Pid", 0);
	out->exit_code = (int)json_int64(j, "State.ExitCode", 0);
	out->error = docker_dup(j, "State.Error");
	out->started_at = docker_dup(j, "State.StartedAt");
	out->finished_at = docker_dup(j, "State.FinishedAt");
	out->created = docker_dup(j, "Created");
	out->restart_count = (int)json_int64(j, "RestartCount", 0);
	out->tty = json_bool(j, "Config.Tty", 0);
	out->open_stdin = json_bool(j, "Config.OpenStdin", 0);
	out->limits.memory = json_int64(j, "HostConfig.Memory", 0);
	out->limits.memory_swap = json_int64(j, "HostConfig.MemorySwap", 0);
	out->limits.cpu_quota = json_int64(j, "HostConfig.CpuQuota", 0);
	out->limits.cpu_period = json_int64(j, "HostConfig.CpuPeriod", 0);
	out->limits.blkio_weight = (int)json_int64(j, "HostConfig.BlkioWeight",
	    0);
	out->limits.pids_limit = json_int64(j, "HostConfig.PidsLimit", 0);
	out->nano_cpus = json_int64(j, "HostConfig.NanoCpus", 0);
	out->readonly_rootfs = json_bool(j, "HostConfig.ReadonlyRootfs", 0);
	cJSON_Delete(j);
	return 0;
}

/* Frees what c holds. */
void
docker_container_dispose(struct docker_container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->image_id);
	docker_kv_free(c->labels, c->nlabels);
	free(c->status);
	free(c->error);
	free(c->started_at);
	free(c->finished_at);
	free(c->created);
	memset(c, 0, sizeof(*c));
}

static char *
docker_sdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep-copies src into dst. */
void
docker_container_copy(struct docker_container *dst,
    const struct docker_container *src)
{
	size_t	i;

	*dst = *src;
	dst->id = docker_sdup(src->id);
	dst->name = docker_sdup(src->name);
	dst->image = docker_sdup(src->image);
	dst->image_id = docker_sdup(src->image_id);
	dst->status = docker_sdup(src->status);
	dst->error = docker_sdup(src->error);
	dst->started_at = docker_sdup(src->started_at);
	dst->finished_at = docker_sdup(src->finished_at);
	dst->created = docker_sdup(src->created);
	dst->labels = NULL;
	if (src->nlabels > 0) {
		dst->labels = xcalloc(src->nlabels, sizeof(*dst->labels));
		for (i = 0; i < src->nlabels; i++) {
			dst->labels[i].key = xstrdup(src->labels[i].key);
			dst->labels[i].value = xstrdup(src->labels[i].value);
		}
	}
}

/* Returns label key of c, or NULL. */
const char *
docker_container_label(const struct docker_container *c, const char *key)
{
	return docker_kv_get(c->labels, c->nlabels, key);
}

static void
docker_add_strv(cJSON *obj, const char *key, const char *const *v)
{
	cJSON	*a;
	size_t	 i;

	if (v == NULL)
		return;
	a = json_add_array(obj, key);
	for (i = 0; v[i] != NULL; i++)
		json_push_str(a, v[i]);
}

static void
docker_add_limits(cJSON *o, const struct docker_limits *l, int update)
{
	if (l->memory > 0)
		json_add_num(o, "Memory", (double)l->memory);
	if (l->memory_swap != 0)
		json_add_num(o, "MemorySwap", (double)l->memory_swap);
	if (l->cpu_quota > 0) {
		json_add_num(o, "CpuQuota", (double)l->cpu_quota);
		json_add_num(o, "CpuPeriod", (double)(l->cpu_period > 0 ?
		    l->cpu_period : 100000));
	} else if (l->cpu_quota < 0 && update)
		json_add_num(o, "CpuQuota", -1);
	if (l->blkio_weight > 0)
		json_add_num(o, "BlkioWeight", l->blkio_weight);
	if (l->pids_limit != 0)
		json_add_num(o, "PidsLimit", (double)l->pids_limit);
}

/* Builds the create body for spec. */
char *
docker_create_body(const struct docker_spec *s)
{
	cJSON		*o, *hc, *lab, *exp, *pb, *arr, *b, *tmp, *lc, *cfg;
	const char	*eq;
	char		*key, *port;
	size_t		 i;
	int		 proto;

	o = json_new_object();
	json_add_str(o, "Image", s->image);
	docker_add_strv(o, "Entrypoint", s->entrypoint);
	docker_add_strv(o, "Cmd", s->cmd);
	docker_add_strv(o, "Env", s->env);
	if (s->user != NULL)
		json_add_str(o, "User", s->user);
	if (s->workdir != NULL)
		json_add_str(o, "WorkingDir", s->workdir);
	if (s->hostname != NULL)
		json_add_str(o, "Hostname", s->hostname);
	json_add_bool(o, "AttachStdin", s->open_stdin);
	json_add_bool(o, "AttachStdout", 1);
	json_add_bool(o, "AttachStderr", 1);
	json_add_bool(o, "OpenStdin", s->open_stdin);
	json_add_bool(o, "StdinOnce", 0);
	json_add_bool(o, "Tty", s->tty);
	if (s->stop_signal != NULL)
		json_add_str(o, "StopSignal", s->stop_signal);
	if (s->stop_timeout > 0)
		json_add_num(o, "StopTimeout", s->stop_timeout);
	lab = json_add_object(o, "Labels");
	for (i = 0; s->labels != NULL && s->labels[i] != NULL; i++) {
		if ((eq = strchr(s->labels[i], '=')) == NULL) {
			json_add_str(lab, s->labels[i], "");
			continue;
		}
		key = xstrndup(s->labels[i], eq - s->labels[i]);
		json_add_str(lab, key, eq + 1);
		free(key);
	}

	hc = json_add_object(o, "HostConfig");
	if (s->nports > 0) {
		exp = json_add_object(o, "ExposedPorts");
		pb = json_add_object(hc, "PortBindings");
		for (i = 0; i < s->nports; i++) {
			for (proto = 0; proto < 2; proto++) {
				xasprintf(&key, "%d/%s", s->ports[i],
				    proto ? "udp" : "tcp");
				json_add_object(exp, key);
				arr = json_add_array(pb, key);
				b = json_new_object();
				cJSON_AddItemToArray(arr, b);
				json_add_str(b, "HostIp", s->host_ip != NULL ?
				    s->host_ip : "");
				xasprintf(&port, "%d", s->ports[i]);
				json_add_str(b, "HostPort", port);
				free(port);
				free(key);
			}
		}
	}
	docker_add_strv(hc, "Binds", s->binds);
	if (s->network != NULL)
		json_add_str(hc, "NetworkMode", s->network);
	docker_add_limits(hc, &s->limits, 0);
	json_add_bool(hc, "ReadonlyRootfs", s->readonly_rootfs);
	if (s->tmpfs != NULL) {
		tmp = json_add_object(hc, "Tmpfs");
		for (i = 0; s->tmpfs[i] != NULL; i++) {
			eq = strchr(s->tmpfs[i], ':');
			key = eq != NULL ? xstrndup(s->tmpfs[i],
			    eq - s->tmpfs[i]) : xstrdup(s->tmpfs[i]);
			json_add_str(tmp, key, eq != NULL ? eq + 1 : "");
			free(key);
		}
	}
	docker_add_strv(hc, "CapDrop", s->cap_drop);
	if (s->no_new_privileges) {
		arr = json_add_array(hc, "SecurityOpt");
		json_push_str(arr, "no-new-privileges");
	}
	if (s->log_max_size != NULL || s->log_max_file > 0) {
		lc = json_add_object(hc, "LogConfig");
		json_add_str(lc, "Type", "json-file");
		cfg = json_add_object(lc, "Config");
		if (s->log_max_size != NULL)
			json_add_str(cfg, "max-size", s->log_max_size);
		if (s->log_max_file > 0) {
			xasprintf(&port, "%d", s->log_max_file);
			json_add_str(cfg, "max-file", port);
			free(port);
		}
	}
	json_add_str(json_add_object(hc, "RestartPolicy"), "Name", "no");
	return json_print_free(o);
}

/* Creates a container from body. */
int
docker_container_create(struct docker *d, const char *name, const char *body,
    char **id, struct rerr *err)
{
	cJSON	*j;
	char	*path;
	int	 rc;

	*id = NULL;
	if (name != NULL)
		path = docker_path("/containers/create?name=", name, NULL);
	else
		path = xstrdup("/containers/create");
	rc = docker_json(d, "POST", path, body, DOCKER_TIMEOUT_MS, &j, err);
	free(path);
	if (rc != 0)
		return rc;
	if (json_str(j, "Id", NULL) == NULL) {
		cJSON_Delete(j);
		return rerr_set(err, -1, "docker engine: create \"%s\" "
		    "returned no id", name != NULL ? name : "");
	}
	*id = xstrdup(json_str(j, "Id", NULL));
	cJSON_Delete(j);
	return 0;
}

/* POSTs to /containers/REF/ACTION?query with the given timeout. */
static int
docker_action(struct docker *d, const char *ref, const char *action,
    long timeout_ms, struct rerr *err)
{
	char	*path, *slashed;
	int	 rc;

	xasprintf(&slashed, "/%s", action);
	path = docker_path("/containers/", ref, slashed);
	free(slashed);
	rc = docker_simple(d, "POST", path, NULL, timeout_ms, err);
	free(path);
	return rc;
}

/* docker_action with the query action + value (percent-encoded). */
static int
docker_action_with(struct docker *d, const char *ref, const char *action,
    const char *value, struct rerr *err)
{
	char	*q, *e;
	int	 rc;

	e = http_escape(value);
	xasprintf(&q, "%s%s", action, e);
	rc = docker_action(d, ref, q, DOCKER_TIMEOUT_MS, err);
	free(q);
	free(e);
	return rc;
}

/* Starts ref. */
int
docker_container_start(struct docker *d, const char *ref, struct rerr *err)
{
	return docker_action(d, ref, "start", DOCKER_TIMEOUT_MS, err);
}

/* Stops ref. */
int
docker_container_stop(struct docker *d, const char *ref, int timeout_s,
    struct rerr *err)
{
	char	q[64];
	long	to;

	if (timeout_s >= 0) {
		snprintf(q, sizeof(q), "stop?t=%d", timeout_s);
		to = DOCKER_TIMEOUT_MS + timeout_s * 1000L;
	} else {
		snprintf(q, sizeof(q), "stop");
		to = 0;
	}
	return docker_action(d, ref, q, to, err);
}

/* Signals ref. */
int
docker_container_kill(struct docker *d, const char *ref, const char *signal,
    struct rerr *err)
{
	return docker_action_with(d, ref, "kill?signal=", signal != NULL ?
	    signal : "SIGKILL", err);
}

/* Removes ref. */
int
docker_container_remove(struct docker *d, const char *ref, int force,
    int volumes, struct rerr *err)
{
	char	*path, q[32];
	int	 rc;

	snprintf(q, sizeof(q), "?force=%d&v=%d", force ? 1 : 0,
	    volumes ? 1 : 0);
	path = docker_path("/containers/", ref, q);
	rc = docker_simple(d, "DELETE", path, NULL, DOCKER_TIMEOUT_MS, err);
	free(path);
	return rc;
}

/* Renames ref. */
int
docker_container_rename(struct docker *d, const char *ref, const char *name,
    struct rerr *err)
{
	return docker_action_with(d, ref, "rename?name=", name, err);
}

/* Changes ref's limits in place. */
int
docker_container_update(struct docker *d, const char *ref,
    const struct docker_limits *lim, struct rerr *err)
{
	cJSON	*o;
	char	*body, *path;
	int	 rc;

	o = json_new_object();
	docker_add_limits(o, lim, 1);
	body = json_print_free(o);
	path = docker_path("/containers/", ref, "/update");
	rc = docker_simple(d, "POST", path, body, DOCKER_TIMEOUT_MS, err);
	free(path);
	free(body);
	return rc;
}

/* Waits for ref to stop. */
int
docker_container_wait(struct docker *d, const char *ref,
    const char *condition, int *exit_code, long timeout_ms, struct rerr *err)
{
	cJSON	*j;
	char	*path, *q;
	int	 rc;

	xasprintf(&q, "/wait?condition=%s", condition != NULL ? condition :
	    "not-running");
	path = docker_path("/containers/", ref, q);
	free(q);
	rc = docker_json(d, "POST", path, NULL, timeout_ms, &j, err);
	free(path);
	if (rc != 0)
		return rc;
	if (json_str(j, "Error.Message", NULL) != NULL &&
	    json_str(j, "Error.Message", "")[0] != '\0') {
		rc = rerr_set(err, -1, "waiting for \"%s\": %s", ref,
		    json_str(j, "Error.Message", ""));
	} else if (exit_code != NULL)
		*exit_code = (int)json_int64(j, "StatusCode", -1);
	cJSON_Delete(j);
	return rc;
}

/*
 * Moves the complete frames of raw (stream type, 3 zero bytes, 32-bit
 * big-endian length, payload) to out; a partial frame stays in raw.
 */
static void
docker_demux(struct buf *raw, struct buf *out)
{
	const unsigned char	*p;
	size_t			 off = 0, len;

	while (raw->len - off >= 8) {
		p = (const unsigned char *)raw->data + off;
		len = (size_t)p[4] << 24 | (size_t)p[5] << 16 |
		    (size_t)p[6] << 8 | p[7];
		if (raw->len - off - 8 < len)
			break;
		buf_add(out, p + 8, len);
		off += 8 + len;
	}
	if (off > 0) {
		memmove(raw->data, raw->data + off, raw->len - off);
		raw->len -= off;
		raw->data[raw->len] = '\0';
	}
}

/* Appends ref's log tail to out. */
int
docker_container_logs(struct docker *d, const char *ref, int tail, int tty,
    struct buf *out, struct rerr *err)
{
	struct http_response	 resp;
	char			*path, q[80];
	int			 rc;

	if (tail < 0)
		snprintf(q, sizeof(q), "/logs?stdout=1&stderr=1&tail=all");
	else
		snprintf(q, sizeof(q), "/logs?stdout=1&stderr=1&tail=%d",
		    tail);
	path = docker_path("/containers/", ref, q);
	http_response_init(&resp);
	rc = docker_call(d, "GET", path, NULL, DOCKER_TIMEOUT_MS, NULL, NULL,
	    &resp, err);
	free(path);
	if (rc == 0) {
		if (tty)
			buf_add(out, resp.body.data, resp.body.len);
		else
			docker_demux(&resp.body, out);
	}
	http_response_dispose(&resp);
	return rc;
}

/* Samples ref's usage once. */
int
docker_container_stats(struct docker *d, const char *ref,
    struct docker_stats *out, struct rerr *err)
{
	cJSON		*j;
	const cJSON	*nets, *it;
	double		 cpu, sys, online;
	int64_t		 inactive;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = docker_get(d, "/containers/", ref, "/stats?stream=false",
	    &j, err)) != 0)
		return rc;
	cpu = json_double(j, "cpu_stats.cpu_usage.total_usage", 0) -
	    json_double(j, "precpu_stats.cpu_usage.total_usage", 0);
	sys = json_double(j, "cpu_stats.system_cpu_usage", 0) -
	    json_double(j, "precpu_stats.system_cpu_usage", 0);
	online = json_double(j, "cpu_stats.online_cpus", 0);
	if (online <= 0)
		online = cJSON_GetArraySize(json_get(j,
		    "cpu_stats.cpu_usage.percpu_usage"));
	if (online <= 0)
		online = 1;
	if (cpu > 0 && sys > 0)
		out->cpu_percent = cpu / sys * online * 100.0;
	inactive = json_int64(j, "memory_stats.stats.total_inactive_file", -1);
	if (inactive < 0)
		inactive = json_int64(j, "memory_stats.stats.inactive_file", 0);
	out->memory = json_int64(j, "memory_stats.usage", 0);
	if (out->memory >= inactive)
		out->memory -= inactive;
	out->memory_limit = json_int64(j, "memory_stats.limit", 0);
	out->pids = json_int64(j, "pids_stats.current", 0);
	nets = json_get(j, "networks");
	cJSON_ArrayForEach(it, nets) {
		out->rx_bytes += json_int64(it, "rx_bytes", 0);
		out->tx_bytes += json_int64(it, "tx_bytes", 0);
	}
	docker_copy_key(out->read, sizeof(out->read), j, "read");
	cJSON_Delete(j);
	return 0;
}

/* Attaches to ref over a raw connection; see docker.h. */
int
docker_attach_open(struct docker *d, const char *ref, int tty,
    struct docker_attach **out, struct rerr *err)
{
	struct sockaddr_un	 sun;
	struct docker_attach	*a;
	struct buf		 hdr;
	char			*req, *er, *end, chunk[4096], *msg;
	ssize_t			 n;
	long			 status;
	size_t			 hlen;
	int			 fd;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(d->sock) >= sizeof(sun.sun_path))
		return rerr_set(err, -1, "docker socket path \"%s\" is too "
		    "long", d->sock);
	strcpy(sun.sun_path, d->sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return rerr_errno(err, -1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rerr_errno(err, -1, "cannot connect to \"%s\"; check that "
		    "the docker engine is running", d->sock);
		close(fd);
		return -1;
	}
	er = http_escape(ref);
	xasprintf(&req, "POST /v" DOCKER_API_VERSION "/containers/%s/attach?"
	    "stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
	    "Host: docker\r\nContent-Type: text/plain\r\n"
	    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n", er);
	free(er);
	docker_count(d, "POST", "/containers/.../attach");
	n = send(fd, req, strlen(req), MSG_NOSIGNAL);
	free(req);
	if (n < 0) {
		rerr_errno(err, -1, "attach to \"%s\"", ref);
		close(fd);
		return -1;
	}

	/* Read the response head; anything after it is stream data. */
	buf_init(&hdr, 64 * 1024);
	end = NULL;
	while (end == NULL) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (poll(&pfd, 1, 30000) <= 0) {
			buf_dispose(&hdr);
			close(fd);
			return rerr_set(err, ROOST_ETIMEDOUT, "attach to "
			    "\"%s\": the engine did not answer", ref);
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n <= 0 || buf_add(&hdr, chunk, n) == -1) {
			buf_dispose(&hdr);
			close(fd);
			return rerr_set(err, -1, "attach to \"%s\": the engine "
			    "closed the connection", ref);
		}
		end = strstr(hdr.data, "\r\n\r\n");
	}
	hlen = end + 4 - hdr.data;
	status = 0;
	if (strncmp(hdr.data, "HTTP/1.", 7) == 0)
		status = strtol(hdr.data + 9, NULL, 10);
	if (status != 101 && status != 200) {
		struct http_response	resp;

		/* The head is all we need; the message follows it. */
		http_response_init(&resp);
		resp.status = status;
		buf_add(&resp.body, hdr.data + hlen, hdr.len - hlen);
		msg = xstrdup("attach");
		docker_status("POST", msg, &resp, err);
		free(msg);
		http_response_dispose(&resp);
		buf_dispose(&hdr);
		close(fd);
		return status == 404 ? ROOST_ENOTFOUND : status == 409 ?
		    ROOST_ECONFLICT : -1;
	}
	a = xcalloc(1, sizeof(*a));
	a->fd = fd;
	a->tty = tty;
	buf_init(&a->raw, 0);
	buf_add(&a->raw, hdr.data + hlen, hdr.len - hlen);
	buf_dispose(&hdr);
	*out = a;
	return 0;
}

/* Writes p to the container's stdin. */
int
docker_attach_write(struct docker_attach *a, const void *p, size_t n,
    struct rerr *err)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(a->fd, s, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rerr_errno(err, -1, "writing to the container "
			    "console");
		s += w;
		n -= w;
	}
	return 0;
}

/* Reads what output there is; see docker.h. */
int
docker_attach_read(struct docker_attach *a, struct buf *out, int timeout_ms,
    int *eof, struct rerr *err)
{
	struct pollfd	 pfd;
	char		 chunk[8192];
	size_t		 before = out->len;
	ssize_t		 n;
	int		 r;

	*eof = 0;
	/* Bytes read along with the response head come first. */
	if (a->raw.len > 0) {
		if (a->tty) {
			buf_add(out, a->raw.data, a->raw.len);
			buf_reset(&a->raw);
		} else
			docker_demux(&a->raw, out);
		if (out->len > before)
			return 0;
	}
	for (;;) {
		pfd.fd = a->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rerr_errno(err, -1, "reading the container "
			    "console");
		if (r == 0)
			return rerr_set(err, ROOST_ETIMEDOUT, "no console "
			    "output within %d ms", timeout_ms);
		n = read(a->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rerr_errno(err, -1, "reading the container "
			    "console");
		if (n == 0) {
			*eof = 1;
			return 0;
		}
		if (a->tty)
			buf_add(out, chunk, n);
		else {
			buf_add(&a->raw, chunk, n);
			docker_demux(&a->raw, out);
		}
		if (out->len > before)
			return 0;
	}
}

/* Returns the attach socket, for poll. */
int
docker_attach_fd(const struct docker_attach *a)
{
	return a->fd;
}

/* Closes the attach stream. */
void
docker_attach_close(struct docker_attach *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	buf_dispose(&a->raw);
	free(a);
}

/* The request to create bridge network name, as JSON text. */
static char *
docker_network_body(const char *name, const char *bridge_name,
    const char *subnet, const char *gateway)
{
	cJSON	*o, *ipam, *cfg, *c;

	o = json_new_object();
	json_add_str(o, "Name", name);
	json_add_str(o, "Driver", "bridge");
	json_add_bool(o, "CheckDuplicate", 1);
	if (bridge_name != NULL)
		json_add_str(json_add_object(o, "Options"),
		    "com.docker.network.bridge.name", bridge_name);
	if (subnet != NULL) {
		ipam = json_add_object(o, "IPAM");
		json_add_str(ipam, "Driver", "default");
		cfg = json_add_array(ipam, "Config");
		c = json_new_object();
		cJSON_AddItemToArray(cfg, c);
		json_add_str(c, "Subnet", subnet);
		if (gateway != NULL)
			json_add_str(c, "Gateway", gateway);
	}
	json_add_str(json_add_object(o, "Labels"), "roost.managed", "true");
	return json_print_free(o);
}

/* Makes sure a bridge network exists. */
int
docker_network_ensure(struct docker *d, const char *name,
    const char *bridge_name, const char *subnet, const char *gateway,
    char **id, struct rerr *err)
{
	struct rerr	 e2;
	cJSON		*j;
	char		*body;
	int		 rc, tries;

	if (id != NULL)
		*id = NULL;
	for (tries = 0; tries < 2; tries++) {
		rerr_init(&e2);
		rc = docker_get(d, "/networks/", name, NULL, &j, &e2);
		if (rc == ROOST_ENOTFOUND) {
			body = docker_network_body(name, bridge_name, subnet,
			    gateway);
			rerr_init(&e2);
			rc = docker_json(d, "POST", "/networks/create", body,
			    DOCKER_TIMEOUT_MS, &j, &e2);
			free(body);
			/* 409: created meanwhile by someone else; look again. */
			if (rc == ROOST_ECONFLICT)
				continue;
		}
		if (rc != 0)
			return rerr_set(err, rc, "%s", e2.msg);
		if (id != NULL)
			*id = xstrdup(json_str(j, "Id", ""));
		cJSON_Delete(j);
		return 0;
	}
	return rerr_set(err, -1, "network \"%s\" could not be created", name);
}

/* Removes network name. */
int
docker_network_remove(struct docker *d, const char *name, struct rerr *err)
{
	char	*path;
	int	 rc;

	path = docker_path("/networks/", name, NULL);
	rc = docker_simple(d, "DELETE", path, NULL, DOCKER_TIMEOUT_MS, err);
	free(path);
	return rc;
}

/* Returns attribute key of ev, or NULL. */
const char *
docker_event_attr(const struct docker_event *ev, const char *key)
{
	return docker_kv_get(ev->attrs, ev->nattrs, key);
}

struct docker_evctx {
	docker_event_cb	 cb;
	void		*arg;
};

static int
docker_event_line(cJSON *j, void *arg)
{
	struct docker_evctx	*ctx = arg;
	struct docker_event	 ev;
	int			 rc;

	memset(&ev, 0, sizeof(ev));
	ev.type = (char *)json_str(j, "Type", "");
	ev.action = (char *)json_str(j, "Action", json_str(j, "status", ""));
	ev.id = (char *)json_str(j, "Actor.ID", json_str(j, "id", ""));
	ev.attrs = docker_kv_from(json_get(j, "Actor.Attributes"),
	    &ev.nattrs);
	ev.time_nano = json_int64(j, "timeNano", 0);
	if (ev.time_nano == 0)
		ev.time_nano = json_int64(j, "time", 0) * 1000000000LL;
	rc = ctx->cb(&ev, ctx->arg);
	docker_kv_free(ev.attrs, ev.nattrs);
	return rc;
}

/* Follows the events stream; see docker.h. */
int
docker_events(struct docker *d, const char *label, int64_t since_nano,
    long timeout_ms, docker_event_cb cb, void *arg, struct rerr *err)
{
	struct http_response	 resp;
	struct docker_lines	 l;
	struct docker_evctx	 ctx;
	struct buf		 f, path;
	char			*ef;
	int			 rc;

	buf_init(&f, 0);
	buf_puts(&f, "{\"type\":[\"container\"]");
	if (label != NULL) {
		buf_puts(&f, ",\"label\":[");
		json_escape(&f, label);
		buf_puts(&f, "]");
	}
	buf_puts(&f, "}");
	ef = http_escape(buf_str(&f));
	buf_dispose(&f);
	buf_init(&path, 0);
	buf_addf(&path, "/events?filters=%s", ef);
	free(ef);
	if (since_nano > 0)
		buf_addf(&path, "&since=%lld.%09lld",
		    (long long)(since_nano / 1000000000LL),
		    (long long)(since_nano % 1000000000LL));

	memset(&ctx, 0, sizeof(ctx));
	ctx.cb = cb;
	ctx.arg = arg;
	memset(&l, 0, sizeof(l));
	buf_init(&l.line, 1024 * 1024);
	l.fn = docker_event_line;
	l.arg = &ctx;
	http_response_init(&resp);
	rc = docker_call(d, "GET", buf_str(&path), NULL, timeout_ms,
	    docker_lines_cb, &l, &resp, err);
	if (rc == 0 && !resp.stopped)
		rc = rerr_set(err, -1, "the docker events stream ended");
	http_response_dispose(&resp);
	buf_dispose(&l.line);
	buf_dispose(&path);
	return rc;
}
