/*
 * state: the typed desired state's common ground, which the loader and
 * the validator build on: permission names, the checks of names and
 * Discord ids, lookups of servers, nodes, eggs, images and variables,
 * copying and freeing servers, the effective permissions of a member, and
 * writing a server file. Reading a repository (work tree or commit) into
 * a struct state is the loader's (state_load.c, state_cache.c and
 * state_parse.c); cross-file checks are validate.c's. Nothing here calls
 * either, so lib/'s state modules form a stack: state.c, then validate.c,
 * then the loader.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "ywrite.h"

/* Permission names, in the order state_perm_format writes them. */
static const struct {
	const char	*name;
	unsigned	 bit;
} state_perm_names[] = {
	{ "view", PERM_VIEW }, { "power", PERM_POWER }, { "edit", PERM_EDIT },
	{ "vars", PERM_VARS }, { "sftp", PERM_SFTP },
	{ "delete", PERM_DELETE }, { "create", PERM_CREATE },
	{ "reinstall", PERM_REINSTALL }, { "console", PERM_CONSOLE },
	{ "backup", PERM_BACKUP }, { "schedule", PERM_SCHEDULE },
	{ "admin", PERM_ADMIN },
};

/* Parses a permission name; 0 when unknown. */
unsigned
state_perm_parse(const char *name)
{
	size_t	i;

	if (strcmp(name, "all") == 0)
		return PERM_ALL;
	if (strcmp(name, "variables") == 0)
		return PERM_VARS;
	for (i = 0; i < sizeof(state_perm_names) / sizeof(state_perm_names[0]);
	    i++)
		if (strcmp(name, state_perm_names[i].name) == 0)
			return state_perm_names[i].bit;
	return 0;
}

/* Writes the names of perms, comma-separated. */
void
state_perm_format(unsigned perms, struct buf *out)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < sizeof(state_perm_names) / sizeof(state_perm_names[0]);
	    i++)
		if (perms & state_perm_names[i].bit) {
			buf_addf(out, "%s%s", first ? "" : ",",
			    state_perm_names[i].name);
			first = 0;
		}
}

/* True for 1 to max of [a-z0-9] and the characters of extra, no '-' first. */
static int
word_valid(const char *s, size_t max, const char *extra)
{
	size_t	i;

	if (s == NULL || s[0] == '\0' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i == max || !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(extra, s[i]) != NULL))
			return 0;
	return 1;
}

/* True for [a-z0-9][a-z0-9-]{0,30}. */
int
state_name_valid(const char *name)
{
	return word_valid(name, 31, "-");
}

/* True for an SFTP user name: [a-z0-9_][a-z0-9_-]{0,31}. */
int
state_sftp_user_valid(const char *s)
{
	return word_valid(s, 32, "_-");
}

/* True for a Discord snowflake: 17 to 20 digits. */
int
state_snowflake_valid(const char *s)
{
	size_t	n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (!isdigit((unsigned char)s[n]))
			return 0;
	return n >= 17 && n <= 20 && s[0] != '0';
}

/* ---- lookups ---- */

/* The server called name, or NULL. */
struct state_server *
state_server_find(const struct state *st, const char *name)
{
	size_t	lo = 0, hi = st->nservers, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(st->servers[mid]->name, name);
		if (c == 0)
			return st->servers[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The node called name, or NULL. */
struct state_node *
state_node_find(const struct state *st, const char *name)
{
	size_t	i;

	for (i = 0; i < st->nnodes; i++)
		if (st->nodes[i].name != NULL &&
		    strcmp(st->nodes[i].name, name) == 0)
			return &st->nodes[i];
	return NULL;
}

/* True when port lies in one of node n's ranges. */
int
state_node_has_port(const struct state_node *n, int port)
{
	size_t	i;

	for (i = 0; i < n->nports; i++)
		if (port >= n->ports[i].lo && port <= n->ports[i].hi)
			return 1;
	return 0;
}

/* The egg of a server, or NULL. */
const struct egg *
state_server_egg(const struct state *st, const struct state_server *srv)
{
	if (srv->egg == NULL)
		return NULL;
	return egglib_find(st->eggs, srv->egg);
}

/* The image a server runs. */
const char *
state_server_image(const struct state *st, const struct state_server *srv)
{
	const struct egg	*egg;

	if (srv->image != NULL)
		return srv->image;
	if ((egg = state_server_egg(st, srv)) != NULL && egg->nimages > 0)
		return egg->images[0].ref;
	return NULL;
}

/* A variable's value: the server's, else the egg's default. */
const char *
state_server_var(const struct state *st, const struct state_server *srv,
    const char *key)
{
	const struct egg	*egg;
	const struct egg_var	*v;
	size_t			 i;

	for (i = 0; i < srv->nvars; i++)
		if (strcmp(srv->vars[i].key, key) == 0)
			return srv->vars[i].value;
	if ((egg = state_server_egg(st, srv)) != NULL &&
	    (v = egg_var_find(egg, key)) != NULL)
		return v->def;
	return NULL;
}

/* ---- copies ---- */

/* A bump allocator over one block, for state_server_dup. */
struct pack {
	char	*p;
	size_t	 off;
	size_t	 len;
};

static size_t
pack_align(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static void *
pack_get(struct pack *k, size_t n)
{
	void	*r = k->p + k->off;

	k->off += pack_align(n);
	return r;
}

static char *
pack_str(struct pack *k, const char *s)
{
	size_t	n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(pack_get(k, n), s, n);
}

static size_t
str_len(const char *s)
{
	return s != NULL ? pack_align(strlen(s) + 1) : 0;
}

/* The bytes a packed copy of a list of n strings takes. */
static size_t
strv_len(char *const *v, size_t n)
{
	size_t	i, len;

	if (v == NULL)
		return 0;
	len = pack_align((n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		len += str_len(v[i]);
	return len;
}

/* A packed copy of a list of n strings (NULL stays NULL). */
static char **
pack_strv(struct pack *k, char *const *v, size_t n)
{
	char	**d;
	size_t	  i;

	if (v == NULL)
		return NULL;
	d = pack_get(k, (n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		d[i] = pack_str(k, v[i]);
	return d;
}

/* The bytes a packed copy of srv takes. */
static size_t
pack_size(const struct state_server *srv)
{
	size_t	n, i, j;

	n = pack_align(sizeof(*srv)) + str_len(srv->path) +
	    str_len(srv->blob_id) + str_len(srv->name) + str_len(srv->owner) +
	    str_len(srv->node) + str_len(srv->egg) + str_len(srv->image) +
	    str_len(srv->restarted_at) + str_len(srv->reinstall_at) +
	    str_len(srv->error) + str_len(srv->backup_at) +
	    str_len(srv->backup_note) + str_len(srv->restore_id) +
	    str_len(srv->restore_at) + str_len(srv->backups.target) +
	    str_len(srv->move_from) + str_len(srv->move_at) +
	    strv_len(srv->backups.ignore, srv->backups.nignore) +
	    strv_len(srv->backups.before, srv->backups.nbefore) +
	    strv_len(srv->backups.after, srv->backups.nafter);
	n += pack_align((srv->nextra_ports + 1) * sizeof(int));
	n += pack_align((srv->nvars + 1) * sizeof(*srv->vars));
	for (i = 0; i < srv->nvars; i++)
		n += str_len(srv->vars[i].key) + str_len(srv->vars[i].value);
	n += pack_align((srv->nsftp + 1) * sizeof(*srv->sftp));
	for (i = 0; i < srv->nsftp; i++) {
		n += str_len(srv->sftp[i].user) +
		    str_len(srv->sftp[i].password);
		n += pack_align((srv->sftp[i].nkeys + 1) * sizeof(char *));
		for (j = 0; j < srv->sftp[i].nkeys; j++)
			n += str_len(srv->sftp[i].keys[j]);
	}
	n += pack_align((srv->nmembers + 1) * sizeof(*srv->members));
	for (i = 0; i < srv->nmembers; i++)
		n += str_len(srv->members[i].id);
	return n;
}

/*
 * A deep copy of srv in one allocation (a state of 100,000 servers is
 * copied from the parse cache on every load: one malloc and one free
 * each instead of a dozen).
 */
struct state_server *
state_server_dup(const struct state_server *srv)
{
	struct state_server	*d;
	struct pack		 k;
	size_t			 i, j;

	k.len = pack_size(srv);
	k.p = xcalloc(1, k.len);
	k.off = 0;
	d = pack_get(&k, sizeof(*d));
	*d = *srv;
	d->pack_len = k.len;
	d->refs = 0;
	d->path = pack_str(&k, srv->path);
	d->blob_id = pack_str(&k, srv->blob_id);
	d->name = pack_str(&k, srv->name);
	d->owner = pack_str(&k, srv->owner);
	d->node = pack_str(&k, srv->node);
	d->egg = pack_str(&k, srv->egg);
	d->image = pack_str(&k, srv->image);
	d->restarted_at = pack_str(&k, srv->restarted_at);
	d->reinstall_at = pack_str(&k, srv->reinstall_at);
	d->error = pack_str(&k, srv->error);
	d->backup_at = pack_str(&k, srv->backup_at);
	d->backup_note = pack_str(&k, srv->backup_note);
	d->restore_id = pack_str(&k, srv->restore_id);
	d->restore_at = pack_str(&k, srv->restore_at);
	d->move_from = pack_str(&k, srv->move_from);
	d->move_at = pack_str(&k, srv->move_at);
	d->backups.target = pack_str(&k, srv->backups.target);
	d->backups.ignore = pack_strv(&k, srv->backups.ignore,
	    srv->backups.nignore);
	d->backups.before = pack_strv(&k, srv->backups.before,
	    srv->backups.nbefore);
	d->backups.after = pack_strv(&k, srv->backups.after,
	    srv->backups.nafter);
	d->extra_ports = pack_get(&k, (srv->nextra_ports + 1) * sizeof(int));
	if (srv->nextra_ports > 0)
		memcpy(d->extra_ports, srv->extra_ports,
		    srv->nextra_ports * sizeof(int));
	d->vars = pack_get(&k, (srv->nvars + 1) * sizeof(*d->vars));
	for (i = 0; i < srv->nvars; i++) {
		d->vars[i] = srv->vars[i];
		d->vars[i].key = pack_str(&k, srv->vars[i].key);
		d->vars[i].value = pack_str(&k, srv->vars[i].value);
	}
	d->sftp = pack_get(&k, (srv->nsftp + 1) * sizeof(*d->sftp));
	for (i = 0; i < srv->nsftp; i++) {
		d->sftp[i] = srv->sftp[i];
		d->sftp[i].user = pack_str(&k, srv->sftp[i].user);
		d->sftp[i].password = pack_str(&k, srv->sftp[i].password);
		d->sftp[i].keys = pack_get(&k, (srv->sftp[i].nkeys + 1) *
		    sizeof(char *));
		for (j = 0; j < srv->sftp[i].nkeys; j++)
			d->sftp[i].keys[j] = pack_str(&k,
			    srv->sftp[i].keys[j]);
	}
	d->members = pack_get(&k, (srv->nmembers + 1) * sizeof(*d->members));
	for (i = 0; i < srv->nmembers; i++) {
		d->members[i] = srv->members[i];
		d->members[i].id = pack_str(&k, srv->members[i].id);
	}
	state_schedules_copy(&d->schedules, &srv->schedules);
	return d;
}

/* Frees p unless it lies inside srv's packed block. */
static void
sfree(const struct state_server *srv, void *p)
{
	const char	*b = (const char *)srv;

	if (srv->pack_len > 0 && (const char *)p >= b &&
	    (const char *)p < b + srv->pack_len)
		return;
	free(p);
}

/* Shares srv with one more holder; see state.h. */
struct state_server *
state_server_ref(struct state_server *srv)
{
	__atomic_fetch_add(&srv->refs, 1, __ATOMIC_RELAXED);
	return srv;
}

/* Frees a server, or drops one reference to a shared one. */
void
state_server_free(struct state_server *srv)
{
	size_t	i, j;

	if (srv == NULL)
		return;
	/* A shared server: another holder still uses it. */
	if (__atomic_fetch_sub(&srv->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	sfree(srv, srv->path);
	sfree(srv, srv->blob_id);
	sfree(srv, srv->name);
	sfree(srv, srv->owner);
	sfree(srv, srv->node);
	sfree(srv, srv->egg);
	sfree(srv, srv->image);
	sfree(srv, srv->restarted_at);
	sfree(srv, srv->reinstall_at);
	sfree(srv, srv->error);
	sfree(srv, srv->backup_at);
	sfree(srv, srv->backup_note);
	sfree(srv, srv->restore_id);
	sfree(srv, srv->restore_at);
	sfree(srv, srv->move_from);
	sfree(srv, srv->move_at);
	sfree(srv, srv->backups.target);
	for (i = 0; i < srv->backups.nignore; i++)
		sfree(srv, srv->backups.ignore[i]);
	sfree(srv, srv->backups.ignore);
	for (i = 0; i < srv->backups.nbefore; i++)
		sfree(srv, srv->backups.before[i]);
	sfree(srv, srv->backups.before);
	for (i = 0; i < srv->backups.nafter; i++)
		sfree(srv, srv->backups.after[i]);
	sfree(srv, srv->backups.after);
	sfree(srv, srv->extra_ports);
	for (i = 0; i < srv->nvars; i++) {
		sfree(srv, srv->vars[i].key);
		sfree(srv, srv->vars[i].value);
	}
	sfree(srv, srv->vars);
	for (i = 0; i < srv->nsftp; i++) {
		sfree(srv, srv->sftp[i].user);
		sfree(srv, srv->sftp[i].password);
		for (j = 0; j < srv->sftp[i].nkeys; j++)
			sfree(srv, srv->sftp[i].keys[j]);
		sfree(srv, srv->sftp[i].keys);
	}
	sfree(srv, srv->sftp);
	for (i = 0; i < srv->nmembers; i++)
		sfree(srv, srv->members[i].id);
	sfree(srv, srv->members);
	state_schedules_dispose(&srv->schedules);
	free(srv);
}

static void
state_node_dispose(struct state_node *n)
{
	free(n->path);
	free(n->name);
	free(n->address);
	free(n->public_address);
	free(n->ports);
	free(n->seal_key);
}

/* Frees what a backup policy holds (not packed). */
static void
state_backups_dispose(struct state_backups *b)
{
	free(b->target);
	util_strv_free(b->ignore, b->nignore);
	util_strv_free(b->before, b->nbefore);
	util_strv_free(b->after, b->nafter);
}

/* Frees a state. */
void
state_free(struct state *st)
{
	size_t	i;

	if (st == NULL)
		return;
	free(st->revision);
	free(st->conf.path);
	for (i = 0; i < st->conf.naccess; i++)
		free(st->conf.access[i].role);
	free(st->conf.access);
	free(st->conf.default_node);
	util_strv_free(st->conf.seal_to, st->conf.nseal_to);
	state_backups_dispose(&st->conf.backups);
	state_schedules_dispose(&st->conf.schedules);
	free(st->conf.alerts.channel);
	for (i = 0; i < st->conf.proposals.nroles; i++)
		free(st->conf.proposals.roles[i]);
	free(st->conf.proposals.roles);
	for (i = 0; i < st->nnodes; i++)
		state_node_dispose(&st->nodes[i]);
	free(st->nodes);
	for (i = 0; i < st->nservers; i++)
		state_server_free(st->servers[i]);
	free(st->servers);
	if (st->own_eggs)
		egglib_free(st->eggs);
	if (st->diags != NULL) {
		diags_dispose(st->diags);
		free(st->diags);
	}
	free(st);
}

/* ---- permissions ---- */

/* The permissions of a Discord user on srv (or deployment-wide). */
unsigned
state_perms(const struct state *st, const struct state_server *srv,
    const char *user_id, const char *const *roles, size_t nroles)
{
	unsigned	perms = 0;
	size_t		i, j;

	for (i = 0; i < st->conf.naccess; i++)
		for (j = 0; j < nroles; j++)
			if (strcmp(st->conf.access[i].role, roles[j]) == 0)
				perms |= st->conf.access[i].perms;
	if (perms & PERM_ADMIN)
		return PERM_ALL;
	if (srv != NULL && user_id != NULL) {
		if (srv->owner != NULL && strcmp(srv->owner, user_id) == 0)
			/* every permission a server has */
			perms |= PERM_ALL & ~(unsigned)(PERM_ADMIN |
			    PERM_CREATE);
		for (i = 0; i < srv->nmembers; i++)
			if (strcmp(srv->members[i].id, user_id) == 0)
				perms |= srv->members[i].perms | PERM_VIEW;
	}
	if (srv == NULL)
		return perms;
	/* Create is deployment-wide; on a server it means nothing. */
	return perms & ~(unsigned)PERM_CREATE;
}

/* ---- writing a new server file ---- */

/* Appends prefix, v double-quoted and a newline. */
static void
put_quoted(struct buf *out, const char *prefix, const char *v)
{
	buf_puts(out, prefix);
	ywrite_quoted(out, v);
	buf_putc(out, '\n');
}

/* Writes srv as a new server file in the canonical form. */
void
state_server_write(const struct state_server *srv, struct buf *out)
{
	size_t	i, j;

	buf_puts(out, "# yaml-language-server: $schema=../schema/"
	    "server.schema.json\napiVersion: roost/v1\nkind: Server\n"
	    "name: ");
	ywrite_scalar(out, srv->name);
	buf_puts(out, "\nowner: ");
	ywrite_quoted(out, srv->owner ? srv->owner : "");
	buf_puts(out, "\nnode: ");
	ywrite_scalar(out, srv->node ? srv->node : "");
	buf_puts(out, "\negg: ");
	ywrite_scalar(out, srv->egg ? srv->egg : "");
	if (srv->image != NULL) {
		buf_puts(out, "\nimage: ");
		ywrite_scalar(out, srv->image);
	}
	buf_addf(out, "\nstate: %s\n",
	    srv->state == STATE_STOPPED ? "stopped" : "running");
	if (srv->restarted_at != NULL)
		put_quoted(out, "restartedAt: ", srv->restarted_at);
	if (srv->reinstall_at != NULL)
		put_quoted(out, "reinstallAt: ", srv->reinstall_at);
	buf_addf(out, "limits:\n  memory: %lld\n  swap: %lld\n  cpu: %lld\n"
	    "  disk: %lld\n  io: %lld\n  pids: %lld\n",
	    (long long)srv->limits.memory, (long long)srv->limits.swap,
	    (long long)srv->limits.cpu, (long long)srv->limits.disk,
	    (long long)srv->limits.io, (long long)srv->limits.pids);
	buf_addf(out, "ports:\n  default: %d\n", srv->port);
	if (srv->nextra_ports > 0) {
		buf_puts(out, "  extra: [");
		for (i = 0; i < srv->nextra_ports; i++)
			buf_addf(out, "%s%d", i ? ", " : "",
			    srv->extra_ports[i]);
		buf_puts(out, "]\n");
	}
	if (srv->nvars > 0) {
		buf_puts(out, "variables:\n");
		for (i = 0; i < srv->nvars; i++) {
			buf_puts(out, "  ");
			ywrite_scalar(out, srv->vars[i].key);
			put_quoted(out, ": ", srv->vars[i].value);
		}
	}
	if (srv->nsftp > 0) {
		buf_puts(out, "sftp:\n");
		for (i = 0; i < srv->nsftp; i++) {
			const struct state_sftp_user *u = &srv->sftp[i];

			buf_puts(out, "  - user: ");
			ywrite_scalar(out, u->user);
			buf_putc(out, '\n');
			if (u->password != NULL)
				put_quoted(out, "    password: ", u->password);
			if (u->nkeys > 0) {
				buf_puts(out, "    keys:\n");
				for (j = 0; j < u->nkeys; j++)
					put_quoted(out, "      - ", u->keys[j]);
			}
			buf_addf(out, "    permissions: [%s%s%s%s%s]\n",
			    u->perms & SFTP_PERM_READ ? "read" : "",
			    (u->perms & SFTP_PERM_READ) &&
			    (u->perms & (SFTP_PERM_WRITE | SFTP_PERM_DELETE)) ?
			    ", " : "",
			    u->perms & SFTP_PERM_WRITE ? "write" : "",
			    (u->perms & SFTP_PERM_WRITE) &&
			    (u->perms & SFTP_PERM_DELETE) ? ", " : "",
			    u->perms & SFTP_PERM_DELETE ? "delete" : "");
		}
	}
	if (srv->nmembers > 0) {
		buf_puts(out, "members:\n");
		for (i = 0; i < srv->nmembers; i++) {
			struct buf p;

			buf_init(&p, 0);
			state_perm_format(srv->members[i].perms, &p);
			buf_puts(out, "  - id: ");
			ywrite_quoted(out, srv->members[i].id);
			buf_addf(out, "\n    permissions: [%s]\n",
			    buf_str(&p));
			buf_dispose(&p);
		}
	}
}
