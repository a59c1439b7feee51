/*
 * install: installer containers for egg install scripts and the install
 * marker (see install.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fswalk.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "apply.h"
#include "cspec.h"
#include "docker.h"
#include "install.h"

/*
 * Capabilities an install script has no use for. It runs as root and
 * keeps what package managers and file set-up need (chown, dac_override,
 * fowner, fsetid, setuid, setgid, kill, sys_chroot); device nodes, raw
 * sockets, file capabilities and audit writes are not among them.
 */
static const char *const install_cap_drop[] = {
	"mknod", "net_raw", "audit_write", "setpcap", "setfcap",
	"net_bind_service", "sys_ptrace", NULL
};

static char *
install_dir(const struct install_spec *is)
{
	char	*p;

	xasprintf(&p, "%s/tmp/install-%s", is->data_dir, is->server);
	return p;
}

static char *
install_name(const struct install_spec *is)
{
	char	*p;

	xasprintf(&p, "roost-%s-install", is->server);
	return p;
}

/*
 * Recreates the script directory empty (whatever an earlier installer left
 * there, a link in its place included, is removed first) and writes the
 * script into it with CRLF turned into LF.
 */
static int
install_write_script(const char *dir, const char *script, struct rerr *err)
{
	struct buf	 b;
	const char	*p;
	char		*parent, *slash;
	int		 dfd, rc;

	parent = xstrdup(dir);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	if (util_mkdir_p(parent, 0755) == -1) {
		rc = rerr_errno(err, -1, "create \"%s\"", parent);
		free(parent);
		return rc;
	}
	free(parent);
	if (apply_rmtree(dir, err) != 0)
		return -1;
	if (mkdir(dir, 0755) == -1)
		return rerr_errno(err, -1, "create \"%s\"", dir);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rerr_errno(err, -1, "open \"%s\"", dir);
	(void)fchmod(dfd, 0755);
	buf_init(&b, 0);
	for (p = script != NULL ? script : ""; *p != '\0'; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			buf_putc(&b, *p);
	rc = util_write_atomic_at(dfd, "install.sh", b.data != NULL ?
	    b.data : "", b.len, 0644, err);
	close(dfd);
	buf_dispose(&b);
	return rc;
}

/* Starts an installer container; see install.h. */
int
install_start(struct apply_ctx *ctx, const struct install_spec *is,
    char **id, struct docker_attach **attach, struct rerr *err)
{
	struct docker_spec	 spec;
	struct rerr		 e2;
	const char		*entry[3], *labels[5], *binds[3], *tmpfs[2];
	char			*dir, *name, *l[4], *b[2], *body;
	int			 rc, i;

	*id = NULL;
	if (attach != NULL)
		*attach = NULL;
	name = install_name(is);
	if (!is->no_old && (rc = apply_remove(ctx, name, err)) != 0) {
		free(name);
		return rc;
	}
	dir = install_dir(is);
	xasprintf(&b[0], "%s/volumes/%s", is->data_dir, is->server);
	if ((rc = apply_dir_ensure(b[0], is->uid, is->gid, err)) != 0 ||
	    (rc = install_write_script(dir, is->script, err)) != 0) {
		free(b[0]);
		free(dir);
		free(name);
		return rc;
	}
	xasprintf(&b[1], "%s:/mnt/install", dir);
	{
		char *t = b[0];

		xasprintf(&b[0], "%s:/mnt/server", t);
		free(t);
	}
	xasprintf(&l[0], "%s=true", CSPEC_LABEL_MANAGED);
	xasprintf(&l[1], "%s=%s", CSPEC_LABEL_NODE, is->node);
	xasprintf(&l[2], "%s=%s", CSPEC_LABEL_SERVER, is->server);
	xasprintf(&l[3], "%s=%s", CSPEC_LABEL_ROLE, INSTALL_ROLE);
	for (i = 0; i < 4; i++)
		labels[i] = l[i];
	labels[4] = NULL;
	binds[0] = b[0];
	binds[1] = b[1];
	binds[2] = NULL;
	tmpfs[0] = "/tmp:rw,exec,nosuid,size=100m";
	tmpfs[1] = NULL;
	entry[0] = is->entrypoint != NULL && *is->entrypoint != '\0' ?
	    is->entrypoint : "ash";
	entry[1] = "/mnt/install/install.sh";
	entry[2] = NULL;

	memset(&spec, 0, sizeof(spec));
	spec.image = is->image;
	spec.entrypoint = entry;
	spec.env = is->env;
	spec.labels = labels;
	spec.hostname = "installer";
	spec.workdir = "/mnt/server";
	spec.binds = binds;
	spec.network = is->network;
	spec.tmpfs = tmpfs;
	spec.no_new_privileges = 1;
	spec.cap_drop = install_cap_drop;
	spec.log_max_size = "5m";
	spec.log_max_file = 1;
	spec.limits = is->limits;
	body = docker_create_body(&spec);

	for (i = 0; i < 25; i++) {
		/* A removal still under way holds the name a moment. */
		rerr_init(&e2);
		apply_count(ctx);
		rc = docker_container_create(ctx->d, name, body, id, &e2);
		if (rc != ROOST_ECONFLICT)
			break;
		/* An old installer: removed, the name is free at once. */
		rerr_init(&e2);
		if (apply_remove(ctx, name, &e2) != 0 || i > 0)
			usleep(200000);
	}
	if (rc == 0 && attach != NULL) {
		rerr_init(&e2);
		if (docker_attach_open(ctx->d, *id, 0, attach, &e2) != 0)
			*attach = NULL;
	}
	if (rc == 0) {
		rerr_init(&e2);
		apply_count(ctx);
		rc = docker_container_start(ctx->d, *id, &e2);
	}
	if (rc != 0 && attach != NULL && *attach != NULL) {
		docker_attach_close(*attach);
		*attach = NULL;
	}
	if (rc != 0)
		rerr_set(err, rc, "installer of \"%s\": %s", is->server,
		    e2.msg);
	free(body);
	for (i = 0; i < 4; i++)
		free(l[i]);
	free(b[0]);
	free(b[1]);
	free(dir);
	free(name);
	return rc;
}

struct install_owner {
	uid_t	uid;
	gid_t	gid;
};

/*
 * Gives an entry to the server's user, without following links, and
 * removes device files, FIFOs and sockets.
 */
static int
install_tidy_one(int dirfd, const char *name, const struct stat *sb,
    int depth, void *arg)
{
	const struct install_owner *o = arg;

	(void)depth;
	if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode) ||
	    S_ISFIFO(sb->st_mode) || S_ISSOCK(sb->st_mode)) {
		(void)unlinkat(dirfd, name, 0);
		return 0;
	}
	if ((sb->st_uid != o->uid || sb->st_gid != o->gid) &&
	    fchownat(dirfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) == -1)
		log_warn("install: cannot give '%s' to the server's user",
		    name);
	return 0;
}

/* Tidies the server directory after an installer; see install.h. */
void
install_tidy(const struct install_spec *is)
{
	struct install_owner	 o;
	char			*vol;
	int			 fd;

	xasprintf(&vol, "%s/volumes/%s", is->data_dir, is->server);
	fd = open(vol, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(vol);
	if (fd == -1)
		return;
	o.uid = (uid_t)is->uid;
	o.gid = (gid_t)is->gid;
	if (fchown(fd, o.uid, o.gid) == -1)
		log_warn("install: cannot give %s's directory to its user",
		    is->server);
	fswalk(fd, UINT64_MAX, install_tidy_one, &o, NULL);
	close(fd);
}

/* Keeps the last n lines of text. */
char *
install_tail(const char *text, int n)
{
	const char	*p;
	size_t		 len = strlen(text);
	int		 lines = 0;

	while (len > 0 && text[len - 1] == '\n')
		len--;
	for (p = text + len; p > text; p--)
		if (p[-1] == '\n' && ++lines == n)
			break;
	return xstrndup(p, len - (size_t)(p - text));
}

/* Keeps one line of an installer's output; see install.h. */
void
install_keep_line(struct buf *b, const char *line)
{
	char	*tail;

	buf_puts(b, line);
	buf_puts(b, "\n");
	if (b->len <= INSTALL_OUT_MAX)
		return;
	tail = install_tail(buf_str(b), INSTALL_LOG_LINES);
	buf_reset(b);
	/* One line longer than the bound keeps its end. */
	if (strlen(tail) > INSTALL_OUT_MAX / 2)
		buf_puts(b, tail + strlen(tail) - INSTALL_OUT_MAX / 2);
	else
		buf_puts(b, tail);
	free(tail);
}

/* Collects a finished installer; see install.h. */
int
install_collect(struct apply_ctx *ctx, const struct install_spec *is,
    const char *ref, int kill, const struct docker_container *known,
    const char *out, struct install_result *res, struct rerr *err)
{
	struct docker_container	 c;
	struct buf		 logs;
	struct rerr		 e2;
	char			*dir;
	int			 rc;

	memset(res, 0, sizeof(*res));
	rerr_init(&e2);
	if (kill) {
		apply_count(ctx);
		docker_container_kill(ctx->d, ref, "KILL", &e2);
		rerr_init(&e2);
		docker_container_wait(ctx->d, ref, NULL, NULL, 10000, &e2);
	}
	if (known != NULL && !kill) {
		res->exit_code = known->exit_code;
		res->oom_killed = known->oom_killed;
	} else {
		memset(&c, 0, sizeof(c));
		rerr_init(&e2);
		rc = docker_container_inspect(ctx->d, ref, &c, &e2);
		if (rc != 0)
			return rerr_set(err, rc, "installer of \"%s\": %s",
			    is->server, e2.msg);
		res->exit_code = c.exit_code;
		res->oom_killed = c.oom_killed;
		docker_container_dispose(&c);
	}
	buf_init(&logs, 0);
	rerr_init(&e2);
	if (out != NULL)
		res->log_tail = install_tail(out, INSTALL_LOG_LINES);
	else if (docker_container_logs(ctx->d, ref, INSTALL_LOG_LINES, 0,
	    &logs, &e2) == 0)
		res->log_tail = install_tail(buf_str(&logs), INSTALL_LOG_LINES);
	else
		res->log_tail = xstrdup("");
	buf_dispose(&logs);
	dir = install_dir(is);
	apply_rmtree(dir, NULL);
	free(dir);
	/* Succeeded, failed or killed: what the script left is tidied. */
	install_tidy(is);
	return 0;
}

/* Removes a collected installer; see install.h. */
int
install_remove(struct apply_ctx *ctx, const char *ref, struct rerr *err)
{
	return apply_remove(ctx, ref, err);
}

/* Frees what res holds. */
void
install_result_dispose(struct install_result *res)
{
	free(res->log_tail);
	res->log_tail = NULL;
}

static char *
install_marker_path(const char *data_dir, const char *server)
{
	char	*p;

	xasprintf(&p, "%s/volumes/.roost/%s.installed", data_dir, server);
	return p;
}

/* Reads the install marker; see install.h. */
int
install_marker_read(const char *data_dir, const char *server, char **value)
{
	struct buf	 b;
	char		*path;
	int		 rc;

	*value = NULL;
	path = install_marker_path(data_dir, server);
	buf_init(&b, 4096);
	rc = util_read_file(path, &b, NULL);
	free(path);
	if (rc != 0) {
		buf_dispose(&b);
		return ROOST_ENOTFOUND;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '\n'))
		b.data[--b.len] = '\0';
	*value = buf_detach(&b);
	return 0;
}

/* Writes the install marker; see install.h. */
int
install_marker_write(const char *data_dir, const char *server,
    const char *value, struct rerr *err)
{
	char	*dir, *path, *text;
	int	 rc;

	xasprintf(&dir, "%s/volumes/.roost", data_dir);
	if (util_mkdir_p(dir, 0700) == -1) {
		rc = rerr_errno(err, -1, "create \"%s\"", dir);
		free(dir);
		return rc;
	}
	free(dir);
	path = install_marker_path(data_dir, server);
	xasprintf(&text, "%s\n", value != NULL ? value : "");
	rc = util_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	free(path);
	return rc;
}

/* Removes the install marker. */
void
install_marker_remove(const char *data_dir, const char *server)
{
	char	*path = install_marker_path(data_dir, server);

	unlink(path);
	free(path);
}
