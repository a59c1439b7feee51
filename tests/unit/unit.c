/*
 * unit.c: helpers shared by roost's cmocka unit tests (declared in
 * unit.h), linked into every tests/unit/test_*.c binary, in the manner of
 * libgit2's clar fixtures: a temporary directory of the test's own, shell
 * commands run in it, a $HOME with git's identity. They also keep two
 * runs of the suite on one machine apart: free ports come from the
 * kernel, names that are global on the Docker engine carry a per-run id.
 */
#include "unit.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "panel.h"
#include "state.h"
#include "xmalloc.h"

#include "../../reconciler/conf.h"

/* Binds a socket of type to 127.0.0.1:port; returns the fd or -1. */
static int
unit_bind(int type, int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Returns a port the kernel chose (bind to port 0) that is free for TCP
 * and UDP on 127.0.0.1 now; fails the test when there is none.
 */
int
unit_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, ufd, port, i;

	for (i = 0; i < 100; i++) {
		if ((fd = unit_bind(SOCK_STREAM, 0)) == -1)
			break;
		len = sizeof(sin);
		if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
			close(fd);
			break;
		}
		port = ntohs(sin.sin_port);
		/* Published ports are UDP too: the same number must be free. */
		ufd = unit_bind(SOCK_DGRAM, port);
		close(fd);
		if (ufd != -1) {
			close(ufd);
			return port;
		}
	}
	fail_msg("no free port from the kernel");
	return -1;
}

/*
 * Returns an id of this run ("u" and the process id in hex), for names
 * that are global on the Docker engine (containers, networks, labels).
 */
const char *
unit_run_id(void)
{
	static char	id[32];

	if (id[0] == '\0')
		snprintf(id, sizeof(id), "u%x", (unsigned)getpid());
	return id;
}

/* The fixture directory unit_sh and unit_write work in. */
char	*unit_root;

/*
 * Makes a directory of this test's own, $TMPDIR/roost-<name>.XXXXXX (or
 * under /tmp), and returns its path to free, or NULL (errno set).
 */
char *
unit_tmpdir(const char *name)
{
	const char	*t = getenv("TMPDIR");
	char		*p;

	xasprintf(&p, "%s/roost-%s.XXXXXX", t != NULL && *t != '\0' ? t :
	    "/tmp", name);
	if (mkdtemp(p) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

/* Removes dir and everything below it; 0 or -1. */
int
unit_rmtree(const char *dir)
{
	char	*cmd;
	int	 st;

	if (dir == NULL || *dir == '\0' || strcmp(dir, "/") == 0)
		return -1;
	xasprintf(&cmd, "rm -rf '%s'", dir);
	st = system(cmd);
	free(cmd);
	return st == 0 ? 0 : -1;
}

/* Formats fmt into a string to free. */
static char *
unit_vfmt(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) == -1)
		abort();
	return s;
}

/* Runs a shell command in unit_root, output discarded; its exit status. */
int
unit_sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *full;
	int	 st;

	va_start(ap, fmt);
	cmd = unit_vfmt(fmt, ap);
	va_end(ap);
	xasprintf(&full, "cd '%s' && { %s ; } >/dev/null 2>&1", unit_root,
	    cmd);
	st = system(full);
	free(cmd);
	free(full);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs a command in unit_root; its stdout without the last newline. */
char *
unit_sh_out(const char *fmt, ...)
{
	va_list		 ap;
	char		*cmd, *full, tmp[4096];
	struct buf	 b;
	FILE		*fp;
	size_t		 n;

	va_start(ap, fmt);
	cmd = unit_vfmt(fmt, ap);
	va_end(ap);
	xasprintf(&full, "cd '%s' && { %s ; } 2>/dev/null", unit_root, cmd);
	buf_init(&b, 0);
	fp = popen(full, "r");
	assert_non_null(fp);
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		buf_add(&b, tmp, n);
	pclose(fp);
	free(cmd);
	free(full);
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return buf_detach(&b);
}

/* Fails unless cmd (run in unit_root) prints want. */
void
unit_assert_sh_eq(const char *want, const char *cmd)
{
	char	*got = unit_sh_out("%s", cmd);

	if (strcmp(got, want) != 0)
		fail_msg("'%s' printed '%s', want '%s'", cmd, got, want);
	free(got);
}

/* Writes text to the file path (its directory must exist). */
static void
write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

/* Writes text to rel under unit_root (its directory must exist). */
void
unit_write(const char *rel, const char *text)
{
	char	*path;

	xasprintf(&path, "%s/%s", unit_root, rel);
	write_file(path, text);
	free(path);
}

/* Loads a roostd.yaml of text; see unit.h. */
struct conf *
unit_roostd_conf(const char *text, int want, struct buf *out)
{
	struct diags	 d;
	struct conf	*c;
	char		*dir, *path;

	assert_non_null(dir = unit_tmpdir("roostd"));
	xasprintf(&path, "%s/roostd.yaml", dir);
	write_file(path, text);
	diags_init(&d);
	assert_int_equal(conf_load(&c, path, &d), want);
	if (out != NULL) {
		buf_reset(out);
		diags_format(&d, out);
	}
	diags_dispose(&d);
	unit_rmtree(dir);
	free(path);
	free(dir);
	return c;
}

/* Fails unless text holds each of the NULL-ended list want. */
void
unit_assert_contains_all_(const char *text, const char *const *want)
{
	for (; *want != NULL; want++)
		assert_contains(text, *want);
}

/* Fails unless roostd.yaml text is refused with the problems want. */
void
unit_roostd_refuses_(const char *text, const char *const *want)
{
	struct buf	out;

	buf_init(&out, 0);
	unit_roostd_conf(text, ROOST_EINVAL, &out);
	unit_assert_contains_all_(buf_str(&out), want);
	buf_dispose(&out);
}

/*
 * Gives the test program a $HOME of its own with git's identity and
 * defaults (branch main, file:// allowed), as tests/lib/tap.sh does for
 * the scripts; returns the directory (for unit_rmtree) or NULL.
 */
char *
unit_git_home(void)
{
	char	*home = unit_tmpdir("home");

	if (home == NULL)
		return NULL;
	setenv("HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	if (system("git config --global init.defaultBranch main && "
	    "git config --global user.name 'Test User' && "
	    "git config --global user.email test@example.com && "
	    "git config --global protocol.file.allow always") != 0) {
		unit_rmtree(home);
		free(home);
		return NULL;
	}
	return home;
}

/* Runs tests under a git home; see unit.h. */
int
unit_run_git_tests_(const char *name, const struct CMUnitTest *tests,
    size_t n, CMFixtureFunction setup, CMFixtureFunction teardown)
{
	char	*home;
	int	 rc;

	if ((home = unit_git_home()) == NULL)
		return 1;
	rc = _cmocka_run_group_tests(name, tests, n, setup, teardown);
	if (unit_rmtree(home) != 0)
		rc = 1;
	free(home);
	return rc;
}

/* A state as text; see unit.h. */
char *
unit_state_text(const struct state *st, int ids)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 0);
	buf_addf(&b, "%zu nodes, %zu servers\n", st->nnodes, st->nservers);
	for (i = 0; i < st->nservers; i++) {
		state_server_write(st->servers[i], &b);
		buf_addf(&b, "valid %d error %s", st->servers[i]->valid,
		    st->servers[i]->error ? st->servers[i]->error : "-");
		if (ids)
			buf_addf(&b, " id %s", st->servers[i]->blob_id ?
			    st->servers[i]->blob_id : "-");
		buf_puts(&b, "\n");
	}
	diags_format(st->diags, &b);
	return buf_detach(&b);
}

/* The state-example unit_example_load loaded, and its eggs. */
static struct state		*example_st;
static struct egg_library	*example_eggs;

/* Checks a SHA-256 against FIPS 180-2's examples; see unit.h. */
void
unit_assert_sha256(void (*fn)(const void *, size_t, char [65]))
{
	static const struct {
		const char	*in, *want;
	} v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223"
		    "b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb924"
		    "27ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039"
		    "a33ce45964ff2167f6ecedd419db06c1" },
	};
	char	hex[65];
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fn(v[i].in, strlen(v[i].in), hex);
		if (strcmp(hex, v[i].want) != 0)
			fail_msg("sha256 '%s': %s, want %s", v[i].in, hex,
			    v[i].want);
	}
}

/* Fails on characters that break or hide text; see unit.h. */
void
unit_assert_no_hidden(const char *text)
{
	static const char	*const hidden[] = { "\xe2\x80\xa8",
				    "\xe2\x80\xa9", "\xc2\x85", "\xc2\x9b",
				    "\xef\xbb\xbf" };
	const unsigned char	*p;
	size_t			 i;

	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (strstr(text, hidden[i]) != NULL)
			fail_msg("'%s' holds %s", text, hidden[i]);
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n') || *p == 0x7f)
			fail_msg("'%s' holds control character 0x%02x", text,
			    *p);
}

/* Loads state-example; see unit.h. */
int
unit_example_load(struct state **stp)
{
	struct state_src	src;
	struct diags		d;
	struct rerr		err;

	diags_init(&d);
	example_eggs = egglib_new();
	setenv("ROOST_EGGS", "eggs", 0);
	if (egglib_load_dir(example_eggs, egglib_builtin_dir(), "eggs/",
	    &d) < 0)
		return -1;
	diags_dispose(&d);
	state_src_dir(&src, "state-example");
	rerr_init(&err);
	if (state_load(&example_st, &src, example_eggs, NULL, &err) != 0)
		return -1;
	*stp = example_st;
	return 0;
}

/* Frees state-example; see unit.h. */
int
unit_example_teardown(void **state)
{
	state_free(example_st);
	egglib_free(example_eggs);
	example_st = NULL;
	example_eggs = NULL;
	return 0;
}

/* A demo state repository; see unit.h. */
int
unit_demo_repo(const char *name, const char *roost_yaml,
    const struct unit_file *files, size_t nfiles)
{
	size_t	i;

	setenv("ROOST_EGGS", "eggs", 0);
	if ((unit_root = unit_tmpdir(name)) == NULL)
		return -1;
	if (unit_sh("git init -q --bare r.git && git clone -q r.git w && "
	    "mkdir -p w/nodes w/servers w/eggs/demo") != 0)
		return -1;
	unit_write("w/roost.yaml", roost_yaml);
	unit_write("w/nodes/node-a.yaml", "apiVersion: roost/v1\nkind: Node\n"
	    "name: node-a\naddress: 127.0.0.1\n"
	    "ports: [\"25565-25600\"]\n"	/* ports-ok: never bound */
	    "capacity: { memory: 16384, disk: 102400, cpu: 3200 }\n");
	unit_write("w/eggs/demo/demo.json", "{\"meta\":{\"version\":"
	    "\"PTDL_v2\"},\"name\":\"Demo\",\"author\":\"t@example.com\","
	    "\"description\":\"demo\",\"docker_images\":{\"Demo\":"
	    "\"roost/demo:latest\"},\"startup\":\"./run\",\"config\":{"
	    "\"files\":\"{}\",\"startup\":\"{\\\"done\\\":\\\"ready\\\"}\","
	    "\"logs\":\"{}\",\"stop\":\"^C\"},\"scripts\":{\"installation\":{"
	    "\"script\":\"true\",\"container\":\"alpine\",\"entrypoint\":"
	    "\"sh\"}},\"variables\":[{\"name\":\"Greeting\",\"description\":"
	    "\"\",\"env_variable\":\"GREETING\",\"default_value\":\"hi\","
	    "\"user_viewable\":true,\"user_editable\":true,\"rules\":"
	    "\"required|string|max:20\",\"field_type\":\"text\"}]}\n");
	for (i = 0; i < nfiles; i++)
		unit_write(files[i].rel, files[i].text);
	if (unit_sh("cd w && git add . && git commit -qm 'state' && "
	    "git push -q origin main") != 0)
		return -1;
	return 0;
}

/* Removes unit_root; see unit.h. */
int
unit_root_teardown(void **state)
{
	unit_rmtree(unit_root);
	free(unit_root);
	return 0;
}

/* Opens a panel under unit_root; see unit.h. */
struct panel *
unit_panel_open(struct panel_opts *o, const char *rel)
{
	struct panel	*p;
	struct rerr	 err;
	char		*path;

	xasprintf(&path, "%s/%s", unit_root, rel);
	o->repo = path;
	rerr_init(&err);
	assert_rok(panel_open(&p, o, &err), &err);
	o->repo = NULL;
	free(path);
	return p;
}
