/*
 * hub_int: what the files of the bot's node hub share (private to
 * bot/hub.c and bot/hub_console.c): the node, server and console tables
 * behind struct bhub. The public face is hub.h.
 */
#ifndef ROOST_BOT_HUB_INT_H
#define ROOST_BOT_HUB_INT_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "ws.h"

#include "hub.h"

#define HUB_PROG_LINES	16	/* progress lines kept per server */
#define HUB_PROG_MAX	2048	/* bytes kept of one line */

struct hub_node;

#define HUB_CON_LINES	300	/* console lines kept per followed server */
#define HUB_CON_TEXT	2048	/* bytes kept of one console line */
#define HUB_CON_MAX	64	/* servers followed at once */

/* A followed server's console: its latest lines, oldest first. */
struct hub_con {
	char		*server;
	struct hub_node	*node;
	int		 refs;
	uint64_t	 seq[HUB_CON_LINES];
	char		*text[HUB_CON_LINES];
	size_t		 head, n;
	uint64_t	 last;		/* newest line's number */
	unsigned long	 tails;		/* tail frames received */
	unsigned long long dropped;	/* lines the node left out */
};

/* A command waiting for its node's answer. */
struct hub_cmd {
	char		 id[32];
	struct hub_node	*node;
	int		 done;
	char		 code[24];
	char		*error;
	uint64_t	 seq;
	uint64_t	 retry_ms;
	struct hub_cmd	*next;
};

/* One server: the last status its node reported and its progress lines. */
struct hub_srv {
	char		*name;
	struct hub_node	*node;		/* who reported it */
	cJSON		*status;	/* NULL: none (progress only) */
	char		*kind[HUB_PROG_LINES];
	char		*text[HUB_PROG_LINES];
	size_t		 nprog;
	struct hub_srv	*next;		/* hash chain */
};

struct hub_node {
	const char	*name;
	const char	*sha;
	struct lws	*wsi;		/* NULL: not connected */
	cJSON		*status;	/* node object */
	int		 unknown;	/* reported a server not in the state */
	struct ws_queue	 outq;
};

struct hub_conn {
	struct hub_node	*node;
	struct buf	 rx;
	int		 warned;	/* a spoofed server was logged */
};

struct bhub {
	struct ws_loop		*loop;
	pthread_mutex_t		 mu;
	struct hub_node		*nodes;
	size_t			 nnodes;
	unsigned long		 fetch_id;
	struct hub_srv		**tab;		/* hash buckets */
	size_t			 ntab;		/* a power of two */
	size_t			 nsrv;
	bhub_assign_cb		 assign;
	void			*assign_arg;
	bhub_change_cb		 on_change;
	void			*change_arg;

	/* consoles (hub_console.c) */
	pthread_cond_t		 cv;		/* lines, answers, tails */
	struct hub_con		*cons;		/* followed servers */
	size_t			 ncons;
	struct hub_cmd		*cmds;		/* commands waiting */
	unsigned long		 cmd_id;
	bhub_audit_cb		 on_audit;
	void			*audit_arg;
};

/* Queues a frame for node n (takes text). Locked. */
void	 hub_queue_locked(struct hub_node *n, char *text);

/*
 * hub_console.c: a node frame of the console kinds (command_result,
 * console, audit) from node n; takes o. Called without the lock.
 */
void	 hubcon_receive(struct bhub *h, struct hub_node *n, cJSON *o);
/* Node n (re)connected: follow its followed consoles again. Locked. */
void	 hubcon_node_up_locked(struct bhub *h, struct hub_node *n);
/* Node n went away: its commands waiting fail. Locked. */
void	 hubcon_node_down_locked(struct bhub *h, struct hub_node *n);
/* Frees the console tables (the hub stops). */
void	 hubcon_free(struct bhub *h);

#endif
