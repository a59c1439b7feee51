/*
 * roost-bot: the Discord panel of roost. Reads bot.yaml (-f), checks it
 * and stops (-n), or runs the bot in the foreground (-d logs to stderr).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "diag.h"
#include "log.h"
#include "rerr.h"

#include "bot.h"

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
	struct daemon_opts	 o;
	int			 rc;

	daemon_opts(&o, argc, argv, "", "-f file [-dnv]");
	diags_init(&d);
	rerr_init(&err);
	rc = bot_conf_load(&conf, o.file, 1, &d, &err);
	if (rc != 0) {
		if (d.n > 0)
			diags_print(&d, stderr);
		else
			fprintf(stderr, "roost-bot: %s\n", err.msg);
		diags_dispose(&d);
		return 1;
	}
	diags_dispose(&d);
	if (o.check) {
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
