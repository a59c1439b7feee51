/*
 * actions: what the bot's workers call to carry out a command's job. The
 * interface is a small struct of function pointers so that the command
 * flow can run over the real panel core (actions_panel) or anything else
 * that edits desired state.
 */
#ifndef ROOST_BOT_ACTIONS_H
#define ROOST_BOT_ACTIONS_H

struct cmd_job;
struct cmd_result;
struct rerr;
struct state;

struct bot_actions {
	void	*arg;
	/*
	 * Carries out job (create, set, power, delete, sftp, history) and
	 * fills res; res->rc says how it went. Never logs.
	 */
	void	(*run)(void *arg, const struct cmd_job *job,
		    struct cmd_result *res);
	/*
	 * Loads the desired state at the branch tip (fetching first when
	 * fetch is set). *out is owned by the caller. Returns 0 or an error.
	 */
	int	(*load)(void *arg, int fetch, struct state **out,
		    struct rerr *err);
	/*
	 * The subject and author ("Name <email>") of commit rev, owned by
	 * the caller. Returns 0 or an error.
	 */
	int	(*describe)(void *arg, const char *rev, char **subject,
		    char **author, struct rerr *err);
	/* Frees arg. */
	void	(*close)(void *arg);
};

struct actions_panel_conf {
	const char	*repo;		/* work tree, bare repo or mirror */
	const char	*branch;	/* NULL: HEAD's */
	const char	*committer;	/* "Name <email>" */
	const char	*ssh_key;
	const char	*token_file;
	const char	*host_key;
};

/*
 * Makes actions over the panel core for one thread (open one per worker).
 * Returns 0 with *out filled, or an error.
 */
int	actions_panel_open(struct bot_actions *out,
	    const struct actions_panel_conf *conf, struct rerr *err);

/*
 * Prepares the bot's clone: a bare mirror of url in dir (made or updated).
 * Returns 0 or an error.
 */
int	actions_mirror_prepare(const char *dir, const char *url,
	    const char *branch, const struct actions_panel_conf *conf,
	    struct rerr *err);

#endif
