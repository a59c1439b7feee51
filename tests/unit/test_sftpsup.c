/*
 * test_sftpsup: roostd's supervision of roost-sftpd with the real
 * program (built beside this test's directory): a reload signal sent the
 * moment it is spawned, again and again, does not kill it.
 */
#include "unit.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

#include "rerr.h"

#include "../../reconciler/conf.h"
#include "../../reconciler/sftpsup.h"

struct fixture {
	char		 dir[64];
	char		 argv0[PATH_MAX];
	char		 listen[64];
	char		 hostkey[PATH_MAX];
	struct conf	 c;
	int		 port;
	int		 saved_stderr;
};

/* Whether something accepts connections on 127.0.0.1:port. */
static int
listening(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, ok;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

static int
setup(void **state)
{
	struct fixture	*f;
	char		 exe[PATH_MAX], log[128];
	ssize_t		 n;
	int		 fd;

	f = calloc(1, sizeof(*f));
	strlcpy(f->dir, "/tmp/roost-sftpsup.XXXXXX", sizeof(f->dir));
	assert_non_null(mkdtemp(f->dir));
	/* build/tests/test_sftpsup: roost-sftpd is in build/. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(f->argv0, sizeof(f->argv0), "%s/roostd",
	    dirname(dirname(exe)));
	f->port = unit_free_port();
	snprintf(f->listen, sizeof(f->listen), "127.0.0.1:%d", f->port);
	snprintf(f->hostkey, sizeof(f->hostkey), "%s/hostkey", f->dir);
	f->c.node = (char *)"n1";
	f->c.data_dir = f->dir;
	f->c.sftp_enabled = 1;
	f->c.sftp_listen = f->listen;
	f->c.sftp_host_key = f->hostkey;
	f->c.uid = getuid();
	f->c.gid = getgid();
	/* roost-sftpd logs to stderr: keep it out of the TAP stream. */
	snprintf(log, sizeof(log), "%s/sftpd.log", f->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	assert_true(fd != -1);
	f->saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	dup2(f->saved_stderr, 2);
	close(f->saved_stderr);
	if (unit_rmtree(f->dir) != 0)
		return -1;
	free(f);
	return 0;
}

/*
 * Spawns roost-sftpd 20 times and sends SIGHUP at once, 20 times in a
 * row, as roostd does when its first revision is applied right away;
 * each time it must come up listening and stay alive, and take a SIGHUP
 * afterwards as a reload.
 */
static void
test_sighup_at_start(void **state)
{
	struct fixture	*f = *state;
	struct sftpsup	*s;
	struct rerr	 err;
	pid_t		 pid;
	int		 i, k, status;

	for (i = 0; i < 20; i++) {
		rerr_init(&err);
		assert_rok(sftpsup_start(&s, &f->c, f->argv0, &err), &err);
		pid = sftpsup_pid(s);
		assert_true(pid > 0);
		for (k = 0; k < 20; k++)
			kill(pid, SIGHUP);
		for (k = 0; k < 1000 && !listening(f->port); k++) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				fail_msg("round %d: roost-sftpd died before "
				    "listening (%s %d)", i,
				    WIFSIGNALED(status) ? "signal" : "status",
				    WIFSIGNALED(status) ? WTERMSIG(status) :
				    WEXITSTATUS(status));
			sleep_ms(10);
		}
		assert_true(listening(f->port));
		kill(pid, SIGHUP);
		sleep_ms(20);
		if (waitpid(pid, &status, WNOHANG) == pid)
			fail_msg("round %d: roost-sftpd died (%s %d)", i,
			    WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status));
		sftpsup_stop(s);
	}
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test_setup_teardown(test_sighup_at_start, setup,
	teardown))
