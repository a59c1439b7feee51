/*
 * state_sched: the schedules of a server file and of roost.yaml's
 * defaults.schedules: reading them (every cron field and time zone is
 * checked here, so a bad one is refused with its place before any node
 * sees it), copying and freeing them. docs/schedules.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "diag.h"
#include "fields.h"
#include "rerr.h"
#include "state.h"
#include "state_int.h"
#include "tz.h"
#include "xmalloc.h"
#include "ydoc.h"

/* True for a schedule's name. */
int
state_schedule_name_valid(const char *name)
{
	size_t	n = strlen(name);

	return n > 0 && n <= 64 && name[0] != '-' && name[0] != '.' &&
	    name[0] != '_' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_.-") == n;
}

/* A schedule of srv by name. */
const struct state_schedule *
state_schedule_find(const struct state_server *srv, const char *name)
{
	size_t	i;

	for (i = 0; i < srv->schedules.n; i++)
		if (strcmp(srv->schedules.v[i].name, name) == 0)
			return &srv->schedules.v[i];
	return NULL;
}

/* Frees what one schedule holds. */
static void
schedule_dispose(struct state_schedule *s)
{
	size_t	i;

	free(s->name);
	free(s->cron);
	free(s->timezone);
	for (i = 0; i < s->ntasks; i++)
		free(s->tasks[i].arg);
	free(s->tasks);
}

/* Frees a list of schedules' contents. */
void
state_schedules_dispose(struct state_schedules *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		schedule_dispose(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Deep copy of src into dst. */
void
state_schedules_copy(struct state_schedules *dst,
    const struct state_schedules *src)
{
	size_t	i, j;

	dst->v = NULL;
	dst->n = src->n;
	dst->set = src->set;
	if (src->n == 0)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	for (i = 0; i < src->n; i++) {
		const struct state_schedule	*s = &src->v[i];
		struct state_schedule		*d = &dst->v[i];

		*d = *s;
		d->name = xstrdup(s->name);
		d->cron = xstrdup(s->cron);
		d->timezone = s->timezone ? xstrdup(s->timezone) : NULL;
		d->tasks = xcalloc(s->ntasks + 1, sizeof(*d->tasks));
		for (j = 0; j < s->ntasks; j++) {
			d->tasks[j] = s->tasks[j];
			d->tasks[j].arg = s->tasks[j].arg ?
			    xstrdup(s->tasks[j].arg) : NULL;
		}
	}
}

/* Reads a backup task's value: true, or { note }. 0, or -1. */
static int
task_backup(struct fields_ctx *c, const struct ydoc_node *v, const char *w,
    struct state_task *t)
{
	const struct ydoc_node	*note;
	size_t			 i;
	int			 b;

	t->kind = STATE_TASK_BACKUP;
	if (ydoc_is_scalar(v) && fields_parse_bool(v, &b) == 0 && b)
		return 0;
	if (v->type != YDOC_MAP) {
		fields_err(c, v, "%s.backup must be true or a map such as "
		    "{ note: nightly }", w);
		return -1;
	}
	for (i = 0; i < v->n; i++)
		if (strcmp(ydoc_key(v, i)->str, "note") != 0) {
			fields_err(c, ydoc_key(v, i), "unknown key '%s' in "
			    "%s.backup (use note)", ydoc_key(v, i)->str, w);
			return -1;
		}
	if ((note = ydoc_get(v, "note")) == NULL || ydoc_is_null(note))
		return 0;
	if (!ydoc_is_scalar(note) || !state_console_line_ok(note->str) ||
	    strlen(note->str) > 200) {
		fields_err(c, note, "%s.backup.note must be one line of at most "
		    "200 bytes without control characters", w);
		return -1;
	}
	t->arg = xstrdup(note->str);
	return 0;
}

/* Reads the action of a task (command, restart or backup). 0, or -1. */
static int
task_action(struct fields_ctx *c, const struct ydoc_node *it, const char *w,
    struct state_task *t)
{
	const struct ydoc_node	*v, *which = NULL;
	const char		*names[] = { "command", "restart", "backup" };
	size_t			 i;
	int			 n = 0, b;

	for (i = 0; i < 3; i++)
		if ((v = ydoc_get(it, names[i])) != NULL) {
			n++;
			which = v;
			t->kind = (enum state_task_kind)i;
		}
	if (n != 1) {
		fields_err(c, n > 1 ? which : it, "%s must have exactly one of "
		    "command, restart or backup", w);
		return -1;
	}
	switch (t->kind) {
	case STATE_TASK_COMMAND:
		if (!ydoc_is_scalar(which) ||
		    !state_console_line_ok(which->str)) {
			fields_err(c, which, "%s.command must be one console "
			    "line of at most 512 bytes without control "
			    "characters", w);
			return -1;
		}
		t->arg = xstrdup(which->str);
		return 0;
	case STATE_TASK_RESTART:
		if (!ydoc_is_scalar(which) || fields_parse_bool(which, &b) != 0 ||
		    !b) {
			fields_err(c, which, "%s.restart must be true", w);
			return -1;
		}
		return 0;
	case STATE_TASK_BACKUP:
		return task_backup(c, which, w, t);
	}
	return -1;
}

/* Reads one task of a schedule; w names it in messages. 0, or -1. */
static int
load_task(struct fields_ctx *c, const struct ydoc_node *it, const char *w,
    struct state_task *t)
{
	const struct ydoc_node	*k, *v;
	size_t			 i;
	int			 b;

	if (it->type != YDOC_MAP) {
		fields_err(c, it, "%s must be a map such as { command: \"say "
		    "hello\" }, { restart: true } or { backup: { note: "
		    "nightly } }", w);
		return -1;
	}
	for (i = 0; i < it->n; i++) {
		k = ydoc_key(it, i);
		if (strcmp(k->str, "start") == 0 || strcmp(k->str, "stop") ==
		    0 || strcmp(k->str, "state") == 0) {
			fields_err(c, k, "%s: a schedule cannot %s the server: "
			    "whether it runs is desired state, written as "
			    "'state: running' or 'state: stopped' in the "
			    "server file (use restart: true to restart it)", w,
			    strcmp(k->str, "state") == 0 ? "set the state of" :
			    k->str);
			return -1;
		}
		if (strcmp(k->str, "command") != 0 && strcmp(k->str,
		    "restart") != 0 && strcmp(k->str, "backup") != 0 &&
		    strcmp(k->str, "after") != 0 && strcmp(k->str,
		    "continueOnFailure") != 0) {
			fields_err(c, k, "unknown key '%s' in %s (use command, "
			    "restart, backup, after, continueOnFailure)",
			    k->str, w);
			return -1;
		}
	}
	if (task_action(c, it, w, t) != 0)
		return -1;
	if ((v = ydoc_get(it, "after")) != NULL && !ydoc_is_null(v) &&
	    (fields_parse_duration(v, &t->after_ms) != 0 ||
	    t->after_ms > STATE_TASK_AFTER_MAX)) {
		fields_err(c, v, "%s.after must be a duration such as 30s, 4m "
		    "or 1h, at most 24h", w);
		return -1;
	}
	if ((v = ydoc_get(it, "continueOnFailure")) != NULL &&
	    !ydoc_is_null(v)) {
		if (fields_parse_bool(v, &b) != 0) {
			fields_err(c, v, "%s.continueOnFailure must be true or "
			    "false", w);
			return -1;
		}
		t->cont = b;
	}
	return 0;
}

/* Checks a schedule's cron and zone, at their places. 0, or -1. */
static int
check_when(struct fields_ctx *c, const struct ydoc_node *it, const char *w,
    struct state_schedule *s)
{
	const struct ydoc_node	*v;
	struct cron		 cr;
	struct rerr		 err;

	v = ydoc_get(it, "cron");
	if (v == NULL || !ydoc_is_scalar(v) || *v->str == '\0') {
		fields_err(c, v ? v : it, "%s.cron is required: a cron "
		    "expression such as \"0 5 * * *\"", w);
		return -1;
	}
	rerr_init(&err);
	if (cron_parse(&cr, v->str, &err) != 0) {
		fields_err(c, v, "%s.cron: %s", w, err.msg);
		return -1;
	}
	s->cron = xstrdup(v->str);
	if ((v = ydoc_get(it, "timezone")) == NULL || ydoc_is_null(v))
		return 0;
	rerr_init(&err);
	if (!ydoc_is_scalar(v) || tz_get(v->str, &err) == NULL) {
		fields_err(c, v, "%s.timezone must be an IANA time zone such as "
		    "Europe/Berlin or UTC%s%s", w, ydoc_is_scalar(v) ? ": " :
		    "", ydoc_is_scalar(v) ? err.msg : "");
		return -1;
	}
	s->timezone = xstrdup(v->str);
	return 0;
}

/* Reads one schedule into s; w names it. 0, or -1 (s then disposed). */
static int
load_one(struct fields_ctx *c, const struct ydoc_node *it, const char *w,
    struct state_schedule *s)
{
	static const char *const known[] = { "name", "cron", "timezone",
	    "onlyWhenRunning", "tasks", NULL };
	const struct ydoc_node	*v, *tasks;
	char			 tw[128];
	size_t			 i;
	int			 bad = 0;

	memset(s, 0, sizeof(*s));
	s->line = it->line;
	s->col = it->col;
	if (it->type != YDOC_MAP) {
		fields_err(c, it, "%s must be a map { name, cron, tasks }", w);
		return -1;
	}
	for (i = 0; i < it->n; i++) {
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (strcmp(*k, ydoc_key(it, i)->str) == 0)
				break;
		if (*k == NULL) {
			fields_unknown(c, ydoc_key(it, i), w, NULL, 0, known);
			bad = 1;
		}
	}
	v = ydoc_get(it, "name");
	if (!ydoc_is_scalar(v) || !state_schedule_name_valid(v->str)) {
		fields_err(c, v ? v : it, "%s.name is required: letters, "
		    "digits, '.', '_' and '-', at most 64, such as "
		    "nightly-restart", w);
		return -1;
	}
	s->name = xstrdup(v->str);
	if (check_when(c, it, w, s) != 0)
		bad = 1;
	if ((v = ydoc_get(it, "onlyWhenRunning")) != NULL && !ydoc_is_null(v) &&
	    fields_parse_bool(v, &s->only_running) != 0) {
		fields_err(c, v, "%s.onlyWhenRunning must be true or false", w);
		bad = 1;
	}
	tasks = ydoc_get(it, "tasks");
	if (tasks == NULL || tasks->type != YDOC_SEQ || tasks->n == 0) {
		fields_err(c, tasks ? tasks : it, "%s.tasks is required: a list "
		    "of tasks such as [ { command: \"say hello\" } ]", w);
		bad = 1;
	} else if (tasks->n > STATE_MAX_TASKS) {
		fields_err(c, ydoc_item(tasks, STATE_MAX_TASKS), "more than %d "
		    "tasks in %s; a schedule has at most %d", STATE_MAX_TASKS,
		    w, STATE_MAX_TASKS);
		bad = 1;
	} else {
		s->tasks = xcalloc(tasks->n + 1, sizeof(*s->tasks));
		for (i = 0; i < tasks->n; i++) {
			snprintf(tw, sizeof(tw), "%s.tasks[%zu]", w, i);
			if (load_task(c, ydoc_item(tasks, i), tw,
			    &s->tasks[s->ntasks]) != 0) {
				free(s->tasks[s->ntasks].arg);
				memset(&s->tasks[s->ntasks], 0,
				    sizeof(s->tasks[s->ntasks]));
				bad = 1;
				continue;
			}
			s->ntasks++;
		}
	}
	if (bad) {
		schedule_dispose(s);
		return -1;
	}
	return 0;
}

/*
 * Reads a list of schedules (key: "schedules" or "defaults.schedules")
 * into *out; problems go to c at their places.
 */
void
state_load_schedules(struct fields_ctx *c, const struct ydoc_node *n,
    const char *key, struct state_schedules *out)
{
	struct state_schedule	 s;
	char			 w[96];
	size_t			 i, j;

	if (n == NULL)
		return;
	out->set = 1;
	if (ydoc_is_null(n))
		return;
	if (n->type != YDOC_SEQ) {
		fields_err(c, n, "'%s' must be a list of schedules { name, cron, "
		    "tasks }", key);
		return;
	}
	if (n->n > STATE_MAX_SCHEDULES) {
		fields_err(c, ydoc_item(n, STATE_MAX_SCHEDULES), "more than %d "
		    "schedules in '%s'; a server has at most %d",
		    STATE_MAX_SCHEDULES, key, STATE_MAX_SCHEDULES);
		return;
	}
	out->v = xcalloc(n->n + 1, sizeof(*out->v));
	for (i = 0; i < n->n; i++) {
		snprintf(w, sizeof(w), "%s[%zu]", key, i);
		if (load_one(c, ydoc_item(n, i), w, &s) != 0)
			continue;
		for (j = 0; j < out->n; j++)
			if (strcmp(out->v[j].name, s.name) == 0)
				break;
		if (j < out->n) {
			fields_err(c, ydoc_get(ydoc_item(n, i), "name"), "%s: "
			    "a schedule named '%s' is already written above "
			    "(line %d); names must differ", w, s.name,
			    out->v[j].line);
			schedule_dispose(&s);
			continue;
		}
		out->v[out->n++] = s;
	}
}
