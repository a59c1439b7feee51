/*
 * ev: a small epoll event loop for roostd (in the spirit of redis' ae):
 * file descriptors, timers on timerfd, and signals on signalfd, each with
 * a callback. One loop per thread; nothing here is thread-safe except
 * ev_wakeup, which another thread may call to make ev_run return to its
 * caller's loop body (used to hand work to the main thread).
 */
#ifndef ROOST_EV_H
#define ROOST_EV_H

#include <stdint.h>

#define EV_READ		0x1
#define EV_WRITE	0x2

struct ev;
struct ev_timer;

typedef void	(*ev_fd_cb)(struct ev *, int fd, int events, void *arg);
typedef void	(*ev_timer_cb)(struct ev *, struct ev_timer *, void *arg);
typedef void	(*ev_signal_cb)(struct ev *, int signo, void *arg);

/* Makes a loop; never fails (fatal when the kernel refuses epoll). */
struct ev	*ev_new(void);
/* Frees the loop and its timers; fds added by callers stay open. */
void	 ev_free(struct ev *);
/* Watches fd for events (EV_READ|EV_WRITE); replaces an earlier watch. */
int	 ev_fd_add(struct ev *, int fd, int events, ev_fd_cb cb, void *arg);
/* Stops watching fd. */
void	 ev_fd_del(struct ev *, int fd);
/*
 * Arms a timer firing after ms milliseconds, then every interval_ms when
 * that is not 0. Returns the timer, owned by the loop until ev_timer_del.
 */
struct ev_timer *ev_timer_add(struct ev *, uint64_t ms, uint64_t interval_ms,
	    ev_timer_cb cb, void *arg);
/* Re-arms a timer with a new delay and interval. */
void	 ev_timer_set(struct ev_timer *, uint64_t ms, uint64_t interval_ms);
/* Cancels and frees a timer; takes NULL. */
void	 ev_timer_del(struct ev *, struct ev_timer *);
/* Blocks signo and delivers it to cb through the loop. */
int	 ev_signal_add(struct ev *, int signo, ev_signal_cb cb, void *arg);
/* Wakes the loop from another thread; cb runs in the loop's thread. */
void	 ev_wakeup(struct ev *);
/* Sets the function run on the loop's thread after each ev_wakeup. */
void	 ev_set_wakeup_cb(struct ev *, void (*cb)(struct ev *, void *),
	    void *arg);
/* Runs until ev_stop; returns 0. */
int	 ev_run(struct ev *);
/* Makes ev_run return after the current iteration. */
void	 ev_stop(struct ev *);
/* Monotonic clock in milliseconds. */
uint64_t ev_now_ms(void);

#endif
