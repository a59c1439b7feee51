/*
 * test_ignore: the backup ignore patterns (lib/ignore.c): .gitignore
 * semantics as Wings' .pteroignore uses them, checked against a table and
 * against git itself (git check-ignore --no-index) as the oracle.
 */
#include "unit.h"

#include "ignore.h"

/* Excluded the way a walk sees it: an excluded parent excludes all. */
static int
walked_out(const struct ignore *ig, const char *path, int isdir)
{
	char	buf[1024], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (ignore_match(ig, buf, 1))
			return 1;
		*p = '/';
	}
	return ignore_match(ig, path, isdir);
}

static struct ignore *
compile(const char *const *lines, size_t n)
{
	struct ignore	*ig;
	struct rerr	 err;

	rerr_init(&err);
	assert_rok(ignore_compile(&ig, lines, n, &err), &err);
	return ig;
}

static void
test_ignore__table(void **state)
{
	static const char *const pats[] = {
		"# a comment", "", "*.log", "!keep.log", "/cache", "tmp/",
		"world/**/session.lock", "logs/**", "**/dumps", "\\#hash",
		"a?c", "[bc]at", "[!x]y", "trailing   ",
	};
	static const struct { const char *path; int dir, want; } t[] = {
		{ "server.log", 0, 1 },
		{ "logs2/x.log", 0, 1 },
		{ "keep.log", 0, 0 },
		{ "deep/keep.log", 0, 0 },
		{ "cache", 1, 1 },
		{ "sub/cache", 1, 0 },
		{ "tmp", 1, 1 },
		{ "tmp", 0, 0 },		/* dir only */
		{ "x/tmp", 1, 1 },
		{ "world/session.lock", 0, 1 },
		{ "world/a/b/session.lock", 0, 1 },
		{ "world/session.lockx", 0, 0 },
		{ "logs/a/b", 0, 1 },
		{ "logs", 1, 0 },
		{ "dumps", 1, 1 },
		{ "a/b/dumps", 0, 1 },
		{ "#hash", 0, 1 },
		{ "abc", 0, 1 },
		{ "a/c", 0, 0 },		/* '?' never matches '/' */
		{ "cat", 0, 1 },
		{ "bat", 0, 1 },
		{ "rat", 0, 0 },
		{ "ay", 0, 1 },
		{ "xy", 0, 0 },
		{ "trailing", 0, 1 },
		{ "server.properties", 0, 0 },
	};
	struct ignore	*ig;
	size_t		 i;

	ig = compile(pats, sizeof(pats) / sizeof(pats[0]));
	assert_int_equal(ignore_count(ig), 12);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ignore_match(ig, t[i].path, t[i].dir) != t[i].want)
			fail_msg("%s (%s): want %d", t[i].path,
			    t[i].dir ? "dir" : "file", t[i].want);
	ignore_free(ig);
}

static void
test_ignore__bounds_and_text(void **state)
{
	struct ignore	*ig;
	struct rerr	 err;
	char		 big[IGNORE_MAX_LEN + 2];
	const char	*one[1];
	static const char text[] = "# .pteroignore\n*.tmp\r\n!important.tmp\n"
	    "/backups/\n";

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	one[0] = big;
	rerr_init(&err);
	assert_int_equal(ignore_compile(&ig, one, 1, &err), ROOST_EINVAL);
	assert_null(ig);
	assert_contains(err.msg, "at most");
	one[0] = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*";
	rerr_init(&err);
	assert_int_equal(ignore_compile(&ig, one, 1, &err), ROOST_EINVAL);
	assert_contains(err.msg, "'*'");

	/* 16 stars against a long name that never matches: still quick. */
	one[0] = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	ig = compile(one, 1);
	memset(big, 'a', 200);
	big[200] = '\0';
	assert_false(ignore_match(ig, big, 0));
	ignore_free(ig);

	ig = compile(NULL, 0);
	ignore_add_text(ig, text, sizeof(text) - 1);
	assert_int_equal(ignore_count(ig), 3);
	assert_true(ignore_match(ig, "x.tmp", 0));
	assert_false(ignore_match(ig, "important.tmp", 0));
	assert_true(ignore_match(ig, "backups", 1));
	assert_false(ignore_match(ig, "a/backups", 1));
	ignore_free(ig);
}

/* The same answers as git check-ignore for every path of a tree. */
static void
test_ignore__git_oracle(void **state)
{
	static const char *const pats[] = {
		"*.log", "!important.log", "/build/", "cache", "**/tmp/**",
		"docs/*.md", "!docs/keep.md", "a/**/z", "*.[oa]", "?x",
		"plugins/*/data/", "world*/session.lock",
	};
	static const char *const files[] = {
		"a.log", "important.log", "sub/b.log", "sub/important.log",
		"build/out", "src/build/out", "cache/x", "sub/cache/y",
		"cache.txt", "t/tmp/u", "tmp/v", "docs/a.md", "docs/keep.md",
		"docs/sub/c.md", "a/z", "a/b/c/z", "a/b/zz", "lib.o", "lib.a",
		"lib.c", "xx", "yx", "dir/yx", "xyx", "plugins/p1/data/f",
		"plugins/p1/conf", "world/session.lock",
		"world_nether/session.lock", "world/dim/session.lock",
		"server.properties",
	};
	struct ignore	*ig;
	char		*dir, *out;
	size_t		 i, n = sizeof(pats) / sizeof(pats[0]);
	int		 git, ours;
	FILE		*f;
	char		 path[4096], line[64];

	if ((dir = unit_tmpdir("ignore")) == NULL)
		fail_msg("tmpdir");
	snprintf(path, sizeof(path), "%s/.gitignore", dir);
	if ((f = fopen(path, "w")) == NULL)
		fail_msg("fopen");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", pats[i]);
	fclose(f);
	ig = compile(pats, n);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "cd '%s' && "
		    "(git init -q . >/dev/null 2>&1; git check-ignore -q "
		    "--no-index '%s' && echo 1 || echo 0)", dir, files[i]);
		if ((f = popen(path, "r")) == NULL)
			fail_msg("popen");
		out = fgets(line, sizeof(line), f);
		pclose(f);
		git = out != NULL && line[0] == '1';
		ours = walked_out(ig, files[i], 0);
		if (git != ours)
			fail_msg("%s: git says %d, roost %d", files[i], git,
			    ours);
	}
	ignore_free(ig);
	unit_rmtree(dir);
	free(dir);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_ignore__table),
    cmocka_unit_test(test_ignore__bounds_and_text),
    cmocka_unit_test(test_ignore__git_oracle))
