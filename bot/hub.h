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

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct bot_hub_node;
struct bhub;
struct rerr;

/*
 * Called from the hub thread, without the hub's lock, with each audit
 * entry ({time, server, who, line}) a node sent for one of its servers.
 */
typedef void (*bhub_audit_cb)(void *arg, const char *node,
    const cJSON *entry);

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

/* ------------------------------------------------------- consoles */

/* A console line as the node sent it (ANSI stripped, valid UTF-8). */
struct bhub_line {
	uint64_t	 seq;
	char		*text;
};

/* What a node answered to a console command. */
struct bhub_cmd_result {
	char		 code[24];	/* HUBP_CODE_*, "offline", "timeout" */
	uint64_t	 seq;		/* last line before the command */
	uint64_t	 retry_ms;	/* rate limited: when to try again */
};

/*
 * Follows server's console on node (reference counted: each call needs
 * a bhub_console_unfollow): the node sends its latest tail lines (0:
 * none), then every new line, which the hub keeps (the latest
 * HUB_CON_LINES). Returns 0, or -1 with err set when node is not
 * connected or too many consoles are followed.
 */
int	bhub_console_follow(struct bhub *h, const char *node,
	    const char *server, unsigned int tail, struct rerr *err);
/* Drops one reference of bhub_console_follow. */
void	bhub_console_unfollow(struct bhub *h, const char *server);
/*
 * Copies the kept lines of server numbered above after (at most max of
 * the newest; 0: all) into an array for bhub_lines_free. *next gets the
 * newest number, *tails how many tail frames arrived (either may be
 * NULL). Returns the count, or -1 when server is not followed.
 */
ssize_t	bhub_console_read(struct bhub *h, const char *server,
	    uint64_t after, size_t max, struct bhub_line **out,
	    uint64_t *next, unsigned long *tails);
void	bhub_lines_free(struct bhub_line *v, size_t n);
/*
 * Waits up to timeout_ms for a line of server numbered above after or
 * for more than tails tail frames. Returns 1 when one came, else 0.
 */
int	bhub_console_wait(struct bhub *h, const char *server,
	    uint64_t after, unsigned long tails, long timeout_ms);

/*
 * Sends a console command typed by user ("discord:ID") on server to node
 * and waits up to timeout_ms for its answer. Returns 0 when the node
 * typed it, else -1 with res->code and err saying why (the node's
 * message, or that the node is not connected or did not answer).
 */
int	bhub_command(struct bhub *h, const char *node, const char *server,
	    const char *user, const char *line, long timeout_ms,
	    struct bhub_cmd_result *res, struct rerr *err);

/*
 * Asks node to run server's schedule now for user ("discord:ID") and
 * waits up to timeout_ms for its answer. Returns 0 when the run started,
 * else -1 with res->code (HUBP_CODE_BUSY: a run of it goes on; "offline":
 * the node is not connected) and err saying why.
 */
int	bhub_schedule_run(struct bhub *h, const char *node,
	    const char *server, const char *user, const char *schedule,
	    long timeout_ms, struct bhub_cmd_result *res, struct rerr *err);

/* Sets the audit listener (NULL: none). */
void	bhub_set_audit(struct bhub *h, bhub_audit_cb cb, void *arg);

#endif
