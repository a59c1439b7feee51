/*
 * cmd_status: roost status (not yet available in this build).
 */
#include <stdio.h>

#include "cli.h"

/* roost status: reports that the command is not available yet. */
int
cmd_status(int argc, char *argv[])
{
	fprintf(stderr, "roost: 'status' is not available in this build\n");
	return CLI_USAGE;
}
