/*
 * hub: roostd's outbound websocket to the bot's node hub (libwebsockets,
 * in its own thread). It sends hello and a snapshot on every connect, then
 * each server's status when it changes, progress lines and a heartbeat
 * every 15 s, reconnects with backoff, and passes the hub's "fetch"
 * requests to roostd. It types the hub's console commands, follows the
 * consoles the hub subscribes to, and forwards the audit entries. The protocol is in docs/hub-protocol.md.
 */
#ifndef ROOSTD_HUB_H
#define ROOSTD_HUB_H

#include <cjson/cJSON.h>

struct console;
struct rerr;

struct hub_conf {
	const char	*url;		/* ws:// or wss:// .../v1/hub */
	const char	*token_file;	/* bearer token, first line */
	const char	*ca_file;	/* wss://: CAs to trust; NULL: system's */
	const char	*node;
	const char	*version;	/* NULL: roost's */
	/*
	 * The hub asked for a fetch: fetch and reconcile, then return the
	 * JSON of {revision, error} (the caller frees it). Called on the
	 * hub's fetch thread, one call at a time however many requests
	 * arrive; every request that waited meanwhile gets this answer.
	 */
	char		*(*on_fetch)(void *arg);
	void		*arg;
	/*
	 * The consoles the hub may type into ("command") and follow
	 * ("subscribe"); NULL: neither.
	 */
	struct console	*console;
	/*
	 * The hub asked for a run of server's schedule now, for user
	 * (discord:ID): 0 or a ROOST_* code with err set. NULL: refused.
	 */
	int		(*on_schedule_run)(void *arg, const char *server,
			    const char *schedule, const char *user,
			    struct rerr *err);
};

struct hub;

/* Starts the client thread (copies conf). Returns 0 or -1 with err. */
int	hub_start(struct hub **out, const struct hub_conf *conf,
	    struct rerr *err);
/*
 * Publishes the status document ({"node":..., "servers":[...]},
 * borrowed): servers whose object changed since the last publish are
 * sent, pruned ones reported removed. Safe from any thread.
 */
void	hub_publish(struct hub *hub, const cJSON *status);
/* Sends a progress line for a server. Safe from any thread. */
void	hub_progress(struct hub *hub, const char *server, const char *kind,
	    const char *text);
/* Answers a fetch request; result is the JSON of {revision, error}. */
void	hub_fetched(struct hub *hub, const char *id, const char *result);
/* Sends an audit entry (JSON text) to the hub, when connected. */
void	hub_audit(struct hub *hub, const char *entry);
/* True while the websocket is up (for tests and status). */
int	hub_connected(struct hub *hub);
/* Stops the thread and frees hub; takes NULL. */
void	hub_stop(struct hub *hub);

#endif
