/*
 * roost: the command-line interface for people and CI. It validates state
 * repositories, imports eggs, makes the same server edits the Discord bot
 * makes (through the panel core in lib/), asks a node's roostd for its
 * status and plans, shows and types into a server's console, seals
 * secrets for the nodes, and checks cron expressions (the next fire times of a schedule).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_cmd {
	const char	*name;
	int		(*fn)(int, char *[]);
	const char	*usage;
};

static const struct cli_cmd cli_cmds[] = {
	{ "validate", cmd_validate,
	    "validate [--repo DIR] [--rev REV] [--format text|json]" },
	{ "server", cmd_server,
	    "server create|set|start|stop|restart|reinstall|delete|sftp ..." },
	{ "egg", cmd_egg, "egg import FILE... [-o DIR] | egg list" },
	{ "status", cmd_status,
	    "status [--api SOCKET] [--format text|json] [NAME]" },
	{ "plan", cmd_plan, "plan --repo DIR [--rev REV] [--base REV] "
	    "[--node NODE] [--api SOCKET]" },
	{ "logs", cmd_logs,
	    "logs NAME [-n N] [-f] [--no-ansi] [--api SOCKET]" },
	{ "console", cmd_console,
	    "console NAME [-c LINE [-w SECONDS]] [--api SOCKET]" },
	{ "secret", cmd_secret,
	    "secret seal [--node N]... < VALUE | secret reseal [--node N]..." },
	{ "node", cmd_node, "node pubkey [--api SOCKET]" },
	{ "schedule", cmd_schedule,
	    "schedule next \"CRON\" [--tz ZONE] [-n N] [--after RFC3339]" },
};

/*
 * What a command or subcommand prints on a usage error when its line
 * above says too little.
 */
static const struct {
	const char	*cmd;
	const char	*text;
} cli_usages[] = {
	{ "server",
	    "usage: roost server create NAME --egg EGG --owner ID [--node NODE] "
	    "[--memory MiB] [--disk MiB]\n"
	    "                           [--cpu PCT] [--port N] [--var KEY=VALUE]"
	    "... [--image REF] [--stopped]\n"
	    "       roost server set NAME KEY=VALUE...\n"
	    "       roost server set NAME VAR --secret   (value from the "
	    "terminal or stdin, sealed)\n"
	    "       roost server start|stop|restart|reinstall|delete NAME\n"
	    "       roost server backup NAME [--note TEXT]\n"
	    "       roost server restore NAME BACKUP\n"
	    "       roost server move NAME NODE\n"
	    "       roost server sftp NAME --user U (--generate | "
	    "--password-stdin | --key FILE | --remove)\n"
	    "                         [--permissions read,write,delete]\n"
	    "       roost server member NAME --id DISCORD_ID "
	    "(--permissions LIST | --remove)\n"
	    "       roost server history NAME [-n COUNT]\n"
	    "       roost server revert NAME COMMIT\n"
	    "       roost server rollback NAME REVISION [--yes]\n"
	    "       roost server list\n"
	    "       roost server limits [--format text|json]\n"
	    "       roost server schedules NAME [--api SOCKET] "
	    "[--format text|json]\n"
	    "       roost server schedule-run NAME SCHEDULE [--api SOCKET]\n"
	    "common options: --repo DIR (default .) --author \"Name <email>\" "
	    "--branch B --remote R|'' --request-id ID\n" },
	{ "egg", "usage: roost egg import FILE... [-o DIR]\n"
	    "       roost egg list [--dir DIR]\n" },
	{ "egg import", "usage: roost egg import FILE... [-o DIR]\n" },
	{ "secret",
	    "usage: roost secret seal [--repo DIR] [--server NAME] "
	    "[--node N]... < value\n"
	    "       roost secret reseal [--repo DIR] [--api SOCKET] "
	    "[--node N]... [--author \"Name <email>\"]\n"
	    "       roost node pubkey [--api SOCKET]\n" },
	{ "schedule", "usage: roost schedule next \"CRON\" [--tz ZONE] "
	    "[-n N] [--after RFC3339]\n"
	    "       roost schedule next --stdin\n" },
};

static int
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: roost command [arguments]\n\ncommands:\n");
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		fprintf(fp, "  roost %s\n", cli_cmds[i].usage);
	return CLI_USAGE;
}

/* The own usage text of cmd (cli_usages), or NULL. */
static const char *
usage_text(const char *cmd)
{
	size_t	i;

	for (i = 0; i < sizeof(cli_usages) / sizeof(cli_usages[0]); i++)
		if (strcmp(cmd, cli_usages[i].cmd) == 0)
			return cli_usages[i].text;
	return NULL;
}

/* The usage of one command (cli.h). */
int
cli_usage(const char *cmd, int ok)
{
	FILE		*f = ok ? stdout : stderr;
	const char	*text;
	size_t		 i;

	if ((text = usage_text(cmd)) != NULL) {
		fputs(text, f);
		return ok ? CLI_OK : CLI_USAGE;
	}
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(cmd, cli_cmds[i].name) == 0)
			fprintf(f, "usage: roost %s\n", cli_cmds[i].usage);
	return ok ? CLI_OK : CLI_USAGE;
}

/* Whether arg asks for help. */
static int
is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/*
 * roost CMD -h and roost CMD WORD -h (a subcommand, or the operand the
 * command's options follow): the usage on stdout, the subcommand's own
 * when it has one. Returns the exit status, or -1 when help was not
 * asked for there; the commands' option parsers answer it elsewhere.
 */
static int
help_asked(int argc, char *argv[])
{
	char	sub[64];

	if (argc > 2 && is_help(argv[2]))
		return cli_usage(argv[1], 1);
	if (argc < 4 || argv[2][0] == '-' || !is_help(argv[3]))
		return -1;
	snprintf(sub, sizeof(sub), "%s %s", argv[1], argv[2]);
	return cli_usage(usage_text(sub) != NULL ? sub : argv[1], 1);
}

int
main(int argc, char *argv[])
{
	size_t	i;
	int	rc;

	if (argc < 2)
		return usage(stderr);
	if (is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(argv[1], cli_cmds[i].name) == 0) {
			if ((rc = help_asked(argc, argv)) != -1)
				return rc;
			return cli_cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "roost: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
