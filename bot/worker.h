/*
 * worker: the one background thread of a roost-bot sender (alerts,
 * deploys) with the lock and the condition it shares with its callers:
 * started, waiting a tick at a time, and stopped (woken and joined).
 */
#ifndef ROOST_BOT_WORKER_H
#define ROOST_BOT_WORKER_H

#include <pthread.h>

struct worker {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* signalled when there is work */
	pthread_t	 thread;
	int		 up;		/* the thread was started */
	int		 stop;		/* under mu */
};

/*
 * Initialises w and starts fn(arg) as its thread; -1 when the thread
 * cannot start (worker_stop still frees w then).
 */
int	worker_start(struct worker *w, void *(*fn)(void *), void *arg);
/* With mu held: waits until signalled or ms have passed, unless stopping. */
void	worker_wait(struct worker *w, int ms);
/* Sets stop, wakes the thread and joins it; then frees the lock. */
void	worker_stop(struct worker *w);

#endif
