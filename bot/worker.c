/*
 * worker: one background thread with its lock, condition and stop flag
 * (see worker.h).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "util.h"

#include "worker.h"

/* See worker.h. */
int
worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, fn, arg) != 0)
		return -1;
	w->up = 1;
	return 0;
}

/* See worker.h. */
void
worker_wait(struct worker *w, int ms)
{
	struct timespec	ts;

	util_deadline(&ts, CLOCK_REALTIME, ms);
	if (!w->stop)
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

/* See worker.h. */
void
worker_stop(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->up)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}
