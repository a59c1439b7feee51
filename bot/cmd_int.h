/*
 * cmd_int: what the files of roost-bot's command handlers share (private
 * to bot/commands.c and bot/cmd_*.c): the parsed interaction, the rows of
 * the command table, and the reply, permission and job helpers. The
 * public face is commands.h.
 */
#ifndef ROOST_BOT_CMD_INT_H
#define ROOST_BOT_CMD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "commands.h"
#include "limit.h"

struct buf;
struct state;
struct state_server;

#define MAX_ROLES	64

/* The invoker and the parts of an interaction the handlers read. */
struct ix {
	const cJSON	*root;
	const cJSON	*data;
	int		 type;		/* IX_* */
	const char	*id;
	const char	*user;
	const char	*username;
	const char	*roles[MAX_ROLES];
	size_t		 nroles;
	const char	*sub;		/* subcommand name */
	const char	*cmd;		/* command name */
	const cJSON	*opts;		/* the subcommand's options */
};

struct cmd_row;

/* One call of a handler: what it may read, and where its job goes. */
struct cmd_call {
	const struct cmd_env		*env;
	const struct ix			*x;
	const struct cmd_row		*row;	/* slash commands, else NULL */
	const struct state_server	*srv;	/* the checked server, or NULL */
	const char			*cid;	/* a component's or modal's
						   custom_id, else NULL */
	const char			*arg;	/* cid after its prefix */
	struct cmd_job			**job;
	int				 propose; /* srv was checked as
						   proposable, not editable */
};

typedef cJSON *(*cmd_handler)(const struct cmd_call *);

/* An option of a slash command (application command option type 3..). */
struct cmd_opt {
	int		 type;		/* OPT_STRING, ... */
	const char	*name;
	const char	*desc;
	int		 required;
	int		 autocomplete;
};

/*
 * A row of the command table: the registered definition and the
 * dispatch of one slash command. With CMD_ON_SERVER the dispatcher
 * finds the server named by the "server" option and checks perm on it
 * (refusing with "You may not <what> server ..."); otherwise the handler
 * checks what it needs (perm is then what the command is about).
 */
struct cmd_row {
	const char		*command;	/* "server" */
	const char		*sub;		/* "stop" */
	const char		*desc;
	unsigned		 perm;		/* PERM_* */
	int			 scope;		/* CMD_ON_SERVER or CMD_SELF */
	const char		*what;		/* verb for refusals */
	const struct cmd_opt	*opts;		/* ends with a NULL name */
	cmd_handler		 fn;
	int			 arg;		/* e.g. enum panel_power */
};

#define CMD_SELF	0
#define CMD_ON_SERVER	1
#define CMD_PROPOSE	2	/* CMD_ON_SERVER, or proposable */

/*
 * A handler of components or modals by custom_id prefix. With scope
 * CMD_ON_SERVER or CMD_PROPOSE the rest of the custom_id is a server,
 * which the dispatcher checks as for a command row.
 */
struct cmd_prefix {
	const char	*prefix;
	int		 exact;		/* the whole custom_id */
	cmd_handler	 fn;
	int		 scope;		/* CMD_* */
	unsigned	 perm;		/* PERM_* */
	const char	*what;		/* verb for refusals */
};

/* The value of a slash command option, or NULL. */
const cJSON	*cmd_opt_get(const struct ix *x, const char *name);
const char	*cmd_opt_str(const struct ix *x, const char *name);

/* A callback body of type (CB_*) whose "data" is data (taken). */
cJSON	*cmd_reply_data(int type, cJSON *data);
/* A callback body of type (CB_*); *data is its "data" object. */
cJSON	*cmd_reply_new(int type, cJSON **data);
/* Makes a message mention nobody. */
void	 cmd_no_mentions(cJSON *data);
/*
 * Appends len bytes of s for a code block, with every run of backticks
 * broken by U+200B so that no "```" in s can end the block.
 */
void	 cmd_code_put(struct buf *b, const char *s, size_t len);
/* The length of s cut to at most max bytes, on a character boundary. */
size_t	 cmd_cut_len(const char *s, size_t max);
/* Appends text without backticks or line breaks, at most max bytes. */
void	 cmd_plain_put(struct buf *b, const char *text, size_t max);
/* Sets a message's content, cut to Discord's 2,000 characters. */
void	 cmd_add_content(cJSON *data, const char *text);
/* A message reply (ephemeral or not) of printf-formatted text. */
cJSON	*cmd_reply_text(int ephemeral, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
/* A deferred reply ("thinking"), and the deferred update of a message. */
cJSON	*cmd_reply_defer(int ephemeral);
cJSON	*cmd_reply_defer_update(void);
/* A button whose custom_id is prefix and arg. */
cJSON	*cmd_button(const char *label, int style, const char *prefix,
	    const char *arg);
/*
 * Splits a custom_id argument "SERVER:REST" into server (size len) and
 * returns REST, or NULL when arg is not so (no colon, an empty part, a
 * server name too long).
 */
const char *cmd_arg_split(const char *arg, char *server, size_t len);
/*
 * The components of a message holding one string select (custom_id,
 * placeholder); *options is its options array, to fill (1 to 25).
 */
cJSON	*cmd_select_rows(const char *custom_id, const char *placeholder,
	    cJSON **options);
/*
 * Adds an option to a string select's options: label and description
 * (NULL for none) cut to Discord's 100 bytes, and value. Returns it.
 */
cJSON	*cmd_select_option(cJSON *options, const char *label,
	    const char *value, const char *description);
/*
 * Sets data's components to one row: a red button label (custom_id prefix
 * and arg) and Cancel; and makes data mention nobody.
 */
void	 cmd_confirm_row(cJSON *data, const char *label, const char *prefix,
	    const char *arg);
/*
 * An ephemeral reply of type (CB_*) asking to confirm: text, the embeds
 * array (taken; NULL: none) and the confirmation row of cmd_confirm_row.
 */
cJSON	*cmd_reply_confirm(int type, const char *text, cJSON *embeds,
	    const char *label, const char *prefix, const char *arg);
/* A modal's text input row. */
cJSON	*cmd_text_input(const char *id, const char *label, const char *value,
	    int min, int max, int required, const char *placeholder);
/* The value a modal submitted for input id, or NULL. */
const char *cmd_modal_value(const struct ix *x, const char *id);
/* A modal reply; *comps is its components array. */
cJSON	*cmd_modal_new(const char *custom_id, const char *title,
	    cJSON **comps);
/* A followed-up message (not a callback) of printf-formatted text. */
cJSON	*cmd_message_text(const char *fmt, ...)
	    __attribute__((__format__(printf, 1, 2)));

/* The invoker's PERM_* on srv (NULL: roost.yaml's grants only). */
unsigned cmd_perms_of(const struct cmd_env *env, const struct ix *x,
	    const struct state_server *srv);
/* The refusal for what on server (NULL: not about a server). */
cJSON	*cmd_deny(const char *what, const char *server, unsigned perm);
/*
 * Finds server name and checks perm; on failure sets *reply and returns
 * NULL (a name no server can have is "no server" to anyone; an absent
 * one is a refusal to those who may not see servers).
 */
const struct state_server *cmd_server_checked(const struct cmd_env *env,
	    const struct ix *x, const char *name, unsigned perm,
	    const char *what, cJSON **reply);
/*
 * The server of a button whose argument is "SERVER:REST", found and
 * checked as by cmd_server_checked, with *rest set to REST; or NULL with
 * *reply set ("This button is broken." when the argument is not so, or
 * valid, when not NULL, is false for REST).
 */
const struct state_server *cmd_button_server(const struct cmd_call *c,
	    int (*valid)(const char *), unsigned perm, const char *what,
	    const char **rest, cJSON **reply);

/* A job for the invoker; what names it in messages ("/server stop"). */
struct cmd_job *cmd_job_new(const struct ix *x, enum cmd_kind kind,
	    const char *server, const char *what);
/* Adds KEY=VALUE to a set job. */
void	 cmd_job_add_kv(struct cmd_job *j, const char *key,
	    const char *value);

/* Adds an embed field. */
void	 cmd_field(cJSON *fields, const char *name, const char *value,
	    int inl);
/* The status embed of a server from its last report. */
cJSON	*cmd_status_embed(const struct cmd_env *env,
	    const struct state_server *srv);
/* Writes bytes as "1.5 GiB", "512 MiB" or, below a MiB, "12 KiB". */
void	 cmd_mib(double bytes, char *out, size_t len);
/* Writes the nest of an egg id ("minecraft" of "minecraft/paper"). */
void	 cmd_egg_nest(const char *id, char *out, size_t len);
/* "start", "stop", "restart" or "reinstall". */
const char *cmd_power_word(int power);
/*
 * Returns m, a finished job's message; when it replaces the message of the
 * job's button (on_message), it clears that message's components and
 * embeds.
 */
cJSON	*cmd_job_replaces(const struct cmd_job *job, cJSON *m);
/* The finished-job message of a history job. */
cJSON	*cmd_history_message(const struct cmd_job *job,
	    const struct cmd_result *res);
/* The finished-job messages of revert and rollback jobs. */
cJSON	*cmd_revert_message(const struct cmd_job *job,
	    const struct cmd_result *res);

/* The finished-job message of a backup or restore request. */
cJSON	*cmd_backup_message(const struct cmd_job *job,
	    const struct cmd_result *res);
/*
 * The headline of a followed backup or restore: 1 when it is whole, 0
 * when the phase's headline follows, -1 (nothing written) while the node
 * has neither reported the commit (reported 0) nor started or finished
 * the request.
 */
int	 cmd_backup_headline(const struct cmd_follow *f, struct buf *b,
	    int reported);
/* Whether the request of a backup or restore job is done in report st. */
int	 cmd_backup_settled(const struct cmd_job *job,
	    const struct cmd_result *res, const cJSON *st);

/* The finished-job message of a move. */
cJSON	*cmd_move_message(const struct cmd_job *job,
	    const struct cmd_result *res);

/* Slash command handlers (the table in commands.c lists them). */
cJSON	*cmd_do_create(const struct cmd_call *c);
cJSON	*cmd_do_list(const struct cmd_call *c);
cJSON	*cmd_do_status(const struct cmd_call *c);
cJSON	*cmd_do_power(const struct cmd_call *c);
cJSON	*cmd_do_edit(const struct cmd_call *c);
cJSON	*cmd_do_vars(const struct cmd_call *c);
cJSON	*cmd_do_delete(const struct cmd_call *c);
cJSON	*cmd_do_sftp(const struct cmd_call *c);
cJSON	*cmd_do_history(const struct cmd_call *c);
cJSON	*cmd_do_node_list(const struct cmd_call *c);
cJSON	*cmd_do_egg_list(const struct cmd_call *c);
cJSON	*cmd_do_console(const struct cmd_call *c);
cJSON	*cmd_do_rollback(const struct cmd_call *c);
cJSON	*cmd_do_plan(const struct cmd_call *c);
cJSON	*cmd_do_logs(const struct cmd_call *c);
cJSON	*cmd_do_backup(const struct cmd_call *c);
cJSON	*cmd_do_restore(const struct cmd_call *c);
cJSON	*cmd_do_move(const struct cmd_call *c);
cJSON	*cmd_do_schedules(const struct cmd_call *c);
/* Autocomplete of server, node and nest options. */
cJSON	*cmd_do_autocomplete(const struct cmd_env *env, const struct ix *x);

/* Component handlers (selects and buttons). */
cJSON	*cmd_create_pick(const struct cmd_call *c);
cJSON	*cmd_power_button(const struct cmd_call *c);
cJSON	*cmd_refresh_button(const struct cmd_call *c);
cJSON	*cmd_delete_button(const struct cmd_call *c);
cJSON	*cmd_cancel_button(const struct cmd_call *c);
cJSON	*cmd_vars_button(const struct cmd_call *c);
cJSON	*cmd_revert_button(const struct cmd_call *c);
cJSON	*cmd_rollback_button(const struct cmd_call *c);
cJSON	*cmd_logs_follow_button(const struct cmd_call *c);
cJSON	*cmd_logs_send_button(const struct cmd_call *c);
cJSON	*cmd_restore_pick(const struct cmd_call *c);
cJSON	*cmd_restore_button(const struct cmd_call *c);
cJSON	*cmd_move_button(const struct cmd_call *c);
cJSON	*cmd_schedule_run_button(const struct cmd_call *c);
cJSON	*cmd_schedules_edit_button(const struct cmd_call *c);
/* Modal handlers. */
cJSON	*cmd_create_modal(const struct cmd_call *c);
cJSON	*cmd_edit_modal(const struct cmd_call *c);
cJSON	*cmd_vars_submit(const struct cmd_call *c);
cJSON	*cmd_logs_send_modal(const struct cmd_call *c);
cJSON	*cmd_schedules_modal(const struct cmd_call *c);

/* Why cmd_parse_num refused a number. */
enum num_err {
	NUM_OK = 0,
	NUM_NAN = -1,		/* not a whole number */
	NUM_LOW = -2,		/* below lo */
	NUM_HIGH = -3		/* above hi (overflow included) */
};

/* A limit the create and edit modals take, with its bounds. */
struct cmd_limit {
	const char	*id;		/* the modal input */
	const char	*key;		/* the panel's key */
	enum limit_id	 lim;		/* bounds from the limits table */
};

/* memory, disk, cpu (the create modal's three), swap, io. */
extern const struct cmd_limit	cmd_limits[];
extern const size_t		cmd_nlimits;

/*
 * Parses a number typed in a modal (surrounding spaces allowed) within
 * [lo, hi]; returns an enum num_err.
 */
int	 cmd_parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out);
/* Explains a refused modal number in msg. */
void	 cmd_num_problem(struct buf *msg, const char *what, const char *unit,
	    int rc, int64_t lo, int64_t hi, const char *s);

/*
 * Proposals (cmd_propose.c). True when the invoker may propose edits of
 * srv: roost.yaml enables proposals, the bot has a review channel, the
 * invoker may view srv and holds one of proposals.roles (when listed).
 */
int	 cmd_may_propose(const struct cmd_env *env, const struct ix *x,
	    const struct state_server *srv);
/*
 * cmd_server_checked, except that a refused invoker who may propose
 * edits of the server gets it with *propose set.
 */
const struct state_server *cmd_server_or_propose(const struct cmd_env *env,
	    const struct ix *x, const char *name, unsigned perm,
	    const char *what, int *propose, cJSON **reply);
/*
 * The finished-job message of a proposal, approve or reject job, or NULL
 * when the usual one says it.
 */
cJSON	*cmd_propose_message(const struct cmd_job *job,
	    const struct cmd_result *res);
/* The Approve and Reject buttons of a review message. */
cJSON	*cmd_approve_button(const struct cmd_call *c);
cJSON	*cmd_reject_button(const struct cmd_call *c);

#endif
