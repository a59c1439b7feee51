/*
 * fields: one reader for every configuration roost reads from YAML: the
 * state files (roost.yaml, nodes/, servers/), roostd.yaml and bot.yaml.
 * A table of struct field says, for each key of a map, its type, bounds
 * and where in a struct the value goes; fields_fill walks a ydoc map
 * against the table and reports every problem with file:line:col:
 * a value of the wrong type or out of bounds, and an unknown key with the
 * closest known one ("did you mean"). Nested maps have tables of their
 * own; lists and odd shapes get a function.
 *
 * Durations are written 500ms, 15s, 5m, 2h or 7d; a plain number is
 * seconds (older files wrote plain seconds), in every file alike. Booleans
 * are true/false (also yes/no and on/off, as YAML 1.1 reads them).
 */
#ifndef ROOST_FIELDS_H
#define ROOST_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct diags;
struct rerr;
struct ydoc_node;
struct field;

/* Where problems go: the file's path and the list. */
struct fields_ctx {
	const char	*path;
	struct diags	*d;
	size_t		 nunknown;	/* unknown keys reported so far */
};

enum field_type {
	FIELD_STR,	/* char * (replaced; the old one freed) */
	FIELD_INT64,	/* int64_t within [min, max] */
	FIELD_INT,	/* int within [min, max] */
	FIELD_BOOL,	/* int, 0 or 1 */
	FIELD_DURATION,	/* uint64_t milliseconds within [min, max] ms */
	FIELD_SECONDS,	/* int seconds (a duration) within [min, max] s */
	FIELD_MAP,	/* a nested map read with the table sub */
	FIELD_FUNC,	/* fn reads the value (lists, odd shapes, checks) */
	FIELD_SKIP	/* a known key the caller reads itself */
};

#define FIELD_NONEMPTY	0x1	/* FIELD_STR: null or "" is an error */
#define FIELD_FREE	0x2	/* FIELD_FUNC: fn stores a char * at off */

/*
 * The function of a FIELD_FUNC entry: reads value v (never NULL) of key
 * f->name into obj. name is the key as messages show it ("hub.nodes").
 */
typedef void	field_fn(struct fields_ctx *c, const struct field *f,
		    const char *name, const struct ydoc_node *v, void *obj);

struct field {
	const char		*name;
	enum field_type		 type;
	size_t			 off;	/* offset of the value in obj */
	int64_t			 min;	/* bounds; max 0 with min 0: none */
	int64_t			 max;
	int			 flags;
	const struct field	*sub;	/* FIELD_MAP: table ending in NULL */
	field_fn		*fn;	/* FIELD_FUNC */
};

/*
 * Fills obj from map with the nf entries of fields (or up to an entry with
 * a NULL name). Keys in the table are read (FIELD_SKIP ones are left to
 * the caller); other keys are reported as unknown, "in WHERE" when where
 * is not NULL. A null value leaves the default in place. Keys of a nested
 * FIELD_MAP are named "parent.key" in messages.
 */
void	fields_fill(struct fields_ctx *c, const struct ydoc_node *map,
	    const struct field *fields, size_t nf, void *obj,
	    const char *where);
/* The same, naming keys prefix.key in messages (prefix may be NULL). */
void	fields_fill_prefix(struct fields_ctx *c, const struct ydoc_node *map,
	    const struct field *fields, size_t nf, void *obj,
	    const char *prefix);
/*
 * Reads the YAML file at path and fills obj from its top map with the
 * table fields (ending in NULL), as fields_fill does; the caller then checks
 * what is required. 0 when the file parsed (any problem with its keys, or a
 * top that is not a map, is in d); ROOST_EINVAL when it does not parse
 * (reported in d); what util_read_file returns when it cannot be read (err).
 */
int	fields_load(const char *path, const struct field *fields, void *obj,
	    struct diags *d, struct rerr *err);
/*
 * Frees the strings obj holds for the table fields (ending in NULL): its
 * FIELD_STR entries, its FIELD_FREE ones and those of its FIELD_MAP
 * tables. What other FIELD_FUNC entries store is the caller's to free.
 */
void	fields_free(const struct field *fields, void *obj);
/* Adds an error at n's position (the file's top when n is NULL). */
void	fields_err(struct fields_ctx *c, const struct ydoc_node *n,
	    const char *fmt, ...) __attribute__((__format__(printf, 3, 4)));
/*
 * Reports key as unknown, with the closest name of the table (or the
 * NULL-terminated list known when fields is NULL) as a suggestion.
 */
void	fields_unknown(struct fields_ctx *c, const struct ydoc_node *key,
	    const char *where, const struct field *fields, size_t nf,
	    const char *const *known);
/*
 * A whole number (decimal) scalar: 0; 1 when it is a whole number past
 * int64_t's range (*out is then the nearest bound); -1 for anything else.
 */
int	fields_parse_int(const struct ydoc_node *n, int64_t *out);
/* A boolean scalar: 0, or -1 for anything else. */
int	fields_parse_bool(const struct ydoc_node *n, int *out);
/* A duration scalar in milliseconds: 0, or -1 for anything else. */
int	fields_parse_duration(const struct ydoc_node *n, uint64_t *ms);

#endif
