/*
 * backup: backups and restores on this node (see backup.h). One thread
 * per job, detached; backup_free waits for them. Per server the module
 * keeps what was handled (mirrored in <dataDir>/backups/<server>.json),
 * the last result of each kind and the list of its archives on its
 * target, read from the target's <id>.json records through the store
 * interface (store.h): on the reconcile turn for a local target, on a
 * thread of its own for a remote one (S3), so a slow store never holds
 * a turn.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "ignore.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "backup.h"
#include "conf.h"
#include "console.h"
#include "store.h"
#include "tarz.h"
#include "thread.h"

#define BK_MOVE_NOTE	".move.json"	/* a move's progress, on a target */
#define BK_WHO		"roost:backup"	/* who typed the before/after lines */
#define BK_PTEROIGNORE_MAX	(32 * 1024)
#define BK_RECORD_MAX	(64 * 1024)	/* bytes of the state file */
#define BK_STATUS_MAX	50		/* backups listed in a status */
#define BK_LIST_RETRY	30		/* seconds before a failed list is read again */

enum bk_phase {
	BK_IDLE,
	BK_BACKUP,	/* archiving */
	BK_VERIFY,	/* a restore checks the archive */
	BK_WAIT_STOP,	/* a restore waits for the server to stop */
	BK_EXTRACT	/* a restore replaces the data */
};

/* What the module knows of one server. */
struct bk_srv {
	char		*name;
	enum bk_phase	 phase;
	int		 loaded;	/* its state file was read */
	char		*handled_backup;
	char		*handled_restore;
	cJSON		*last_backup;
	cJSON		*last_restore;
	char		*target;	/* the target its list is from */
	char		*target_error;
	char		*list_error;	/* reading the target failed */
	cJSON		*list;		/* newest first */
	int		 list_stale;
	int		 listing;	/* a thread reads the list */
	time_t		 list_retry;	/* after list_error: not before */
};

struct backups {
	char			*data_dir;
	struct store		**t;	/* the targets, fixed from the start */
	size_t			 nt;
	int			 level;
	int			 uid;
	int			 gid;
	struct console		*con;
	backup_change_cb	 on_change;
	void			*cb_arg;

	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct bk_srv		**v;
	size_t			 n;
	int			 njobs;
	int			 quit;
};

/* A job's own copy of its request. */
struct bk_job {
	struct backups	*b;
	struct bk_srv	*s;
	int		 restore;
	char		*server;
	char		*volume;
	char		*target;	/* NULL: none could be chosen */
	char		*at;
	char		*note;
	char		*id;
	char		*revision;
	int64_t		 keep;
	char		**ignore;
	size_t		 nignore;
	int		 set_ignore;
	char		**before;
	size_t		 nbefore;
	char		**after;
	size_t		 nafter;
	uint64_t	 max_bytes;
	cJSON		*transfer;	/* the record's "transfer", or NULL */
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
same(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* The store of a target by name, or NULL (b->t never changes). */
static struct store *
bk_store(struct backups *b, const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < b->nt; i++)
		if (strcmp(b->t[i]->name, name) == 0)
			return b->t[i];
	return NULL;
}

/* The target a policy names, or the node's only one; NULL when none. */
static const char *
bk_target_name(struct backups *b, const struct state_backups *p)
{
	if (p != NULL && p->target != NULL)
		return p->target;
	return b->nt == 1 ? b->t[0]->name : NULL;
}

/* Finds (or makes) a server's entry; under b->mtx. */
static struct bk_srv *
bk_find(struct backups *b, const char *name, int create)
{
	struct bk_srv	*s;
	size_t		 i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i]->name, name) == 0)
			return b->v[i];
	if (!create)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->list_stale = 1;
	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	b->v[b->n++] = s;
	return s;
}

static void
bk_srv_free(struct bk_srv *s)
{
	free(s->name);
	free(s->handled_backup);
	free(s->handled_restore);
	cJSON_Delete(s->last_backup);
	cJSON_Delete(s->last_restore);
	free(s->target);
	free(s->target_error);
	free(s->list_error);
	cJSON_Delete(s->list);
	free(s);
}

/* ---- the state file: what was handled ---- */

/* <dataDir>/backups/<server>.json, read into s (no lock needed: fresh). */
static void
bk_state_read(struct backups *b, const char *server, char **hb, char **hr,
    cJSON **lb, cJSON **lr)
{
	cJSON		*o;
	char		*path;
	const char	*v;

	*hb = *hr = NULL;
	*lb = *lr = NULL;
	xasprintf(&path, "%s/backups/%s.json", b->data_dir, server);
	if ((o = json_read_file(path, BK_RECORD_MAX)) != NULL) {
		if ((v = json_str(o, "backup", NULL)) != NULL)
			*hb = xstrdup(v);
		if ((v = json_str(o, "restore", NULL)) != NULL)
			*hr = xstrdup(v);
		if (cJSON_IsObject(json_get(o, "lastBackup")))
			*lb = cJSON_Duplicate(json_get(o, "lastBackup"), 1);
		if (cJSON_IsObject(json_get(o, "lastRestore")))
			*lr = cJSON_Duplicate(json_get(o, "lastRestore"), 1);
		cJSON_Delete(o);
	}
	free(path);
}

/* The state file's text for s; under b->mtx. */
static char *
bk_state_text(const struct bk_srv *s)
{
	cJSON	*o;

	o = json_new_object();
	json_add_str(o, "backup", s->handled_backup);
	json_add_str(o, "restore", s->handled_restore);
	json_add_copy(o, "lastBackup", s->last_backup);
	json_add_copy(o, "lastRestore", s->last_restore);
	return json_print_free(o);
}

/* Writes the state file (atomically); no lock held. */
static int
bk_state_write(struct backups *b, const char *server, const char *text,
    struct rerr *err)
{
	char	*path;
	int	 rc;

	xasprintf(&path, "%s/backups", b->data_dir);
	if (util_mkdir_p(path, 0700) == -1) {
		rc = rerr_errno(err, -1, "create \"%s\"", path);
		free(path);
		return rc;
	}
	free(path);
	xasprintf(&path, "%s/backups/%s.json", b->data_dir, server);
	rc = util_write_atomic(path, text, strlen(text), 0600, err);
	free(path);
	return rc;
}

/* Reads s's state file once, from a worker (no lock held). */
static void
bk_state_ensure(struct backups *b, struct bk_srv *s)
{
	char	*hb, *hr;
	cJSON	*lb, *lr;
	int	 loaded;

	pthread_mutex_lock(&b->mtx);
	loaded = s->loaded;
	pthread_mutex_unlock(&b->mtx);
	if (loaded)
		return;
	bk_state_read(b, s->name, &hb, &hr, &lb, &lr);
	pthread_mutex_lock(&b->mtx);
	if (!s->loaded) {
		s->loaded = 1;
		s->handled_backup = hb;
		s->handled_restore = hr;
		s->last_backup = lb;
		s->last_restore = lr;
		hb = hr = NULL;
		lb = lr = NULL;
	}
	pthread_mutex_unlock(&b->mtx);
	free(hb);
	free(hr);
	cJSON_Delete(lb);
	cJSON_Delete(lr);
}

/* ---- the archives on a target ---- */

/*
 * The list of a server's backups on a target (a new array of records
 * with their ids, newest first); NULL with err set when the target
 * cannot be read.
 */
static cJSON *
bk_list_load(struct store *st, const char *server, struct rerr *err)
{
	struct rerr	 e2;
	cJSON		*arr, *o;
	char		**ids;
	size_t		 n, i;

	if (st == NULL)
		return json_new_array();
	if (store_list(st, server, &ids, &n, err) != 0)
		return NULL;
	arr = json_new_array();
	for (i = 0; i < n; i++) {
		rerr_init(&e2);
		if ((o = store_record(st, server, ids[i], &e2)) != NULL) {
			json_add_str(o, "id", ids[i]);
			cJSON_AddItemToArray(arr, o);
		}
	}
	util_strv_free(ids, n);
	return arr;
}

/* Reloads s's list from its target (no lock held). */
static void
bk_list_refresh(struct backups *b, struct bk_srv *s, const char *target)
{
	struct rerr	 err;
	cJSON		*list;

	rerr_init(&err);
	list = bk_list_load(bk_store(b, target), s->name, &err);
	pthread_mutex_lock(&b->mtx);
	free(s->list_error);
	s->list_error = NULL;
	if (list != NULL) {
		cJSON_Delete(s->list);
		s->list = list;
	} else {
		xasprintf(&s->list_error, "backup target '%s': %s", target,
		    err.msg);
		s->list_retry = time(NULL) + BK_LIST_RETRY;
	}
	pthread_mutex_unlock(&b->mtx);
}

/* What a thread reading a remote list needs. */
struct bk_lister {
	struct backups	*b;
	struct bk_srv	*s;
	char		*target;
};

/* Reads a list from a remote target off the reconcile turn. */
static void *
bk_list_run(void *arg)
{
	struct bk_lister	*l = arg;
	struct backups		*b = l->b;

	bk_list_refresh(b, l->s, l->target);
	pthread_mutex_lock(&b->mtx);
	l->s->listing = 0;
	pthread_mutex_unlock(&b->mtx);
	if (b->on_change != NULL)
		b->on_change(b->cb_arg, l->s->name);
	thread_job_done(&b->mtx, &b->cond, &b->njobs);
	free(l->target);
	free(l);
	return NULL;
}

/* Starts bk_list_run for s; under b->mtx. */
static void
bk_list_start(struct backups *b, struct bk_srv *s, const char *target)
{
	struct bk_lister	*l;

	l = xcalloc(1, sizeof(*l));
	l->b = b;
	l->s = s;
	l->target = xstrdup(target);
	s->listing = 1;
	b->njobs++;
	thread_spawn(bk_list_run, l, "backup");
}

/* ---- a backup ---- */

/*
 * Types lines on the server's console, when it runs. Returns how many
 * were typed.
 */
static int
bk_type(struct backups *b, const char *server, char *const *lines, size_t n)
{
	struct console_result	 res;
	struct rerr		 err;
	size_t			 i;
	int			 rc, tries, typed = 0;

	if (b->con == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		for (tries = 0; tries < 4; tries++) {
			rerr_init(&err);
			memset(&res, 0, sizeof(res));
			rc = console_command(b->con, server, BK_WHO, lines[i],
			    &res, &err);
			if (rc != ROOST_EDENIED)
				break;
			/* Our own rate limit: wait for the next token. */
			usleep((useconds_t)((res.retry_ms > 0 && res.retry_ms <
			    15000 ? res.retry_ms : 1000) * 1000));
		}
		if (rc == ROOST_ECONFLICT || rc == ROOST_ENOTFOUND)
			return typed;		/* not running */
		if (rc != 0)
			log_warnx("server \"%s\": backup console line: %s",
			    server, err.msg);
		else
			typed++;
	}
	return typed;
}

/* The ignore patterns of a job: the policy's, else .pteroignore. */
static struct ignore *
bk_ignore(const struct bk_job *j, int vfd)
{
	struct ignore	*ig = NULL;
	struct rerr	 err;
	struct stat	 sb;
	char		*text;
	ssize_t		 n;
	int		 fd;

	rerr_init(&err);
	if (ignore_compile(&ig, (const char *const *)j->ignore, j->nignore,
	    &err) != 0)
		(void)ignore_compile(&ig, NULL, 0, &err);
	if (j->set_ignore)
		return ig;
	/* As Wings: a regular file of at most 32 KiB, never a link. */
	fd = openat(vfd, ".pteroignore", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return ig;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size <= BK_PTEROIGNORE_MAX) {
		text = xmalloc((size_t)sb.st_size + 1);
		if ((n = read(fd, text, (size_t)sb.st_size)) > 0)
			ignore_add_text(ig, text, (size_t)n);
		free(text);
	}
	close(fd);
	return ig;
}

/* Keeps the newest keep backups of the server on st. */
static void
bk_retain(struct store *st, int64_t keep, const char *server)
{
	struct rerr	 err;
	char		**ids;
	size_t		 n, i;

	rerr_init(&err);
	if (keep <= 0 || store_list(st, server, &ids, &n, &err) != 0)
		return;
	for (i = (size_t)keep; i < n; i++) {
		rerr_init(&err);
		if (store_remove(st, server, ids[i], &err) != 0)
			log_warnx("server \"%s\": removing backup %s: %s",
			    server, ids[i], err.msg);
		else
			log_info("server \"%s\": backup %s removed (keep %lld)",
			    server, ids[i], (long long)keep);
	}
	util_strv_free(ids, n);
}

/* The record of a finished backup, as text. */
static char *
bk_record_text(const struct bk_job *j, const struct tarz_stats *st)
{
	cJSON	*rec;
	char	 now[32];

	util_now_rfc3339(now, sizeof(now));
	rec = json_new_object();
	json_add_str(rec, "server", j->server);
	json_add_str(rec, "time", now);
	json_add_str(rec, "format", "tar.zst");
	json_add_num(rec, "size", (double)st->size);
	json_add_str(rec, "sha256", st->sha256);
	json_add_num(rec, "entries", (double)st->entries);
	json_add_num(rec, "dataBytes", (double)st->data);
	json_add_num(rec, "skipped", (double)st->skipped);
	json_add_str(rec, "revision", j->revision);
	json_add_str(rec, "note", j->note);
	json_add_str(rec, "requestedAt", j->at);
	json_add_str(rec, "target", j->target);
	json_add_copy(rec, "transfer", j->transfer);
	return json_print_free(rec);
}

/* tarz's writer: the archive's bytes into the target. */
static int
bk_put_write(void *arg, const void *p, size_t len, struct rerr *err)
{
	return store_put_write(arg, p, len, err);
}

/* Takes one backup; fills res. Returns 0 or an error code with err. */
static int
bk_do_backup(struct bk_job *j, cJSON *res, struct rerr *err)
{
	struct backups		*b = j->b;
	struct tarz_stats	 st;
	struct ignore		*ig = NULL;
	struct store		*sto;
	struct store_put	*put = NULL;
	char			 id[STORE_ID_MAX], *text, **ids;
	size_t			 nids;
	int			 vfd = -1, rc = 0, typed = 0;

	if ((sto = bk_store(b, j->target)) == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, j->target != NULL ?
		    "backup target '%s' is not configured on this node "
		    "(roostd.yaml backups.targets)" : "%sno backup target: "
		    "set backups.target (roostd.yaml has none or several)",
		    j->target != NULL ? j->target : "");
	store_tidy(sto, j->server);
	vfd = open(j->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vfd == -1)
		return rerr_errno(err, -1, "open the server directory");
	if (store_list(sto, j->server, &ids, &nids, err) != 0) {
		close(vfd);
		return -1;
	}
	store_new_id(ids, nids, id);
	util_strv_free(ids, nids);
	if ((rc = store_put_begin(sto, j->server, id, &put, err)) != 0) {
		close(vfd);
		return rc;
	}
	ig = bk_ignore(j, vfd);
	if ((typed = bk_type(b, j->server, j->before, j->nbefore)) > 0)
		sleep(1);	/* let the server act on them (save-all) */
	rc = tarz_pack_to(vfd, ig, b->level, bk_put_write, put, &st, err);
	if (typed > 0 || j->nbefore == 0)
		(void)bk_type(b, j->server, j->after, j->nafter);
	ignore_free(ig);
	close(vfd);
	if (rc != 0) {
		store_put_abort(put);
		return rc;
	}
	text = bk_record_text(j, &st);
	rc = store_put_commit(put, text, strlen(text), err);
	free(text);
	if (rc != 0)
		return rc;
	json_add_str(res, "id", id);
	json_add_num(res, "size", (double)st.size);
	json_add_str(res, "sha256", st.sha256);
	json_add_num(res, "entries", (double)st.entries);
	log_info("server \"%s\": backup %s: %llu entries, %llu bytes, sha256 "
	    "%s", j->server, id, (unsigned long long)st.entries,
	    (unsigned long long)st.size, st.sha256);
	bk_retain(sto, j->keep, j->server);
	return 0;
}

/* ---- a restore ---- */

static int
exists(const char *p)
{
	struct stat	sb;

	return lstat(p, &sb) == 0;
}

/* fsyncs a directory by path. */
static void
dir_sync(const char *p)
{
	int	fd;

	if ((fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The inode of the restored tree, from the second line of a .req file. */
static ino_t
bk_req_ino(const char *reqpath)
{
	struct buf	 buf;
	struct rerr	 err;
	const char	*nl;
	ino_t		 ino = 0;

	buf_init(&buf, 256);
	rerr_init(&err);
	if (util_read_file(reqpath, &buf, &err) == 0 &&
	    (nl = strchr(buf_str(&buf), '\n')) != NULL)
		ino = (ino_t)strtoull(nl + 1, NULL, 10);
	buf_dispose(&buf);
	return ino;
}

/*
 * Puts <dataDir>/restore/<server>.new in place of the server's directory
 * in one step (rename with RENAME_EXCHANGE, so the directory always holds
 * the old or the restored tree), then moves the data it replaced to the
 * trash. ino is the restored tree's inode: when the server's directory
 * already is it, the exchange was done before a kill -9. Every step can
 * be done again (backup_new does). Returns 0 or -1.
 */
static int
bk_swap(struct backups *b, const char *server, ino_t ino, struct rerr *err)
{
	struct stat	 sb;
	char		*vol, *nw, *old, *vdir, *rdir, *label, *moved = NULL;
	int		 rc = 0;

	xasprintf(&vdir, "%s/volumes", b->data_dir);
	xasprintf(&rdir, "%s/restore", b->data_dir);
	xasprintf(&vol, "%s/%s", vdir, server);
	xasprintf(&nw, "%s/%s.new", rdir, server);
	xasprintf(&old, "%s/%s.old", rdir, server);
	xasprintf(&label, "%s-before-restore", server);
	if (exists(nw) && exists(old)) {
		/* A replaced copy from an earlier restore is still here. */
		if (apply_trash_put(b->data_dir, old, label, &moved, err) != 0)
			rc = -1;
		free(moved);
		moved = NULL;
	}
	if (rc == 0 && exists(nw)) {
		(void)util_mkdir_p(vdir, 0755);
		if (lstat(vol, &sb) == -1) {
			if (rename(nw, vol) == -1)
				rc = rerr_errno(err, -1, "move the restored "
				    "data to \"%s\"", vol);
		} else if (ino != 0 && sb.st_ino == ino) {
			/* Exchanged already: .new holds the old data. */
			if (rename(nw, old) == -1)
				rc = rerr_errno(err, -1, "rename \"%s\"", nw);
		} else if (renameat2(AT_FDCWD, nw, AT_FDCWD, vol,
		    RENAME_EXCHANGE) == 0) {
			if (rename(nw, old) == -1)
				rc = rerr_errno(err, -1, "rename \"%s\"", nw);
		} else if (errno == EINVAL || errno == ENOSYS) {
			/* No exchange on this file system: two renames. */
			if (rename(vol, old) == -1 || rename(nw, vol) == -1)
				rc = rerr_errno(err, -1, "move the restored "
				    "data to \"%s\"", vol);
		} else
			rc = rerr_errno(err, -1, "swap \"%s\" and \"%s\"", nw,
			    vol);
		dir_sync(vdir);
		dir_sync(rdir);
	}
	if (rc == 0 && exists(old)) {
		if (apply_trash_put(b->data_dir, old, label, &moved, err) != 0)
			rc = -1;
		else if (moved != NULL)
			log_info("server \"%s\": the data a restore replaced "
			    "is kept in %s", server, moved);
		free(moved);
	}
	free(vdir);
	free(rdir);
	free(vol);
	free(nw);
	free(old);
	free(label);
	return rc;
}

/*
 * Checks backup id of the job against its record, reading the whole
 * archive from its target; on success sha is its recorded SHA-256.
 */
static int
bk_verify(struct bk_job *j, char sha[65], struct rerr *err)
{
	struct store	*sto;
	struct store_get *g;
	struct rerr	 e2;
	const char	*want;
	char		 got[65];
	cJSON		*rec;
	uint64_t	 size;
	int		 rc;

	if ((sto = bk_store(j->b, j->target)) == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, "backup target '%s' is "
		    "not configured on this node",
		    j->target != NULL ? j->target : "");
	rerr_init(&e2);
	if ((rec = store_record(sto, j->server, j->id, &e2)) == NULL ||
	    (want = json_str(rec, "sha256", NULL)) == NULL) {
		cJSON_Delete(rec);
		if (e2.code != 0 && e2.code != ROOST_ENOTFOUND &&
		    e2.code != ROOST_EINVAL)
			return rerr_set(err, -1, "backup %s: %s; nothing was "
			    "changed", j->id, e2.msg);
		return rerr_set(err, ROOST_ENOTFOUND, "backup %s does not "
		    "exist; nothing was changed", j->id);
	}
	snprintf(sha, 65, "%s", want);
	if ((rc = store_get_open(sto, j->server, j->id, 0, &g, &e2)) != 0) {
		cJSON_Delete(rec);
		if (rc == ROOST_ENOTFOUND)
			return rerr_set(err, ROOST_ENOTFOUND, "the archive of "
			    "backup %s is missing; nothing was changed", j->id);
		return rerr_set(err, rc, "backup %s: %s; nothing was changed",
		    j->id, e2.msg);
	}
	rc = tarz_hash(store_get_fd(g), got, &size, err);
	rerr_init(&e2);
	if (store_get_close(g, &e2) != 0 && rc == 0)
		rc = rerr_set(err, -1, "backup %s: %s; nothing was changed",
		    j->id, e2.msg);
	if (rc == 0 && (strcmp(got, sha) != 0 ||
	    (double)size != json_double(rec, "size", -1)))
		rc = rerr_set(err, ROOST_EINVAL, "backup %s does not match its "
		    "checksum (sha256 %.12s…, recorded %.12s…); nothing was "
		    "changed", j->id, got, sha);
	cJSON_Delete(rec);
	return rc;
}

/* Restores one backup; fills res. Returns 0, an error code, or 1 (quit). */
static int
bk_do_restore(struct bk_job *j, cJSON *res, struct rerr *err)
{
	struct backups		*b = j->b;
	struct tarz_unpack_opts	 o;
	struct tarz_stats	 st;
	struct stat		 psb;
	struct store_get	*g = NULL;
	struct rerr		 e2;
	char			 sha[65], real[PATH_MAX];
	char			*rdir, *part, *nw, *req, *reqtext;
	int			 pfd, rc, quit;

	if ((rc = bk_verify(j, sha, err)) != 0)
		return rc;
	/* Checked: now stop the server and wait until it did. */
	pthread_mutex_lock(&b->mtx);
	j->s->phase = BK_WAIT_STOP;
	pthread_mutex_unlock(&b->mtx);
	if (b->on_change != NULL)
		b->on_change(b->cb_arg, j->server);
	pthread_mutex_lock(&b->mtx);
	while (j->s->phase == BK_WAIT_STOP && !b->quit)
		pthread_cond_wait(&b->cond, &b->mtx);
	quit = j->s->phase == BK_WAIT_STOP;
	pthread_mutex_unlock(&b->mtx);
	if (quit)
		return 1;
	log_info("server \"%s\": restoring backup %s", j->server, j->id);

	xasprintf(&rdir, "%s/restore", b->data_dir);
	xasprintf(&part, "%s/%s.part", rdir, j->server);
	xasprintf(&nw, "%s/%s.new", rdir, j->server);
	xasprintf(&req, "%s/%s.req", rdir, j->server);
	rc = 0;
	if (util_mkdir_p(rdir, 0700) == -1)
		rc = rerr_errno(err, -1, "create \"%s\"", rdir);
	if (rc == 0 && exists(part) && apply_rmtree(part, err) != 0)
		rc = -1;
	if (rc == 0 && (mkdir(part, 0750) == -1 ||
	    (chown(part, (uid_t)b->uid, (gid_t)b->gid) == -1 &&
	    geteuid() == 0) || realpath(part, real) == NULL))
		rc = rerr_errno(err, -1, "create \"%s\"", part);
	memset(&o, 0, sizeof(o));
	o.uid = (uid_t)b->uid;
	o.gid = (gid_t)b->gid;
	o.max_bytes = j->max_bytes;
	if (rc == 0)
		rc = store_get_open(bk_store(b, j->target), j->server, j->id,
		    0, &g, err);
	if (rc == 0) {
		rc = tarz_unpack(store_get_fd(g), real, &o, &st, err);
		rerr_init(&e2);
		/* The target's own error says more than a short archive. */
		if (store_get_close(g, &e2) != 0) {
			rerr_init(err);
			rc = rerr_set(err, -1, "backup %s: %s", j->id, e2.msg);
		}
	}
	/* The bytes extracted are the bytes checked, or nothing changes. */
	if (rc == 0 && strcmp(st.sha256, sha) != 0)
		rc = rerr_set(err, ROOST_EINVAL, "backup %s changed while it "
		    "was restored; nothing was changed", j->id);
	if (rc == 0) {
		if ((pfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
		    -1 || syncfs(pfd) == -1)
			rc = rerr_errno(err, -1, "sync the restored data");
		if (pfd != -1)
			close(pfd);
	}
	/* From here on, recovery finishes what a kill -9 cuts short. */
	if (rc == 0) {
		if (stat(real, &psb) == -1)
			rc = rerr_errno(err, -1, "stat \"%s\"", real);
		else {
			xasprintf(&reqtext, "%s\n%llu\n", j->at,
			    (unsigned long long)psb.st_ino);
			rc = util_write_atomic(req, reqtext, strlen(reqtext),
			    0600, err);
			free(reqtext);
		}
	}
	if (rc == 0 && rename(part, nw) == -1)
		rc = rerr_errno(err, -1, "rename \"%s\"", part);
	if (rc == 0) {
		dir_sync(rdir);
		pthread_mutex_lock(&b->mtx);
		j->s->phase = BK_EXTRACT;
		pthread_mutex_unlock(&b->mtx);
		rc = bk_swap(b, j->server, psb.st_ino, err);
	} else {
		rerr_init(&e2);
		if (exists(part))
			(void)apply_rmtree(part, &e2);
		(void)unlink(req);
	}
	if (rc == 0) {
		json_add_str(res, "id", j->id);
		json_add_num(res, "entries", (double)st.entries);
		log_info("server \"%s\": backup %s restored (%llu entries)",
		    j->server, j->id, (unsigned long long)st.entries);
	}
	free(rdir);
	free(part);
	free(nw);
	free(req);
	return rc;
}

/* ---- jobs ---- */

static void
bk_job_free(struct bk_job *j)
{
	free(j->server);
	free(j->volume);
	free(j->target);
	free(j->at);
	free(j->note);
	free(j->id);
	free(j->revision);
	util_strv_free(j->ignore, j->nignore);
	util_strv_free(j->before, j->nbefore);
	util_strv_free(j->after, j->nafter);
	free(j);
}

/* A job's thread: runs it, records the result, tells the reconciler. */
static void *
bk_job_run(void *arg)
{
	struct bk_job	*j = arg;
	struct backups	*b = j->b;
	struct rerr	 err, e2;
	cJSON		*res;
	char		 now[32], *text = NULL, *req;
	int		 rc;

	rerr_init(&err);
	res = json_new_object();
	json_add_str(res, "requestedAt", j->at);
	rc = j->restore ? bk_do_restore(j, res, &err) :
	    bk_do_backup(j, res, &err);
	util_now_rfc3339(now, sizeof(now));
	json_add_str(res, "finishedAt", now);
	json_add_str(res, "result", rc == 0 ? "succeeded" : "failed");
	if (rc != 0 && rc != 1) {
		json_add_str(res, "message", err.msg);
		log_warnx("server \"%s\": %s failed: %s", j->server,
		    j->restore ? "restore" : "backup", err.msg);
	}
	pthread_mutex_lock(&b->mtx);
	if (rc != 1) {		/* 1: roostd quits; done again next time */
		if (j->restore) {
			free(j->s->handled_restore);
			j->s->handled_restore = xstrdup(j->at);
			cJSON_Delete(j->s->last_restore);
			j->s->last_restore = res;
		} else {
			free(j->s->handled_backup);
			j->s->handled_backup = xstrdup(j->at);
			cJSON_Delete(j->s->last_backup);
			j->s->last_backup = res;
		}
		res = NULL;
		text = bk_state_text(j->s);
	}
	pthread_mutex_unlock(&b->mtx);
	cJSON_Delete(res);
	if (text != NULL) {
		rerr_init(&e2);
		if (bk_state_write(b, j->server, text, &e2) != 0)
			log_warnx("server \"%s\": %s", j->server, e2.msg);
		free(text);
		if (j->restore) {
			xasprintf(&req, "%s/restore/%s.req", b->data_dir,
			    j->server);
			(void)unlink(req);
			free(req);
		}
	}
	bk_list_refresh(b, j->s, j->target);
	pthread_mutex_lock(&b->mtx);
	j->s->phase = BK_IDLE;
	pthread_mutex_unlock(&b->mtx);
	if (b->on_change != NULL && rc != 1)
		b->on_change(b->cb_arg, j->server);
	thread_job_done(&b->mtx, &b->cond, &b->njobs);
	bk_job_free(j);
	return NULL;
}

/*
 * A new job for rq on s with what every job takes from the request and
 * its policy: the server, its volume, the revision, the size limit, how
 * many to keep and the ignore list; with lines set, the before and after
 * lines too (a move's final backup types none).
 */
static struct bk_job *
bk_job_new(struct backups *b, struct bk_srv *s, const struct backup_req *rq,
    int lines)
{
	const struct state_backups	*p = rq->policy;
	struct bk_job			*j;

	j = xcalloc(1, sizeof(*j));
	j->b = b;
	j->s = s;
	j->server = xstrdup(rq->server);
	j->volume = xstrdup(rq->volume);
	j->revision = dup_or_null(rq->revision);
	j->max_bytes = rq->max_bytes;
	j->keep = p != NULL && p->keep > 0 ? p->keep : STATE_BACKUP_KEEP_DEF;
	if (p != NULL) {
		j->ignore = util_strv_dup(p->ignore, p->nignore);
		j->nignore = p->nignore;
		j->set_ignore = p->set_ignore;
	}
	if (p != NULL && lines) {
		j->before = util_strv_dup(p->before, p->nbefore);
		j->nbefore = p->nbefore;
		j->after = util_strv_dup(p->after, p->nafter);
		j->nafter = p->nafter;
	}
	return j;
}

/* Starts a job for rq on s; under b->mtx. */
static void
bk_job_start(struct backups *b, struct bk_srv *s, const struct backup_req *rq,
    int restore, const char *target)
{
	struct bk_job	*j;

	j = bk_job_new(b, s, rq, 1);
	j->restore = restore;
	j->target = dup_or_null(target);
	j->at = xstrdup(restore ? rq->restore_at : rq->backup_at);
	j->note = restore ? NULL : dup_or_null(rq->note);
	j->id = restore ? dup_or_null(rq->restore_id) : NULL;
	s->phase = restore ? BK_VERIFY : BK_BACKUP;
	b->njobs++;
	thread_spawn(bk_job_run, j, "backup");
	log_info("server \"%s\": %s requested at %s", rq->server, restore ?
	    "restore" : "backup", j->at);
}

/* One reconcile turn of a server; see backup.h. */
enum backup_hold
backup_step(struct backups *b, const struct backup_req *rq)
{
	struct bk_srv		*s;
	enum backup_hold	 hold = BACKUP_HOLD_NONE;
	const char		*target;
	char			*reload = NULL;
	int			 want_b, want_r;

	pthread_mutex_lock(&b->mtx);
	s = bk_find(b, rq->server, 1);
	pthread_mutex_unlock(&b->mtx);
	bk_state_ensure(b, s);

	pthread_mutex_lock(&b->mtx);
	target = bk_target_name(b, rq->policy);
	if (s->listing)
		;	/* a thread reads it now */
	else if (!same(target, s->target) || s->list_stale ||
	    (s->list_error != NULL && time(NULL) >= s->list_retry)) {
		free(s->target);
		s->target = dup_or_null(target);
		s->list_stale = 0;
		/* A remote target is read on a thread, never on the turn. */
		if (target != NULL && bk_store(b, target) != NULL &&
		    bk_store(b, target)->remote && !b->quit)
			bk_list_start(b, s, target);
		else
			reload = xstrdup(target != NULL ? target : "");
	}
	free(s->target_error);
	s->target_error = NULL;
	if (target == NULL)
		s->target_error = xstrdup(b->nt == 0 ? "this node has no "
		    "backup targets (roostd.yaml backups.targets)" :
		    "set backups.target: this node has several targets");
	else if (bk_store(b, target) == NULL)
		xasprintf(&s->target_error, "backup target '%s' is not "
		    "configured on this node", target);
	switch (s->phase) {
	case BK_WAIT_STOP:
		if (!rq->running) {
			s->phase = BK_EXTRACT;
			pthread_cond_broadcast(&b->cond);
			hold = BACKUP_HOLD_BUSY;
		} else
			hold = BACKUP_HOLD_STOP;
		break;
	case BK_EXTRACT:
		hold = BACKUP_HOLD_BUSY;
		break;
	case BK_BACKUP:
	case BK_VERIFY:
		break;
	case BK_IDLE:
		if (b->quit)
			break;
		want_b = rq->backup_at != NULL &&
		    !same(rq->backup_at, s->handled_backup);
		want_r = rq->restore_at != NULL && rq->restore_id != NULL &&
		    !same(rq->restore_at, s->handled_restore);
		/* Both pending: the one asked for first goes first. */
		if (want_b && want_r && strcmp(rq->restore_at,
		    rq->backup_at) < 0)
			want_b = 0;
		if (want_b)
			bk_job_start(b, s, rq, 0, target);
		else if (want_r)
			bk_job_start(b, s, rq, 1, target);
		break;
	}
	pthread_mutex_unlock(&b->mtx);
	if (reload != NULL) {
		bk_list_refresh(b, s, *reload != '\0' ? reload : NULL);
		free(reload);
	}
	return hold;
}

/* The hold of a server now; see backup.h. */
enum backup_hold
backup_hold(struct backups *b, const char *server)
{
	struct bk_srv		*s;
	enum backup_hold	 hold = BACKUP_HOLD_NONE;

	pthread_mutex_lock(&b->mtx);
	if ((s = bk_find(b, server, 0)) != NULL) {
		if (s->phase == BK_WAIT_STOP)
			hold = BACKUP_HOLD_STOP;
		else if (s->phase == BK_EXTRACT)
			hold = BACKUP_HOLD_BUSY;
	}
	pthread_mutex_unlock(&b->mtx);
	return hold;
}

/* A server's backups for its status; see backup.h. */
cJSON *
backup_status_json(struct backups *b, const char *server)
{
	struct bk_srv	*s;
	cJSON		*o = NULL, *list, *it;
	int		 n;
	static const char *const running[] = { NULL, "backup", "restore",
	    "restore", "restore" };

	pthread_mutex_lock(&b->mtx);
	s = bk_find(b, server, 0);
	/* A node without targets says nothing of servers that asked nothing. */
	if (s != NULL && b->nt == 0 && s->last_backup == NULL &&
	    s->last_restore == NULL && s->phase == BK_IDLE)
		s = NULL;
	if (s != NULL) {
		o = json_new_object();
		json_add_str(o, "target", s->target);
		if (s->target_error != NULL)
			json_add_str(o, "targetError", s->target_error);
		else if (s->list_error != NULL)
			json_add_str(o, "targetError", s->list_error);
		json_add_str(o, "running", running[s->phase]);
		json_add_copy(o, "lastBackup", s->last_backup);
		json_add_copy(o, "lastRestore", s->last_restore);
		/* The newest BK_STATUS_MAX: status travels to the hub. */
		list = json_add_array(o, "list");
		n = 0;
		for (it = s->list != NULL ? s->list->child : NULL;
		    it != NULL && n < BK_STATUS_MAX; it = it->next, n++)
			cJSON_AddItemToArray(list, cJSON_Duplicate(it, 1));
		json_add_num(o, "count", (double)cJSON_GetArraySize(s->list));
	}
	pthread_mutex_unlock(&b->mtx);
	return o;
}

/* Forgets a server; see backup.h. */
void
backup_forget(struct backups *b, const char *server)
{
	size_t	i;

	pthread_mutex_lock(&b->mtx);
	for (i = 0; i < b->n; i++)
		if (strcmp(b->v[i]->name, server) == 0 &&
		    b->v[i]->phase == BK_IDLE && !b->v[i]->listing) {
			bk_srv_free(b->v[i]);
			b->v[i] = b->v[--b->n];
			break;
		}
	pthread_mutex_unlock(&b->mtx);
}

/* ---- recovery after a kill -9 ---- */

/* Records a restore finished by recovery as handled. */
static void
bk_recover_record(struct backups *b, const char *server, const char *reqpath)
{
	struct buf	 buf;
	struct rerr	 err;
	struct bk_srv	*s;
	cJSON		*res;
	char		 now[32], *text, *nl;

	buf_init(&buf, 256);
	rerr_init(&err);
	if (util_read_file(reqpath, &buf, &err) == 0 && buf.len > 0) {
		if ((nl = strchr(buf_str(&buf), '\n')) != NULL)
			*nl = '\0';
		s = xcalloc(1, sizeof(*s));
		bk_state_read(b, server, &s->handled_backup,
		    &s->handled_restore, &s->last_backup, &s->last_restore);
		free(s->handled_restore);
		s->handled_restore = xstrdup(buf_str(&buf));
		res = json_new_object();
		json_add_str(res, "requestedAt", buf_str(&buf));
		util_now_rfc3339(now, sizeof(now));
		json_add_str(res, "finishedAt", now);
		json_add_str(res, "result", "succeeded");
		json_add_str(res, "message", "finished after roostd restarted");
		cJSON_Delete(s->last_restore);
		s->last_restore = res;
		text = bk_state_text(s);
		rerr_init(&err);
		if (bk_state_write(b, server, text, &err) != 0)
			log_warnx("server \"%s\": %s", server, err.msg);
		else
			(void)unlink(reqpath);
		free(text);
		bk_srv_free(s);
		log_info("server \"%s\": an interrupted restore was finished",
		    server);
	}
	buf_dispose(&buf);
}

/* Finishes or undoes what restores left in <dataDir>/restore. */
static void
bk_recover(struct backups *b)
{
	DIR		*d;
	struct dirent	*de;
	struct rerr	 err;
	char		*rdir, *p, *server, *req, **names = NULL;
	size_t		 n = 0, i, len;
	int		 pass;

	xasprintf(&rdir, "%s/restore", b->data_dir);
	if ((d = opendir(rdir)) == NULL) {
		free(rdir);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	/* .part first (dropped), then .new and .old (swap), then .req. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < n; i++) {
			len = strlen(names[i]);
			xasprintf(&p, "%s/%s", rdir, names[i]);
			rerr_init(&err);
			if (pass == 0 && len > 5 &&
			    strcmp(names[i] + len - 5, ".part") == 0)
				(void)apply_rmtree(p, &err);
			else if (pass == 1 && len > 4 &&
			    (strcmp(names[i] + len - 4, ".new") == 0 ||
			    strcmp(names[i] + len - 4, ".old") == 0)) {
				server = xstrndup(names[i], len - 4);
				xasprintf(&req, "%s/%s.req", rdir, server);
				if (state_name_valid(server) &&
				    bk_swap(b, server, bk_req_ino(req), &err) != 0)
					log_warnx("restore of \"%s\": %s",
					    server, err.msg);
				free(req);
				free(server);
			} else if (pass == 2 && len > 4 &&
			    strcmp(names[i] + len - 4, ".req") == 0) {
				server = xstrndup(names[i], len - 4);
				if (state_name_valid(server))
					bk_recover_record(b, server, p);
				free(server);
			}
			free(p);
		}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(rdir);
}

/* Makes the module; see backup.h. */
struct backups *
backup_new(const struct backup_conf *conf, struct rerr *err)
{
	struct backups	*b;
	char		*p;
	size_t		 i;

	b = xcalloc(1, sizeof(*b));
	b->data_dir = xstrdup(conf->data_dir != NULL ? conf->data_dir :
	    "/var/lib/roost");
	b->level = conf->level > 0 ? conf->level : 3;
	b->uid = conf->uid;
	b->gid = conf->gid;
	b->con = conf->console;
	b->on_change = conf->on_change;
	b->cb_arg = conf->cb_arg;
	pthread_mutex_init(&b->mtx, NULL);
	pthread_cond_init(&b->cond, NULL);
	for (i = 0; i < conf->ntargets; i++) {
		b->t = xreallocarray(b->t, b->nt + 1, sizeof(*b->t));
		if ((b->t[b->nt] = store_new(&conf->targets[i], err)) == NULL) {
			backup_free(b);
			return NULL;
		}
		b->nt++;
	}
	xasprintf(&p, "%s/backups", b->data_dir);
	if (util_mkdir_p(p, 0700) == -1) {
		rerr_errno(err, -1, "create \"%s\"", p);
		free(p);
		backup_free(b);
		return NULL;
	}
	free(p);
	bk_recover(b);
	return b;
}

/* Starts no more jobs and waits for those under way; see backup.h. */
void
backup_stop(struct backups *b)
{
	if (b == NULL)
		return;
	thread_raise(&b->mtx, &b->cond, &b->quit);
	thread_jobs_wait(&b->mtx, &b->cond, &b->njobs);
}

/* Waits for the jobs, then frees; see backup.h. */
void
backup_free(struct backups *b)
{
	size_t	i;

	if (b == NULL)
		return;
	backup_stop(b);
	for (i = 0; i < b->n; i++)
		bk_srv_free(b->v[i]);
	free(b->v);
	for (i = 0; i < b->nt; i++)
		store_free(b->t[i]);
	free(b->t);
	free(b->data_dir);
	pthread_mutex_destroy(&b->mtx);
	pthread_cond_destroy(&b->cond);
	free(b);
}

/* Fills a request from the server; see backup.h. */
void
backup_req_init(struct backup_req *q, const struct state_server *srv,
    const char *volume)
{
	memset(q, 0, sizeof(*q));
	q->server = srv->name;
	q->volume = volume;
	q->policy = &srv->backups;
	q->max_bytes = srv->limits.disk > 0 ? (uint64_t)srv->limits.disk <<
	    20 : 0;
}

/* ---- a backup that is not a request (a schedule's task) ---- */

/* Takes a backup now on the calling thread; see backup.h. */
int
backup_run_now(struct backups *b, const struct backup_req *rq, char *id,
    size_t idlen, struct rerr *err)
{
	const struct state_backups	*p = rq->policy;
	struct bk_srv			*s;
	struct bk_job			*j;
	cJSON				*res;
	char				 now[32], *text;
	int				 rc;

	pthread_mutex_lock(&b->mtx);
	s = bk_find(b, rq->server, 1);
	pthread_mutex_unlock(&b->mtx);
	bk_state_ensure(b, s);
	util_now_rfc3339(now, sizeof(now));
	j = bk_job_new(b, s, rq, 1);
	j->at = xstrdup(now);
	j->note = dup_or_null(rq->note);
	pthread_mutex_lock(&b->mtx);
	if (b->quit || s->phase != BK_IDLE) {
		pthread_mutex_unlock(&b->mtx);
		bk_job_free(j);
		return rerr_set(err, ROOST_ECONFLICT, b->quit ? "roostd is "
		    "stopping" : "a backup or restore of this server is under "
		    "way");
	}
	j->target = dup_or_null(bk_target_name(b, p));
	s->phase = BK_BACKUP;
	b->njobs++;
	pthread_mutex_unlock(&b->mtx);

	res = json_new_object();
	json_add_str(res, "requestedAt", now);
	rc = bk_do_backup(j, res, err);
	util_now_rfc3339(now, sizeof(now));
	json_add_str(res, "finishedAt", now);
	json_add_str(res, "result", rc == 0 ? "succeeded" : "failed");
	if (rc != 0)
		json_add_str(res, "message", err->msg);
	if (rc == 0 && id != NULL)
		snprintf(id, idlen, "%s", json_str(res, "id", ""));
	pthread_mutex_lock(&b->mtx);
	cJSON_Delete(s->last_backup);
	s->last_backup = res;
	text = bk_state_text(s);
	pthread_mutex_unlock(&b->mtx);
	{
		struct rerr	e2;

		rerr_init(&e2);
		if (bk_state_write(b, j->server, text, &e2) != 0)
			log_warnx("server \"%s\": %s", j->server, e2.msg);
	}
	free(text);
	bk_list_refresh(b, s, j->target);
	pthread_mutex_lock(&b->mtx);
	s->phase = BK_IDLE;
	b->njobs--;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->mtx);
	if (b->on_change != NULL)
		b->on_change(b->cb_arg, j->server);
	bk_job_free(j);
	return rc;
}

/* ---- moves between nodes (transfer.c) ---- */

/* The target name a policy resolves to on this node; see backup.h. */
char *
backup_target_of(struct backups *b, const struct state_backups *policy,
    int *configured)
{
	const char	*name;
	char		*out;

	pthread_mutex_lock(&b->mtx);
	name = bk_target_name(b, policy);
	*configured = bk_store(b, name) != NULL;
	out = dup_or_null(name);
	pthread_mutex_unlock(&b->mtx);
	return out;
}

/* A move's final backup, taken on the caller's thread; see backup.h. */
int
backup_transfer_take(struct backups *b, const struct backup_req *rq,
    const cJSON *transfer, char **id, struct rerr *err)
{
	const struct state_backups	*p = rq->policy;
	struct bk_job			*j;
	struct bk_srv			*s;
	cJSON				*res;
	const char			*v;
	int				 rc;

	*id = NULL;
	pthread_mutex_lock(&b->mtx);
	s = bk_find(b, rq->server, 1);
	if (b->quit || s->phase != BK_IDLE) {
		pthread_mutex_unlock(&b->mtx);
		return rerr_set(err, ROOST_ECONFLICT, "a backup or restore of "
		    "the server is under way; trying again later");
	}
	j = bk_job_new(b, s, rq, 0);
	j->target = dup_or_null(bk_target_name(b, p));
	j->at = xstrdup(rq->backup_at != NULL ? rq->backup_at : "");
	j->note = dup_or_null(rq->note);
	j->transfer = cJSON_Duplicate(transfer, 1);
	s->phase = BK_BACKUP;
	b->njobs++;
	pthread_mutex_unlock(&b->mtx);

	res = json_new_object();
	rc = bk_do_backup(j, res, err);
	if (rc == 0 && (v = json_str(res, "id", NULL)) != NULL)
		*id = xstrdup(v);
	cJSON_Delete(res);
	bk_list_refresh(b, s, j->target);
	cJSON_Delete(j->transfer);
	pthread_mutex_lock(&b->mtx);
	s->phase = BK_IDLE;
	b->njobs--;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->mtx);
	bk_job_free(j);
	return rc;
}

/* The newest backup whose record's transfer matches; see backup.h. */
char *
backup_transfer_find(struct backups *b, const char *target,
    const char *server, const cJSON *want)
{
	const cJSON	*it, *tr;
	char		*id = NULL;
	cJSON		*list;
	struct rerr	 err;

	rerr_init(&err);
	if ((list = bk_list_load(bk_store(b, target), server, &err)) == NULL)
		return NULL;
	for (it = list->child; it != NULL && id == NULL; it = it->next) {
		tr = json_get(it, "transfer");
		if (cJSON_IsObject(tr) && same(json_str(tr, "from", NULL),
		    json_str(want, "from", NULL)) && same(json_str(tr, "to",
		    NULL), json_str(want, "to", NULL)) &&
		    same(json_str(tr, "requestedAt", NULL), json_str(want,
		    "requestedAt", NULL)))
			id = dup_or_null(json_str(it, "id", NULL));
	}
	cJSON_Delete(list);
	return id;
}

/* Writes or reads a server's move note on a target; see backup.h. */
int
backup_transfer_note(struct backups *b, const char *target,
    const char *server, const char *text, char **out, struct rerr *err)
{
	struct store	*st;

	if (out != NULL)
		*out = NULL;
	if ((st = bk_store(b, target)) == NULL)
		return rerr_set(err, ROOST_ENOTFOUND, "backup target '%s' is "
		    "not configured on this node", target != NULL ? target :
		    "");
	if (text != NULL)
		return store_note_put(st, server, BK_MOVE_NOTE, text,
		    strlen(text), err);
	return store_note_get(st, server, BK_MOVE_NOTE, out, err);
}
