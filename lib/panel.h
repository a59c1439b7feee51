/*
 * panel: the panel core. Every edit of desired state that the Discord bot
 * and the roost CLI make is one function here: create a server, set its
 * fields, power it, delete it, manage SFTP users and members.
 *
 * Each edit reads the branch tip, rewrites the server's file text with
 * yedit (a person's formatting survives), validates the whole new state,
 * commits as the given author, moves the branch with compare-and-swap and
 * pushes when the repository has a remote. When the branch or the remote
 * moved meanwhile, it fetches, re-applies the edit on the new tip,
 * revalidates and retries (bounded). An optional request id makes an edit
 * idempotent: it is recorded as a "Roost-Request:" trailer and an edit
 * whose id is already in recent history returns that commit.
 *
 * Ownership: a struct panel is used by one thread at a time; open one per
 * thread (several may edit one repository at once; they serialise on the
 * repository's writer lock and never lose an update).
 */
#ifndef ROOST_PANEL_H
#define ROOST_PANEL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "gitstore.h"

struct buf;
struct egg_library;
struct panel;
struct rerr;
struct state;
struct state_cache;

struct panel_opts {
	const char		*repo;		/* work tree or bare repository */
	const char		*branch;	/* NULL: HEAD's branch */
	const char		*remote;	/* NULL: "origin" when it exists;
						   "": never fetch or push */
	const struct gitstore_auth *auth;	/* may be NULL */
	const struct egg_library *eggs;		/* built-in eggs (borrowed);
						   NULL: loaded from
						   egglib_builtin_dir() */
	const char		*committer;	/* "Name <email>"; NULL: author */
	int			 attempts;	/* 0: 5 */
	size_t			 request_depth;	/* commits searched for a
						   request id; 0: 200 */
};

/* Who asks for an edit. */
struct panel_req {
	const char	*author;	/* "Name <email>" (required) */
	const char	*request_id;	/* idempotency key, or NULL */
};

/* What an edit did. Dispose with panel_result_dispose. */
struct panel_result {
	char		 commit[GITSTORE_IDLEN];	/* new (or existing) tip */
	int		 existing;	/* request id found: nothing new made */
	int		 unchanged;	/* the edit changed nothing */
	int		 pushed;	/* the commit reached the remote */
	int		 attempts;	/* tries it took */
	char		*summary;	/* "roost server set mc: ..." */
	char		*password;	/* generated SFTP password, or NULL */
	char		*node;		/* the server's node after the edit
					   (before it, for a delete or a
					   refused edit), or NULL */
	struct diags	 diags;		/* why a ROOST_EINVAL edit was refused */
	char		 at[32];	/* the time of the one-shot request
					   written (restart, backup...), or
					   "" */
};

/* A new server; unset numbers are -1 (port 0), unset strings NULL. */
struct panel_server_spec {
	const char		*name;
	const char		*egg;		/* "nest/name" */
	const char		*node;		/* NULL: placed by free capacity */
	const char		*owner;		/* Discord user id, or NULL */
	const char		*image;		/* NULL: the egg's first */
	int64_t			 memory;	/* MiB */
	int64_t			 disk;		/* MiB */
	int64_t			 cpu;		/* percent of one core */
	int			 port;		/* 0: a free allocation */
	const char *const	*vars;		/* "KEY=VALUE" */
	size_t			 nvars;
	int			 stopped;	/* create with state: stopped */
};

enum panel_power {
	PANEL_START,
	PANEL_STOP,
	PANEL_RESTART,
	PANEL_REINSTALL
};

/* One SFTP change for a user; fields left NULL / -1 / 0 are untouched. */
struct panel_sftp {
	const char	*user;
	const char	*password;	/* plain text, hashed with yescrypt */
	int		 generate;	/* make a password; see result */
	const char	*key;		/* OpenSSH public key to add */
	int		 perms;		/* SFTP_PERM_* to set, or -1 */
	int		 remove;	/* remove the user */
};

/*
 * Opens the repository for edits. Returns 0 with *out owned by the caller
 * (panel_close), ROOST_ENOTFOUND when opts->repo is not a git repository,
 * or -1.
 */
int	panel_open(struct panel **out, const struct panel_opts *opts,
	    struct rerr *err);
/* Closes a panel; takes NULL. */
void	panel_close(struct panel *p);
/* The repository, for reads (borrowed). */
struct gitstore *panel_gitstore(struct panel *p);
/* The branch edits go to (borrowed). */
const char *panel_branch(const struct panel *p);

/*
 * The author of an edit made by Discord user id under display name name,
 * as docs/gitops.md promises: "Name (discord:ID) <ID@users.discord.invalid>".
 * What a git signature cannot hold is replaced ('<' and '>' by U+2039 and
 * U+203A, newlines and other control characters by a space; ends libgit2
 * would trim are trimmed); everything else (emoji, U+2028) is kept. An
 * empty name becomes "discord user". Owned by the caller.
 */
char	*panel_author_discord(const char *name, const char *id);

/* Prepares a result; cannot fail. */
void	panel_result_init(struct panel_result *res);
/* Frees what a result holds (the password is wiped); res can be reused. */
void	panel_result_dispose(struct panel_result *res);

/*
 * Loads the state at rev (NULL: the branch tip; with a remote, fetched
 * first when fetch is set). *out is owned by the caller (state_free).
 * Returns 0, ROOST_ENOTFOUND or -1.
 */
int	panel_state(struct panel *p, const char *rev, int fetch,
	    struct state **out, struct rerr *err);

/*
 * Creates servers/<name>.yaml. The node, when not given, is the one with
 * the most free memory that fits; the port, when not given, is the lowest
 * free port of the node's allocations. Returns 0, ROOST_EEXISTS,
 * ROOST_EINVAL (res->diags says why), ROOST_ECONFLICT after the last
 * attempt, ROOST_EDIRTY, or -1.
 */
int	panel_server_create(struct panel *p, const struct panel_req *req,
	    const struct panel_server_spec *spec, struct panel_result *res,
	    struct rerr *err);
/*
 * Sets fields of a server from "KEY=VALUE" items: limits.memory (or
 * memory, swap, cpu, disk, io, pids), image, egg, node, owner, state,
 * port / ports.default, ports.extra (comma-separated), variables.X or an
 * upper-case egg variable name X. An empty value for image, owner or a
 * variable removes the key. Returns as panel_server_create, with
 * ROOST_ENOTFOUND for an unknown server.
 */
int	panel_server_set(struct panel *p, const struct panel_req *req,
	    const char *name, const char *const *kv, size_t nkv,
	    struct panel_result *res, struct rerr *err);
/*
 * Sets egg variables of a server from "KEY=VALUE" items: every KEY is a
 * variable name ([A-Z_][A-Z0-9_]*, anything else is refused) and is
 * written as variables.KEY, never as another field of the server; an
 * empty value removes it. Returns as panel_server_set.
 */
int	panel_server_set_vars(struct panel *p, const struct panel_req *req,
	    const char *name, const char *const *kv, size_t nkv,
	    struct panel_result *res, struct rerr *err);
/*
 * start/stop set state; restart/reinstall set restartedAt/reinstallAt to
 * the current UTC time (RFC 3339). Returns as panel_server_set.
 */
int	panel_server_power(struct panel *p, const struct panel_req *req,
	    const char *name, enum panel_power action,
	    struct panel_result *res, struct rerr *err);
/*
 * Replaces the server's schedules with yaml_text, one YAML list (written
 * into the file under schedules:, comments kept); blank text removes the
 * key (the server then has roost.yaml's default schedules). Returns as
 * panel_server_set: ROOST_EINVAL for text that is not one list or that
 * does not stay under its key, and the validation problems (a bad cron,
 * a start task, too many tasks) with nothing committed.
 */
int	panel_server_set_schedules(struct panel *p,
	    const struct panel_req *req, const char *name,
	    const char *yaml_text, struct panel_result *res,
	    struct rerr *err);
/*
 * Asks the server's node for a backup now: sets backupRequestedAt to the
 * current UTC time and backupNote to note (NULL removes an old note).
 * Returns as panel_server_set; ROOST_EINVAL for a note that is not one
 * line of at most 200 bytes.
 */
int	panel_server_backup(struct panel *p, const struct panel_req *req,
	    const char *name, const char *note, struct panel_result *res,
	    struct rerr *err);
/*
 * Asks the server's node to restore backup id (as its status lists it):
 * sets restore: { backup: id, requestedAt: now }. Returns as
 * panel_server_set; ROOST_EINVAL for an id that cannot be a backup's.
 */
int	panel_server_restore(struct panel *p, const struct panel_req *req,
	    const char *name, const char *id, struct panel_result *res,
	    struct rerr *err);
/*
 * Moves a server to another node: sets node: NODE (and a free port of
 * that node when its own is outside the node's ranges or taken there),
 * move: { from: OLD, requestedAt: now } and drops the old node's one-shot
 * requests (restore:, backupRequestedAt, backupNote).
 * The old node sends the data through a shared backup target
 * (docs/roostd.md, "Moving a server"). ROOST_ENOTFOUND for an unknown
 * node; ROOST_EINVAL for the node the server is on, an invalid node, one
 * without room (capacity) or without a free port. Returns as
 * panel_server_set otherwise.
 */
int	panel_server_move(struct panel *p, const struct panel_req *req,
	    const char *name, const char *node, struct panel_result *res,
	    struct rerr *err);
/* Removes servers/<name>.yaml. Returns as panel_server_set. */
int	panel_server_delete(struct panel *p, const struct panel_req *req,
	    const char *name, struct panel_result *res, struct rerr *err);
/*
 * Adds or changes an SFTP user of a server: password (stored only as a
 * yescrypt hash; a generated one is returned once in res->password), a
 * key, permissions; or removes the user. Returns as panel_server_set.
 */
int	panel_sftp_set(struct panel *p, const struct panel_req *req,
	    const char *name, const struct panel_sftp *op,
	    struct panel_result *res, struct rerr *err);
/*
 * Gives Discord user id the PERM_* perms on a server (0 removes the
 * member). Returns as panel_server_set.
 */
int	panel_member_set(struct panel *p, const struct panel_req *req,
	    const char *name, const char *id, unsigned perms,
	    struct panel_result *res, struct rerr *err);

/*
 * The history of a server's file on the branch, newest first (at most
 * max; 0: all). Returns as gitstore_file_log.
 */
int	panel_server_history(struct panel *p, const char *name, size_t max,
	    struct gitstore_logent **out, size_t *n, struct rerr *err);

/*
 * Reverts what commit (a commit id or any revision) changed in server
 * name's file, on the branch tip: a three-way merge of that change's
 * inverse, so later changes to other lines stay. The commit message gets
 * a "Roost-Reverts: <id>" trailer. A revert of the server's creation
 * deletes it; of its deletion brings it back. Returns as panel_server_set;
 * -1 with a message when the revert conflicts with later changes (nothing
 * is committed), ROOST_EINVAL when the commit did not change the server.
 */
int	panel_server_revert(struct panel *p, const struct panel_req *req,
	    const char *name, const char *commit, struct panel_result *res,
	    struct rerr *err);
/*
 * Sets server name's file to its content at revision (trailer
 * "Roost-Rollback-To: <id>"). ROOST_ENOTFOUND when the server did not
 * exist there. Returns as panel_server_set.
 */
int	panel_server_rollback(struct panel *p, const struct panel_req *req,
	    const char *name, const char *revision, struct panel_result *res,
	    struct rerr *err);
/*
 * Appends to out the diff a rollback of name to revision would commit
 * (from the branch tip's file to the revision's; empty when they are the
 * same), and writes the revision's full id into resolved. Returns 0 or
 * an error as panel_server_rollback.
 */
int	panel_server_rollback_diff(struct panel *p, const char *name,
	    const char *revision, struct buf *out,
	    char resolved[GITSTORE_IDLEN], struct rerr *err);

/*
 * True when b is a branch name roost passes to git: at most 100 of
 * A-Z, a-z, 0-9, '.', '_', '/' and '-', not starting with '-' or '/', no
 * "..", "//" or trailing '/'.
 */
int	panel_branch_valid(const char *b);

/*
 * Writes into out the plan from the tracked branch's tip (base_id) to
 * branch's tip (tip_id; fetched first when there is a remote): what
 * roostd would do on each node, after the branch's problems. Returns 0,
 * ROOST_EINVAL for a name git would not take, ROOST_ENOTFOUND when there
 * is no such branch, or -1.
 */
int	panel_plan_branch(struct panel *p, const char *branch,
	    struct buf *out, char base_id[GITSTORE_IDLEN],
	    char tip_id[GITSTORE_IDLEN], struct rerr *err);

/*
 * Makes a random password of len (>= 20) characters from getrandom(2)
 * into out (len + 1 bytes).
 */
void	panel_password_generate(char *out, size_t len);
/*
 * Hashes password with yescrypt into a crypt(3) string owned by the
 * caller. Returns 0 or -1.
 */
int	panel_password_hash(const char *password, char **out,
	    struct rerr *err);

/*
 * Change requests (docs/gitops.md): an edit someone may not make is
 * committed to a branch of its own, roost/proposals/<id>, and merged
 * into the tracked branch when someone approves it.
 */
#define PANEL_PROPOSAL_IDLEN	9	/* 8 hex digits and NUL */

struct panel_proposal {
	char	 id[PANEL_PROPOSAL_IDLEN];
	char	*branch;		/* "roost/proposals/<id>" */
	char	*server;
	char	 commit[GITSTORE_IDLEN];	/* the branch's tip */
	char	 base[GITSTORE_IDLEN];	/* where it left the tracked one */
	char	*author;		/* the proposer, "Name <email>" */
	char	*proposer;		/* their Discord id, or NULL */
	char	*summary;		/* the proposal's first line */
	char	*diff;			/* the server's file, base to tip */
	char	*plan;			/* as panel_plan_branch, or NULL */
	int	 stale;			/* approve: it no longer applies */
	int	 kept;			/* approve: the branch stayed */
};

/* Prepares a proposal; cannot fail. */
void	panel_proposal_init(struct panel_proposal *pr);
/* Frees what a proposal holds; pr can be reused. */
void	panel_proposal_dispose(struct panel_proposal *pr);
/* True when id is a proposal id: 8 lowercase hex digits. */
int	panel_proposal_id_valid(const char *id);

/*
 * Proposes what panel_server_set (vars: panel_server_set_vars) would do:
 * the edit is made on the tracked branch's tip and validated as any
 * edit, but committed (as req->author, trailer "Roost-Proposal: <id>") to
 * a new branch roost/proposals/<id>, pushed when there is a remote; the
 * tracked branch does not move. The id is the first 8 hex digits of the
 * SHA-256 of the request id (random without one), so a redelivered
 * request finds its proposal (res->existing). Fills out with the
 * proposal, its diff and its plan. Returns as panel_server_set
 * (res->unchanged: nothing to propose, no branch made).
 */
int	panel_propose_set(struct panel *p, const struct panel_req *req,
	    const char *name, const char *const *kv, size_t nkv, int vars,
	    struct panel_proposal *out, struct panel_result *res,
	    struct rerr *err);
/*
 * Reads proposal id (fetched first when there is a remote) into out: its
 * tip, base, author, server (checked against server when not NULL), the
 * diff of the server's file and, with plan set, the branch's plan.
 * Returns 0, ROOST_ENOTFOUND when no such proposal is open, ROOST_EINVAL,
 * or -1.
 */
int	panel_proposal_load(struct panel *p, const char *id,
	    const char *server, int plan, struct panel_proposal *out,
	    struct rerr *err);
/*
 * Approves proposal id: its change to the server's file is applied to
 * the tracked branch's tip (unchanged when the branch has not moved,
 * else a three-way merge) and validated like any edit, then committed
 * authored by the proposer with the trailers "Roost-Proposal: <id>" and
 * "Roost-Approved-By: <req->author>"; the proposal branch is deleted.
 * When the change no longer applies (a conflict, the server gone, or the
 * result invalid) out->stale is set, nothing is committed and the branch
 * is kept. Returns as panel_server_set, ROOST_ENOTFOUND when the
 * proposal is not open, ROOST_EEXISTS when it was approved already.
 */
int	panel_proposal_approve(struct panel *p, const struct panel_req *req,
	    const char *id, const char *server, struct panel_proposal *out,
	    struct panel_result *res, struct rerr *err);
/*
 * Rejects proposal id: deletes its branch (here and on the remote).
 * Returns 0, ROOST_ENOTFOUND when it is not open, ROOST_EEXISTS when it
 * was approved already, or -1.
 */
int	panel_proposal_reject(struct panel *p, const char *id,
	    const char *server, struct panel_proposal *out, struct rerr *err);

#endif
