/*
 * cmd_validate: roost validate (not yet available in this build).
 */
#include <stdio.h>

#include "cli.h"

/* roost validate: reports that the command is not available yet. */
int
cmd_validate(int argc, char *argv[])
{
	fprintf(stderr, "roost: 'validate' is not available in this build\n");
	return CLI_USAGE;
}
