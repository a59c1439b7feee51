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
	HUBP_COMMAND_RESULT,	/* id, code, error, seq, retryMs */
	HUBP_CONSOLE,		/* server, lines [{seq, text}], dropped, tail */
	HUBP_AUDIT,		/* entry {time, server, who, line} */
	/* hub -> node */
	HUBP_FETCH,		/* id, revision (optional) */
	HUBP_RESYNC,		/* - */
	HUBP_COMMAND,		/* id, server, user, line */
	HUBP_SUBSCRIBE,		/* server, lines */
	HUBP_UNSUBSCRIBE,	/* server */
	HUBP_SCHEDULE_RUN	/* id, server, schedule, user */
};

/* The codes of a command_result frame. */
#define HUBP_CODE_OK		"ok"
#define HUBP_CODE_INVALID	"invalid"	/* the input rules */
#define HUBP_CODE_NOT_FOUND	"not_found"	/* no such server here */
#define HUBP_CODE_NOT_RUNNING	"not_running"
#define HUBP_CODE_RATE_LIMITED	"rate_limited"	/* retryMs says when */
#define HUBP_CODE_FAILED	"failed"	/* audit log or transport */
#define HUBP_CODE_BUSY		"busy"		/* the schedule's run goes on */

#define HUBP_CONSOLE_MAX_LINES	200	/* lines of one console frame */
#define HUBP_TAIL_MAX		1000	/* lines a subscribe may ask for */

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
/*
 * The answer to command request id: code is one of HUBP_CODE_*, error
 * the message (NULL with HUBP_CODE_OK), seq the number of the server's
 * last console line before the command, retry_ms the wait of a rate
 * limited user.
 */
char	*hubp_command_result(const char *id, const char *code,
	    const char *error, unsigned long long seq,
	    unsigned long long retry_ms);
/*
 * Console lines of server for the hub: lines is an array of {seq, text}
 * (taken), text without ANSI; dropped counts lines left out since the
 * last frame; tail marks the answer to a subscribe (the latest lines).
 */
char	*hubp_console(const char *server, cJSON *lines,
	    unsigned long long dropped, int tail);
/* An audit entry (the JSON text of {time, server, who, line}). */
char	*hubp_audit(const char *entry_json);

/* Hub -> node. revision may be NULL (left out). */
char	*hubp_fetch(const char *id, const char *revision);
char	*hubp_resync(void);
/* A console command typed by user ("discord:ID") on server. */
char	*hubp_command(const char *id, const char *server, const char *user,
	    const char *line);
/*
 * Runs server's schedule now for user ("discord:ID"): an action on the
 * node, audited, not a commit; answered by command_result (seq 0).
 */
char	*hubp_schedule_run(const char *id, const char *server,
	    const char *schedule, const char *user);
/*
 * Starts sending server's console lines, first the latest lines of them
 * (0: none); unsubscribe stops.
 */
char	*hubp_subscribe(const char *server, unsigned int lines);
char	*hubp_unsubscribe(const char *server);

#endif
