/*
 * commands: roost-bot's slash commands, buttons, selects, modals and
 * autocomplete as pure functions. An interaction (JSON) and a snapshot of
 * the desired state and of the nodes' reported status go in; the first
 * response (the interaction callback body) and, for anything that touches
 * git, a job for a worker come out. A finished job turns into the message
 * that replaces the deferred response, and, while the node applies it,
 * into live messages built from the node's reports. Nothing here does
 * I/O, so every flow is unit-testable.
 */
#ifndef ROOST_BOT_COMMANDS_H
#define ROOST_BOT_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct buf;
struct gitstore_logent;
struct state;
struct state_server;

/* Interaction types from Discord's documentation. */
#define IX_PING			1
#define IX_COMMAND		2
#define IX_COMPONENT		3
#define IX_AUTOCOMPLETE		4
#define IX_MODAL		5

/* Callback and message flags from Discord's documentation. */
#define CB_MESSAGE		4
#define CB_DEFER		5
#define CB_DEFER_UPDATE		6
#define CB_UPDATE		7
#define CB_AUTOCOMPLETE		8
#define CB_MODAL		9
#define MSG_EPHEMERAL		64

/* Command and option types from Discord's documentation. */
#define APP_CHAT_INPUT		1	/* a slash command */
#define OPT_SUBCOMMAND		1
#define OPT_STRING		3
#define OPT_INTEGER		4
#define OPT_BOOLEAN		5

/* Component types and styles from Discord's documentation. */
#define COMP_ROW		1	/* an action row */
#define COMP_BUTTON		2
#define COMP_SELECT		3	/* a string select */
#define COMP_TEXT_INPUT		4
#define COMP_LABEL		18
#define BTN_PRIMARY		1
#define BTN_SECONDARY		2
#define BTN_SUCCESS		3
#define BTN_DANGER		4
#define TEXT_SHORT		1
#define TEXT_PARAGRAPH		2

/* What the handlers may read besides the interaction. */
struct cmd_env {
	const struct state	*st;	/* desired state snapshot, or NULL */
	/* The last status a node reported for a server / a node (a copy the
	 * caller frees with cJSON_Delete), or NULL. */
	cJSON			*(*server_status)(void *arg, const char *name);
	cJSON			*(*node_status)(void *arg, const char *name);
	void			*arg;
	const char		*review_channel; /* bot.yaml reviewChannel,
						   or NULL: no proposals */
};

enum cmd_kind {
	JOB_CREATE,
	JOB_SET,
	JOB_POWER,
	JOB_DELETE,
	JOB_SFTP,
	JOB_HISTORY,
	JOB_REVERT,		/* revert one commit's change (revision) */
	JOB_ROLLBACK_DIFF,	/* what a rollback to revision would do */
	JOB_ROLLBACK,		/* set the file as it was at revision */
	JOB_PLAN,		/* the plan of branch (revision) */
	JOB_APPROVE,		/* approve proposal (revision) */
	JOB_REJECT,		/* reject proposal (revision) */
	JOB_BACKUP,		/* ask for a backup (note) */
	JOB_RESTORE,		/* ask for a restore of backup_id */
	JOB_MOVE,		/* move server to node */
	JOB_SCHEDULES,		/* set server's schedules (yaml) */
	/* not git: the bot's console workers (console.c) */
	JOB_CONSOLE,		/* type line on server's console */
	JOB_LOGS,		/* show the tail of server's console */
	JOB_FOLLOW,		/* keep a logs message up to date */
	JOB_SCHEDULE_RUN	/* run server's schedule now on node */
};

/* True for the jobs of the console workers rather than git's. */
#define CMD_JOB_CONSOLE(k)	((k) >= JOB_CONSOLE)

/* Work for a worker thread; every string is owned by the job. */
struct cmd_job {
	enum cmd_kind	 kind;
	char		*interaction_id;
	char		*token;
	char		*application_id;
	char		*channel_id;
	char		*user_id;
	char		*author;	/* panel_author_discord() */
	char		*request_id;	/* "discord-<interaction id>" */
	char		*server;
	char		*egg;		/* create */
	char		*node;		/* create: NULL places by capacity */
	int64_t		 memory, disk, cpu;	/* create; -1 unset */
	char		**kv;		/* set: "KEY=VALUE" */
	size_t		 nkv;
	int		 vars;		/* set: every KEY is an egg
					   variable (variables.KEY) */
	int		 power;		/* enum panel_power */
	char		*sftp_user;	/* sftp */
	int		 on_message;	/* a component: edit its message */
	char		*message_id;	/* a component's message, or NULL */
	char		*what;		/* "/server start", for messages */
	char		*line;		/* console: the command */
	char		*schedule;	/* schedule run: its name */
	char		*yaml;		/* schedules: the typed list */
	char		*revision;	/* revert, rollback: a commit id */
	char		*note;		/* backup: its note, or NULL */
	char		*backup_id;	/* restore: the backup */
	int		 nlines;	/* logs: lines to show */
	int		 ephemeral;	/* console, logs: only the user sees */
	int64_t		 received_ms;	/* set by the bot: when it arrived */
	int		 propose;	/* set: proposed for review, not
					   committed to the branch */
};

/* What an action did, filled by the worker. */
struct cmd_result {
	int			 rc;		/* 0 or ROOST_E* */
	char			 msg[512];	/* error message */
	char			*problems;	/* validation, one per line */
	char			 commit[41];
	int			 existing;	/* redelivered: nothing new */
	int			 unchanged;
	char			*node;		/* the server's node */
	char			*password;	/* sftp: the new password */
	int			 dm_sent;	/* sftp: password went by DM */
	int			 dm_closed;	/* sftp: DM refused (50007) */
	char			*diff;		/* rollback preview, plan */
	char			 base[41];	/* plan: the tracked tip */
	char			 at[32];	/* backup, restore: the
						   request's time */
	struct gitstore_logent	*log;		/* history */
	size_t			 nlog;
	char			 proposal[16];	/* proposals: the id */
	char			*proposer;	/* proposals: their Discord id */
	char			*plan;		/* propose: the branch's plan */
	int			 stale;		/* approve: no longer applies */
	int			 kept;		/* approve: the branch stayed */
	int			 review_failed;	/* propose: no review posted */
};

/*
 * Handles one interaction. Sets *reply to the callback body (never NULL;
 * owned by the caller) and *job to the work to do afterwards, or NULL.
 * Never fails: bad input becomes an ephemeral explanation.
 */
void	cmd_handle(const struct cmd_env *env, const cJSON *ix, cJSON **reply,
	    struct cmd_job **job);

/*
 * The message that replaces the deferred response once job finished with
 * res (PATCH .../messages/@original). Owned by the caller.
 */
cJSON	*cmd_job_message(const struct cmd_env *env, const struct cmd_job *job,
	    const struct cmd_result *res);

/* What a console job saw, for its message. */
struct cmd_console_view {
	const char	*const *lines;	/* oldest first, ANSI stripped */
	size_t		 nlines;
	const char	*error;		/* why nothing is shown, or NULL */
	int		 following;	/* logs: the message follows */
	int		 ended;		/* logs: its follow time is up */
	const char	*until;		/* following: "HH:MM UTC" */
};

/*
 * The message of a console job: the command and the lines that followed
 * it (JOB_CONSOLE), or the tail of the console with the Follow and Send
 * command buttons (JOB_LOGS, JOB_FOLLOW). Lines are shown in a code block
 * cut to fit Discord's limits, newest kept. Owned by the caller.
 */
cJSON	*cmd_console_message(const struct cmd_job *job,
	    const struct cmd_console_view *v);

/*
 * The audit channel's message of a console command (entry: {time,
 * server, who, line}) typed on node. Mentions nobody. Owned by the
 * caller.
 */
cJSON	*cmd_audit_message(const char *node, const cJSON *entry);

/*
 * The message of /server schedules: srv's schedules as written (cron,
 * zone, tasks) with what its node last reported of them (next run, last
 * run and the result of each task, failures), cut to Discord's limits,
 * and a Run now button per schedule. Ephemeral. Owned by the caller.
 */
cJSON	*cmd_schedules_message(const struct cmd_env *env,
	    const struct state_server *srv);

/*
 * Appends srv's schedules as a YAML list (what the server file's
 * schedules: holds; defaults from roost.yaml included), the prefill of
 * the Edit schedules modal.
 */
void	cmd_schedules_yaml(struct buf *b, const struct state_server *srv);

/*
 * The message of a schedule run job from the node's answer: code is a
 * HUBP_CODE_* or "offline"/"timeout", error the node's message or NULL.
 */
cJSON	*cmd_schedule_run_message(const struct cmd_job *job,
	    const char *code, const char *error);

/* The direct message that carries a new SFTP password. */
cJSON	*cmd_sftp_dm(const struct cmd_job *job, const char *password);

/* The status embed message of a server (with its buttons). */
cJSON	*cmd_status_message(const struct cmd_env *env, const char *server);

/* One line of a node's progress report (hub "progress" frames). */
struct cmd_progress {
	const char	*kind;		/* "pull", "install", "start" */
	const char	*text;
};

/* What the live message of a committed job shows. */
struct cmd_follow {
	const struct cmd_job		*job;
	const struct cmd_result		*res;	/* commit and node */
	const cJSON			*status; /* last report, or NULL */
	const struct cmd_progress	*lines;	/* oldest first */
	size_t				 nlines;
	int				 connected; /* node on the hub */
	int				 timed_out; /* last edit: gave up */
};

/*
 * The status view of server from the given report (NULL: none yet) and
 * the node's latest progress lines (oldest first): the status embed with
 * the image pull or install log while those run, and the buttons. Owned
 * by the caller.
 */
cJSON	*cmd_status_view(const struct cmd_env *env, const char *server,
	    const cJSON *status, const struct cmd_progress *lines,
	    size_t nlines);

/*
 * When reply, the first response cmd_handle gave, shows a status view (a
 * message with a Refresh button), writes its server into out (size len)
 * and returns 1; returns 0 otherwise.
 */
int	 cmd_reply_view(const cJSON *reply, char *out, size_t len);

/* True when the server of a job that ended with res is worth following. */
int	 cmd_job_follows(const struct cmd_job *job,
	    const struct cmd_result *res);

/*
 * True when the report status shows the server settled at revision
 * commit: Running or Stopped with appliedRevision at commit, or
 * CrashLoop, Failed, InstallFailed or Invalid having observed it.
 */
int	 cmd_follow_settled(const cJSON *status, const char *commit);
/*
 * Whether the followed job has nothing more to show in report st: as
 * cmd_follow_settled, and for a backup or restore once the node reported
 * the request's result (a restore: and the server is back).
 */
int	 cmd_job_settled(const struct cmd_job *job,
	    const struct cmd_result *res, const cJSON *st);

/*
 * The message of a followed job: the finished-job note, a line saying
 * where the server is (waiting for the node, pulling with the latest
 * progress, installing, starting, running with its usage, or what went
 * wrong), and the status view below it. Owned by the caller.
 */
cJSON	*cmd_follow_message(const struct cmd_env *env,
	    const struct cmd_follow *f);

/*
 * When f is a created server now Running at its commit, appends to b the
 * line that mentions the user who asked and gives the connection address
 * (host:port, extra ports after it) and returns 0; -1 otherwise.
 */
int	 cmd_follow_ready(const struct cmd_env *env,
	    const struct cmd_follow *f, struct buf *b);

/* The application commands, for PUT .../commands (owned by the caller). */
cJSON	*cmd_definitions(void);

/* Frees a job; takes NULL. */
void	cmd_job_free(struct cmd_job *job);
/* Frees what a result holds. */
void	cmd_result_dispose(struct cmd_result *res);

/*
 * Renders a usage bar of width cells for used out of limit into out
 * ("[#####-----] 50%"); limit <= 0 renders "unlimited".
 */
void	cmd_bar(double used, double limit, int width, char *out, size_t len);

/*
 * Proposals (bot/cmd_propose.c). The review channel's message of a
 * proposal job that ended with res: the diff and the plan with Approve
 * and Reject buttons. Owned by the caller.
 */
cJSON	*cmd_review_message(const struct cmd_job *job,
	    const struct cmd_result *res);
/*
 * The edit of the review message once an approve or reject job ended
 * with res (content and buttons; the embed stays), or NULL when the
 * message stays as it is. Owned by the caller.
 */
cJSON	*cmd_review_decided(const struct cmd_job *job,
	    const struct cmd_result *res);
/*
 * The review channel's message that tells the proposer how their
 * proposal was decided (mentioning only them), or NULL. Owned by the
 * caller.
 */
cJSON	*cmd_review_followup(const struct cmd_job *job,
	    const struct cmd_result *res);

#endif
