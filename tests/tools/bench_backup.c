/*
 * bench_backup: roostd's backup and restore code (reconciler/tarz.c) on
 * a directory, timed, with the process's peak resident set before and
 * after, for tests/bench/bench_backup.sh to set against GNU tar:
 *
 *   bench_backup pack DIR ARCHIVE [LEVEL]
 *   pack: 10000 entries, 1073741824 bytes of data -> 512000000 bytes
 *   in 5.123 s; peak RSS 4.1 MiB before, 9.8 MiB after
 *
 *   bench_backup unpack ARCHIVE DIR
 *   unpack: ... in 2.345 s; peak RSS ...
 *
 * DIR for unpack must not exist; it is made, as roostd makes its staging
 * directory.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rerr.h"

#include "../../reconciler/tarz.h"

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
peak_mib(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

int
main(int argc, char *argv[])
{
	struct tarz_unpack_opts	o;
	struct tarz_stats	st;
	struct rerr		err;
	double			t0, r0;
	char			real[4096];
	int			fd, ofd, rc;

	if (argc < 4 || (strcmp(argv[1], "pack") != 0 &&
	    strcmp(argv[1], "unpack") != 0)) {
		fprintf(stderr, "usage: bench_backup pack DIR ARCHIVE [LEVEL]\n"
		    "       bench_backup unpack ARCHIVE DIR\n");
		return 2;
	}
	rerr_init(&err);
	r0 = peak_mib();
	if (strcmp(argv[1], "pack") == 0) {
		if ((fd = open(argv[2], O_RDONLY | O_DIRECTORY)) == -1 ||
		    (ofd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) == -1) {
			perror("open");
			return 2;
		}
		t0 = now_s();
		rc = tarz_pack(fd, NULL, argc > 4 ? atoi(argv[4]) : 3, ofd, &st,
		    &err);
		if (rc == 0)
			rc = fsync(ofd);
		close(ofd);
	} else {
		if ((fd = open(argv[2], O_RDONLY)) == -1 ||
		    mkdir(argv[3], 0750) == -1 ||
		    realpath(argv[3], real) == NULL) {
			perror(argv[3]);
			return 2;
		}
		memset(&o, 0, sizeof(o));
		o.uid = getuid();
		o.gid = getgid();
		t0 = now_s();
		rc = tarz_unpack(fd, real, &o, &st, &err);
	}
	close(fd);
	if (rc != 0) {
		fprintf(stderr, "bench_backup: %s\n", err.msg);
		return 1;
	}
	printf("%s: %llu entries, %llu bytes of data, archive %llu bytes, "
	    "in %.3f s; peak RSS %.1f MiB before, %.1f MiB after\n", argv[1],
	    (unsigned long long)st.entries, (unsigned long long)st.data,
	    (unsigned long long)st.size, now_s() - t0, r0, peak_mib());
	return 0;
}
