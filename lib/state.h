/*
 * state: the typed desired state of a roost deployment, read from a state
 * repository (a git revision or a work tree):
 *
 *   roost.yaml                 deployment settings: access rules, defaults
 *   nodes/<node>.yaml          node inventory
 *   servers/<server>.yaml      one file per game server
 *   eggs/<nest>/<egg>.(yaml|yml|json)   repository-local eggs
 *
 * state_load reads every file through a struct state_src (a directory or a
 * git tree), fills the structs from field tables, and validates across
 * files. Every problem is collected in state->diags with its path, line and
 * column. A file that fails affects only what it describes: a bad server
 * file marks that server invalid (valid == 0) and the rest still load.
 *
 * Ownership: a struct state owns everything reachable from it; pointers
 * into it are borrowed until state_free.
 */
#ifndef ROOST_STATE_H
#define ROOST_STATE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct diags;
struct egg;
struct egg_library;
struct rerr;

/* Permissions a Discord role or a server member can hold. */
#define PERM_VIEW	0x001	/* see status, list, history */
#define PERM_POWER	0x002	/* start, stop, restart */
#define PERM_EDIT	0x004	/* limits, image */
#define PERM_VARS	0x008	/* egg variables */
#define PERM_SFTP	0x010	/* SFTP credentials */
#define PERM_DELETE	0x020	/* delete a server */
#define PERM_CREATE	0x040	/* create servers (roles only) */
#define PERM_REINSTALL	0x080	/* reinstall */
#define PERM_ADMIN	0x100	/* everything, on every server */
#define PERM_CONSOLE	0x200	/* type into the console, read its logs */
#define PERM_BACKUP	0x400	/* take and restore backups */
#define PERM_SCHEDULE	0x800	/* run a schedule now */
#define PERM_ALL	0xfff

/* SFTP user permissions. */
#define SFTP_PERM_READ		0x1
#define SFTP_PERM_WRITE		0x2
#define SFTP_PERM_DELETE	0x4

/* Resource limits; -1 means "not set" before defaults are applied. */
struct state_limits {
	int64_t	memory;		/* MiB */
	int64_t	swap;		/* MiB; -1 unlimited, 0 none */
	int64_t	cpu;		/* percent of one core; 0 = unlimited */
	int64_t	disk;		/* MiB */
	int64_t	io;		/* blkio weight 10..1000 */
	int64_t	pids;		/* process limit */
};

/* roost.yaml: one access rule maps a Discord role id to permissions. */
struct state_access {
	char		*role;		/* Discord role id (snowflake) */
	unsigned	 perms;		/* PERM_* */
};

/*
 * A backup policy (a server file's backups, roost.yaml's defaults.backups).
 * Lists not written are NULL with set_* 0, so defaults fill them.
 */
#define STATE_MAX_BACKUP_IGNORE	200	/* ignore patterns */
#define STATE_MAX_BACKUP_LINES	20	/* before / after console lines */
#define STATE_BACKUP_KEEP_DEF	5
#define STATE_BACKUP_KEEP_MAX	1000

struct state_backups {
	char		*target;	/* a target of roostd.yaml, or NULL */
	int64_t		 keep;		/* newest kept; STATE_UNSET: not set */
	char		**ignore;	/* .pteroignore patterns */
	size_t		 nignore;
	char		**before;	/* console lines before the archive */
	size_t		 nbefore;
	char		**after;	/* console lines after it */
	size_t		 nafter;
	int		 set_ignore, set_before, set_after;
};

/* What the alerts channel hears about (roost.yaml's alerts.on). */
#define ALERT_CRASH	0x01	/* a server's container died */
#define ALERT_CRASHLOOP	0x02	/* ... and keeps dying */
#define ALERT_INSTALL	0x04	/* an install failed */
#define ALERT_START	0x08	/* a server failed to start */
#define ALERT_NODE	0x10	/* a node disconnected, and came back */
#define ALERT_SCHEDULE	0x20	/* a schedule's run failed */
#define ALERT_BACKUP	0x40	/* a backup failed */
#define ALERT_ALL	0x7f
#define ALERT_NODE_DOWN_MS	60000	/* default alerts.nodeDownAfter */

/* roost.yaml's alerts. */
struct state_alerts {
	char		*channel;	/* Discord channel id, or NULL: none */
	unsigned	 on;		/* ALERT_* */
	uint64_t	 node_down_ms;	/* disconnected this long: alert */
};

/* roost.yaml's proposals: who may propose edits they may not make. */
struct state_proposals {
	int		  enabled;	/* proposals.enabled (default 0) */
	char		**roles;	/* only holders of these role ids may
					   propose; none: whoever may view
					   the server */
	size_t		  nroles;
};

/*
 * Schedules (a server file's schedules, roost.yaml's defaults.schedules):
 * tasks run by the node at the fire times of a cron expression
 * (lib/cron.h). docs/schedules.md.
 */
#define STATE_MAX_SCHEDULES	10	/* per server */
#define STATE_MAX_TASKS		20	/* per schedule */
#define STATE_TASK_AFTER_MAX	86400000	/* one offset: a day, in ms */

enum state_task_kind {
	STATE_TASK_COMMAND,	/* a console line */
	STATE_TASK_RESTART,	/* restart the server (not a crash) */
	STATE_TASK_BACKUP	/* a backup with the server's policy */
};

struct state_task {
	enum state_task_kind	 kind;
	char			*arg;	/* the line, the backup note, or NULL */
	uint64_t		 after_ms; /* after the previous task */
	int			 cont;	/* continueOnFailure */
};

struct state_schedule {
	char			*name;
	char			*cron;	/* as written; parses with cron_parse */
	char			*timezone; /* IANA name, or NULL: the node's */
	int			 only_running; /* onlyWhenRunning */
	struct state_task	*tasks;
	size_t			 ntasks;
	int			 line;	/* where the schedule is written */
	int			 col;
};

/* A list of schedules; set says the file wrote the key (even empty). */
struct state_schedules {
	struct state_schedule	*v;
	size_t			 n;
	int			 set;
};

struct state_conf {
	char			*path;		/* "roost.yaml" */
	struct state_proposals	 proposals;
	struct state_alerts	 alerts;
	struct state_access	*access;
	size_t			 naccess;
	struct state_limits	 defaults;	/* default limits for new servers */
	char			*default_node;	/* or NULL: placed by capacity */
	int64_t			 max_servers_per_user; /* 0: no limit */
	int			 require_sealed; /* requireSealedSecrets */
	char			**seal_to;	/* sealTo: nodes every secret
						   is sealed to, or NULL */
	size_t			 nseal_to;
	struct state_backups	 backups;	/* defaults.backups */
	struct state_schedules	 schedules;	/* defaults.schedules */
};

struct state_portrange {
	int	lo;
	int	hi;		/* inclusive */
};

enum state_overhead {
	STATE_OVERHEAD_WINGS,	/* Wings' tiers: +15% <2 GiB, +10% <4 GiB, +5% */
	STATE_OVERHEAD_NONE,
	STATE_OVERHEAD_PERCENT	/* overhead_percent on every server */
};

struct state_node {
	char			*path;		/* "nodes/<name>.yaml" */
	char			*name;
	char			*address;	/* IP ports are bound to */
	char			*public_address; /* players connect here */
	struct state_portrange	*ports;
	size_t			 nports;
	int64_t			 cap_memory;	/* MiB */
	int64_t			 cap_disk;	/* MiB */
	int64_t			 cap_cpu;	/* percent of one core */
	double			 oversubscribe;	/* ratio >= 1.0; default 1.0 */
	enum state_overhead	 overhead;
	int			 overhead_percent;
	int			 allow_empty;	/* a revision may remove all */
	char			*seal_key;	/* sealKey: public key, or NULL */
	int			 valid;
};

/*
 * Caps on the lists of one server file, so that no file makes reading or
 * validating it slow; past one, the file is refused with the place.
 */
#define STATE_MAX_VARS		1000	/* variables */
#define STATE_MAX_SFTP		100	/* sftp users */
#define STATE_MAX_KEYS		100	/* keys of one sftp user */
#define STATE_MAX_MEMBERS	1000	/* members */
#define STATE_MAX_EXTRA_PORTS	100	/* ports.extra */

struct state_var {
	char	*key;
	char	*value;
	int	 line;		/* where the value is written */
	int	 col;
};

/* Positions of a server file's fields, for cross-file messages. */
enum state_pos_field {
	STATE_POS_NAME,
	STATE_POS_OWNER,
	STATE_POS_NODE,
	STATE_POS_EGG,
	STATE_POS_IMAGE,
	STATE_POS_PORT,
	STATE_POS_EXTRA,	/* the extra ports list */
	STATE_POS_VARS,		/* the variables map */
	STATE_POS_MEMORY,	/* limits.memory, else limits, else top */
	STATE_POS_MAX
};

struct state_pos {
	int	line;
	int	col;
};

struct state_sftp_user {
	char	 *user;
	char	 *password;	/* crypt(3) hash, or NULL */
	char	**keys;		/* OpenSSH public keys */
	size_t	  nkeys;
	unsigned  perms;	/* SFTP_PERM_* */
};

struct state_member {
	char		*id;	/* Discord user id */
	unsigned	 perms;	/* PERM_* */
};

enum state_power {
	STATE_RUNNING,
	STATE_STOPPED
};

struct state_server {
	char			*path;		/* "servers/<name>.yaml" */
	char			*blob_id;	/* content id of the file */
	char			*name;
	char			*owner;		/* Discord user id */
	char			*node;
	char			*egg;		/* "nest/name" */
	char			*image;		/* NULL: the egg's first image */
	enum state_power	 state;
	int			 alerts;	/* alerts.enabled (default 1) */
	int			 alerts_mention; /* alerts.mentionOwner */
	char			*restarted_at;	/* one-shot request, or NULL */
	char			*reinstall_at;	/* one-shot request, or NULL */
	char			*backup_at;	/* backupRequestedAt, or NULL */
	char			*backup_note;	/* backupNote, or NULL */
	char			*restore_id;	/* restore.backup, or NULL */
	char			*restore_at;	/* restore.requestedAt */
	char			*move_from;	/* move.from, or NULL */
	char			*move_at;	/* move.requestedAt */
	struct state_backups	 backups;	/* defaults applied */
	struct state_limits	 limits;	/* defaults applied */
	int			 port;		/* default allocation */
	int			*extra_ports;
	size_t			 nextra_ports;
	struct state_var	*vars;		/* as written in the file */
	size_t			 nvars;
	struct state_sftp_user	*sftp;
	size_t			 nsftp;
	struct state_member	*members;
	size_t			 nmembers;
	int			 valid;		/* 0: see the diags for path */
	struct state_pos	 pos[STATE_POS_MAX];
	char			*error;		/* first problem, for status */
	struct state_schedules	 schedules;	/* defaults applied; never
						   inside the packed block */
	size_t			 pack_len;	/* 0, or: a copy made by
						   state_server_dup in one
						   block of that many bytes
						   (pointers outside it
						   are freed on their own) */	int			 refs;		/* other holders (states
						   sharing it, the parse
						   cache): while above 0,
						   state_server_free only
						   drops one; never write
						   to a shared server */
};

struct state {
	char			*revision;	/* commit id, or NULL */
	struct state_conf	 conf;
	struct state_node	*nodes;
	size_t			 nnodes;
	struct state_server	**servers;	/* sorted by name */
	size_t			 nservers;
	struct egg_library	*eggs;		/* built-in + repository eggs */
	int			 own_eggs;	/* eggs is freed with state */
	struct diags		*diags;		/* every problem found */
};

/*
 * Where state files come from. list fills *names with the names of the
 * entries (files and directories) directly inside dir ("servers",
 * "eggs/minecraft"), owned by the caller (free each and the array); it
 * returns 0, ROOST_ENOTFOUND when dir does not exist, or -1. read fills out
 * with a file's bytes and id (at least 41 bytes) with an identifier that
 * changes whenever the content changes (a git blob id, or a hash); it
 * returns 0, ROOST_ENOTFOUND or -1. stat, when the source has it (a git
 * tree: the id is the blob id), gives the id read would without reading
 * the file, so that files already in a parse cache are not read at all.
 * list_block (may be NULL) is list with the names in one allocation with
 * the array: free the array only.
 */
struct state_src {
	void	*arg;
	int	(*list)(void *arg, const char *dir, char ***names,
		    size_t *n, struct rerr *err);
	int	(*read)(void *arg, const char *path, struct buf *out,
		    char *id, size_t idlen, struct rerr *err);
	int	(*stat)(void *arg, const char *path, char *id, size_t idlen,
		    struct rerr *err);	/* may be NULL */
	int	(*list_block)(void *arg, const char *dir, char ***names,
		    size_t *n, struct rerr *err);	/* may be NULL */
	int	(*isdir)(void *arg, const char *path);
};

/* Makes a source reading a work tree rooted at dir (dir is borrowed). */
void	state_src_dir(struct state_src *out, const char *dir);

/*
 * Keeps parsed server files by content id so that unchanged files are not
 * parsed again from one revision to the next (roostd, the bot).
 */
struct state_cache;
struct state_cache *state_cache_new(void);
void	state_cache_free(struct state_cache *);
/* Parses performed through this cache since it was made (for tests). */
size_t	state_cache_parses(const struct state_cache *);

/*
 * Loads and validates the state from src. builtin is the built-in egg
 * library (borrowed; may be NULL), to which the repository's eggs/ are
 * added in a new library owned by the state. cache may be NULL.
 * On success *out is owned by the caller and (*out)->diags lists every
 * problem (the state may still be partly invalid: check diags->nerrors and
 * each server's valid flag). Returns 0, or -1 when the source cannot be
 * read at all (err says why; nothing is returned).
 */
int	state_load(struct state **out, const struct state_src *src,
	    const struct egg_library *builtin, struct state_cache *cache,
	    struct rerr *err);
/*
 * Sets how many threads a load parses server files on, the calling one
 * included: 0 (the default) takes one per processor when there are
 * enough files to share; n > 0 takes n however few files there are (for
 * tests, so that a handful of files is parsed on several threads too).
 */
void	state_load_threads(int n);
/* Frees a state; takes NULL. */
void	state_free(struct state *st);

/* Lookups; NULL when absent. Borrowed. */
struct state_server *state_server_find(const struct state *st,
	    const char *name);
struct state_node *state_node_find(const struct state *st, const char *name);
/* True when port lies in one of node n's ranges. */
int	state_node_has_port(const struct state_node *n, int port);
/* The egg of a server, or NULL when it does not exist. */
const struct egg *state_server_egg(const struct state *st,
	    const struct state_server *srv);
/* The image a server runs: its own, else the egg's first. */
const char *state_server_image(const struct state *st,
	    const struct state_server *srv);
/* The value of env var key for srv: the server's, else the egg default. */
const char *state_server_var(const struct state *st,
	    const struct state_server *srv, const char *key);

/*
 * Deep copy of a server (roostd keeps the last good spec); the copy is
 * not shared. state_server_free frees a server, or drops one reference to
 * a shared one (see refs); state_server_ref adds one and returns srv.
 */
struct state_server *state_server_dup(const struct state_server *srv);
void	state_server_free(struct state_server *srv);
struct state_server *state_server_ref(struct state_server *srv);

/*
 * Permissions of a Discord user holding roles on a server (srv may be
 * NULL for deployment-wide checks such as create): the union of the role
 * rules, PERM_ALL for the owner, and the member's own list.
 */
unsigned state_perms(const struct state *st, const struct state_server *srv,
	    const char *user_id, const char *const *roles, size_t nroles);

/* Parses a permission name ("power") into PERM_*; 0 when unknown. */
unsigned state_perm_parse(const char *name);
/* Writes the names of perms, comma-separated, into out. */
void	state_perm_format(unsigned perms, struct buf *out);

/* A schedule of srv by name, or NULL. Borrowed. */
const struct state_schedule *state_schedule_find(
	    const struct state_server *srv, const char *name);
/* True for a schedule's name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}. */
int	state_schedule_name_valid(const char *name);
/* Deep copy of a list of schedules into *dst. */
void	state_schedules_copy(struct state_schedules *dst,
	    const struct state_schedules *src);
/* Frees what a list of schedules holds (not s itself). */
void	state_schedules_dispose(struct state_schedules *s);

/* True when id is a backup's id ([0-9A-Za-z][0-9A-Za-z._-]{0,63}). */
int	state_backup_id_valid(const char *id);

/* True when name is a valid server name ([a-z0-9][a-z0-9-]{0,30}). */
int	state_name_valid(const char *name);
/* True for an SFTP user name: [a-z0-9_][a-z0-9_-]{0,31}. */
int	state_sftp_user_valid(const char *s);
/* True when s is a Discord snowflake (17 to 20 digits, no leading zero). */
int	state_snowflake_valid(const char *s);

/*
 * Writes a new server file for srv (used by create) in the canonical
 * form, with the yaml-language-server schema modeline.
 */
void	state_server_write(const struct state_server *srv, struct buf *out);

#endif
