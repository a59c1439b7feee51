/*
 * test_recon_parts: the reconciler's pieces that need no engine: done-line
 * matching, the disk walk, the trash of pruned servers and its expiry, the
 * install marker, and the tree removal that never follows links.
 */
#include "unit.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <time.h>

#include "buf.h"
#include "util.h"
#include "xmalloc.h"
#include "../../reconciler/apply.h"
#include "../../reconciler/install.h"
#include "../../reconciler/runtime.h"

static char *
tmpdir(void)
{
	char	*d = unit_tmpdir("test-parts");

	assert_non_null(d);
	return d;
}

static void
rmrf(const char *d)
{
	struct rerr	err;

	rerr_init(&err);
	assert_rok(apply_rmtree(d, &err), &err);
}

static void
put(const char *path, size_t size)
{
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void
test_parts__done_match(void **state)
{
	char	*done[] = { (char *)"Done (", (char *)"regex:^ready on [0-9]+$" };
	char	*all[] = { (char *)"" };

	assert_true(runtime_done_match(done, 2,
	    "[12:00:00 INFO]: Done (3.2s)! For help, type \"help\""));
	assert_true(runtime_done_match(done, 2, "ready on 31000"));
	assert_false(runtime_done_match(done, 2, "not ready on 31000"));
	assert_false(runtime_done_match(done, 2, "Loading libraries"));
	/* ANSI colour codes do not hide a match. */
	assert_true(runtime_done_match(done, 2,
	    "\033[32mDone\033[0m (1.0s)"));
	assert_true(runtime_done_match(done, 2,
	    "\033[1;32mready on 7\033[0m"));
	/* An empty entry matches any line; no entries match nothing. */
	assert_true(runtime_done_match(all, 1, "anything"));
	assert_false(runtime_done_match(done, 0, "Done ("));
	/* A broken regex is skipped, not fatal. */
	done[1] = (char *)"regex:([";
	assert_false(runtime_done_match(done, 2, "(["));
}

static void
test_parts__disk_usage(void **state)
{
	char	*d = tmpdir(), *p;
	int64_t	 n;
	int	 trunc;

	xasprintf(&p, "%s/a", d);
	put(p, 1000);
	free(p);
	xasprintf(&p, "%s/sub", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	xasprintf(&p, "%s/sub/b", d);
	put(p, 5 * 1048576);	/* sparse: apparent size counts */
	free(p);
	/* A link to a big file outside is not followed. */
	xasprintf(&p, "%s/link", d);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	free(p);
	xasprintf(&p, "%s/dirlink", d);
	assert_int_equal(symlink("/usr", p), 0);
	free(p);

	n = runtime_disk_usage(d, 1000000, &trunc);
	assert_int_equal(n, 1000 + 5 * 1048576);
	assert_false(trunc);
	/* The walk stops after the bound. */
	n = runtime_disk_usage(d, 2, &trunc);
	assert_true(trunc);
	assert_true(n <= 1000 + 5 * 1048576);
	assert_int_equal(runtime_disk_usage("/nonexistent/roost", 10, &trunc),
	    -1);
	rmrf(d);
	free(d);
}

static void
test_parts__trash(void **state)
{
	struct rerr	 err;
	struct stat	 sb;
	char		*d = tmpdir(), *p, *moved = NULL, *old;
	int		 n;

	xasprintf(&p, "%s/volumes/mc", d);
	assert_int_equal(util_mkdir_p(p, 0750), 0);
	free(p);
	xasprintf(&p, "%s/volumes/mc/world.dat", d);
	put(p, 10);
	free(p);

	rerr_init(&err);
	assert_rok(apply_trash_move(d, "mc", &moved, &err), &err);
	assert_non_null(moved);
	assert_contains(moved, "/trash/mc-");
	xasprintf(&p, "%s/world.dat", moved);
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	xasprintf(&p, "%s/volumes/mc", d);
	assert_int_equal(stat(p, &sb), -1);
	free(p);

	/* Nothing to move: no error, no path. */
	free(moved);
	rerr_init(&err);
	assert_rok(apply_trash_move(d, "mc", &moved, &err), &err);
	assert_null(moved);

	/* An entry from 2020 expires; today's stays. */
	xasprintf(&old, "%s/trash/old-20200101T000000Z", d);
	assert_int_equal(util_mkdir_p(old, 0700), 0);
	xasprintf(&p, "%s/x", old);
	put(p, 1);
	free(p);
	rerr_init(&err);
	n = apply_trash_expire(d, 7ULL * 24 * 3600 * 1000, &err);
	assert_int_equal(n, 1);
	assert_int_equal(stat(old, &sb), -1);
	free(old);
	xasprintf(&p, "%s/trash", d);
	{
		struct buf	b;
		FILE		*fp;
		char		*cmd, line[256];

		xasprintf(&cmd, "ls %s", p);
		fp = popen(cmd, "r");
		buf_init(&b, 0);
		while (fgets(line, sizeof(line), fp) != NULL)
			buf_puts(&b, line);
		pclose(fp);
		assert_contains(buf_str(&b), "mc-");
		buf_dispose(&b);
		free(cmd);
	}
	free(p);
	/* A retention of 1 ms: a second later today's entry goes too. */
	sleep(1);
	rerr_init(&err);
	assert_int_equal(apply_trash_expire(d, 1, &err), 1);
	rmrf(d);
	free(d);
}

static void
test_parts__rmtree_no_follow(void **state)
{
	char		*d = tmpdir(), *keep = tmpdir(), *p, *q;
	struct stat	 sb;

	xasprintf(&q, "%s/precious", keep);
	put(q, 3);
	xasprintf(&p, "%s/victim", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	xasprintf(&p, "%s/victim/escape", d);
	assert_int_equal(symlink(keep, p), 0);
	free(p);
	rmrf(d);
	assert_int_equal(stat(d, &sb), -1);
	assert_int_equal(stat(q, &sb), 0);
	free(q);
	rmrf(keep);
	free(keep);
	free(d);
}

static void
test_parts__install_marker(void **state)
{
	struct rerr	 err;
	char		*d = tmpdir(), *v = NULL;

	assert_int_equal(install_marker_read(d, "mc", &v), ROOST_ENOTFOUND);
	assert_null(v);
	rerr_init(&err);
	assert_rok(install_marker_write(d, "mc", NULL, &err), &err);
	assert_int_equal(install_marker_read(d, "mc", &v), 0);
	assert_string_equal(v, "");
	free(v);
	rerr_init(&err);
	assert_rok(install_marker_write(d, "mc", "2026-11-25T10:00:00Z", &err),
	    &err);
	assert_int_equal(install_marker_read(d, "mc", &v), 0);
	assert_string_equal(v, "2026-11-25T10:00:00Z");
	free(v);
	install_marker_remove(d, "mc");
	assert_int_equal(install_marker_read(d, "mc", &v), ROOST_ENOTFOUND);
	rmrf(d);
	free(d);
}

static void
test_parts__dir_ensure(void **state)
{
	struct rerr	 err;
	struct stat	 sb;
	char		*d = tmpdir(), *p;

	xasprintf(&p, "%s/volumes/mc", d);
	rerr_init(&err);
	assert_rok(apply_dir_ensure(p, 999, 999, &err), &err);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	if (geteuid() == 0)
		assert_int_equal(sb.st_uid, 999);
	/* Again: nothing changes, no error. */
	rerr_init(&err);
	assert_rok(apply_dir_ensure(p, 999, 999, &err), &err);
	free(p);
	rmrf(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts__done_match),
		cmocka_unit_test(test_parts__disk_usage),
		cmocka_unit_test(test_parts__trash),
		cmocka_unit_test(test_parts__rmtree_no_follow),
		cmocka_unit_test(test_parts__install_marker),
		cmocka_unit_test(test_parts__dir_ensure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
