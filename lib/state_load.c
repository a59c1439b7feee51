/*
 * state_load: reading the files of a state repository (through a struct
 * state_src: the work tree's is here, a commit's is gitstore's) into a
 * struct state. Every file is a YAML map described by a field table
 * (lib/fields.c, the reader roostd.yaml and bot.yaml share); the table
 * says each key's type, bounds and destination, and unknown keys are
 * reported with the closest known key.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "fields.h"
#include "ignore.h"
#include "limit.h"
#include "rerr.h"
#include "seal.h"
#include "state.h"
#include "state_int.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"

/* ---- helpers for sources ---- */

/* A content id: FNV-1a over the bytes, and the length. */
void
state_content_id(const char *p, size_t len, char *id, size_t idlen)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	snprintf(id, idlen, "f%016llx%08zx", (unsigned long long)h, len);
}

/* ---- the work-tree source ---- */

/*
 * Files of a work tree are opened one path component at a time through
 * directory fds with O_NOFOLLOW, so a symlink anywhere under the root
 * (servers/x.yaml -> /etc/shadow, or servers -> /etc) is refused rather
 * than followed out of the repository: git stores a symlink as a link,
 * never as the file it names, and roost reads a work tree the same way.
 * Only regular files are read (a FIFO would block, a device leak).
 */
static int
dirsrc_open(const char *root, const char *rel, int wantdir, int *fdp,
    struct rerr *err)
{
	struct stat	 sb;
	char		*copy, *comp, *next;
	int		 fd, nfd, last, rc = 0;

	*fdp = -1;
	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return rerr_set(err, ROOST_ENOTFOUND, "'%s' does not "
			    "exist", root);
		return rerr_errno(err, -1, "cannot open '%s'", root);
	}
	copy = xstrdup(rel);
	for (comp = copy; comp != NULL; comp = next) {
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		last = next == NULL;
		if (*comp == '\0' || strcmp(comp, ".") == 0) {
			if (last && !wantdir) {
				rc = rerr_set(err, ROOST_EINVAL, "'%s' is not "
				    "a file", rel);
				break;
			}
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' leaves the "
			    "repository", rel);
			break;
		}
		nfd = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK | (last && !wantdir ? 0 :
		    O_DIRECTORY));
		if (nfd == -1 && fstatat(fd, comp, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode)) {
			rc = rerr_set(err, ROOST_EINVAL, "'%s' is a symlink; "
			    "symlinks are not allowed in a state repository",
			    rel);
			break;
		}
		if (nfd == -1) {
			if (errno == ENOENT || errno == ENOTDIR)
				rc = rerr_set(err, ROOST_ENOTFOUND, "'%s' does "
				    "not exist", rel);
			else
				rc = rerr_errno(err, -1, "cannot open '%s'",
				    rel);
			break;
		}
		close(fd);
		fd = nfd;
	}
	free(copy);
	if (rc == 0 && !wantdir && (fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode)))
		rc = rerr_set(err, ROOST_EINVAL, "'%s' is not a regular file",
		    rel);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
dirsrc_list(void *arg, const char *dir, char ***names, size_t *n,
    struct rerr *err)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 cap = 0;
	int		 fd, rc;

	*names = NULL;
	*n = 0;
	if ((rc = dirsrc_open(arg, dir, 1, &fd, err)) != 0)
		return rc;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return rerr_errno(err, -1, "cannot read '%s'", dir);
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xreallocarray(*names, cap, sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), name_cmp);
	return 0;
}

static int
dirsrc_read(void *arg, const char *rel, struct buf *out, char *id,
    size_t idlen, struct rerr *err)
{
	char		 chunk[65536];
	size_t		 before = out->len;
	ssize_t		 r;
	int		 fd, rc;

	if ((rc = dirsrc_open(arg, rel, 0, &fd, err)) != 0)
		return rc;
	for (;;) {
		if ((r = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			rc = rerr_errno(err, -1, "cannot read '%s'", rel);
			break;
		}
		if (r == 0)
			break;
		if (buf_add(out, chunk, (size_t)r) == -1) {
			rc = rerr_set(err, -1, "'%s' is too large", rel);
			break;
		}
	}
	close(fd);
	if (rc != 0)
		return rc;
	state_content_id(out->data + before, out->len - before, id, idlen);
	return 0;
}

static int
dirsrc_isdir(void *arg, const char *rel)
{
	struct rerr	err;
	int		fd;

	rerr_init(&err);
	if (dirsrc_open(arg, rel, 1, &fd, &err) != 0)
		return 0;
	close(fd);
	return 1;
}

/* A source reading the work tree at dir. */
void
state_src_dir(struct state_src *out, const char *dir)
{
	memset(out, 0, sizeof(*out));
	out->arg = (void *)dir;
	out->list = dirsrc_list;
	out->read = dirsrc_read;
	out->isdir = dirsrc_isdir;
}


/* ---- field tables (lib/fields.c reads them) ---- */

/* Refuses a list longer than max, naming the first item past it. */
static int
list_too_long(struct fields_ctx *c, const struct ydoc_node *n, const char *what,
    size_t max)
{
	if (n->n <= max)
		return 0;
	fields_err(c, ydoc_item(n, max), "more than %zu %s; at most %zu are allowed",
	    max, what, max);
	return 1;
}

/*
 * Refuses n when it is not a list ("'name' must be a list of shape") or
 * holds more than max items (what names them).
 */
static int
list_bad(struct fields_ctx *c, const struct ydoc_node *n, const char *name,
    const char *shape, const char *what, size_t max)
{
	if (n->type != YDOC_SEQ) {
		fields_err(c, n, "'%s' must be a list of %s", name, shape);
		return 1;
	}
	return list_too_long(c, n, what, max);
}

/* Checks apiVersion and kind; both optional, but right when present. */
static void
check_header(struct fields_ctx *c, const struct ydoc_node *root, const char *kind)
{
	const struct ydoc_node	*v;

	if ((v = ydoc_get(root, "apiVersion")) != NULL &&
	    (!ydoc_is_scalar(v) || strcmp(v->str, "roost/v1") != 0))
		fields_err(c, v, "'apiVersion' must be roost/v1");
	if ((v = ydoc_get(root, "kind")) != NULL &&
	    (!ydoc_is_scalar(v) || strcmp(v->str, kind) != 0))
		fields_err(c, v, "'kind' must be %s in this file", kind);
}

static const struct ydoc_node *
root_map(struct fields_ctx *c, struct ydoc *doc)
{
	if (doc->root == NULL) {
		fields_err(c, NULL, "the file is empty");
		return NULL;
	}
	if (doc->root->type != YDOC_MAP) {
		fields_err(c, doc->root, "the file must be a map of keys, not %s",
		    ydoc_type_name(doc->root));
		return NULL;
	}
	return doc->root;
}

/* A permission list; reports unknown names. */
static unsigned
parse_perms(struct fields_ctx *c, const struct ydoc_node *n, int sftp)
{
	unsigned	perms = 0, p;
	size_t		i;

	if (n == NULL || ydoc_is_null(n))
		return 0;
	if (n->type != YDOC_SEQ) {
		fields_err(c, n, "'permissions' must be a list such as [%s]",
		    sftp ? "read, write" : "view, power");
		return 0;
	}
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *it = ydoc_item(n, i);

		if (it->type != YDOC_SCALAR) {
			fields_err(c, it, "permission names must be strings");
			continue;
		}
		if (sftp) {
			p = strcmp(it->str, "read") == 0 ? SFTP_PERM_READ :
			    strcmp(it->str, "write") == 0 ? SFTP_PERM_WRITE :
			    strcmp(it->str, "delete") == 0 ?
			    SFTP_PERM_DELETE : 0;
			if (p == 0)
				fields_err(c, it, "unknown sftp permission '%s' "
				    "(use read, write, delete)", it->str);
		} else {
			p = state_perm_parse(it->str);
			if (p == 0)
				fields_err(c, it, "unknown permission '%s' (use "
				    "view, power, edit, vars, sftp, delete, "
				    "create, reinstall, console, schedule, "
				    "admin or all)", it->str);
		}
		perms |= p;
	}
	return perms;
}

/* ---- roost.yaml ---- */

static void
load_limits(struct fields_ctx *c, const struct ydoc_node *n,
    struct state_limits *l, const char *where)
{
	struct field	f[LIMIT_COUNT];
	size_t		i;

	if (n == NULL || ydoc_is_null(n))
		return;
	if (n->type != YDOC_MAP) {
		fields_err(c, n, "'limits' must be a map such as { memory: 1024, "
		    "cpu: 100 }");
		return;
	}
	/* The fields and their bounds come from the limits table. */
	memset(f, 0, sizeof(f));
	for (i = 0; i < LIMIT_COUNT; i++) {
		f[i].name = limit_table[i].name;
		f[i].type = FIELD_INT64;
		f[i].off = limit_table[i].off;
		f[i].min = limit_table[i].min;
		f[i].max = limit_table[i].max;
	}
	fields_fill(c, n, f, LIMIT_COUNT, l, where);
}

/* Console line test; see state_int.h. */
int
state_console_line_ok(const char *s)
{
	const unsigned char	*p;

	if (*s == '\0' || strlen(s) > 512)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Reads a list of strings (key name, at most max) into *out; lines says
 * each is a console line, else an ignore pattern. Sets *set.
 */
static void
load_strlist(struct fields_ctx *c, const struct ydoc_node *n,
    const char *name, size_t max, int lines, char ***out, size_t *nout,
    int *set)
{
	const struct ydoc_node	*it;
	struct rerr		 err;
	size_t			 i;

	if (n == NULL || ydoc_is_null(n))
		return;
	if (list_bad(c, n, name, lines ? "console lines" :
	    "patterns such as \"*.log\"", lines ? "console lines" :
	    "ignore patterns", max))
		return;
	*set = 1;
	for (i = 0; i < n->n; i++) {
		it = ydoc_item(n, i);
		rerr_init(&err);
		if (!ydoc_is_scalar(it)) {
			fields_err(c, it, "each item of '%s' must be a string",
			    name);
			continue;
		}
		if (lines && !state_console_line_ok(it->str)) {
			fields_err(c, it, "'%s' lines must be one console line "
			    "of at most 512 bytes without control characters",
			    name);
			continue;
		}
		if (!lines && ignore_check(it->str, &err) != 0) {
			fields_err(c, it, "'%s': %s", name, err.msg);
			continue;
		}
		*out = xreallocarray(*out, *nout + 1, sizeof(char *));
		(*out)[(*nout)++] = xstrdup(it->str);
	}
}

/* True for a backup target's name as roostd.yaml may spell it. */
static int
target_name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n <= 64 && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-") == n;
}

/* Reads a backup policy map (where: "'backups'"). */
static void
load_backups(struct fields_ctx *c, const struct ydoc_node *n,
    struct state_backups *b, const char *where)
{
	static const struct field f[] = {
		{ "target", FIELD_STR, offsetof(struct state_backups, target),
		    0, 0, FIELD_NONEMPTY },
		{ "keep", FIELD_INT64, offsetof(struct state_backups, keep), 1,
		    STATE_BACKUP_KEEP_MAX },
		{ "ignore", FIELD_SKIP, 0, 0, 0 },
		{ "before", FIELD_SKIP, 0, 0, 0 },
		{ "after", FIELD_SKIP, 0, 0, 0 },
	};

	if (n == NULL || ydoc_is_null(n))
		return;
	if (n->type != YDOC_MAP) {
		fields_err(c, n, "%s must be a map such as { target: local, "
		    "keep: 5 }", where);
		return;
	}
	fields_fill_prefix(c, n, f, sizeof(f) / sizeof(f[0]), b,
	    strcmp(where, "'backups'") == 0 ? "backups" : "defaults.backups");
	if (b->target != NULL && !target_name_ok(b->target))
		fields_err(c, ydoc_get(n, "target"), "'backups.target' must be "
		    "the name of a target in roostd.yaml (letters, digits, _ "
		    "and -)");
	load_strlist(c, ydoc_get(n, "ignore"), "backups.ignore",
	    STATE_MAX_BACKUP_IGNORE, 0, &b->ignore, &b->nignore,
	    &b->set_ignore);
	load_strlist(c, ydoc_get(n, "before"), "backups.before",
	    STATE_MAX_BACKUP_LINES, 1, &b->before, &b->nbefore,
	    &b->set_before);
	load_strlist(c, ydoc_get(n, "after"), "backups.after",
	    STATE_MAX_BACKUP_LINES, 1, &b->after, &b->nafter, &b->set_after);
}

static void
limits_unset(struct state_limits *l)
{
	size_t	i;

	for (i = 0; i < LIMIT_COUNT; i++)
		*limit_field(l, &limit_table[i]) = STATE_UNSET;
}

/* alerts.channel: a Discord channel id. */
static void
alerts_channel(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct state_alerts	*a = obj;

	(void)f;
	if (!ydoc_is_scalar(v) || !state_snowflake_valid(v->str)) {
		fields_err(c, v, "'%s' must be a Discord channel id (17 to 20 "
		    "digits, quoted)", name);
		return;
	}
	free(a->channel);
	a->channel = xstrdup(v->str);
}

/*
 * alerts.on: a list of crash, crashloop, install, start, node, schedule,
 * backup.
 */
static void
alerts_on(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	static const struct { const char *name; unsigned bit; } kinds[] = {
		{ "crash", ALERT_CRASH }, { "crashloop", ALERT_CRASHLOOP },
		{ "install", ALERT_INSTALL }, { "start", ALERT_START },
		{ "node", ALERT_NODE }, { "schedule", ALERT_SCHEDULE },
		{ "backup", ALERT_BACKUP },
	};
	struct state_alerts	*a = obj;
	const struct ydoc_node	*it;
	size_t			 i, k;

	(void)f;
	if (v->type != YDOC_SEQ) {
		fields_err(c, v, "'%s' must be a list such as [crashloop, "
		    "install, node]", name);
		return;
	}
	a->on = 0;
	for (i = 0; i < v->n; i++) {
		it = ydoc_item(v, i);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (ydoc_is_scalar(it) && strcmp(it->str,
			    kinds[k].name) == 0)
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			fields_err(c, it, "'%s' takes crash, crashloop, "
			    "install, start, node, schedule and backup, not '%s'",
			    name,
			    ydoc_is_scalar(it) ? it->str : "a non-string");
		else
			a->on |= kinds[k].bit;
	}
}

/* proposals.roles: Discord role ids. */
static void
proposals_roles(struct fields_ctx *c, const struct field *f,
    const char *name, const struct ydoc_node *v, void *obj)
{
	struct state_proposals	*pr = obj;
	const struct ydoc_node	*it;
	size_t			 i;

	(void)f;
	if (v->type != YDOC_SEQ || v->n > 100) {
		fields_err(c, v, "'%s' must be a list of at most 100 Discord "
		    "role ids", name);
		return;
	}
	for (i = 0; i < v->n; i++) {
		it = ydoc_item(v, i);
		if (!ydoc_is_scalar(it) || !state_snowflake_valid(it->str)) {
			fields_err(c, it, "each of '%s' must be a Discord role "
			    "id (17 to 20 digits, quoted)", name);
			continue;
		}
		pr->roles = xreallocarray(pr->roles, pr->nroles + 1,
		    sizeof(char *));
		pr->roles[pr->nroles++] = xstrdup(it->str);
	}
}

/* roost.yaml's proposals: { enabled, roles }. */
static void
load_proposals(struct fields_ctx *c, const struct ydoc_node *root,
    struct state_proposals *pr)
{
	static const struct field f[] = {
		{ "enabled", FIELD_BOOL, offsetof(struct state_proposals,
		    enabled), 0, 0 },
		{ "roles", FIELD_FUNC, 0, 0, 0, 0, NULL, proposals_roles },
		{ NULL }
	};
	const struct ydoc_node	*v;

	if ((v = ydoc_get(root, "proposals")) == NULL || ydoc_is_null(v))
		return;
	if (v->type != YDOC_MAP)
		fields_err(c, v, "'proposals' must be a map such as "
		    "{ enabled: true }");
	else
		fields_fill_prefix(c, v, f, SIZE_MAX, pr, "proposals");
}

/* sealTo: the nodes every secret is sealed to. */
static void
conf_seal_to(struct fields_ctx *c, const struct field *f, const char *name,
    const struct ydoc_node *v, void *obj)
{
	struct state_conf	*conf = obj;
	size_t			 i;

	(void)f;
	if (v->type != YDOC_SEQ) {
		fields_err(c, v, "'%s' must be a list of node names", name);
		return;
	}
	for (i = 0; i < v->n; i++) {
		const struct ydoc_node *it = ydoc_item(v, i);

		if (!ydoc_is_scalar(it) || *it->str == '\0') {
			fields_err(c, it, "'%s' must be a list of node names",
			    name);
			continue;
		}
		conf->seal_to = xreallocarray(conf->seal_to,
		    conf->nseal_to + 1, sizeof(char *));
		conf->seal_to[conf->nseal_to++] = xstrdup(it->str);
	}
}

static void
load_conf(struct state *st, const char *path, const char *buf, size_t len)
{
	static const struct field f[] = {
		{ "apiVersion", FIELD_SKIP, 0, 0, 0 },
		{ "kind", FIELD_SKIP, 0, 0, 0 },
		{ "access", FIELD_SKIP, 0, 0, 0 },
		{ "defaults", FIELD_SKIP, 0, 0, 0 },
		{ "maxServersPerUser", FIELD_INT64,
		    offsetof(struct state_conf, max_servers_per_user), 0,
		    100000 },
		{ "alerts", FIELD_SKIP, 0, 0, 0 },
		{ "proposals", FIELD_SKIP, 0, 0, 0 },
		{ "requireSealedSecrets", FIELD_BOOL,
		    offsetof(struct state_conf, require_sealed), 0, 0 },
		{ "sealTo", FIELD_FUNC, 0, 0, 0, 0, NULL, conf_seal_to },
	};
	static const struct field af[] = {
		{ "channel", FIELD_FUNC, 0, 0, 0, 0, NULL, alerts_channel },
		{ "on", FIELD_FUNC, 0, 0, 0, 0, NULL, alerts_on },
		{ "nodeDownAfter", FIELD_DURATION,
		    offsetof(struct state_alerts, node_down_ms), 1000,
		    86400000 },
		{ NULL }
	};
	struct fields_ctx		 c = { path, st->diags };
	struct ydoc		*doc;
	const struct ydoc_node	*root, *acc, *def, *v;
	size_t			 i;

	if (ydoc_parse(&doc, path, buf, len, st->diags) != 0)
		return;
	if ((root = root_map(&c, doc)) == NULL)
		goto done;
	check_header(&c, root, "Config");
	fields_fill(&c, root, f, sizeof(f) / sizeof(f[0]), &st->conf, NULL);
	st->conf.alerts.on = ALERT_ALL;
	st->conf.alerts.node_down_ms = ALERT_NODE_DOWN_MS;
	if ((v = ydoc_get(root, "alerts")) != NULL && !ydoc_is_null(v)) {
		if (v->type != YDOC_MAP)
			fields_err(&c, v, "'alerts' must be a map such as "
			    "{ channel: \"123456789012345678\", on: [crashloop] }");
		else
			fields_fill_prefix(&c, v, af, SIZE_MAX,
			    &st->conf.alerts, "alerts");
	}
	load_proposals(&c, root, &st->conf.proposals);
	if ((acc = ydoc_get(root, "access")) != NULL && !ydoc_is_null(acc)) {
		if (acc->type != YDOC_SEQ)
			fields_err(&c, acc, "'access' must be a list of { role, "
			    "permissions }");
		else
			for (i = 0; i < acc->n; i++) {
				const struct ydoc_node *it = ydoc_item(acc, i);
				const struct ydoc_node *role;
				struct state_access *a;

				if (it->type != YDOC_MAP) {
					fields_err(&c, it, "each access rule must be "
					    "a map { role, permissions }");
					continue;
				}
				role = ydoc_get(it, "role");
				if (!ydoc_is_scalar(role) ||
				    !state_snowflake_valid(role->str)) {
					fields_err(&c, role ? role : it, "'role' must "
					    "be a Discord role id (17 to 20 "
					    "digits, quoted)");
					continue;
				}
				st->conf.access = xreallocarray(st->conf.access,
				    st->conf.naccess + 1,
				    sizeof(*st->conf.access));
				a = &st->conf.access[st->conf.naccess++];
				a->role = xstrdup(role->str);
				a->perms = parse_perms(&c, ydoc_get(it,
				    "permissions"), 0);
				{
					size_t k;

					for (k = 0; k < it->n; k++) {
						const char *kn =
						    ydoc_key(it, k)->str;

						if (strcmp(kn, "role") != 0 &&
						    strcmp(kn, "permissions") !=
						    0)
							fields_err(&c, ydoc_key(it, k),
							    "unknown key '%s' in "
							    "an access rule", kn);
					}
				}
			}
	}
	if ((def = ydoc_get(root, "defaults")) != NULL && !ydoc_is_null(def)) {
		if (def->type != YDOC_MAP)
			fields_err(&c, def, "'defaults' must be a map");
		else
			for (i = 0; i < def->n; i++) {
				const char *kn = ydoc_key(def, i)->str;

				v = ydoc_val(def, i);
				if (strcmp(kn, "limits") == 0)
					load_limits(&c, v, &st->conf.defaults,
					    "'defaults.limits'");
				else if (strcmp(kn, "backups") == 0)
					load_backups(&c, v, &st->conf.backups,
					    "'defaults.backups'");
				else if (strcmp(kn, "schedules") == 0)
					state_load_schedules(&c, v,
					    "defaults.schedules",
					    &st->conf.schedules);
				else if (strcmp(kn, "node") == 0 &&
				    ydoc_is_scalar(v))
					st->conf.default_node =
					    xstrdup(v->str);
				else
					fields_err(&c, ydoc_key(def, i), "unknown "
					    "key '%s' in 'defaults' (use limits, "
					    "backups, schedules or node)", kn);
			}
	}
done:
	ydoc_free(doc);
}

/* ---- nodes/<node>.yaml ---- */

static int
parse_port(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return (int)(end - s);
}

/* A node's ports: a list of ports and LOW-HIGH ranges. */
static void
node_ports(struct fields_ctx *c, const struct ydoc_node *root,
    struct state_node *n)
{
	const struct ydoc_node	*v;
	size_t			 i;

	if ((v = ydoc_get(root, "ports")) == NULL || ydoc_is_null(v))
		fields_err(c, root, "'ports' is required: the port ranges game "
		    "servers may use, e.g. [\"25565-25665\"]");
	else if (v->type != YDOC_SEQ)
		fields_err(c, v, "'ports' must be a list of ports and ranges such "
		    "as [\"25565-25665\", 27015]");
	else
		for (i = 0; i < v->n; i++) {
			const struct ydoc_node *it = ydoc_item(v, i);
			int lo, hi, k;

			if (it->type != YDOC_SCALAR ||
			    (k = parse_port(it->str, &lo)) < 0) {
				fields_err(c, it, "'%s' is not a port or a range "
				    "such as 25565-25665 (ports are 1 to 65535)",
				    it->type == YDOC_SCALAR ? it->str : "?");
				continue;
			}
			hi = lo;
			if (it->str[k] == '-' &&
			    parse_port(it->str + k + 1, &hi) < 0)
				hi = -1;
			else if (it->str[k] != '\0' && it->str[k] != '-')
				hi = -1;
			if (hi < lo) {
				fields_err(c, it, "'%s' is not a port range: write "
				    "LOW-HIGH with LOW <= HIGH", it->str);
				continue;
			}
			n->ports = xreallocarray(n->ports, n->nports + 1,
			    sizeof(*n->ports));
			n->ports[n->nports].lo = lo;
			n->ports[n->nports].hi = hi;
			n->nports++;
		}
}

/* How a node shares its memory: oversubscribe and memoryOverhead. */
static void
node_sharing(struct fields_ctx *c, const struct ydoc_node *root,
    struct state_node *n)
{
	const struct ydoc_node	*v;

	if ((v = ydoc_get(root, "oversubscribe")) != NULL) {
		char	*end;

		n->oversubscribe = ydoc_is_scalar(v) ? strtod(v->str, &end) :
		    0;
		if (!ydoc_is_scalar(v) || *end != '\0' ||
		    n->oversubscribe < 1.0 || n->oversubscribe > 100) {
			fields_err(c, v, "'oversubscribe' must be a ratio from 1.0 "
			    "to 100");
			n->oversubscribe = 1.0;
		}
	}
	if ((v = ydoc_get(root, "memoryOverhead")) != NULL) {
		int	pct;
		char	*end;

		if (ydoc_is_scalar(v) && strcmp(v->str, "wings") == 0)
			n->overhead = STATE_OVERHEAD_WINGS;
		else if (ydoc_is_scalar(v) && strcmp(v->str, "none") == 0)
			n->overhead = STATE_OVERHEAD_NONE;
		else if (ydoc_is_scalar(v) &&
		    (pct = (int)strtol(v->str, &end, 10)) >= 0 &&
		    pct <= 100 && end != v->str && strcmp(end, "%") == 0) {
			n->overhead = STATE_OVERHEAD_PERCENT;
			n->overhead_percent = pct;
		} else
			fields_err(c, v, "'memoryOverhead' must be wings, none or a "
			    "percentage such as 10%%");
	}
}

static void
load_node(struct state *st, const char *path, const char *stem,
    const char *buf, size_t len)
{
	static const struct field f[] = {
		{ "apiVersion", FIELD_SKIP, 0, 0, 0 },
		{ "kind", FIELD_SKIP, 0, 0, 0 },
		{ "name", FIELD_STR, offsetof(struct state_node, name), 0, 0 },
		{ "address", FIELD_STR, offsetof(struct state_node, address),
		    0, 0 },
		{ "publicAddress", FIELD_STR, offsetof(struct state_node,
		    public_address), 0, 0 },
		{ "ports", FIELD_SKIP, 0, 0, 0 },
		{ "capacity", FIELD_SKIP, 0, 0, 0 },
		{ "oversubscribe", FIELD_SKIP, 0, 0, 0 },
		{ "memoryOverhead", FIELD_SKIP, 0, 0, 0 },
		{ "allowEmpty", FIELD_BOOL, offsetof(struct state_node,
		    allow_empty), 0, 0 },
		{ "sealKey", FIELD_STR, offsetof(struct state_node, seal_key),
		    0, 0 },
	};
	static const struct field cf[] = {
		{ "memory", FIELD_INT64, offsetof(struct state_node, cap_memory),
		    0, 1LL << 40 },
		{ "disk", FIELD_INT64, offsetof(struct state_node, cap_disk), 0,
		    1LL << 50 },
		{ "cpu", FIELD_INT64, offsetof(struct state_node, cap_cpu), 0,
		    1000000 },
	};
	struct fields_ctx		 c = { path, st->diags };
	struct ydoc		*doc;
	const struct ydoc_node	*root, *v;
	struct state_node	*n;
	size_t			 before = st->diags->nerrors;
	unsigned char		 pk[SEAL_KEYLEN];

	if (ydoc_parse(&doc, path, buf, len, st->diags) != 0)
		return;
	st->nodes = xreallocarray(st->nodes, st->nnodes + 1,
	    sizeof(*st->nodes));
	n = &st->nodes[st->nnodes++];
	memset(n, 0, sizeof(*n));
	n->path = xstrdup(path);
	n->oversubscribe = 1.0;
	n->overhead = STATE_OVERHEAD_WINGS;
	if ((root = root_map(&c, doc)) == NULL)
		goto done;
	check_header(&c, root, "Node");
	fields_fill(&c, root, f, sizeof(f) / sizeof(f[0]), n, NULL);
	if (n->name == NULL)
		fields_err(&c, root, "'name' is required (it must be '%s', the "
		    "file's name)", stem);
	else if (strcmp(n->name, stem) != 0)
		fields_err(&c, ydoc_get(root, "name"), "'name' is '%s' but the file "
		    "is %s; they must match", n->name, path);
	if (n->address == NULL)
		fields_err(&c, root, "'address' is required: the IP address game "
		    "ports are bound to");
	if (n->public_address != NULL && (n->public_address[0] == '\0' ||
	    strpbrk(n->public_address, " \t/@?#") != NULL ||
	    (strchr(n->public_address, ':') != NULL &&
	    strchr(n->public_address, ':') == strrchr(n->public_address,
	    ':')))) {
		fields_err(&c, ydoc_get(root, "publicAddress"), "'publicAddress' "
		    "must be a host name or IP address players connect to "
		    "(no scheme, port or path), not '%s'", n->public_address);
		free(n->public_address);
		n->public_address = NULL;
	}
	if (n->public_address == NULL && n->address != NULL)
		n->public_address = xstrdup(n->address);
	if (n->seal_key != NULL && seal_pub_decode(n->seal_key, pk, NULL) != 0) {
		fields_err(&c, ydoc_get(root, "sealKey"), "'sealKey' must be "
		    "the node's public key as \"roost node pubkey\" prints it "
		    "(43 characters of URL-safe base64)");
		free(n->seal_key);
		n->seal_key = NULL;
	}
	if ((v = ydoc_get(root, "capacity")) != NULL && !ydoc_is_null(v)) {
		if (v->type != YDOC_MAP)
			fields_err(&c, v, "'capacity' must be a map { memory, disk, "
			    "cpu }");
		else
			fields_fill(&c, v, cf, 3, n, "'capacity'");
	}
	node_sharing(&c, root, n);
	node_ports(&c, root, n);
done:
	n->valid = st->diags->nerrors == before;
	if (n->name == NULL)
		n->name = xstrdup(stem);
	ydoc_free(doc);
}

/* ---- servers/<server>.yaml ---- */

static void
set_pos(struct state_server *s, enum state_pos_field f,
    const struct ydoc_node *n)
{
	if (n != NULL) {
		s->pos[f].line = n->line;
		s->pos[f].col = n->col;
	}
}

static int
port_value(struct fields_ctx *c, const struct ydoc_node *n, int *out)
{
	int64_t	v;

	if (fields_parse_int(n, &v) != 0 || v < 1 || v > 65535) {
		fields_err(c, n, "'%s' is not a port (1 to 65535)",
		    ydoc_is_scalar(n) ? n->str : "?");
		return -1;
	}
	*out = (int)v;
	return 0;
}

static void
load_ports(struct fields_ctx *c, struct state_server *s,
    const struct ydoc_node *n)
{
	const struct ydoc_node	*v;
	size_t			 i;

	if (n == NULL || ydoc_is_null(n)) {
		fields_err(c, NULL, "'ports.default' is required: the game's main "
		    "port, in the node's port ranges");
		return;
	}
	if (n->type == YDOC_SCALAR) {
		set_pos(s, STATE_POS_PORT, n);
		(void)port_value(c, n, &s->port);
		return;
	}
	if (n->type != YDOC_MAP) {
		fields_err(c, n, "'ports' must be a map { default: PORT, extra: "
		    "[PORT...] }");
		return;
	}
	for (i = 0; i < n->n; i++) {
		const char *k = ydoc_key(n, i)->str;

		if (strcmp(k, "default") != 0 && strcmp(k, "extra") != 0)
			fields_err(c, ydoc_key(n, i), "unknown key '%s' in 'ports' "
			    "(use default and extra)", k);
	}
	if ((v = ydoc_get(n, "default")) == NULL)
		fields_err(c, n, "'ports.default' is required");
	else {
		set_pos(s, STATE_POS_PORT, v);
		(void)port_value(c, v, &s->port);
	}
	if ((v = ydoc_get(n, "extra")) != NULL && !ydoc_is_null(v)) {
		set_pos(s, STATE_POS_EXTRA, v);
		if (list_bad(c, v, "ports.extra", "ports", "extra ports",
		    STATE_MAX_EXTRA_PORTS))
			return;
		for (i = 0; i < v->n; i++) {
			int p;

			if (port_value(c, ydoc_item(v, i), &p) != 0)
				continue;
			s->extra_ports = xreallocarray(s->extra_ports,
			    s->nextra_ports + 1, sizeof(int));
			s->extra_ports[s->nextra_ports++] = p;
		}
	}
}

static void
load_vars(struct fields_ctx *c, struct state_server *s, const struct ydoc_node *n)
{
	size_t	i;

	if (n == NULL || ydoc_is_null(n))
		return;
	set_pos(s, STATE_POS_VARS, n);
	if (n->type != YDOC_MAP) {
		fields_err(c, n, "'variables' must be a map of NAME: value");
		return;
	}
	if (n->n > STATE_MAX_VARS) {
		fields_err(c, ydoc_key(n, STATE_MAX_VARS), "more than %d variables; "
		    "a server sets at most %d", STATE_MAX_VARS,
		    STATE_MAX_VARS);
		return;
	}
	/* ydoc has refused a repeated name, so no search is needed here. */
	s->vars = xreallocarray(s->vars, s->nvars + n->n + 1,
	    sizeof(*s->vars));
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *k = ydoc_key(n, i);
		const struct ydoc_node *v = ydoc_val(n, i);
		struct state_var *var;

		if (v->type != YDOC_SCALAR) {
			fields_err(c, v, "variable '%s' must be a single value, not "
			    "%s", k->str, ydoc_type_name(v));
			continue;
		}
		var = &s->vars[s->nvars++];
		var->key = xstrdup(k->str);
		var->value = ydoc_is_null(v) ? xstrdup("") : xstrdup(v->str);
		var->line = v->line;
		var->col = v->col;
	}
}

/* True for a crypt(3) hash roost accepts. */
static int
crypt_hash_ok(const char *s)
{
	static const char	*prefixes[] = { "$y$", "$gy$", "$7$", "$2b$",
	    "$2a$", "$2y$", "$6$", "$5$", NULL };
	size_t			 i, dollars = 0;
	const char		*p;

	for (i = 0; prefixes[i] != NULL; i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			break;
	if (prefixes[i] == NULL)
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '$')
			dollars++;
		else if (!isalnum((unsigned char)*p) &&
		    strchr("./=,-", *p) == NULL)
			return 0;
	}
	return dollars >= 3 && s[strlen(s) - 1] != '$';
}

static int
b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Checks an OpenSSH public key line: "type base64 [comment]", where the
 * blob decodes and starts with the same type string. Returns NULL when
 * good, else what is wrong.
 */
static const char *
ssh_key_check(const char *line)
{
	static const char	*types[] = { "ssh-ed25519", "ssh-rsa",
	    "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com", NULL };
	const char		*sp, *b, *e;
	unsigned char		 blob[1024];
	size_t			 tlen, n = 0, i;
	uint32_t		 acc = 0, l;
	int			 bits = 0, v;

	if ((sp = strchr(line, ' ')) == NULL)
		return "is not an OpenSSH public key (\"TYPE BASE64 "
		    "[COMMENT]\")";
	tlen = (size_t)(sp - line);
	for (i = 0; types[i] != NULL; i++)
		if (strlen(types[i]) == tlen &&
		    strncmp(types[i], line, tlen) == 0)
			break;
	if (types[i] == NULL)
		return "has an unknown key type (use ssh-ed25519, ssh-rsa or "
		    "ecdsa-sha2-nistp256/384/521)";
	b = sp + 1;
	for (e = b; *e != '\0' && *e != ' '; e++)
		;
	for (; b < e && *b != '='; b++) {
		if ((v = b64val((unsigned char)*b)) < 0)
			return "has invalid base64 key data";
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < sizeof(blob))
				blob[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (n < 4 + tlen)
		return "has key data that is too short";
	l = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
	    (uint32_t)blob[2] << 8 | blob[3];
	if (l != tlen || memcmp(blob + 4, line, tlen) != 0)
		return "has key data of another type than it says";
	return NULL;
}

static void
load_sftp(struct fields_ctx *c, struct state_server *s, const struct ydoc_node *n)
{
	size_t	i, j, k;

	if (n == NULL || ydoc_is_null(n))
		return;
	if (list_bad(c, n, "sftp", "{ user, password, keys, permissions }",
	    "sftp users", STATE_MAX_SFTP))
		return;
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *it = ydoc_item(n, i), *v;
		struct state_sftp_user *u;

		if (it->type != YDOC_MAP) {
			fields_err(c, it, "each sftp entry must be a map");
			continue;
		}
		for (k = 0; k < it->n; k++) {
			const char *kn = ydoc_key(it, k)->str;

			if (strcmp(kn, "user") != 0 &&
			    strcmp(kn, "password") != 0 &&
			    strcmp(kn, "keys") != 0 &&
			    strcmp(kn, "permissions") != 0)
				fields_err(c, ydoc_key(it, k), "unknown key '%s' in "
				    "an sftp entry (use user, password, keys, "
				    "permissions)", kn);
		}
		v = ydoc_get(it, "user");
		if (!ydoc_is_scalar(v) || !state_sftp_user_valid(v->str)) {
			fields_err(c, v ? v : it, "sftp 'user' must match "
			    "[a-z0-9_][a-z0-9_-]{0,31}");
			continue;
		}
		for (j = 0; j < s->nsftp; j++)
			if (strcmp(s->sftp[j].user, v->str) == 0)
				fields_err(c, v, "sftp user '%s' is listed twice",
				    v->str);
		s->sftp = xreallocarray(s->sftp, s->nsftp + 1,
		    sizeof(*s->sftp));
		u = &s->sftp[s->nsftp++];
		memset(u, 0, sizeof(*u));
		u->user = xstrdup(v->str);
		if ((v = ydoc_get(it, "password")) != NULL &&
		    !ydoc_is_null(v)) {
			if (!ydoc_is_scalar(v) || !crypt_hash_ok(v->str))
				fields_err(c, v, "sftp user '%s': 'password' must be "
				    "a crypt(3) hash such as $y$..., never a "
				    "plain password; make one with 'mkpasswd -m "
				    "yescrypt' or 'roost server sftp %s --user "
				    "%s --password-stdin'", u->user,
				    s->name ? s->name : "NAME", u->user);
			else
				u->password = xstrdup(v->str);
		}
		if ((v = ydoc_get(it, "keys")) != NULL && !ydoc_is_null(v)) {
			if (v->type != YDOC_SEQ)
				fields_err(c, v, "sftp user '%s': 'keys' must be a "
				    "list of OpenSSH public keys", u->user);
			else if (!list_too_long(c, v, "keys",
			    STATE_MAX_KEYS))
				for (j = 0; j < v->n; j++) {
					const struct ydoc_node *kn =
					    ydoc_item(v, j);
					const char *why;

					if (!ydoc_is_scalar(kn)) {
						fields_err(c, kn, "keys must be "
						    "strings");
						continue;
					}
					if ((why = ssh_key_check(kn->str)) !=
					    NULL) {
						fields_err(c, kn, "sftp user '%s': "
						    "key %zu %s", u->user,
						    j + 1, why);
						continue;
					}
					u->keys = xreallocarray(u->keys,
					    u->nkeys + 1, sizeof(char *));
					u->keys[u->nkeys++] = xstrdup(kn->str);
				}
		}
		if (u->password == NULL && u->nkeys == 0 &&
		    ydoc_get(it, "password") == NULL &&
		    ydoc_get(it, "keys") == NULL)
			fields_err(c, it, "sftp user '%s' has neither a password "
			    "hash nor keys, so nobody could log in", u->user);
		v = ydoc_get(it, "permissions");
		u->perms = v == NULL ? SFTP_PERM_READ | SFTP_PERM_WRITE |
		    SFTP_PERM_DELETE : parse_perms(c, v, 1);
	}
}

static void
load_members(struct fields_ctx *c, struct state_server *s,
    const struct ydoc_node *n)
{
	size_t	i;

	if (n == NULL || ydoc_is_null(n))
		return;
	if (list_bad(c, n, "members", "{ id, permissions }", "members",
	    STATE_MAX_MEMBERS))
		return;
	for (i = 0; i < n->n; i++) {
		const struct ydoc_node *it = ydoc_item(n, i), *id;
		struct state_member *m;

		if (it->type != YDOC_MAP) {
			fields_err(c, it, "each member must be a map { id, "
			    "permissions }");
			continue;
		}
		id = ydoc_get(it, "id");
		if (!ydoc_is_scalar(id) || !state_snowflake_valid(id->str)) {
			fields_err(c, id ? id : it, "member 'id' must be a Discord "
			    "user id (17 to 20 digits, quoted)");
			continue;
		}
		s->members = xreallocarray(s->members, s->nmembers + 1,
		    sizeof(*s->members));
		m = &s->members[s->nmembers++];
		m->id = xstrdup(id->str);
		m->perms = parse_perms(c, ydoc_get(it, "permissions"), 0);
	}
}

/* True for an RFC 3339 UTC-or-offset timestamp (seconds, optional frac). */
static int
timestamp_ok(const char *s)
{
	int	y, mo, d, h, mi, sec, n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) != 6 || n != 19)
		return 0;
	s += 19;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	return strcmp(s, "Z") == 0 || ((*s == '+' || *s == '-') &&
	    strlen(s) == 6 && s[3] == ':');
}

/* True for a backup's id; see state.h. */
int
state_backup_id_valid(const char *id)
{
	size_t	n = strlen(id);

	return n > 0 && n <= 64 && isalnum((unsigned char)id[0]) &&
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/* A request to a node in a server file: name: { key: VALUE, requestedAt }. */
struct request_map {
	const char	*name;		/* the server file's key */
	const char	*key;		/* the key beside requestedAt */
	const char	*value;		/* its value as messages show it */
	const char	*must;		/* what the value must be */
	int		(*valid)(const char *);
};

/* restore: { backup, requestedAt }: restore the backup of that id. */
static const struct request_map restore_request = { "restore", "backup",
	"ID", "the id of a backup (see roost status NAME)",
	state_backup_id_valid };

/*
 * A move between nodes: move: { from: NODE, requestedAt: TIME }, written
 * with the new node: (roost server move). The old node sends its data.
 */
static const struct request_map move_request = { "move", "from", "NODE",
	"the name of the node the server moves from", state_name_valid };

/* Reads the request r of root into *val and *at, when it is sound. */
static void
load_request(struct fields_ctx *c, const struct ydoc_node *root,
    const struct request_map *r, char **val, char **at)
{
	const struct ydoc_node	*v, *x, *t;
	size_t			 i;

	if ((v = ydoc_get(root, r->name)) == NULL || ydoc_is_null(v))
		return;
	if (v->type != YDOC_MAP) {
		fields_err(c, v, "'%s' must be a map { %s: %s, requestedAt: "
		    "TIME }", r->name, r->key, r->value);
		return;
	}
	for (i = 0; i < v->n; i++)
		if (strcmp(ydoc_key(v, i)->str, r->key) != 0 &&
		    strcmp(ydoc_key(v, i)->str, "requestedAt") != 0)
			fields_err(c, ydoc_key(v, i), "unknown key '%s' in "
			    "'%s' (use %s and requestedAt)",
			    ydoc_key(v, i)->str, r->name, r->key);
	x = ydoc_get(v, r->key);
	t = ydoc_get(v, "requestedAt");
	if (!ydoc_is_scalar(x) || !r->valid(x->str))
		fields_err(c, x ? x : v, "'%s.%s' must be %s", r->name, r->key,
		    r->must);
	else if (!ydoc_is_scalar(t) || !timestamp_ok(t->str))
		fields_err(c, t ? t : v, "'%s.requestedAt' must be a time such "
		    "as 2026-11-25T10:00:00Z", r->name);
	else {
		*val = xstrdup(x->str);
		*at = xstrdup(t->str);
	}
}

/*
 * The one-shot backup requests of a server file: backupRequestedAt with
 * backupNote, and restore: { backup, requestedAt }.
 */
static void
load_requests(struct fields_ctx *c, struct state_server *s,
    const struct ydoc_node *root)
{
	const struct ydoc_node	*v;

	if ((v = ydoc_get(root, "backupRequestedAt")) != NULL &&
	    !ydoc_is_null(v)) {
		if (!ydoc_is_scalar(v) || !timestamp_ok(v->str))
			fields_err(c, v, "'backupRequestedAt' must be a time "
			    "such as 2026-11-25T10:00:00Z");
		else
			s->backup_at = xstrdup(v->str);
	}
	if ((v = ydoc_get(root, "backupNote")) != NULL && !ydoc_is_null(v)) {
		if (!ydoc_is_scalar(v) || strlen(v->str) > 200 ||
		    !state_console_line_ok(v->str))
			fields_err(c, v, "'backupNote' must be one line of at "
			    "most 200 bytes");
		else
			s->backup_note = xstrdup(v->str);
	}
	load_request(c, root, &restore_request, &s->restore_id,
	    &s->restore_at);
}

/* A server file's alerts: { enabled, mentionOwner }. */
static const struct field server_alert_keys[] = {
	{ "enabled", FIELD_BOOL, offsetof(struct state_server, alerts), 0, 0 },
	{ "mentionOwner", FIELD_BOOL, offsetof(struct state_server,
	    alerts_mention), 0, 0 },
	{ NULL }
};

/* Parses one server file; see state_int.h. */
int
state_parse_server(struct state_server **out, const char *path,
    const char *buf, size_t len, struct diags *d)
{
	static const struct field f[] = {
		{ "apiVersion", FIELD_SKIP, 0, 0, 0 },
		{ "kind", FIELD_SKIP, 0, 0, 0 },
		{ "name", FIELD_SKIP, 0, 0, 0 },
		{ "owner", FIELD_SKIP, 0, 0, 0 },
		{ "node", FIELD_STR, offsetof(struct state_server, node), 0, 0 },
		{ "egg", FIELD_STR, offsetof(struct state_server, egg), 0, 0 },
		{ "image", FIELD_STR, offsetof(struct state_server, image), 0,
		    0 },
		{ "state", FIELD_SKIP, 0, 0, 0 },
		{ "restartedAt", FIELD_SKIP, 0, 0, 0 },
		{ "reinstallAt", FIELD_SKIP, 0, 0, 0 },
		{ "backupRequestedAt", FIELD_SKIP, 0, 0, 0 },
		{ "backupNote", FIELD_SKIP, 0, 0, 0 },
		{ "restore", FIELD_SKIP, 0, 0, 0 },
		{ "move", FIELD_SKIP, 0, 0, 0 },
		{ "backups", FIELD_SKIP, 0, 0, 0 },
		{ "limits", FIELD_SKIP, 0, 0, 0 },
		{ "ports", FIELD_SKIP, 0, 0, 0 },
		{ "variables", FIELD_SKIP, 0, 0, 0 },
		{ "sftp", FIELD_SKIP, 0, 0, 0 },
		{ "members", FIELD_SKIP, 0, 0, 0 },
		{ "schedules", FIELD_SKIP, 0, 0, 0 },
		{ "alerts", FIELD_MAP, 0, 0, 0, 0, server_alert_keys },
	};
	struct fields_ctx		 c = { path, d };
	struct ydoc		*doc;
	struct state_server	*s;
	const struct ydoc_node	*root, *v;
	const char		*base, *dot;
	char			*stem;
	size_t			 before = d->nerrors, first = d->n, i;

	*out = NULL;
	if (ydoc_parse(&doc, path, buf, len, d) != 0)
		return ROOST_EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(path);
	s->alerts = 1;
	limits_unset(&s->limits);
	s->backups.keep = STATE_UNSET;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	dot = strrchr(base, '.');
	stem = xstrndup(base, dot ? (size_t)(dot - base) : strlen(base));
	if ((root = root_map(&c, doc)) == NULL) {
		s->name = stem;
		goto done;
	}
	check_header(&c, root, "Server");
	fields_fill(&c, root, f, sizeof(f) / sizeof(f[0]), s, NULL);

	v = ydoc_get(root, "name");
	set_pos(s, STATE_POS_NAME, v ? v : root);
	if (v == NULL || !ydoc_is_scalar(v))
		fields_err(&c, v ? v : root, "'name' is required and must be '%s', "
		    "the file's name", stem);
	else if (strcmp(v->str, stem) != 0)
		fields_err(&c, v, "'name' is '%s' but the file is %s; they must "
		    "match", v->str, path);
	if (!state_name_valid(stem))
		fields_err(&c, v ? v : root, "server name '%s' must match "
		    "[a-z0-9][a-z0-9-]{0,30} (rename the file)", stem);
	s->name = stem;

	v = ydoc_get(root, "owner");
	set_pos(s, STATE_POS_OWNER, v ? v : root);
	if (!ydoc_is_scalar(v) || !state_snowflake_valid(v->str))
		fields_err(&c, v ? v : root, "'owner' must be a Discord user id "
		    "(17 to 20 digits, quoted)");
	else
		s->owner = xstrdup(v->str);
	set_pos(s, STATE_POS_NODE, ydoc_get(root, "node") ?
	    ydoc_get(root, "node") : root);
	if (s->node == NULL)
		fields_err(&c, root, "'node' is required: the node this server runs "
		    "on (a file under nodes/)");
	set_pos(s, STATE_POS_EGG, ydoc_get(root, "egg") ?
	    ydoc_get(root, "egg") : root);
	if (s->egg == NULL)
		fields_err(&c, root, "'egg' is required, e.g. minecraft/paper (see "
		    "roost egg list)");
	set_pos(s, STATE_POS_IMAGE, ydoc_get(root, "image"));

	s->state = STATE_RUNNING;
	if ((v = ydoc_get(root, "state")) != NULL) {
		if (ydoc_is_scalar(v) && strcmp(v->str, "running") == 0)
			s->state = STATE_RUNNING;
		else if (ydoc_is_scalar(v) && strcmp(v->str, "stopped") == 0)
			s->state = STATE_STOPPED;
		else
			fields_err(&c, v, "'state' must be running or stopped");
	}
	if ((v = ydoc_get(root, "restartedAt")) != NULL && !ydoc_is_null(v)) {
		if (!ydoc_is_scalar(v) || !timestamp_ok(v->str))
			fields_err(&c, v, "'restartedAt' must be a time such as "
			    "2026-11-25T10:00:00Z");
		else
			s->restarted_at = xstrdup(v->str);
	}
	if ((v = ydoc_get(root, "reinstallAt")) != NULL && !ydoc_is_null(v)) {
		if (!ydoc_is_scalar(v) || !timestamp_ok(v->str))
			fields_err(&c, v, "'reinstallAt' must be a time such as "
			    "2026-11-25T10:00:00Z");
		else
			s->reinstall_at = xstrdup(v->str);
	}
	load_requests(&c, s, root);
	load_request(&c, root, &move_request, &s->move_from, &s->move_at);
	load_backups(&c, ydoc_get(root, "backups"), &s->backups, "'backups'");
	v = ydoc_get(root, "limits");
	set_pos(s, STATE_POS_MEMORY, v && ydoc_get(v, "memory") ?
	    ydoc_get(v, "memory") : v ? v : root);
	load_limits(&c, v, &s->limits, "'limits'");
	load_ports(&c, s, ydoc_get(root, "ports"));
	load_vars(&c, s, ydoc_get(root, "variables"));
	load_sftp(&c, s, ydoc_get(root, "sftp"));
	load_members(&c, s, ydoc_get(root, "members"));
	state_load_schedules(&c, ydoc_get(root, "schedules"), "schedules",
	    &s->schedules);
done:
	s->valid = d->nerrors == before;
	for (i = first; i < d->n && s->error == NULL; i++)
		if (d->v[i].level == DIAG_ERROR)
			s->error = xstrdup(d->v[i].msg);
	ydoc_free(doc);
	*out = s;
	return 0;
}

/* ---- the cache of parsed server files ---- */

struct cache_ent {
	char			*key;	/* path NUL id */
	struct state_server	*srv;	/* NULL: the YAML did not parse */
	struct diags		 d;
	int			 used;
};

/*
 * The state the cache's last load made, to build the next one from: the
 * ids of every file but the servers' (ctx), its validated servers in the
 * order their files were listed (shared with that state, see refs) and
 * the problems found at their paths.
 */
struct last_ent {
	struct state_server	*srv;
	const char		*file;	/* in names */
	uint32_t		 nodeh;	/* node_hash(srv->node) */
	char			 id[44];	/* srv->blob_id */
};

struct cache_last {
	char			 *ctx;		/* NULL: nothing kept */
	struct last_ent		 *e;		/* kept apart from the
						   servers, so that finding
						   what changed does not
						   touch 100,000 of them */
	size_t			  n;
	char			 *names;	/* the file names */
	struct diags		  d;
};

struct state_cache {
	struct cache_ent	*v;
	size_t			 cap;	/* power of two */
	size_t			 n;
	size_t			 parses;
	struct cache_last	 last;
};

/* Makes an empty cache. */
struct state_cache *
state_cache_new(void)
{
	struct state_cache	*c = xcalloc(1, sizeof(*c));

	c->cap = 64;
	c->v = xcalloc(c->cap, sizeof(*c->v));
	diags_init(&c->last.d);
	return c;
}

/* Forgets the last state's snapshot. */
static void
cache_last_clear(struct cache_last *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		state_server_free(l->e[i].srv);
	free(l->e);
	free(l->names);
	free(l->ctx);
	diags_dispose(&l->d);
	memset(l, 0, sizeof(*l));
	diags_init(&l->d);
}

static void
cache_ent_dispose(struct cache_ent *e)
{
	free(e->key);
	state_server_free(e->srv);
	diags_dispose(&e->d);
	memset(e, 0, sizeof(*e));
}

/* Frees a cache. */
void
state_cache_free(struct state_cache *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->cap; i++)
		if (c->v[i].key != NULL)
			cache_ent_dispose(&c->v[i]);
	free(c->v);
	cache_last_clear(&c->last);
	diags_dispose(&c->last.d);
	free(c);
}

/* Number of parses done through the cache. */
size_t
state_cache_parses(const struct state_cache *c)
{
	return c->parses;
}

static uint64_t
str_hash(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct cache_ent *
cache_slot(struct state_cache *c, const char *key)
{
	size_t	i = (size_t)str_hash(key) & (c->cap - 1);

	while (c->v[i].key != NULL && strcmp(c->v[i].key, key) != 0)
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

static void
cache_grow(struct state_cache *c)
{
	struct cache_ent	*old = c->v;
	size_t			 oldcap = c->cap, i;

	c->cap *= 2;
	c->v = xcalloc(c->cap, sizeof(*c->v));
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*cache_slot(c, old[i].key) = old[i];
	free(old);
}

/*
 * Removes the entry at slot i, moving later entries of its probe run back
 * so that every key stays reachable (deletion for linear probing).
 */
static void
cache_remove(struct state_cache *c, size_t i)
{
	size_t	j = i, k, mask = c->cap - 1;

	cache_ent_dispose(&c->v[i]);
	for (;;) {
		j = (j + 1) & mask;
		if (c->v[j].key == NULL)
			break;
		k = (size_t)str_hash(c->v[j].key) & mask;
		/* Leave j where it is when its home lies in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		c->v[i] = c->v[j];
		memset(&c->v[j], 0, sizeof(c->v[j]));
		i = j;
	}
	c->n--;
}

/*
 * Drops entries no load used since the last sweep, in place: a load that
 * changed a few files removes only their old entries.
 */
static void
cache_sweep(struct state_cache *c)
{
	size_t	i, nstale = 0, k;
	char	**keys;

	for (i = 0; i < c->cap; i++)
		if (c->v[i].key != NULL && !c->v[i].used)
			nstale++;
	if (nstale > 0) {
		/* Removal moves entries, so find each stale one by key. */
		keys = xcalloc(nstale, sizeof(*keys));
		for (i = 0, k = 0; i < c->cap; i++)
			if (c->v[i].key != NULL && !c->v[i].used)
				keys[k++] = xstrdup(c->v[i].key);
		for (k = 0; k < nstale; k++) {
			struct cache_ent *e = cache_slot(c, keys[k]);

			cache_remove(c, (size_t)(e - c->v));
			free(keys[k]);
		}
		free(keys);
	}
	for (i = 0; i < c->cap; i++)
		c->v[i].used = 0;
}

/* Copies the problems of a cached parse into the state's list. */
static void
diags_copy(struct diags *dst, const struct diags *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++) {
		if (src->v[i].level == DIAG_ERROR)
			diags_add(dst, src->v[i].path, src->v[i].line,
			    src->v[i].col, "%s", src->v[i].msg);
		else
			diags_warn(dst, src->v[i].path, src->v[i].line,
			    src->v[i].col, "%s", src->v[i].msg);
	}
}

/* ---- the whole state ---- */

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static void
free_names(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
srv_cmp(const void *a, const void *b)
{
	const struct state_server *x = *(struct state_server *const *)a;
	const struct state_server *y = *(struct state_server *const *)b;

	return strcmp(x->name, y->name);
}

/* Appends "path\nid\n" to a load's context (see struct cache_last). */
static void
ctx_add(struct buf *ctx, const char *path, const char *id)
{
	buf_puts(ctx, path);
	buf_putc(ctx, '\n');
	buf_puts(ctx, id);
	buf_putc(ctx, '\n');
}

/* Makes the cache key of a file: path, a newline, its id. */
static void
cache_key(char *key, size_t keylen, const char *path, const char *id)
{
	size_t	pl = strlen(path), il = strlen(id);

	if (pl + il + 2 > keylen)
		pl = il = 0;
	memcpy(key, path, pl);
	key[pl] = '\n';
	memcpy(key + pl + 1, id, il);
	key[pl + il + 1] = '\0';
}

/*
 * What reading and parsing one server file gave, before it joins the
 * state (load_join). A load of many files parses them on several threads
 * (load_parallel); each file's result waits here until all are parsed,
 * then joins the state in file order, so that the problems, the cache
 * and the servers are what reading the files one by one gives.
 */
struct parsed {
	struct state_server	*srv;	/* blob_id set; NULL: see aux */
	struct parsed_aux	*aux;	/* NULL: srv has no problem */
	int			 done;	/* taken from the cache */
};

/* The rarer outcomes of a file: problems, a cache hit, a read failure. */
struct parsed_aux {
	struct diags	 d;		/* the file's problems */
	char		*readerr;	/* the file was not read: why */
	int		 hit;		/* the cache holds path, id */
	char		 id[96];
};

static struct parsed_aux *
parsed_aux(struct parsed *p, const char *id)
{
	if (p->aux == NULL) {
		p->aux = xcalloc(1, sizeof(*p->aux));
		diags_init(&p->aux->d);
	}
	snprintf(p->aux->id, sizeof(p->aux->id), "%s", id);
	return p->aux;
}

/*
 * Takes the server file at path from the cache into *out (out->done)
 * when the source tells its id without reading it (stat, or known when
 * not NULL) and the cache holds that id; marks the entry used when mark
 * is set. Returns 1 when taken, else 0 (out is empty). Only for the
 * thread that owns the cache, and never while load_parse runs.
 */
static int
load_cached(const struct state_src *src, struct state_cache *cache,
    const char *path, const char *known, struct parsed *out, int mark)
{
	struct cache_ent	*e;
	struct rerr		 err;
	char			 id[96], key[PATH_MAX + sizeof(id)];

	memset(out, 0, sizeof(*out));
	rerr_init(&err);
	if (cache == NULL || (known == NULL && (src->stat == NULL ||
	    src->stat(src->arg, path, id, sizeof(id), &err) != 0)))
		return 0;
	if (known != NULL)
		snprintf(id, sizeof(id), "%s", known);
	cache_key(key, sizeof(key), path, id);
	e = cache_slot(cache, key);
	if (e->key == NULL)
		return 0;
	e->used |= mark;
	out->done = 1;
	if (e->srv != NULL)
		out->srv = state_server_dup(e->srv);
	if (out->srv == NULL || e->d.n > 0)
		diags_copy(&parsed_aux(out, id)->d, &e->d);
	return 1;
}

/*
 * Reads the server file at path into b (emptied first) and its id into
 * id, for load_parse. Returns 0, or -1 when the file cannot be read
 * (*out then says why).
 */
static int
load_read(const struct state_src *src, const char *path, struct parsed *out,
    struct buf *b, char *id, size_t idlen)
{
	struct rerr	err;

	memset(out, 0, sizeof(*out));
	buf_reset(b);
	rerr_init(&err);
	if (src->read(src->arg, path, b, id, idlen, &err) != 0) {
		parsed_aux(out, "")->readerr = xstrdup(err.msg);
		return -1;
	}
	return 0;
}

/*
 * Parses the server file at path, read into b with its id by load_read,
 * into *out, unless the cache holds that id (then out->aux->hit). The
 * cache is only looked into (load_join adds to it), so that several
 * threads can parse at once.
 */
static void
load_parse(struct state_cache *cache, const char *path, struct parsed *out,
    const struct buf *b, const char *id)
{
	struct state_server	*srv = NULL;
	struct diags		 d;
	char			 key[PATH_MAX + 96];

	if (cache != NULL) {
		cache_key(key, sizeof(key), path, id);
		if (cache_slot(cache, key)->key != NULL) {
			parsed_aux(out, id)->hit = 1;
			return;
		}
	}
	diags_init(&d);
	(void)state_parse_server(&srv, path, buf_str(b), b->len, &d);
	if (srv != NULL) {
		free(srv->blob_id);
		srv->blob_id = xstrdup(id);
	}
	if (srv == NULL || d.n > 0)
		parsed_aux(out, id)->d = d;
	out->srv = srv;
}

/*
 * Adds what load_cached, load_read and load_parse gave for path to st
 * (its problems) and to the cache (a new parse; marks a hit used when
 * mark is set). Returns the server (owned by the caller), or NULL when
 * the file could not be read (st->diags says why). p is emptied.
 */
static struct state_server *
load_join(struct state *st, struct state_cache *cache, const char *path,
    struct parsed *p, int mark)
{
	struct state_server	*srv = p->srv;
	struct parsed_aux	*aux = p->aux;
	struct cache_ent	*e;
	struct diags		 d;
	const char		*id;
	char			 key[PATH_MAX + sizeof(aux->id)];
	int			 done = p->done;

	memset(p, 0, sizeof(*p));
	if (aux != NULL && aux->readerr != NULL) {
		diags_add(st->diags, path, 0, 0, "%s", aux->readerr);
		free(aux->readerr);
		diags_dispose(&aux->d);
		free(aux);
		return NULL;
	}
	id = srv != NULL ? srv->blob_id : aux->id;
	if (done) {
		if (aux != NULL)
			diags_move(st->diags, &aux->d);
	} else if (cache != NULL) {
		cache_key(key, sizeof(key), path, id);
		e = cache_slot(cache, key);
		if (aux != NULL && aux->hit) {
			e->used |= mark;
			diags_copy(st->diags, &e->d);
			if (e->srv != NULL)
				srv = state_server_dup(e->srv);
			goto add;
		}
		if ((cache->n + 1) * 2 > cache->cap) {
			cache_grow(cache);
			e = cache_slot(cache, key);
		}
		cache->parses++;
		diags_init(&d);
		if (aux != NULL) {
			d = aux->d;
			diags_init(&aux->d);
		}
		e->key = xstrdup(key);
		e->used = mark;
		e->d = d;
		e->srv = srv != NULL ? state_server_dup(srv) : NULL;
		cache->n++;
		diags_copy(st->diags, &d);
	} else if (aux != NULL)
		diags_move(st->diags, &aux->d);
add:
	if (srv == NULL) {
		/* The YAML did not parse: the server is known, but invalid. */
		const char	*base = strrchr(path, '/') + 1;

		srv = xcalloc(1, sizeof(*srv));
		srv->path = xstrdup(path);
		srv->name = xstrndup(base, strrchr(base, '.') - base);
		limits_unset(&srv->limits);
		srv->error = xstrdup("the file is not valid YAML");
	}
	/* A copy from the cache (one block) already has this id. */
	if (aux != NULL && (srv->blob_id == NULL ||
	    strcmp(srv->blob_id, aux->id) != 0)) {
		free(srv->blob_id);
		srv->blob_id = xstrdup(aux->id);
	}
	if (aux != NULL) {
		diags_dispose(&aux->d);
		free(aux);
	}
	return srv;
}

/*
 * Reads and parses (or finds in the cache) the server file at path;
 * known is its id when the source told it (stat), else NULL. Marks the
 * cache entry used when mark is set. Returns the server (owned by the
 * caller), or NULL when the file cannot be read (st->diags says why).
 */
static struct state_server *
load_one(struct state *st, const struct state_src *src,
    struct state_cache *cache, const char *path, const char *known,
    int mark, struct buf *b)
{
	struct parsed	p;
	char		id[96];

	if (!load_cached(src, cache, path, known, &p, mark) &&
	    load_read(src, path, &p, b, id, sizeof(id)) == 0)
		load_parse(cache, path, &p, b, id);
	return load_join(st, cache, path, &p, mark);
}

/* A set of node names (the nodes a change touches). */
struct nameset {
	const char	**v;
	size_t		  cap;	/* power of two */
	size_t		  n;
};

static void
nameset_add(struct nameset *ns, const char *name)
{
	const char	**old = ns->v;
	size_t		  oldcap = ns->cap, i, h;

	if (name == NULL)
		return;
	if ((ns->n + 1) * 2 > ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = xcalloc(ns->cap, sizeof(*ns->v));
		ns->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				nameset_add(ns, old[i]);
		free(old);
	}
	for (h = str_hash(name) & (ns->cap - 1); ns->v[h] != NULL;
	    h = (h + 1) & (ns->cap - 1))
		if (strcmp(ns->v[h], name) == 0)
			return;
	ns->v[h] = name;
	ns->n++;
}

static int
nameset_has(const struct nameset *ns, const char *name)
{
	size_t	h;

	if (name == NULL || ns->n == 0)
		return 0;
	for (h = str_hash(name) & (ns->cap - 1); ns->v[h] != NULL;
	    h = (h + 1) & (ns->cap - 1))
		if (strcmp(ns->v[h], name) == 0)
			return 1;
	return 0;
}

/* Writes "servers/<name>" into path (size len, at least 9). */
static void
path_in_servers(char *path, size_t len, const char *name)
{
	size_t	nl = strlen(name);

	if (nl > len - 9)
		nl = len - 9;
	memcpy(path, "servers/", 8);
	memcpy(path + 8, name, nl);
	path[8 + nl] = '\0';
}

/* The file name of a server (after "servers/"). */
static const char *
srv_file(const struct state_server *srv)
{
	const char	*slash = strrchr(srv->path, '/');

	return slash != NULL ? slash + 1 : srv->path;
}

/* A node name's hash (0 for none), to tell most nodes apart unread. */
static uint32_t
node_hash(const char *node)
{
	return node == NULL ? 0 : (uint32_t)(str_hash(node) | 1);
}

/*
 * What a load through a cache kept from the last one: per listed file,
 * the last state's entry with the same name (or NULL) and the server of
 * this load.
 */
struct slot {
	struct last_ent		*old;
	struct state_server	*srv;
	int			 same;	/* the file did not change */
};

/* The nodes a change touches: their names, and their hashes. */
struct touched {
	struct nameset	 names;
	uint32_t	*h;
	size_t		 nh;
};

static void
touch(struct touched *t, const char *node)
{
	if (node == NULL || nameset_has(&t->names, node))
		return;
	nameset_add(&t->names, node);
	t->h = xreallocarray(t->h, t->nh + 1, sizeof(*t->h));
	t->h[t->nh++] = node_hash(node);
}

/* True when the node of e (a last state's server) is touched. */
static int
touched_has(const struct touched *t, const struct last_ent *e)
{
	size_t	i;

	if (e->nodeh == 0)
		return 0;
	for (i = 0; i < t->nh; i++)
		if (t->h[i] == e->nodeh)
			return nameset_has(&t->names, e->srv->node);
	return 0;
}

/*
 * The last state's problems at the paths of servers shared with this
 * one (reused[k] for entry k) go to st.
 */
static void
copy_reused_diags(struct state *st, const struct cache_last *l,
    const char *reused)
{
	const struct diag	*x;
	size_t			 i, k = 0;
	int			 c = 1;

	for (i = 0; i < l->d.n; i++) {
		x = &l->d.v[i];
		if (x->path == NULL || strncmp(x->path, "servers/", 8) != 0)
			continue;
		while (k < l->n && (c = strcmp(l->e[k].file, x->path + 8)) < 0)
			k++;
		if (k == l->n || c != 0 || !reused[k])
			continue;
		if (x->level == DIAG_ERROR)
			diags_add(st->diags, x->path, x->line, x->col, "%s",
			    x->msg);
		else
			diags_warn(st->diags, x->path, x->line, x->col, "%s",
			    x->msg);
	}
}

/*
 * Makes the servers of this load (slots; names are their files) the
 * cache's last state: a shared server's entry moves over with the
 * cache's reference (reused), the others get one; the entries of the
 * last state not moved drop theirs. Nothing but the changed servers is
 * read. The problems are kept later (keep_diags).
 */
static void
keep_moved(struct cache_last *l, const struct slot *slot, char **names,
    size_t n, const char *reused)
{
	struct last_ent	*ne, *e;
	size_t		 i, k, nn = 0, len = 0, fl, off = 0;
	char		*block;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 1;
	block = xmalloc(len + 1);
	ne = xreallocarray(NULL, n + 1, sizeof(*ne));
	for (i = 0; i < n; i++) {
		if (slot[i].srv == NULL)
			continue;
		e = &ne[nn++];
		if (slot[i].same) {
			*e = *slot[i].old;
		} else {
			e->srv = state_server_ref(slot[i].srv);
			e->nodeh = node_hash(slot[i].srv->node);
			snprintf(e->id, sizeof(e->id), "%s",
			    slot[i].srv->blob_id != NULL ?
			    slot[i].srv->blob_id : "");
		}
		fl = strlen(names[i]) + 1;
		memcpy(block + off, names[i], fl);
		e->file = block + off;
		off += fl;
	}
	for (k = 0; k < l->n; k++)
		if (!reused[k])
			state_server_free(l->e[k].srv);
	free(l->e);
	free(l->names);
	l->e = ne;
	l->n = nn;
	l->names = block;
}

/* Keeps the problems at servers' paths of st as the cache's last. */
static void
keep_diags(struct cache_last *l, const struct state *st)
{
	size_t	i;

	diags_dispose(&l->d);
	diags_init(&l->d);
	for (i = 0; i < st->diags->n; i++) {
		const struct diag *x = &st->diags->v[i];

		if (x->path == NULL || strncmp(x->path, "servers/", 8) != 0)
			continue;
		if (x->level == DIAG_ERROR)
			diags_add(&l->d, x->path, x->line, x->col, "%s",
			    x->msg);
		else
			diags_warn(&l->d, x->path, x->line, x->col, "%s",
			    x->msg);
	}
}

/*
 * Builds the servers of st from the cache's last state when only server
 * files changed since (same ctx): a server whose file did not change and
 * whose node no change touches is the last state's, shared and already
 * validated; the others (and every server on a node a change touches:
 * ports and capacity are checked per node) are loaded and validated
 * anew, on their own. names are the listed files (each a .yaml).
 * Fills lst with the servers in listing order.
 */
static void
load_incremental(struct state *st, const struct state_src *src,
    struct state_cache *cache, char **names, size_t n, struct buf *b,
    struct state_server **lst, size_t *nlst)
{
	struct cache_last	*l = &cache->last;
	struct touched		 touched;
	struct slot		*slot;
	struct state		 sub;
	struct diags		 vd;
	struct rerr		 err;
	struct cache_ent	*ce;
	char			 path[PATH_MAX], id[96], key[PATH_MAX + 96];
	size_t			 i, j = 0, k;
	int			 c;
	char			*reused;

	memset(&touched, 0, sizeof(touched));
	slot = xcalloc(n + 1, sizeof(*slot));
	reused = xcalloc(l->n + 1, 1);
	for (i = 0; i < n; i++) {
		path_in_servers(path, sizeof(path), names[i]);
		rerr_init(&err);
		if (src->stat(src->arg, path, id, sizeof(id), &err) != 0)
			id[0] = '\0';
		/* The last state's servers are in the same (file) order. */
		for (c = 1; j < l->n && (c = strcmp(l->e[j].file,
		    names[i])) < 0; j++)
			touch(&touched, l->e[j].srv->node);
		if (c == 0)
			slot[i].old = &l->e[j++];
		if (slot[i].old != NULL && id[0] != '\0' &&
		    strcmp(slot[i].old->id, id) == 0) {
			slot[i].same = 1;
			continue;
		}
		if (slot[i].old != NULL)
			touch(&touched, slot[i].old->srv->node);
		slot[i].srv = load_one(st, src, cache, path, id[0] ? id : NULL,
		    0, b);
		if (slot[i].srv != NULL)
			touch(&touched, slot[i].srv->node);
	}
	for (; j < l->n; j++)
		touch(&touched, l->e[j].srv->node);
	/* Unchanged files: shared, unless their node is touched. */
	for (i = 0; i < n; i++) {
		if (!slot[i].same)
			continue;
		k = (size_t)(slot[i].old - l->e);
		if (!touched_has(&touched, slot[i].old)) {
			slot[i].srv = state_server_ref(slot[i].old->srv);
			reused[k] = 1;
			continue;
		}
		path_in_servers(path, sizeof(path), names[i]);
		slot[i].srv = load_one(st, src, cache, path, slot[i].old->id,
		    0, b);
		slot[i].same = 0;
	}
	/* The old versions of changed and removed files leave the cache. */
	for (i = 0, k = 0; k < l->n; k++) {
		while (i < n && strcmp(names[i], l->e[k].file) < 0)
			i++;
		if (reused[k] || (i < n && slot[i].old == &l->e[k] &&
		    (slot[i].same || (slot[i].srv != NULL &&
		    slot[i].srv->blob_id != NULL &&
		    strcmp(slot[i].srv->blob_id, l->e[k].id) == 0))))
			continue;
		path_in_servers(path, sizeof(path), l->e[k].file);
		cache_key(key, sizeof(key), path, l->e[k].id);
		ce = cache_slot(cache, key);
		if (ce->key != NULL)
			cache_remove(cache, (size_t)(ce - cache->v));
	}
	copy_reused_diags(st, l, reused);

	/* Validate the others on their own, in name order. */
	sub = *st;
	sub.servers = xcalloc(n + 1, sizeof(*sub.servers));
	sub.nservers = 0;
	diags_init(&vd);
	sub.diags = &vd;
	*nlst = 0;
	for (i = 0; i < n; i++) {
		if (slot[i].srv == NULL)
			continue;
		lst[(*nlst)++] = slot[i].srv;
		if (!slot[i].same)
			sub.servers[sub.nservers++] = slot[i].srv;
	}
	for (i = 1; i < sub.nservers; i++)
		if (srv_cmp(&sub.servers[i - 1], &sub.servers[i]) > 0)
			break;
	if (i < sub.nservers)
		qsort(sub.servers, sub.nservers, sizeof(*sub.servers), srv_cmp);
	state_validate(&sub);
	diags_copy(st->diags, &vd);
	diags_dispose(&vd);
	free(sub.servers);
	keep_moved(l, slot, names, n, reused);
	free(touched.names.v);
	free(touched.h);
	free(reused);
	free(slot);
}

/* Keeps st (its servers in listing order lst) as the cache's last. */
static void
cache_keep(struct state_cache *cache, const struct state *st, char *ctx,
    struct state_server **lst, size_t n)
{
	struct cache_last	*l = &cache->last;
	const char		*f;
	size_t			 i, len = 0, off, fl;

	cache_last_clear(l);
	l->ctx = ctx;
	l->e = xreallocarray(NULL, n + 1, sizeof(*l->e));
	for (i = 0; i < n; i++)
		len += strlen(srv_file(lst[i])) + 1;
	l->names = xmalloc(len + 1);
	for (i = 0, off = 0; i < n; i++) {
		l->e[i].srv = state_server_ref(lst[i]);
		f = srv_file(lst[i]);
		fl = strlen(f) + 1;
		memcpy(l->names + off, f, fl);
		l->e[i].file = l->names + off;
		off += fl;
		l->e[i].nodeh = node_hash(lst[i]->node);
		snprintf(l->e[i].id, sizeof(l->e[i].id), "%s",
		    lst[i]->blob_id != NULL ? lst[i]->blob_id : "");
	}
	l->n = n;
	keep_diags(l, st);
}

/*
 * Threads that parse the server files of a load (load_parallel): up to
 * one per processor, and only when each gets at least LOAD_PER_THREAD
 * files (a thread costs about as much as parsing a few files). A thread
 * reads LOAD_BATCH files each time it holds the source.
 */
#define LOAD_MAX_THREADS	8
#define LOAD_PER_THREAD		64
#define LOAD_BATCH		8

static int	load_threads_forced;

/* Sets the number of threads a load parses on; see state.h. */
void
state_load_threads(int n)
{
	load_threads_forced = n < 0 ? 0 : n > LOAD_MAX_THREADS ?
	    LOAD_MAX_THREADS : n;
}

/* How many threads parse n files (the caller's included). */
static int
load_nthreads(size_t n)
{
	cpu_set_t	set;
	long		ncpu;
	size_t		t;

	if (load_threads_forced > 0)
		t = (size_t)load_threads_forced;
	else {
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			ncpu = CPU_COUNT(&set);
		else
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		t = ncpu > 0 ? (size_t)ncpu : 1;
		if (t > n / LOAD_PER_THREAD)
			t = n / LOAD_PER_THREAD;
	}
	if (t > LOAD_MAX_THREADS)
		t = LOAD_MAX_THREADS;
	if (t > n)
		t = n;
	return t < 1 ? 1 : (int)t;
}

/*
 * The files of one load, shared by its threads. The lock guards next and
 * the source: a thread takes the next files not done and reads them under
 * the lock (the files are read one at a time, in order, as the source
 * expects), then parses them on its own into out[i]. The cache is only
 * looked into until every thread is done.
 */
struct load_pool {
	pthread_mutex_t		 lock;
	const struct state_src	*src;
	struct state_cache	*cache;		/* only looked into */
	char			**names;
	struct parsed		*out;
	size_t			  n;
	size_t			  next;
};

/* A thread of a load: takes files until none is left. */
static void *
load_worker(void *arg)
{
	struct load_pool	*lp = arg;
	struct buf		 b[LOAD_BATCH];
	char			 path[PATH_MAX], id[LOAD_BATCH][96];
	size_t			 at[LOAD_BATCH];
	int			 k, nk;

	for (k = 0; k < LOAD_BATCH; k++)
		buf_init(&b[k], 8 << 20);
	for (;;) {
		/* A few files at a time: the lock changes hands less. */
		pthread_mutex_lock(&lp->lock);
		for (nk = 0; nk < LOAD_BATCH; ) {
			while (lp->next < lp->n && lp->out[lp->next].done)
				lp->next++;
			if (lp->next == lp->n)
				break;
			at[nk] = lp->next++;
			snprintf(path, sizeof(path), "servers/%s",
			    lp->names[at[nk]]);
			if (load_read(lp->src, path, &lp->out[at[nk]], &b[nk],
			    id[nk], sizeof(id[nk])) == 0)
				nk++;
		}
		pthread_mutex_unlock(&lp->lock);
		if (nk == 0)
			break;
		for (k = 0; k < nk; k++) {
			snprintf(path, sizeof(path), "servers/%s",
			    lp->names[at[k]]);
			load_parse(lp->cache, path, &lp->out[at[k]], &b[k],
			    id[k]);
		}
	}
	for (k = 0; k < LOAD_BATCH; k++)
		buf_dispose(&b[k]);
	return NULL;
}

/*
 * Reads and parses the n server files names (under servers/) into
 * out[0..n-1], but for those already taken from the cache (done), on
 * load_nthreads threads, the calling one included. A thread that cannot
 * be started leaves its share to the others.
 */
static void
load_parallel(const struct state_src *src, struct state_cache *cache,
    char **names, size_t n, struct parsed *out)
{
	struct load_pool	 lp;
	pthread_t		 tid[LOAD_MAX_THREADS];
	sigset_t		 all, old;
	size_t			 j, left = 0;
	int			 nt, i, started = 0;

	memset(&lp, 0, sizeof(lp));
	pthread_mutex_init(&lp.lock, NULL);
	lp.src = src;
	lp.cache = cache;
	lp.names = names;
	lp.out = out;
	lp.n = n;
	for (j = 0; j < n; j++)
		left += !out[j].done;
	nt = load_nthreads(left);
	if (nt > 1) {
		/* Signals stay with the threads that expect them. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		for (i = 0; i < nt - 1; i++)
			if (pthread_create(&tid[started], NULL, load_worker,
			    &lp) == 0)
				started++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	(void)load_worker(&lp);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&lp.lock);
}

/*
 * True when the stems of the listed files (the servers' names) are in
 * order too (the listing sorts "a-b.yaml" before "a.yaml", the names
 * "a" before "a-b").
 */
static int
stems_sorted(char **names, size_t n)
{
	size_t	i, la, lb, m;
	int	c;

	for (i = 1; i < n; i++) {
		la = strrchr(names[i - 1], '.') - names[i - 1];
		lb = strrchr(names[i], '.') - names[i];
		m = la < lb ? la : lb;
		c = memcmp(names[i - 1], names[i], m);
		if (c > 0 || (c == 0 && la > lb))
			return 0;
	}
	return 1;
}

/*
 * Loads the server files listed in names into st and validates the
 * state. ctx (owned; see struct cache_last) says what else the state
 * was made of.
 */
static void
load_servers(struct state *st, const struct state_src *src,
    struct state_cache *cache, char **names, size_t n, char *ctx,
    struct buf *b)
{
	struct state_server	**lst, *srv;
	struct parsed		 *parsed;
	char			  path[PATH_MAX], **yaml;
	size_t			  i, nlst = 0, nyaml = 0;
	int			  incr, yml = 0;

	yaml = xcalloc(n + 1, sizeof(*yaml));
	for (i = 0; i < n; i++) {
		if (ends_with(names[i], ".yml"))
			yml = 1;
		if (!ends_with(names[i], ".yaml") &&
		    !ends_with(names[i], ".yml")) {
			if (names[i][0] != '.')
				diags_warn(st->diags, NULL, 0, 0, "servers/%s "
				    "is ignored: server files end in .yaml",
				    names[i]);
			continue;
		}
		yaml[nyaml++] = names[i];
	}
	names = yaml;
	lst = xcalloc(nyaml + 1, sizeof(*lst));
	/* Only a .yaml file per name can share: one name, one file. */
	incr = cache != NULL && src->stat != NULL && !yml &&
	    cache->last.ctx != NULL && strcmp(cache->last.ctx, ctx) == 0;
	if (incr)
		load_incremental(st, src, cache, names, nyaml, b, lst, &nlst);
	else {
		/* Files the cache has by id first, then the others. */
		parsed = xcalloc(nyaml + 1, sizeof(*parsed));
		for (i = 0; cache != NULL && i < nyaml; i++) {
			snprintf(path, sizeof(path), "servers/%s", names[i]);
			(void)load_cached(src, cache, path, NULL, &parsed[i],
			    1);
		}
		load_parallel(src, cache, names, nyaml, parsed);
		for (i = 0; i < nyaml; i++) {
			snprintf(path, sizeof(path), "servers/%s", names[i]);
			if ((srv = load_join(st, cache, path, &parsed[i],
			    1)) != NULL)
				lst[nlst++] = srv;
		}
		free(parsed);
		if (cache != NULL)
			cache_sweep(cache);
	}
	st->servers = xreallocarray(NULL, nlst + 1, sizeof(*st->servers));
	memcpy(st->servers, lst, nlst * sizeof(*lst));
	st->nservers = nlst;
	/* Files come sorted by name from git and from a directory. */
	i = st->nservers;
	if (!stems_sorted(names, nyaml))
		for (i = 1; i < st->nservers; i++)
			if (srv_cmp(&st->servers[i - 1], &st->servers[i]) > 0)
				break;
	if (i < st->nservers)
		qsort(st->servers, st->nservers, sizeof(*st->servers),
		    srv_cmp);
	if (incr)
		diags_sort(st->diags);
	else {
		for (i = 1; i < st->nservers; i++)
			if (strcmp(st->servers[i - 1]->name,
			    st->servers[i]->name) == 0) {
				diags_add(st->diags, st->servers[i]->path, 0,
				    0, "server '%s' is defined twice (%s and "
				    "%s)", st->servers[i]->name,
				    st->servers[i - 1]->path,
				    st->servers[i]->path);
				st->servers[i]->valid = 0;
			}
		state_validate(st);
	}
	if (incr)
		keep_diags(&cache->last, st);
	else if (cache != NULL && src->stat != NULL && !yml) {
		cache_keep(cache, st, ctx, lst, nlst);
		ctx = NULL;
	} else if (cache != NULL)
		cache_last_clear(&cache->last);
	free(ctx);
	free(lst);
	free(yaml);
}

/* The built-in eggs, copied into the state's own library. */
static void
load_builtin_eggs(struct state *st, const struct egg_library *builtin)
{
	size_t	i;

	for (i = 0; i < egglib_count(builtin); i++) {
		const struct egg *be = egglib_at(builtin, i);
		struct buf w;
		struct egg *copy;
		struct diags dd;

		/* Eggs are immutable; a round trip makes a copy. */
		buf_init(&w, 0);
		egg_write_yaml(be, &w);
		diags_init(&dd);
		if (egg_load(&copy, be->id, buf_str(&w), w.len, &dd) == 0)
			egglib_put(st->eggs, be->id, copy);
		diags_dispose(&dd);
		buf_dispose(&w);
	}
}

/* The repository's eggs/<group>/<egg>.yaml, each into st->eggs. */
static int
load_eggs(struct state *st, const struct state_src *src, struct buf *ctx,
    struct buf *b, struct rerr *err)
{
	char		**names = NULL, **eggn, path[PATH_MAX], id[96];
	char		  egg_id[PATH_MAX];
	size_t		  n = 0, ne, i, j, stem;
	int		  rc;
	struct rerr	  e2;

	rerr_init(&e2);
	rc = src->list(src->arg, "eggs", &names, &n, &e2);
	if (rc != 0 && rc != ROOST_ENOTFOUND)
		return rerr_set(err, -1, "%s", e2.msg);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "eggs/%s", names[i]);
		if (src->isdir != NULL && !src->isdir(src->arg, path))
			continue;
		eggn = NULL;
		ne = 0;
		if (src->list(src->arg, path, &eggn, &ne, &e2) != 0)
			continue;
		for (j = 0; j < ne; j++) {
			if (!egglib_egg_name(eggn[j], &stem))
				continue;
			snprintf(path, sizeof(path), "eggs/%s/%s", names[i],
			    eggn[j]);
			snprintf(egg_id, sizeof(egg_id), "%s/%.*s", names[i],
			    (int)stem, eggn[j]);
			buf_reset(b);
			if (src->read(src->arg, path, b, id, sizeof(id),
			    &e2) != 0) {
				ctx_add(ctx, path, "-");
				diags_add(st->diags, path, 0, 0, "%s",
				    e2.msg);
				continue;
			}
			ctx_add(ctx, path, id);
			(void)egglib_add_buf(st->eggs, egg_id, path,
			    buf_str(b), b->len, st->diags);
		}
		free_names(eggn, ne);
	}
	free_names(names, n);
	return 0;
}

/* The repository's nodes/<node>.yaml. */
static int
load_nodes(struct state *st, const struct state_src *src, struct buf *ctx,
    struct buf *b, struct rerr *err)
{
	char		**names = NULL, path[PATH_MAX], id[96], *stem;
	size_t		  n = 0, i;
	int		  rc;
	struct rerr	  e2;

	rerr_init(&e2);
	rc = src->list(src->arg, "nodes", &names, &n, &e2);
	if (rc != 0 && rc != ROOST_ENOTFOUND)
		return rerr_set(err, -1, "%s", e2.msg);
	for (i = 0; i < n; i++) {
		if (!ends_with(names[i], ".yaml") &&
		    !ends_with(names[i], ".yml"))
			continue;
		snprintf(path, sizeof(path), "nodes/%s", names[i]);
		buf_reset(b);
		if (src->read(src->arg, path, b, id, sizeof(id), &e2) != 0) {
			ctx_add(ctx, path, "-");
			diags_add(st->diags, path, 0, 0, "%s", e2.msg);
			continue;
		}
		ctx_add(ctx, path, id);
		stem = xstrndup(names[i], strrchr(names[i], '.') - names[i]);
		load_node(st, path, stem, buf_str(b), b->len);
		free(stem);
	}
	free_names(names, n);
	return 0;
}

/* Loads and validates the state from src; see state.h. */
int
state_load(struct state **out, const struct state_src *src,
    const struct egg_library *builtin, struct state_cache *cache,
    struct rerr *err)
{
	struct state	*st;
	struct buf	 b, ctx;
	char		**names = NULL, id[96];
	size_t		 n = 0;
	int		 rc;
	struct rerr	 e2;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->diags = xcalloc(1, sizeof(*st->diags));
	diags_init(st->diags);
	limits_unset(&st->conf.defaults);
	st->conf.backups.keep = STATE_UNSET;
	st->conf.path = xstrdup("roost.yaml");
	buf_init(&b, 8 << 20);
	buf_init(&ctx, 0);

	/* roost.yaml is optional: without it, nobody has role rights. */
	rerr_init(&e2);
	rc = src->read(src->arg, "roost.yaml", &b, id, sizeof(id), &e2);
	ctx_add(&ctx, "roost.yaml", rc == 0 ? id : "-");
	if (rc == 0)
		load_conf(st, "roost.yaml", buf_str(&b), b.len);
	else if (rc != ROOST_ENOTFOUND) {
		rerr_set(err, -1, "%s", e2.msg);
		goto fail;
	}

	/* Eggs: a new library holding the built-in ones under the repo's. */
	st->eggs = egglib_new();
	st->own_eggs = 1;
	if (builtin != NULL)
		load_builtin_eggs(st, builtin);
	if (load_eggs(st, src, &ctx, &b, err) != 0 ||
	    load_nodes(st, src, &ctx, &b, err) != 0)
		goto fail;

	/* Servers. */
	rc = src->list_block != NULL ? src->list_block(src->arg, "servers",
	    &names, &n, &e2) : src->list(src->arg, "servers", &names, &n, &e2);
	if (rc != 0 && rc != ROOST_ENOTFOUND) {
		rerr_set(err, -1, "%s", e2.msg);
		goto fail;
	}
	buf_addf(&ctx, "%p\n", (const void *)builtin);
	load_servers(st, src, cache, names, n, buf_detach(&ctx), &b);
	if (src->list_block != NULL)
		free(names);	/* one block: the names point into it */
	else
		free_names(names, n);
	buf_dispose(&b);
	*out = st;
	return 0;
fail:
	free_names(names, n);
	buf_dispose(&b);
	buf_dispose(&ctx);
	state_free(st);
	return -1;
}
