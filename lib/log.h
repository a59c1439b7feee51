/*
 * log: the OpenBSD daemon logging interface. In debug mode (-d) lines go to
 * stderr, otherwise to syslog. log_warn appends strerror(errno); errno is
 * preserved by every call. log_debug prints only when verbose > 1.
 */
#ifndef ROOST_LOG_H
#define ROOST_LOG_H

#include <stdarg.h>

void	log_init(int debug, int facility);
void	log_procinit(const char *);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((__format__(printf, 1, 2)))
	    __attribute__((__noreturn__));
void	fatalx(const char *, ...) __attribute__((__format__(printf, 1, 2)))
	    __attribute__((__noreturn__));

#endif
