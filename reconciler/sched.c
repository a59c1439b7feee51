/*
 * sched: this node's schedules; see sched.h and docs/schedules.md.
 *
 * Only the scheduler's thread changes the table of servers and schedules
 * (sched_update and sched_run_now hand it their requests); the mutex lets
 * the status readers in while it does. Each turn of the thread: take the
 * requests, advance everything due (under the lock, deciding what to do
 * and recording that it started), write the progress files of the
 * servers that changed, do it (type the commands, start the threads of
 * restarts and backups) without the lock, record the results, and arm
 * the one timerfd for the earliest moment anything is due next.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conline.h"
#include "cron.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "tz.h"
#include "util.h"
#include "xmalloc.h"

#include "console.h"
#include "sched.h"
#include "thread.h"

#define SC_OUTPUT_MS	1000	/* console output kept after a command */
#define SC_OUTPUT_LINES	20
#define SC_OUTPUT_BYTES	2048
#define SC_FILE_MAX	(1024 * 1024)

/* A run in progress. */
struct sc_run {
	uint64_t		 id;
	int64_t			 fire;		/* s; 0: run now */
	char			 by[128];	/* "schedule", or who ran it */
	char			 started[32];
	struct state_schedules	 def;		/* its own copy: one */
	size_t			 next;		/* the next task */
	uint64_t		 due_ms;	/* when it starts */
	int			 busy;		/* a task on a thread */
	int			 failed;
	cJSON			*tasks;		/* results so far */
	long			 collect;	/* task whose output waits, -1 */
	uint64_t		 collect_seq;
	uint64_t		 collect_at;
	int			 finished;	/* waits only for output */
};

/* One schedule of one server. */
struct sc_ent {
	char			*name;
	char			*cron_text;
	char			*tz_name;	/* NULL: the node's */
	struct cron		 cron;
	const struct tz		*tz;
	int64_t			 last_fire;	/* s, persisted; 0: none */
	int64_t			 next_fire;	/* s; 0: none */
	uint64_t		 failures;
	struct sc_run		*run;
	cJSON			*last;		/* the last finished run */
	int			 seen;
};

struct sc_srv {
	char			*name;
	struct state_server	*srv;		/* the last good file */
	struct sc_ent		**e;
	size_t			 n;
	int			 dirty;		/* progress to write */
	int			 changed;	/* status to announce */
	int			 seen;
};

/* A restart or backup on a thread of its own. */
struct sc_job {
	struct sched		*s;
	char			*server;
	char			*sched;
	uint64_t		 run_id;
	size_t			 idx;
	enum state_task_kind	 kind;
	char			*note;
	struct state_server	*srv;
	int			 rc;
	char			 msg[600];
	char			 id[64];
	struct sc_job		*next;
};

/* What a turn does once the lock is released. */
struct sc_act {
	struct sc_srv		*sv;
	struct sc_ent		*e;
	struct sc_run		*run;
	size_t			 idx;
	int64_t			 fire;
};

struct sc_runreq {
	char			*server;
	char			*name;
	char			*who;
	struct sc_runreq	*next;
};

struct sched {
	struct sched_conf	 conf;
	char			*dir;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thr;
	int			 tfd;
	int			 efd;
	int			 quit;
	struct sc_srv		**v;
	size_t			 n;
	/* requests for the thread */
	struct state_server	**upd;		/* a new revision's servers */
	size_t			 nupd;
	int			 have_upd;
	struct sc_runreq	*runq;
	struct sc_job		*done;
	int			 njobs;
	uint64_t		 run_ids;
	uint64_t		 armed;
	struct sched_stats	 st;
};

static uint64_t
real_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
real_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Reads a timerfd's or an eventfd's counter back to 0; a failed read
 * leaves it readable for the next poll.
 */
static void
sc_drain(int fd)
{
	uint64_t	v;

	if (read(fd, &v, sizeof(v)) == -1)
		return;
}

static void
sc_wake(struct sched *s)
{
	uint64_t	one = 1;

	/* fails only when the counter is full: the thread wakes anyway */
	if (write(s->efd, &one, sizeof(one)) == -1)
		return;
}

static void
now_text(char *out, size_t len)
{
	util_now_rfc3339(out, len);
}

/* ---- the table ---- */

static struct sc_srv *
srv_find(struct sched *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->name, name) == 0)
			return s->v[i];
	return NULL;
}

static struct sc_ent *
ent_find(struct sc_srv *sv, const char *name)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->e[i]->name, name) == 0)
			return sv->e[i];
	return NULL;
}

static void
run_free(struct sc_run *r)
{
	if (r == NULL)
		return;
	state_schedules_dispose(&r->def);
	cJSON_Delete(r->tasks);
	free(r);
}

static void
ent_free(struct sc_ent *e)
{
	free(e->name);
	free(e->cron_text);
	free(e->tz_name);
	run_free(e->run);
	cJSON_Delete(e->last);
	free(e);
}

static void
srv_free(struct sc_srv *sv)
{
	size_t	i;

	for (i = 0; i < sv->n; i++)
		ent_free(sv->e[i]);
	free(sv->e);
	state_server_free(sv->srv);
	free(sv->name);
	free(sv);
}

/* The schedule's definition in the server's last good file. */
static const struct state_schedule *
ent_def(const struct sc_srv *sv, const struct sc_ent *e)
{
	return state_schedule_find(sv->srv, e->name);
}

/* The first fire time after instant after (s); 0 when none. */
static int64_t
ent_next(const struct sc_ent *e, int64_t after)
{
	struct rerr	err;
	int64_t		t;

	rerr_init(&err);
	if (cron_next(&e->cron, e->tz, after, &t, &err) != 0)
		return 0;
	return t;
}

/* ---- progress files ---- */

static cJSON *
run_json(const struct sc_run *r, int full)
{
	cJSON	*o;

	o = json_new_object();
	if (r->fire != 0)
		cJSON_AddNumberToObject(o, "fire", (double)r->fire);
	json_add_str(o, "by", r->by);
	json_add_str(o, "startedAt", r->started);
	if (full) {
		cJSON_AddNumberToObject(o, "next", (double)r->next);
		cJSON_AddNumberToObject(o, "dueMs", (double)r->due_ms);
	}
	cJSON_AddItemToObject(o, "tasks", cJSON_Duplicate(r->tasks, 1));
	return o;
}

/* The progress file's text for sv; under the lock. */
static char *
srv_text(const struct sc_srv *sv)
{
	cJSON	*o, *m, *x;
	size_t	 i;

	o = json_new_object();
	m = json_add_object(o, "schedules");
	for (i = 0; i < sv->n; i++) {
		const struct sc_ent *e = sv->e[i];

		x = json_add_object(m, e->name);
		cJSON_AddNumberToObject(x, "lastFire", (double)e->last_fire);
		cJSON_AddNumberToObject(x, "failures", (double)e->failures);
		json_add_copy(x, "last", e->last);
		if (e->run != NULL && !e->run->finished)
			cJSON_AddItemToObject(x, "run", run_json(e->run, 1));
	}
	return json_print_free(o);
}

/*
 * Writes a progress file in place: one pwrite of the text, padded with
 * spaces (JSON ignores them) to the old length, so the file holds the old
 * or the new text after a kill -9, never a mix. Not renamed and not
 * truncated, which would make ext4 flush it at once (auto_da_alloc) and
 * cost a disk write per fire time; a power cut may lose the last steps, a
 * crash of roostd does not.
 */
static void
srv_write(struct sched *s, const char *server, const char *text)
{
	struct stat	 sb;
	char		 path[512], *p;
	size_t		 len = strlen(text), n;
	int		 fd;

	snprintf(path, sizeof(path), "%s/%s.json", s->dir, server);
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_warn("schedules: cannot write '%s'", path);
		if (fd != -1)
			close(fd);
		return;
	}
	n = (size_t)sb.st_size > len ? (size_t)sb.st_size : len;
	p = xmalloc(n);
	memcpy(p, text, len);
	memset(p + len, ' ', n - len);
	if (pwrite(fd, p, n, 0) != (ssize_t)n)
		log_warn("schedules: cannot write '%s'", path);
	free(p);
	close(fd);
}

/* Reads server's progress file; NULL when there is none. */
static cJSON *
srv_read(struct sched *s, const char *server)
{
	char		 path[512];
	struct stat	 sb;

	snprintf(path, sizeof(path), "%s/%s.json", s->dir, server);
	if (lstat(path, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SC_FILE_MAX)
		return NULL;
	return json_read_file(path, SC_FILE_MAX);
}

/* ---- runs ---- */

static struct sc_run *
run_new(struct sched *s, const struct state_schedule *def, int64_t fire,
    const char *by)
{
	struct sc_run		*r;
	struct state_schedules	 one;

	r = xcalloc(1, sizeof(*r));
	r->id = ++s->run_ids;
	r->fire = fire;
	snprintf(r->by, sizeof(r->by), "%s", by);
	now_text(r->started, sizeof(r->started));
	one.v = (struct state_schedule *)def;
	one.n = 1;
	one.set = 1;
	state_schedules_copy(&r->def, &one);
	r->tasks = json_new_array();
	r->collect = -1;
	return r;
}

static const char *
task_kind(const struct state_task *t)
{
	return t->kind == STATE_TASK_COMMAND ? "command" :
	    t->kind == STATE_TASK_RESTART ? "restart" : "backup";
}

/* The result object of task idx (made on first use). */
static cJSON *
run_task(struct sc_run *r, size_t idx)
{
	cJSON	*o;

	while ((size_t)cJSON_GetArraySize(r->tasks) <= idx) {
		o = json_new_object();
		cJSON_AddItemToArray(r->tasks, o);
	}
	return cJSON_GetArrayItem(r->tasks, (int)idx);
}

static void
task_set(cJSON *o, const char *key, const char *val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	json_add_str(o, key, val);
}

/* Ends a run: it becomes the last, a failure is counted. */
static void
run_end(struct sc_srv *sv, struct sc_ent *e, const char *result)
{
	struct sc_run	*r = e->run;
	cJSON		*o;
	char		 now[32];

	now_text(now, sizeof(now));
	o = run_json(r, 0);
	json_add_str(o, "finishedAt", now);
	json_add_str(o, "result", result);
	cJSON_Delete(e->last);
	e->last = o;
	if (strcmp(result, "failed") == 0 || strcmp(result, "interrupted") ==
	    0) {
		e->failures++;
		log_warnx("server \"%s\": schedule %s %s", sv->name, e->name,
		    result);
	}
	run_free(r);
	e->run = NULL;
	sv->dirty = sv->changed = 1;
}

/* A run that ends at once (skipped): the last run says why. */
static void
run_skip(struct sc_srv *sv, struct sc_ent *e, int64_t fire, const char *by,
    const char *why)
{
	cJSON	*o;
	char	 now[32];

	now_text(now, sizeof(now));
	o = json_new_object();
	if (fire != 0)
		cJSON_AddNumberToObject(o, "fire", (double)fire);
	json_add_str(o, "by", by);
	json_add_str(o, "startedAt", now);
	json_add_str(o, "finishedAt", now);
	json_add_str(o, "result", "skipped");
	json_add_str(o, "message", why);
	cJSON_AddArrayToObject(o, "tasks");
	cJSON_Delete(e->last);
	e->last = o;
	sv->dirty = sv->changed = 1;
}

/* Collects the output of the command task waiting for it (no lock). */
static void
run_collect(struct sched *s, const char *server, uint64_t seq, char **out)
{
	struct console_line	*v = NULL;
	struct buf		 b;
	uint64_t		 skipped, next;
	ssize_t			 n, i;
	char			*l;

	*out = NULL;
	n = console_read(s->conf.console, server, seq, SC_OUTPUT_LINES, &v,
	    &skipped, &next);
	if (n <= 0) {
		if (n == 0)
			console_lines_free(v, 0);
		return;
	}
	buf_init(&b, SC_OUTPUT_BYTES);
	for (i = 0; i < n; i++) {
		l = conline_strip_ansi(v[i].text, v[i].len);
		if (b.len + strlen(l) + 1 < SC_OUTPUT_BYTES)
			buf_addf(&b, "%s%s", b.len ? "\n" : "", l);
		free(l);
	}
	console_lines_free(v, (size_t)n);
	*out = buf_detach(&b);
}

/* ---- the table follows the revisions ---- */

/* Sets e's cron and zone from def; 0, or -1 (logged). */
static int
ent_setdef(struct sc_ent *e, const char *server,
    const struct state_schedule *def)
{
	struct rerr	err;

	rerr_init(&err);
	if (cron_parse(&e->cron, def->cron, &err) != 0) {
		log_warnx("server \"%s\": schedule %s: %s", server, def->name,
		    err.msg);
		return -1;
	}
	e->tz = def->timezone != NULL ? tz_get(def->timezone, &err) :
	    tz_local();
	if (e->tz == NULL) {
		log_warnx("server \"%s\": schedule %s: %s", server, def->name,
		    err.msg);
		return -1;
	}
	free(e->cron_text);
	free(e->tz_name);
	e->cron_text = xstrdup(def->cron);
	e->tz_name = def->timezone != NULL ? xstrdup(def->timezone) : NULL;
	return 0;
}

/*
 * Picks up a run a kill -9 cut short: the task in flight is not run
 * again; the rest goes on when it is due within the grace, else the run
 * ends as interrupted.
 */
static void
ent_resume(struct sched *s, struct sc_srv *sv, struct sc_ent *e,
    const struct state_schedule *def, const cJSON *run, uint64_t now)
{
	struct sc_run	*r;
	cJSON		*t;
	uint64_t	 due = (uint64_t)json_int64(run, "dueMs", 0);

	r = run_new(s, def, json_int64(run, "fire", 0),
	    json_str(run, "by", "schedule"));
	snprintf(r->started, sizeof(r->started), "%s",
	    json_str(run, "startedAt", r->started));
	if (cJSON_IsArray(json_get(run, "tasks"))) {
		cJSON_Delete(r->tasks);
		r->tasks = cJSON_Duplicate(json_get(run, "tasks"), 1);
	}
	r->next = (size_t)json_int64(run, "next", 0);
	cJSON_ArrayForEach(t, r->tasks)
		if (strcmp(json_str(t, "result", ""), "running") == 0) {
			task_set(t, "result", "interrupted");
			task_set(t, "message", "roostd stopped during this "
			    "task; it is not run again");
			r->failed = 1;
		}
	e->run = r;
	if (r->next >= def->ntasks || now > due + s->conf.grace_ms) {
		if (r->next < def->ntasks)
			log_warnx("server \"%s\": schedule %s: the rest of a "
			    "run roostd left is too old to go on", sv->name,
			    e->name);
		run_end(sv, e, r->next < def->ntasks ? "interrupted" :
		    r->failed ? "failed" : "succeeded");
		return;
	}
	r->due_ms = due > now ? due : now;
	log_info("server \"%s\": schedule %s: going on with task %zu of a "
	    "run roostd left", sv->name, e->name, r->next + 1);
}

/* A schedule new to this roostd, with what its progress file says. */
static struct sc_ent *
ent_new(struct sched *s, struct sc_srv *sv, const struct state_schedule *def,
    const cJSON *saved, uint64_t now)
{
	struct sc_ent	*e;
	const cJSON	*x = saved != NULL ? json_get(saved, "schedules") : NULL;
	int64_t		 now_s = (int64_t)(now / 1000);

	e = xcalloc(1, sizeof(*e));
	e->name = xstrdup(def->name);
	if (ent_setdef(e, sv->name, def) != 0) {
		ent_free(e);
		return NULL;
	}
	if (x != NULL)
		x = cJSON_GetObjectItemCaseSensitive(x, def->name);
	if (cJSON_IsObject(x)) {
		e->last_fire = json_int64(x, "lastFire", 0);
		e->failures = (uint64_t)json_int64(x, "failures", 0);
		if (cJSON_IsObject(json_get(x, "last")))
			e->last = cJSON_Duplicate(json_get(x, "last"), 1);
		if (cJSON_IsObject(json_get(x, "run")))
			ent_resume(s, sv, e, def, json_get(x, "run"), now);
	}
	e->next_fire = sched_first_fire(&e->cron, e->tz, e->last_fire, now_s,
	    s->conf.grace_ms);
	return e;
}

/* The first fire time after a start; see sched.h. */
int64_t
sched_first_fire(const struct cron *c, const struct tz *z, int64_t last_fire,
    int64_t now, uint64_t grace_ms)
{
	struct rerr	err;
	int64_t		base = now, t;

	/* A fire time missed while roostd was down: only within the grace. */
	if (last_fire > 0) {
		base = now - (int64_t)(grace_ms / 1000) - 1;
		if (base < last_fire)
			base = last_fire;
		if (base > now)
			base = now;
	}
	rerr_init(&err);
	if (cron_next(c, z, base, &t, &err) != 0)
		return 0;
	return t;
}

/* Brings sv's schedules in line with its file. */
static void
srv_sync(struct sched *s, struct sc_srv *sv, const cJSON *saved, uint64_t now)
{
	const struct state_schedules	*l = &sv->srv->schedules;
	struct sc_ent			*e;
	size_t				 i, j;

	for (i = 0; i < sv->n; i++)
		sv->e[i]->seen = 0;
	for (i = 0; i < l->n; i++) {
		if ((e = ent_find(sv, l->v[i].name)) != NULL) {
			e->seen = 1;
			if (strcmp(e->cron_text, l->v[i].cron) == 0 &&
			    ((e->tz_name == NULL && l->v[i].timezone == NULL) ||
			    (e->tz_name != NULL && l->v[i].timezone != NULL &&
			    strcmp(e->tz_name, l->v[i].timezone) == 0)))
				continue;
			/* An edit takes effect at once. */
			if (ent_setdef(e, sv->name, &l->v[i]) == 0)
				e->next_fire = ent_next(e,
				    (int64_t)(now / 1000));
			sv->changed = 1;
			continue;
		}
		if ((e = ent_new(s, sv, &l->v[i], saved, now)) == NULL)
			continue;
		e->seen = 1;
		sv->e = xreallocarray(sv->e, sv->n + 1, sizeof(*sv->e));
		sv->e[sv->n++] = e;
		/* Its file now, not on the way to its first command. */
		sv->dirty = sv->changed = 1;
	}
	/* A removed schedule never fires again, nor does the rest of its run. */
	for (i = j = 0; i < sv->n; i++) {
		if (sv->e[i]->seen) {
			sv->e[j++] = sv->e[i];
			continue;
		}
		log_info("server \"%s\": schedule %s removed", sv->name,
		    sv->e[i]->name);
		ent_free(sv->e[i]);
		sv->dirty = sv->changed = 1;
	}
	sv->n = j;
}

/* Takes a revision's servers (the thread, under the lock). */
static void
apply_update(struct sched *s, struct state_server **v, size_t n,
    uint64_t now)
{
	struct sc_srv	*sv;
	cJSON		*saved;
	size_t		 i, j;

	for (i = 0; i < s->n; i++)
		s->v[i]->seen = 0;
	for (i = 0; i < n; i++) {
		sv = srv_find(s, v[i]->name);
		if (!v[i]->valid) {	/* keeps its last good file */
			if (sv != NULL)
				sv->seen = 1;
			state_server_free(v[i]);
			continue;
		}
		saved = NULL;
		if (sv == NULL) {
			sv = xcalloc(1, sizeof(*sv));
			sv->name = xstrdup(v[i]->name);
			s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
			s->v[s->n++] = sv;
			saved = srv_read(s, sv->name);
		}
		sv->seen = 1;
		state_server_free(sv->srv);
		sv->srv = v[i];
		srv_sync(s, sv, saved, now);
		cJSON_Delete(saved);
	}
	for (i = j = 0; i < s->n; i++) {
		if (s->v[i]->seen) {
			s->v[i]->seen = 0;
			s->v[j++] = s->v[i];
			continue;
		}
		for (size_t k = 0; k < s->v[i]->n; k++)
			log_info("server \"%s\": schedule %s removed",
			    s->v[i]->name, s->v[i]->e[k]->name);
		srv_free(s->v[i]);
	}
	s->n = j;
	s->st.schedules = 0;
	for (i = 0; i < s->n; i++)
		s->st.schedules += s->v[i]->n;
}

/* ---- the turn ---- */

static const struct state_task *
run_def_task(const struct sc_run *r, size_t idx)
{
	return idx < r->def.v[0].ntasks ? &r->def.v[0].tasks[idx] : NULL;
}

/* A task ended: the run goes on after the next one's offset, or ends. */
static void
task_done(struct sc_run *r, size_t idx, int ok, const char *msg,
    uint64_t now)
{
	const struct state_task	*t = run_def_task(r, idx), *n;
	cJSON			*o = run_task(r, idx);
	char			 ts[32];

	now_text(ts, sizeof(ts));
	task_set(o, "result", ok ? "succeeded" : "failed");
	task_set(o, "finishedAt", ts);
	if (msg != NULL && *msg != '\0')
		task_set(o, "message", msg);
	r->busy = 0;
	if (!ok && (t == NULL || !t->cont)) {
		r->failed = 1;
		r->finished = 1;
		return;
	}
	if (!ok)
		r->failed = 1;
	if ((n = run_def_task(r, idx + 1)) == NULL) {
		r->finished = 1;
		return;
	}
	r->due_ms = now + n->after_ms;
}

/* Starts task r->next: records it, returns it for the act list. */
static void
task_start(struct sc_srv *sv, struct sc_run *r, struct sc_act *a,
    struct sc_ent *e)
{
	const struct state_task	*t = run_def_task(r, r->next);
	cJSON			*o = run_task(r, r->next);
	char			 ts[32];

	now_text(ts, sizeof(ts));
	task_set(o, "task", task_kind(t));
	if (t->kind == STATE_TASK_COMMAND)
		task_set(o, "command", t->arg);
	task_set(o, "result", "running");
	task_set(o, "startedAt", ts);
	a->sv = sv;
	a->e = e;
	a->run = r;
	a->idx = r->next;
	a->fire = r->next == 0 ? r->fire : 0;
	r->next++;
	if (t->kind != STATE_TASK_COMMAND)
		r->busy = 1;
	sv->dirty = sv->changed = 1;
}

/* Collects the output a run waits for, if any (under the lock). */
static void
run_output(struct sched *s, struct sc_srv *sv, struct sc_run *r)
{
	char	*out;

	if (r->collect < 0)
		return;
	run_collect(s, sv->name, r->collect_seq, &out);
	if (out != NULL)
		task_set(run_task(r, (size_t)r->collect), "output", out);
	free(out);
	r->collect = -1;
	sv->dirty = sv->changed = 1;
}

/* Handles a fire time of e. */
static void
ent_fire(struct sched *s, struct sc_srv *sv, struct sc_ent *e, uint64_t now)
{
	const struct state_schedule	*def = ent_def(sv, e);
	int64_t				 fire = e->next_fire;
	int64_t				 now_s = (int64_t)(now / 1000);

	s->st.fires++;
	e->last_fire = fire;
	e->next_fire = ent_next(e, fire > now_s ? fire : now_s);
	sv->dirty = sv->changed = 1;
	if (def == NULL)
		return;
	/* A run that only waits for output ends now. */
	if (e->run != NULL && e->run->finished && !e->run->busy) {
		run_output(s, sv, e->run);
		run_end(sv, e, e->run->failed ? "failed" : "succeeded");
	}
	if (e->run != NULL) {
		log_info("server \"%s\": schedule %s: the previous run is still "
		    "going; this fire time is skipped", sv->name, e->name);
		return;
	}
	if (def->only_running && (s->conf.running == NULL ||
	    !s->conf.running(s->conf.arg, sv->name))) {
		run_skip(sv, e, fire, "schedule", "the server is not running "
		    "(onlyWhenRunning)");
		return;
	}
	e->run = run_new(s, def, fire, "schedule");
	e->run->due_ms = now;
	s->st.runs++;
}

/*
 * Advances e at now (under the lock): fires, collects output, ends a
 * finished run, starts its next task into *a. Returns 1 when *a is set.
 */
static int
ent_step(struct sched *s, struct sc_srv *sv, struct sc_ent *e, uint64_t now,
    struct sc_act *a)
{
	struct sc_run	*r;

	if (e->next_fire != 0 && (uint64_t)e->next_fire * 1000 <= now)
		ent_fire(s, sv, e, now);
	if ((r = e->run) == NULL || r->busy)
		return 0;
	if (r->collect >= 0 && (now >= r->collect_at || (!r->finished &&
	    now >= r->due_ms)))
		run_output(s, sv, r);
	if (!r->finished && r->next >= r->def.v[0].ntasks)
		r->finished = 1;
	if (r->finished) {
		if (r->collect < 0)
			run_end(sv, e, r->failed ? "failed" : "succeeded");
		return 0;
	}
	if (now < r->due_ms)
		return 0;
	task_start(sv, r, a, e);
	return 1;
}

/* The earliest moment anything is due (ms), 0: nothing. */
static uint64_t
sc_deadline(struct sched *s)
{
	uint64_t	 d = 0, t;
	size_t		 i, j;

#define SC_MIN(x)	do { t = (x); if (t != 0 && (d == 0 || t < d)) d = t; \
	} while (0)
	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->v[i]->n; j++) {
			const struct sc_ent	*e = s->v[i]->e[j];
			const struct sc_run	*r = e->run;

			if (e->next_fire > 0)
				SC_MIN((uint64_t)e->next_fire * 1000);
			if (r == NULL || r->busy)
				continue;
			if (r->collect >= 0)
				SC_MIN(r->collect_at);
			if (r->finished && r->collect < 0)
				SC_MIN(1);
			else if (!r->finished)
				SC_MIN(r->due_ms > 0 ? r->due_ms : 1);
		}
#undef SC_MIN
	return d;
}

/* A restart's or a backup's thread. */
static void *
job_main(void *arg)
{
	struct sc_job	*j = arg;
	struct sched	*s = j->s;
	struct rerr	 err;

	rerr_init(&err);
	if (j->kind == STATE_TASK_RESTART)
		j->rc = s->conf.restart != NULL ? s->conf.restart(s->conf.arg,
		    j->srv, &err) : rerr_set(&err, -1, "restarts are not "
		    "available here");
	else
		j->rc = s->conf.backup != NULL ? s->conf.backup(s->conf.arg,
		    j->srv, j->note, j->id, sizeof(j->id), &err) :
		    rerr_set(&err, -1, "backups are not available here");
	if (j->rc != 0)
		snprintf(j->msg, sizeof(j->msg), "%s", err.msg);
	else if (j->kind == STATE_TASK_BACKUP)
		snprintf(j->msg, sizeof(j->msg), "backup %s", j->id);
	pthread_mutex_lock(&s->mu);
	j->next = s->done;
	s->done = j;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	sc_wake(s);
	return NULL;
}

static void
job_free(struct sc_job *j)
{
	free(j->server);
	free(j->sched);
	free(j->note);
	state_server_free(j->srv);
	free(j);
}

/* Starts a restart or backup task on a thread (under the lock). */
static void
job_start(struct sched *s, const struct sc_act *a)
{
	const struct state_task	*t = run_def_task(a->run, a->idx);
	struct sc_job		*j;

	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->server = xstrdup(a->sv->name);
	j->sched = xstrdup(a->e->name);
	j->run_id = a->run->id;
	j->idx = a->idx;
	j->kind = t->kind;
	j->note = t->arg != NULL ? xstrdup(t->arg) : NULL;
	j->srv = state_server_dup(a->sv->srv);
	s->njobs++;
	thread_spawn(job_main, j, "schedules");
}

/* Records the jobs that finished (under the lock). */
static void
jobs_done(struct sched *s, uint64_t now)
{
	struct sc_job	*j, *next;
	struct sc_srv	*sv;
	struct sc_ent	*e;

	j = s->done;
	s->done = NULL;
	for (; j != NULL; j = next) {
		next = j->next;
		s->njobs--;
		if ((sv = srv_find(s, j->server)) != NULL &&
		    (e = ent_find(sv, j->sched)) != NULL && e->run != NULL &&
		    e->run->id == j->run_id) {
			task_done(e->run, j->idx, j->rc == 0, j->msg, now);
			sv->dirty = sv->changed = 1;
		}
		job_free(j);
	}
	pthread_cond_broadcast(&s->cv);
}

/* Starts the runs sched_run_now asked for (under the lock). */
static void
runs_now(struct sched *s, uint64_t now)
{
	struct sc_runreq		*q, *next;
	struct sc_srv			*sv;
	struct sc_ent			*e;
	const struct state_schedule	*def;

	q = s->runq;
	s->runq = NULL;
	for (; q != NULL; q = next) {
		next = q->next;
		if ((sv = srv_find(s, q->server)) != NULL &&
		    (e = ent_find(sv, q->name)) != NULL &&
		    (def = ent_def(sv, e)) != NULL && e->run == NULL) {
			e->run = run_new(s, def, 0, q->who);
			e->run->due_ms = now;
			s->st.runs++;
			sv->dirty = sv->changed = 1;
		}
		free(q->server);
		free(q->name);
		free(q->who);
		free(q);
	}
}

/* Progress texts and changed names, taken under the lock. */
struct sc_out {
	char	**names;
	char	**texts;	/* NULL: only changed */
	size_t	  n;
};

static void
out_take(struct sched *s, struct sc_out *o)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		struct sc_srv *sv = s->v[i];

		if (!sv->dirty && !sv->changed)
			continue;
		o->names = xreallocarray(o->names, o->n + 1, sizeof(char *));
		o->texts = xreallocarray(o->texts, o->n + 1, sizeof(char *));
		o->names[o->n] = xstrdup(sv->name);
		o->texts[o->n++] = sv->dirty ? srv_text(sv) : NULL;
		sv->dirty = sv->changed = 0;
	}
}

/* Writes the texts and announces the changes (no lock). */
static void
out_flush(struct sched *s, struct sc_out *o)
{
	size_t	i;

	for (i = 0; i < o->n; i++) {
		if (o->texts[i] != NULL)
			srv_write(s, o->names[i], o->texts[i]);
		if (s->conf.on_change != NULL)
			s->conf.on_change(s->conf.arg, o->names[i]);
		free(o->names[i]);
		free(o->texts[i]);
	}
	free(o->names);
	free(o->texts);
	memset(o, 0, sizeof(*o));
}

/* Types the command tasks of acts (no lock); results into rc/seq. */
static void
acts_type(struct sched *s, struct sc_act *acts, size_t n, int *rc,
    uint64_t *seq, char **msg)
{
	struct console_result	 res;
	struct rerr		 err;
	char			 who[96];
	size_t			 i;

	for (i = 0; i < n; i++) {
		const struct state_task *t = run_def_task(acts[i].run,
		    acts[i].idx);

		snprintf(who, sizeof(who), "schedule:%s", acts[i].e->name);
		rerr_init(&err);
		memset(&res, 0, sizeof(res));
		rc[i] = console_command_own(s->conf.console, acts[i].sv->name,
		    who, t->arg, &res, &err);
		seq[i] = res.seq;
		msg[i] = rc[i] != 0 ? xstrdup(err.msg) : NULL;
		if (acts[i].fire != 0) {
			uint64_t d = real_us() - (uint64_t)acts[i].fire *
			    1000000;

			__atomic_store_n(&s->st.delay_max_us,
			    d > s->st.delay_max_us ? d : s->st.delay_max_us,
			    __ATOMIC_RELAXED);
		}
	}
}

/* One round of a turn; returns how many commands it typed. */
static size_t
sc_round(struct sched *s)
{
	struct sc_act	*acts = NULL, a;
	struct sc_out	 o;
	uint64_t	 now = real_ms(), *seq;
	size_t		 i, j, n = 0;
	int		*rc;
	char		**msg;

	memset(&o, 0, sizeof(o));
	pthread_mutex_lock(&s->mu);
	if (s->have_upd) {
		apply_update(s, s->upd, s->nupd, now);
		free(s->upd);
		s->upd = NULL;
		s->nupd = 0;
		s->have_upd = 0;
	}
	runs_now(s, now);
	jobs_done(s, now);
	for (i = 0; i < s->n && !s->quit; i++)
		for (j = 0; j < s->v[i]->n; j++) {
			memset(&a, 0, sizeof(a));
			if (!ent_step(s, s->v[i], s->v[i]->e[j], now, &a))
				continue;
			if (run_def_task(a.run, a.idx)->kind !=
			    STATE_TASK_COMMAND) {
				job_start(s, &a);
				continue;
			}
			acts = xreallocarray(acts, n + 1, sizeof(*acts));
			acts[n++] = a;
		}
	/* Recorded as started before anything is done: never twice. */
	out_take(s, &o);
	pthread_mutex_unlock(&s->mu);
	out_flush(s, &o);
	if (n == 0) {
		free(acts);
		return 0;
	}
	rc = xcalloc(n, sizeof(*rc));
	seq = xcalloc(n, sizeof(*seq));
	msg = xcalloc(n, sizeof(*msg));
	acts_type(s, acts, n, rc, seq, msg);
	now = real_ms();
	pthread_mutex_lock(&s->mu);
	s->st.commands += n;
	for (i = 0; i < n; i++) {
		struct sc_run *r = acts[i].e->run;

		/* Only this thread frees runs: the pointer is still good. */
		if (r == acts[i].run) {
			task_done(r, acts[i].idx, rc[i] == 0, msg[i], now);
			if (rc[i] == 0) {
				r->collect = (long)acts[i].idx;
				r->collect_seq = seq[i];
				r->collect_at = now + SC_OUTPUT_MS;
			}
			acts[i].sv->dirty = acts[i].sv->changed = 1;
		}
		free(msg[i]);
	}
	out_take(s, &o);
	pthread_mutex_unlock(&s->mu);
	out_flush(s, &o);
	free(rc);
	free(seq);
	free(msg);
	free(acts);
	return n;
}

/* Arms the timerfd for deadline d (ms since the epoch; 0: disarm). */
static void
sc_arm(struct sched *s, uint64_t d)
{
	struct itimerspec	its;

	if (d == s->armed)
		return;
	memset(&its, 0, sizeof(its));
	if (d != 0) {
		its.it_value.tv_sec = (time_t)(d / 1000);
		its.it_value.tv_nsec = (long)(d % 1000) * 1000000;
	}
	if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME |
	    TFD_TIMER_CANCEL_ON_SET, &its, NULL) == -1)
		log_warn("schedules: timerfd_settime");
	s->armed = d;
}

/* The scheduler's thread. */
static void *
sc_main(void *arg)
{
	struct sched	*s = arg;
	struct pollfd	 pfd[2];
	uint64_t	 d;
	int		 rounds, quit;

	for (;;) {
		for (rounds = 0; rounds < 64 && sc_round(s) > 0; rounds++)
			;
		pthread_mutex_lock(&s->mu);
		quit = s->quit;
		d = sc_deadline(s);
		pthread_mutex_unlock(&s->mu);
		if (quit)
			break;
		sc_arm(s, d);
		pfd[0].fd = s->tfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->efd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			fatal("schedules: poll");
		pthread_mutex_lock(&s->mu);
		s->st.wakeups++;
		if (pfd[0].revents & POLLIN) {
			s->st.timer_wakeups++;
			s->armed = 0;	/* fired, or the clock was set */
		}
		pthread_mutex_unlock(&s->mu);
		if (pfd[0].revents & POLLIN)
			sc_drain(s->tfd);
		if (pfd[1].revents & POLLIN)
			sc_drain(s->efd);
	}
	return NULL;
}

/* ---- the interface ---- */

/* Starts the module; see sched.h. */
struct sched *
sched_new(const struct sched_conf *conf, struct rerr *err)
{
	struct sched	*s;

	s = xcalloc(1, sizeof(*s));
	s->conf = *conf;
	xasprintf(&s->dir, "%s/schedules", conf->data_dir);
	if (util_mkdir_p(s->dir, 0700) == -1) {
		rerr_errno(err, -1, "create '%s'", s->dir);
		free(s->dir);
		free(s);
		return NULL;
	}
	s->tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->tfd == -1 || s->efd == -1)
		fatal("schedules: timerfd or eventfd");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thr, NULL, sc_main, s) != 0)
		fatalx("schedules: cannot start the thread");
	return s;
}

/* Stops and frees; see sched.h. */
void
sched_free(struct sched *s)
{
	size_t	i;

	if (s == NULL)
		return;
	thread_raise(&s->mu, &s->cv, &s->quit);
	sc_wake(s);
	pthread_join(s->thr, NULL);
	/* Restarts and backups under way report back before we go. */
	pthread_mutex_lock(&s->mu);
	while (s->njobs > 0) {
		while (s->done == NULL)
			pthread_cond_wait(&s->cv, &s->mu);
		jobs_done(s, real_ms());
	}
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->n; i++)
		srv_free(s->v[i]);
	free(s->v);
	for (i = 0; i < s->nupd; i++)
		state_server_free(s->upd[i]);
	free(s->upd);
	while (s->runq != NULL) {
		struct sc_runreq *q = s->runq;

		s->runq = q->next;
		free(q->server);
		free(q->name);
		free(q->who);
		free(q);
	}
	close(s->tfd);
	close(s->efd);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->dir);
	free(s);
}

/* Takes a revision; see sched.h. */
void
sched_update(struct sched *s, const struct state *st, const char *node)
{
	struct state_server	**v = NULL;
	size_t			  i, n = 0;

	if (st == NULL)
		return;
	for (i = 0; i < st->nservers; i++) {
		const struct state_server *srv = st->servers[i];

		if (srv->node == NULL || strcmp(srv->node, node) != 0)
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = state_server_dup(srv);
	}
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nupd; i++)
		state_server_free(s->upd[i]);
	free(s->upd);
	s->upd = v;
	s->nupd = n;
	s->have_upd = 1;
	pthread_mutex_unlock(&s->mu);
	sc_wake(s);
}

/* Starts a run now; see sched.h. */
int
sched_run_now(struct sched *s, const char *server, const char *name,
    const char *who, struct rerr *err)
{
	struct sc_runreq	*q;
	struct sc_srv		*sv;
	struct sc_ent		*e;
	char			 what[128];
	int			 rc;

	pthread_mutex_lock(&s->mu);
	if ((sv = srv_find(s, server)) == NULL ||
	    (e = ent_find(sv, name)) == NULL) {
		pthread_mutex_unlock(&s->mu);
		return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" has no "
		    "schedule '%s' on this node", server, name);
	}
	if (e->run != NULL) {
		pthread_mutex_unlock(&s->mu);
		return rerr_set(err, ROOST_ECONFLICT, "schedule '%s' of \"%s\" "
		    "is running (started %s)", name, server, e->run->started);
	}
	pthread_mutex_unlock(&s->mu);
	snprintf(what, sizeof(what), "[run schedule %s]", name);
	if (s->conf.console != NULL &&
	    (rc = console_audit(s->conf.console, server, who, what, err)) != 0)
		return rc;
	q = xcalloc(1, sizeof(*q));
	q->server = xstrdup(server);
	q->name = xstrdup(name);
	q->who = xstrdup(who);
	pthread_mutex_lock(&s->mu);
	q->next = s->runq;
	s->runq = q;
	pthread_mutex_unlock(&s->mu);
	sc_wake(s);
	return 0;
}

/* A time for the status, in the schedule's zone. */
static void
add_time(cJSON *o, const char *key, const struct tz *z, int64_t t)
{
	char	buf[40];

	if (t <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	tz_format_rfc3339(z, t, buf, sizeof(buf));
	json_add_str(o, key, buf);
}

/* The server's schedules for its status; see sched.h. */
cJSON *
sched_status_json(struct sched *s, const char *server)
{
	struct sc_srv	*sv;
	cJSON		*a = NULL, *o, *l;
	size_t		 i;

	pthread_mutex_lock(&s->mu);
	if ((sv = srv_find(s, server)) != NULL && sv->n > 0) {
		a = json_new_array();
		for (i = 0; i < sv->n; i++) {
			const struct sc_ent *e = sv->e[i];

			o = json_new_object();
			cJSON_AddItemToArray(a, o);
			json_add_str(o, "name", e->name);
			json_add_str(o, "cron", e->cron_text);
			json_add_str(o, "timezone", tz_name(e->tz));
			add_time(o, "nextRun", e->tz, e->next_fire);
			json_add_bool(o, "running", e->run != NULL);
			cJSON_AddNumberToObject(o, "failures",
			    (double)e->failures);
			if (e->run != NULL)
				cJSON_AddItemToObject(o, "currentRun",
				    run_json(e->run, 0));
			if (e->last != NULL) {
				l = cJSON_Duplicate(e->last, 1);
				if (json_int64(l, "fire", 0) > 0) {
					int64_t f = json_int64(l, "fire", 0);

					cJSON_DeleteItemFromObjectCaseSensitive(
					    l, "fire");
					add_time(l, "fire", e->tz, f);
				}
				cJSON_AddItemToObject(o, "lastRun", l);
			} else
				cJSON_AddNullToObject(o, "lastRun");
		}
	}
	pthread_mutex_unlock(&s->mu);
	return a;
}

/* Copies the counters; see sched.h. */
void
sched_stats(struct sched *s, struct sched_stats *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->st;
	out->delay_max_us = __atomic_load_n(&s->st.delay_max_us,
	    __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->mu);
}
