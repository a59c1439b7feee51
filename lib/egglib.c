/*
 * egglib: a library of eggs looked up by "nest/name": the built-in eggs
 * shipped in eggs/ plus a state repository's own eggs/, which override
 * built-in eggs of the same id.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

struct egg_library {
	struct egg	**eggs;		/* sorted by id */
	size_t		  n;
};

/* Makes an empty library. */
struct egg_library *
egglib_new(void)
{
	return xcalloc(1, sizeof(struct egg_library));
}

/* Frees the library and its eggs. */
void
egglib_free(struct egg_library *lib)
{
	size_t	i;

	if (lib == NULL)
		return;
	for (i = 0; i < lib->n; i++)
		egg_free(lib->eggs[i]);
	free(lib->eggs);
	free(lib);
}

static size_t
egglib_pos(const struct egg_library *lib, const char *id, int *found)
{
	size_t	lo = 0, hi = lib->n, mid;
	int	c;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(lib->eggs[mid]->id, id);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Adds egg under id, replacing an egg of the same id; takes ownership. */
void
egglib_put(struct egg_library *lib, const char *id, struct egg *egg)
{
	size_t	pos;
	int	found;

	free(egg->id);
	egg->id = xstrdup(id);
	pos = egglib_pos(lib, id, &found);
	if (found) {
		egg_free(lib->eggs[pos]);
		lib->eggs[pos] = egg;
		return;
	}
	lib->eggs = xreallocarray(lib->eggs, lib->n + 1, sizeof(*lib->eggs));
	memmove(&lib->eggs[pos + 1], &lib->eggs[pos],
	    (lib->n - pos) * sizeof(*lib->eggs));
	lib->eggs[pos] = egg;
	lib->n++;
}

/* Loads one egg from a buffer and adds it under id. */
int
egglib_add_buf(struct egg_library *lib, const char *id, const char *path,
    const char *buf, size_t len, struct diags *d)
{
	struct egg	*egg;
	int		 rc;

	if ((rc = egg_load(&egg, path, buf, len, d)) != 0)
		return rc;
	egglib_put(lib, id, egg);
	return 0;
}

/* True when name ends with an egg file extension; *stem gets its length. */
int
egglib_egg_name(const char *name, size_t *stem)
{
	static const char	*exts[] = { ".yaml", ".yml", ".json" };
	size_t			 i, n = strlen(name), e;

	for (i = 0; i < 3; i++) {
		e = strlen(exts[i]);
		if (n > e && strcmp(name + n - e, exts[i]) == 0) {
			*stem = n - e;
			return name[0] != '.';
		}
	}
	return 0;
}

/* Loads every <nest>/<name>.(yaml|yml|json) under dir. */
int
egglib_load_dir(struct egg_library *lib, const char *dir,
    const char *path_prefix, struct diags *d)
{
	DIR		*top, *sub;
	struct dirent	*n, *e;
	struct buf	 b;
	char		 path[PATH_MAX], shown[PATH_MAX], id[PATH_MAX];
	struct stat	 st;
	struct rerr	 err;
	char		**seen = NULL;
	size_t		 stem, k, nseen = 0;
	int		 rc = 0;

	if ((top = opendir(dir)) == NULL)
		return -1;
	buf_init(&b, 16 << 20);
	while ((n = readdir(top)) != NULL) {
		if (n->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, n->d_name);
		if (stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if ((sub = opendir(path)) == NULL)
			continue;
		while ((e = readdir(sub)) != NULL) {
			if (!egglib_egg_name(e->d_name, &stem))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", dir,
			    n->d_name, e->d_name);
			snprintf(shown, sizeof(shown), "%s%s/%s",
			    path_prefix ? path_prefix : "", n->d_name,
			    e->d_name);
			snprintf(id, sizeof(id), "%s/%.*s", n->d_name,
			    (int)stem, e->d_name);
			for (k = 0; k < nseen; k++)
				if (strcmp(seen[k], id) == 0)
					break;
			if (k < nseen) {
				diags_add(d, shown, 0, 0, "another file in "
				    "'%s%s' already defines egg '%s'; keep one "
				    "of them", path_prefix ? path_prefix : "",
				    n->d_name, id);
				rc = ROOST_EINVAL;
				continue;
			}
			seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
			seen[nseen++] = xstrdup(id);
			buf_reset(&b);
			rerr_init(&err);
			if (util_read_file(path, &b, &err) != 0) {
				diags_add(d, shown, 0, 0, "cannot read the egg: "
				    "%s", err.msg);
				rc = ROOST_EINVAL;
				continue;
			}
			if (egglib_add_buf(lib, id, shown, buf_str(&b), b.len,
			    d) != 0)
				rc = ROOST_EINVAL;
		}
		closedir(sub);
	}
	closedir(top);
	buf_dispose(&b);
	strv_free(seen, nseen);
	return rc;
}

/* The egg with that id, or NULL. */
const struct egg *
egglib_find(const struct egg_library *lib, const char *id)
{
	size_t	pos;
	int	found;

	if (lib == NULL || id == NULL)
		return NULL;
	pos = egglib_pos(lib, id, &found);
	return found ? lib->eggs[pos] : NULL;
}

/* Number of eggs. */
size_t
egglib_count(const struct egg_library *lib)
{
	return lib != NULL ? lib->n : 0;
}

/* Egg i in id order. */
const struct egg *
egglib_at(const struct egg_library *lib, size_t i)
{
	return lib->eggs[i];
}

/* The directory of the built-in library. */
const char *
egglib_builtin_dir(void)
{
	static char	 dir[PATH_MAX + 16];
	const char	*env;
	char		 exe[PATH_MAX - 16], *slash;
	ssize_t		 n;
	struct stat	 st;

	if ((env = getenv("ROOST_EGGS")) != NULL && *env != '\0')
		return env;
	if (stat("eggs/roost", &st) == 0 && S_ISDIR(st.st_mode))
		return "eggs";
	/* A build directory sits inside the source tree: <src>/build/prog. */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			snprintf(dir, sizeof(dir), "%s/../eggs", exe);
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
				return dir;
			snprintf(dir, sizeof(dir), "%s/../../eggs", exe);
			if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
				return dir;
		}
	}
	return ROOST_DATADIR "/eggs";
}
