/*
 * rerr: the error a function returns to its caller. Functions return 0,
 * -1, or one of a few specific ROOST_E* codes; the message travels in a
 * caller-provided struct rerr passed last. The first message set wins, so
 * callers propagate a code unchanged without overwriting the cause.
 */
#ifndef ROOST_RERR_H
#define ROOST_RERR_H

#define ROOST_EGENERIC	(-1)	/* any failure */
#define ROOST_ENOTFOUND	(-2)	/* the named thing does not exist */
#define ROOST_ECONFLICT	(-3)	/* concurrent change, retry on the new state */
#define ROOST_EINVAL	(-4)	/* validation failed; see the diagnostics */
#define ROOST_ETIMEDOUT	(-5)	/* a deadline passed */
#define ROOST_EEXISTS	(-6)	/* the thing to create already exists */
#define ROOST_EDENIED	(-7)	/* not permitted */
#define ROOST_EDIRTY	(-8)	/* uncommitted local changes stand in the way */

struct rerr {
	int	code;
	char	msg[512];
};

/* Clears err (may be NULL) so it can take a new message. */
void	rerr_init(struct rerr *err);

/*
 * Records code and the formatted message in err unless a message is
 * already there (the first wins). err may be NULL. Returns code so callers
 * can write "return rerr_set(err, ROOST_ENOTFOUND, ...)".
 */
int	rerr_set(struct rerr *err, int code, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));

/* rerr_set with ": strerror(errno)" appended. */
int	rerr_errno(struct rerr *err, int code, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));

/* Returns a short constant name for a ROOST_E* code. */
const char *rerr_str(int code);

#endif
