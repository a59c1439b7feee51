/*
 * api: roostd's local HTTP API on a unix socket (libmicrohttpd, its own
 * threads):
 *
 *   GET  /v1/status              {"node": {...}, "servers": [...]}
 *   GET  /v1/servers/NAME        one server's status object
 *   GET  /v1/servers/NAME/logs?lines=N[&format=json][&ansi=0]
 *   GET  /v1/servers/NAME/logs?follow=1[&after=SEQ]  chunked, never ends
 *   POST /v1/servers/NAME/command  {"line": "..."}  (console.h)
 *   POST /v1/reconcile           fetch now, reconcile, answer with the revision
 *   GET  /healthz                "ok"
 *   GET  /metrics                Prometheus text format
 *
 * The main loop publishes a status snapshot and the metrics text after each
 * change (api_publish); requests are answered from the snapshot without
 * touching the reconciler. Logs and reconcile go through hooks that the
 * daemon provides; they run on the API's connection threads. Console
 * lines and commands go to the console (console.h); a command's "who" is
 * the Unix user of the socket's peer (SO_PEERCRED), never the request's.
 */
#ifndef ROOSTD_API_H
#define ROOSTD_API_H

struct buf;
struct console;
struct rerr;

struct api_hooks {
	void	*arg;
	/* Fills out with the last tail lines of NAME's console; HTTP status. */
	int	(*logs)(void *arg, const char *name, int tail,
		    struct buf *out);
	/* Fetches and reconciles now, blocking; fills out with JSON. */
	int	(*reconcile)(void *arg, struct buf *out);
	/*
	 * Runs server's schedule name now for who (POST
	 * /v1/servers/NAME/schedules/SCHED/run): 0 or a ROOST_* code with
	 * err set. NULL: not offered.
	 */
	int	(*schedule_run)(void *arg, const char *server,
		    const char *name, const char *who, struct rerr *err);
	/*
	 * POST /v1/secrets/reseal with the request body; fills out with
	 * JSON; returns the HTTP status. NULL: 503.
	 */
	int	(*reseal)(void *arg, const char *body, size_t len,
		    struct buf *out);
	/* The consoles (logs, follow, command); NULL: only the logs hook. */
	struct console	*console;
	/* The socket's group when it exists (mode 0660); NULL: none. */
	const char	*group;
};

struct api;

/*
 * Listens on the unix socket path (replacing a stale socket file; mode
 * 0660, group hooks->group when that group exists) and serves requests. Returns 0 with *out owned by the caller, or
 * -1 with err set.
 */
int	api_start(struct api **out, const char *path,
	    const struct api_hooks *hooks, struct rerr *err);
/*
 * Replaces the snapshot: status is the JSON of GET /v1/status, metrics the
 * Prometheus text. Both are copied. Safe from any thread.
 */
void	api_publish(struct api *api, const char *status, const char *metrics);
/* Stops serving, removes the socket file and frees api; takes NULL. */
void	api_stop(struct api *api);

#endif
