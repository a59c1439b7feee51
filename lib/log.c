/*
 * log: stderr or syslog logging for the roost programs, with the interface
 * of the OpenBSD daemons' log.c (written afresh for roost).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_debug_mode = 1;
static int		 log_verbose;
static const char	*log_procname;

static void	vlog(int, const char *, va_list)
		    __attribute__((__format__(printf, 2, 0)));
static void	logit(int, const char *, ...)
		    __attribute__((__format__(printf, 2, 3)));

/*
 * Sets the destination: debug != 0 logs to stderr, otherwise to syslog
 * with the given facility. Until called, logging goes to stderr.
 */
void
log_init(int debug, int facility)
{
	extern char	*__progname;

	log_debug_mode = debug;
	if (!debug)
		openlog(__progname, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

/* Names the current process; the name prefixes every line. */
void
log_procinit(const char *name)
{
	log_procname = name;
}

/* Sets the verbosity; log_debug prints when it is above 1. */
void
log_setverbose(int v)
{
	log_verbose = v;
}

/* Returns the verbosity set by log_setverbose. */
int
log_getverbose(void)
{
	return log_verbose;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	int	saved_errno = errno;

	if (log_debug_mode) {
		/* One line at a time, whichever thread logs. */
		flockfile(stderr);
		if (log_procname != NULL)
			fprintf(stderr, "%s: ", log_procname);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
		funlockfile(stderr);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

/* vlog with arguments. */
static void
logit(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Logs the message (strerror alone when fmt is NULL), then ": strerror". */
static void
log_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved_errno = errno;

	if (fmt == NULL) {
		snprintf(msg, sizeof(msg), "%s", strerror(saved_errno));
	} else {
		vsnprintf(msg, sizeof(msg), fmt, ap);
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": %s",
		    strerror(saved_errno));
	}
	errno = saved_errno;
	logit(pri, "%s", msg);
}

/* Logs a warning followed by ": strerror(errno)". */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Logs a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

/* Logs an informational line when verbose or in syslog mode. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Logs a debug line when verbose > 1. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* Logs the message with strerror(errno) and exits with status 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs the message and exits with status 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
