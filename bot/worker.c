/*
 * worker: one background thread with its lock, condition and stop flag
 * (see worker.h).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "util.h"

#include "worker.h"

/* The thread: a tick, then a wait, until stopped. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct timespec	 ts;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		w->tick(w->arg);
		util_deadline(&ts, CLOCK_REALTIME, w->ms);
		if (!w->stop)
			pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* See worker.h. */
int
worker_start(struct worker *w, void (*tick)(void *), void *arg, int ms)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->tick = tick;
	w->arg = arg;
	w->ms = ms;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		return -1;
	w->up = 1;
	return 0;
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
