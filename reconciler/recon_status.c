/*
 * recon_status: each server's status derived from what was observed, the
 * change notes announced to roostd without recon's lock held, and the
 * status documents (recon_status_json).
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
#include "transfer.h"

/* Remembers that a server's (or, name NULL, the node's) status changed. */
void
notes_add(struct notes *nt, const char *name, int removed)
{
	size_t	i;

	for (i = 0; i < nt->n; i++)
		if (str_eq(nt->names[i], name) && nt->names[i] != NULL &&
		    name != NULL && nt->removed[i] == removed)
			return;
	nt->names = xreallocarray(nt->names, nt->n + 1, sizeof(char *));
	nt->removed = xreallocarray(nt->removed, nt->n + 1, sizeof(int));
	nt->names[nt->n] = name != NULL ? xstrdup(name) : NULL;
	nt->removed[nt->n++] = removed;
}

/* Announces the notes through conf.on_change, without the lock held. */
void
notes_fire(struct recon *r, struct notes *nt)
{
	size_t	i;

	for (i = 0; i < nt->n; i++) {
		if (r->conf.on_change != NULL)
			r->conf.on_change(r->conf.cb_arg, nt->names[i],
			    nt->removed[i]);
		free(nt->names[i]);
	}
	free(nt->names);
	free(nt->removed);
	memset(nt, 0, sizeof(*nt));
}

/* Records the status and queues a notification when it changed. */
static void
recon_status_set(struct recon *r, struct rsrv *rs, const char *phase,
    int ready, const char *reason, const char *message, struct notes *nt)
{
	struct buf	b;

	if (strcmp(rs->phase, phase) != 0) {
		strlcpy(rs->phase, phase, sizeof(rs->phase));
		util_now_rfc3339(rs->ltt, sizeof(rs->ltt));
	}
	rs->ready = ready;
	rs->reason = reason;
	set_str(&rs->message, message);
	if (ready && rs->snap != NULL && rs->snap->revision != NULL &&
	    !rs->invalid)
		set_str(&rs->applied_rev, r->revision);
	buf_init(&b, 0);
	buf_addf(&b, "%s|%d|%s|%s|%s|%s|%d|%s|%s|%d", phase, ready, reason,
	    message ? message : "", rs->cid ? rs->cid : "", rs->cstate,
	    rs->exit_code, rs->install_result ? rs->install_result : "",
	    rs->applied_rev ? rs->applied_rev : "", rs->restarts);
	if (rs->sig == NULL || strcmp(rs->sig, buf_str(&b)) != 0) {
		free(rs->sig);
		rs->sig = buf_detach(&b);
		if (nt != NULL)
			notes_add(nt, rs->name, 0);
	}
	buf_dispose(&b);
}

/* Copies what the status shows of an observed container (or none). */
void
recon_observe(struct rsrv *rs, const struct docker_container *c)
{
	rs->have_c = c != NULL;
	if (c == NULL) {
		set_str(&rs->cid, NULL);
		rs->cstate[0] = '\0';
		rs->crunning = 0;
		return;
	}
	set_str(&rs->cid, c->id);
	strlcpy(rs->cstate, c->status != NULL ? c->status : "",
	    sizeof(rs->cstate));
	rs->crunning = c->running;
	rs->exit_code = c->exit_code;
	rs->oom = c->oom_killed;
	set_str(&rs->started_at, c->started_at);
	set_str(&rs->c_hash, docker_container_label(c, CSPEC_LABEL_HASH));
}

/*
 * Derives the phase from what is known and observed: operations first,
 * then holds, then the container's own state.
 */
void
recon_derive_notes(struct recon *r, struct rsrv *rs, struct notes *nt)
{
	const struct rsnap *s = rs->snap;
	int		 want_run = s != NULL && s->srv->state == STATE_RUNNING;
	int		 current = s != NULL && rs->have_c &&
			    str_eq(rs->c_hash, s->cs->hash);
	char		 msg[600];
	uint64_t	 now = ev_now_ms();

	if (s == NULL && rs->invalid) {
		recon_status_set(r, rs, "Invalid", 0, "InvalidSpec",
		    rs->invalid_msg, nt);
		return;
	}
	if (rs->op == OP_PULL) {
		snprintf(msg, sizeof(msg), "pulling image %s", s->cs->image);
		recon_status_set(r, rs, "Pulling", 0, "Pulling", msg, nt);
	} else if (rs->op == OP_INSTALL) {
		recon_status_set(r, rs, "Installing", 0, "Installing",
		    "the egg's install script is running", nt);
	} else if ((rs->move_out || rs->tr_hold) && !rs->stopping &&
	    r->conf.transfers != NULL) {
		char *tm = transfer_message(r->conf.transfers, rs->name);

		recon_status_set(r, rs, "Transferring", 0, "Transferring", tm,
		    nt);
		free(tm);
	} else if (rs->install_failed) {
		snprintf(msg, sizeof(msg), "install %s with exit code %d; "
		    "fix the egg or variables, then reinstall",
		    rs->install_result ? rs->install_result : "failed",
		    rs->install_exit);
		recon_status_set(r, rs, "InstallFailed", 0, "InstallFailed",
		    msg, nt);
	} else if (rs->apply_error != NULL) {
		recon_status_set(r, rs, "Failed", 0, "ApplyFailed",
		    rs->apply_error, nt);
	} else if (rs->crashloop) {
		snprintf(msg, sizeof(msg), "crashed %d times within %llu s "
		    "(last exit code %d%s); not restarting until the spec "
		    "changes or a restart is requested", rs->ncrash,
		    (unsigned long long)(r->conf.crashloop_window_ms / 1000),
		    rs->exit_code, rs->oom ? ", out of memory" : "");
		recon_status_set(r, rs, "CrashLoop", 0, "CrashLoop", msg, nt);
	} else if (want_run && rs->backoff_until > now && !rs->crunning) {
		snprintf(msg, sizeof(msg), "exited with code %d%s; restarting "
		    "in %llu s", rs->exit_code, rs->oom ? " (out of memory)" :
		    "", (unsigned long long)((rs->backoff_until - now + 999) /
		    1000));
		recon_status_set(r, rs, "Crashed", 0, "BackOff", msg, nt);
	} else if (rs->op == OP_STOP || rs->stopping) {
		recon_status_set(r, rs, "Stopping", 0, "Stopping",
		    rs->op_reason, nt);
	} else if (!rs->have_c) {
		recon_status_set(r, rs, "Pending", 0, "Progressing",
		    "container not created yet", nt);
	} else if (rs->crunning) {
		if (s->ndone == 0 || str_eq(rs->done_cid, rs->cid))
			recon_status_set(r, rs, "Running", want_run && current,
			    want_run ? (current ? "Succeeded" : "Progressing") :
			    "Progressing", want_run ? NULL :
			    "desired stopped", nt);
		else
			recon_status_set(r, rs, "Starting", 0, "Starting",
			    "waiting for the server's ready line", nt);
	} else if (rs->disk_over) {
		snprintf(msg, sizeof(msg), "stopped: disk usage %lld MiB is "
		    "over the limit of %lld MiB; free space or raise the limit",
		    (long long)(rs->disk_bytes / LIMIT_MIB),
		    (long long)(s->cs->disk_bytes / LIMIT_MIB));
		recon_status_set(r, rs, "Stopped", 0, "DiskLimitExceeded",
		    msg, nt);
	} else if (rs->installed && rs->install_result != NULL &&
	    strcmp(rs->cstate, "created") == 0 && want_run) {
		recon_status_set(r, rs, "Installed", 0, "InstallSucceeded",
		    NULL, nt);
	} else {
		recon_status_set(r, rs, "Stopped", !want_run && current,
		    want_run ? "Progressing" : "Succeeded", want_run ?
		    "container not running yet" : NULL, nt);
	}
	if (rs->invalid) {
		snprintf(msg, sizeof(msg), "%s (running the last good spec)",
		    rs->invalid_msg != NULL ? rs->invalid_msg : "invalid");
		recon_status_set(r, rs, "Invalid", 0, "InvalidSpec", msg, nt);
	}
}

/* Derives a server's status, announcing a change (lock held). */
void
recon_derive(struct recon *r, struct rsrv *rs)
{
	recon_derive_notes(r, rs, NULL);
}

static cJSON *
recon_server_tree(struct recon *r, struct rsrv *rs)
{
	const struct rsnap	*s = rs->snap;
	cJSON			*o, *c, *p, *u, *in, *bk;
	size_t			 i;

	o = json_new_object();
	json_add_str(o, "name", rs->name);
	json_add_str(o, "node", r->conf.node);
	json_add_str(o, "phase", rs->phase);
	json_add_bool(o, "ready", rs->ready);
	json_add_str(o, "reason", rs->reason);
	json_add_str(o, "message", rs->message);
	json_add_str(o, "lastTransitionTime", rs->ltt);
	json_add_str(o, "observedRevision", rs->observed_rev);
	json_add_str(o, "appliedRevision", rs->applied_rev);
	json_add_str(o, "specHash", s != NULL ? s->cs->hash : NULL);
	json_add_str(o, "desiredState", s == NULL ? NULL :
	    s->srv->state == STATE_RUNNING ? "running" : "stopped");
	json_add_str(o, "image", s != NULL ? s->cs->image : NULL);
	p = json_add_array(o, "ports");
	for (i = 0; s != NULL && i < s->cs->nports; i++)
		cJSON_AddItemToArray(p, json_new_num(s->cs->ports[i]));

	c = json_add_object(o, "container");
	json_add_str(c, "id", rs->have_c ? rs->cid : NULL);
	json_add_str(c, "state", rs->have_c ? rs->cstate : "absent");
	if (rs->have_c && !rs->crunning)
		json_add_num(c, "exitCode", rs->exit_code);
	else
		cJSON_AddNullToObject(c, "exitCode");
	json_add_bool(c, "oomKilled", rs->have_c && rs->oom);
	json_add_num(c, "restarts", rs->restarts);
	json_add_str(c, "startedAt", rs->have_c ? rs->started_at : NULL);
	json_add_bool(c, "specCurrent", rs->have_c && s != NULL &&
	    str_eq(rs->c_hash, s->cs->hash));

	in = json_add_object(o, "install");
	json_add_str(in, "result", rs->op == OP_INSTALL ? "running" :
	    rs->install_result != NULL ? rs->install_result :
	    rs->installed ? "succeeded" : NULL);
	if (rs->install_result != NULL)
		json_add_num(in, "exitCode", rs->install_exit);
	else
		cJSON_AddNullToObject(in, "exitCode");
	json_add_str(in, "logTail", rs->install_log);
	json_add_str(in, "finishedAt", rs->install_at[0] ? rs->install_at :
	    NULL);

	u = json_add_object(o, "usage");
	json_add_num(u, "cpuPercent", rs->crunning && rs->have_usage ?
	    rs->usage.cpu_percent : 0);
	json_add_num(u, "memoryBytes", rs->crunning && rs->have_usage ?
	    (double)rs->usage.memory : 0);
	json_add_num(u, "memoryLimitBytes", s != NULL ?
	    (double)s->cs->spec.limits.memory : 0);
	json_add_num(u, "diskBytes", rs->disk_bytes >= 0 ?
	    (double)rs->disk_bytes : 0);
	json_add_num(u, "diskLimitBytes", s != NULL ?
	    (double)s->cs->disk_bytes : 0);
	json_add_num(u, "netRxBytes", rs->have_usage ?
	    (double)rs->usage.rx_bytes : 0);
	json_add_num(u, "netTxBytes", rs->have_usage ?
	    (double)rs->usage.tx_bytes : 0);
	json_add_str(u, "sampledAt", rs->have_usage ? rs->usage.read : NULL);

	json_add_num(json_add_object(o, "crashes"), "recent", rs->ncrash);
	if (r->conf.backups != NULL &&
	    (bk = backup_status_json(r->conf.backups, rs->name)) != NULL)
		cJSON_AddItemToObject(o, "backups", bk);
	if (r->conf.transfers != NULL &&
	    (bk = transfer_status_json(r->conf.transfers, rs->name)) != NULL)
		cJSON_AddItemToObject(o, "transfer", bk);
	return o;
}

static cJSON *
recon_node_tree(struct recon *r)
{
	cJSON	*o, *cap, *al;
	int64_t	 mem = 0, disk = 0, cpu = 0;
	size_t	 i, n = 0;

	for (i = 0; i < r->n; i++) {
		const struct rsnap *s = r->v[i]->snap;

		if (!r->v[i]->in_tree)
			continue;
		n++;
		if (s == NULL)
			continue;
		mem += s->srv->limits.memory > 0 ? s->srv->limits.memory : 0;
		disk += s->srv->limits.disk > 0 ? s->srv->limits.disk : 0;
		cpu += s->srv->limits.cpu > 0 ? s->srv->limits.cpu : 0;
	}
	o = json_new_object();
	json_add_str(o, "name", r->conf.node);
	json_add_str(o, "revision", r->revision);
	json_add_num(o, "servers", (double)n);
	cap = json_add_object(o, "capacity");
	json_add_num(cap, "memory", (double)r->cap_memory);
	json_add_num(cap, "disk", (double)r->cap_disk);
	json_add_num(cap, "cpu", (double)r->cap_cpu);
	al = json_add_object(o, "allocated");
	json_add_num(al, "memory", (double)mem);
	json_add_num(al, "disk", (double)disk);
	json_add_num(al, "cpu", (double)cpu);
	json_add_str(o, "refused", r->refused);
	json_add_str(o, "time", r->node_time[0] ? r->node_time : NULL);
	return o;
}

/* Status as a tree; see recon.h. */
cJSON *
recon_status_tree(struct recon *r, const char *name)
{
	struct rsrv	*rs;
	cJSON		*o, *arr;
	size_t		 i;

	pthread_mutex_lock(&r->mtx);
	if (name != NULL) {
		rs = recon_find(r, name);
		o = rs != NULL && rs->in_tree ? recon_server_tree(r, rs) : NULL;
		pthread_mutex_unlock(&r->mtx);
		return o;
	}
	o = json_new_object();
	cJSON_AddItemToObject(o, "node", recon_node_tree(r));
	arr = json_add_array(o, "servers");
	/* r->v is sorted by name already. */
	for (i = 0; i < r->n; i++)
		if (r->v[i]->in_tree)
			cJSON_AddItemToArray(arr, recon_server_tree(r,
			    r->v[i]));
	pthread_mutex_unlock(&r->mtx);
	return o;
}

/* Status as JSON; see recon.h. */
int
recon_status_json(struct recon *r, const char *name, struct buf *out)
{
	cJSON	*o;
	char	*s;

	if ((o = recon_status_tree(r, name)) == NULL)
		return ROOST_ENOTFOUND;
	s = json_print_free(o);
	buf_puts(out, s);
	free(s);
	return 0;
}
