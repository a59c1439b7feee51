/*
 * roost-bot: the Discord panel of roost. Reads bot.yaml (-f), checks it
 * and stops (-n), or runs the bot in the foreground (-d logs to stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "diag.h"
#include "log.h"
#include "rerr.h"

#include "bot.h"

static void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s -f file [-dnv]\n", __progname);
	exit(2);
}

static void
on_signal(int sig)
{
	bot_request_stop();
}

int
main(int argc, char *argv[])
{
	struct bot_conf		*conf;
	struct diags		 d;
	struct rerr		 err;
	struct sigaction	 sa;
	const char		*file = NULL;
	int			 ch, debug = 0, check = 0, verbose = 0, rc;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	log_init(debug || check, LOG_DAEMON);
	log_setverbose(verbose + 1);
	diags_init(&d);
	rerr_init(&err);
	rc = bot_conf_load(&conf, file, 1, &d, &err);
	if (rc != 0) {
		if (d.n > 0)
			diags_print(&d, stderr);
		else
			fprintf(stderr, "roost-bot: %s\n", err.msg);
		diags_dispose(&d);
		return 1;
	}
	diags_dispose(&d);
	if (check) {
		printf("configuration OK\n");
		bot_conf_free(conf);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = bot_run(conf, &err);
	if (rc != 0)
		log_warnx("%s", err.msg);
	bot_conf_free(conf);
	return rc != 0 ? 1 : 0;
}
