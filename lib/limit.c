/*
 * limit: the table of resource limits (see limit.h).
 */
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "state.h"

#define ROW(id, name, unit, note, min, max, def, live)			\
	{ id, #name, unit, note, min, max, def, live,			\
	    offsetof(struct state_limits, name) }

const struct limit_def limit_table[LIMIT_COUNT] = {
	ROW(LIMIT_MEMORY, memory, "MiB", "", 64, 16 * 1024 * 1024, 1024, 1),
	ROW(LIMIT_SWAP, swap, "MiB", "-1 unlimited, 0 none", -1,
	    16 * 1024 * 1024, 0, 1),
	ROW(LIMIT_CPU, cpu, "% of one core", "0 unlimited", 0, 6400, 100, 1),
	ROW(LIMIT_DISK, disk, "MiB", "0 unlimited", 0, 1LL << 40, 10240, 1),
	ROW(LIMIT_IO, io, "block io weight", "", 10, 1000, 500, 1),
	ROW(LIMIT_PIDS, pids, "processes", "", 16, 4194304, 512, 1),
};

/* Returns the row of id. */
const struct limit_def *
limit_get(enum limit_id id)
{
	return &limit_table[id];
}

/* Finds a row by name, with or without "limits."; see limit.h. */
const struct limit_def *
limit_find(const char *name)
{
	size_t	i;

	if (strncmp(name, "limits.", 7) == 0)
		name += 7;
	for (i = 0; i < LIMIT_COUNT; i++)
		if (strcmp(limit_table[i].name, name) == 0)
			return &limit_table[i];
	return NULL;
}

/* Points at row d's value in l. */
int64_t *
limit_field(struct state_limits *l, const struct limit_def *d)
{
	return (int64_t *)(void *)((char *)l + d->off);
}

/* Returns the value of id in l. */
int64_t
limit_value(const struct state_limits *l, enum limit_id id)
{
	return *(const int64_t *)(const void *)((const char *)l +
	    limit_table[id].off);
}

/* True when v is within d's bounds. */
int
limit_in_range(const struct limit_def *d, int64_t v)
{
	return v >= d->min && v <= d->max;
}

/* Writes the names, comma-separated; see limit.h. */
void
limit_names(char *out, size_t len)
{
	size_t	i, n = 0;

	if (len > 0)
		out[0] = '\0';
	for (i = 0; i < LIMIT_COUNT && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "",
		    limit_table[i].name);
}
