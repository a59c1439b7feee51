/*
 * bench_docker.h: what the engine benchmarks (and test_docker) share:
 * RFC 3339 times from inspect (to compare with bench_wall), the hardening
 * roostd gives servers, and the create body of the demo image so hardened
 * (the anchor's container when no body is given).
 */
#ifndef ROOST_BENCH_DOCKER_H
#define ROOST_BENCH_DOCKER_H

#include <string.h>
#include <time.h>

#include "../../reconciler/docker.h"

#include "bench.h"

/* "2026-11-25T07:00:00.123456789Z" in seconds since the epoch, or -1. */
static inline double
bench_rfc3339(const char *s)
{
	struct tm	 tm;
	const char	*p;
	double		 f = 0, unit = 0.1;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, unit /= 10)
			f += (*p - '0') * unit;
	return (double)timegm(&tm) + f;
}

/*
 * Gives s Wings' hardening, as roostd creates servers: user 999, a
 * read-only root with a small /tmp, capabilities dropped, no new
 * privileges, a short log and stdin open.
 */
static inline void
bench_demo_harden(struct docker_spec *s)
{
	static const char *const caps[] = { "setpcap", "mknod", "audit_write",
	    "net_raw", "dac_override", "fowner", "fsetid", "net_bind_service",
	    "sys_chroot", "setfcap", NULL };
	static const char *const tmpfs[] = { "/tmp:rw,exec,nosuid,size=16m",
	    NULL };

	s->user = "999:999";
	s->readonly_rootfs = 1;
	s->tmpfs = tmpfs;
	s->cap_drop = caps;
	s->no_new_privileges = 1;
	s->log_max_size = "1m";
	s->log_max_file = 1;
	s->open_stdin = 1;
}

/*
 * The create body of a demo-image container with Wings' hardening and
 * the given labels (NULL-terminated); the caller frees it.
 */
static inline char *
bench_demo_body(const char *const *labels)
{
	static const char *const env[] = { "STARTUP=demo-server",
	    "SERVER_PORT=8080", NULL };
	struct docker_spec	 s;

	memset(&s, 0, sizeof(s));
	s.image = "roost.local/demo:1";
	s.env = env;
	s.labels = labels;
	s.limits.memory = 256LL * 1024 * 1024;
	s.limits.pids_limit = 128;
	bench_demo_harden(&s);
	return docker_create_body(&s);
}

#endif
