/*
 * cli.h: the roost command-line interface. roost.c dispatches on the first
 * word; each cmd_*.c implements one family of commands. Every command
 * returns the process exit status: 0 success, 1 the check or edit failed
 * (invalid state, refused edit), 2 usage or I/O error.
 */
#ifndef ROOST_CLI_H
#define ROOST_CLI_H

#include <stddef.h>

#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2

struct buf;
struct http_response;
struct panel;
struct panel_opts;

/*
 * roost.c: prints the usage of cmd ("server", "egg import"): its own
 * text, else its line in the command table. With ok set (the usage was
 * asked for, -h or --help) on stdout and returns CLI_OK, else on stderr
 * and returns CLI_USAGE.
 */
int	cli_usage(const char *cmd, int ok);

/*
 * cli_opts.c: one command's options, declared in a table of struct cli_opt
 * ended by an entry with neither name.
 */
enum cli_opt_kind {
	CLI_OPT_STRING,		/* const char *: the argument */
	CLI_OPT_FLAG,		/* int: 1 when given */
	CLI_OPT_LIST,		/* struct cli_list: every argument, in order */
	CLI_OPT_CALL		/* parse checks and stores the argument */
};

struct cli_opt {
	int			 short_name;	/* 0: none */
	const char		*long_name;	/* NULL: none */
	enum cli_opt_kind	 kind;
	void			*value;		/* where the option goes */
	/* CLI_OPT_CALL: stores arg at opt->value, or says why not: -1 */
	int			(*parse)(const struct cli_opt *opt,
				    const char *arg);
};

/* The arguments of a CLI_OPT_LIST option; v is the caller's to free. */
struct cli_list {
	const char	**v;
	size_t		  n;
};

/*
 * Parses the options in argv (argv[0] names the command; operands may
 * come between options, GNU getopt moves them to the end) against opts.
 * Returns the index of the first operand, or -1 when the command ends
 * in its options, with *rc its exit status: CLI_OK after a help option,
 * else CLI_USAGE after getopt's complaint and cli_usage(cmd), or the
 * parse function's. The lists are freed when it returns -1.
 */
int	cli_opts_parse(const char *cmd, const struct cli_opt *opts, int argc,
	    char *argv[], int *rc);

/*
 * cli_common.c: the roostd socket ($ROOST_API or the packaged one), one
 * request to roostd, the panel opened with the commits' author.
 */
const char *cli_api(void);
int	cli_roostd(const char *api, const char *method, const char *url,
	    struct http_response *resp);
int	cli_panel_open(const char *prefix, const struct panel_opts *po,
	    const char *author_opt, struct panel **p, struct buf *author);

/* cmd_validate.c */
int	cmd_validate(int argc, char *argv[]);
/* cmd_egg.c: egg import, egg list */
int	cmd_egg(int argc, char *argv[]);
/* cmd_server.c: server create|set|start|stop|restart|reinstall|delete|sftp */
int	cmd_server(int argc, char *argv[]);
/* cmd_status.c */
int	cmd_status(int argc, char *argv[]);
/* cmd_plan.c */
int	cmd_plan(int argc, char *argv[]);
/* cmd_console.c: logs, console */
int	cmd_logs(int argc, char *argv[]);
int	cmd_console(int argc, char *argv[]);
/* cmd_schedule.c: schedule next; server schedules, server schedule-run */
int	cmd_schedule(int argc, char *argv[]);
int	cmd_server_schedules(int argc, char *argv[]);
int	cmd_server_schedule_run(int argc, char *argv[]);
struct cJSON;
/* Prints a server's schedules from its status (roost status NAME). */
void	sched_print(const struct cJSON *list);

/* cmd_secret.c: secret seal|reseal, node pubkey, server set --secret */
int	cmd_secret(int argc, char *argv[]);
int	cmd_node(int argc, char *argv[]);
int	cli_secret_read(const char *what, struct buf *out);
int	cli_server_set_secret(const struct panel_opts *po,
	    const char *author, const char *request_id, const char *name,
	    const char *var);

#endif
