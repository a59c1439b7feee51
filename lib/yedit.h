/*
 * yedit: format-preserving edits of a YAML file. An edit by the bot or the
 * CLI changes only the bytes of the values it sets; comments, key order,
 * quoting and spacing elsewhere stay as the person wrote them.
 *
 * Paths are dotted keys into nested maps: "state", "limits.memory",
 * "variables.SERVER_JARFILE". Values are given as plain strings and are
 * written as YAML scalars, quoted when needed (or always, with
 * YEDIT_STRING, for values such as Discord ids that must stay strings).
 */
#ifndef ROOST_YEDIT_H
#define ROOST_YEDIT_H

#include <stddef.h>

struct buf;
struct rerr;

#define YEDIT_AUTO	0	/* plain when it reads back as the same string */
#define YEDIT_STRING	1	/* always quoted */
#define YEDIT_RAW	2	/* value is a YAML fragment (flow or block) */

/*
 * Writes src with the value at path set (created, with any missing parent
 * maps, when absent) into out. Returns 0, or ROOST_EINVAL when src does not
 * parse or a parent on the path is not a map.
 */
int	yedit_set(struct buf *out, const char *src, size_t len,
	    const char *path, const char *value, int mode, struct rerr *err);
/* Writes src without the key at path into out; absent is not an error. */
int	yedit_delete(struct buf *out, const char *src, size_t len,
	    const char *path, struct rerr *err);

#endif
