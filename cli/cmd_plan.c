/*
 * cmd_plan: roost plan (not yet available in this build).
 */
#include <stdio.h>

#include "cli.h"

/* roost plan: reports that the command is not available yet. */
int
cmd_plan(int argc, char *argv[])
{
	fprintf(stderr, "roost: 'plan' is not available in this build\n");
	return CLI_USAGE;
}
