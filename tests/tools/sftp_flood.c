/*
 * sftp_flood: holds many idle TCP connections to roost-sftpd from one
 * source address, the way a single host tries to lock everyone else out
 * before logging in. Every other connection sends an SSH identification
 * line and then stalls; the rest send nothing. Used by
 * t3003-sftp-preauth.sh.
 *
 *	sftp_flood PORT SRC N hold
 *	    opens N connections to 127.0.0.1:PORT bound to address SRC (64
 *	    at a time) and opens again each one the server closes (at most
 *	    64 every 100 ms) until SIGTERM; prints "ready" once every
 *	    connection has had the server's answer (its banner or its
 *	    close), and at the end "connects C closed-by-server D"
 *	sftp_flood PORT SRC N count
 *	    opens N connections, waits for every answer and prints
 *	    "held H dropped D" (held: the server sent its banner)
 *	sftp_flood PORT SRC N grace SECS
 *	    like count, then waits up to SECS seconds for the server to
 *	    close the held connections; prints "closed H of H after MS ms"
 *	    and exits 0 when all were closed in time, 1 otherwise
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ST_EMPTY	0	/* no socket */
#define ST_WAIT		1	/* connected or connecting, no answer yet */
#define ST_HELD		2	/* the server sent its banner */
#define BATCH		64	/* connections opened at once */

struct conn {
	int	 fd;
	int	 st;
};

static volatile sig_atomic_t	 stop;
static struct sockaddr_in	 dst, src;
static unsigned long		 n_connects, n_closed;

static void
on_term(int sig)
{
	stop = 1;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens slot i: a non-blocking connect from src; 0 or -1. */
static int
conn_open(struct conn *c, int i)
{
	int	 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
	    errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	/* Half of them begin the protocol, then stall. */
	if (i % 2 == 1)
		(void)send(fd, "SSH-2.0-flood\r\n", 15, MSG_NOSIGNAL);
	c->fd = fd;
	c->st = ST_WAIT;
	n_connects++;
	return 0;
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->st = ST_EMPTY;
}

/*
 * Polls all connections for up to ms: a banner makes one held, an EOF
 * or error closes it (counted in *closed). Returns the number waiting.
 */
static int
conn_poll(struct conn *v, struct pollfd *pf, int n, int ms, int *closed)
{
	char	 b[4096];
	ssize_t	 r;
	int	 i, waiting = 0;

	for (i = 0; i < n; i++) {
		pf[i].fd = v[i].st == ST_EMPTY ? -1 : v[i].fd;
		pf[i].events = POLLIN;
		pf[i].revents = 0;
	}
	if (poll(pf, (nfds_t)n, ms) == -1 && errno != EINTR)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i].st == ST_EMPTY)
			continue;
		if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = recv(v[i].fd, b, sizeof(b), MSG_DONTWAIT);
			if (r > 0 && memcmp(b, "SSH-", 4 < r ? 4 : r) == 0)
				v[i].st = ST_HELD;
			else if (r > 0)
				;	/* key exchange data: stay */
			else if (r == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				conn_close(&v[i]);
				(*closed)++;
				n_closed++;
				continue;
			}
		}
		if (v[i].st == ST_WAIT)
			waiting++;
	}
	return waiting;
}

/* Waits until every connection is held or closed; -1 after 20 s. */
static int
settle(struct conn *v, struct pollfd *pf, int n, int *dropped)
{
	long long	 until = now_ms() + 20000;

	while (conn_poll(v, pf, n, 100, dropped) > 0)
		if (now_ms() > until || stop)
			return -1;
	return 0;
}

/* The connections and their poll entries, kept until the process ends. */
static struct conn	*v;
static struct pollfd	*pf;

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	long long	 t0, until;
	int		 i, n, held, dropped = 0, budget, ready = 0, closed;

	if (argc < 5 || (strcmp(argv[4], "grace") == 0 && argc != 6)) {
		fprintf(stderr, "usage: sftp_flood PORT SRC N hold|count|"
		    "grace SECS\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (n < 1 || n > 100000)
		return 2;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)atoi(argv[1]));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &src.sin_addr) != 1)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max :
		    (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	v = calloc((size_t)n, sizeof(*v));
	pf = calloc((size_t)n, sizeof(*pf));
	if (v == NULL || pf == NULL)
		return 2;
	/*
	 * In batches smaller than a listen backlog: a burst past it makes
	 * the kernel answer with SYN cookies, and a connection whose last
	 * ACK is lost then that sends nothing would wait forever.
	 */
	for (i = 0; i < n; i++) {
		if (conn_open(&v[i], i) == -1) {
			fprintf(stderr, "sftp_flood: connection %d: %s\n", i,
			    strerror(errno));
			return 2;
		}
		if ((i + 1) % BATCH != 0 && i + 1 != n)
			continue;
		if (settle(v, pf, i + 1, &dropped) == -1) {
			fprintf(stderr, "sftp_flood: no answer to every "
			    "connection\n");
			return 2;
		}
	}
	for (held = i = 0; i < n; i++)
		if (v[i].st == ST_HELD)
			held++;

	if (strcmp(argv[4], "count") == 0) {
		printf("held %d dropped %d\n", held, dropped);
		return 0;
	}
	if (strcmp(argv[4], "grace") == 0) {
		t0 = now_ms();
		until = t0 + atoi(argv[5]) * 1000LL;
		closed = 0;
		while (closed < held && now_ms() < until)
			conn_poll(v, pf, n, 100, &closed);
		printf("closed %d of %d after %lld ms\n", closed, held,
		    now_ms() - t0);
		return closed == held ? 0 : 1;
	}
	if (strcmp(argv[4], "hold") != 0)
		return 2;
	printf("ready: held %d dropped %d\n", held, dropped);
	ready = 1;
	while (!stop) {
		closed = 0;
		conn_poll(v, pf, n, 100, &closed);
		for (budget = BATCH, i = 0; i < n && budget > 0; i++)
			if (v[i].st == ST_EMPTY) {
				budget--;
				if (conn_open(&v[i], i) == -1)
					break;
			}
	}
	printf("connects %lu closed-by-server %lu\n", n_connects, n_closed);
	return ready ? 0 : 1;
}
