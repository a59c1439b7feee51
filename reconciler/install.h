/*
 * install: egg install scripts, run as Wings does in an installer
 * container (the egg's install image and entrypoint, the script with LF
 * line ends in a directory mounted at /mnt/install, the server directory
 * at /mnt/server, the server's environment), but with its exit code
 * checked, a timeout kept by the caller, and the log tail returned. The
 * installer is hardened short of what scripts need: no-new-privileges,
 * capabilities it has no use for dropped (mknod, net_raw, ...), a pids
 * limit, and afterwards the server directory is tidied (install_tidy).
 * The script directory <dataDir>/tmp/install-<server> is recreated empty
 * before each install, so nothing an earlier installer planted there is
 * written through.
 *
 * An installer is started (install_start) and later collected
 * (install_collect) once the engine reports it exited, so no thread waits
 * for it. The install marker <dataDir>/volumes/.roost/<server>.installed,
 * outside the server directory, records that the server was installed and
 * for which reinstallAt value, so an install is not repeated and a
 * reinstall bump repeats it once.
 */
#ifndef ROOST_INSTALL_H
#define ROOST_INSTALL_H

#include <stdint.h>

#include "docker.h"

struct apply_ctx;
struct buf;
struct docker_attach;
struct rerr;

#define INSTALL_ROLE		"install"
#define INSTALL_LOG_LINES	50
#define INSTALL_OUT_MAX		(64 * 1024)	/* install_keep_line's bound */

struct install_spec {
	const char		*server;
	const char		*node;
	const char		*data_dir;
	const char		*network;
	const char		*image;		/* egg install image */
	const char		*entrypoint;	/* NULL: "ash" */
	const char		*script;	/* LF or CRLF line ends */
	const char *const	*env;		/* the server's environment */
	struct docker_limits	 limits;	/* engine values (cspec.h) */
	int			 uid;		/* owner of the files after */
	int			 gid;
	int			 no_old;	/* no old installer to remove
						   first (the cache says) */
};

struct install_result {
	int	 exit_code;
	int	 oom_killed;
	char	*log_tail;	/* last INSTALL_LOG_LINES lines; caller frees */
};

/*
 * Writes the script and starts a new installer container named
 * roost-<server>-install, labelled with roost.role=install. An old
 * installer is removed first, before the script is written (unless
 * is->no_old: then one that holds the name after all is removed when the
 * create finds it). The image is not
 * inspected: when it is missing the create fails with ROOST_ENOTFOUND,
 * and the caller makes sure of it (apply_image_ensure) and calls again. Stores its id in *id (caller frees). With attach
 * not NULL its output stream is opened before the start, so no line is
 * missed, and handed over in *attach (NULL when the engine refused the
 * attach, which is not an error). Returns 0 or an engine/file error.
 */
int	install_start(struct apply_ctx *ctx, const struct install_spec *is,
	    char **id, struct docker_attach **attach, struct rerr *err);

/*
 * Collects a finished (or, with kill set, a timed-out) installer ref:
 * kills it if asked, reads its exit code (from known when not NULL and
 * not killed: the cache's copy of the exited installer, so it is not
 * inspected again) and log tail (from out when not NULL: the output as it
 * was followed, whole; else read from the engine) into *res, removes its
 * script directory, and tidies the server directory (install_tidy)
 * whatever the outcome.
 * The container itself is left for install_remove, so that the server can
 * be started before the engine deletes the installer's file system.
 * Returns 0 or an engine error.
 */
int	install_collect(struct apply_ctx *ctx, const struct install_spec *is,
	    const char *ref, int kill, const struct docker_container *known,
	    const char *out, struct install_result *res, struct rerr *err);
/*
 * Appends one line of an installer's output to b, keeping at most about
 * INSTALL_OUT_MAX bytes (the last INSTALL_LOG_LINES lines survive).
 */
void	install_keep_line(struct buf *b, const char *line);
/* The last n lines of text (caller frees). */
char	*install_tail(const char *text, int n);
/* Removes a collected installer container; see apply_remove. */
int	install_remove(struct apply_ctx *ctx, const char *ref,
	    struct rerr *err);
void	install_result_dispose(struct install_result *res);

/*
 * Tidies the server directory after an installer, which ran as root:
 * every file and directory is given to uid:gid and device files, FIFOs
 * and sockets are removed, at any depth and without following links.
 */
void	install_tidy(const struct install_spec *is);

/*
 * Reads the install marker of server: 0 with *value (the reinstallAt it
 * satisfied, "" for the first install; caller frees) when it exists,
 * ROOST_ENOTFOUND when it does not.
 */
int	install_marker_read(const char *data_dir, const char *server,
	    char **value);
/* Writes the marker with value (NULL: ""). Returns 0 or -1. */
int	install_marker_write(const char *data_dir, const char *server,
	    const char *value, struct rerr *err);
/* Removes the marker (prune). */
void	install_marker_remove(const char *data_dir, const char *server);

#endif
