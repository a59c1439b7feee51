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
 *
 * Against an S3 target (reconciler/store_s3.c), SERVER's backups in
 * BUCKET at ENDPOINT (path-style) with the keys of KEYFILE:
 *
 *   bench_backup s3pack DIR ENDPOINT BUCKET KEYFILE SERVER [LEVEL]
 *	packs DIR straight into the bucket as a new backup; prints its id
 *   bench_backup s3put ARCHIVE ENDPOINT BUCKET KEYFILE SERVER
 *	sends an archive file as a new backup (the upload path alone)
 *   bench_backup s3get ENDPOINT BUCKET KEYFILE SERVER ID OUT
 *	reads a backup's archive into OUT
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

#include "../../reconciler/conf.h"
#include "../../reconciler/store.h"
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

static int
s3_write(void *arg, const void *p, size_t len, struct rerr *err)
{
	return store_put_write(arg, p, len, err);
}

/* The s3pack, s3put and s3get modes. */
static int
s3_main(int argc, char *argv[])
{
	struct conf_target	 t;
	struct tarz_stats	 st;
	struct store		*s;
	struct store_put	*put;
	struct store_get	*get;
	struct rerr		 err;
	char			 id[STORE_ID_MAX], buf[256 * 1024], **ids;
	const char		*rec = "{}";
	double			 t0, r0;
	size_t			 nids;
	ssize_t			 n;
	int			 get_mode, fd, rc, off;

	get_mode = strcmp(argv[1], "s3get") == 0;
	off = get_mode ? 2 : 3;
	if (argc < off + 4 || (get_mode && argc < 8)) {
		fprintf(stderr, "usage: see bench_backup.c\n");
		return 2;
	}
	rerr_init(&err);
	r0 = peak_mib();
	memset(&t, 0, sizeof(t));
	t.name = id;
	snprintf(id, sizeof(id), "bench");
	t.type = CONF_TARGET_S3;
	t.endpoint = argv[off];
	t.bucket = argv[off + 1];
	t.access_key_file = argv[off + 2];
	t.path_style = 1;
	if ((s = store_new(&t, &err)) == NULL) {
		fprintf(stderr, "bench_backup: %s\n", err.msg);
		return 1;
	}
	t0 = now_s();
	memset(&st, 0, sizeof(st));
	if (get_mode) {
		if ((fd = open(argv[7], O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1) {
			perror(argv[7]);
			return 2;
		}
		rc = store_get_open(s, argv[5], argv[6], 0, &get, &err);
		while (rc == 0 && (n = read(store_get_fd(get), buf,
		    sizeof(buf))) > 0) {
			if (write(fd, buf, (size_t)n) != n)
				rc = -1;
			st.size += (uint64_t)n;
		}
		if (rc == 0)
			rc = store_get_close(get, &err);
		close(fd);
		snprintf(id, sizeof(id), "%s", argv[6]);
	} else {
		if (store_list(s, argv[off + 3], &ids, &nids, &err) != 0) {
			fprintf(stderr, "bench_backup: %s\n", err.msg);
			return 1;
		}
		store_new_id(ids, nids, id);
		if ((rc = store_put_begin(s, argv[off + 3], id, &put, &err)) ==
		    0 && strcmp(argv[1], "s3pack") == 0) {
			if ((fd = open(argv[2], O_RDONLY | O_DIRECTORY)) == -1) {
				perror(argv[2]);
				return 2;
			}
			rc = tarz_pack_to(fd, NULL, argc > 7 ? atoi(argv[7]) :
			    3, s3_write, put, &st, &err);
			close(fd);
		} else if (rc == 0) {
			if ((fd = open(argv[2], O_RDONLY)) == -1) {
				perror(argv[2]);
				return 2;
			}
			while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
				rc = store_put_write(put, buf, (size_t)n, &err);
				st.size += (uint64_t)n;
			}
			close(fd);
		}
		if (rc == 0)
			rc = store_put_commit(put, rec, strlen(rec), &err);
		else
			store_put_abort(put);
	}
	store_free(s);
	if (rc != 0) {
		fprintf(stderr, "bench_backup: %s\n", err.msg);
		return 1;
	}
	printf("%s: backup %s, %llu bytes, in %.3f s; peak RSS %.1f MiB "
	    "before, %.1f MiB after\n", argv[1], id,
	    (unsigned long long)st.size, now_s() - t0, r0, peak_mib());
	return 0;
}

int
main(int argc, char *argv[])
{
	struct tarz_unpack_opts	o;
	struct tarz_stats	st;
	struct rerr		err;
	double			t0, t1, r0, fsync_s = 0;
	char			real[4096];
	int			fd, ofd, rc;

	if (argc > 1 && strncmp(argv[1], "s3", 2) == 0)
		return s3_main(argc, argv);
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
		t1 = now_s();
		if (rc == 0)
			rc = fsync(ofd);
		fsync_s = now_s() - t1;
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
	    "in %.3f s (the final fsync %.3f s); peak RSS %.1f MiB before, "
	    "%.1f MiB after\n", argv[1], (unsigned long long)st.entries,
	    (unsigned long long)st.data, (unsigned long long)st.size,
	    now_s() - t0, fsync_s, r0, peak_mib());
	return 0;
}
