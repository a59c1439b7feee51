/*
 * hubproto: the frames of the node hub protocol, for both of its sides
 * (roostd's client in reconciler/hub.c, the bot's server in bot/hub.c).
 * docs/hub-protocol.md describes them; this header is where the code
 * finds their names, limits and shapes. Every builder returns the frame
 * as compact JSON text owned by the caller.
 */
#ifndef ROOST_HUBPROTO_H
#define ROOST_HUBPROTO_H

#include <cjson/cJSON.h>

#define HUBP_PATH		"/v1/hub"
#define HUBP_SUBPROTOCOL	"roost-hub.v1"
#define HUBP_HEARTBEAT_S	15		/* node -> hub heartbeat */
#define HUBP_HUB_MAX_FRAME	(8 << 20)	/* bytes the hub reads */
#define HUBP_NODE_MAX_FRAME	(4 << 20)	/* bytes a node reads */
#define HUBP_MAX_SERVERS	10000		/* entries of one snapshot */

enum hubp_type {
	HUBP_UNKNOWN,		/* ignored by both sides */
	/* node -> hub */
	HUBP_HELLO,		/* node, version, revision */
	HUBP_SNAPSHOT,		/* node (object), servers (array) */
	HUBP_SERVER,		/* server (object) */
	HUBP_SERVER_REMOVED,	/* name */
	HUBP_NODE,		/* node (object) */
	HUBP_PROGRESS,		/* server, kind, text */
	HUBP_HEARTBEAT,		/* time */
	HUBP_FETCHED,		/* id, revision, error */
	/* hub -> node */
	HUBP_FETCH,		/* id, revision (optional) */
	HUBP_RESYNC		/* - */
};

/* The type of a parsed frame (HUBP_UNKNOWN when absent or unknown). */
enum hubp_type	 hubp_type(const cJSON *frame);
/* The wire name of a type ("server_removed"). */
const char	*hubp_type_name(enum hubp_type t);

/* Node -> hub. revision may be NULL (null on the wire). */
char	*hubp_hello(const char *node, const char *version,
	    const char *revision);
/* node and servers are JSON texts of the node object and server array. */
char	*hubp_snapshot(const char *node_json, const char *servers_json);
char	*hubp_server(const char *server_json);
char	*hubp_server_removed(const char *name);
char	*hubp_node(const char *node_json);
char	*hubp_progress(const char *server, const char *kind,
	    const char *text);
char	*hubp_heartbeat(const char *rfc3339);
/*
 * The answer to fetch request id; result is the JSON text of
 * {revision, error}, or NULL ("no result").
 */
char	*hubp_fetched(const char *id, const char *result);

/* Hub -> node. revision may be NULL (left out). */
char	*hubp_fetch(const char *id, const char *revision);
char	*hubp_resync(void);

#endif
