/*
 * cmd_server: roost server (not yet available in this build).
 */
#include <stdio.h>

#include "cli.h"

/* roost server: reports that the command is not available yet. */
int
cmd_server(int argc, char *argv[])
{
	fprintf(stderr, "roost: 'server' is not available in this build\n");
	return CLI_USAGE;
}
