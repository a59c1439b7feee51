/*
 * daemon: the options and the logging that roostd and roost-bot share
 * (see daemon.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static void
usage(const char *synopsis)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s %s\n", __progname, synopsis);
	exit(2);
}

/* Reads the options and starts logging; see daemon.h. */
void
daemon_opts(struct daemon_opts *o, int argc, char *argv[], const char *extra,
    const char *synopsis)
{
	char		 optstring[16 + DAEMON_MAX_EXTRA];
	const char	*p;
	int		 ch;

	memset(o, 0, sizeof(*o));
	snprintf(optstring, sizeof(optstring), "df:nv%s", extra);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'd':
			o->debug = 1;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			if (ch == '?' || (p = strchr(extra, ch)) == NULL)
				usage(synopsis);
			o->extra[p - extra] = 1;
		}
	}
	if (o->file == NULL || optind != argc)
		usage(synopsis);
	log_init(o->debug || o->check, LOG_DAEMON);
	log_setverbose(o->verbose + 1);
}
