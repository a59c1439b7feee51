/*
 * thread: starting detached threads (see thread.h).
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
