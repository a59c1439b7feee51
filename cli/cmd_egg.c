/*
 * cmd_egg: roost egg import FILE... [-o DIR] converts Pterodactyl and
 * Pelican eggs (any version, JSON or YAML) into roost's readable YAML
 * egg; roost egg list [--dir DIR] lists the egg library.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
egg_import(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*dir = NULL;
	struct diags	 d;
	struct egg	*egg;
	struct buf	 b;
	struct rerr	 err;
	char		 slug[128], path[PATH_MAX];
	int		 ch, i, rc = CLI_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (ch != 'o') {
			fprintf(stderr, "usage: roost egg import FILE... "
			    "[-o DIR]\n");
			return CLI_USAGE;
		}
		dir = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: roost egg import FILE... [-o DIR]\n");
		return CLI_USAGE;
	}
	if (dir != NULL && util_mkdir_p(dir, 0755) == -1) {
		fprintf(stderr, "roost: cannot create '%s'\n", dir);
		return CLI_USAGE;
	}
	for (i = optind; i < argc; i++) {
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
			if (argc - optind > 1)
				printf("---\n");
			fputs(buf_str(&b), stdout);
		} else {
			egg_slug(egg->name, slug, sizeof(slug));
			snprintf(path, sizeof(path), "%s/%s.yaml", dir, slug);
			rerr_init(&err);
			if (util_write_atomic(path, b.data, b.len, 0644,
			    &err) != 0) {
				fprintf(stderr, "roost: %s\n", err.msg);
				rc = CLI_USAGE;
			} else
				fprintf(stderr, "%s: %s (%s) -> %s\n", argv[i],
				    egg->name, egg->source_version ?
				    egg->source_version : "?", path);
		}
		buf_dispose(&b);
		egg_free(egg);
	}
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
	fprintf(stderr, "usage: roost egg import FILE... [-o DIR]\n"
	    "       roost egg list [--dir DIR]\n");
	return CLI_USAGE;
}
