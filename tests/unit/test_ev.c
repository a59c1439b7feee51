/*
 * test_ev: the event loop: fd readiness, timers (one-shot and periodic),
 * signals through signalfd and cross-thread wakeups.
 */
#include "unit.h"

#include <pthread.h>
#include <signal.h>

#include "ev.h"

struct counts {
	int	reads;
	int	ticks;
	int	sigs;
	int	wakes;
	char	got[16];
};

static void
on_read(struct ev *ev, int fd, int events, void *arg)
{
	struct counts	*c = arg;

	assert_true(events & EV_READ);
	assert_int_equal(read(fd, c->got, sizeof(c->got) - 1), 5);
	c->reads++;
	ev_fd_del(ev, fd);
}

static void
on_tick(struct ev *ev, struct ev_timer *t, void *arg)
{
	struct counts	*c = arg;

	if (++c->ticks == 3) {
		ev_timer_del(ev, t);
		ev_stop(ev);
	}
}

static void
test_ev__fd_and_periodic_timer(void **state)
{
	struct ev	*ev = ev_new();
	struct counts	 c;
	int		 p[2];
	uint64_t	 t0 = ev_now_ms();

	memset(&c, 0, sizeof(c));
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(ev_fd_add(ev, p[0], EV_READ, on_read, &c), 0);
	ev_timer_add(ev, 10, 10, on_tick, &c);
	ev_run(ev);
	assert_int_equal(c.reads, 1);
	assert_string_equal(c.got, "hello");
	assert_int_equal(c.ticks, 3);
	assert_true(ev_now_ms() - t0 >= 25);
	close(p[0]);
	close(p[1]);
	ev_free(ev);
}

static void
on_sig(struct ev *ev, int signo, void *arg)
{
	struct counts	*c = arg;

	assert_int_equal(signo, SIGUSR1);
	c->sigs++;
	ev_stop(ev);
}

static void
test_ev__signal(void **state)
{
	struct ev	*ev = ev_new();
	struct counts	 c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(ev_signal_add(ev, SIGUSR1, on_sig, &c), 0);
	kill(getpid(), SIGUSR1);
	ev_run(ev);
	assert_int_equal(c.sigs, 1);
	ev_free(ev);
}

static void *
waker(void *arg)
{
	usleep(20000);
	ev_wakeup(arg);
	return NULL;
}

static void
on_wake(struct ev *ev, void *arg)
{
	struct counts	*c = arg;

	c->wakes++;
	ev_stop(ev);
}

static void
test_ev__wakeup_from_thread(void **state)
{
	struct ev	*ev = ev_new();
	struct counts	 c;
	pthread_t	 th;

	memset(&c, 0, sizeof(c));
	ev_set_wakeup_cb(ev, on_wake, &c);
	assert_int_equal(pthread_create(&th, NULL, waker, ev), 0);
	ev_run(ev);
	pthread_join(th, NULL);
	assert_int_equal(c.wakes, 1);
	ev_free(ev);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_ev__fd_and_periodic_timer),
    cmocka_unit_test(test_ev__signal),
    cmocka_unit_test(test_ev__wakeup_from_thread))
