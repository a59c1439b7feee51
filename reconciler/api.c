/*
 * api: the local HTTP API served with libmicrohttpd on a unix socket.
 * This is the only file that uses libmicrohttpd.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "buf.h"
#include "json.h"
#include "rerr.h"
#include "xmalloc.h"

#include "api.h"

struct api {
	struct MHD_Daemon	*mhd;
	char			*path;
	int			 fd;
	struct api_hooks	 hooks;
	pthread_mutex_t		 mu;
	char			*status;
	char			*metrics;
};

static enum MHD_Result
api_reply(struct MHD_Connection *c, unsigned int code, const char *type,
    const char *body)
{
	struct MHD_Response	*r;
	enum MHD_Result		 rc;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
api_error(struct MHD_Connection *c, unsigned int code, const char *msg)
{
	cJSON		*o = json_new_object();
	char		*s;
	enum MHD_Result	 rc;

	cJSON_AddStringToObject(o, "error", msg);
	s = json_print(o);
	rc = api_reply(c, code, "application/json", s);
	free(s);
	cJSON_Delete(o);
	return rc;
}

/* Copies the current snapshot under the lock. */
static char *
api_snapshot(struct api *api, int metrics)
{
	char	*s;

	pthread_mutex_lock(&api->mu);
	s = xstrdup(metrics ? (api->metrics ? api->metrics : "") :
	    (api->status ? api->status : "{\"node\":null,\"servers\":[]}"));
	pthread_mutex_unlock(&api->mu);
	return s;
}

static enum MHD_Result
api_server(struct api *api, struct MHD_Connection *c, const char *name)
{
	cJSON		*root, *servers, *s, *n;
	char		*snap, *out;
	enum MHD_Result	 rc;

	snap = api_snapshot(api, 0);
	root = json_parse_str(snap);
	free(snap);
	servers = cJSON_GetObjectItemCaseSensitive(root, "servers");
	cJSON_ArrayForEach(s, servers) {
		n = cJSON_GetObjectItemCaseSensitive(s, "name");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0) {
			out = json_print(s);
			rc = api_reply(c, MHD_HTTP_OK, "application/json",
			    out);
			free(out);
			cJSON_Delete(root);
			return rc;
		}
	}
	cJSON_Delete(root);
	return api_error(c, MHD_HTTP_NOT_FOUND, "no such server on this node");
}

static enum MHD_Result
api_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct api	*api = cls;
	static int	 marker;
	struct buf	 b;
	const char	*q, *rest;
	char		*s, name[64];
	enum MHD_Result	 rc;
	int		 tail, code;

	/* The first call only announces the request; bodies are ignored. */
	if (*con_cls == NULL) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0)
		return api_reply(c, MHD_HTTP_OK, "text/plain", "ok\n");
	if (strcmp(url, "/v1/reconcile") == 0) {
		if (strcmp(method, "POST") != 0)
			return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "use POST");
		buf_init(&b, 0);
		code = api->hooks.reconcile != NULL ?
		    api->hooks.reconcile(api->hooks.arg, &b) : 503;
		rc = api_reply(c, (unsigned)code, "application/json",
		    buf_str(&b));
		buf_dispose(&b);
		return rc;
	}
	if (strcmp(method, "GET") != 0)
		return api_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (strcmp(url, "/v1/status") == 0) {
		s = api_snapshot(api, 0);
		rc = api_reply(c, MHD_HTTP_OK, "application/json", s);
		free(s);
		return rc;
	}
	if (strcmp(url, "/metrics") == 0) {
		s = api_snapshot(api, 1);
		rc = api_reply(c, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", s);
		free(s);
		return rc;
	}
	if (strncmp(url, "/v1/servers/", 12) == 0) {
		rest = url + 12;
		q = strchr(rest, '/');
		if ((q != NULL ? (size_t)(q - rest) : strlen(rest)) >=
		    sizeof(name) || rest[0] == '\0')
			return api_error(c, MHD_HTTP_NOT_FOUND,
			    "no such server on this node");
		snprintf(name, sizeof(name), "%.*s",
		    q != NULL ? (int)(q - rest) : (int)strlen(rest), rest);
		if (q == NULL)
			return api_server(api, c, name);
		if (strcmp(q, "/logs") != 0)
			return api_error(c, MHD_HTTP_NOT_FOUND, "not found");
		s = (char *)MHD_lookup_connection_value(c,
		    MHD_GET_ARGUMENT_KIND, "tail");
		tail = s != NULL ? atoi(s) : 100;
		if (tail <= 0 || tail > 10000)
			tail = 100;
		buf_init(&b, 0);
		code = api->hooks.logs != NULL ?
		    api->hooks.logs(api->hooks.arg, name, tail, &b) : 503;
		rc = api_reply(c, (unsigned)code, code == 200 ?
		    "text/plain; charset=utf-8" : "application/json",
		    buf_str(&b));
		buf_dispose(&b);
		return rc;
	}
	return api_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

/* Listens on a unix socket and serves the API. */
int
api_start(struct api **out, const char *path, const struct api_hooks *hooks,
    struct rerr *err)
{
	struct sockaddr_un	 sun;
	struct api		*api;
	int			 fd;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return rerr_set(err, -1, "api socket path '%s' is too long",
		    path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return rerr_errno(err, -1, "socket");
	if (unlink(path) == -1 && errno != ENOENT) {
		close(fd);
		return rerr_errno(err, -1, "cannot remove '%s'", path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 64) == -1) {
		rerr_errno(err, -1, "cannot listen on '%s'", path);
		close(fd);
		return -1;
	}
	api = xcalloc(1, sizeof(*api));
	api->path = xstrdup(path);
	api->fd = fd;
	api->hooks = *hooks;
	pthread_mutex_init(&api->mu, NULL);
	api->mhd = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
	    api_handler, api, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
	    MHD_OPTION_END);
	if (api->mhd == NULL) {
		rerr_set(err, -1, "cannot start the api server on '%s'",
		    path);
		close(fd);
		unlink(path);
		free(api->path);
		free(api);
		return -1;
	}
	*out = api;
	return 0;
}

/* Replaces the published snapshot. */
void
api_publish(struct api *api, const char *status, const char *metrics)
{
	char	*s = status ? xstrdup(status) : NULL;
	char	*m = metrics ? xstrdup(metrics) : NULL;

	pthread_mutex_lock(&api->mu);
	if (s != NULL) {
		free(api->status);
		api->status = s;
	}
	if (m != NULL) {
		free(api->metrics);
		api->metrics = m;
	}
	pthread_mutex_unlock(&api->mu);
}

/* Stops the server and frees it. */
void
api_stop(struct api *api)
{
	if (api == NULL)
		return;
	MHD_stop_daemon(api->mhd);
	unlink(api->path);
	pthread_mutex_destroy(&api->mu);
	free(api->status);
	free(api->metrics);
	free(api->path);
	free(api);
}
