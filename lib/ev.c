/*
 * ev: an epoll loop with timerfd timers, one signalfd and an eventfd for
 * cross-thread wakeups. Small by design: roostd has a handful of fds.
 */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "xmalloc.h"

#define EV_MAXSIG	65

struct ev_watch {
	int		 fd;
	int		 kind;		/* EV_K_* */
	ev_fd_cb	 cb;
	void		*arg;
	struct ev_timer	*timer;
	struct ev_watch	*next;
};

#define EV_K_FD		0
#define EV_K_TIMER	1
#define EV_K_SIGNAL	2
#define EV_K_WAKE	3

struct ev_timer {
	int		 fd;
	ev_timer_cb	 cb;
	void		*arg;
	struct ev_watch	*w;
};

struct ev {
	int		 epfd;
	int		 sigfd;
	int		 wakefd;
	int		 stop;
	sigset_t	 sigs;
	ev_signal_cb	 sigcb[EV_MAXSIG];
	void		*sigarg[EV_MAXSIG];
	void		(*wakecb)(struct ev *, void *);
	void		*wakearg;
	struct ev_watch	*watches;
};

static struct ev_watch *
ev_watch_find(struct ev *ev, int fd)
{
	struct ev_watch	*w;

	for (w = ev->watches; w != NULL; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

static int
ev_ctl(struct ev *ev, int op, int fd, int events, struct ev_watch *w)
{
	struct epoll_event	ee;

	memset(&ee, 0, sizeof(ee));
	if (events & EV_READ)
		ee.events |= EPOLLIN;
	if (events & EV_WRITE)
		ee.events |= EPOLLOUT;
	ee.data.ptr = w;
	return epoll_ctl(ev->epfd, op, fd, &ee);
}

static struct ev_watch *
ev_watch_new(struct ev *ev, int fd, int kind, int events)
{
	struct ev_watch	*w;

	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->kind = kind;
	if (ev_ctl(ev, EPOLL_CTL_ADD, fd, events, w) == -1)
		fatal("epoll_ctl add %d", fd);
	w->next = ev->watches;
	ev->watches = w;
	return w;
}

static void
ev_watch_unlink(struct ev *ev, struct ev_watch *w)
{
	struct ev_watch	**pp;

	for (pp = &ev->watches; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	free(w);
}

/* Makes a loop. */
struct ev *
ev_new(void)
{
	struct ev	*ev;

	ev = xcalloc(1, sizeof(*ev));
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	sigemptyset(&ev->sigs);
	ev->sigfd = -1;
	if ((ev->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("eventfd");
	ev_watch_new(ev, ev->wakefd, EV_K_WAKE, EV_READ);
	return ev;
}

/* Frees the loop, its timers and its own fds. */
void
ev_free(struct ev *ev)
{
	struct ev_watch	*w, *next;

	if (ev == NULL)
		return;
	for (w = ev->watches; w != NULL; w = next) {
		next = w->next;
		if (w->kind == EV_K_TIMER) {
			close(w->fd);
			free(w->timer);
		} else if (w->kind != EV_K_FD)
			close(w->fd);
		free(w);
	}
	close(ev->epfd);
	free(ev);
}

/* Watches fd; replaces an earlier watch of the same fd. */
int
ev_fd_add(struct ev *ev, int fd, int events, ev_fd_cb cb, void *arg)
{
	struct ev_watch	*w;

	if ((w = ev_watch_find(ev, fd)) != NULL) {
		if (ev_ctl(ev, EPOLL_CTL_MOD, fd, events, w) == -1)
			return -1;
	} else {
		w = xcalloc(1, sizeof(*w));
		w->fd = fd;
		w->kind = EV_K_FD;
		if (ev_ctl(ev, EPOLL_CTL_ADD, fd, events, w) == -1) {
			free(w);
			return -1;
		}
		w->next = ev->watches;
		ev->watches = w;
	}
	w->cb = cb;
	w->arg = arg;
	return 0;
}

/* Stops watching fd. */
void
ev_fd_del(struct ev *ev, int fd)
{
	struct ev_watch	*w;

	if ((w = ev_watch_find(ev, fd)) != NULL && w->kind == EV_K_FD)
		ev_watch_unlink(ev, w);
}

static void
ev_timer_arm(int fd, uint64_t ms, uint64_t interval_ms)
{
	struct itimerspec	its;

	memset(&its, 0, sizeof(its));
	if (ms == 0)
		ms = 1;		/* 0 would disarm */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000L;
	if (timerfd_settime(fd, 0, &its, NULL) == -1)
		fatal("timerfd_settime");
}

/* Arms a timer. */
struct ev_timer *
ev_timer_add(struct ev *ev, uint64_t ms, uint64_t interval_ms,
    ev_timer_cb cb, void *arg)
{
	struct ev_timer	*t;
	int		 fd;

	if ((fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		fatal("timerfd_create");
	t = xcalloc(1, sizeof(*t));
	t->fd = fd;
	t->cb = cb;
	t->arg = arg;
	t->w = ev_watch_new(ev, fd, EV_K_TIMER, EV_READ);
	t->w->timer = t;
	ev_timer_arm(fd, ms, interval_ms);
	return t;
}

/* Re-arms a timer. */
void
ev_timer_set(struct ev_timer *t, uint64_t ms, uint64_t interval_ms)
{
	ev_timer_arm(t->fd, ms, interval_ms);
}

/* Cancels and frees a timer. */
void
ev_timer_del(struct ev *ev, struct ev_timer *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	ev_watch_unlink(ev, t->w);
	free(t);
}

/* Delivers signo through the loop. */
int
ev_signal_add(struct ev *ev, int signo, ev_signal_cb cb, void *arg)
{
	if (signo <= 0 || signo >= EV_MAXSIG)
		return -1;
	sigaddset(&ev->sigs, signo);
	if (sigprocmask(SIG_BLOCK, &ev->sigs, NULL) == -1)
		return -1;
	ev->sigcb[signo] = cb;
	ev->sigarg[signo] = arg;
	if (ev->sigfd == -1) {
		if ((ev->sigfd = signalfd(-1, &ev->sigs, SFD_NONBLOCK |
		    SFD_CLOEXEC)) == -1)
			return -1;
		ev_watch_new(ev, ev->sigfd, EV_K_SIGNAL, EV_READ);
	} else if (signalfd(ev->sigfd, &ev->sigs, 0) == -1)
		return -1;
	return 0;
}

/* Wakes the loop from any thread. */
void
ev_wakeup(struct ev *ev)
{
	uint64_t	one = 1;

	(void)!write(ev->wakefd, &one, sizeof(one));
}

/* Sets the function run after wakeups. */
void
ev_set_wakeup_cb(struct ev *ev, void (*cb)(struct ev *, void *), void *arg)
{
	ev->wakecb = cb;
	ev->wakearg = arg;
}

static void
ev_dispatch(struct ev *ev, struct ev_watch *w, uint32_t events)
{
	struct signalfd_siginfo	si;
	uint64_t		n;
	int			mask = 0;

	switch (w->kind) {
	case EV_K_FD:
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			mask |= EV_READ;
		if (events & EPOLLOUT)
			mask |= EV_WRITE;
		w->cb(ev, w->fd, mask, w->arg);
		break;
	case EV_K_TIMER:
		if (read(w->fd, &n, sizeof(n)) == sizeof(n))
			w->timer->cb(ev, w->timer, w->timer->arg);
		break;
	case EV_K_SIGNAL:
		while (read(w->fd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo < EV_MAXSIG &&
			    ev->sigcb[si.ssi_signo] != NULL)
				ev->sigcb[si.ssi_signo](ev,
				    (int)si.ssi_signo,
				    ev->sigarg[si.ssi_signo]);
		break;
	case EV_K_WAKE:
		if (read(w->fd, &n, sizeof(n)) == sizeof(n) &&
		    ev->wakecb != NULL)
			ev->wakecb(ev, ev->wakearg);
		break;
	}
}

/* Runs until ev_stop. Callbacks may add and delete watches and timers. */
int
ev_run(struct ev *ev)
{
	struct epoll_event	evs[16];
	int			i, n;

	ev->stop = 0;
	while (!ev->stop) {
		n = epoll_wait(ev->epfd, evs, 1, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		/*
		 * One event per wait keeps callbacks free to delete any
		 * watch: the next wait reports what is still pending.
		 */
		for (i = 0; i < n; i++)
			ev_dispatch(ev, evs[i].data.ptr, evs[i].events);
	}
	return 0;
}

/* Makes ev_run return. */
void
ev_stop(struct ev *ev)
{
	ev->stop = 1;
}

/* Monotonic milliseconds. */
uint64_t
ev_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
