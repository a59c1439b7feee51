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

static int
usage(FILE *fp)
{
	size_t	i;

	fprintf(fp, "usage: roost command [arguments]\n\ncommands:\n");
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		fprintf(fp, "  roost %s\n", cli_cmds[i].usage);
	return CLI_USAGE;
}

/* The usage line of one command (cli.h). */
int
cli_usage(const char *cmd, int ok)
{
	size_t	i;

	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(cmd, cli_cmds[i].name) == 0)
			fprintf(stderr, "usage: roost %s\n", cli_cmds[i].usage);
	return ok ? CLI_OK : CLI_USAGE;
}

int
main(int argc, char *argv[])
{
	size_t	i;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(argv[1], cli_cmds[i].name) == 0)
			return cli_cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "roost: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
