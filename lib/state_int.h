/*
 * state_int.h: what the loader (state_load.c, state_parse.c,
 * state_cache.c, state_sched.c) and the validator (validate.c) share and
 * nobody else uses; state.c, beneath both, needs none of it.
 */
#ifndef ROOST_STATE_INT_H
#define ROOST_STATE_INT_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct diags;
struct rerr;
struct state;
struct state_cache;
struct state_limits;
struct state_server;
struct state_schedules;
struct state_src;
struct ydoc;
struct ydoc_node;

/*
 * A limit not written (before validation applies the defaults, which come
 * from roost.yaml or the limits table in limit.h).
 */
#define STATE_UNSET		INT64_MIN

/* A content id for a buffer ("fnv1a64:<hex>:<len>"). */
void	state_content_id(const char *p, size_t len, char *id, size_t idlen);

/* True when s ends with suffix and is longer (state_cache.c). */
int	state_ends_with(const char *s, const char *suffix);

/* Sets every limit in l to STATE_UNSET (state_parse.c). */
void	state_limits_unset(struct state_limits *l);

/* Reads roost.yaml (path, buf) into st->conf, problems to st->diags. */
void	state_load_conf(struct state *st, const char *path, const char *buf,
	    size_t len);

/* Appends the node of nodes/<stem>.yaml (path, buf) to st->nodes. */
void	state_load_node(struct state *st, const char *path, const char *stem,
	    const char *buf, size_t len);

/* Loads servers/<names> into st, cache may be NULL; validates; owns ctx. */
void	state_load_servers(struct state *st, const struct state_src *src,
	    struct state_cache *cache, char **names, size_t n, char *ctx,
	    struct buf *b);

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
