/*
 * recon_usage: the sampler thread: usage of running servers, disk walks
 * with the disk limit's hold, trash expiry.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "cfgfile.h"
#include "cspec.h"
#include "dcache.h"
#include "docker.h"
#include "install.h"
#include "plan.h"
#include "recon.h"
#include "recon_int.h"
#include "runtime.h"

/*
 * The sampler: usage of running servers, disk walks, trash expiry. Each
 * new sample is a status change (so the API, /metrics and the hub carry
 * current usage), announced once per round after the lock is dropped.
 */
void *
recon_sampler(void *arg)
{
	struct recon		*r = arg;
	struct docker		*d = docker_new(r->conf.docker_sock);
	struct docker_stats	 stats;
	struct notes		 nt = { 0 };
	struct rerr		 err;
	char			*name, *cid, *vol;
	int64_t			 bytes, limit;
	uint64_t		 now, last_usage = 0;
	size_t			 i;
	int			 trunc, sample, walk, over, changed;

	pthread_mutex_lock(&r->mtx);
	while (!r->quit) {
		now = ev_now_ms();
		sample = now - last_usage >= r->conf.usage_interval_ms;
		if (sample)
			last_usage = now;
		for (i = 0; i < r->n && !r->quit; i++) {
			struct rsrv *rs = r->v[i];

			if (rs->snap == NULL || rs->prune)
				continue;
			walk = rs->disk_at == 0 ||
			    now - rs->disk_at >= r->conf.disk_interval_ms;
			if (!walk && !(sample && rs->crunning))
				continue;
			name = xstrdup(rs->name);
			cid = rs->crunning && rs->cid ? xstrdup(rs->cid) : NULL;
			vol = xstrdup(rs->snap->cs->volume);
			limit = rs->snap->cs->disk_bytes;
			pthread_mutex_unlock(&r->mtx);

			bytes = -2;
			if (walk)
				bytes = runtime_disk_usage(vol,
				    DISK_MAX_ENTRIES, &trunc);
			memset(&stats, 0, sizeof(stats));
			rerr_init(&err);
			if (sample && cid != NULL &&
			    docker_container_stats(d, cid, &stats, &err) != 0)
				sample = sample;	/* stopped meanwhile */

			pthread_mutex_lock(&r->mtx);
			changed = 0;
			if ((rs = recon_find(r, name)) != NULL) {
				if (walk) {
					rs->disk_at = ev_now_ms();
					if (bytes < 0)
						bytes = 0;
					if (rs->disk_bytes != bytes)
						notes_add(&nt, name, 0);
					rs->disk_bytes = bytes;
					over = limit > 0 && bytes > limit;
					if (over != rs->disk_over) {
						rs->disk_over = over;
						changed = 1;
					}
				}
				if (cid != NULL && stats.read[0] != '\0') {
					rs->usage = stats;
					rs->have_usage = 1;
					notes_add(&nt, name, 0);
				}
				if (changed)
					recon_enqueue_locked(r, name);
			}
			free(name);
			free(cid);
			free(vol);
		}
		if (nt.n > 0) {
			pthread_mutex_unlock(&r->mtx);
			notes_fire(r, &nt);
			pthread_mutex_lock(&r->mtx);
		}
		if (now - r->trash_at >= 3600 * 1000ULL || r->trash_at == 0) {
			r->trash_at = now;
			pthread_mutex_unlock(&r->mtx);
			rerr_init(&err);
			if (apply_trash_expire(r->conf.data_dir,
			    r->conf.trash_retention_ms, &err) == -1)
				log_warnx("trash: %s", err.msg);
			pthread_mutex_lock(&r->mtx);
		}
		{
			struct timespec	ts;
			uint64_t	wait = r->conf.usage_interval_ms;

			if (r->conf.disk_interval_ms < wait)
				wait = r->conf.disk_interval_ms;
			if (wait > 1000)
				wait = 1000;
			util_deadline(&ts, CLOCK_REALTIME, (int64_t)wait);
			pthread_cond_timedwait(&r->cond, &r->mtx, &ts);
		}
	}
	pthread_mutex_unlock(&r->mtx);
	docker_free(d);
	return NULL;
}
