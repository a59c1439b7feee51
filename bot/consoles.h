/*
 * consoles: roost-bot's console workers. They carry out the console jobs
 * of commands.c through the node hub: /server console (send the line,
 * collect the output that follows it for a few seconds, edit the deferred
 * response), /server logs (the tail of the console) and Follow (the logs
 * message kept up to date, at most one edit a second, for
 * statusFollowMinutes or until the interaction token is about to expire,
 * whichever comes first). They also post every console command the nodes
 * audit to the audit channel, when bot.yaml names one.
 *
 * Threading: a few threads of their own; every function is safe from any
 * thread.
 */
#ifndef ROOST_BOT_CONSOLES_H
#define ROOST_BOT_CONSOLES_H

#include <cjson/cJSON.h>

struct bhub;
struct cmd_job;
struct consoles;
struct rerr;
struct rest;

#define CONS_COLLECT_MS		3000	/* output of a command: at most */
#define CONS_QUIET_MS		700	/* ... or this long without a line */
#define CONS_ANSWER_MS		5000	/* a node's answer to a command */
#define CONS_MAX_FOLLOWS	20	/* logs messages followed at once */

struct consoles_conf {
	struct rest	*rest;		/* borrowed */
	struct bhub	*hub;		/* borrowed; NULL: none */
	int		 follow_min;	/* minutes a logs message is followed */
	const char	*audit_channel;	/* channel id, or NULL */
};

/*
 * Starts the workers (conf copied, its strings too). Returns 0 with *out
 * owned by the caller (consoles_stop), or -1 with err.
 */
int	consoles_start(struct consoles **out, const struct consoles_conf *conf,
	    struct rerr *err);
/* Stops the workers and frees everything; takes NULL. */
void	consoles_stop(struct consoles *cs);

/* Takes a JOB_CONSOLE, JOB_LOGS, JOB_FOLLOW or JOB_SCHEDULE_RUN job. */
void	consoles_submit(struct consoles *cs, struct cmd_job *job);

/* An audit entry a node sent ({time, server, who, line}, borrowed). */
void	consoles_audit(struct consoles *cs, const char *node,
	    const cJSON *entry);

/* Counts for logs and tests. */
struct consoles_stats {
	int	follows;	/* logs messages followed now */
	long	edits;		/* follow edits sent */
	long	audits;		/* audit messages posted */
};
void	consoles_get_stats(struct consoles *cs, struct consoles_stats *out);

#endif
