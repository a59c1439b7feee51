/*
 * recon_work: the worker threads. Each takes one server at a time from
 * the queue, observes it again, re-plans it alone and applies the actions
 * through the engine (pull, install, create, start, live update, stop,
 * remove, prune); work that waits is recorded as an operation with a
 * deadline instead of being waited for.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "backup.h"
#include "cfgfile.h"
#include "cspec.h"
#include "dcache.h"
#include "docker.h"
#include "install.h"
#include "plan.h"
#include "recon.h"
#include "recon_int.h"
#include "runtime.h"

/*
 * Re-inspects one container into the cache now, after the worker acted
 * on it, through the worker's own engine connection (so the workers do
 * not wait for one another).
 */
static void
recon_refresh(struct wctx *w, const char *ref, struct rerr *err)
{
	dcache_refresh_on(w->r->dc, w->a.d, ref, err);
}

static void
recon_pull_progress(void *arg, const char *text)
{
	struct wctx	*w = arg;

	if (w->r->conf.on_progress != NULL)
		w->r->conf.on_progress(w->r->conf.cb_arg, w->server, "pull",
		    text);
}

/* Sends the egg's stop: a console command when attached, else a signal. */
static int
recon_stop_send(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    const char *cid, const char *why, struct rerr *err)
{
	struct recon	*r = w->r;
	struct rerr	 e2;
	int		 rc = ROOST_ENOTFOUND;

	pthread_mutex_lock(&r->mtx);
	rs->stopping = 1;
	rs->op = OP_STOP;
	rs->op_deadline = ev_now_ms() + r->conf.stop_timeout_ms;
	rs->op_escalated = 0;
	set_str(&rs->op_reason, why);
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, why);

	rerr_init(&e2);
	if (s->stop_kind == EGG_STOP_COMMAND && s->stop_command != NULL) {
		rc = runtime_write(r->rt, rs->name, s->stop_command, &e2);
		if (rc == 0)
			apply_count(&w->a);
	}
	if (rc != 0) {
		rerr_init(&e2);
		apply_count(&w->a);
		rc = docker_container_kill(w->a.d, cid, s->stop_signal != NULL ?
		    s->stop_signal : "SIGTERM", &e2);
		if (rc == ROOST_ECONFLICT)	/* not running any more */
			rc = 0;
		if (rc != 0)
			return rerr_set(err, rc, "stop: %s", e2.msg);
	}
	return 0;
}

static void
recon_install_spec(struct recon *r, const struct rsnap *s,
    struct install_spec *is)
{
	memset(is, 0, sizeof(*is));
	is->server = s->srv->name;
	is->node = r->conf.node;
	is->data_dir = r->conf.data_dir;
	is->network = r->conf.network;
	is->image = s->install_image;
	is->entrypoint = s->install_entry;
	is->script = s->install_script;
	is->env = (const char *const *)s->cs->env;
	is->limits = s->cs->install_limits;
	is->uid = r->conf.uid;
	is->gid = r->conf.gid;
}

/* How long a finished installer's die event is waited for. */
#define INSTALL_DIE_WAIT_MS	500

/*
 * Collects a finished or timed-out installer. Returns 1 when still busy.
 * The installer's state comes from the cache, which the events thread
 * updates when it exits. When its output has ended but the cache still
 * shows it running (the engine sends the die event as the container
 * stops, the events thread's inspect is answered only once the engine has
 * torn it down), a clean exit is taken from the die event itself, and its
 * log tail from the output as it was followed; anything else is inspected.
 * The collected installer's name goes to *remove: the turn removes it
 * after the server's start.
 */
static int
recon_install_check(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    char **remove)
{
	struct recon		*r = w->r;
	struct docker_container	 c;
	struct install_spec	 is;
	struct install_result	 res;
	struct rerr		 err;
	char			*name, *cid = NULL, *out = NULL;
	int			 rc, timeout, streaming, code;

	xasprintf(&name, "roost-%s-install", rs->name);
	memset(&c, 0, sizeof(c));
	rerr_init(&err);
	pthread_mutex_lock(&r->mtx);
	streaming = rs->install_cid != NULL &&
	    runtime_following(r->rt, rs->name, rs->install_cid);
	if (!streaming && rs->install_eof && rs->install_cid != NULL) {
		cid = xstrdup(rs->install_cid);
		out = xstrdup(buf_str(&rs->install_out));
	}
	pthread_mutex_unlock(&r->mtx);
	/* A copy from before its start says "created": not an exit. */
	rc = dcache_get(r->dc, rs->name, INSTALL_ROLE, &c);
	if (rc == 0 && !c.running && !str_eq(c.status, "exited") &&
	    !str_eq(c.status, "dead"))
		c.running = 1;
	if (rc == 0 && c.running && cid != NULL && str_eq(c.id, cid) &&
	    dcache_exit_wait(r->dc, cid, INSTALL_DIE_WAIT_MS, &code) == 0 &&
	    code == 0) {
		c.running = 0;
		c.exit_code = 0;
		c.oom_killed = 0;
		log_debug("server \"%s\": installer exited 0 (its die event)",
		    rs->name);
	}
	free(cid);
	if (rc != 0 || (c.running && !streaming)) {
		docker_container_dispose(&c);
		memset(&c, 0, sizeof(c));
		rc = docker_container_inspect(w->a.d, name, &c, &err);
	}
	timeout = ev_now_ms() >= rs->op_deadline;
	if (rc == 0 && c.running && !timeout) {
		docker_container_dispose(&c);
		free(name);
		return 1;
	}
	recon_install_spec(r, s, &is);
	rerr_init(&err);
	memset(&res, 0, sizeof(res));
	if (rc == 0) {
		rc = install_collect(&w->a, &is, name, timeout ? 1 : 0, &c,
		    out, &res, &err);
		*remove = name;
		name = NULL;
	} else {
		res.exit_code = -1;
		res.log_tail = xstrdup("installer container disappeared");
		install_tidy(&is);
		rc = 0;
	}
	docker_container_dispose(&c);
	free(name);
	free(out);
	pthread_mutex_lock(&r->mtx);
	rs->op = OP_NONE;
	rs->install_eof = 0;
	buf_reset(&rs->install_out);
	util_now_rfc3339(rs->install_at, sizeof(rs->install_at));
	set_str(&rs->install_log, res.log_tail);
	rs->install_exit = res.exit_code;
	if (rc == 0 && res.exit_code == 0 && !timeout) {
		rs->install_failed = 0;
		set_str(&rs->install_result, "succeeded");
		rs->installed = 1;
		set_str(&rs->installed_for, rs->install_for != NULL ?
		    rs->install_for : "");
		rerr_init(&err);
		if (install_marker_write(r->conf.data_dir, rs->name,
		    rs->installed_for, &err) != 0)
			log_warnx("server \"%s\": %s", rs->name, err.msg);
	} else {
		rs->install_failed = 1;
		set_str(&rs->install_result, timeout ? "timed out" : "failed");
		if (rc != 0)
			set_str(&rs->install_log, err.msg);
	}
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, rs->install_failed ? "install failed" :
	    "install succeeded");
	install_result_dispose(&res);
	return 0;
}

static int
recon_do_install(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    struct rerr *err)
{
	struct recon		*r = w->r;
	struct install_spec	 is;
	struct docker_attach	*a = NULL;
	struct docker_container	 c;
	struct rerr		 e2;
	char			*id = NULL;
	int			 pulled, rc;

	recon_install_spec(r, s, &is);
	pthread_mutex_lock(&r->mtx);
	rs->op = OP_INSTALL;
	rs->op_deadline = ev_now_ms() + r->conf.install_timeout_ms;
	set_str(&rs->install_for, s->srv->reinstall_at != NULL ?
	    s->srv->reinstall_at : "");
	set_str(&rs->install_result, NULL);
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
	if (r->conf.on_change != NULL)
		r->conf.on_change(r->conf.cb_arg, rs->name, 0);
	runtime_note(r->rt, rs->name, "install started");
	/* No old installer in the cache: none to remove before the script. */
	memset(&c, 0, sizeof(c));
	if (dcache_get(r->dc, rs->name, INSTALL_ROLE, &c) == 0)
		docker_container_dispose(&c);
	else
		is.no_old = 1;
	rc = install_start(&w->a, &is, &id, &a, err);
	/* The engine does not have the image: pull it, then again. */
	if (rc == ROOST_ENOTFOUND) {
		rerr_init(&e2);
		rc = apply_image_ensure(&w->a, is.image, 0, &pulled, &e2);
		if (rc != 0)
			rerr_set(err, rc, "%s", e2.msg);
		else if (pulled) {
			rerr_init(err);
			rc = install_start(&w->a, &is, &id, &a, err);
		} else
			rc = err->code;
	}
	if (rc == 0) {
		pthread_mutex_lock(&r->mtx);
		set_str(&rs->install_cid, id);
		rs->install_eof = 0;
		buf_reset(&rs->install_out);
		pthread_mutex_unlock(&r->mtx);
		/* Its lines join the server's console and go out as progress. */
		if (a != NULL)
			runtime_follow(r->rt, rs->name, id, a);
	}
	free(id);
	if (rc != 0) {
		pthread_mutex_lock(&r->mtx);
		rs->op = OP_NONE;
		rs->install_failed = 1;
		rs->install_exit = -1;
		set_str(&rs->install_result, "failed");
		set_str(&rs->install_log, err->msg);
		pthread_mutex_unlock(&r->mtx);
	}
	return rc;
}

/*
 * Creates the server's container. The image is not inspected first: the
 * engine says when it is missing (404), and only then is it pulled (or
 * found after all, when the 404 was about something else) and the create
 * tried again. The container name is claimed in the cache (dcache_claim)
 * so that the events thread leaves the new container to this worker;
 * *fresh gets its id when it is new, and recon_do_start or
 * recon_release ends the claim with one inspect. A container adopted under
 * the name instead is inspected into the cache now (*fresh stays NULL).
 */
static int
recon_do_create(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    char **fresh, struct rerr *err)
{
	struct recon	*r = w->r;
	char		*id = NULL;
	int		 pulled = 0, adopted = 0, rc;
	struct rerr	 e2;

	*fresh = NULL;
	if ((rc = apply_dir_ensure(s->cs->volume, r->conf.uid, r->conf.gid,
	    err)) != 0)
		return rc;
	dcache_claim(r->dc, s->cs->name);
	rc = apply_create(&w->a, s->cs, r->conf.node, &id, &adopted, err);
	if (rc == ROOST_ENOTFOUND) {
		pthread_mutex_lock(&r->mtx);
		rs->op = OP_PULL;
		pthread_mutex_unlock(&r->mtx);
		rerr_init(&e2);
		rc = apply_image_ensure(&w->a, s->cs->image, s->cs->local_image,
		    &pulled, &e2);
		pthread_mutex_lock(&r->mtx);
		rs->op = OP_NONE;
		pthread_mutex_unlock(&r->mtx);
		if (rc != 0)
			rerr_set(err, rc, "%s", e2.msg);
		else if (pulled) {
			rerr_init(err);
			rc = apply_create(&w->a, s->cs, r->conf.node, &id,
			    &adopted, err);
		} else
			rc = err->code;
	}
	rerr_init(&e2);
	if (rc != 0) {
		dcache_release(r->dc, w->a.d, s->cs->name, s->cs->name, 0, &e2);
		return rc;
	}
	pthread_mutex_lock(&r->mtx);
	set_str(&rs->adopted_cid, id);
	pthread_mutex_unlock(&r->mtx);
	if (adopted) {
		dcache_release(r->dc, w->a.d, s->cs->name, id, 0, &e2);
		free(id);
	} else
		*fresh = id;
	return 0;
}

/* Ends the claim of a container created this turn (see dcache_release). */
static void
recon_release(struct wctx *w, const struct rsnap *s, char **fresh,
    int started)
{
	struct rerr	e2;

	if (*fresh == NULL)
		return;
	rerr_init(&e2);
	dcache_release(w->r->dc, w->a.d, s->cs->name, *fresh, started, &e2);
	free(*fresh);
	*fresh = NULL;
}

/*
 * Rewrites the egg's config files in the server directory before a start,
 * as Wings does. A file that cannot be edited is noted on the console and
 * the start goes on.
 */
static void
recon_config_files(struct recon *r, struct rsrv *rs, const struct rsnap *s)
{
	struct cfgfile_env	 env;
	struct diags		 dg;
	const char		**keys, **values;
	char			**kv;
	size_t			 i, n = 0;
	int			 fd;

	if (s->egg == NULL || s->egg->nfiles == 0)
		return;
	fd = open(s->cs->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		runtime_note(r->rt, rs->name, "config files: the server "
		    "directory cannot be opened");
		return;
	}
	for (i = 0; s->cs->env[i] != NULL; i++)
		;
	keys = xcalloc(i + 1, sizeof(char *));
	values = xcalloc(i + 1, sizeof(char *));
	kv = xcalloc(i + 1, sizeof(char *));
	memset(&env, 0, sizeof(env));
	for (i = 0; s->cs->env[i] != NULL; i++) {
		char *eq;

		kv[i] = xstrdup(s->cs->env[i]);
		if ((eq = strchr(kv[i], '=')) == NULL)
			continue;
		*eq = '\0';
		keys[n] = kv[i];
		values[n++] = eq + 1;
		if (strcmp(kv[i], "SERVER_IP") == 0)
			env.ip = eq + 1;
	}
	env.port = s->srv->port;
	env.memory = s->srv->limits.memory;
	env.interface = r->conf.gateway;
	env.keys = keys;
	env.values = values;
	env.nvars = n;
	env.uid = (uid_t)r->conf.uid;
	env.gid = (gid_t)r->conf.gid;
	diags_init(&dg);
	if (cfgfile_apply(s->egg, fd, &env, &dg) != 0 || dg.n > 0) {
		for (i = 0; i < dg.n; i++) {
			char *line;

			xasprintf(&line, "config file %s: %s",
			    dg.v[i].path != NULL ? dg.v[i].path : "?",
			    dg.v[i].msg);
			runtime_note(r->rt, rs->name, line);
			free(line);
		}
	}
	diags_dispose(&dg);
	close(fd);
	for (i = 0; kv[i] != NULL; i++)
		free(kv[i]);
	free(kv);
	free(keys);
	free(values);
}

/*
 * Starts the container: config files, console attached, start, and one
 * inspect after it. *fresh is the id of a container this turn created
 * (see recon_do_create): nothing is known of it but its id, so it is not
 * inspected before its start, and its claim ends with the inspect after.
 */
static int
recon_do_start(struct wctx *w, struct rsrv *rs, const struct rsnap *s,
    const char *ref, char **fresh, struct rerr *err)
{
	struct recon		*r = w->r;
	struct docker_attach	*a = NULL;
	struct docker_container	 c;
	struct rerr		 e2;
	int			 rc;

	memset(&c, 0, sizeof(c));
	if (*fresh != NULL) {
		/* As the engine reports a container that never ran. */
		c.id = xstrdup(*fresh);
		c.finished_at = xstrdup("0001-01-01T00:00:00Z");
	} else if ((rc = docker_container_inspect(w->a.d, ref, &c, err)) != 0)
		return rc;
	recon_config_files(r, rs, s);
	/* Attach before start so the first lines are seen. */
	rerr_init(&e2);
	if (docker_attach_open(w->a.d, c.id, 0, &a, &e2) == 0)
		runtime_follow(r->rt, rs->name, c.id, a);
	else
		log_warnx("server \"%s\": attach: %s", rs->name, e2.msg);
	pthread_mutex_lock(&r->mtx);
	set_str(&rs->last_finished, c.finished_at);
	set_str(&rs->done_cid, NULL);
	set_str(&rs->adopted_cid, c.id);
	pthread_mutex_unlock(&r->mtx);
	runtime_note(r->rt, rs->name, "starting");
	apply_count(&w->a);
	rc = docker_container_start(w->a.d, c.id, err);
	if (*fresh != NULL)
		recon_release(w, s, fresh, rc == 0);
	else {
		rerr_init(&e2);
		recon_refresh(w, c.id, &e2);
	}
	docker_container_dispose(&c);
	return rc;
}

static int
recon_do_update(struct wctx *w, const struct rsnap *s, const char *cid,
    const struct plan_limits *have, struct rerr *err)
{
	struct docker_limits	l = s->cs->spec.limits;
	struct rerr		e2;
	int			rc;

	if (l.cpu_quota <= 0 && have->cpu_quota > 0)
		l.cpu_quota = -1;
	if (l.pids_limit <= 0)
		l.pids_limit = -1;
	apply_count(&w->a);
	rc = docker_container_update(w->a.d, cid, &l, err);
	rerr_init(&e2);
	recon_refresh(w, cid, &e2);
	return rc;
}

/* Prunes a server: container(s) removed, data to the trash. */
static void
recon_do_prune(struct wctx *w, struct rsrv *rs)
{
	struct recon		*r = w->r;
	struct docker_container	 c;
	struct rerr		 err;
	char			*moved = NULL, *name;
	int			 ok = 1;

	runtime_unfollow(r->rt, rs->name, 1);
	memset(&c, 0, sizeof(c));
	while (dcache_get(r->dc, rs->name, NULL, &c) == 0) {
		rerr_init(&err);
		if (apply_remove(&w->a, c.id, &err) != 0) {
			log_warnx("prune \"%s\": %s", rs->name, err.msg);
			ok = 0;
			docker_container_dispose(&c);
			break;
		}
		rerr_init(&err);
		recon_refresh(w, c.id, &err);
		docker_container_dispose(&c);
	}
	xasprintf(&name, "roost-%s-install", rs->name);
	rerr_init(&err);
	apply_remove(&w->a, name, &err);
	free(name);
	if (ok) {
		rerr_init(&err);
		if (apply_trash_move(r->conf.data_dir, rs->name, &moved,
		    &err) != 0) {
			log_warnx("prune \"%s\": %s", rs->name, err.msg);
			ok = 0;
		} else {
			install_marker_remove(r->conf.data_dir, rs->name);
			if (moved != NULL)
				log_info("server \"%s\" pruned; data kept in "
				    "%s", rs->name, moved);
			free(moved);
		}
	}
	pthread_mutex_lock(&r->mtx);
	if (ok && rs->prune) {
		rs->busy = 0;
		name = xstrdup(rs->name);
		recon_drop(r, rs);
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->mtx);
		if (r->conf.on_change != NULL)
			r->conf.on_change(r->conf.cb_arg, name, 1);
		free(name);
		return;
	}
	rs->retry_at = ev_now_ms() + 5000;
	pthread_mutex_unlock(&r->mtx);
}

/*
 * Removes every other main container of server than keep (the planner's
 * "remove" action: a copy someone made, or one left by an old roostd).
 */
static void
recon_remove_duplicates(struct wctx *w, const char *server, const char *keep)
{
	const struct docker_container	*x;
	const char			*srv, *role;
	struct rerr			 err;
	char				**ids;
	size_t				 i, n = 0, cnt;

	dcache_lock(w->r->dc);
	cnt = dcache_count(w->r->dc);
	ids = xcalloc(cnt + 1, sizeof(char *));
	for (i = 0; i < cnt; i++) {
		x = dcache_item(w->r->dc, i);
		srv = docker_container_label(x, CSPEC_LABEL_SERVER);
		role = docker_container_label(x, CSPEC_LABEL_ROLE);
		if (srv == NULL || strcmp(srv, server) != 0 ||
		    (role != NULL && strcmp(role, "server") != 0) ||
		    strcmp(x->id, keep) == 0)
			continue;
		ids[n++] = xstrdup(x->id);
	}
	dcache_unlock(w->r->dc);
	for (i = 0; i < n; i++) {
		rerr_init(&err);
		if (apply_remove(&w->a, ids[i], &err) != 0)
			log_warnx("server \"%s\": %s", server, err.msg);
		rerr_init(&err);
		recon_refresh(w, ids[i], &err);
		free(ids[i]);
	}
	free(ids);
}

/* What one server's turn on a worker carries from step to step. */
struct turn {
	struct rsnap		*s;
	struct docker_container	 c;
	int			 have_c;
	int			 want_run;
	int			 crashed;
	int			 rc;
	int			 wait;
	int			 pruned;	/* moved away: prune now */
	struct plan_desired	 d;
	struct plan_observed	 o;
	struct notes		 nt;
	struct rerr		 err;
	uint64_t		 now;
};

/*
 * A stop in progress: kills the container when the stop timed out. Called
 * and returns with r->mtx held; 1 when the turn ends here.
 */
static int
work_stopping(struct wctx *w, struct rsrv *rs, struct turn *t)
{
	struct recon	*r = w->r;

	if (t->have_c && t->c.running) {
		if (t->now >= rs->op_deadline && !rs->op_escalated) {
			rs->op_escalated = 1;
			pthread_mutex_unlock(&r->mtx);
			runtime_note(r->rt, rs->name, "stop timed out; killing");
			apply_count(&w->a);
			rerr_init(&t->err);
			docker_container_kill(w->a.d, t->c.id, "KILL",
			    &t->err);
			pthread_mutex_lock(&r->mtx);
		}
		recon_derive_notes(r, rs, &t->nt);
		return 1;
	}
	rs->op = OP_NONE;
	rs->stopping = 0;
	set_str(&rs->last_finished, t->have_c ? t->c.finished_at : NULL);
	return 0;
}

/* A container that exited while it should run, not by our hand. */
static void
work_crash_check(struct recon *r, struct rsrv *rs, struct turn *t)
{
	const struct docker_container *c = &t->c;

	if (t->have_c && !c->running && t->want_run && !rs->stopping &&
	    c->status != NULL && strcmp(c->status, "created") != 0 &&
	    rs->last_finished != NULL && c->finished_at != NULL &&
	    strncmp(c->finished_at, "0001-", 5) != 0 &&
	    strcmp(rs->last_finished, c->finished_at) != 0 &&
	    str_eq(rs->adopted_cid, c->id)) {
		set_str(&rs->last_finished, c->finished_at);
		if (!rs->expect_exit) {
			recon_crash_record(r, rs);
			rs->restarts++;
			t->crashed = 1;
		}
		rs->expect_exit = 0;
	}
}

/*
 * At the end of a turn (its console followed by now), hands the server's
 * backup requests to the backup module, which runs them on threads of
 * its own, and records what a restore needs of the next turns: the
 * server stopped, or left alone.
 */
static void
work_backup(struct wctx *w, struct rsrv *rs, struct turn *t)
{
	struct recon			*r = w->r;
	const struct state_server	*srv = t->s->srv;
	struct backup_req		 q;
	enum backup_hold		 hold = BACKUP_HOLD_NONE;
	char				*tid = NULL, *tat = NULL;
	int				 out, thold;

	pthread_mutex_lock(&r->mtx);
	out = rs->move_out && r->conf.transfers != NULL;
	thold = rs->tr_hold;
	if (thold) {
		tid = rs->tr_restore_id ? xstrdup(rs->tr_restore_id) : NULL;
		tat = rs->tr_restore_at ? xstrdup(rs->tr_restore_at) : NULL;
	}
	pthread_mutex_unlock(&r->mtx);
	/* Moving away: its final backup instead of the requests. */
	if (out)
		move_turn_after(r, rs, t->s, t->have_c && t->c.running);
	else if (r->conf.backups != NULL) {
		backup_req_init(&q, srv, t->s->cs->volume);
		q.backup_at = srv->backup_at;
		q.note = srv->backup_note;
		q.restore_id = srv->restore_id;
		q.restore_at = srv->restore_at;
		q.revision = t->s->revision;
		q.running = t->have_c && t->c.running;
		/* Moving here: only the restore of its final backup. */
		if (thold) {
			q.backup_at = NULL;
			q.restore_id = tid;
			q.restore_at = tat;
		}
		hold = backup_step(r->conf.backups, &q);
	}
	free(tid);
	free(tat);
	pthread_mutex_lock(&r->mtx);
	rs->bk_hold = (int)hold;
	pthread_mutex_unlock(&r->mtx);
}

/*
 * Observes the server again and builds the planner's inputs; finishes a
 * stop, records a crash, holds after a failed action and stops a server
 * over its disk limit. Returns 1 when the turn ends before planning.
 */
static int
work_observe(struct wctx *w, struct rsrv *rs, struct turn *t)
{
	struct recon	*r = w->r;

	memset(&t->c, 0, sizeof(t->c));
	/* The container the planner keeps, so the rest are the duplicates. */
	t->have_c = dcache_get_primary(r->dc, rs->name, t->s->cs->hash,
	    &t->c) == 0;
	if (t->have_c)
		recon_remove_duplicates(w, rs->name, t->c.id);
	/* A restore under way holds the server (stopped, or untouched). */
	if (r->conf.backups != NULL) {
		pthread_mutex_lock(&r->mtx);
		rs->bk_hold = (int)backup_hold(r->conf.backups, rs->name);
		if (rs->bk_hold != BACKUP_HOLD_NONE)
			t->want_run = 0;
		pthread_mutex_unlock(&r->mtx);
	}

	pthread_mutex_lock(&r->mtx);
	recon_observe(rs, t->have_c ? &t->c : NULL);
	if (rs->op == OP_STOP && work_stopping(w, rs, t)) {
		pthread_mutex_unlock(&r->mtx);
		return 1;
	}
	work_crash_check(r, rs, t);
	/* recon_restart: stop it as a stop does; the next turn starts it. */
	if (rs->restart_wanted) {
		rs->restart_wanted = 0;
		if (t->have_c && t->c.running && !rs->stopping &&
		    t->want_run) {
			rs->expect_exit = 1;
			pthread_mutex_unlock(&r->mtx);
			rerr_init(&t->err);
			t->rc = recon_stop_send(w, rs, t->s, t->c.id,
			    "restarting (schedule)", &t->err);
			return 1;
		}
	}
	recon_plan_desired(rs, t->s, t->now, 1, &t->d);
	memset(&t->o, 0, sizeof(t->o));
	if (t->have_c)
		recon_plan_observed(r, rs, t->s, &t->c, rs->name, &t->o);
	/* After a failed action, wait for the retry time (recon_tick). */
	if (rs->apply_error != NULL && t->now < rs->retry_at) {
		pthread_mutex_unlock(&r->mtx);
		return 1;
	}
	/* Over its disk limit while running: stop it, say why. */
	if (rs->disk_over && t->have_c && t->c.running && !rs->stopping) {
		pthread_mutex_unlock(&r->mtx);
		rerr_init(&t->err);
		t->rc = recon_stop_send(w, rs, t->s, t->c.id, "disk usage "
		    "over the limit; stopping", &t->err);
		return 1;
	}
	pthread_mutex_unlock(&r->mtx);
	if (t->crashed) {
		char note[64];

		snprintf(note, sizeof(note), "exited with code %d%s",
		    t->c.exit_code, t->c.oom_killed ? " (out of memory)" : "");
		runtime_note(r->rt, rs->name, note);
	}
	return 0;
}

/* Adopts the observed container: follows its console when it runs. */
static void
work_adopt(struct wctx *w, struct rsrv *rs, const struct docker_container *c)
{
	struct recon		*r = w->r;
	struct docker_attach	*at = NULL;
	struct rerr		 e2;

	pthread_mutex_lock(&r->mtx);
	set_str(&rs->adopted_cid, c->id);
	set_str(&rs->last_finished, c->finished_at);
	if (c->running)
		set_str(&rs->done_cid, c->id);
	pthread_mutex_unlock(&r->mtx);
	if (c->running) {
		rerr_init(&e2);
		if (docker_attach_open(w->a.d, c->id, c->tty, &at, &e2) == 0)
			runtime_follow(r->rt, rs->name, c->id, at);
	}
}

/*
 * Removes the old container of a recreate or restart; a running one is
 * stopped first (t->wait is set then).
 */
static int
work_replace(struct wctx *w, struct rsrv *rs, struct turn *t,
    const struct plan_action *a)
{
	struct recon	*r = w->r;
	struct rerr	 e2;
	int		 rc;

	if (t->have_c && t->c.running) {
		t->wait = 1;
		return recon_stop_send(w, rs, t->s, t->c.id,
		    a->kind == PLAN_RESTART ? "restarting" :
		    "stopping to apply a new spec", &t->err);
	}
	runtime_unfollow(r->rt, rs->name, 0);
	if ((rc = apply_remove(&w->a, t->c.id, &t->err)) != 0)
		return rc;
	rerr_init(&e2);
	recon_refresh(w, t->c.id, &e2);
	pthread_mutex_lock(&r->mtx);
	recon_crash_clear(rs);
	pthread_mutex_unlock(&r->mtx);
	return 0;
}

/*
 * Plans this server alone and applies its actions in order; stops at the
 * first action that has to wait (stop, install).
 */
static void
work_apply(struct wctx *w, struct rsrv *rs, struct turn *t)
{
	struct plan_input	 in;
	struct plan_result	 res;
	struct rsnap		*s = t->s;
	char			*fresh = NULL;
	size_t			 i;
	int			 gone = 0;

	memset(&in, 0, sizeof(in));
	in.desired = &t->d;
	in.ndesired = 1;
	in.observed = &t->o;
	in.nobserved = t->have_c ? 1 : 0;
	in.tree_valid = 0;	/* prunes are decided by the pass */
	plan_make(&in, &res);
	rerr_init(&t->err);
	for (i = 0; i < res.n && t->rc == 0 && !t->wait; i++) {
		const struct plan_action *a = &res.v[i];

		switch (a->kind) {
		case PLAN_ADOPT:
			work_adopt(w, rs, &t->c);
			break;
		case PLAN_REMOVE:
			t->rc = apply_remove(&w->a, a->container, &t->err);
			break;
		case PLAN_STOP:
			t->rc = recon_stop_send(w, rs, s, t->c.id,
			    t->d.move_out || t->d.hold == PLAN_HOLD_TRANSFER ?
			    a->reason : t->want_run ? "stopping for a reinstall" :
			    rs->bk_hold != BACKUP_HOLD_NONE ?
			    "stopping for a restore" :
			    "stopping: desired state is stopped", &t->err);
			t->wait = 1;
			break;
		case PLAN_INSTALL:
			if (t->have_c && t->c.running)
				t->rc = recon_stop_send(w, rs, s, t->c.id,
				    "stopping for a reinstall", &t->err);
			else
				t->rc = recon_do_install(w, rs, s, &t->err);
			t->wait = 1;
			break;
		case PLAN_RECREATE:
		case PLAN_RESTART:
			if ((t->rc = work_replace(w, rs, t, a)) != 0 ||
			    t->wait)
				break;
			/* FALLTHROUGH */
		case PLAN_CREATE:
			t->rc = recon_do_create(w, rs, s, &fresh, &t->err);
			gone = 1;
			break;
		case PLAN_UPDATE:
			t->rc = recon_do_update(w, s, t->c.id, &t->o.limits,
			    &t->err);
			break;
		case PLAN_START:
			t->rc = recon_do_start(w, rs, s, t->have_c && !gone ?
			    t->c.id : s->cs->name, &fresh, &t->err);
			break;
		case PLAN_PRUNE:
			/* Moved away and sent: pruned at the end of the turn. */
			if (t->d.move_out) {
				pthread_mutex_lock(&w->r->mtx);
				rs->prune = 1;
				rs->in_tree = 0;
				pthread_mutex_unlock(&w->r->mtx);
				t->pruned = 1;
			}
			break;
		}
	}
	recon_release(w, s, &fresh, 0);
	plan_result_dispose(&res);
}

/* The end of a turn: the failure's retry time, the status observed. */
static void
work_finish(struct recon *r, struct rsrv *rs, struct turn *t)
{
	struct docker_container	c;

	pthread_mutex_lock(&r->mtx);
	if (t->rc != 0) {
		set_str(&rs->apply_error, t->err.msg);
		rs->nfail++;
		rs->retry_at = ev_now_ms() + (rs->nfail < 6 ?
		    (1000ULL << rs->nfail) : 60000);
		log_warnx("server \"%s\": %s", rs->name, t->err.msg);
	} else if (rs->apply_error != NULL && !t->wait &&
	    t->now >= rs->retry_at) {
		set_str(&rs->apply_error, NULL);
		rs->nfail = 0;
	}
	memset(&c, 0, sizeof(c));
	pthread_mutex_unlock(&r->mtx);
	if (dcache_get(r->dc, rs->name, NULL, &c) == 0) {
		pthread_mutex_lock(&r->mtx);
		recon_observe(rs, &c);
		pthread_mutex_unlock(&r->mtx);
		docker_container_dispose(&c);
	} else {
		pthread_mutex_lock(&r->mtx);
		recon_observe(rs, NULL);
		pthread_mutex_unlock(&r->mtx);
	}
	pthread_mutex_lock(&r->mtx);
	recon_derive_notes(r, rs, &t->nt);
	pthread_mutex_unlock(&r->mtx);
}

/*
 * One server's turn on a worker: observe, finish operations, detect
 * crashes, plan this server alone and apply its actions in order; stop at
 * the first action that has to wait (stop, install).
 */
static void
recon_work(struct wctx *w, struct rsrv *rs)
{
	struct recon	*r = w->r;
	struct turn	 t;
	struct rerr	 e2;
	char		*installer = NULL;

	memset(&t, 0, sizeof(t));
	t.now = ev_now_ms();
	rerr_init(&t.err);
	w->server = rs->name;
	pthread_mutex_lock(&r->mtx);
	if (rs->prune) {
		pthread_mutex_unlock(&r->mtx);
		recon_do_prune(w, rs);
		return;
	}
	t.s = rs->snap;
	if (t.s != NULL)
		t.s->refs++;
	pthread_mutex_unlock(&r->mtx);
	if (t.s != NULL && (rs->op != OP_INSTALL ||
	    !recon_install_check(w, rs, t.s, &installer))) {
		move_turn_before(r, rs, t.s);
		pthread_mutex_lock(&r->mtx);
		t.want_run = t.s->srv->state == STATE_RUNNING &&
		    !rs->move_out && !rs->tr_hold;
		pthread_mutex_unlock(&r->mtx);
		if (work_observe(w, rs, &t) == 0)
			work_apply(w, rs, &t);
		/* The collected installer goes once the server has started. */
		if (installer != NULL) {
			rerr_init(&e2);
			if (install_remove(&w->a, installer, &e2) != 0)
				log_warnx("server \"%s\": %s", rs->name, e2.msg);
			free(installer);
		}
		work_backup(w, rs, &t);
		if (t.have_c)
			docker_container_dispose(&t.c);
		work_finish(r, rs, &t);
	}
	pthread_mutex_lock(&r->mtx);
	snap_unref(t.s);
	pthread_mutex_unlock(&r->mtx);
	notes_fire(r, &t.nt);
	if (t.pruned)
		recon_do_prune(w, rs);
}

/* A worker thread: takes servers from the queue until recon_free. */
void *
recon_worker(void *arg)
{
	struct recon	*r = arg;
	struct wctx	 w;
	struct rsrv	*rs;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.a.d = docker_new(r->conf.docker_sock);
	w.a.writes = &r->writes;
	w.a.pull_timeout_ms = (long)r->conf.pull_timeout_ms;
	w.a.progress = recon_pull_progress;
	w.a.progress_arg = &w;
	pthread_mutex_lock(&r->mtx);
	for (;;) {
		if (r->quit)
			break;
		if ((rs = recon_dequeue_locked(r)) == NULL) {
			pthread_cond_wait(&r->cond, &r->mtx);
			continue;
		}
		r->nbusy++;
		pthread_mutex_unlock(&r->mtx);
		recon_work(&w, rs);
		pthread_mutex_lock(&r->mtx);
		r->nbusy--;
		/* A prune frees rs; only touch it when it is still known. */
		{
			size_t i;

			for (i = 0; i < r->n; i++)
				if (r->v[i] == rs) {
					rs->busy = 0;
					break;
				}
		}
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->mtx);
	docker_free(w.a.d);
	return NULL;
}
