/*
 * state_int.h: what the loader (state_load.c) and the validator
 * (validate.c) share and nobody else uses; state.c, beneath both, needs
 * none of it.
 */
#ifndef ROOST_STATE_INT_H
#define ROOST_STATE_INT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct diags;
struct rerr;
struct state;
struct state_server;
struct state_schedules;
struct ydoc;
struct ydoc_node;

/*
 * A limit not written (before validation applies the defaults, which come
 * from roost.yaml or the limits table in limit.h).
 */
#define STATE_UNSET		INT64_MIN

/* A content id for a buffer ("fnv1a64:<hex>:<len>"). */
void	state_content_id(const char *p, size_t len, char *id, size_t idlen);

/*
 * Parses one server file (path "servers/<name>.yaml") into *out; its
 * file-local problems go to d. Limits not written stay -1 until
 * state_validate applies the defaults. Returns 0 (even with problems,
 * then (*out)->valid is 0) or ROOST_EINVAL when the YAML does not parse.
 */
int	state_parse_server(struct state_server **out, const char *path,
	    const char *buf, size_t len, struct diags *d);

/*
 * True for a line a console takes in the state (before/after lines,
 * scheduled commands): one line of at most 512 bytes, no control
 * characters.
 */
int	state_console_line_ok(const char *s);

/*
 * Reads a list of schedules (state_sched.c); key is how messages name it
 * ("schedules", "defaults.schedules"). A key written (n not NULL) sets
 * out->set, so that an empty list turns the defaults off.
 */
struct fields_ctx;
void	state_load_schedules(struct fields_ctx *c, const struct ydoc_node *n,
	    const char *key, struct state_schedules *out);

/* Cross-file validation (validate.c); marks servers invalid. */
void	state_validate(struct state *st);

#endif
