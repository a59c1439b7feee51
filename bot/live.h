/*
 * live: roost-bot's live messages. After a committed job the bot follows
 * the server as its node reports it through the hub and edits the job's
 * deferred response as the phase changes, until the server settles at
 * the commit or the interaction token is about to expire. Status views
 * (/server status, Refresh) are edited whenever the node reports a change
 * of their server; before their token expires, or as soon as Discord
 * refuses it, a view goes on as an ordinary channel message that the bot
 * edits with its own token for the configured follow time.
 *
 * Edits are throttled and coalesced per message: at most one edit per
 * LIVE_EDIT_MS, always rendered from the latest report when it is sent,
 * and none when the rendering did not change.
 *
 * Threading: a few threads of its own send the edits; every function is
 * safe from any thread, and live_changed may be called with the hub's
 * lock held.
 */
#ifndef ROOST_BOT_LIVE_H
#define ROOST_BOT_LIVE_H

#include <stdint.h>

struct bhub;
struct cmd_env;
struct cmd_job;
struct cmd_result;
struct live;
struct rerr;
struct rest;

#define LIVE_EDIT_MS	1000		/* at most one edit per message */
#define LIVE_TOKEN_MS	(14 * 60 * 1000) /* tokens live 15 min */
#define LIVE_MAX_VIEWS	100		/* live status views kept */
#define LIVE_MAX_JOBS	100		/* jobs followed at once */

/*
 * What the live senders and the alerts read: Discord's API, the hub's
 * reports and the current state snapshot.
 */
struct live_src {
	struct rest	*rest;		/* borrowed */
	struct bhub	*hub;		/* borrowed; NULL: nothing to follow */
	/*
	 * Fills env with the current state snapshot for rendering and
	 * returns a reference for env_put, which gives it back.
	 */
	void		*(*env_get)(void *arg, struct cmd_env *env);
	void		 (*env_put)(void *arg, void *ref);
	void		*arg;
};

struct live_conf {
	struct live_src	 src;
	int		 follow_min;	/* minutes a status view is followed */
};

/*
 * Starts the senders (conf is copied). Returns 0 with *out owned by the
 * caller (live_stop), or -1.
 */
int	live_start(struct live **out, const struct live_conf *conf,
	    struct rerr *err);
/* Stops the senders and frees everything; takes NULL. */
void	live_stop(struct live *lv);

/* Monotonic milliseconds, the clock of every time given to live. */
int64_t	live_now_ms(void);
/* The same clock with the fraction of a millisecond. */
double	live_now_msf(void);

/*
 * Follows the server of a committed job: takes job and *res (res is
 * moved, left zeroed) and edits the job's deferred response until the
 * server settles at res->commit or the token is about to expire. A
 * component's job (on a status view) goes on as a status view.
 */
void	live_follow(struct live *lv, struct cmd_job *job,
	    struct cmd_result *res);

/*
 * Keeps a status view of server live: the message of the interaction
 * with token (application app, channel channel, message_id if known,
 * else NULL) that arrived at received_ms. A view of the same message
 * replaces the one before; beyond LIVE_MAX_VIEWS the oldest is dropped.
 */
void	live_view(struct live *lv, const char *app, const char *token,
	    const char *channel, const char *message_id, const char *server,
	    int64_t received_ms);

/* A node reported a change of server (NULL: of any server). */
void	live_changed(struct live *lv, const char *server);

#endif
