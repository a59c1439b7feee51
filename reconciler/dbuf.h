/*
 * dbuf: a double-buffered writer. Bytes are copied into one buffer while
 * a thread of the writer's own hands the other, full one to a sink (a
 * disk, a compressor, an S3 upload), so producing and writing overlap
 * with memory bounded by the two buffers.
 */
#ifndef ROOSTD_DBUF_H
#define ROOSTD_DBUF_H

#include <pthread.h>
#include <stddef.h>

#include "rerr.h"

/*
 * Writes one handed-on buffer; runs on the writer's thread. Returns 0,
 * or -1 with err set: the writer then hands nothing more on and reports
 * err to the filling side.
 */
typedef int	(*dbuf_sink_fn)(void *arg, const void *p, size_t len,
		    struct rerr *err);

/*
 * Called on the filling side before buffer n (1, 2, ...) is handed on
 * (for n 1, before the thread starts): returns 0, or -1 with err set,
 * which ends the writing as a failing sink does.
 */
typedef int	(*dbuf_next_fn)(void *arg, int n, struct rerr *err);

struct dbuf {
	dbuf_sink_fn	 sink;
	dbuf_next_fn	 next;		/* NULL: none */
	void		*arg;
	size_t		 size;		/* the first buffers' size */
	int		 step;		/* size doubles every step (0: never) */
	char		*buf[2];
	size_t		 cap[2];
	size_t		 fill;		/* bytes in buf[cur] */
	int		 cur;
	int		 njobs;		/* buffers handed on so far */
	/* The thread and what it shares with the filling side. */
	pthread_t	 t;
	int		 started;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	int		 busy;		/* job is the thread's until it clears busy */
	const char	*job;
	size_t		 joblen;
	int		 quit;
	int		 failed;	/* nothing more is handed on */
	struct rerr	 werr;		/* why */
};

/*
 * Sets up a writer whose buffers go to sink(arg), with next (may be NULL)
 * asked before each; buffers are size bytes, doubled every step buffers
 * handed on (step 0: never). The thread starts with the first buffer.
 */
void	dbuf_init(struct dbuf *d, size_t size, int step, dbuf_sink_fn sink,
	    dbuf_next_fn next, void *arg);

/*
 * Copies len bytes in, handing each full buffer on. Returns 0, or -1 with
 * err set (the sink's error, or why a buffer could not be handed on).
 */
int	dbuf_put(struct dbuf *d, const void *p, size_t len, struct rerr *err);

/*
 * Where to write straight into the current buffer: returns its free
 * space and its length in *n (handing the buffer on first when full);
 * the caller adds what it wrote to d->fill. NULL with err set, as
 * dbuf_put.
 */
char	*dbuf_room(struct dbuf *d, size_t *n, struct rerr *err);

/*
 * Hands the current buffer on when it holds anything. Returns 0, or -1
 * with err set, as dbuf_put.
 */
int	dbuf_flush(struct dbuf *d, struct rerr *err);

/*
 * Hands on what is left, waits for the sink and stops the thread.
 * Returns 0, or -1 with err set, as dbuf_put.
 */
int	dbuf_finish(struct dbuf *d, struct rerr *err);

/* Stops the thread once it wrote what it holds; nothing more is sent. */
void	dbuf_stop(struct dbuf *d);

/* Stops the thread and frees the buffers (d itself is the caller's). */
void	dbuf_free(struct dbuf *d);

#endif
