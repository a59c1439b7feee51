/*
 * test_recon_parts: the reconciler's pieces that need no engine: done-line
 * matching, the disk walk, the trash of pruned servers and its expiry, the
 * install marker, and the tree removal that never follows links.
 */
#include "unit.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <time.h>

#include "buf.h"
#include "fswalk.h"
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

/* Writes size bytes of data (not a hole). */
static void
fill(const char *path, size_t size)
{
	char	buf[65536];
	int	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t	n;

	assert_true(fd >= 0);
	memset(buf, 'r', sizeof(buf));
	for (; size > 0; size -= n) {
		n = size < sizeof(buf) ? size : sizeof(buf);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
	}
	close(fd);
}

/* du -s -B1 of a directory, in bytes. */
static int64_t
du_bytes(const char *d)
{
	char	*cmd, line[256];
	FILE	*fp;
	long long v = -1;

	xasprintf(&cmd, "du -s -B1 '%s'", d);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	if (fgets(line, sizeof(line), fp) != NULL)
		v = strtoll(line, NULL, 10);
	pclose(fp);
	free(cmd);
	return v;
}

/* Open descriptors of this process. */
static int
open_fds(void)
{
	DIR		*dir = opendir("/proc/self/fd");
	struct dirent	*de;
	int		 n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1;	/* the one reading */
}

static char *
read_text(const char *path)
{
	struct buf	b;
	struct rerr	err;

	buf_init(&b, 0);
	rerr_init(&err);
	assert_rok(util_read_file(path, &b, &err), &err);
	return buf_detach(&b);
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
	/* Go syntax, as Wings matches it: \d, \s, (?:...), anchors */
	done[1] = (char *)"regex:^Done \\((?:\\d+\\.)?\\d+s\\)!\\s";
	assert_true(runtime_done_match(done + 1, 1, "Done (3.25s)! For help"));
	assert_true(runtime_done_match(done + 1, 1, "Done (3s)! For help"));
	assert_false(runtime_done_match(done + 1, 1, "Done (ds)! For help"));
	assert_false(runtime_done_match(done + 1, 1, "x Done (3s)! For"));
	/* a regex is not a substring: "." is any character */
	done[1] = (char *)"regex:listening on port [0-9]+";
	assert_true(runtime_done_match(done + 1, 1,
	    "[main] listening on port 25565"));
	assert_false(runtime_done_match(done + 1, 1,
	    "listening on port [0-9]+"));
	/* the same pattern many times: compiled once, still right */
	for (int k = 0; k < 1000; k++)
		assert_true(runtime_done_match(done + 1, 1,
		    "listening on port 1"));
	/* A broken regex is skipped, not fatal. */
	done[1] = (char *)"regex:([";
	assert_false(runtime_done_match(done, 2, "(["));
}

static void
test_parts__disk_usage(void **state)
{
	char	*d = tmpdir(), *p;
	int64_t	 n, real;
	int	 trunc;

	xasprintf(&p, "%s/a", d);
	fill(p, 1048576);
	free(p);
	xasprintf(&p, "%s/sub", d);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	/* A link to a big file outside is not followed. */
	xasprintf(&p, "%s/link", d);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	free(p);
	xasprintf(&p, "%s/dirlink", d);
	assert_int_equal(symlink("/usr", p), 0);
	free(p);

	n = runtime_disk_usage(d, 1000000, &trunc);
	real = du_bytes(d);
	/* Blocks as du(1) counts them, the root directory's aside. */
	assert_true(n >= 1048576);
	assert_true(n <= real);
	assert_true(real - n <= 65536);
	assert_false(trunc);
	/* The walk stops after the bound. */
	n = runtime_disk_usage(d, 2, &trunc);
	assert_true(trunc);
	assert_true(n <= real);
	assert_int_equal(runtime_disk_usage("/nonexistent/roost", 10, &trunc),
	    -1);
	rmrf(d);
	free(d);
}

/* A sparse 1 GiB file counts the blocks it uses, not its size. */
static void
test_parts__disk_usage_sparse(void **state)
{
	char	*d = tmpdir(), *p;
	int64_t	 n;
	int	 trunc;

	xasprintf(&p, "%s/sparse.bin", d);
	put(p, 1024LL * 1048576);
	free(p);
	n = runtime_disk_usage(d, 1000, &trunc);
	assert_true(n >= 0);
	assert_true(n < 1048576);
	rmrf(d);
	free(d);
}

/* A file 200 directories deep is counted; descriptors stay bounded. */
static void
test_parts__disk_usage_deep(void **state)
{
	char	*d = tmpdir();
	int64_t	 n;
	int	 fd, i, nfd, trunc, before;

	fd = open(d, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (i = 0; i < 200; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		assert_true(nfd >= 0);
		close(fd);
		fd = nfd;
	}
	nfd = openat(fd, "deep.bin", O_WRONLY | O_CREAT, 0644);
	assert_true(nfd >= 0);
	{
		char	buf[65536];

		memset(buf, 'x', sizeof(buf));
		for (i = 0; i < 32; i++)
			assert_int_equal(write(nfd, buf, sizeof(buf)),
			    (ssize_t)sizeof(buf));
	}
	close(nfd);
	close(fd);
	before = open_fds();
	n = runtime_disk_usage(d, 1000000, &trunc);
	assert_int_equal(open_fds(), before);
	assert_false(trunc);
	assert_true(n >= 2 * 1048576);
	/* Fewer descriptors than levels: the walk still counts the file. */
	{
		struct rlimit	 old, low;

		assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
		low = old;
		low.rlim_cur = (rlim_t)before + FSWALK_MAX_FDS + 8;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
		n = runtime_disk_usage(d, 1000000, &trunc);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
		assert_true(n >= 2 * 1048576);
	}
	rmrf(d);
	free(d);
}

/*
 * util_write_atomic: a symbolic link (or FIFO) planted at the temporary
 * name, under the old name scheme and the new, is removed and never
 * written through; the file outside stays as it was.
 */
static void
test_parts__write_atomic_planted(void **state)
{
	struct rerr	 err;
	struct stat	 sb;
	char		*d = tmpdir(), *keep = tmpdir(), *outside, *p, *t;
	char		*got;

	xasprintf(&outside, "%s/precious", keep);
	put(outside, 0);
	xasprintf(&p, "%s/install.sh", d);
	/* The names a temporary file of this process gets, old and new. */
	xasprintf(&t, "%s.tmp.%ld", p, (long)getpid());
	assert_int_equal(symlink(outside, t), 0);
	free(t);
	xasprintf(&t, "%s/.install.sh.tmp.%ld", d, (long)getpid());
	assert_int_equal(symlink(outside, t), 0);
	rerr_init(&err);
	assert_rok(util_write_atomic(p, "echo hi\n", 8, 0644, &err), &err);
	assert_int_equal(stat(outside, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal(lstat(t, &sb), -1);
	/* A FIFO there neither blocks nor stops the write. */
	assert_int_equal(mkfifo(t, 0644), 0);
	rerr_init(&err);
	assert_rok(util_write_atomic(p, "echo ho\n", 8, 0600, &err), &err);
	got = read_text(p);
	assert_string_equal(got, "echo ho\n");
	free(got);
	/* A directory in the way is an error, not a hang or a loss. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(t, 0755), 0);
	rerr_init(&err);
	assert_int_equal(util_write_atomic(p, "x", 1, 0644, &err), -1);
	assert_contains(err.msg, ".install.sh.tmp.");
	free(t);
	free(p);
	free(outside);
	rmrf(d);
	rmrf(keep);
	free(d);
	free(keep);
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

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_parts__done_match),
    cmocka_unit_test(test_parts__disk_usage),
    cmocka_unit_test(test_parts__disk_usage_sparse),
    cmocka_unit_test(test_parts__disk_usage_deep),
    cmocka_unit_test(test_parts__write_atomic_planted),
    cmocka_unit_test(test_parts__trash),
    cmocka_unit_test(test_parts__rmtree_no_follow),
    cmocka_unit_test(test_parts__install_marker),
    cmocka_unit_test(test_parts__dir_ensure))
