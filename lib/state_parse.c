/*
 * state_parse: the readers of a state repository's files, one per kind:
 * roost.yaml (state_load_conf), nodes/<node>.yaml (state_load_node) and
 * servers/<server>.yaml (state_parse_server), and the checks they share.
 * Every file is a YAML map described by a field table (lib/fields.c, the
 * reader roostd.yaml and bot.yaml share); the table says each key's type,
 * bounds and destination, and unknown keys are reported with the closest
 * known key.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fields.h"
#include "ignore.h"
#include "limit.h"
#include "rerr.h"
#include "seal.h"
#include "state.h"
#include "state_int.h"
#include "xmalloc.h"
#include "ydoc.h"

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

/* Marks every limit of l not written; see state_int.h. */
void
state_limits_unset(struct state_limits *l)
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

/* Reads roost.yaml into st->conf; see state_int.h. */
void
state_load_conf(struct state *st, const char *path, const char *buf,
    size_t len)
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

/* Reads one nodes/<node>.yaml into st->nodes; see state_int.h. */
void
state_load_node(struct state *st, const char *path, const char *stem,
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
 * A one-shot request's time, key: TIME (restartedAt, reinstallAt,
 * backupRequestedAt), into *out when it is an RFC 3339 time.
 */
static void
load_time(struct fields_ctx *c, const struct ydoc_node *root,
    const char *key, char **out)
{
	const struct ydoc_node	*v;

	if ((v = ydoc_get(root, key)) == NULL || ydoc_is_null(v))
		return;
	if (!ydoc_is_scalar(v) || !timestamp_ok(v->str))
		fields_err(c, v, "'%s' must be a time such as "
		    "2026-11-25T10:00:00Z", key);
	else
		*out = xstrdup(v->str);
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

	load_time(c, root, "backupRequestedAt", &s->backup_at);
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
	state_limits_unset(&s->limits);
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
	load_time(&c, root, "restartedAt", &s->restarted_at);
	load_time(&c, root, "reinstallAt", &s->reinstall_at);
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
