/*
 * limit: the one vocabulary of a server's resource limits. Each row of
 * limit_table names a key under "limits:" in a server file (and in
 * roost.yaml's defaults), its unit, the bounds the state loader enforces,
 * the default a server gets when neither it nor roost.yaml sets one, and
 * whether a change is applied to a running container in place. The state
 * loader, validation, the panel's edits, roost-bot's create and edit
 * modals and the CLI all read this table; the JSON Schema in
 * schema/server.schema.json mirrors it (t0100 compares them through
 * "roost limits --format json"). roostd turns the values into engine
 * values in one place (cspec_engine_limits in reconciler/cspec.c).
 */
#ifndef ROOST_LIMIT_H
#define ROOST_LIMIT_H

#include <stddef.h>
#include <stdint.h>

struct state_limits;

#define LIMIT_MIB	(1024LL * 1024LL)	/* bytes in the unit MiB */

enum limit_id {
	LIMIT_MEMORY,
	LIMIT_SWAP,
	LIMIT_CPU,
	LIMIT_DISK,
	LIMIT_IO,
	LIMIT_PIDS,
	LIMIT_COUNT
};

struct limit_def {
	enum limit_id	 id;
	const char	*name;	/* key under "limits:", e.g. "memory" */
	const char	*unit;	/* "MiB", "% of one core", ... */
	const char	*note;	/* what 0 or -1 mean, or "" */
	int64_t		 min;
	int64_t		 max;
	int64_t		 def;	/* when neither server nor roost.yaml sets it */
	int		 live;	/* a change is applied without a recreate */
	size_t		 off;	/* of the int64_t in struct state_limits */
};

/* The table, in enum limit_id order. */
extern const struct limit_def limit_table[LIMIT_COUNT];

/* The row of id. */
const struct limit_def	*limit_get(enum limit_id id);
/*
 * The row named name ("memory"), also accepted with the "limits." prefix
 * ("limits.memory"); NULL when name is not a limit.
 */
const struct limit_def	*limit_find(const char *name);
/* The value of row d in l. */
int64_t			*limit_field(struct state_limits *l,
			    const struct limit_def *d);
int64_t			 limit_value(const struct state_limits *l,
			    enum limit_id id);
/* True when v lies within row d's bounds. */
int			 limit_in_range(const struct limit_def *d, int64_t v);
/* Writes the names joined with ", " ("memory, swap, ..., pids") to out. */
void			 limit_names(char *out, size_t len);

#endif
