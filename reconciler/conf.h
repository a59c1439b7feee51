/*
 * conf: roostd's configuration file (roostd.yaml), loaded into a typed
 * struct with every problem reported as path:line:col. SIGHUP loads a new
 * struct and swaps it in only when it is valid.
 */
#ifndef ROOSTD_CONF_H
#define ROOSTD_CONF_H

#include <stdint.h>
#include <sys/types.h>

struct diags;

/*
 * A backup target of roostd.yaml's backups.targets. type "local" uses
 * path, type "s3" the other fields (credentials are in the file
 * access_key_file points at, never in the configuration).
 */
enum conf_target_type {
	CONF_TARGET_LOCAL,
	CONF_TARGET_S3
};

struct conf_target {
	char			*name;
	enum conf_target_type	 type;
	char			*path;		/* local: the directory */
	char			*endpoint;	/* s3: https://host[:port] */
	char			*bucket;
	char			*region;
	char			*prefix;
	int			 path_style;
	char			*access_key_file;
};

struct conf {
	char		*path;		/* the file it came from */
	char		*node;		/* this node's name in the state */
	char		*repo;		/* path, file://, ssh:// or https:// URL */
	char		*branch;	/* default "main" */
	char		*ssh_key;	/* private key for ssh:// */
	char		*token_file;	/* token for https:// */
	char		*data_dir;	/* default /var/lib/roost */
	char		*docker_socket;	/* default /var/run/docker.sock */
	char		*api;		/* unix socket, default /run/roost/roostd.sock */
	uint64_t	 poll_ms;	/* default 15 s */
	char		*hub_url;	/* NULL: no hub */
	char		*hub_token_file;
	char		*hub_ca_file;	/* NULL: the system's CAs */
	int		 sftp_enabled;	/* default 1 */
	char		*sftp_listen;	/* default 0.0.0.0:2022 */
	char		*sftp_host_key;	/* default <dataDir>/sftp/host_ed25519 */
	uint64_t	 trash_ms;	/* default 7 d */
	int		 allow_rewrite;	/* allowHistoryRewrite */
	int		 allow_empty;	/* allowEmpty */
	uid_t		 uid;		/* containerUser, default 999:999 */
	gid_t		 gid;
	char		*network;	/* default roost0 */
	uint64_t	 stop_ms;	/* stopTimeout, default 30 s */
	uint64_t	 install_ms;	/* installTimeout, default 30 min */
	char		*api_group;	/* apiGroup, default "roost" if it exists */
	uint64_t	 con_lines;	/* console.lines, default 1000 */
	uint64_t	 con_bytes;	/* console.bytes, default 256 KiB */
	uint64_t	 con_throttle;	/* console.throttleLines, default 2000 */
	uint64_t	 con_throttle_ms; /* console.throttleInterval, 100 ms */
	uint64_t	 con_rate;	/* console.commandLimit, default 5 */
	uint64_t	 con_rate_ms;	/* console.commandWindow, default 10 s */
	uint64_t	 audit_max;	/* console.auditMaxSize, default 10 MiB */
	struct conf_target *targets;	/* backups.targets */
	size_t		 ntargets;
	int		 backup_level;	/* backups.compressionLevel, 3 */
	uint64_t	 sched_grace_ms; /* scheduleGrace, default 1 min */
	uint64_t	 backoff_min_ms; /* backoffMin, default 5 s */
	uint64_t	 backoff_max_ms; /* backoffMax, default 5 min */
	int		 crashloop_max;	/* crashLoopMax, default 5 */
	uint64_t	 crashloop_window_ms; /* crashLoopWindow, 10 min */
};

/*
 * Loads path into *out (owned; conf_free). Every problem is added to d;
 * returns 0 or ROOST_EINVAL (nothing returned) or -1 when unreadable.
 */
int	conf_load(struct conf **out, const char *path, struct diags *d);
/* Frees a configuration; takes NULL. */
void	conf_free(struct conf *);

#endif
