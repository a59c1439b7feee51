/*
 * runtime: what the reconciler follows while servers run. One console
 * thread polls the attach streams of the servers' containers, keeps the
 * last lines of each server's output in a console (console.h; kept across
 * restarts of the container), hands every line to a callback (done-string detection) and
 * reports the end of a stream (the container stopped). Console commands
 * are written to the attached stdin. Also here: "done" matching and the
 * bounded disk walk of a server directory.
 *
 * Threading: runtime_* functions may be called from any thread; the
 * callbacks run on the console thread without runtime's lock held.
 */
#ifndef ROOST_RUNTIME_H
#define ROOST_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct console;
struct docker_attach;
struct rerr;
struct runtime;

/*
 * A line of output (no line end) of server's container cid; all borrowed
 * for the call.
 */
typedef void	(*runtime_line_cb)(void *arg, const char *server,
		    const char *cid, const char *line);
/* The stream of server's container cid ended. */
typedef void	(*runtime_eof_cb)(void *arg, const char *server,
		    const char *cid);

/* Starts the console thread. Never fails (fatal when threads cannot). */
struct runtime	*runtime_new(runtime_line_cb line, runtime_eof_cb eof,
		    void *arg);
/* Stops the thread and closes every stream; takes NULL. */
void		 runtime_free(struct runtime *rt);

/*
 * Follows server's container cid through a (ownership passes to rt),
 * replacing the stream followed for that server before.
 */
void		 runtime_follow(struct runtime *rt, const char *server,
		    const char *cid, struct docker_attach *a);
/* Stops following server; forget also drops its kept lines. */
void		 runtime_unfollow(struct runtime *rt, const char *server,
		    int forget);
/* True when rt follows an open stream of server's container cid. */
int		 runtime_following(struct runtime *rt, const char *server,
		    const char *cid);
/*
 * Writes line plus "\n" to server's stdin. Returns 0, or ROOST_ENOTFOUND
 * when no stream of server is open.
 */
int		 runtime_write(struct runtime *rt, const char *server,
		    const char *line, struct rerr *err);
/*
 * Appends the last tail lines (<= 0: all kept) of server's output to out,
 * one per line. Returns 0, or ROOST_ENOTFOUND when nothing was kept.
 */
int		 runtime_logs(struct runtime *rt, const char *server, int tail,
		    struct buf *out);
/*
 * Keeps the lines in con (not owned; it must outlive rt) instead of the
 * console with default bounds that runtime_new makes. Call it before the
 * first runtime_follow.
 */
void		 runtime_use_console(struct runtime *rt, struct console *con);
/* Adds a line of roost's own to server's kept output ("[roost] ..."). */
void		 runtime_note(struct runtime *rt, const char *server,
		    const char *line);

/*
 * True when line matches one of the n done strings: a substring, or,
 * after "regex:", a regular expression as Wings runs it (Go syntax such as
 * \d, \w, \s and (?:...) translated to POSIX extended; each pattern is
 * compiled once). An empty entry matches any line. ANSI escape sequences
 * are ignored.
 */
int		 runtime_done_match(char *const *done, size_t n,
		    const char *line);

/*
 * Sums the space allocated to everything under dir (st_blocks, so a
 * sparse file counts what it really uses), walking iteratively at any
 * depth with a bounded number of descriptors and never following a link,
 * stopping after max_entries entries (*truncated set then). Returns the
 * bytes, or -1 when dir cannot be read.
 */
int64_t		 runtime_disk_usage(const char *dir, uint64_t max_entries,
		    int *truncated);

#endif
