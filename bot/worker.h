/*
 * worker: the one background thread of a roost-bot sender (alerts,
 * deploys) with the lock and the condition it shares with its callers:
 * started, ticking and waiting, and stopped (woken and joined).
 */
#ifndef ROOST_BOT_WORKER_H
#define ROOST_BOT_WORKER_H

#include <pthread.h>

struct worker {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* signalled when there is work */
	pthread_t	 thread;
	void		(*tick)(void *);
	void		*arg;
	int		 ms;		/* between ticks, at most */
	int		 up;		/* the thread was started */
	int		 stop;		/* under mu */
};

/*
 * Initialises w and starts its thread, which until stopped calls
 * tick(arg) with mu held, then waits until signalled or ms have passed;
 * -1 when the thread cannot start (worker_stop still frees w then).
 */
int	worker_start(struct worker *w, void (*tick)(void *), void *arg,
	    int ms);
/* Sets stop, wakes the thread and joins it; then frees the lock. */
void	worker_stop(struct worker *w);

#endif
