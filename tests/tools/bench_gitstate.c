/*
 * bench_gitstate: reading the state from commit objects, the path roostd,
 * the bot and CI take. Builds (once, with git fast-import) a bare
 * repository of NODES nodes with PER servers each (one small file per
 * server) and two commits that differ in one server file, then measures:
 *
 *	cold	opening the repository and loading + validating the state of
 *		a commit with no parse cache (a new process: roost validate)
 *	one	loading a commit that changes one file after the other was
 *		loaded through the same parse cache (roostd, the bot)
 *	edit	one "roost server set" through the panel core (lock, read,
 *		check, commit, branch update), the panel kept open
 *
 * and, as the anchor, "git ls-tree -r" piped to "git cat-file --batch":
 * git itself reading every file of the commit.
 *
 *	bench_gitstate [-n NODES] [-s PER] [-r RUNS] [-d REPO] [-p PARTS]
 *
 * PARTS (default "acoe") picks what is measured: a the anchor, c cold,
 * o one file, e the edit (a part left out prints as 0; for profiling).
 * With -d, the repository is built at REPO when it does not exist and
 * reused when it does (so repeated runs do not rebuild it).
 */
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "gitstore.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"

#include "bench.h"

static int	nnodes = 100, per = 1000;

/*
 * CPU seconds of each timing, beside the wall clock: on a shared machine
 * the wall clock also counts the time other processes had the CPU.
 */
static double	cpu_cold[16], cpu_one[16], cpu_edit[16];

static double
cpu_now(void)
{
	return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

static void
server_body(struct buf *b, int node, int i, int memory)
{
	buf_addf(b, "# yaml-language-server: $schema=../schema/server.schema"
	    ".json\napiVersion: roost/v1\nkind: Server\nname: s%03d-%04d\n"
	    "owner: \"444444444444444444\"\nnode: n%03d\negg: roost/demo\n"
	    "state: running\nlimits: { memory: %d, swap: 0, cpu: 50, "
	    "disk: 1024, io: 500, pids: 64 }\nports:\n  default: %d\n"
	    "variables:\n  MOTD: \"Server %d of node %d\"\n", node, i, node,
	    memory, 20000 + i, i, node);
}

static void
blob(FILE *f, const struct buf *b)
{
	fprintf(f, "data %zu\n", b->len);
	fwrite(b->data, 1, b->len, f);
	fputc('\n', f);
}

/* Writes the repository with git fast-import. */
static int
build(const char *repo)
{
	struct buf	 b;
	char		 cmd[PATH_MAX];
	FILE		*f;
	int		 node, i;

	snprintf(cmd, sizeof(cmd), "git init -q --bare -b main %s && "
	    "git -C %s fast-import --quiet", repo, repo);
	if ((f = popen(cmd, "w")) == NULL)
		return -1;
	buf_init(&b, 0);
	fprintf(f, "commit refs/heads/main\ncommitter bench <b@example.org> "
	    "1700000000 +0000\ndata 5\nstate\n");
	for (node = 0; node < nnodes; node++) {
		buf_reset(&b);
		buf_addf(&b, "apiVersion: roost/v1\nkind: Node\nname: n%03d\n"
		    "address: 10.0.%d.%d\nports: [\"20000-21999\"]\n"
		    "capacity: { memory: 1000000, disk: 10000000, "
		    "cpu: 100000 }\n", node, node / 250, node % 250);
		fprintf(f, "M 100644 inline nodes/n%03d.yaml\n", node);
		blob(f, &b);
		for (i = 0; i < per; i++) {
			buf_reset(&b);
			server_body(&b, node, i, 256);
			fprintf(f, "M 100644 inline servers/s%03d-%04d.yaml\n",
			    node, i);
			blob(f, &b);
		}
	}
	fprintf(f, "\ncommit refs/heads/main\ncommitter bench "
	    "<b@example.org> 1700000001 +0000\ndata 4\none\n");
	buf_reset(&b);
	server_body(&b, nnodes / 2, per / 2, 512);
	fprintf(f, "M 100644 inline servers/s%03d-%04d.yaml\n", nnodes / 2,
	    per / 2);
	blob(f, &b);
	buf_dispose(&b);
	return pclose(f) == 0 ? 0 : -1;
}

static int
load(struct gitstore *gs, const char *rev, const struct egg_library *eggs,
    struct state_cache *cache, size_t *nservers)
{
	struct state_src	 src;
	struct state		*st;
	struct rerr		 err;
	char			 id[GITSTORE_IDLEN];

	rerr_init(&err);
	if (gitstore_resolve(gs, rev, id, &err) != 0 ||
	    gitstore_state_src(gs, id, NULL, 0, &src, &err) != 0) {
		fprintf(stderr, "bench_gitstate: %s\n", err.msg);
		return -1;
	}
	if (state_load(&st, &src, eggs, cache, &err) != 0) {
		fprintf(stderr, "bench_gitstate: %s\n", err.msg);
		gitstore_state_src_release(&src);
		return -1;
	}
	gitstore_state_src_release(&src);
	if (st->diags->nerrors != 0) {
		diags_print(st->diags, stderr);
		state_free(st);
		return -1;
	}
	*nservers = st->nservers;
	state_free(st);
	return 0;
}

/*
 * Times runs * 2 (at most 15) edits of one server's memory through the
 * panel core, kept open as the bot keeps it, into edit[]. Returns 0, or 1
 * when one fails.
 */
static int
time_edits(const char *repo, struct egg_library *eggs, int runs, double *edit)
{
	struct panel		*p;
	struct panel_opts	 po;
	struct panel_req	 req;
	struct panel_result	 res;
	struct rerr		 err;
	char			 name[32], kv[64];
	const char		*kvp[1];
	double			 t, c;
	int			 i, rc;

	memset(&po, 0, sizeof(po));
	po.repo = repo;
	po.branch = "main";
	po.remote = "";
	po.eggs = eggs;
	po.committer = "bench <b@example.org>";
	memset(&req, 0, sizeof(req));
	req.author = "bench <b@example.org>";
	rerr_init(&err);
	if (panel_open(&p, &po, &err) != 0) {
		fprintf(stderr, "bench_gitstate: %s\n", err.msg);
		return 1;
	}
	snprintf(name, sizeof(name), "s%03d-%04d", nnodes / 3, per / 3);
	for (i = -1; i < runs * 2 && i < 15; i++) {
		/* The first edit fills the panel's cache; not timed. */
		snprintf(kv, sizeof(kv), "memory=%d", 300 + (i + 1) % 2);
		kvp[0] = kv;
		panel_result_init(&res);
		rerr_init(&err);
		c = cpu_now();
		t = bench_now();
		rc = panel_server_set(p, &req, name, kvp, 1, &res, &err);
		if (i >= 0) {
			edit[i] = bench_now() - t;
			cpu_edit[i] = cpu_now() - c;
		}
		if (rc != 0 || res.unchanged) {
			fprintf(stderr, "bench_gitstate: edit: %s\n",
			    rc ? err.msg : "unchanged");
			return 1;
		}
		panel_result_dispose(&res);
	}
	panel_close(p);
	return 0;
}

/* Times git itself reading every file of the commit, into anchor[]. */
static int
time_anchor(const char *repo, int runs, double *anchor)
{
	char	cmd[PATH_MAX];
	double	t;
	int	i;

	snprintf(cmd, sizeof(cmd), "git -C %s ls-tree -r --format="
	    "'%%(objectname)' main | git -C %s cat-file --batch >/dev/null",
	    repo, repo);
	for (i = 0; i < runs; i++) {
		t = bench_now();
		if (system(cmd) != 0)
			return 1;
		anchor[i] = bench_now() - t;
	}
	return 0;
}

/* Times a new reader with no cache loading the tip, into cold[]. */
static int
time_cold(const char *repo, const struct egg_library *eggs, int runs,
    size_t want, double *cold)
{
	struct gitstore	*gs;
	struct rerr	 err;
	size_t		 ns = 0;
	double		 t, c;
	int		 i;

	for (i = 0; i < runs; i++) {
		rerr_init(&err);
		c = cpu_now();
		t = bench_now();
		if (gitstore_open(&gs, repo, &err) != 0) {
			fprintf(stderr, "bench_gitstate: %s\n", err.msg);
			return 1;
		}
		if (load(gs, "main", eggs, NULL, &ns) != 0)
			return 1;
		gitstore_close(gs);
		cold[i] = bench_now() - t;
		cpu_cold[i] = cpu_now() - c;
		if (ns != want) {
			fprintf(stderr, "bench_gitstate: %zu servers, not "
			    "%zu\n", ns, want);
			return 1;
		}
	}
	return 0;
}

/*
 * Times loads alternating the two commits (one file apart) through one
 * parse cache, into one[] (runs * 2, at most 16). The repository is
 * opened again (not timed) before each load, so that libgit2 has not kept
 * the commit's trees: each load reads them as it reads a new commit.
 */
static int
time_one(const char *repo, const struct egg_library *eggs, int runs,
    double *one)
{
	struct state_cache	*cache;
	struct gitstore		*gs;
	struct rerr		 err;
	size_t			 ns;
	double			 t, c;
	int			 i;

	rerr_init(&err);
	cache = state_cache_new();
	for (i = -1; i < runs * 2 && i < 16; i++) {
		if (gitstore_open(&gs, repo, &err) != 0)
			return 1;
		c = cpu_now();
		t = bench_now();
		if (load(gs, i % 2 ? "main~1" : "main", eggs, cache, &ns) != 0)
			return 1;
		if (i >= 0) {
			one[i] = bench_now() - t;
			cpu_one[i] = cpu_now() - c;
		}
		gitstore_close(gs);
	}
	state_cache_free(cache);
	return 0;
}

/* Runs the benchmark; see the comment atop the file. */
int
main(int argc, char *argv[])
{
	struct egg_library	*eggs = egglib_new();
	struct diags		 d;
	char			 dir[] = "/tmp/roost-bench-git.XXXXXX";
	char			 repo[PATH_MAX / 4], cmd[PATH_MAX];
	const char		*keep = NULL, *parts = "acoe";
	double			 cold[16], one[16], edit[16], anchor[16], t;
	size_t			 want;
	int			 runs = 3, ch;
	struct stat		 sb;

	while ((ch = getopt(argc, argv, "n:s:r:d:p:")) != -1) {
		if (ch == 'n')
			nnodes = atoi(optarg);
		else if (ch == 's')
			per = atoi(optarg);
		else if (ch == 'r')
			runs = atoi(optarg);
		else if (ch == 'd')
			keep = optarg;
		else if (ch == 'p')
			parts = optarg;
		else
			return 2;
	}
	if (runs < 1 || runs > 16 || nnodes < 1 || nnodes > 1000 ||
	    per < 1 || per > 2000)
		return 2;
	want = (size_t)nnodes * (size_t)per;
	diags_init(&d);
	egglib_load_dir(eggs, egglib_builtin_dir(), "eggs/", &d);
	diags_dispose(&d);
	if (keep != NULL)
		snprintf(repo, sizeof(repo), "%s", keep);
	else {
		if (mkdtemp(dir) == NULL)
			return 1;
		snprintf(repo, sizeof(repo), "%s/repo.git", dir);
	}
	if (stat(repo, &sb) != 0) {
		t = bench_now();
		if (build(repo) != 0) {
			fprintf(stderr, "bench_gitstate: cannot build %s\n",
			    repo);
			return 1;
		}
		fprintf(stderr, "built %zu servers with git fast-import in "
		    "%.2f s\n", want, bench_now() - t);
	}

	memset(anchor, 0, sizeof(anchor));
	memset(cold, 0, sizeof(cold));
	memset(one, 0, sizeof(one));
	memset(edit, 0, sizeof(edit));
	if ((strchr(parts, 'a') && time_anchor(repo, runs, anchor) != 0) ||
	    (strchr(parts, 'c') && time_cold(repo, eggs, runs, want,
	    cold) != 0) ||
	    (strchr(parts, 'o') && time_one(repo, eggs, runs, one) != 0) ||
	    (strchr(parts, 'e') && time_edits(repo, eggs, runs, edit) != 0))
		return 1;
	/* Put the branch back, so a kept repository stays as built. */
	if (keep != NULL) {
		/* The two built commits are the first two of the history. */
		snprintf(cmd, sizeof(cmd), "git -C %s update-ref "
		    "refs/heads/main $(git -C %s rev-list --reverse main | "
		    "sed -n 2p)", repo, repo);
		if (system(cmd) != 0)
			return 1;
	}

	bench_median(anchor, (size_t)runs);
	bench_median(cold, (size_t)runs);
	bench_median(cpu_cold, (size_t)runs);
	bench_median(one, (size_t)(runs * 2 > 16 ? 16 : runs * 2));
	bench_median(cpu_one, (size_t)(runs * 2 > 16 ? 16 : runs * 2));
	bench_median(edit, (size_t)(runs * 2 > 15 ? 15 : runs * 2));
	bench_median(cpu_edit, (size_t)(runs * 2 > 15 ? 15 : runs * 2));
	printf("state from commit objects, %d nodes x %d servers (medians, "
	    "wall / CPU): cold %.3f / %.3f s (goal <= 2 s), one file changed "
	    "%.1f / %.1f ms (goal <= 200 ms), panel edit %.1f / %.1f ms "
	    "(goal <= 100 ms); git ls-tree -r + cat-file --batch of every "
	    "file: %.3f s\n", nnodes, per, cold[runs / 2],
	    cpu_cold[runs / 2], one[runs] * 1e3, cpu_one[runs] * 1e3,
	    edit[runs] * 1e3, cpu_edit[runs] * 1e3, anchor[runs / 2]);
	egglib_free(eggs);
	if (keep == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		return system(cmd) == 0 ? 0 : 1;
	}
	return 0;
}
