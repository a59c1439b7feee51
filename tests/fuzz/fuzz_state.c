/*
 * fuzz_state: libFuzzer target for the state loader: the bytes become a
 * server file, a node file and roost.yaml of an otherwise empty
 * repository, which is loaded and validated; yedit then edits the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "rerr.h"
#include "state.h"
#include "yedit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct mem {
	const char	*path;
	const char	*data;
	size_t		 len;
};

static int
mem_list(void *arg, const char *dir, char ***names, size_t *n,
    struct rerr *err)
{
	struct mem	*m = arg;
	const char	*slash = strrchr(m->path, '/');

	*names = NULL;
	*n = 0;
	if (slash == NULL || strncmp(m->path, dir, (size_t)(slash -
	    m->path)) != 0 || strlen(dir) != (size_t)(slash - m->path))
		return ROOST_ENOTFOUND;
	*names = malloc(sizeof(char *));
	(*names)[0] = strdup(slash + 1);
	*n = 1;
	return 0;
}

static int
mem_read(void *arg, const char *path, struct buf *out, char *id,
    size_t idlen, struct rerr *err)
{
	struct mem	*m = arg;

	if (strcmp(path, m->path) != 0)
		return ROOST_ENOTFOUND;
	buf_add(out, m->data, m->len);
	strncpy(id, "fuzz", idlen);
	return 0;
}

static int
mem_isdir(void *arg, const char *path)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*paths[] = { "servers/fuzz.yaml",
	    "nodes/fuzz.yaml", "roost.yaml" };
	struct mem		 m = { NULL, (const char *)data, size };
	struct state_src	 src = { .arg = &m, .list = mem_list,
	    .read = mem_read, .isdir = mem_isdir };
	struct state		*st;
	struct rerr		 err;
	struct buf		 out;
	size_t			 i;

	for (i = 0; i < 3; i++) {
		m.path = paths[i];
		rerr_init(&err);
		if (state_load(&st, &src, NULL, NULL, &err) == 0)
			state_free(st);
	}
	buf_init(&out, 0);
	(void)yedit_set(&out, (const char *)data, size, "limits.memory",
	    "4096", YEDIT_AUTO, NULL);
	buf_dispose(&out);
	return 0;
}
