/*
 * deploys: deploy feedback. For every new revision of the tracked branch
 * the bot sees, whoever made it (the bot, the CLI, a merged pull
 * request), one message in bot.yaml's deployChannel names the commit, its
 * author and the servers it changed, per node, and is edited as the
 * nodes report them: applied, or failed with the reason. It ends when
 * every changed server settled at the revision, a newer revision took
 * over, or after DEPLOY_FOLLOW_MS.
 *
 * Threading: one thread of its own sends the messages; every function is
 * safe from any thread, and deploys_changed may be called with the hub's
 * lock held.
 */
#ifndef ROOST_BOT_DEPLOYS_H
#define ROOST_BOT_DEPLOYS_H

struct bhub;
struct deploys;
struct rerr;
struct rest;
struct state;

#define DEPLOY_FOLLOW_MS	(15 * 60 * 1000)
#define DEPLOY_MAX_SERVERS	25	/* listed by name; more are counted */

struct deploys_conf {
	struct rest	*rest;		/* borrowed */
	struct bhub	*hub;		/* borrowed; NULL: nothing reported */
	const char	*channel;	/* channel id (copied) */
};

/* Starts the sender (conf copied). Returns 0 or -1 with err. */
int	deploys_start(struct deploys **out, const struct deploys_conf *conf,
	    struct rerr *err);
/* Stops it and frees everything; takes NULL. */
void	deploys_stop(struct deploys *d);

/*
 * The branch moved from old to new (both borrowed for the call): posts a
 * message for new->revision with subject and author (either may be NULL)
 * listing the servers whose files differ.
 */
void	deploys_revision(struct deploys *d, const struct state *old,
	    const struct state *new, const char *subject, const char *author);

/* A node reported a change of server (NULL: of any). */
void	deploys_changed(struct deploys *d, const char *server);

/* How many messages were posted and edited, for logs and tests. */
void	deploys_counts(struct deploys *d, long *posted, long *edits);

#endif
