/*
 * rerr: setting and naming the errors functions return (see rerr.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rerr.h"

/* Clears err so it can take a new message; err may be NULL. */
void
rerr_init(struct rerr *err)
{
	if (err != NULL) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

/* Records the first message, from fmt and ap; returns whether it did. */
static int
rerr_vset(struct rerr *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL || err->msg[0] != '\0')
		return 0;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return 1;
}

/* Records the first message; returns code. */
int
rerr_set(struct rerr *err, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	rerr_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

/* Records the first message with strerror(errno) appended; returns code. */
int
rerr_errno(struct rerr *err, int code, const char *fmt, ...)
{
	va_list	ap;
	int	saved_errno = errno, set;
	size_t	n;

	va_start(ap, fmt);
	set = rerr_vset(err, code, fmt, ap);
	va_end(ap);
	if (!set)
		return code;
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
	    strerror(saved_errno));
	errno = saved_errno;
	return code;
}

/* Returns the name of a ROOST_E* code. */
const char *
rerr_str(int code)
{
	switch (code) {
	case 0:			return "ok";
	case ROOST_ENOTFOUND:	return "not found";
	case ROOST_ECONFLICT:	return "conflict";
	case ROOST_EINVAL:	return "invalid";
	case ROOST_ETIMEDOUT:	return "timed out";
	case ROOST_EEXISTS:	return "exists";
	case ROOST_EDENIED:	return "denied";
	case ROOST_EDIRTY:	return "uncommitted changes";
	default:		return "error";
	}
}
