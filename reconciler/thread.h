/*
 * thread: the detached threads roostd's modules (backups, schedules,
 * transfers) run their jobs on.
 */
#ifndef ROOSTD_THREAD_H
#define ROOSTD_THREAD_H

/*
 * Runs fn(arg) on a detached thread of its own. Not being able to start
 * one is fatal ("who: cannot start a thread").
 */
void	thread_spawn(void *(*fn)(void *), void *arg, const char *who);

#endif
