/*
 * console: the servers' consoles as roostd offers them to people. For each
 * server a bounded ring of its recent output (lines and bytes capped, ANSI
 * kept, every line numbered), a flood throttle that drops lines over a
 * budget and says how many it dropped, subscriptions to new lines, and the
 * way in: console_command checks a line against the input rules (one
 * line, at most CONLINE_MAX bytes, see lib/conline.h, no control characters), the
 * server's state and a per-user rate limit, appends it to the audit log
 * and hands it to the transport (recon_command).
 *
 * The pure parts (the ring, ANSI stripping, the input rules, the rate
 * limiter) are exported for the tests and for other front ends (the hub).
 *
 * Threading: every console_* function may be called from any thread; one
 * mutex guards the console. Subscription callbacks run with that mutex
 * held, on the thread that added the line: they must be quick and must
 * not call console_* functions.
 */
#ifndef ROOSTD_CONSOLE_H
#define ROOSTD_CONSOLE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rerr;

#define CONSOLE_DEF_LINES	1000
#define CONSOLE_DEF_BYTES	(256 * 1024)
#define CONSOLE_DEF_THROTTLE	2000	/* lines per throttle interval */
#define CONSOLE_DEF_THROTTLE_MS	100
#define CONSOLE_DEF_RATE	5	/* commands per user per window */
#define CONSOLE_DEF_RATE_MS	10000
#define CONSOLE_DEF_AUDIT_MAX	(10 * 1024 * 1024)

/*
 * The transport: with line NULL only checks that server exists and runs;
 * otherwise writes line (no "\n") to its stdin. Returns 0, ROOST_ENOTFOUND
 * (no such server), ROOST_ECONFLICT (not running) or -1 with err set.
 */
typedef int	(*console_send_fn)(void *arg, const char *server,
		    const char *line, struct rerr *err);

/*
 * A new line of server's console: seq is its number, text its bytes with
 * ANSI kept (NUL-terminated, len bytes). Borrowed for the call.
 */
typedef void	(*console_line_cb)(void *arg, const char *server,
		    uint64_t seq, const char *text, size_t len);

/* Configuration; zero values take the defaults above. */
struct console_conf {
	size_t		 lines;		/* lines kept per server */
	size_t		 bytes;		/* bytes kept per server */
	unsigned int	 throttle_lines; /* lines kept per interval */
	uint64_t	 throttle_ms;
	unsigned int	 rate;		/* commands per user per window */
	uint64_t	 rate_ms;
	const char	*audit_path;	/* NULL: no audit log */
	uint64_t	 audit_max;	/* bytes, then audit.log.1 */
	console_send_fn	 send;
	void		*send_arg;
	/*
	 * Called with each audit entry (the JSON object of the log's line)
	 * once it is written, before the command is sent; NULL: none.
	 */
	void		(*on_audit)(void *arg, const char *entry);
	void		*audit_arg;
};

struct console;

/* One line read back from a ring. */
struct console_line {
	uint64_t	 seq;
	uint64_t	 time_ms;	/* realtime when it was kept */
	char		*text;		/* NUL-terminated, ANSI kept */
	size_t		 len;
};

/* What console_command did, for the caller's answer. */
struct console_result {
	char		 who[128];	/* as audited */
	uint64_t	 seq;		/* last line number before the command */
	uint64_t	 retry_ms;	/* rate limited: when to try again */
};

/* Makes a console (conf copied). Never fails. */
struct console	*console_new(const struct console_conf *conf);
/* Frees a console; takes NULL. */
void		 console_free(struct console *con);

/*
 * Adds a line of server's output (len bytes, no line end; cut to the
 * ring's byte bound). Lines over the throttle budget are dropped and
 * counted; the next line after the interval is preceded by a note saying
 * how many were dropped.
 */
void		 console_output(struct console *con, const char *server,
		    const char *text, size_t len);
/* Adds a line of roost's own ("[roost] text"); never throttled. */
void		 console_note(struct console *con, const char *server,
		    const char *text);
/* Drops server's kept lines (the server left this node). */
void		 console_forget(struct console *con, const char *server);
/* True when server has a ring (it has printed or been noted). */
int		 console_known(struct console *con, const char *server);

/*
 * Copies server's lines with a number above after (0: from the oldest),
 * at most max of the newest of them (0: all), into an array the caller
 * frees with console_lines_free. *skipped gets how many lines above after
 * the ring no longer has; *next the number of the newest line in the ring
 * (pass it as after to continue; it may be below after when numbering
 * started again). Returns the count, or -1 when server has no ring.
 */
ssize_t		 console_read(struct console *con, const char *server,
		    uint64_t after, size_t max, struct console_line **out,
		    uint64_t *skipped, uint64_t *next);
/* Frees what console_read returned. */
void		 console_lines_free(struct console_line *v, size_t n);
/*
 * Waits until server has a line above after, or timeout_ms passed, or
 * console_wake was called. Returns 1 when there is one, else 0.
 */
int		 console_wait(struct console *con, const char *server,
		    uint64_t after, long timeout_ms);
/* Wakes every console_wait (shutdown). */
void		 console_wake(struct console *con);

/*
 * Calls cb for each new line of server (NULL: of every server) until
 * console_unsubscribe with the returned id (> 0).
 */
uint64_t	 console_subscribe(struct console *con, const char *server,
		    console_line_cb cb, void *arg);
void		 console_unsubscribe(struct console *con, uint64_t id);

/*
 * Sends one console command typed by who ("unix:alice", "discord:123"):
 * checks the input rules, that the server runs, who's rate limit, appends
 * the audit entry (a failure refuses the command), then writes it. Returns
 * 0, ROOST_EINVAL (input rules), ROOST_ENOTFOUND, ROOST_ECONFLICT (not
 * running), ROOST_EDENIED (rate limited; res->retry_ms), or -1 (audit log
 * or transport), with err set. res may be NULL.
 */
int		 console_command(struct console *con, const char *server,
		    const char *who, const char *line,
		    struct console_result *res, struct rerr *err);

/*
 * console_command without the per-user rate limit, for lines roostd types
 * on its own (a schedule's command tasks, bounded by what is committed);
 * who names the source ("schedule:nightly-restart"). Audited the same way.
 */
int		 console_command_own(struct console *con, const char *server,
		    const char *who, const char *line,
		    struct console_result *res, struct rerr *err);

/*
 * Appends an audit entry for an action on server that is not a console
 * line (what: "run schedule nightly-restart") and hands it to on_audit,
 * as console_command does. 0, or -1 when the log cannot be written.
 */
int		 console_audit(struct console *con, const char *server,
		    const char *who, const char *what, struct rerr *err);

/* The ring alone (no lock): lines and bytes bounded. */
struct cring;
struct cring	*cring_new(size_t max_lines, size_t max_bytes);
void		 cring_free(struct cring *r);
/* Keeps a line (cut to max_bytes), evicting the oldest; returns its seq. */
uint64_t	 cring_push(struct cring *r, const char *text, size_t len,
		    uint64_t time_ms);
/* Empties the ring; numbering goes on. */
void		 cring_clear(struct cring *r);
size_t		 cring_count(const struct cring *r);
size_t		 cring_bytes(const struct cring *r);
/* The number of the newest line (0: none yet). */
uint64_t	 cring_last(const struct cring *r);
/* See console_read. */
ssize_t		 cring_read(const struct cring *r, uint64_t after, size_t max,
		    struct console_line **out, uint64_t *skipped);

/* A per-key sliding-window rate limiter (no lock). */
struct crate;
struct crate	*crate_new(unsigned int count, uint64_t window_ms);
void		 crate_free(struct crate *rl);
/*
 * Takes one token for key at now_ms: 0, or the milliseconds until the
 * next would be allowed (nothing taken then).
 */
uint64_t	 crate_take(struct crate *rl, const char *key, uint64_t now_ms);

#endif
