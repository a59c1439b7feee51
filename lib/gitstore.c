/*
 * gitstore: roost's only libgit2 user. It reads desired state from commit
 * objects, builds commits in memory, moves branches with compare-and-swap
 * (updating a checked-out work tree the way "git commit" would), fetches
 * and pushes with credentials, and walks history for the audit log.
 * libgit2 errors are translated here into ROOST_E* codes and messages.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "buf.h"
#include "gitstore.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

struct gitstore {
	git_repository		*repo;
	char			*workdir;
	char			*gitdir;
	char			*mirror_branch;
	struct gitstore_auth	 auth;
	int			 lockfd;
	int			 tries_ssh;
	int			 tries_token;
	int			 tries_user;
	char			*push_status;
};

/*
 * LeakSanitizer builds: libgit2 1.5.1 leaks the pcre2 match data of every
 * config entry a remote lookup's regex does not match, and libssh2 its
 * known-hosts list; neither is reachable from roost's code. This hook
 * (read by LeakSanitizer when present) keeps those out of the report so
 * that leaks in roost itself still fail the sanitizer runs.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libpcre2-8.so\nleak:libgit2.so\nleak:libssh2.so\n";
}

/*
 * A state source over a commit's tree. Each directory's tree is looked up
 * once and kept (dirs), so that reading the files of a large directory
 * does not inflate its tree again for every file.
 */
struct gs_dir {
	char		*path;		/* "" for the root */
	git_tree	*tree;		/* NULL: not a directory */
};

struct gs_src {
	struct gitstore			*gs;
	git_tree			*tree;
	const struct gitstore_change	*ch;
	size_t				 nch;
	struct gs_dir			*dirs;
	size_t				 ndirs;
	const git_tree			*seq_tree;	/* the tree and index */
	size_t				 seq_next;	/* of the next entry */
};

/* Records the last libgit2 error in err under code, prefixed by what. */
static int
gs_fail(struct rerr *err, int code, const char *what)
{
	const git_error	*e = git_error_last();

	return rerr_set(err, code, "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* Whether url names a repository on this machine (a path or file://). */
static int
url_is_local(const char *url)
{
	return url != NULL && (strncmp(url, "file://", 7) == 0 ||
	    url[0] == '/' || url[0] == '.' ||
	    (strstr(url, "://") == NULL && strchr(url, ':') == NULL));
}

/*
 * A fetch from or push to remote r failed with libgit2's rc. Reading a
 * local remote lists its refs and then looks each up: a ref another
 * writer deleted in between (its scratch push ref) fails the whole
 * operation. That is a race to retry, ROOST_ECONFLICT; anything else
 * is -1. Either way err says what libgit2 said.
 */
static int
remote_fail(git_remote *r, const char *remote, int rc, struct rerr *err)
{
	const char	*url = git_remote_url(r);
	const git_error	*e = git_error_last();
	int		 gone;

	gone = rc == GIT_ENOTFOUND || (e != NULL &&
	    e->klass == GIT_ERROR_REFERENCE && e->message != NULL &&
	    strstr(e->message, "not found") != NULL);
	return gs_fail(err, gone && url_is_local(url) ? ROOST_ECONFLICT : -1,
	    url != NULL ? url : remote);
}

static char *
dupnull(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

static void
auth_dispose(struct gitstore_auth *a)
{
	free((char *)a->ssh_user);
	free((char *)a->ssh_key);
	free((char *)a->ssh_pubkey);
	if (a->ssh_passphrase != NULL) {
		explicit_bzero((char *)a->ssh_passphrase,
		    strlen(a->ssh_passphrase));
		free((char *)a->ssh_passphrase);
	}
	free((char *)a->token_file);
	free((char *)a->token_user);
	free((char *)a->host_key_sha256);
	free((char *)a->ca_file);
	memset(a, 0, sizeof(*a));
}

/*
 * Initialises libgit2 for reading state: objects are not hashed again on
 * every read (git itself does not either; fetched packs are checked when
 * they are indexed), and trees of any size stay in libgit2's object cache
 * (by default only trees under 4 KiB do), so that the servers/ tree of a
 * large repository is inflated and parsed once, not by every reader of
 * the same commit (the panel reads it three times per edit).
 */
static void
gs_init(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
	    (size_t)64 << 20);
}

static struct gitstore *
gs_wrap(git_repository *repo)
{
	struct gitstore	*gs;
	const char	*wd;

	gs = xcalloc(1, sizeof(*gs));
	gs->repo = repo;
	gs->lockfd = -1;
	wd = git_repository_workdir(repo);
	gs->workdir = dupnull(wd);
	gs->gitdir = xstrdup(git_repository_path(repo));
	return gs;
}

/*
 * Opens the repository at path (work tree or bare). Returns 0 with *out
 * owned by the caller, ROOST_ENOTFOUND or -1.
 */
int
gitstore_open(struct gitstore **out, const char *path, struct rerr *err)
{
	git_repository	*repo;
	int		 rc;

	*out = NULL;
	gs_init();
	rc = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL);
	if (rc == GIT_ENOTFOUND) {
		git_libgit2_shutdown();
		return rerr_set(err, ROOST_ENOTFOUND,
		    "'%s' is not a git repository; run \"git init\" there "
		    "or pass --repo", path);
	}
	if (rc < 0) {
		rc = gs_fail(err, -1, path);
		git_libgit2_shutdown();
		return rc;
	}
	*out = gs_wrap(repo);
	return 0;
}

/*
 * Opens or creates the bare mirror at path with remote "origin" at url
 * tracking branch. Returns 0 with *out owned by the caller, or -1.
 */
int
gitstore_mirror_open(struct gitstore **out, const char *path,
    const char *url, const char *branch, struct rerr *err)
{
	git_repository_init_options	 io = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	git_repository			*repo = NULL;
	git_remote			*remote = NULL;
	char				*spec = NULL;
	int				 rc;

	*out = NULL;
	gs_init();
	rc = git_repository_open_ext(&repo, path,
	    GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL);
	if (rc == GIT_ENOTFOUND) {
		io.flags = GIT_REPOSITORY_INIT_BARE |
		    GIT_REPOSITORY_INIT_MKPATH;
		if (git_repository_init_ext(&repo, path, &io) < 0) {
			rc = gs_fail(err, -1, path);
			goto fail;
		}
	} else if (rc < 0) {
		rc = gs_fail(err, -1, path);
		goto fail;
	}
	xasprintf(&spec, "+refs/heads/%s:refs/remotes/origin/%s", branch,
	    branch);
	rc = git_remote_lookup(&remote, repo, "origin");
	if (rc == GIT_ENOTFOUND) {
		if (git_remote_create_with_fetchspec(&remote, repo, "origin",
		    url, spec) < 0) {
			rc = gs_fail(err, -1, "cannot add the remote");
			goto fail;
		}
	} else if (rc < 0) {
		rc = gs_fail(err, -1, "cannot read the remote");
		goto fail;
	} else if (git_remote_url(remote) == NULL ||
	    strcmp(git_remote_url(remote), url) != 0) {
		if (git_remote_set_url(repo, "origin", url) < 0) {
			rc = gs_fail(err, -1, "cannot set the remote url");
			goto fail;
		}
	}
	git_remote_free(remote);
	free(spec);
	*out = gs_wrap(repo);
	(*out)->mirror_branch = xstrdup(branch);
	return 0;
fail:
	free(spec);
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

/* Closes a repository; takes NULL. */
void
gitstore_close(struct gitstore *gs)
{
	if (gs == NULL)
		return;
	gitstore_unlock(gs);
	git_repository_free(gs->repo);
	free(gs->workdir);
	free(gs->gitdir);
	free(gs->mirror_branch);
	free(gs->push_status);
	auth_dispose(&gs->auth);
	free(gs);
	git_libgit2_shutdown();
}

/* Copies the credentials used by fetch and push. */
void
gitstore_set_auth(struct gitstore *gs, const struct gitstore_auth *a)
{
	auth_dispose(&gs->auth);
	if (a == NULL)
		return;
	gs->auth.ssh_user = dupnull(a->ssh_user);
	gs->auth.ssh_key = dupnull(a->ssh_key);
	gs->auth.ssh_pubkey = dupnull(a->ssh_pubkey);
	gs->auth.ssh_passphrase = dupnull(a->ssh_passphrase);
	gs->auth.token_file = dupnull(a->token_file);
	gs->auth.token_user = dupnull(a->token_user);
	gs->auth.host_key_sha256 = dupnull(a->host_key_sha256);
	gs->auth.ca_file = dupnull(a->ca_file);
	if (a->ca_file != NULL)
		git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, a->ca_file,
		    NULL);
}

/* The work tree with a trailing '/', or NULL when bare. */
const char *
gitstore_workdir(const struct gitstore *gs)
{
	return gs->workdir;
}

/* The git directory with a trailing '/'. */
const char *
gitstore_gitdir(const struct gitstore *gs)
{
	return gs->gitdir;
}

/* Writes the branch HEAD names into out; ROOST_ENOTFOUND when detached. */
int
gitstore_head_branch(struct gitstore *gs, struct buf *out, struct rerr *err)
{
	git_reference	*head;
	const char	*t;

	if (git_reference_lookup(&head, gs->repo, "HEAD") < 0)
		return gs_fail(err, -1, "cannot read HEAD");
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
	    (t = git_reference_symbolic_target(head)) == NULL ||
	    strncmp(t, "refs/heads/", 11) != 0) {
		git_reference_free(head);
		return rerr_set(err, ROOST_ENOTFOUND,
		    "HEAD is detached; check out a branch or name one");
	}
	buf_puts(out, t + 11);
	git_reference_free(head);
	return 0;
}

/* True when the repository has that remote. */
int
gitstore_has_remote(struct gitstore *gs, const char *remote)
{
	git_remote	*r;

	if (git_remote_lookup(&r, gs->repo, remote) < 0) {
		git_error_clear();
		return 0;
	}
	git_remote_free(r);
	return 1;
}

/* Writes "Name <email>" from user.name/user.email; ROOST_ENOTFOUND. */
int
gitstore_config_identity(struct gitstore *gs, struct buf *out,
    struct rerr *err)
{
	git_config	*cfg;
	const char	*name = NULL, *email = NULL;
	int		 rc = 0;

	if (git_repository_config_snapshot(&cfg, gs->repo) < 0)
		return gs_fail(err, -1, "cannot read the git configuration");
	if (git_config_get_string(&name, cfg, "user.name") < 0 ||
	    git_config_get_string(&email, cfg, "user.email") < 0) {
		git_error_clear();
		rc = rerr_set(err, ROOST_ENOTFOUND,
		    "no user.name and user.email in the git configuration");
	} else
		buf_addf(out, "%s <%s>", name, email);
	git_config_free(cfg);
	return rc;
}

static int
oid_parse(git_oid *oid, const char *hex, struct rerr *err)
{
	if (hex == NULL || strlen(hex) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(oid, hex) < 0) {
		git_error_clear();
		return rerr_set(err, ROOST_EINVAL,
		    "'%s' is not a full commit id", hex ? hex : "(null)");
	}
	return 0;
}

static int
commit_lookup(struct gitstore *gs, const char *hex, git_commit **c,
    struct rerr *err)
{
	git_oid	oid;
	int	rc;

	if ((rc = oid_parse(&oid, hex, err)) != 0)
		return rc;
	if ((rc = git_commit_lookup(c, gs->repo, &oid)) < 0)
		return gs_fail(err, rc == GIT_ENOTFOUND ? ROOST_ENOTFOUND : -1,
		    hex);
	return 0;
}

/* Resolves rev to a commit id. Returns 0, ROOST_ENOTFOUND or -1. */
int
gitstore_resolve(struct gitstore *gs, const char *rev,
    char id[GITSTORE_IDLEN], struct rerr *err)
{
	git_object	*obj, *c;
	int		 rc;

	rc = git_revparse_single(&obj, gs->repo, rev);
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH ||
	    rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC) {
		git_error_clear();
		return rerr_set(err, ROOST_ENOTFOUND,
		    "revision '%s' not found; check the branch or commit id",
		    rev);
	}
	if (rc < 0)
		return gs_fail(err, -1, rev);
	rc = git_object_peel(&c, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc < 0) {
		git_error_clear();
		return rerr_set(err, ROOST_ENOTFOUND,
		    "revision '%s' is not a commit", rev);
	}
	git_oid_tostr(id, GITSTORE_IDLEN, git_object_id(c));
	git_object_free(c);
	return 0;
}

/* Returns 1 when id descends from or equals ancestor, 0 when not. */
int
gitstore_descends(struct gitstore *gs, const char *id, const char *ancestor,
    struct rerr *err)
{
	git_oid	a, b;
	int	rc;

	if ((rc = oid_parse(&a, id, err)) != 0 ||
	    (rc = oid_parse(&b, ancestor, err)) != 0)
		return rc;
	if (git_oid_equal(&a, &b))
		return 1;
	rc = git_graph_descendant_of(gs->repo, &a, &b);
	if (rc < 0)
		return gs_fail(err, -1, "cannot compare the commits");
	return rc;
}

/* Returns 1 when path is a clean relative path, else 0. */
static int
path_ok(const char *path)
{
	const char	*p = path, *e;

	if (path == NULL || *path == '\0' || *path == '/')
		return 0;
	while (*p != '\0') {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		if (e == p || (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.') ||
		    (e - p == 4 && strncmp(p, ".git", 4) == 0))
			return 0;
		p = *e == '/' ? e + 1 : e;
		if (*e == '/' && *p == '\0')
			return 0;
	}
	return 1;
}

/* The last change naming path, or NULL. */
static const struct gitstore_change *
change_find(const struct gitstore_change *ch, size_t n, const char *path)
{
	size_t	i;

	for (i = n; i > 0; i--)
		if (strcmp(ch[i - 1].path, path) == 0)
			return &ch[i - 1];
	return NULL;
}

/*
 * The tree at dir ("" or "." for the root) of the source's commit, kept
 * for the source's lifetime (borrowed); NULL when absent or not a tree.
 */
static git_tree *
dir_tree(struct gs_src *s, const char *dir)
{
	const git_tree_entry	*e;
	git_tree		*parent, *t = NULL;
	const char		*slash;
	char			*pdir;
	size_t			 i;

	if (*dir == '\0' || strcmp(dir, ".") == 0)
		return s->tree;
	for (i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i].path, dir) == 0)
			return s->dirs[i].tree;
	slash = strrchr(dir, '/');
	pdir = slash != NULL ? xstrndup(dir, (size_t)(slash - dir)) :
	    xstrdup("");
	parent = dir_tree(s, pdir);
	free(pdir);
	if (parent != NULL && (e = git_tree_entry_byname(parent,
	    slash != NULL ? slash + 1 : dir)) != NULL &&
	    git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&t, s->gs->repo, git_tree_entry_id(e)) < 0) {
		git_error_clear();
		t = NULL;
	}
	s->dirs = xreallocarray(s->dirs, s->ndirs + 1, sizeof(*s->dirs));
	s->dirs[s->ndirs].path = xstrdup(dir);
	s->dirs[s->ndirs++].tree = t;
	return t;
}

/*
 * The entry called name in t. A loader asks for the files of a directory
 * in the order it listed them, which is the tree's: the entry after the
 * last one found (or the one after it) is tried before a binary search.
 */
static const git_tree_entry *
tree_entry(struct gs_src *s, const git_tree *t, const char *name)
{
	const git_tree_entry	*e;
	size_t			 i, cnt = git_tree_entrycount(t);

	if (t != s->seq_tree) {
		s->seq_tree = t;
		s->seq_next = 0;
	}
	for (i = s->seq_next; i < cnt && i < s->seq_next + 2; i++) {
		e = git_tree_entry_byindex(t, i);
		if (strcmp(git_tree_entry_name(e), name) == 0) {
			s->seq_next = i + 1;
			return e;
		}
	}
	return git_tree_entry_byname(t, name);
}

/* The entry at path in the source's commit (borrowed), or NULL. */
static const git_tree_entry *
path_entry(struct gs_src *s, const char *path)
{
	const char	*slash = strrchr(path, '/');
	git_tree	*t;
	char		 dir[PATH_MAX];

	if (slash == NULL)
		t = s->tree;
	else if ((size_t)(slash - path) >= sizeof(dir))
		return NULL;
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		t = dir_tree(s, dir);
	}
	if (t == NULL)
		return NULL;
	return tree_entry(s, t, slash != NULL ? slash + 1 : path);
}

/* A name in a listing: a view of a tree entry's name or a change's path. */
struct gs_name {
	const char	*p;
	size_t		 len;
};

static int
gs_name_has(const struct gs_name *v, size_t n, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (v[i].len == len && memcmp(v[i].p, s, len) == 0)
			return (int)i;
	return -1;
}

static int
gs_name_cmp(const void *a, const void *b)
{
	const struct gs_name	*x = a, *y = b;
	size_t			 m = x->len < y->len ? x->len : y->len;
	int			 c = memcmp(x->p, y->p, m);

	return c != 0 ? c : x->len < y->len ? -1 : x->len > y->len;
}

/*
 * The entries at dir with the overlay applied, sorted, as views into the
 * source's trees and changes (valid while the source is). Returns 0 or
 * ROOST_ENOTFOUND.
 */
static int
gs_names(struct gs_src *s, const char *dir, struct gs_name **out,
    size_t *nout, struct rerr *err)
{
	const git_tree_entry	*e;
	struct gs_name		*v;
	git_tree		*t;
	const char		*rest, *slash;
	size_t			 nv = 0, i, cnt, dl, cl;
	int			 found, at, sorted = 1;

	if (strcmp(dir, ".") == 0)
		dir = "";
	t = dir_tree(s, dir);
	found = t != NULL;
	cnt = t != NULL ? git_tree_entrycount(t) : 0;
	v = xreallocarray(NULL, cnt + s->nch + 1, sizeof(*v));
	for (i = 0; i < cnt; i++) {
		e = git_tree_entry_byindex(t, i);
		v[nv].p = git_tree_entry_name(e);
		v[nv].len = strlen(v[nv].p);
		nv++;
	}
	dl = strlen(dir);
	for (i = 0; i < s->nch; i++) {
		const struct gitstore_change *c = &s->ch[i];

		if (dl > 0 && (strncmp(c->path, dir, dl) != 0 ||
		    c->path[dl] != '/'))
			continue;
		rest = c->path + (dl > 0 ? dl + 1 : 0);
		slash = strchr(rest, '/');
		cl = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
		at = gs_name_has(v, nv, rest, cl);
		if (c->data != NULL) {
			found = 1;
			if (at < 0) {
				v[nv].p = rest;
				v[nv++].len = cl;
			}
		} else if (slash == NULL && at >= 0 &&
		    change_find(s->ch, s->nch, c->path) == c)
			v[at] = v[--nv];
	}
	if (!found) {
		free(v);
		return rerr_set(err, ROOST_ENOTFOUND, "'%s' not found", dir);
	}
	/* Git's order is already strcmp's unless a directory sorts oddly. */
	for (i = 1; sorted && i < nv; i++)
		sorted = gs_name_cmp(&v[i - 1], &v[i]) < 0;
	if (!sorted)
		qsort(v, nv, sizeof(*v), gs_name_cmp);
	*out = v;
	*nout = nv;
	return 0;
}

/* state_src list: tree entries at dir with the overlay applied. */
static int
src_list(void *arg, const char *dir, char ***names, size_t *n,
    struct rerr *err)
{
	struct gs_name	*v;
	size_t		 nv, i;
	int		 rc;

	if ((rc = gs_names(arg, dir, &v, &nv, err)) != 0)
		return rc;
	*names = xreallocarray(NULL, nv + 1, sizeof(**names));
	for (i = 0; i < nv; i++)
		(*names)[i] = xstrndup(v[i].p, v[i].len);
	free(v);
	*n = nv;
	return 0;
}

/*
 * state_src list_block: the same names in one allocation with the array
 * (a directory of 100,000 files is one malloc and one free, not 100,001).
 */
static int
src_list_block(void *arg, const char *dir, char ***names, size_t *n,
    struct rerr *err)
{
	struct gs_name	*v;
	size_t		 nv, i, len = 0;
	char		*p;
	int		 rc;

	if ((rc = gs_names(arg, dir, &v, &nv, err)) != 0)
		return rc;
	for (i = 0; i < nv; i++)
		len += v[i].len + 1;
	*names = xmalloc((nv + 1) * sizeof(**names) + len);
	p = (char *)(*names + nv + 1);
	for (i = 0; i < nv; i++) {
		(*names)[i] = p;
		memcpy(p, v[i].p, v[i].len);
		p[v[i].len] = '\0';
		p += v[i].len + 1;
	}
	(*names)[nv] = NULL;
	free(v);
	*n = nv;
	return 0;
}

/*
 * The blob id of an overlay's change c of path, to oid. Returns 0, or
 * ROOST_ENOTFOUND when c removes the file, or -1; err says which.
 */
static int
change_oid(const struct gitstore_change *c, const char *path, git_oid *oid,
    struct rerr *err)
{
	if (c->data == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, "'%s' not found", path);
	if (git_odb_hash(oid, c->data, c->len, GIT_OBJECT_BLOB) < 0)
		return gs_fail(err, -1, path);
	return 0;
}

/* state_src read: overlay first, then the blob at path. */
static int
src_read(void *arg, const char *path, struct buf *out, char *id,
    size_t idlen, struct rerr *err)
{
	struct gs_src			*s = arg;
	const struct gitstore_change	*c;
	const git_tree_entry		*e;
	git_blob			*blob;
	git_oid				 oid;
	char				 hex[GITSTORE_IDLEN];
	int				 rc;

	if ((c = change_find(s->ch, s->nch, path)) != NULL) {
		if ((rc = change_oid(c, path, &oid, err)) != 0)
			return rc;
		buf_add(out, c->data, c->len);
	} else {
		if ((e = path_entry(s, path)) == NULL)
			return rerr_set(err, ROOST_ENOTFOUND, "'%s' not found",
			    path);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
			return rerr_set(err, ROOST_ENOTFOUND, "'%s' is not a "
			    "file", path);
		/* A symlink's blob is its target's name, never YAML. */
		if (git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
			return rerr_set(err, ROOST_EINVAL, "'%s' is a symlink; "
			    "symlinks are not allowed in a state repository",
			    path);
		if (git_blob_lookup(&blob, s->gs->repo,
		    git_tree_entry_id(e)) < 0)
			return gs_fail(err, -1, path);
		buf_add(out, git_blob_rawcontent(blob),
		    (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
		git_oid_cpy(&oid, git_tree_entry_id(e));
	}
	if (id != NULL && idlen > 0) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		snprintf(id, idlen, "%s", hex);
	}
	return 0;
}

/* state_src stat: the id of the file at path, without reading it. */
static int
src_stat(void *arg, const char *path, char *id, size_t idlen,
    struct rerr *err)
{
	struct gs_src			*s = arg;
	const struct gitstore_change	*c;
	const git_tree_entry		*e;
	git_oid				 oid;
	int				 rc;

	if ((c = change_find(s->ch, s->nch, path)) != NULL) {
		if ((rc = change_oid(c, path, &oid, err)) != 0)
			return rc;
	} else if ((e = path_entry(s, path)) == NULL ||
	    git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) == GIT_FILEMODE_LINK)
		return rerr_set(err, ROOST_ENOTFOUND, "'%s' not found", path);
	else
		git_oid_cpy(&oid, git_tree_entry_id(e));
	if (idlen < GITSTORE_IDLEN)
		return rerr_set(err, -1, "'%s': no room for its id", path);
	git_oid_tostr(id, idlen, &oid);
	return 0;
}

/* state_src isdir: a tree in the commit, or a directory of added files. */
static int
src_isdir(void *arg, const char *path)
{
	struct gs_src	*s = arg;
	size_t		 i, pl = strlen(path);

	for (i = 0; i < s->nch; i++)
		if (s->ch[i].data != NULL &&
		    strncmp(s->ch[i].path, path, pl) == 0 &&
		    s->ch[i].path[pl] == '/')
			return 1;
	return dir_tree(s, path) != NULL;
}

/*
 * Makes a state source over commit id's tree with changes laid over it.
 * Returns 0, ROOST_ENOTFOUND or -1; release with
 * gitstore_state_src_release.
 */
int
gitstore_state_src(struct gitstore *gs, const char *id,
    const struct gitstore_change *changes, size_t nchanges,
    struct state_src *out, struct rerr *err)
{
	git_commit	*c;
	git_tree	*tree;
	struct gs_src	*s;
	int		 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = commit_lookup(gs, id, &c, err)) != 0)
		return rc;
	rc = git_commit_tree(&tree, c);
	git_commit_free(c);
	if (rc < 0)
		return gs_fail(err, -1, "cannot read the commit's tree");
	s = xcalloc(1, sizeof(*s));
	s->gs = gs;
	s->tree = tree;
	s->ch = changes;
	s->nch = nchanges;
	out->arg = s;
	out->list = src_list;
	out->list_block = src_list_block;
	out->read = src_read;
	out->stat = src_stat;
	out->isdir = src_isdir;
	return 0;
}

/* Releases a source made by gitstore_state_src. */
void
gitstore_state_src_release(struct state_src *src)
{
	struct gs_src	*s;
	size_t		 i;

	if (src == NULL || (s = src->arg) == NULL)
		return;
	for (i = 0; i < s->ndirs; i++) {
		free(s->dirs[i].path);
		git_tree_free(s->dirs[i].tree);
	}
	free(s->dirs);
	git_tree_free(s->tree);
	free(s);
	memset(src, 0, sizeof(*src));
}

/* Reads path at commit id into out (blob id into blob). */
int
gitstore_read_file(struct gitstore *gs, const char *id, const char *path,
    struct buf *out, char *blob, struct rerr *err)
{
	struct state_src	src;
	int			rc;

	if ((rc = gitstore_state_src(gs, id, NULL, 0, &src, err)) != 0)
		return rc;
	rc = src_read(src.arg, path, out, blob, blob ? GITSTORE_IDLEN : 0,
	    err);
	gitstore_state_src_release(&src);
	return rc;
}

/* Credentials: each method is offered once per operation. */
static int
cred_cb(git_credential **out, const char *url, const char *user_from_url,
    unsigned int allowed, void *payload)
{
	struct gitstore	*gs = payload;
	const char	*user;
	char		 line[4096];
	FILE		*fp;
	size_t		 l;
	int		 rc;

	user = gs->auth.ssh_user != NULL ? gs->auth.ssh_user :
	    user_from_url != NULL ? user_from_url : "git";
	if ((allowed & GIT_CREDENTIAL_USERNAME) && gs->tries_user++ == 0)
		return git_credential_username_new(out, user);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && gs->auth.ssh_key != NULL &&
	    gs->tries_ssh++ == 0)
		return git_credential_ssh_key_new(out, user,
		    gs->auth.ssh_pubkey, gs->auth.ssh_key,
		    gs->auth.ssh_passphrase);
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    gs->auth.token_file != NULL && gs->tries_token++ == 0) {
		if ((fp = fopen(gs->auth.token_file, "re")) == NULL) {
			git_error_set_str(GIT_ERROR_NET,
			    "cannot read the token file");
			return GIT_EAUTH;
		}
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
		l = strlen(line);
		while (l > 0 && isspace((unsigned char)line[l - 1]))
			line[--l] = '\0';
		rc = git_credential_userpass_plaintext_new(out,
		    gs->auth.token_user != NULL ? gs->auth.token_user :
		    "x-access-token", line);
		explicit_bzero(line, sizeof(line));
		return rc;
	}
	git_error_set_str(GIT_ERROR_NET, "authentication failed; check the "
	    "ssh key or token configured for the remote");
	return GIT_EAUTH;
}

/* Base64 without padding, as ssh-keygen prints SHA256 fingerprints. */
static void
b64_nopad(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t	i, o = 0;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		v = in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		v = in[i] << 16 | in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* Certificates: a pinned SSH host key wins, else libgit2's verdict. */
static int
cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct gitstore		*gs = payload;
	git_cert_hostkey	*hk;
	const char		*want;
	char			 got[64];

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2 ||
	    gs->auth.host_key_sha256 == NULL)
		return GIT_PASSTHROUGH;
	hk = (git_cert_hostkey *)cert;
	if (!(hk->type & GIT_CERT_SSH_SHA256))
		return -1;
	b64_nopad(hk->hash_sha256, 32, got);
	want = gs->auth.host_key_sha256;
	if (strncmp(want, "SHA256:", 7) == 0)
		want += 7;
	if (strncmp(got, want, strlen(got)) == 0 &&
	    strlen(want) >= strlen(got))
		return 0;
	git_error_set(GIT_ERROR_SSH, "host key of '%s' is SHA256:%s, not the "
	    "pinned one; check host_key_sha256", host, got);
	return GIT_ECERTIFICATE;
}

static void
callbacks_init(struct gitstore *gs, git_remote_callbacks *cb)
{
	gs->tries_ssh = gs->tries_token = gs->tries_user = 0;
	cb->credentials = cred_cb;
	cb->certificate_check = cert_cb;
	cb->payload = gs;
}


/*
 * Looks up remote; a relative local path url (which libgit2 does not
 * take) is made absolute against the work tree, or the git directory of
 * a bare repository, as git itself reads it. Returns 0 or ROOST_ENOTFOUND.
 */
static int
remote_open(struct gitstore *gs, const char *name, git_remote **out,
    struct rerr *err)
{
	git_remote	*r;
	const char	*url;
	char		*abs;
	int		 rc;

	if (git_remote_lookup(&r, gs->repo, name) < 0) {
		git_error_clear();
		return rerr_set(err, ROOST_ENOTFOUND, "no remote '%s' in '%s'; "
		    "add it with \"git remote add\"", name, gs->gitdir);
	}
	url = git_remote_url(r);
	if (url == NULL || url[0] == '/' || strstr(url, "://") != NULL ||
	    (strchr(url, ':') != NULL && strchr(url, ':') < (strchr(url, '/') ?
	    strchr(url, '/') : url + strlen(url)))) {
		*out = r;
		return 0;
	}
	xasprintf(&abs, "%s%s", gs->workdir ? gs->workdir : gs->gitdir, url);
	git_remote_free(r);
	rc = git_remote_create_anonymous(out, gs->repo, abs);
	free(abs);
	if (rc < 0)
		return gs_fail(err, -1, url);
	return 0;
}

static int
branch_default(struct gitstore *gs, const char *branch, struct buf *b,
    struct rerr *err)
{
	if (branch != NULL) {
		buf_puts(b, branch);
		return 0;
	}
	if (gs->mirror_branch != NULL) {
		buf_puts(b, gs->mirror_branch);
		return 0;
	}
	return gitstore_head_branch(gs, b, err);
}

/*
 * Fetches branch from remote into refs/remotes/<remote>/<branch> (forced)
 * and writes the tip. Returns 0, ROOST_ENOTFOUND or -1.
 */
int
gitstore_fetch(struct gitstore *gs, const char *remote, const char *branch,
    char tip[GITSTORE_IDLEN], struct rerr *err)
{
	git_fetch_options	 fo = GIT_FETCH_OPTIONS_INIT;
	git_remote		*r = NULL;
	const git_remote_head	**heads;
	git_strarray		 specs;
	git_oid			 oid;
	struct buf		 b, spec, dst, src;
	char			*sp;
	size_t			 nheads, i;
	int			 rc, seen = 0;

	if (remote == NULL)
		remote = "origin";
	buf_init(&b, 0);
	buf_init(&spec, 0);
	buf_init(&dst, 0);
	buf_init(&src, 0);
	if ((rc = branch_default(gs, branch, &b, err)) != 0)
		goto done;
	buf_addf(&src, "refs/heads/%s", buf_str(&b));
	buf_addf(&dst, "refs/remotes/%s/%s", remote, buf_str(&b));
	buf_addf(&spec, "+%s:%s", buf_str(&src), buf_str(&dst));
	if ((rc = remote_open(gs, remote, &r, err)) != 0)
		goto done;
	callbacks_init(gs, &fo.callbacks);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	sp = spec.data;
	specs.strings = &sp;
	specs.count = 1;
	if ((rc = git_remote_fetch(r, &specs, &fo, "roost: fetch")) < 0) {
		rc = remote_fail(r, remote, rc, err);
		goto done;
	}
	if (git_remote_ls(&heads, &nheads, r) == 0) {
		for (i = 0; i < nheads; i++)
			if (strcmp(heads[i]->name, buf_str(&src)) == 0)
				seen = 1;
	} else
		git_error_clear();
	if (!seen) {
		rc = rerr_set(err, ROOST_ENOTFOUND, "the remote '%s' has no "
		    "branch '%s'", remote, buf_str(&b));
		goto done;
	}
	if (git_reference_name_to_id(&oid, gs->repo, buf_str(&dst)) < 0) {
		rc = gs_fail(err, -1, buf_str(&dst));
		goto done;
	}
	git_oid_tostr(tip, GITSTORE_IDLEN, &oid);
	rc = 0;
done:
	git_remote_free(r);
	buf_dispose(&b);
	buf_dispose(&spec);
	buf_dispose(&dst);
	buf_dispose(&src);
	return rc;
}

/* Parses "Name <email>". Returns 0 or ROOST_EINVAL. */
int
gitstore_ident_parse(const char *ident, char **name, char **email,
    struct rerr *err)
{
	const char	*lt, *gt, *e;

	*name = *email = NULL;
	if (ident == NULL ||
	    (lt = strrchr(ident, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL || gt[1] != '\0' || gt == lt + 1)
		goto bad;
	e = lt;
	while (e > ident && e[-1] == ' ')
		e--;
	while (*ident == ' ')
		ident++;
	if (e <= ident)
		goto bad;
	if (memchr(ident, '\n', e - ident) != NULL ||
	    memchr(lt, '\n', gt - lt) != NULL)
		goto bad;
	*name = xstrndup(ident, e - ident);
	*email = xstrndup(lt + 1, gt - lt - 1);
	return 0;
bad:
	return rerr_set(err, ROOST_EINVAL, "author '%s' is not of the form "
	    "\"Name <email>\"", ident ? ident : "(null)");
}

static int
sig_make(git_signature **sig, const char *ident, int64_t when,
    struct rerr *err)
{
	char	*name, *email;
	int	 rc;

	if ((rc = gitstore_ident_parse(ident, &name, &email, err)) != 0)
		return rc;
	if (when != 0)
		rc = git_signature_new(sig, name, email, (git_time_t)when, 0);
	else
		rc = git_signature_now(sig, name, email);
	free(name);
	free(email);
	if (rc < 0)
		return gs_fail(err, ROOST_EINVAL, ident);
	return 0;
}

/*
 * Writes the tree base (NULL: empty) with the changes under prefix ("" or
 * "dir/") applied, in order, into *out; *empty tells that it has no
 * entries left. Only the trees on the changed paths are rebuilt: the
 * others are kept by id, so a change in a directory of 100,000 files
 * writes two trees.
 */
static int
tree_apply(struct gitstore *gs, const git_tree *base, const char *prefix,
    const struct gitstore_change *ch, size_t n, git_oid *out, int *empty,
    struct rerr *err)
{
	git_treebuilder		*tb;
	const git_tree_entry	*te;
	git_tree		*sub;
	git_oid			 oid;
	const char		*rest, *slash;
	char			*name, *sprefix;
	size_t			 i, j, pl = strlen(prefix), nl;
	int			 rc = 0, subempty;

	if (git_treebuilder_new(&tb, gs->repo, base) < 0)
		return gs_fail(err, -1, "cannot read a tree");
	for (i = 0; rc == 0 && i < n; i++) {
		if (strncmp(ch[i].path, prefix, pl) != 0)
			continue;
		rest = ch[i].path + pl;
		if ((slash = strchr(rest, '/')) == NULL) {
			if (ch[i].data == NULL) {
				if (git_treebuilder_remove(tb, rest) < 0)
					git_error_clear();
				continue;
			}
			if (git_blob_create_from_buffer(&oid, gs->repo,
			    ch[i].data, ch[i].len) < 0 ||
			    git_treebuilder_insert(NULL, tb, rest, &oid,
			    GIT_FILEMODE_BLOB) < 0)
				rc = gs_fail(err, -1, ch[i].path);
			continue;
		}
		/* A directory: rebuilt once, at its first change. */
		nl = (size_t)(slash - rest);
		for (j = 0; j < i; j++)
			if (strncmp(ch[j].path, ch[i].path, pl + nl + 1) == 0)
				break;
		if (j < i)
			continue;
		name = xstrndup(rest, nl);
		xasprintf(&sprefix, "%s%s/", prefix, name);
		sub = NULL;
		if ((te = git_treebuilder_get(tb, name)) != NULL &&
		    git_tree_entry_type(te) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, gs->repo, git_tree_entry_id(te)) < 0)
			rc = gs_fail(err, -1, ch[i].path);
		if (rc == 0)
			rc = tree_apply(gs, sub, sprefix, ch, n, &oid,
			    &subempty, err);
		if (rc == 0 && subempty) {
			if (git_treebuilder_remove(tb, name) < 0)
				git_error_clear();
		} else if (rc == 0 && git_treebuilder_insert(NULL, tb, name,
		    &oid, GIT_FILEMODE_TREE) < 0)
			rc = gs_fail(err, -1, ch[i].path);
		git_tree_free(sub);
		free(sprefix);
		free(name);
	}
	if (rc == 0) {
		*empty = git_treebuilder_entrycount(tb) == 0;
		if (git_treebuilder_write(out, tb) < 0)
			rc = gs_fail(err, -1, "cannot write the tree");
	}
	git_treebuilder_free(tb);
	return rc;
}

/*
 * Commits parent's tree with changes applied, without moving a ref.
 * Returns 0, ROOST_EINVAL or -1.
 */
int
gitstore_commit_create(struct gitstore *gs, const char *parent,
    const struct gitstore_change *changes, size_t nchanges,
    const char *author, const char *committer, const char *message,
    int64_t when, char out[GITSTORE_IDLEN], struct rerr *err)
{
	git_commit		*pc = NULL;
	git_tree		*ptree = NULL, *tree = NULL;
	git_signature		*as = NULL, *cs = NULL;
	git_oid			 treeid, cid;
	const git_commit	*parents[1];
	size_t			 i;
	int			 rc, empty;

	for (i = 0; i < nchanges; i++)
		if (!path_ok(changes[i].path))
			return rerr_set(err, ROOST_EINVAL,
			    "'%s' is not a valid repository path",
			    changes[i].path);
	if ((rc = sig_make(&as, author, when, err)) != 0)
		return rc;
	if ((rc = sig_make(&cs, committer ? committer : author, when,
	    err)) != 0)
		goto done;
	if (parent != NULL) {
		if ((rc = commit_lookup(gs, parent, &pc, err)) != 0)
			goto done;
		if (git_commit_tree(&ptree, pc) < 0) {
			rc = gs_fail(err, -1, "cannot read the parent tree");
			goto done;
		}
	}
	if ((rc = tree_apply(gs, ptree, "", changes, nchanges, &treeid,
	    &empty, err)) != 0)
		goto done;
	if (git_tree_lookup(&tree, gs->repo, &treeid) < 0) {
		rc = gs_fail(err, -1, "cannot write the tree");
		goto done;
	}
	parents[0] = pc;
	if (git_commit_create(&cid, gs->repo, NULL, as, cs, NULL, message,
	    tree, pc != NULL ? 1 : 0, parents) < 0) {
		rc = gs_fail(err, -1, "cannot create the commit");
		goto done;
	}
	git_oid_tostr(out, GITSTORE_IDLEN, &cid);
	rc = 0;
done:
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(pc);
	git_signature_free(as);
	git_signature_free(cs);
	return rc;
}

/* True when refname is what HEAD points at in a work tree. */
static int
branch_checked_out(struct gitstore *gs, const char *refname)
{
	git_reference	*head;
	const char	*t;
	int		 r = 0;

	if (gs->workdir == NULL || git_repository_is_bare(gs->repo))
		return 0;
	if (git_reference_lookup(&head, gs->repo, "HEAD") < 0) {
		git_error_clear();
		return 0;
	}
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    (t = git_reference_symbolic_target(head)) != NULL &&
	    strcmp(t, refname) == 0)
		r = 1;
	git_reference_free(head);
	return r;
}

/* The tree of commit hex, or an empty tree when hex is NULL or "". */
static int
tree_of(struct gitstore *gs, const char *hex, git_tree **out,
    struct rerr *err)
{
	git_commit	*c;
	git_treebuilder	*tb;
	git_oid		 oid;
	int		 rc;

	if (hex == NULL || *hex == '\0') {
		if (git_treebuilder_new(&tb, gs->repo, NULL) < 0 ||
		    git_treebuilder_write(&oid, tb) < 0) {
			git_treebuilder_free(tb);
			return gs_fail(err, -1, "cannot make an empty tree");
		}
		git_treebuilder_free(tb);
		if (git_tree_lookup(out, gs->repo, &oid) < 0)
			return gs_fail(err, -1, "cannot make an empty tree");
		return 0;
	}
	if ((rc = commit_lookup(gs, hex, &c, err)) != 0)
		return rc;
	rc = git_commit_tree(out, c);
	git_commit_free(c);
	if (rc < 0)
		return gs_fail(err, -1, "cannot read a tree");
	return 0;
}

static int
check_clean_trees(struct gitstore *gs, git_tree *a, git_tree *b,
    struct rerr *err)
{
	git_diff	*diff;
	const git_diff_delta *d;
	const char	*paths[2];
	unsigned int	 flags;
	size_t		 i, j;
	int		 rc = 0, r;

	if (git_diff_tree_to_tree(&diff, gs->repo, a, b, NULL) < 0)
		return gs_fail(err, -1, "cannot compare the trees");
	for (i = 0; rc == 0 && i < git_diff_num_deltas(diff); i++) {
		d = git_diff_get_delta(diff, i);
		paths[0] = d->old_file.path;
		paths[1] = d->new_file.path;
		for (j = 0; rc == 0 && j < 2; j++) {
			if (paths[j] == NULL ||
			    (j == 1 && paths[0] != NULL &&
			    strcmp(paths[0], paths[1]) == 0))
				continue;
			r = git_status_file(&flags, gs->repo, paths[j]);
			if (r == GIT_ENOTFOUND) {
				git_error_clear();
				continue;
			}
			if (r < 0) {
				rc = gs_fail(err, -1, paths[j]);
				break;
			}
			if (flags & (GIT_STATUS_INDEX_NEW |
			    GIT_STATUS_INDEX_MODIFIED |
			    GIT_STATUS_INDEX_DELETED |
			    GIT_STATUS_INDEX_RENAMED |
			    GIT_STATUS_INDEX_TYPECHANGE))
				rc = rerr_set(err, ROOST_EDIRTY,
				    "'%s' has staged changes that are not "
				    "committed; commit or unstage them "
				    "(git restore --staged) first", paths[j]);
			else if (flags & (GIT_STATUS_WT_NEW |
			    GIT_STATUS_IGNORED))
				rc = rerr_set(err, ROOST_EDIRTY,
				    "'%s' exists in the work tree but is not "
				    "committed; commit or remove it first",
				    paths[j]);
			else if (flags & (GIT_STATUS_WT_MODIFIED |
			    GIT_STATUS_WT_DELETED |
			    GIT_STATUS_WT_TYPECHANGE |
			    GIT_STATUS_WT_RENAMED | GIT_STATUS_CONFLICTED))
				rc = rerr_set(err, ROOST_EDIRTY,
				    "'%s' has uncommitted local changes; "
				    "commit or discard them (git restore) "
				    "first", paths[j]);
		}
	}
	git_diff_free(diff);
	return rc;
}

/* ROOST_EDIRTY when a file that old..new changes is dirty. */
int
gitstore_check_clean(struct gitstore *gs, const char *branch,
    const char *old, const char *new, struct rerr *err)
{
	git_tree	*a = NULL, *b = NULL;
	char		*refname;
	int		 rc;

	xasprintf(&refname, "refs/heads/%s", branch);
	if (!branch_checked_out(gs, refname)) {
		free(refname);
		return 0;
	}
	free(refname);
	if ((rc = tree_of(gs, old, &a, err)) == 0 &&
	    (rc = tree_of(gs, new, &b, err)) == 0)
		rc = check_clean_trees(gs, a, b, err);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

/*
 * Moves branch from old to new with compare-and-swap, keeping a checked-
 * out work tree and index in step. Returns 0, ROOST_ECONFLICT,
 * ROOST_EDIRTY or -1.
 */
int
gitstore_branch_update(struct gitstore *gs, const char *branch,
    const char *old, const char *new, const char *reflog, struct rerr *err)
{
	git_checkout_options	 co = GIT_CHECKOUT_OPTIONS_INIT;
	git_reference		*ref = NULL;
	git_tree		*otree = NULL, *ntree = NULL;
	git_oid			 noid, ooid;
	char			*refname;
	int			 rc, wt;

	if ((rc = oid_parse(&noid, new, err)) != 0)
		return rc;
	if (old != NULL && *old != '\0' && (rc = oid_parse(&ooid, old,
	    err)) != 0)
		return rc;
	if (reflog == NULL)
		reflog = "roost: commit";
	xasprintf(&refname, "refs/heads/%s", branch);
	if (git_reference_name_is_valid(&rc, refname) < 0 || !rc) {
		git_error_clear();
		rc = rerr_set(err, ROOST_EINVAL, "'%s' is not a valid branch "
		    "name", branch);
		goto done;
	}
	wt = branch_checked_out(gs, refname);
	if (wt) {
		if ((rc = tree_of(gs, old, &otree, err)) != 0 ||
		    (rc = tree_of(gs, new, &ntree, err)) != 0 ||
		    (rc = check_clean_trees(gs, otree, ntree, err)) != 0)
			goto done;
	}
	if (old == NULL || *old == '\0')
		rc = git_reference_create(&ref, gs->repo, refname, &noid, 0,
		    reflog);
	else
		rc = git_reference_create_matching(&ref, gs->repo, refname,
		    &noid, 1, &ooid, reflog);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED ||
	    (rc == GIT_ENOTFOUND && old != NULL && *old != '\0')) {
		git_error_clear();
		rc = rerr_set(err, ROOST_ECONFLICT, "branch '%s' moved while "
		    "the edit was made; retry on the new tip", branch);
		goto done;
	}
	if (rc < 0) {
		rc = gs_fail(err, -1, refname);
		goto done;
	}
	if (wt) {
		co.checkout_strategy = GIT_CHECKOUT_SAFE;
		co.baseline = otree;
		if (git_checkout_tree(gs->repo, (const git_object *)ntree,
		    &co) < 0) {
			rc = gs_fail(err, -1, "committed, but the work tree "
			    "could not be updated");
			goto done;
		}
	}
	rc = 0;
done:
	git_reference_free(ref);
	git_tree_free(otree);
	git_tree_free(ntree);
	free(refname);
	return rc;
}

/* Commits changes and moves the branch with compare-and-swap. */
int
gitstore_commit(struct gitstore *gs, const struct gitstore_commit_opts *o,
    const struct gitstore_change *changes, size_t nchanges,
    char out[GITSTORE_IDLEN], struct rerr *err)
{
	struct buf	 b;
	char		 tip[GITSTORE_IDLEN];
	const char	*parent = o->parent, *expect = o->expect;
	int		 rc;

	buf_init(&b, 0);
	if ((rc = branch_default(gs, o->branch, &b, err)) != 0)
		goto done;
	if (parent == NULL) {
		char *ref;

		xasprintf(&ref, "refs/heads/%s", buf_str(&b));
		rc = gitstore_resolve(gs, ref, tip, NULL);
		free(ref);
		parent = rc == 0 ? tip : NULL;
		if (expect == NULL)
			expect = rc == 0 ? tip : "";
	} else if (expect == NULL)
		expect = parent;
	if ((rc = gitstore_commit_create(gs, parent, changes, nchanges,
	    o->author, o->committer, o->message, o->time, out, err)) != 0)
		goto done;
	rc = gitstore_branch_update(gs, buf_str(&b), expect, out,
	    "roost: commit", err);
done:
	buf_dispose(&b);
	return rc;
}

static int
push_ref_cb(const char *refname, const char *status, void *data)
{
	struct gitstore	*gs = data;

	if (status != NULL && gs->push_status == NULL)
		gs->push_status = xstrdup(status);
	return 0;
}

/*
 * Pushes the one refspec spec to r with gs's credentials; the remote's
 * refusal of the ref, if any, lands in gs->push_status. As
 * git_remote_push.
 */
static int
push_one(struct gitstore *gs, git_remote *r, char *spec)
{
	git_push_options	po = GIT_PUSH_OPTIONS_INIT;
	git_strarray		specs;

	specs.strings = &spec;
	specs.count = 1;
	callbacks_init(gs, &po.callbacks);
	po.callbacks.push_update_reference = push_ref_cb;
	free(gs->push_status);
	gs->push_status = NULL;
	return git_remote_push(r, &specs, &po);
}

/* Deletes a scratch ref from the local repository at url. */
static void
local_ref_drop(const char *url, const char *refname)
{
	git_repository	*rr;
	git_reference	*ref;

	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	if (git_repository_open_ext(&rr, url, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL) < 0) {
		git_error_clear();
		return;
	}
	if (git_reference_lookup(&ref, rr, refname) == 0) {
		git_reference_delete(ref);
		git_reference_free(ref);
	}
	git_error_clear();
	git_repository_free(rr);
}

/*
 * Moves refs/heads/<branch> of the local repository at url to id with
 * compare-and-swap, after the objects were sent. libgit2's local
 * transport updates refs without checking their old value, so two
 * concurrent pushers could both "succeed"; this closes that race.
 */
static int
local_ref_cas(const char *url, const char *branch, const git_oid *id,
    struct rerr *err)
{
	git_repository	*rr;
	git_reference	*ref = NULL, *nref = NULL;
	char		*refname;
	int		 rc;

	if (strncmp(url, "file://", 7) == 0)
		url += 7;
	if (git_repository_open_ext(&rr, url, GIT_REPOSITORY_OPEN_NO_SEARCH,
	    NULL) < 0)
		return gs_fail(err, -1, url);
	xasprintf(&refname, "refs/heads/%s", branch);
	rc = git_reference_lookup(&ref, rr, refname);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		rc = git_reference_create(&nref, rr, refname, id, 0,
		    "push");
	} else if (rc == 0) {
		const git_oid *old = git_reference_target(ref);

		if (old == NULL)
			rc = GIT_EMODIFIED;
		else if (git_oid_equal(old, id))
			rc = 0;
		else if ((rc = git_graph_descendant_of(rr, id, old)) == 1)
			rc = git_reference_create_matching(&nref, rr, refname,
			    id, 1, old, "push");
		else if (rc == 0)
			rc = GIT_ENONFASTFORWARD;
	}
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED ||
	    rc == GIT_ENONFASTFORWARD) {
		git_error_clear();
		rc = rerr_set(err, ROOST_ECONFLICT, "the remote branch '%s' "
		    "moved (non-fast-forward); fetch and retry", branch);
	} else if (rc < 0)
		rc = gs_fail(err, -1, refname);
	git_reference_free(ref);
	git_reference_free(nref);
	git_repository_free(rr);
	free(refname);
	return rc;
}

/*
 * Pushes id to refs/heads/<branch> of remote without forcing. Returns 0,
 * ROOST_ECONFLICT on a non-fast-forward, or -1.
 */
int
gitstore_push(struct gitstore *gs, const char *remote, const char *id,
    const char *branch, struct rerr *err)
{
	git_remote		*r = NULL;
	git_reference		*tmp = NULL;
	git_oid			 oid;
	char			*tmpname = NULL, *spec = NULL;
	int			 rc, local;

	if (remote == NULL)
		remote = "origin";
	if ((rc = oid_parse(&oid, id, err)) != 0)
		return rc;
	if ((rc = remote_open(gs, remote, &r, err)) != 0)
		return rc;
	local = url_is_local(git_remote_url(r));
	xasprintf(&tmpname, "refs/roost/push/%ld-%lx-%s", (long)getpid(),
	    (unsigned long)pthread_self(), id);
	if (git_reference_create(&tmp, gs->repo, tmpname, &oid, 1,
	    "roost: push") < 0) {
		rc = gs_fail(err, -1, tmpname);
		goto done;
	}
	/* to a local remote, send the objects under a scratch ref first */
	if (local)
		xasprintf(&spec, "%s:%s", tmpname, tmpname);
	else
		xasprintf(&spec, "%s:refs/heads/%s", tmpname, branch);
	rc = push_one(gs, r, spec);
	if (rc == GIT_ENONFASTFORWARD) {
		git_error_clear();
		rc = rerr_set(err, ROOST_ECONFLICT, "the remote branch '%s' "
		    "moved (non-fast-forward); fetch and retry", branch);
	} else if (rc < 0)
		rc = remote_fail(r, remote, rc, err);
	else if (gs->push_status != NULL) {
		if (strstr(gs->push_status, "fast-forward") != NULL ||
		    strstr(gs->push_status, "fetch first") != NULL ||
		    strstr(gs->push_status, "stale") != NULL ||
		    strstr(gs->push_status, "lock") != NULL)
			rc = rerr_set(err, ROOST_ECONFLICT, "the remote "
			    "rejected the push of '%s' (%s); fetch and retry",
			    branch, gs->push_status);
		else
			rc = rerr_set(err, -1, "the remote refused the push "
			    "of '%s': %s", branch, gs->push_status);
	} else if (local) {
		rc = local_ref_cas(git_remote_url(r), branch, &oid, err);
		local_ref_drop(git_remote_url(r), tmpname);
	} else
		rc = 0;
done:
	if (tmp != NULL) {
		git_reference_delete(tmp);
		git_reference_free(tmp);
	}
	git_error_clear();
	git_remote_free(r);
	free(tmpname);
	free(spec);
	return rc;
}

/* True when remote's url is a local path or a file:// url. */
int
gitstore_remote_is_local(struct gitstore *gs, const char *remote)
{
	git_remote	*r;
	const char	*url;
	int		 local;

	if (git_remote_lookup(&r, gs->repo, remote ? remote : "origin") < 0) {
		git_error_clear();
		return 0;
	}
	url = git_remote_url(r);
	local = url_is_local(url);
	git_remote_free(r);
	return local;
}

/* The blob id of path in commit c, or zero when absent. */
static void
entry_id(git_commit *c, const char *path, git_oid *out)
{
	git_tree	*t;
	git_tree_entry	*e;

	memset(out, 0, sizeof(*out));
	if (git_commit_tree(&t, c) < 0) {
		git_error_clear();
		return;
	}
	if (git_tree_entry_bypath(&e, t, path) == 0) {
		git_oid_cpy(out, git_tree_entry_id(e));
		git_tree_entry_free(e);
	} else
		git_error_clear();
	git_tree_free(t);
}

static int
walk_start(struct gitstore *gs, const char *rev, git_revwalk **w,
    struct rerr *err)
{
	char	id[GITSTORE_IDLEN];
	git_oid	oid;
	int	rc;

	if ((rc = gitstore_resolve(gs, rev, id, err)) != 0)
		return rc;
	git_oid_fromstr(&oid, id);
	if (git_revwalk_new(w, gs->repo) < 0)
		return gs_fail(err, -1, "cannot walk the history");
	git_revwalk_sorting(*w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (git_revwalk_push(*w, &oid) < 0) {
		git_revwalk_free(*w);
		return gs_fail(err, -1, "cannot walk the history");
	}
	return 0;
}

/* Lists the commits from rev that changed path, newest first. */
int
gitstore_file_log(struct gitstore *gs, const char *rev, const char *path,
    size_t max, struct gitstore_logent **out, size_t *n, struct rerr *err)
{
	git_revwalk		*w;
	git_commit		*c, *p;
	const git_signature	*a;
	const char		*msg, *nl;
	struct gitstore_logent	*v = NULL, *e;
	git_oid			 oid, cur, prev;
	size_t			 nv = 0, cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((rc = walk_start(gs, rev, &w, err)) != 0)
		return rc;
	while ((max == 0 || nv < max) && git_revwalk_next(&oid, w) == 0) {
		if (git_commit_lookup(&c, gs->repo, &oid) < 0) {
			rc = gs_fail(err, -1, "cannot read a commit");
			break;
		}
		entry_id(c, path, &cur);
		memset(&prev, 0, sizeof(prev));
		if (git_commit_parentcount(c) > 0) {
			if (git_commit_parent(&p, c, 0) == 0) {
				entry_id(p, path, &prev);
				git_commit_free(p);
			} else
				git_error_clear();
		}
		if (git_oid_equal(&cur, &prev)) {
			git_commit_free(c);
			continue;
		}
		if (nv == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		e = &v[nv++];
		memset(e, 0, sizeof(*e));
		git_oid_tostr(e->id, sizeof(e->id), &oid);
		a = git_commit_author(c);
		e->author_name = xstrdup(a->name ? a->name : "");
		e->author_email = xstrdup(a->email ? a->email : "");
		e->time = a->when.time;
		e->tz_offset = a->when.offset;
		msg = git_commit_message(c);
		if (msg == NULL)
			msg = "";
		e->message = xstrdup(msg);
		nl = strchr(msg, '\n');
		e->summary = nl ? xstrndup(msg, nl - msg) : xstrdup(msg);
		git_commit_free(c);
	}
	git_revwalk_free(w);
	if (rc != 0) {
		gitstore_log_free(v, nv);
		return rc;
	}
	*out = v;
	*n = nv;
	return 0;
}

/* Frees log entries. */
void
gitstore_log_free(struct gitstore_logent *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		gitstore_logent_dispose(&v[i]);
	free(v);
}

/* Frees the strings of one entry. */
void
gitstore_logent_dispose(struct gitstore_logent *e)
{
	free(e->author_name);
	free(e->author_email);
	free(e->summary);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

/* Finds the newest of the last depth first-parent commits with key: value. */
int
gitstore_find_trailer(struct gitstore *gs, const char *rev, const char *key,
    const char *value, size_t depth, char out[GITSTORE_IDLEN],
    struct rerr *err)
{
	git_revwalk			*w;
	git_commit			*c;
	git_message_trailer_array	 arr;
	git_oid				 oid;
	size_t				 seen = 0, i;
	int				 rc, found = 0;

	if ((rc = walk_start(gs, rev, &w, err)) != 0)
		return rc;
	git_revwalk_simplify_first_parent(w);
	while (!found && (depth == 0 || seen < depth) &&
	    git_revwalk_next(&oid, w) == 0) {
		seen++;
		if (git_commit_lookup(&c, gs->repo, &oid) < 0) {
			git_error_clear();
			continue;
		}
		memset(&arr, 0, sizeof(arr));
		if (git_message_trailers(&arr, git_commit_message(c)) == 0) {
			for (i = 0; i < arr.count; i++)
				if (strcasecmp(arr.trailers[i].key, key) == 0 &&
				    strcmp(arr.trailers[i].value, value) == 0)
					found = 1;
			git_message_trailer_array_free(&arr);
		} else
			git_error_clear();
		if (found)
			git_oid_tostr(out, GITSTORE_IDLEN, &oid);
		git_commit_free(c);
	}
	git_revwalk_free(w);
	if (!found)
		return rerr_set(err, ROOST_ENOTFOUND, "no commit with '%s: %s'",
		    key, value);
	return 0;
}

/* Takes the repository's writer lock, waiting for it. */
int
gitstore_lock(struct gitstore *gs, struct rerr *err)
{
	char	*path;
	int	 fd;

	if (gs->lockfd != -1)
		return 0;
	xasprintf(&path, "%sroost.lock", gs->gitdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		rerr_errno(err, -1, "cannot open '%s'", path);
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		rerr_errno(err, -1, "cannot lock '%s'", path);
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	gs->lockfd = fd;
	return 0;
}

/* Releases the writer lock if held. */
void
gitstore_unlock(struct gitstore *gs)
{
	if (gs->lockfd != -1) {
		close(gs->lockfd);
		gs->lockfd = -1;
	}
}

/* A three-way merge of one text; see gitstore.h. */
int
gitstore_merge_text(const char *ancestor, size_t alen, const char *ours,
    size_t olen, const char *theirs, size_t tlen, struct buf *out,
    int *conflicts, struct rerr *err)
{
	git_merge_file_input	 a, o, t;
	git_merge_file_result	 r;
	const char		*p;
	size_t			 i;

	*conflicts = 0;
	git_merge_file_input_init(&a, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&o, GIT_MERGE_FILE_INPUT_VERSION);
	git_merge_file_input_init(&t, GIT_MERGE_FILE_INPUT_VERSION);
	a.ptr = ancestor;
	a.size = alen;
	o.ptr = ours;
	o.size = olen;
	t.ptr = theirs;
	t.size = tlen;
	memset(&r, 0, sizeof(r));
	if (git_merge_file(&r, &a, &o, &t, NULL) != 0)
		return gs_fail(err, -1, "cannot merge");
	if (!r.automergeable) {
		/* count the conflicting regions by their opening markers */
		for (p = r.ptr, i = 0; i < r.len; i++)
			if ((i == 0 || p[i - 1] == '\n') &&
			    r.len - i >= 8 && memcmp(p + i, "<<<<<<< ", 8) == 0)
				(*conflicts)++;
		if (*conflicts == 0)
			*conflicts = 1;
	}
	buf_add(out, r.ptr, r.len);
	git_merge_file_result_free(&r);
	return 0;
}

/* Appends one line of a patch to the buffer in payload. */
static int
diff_line_cb(const git_diff_delta *delta, const git_diff_hunk *hunk,
    const git_diff_line *line, void *payload)
{
	struct buf	*out = payload;

	(void)delta;
	(void)hunk;
	if (line->origin == GIT_DIFF_LINE_CONTEXT ||
	    line->origin == GIT_DIFF_LINE_ADDITION ||
	    line->origin == GIT_DIFF_LINE_DELETION)
		buf_putc(out, line->origin);
	buf_add(out, line->content, line->content_len);
	return 0;
}

/* The unified diff of two texts; see gitstore.h. */
int
gitstore_diff_text(const char *old, size_t olen, const char *new,
    size_t nlen, const char *path, struct buf *out, struct rerr *err)
{
	git_patch	*patch = NULL;
	int		 rc = 0;

	if (git_patch_from_buffers(&patch, old, old ? olen : 0, old ? path :
	    NULL, new, new ? nlen : 0, new ? path : NULL, NULL) != 0)
		return gs_fail(err, -1, "cannot diff");
	if (git_patch_print(patch, diff_line_cb, out) != 0)
		rc = gs_fail(err, -1, "cannot print the diff");
	git_patch_free(patch);
	return rc;
}

/* One commit's author and subject; see gitstore.h. */
int
gitstore_commit_info(struct gitstore *gs, const char *rev,
    struct gitstore_logent *out, struct rerr *err)
{
	const git_signature	*a;
	git_commit		*c = NULL;
	git_oid			 oid;
	const char		*s;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if ((rc = gitstore_resolve(gs, rev, out->id, err)) != 0)
		return rc;
	if (git_oid_fromstr(&oid, out->id) != 0 ||
	    git_commit_lookup(&c, gs->repo, &oid) != 0)
		return gs_fail(err, -1, "cannot read a commit");
	a = git_commit_author(c);
	out->author_name = xstrdup(a != NULL && a->name ? a->name : "");
	out->author_email = xstrdup(a != NULL && a->email ? a->email : "");
	out->time = a != NULL ? (int64_t)a->when.time : 0;
	out->tz_offset = a != NULL ? a->when.offset : 0;
	s = git_commit_summary(c);
	out->summary = xstrdup(s != NULL ? s : "");
	s = git_commit_message(c);
	out->message = xstrdup(s != NULL ? s : "");
	git_commit_free(c);
	return 0;
}

/* The best common ancestor of two commits; see gitstore.h. */
int
gitstore_merge_base(struct gitstore *gs, const char *a, const char *b,
    char out[GITSTORE_IDLEN], struct rerr *err)
{
	git_oid	oa, ob, base;
	int	rc;

	if ((rc = oid_parse(&oa, a, err)) != 0 ||
	    (rc = oid_parse(&ob, b, err)) != 0)
		return rc;
	rc = git_merge_base(&base, gs->repo, &oa, &ob);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return rerr_set(err, ROOST_ENOTFOUND, "%.7s and %.7s have no "
		    "common history", a, b);
	}
	if (rc < 0)
		return gs_fail(err, -1, "cannot find a merge base");
	git_oid_tostr(out, GITSTORE_IDLEN, &base);
	return 0;
}

/* Deletes ref name of repo when it exists; 1 when it did. */
static int
ref_drop(git_repository *repo, const char *name, const git_oid *expect,
    struct rerr *err)
{
	git_reference	*ref;
	const git_oid	*at;
	int		 rc;

	if ((rc = git_reference_lookup(&ref, repo, name)) == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return gs_fail(err, -1, name);
	at = git_reference_target(ref);
	if (expect != NULL && (at == NULL || !git_oid_equal(at, expect))) {
		git_reference_free(ref);
		return rerr_set(err, ROOST_ECONFLICT, "'%s' moved; it was not "
		    "deleted", name);
	}
	rc = git_reference_delete(ref);
	git_reference_free(ref);
	if (rc < 0)
		return gs_fail(err, -1, name);
	return 1;
}

/* Deletes branch on remote: a push of nothing to it. */
static int
remote_branch_drop(struct gitstore *gs, const char *remote,
    const char *branch, const git_oid *expect, struct rerr *err)
{
	git_repository		*rr;
	git_remote		*r = NULL;
	const char		*url;
	char			*spec, *ref;
	int			 rc;

	if ((rc = remote_open(gs, remote, &r, err)) != 0)
		return rc;
	url = git_remote_url(r);
	xasprintf(&ref, "refs/heads/%s", branch);
	if (url_is_local(url)) {
		/* a local remote's ref is deleted in place, checked first */
		if (strncmp(url, "file://", 7) == 0)
			url += 7;
		if (git_repository_open_ext(&rr, url,
		    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
			rc = gs_fail(err, -1, url);
		else {
			rc = ref_drop(rr, ref, expect, err);
			git_repository_free(rr);
		}
		goto done;
	}
	xasprintf(&spec, ":%s", ref);
	if (push_one(gs, r, spec) < 0)
		rc = gs_fail(err, -1, url != NULL ? url : remote);
	else if (gs->push_status != NULL)
		rc = rerr_set(err, -1, "the remote refused to delete '%s': %s",
		    branch, gs->push_status);
	else
		rc = 1;
	free(spec);
done:
	free(ref);
	git_remote_free(r);
	return rc;
}

/* Deletes a branch here and on remote; see gitstore.h. */
int
gitstore_branch_delete(struct gitstore *gs, const char *remote,
    const char *branch, const char *expect, struct rerr *err)
{
	git_oid	 eoid;
	char	*name;
	int	 rc, found = 0;

	if (expect != NULL && (rc = oid_parse(&eoid, expect, err)) != 0)
		return rc;
	xasprintf(&name, "refs/heads/%s", branch);
	if (git_reference_name_is_valid(&rc, name) < 0 || !rc) {
		git_error_clear();
		free(name);
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a valid branch "
		    "name", branch);
	}
	if (remote != NULL) {
		if ((rc = remote_branch_drop(gs, remote, branch, expect ?
		    &eoid : NULL, err)) < 0)
			goto done;
		found |= rc;
		free(name);
		xasprintf(&name, "refs/remotes/%s/%s", remote, branch);
		if ((rc = ref_drop(gs->repo, name, NULL, err)) < 0)
			goto done;
		free(name);
		xasprintf(&name, "refs/heads/%s", branch);
	}
	if ((rc = ref_drop(gs->repo, name, remote == NULL && expect != NULL ?
	    &eoid : NULL, err)) < 0)
		goto done;
	found |= rc;
	rc = found ? 0 : rerr_set(err, ROOST_ENOTFOUND, "there is no branch "
	    "'%s'", branch);
done:
	free(name);
	return rc;
}
