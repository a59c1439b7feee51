/*
 * daemon: the start-up that roostd and roost-bot share: the options both
 * take (-d, -f file, -n, -v) and the logging they choose.
 */
#ifndef ROOST_DAEMON_H
#define ROOST_DAEMON_H

#define DAEMON_MAX_EXTRA	4	/* letters a daemon adds */

struct daemon_opts {
	const char	*file;		/* -f: the configuration */
	int		 debug;		/* -d: stay in front, log to stderr */
	int		 check;		/* -n: check the configuration, stop */
	int		 verbose;	/* -v, once per -v */
	int		 extra[DAEMON_MAX_EXTRA]; /* the daemon's own flags */
};

/*
 * Reads argv into o: the shared options, and each letter of extra (at most
 * DAEMON_MAX_EXTRA flags without an argument) into o->extra at the letter's
 * index. Any other option, no -f or an operand prints "usage: PROG
 * synopsis" and exits 2. Then starts logging: to stderr with -d or -n,
 * otherwise to syslog; log_debug prints with -v -v.
 */
void	daemon_opts(struct daemon_opts *o, int argc, char *argv[],
	    const char *extra, const char *synopsis);

#endif
