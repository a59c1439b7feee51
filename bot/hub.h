/*
 * hub: the node hub, the bot's side of docs/hub-protocol.md. roostd on
 * each node keeps a websocket here (subprotocol roost-hub.v1, bearer token
 * checked against the SHA-256 in bot.yaml, 401 before the upgrade
 * otherwise); the hub keeps the latest status each node reported for
 * itself and its servers with their latest progress lines, tells a
 * listener which server changed, and sends "fetch" to a node right after
 * the bot pushed a commit that concerns it.
 *
 * Threading: the hub runs its own thread; every other function is safe
 * from any thread.
 */
#ifndef ROOST_BOT_HUB_H
#define ROOST_BOT_HUB_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct bot_hub_node;
struct bhub;
struct rerr;

/* Where the state puts a server, as bhub_assign_cb answers it. */
#define BHUB_MINE	1	/* on the node asking */
#define BHUB_OTHER	0	/* on another node */
#define BHUB_UNKNOWN	(-1)	/* not in the state (yet) */

/*
 * Says whether the state assigns server to node: BHUB_MINE, BHUB_OTHER or
 * BHUB_UNKNOWN. Called from the hub thread, outside the hub's lock.
 */
typedef int (*bhub_assign_cb)(void *arg, const char *node,
    const char *server);

struct bhub_conf {
	const char			*listen;	/* "ADDRESS:PORT" */
	const struct bot_hub_node	*nodes;
	size_t				 nnodes;
	const char			*tls_cert;	/* PEM; NULL: ws:// */
	const char			*tls_key;
	bhub_assign_cb			 assign;	/* NULL: trust nodes */
	void				*assign_arg;
};

/*
 * Listens on conf->listen for the nodes (everything in conf is borrowed
 * for the hub's life). What one node may send is limited as
 * lib/hubproto.h says. Returns 0 with *out owned by the caller
 * (bhub_stop), or -1.
 */
int	bhub_start(struct bhub **out, const struct bhub_conf *conf,
	    struct rerr *err);
/* Stops the hub thread and frees everything; takes NULL. */
void	bhub_stop(struct bhub *h);

/* A copy of the last status of server name (caller frees), or NULL. */
cJSON	*bhub_server_status(struct bhub *h, const char *name);
/* A copy of node name's last node object (caller frees), or NULL. */
cJSON	*bhub_node_status(struct bhub *h, const char *name);
/*
 * The latest progress lines node reported for server name ("progress"
 * frames, oldest first), as an array of {kind, text} the caller frees;
 * NULL only when h is.
 */
cJSON	*bhub_server_progress(struct bhub *h, const char *name);

/*
 * Called from the hub thread after a node reported a change of server
 * name (its status, a progress line, its removal), or with name NULL
 * after a snapshot (anything may have changed). It runs with the hub's
 * lock held, so it must return quickly and call no bhub_ function; once
 * bhub_set_listener(h, NULL, NULL) returns it is no longer called.
 */
typedef void (*bhub_change_cb)(void *arg, const char *name);
/* Sets the change listener (NULL: none). */
void	bhub_set_listener(struct bhub *h, bhub_change_cb cb, void *arg);

/*
 * The state changed: every node that reported a server the state did not
 * know yet is asked for a new snapshot ("resync").
 */
void	bhub_state_changed(struct bhub *h);

/*
 * Asks node (NULL: every connected node) to fetch now, naming the
 * revision just pushed (may be NULL). Returns how many nodes were asked.
 */
int	bhub_fetch(struct bhub *h, const char *node, const char *revision);

#endif
