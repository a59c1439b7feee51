/*
 * cspec: the container spec of a game server. From a server of the state,
 * its egg and the node it runs on, cspec_build derives everything the
 * engine is given: name roost-<server>, roost.* labels, the hardened host
 * config (read-only rootfs, tmpfs /tmp, no-new-privileges, Wings' capability
 * drop list, pids limit, non-root user, bounded json-file logs), memory with
 * the node's overhead policy, CPU quota, io weight where the host supports
 * it, ports bound tcp+udp on the node address, the roost bridge network,
 * the server directory at /home/container, and the environment an egg
 * expects (its variables, sealed ones opened with the node's key, STARTUP,
 * SERVER_MEMORY, SERVER_IP, SERVER_PORT, P_SERVER_*, TZ).
 *
 * The spec hash covers everything container-relevant except the limits a
 * live update can change (and SERVER_MEMORY, which follows memory), so a
 * limits-only change is applied in place and anything else recreates.
 *
 * Ownership: a struct cspec owns all its strings (nothing of the state
 * or the node settings is kept); its docker_spec points into them and is
 * valid until cspec_free.
 */
#ifndef ROOST_CSPEC_H
#define ROOST_CSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "docker.h"
#include "plan.h"

struct egg;
struct rerr;
struct state_limits;
struct state_server;
struct state_node;
struct seal_key;

/* The installer's memory is the server's, but at least this (MiB). */
#define CSPEC_INSTALL_MEMORY_MIB	1024

#define CSPEC_LABEL_MANAGED	"roost.managed"
#define CSPEC_LABEL_NODE	"roost.node"
#define CSPEC_LABEL_SERVER	"roost.server"
#define CSPEC_LABEL_ROLE	"roost.role"
#define CSPEC_LABEL_HASH	"roost.spec-hash"
#define CSPEC_LABEL_REVISION	"roost.revision"
#define CSPEC_LABEL_RESTARTED	"roost.restarted-at"
#define CSPEC_LABEL_REINSTALL	"roost.reinstall-at"

/* Node-wide settings every container of the node shares. */
struct cspec_node {
	const char	*node;		/* node name */
	const char	*data_dir;	/* volumes/<server> is bound */
	const char	*network;	/* bridge network */
	const char	*address;	/* host IP ports are bound to */
	int		 uid;
	int		 gid;
	int		 tmpfs_mb;
	const char	*log_max_size;
	int		 log_max_file;
	const char	*timezone;
	const char	*location;	/* P_SERVER_LOCATION */
	int		 overhead;	/* enum state_overhead */
	int		 overhead_percent;
	int		 io_weight_ok;	/* the host's cgroup has io weight */
	int		 swap_ok;	/* the engine honours MemorySwap */
	const char	*revision;	/* commit being applied, or NULL */
	const struct seal_key *keys;	/* the node's keys (current first)
					   that open sealed values */
	size_t		 nkeys;
};

struct cspec {
	char			*server;
	char			*name;		/* "roost-<server>" */
	char			*image;		/* without a leading '~' */
	int			 local_image;	/* '~': never pull */
	char			*hash;		/* hex, 32 characters */
	char			*volume;	/* <data_dir>/volumes/<server> */
	char			**env;		/* NULL-terminated "K=v" */
	char			**env_hashed;	/* env with each opened secret
						   as a keyed hash */
	char			**labels;
	char			**binds;
	char			**tmpfs;
	char			*user;
	char			*stop_signal;	/* "SIGINT", or NULL */
	char			*host_ip;	/* node address ports bind to */
	char			*network;
	char			*log_max_size;
	int			*ports;
	size_t			 nports;
	int64_t			 disk_bytes;	/* roostd's check; 0: unlimited */
	struct docker_spec	 spec;		/* limits: the server's */
	struct docker_limits	 install_limits; /* the installer's */
};

/*
 * Builds the spec of srv (with its egg and image) on node. The egg's stop,
 * done strings, files and install are not part of it (see install.h and
 * recon.c). A sealed variable value is opened with node->keys; the spec
 * holds the plaintext only in env (never in labels or the hash). Returns
 * the spec (caller frees with cspec_free), or NULL with err set when the
 * egg has no image to run or a sealed value does not open (no partial
 * environment is ever returned).
 */
struct cspec	*cspec_build(const struct state_server *srv,
		    const struct egg *egg, const char *image,
		    const struct cspec_node *node, struct rerr *err);
void		 cspec_free(struct cspec *cs);

/* Memory in bytes for a limit in MiB under the node's overhead policy. */
int64_t		 cspec_memory_bytes(int64_t mib, int overhead, int percent);

/*
 * Turns a server's limits (limit.h: MiB, percent of a core, weight,
 * processes) into the engine's values under the node's policy: memory
 * with the overhead, swap where the engine honours it, a CPU quota per
 * 100000 µs period, io weight where the host has it, the pids limit (the
 * table's default when unset). The one place roostd does this; the
 * installer's limits come from it too (struct cspec's install_limits).
 */
void		 cspec_engine_limits(const struct state_limits *sl,
		    const struct cspec_node *node, struct docker_limits *out);

/*
 * Engine limits (a spec's or an inspected container's) the way the
 * planner compares them.
 */
void		 cspec_plan_limits(const struct docker_limits *l,
		    struct plan_limits *out);

/* SHA-256 of len bytes as 64 hex digits plus NUL in out. */
void		 cspec_sha256_hex(const void *p, size_t len, char out[65]);

#endif
