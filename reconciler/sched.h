/*
 * sched: the schedules of this node's servers (docs/schedules.md). One
 * thread and one timerfd for the whole node: the thread sleeps until the
 * earliest moment anything is due (a fire time, the next task of a run,
 * the output of a command to collect) and wakes for nothing in between.
 *
 *  - Fire times come from lib/cron.c in the schedule's zone (lib/tz.c),
 *    so they follow the wall clock across DST changes.
 *  - A run goes through its tasks in order, each `after` the previous one
 *    finished. Console commands are typed on the scheduler's thread
 *    (console_command_own: audited, not rate limited); a restart or a
 *    backup runs on a thread of its own and reports back.
 *  - A fire time that comes while the schedule's previous run is still
 *    going is skipped (a run is never started twice); onlyWhenRunning
 *    skips a run while the server does not run.
 *  - Progress is written to <dataDir>/schedules/<server>.json before each
 *    task starts, so a roostd killed during a run runs no task twice:
 *    the next roostd goes on with the task after the one in flight (when
 *    it is due within scheduleGrace), and a fire time missed while it
 *    was down is run only when it is at most scheduleGrace old.
 *  - sched_update takes each new revision: an edited schedule gets its
 *    next fire time at once, a removed one never fires again (the rest of
 *    a run in progress is dropped).
 *
 * Threading: every function may be called from any thread; one mutex
 * guards the module and is never held while calling a hook.
 */
#ifndef ROOSTD_SCHED_H
#define ROOSTD_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct console;
struct rerr;
struct state;
struct state_server;

struct sched_conf {
	const char	*data_dir;	/* <dataDir>/schedules/ holds progress */
	uint64_t	 grace_ms;	/* scheduleGrace */
	struct console	*console;	/* command tasks */
	/* 1 when server's container runs (onlyWhenRunning). */
	int		(*running)(void *arg, const char *server);
	/* Restarts srv and returns once it runs again: 0, or an error. */
	int		(*restart)(void *arg, const struct state_server *srv,
			    struct rerr *err);
	/* Takes a backup of srv with note (may be NULL): 0 with id set. */
	int		(*backup)(void *arg, const struct state_server *srv,
			    const char *note, char *id, size_t idlen,
			    struct rerr *err);
	/* A server's schedule status changed; quick, any thread. */
	void		(*on_change)(void *arg, const char *server);
	void		*arg;
};

struct sched;

/* Counters for the benchmark and the metrics. */
struct sched_stats {
	uint64_t	wakeups;	/* the thread woke (timer or event) */
	uint64_t	timer_wakeups;	/* ... because the timer expired */
	uint64_t	fires;		/* fire times handled */
	uint64_t	runs;		/* runs started */
	uint64_t	commands;	/* command tasks typed */
	uint64_t	delay_max_us;	/* fire time to command typed */
	size_t		schedules;	/* schedules followed */
};

/* Starts the module and its thread. NULL with err set on failure. */
struct sched	*sched_new(const struct sched_conf *conf, struct rerr *err);
/* Stops the thread, waits for tasks under way, frees; takes NULL. */
void		 sched_free(struct sched *s);

/*
 * Takes a revision: the schedules of node's valid servers in st
 * (borrowed for the call). An invalid server keeps the schedules of its
 * last good file.
 */
void		 sched_update(struct sched *s, const struct state *st,
		    const char *node);

/*
 * Starts a run of server's schedule now, for who ("discord:123",
 * "unix:alice"), who is audited. Returns 0, ROOST_ENOTFOUND (no such
 * server or schedule here) or ROOST_ECONFLICT (its run is under way).
 */
int		 sched_run_now(struct sched *s, const char *server,
		    const char *name, const char *who, struct rerr *err);

/*
 * The server's schedules for its status, a new array the caller owns:
 * [ { name, cron, timezone, nextRun, running, failures, lastRun: { fire,
 *   startedAt, finishedAt, result, by, tasks: [ { task, result, message,
 *   output } ] } } ]; NULL when it has none.
 */
cJSON		*sched_status_json(struct sched *s, const char *server);

struct cron;
struct tz;

/*
 * The first fire time (s) a schedule waits for when roostd takes it up
 * at now (s), having handled the fire time last_fire (0: never): a fire
 * time missed while roostd was down counts only when it is at most
 * grace_ms old (then it is at or before now: run it at once); else the
 * next one after now. 0 when the expression never fires again. Pure.
 */
int64_t		 sched_first_fire(const struct cron *c, const struct tz *z,
		    int64_t last_fire, int64_t now, uint64_t grace_ms);

/* Copies the counters. */
void		 sched_stats(struct sched *s, struct sched_stats *out);

#endif
