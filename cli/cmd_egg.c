/*
 * cmd_egg: roost egg (not yet available in this build).
 */
#include <stdio.h>

#include "cli.h"

/* roost egg: reports that the command is not available yet. */
int
cmd_egg(int argc, char *argv[])
{
	fprintf(stderr, "roost: 'egg' is not available in this build\n");
	return CLI_USAGE;
}
