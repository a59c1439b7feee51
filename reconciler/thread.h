/*
 * thread: the detached threads roostd's modules (backups, schedules,
 * transfers) run their jobs on, and telling threads waiting on a
 * module's condition variable that a flag or a job count changed.
 */
#ifndef ROOSTD_THREAD_H
#define ROOSTD_THREAD_H

#include <pthread.h>

/*
 * Runs fn(arg) on a detached thread of its own. Not being able to start
 * one is fatal ("who: cannot start a thread").
 */
void	thread_spawn(void *(*fn)(void *), void *arg, const char *who);

/*
 * Sets *flag (a quit or stopping flag) under mtx and wakes every thread
 * waiting on cond.
 */
void	thread_raise(pthread_mutex_t *mtx, pthread_cond_t *cond, int *flag);

/* A job counted in *njobs ended: *njobs less one under mtx, cond woken. */
void	thread_job_done(pthread_mutex_t *mtx, pthread_cond_t *cond,
	    int *njobs);

/* Waits (mtx not held) until the jobs counted in *njobs have ended. */
void	thread_jobs_wait(pthread_mutex_t *mtx, pthread_cond_t *cond,
	    const int *njobs);

#endif
