/*
 * docker: roostd's client for the Docker Engine API (v1.41) over the
 * engine's unix socket. Requests go through lib/http (libcurl); the one
 * exception is attach, which hijacks the connection and therefore uses a
 * plain unix socket of its own.
 *
 * A struct docker is one keep-alive connection: use one per thread (the
 * container cache's events thread has its own). Every function returns 0,
 * ROOST_ENOTFOUND (HTTP 404), ROOST_ECONFLICT (HTTP 409),
 * ROOST_ETIMEDOUT, or -1 with the engine's own "message" in err.
 *
 * Sizes are bytes; times are the engine's RFC 3339 strings.
 */
#ifndef ROOST_DOCKER_H
#define ROOST_DOCKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "rerr.h"

#define DOCKER_API_VERSION	"1.41"
#define DOCKER_DEFAULT_SOCK	"/var/run/docker.sock"

struct docker;

/* A label or an event attribute. */
struct docker_kv {
	char	*key;
	char	*value;
};

struct docker_version {
	char	version[64];		/* "20.10.24+dfsg1" */
	char	api_version[16];	/* "1.41" */
	char	min_api_version[16];
	char	os[32];
	char	arch[32];
	char	kernel[128];
};

struct docker_info {
	int	cgroup_version;		/* 1 or 2 */
	char	cgroup_driver[32];	/* "cgroupfs", "systemd" */
	char	storage_driver[32];	/* "vfs", "overlay2" */
	char	server_version[64];
	int	ncpu;
	int64_t	mem_total;
	int	swap_limit;		/* MemorySwap is honoured */
	int	cpu_cfs;		/* CpuQuota/CpuPeriod are honoured */
	int	pids_limit;		/* PidsLimit is honoured */
	int	io_weight;		/* BlkioWeight is honoured (see below) */
};

struct docker_image {
	char		*id;		/* "sha256:..." */
	struct docker_kv *labels;
	size_t		 nlabels;
	int64_t		 size;
};

/*
 * Resource limits, for create and live update. For an update a zero
 * field is left as it is, except cpu_quota: -1 removes the CPU limit.
 */
struct docker_limits {
	int64_t	memory;		/* bytes; 0: unlimited */
	int64_t	memory_swap;	/* memory + swap; -1: unlimited swap;
				   0: engine default (as much swap as memory) */
	int64_t	cpu_quota;	/* µs per cpu_period; 100000 = 1 core */
	int64_t	cpu_period;	/* µs; 0: 100000 when cpu_quota is set */
	int	blkio_weight;	/* 10-1000; 0: not set */
	int64_t	pids_limit;	/* 0: not set; -1: unlimited */
};

/*
 * What to create. String lists are NULL-terminated arrays; everything is
 * borrowed from the caller. Labels are "key=value" strings. Each entry of
 * ports is published as both port/tcp and port/udp on host_ip (NULL: all
 * addresses) at the same port number.
 */
struct docker_spec {
	const char		*image;
	const char *const	*entrypoint;	/* NULL: the image's */
	const char *const	*cmd;		/* NULL: the image's */
	const char *const	*env;		/* "KEY=value" */
	const char *const	*labels;	/* "key=value" */
	const char		*user;		/* "999:999" */
	const char		*workdir;
	const char		*hostname;
	const char *const	*binds;		/* "/host:/ctr[:ro]" */
	const int		*ports;
	size_t			 nports;
	const char		*host_ip;
	const char		*network;	/* NetworkMode */
	struct docker_limits	 limits;
	int			 readonly_rootfs;
	const char *const	*tmpfs;		/* "/tmp:rw,exec,size=100m" */
	const char *const	*cap_drop;
	int			 no_new_privileges;
	const char		*log_max_size;	/* json-file, e.g. "5m" */
	int			 log_max_file;	/* 0: engine default */
	int			 open_stdin;	/* OpenStdin+AttachStdin */
	int			 tty;
	const char		*stop_signal;	/* "SIGINT"; NULL: default */
	int			 stop_timeout;	/* seconds; 0: default */
};

/* A container as inspect reports it; see docker_container_dispose. */
struct docker_container {
	char		*id;
	char		*name;		/* without the leading "/" */
	char		*image;		/* Config.Image as given at create */
	char		*image_id;	/* "sha256:..." */
	struct docker_kv *labels;
	size_t		 nlabels;
	char		*status;	/* created running paused restarting
					   removing exited dead */
	int		 running;
	int		 paused;
	int		 restarting;
	int		 oom_killed;
	int		 dead;
	pid_t		 pid;
	int		 exit_code;
	char		*error;		/* State.Error, "" when none */
	char		*started_at;
	char		*finished_at;
	char		*created;
	int		 restart_count;
	int		 tty;
	int		 open_stdin;
	struct docker_limits limits;
	int64_t		 nano_cpus;
	int		 readonly_rootfs;
};

/* One sample of usage; see docker_container_stats. */
struct docker_stats {
	double	cpu_percent;	/* 100 = one core busy */
	int64_t	memory;		/* usage minus inactive file cache */
	int64_t	memory_limit;
	int64_t	rx_bytes;	/* all interfaces, since start */
	int64_t	tx_bytes;
	int64_t	pids;
	char	read[40];	/* sample time */
};

/* An event from the engine's events stream. */
struct docker_event {
	char		*type;		/* "container", "network", ... */
	char		*action;	/* "start", "die", "exec_start: sh" */
	char		*id;		/* Actor.ID */
	struct docker_kv *attrs;	/* Actor.Attributes: labels, name,
					   image, exitCode */
	size_t		 nattrs;
	int64_t		 time_nano;
};

/* Called per pulled-image progress line ("Downloading", "Pull complete"). */
typedef void	(*docker_progress_cb)(const char *status, const char *id,
		    int64_t current, int64_t total, void *arg);
/*
 * Called per event; ev is borrowed for the call. Returns 0 to go on,
 * non-zero to end the stream (docker_events then returns 0).
 */
typedef int	(*docker_event_cb)(const struct docker_event *ev, void *arg);

/*
 * Returns a client for the engine at sock (NULL: $DOCKER_HOST when it is
 * unix://..., else /var/run/docker.sock). Connects lazily; never fails.
 */
struct docker	*docker_new(const char *sock);
/* Frees d and closes its connection; NULL is fine. */
void		 docker_free(struct docker *d);
/* Returns the socket path d talks to (borrowed). */
const char	*docker_sock(const struct docker *d);
/*
 * Ends a docker_events, docker_image_pull or docker_container_wait
 * running on d in another thread (within about a second; it returns -1).
 * The flag stays until docker_reset_cancel.
 */
void		 docker_cancel(struct docker *d);
void		 docker_reset_cancel(struct docker *d);
/* Counts the requests d has sent (the cache's no-engine-call check). */
uint64_t	 docker_requests(const struct docker *d);
/* Counts the requests of every client of this process (reads and writes). */
uint64_t	 docker_requests_total(void);

int		 docker_ping(struct docker *d, struct rerr *err);
int		 docker_version(struct docker *d, struct docker_version *out,
		    struct rerr *err);
/*
 * Fills out from GET /info. io_weight is decided on this host's cgroup
 * files (blkio.weight on v1, io.weight on v2), as the engine does not
 * report it; roostd runs next to the engine.
 */
int		 docker_info(struct docker *d, struct docker_info *out,
		    struct rerr *err);

/* Fills *out for image ref; ROOST_ENOTFOUND when it is not local. */
int		 docker_image_inspect(struct docker *d, const char *ref,
		    struct docker_image *out, struct rerr *err);
void		 docker_image_dispose(struct docker_image *img);
/*
 * Pulls ref ("name:tag"; no tag: "latest"), calling cb (may be NULL) per
 * progress line. auth is a base64 X-Registry-Auth value or NULL. Returns
 * -1 with the engine's message when the pull fails midway.
 */
int		 docker_image_pull(struct docker *d, const char *ref,
		    const char *auth, docker_progress_cb cb, void *arg,
		    long timeout_ms, struct rerr *err);

/*
 * Lists the ids of all containers (running or not) that carry label
 * ("key" or "key=value"; NULL: every container) into *ids, a
 * NULL-terminated array the caller frees with docker_strv_free.
 */
int		 docker_container_list(struct docker *d, const char *label,
		    char ***ids, struct rerr *err);
void		 docker_strv_free(char **v);

/*
 * Inspects a container by id or name into *out (the caller disposes of
 * it). ROOST_ENOTFOUND when there is none.
 */
int		 docker_container_inspect(struct docker *d, const char *ref,
		    struct docker_container *out, struct rerr *err);
/* Frees what c holds; c can be reused. */
void		 docker_container_dispose(struct docker_container *c);
/* Deep-copies src into dst. */
void		 docker_container_copy(struct docker_container *dst,
		    const struct docker_container *src);
/* Returns the value of label key of c (borrowed), or NULL. */
const char	*docker_container_label(const struct docker_container *c,
		    const char *key);
/* Returns the value of key in kv[0..n) (borrowed), or NULL. */
const char	*docker_kv_get(const struct docker_kv *kv, size_t n,
		    const char *key);

/*
 * Returns the JSON body of POST /containers/create for spec, newly
 * allocated, with the hardening fields the spec asks for.
 */
char		*docker_create_body(const struct docker_spec *spec);
/*
 * Creates container name (NULL: the engine picks) from a JSON body and
 * returns its id in *id (caller frees). ROOST_ECONFLICT when the name is
 * taken, ROOST_ENOTFOUND when the image is not local.
 */
int		 docker_container_create(struct docker *d, const char *name,
		    const char *body, char **id, struct rerr *err);
/* Starts ref; starting a running container is not an error. */
int		 docker_container_start(struct docker *d, const char *ref,
		    struct rerr *err);
/*
 * Stops ref: the stop signal, then SIGKILL after timeout_s seconds (-1:
 * the container's own StopTimeout). Stopping a stopped one is fine.
 */
int		 docker_container_stop(struct docker *d, const char *ref,
		    int timeout_s, struct rerr *err);
/* Sends signal ("SIGINT", "KILL", "9"; NULL: SIGKILL) to ref. */
int		 docker_container_kill(struct docker *d, const char *ref,
		    const char *signal, struct rerr *err);
/* Removes ref; force kills a running one; volumes drops anonymous ones. */
int		 docker_container_remove(struct docker *d, const char *ref,
		    int force, int volumes, struct rerr *err);
/* Renames ref to name. */
int		 docker_container_rename(struct docker *d, const char *ref,
		    const char *name, struct rerr *err);
/*
 * Changes limits of ref in place, without a restart. Removing a memory
 * limit in place is not possible (the engine refuses); recreate instead.
 */
int		 docker_container_update(struct docker *d, const char *ref,
		    const struct docker_limits *lim, struct rerr *err);
/*
 * Waits until ref is no longer running (condition NULL: "not-running";
 * or "next-exit", "removed") and stores its exit code in *exit_code (may
 * be NULL). ROOST_ETIMEDOUT after timeout_ms (0: forever).
 */
int		 docker_container_wait(struct docker *d, const char *ref,
		    const char *condition, int *exit_code, long timeout_ms,
		    struct rerr *err);
/*
 * Appends the last tail lines of ref's stdout and stderr (tail < 0: all)
 * to out, demultiplexing the engine's 8-byte frame headers unless tty.
 */
int		 docker_container_logs(struct docker *d, const char *ref,
		    int tail, int tty, struct buf *out, struct rerr *err);
/*
 * Takes one usage sample of a running ref (GET stats?stream=false; the
 * engine spends about a second to measure CPU).
 */
int		 docker_container_stats(struct docker *d, const char *ref,
		    struct docker_stats *out, struct rerr *err);

/*
 * Attach: a console stream to a container's stdin and output. Open it
 * before start to see the first lines. docker_attach_fd can be polled
 * for reading.
 */
struct docker_attach;
/*
 * Attaches to ref over a new connection to d's socket. tty says how the
 * container was created (no tty: output frames are demultiplexed).
 */
int		 docker_attach_open(struct docker *d, const char *ref, int tty,
		    struct docker_attach **out, struct rerr *err);
/* Writes all of p to the container's stdin (a command needs its "\n"). */
int		 docker_attach_write(struct docker_attach *a, const void *p,
		    size_t n, struct rerr *err);
/*
 * Waits up to timeout_ms (-1: forever) for output and appends what came
 * to out. Returns 0 with *eof set when the stream ended, ROOST_ETIMEDOUT
 * when nothing came in time.
 */
int		 docker_attach_read(struct docker_attach *a, struct buf *out,
		    int timeout_ms, int *eof, struct rerr *err);
int		 docker_attach_fd(const struct docker_attach *a);
void		 docker_attach_close(struct docker_attach *a);

/*
 * Makes sure a bridge network called name exists (created with bridge
 * interface bridge_name, may be NULL, and subnet/gateway, may be NULL);
 * an existing one is kept as it is. Stores its id in *id if not NULL.
 */
int		 docker_network_ensure(struct docker *d, const char *name,
		    const char *bridge_name, const char *subnet,
		    const char *gateway, char **id, struct rerr *err);
/* Removes network name (tests). */
int		 docker_network_remove(struct docker *d, const char *name,
		    struct rerr *err);

/*
 * Follows GET /events for container events carrying label (NULL: all),
 * from since_nano (0: now; events are replayed from that time) until cb
 * returns non-zero (returns 0), the stream ends or fails (-1), or
 * timeout_ms passes (ROOST_ETIMEDOUT; 0: never). One connection, no
 * reconnect: the container cache reconnects and relists.
 */
int		 docker_events(struct docker *d, const char *label,
		    int64_t since_nano, long timeout_ms, docker_event_cb cb,
		    void *arg, struct rerr *err);
/* Returns the value of attribute key of ev (borrowed), or NULL. */
const char	*docker_event_attr(const struct docker_event *ev,
		    const char *key);

#endif
