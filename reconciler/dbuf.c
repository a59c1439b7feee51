/*
 * dbuf: a double-buffered writer (see dbuf.h). The filling side owns
 * buf[cur]; the thread owns the buffer it was handed (job) until it
 * clears busy. The filling side waits for that before it hands on the
 * next one, so at most one buffer is being written at a time and the
 * sink sees them in order.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rerr.h"
#include "xmalloc.h"

#include "dbuf.h"
#include "thread.h"

/* The size of buffer n (1...). */
static size_t
dbuf_size(const struct dbuf *d, int n)
{
	size_t	sz = d->size;
	int	k;

	for (k = d->step > 0 ? (n - 1) / d->step : 0; k > 0; k--)
		sz *= 2;
	return sz;
}

static void *
dbuf_thread(void *arg)
{
	struct dbuf	*d = arg;
	struct rerr	 err;
	const char	*job;
	size_t		 len;
	int		 rc;

	pthread_mutex_lock(&d->mtx);
	for (;;) {
		while (!d->busy && !d->quit)
			pthread_cond_wait(&d->cond, &d->mtx);
		if (!d->busy)
			break;
		job = d->job;
		len = d->joblen;
		pthread_mutex_unlock(&d->mtx);
		rerr_init(&err);
		rc = d->sink(d->arg, job, len, &err);
		pthread_mutex_lock(&d->mtx);
		if (rc != 0) {
			d->failed = 1;
			d->werr = err;
		}
		d->busy = 0;
		pthread_cond_broadcast(&d->cond);
	}
	pthread_mutex_unlock(&d->mtx);
	return NULL;
}

/* Sets up a writer; see dbuf.h. */
void
dbuf_init(struct dbuf *d, size_t size, int step, dbuf_sink_fn sink,
    dbuf_next_fn next, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->sink = sink;
	d->next = next;
	d->arg = arg;
	d->size = size;
	d->step = step;
	rerr_init(&d->werr);
	d->cap[0] = size;
	d->buf[0] = xmalloc(size);
	pthread_mutex_init(&d->mtx, NULL);
	pthread_cond_init(&d->cond, NULL);
}

/* Waits until the thread wrote what it holds; -1 with err once it failed. */
static int
dbuf_wait(struct dbuf *d, struct rerr *err)
{
	int	failed;

	pthread_mutex_lock(&d->mtx);
	while (d->busy)
		pthread_cond_wait(&d->cond, &d->mtx);
	failed = d->failed;
	if (failed)
		*err = d->werr;
	pthread_mutex_unlock(&d->mtx);
	return failed ? -1 : 0;
}

/* Hands the current buffer on; see dbuf.h. */
int
dbuf_flush(struct dbuf *d, struct rerr *err)
{
	size_t	want;

	if (dbuf_wait(d, err) != 0)
		return -1;
	if (d->fill == 0)
		return 0;
	if (d->next != NULL && d->next(d->arg, d->njobs + 1, err) != 0)
		goto fail;
	if (!d->started) {
		if (pthread_create(&d->t, NULL, dbuf_thread, d) != 0) {
			rerr_set(err, -1, "cannot start a writer thread");
			goto fail;
		}
		d->started = 1;
	}
	pthread_mutex_lock(&d->mtx);
	d->job = d->buf[d->cur];
	d->joblen = d->fill;
	d->busy = 1;
	d->cur ^= 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->mtx);
	d->njobs++;
	d->fill = 0;
	/* The thread is done with this one: it waited above. */
	want = dbuf_size(d, d->njobs + 1);
	if (d->cap[d->cur] < want) {
		free(d->buf[d->cur]);
		d->buf[d->cur] = xmalloc(want);
		d->cap[d->cur] = want;
	}
	return 0;
fail:
	/* The thread is idle: nothing more is handed on. */
	d->failed = 1;
	d->werr = *err;
	return -1;
}

/* Copies bytes in; see dbuf.h. */
int
dbuf_put(struct dbuf *d, const void *p, size_t len, struct rerr *err)
{
	const char	*c = p;
	size_t		 n;

	while (len > 0) {
		n = d->cap[d->cur] - d->fill;
		if (n > len)
			n = len;
		memcpy(d->buf[d->cur] + d->fill, c, n);
		d->fill += n;
		c += n;
		len -= n;
		if (d->fill == d->cap[d->cur] && dbuf_flush(d, err) != 0)
			return -1;
	}
	return 0;
}

/* The current buffer's free space; see dbuf.h. */
char *
dbuf_room(struct dbuf *d, size_t *n, struct rerr *err)
{
	if (d->fill == d->cap[d->cur] && dbuf_flush(d, err) != 0)
		return NULL;
	*n = d->cap[d->cur] - d->fill;
	return d->buf[d->cur] + d->fill;
}

/* Stops the thread; see dbuf.h. */
void
dbuf_stop(struct dbuf *d)
{
	if (!d->started)
		return;
	thread_raise(&d->mtx, &d->cond, &d->quit);
	pthread_join(d->t, NULL);
	d->started = 0;
}

/* Hands on the rest and stops; see dbuf.h. */
int
dbuf_finish(struct dbuf *d, struct rerr *err)
{
	int	rc;

	rc = dbuf_flush(d, err);
	if (rc == 0)
		rc = dbuf_wait(d, err);
	dbuf_stop(d);
	return rc;
}

/* Stops and frees; see dbuf.h. */
void
dbuf_free(struct dbuf *d)
{
	dbuf_stop(d);
	free(d->buf[0]);
	free(d->buf[1]);
	pthread_mutex_destroy(&d->mtx);
	pthread_cond_destroy(&d->cond);
}
