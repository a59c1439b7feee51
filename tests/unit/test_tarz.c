/*
 * test_tarz: .tar.zst archives of server directories (reconciler/tarz.c):
 * a round trip keeps contents, modes, nanosecond mtimes, symbolic links
 * and empty directories; GNU tar reads what tarz writes and tarz reads
 * what GNU tar writes; ignore patterns leave files out; hostile archives
 * made with Python's tarfile (absolute paths, "..", writing through a
 * symbolic link, devices) are refused or neutralised; a target that
 * fails part way ends the pack with the target's own words.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include "unit.h"

#include "ignore.h"
#include "../../reconciler/tarz.h"

static char	*dir;

static int
setup(void **state)
{
	if ((dir = unit_tmpdir("tarz")) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	unit_rmtree(dir);
	free(dir);
	return 0;
}

static int	sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command in the test's directory; its exit status. */
static int
sh(const char *fmt, ...)
{
	va_list	ap;
	char	cmd[8192];

	snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_start(ap, fmt);
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
pack(const char *src, const char *out, const struct ignore *ig,
    struct tarz_stats *st)
{
	struct rerr	err;
	char		p[4096];
	int		rfd, ofd, rc;

	snprintf(p, sizeof(p), "%s/%s", dir, src);
	rfd = open(p, O_RDONLY | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/%s", dir, out);
	ofd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(rfd != -1 && ofd != -1);
	rerr_init(&err);
	rc = tarz_pack(rfd, ig, 3, ofd, st, &err);
	if (rc != 0)
		fail_msg("pack: %s", err.msg);
	close(rfd);
	close(ofd);
	return rc;
}

static int
unpack(const char *in, const char *to, struct tarz_stats *st,
    struct rerr *err)
{
	struct tarz_unpack_opts	o;
	char			p[4096], q[4096];
	int			fd, rc;

	snprintf(p, sizeof(p), "%s/%s", dir, in);
	snprintf(q, sizeof(q), "%s/%s", dir, to);
	mkdir(q, 0755);
	fd = open(p, O_RDONLY);
	assert_true(fd != -1);
	memset(&o, 0, sizeof(o));
	o.uid = getuid();
	o.gid = getgid();
	rerr_init(err);
	rc = tarz_unpack(fd, q, &o, st, err);
	close(fd);
	return rc;
}

static void
test_tarz__round_trip(void **state)
{
	struct tarz_stats	st, st2;
	struct rerr		err;
	char			hex[65];
	uint64_t		size;
	int			fd;

	assert_int_equal(sh("mkdir -p src/world/region src/empty/deeper "
	    "src/plugins && for i in $(seq 1 300); do echo \"file $i\" > "
	    "src/world/region/r.$i.mca; done && head -c 3000000 /dev/urandom "
	    "> src/big.bin && printf 'x' > src/plugins/a.jar && "
	    "chmod 0751 src/plugins && chmod 0600 src/big.bin && "
	    "ln -s world/region src/link && ln -s /etc/passwd src/abs-link && "
	    "touch -d '2020-02-03 04:05:06.123456789' src/world/region/r.1.mca "
	    "src/empty/deeper && mkfifo src/fifo && echo 'x' > "
	    "'src/name with spaces'%s", ""), 0);
	pack("src", "a.tar.zst", NULL, &st);
	assert_int_equal(st.skipped, 1);	/* the FIFO */
	assert_true(st.entries >= 300 + 8);
	assert_int_equal(unpack("a.tar.zst", "out", &st2, &err), 0);
	assert_string_equal(st.sha256, st2.sha256);
	assert_int_equal(st.size, st2.size);
	assert_int_equal(st.entries, st2.entries);
	assert_int_equal(sh("rm src/fifo && bash -c 'diff "
	    "<(cd src && find . -mindepth 1 -printf \"%%p %%y %%m %%T@ %%l "
	    "%%s\\n\" | sort) <(cd out && find . -mindepth 1 -printf "
	    "\"%%p %%y %%m %%T@ %%l %%s\\n\" | sort)' && diff -r src out && "
	    "test \"$(readlink out/abs-link)\" = /etc/passwd && "
	    "test \"$(stat -c %%y out/world/region/r.1.mca)\" = "
	    "\"$(stat -c %%y src/world/region/r.1.mca)\"%s", ""), 0);

	/* The archive's checksum is the file's. */
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/a.tar.zst", dir);
		fd = open(p, O_RDONLY);
		rerr_init(&err);
		assert_rok(tarz_hash(fd, hex, &size, &err), &err);
		close(fd);
		assert_string_equal(hex, st.sha256);
		assert_int_equal(size, st.size);
	}

	/* GNU tar reads it, and tarz reads GNU tar's. */
	assert_int_equal(sh("mkdir gnu && tar --zstd -xf a.tar.zst -C gnu && "
	    "diff -r src gnu && tar --zstd -cf b.tar.zst -C src .%s", ""), 0);
	assert_int_equal(unpack("b.tar.zst", "out2", &st2, &err), 0);
	assert_int_equal(sh("diff -r src out2%s", ""), 0);
}

static void
test_tarz__ignore(void **state)
{
	static const char *const pats[] = { "*.log", "!keep.log", "cache/",
	    "/world/session.lock" };
	struct ignore		*ig;
	struct tarz_stats	 st;
	struct rerr		 err;

	rerr_init(&err);
	assert_rok(ignore_compile(&ig, pats, 4, &err), &err);
	assert_int_equal(sh("mkdir -p i/cache/x i/world i/logs && "
	    "touch i/a.log i/keep.log i/logs/b.log i/cache/x/y i/world/level.dat "
	    "i/world/session.lock i/server.properties%s", ""), 0);
	pack("i", "i.tar.zst", ig, &st);
	assert_int_equal(unpack("i.tar.zst", "iout", &st, &err), 0);
	assert_int_equal(sh("cd iout && test -f keep.log && test ! -e a.log && "
	    "test ! -e logs/b.log && test -d logs && test ! -e cache && "
	    "test ! -e world/session.lock && test -f world/level.dat && "
	    "test -f server.properties%s", ""), 0);
	ignore_free(ig);
}

/* Makes a hostile tar.zst with Python's tarfile. */
static void
hostile(const char *name, const char *py)
{
	char	cmd[4096];

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 -c 'import tarfile, io\n"
	    "t = tarfile.open(\"h.tar\", \"w\")\n"
	    "def f(n, data=b\"x\", **kw):\n"
	    "    i = tarfile.TarInfo(n); i.size = len(data)\n"
	    "    [setattr(i, k, v) for k, v in kw.items()]\n"
	    "    t.addfile(i, io.BytesIO(data))\n"
	    "%s\nt.close()' && zstd -q -f h.tar -o %s", py, name);
	assert_int_equal(sh("%s", cmd), 0);
}

static void
test_tarz__hostile(void **state)
{
	struct tarz_stats	st;
	struct rerr		err;

	assert_int_equal(sh("mkdir -p outside%s", ""), 0);

	hostile("dotdot.tar.zst", "f(\"ok\")\nf(\"../outside/escaped\")");
	assert_int_equal(unpack("dotdot.tar.zst", "h1", &st, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "outside the server directory");
	assert_int_equal(sh("test ! -e outside/escaped%s", ""), 0);

	hostile("abs.tar.zst", "f(\"/tmp/roost-tarz-abs-escape\")");
	assert_int_equal(unpack("abs.tar.zst", "h2", &st, &err), ROOST_EINVAL);
	assert_int_equal(sh("test ! -e /tmp/roost-tarz-abs-escape%s", ""), 0);

	/* A symbolic link to outside, then a file through it. */
	assert_int_equal(sh("ln -sfn \"$PWD/outside\" abslink%s", ""), 0);
	{
		char py[1024];

		snprintf(py, sizeof(py), "f(\"l\", b\"\", type=tarfile.SYMTYPE, "
		    "linkname=\"%s/outside\")\nf(\"l/through\")", dir);
		hostile("sym.tar.zst", py);
	}
	assert_int_not_equal(unpack("sym.tar.zst", "h3", &st, &err), 0);
	assert_int_equal(sh("test ! -e outside/through && test -L h3/l%s", ""),
	    0);

	/* A hard link to outside. */
	hostile("hard.tar.zst", "f(\"h\", b\"\", type=tarfile.LNKTYPE, "
	    "linkname=\"../outside/x\")");
	assert_int_equal(unpack("hard.tar.zst", "h4", &st, &err),
	    ROOST_EINVAL);

	/* A device and a set-uid file: the device skipped, the bit dropped. */
	hostile("dev.tar.zst", "f(\"null\", b\"\", type=tarfile.CHRTYPE, "
	    "devmajor=1, devminor=3)\nf(\"suid\", mode=0o4755)");
	assert_int_equal(unpack("dev.tar.zst", "h5", &st, &err), 0);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(sh("test ! -e h5/null && test \"$(stat -c %%a "
	    "h5/suid)\" = 755%s", ""), 0);

	/* Not an archive at all. */
	assert_int_equal(sh("head -c 5000 /dev/urandom > junk.tar.zst%s", ""),
	    0);
	assert_int_not_equal(unpack("junk.tar.zst", "h6", &st, &err), 0);
}

/* A target that takes limit bytes, then fails as a full disk would. */
struct short_target {
	size_t	taken;
	size_t	limit;
	int	calls_after;
};

static int
short_write(void *arg, const void *p, size_t len, struct rerr *err)
{
	struct short_target	*t = arg;

	(void)p;
	if (t->taken >= t->limit) {
		t->calls_after++;
		return rerr_set(err, -1, "the target is full");
	}
	t->taken += len;
	return 0;
}

static void
test_tarz__target_fails(void **state)
{
	struct short_target	t = { 0, 2u << 20, 0 };
	struct tarz_stats	st;
	struct rerr		err;
	char			p[4096];
	int			rfd;

	/* 8 MiB that zstd cannot shrink: the archive outgrows the target. */
	assert_int_equal(sh("mkdir -p big && head -c 8388608 /dev/urandom "
	    ">big/world.dat"), 0);
	snprintf(p, sizeof(p), "%s/big", dir);
	assert_true((rfd = open(p, O_RDONLY | O_DIRECTORY)) != -1);
	rerr_init(&err);
	assert_int_equal(tarz_pack_to(rfd, NULL, 3, short_write, &t, &st,
	    &err), -1);
	assert_string_equal(err.msg, "the target is full");
	/* Once it failed, it is not handed any more of the archive. */
	assert_int_equal(t.calls_after, 1);
	close(rfd);
}

UNIT_MAIN(setup, teardown,
    cmocka_unit_test(test_tarz__round_trip),
    cmocka_unit_test(test_tarz__ignore),
    cmocka_unit_test(test_tarz__hostile),
    cmocka_unit_test(test_tarz__target_fails))
