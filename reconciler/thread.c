/*
 * thread: starting detached threads, and the flags and job counts they
 * wait on (see thread.h).
 */
#include <pthread.h>

#include "log.h"

#include "thread.h"

/* Runs fn(arg) on a detached thread; see thread.h. */
void
thread_spawn(void *(*fn)(void *), void *arg, const char *who)
{
	pthread_attr_t	 attr;
	pthread_t	 t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, fn, arg) != 0)
		fatalx("%s: cannot start a thread", who);
	pthread_attr_destroy(&attr);
}

/* Sets a flag and wakes the waiters; see thread.h. */
void
thread_raise(pthread_mutex_t *mtx, pthread_cond_t *cond, int *flag)
{
	pthread_mutex_lock(mtx);
	*flag = 1;
	pthread_cond_broadcast(cond);
	pthread_mutex_unlock(mtx);
}

/* Counts a job out; see thread.h. */
void
thread_job_done(pthread_mutex_t *mtx, pthread_cond_t *cond, int *njobs)
{
	pthread_mutex_lock(mtx);
	(*njobs)--;
	pthread_cond_broadcast(cond);
	pthread_mutex_unlock(mtx);
}

/* Waits for the jobs; see thread.h. */
void
thread_jobs_wait(pthread_mutex_t *mtx, pthread_cond_t *cond,
    const int *njobs)
{
	pthread_mutex_lock(mtx);
	while (*njobs > 0)
		pthread_cond_wait(cond, mtx);
	pthread_mutex_unlock(mtx);
}
