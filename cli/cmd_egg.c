/*
 * cmd_egg: roost egg import FILE... [-o DIR] converts Pterodactyl and
 * Pelican eggs (any version, JSON or YAML) into roost's readable YAML
 * egg; roost egg list [--dir DIR] lists the egg library.
 */
#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
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

#include "cli.h"

/* A file name from an egg name: "Paper (1.20)" -> "paper-1-20". */
static void
egg_slug(const char *name, char *out, size_t len)
{
	size_t	n = 0;
	int	dash = 0;

	for (; *name != '\0' && n + 2 < len; name++) {
		if (isalnum((unsigned char)*name)) {
			if (dash && n > 0)
				out[n++] = '-';
			out[n++] = (char)tolower((unsigned char)*name);
			dash = 0;
		} else
			dash = 1;
	}
	if (n == 0)
		out[n++] = 'e', out[n++] = 'g', out[n++] = 'g';
	out[n] = '\0';
}

/* The slug of the directory a file is in ("minecraft" for a nest). */
static void
dir_slug(const char *path, char *out, size_t len)
{
	char		 tmp[PATH_MAX];
	const char	*slash, *start;

	snprintf(tmp, sizeof(tmp), "%s", path);
	if ((slash = strrchr(tmp, '/')) == NULL) {
		out[0] = '\0';
		return;
	}
	tmp[slash - tmp] = '\0';
	start = strrchr(tmp, '/');
	start = start ? start + 1 : tmp;
	if (*start == '\0' || strcmp(start, ".") == 0) {
		out[0] = '\0';
		return;
	}
	egg_slug(start, out, len);
}

/* Where an import wrote a file, to name both sources of a clash. */
struct written {
	char	*path;
	char	*source;
};

/*
 * Writes text to a new file (O_EXCL: an existing one is never replaced).
 * Returns 0, ROOST_EEXISTS or -1 with err set.
 */
static int
write_new(const char *path, const struct buf *text, struct rerr *err)
{
	size_t	off = 0;
	ssize_t	n;
	int	fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1 && errno == EEXIST)
		return ROOST_EEXISTS;
	if (fd == -1)
		return rerr_set(err, -1, "cannot create '%s': %s", path,
		    strerror(errno));
	while (off < text->len) {
		n = write(fd, text->data + off, text->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			rerr_set(err, -1, "cannot write '%s': %s", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		unlink(path);
		return rerr_set(err, -1, "cannot write '%s': %s", path,
		    strerror(errno));
	}
	return 0;
}

/*
 * Writes an imported egg into dir as <slug>.yaml; when that name is
 * taken (by an egg of the same name, from this run or before), as
 * <slug>-<nest>.yaml, then <slug>-<author>.yaml. Never overwrites: when
 * every name is taken it fails naming both sources.
 */
static int
import_write(const char *dir, const char *src, const struct egg *egg,
    const struct buf *text, struct written **w, size_t *nw)
{
	char		 slug[128], extra[3][128], path[PATH_MAX], first[PATH_MAX];
	const char	*other = NULL;
	struct rerr	 err;
	size_t		 i, k;
	int		 rc;

	egg_slug(egg->name, slug, sizeof(slug));
	extra[0][0] = '\0';
	dir_slug(src, extra[1], sizeof(extra[1]));
	egg_slug(egg->author && *egg->author ? egg->author : "", extra[2],
	    sizeof(extra[2]));
	if (egg->author == NULL || *egg->author == '\0')
		extra[2][0] = '\0';
	snprintf(first, sizeof(first), "%s/%s.yaml", dir, slug);
	for (k = 0; k < 3; k++) {
		if (k > 0 && (extra[k][0] == '\0' ||
		    (k == 2 && strcmp(extra[2], extra[1]) == 0)))
			continue;
		if (k == 0)
			snprintf(path, sizeof(path), "%s", first);
		else
			snprintf(path, sizeof(path), "%s/%s-%s.yaml", dir, slug,
			    extra[k]);
		rerr_init(&err);
		rc = write_new(path, text, &err);
		if (rc == ROOST_EEXISTS)
			continue;
		if (rc != 0) {
			fprintf(stderr, "roost: %s\n", err.msg);
			return CLI_USAGE;
		}
		if (k > 0) {
			for (i = 0; i < *nw; i++)
				if (strcmp((*w)[i].path, first) == 0)
					other = (*w)[i].source;
			fprintf(stderr, "%s: warning: '%s' exists (from %s); "
			    "written as '%s' instead\n", src, first,
			    other ? other : "an earlier import", path);
		}
		*w = xreallocarray(*w, *nw + 1, sizeof(**w));
		(*w)[*nw].path = xstrdup(path);
		(*w)[*nw].source = xstrdup(src);
		(*nw)++;
		fprintf(stderr, "%s: %s (%s) -> %s\n", src, egg->name,
		    egg->source_version ? egg->source_version : "?", path);
		return CLI_OK;
	}
	for (i = 0; i < *nw; i++)
		if (strcmp((*w)[i].path, first) == 0)
			other = (*w)[i].source;
	fprintf(stderr, "%s: error: egg '%s' is not written: '%s' and its "
	    "alternatives exist already (the first from %s); nothing was "
	    "overwritten\n", src, egg->name, first,
	    other ? other : "an earlier import");
	return CLI_FAIL;
}

static int
egg_import(int argc, char *argv[])
{
	const char		*dir = NULL;
	const struct cli_opt	 opts[] = {
		{ 'o', "output", CLI_OPT_STRING, &dir },
		{ 0 }
	};
	struct diags		 d;
	struct egg		*egg;
	struct buf		 b;
	struct written		*w = NULL;
	size_t			 nw = 0, k;
	int			 first, i, rc = CLI_OK, wrc;

	if ((first = cli_opts_parse("egg import", opts, argc, argv,
	    &rc)) == -1)
		return rc;
	if (first >= argc)
		return cli_usage("egg import", 0);
	if (dir != NULL && util_mkdir_p(dir, 0755) == -1) {
		fprintf(stderr, "roost: cannot create '%s'\n", dir);
		return CLI_USAGE;
	}
	for (i = first; i < argc; i++) {
		diags_init(&d);
		if (egg_load_file(&egg, argv[i], &d) != 0) {
			diags_print(&d, stderr);
			diags_dispose(&d);
			rc = rc == CLI_OK ? CLI_FAIL : rc;
			continue;
		}
		diags_print(&d, stderr);	/* warnings */
		diags_dispose(&d);
		buf_init(&b, 0);
		egg_write_yaml(egg, &b);
		if (dir == NULL) {
			if (argc - first > 1)
				printf("---\n");
			fputs(buf_str(&b), stdout);
		} else if ((wrc = import_write(dir, argv[i], egg, &b, &w,
		    &nw)) != CLI_OK && rc == CLI_OK)
			rc = wrc;
		buf_dispose(&b);
		egg_free(egg);
	}
	for (k = 0; k < nw; k++) {
		free(w[k].path);
		free(w[k].source);
	}
	free(w);
	return rc;
}

static int
egg_list(int argc, char *argv[])
{
	struct egg_library	*lib;
	struct diags		 d;
	const char		*dir = egglib_builtin_dir();
	size_t			 i;
	int			 rc;

	if (argc == 3 && strcmp(argv[1], "--dir") == 0)
		dir = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: roost egg list [--dir DIR]\n");
		return CLI_USAGE;
	}
	lib = egglib_new();
	diags_init(&d);
	rc = egglib_load_dir(lib, dir, "", &d);
	diags_print(&d, stderr);
	diags_dispose(&d);
	if (rc == -1) {
		fprintf(stderr, "roost: cannot read the egg library '%s'\n",
		    dir);
		egglib_free(lib);
		return CLI_USAGE;
	}
	printf("%-28s %-32s %s\n", "ID", "NAME", "IMAGE");
	for (i = 0; i < egglib_count(lib); i++) {
		const struct egg *e = egglib_at(lib, i);

		printf("%-28s %-32s %s\n", e->id, e->name,
		    e->nimages ? e->images[0].ref : "-");
	}
	egglib_free(lib);
	return rc == 0 ? CLI_OK : CLI_FAIL;
}

/* roost egg import|list. */
int
cmd_egg(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return egg_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return egg_list(argc - 1, argv + 1);
	return cli_usage("egg", 0);
}
