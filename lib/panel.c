/*
 * panel: the panel core, every edit of desired state the bot and the CLI
 * make. An edit is a function from the old file text to the new one
 * (yedit keeps a person's formatting); panel_apply runs it on the branch
 * tip under the repository's writer lock, validates the whole new state
 * through an overlay source, commits, pushes, moves the branch with
 * compare-and-swap, and on a conflict fetches, re-applies the edit on the
 * new tip and retries.
 */
#include <sys/random.h>

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "gitstore.h"
#include "limit.h"
#include "panel.h"
#include "panel_int.h"
#include "rerr.h"
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "yedit.h"
#include "ywrite.h"

#define PANEL_ATTEMPTS	5
#define PANEL_DEPTH	200
#define PANEL_PWLEN	24

/* Opens the repository for edits. */
int
panel_open(struct panel **out, const struct panel_opts *o, struct rerr *err)
{
	struct panel	*p;
	struct buf	 b;
	struct diags	 d;
	const char	*remote;
	int		 rc;

	*out = NULL;
	p = xcalloc(1, sizeof(*p));
	if ((rc = gitstore_open(&p->gs, o->repo ? o->repo : ".", err)) != 0) {
		free(p);
		return rc;
	}
	if (o->auth != NULL)
		gitstore_set_auth(p->gs, o->auth);
	buf_init(&b, 0);
	if (o->branch != NULL)
		p->branch = xstrdup(o->branch);
	else if (gitstore_head_branch(p->gs, &b, NULL) == 0)
		p->branch = buf_detach(&b);
	else
		p->branch = xstrdup("main");
	buf_dispose(&b);
	remote = o->remote;
	if (remote == NULL)
		remote = gitstore_has_remote(p->gs, "origin") ? "origin" : "";
	else if (*remote != '\0' && !gitstore_has_remote(p->gs, remote)) {
		rc = rerr_set(err, ROOST_ENOTFOUND, "no remote '%s' in '%s'; "
		    "add it with \"git remote add\"", remote, o->repo);
		panel_close(p);
		return rc;
	}
	p->remote = *remote != '\0' ? xstrdup(remote) : NULL;
	p->committer = o->committer ? xstrdup(o->committer) : NULL;
	p->attempts = o->attempts > 0 ? o->attempts : PANEL_ATTEMPTS;
	p->depth = o->request_depth > 0 ? o->request_depth : PANEL_DEPTH;
	if (o->eggs != NULL)
		p->eggs = o->eggs;
	else {
		p->own_eggs = egglib_new();
		diags_init(&d);
		if (egglib_builtin_dir() != NULL)
			(void)egglib_load_dir(p->own_eggs,
			    egglib_builtin_dir(), "eggs/", &d);
		diags_dispose(&d);
		p->eggs = p->own_eggs;
	}
	p->cache = state_cache_new();
	*out = p;
	return 0;
}

/* Closes a panel; takes NULL. */
void
panel_close(struct panel *p)
{
	if (p == NULL)
		return;
	gitstore_close(p->gs);
	free(p->branch);
	free(p->remote);
	free(p->committer);
	egglib_free(p->own_eggs);
	state_cache_free(p->cache);
	state_free(p->last);
	free(p);
}

/* The repository (borrowed). */
struct gitstore *
panel_gitstore(struct panel *p)
{
	return p->gs;
}

/* Reads a file at a revision; see panel_int.h. */
int
panel_read_at(struct panel *p, const char *rev, const char *path,
    struct buf *out, int *has, struct rerr *err)
{
	int	rc;

	*has = 0;
	rc = gitstore_read_file(p->gs, rev, path, out, NULL, err);
	if (rc == ROOST_ENOTFOUND)
		return 0;
	if (rc == 0)
		*has = 1;
	return rc;
}

/* The branch edits go to (borrowed). */
const char *
panel_branch(const struct panel *p)
{
	return p->branch;
}

/*
 * Whether c may open or close a name: libgit2 trims these from a
 * signature's name and refuses a name left empty.
 */
static int
author_crud(unsigned char c)
{
	return c <= ' ' || c == '.' || c == ',' || c == ':' || c == ';' ||
	    c == '"' || c == '\\' || c == '\'' || c == 0x7f;
}

/* The author of a Discord user's edit; see panel.h. */
char *
panel_author_discord(const char *name, const char *id)
{
	struct buf		 b;
	const unsigned char	*s;
	char			*r, digits[32];
	size_t			 i, n = 0, start, end;

	for (i = 0; id != NULL && id[i] != '\0' && n + 1 < sizeof(digits);
	    i++)
		if (id[i] >= '0' && id[i] <= '9')
			digits[n++] = id[i];
	digits[n] = '\0';
	if (n == 0)
		snprintf(digits, sizeof(digits), "0");
	buf_init(&b, 0);
	for (s = (const unsigned char *)(name ? name : ""); *s != '\0'; s++) {
		if (*s == '<')
			buf_puts(&b, "\xe2\x80\xb9");	/* U+2039 */
		else if (*s == '>')
			buf_puts(&b, "\xe2\x80\xba");	/* U+203A */
		else if (*s < ' ' || *s == 0x7f) {
			if (b.len > 0 && b.data[b.len - 1] != ' ')
				buf_putc(&b, ' ');
		} else
			buf_putc(&b, (char)*s);
	}
	start = 0;
	end = b.len;
	while (start < end && author_crud((unsigned char)b.data[start]))
		start++;
	while (end > start && author_crud((unsigned char)b.data[end - 1]))
		end--;
	if (start == end)
		xasprintf(&r, "discord user (discord:%s) "
		    "<%s@users.discord.invalid>", digits, digits);
	else
		xasprintf(&r, "%.*s (discord:%s) <%s@users.discord.invalid>",
		    (int)(end - start), b.data + start, digits, digits);
	buf_dispose(&b);
	return r;
}

/* Prepares a result. */
void
panel_result_init(struct panel_result *res)
{
	memset(res, 0, sizeof(*res));
	diags_init(&res->diags);
}

/* Frees what a result holds, wiping a password. */
void
panel_result_dispose(struct panel_result *res)
{
	free(res->summary);
	free(res->node);
	if (res->password != NULL) {
		explicit_bzero(res->password, strlen(res->password));
		free(res->password);
	}
	diags_dispose(&res->diags);
	memset(res, 0, sizeof(*res));
	diags_init(&res->diags);
}

static int
load_state(struct panel *p, const char *id, const struct gitstore_change *ch,
    size_t nch, struct state **out, struct rerr *err)
{
	struct state_src	src;
	int			rc;

	if ((rc = gitstore_state_src(p->gs, id, ch, nch, &src, err)) != 0)
		return rc;
	rc = state_load(out, &src, p->eggs, p->cache, err);
	if (rc == 0)
		(*out)->revision = (*out)->revision ? (*out)->revision :
		    xstrdup(id);
	gitstore_state_src_release(&src);
	return rc;
}

static int
branch_tip(struct panel *p, char id[GITSTORE_IDLEN], struct rerr *err)
{
	char	*ref;
	int	 rc;

	xasprintf(&ref, "refs/heads/%s", p->branch);
	rc = gitstore_resolve(p->gs, ref, id, NULL);
	free(ref);
	if (rc == ROOST_ENOTFOUND)
		return rerr_set(err, ROOST_ENOTFOUND, "branch '%s' has no "
		    "commits; commit the state repository first", p->branch);
	if (rc != 0)
		return rerr_set(err, rc, "cannot read branch '%s'", p->branch);
	return 0;
}

/*
 * Finds the commit an edit builds on: the remote's tip when the local
 * branch is behind or equal, the local tip when it is ahead. *local is the
 * local tip ("" when the branch does not exist yet).
 */
int
panel_base(struct panel *p, char base[GITSTORE_IDLEN],
    char local[GITSTORE_IDLEN], struct rerr *err)
{
	char	remote[GITSTORE_IDLEN];
	int	rc, haslocal;

	rc = branch_tip(p, local, p->remote ? NULL : err);
	if (rc != 0 && (rc != ROOST_ENOTFOUND || p->remote == NULL))
		return rc;
	haslocal = rc == 0;
	if (!haslocal)
		local[0] = '\0';
	if (p->remote == NULL) {
		memcpy(base, local, GITSTORE_IDLEN);
		return 0;
	}
	rc = gitstore_fetch(p->gs, p->remote, p->branch, remote, err);
	if (rc == ROOST_ENOTFOUND && haslocal) {
		memcpy(base, local, GITSTORE_IDLEN);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (!haslocal || strcmp(local, remote) == 0) {
		memcpy(base, remote, GITSTORE_IDLEN);
		return 0;
	}
	if ((rc = gitstore_descends(p->gs, remote, local, err)) < 0)
		return rc;
	if (rc == 1) {
		memcpy(base, remote, GITSTORE_IDLEN);
		return 0;
	}
	if ((rc = gitstore_descends(p->gs, local, remote, err)) < 0)
		return rc;
	if (rc == 1) {
		memcpy(base, local, GITSTORE_IDLEN);
		return 0;
	}
	return rerr_set(err, -1, "branch '%s' and '%s/%s' have diverged; "
	    "pull or rebase the repository first", p->branch, p->remote,
	    p->branch);
}

static int
diag_in(const struct diags *d, const struct diag *x)
{
	size_t	i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].level != x->level)
			continue;
		if ((d->v[i].path == NULL) != (x->path == NULL))
			continue;
		if (x->path != NULL && strcmp(d->v[i].path, x->path) != 0)
			continue;
		if (strcmp(d->v[i].msg, x->msg) == 0)
			return 1;
	}
	return 0;
}

/*
 * The problems an edit brings: every error in the edited file, and errors
 * elsewhere that the old state did not have.
 */
static void
edit_problems(const struct state *old, const struct state *new,
    const char *path, const char *name, int removed, struct diags *out)
{
	const struct state_server	*srv;
	size_t				 i;
	const struct diag		*x;

	for (i = 0; i < new->diags->n; i++) {
		x = &new->diags->v[i];
		if (x->level != DIAG_ERROR)
			continue;
		if ((x->path != NULL && strcmp(x->path, path) == 0) ||
		    !diag_in(old->diags, x))
			diags_add(out, x->path, x->line, x->col, "%s", x->msg);
	}
	if (!removed && out->nerrors == 0 &&
	    ((srv = state_server_find(new, name)) == NULL || !srv->valid))
		diags_add(out, path, 0, 0, "server '%s' is not valid after "
		    "the edit", name);
}

static void
message_make(const struct panel_edit *e, const struct panel_req *req,
    const char *what, struct buf *msg)
{
	buf_addf(msg, "roost %s %s", e->command, e->name);
	if (what != NULL && *what != '\0')
		buf_addf(msg, ": %s", what);
	buf_addf(msg, "\n\nRoost-Command: %s\n", e->command);
	if (e->trailer != NULL)
		buf_addf(msg, "%s\n", e->trailer);
	if (req->request_id != NULL && *req->request_id != '\0')
		buf_addf(msg, "Roost-Request: %s\n", req->request_id);
}

/* Records the node the server has in st, when it is there. */
static void
result_node(struct panel_result *res, const struct state *st,
    const char *name)
{
	const struct state_server	*srv;

	if (st == NULL || (srv = state_server_find(st, name)) == NULL ||
	    srv->node == NULL)
		return;
	free(res->node);
	res->node = xstrdup(srv->node);
}

/*
 * Fills res for a request that commit id already carries: its node and
 * summary, when they can be read. *st gets the commit's state, if it loads.
 */
static void
result_existing(struct panel *p, const char *id, const char *path,
    const char *name, struct panel_result *res, struct state **st)
{
	struct gitstore_logent	*v;
	size_t			 n;

	memcpy(res->commit, id, GITSTORE_IDLEN);
	res->existing = 1;
	free(res->summary);
	res->summary = NULL;
	if (load_state(p, id, NULL, 0, st, NULL) == 0)
		result_node(res, *st, name);
	if (gitstore_file_log(p->gs, id, path, 1, &v, &n, NULL) == 0) {
		if (n > 0 && strcmp(v[0].id, id) == 0)
			res->summary = xstrdup(v[0].summary);
		gitstore_log_free(v, n);
	}
}

/* One attempt of an edit under the writer lock. */
static int
apply_once(struct panel *p, const struct panel_req *req,
    const struct panel_edit *e, struct panel_result *res, struct rerr *err)
{
	char			 base[GITSTORE_IDLEN], local[GITSTORE_IDLEN];
	char			 id[GITSTORE_IDLEN];
	char			*path;
	struct state		*st = NULL, *nst = NULL;
	struct buf		 old, out, what, msg;
	struct gitstore_change	 ch;
	struct panel_ctx	 ctx;
	struct rerr		 rerr;
	const char		*nl;
	int			 rc, exists;

	buf_init(&old, 0);
	buf_init(&out, 0);
	buf_init(&what, 0);
	buf_init(&msg, 0);
	xasprintf(&path, "servers/%s.yaml", e->name);
	if ((rc = gitstore_lock(p->gs, err)) != 0)
		goto done;
	if ((rc = panel_base(p, base, local, err)) != 0)
		goto done;
	if (req->request_id != NULL && *req->request_id != '\0' &&
	    gitstore_find_trailer(p->gs, base, "Roost-Request",
	    req->request_id, p->depth, id, NULL) == 0) {
		result_existing(p, id, path, e->name, res, &st);
		rc = 0;
		goto done;
	}
	rerr_init(&rerr);
	rc = gitstore_read_file(p->gs, base, path, &old, NULL, &rerr);
	if (rc != 0 && rc != ROOST_ENOTFOUND) {
		rerr_set(err, rc, "%s", rerr.msg);
		goto done;
	}
	exists = rc == 0;
	if (!exists && e->must_exist == PANEL_EXISTS) {
		rc = rerr_set(err, ROOST_ENOTFOUND, "server '%s' does not "
		    "exist; see \"roost server list\"", e->name);
		goto done;
	}
	if (exists && e->must_exist == PANEL_NEW) {
		rc = rerr_set(err, ROOST_EEXISTS, "server '%s' already "
		    "exists; pick another name or use \"roost server set\"",
		    e->name);
		goto done;
	}
	/* The commit this panel made last needs no load. */
	if (p->last != NULL && strcmp(p->last->revision, base) == 0) {
		st = p->last;
		p->last = NULL;
	} else if ((rc = load_state(p, base, NULL, 0, &st, err)) != 0)
		goto done;
	result_node(res, st, e->name);
	memset(&ctx, 0, sizeof(ctx));
	ctx.p = p;
	ctx.st = st;
	ctx.name = e->name;
	ctx.path = path;
	ctx.old = exists ? buf_str(&old) : NULL;
	ctx.oldlen = old.len;
	ctx.out = &out;
	ctx.what = &what;
	ctx.res = res;
	if ((rc = e->fn(&ctx, e->arg, err)) != 0)
		goto done;
	if (!ctx.remove && exists && out.len == old.len &&
	    memcmp(buf_str(&out), buf_str(&old), old.len) == 0) {
		res->unchanged = 1;
		memcpy(res->commit, base, GITSTORE_IDLEN);
		free(res->summary);
		xasprintf(&res->summary, "roost %s %s: nothing to change",
		    e->command, e->name);
		rc = 0;
		goto done;
	}
	ch.path = path;
	ch.data = ctx.remove ? NULL : buf_str(&out);
	ch.len = ctx.remove ? 0 : out.len;
	if ((rc = load_state(p, base, &ch, 1, &nst, err)) != 0)
		goto done;
	if (!ctx.remove)
		result_node(res, nst, e->name);
	diags_dispose(&res->diags);
	edit_problems(st, nst, path, e->name, ctx.remove, &res->diags);
	if (res->diags.nerrors > 0) {
		diags_sort(&res->diags);
		rc = rerr_set(err, ROOST_EINVAL, "%s%s%s:%d:%d: %s%s",
		    "the edit was refused, nothing was committed: ",
		    "", res->diags.v[0].path ? res->diags.v[0].path : "",
		    res->diags.v[0].line, res->diags.v[0].col,
		    res->diags.v[0].msg,
		    res->diags.n > 1 ? " (and more)" : "");
		goto done;
	}
	message_make(e, req, buf_str(&what), &msg);
	if ((rc = gitstore_commit_create(p->gs, base, &ch, 1, req->author,
	    p->committer, buf_str(&msg), 0, id, err)) != 0)
		goto done;
	/* a proposal's commit goes to a branch of its own, made here */
	if (e->branch == NULL && (rc = gitstore_check_clean(p->gs, p->branch,
	    local, id, err)) != 0)
		goto done;
	if (p->remote != NULL) {
		if ((rc = gitstore_push(p->gs, p->remote, id, e->branch ?
		    e->branch : p->branch, err)) != 0)
			goto done;
		res->pushed = 1;
	}
	if ((rc = gitstore_branch_update(p->gs, e->branch ? e->branch :
	    p->branch, e->branch ? "" : local, id, "roost: edit", err)) != 0)
		goto done;
	memcpy(res->commit, id, GITSTORE_IDLEN);
	/* nst is the state of the new commit: the next edit starts there. */
	state_free(p->last);
	free(nst->revision);
	nst->revision = xstrdup(id);
	p->last = nst;
	nst = NULL;
	free(res->summary);
	nl = strchr(buf_str(&msg), '\n');
	res->summary = xstrndup(buf_str(&msg), nl ? (size_t)(nl -
	    buf_str(&msg)) : msg.len);
	rc = 0;
done:
	gitstore_unlock(p->gs);
	if (p->last == NULL && st != NULL) {
		p->last = st;	/* the base's state, for a retry or the next */
		st = NULL;
	}
	state_free(st);
	state_free(nst);
	buf_dispose(&old);
	buf_dispose(&out);
	buf_dispose(&what);
	buf_dispose(&msg);
	free(path);
	return rc;
}

/* Runs an edit with retries on conflicts; see panel_int.h. */
int
panel_apply(struct panel *p, const struct panel_req *req,
    const struct panel_edit *e, struct panel_result *res, struct rerr *err)
{
	struct rerr	ae;
	unsigned int	r;
	long		ms;
	int		rc, i;

	if (req == NULL || req->author == NULL)
		return rerr_set(err, ROOST_EINVAL, "an edit needs an author "
		    "(\"Name <email>\")");
	if (!state_name_valid(e->name))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a valid server "
		    "name; use 1 to 31 of a-z, 0-9 and '-', starting with a "
		    "letter or digit", e->name);
	for (i = 1; ; i++) {
		rerr_init(&ae);
		res->attempts = i;
		rc = apply_once(p, req, e, res, &ae);
		if (rc != ROOST_ECONFLICT || i >= p->attempts)
			break;
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned int)rand();
		ms = 20L << (i - 1);
		if (ms > 500)
			ms = 500;
		ms += r % (ms + 1);
		usleep(ms * 1000);
	}
	if (rc != 0)
		rerr_set(err, rc, "%s", ae.msg);
	return rc;
}

/* Loads the state at rev (NULL: the branch tip). */
int
panel_state(struct panel *p, const char *rev, int fetch, struct state **out,
    struct rerr *err)
{
	char	id[GITSTORE_IDLEN], local[GITSTORE_IDLEN];
	int	rc;

	*out = NULL;
	if (rev != NULL)
		rc = gitstore_resolve(p->gs, rev, id, err);
	else if (fetch && p->remote != NULL)
		rc = panel_base(p, id, local, err);
	else
		rc = branch_tip(p, id, err);
	if (rc != 0)
		return rc;
	return load_state(p, id, NULL, 0, out, err);
}

/* The scalar at a dotted path of a YAML text, or NULL. */
static char *
old_value(const char *text, size_t len, const char *path)
{
	struct ydoc		*doc;
	struct diags		 d;
	struct ydoc_node	*n;
	char			*key, *k, *dot, *r = NULL;

	if (text == NULL)
		return NULL;
	diags_init(&d);
	if (ydoc_parse(&doc, "x", text, len, &d) != 0) {
		diags_dispose(&d);
		return NULL;
	}
	diags_dispose(&d);
	n = doc->root;
	key = k = xstrdup(path);
	while (n != NULL && k != NULL) {
		dot = strchr(k, '.');
		if (dot != NULL)
			*dot++ = '\0';
		n = n->type == YDOC_MAP ? ydoc_get(n, k) : NULL;
		k = dot;
	}
	if (n != NULL && n->type == YDOC_SCALAR && !ydoc_is_null(n))
		r = xstrdup(n->str);
	else if (n != NULL && n->type != YDOC_SCALAR)
		r = xstrndup(text + n->start, n->end - n->start);
	free(key);
	ydoc_free(doc);
	return r;
}

/*
 * A value as a commit message says it: a variable that is sealed or looks
 * secret is shown as secret.h shows it, never in the clear.
 */
static void
what_value(struct buf *what, const char *path, const char *v)
{
	if (strncmp(path, "variables.", 10) == 0 && (seal_is_sealed(v) ||
	    secret_name_looks(path + 10)))
		secret_show(NULL, path + 10, v, what);
	else
		buf_puts(what, v);
}

static int
set_one(struct panel_ctx *c, const char *path, const char *value, int mode,
    struct rerr *err)
{
	struct buf	 nb;
	char		*was;
	int		 rc;

	was = old_value(buf_str(c->out), c->out->len, path);
	/* a key set to what it is, or removed when absent, is no change */
	if ((value == NULL && was == NULL) ||
	    (value != NULL && was != NULL && strcmp(was, value) == 0)) {
		free(was);
		return 0;
	}
	buf_init(&nb, 0);
	if (value == NULL)
		rc = yedit_delete(&nb, buf_str(c->out), c->out->len, path,
		    err);
	else
		rc = yedit_set(&nb, buf_str(c->out), c->out->len, path,
		    value, mode, err);
	if (rc != 0) {
		buf_dispose(&nb);
		free(was);
		return rc;
	}
	buf_reset(c->out);
	buf_add(c->out, buf_str(&nb), nb.len);
	buf_dispose(&nb);
	if (c->what->len > 0)
		buf_puts(c->what, ", ");
	buf_addf(c->what, "%s ", path);
	if (value == NULL) {
		what_value(c->what, path, was ? was : "");
		buf_puts(c->what, " -> (unset)");
	} else if (was != NULL) {
		what_value(c->what, path, was);
		buf_puts(c->what, " -> ");
		what_value(c->what, path, value);
	} else
		what_value(c->what, path, value);
	free(was);
	return 0;
}

static int
is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}


/* Applies one KEY=VALUE of "server set" to c->out. */
static int
set_kv(struct panel_ctx *c, const char *kv, struct rerr *err)
{
	const struct limit_def	*ld;
	const char		*eq = strchr(kv, '='), *v;
	char			*key, *path = NULL, *list, names[128];
	struct buf		 raw;
	int			 rc, mode = YEDIT_AUTO, num = 0;

	if (eq == NULL || eq == kv)
		return rerr_set(err, ROOST_EINVAL, "'%s' is not KEY=VALUE", kv);
	key = xstrndup(kv, eq - kv);
	v = eq + 1;
	if ((ld = limit_find(key)) != NULL) {
		xasprintf(&path, "limits.%s", ld->name);
		num = 1;
	} else if (strcmp(key, "port") == 0 || strcmp(key, "ports.default") == 0) {
		path = xstrdup("ports.default");
		num = 1;
	} else if (strcmp(key, "ports.extra") == 0) {
		buf_init(&raw, 0);
		buf_putc(&raw, '[');
		list = xstrdup(v);
		for (char *s = list, *t; (t = strsep(&s, ", ")) != NULL; ) {
			if (*t == '\0')
				continue;
			if (!is_int(t)) {
				rc = rerr_set(err, ROOST_EINVAL, "'%s' in "
				    "ports.extra is not a port number", t);
				free(list);
				buf_dispose(&raw);
				free(key);
				return rc;
			}
			buf_addf(&raw, "%s%s", raw.len > 1 ? ", " : "", t);
		}
		buf_putc(&raw, ']');
		free(list);
		rc = set_one(c, "ports.extra", buf_str(&raw), YEDIT_RAW, err);
		buf_dispose(&raw);
		free(key);
		return rc;
	} else if (strcmp(key, "image") == 0 || strcmp(key, "egg") == 0 ||
	    strcmp(key, "node") == 0) {
		path = xstrdup(key);
		if (*v == '\0' && strcmp(key, "image") != 0) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' cannot be "
			    "empty", key);
			free(path);
			free(key);
			return rc;
		}
	} else if (strcmp(key, "owner") == 0) {
		path = xstrdup(key);
		mode = YEDIT_STRING;
	} else if (strcmp(key, "state") == 0) {
		if (strcmp(v, "running") != 0 && strcmp(v, "stopped") != 0) {
			free(key);
			return rerr_set(err, ROOST_EINVAL, "state must be "
			    "'running' or 'stopped', not '%s'", v);
		}
		path = xstrdup(key);
	} else if (strncmp(key, "variables.", 10) == 0 && key[10] != '\0') {
		path = xstrdup(key);
		mode = YEDIT_STRING;
	} else if (egg_env_name_valid(key)) {
		xasprintf(&path, "variables.%s", key);
		mode = YEDIT_STRING;
	} else if (strcmp(key, "name") == 0) {
		free(key);
		return rerr_set(err, ROOST_EINVAL, "a server cannot be "
		    "renamed; create a new one and delete this one");
	} else {
		limit_names(names, sizeof(names));
		rc = rerr_set(err, ROOST_EINVAL, "unknown key '%s'; use "
		    "%s, image, egg, node, owner, state, port, ports.extra, "
		    "variables.NAME or an egg variable NAME", key, names);
		free(key);
		return rc;
	}
	if (num && !is_int(v)) {
		rc = rerr_set(err, ROOST_EINVAL, "'%s' must be a whole number, "
		    "not '%s'", key, v);
		free(path);
		free(key);
		return rc;
	}
	if (*v == '\0' && (strcmp(path, "image") == 0 ||
	    strcmp(path, "owner") == 0 || strncmp(path, "variables.", 10) == 0))
		rc = set_one(c, path, NULL, mode, err);
	else
		rc = set_one(c, path, v, mode, err);
	free(path);
	free(key);
	return rc;
}

struct set_arg {
	const char *const	*kv;
	size_t			 n;
	int			 vars;	/* every key is a variable name */
};

/* Sets one variable KEY=VALUE as variables.KEY; "" removes it. */
static int
set_var(struct panel_ctx *c, const char *kv, struct rerr *err)
{
	const char	*eq = strchr(kv, '=');
	char		*key, *path;
	int		 rc;

	if (eq == NULL || eq == kv)
		return rerr_set(err, ROOST_EINVAL, "'%s' is not KEY=VALUE", kv);
	key = xstrndup(kv, eq - kv);
	if (!egg_env_name_valid(key)) {
		rc = rerr_set(err, ROOST_EINVAL, "'%s' is not a variable "
		    "name; names match [A-Z_][A-Z0-9_]*", key);
		free(key);
		return rc;
	}
	xasprintf(&path, "variables.%s", key);
	rc = set_one(c, path, eq[1] != '\0' ? eq + 1 : NULL, YEDIT_STRING,
	    err);
	free(path);
	free(key);
	return rc;
}

static int
edit_set(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct set_arg	*a = arg;
	size_t		 i;
	int		 rc;

	buf_add(c->out, c->old, c->oldlen);
	for (i = 0; i < a->n; i++)
		if ((rc = (a->vars ? set_var : set_kv)(c, a->kv[i],
		    err)) != 0)
			return rc;
	return 0;
}

/* Sets fields of a server from KEY=VALUE items. */
int
panel_server_set(struct panel *p, const struct panel_req *req,
    const char *name, const char *const *kv, size_t nkv,
    struct panel_result *res, struct rerr *err)
{
	if (nkv == 0)
		return rerr_set(err, ROOST_EINVAL, "nothing to set; give "
		    "KEY=VALUE items such as memory=4096");
	return panel_set_apply(p, req, name, kv, nkv, 0, NULL, NULL, res, err);
}

/* Sets variables of a server from KEY=VALUE items (variables.KEY only). */
int
panel_server_set_vars(struct panel *p, const struct panel_req *req,
    const char *name, const char *const *kv, size_t nkv,
    struct panel_result *res, struct rerr *err)
{
	if (nkv == 0)
		return rerr_set(err, ROOST_EINVAL, "nothing to set; give "
		    "variables as KEY=VALUE");
	return panel_set_apply(p, req, name, kv, nkv, 1, NULL, NULL, res, err);
}

/* The current UTC time as RFC 3339, as restartedAt is written. */
static void
panel_now(char *out, size_t len)
{
	time_t		t;
	struct tm	tm;

	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The time of a one-shot request at path (restartedAt, reinstallAt,
 * backupRequestedAt, restore.requestedAt): now, or a second after the
 * time the file holds when that is not earlier, so that a second request
 * within the same second is a new request and not "no change".
 */
static void
request_time(struct panel_ctx *c, const char *path, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 t;
	char		*was;
	const char	*end;
	int		 rc;

	panel_now(out, len);
	snprintf(c->res->at, sizeof(c->res->at), "%s", out);
	was = old_value(buf_str(c->out), c->out->len, path);
	if (was == NULL || strlen(was) != strlen(out) ||
	    strcmp(was, out) < 0) {
		free(was);
		return;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(was, "%Y-%m-%dT%H:%M:%SZ", &tm);
	rc = end != NULL && *end == '\0' && (t = timegm(&tm)) != (time_t)-1;
	free(was);
	if (!rc)
		return;
	t++;
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(c->res->at, sizeof(c->res->at), "%s", out);
}

/* Sets the one-shot request at path to its request_time. */
static int
set_request(struct panel_ctx *c, const char *path, struct rerr *err)
{
	char	now[64];

	request_time(c, path, now, sizeof(now));
	return set_one(c, path, now, YEDIT_AUTO, err);
}

static int
edit_power(struct panel_ctx *c, void *arg, struct rerr *err)
{
	enum panel_power	 act = *(enum panel_power *)arg;

	buf_add(c->out, c->old, c->oldlen);
	switch (act) {
	case PANEL_START:
		return set_one(c, "state", "running", YEDIT_AUTO, err);
	case PANEL_STOP:
		return set_one(c, "state", "stopped", YEDIT_AUTO, err);
	case PANEL_RESTART:
		return set_request(c, "restartedAt", err);
	case PANEL_REINSTALL:
		return set_request(c, "reinstallAt", err);
	}
	return rerr_set(err, ROOST_EINVAL, "unknown power action");
}

/* start/stop/restart/reinstall a server. */
int
panel_server_power(struct panel *p, const struct panel_req *req,
    const char *name, enum panel_power action, struct panel_result *res,
    struct rerr *err)
{
	static const char *const cmds[] = { "server start", "server stop",
	    "server restart", "server reinstall" };
	struct panel_edit	 e = { NULL, NULL, 0, NULL, NULL, NULL };

	if ((int)action < 0 || action > PANEL_REINSTALL)
		return rerr_set(err, ROOST_EINVAL, "unknown power action");
	e.command = cmds[action];
	e.name = name;
	e.must_exist = 1;
	e.fn = edit_power;
	e.arg = &action;
	return panel_apply(p, req, &e, res, err);
}

static int
edit_backup(struct panel_ctx *c, void *arg, struct rerr *err)
{
	const char	*note = arg;
	int		 rc;

	buf_add(c->out, c->old, c->oldlen);
	if ((rc = set_request(c, "backupRequestedAt", err)) != 0)
		return rc;
	return set_one(c, "backupNote", note, YEDIT_STRING, err);
}

/* Asks for a backup now; see panel.h. */
int
panel_server_backup(struct panel *p, const struct panel_req *req,
    const char *name, const char *note, struct panel_result *res,
    struct rerr *err)
{
	struct panel_edit	e = { "server backup", name, 1, edit_backup,
				    (void *)note };
	const char		*q;

	if (note != NULL && *note == '\0')
		e.arg = NULL;
	if (note != NULL && strlen(note) > 200)
		return rerr_set(err, ROOST_EINVAL, "a backup note is at most "
		    "200 bytes");
	for (q = note; q != NULL && *q != '\0'; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return rerr_set(err, ROOST_EINVAL, "a backup note is "
			    "one line without control characters");
	return panel_apply(p, req, &e, res, err);
}

static int
edit_restore(struct panel_ctx *c, void *arg, struct rerr *err)
{
	const char	*id = arg;
	int		 rc;

	buf_add(c->out, c->old, c->oldlen);
	if ((rc = set_one(c, "restore.backup", id, YEDIT_STRING, err)) != 0)
		return rc;
	return set_request(c, "restore.requestedAt", err);
}

/* Asks for a restore; see panel.h. */
int
panel_server_restore(struct panel *p, const struct panel_req *req,
    const char *name, const char *id, struct panel_result *res,
    struct rerr *err)
{
	struct panel_edit	e = { "server restore", name, 1, edit_restore,
				    (void *)id };

	if (id == NULL || !state_backup_id_valid(id))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a backup id; "
		    "see the backups roost status NAME lists", id ? id : "");
	return panel_apply(p, req, &e, res, err);
}

static int
edit_delete(struct panel_ctx *c, void *arg, struct rerr *err)
{
	c->remove = 1;
	return 0;
}

/* Removes a server's file. */
int
panel_server_delete(struct panel *p, const struct panel_req *req,
    const char *name, struct panel_result *res, struct rerr *err)
{
	struct panel_edit	e = { "server delete", name, 1, edit_delete,
				    NULL };

	return panel_apply(p, req, &e, res, err);
}

static int64_t
node_used_memory(const struct state *st, const char *node)
{
	int64_t	sum = 0;
	size_t	i;

	for (i = 0; i < st->nservers; i++)
		if (st->servers[i]->node != NULL &&
		    strcmp(st->servers[i]->node, node) == 0 &&
		    st->servers[i]->limits.memory > 0)
			sum += st->servers[i]->limits.memory;
	return sum;
}

static int
port_used(const struct state *st, const char *node, int port)
{
	const struct state_server	*s;
	size_t				 i, j;

	for (i = 0; i < st->nservers; i++) {
		s = st->servers[i];
		if (s->node == NULL || strcmp(s->node, node) != 0)
			continue;
		if (s->port == port)
			return 1;
		for (j = 0; j < s->nextra_ports; j++)
			if (s->extra_ports[j] == port)
				return 1;
	}
	return 0;
}

static int
edit_create(struct panel_ctx *c, void *arg, struct rerr *err)
{
	const struct panel_server_spec	*sp = arg;
	const struct state		*st = c->st;
	struct state_node		*node = NULL, *nd;
	struct state_server		 srv;
	struct state_var		*vars = NULL;
	const char			*eq;
	double				 freemem, best = -1;
	int64_t				 mem;
	size_t				 i;
	int				 port = sp->port, lo, rc = 0;

	if (sp->egg == NULL || *sp->egg == '\0')
		return rerr_set(err, ROOST_EINVAL, "a new server needs an egg "
		    "(--egg nest/name); see \"roost egg list\"");
	if (sp->owner == NULL || !state_snowflake_valid(sp->owner))
		return rerr_set(err, ROOST_EINVAL, "a new server needs an owner:"
		    " a Discord user id of 17 to 20 digits (--owner), not "
		    "'%s'", sp->owner ? sp->owner : "");
	mem = sp->memory > 0 ? sp->memory : st->conf.defaults.memory > 0 ?
	    st->conf.defaults.memory : 0;
	if (sp->node != NULL) {
		if ((node = state_node_find(st, sp->node)) == NULL)
			return rerr_set(err, ROOST_EINVAL, "node '%s' does not "
			    "exist; add nodes/%s.yaml or pick another node",
			    sp->node, sp->node);
	} else if (st->conf.default_node != NULL &&
	    (node = state_node_find(st, st->conf.default_node)) != NULL)
		;
	else {
		for (i = 0; i < st->nnodes; i++) {
			nd = &st->nodes[i];
			if (!nd->valid)
				continue;
			freemem = (double)nd->cap_memory *
			    (nd->oversubscribe >= 1.0 ? nd->oversubscribe : 1.0)
			    - (double)node_used_memory(st, nd->name);
			if (nd->cap_memory > 0 && mem > 0 && freemem < mem)
				continue;
			if (freemem > best) {
				best = freemem;
				node = nd;
			}
		}
		if (node == NULL)
			return rerr_set(err, ROOST_EINVAL, st->nnodes == 0 ?
			    "there are no nodes; add one under nodes/" :
			    "no node has %lld MiB of memory free; free some "
			    "or pass a node", (long long)mem);
	}
	if (port == 0) {
		for (i = 0; port == 0 && i < node->nports; i++)
			for (lo = node->ports[i].lo; lo <= node->ports[i].hi;
			    lo++)
				if (!port_used(st, node->name, lo)) {
					port = lo;
					break;
				}
		if (port == 0)
			return rerr_set(err, ROOST_EINVAL, "node '%s' has no "
			    "free port in its allocations; widen its port "
			    "ranges or pick another node", node->name);
	}
	memset(&srv, 0, sizeof(srv));
	srv.path = (char *)c->path;
	srv.name = (char *)c->name;
	srv.owner = (char *)sp->owner;
	srv.node = node->name;
	srv.egg = (char *)sp->egg;
	srv.image = (char *)sp->image;
	srv.state = sp->stopped ? STATE_STOPPED : STATE_RUNNING;
	srv.limits.memory = sp->memory > 0 ? sp->memory : 0;
	srv.limits.disk = sp->disk > 0 ? sp->disk : 0;
	srv.limits.cpu = sp->cpu >= 0 ? sp->cpu : 0;
	srv.port = port;
	if (sp->nvars > 0)
		vars = xcalloc(sp->nvars, sizeof(*vars));
	for (i = 0; i < sp->nvars; i++) {
		if ((eq = strchr(sp->vars[i], '=')) == NULL ||
		    eq == sp->vars[i]) {
			rc = rerr_set(err, ROOST_EINVAL, "variable '%s' is not "
			    "KEY=VALUE", sp->vars[i]);
			goto done;
		}
		vars[i].key = xstrndup(sp->vars[i], eq - sp->vars[i]);
		vars[i].value = xstrdup(eq + 1);
	}
	srv.vars = vars;
	srv.nvars = sp->nvars;
	state_server_write(&srv, c->out);
	/* limits not given are left out, so roost.yaml's defaults apply */
	for (i = 0; i < LIMIT_COUNT; i++) {
		struct buf nb;
		char *lp;

		if ((i == LIMIT_MEMORY && sp->memory > 0) ||
		    (i == LIMIT_CPU && sp->cpu >= 0) ||
		    (i == LIMIT_DISK && sp->disk > 0))
			continue;
		xasprintf(&lp, "limits.%s", limit_table[i].name);
		buf_init(&nb, 0);
		if ((rc = yedit_delete(&nb, buf_str(c->out), c->out->len, lp,
		    err)) == 0) {
			buf_reset(c->out);
			buf_add(c->out, buf_str(&nb), nb.len);
		}
		buf_dispose(&nb);
		free(lp);
		if (rc != 0)
			goto done;
	}
	if (sp->memory <= 0 && sp->cpu < 0 && sp->disk <= 0) {
		struct buf nb;

		buf_init(&nb, 0);
		if (yedit_delete(&nb, buf_str(c->out), c->out->len, "limits",
		    NULL) == 0) {
			buf_reset(c->out);
			buf_add(c->out, buf_str(&nb), nb.len);
		}
		buf_dispose(&nb);
	}
	buf_addf(c->what, "egg %s on node %s, port %d", sp->egg, node->name,
	    port);
done:
	for (i = 0; i < sp->nvars && vars != NULL; i++) {
		free(vars[i].key);
		free(vars[i].value);
	}
	free(vars);
	return rc;
}

/* Creates servers/<name>.yaml. */
int
panel_server_create(struct panel *p, const struct panel_req *req,
    const struct panel_server_spec *spec, struct panel_result *res,
    struct rerr *err)
{
	struct panel_edit	e = { "server create", spec->name, 0,
				    edit_create, (void *)spec };

	if (spec->name == NULL)
		return rerr_set(err, ROOST_EINVAL, "a new server needs a name");
	return panel_apply(p, req, &e, res, err);
}

/* Makes a random password of len characters. */
void
panel_password_generate(char *out, size_t len)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	    "abcdefghijkmnopqrstuvwxyz23456789";
	unsigned char	 rnd[64];
	size_t		 o = 0, i, na = sizeof(alpha) - 1;
	size_t		 lim = 256 - 256 % na;

	while (o < len) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			abort();
		for (i = 0; i < sizeof(rnd) && o < len; i++)
			if (rnd[i] < lim)
				out[o++] = alpha[rnd[i] % na];
	}
	out[len] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
}

/* Hashes password with yescrypt. */
int
panel_password_hash(const char *password, char **out, struct rerr *err)
{
	struct crypt_data	*cd;
	char			*salt, *h;
	int			 rc = 0;

	*out = NULL;
	if ((salt = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL)
		return rerr_errno(err, -1, "cannot make a yescrypt salt");
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(password, salt, cd);
	if (h == NULL || h[0] != '$')
		rc = rerr_set(err, -1, "cannot hash the password with "
		    "yescrypt");
	else
		*out = xstrdup(h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(salt);
	return rc;
}

static void
perms_list(struct buf *b, unsigned perms, int sftp)
{
	static const char *const sn[] = { "read", "write", "delete" };
	struct buf	 names;
	char		*s, *t, *list;
	int		 first = 1, i;

	buf_putc(b, '[');
	if (sftp) {
		for (i = 0; i < 3; i++)
			if (perms & (1u << i)) {
				buf_addf(b, "%s%s", first ? "" : ", ", sn[i]);
				first = 0;
			}
	} else {
		buf_init(&names, 0);
		state_perm_format(perms, &names);
		list = s = buf_detach(&names);
		while ((t = strsep(&s, ", ")) != NULL) {
			if (*t == '\0')
				continue;
			buf_addf(b, "%s%s", first ? "" : ", ", t);
			first = 0;
		}
		free(list);
	}
	buf_putc(b, ']');
}

static int
sftp_perms_parse_old(const struct state_sftp_user *u)
{
	return (int)u->perms;
}

struct sftp_arg {
	const struct panel_sftp	*op;
	char			*hash;		/* for this run */
};

static int
edit_sftp(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct sftp_arg			*a = arg;
	const struct panel_sftp		*op = a->op;
	const struct state_server	*srv;
	struct buf			 raw;
	size_t				 i, j, n = 0;
	int				 found = 0, rc;

	buf_add(c->out, c->old, c->oldlen);
	srv = state_server_find(c->st, c->name);
	if (srv == NULL)
		return rerr_set(err, ROOST_EINVAL, "server '%s' does not load;"
		    " fix its file first (roost validate)", c->name);
	buf_init(&raw, 0);
	for (i = 0; i < srv->nsftp; i++) {
		const struct state_sftp_user *u = &srv->sftp[i];
		int is = strcmp(u->user, op->user) == 0;
		const char *pw = u->password;
		int perms = sftp_perms_parse_old(u);

		if (is) {
			found = 1;
			if (op->remove)
				continue;
			if (a->hash != NULL)
				pw = a->hash;
			if (op->perms >= 0)
				perms = op->perms;
		}
		buf_puts(&raw, "\n- user: ");
		ywrite_quoted(&raw, u->user);
		if (pw != NULL) {
			buf_puts(&raw, "\n  password: ");
			ywrite_quoted(&raw, pw);
		}
		if (u->nkeys > 0 || (is && op->key != NULL)) {
			buf_puts(&raw, "\n  keys:");
			for (j = 0; j < u->nkeys; j++) {
				buf_puts(&raw, "\n    - ");
				ywrite_quoted(&raw, u->keys[j]);
			}
			if (is && op->key != NULL) {
				buf_puts(&raw, "\n    - ");
				ywrite_quoted(&raw, op->key);
			}
		}
		buf_puts(&raw, "\n  permissions: ");
		perms_list(&raw, (unsigned)perms, 1);
		n++;
	}
	if (!found && op->remove) {
		buf_dispose(&raw);
		return rerr_set(err, ROOST_ENOTFOUND, "server '%s' has no SFTP "
		    "user '%s'", c->name, op->user);
	}
	if (!found) {
		buf_puts(&raw, "\n- user: ");
		ywrite_quoted(&raw, op->user);
		if (a->hash != NULL) {
			buf_puts(&raw, "\n  password: ");
			ywrite_quoted(&raw, a->hash);
		}
		if (op->key != NULL) {
			buf_puts(&raw, "\n  keys:\n    - ");
			ywrite_quoted(&raw, op->key);
		}
		buf_puts(&raw, "\n  permissions: ");
		perms_list(&raw, op->perms >= 0 ? (unsigned)op->perms :
		    SFTP_PERM_READ | SFTP_PERM_WRITE | SFTP_PERM_DELETE, 1);
		n++;
	}
	{
		struct buf nb;

		buf_init(&nb, 0);
		if (n == 0)
			rc = yedit_delete(&nb, buf_str(c->out), c->out->len,
			    "sftp", err);
		else
			rc = yedit_set(&nb, buf_str(c->out), c->out->len,
			    "sftp", buf_str(&raw) + 1, YEDIT_RAW, err);
		if (rc == 0) {
			buf_reset(c->out);
			buf_add(c->out, buf_str(&nb), nb.len);
		}
		buf_dispose(&nb);
	}
	buf_dispose(&raw);
	if (rc != 0)
		return rc;
	if (op->remove)
		buf_addf(c->what, "remove SFTP user %s", op->user);
	else {
		buf_addf(c->what, "SFTP user %s", op->user);
		if (a->hash != NULL)
			buf_puts(c->what, ", new password");
		if (op->key != NULL)
			buf_puts(c->what, ", add key");
		if (op->perms >= 0) {
			buf_puts(c->what, ", permissions ");
			perms_list(c->what, (unsigned)op->perms, 1);
		}
	}
	return 0;
}

static int
sftp_user_valid(const char *u)
{
	size_t	i;

	if (u == NULL || *u == '\0' || strlen(u) > 32)
		return 0;
	for (i = 0; u[i] != '\0'; i++)
		if (!islower((unsigned char)u[i]) && !isdigit((unsigned char)u[i])
		    && u[i] != '-' && u[i] != '_' && u[i] != '.')
			return 0;
	return 1;
}

/* Adds, changes or removes an SFTP user. */
int
panel_sftp_set(struct panel *p, const struct panel_req *req,
    const char *name, const struct panel_sftp *op, struct panel_result *res,
    struct rerr *err)
{
	struct sftp_arg		 a;
	struct panel_edit	 e = { "server sftp", name, 1, edit_sftp, &a };
	char			 pw[PANEL_PWLEN + 1];
	int			 rc;

	if (!sftp_user_valid(op->user))
		return rerr_set(err, ROOST_EINVAL, "SFTP user '%s' is not "
		    "valid; use 1 to 32 of a-z, 0-9, '-', '_' and '.'",
		    op->user ? op->user : "");
	if (op->key != NULL && (strncmp(op->key, "ssh-", 4) != 0 &&
	    strncmp(op->key, "ecdsa-", 6) != 0 &&
	    strncmp(op->key, "sk-", 3) != 0))
		return rerr_set(err, ROOST_EINVAL, "the key is not an OpenSSH "
		    "public key (\"ssh-ed25519 AAAA... comment\")");
	if (op->key != NULL && strchr(op->key, '\n') != NULL)
		return rerr_set(err, ROOST_EINVAL, "give one public key, on "
		    "one line");
	memset(&a, 0, sizeof(a));
	a.op = op;
	if (op->generate) {
		panel_password_generate(pw, PANEL_PWLEN);
		rc = panel_password_hash(pw, &a.hash, err);
	} else if (op->password != NULL) {
		if (strlen(op->password) < 8)
			return rerr_set(err, ROOST_EINVAL, "the password is too "
			    "short; use at least 8 characters");
		rc = panel_password_hash(op->password, &a.hash, err);
	} else
		rc = 0;
	if (rc == 0)
		rc = panel_apply(p, req, &e, res, err);
	if (rc == 0 && op->generate && !res->existing) {
		free(res->password);
		res->password = xstrdup(pw);
	}
	explicit_bzero(pw, sizeof(pw));
	free(a.hash);
	return rc;
}

struct member_arg {
	const char	*id;
	unsigned	 perms;
};

static int
edit_member(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct member_arg		*a = arg;
	const struct state_server	*srv;
	struct buf			 raw, nb;
	size_t				 i, n = 0;
	int				 found = 0, rc;
	unsigned			 perms;

	buf_add(c->out, c->old, c->oldlen);
	if ((srv = state_server_find(c->st, c->name)) == NULL)
		return rerr_set(err, ROOST_EINVAL, "server '%s' does not load;"
		    " fix its file first (roost validate)", c->name);
	buf_init(&raw, 0);
	for (i = 0; i < srv->nmembers; i++) {
		perms = srv->members[i].perms;
		if (strcmp(srv->members[i].id, a->id) == 0) {
			found = 1;
			if (a->perms == 0)
				continue;
			perms = a->perms;
		}
		buf_puts(&raw, "\n- id: ");
		ywrite_quoted(&raw, srv->members[i].id);
		buf_puts(&raw, "\n  permissions: ");
		perms_list(&raw, perms, 0);
		n++;
	}
	if (!found && a->perms == 0) {
		buf_dispose(&raw);
		return rerr_set(err, ROOST_ENOTFOUND, "'%s' is not a member of "
		    "server '%s'", a->id, c->name);
	}
	if (!found) {
		buf_puts(&raw, "\n- id: ");
		ywrite_quoted(&raw, a->id);
		buf_puts(&raw, "\n  permissions: ");
		perms_list(&raw, a->perms, 0);
		n++;
	}
	buf_init(&nb, 0);
	if (n == 0)
		rc = yedit_delete(&nb, buf_str(c->out), c->out->len, "members",
		    err);
	else
		rc = yedit_set(&nb, buf_str(c->out), c->out->len, "members",
		    buf_str(&raw) + 1, YEDIT_RAW, err);
	if (rc == 0) {
		buf_reset(c->out);
		buf_add(c->out, buf_str(&nb), nb.len);
		if (a->perms == 0)
			buf_addf(c->what, "remove member %s", a->id);
		else {
			buf_addf(c->what, "member %s ", a->id);
			perms_list(c->what, a->perms, 0);
		}
	}
	buf_dispose(&nb);
	buf_dispose(&raw);
	return rc;
}

/* Sets or removes a member of a server. */
int
panel_member_set(struct panel *p, const struct panel_req *req,
    const char *name, const char *id, unsigned perms,
    struct panel_result *res, struct rerr *err)
{
	struct member_arg	 a = { id, perms };
	struct panel_edit	 e = { "server member", name, 1, edit_member,
				    &a };

	if (id == NULL || !state_snowflake_valid(id))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a Discord user "
		    "id", id ? id : "");
	return panel_apply(p, req, &e, res, err);
}

/* The history of servers/<name>.yaml on the branch. */
int
panel_server_history(struct panel *p, const char *name, size_t max,
    struct gitstore_logent **out, size_t *n, struct rerr *err)
{
	char	*path, *ref;
	int	 rc;

	if (!state_name_valid(name))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a valid server "
		    "name", name);
	xasprintf(&path, "servers/%s.yaml", name);
	xasprintf(&ref, "refs/heads/%s", p->branch);
	rc = gitstore_file_log(p->gs, ref, path, max, out, n, err);
	free(path);
	free(ref);
	return rc;
}

/*
 * The capacity check of a move: the servers of node nd plus srv within
 * its capacity (times its oversubscription). Returns 0 or an error.
 */
static int
move_capacity(const struct state *st, const struct state_node *nd,
    const struct state_server *srv, struct rerr *err)
{
	const struct state_server	*s;
	double				 k;
	int64_t				 mem, disk, cpu;
	size_t				 i;

	mem = srv->limits.memory > 0 ? srv->limits.memory : 0;
	disk = srv->limits.disk > 0 ? srv->limits.disk : 0;
	cpu = srv->limits.cpu > 0 ? srv->limits.cpu : 0;
	for (i = 0; i < st->nservers; i++) {
		s = st->servers[i];
		if (s == srv || s->node == NULL || strcmp(s->node,
		    nd->name) != 0)
			continue;
		mem += s->limits.memory > 0 ? s->limits.memory : 0;
		disk += s->limits.disk > 0 ? s->limits.disk : 0;
		cpu += s->limits.cpu > 0 ? s->limits.cpu : 0;
	}
	k = nd->oversubscribe >= 1.0 ? nd->oversubscribe : 1.0;
	if ((nd->cap_memory > 0 && (double)mem > nd->cap_memory * k) ||
	    (nd->cap_disk > 0 && (double)disk > nd->cap_disk * k) ||
	    (nd->cap_cpu > 0 && (double)cpu > nd->cap_cpu * k))
		return rerr_set(err, ROOST_EINVAL, "node '%s' has no room for "
		    "server '%s': with it the node would hold %lld MiB memory, "
		    "%lld MiB disk and %lld%% cpu, over its capacity of %lld "
		    "MiB, %lld MiB and %lld%% (x%.2f oversubscription)",
		    nd->name, srv->name, (long long)mem, (long long)disk,
		    (long long)cpu, (long long)nd->cap_memory,
		    (long long)nd->cap_disk, (long long)nd->cap_cpu, k);
	return 0;
}

/*
 * The port a moved server gets on node nd: its own when it lies in the
 * node's ranges and no other server there uses it, else the first free
 * one. Extra ports must fit as they are. Returns 0 or an error.
 */
static int
move_port(const struct state *st, const struct state_node *nd,
    const struct state_server *srv, int *port, struct rerr *err)
{
	size_t	i;
	int	lo;

	for (i = 0; i < srv->nextra_ports; i++)
		if (!state_node_has_port(nd, srv->extra_ports[i]) ||
		    port_used(st, nd->name, srv->extra_ports[i]))
			return rerr_set(err, ROOST_EINVAL, "extra port %d of "
			    "server '%s' is outside node '%s''s port ranges or "
			    "taken there; change the server's ports first",
			    srv->extra_ports[i], srv->name, nd->name);
	*port = srv->port;
	if (*port != 0 && state_node_has_port(nd, *port) &&
	    !port_used(st, nd->name, *port))
		return 0;
	*port = 0;
	for (i = 0; *port == 0 && i < nd->nports; i++)
		for (lo = nd->ports[i].lo; lo <= nd->ports[i].hi; lo++)
			if (!port_used(st, nd->name, lo)) {
				*port = lo;
				break;
			}
	if (*port == 0)
		return rerr_set(err, ROOST_EINVAL, "node '%s' has no free port "
		    "in its allocations; widen its port ranges or pick another "
		    "node", nd->name);
	return 0;
}

static int
edit_move(struct panel_ctx *c, void *arg, struct rerr *err)
{
	const char			*to = arg;
	const struct state_server	*srv;
	const struct state_node		*nd;
	char				 now[64], pbuf[16];
	int				 rc, port;

	buf_add(c->out, c->old, c->oldlen);
	if ((srv = state_server_find(c->st, c->name)) == NULL ||
	    srv->node == NULL)
		return rerr_set(err, ROOST_EINVAL, "%s: the server file has no "
		    "valid node: to move from; fix it first", c->path);
	if ((nd = state_node_find(c->st, to)) == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, "node '%s' does not "
		    "exist; add nodes/%s.yaml or pick another node", to, to);
	if (!nd->valid)
		return rerr_set(err, ROOST_EINVAL, "node '%s' is invalid "
		    "(see roost validate); fix nodes/%s.yaml first", to, to);
	if (strcmp(srv->node, to) == 0)
		return rerr_set(err, ROOST_EINVAL, "server '%s' is already on "
		    "node '%s'", c->name, to);
	if ((rc = move_capacity(c->st, nd, srv, err)) != 0 ||
	    (rc = move_port(c->st, nd, srv, &port, err)) != 0)
		return rc;
	panel_now(now, sizeof(now));
	if ((rc = set_one(c, "node", to, YEDIT_STRING, err)) != 0)
		return rc;
	if (port != srv->port) {
		snprintf(pbuf, sizeof(pbuf), "%d", port);
		if ((rc = set_one(c, "ports.default", pbuf, YEDIT_AUTO, err)) != 0)
			return rc;
	}
	/* A restore asked for on the old node is not done on the new one. */
	if (srv->restore_at != NULL) {
		struct buf	nb;

		buf_init(&nb, 0);
		if ((rc = yedit_delete(&nb, buf_str(c->out), c->out->len,
		    "restore", err)) != 0) {
			buf_dispose(&nb);
			return rc;
		}
		buf_reset(c->out);
		buf_add(c->out, buf_str(&nb), nb.len);
		buf_dispose(&nb);
		buf_puts(c->what, ", restore (unset)");
	}
	/* The old node's one-shot backup is not taken again on the new one. */
	if ((rc = set_one(c, "backupRequestedAt", NULL, YEDIT_AUTO, err)) != 0 ||
	    (rc = set_one(c, "backupNote", NULL, YEDIT_AUTO, err)) != 0)
		return rc;
	if ((rc = set_one(c, "move.from", srv->node, YEDIT_STRING, err)) != 0)
		return rc;
	return set_one(c, "move.requestedAt", now, YEDIT_AUTO, err);
}

/* Moves a server to another node; see panel.h. */
int
panel_server_move(struct panel *p, const struct panel_req *req,
    const char *name, const char *node, struct panel_result *res,
    struct rerr *err)
{
	struct panel_edit	e = { "server move", name, 1, edit_move,
				    (void *)node };

	if (node == NULL || !state_name_valid(node))
		return rerr_set(err, ROOST_EINVAL, "'%s' is not a node name",
		    node != NULL ? node : "");
	return panel_apply(p, req, &e, res, err);
}

/* The edit of panel_server_set or _vars, made as a proposal; panel_int.h. */
int
panel_set_apply(struct panel *p, const struct panel_req *req,
    const char *name, const char *const *kv, size_t nkv, int vars,
    const char *branch, const char *trailer, struct panel_result *res,
    struct rerr *err)
{
	struct set_arg		a = { kv, nkv, vars };
	struct panel_edit	e = { vars ? "server vars" : "server set",
				    name, 1, edit_set, &a, trailer, branch };

	if (nkv == 0)
		return rerr_set(err, ROOST_EINVAL, "nothing to set; give "
		    "KEY=VALUE items");
	return panel_apply(p, req, &e, res, err);
}
