/*
 * unit.c: helpers shared by roost's cmocka unit tests (declared in
 * unit.h), linked into every tests/unit/test_*.c binary. They keep two
 * runs of the suite on one machine apart: free ports come from the
 * kernel, names that are global on the Docker engine carry a per-run id.
 */
#include "unit.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

/* Binds a socket of type to 127.0.0.1:port; returns the fd or -1. */
static int
unit_bind(int type, int port)
{
	struct sockaddr_in	sin;
	int			fd;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Returns a port the kernel chose (bind to port 0) that is free for TCP
 * and UDP on 127.0.0.1 now; fails the test when there is none.
 */
int
unit_free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len;
	int			fd, ufd, port, i;

	for (i = 0; i < 100; i++) {
		if ((fd = unit_bind(SOCK_STREAM, 0)) == -1)
			break;
		len = sizeof(sin);
		if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
			close(fd);
			break;
		}
		port = ntohs(sin.sin_port);
		/* Published ports are UDP too: the same number must be free. */
		ufd = unit_bind(SOCK_DGRAM, port);
		close(fd);
		if (ufd != -1) {
			close(ufd);
			return port;
		}
	}
	fail_msg("no free port from the kernel");
	return -1;
}

/*
 * Returns an id of this run ("u" and the process id in hex), for names
 * that are global on the Docker engine (containers, networks, labels).
 */
const char *
unit_run_id(void)
{
	static char	id[32];

	if (id[0] == '\0')
		snprintf(id, sizeof(id), "u%x", (unsigned)getpid());
	return id;
}
