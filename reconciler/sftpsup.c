/*
 * sftpsup: starting, feeding and restarting roost-sftpd for roostd.
 * roost-sftpd dies with roostd (PR_SET_PDEATHSIG), and its pid is kept
 * in <dataDir>/sftp/roost-sftpd.pid so that a roostd started after one
 * that could not take it along stops the one left behind, which holds
 * the port with an old users file, before starting its own.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "egg.h"
#include "ev.h"
#include "log.h"
#include "rerr.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "conf.h"
#include "sftpd.h"
#include "sftpsup.h"

#define SFTPSUP_BACKOFF_MIN	1000
#define SFTPSUP_BACKOFF_MAX	60000
#define SFTPSUP_RECLAIM_MS	3000	/* SIGTERM, then SIGKILL */

struct sftpsup {
	char		*prog;
	char		*users;
	char		*listen;
	char		*hostkey;
	char		*node;
	char		*volumes;
	char		*pidfile;
	char		**tnames;	/* backup targets of roostd.yaml */
	char		**tpaths;	/* a local target's directory,
					   NULL for others */
	size_t		 nt;
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	uint64_t	 backoff;
	uint64_t	 restart_at;
	int		 verbose;
};

/*
 * Starts roost-sftpd. SIGHUP (roostd's reload signal) stays blocked in
 * the child from the fork on: roost-sftpd reads it from its signalfd once
 * its handler is in place, and one sent before that waits instead of
 * killing it.
 */
static void
sftpsup_spawn(struct sftpsup *s)
{
	char		*argv[10], buf[32];
	sigset_t	 hup, old;
	struct rerr	 err;
	int		 i = 0;
	pid_t		 pid, parent = getpid();

	argv[i++] = s->prog;
	argv[i++] = (char *)"-d";
	argv[i++] = (char *)"-c";
	argv[i++] = s->users;
	argv[i++] = (char *)"-l";
	argv[i++] = s->listen;
	argv[i++] = (char *)"-k";
	argv[i++] = s->hostkey;
	argv[i] = NULL;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, &old);
	pid = fork();
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	switch (pid) {
	case -1:
		log_warn("sftp: fork");
		return;
	case 0:
		/* roostd blocks signals for its signalfd; all but SIGHUP go. */
		sigprocmask(SIG_SETMASK, &hup, NULL);
		/*
		 * Die with roostd, even by kill -9; the signal comes when the
		 * forking thread ends, and only the main thread forks here.
		 * roostd may have gone before the prctl: then go too.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(1);
		execv(s->prog, argv);
		log_warn("sftp: cannot run '%s'", s->prog);
		_exit(127);
	default:
		s->pid = pid;
		log_info("sftp: roost-sftpd started on %s (pid %ld)",
		    s->listen, (long)pid);
		snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
		rerr_init(&err);
		if (util_write_atomic(s->pidfile, buf, strlen(buf), 0644,
		    &err) != 0)
			log_warnx("sftp: %s", err.msg);
	}
}

/*
 * Says whether pid is a roost-sftpd serving the users file users: its
 * program is named roost-sftpd (an upgraded one shows " (deleted)") and
 * its arguments hold "-c users". A zombie has no program: 0.
 */
static int
sftpsup_is_ours(pid_t pid, const char *users)
{
	char		 path[64], exe[PATH_MAX], *base, *p;
	struct buf	 cmd;
	struct rerr	 err;
	ssize_t		 n;
	int		 ours = 0;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	if ((p = strstr(exe, " (deleted)")) != NULL && p[10] == '\0')
		*p = '\0';
	base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
	if (strcmp(base, "roost-sftpd") != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	buf_init(&cmd, 65536);
	rerr_init(&err);
	if (util_read_file(path, &cmd, &err) == 0 && cmd.data != NULL) {
		for (p = cmd.data; p < cmd.data + cmd.len; p += strlen(p) + 1)
			if (strcmp(p, "-c") == 0 &&
			    p + 3 < cmd.data + cmd.len &&
			    strcmp(p + 3, users) == 0)
				ours = 1;
	}
	buf_dispose(&cmd);
	return ours;
}

/*
 * Stops a roost-sftpd that an earlier roostd left running on this data
 * directory (its pidfile names it and sftpsup_is_ours agrees), so that
 * the one started next can take the port: SIGTERM (with SIGCONT, should
 * it be stopped), then SIGKILL after SFTPSUP_RECLAIM_MS.
 */
static void
sftpsup_reclaim(struct sftpsup *s)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	struct buf	 b;
	struct rerr	 err;
	const char	*errstr;
	long long	 pid;
	int		 i;

	buf_init(&b, 64);
	rerr_init(&err);
	if (util_read_file(s->pidfile, &b, &err) != 0 || b.data == NULL) {
		buf_dispose(&b);
		return;
	}
	b.data[strcspn(b.data, "\n")] = '\0';
	pid = strtonum(b.data, 2, INT_MAX, &errstr);
	buf_dispose(&b);
	if (errstr != NULL || pid == getpid() ||
	    !sftpsup_is_ours((pid_t)pid, s->users))
		return;
	log_warnx("sftp: stopping roost-sftpd pid %lld left running by an "
	    "earlier roostd", pid);
	kill((pid_t)pid, SIGTERM);
	kill((pid_t)pid, SIGCONT);
	for (i = 0; sftpsup_is_ours((pid_t)pid, s->users); i++) {
		if (i == SFTPSUP_RECLAIM_MS / 20) {
			log_warnx("sftp: roost-sftpd pid %lld ignores SIGTERM; "
			    "killing it", pid);
			kill((pid_t)pid, SIGKILL);
		}
		if (i == 2 * SFTPSUP_RECLAIM_MS / 20) {
			log_warnx("sftp: roost-sftpd pid %lld does not go "
			    "away", pid);
			break;
		}
		nanosleep(&ts, NULL);
	}
}

/* Starts roost-sftpd. */
int
sftpsup_start(struct sftpsup **out, const struct conf *c, const char *argv0,
    struct rerr *err)
{
	struct sftpsup	*s;
	char		*copy, *dir, *path, exe[PATH_MAX];
	ssize_t		 n;

	*out = NULL;
	/* Found through PATH, argv0 has no directory: ask the kernel. */
	if (strchr(argv0, '/') == NULL &&
	    (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		argv0 = exe;
	}
	copy = xstrdup(argv0);
	dir = dirname(copy);
	xasprintf(&path, "%s/roost-sftpd", dir);
	free(copy);
	if (access(path, X_OK) != 0) {
		free(path);
		xasprintf(&path, "%s/roost-sftpd", ROOST_LIBEXECDIR);
		if (access(path, X_OK) != 0) {
			rerr_set(err, -1, "roost-sftpd not found next to "
			    "roostd or in '%s'", ROOST_LIBEXECDIR);
			free(path);
			return -1;
		}
	}
	s = xcalloc(1, sizeof(*s));
	s->prog = path;
	xasprintf(&s->users, "%s/sftp/users.json", c->data_dir);
	xasprintf(&s->volumes, "%s/volumes", c->data_dir);
	xasprintf(&s->pidfile, "%s/sftp/roost-sftpd.pid", c->data_dir);
	s->listen = xstrdup(c->sftp_listen);
	s->hostkey = xstrdup(c->sftp_host_key);
	s->node = xstrdup(c->node);
	s->uid = c->uid;
	s->gid = c->gid;
	s->backoff = SFTPSUP_BACKOFF_MIN;
	s->tnames = xcalloc(c->ntargets + 1, sizeof(*s->tnames));
	s->tpaths = xcalloc(c->ntargets + 1, sizeof(*s->tpaths));
	for (s->nt = 0; s->nt < c->ntargets; s->nt++) {
		s->tnames[s->nt] = xstrdup(c->targets[s->nt].name);
		if (c->targets[s->nt].type == CONF_TARGET_LOCAL)
			s->tpaths[s->nt] = xstrdup(c->targets[s->nt].path);
	}
	{
		char	*d;

		xasprintf(&d, "%s/sftp", c->data_dir);
		if (util_mkdir_p(d, 0700) == -1) {
			rerr_errno(err, -1, "cannot create '%s'", d);
			free(d);
			sftpsup_stop(s);
			return -1;
		}
		free(d);
	}
	/* An empty users file until the first revision is applied. */
	if (access(s->users, F_OK) != 0 &&
	    sftpd_users_write(s->users, NULL, 0, err) != 0) {
		sftpsup_stop(s);
		return -1;
	}
	sftpsup_reclaim(s);
	sftpsup_spawn(s);
	*out = s;
	return 0;
}

/*
 * The directory of srv's backups when its target (backups.target, else
 * the node's only target) is a local one; a new string or NULL.
 */
static char *
sftpsup_backups(const struct sftpsup *s, const struct state_server *srv)
{
	const char	*t = srv->backups.target;
	char		*dir;
	size_t		 i;

	if (t == NULL && s->nt == 1)
		t = s->tnames[0];
	for (i = 0; t != NULL && i < s->nt; i++)
		if (strcmp(s->tnames[i], t) == 0 && s->tpaths[i] != NULL) {
			xasprintf(&dir, "%s/%s", s->tpaths[i], srv->name);
			return dir;
		}
	return NULL;
}

/* Writes the users file from the state and signals a reload. */
int
sftpsup_update(struct sftpsup *s, const struct state *st, struct rerr *err)
{
	struct sftpd_server	*sv;
	struct sftpd_user	*us;
	const struct egg	*egg;
	char			**roots, **bks;
	size_t			 i, j, n = 0, nu = 0;
	int			 rc;

	sv = xcalloc(st->nservers + 1, sizeof(*sv));
	roots = xcalloc(st->nservers + 1, sizeof(*roots));
	bks = xcalloc(st->nservers + 1, sizeof(*bks));
	for (i = 0; i < st->nservers; i++)
		nu += st->servers[i]->nsftp;
	us = xcalloc(nu + 1, sizeof(*us));
	nu = 0;
	for (i = 0; i < st->nservers; i++) {
		const struct state_server *srv = st->servers[i];

		if (!srv->valid || srv->node == NULL ||
		    strcmp(srv->node, s->node) != 0)
			continue;
		xasprintf(&roots[n], "%s/%s", s->volumes, srv->name);
		sv[n].name = srv->name;
		sv[n].root = roots[n];
		bks[n] = sftpsup_backups(s, srv);
		sv[n].backups = bks[n];
		sv[n].uid = s->uid;
		sv[n].gid = s->gid;
		sv[n].disk_limit_mib = srv->limits.disk > 0 ?
		    (uint64_t)srv->limits.disk : 0;
		if ((egg = state_server_egg(st, srv)) != NULL) {
			sv[n].denylist = (const char **)egg->denylist;
			sv[n].ndenylist = egg->ndenylist;
		}
		sv[n].users = &us[nu];
		for (j = 0; j < srv->nsftp; j++) {
			const struct state_sftp_user *u = &srv->sftp[j];

			us[nu].name = u->user;
			us[nu].password = u->password;
			us[nu].keys = (const char **)u->keys;
			us[nu].nkeys = u->nkeys;
			us[nu].perms =
			    ((u->perms & SFTP_PERM_READ) ?
			    SFTPD_PERM_READ : 0) |
			    ((u->perms & SFTP_PERM_WRITE) ?
			    SFTPD_PERM_WRITE : 0) |
			    ((u->perms & SFTP_PERM_DELETE) ?
			    SFTPD_PERM_DELETE : 0);
			nu++;
			sv[n].nusers++;
		}
		n++;
	}
	rc = sftpd_users_write(s->users, sv, n, err);
	strv_free(roots, n);
	for (i = 0; i < n; i++)
		free(bks[i]);
	free(bks);
	free(us);
	free(sv);
	if (rc == 0 && s->pid > 0)
		kill(s->pid, SIGHUP);
	return rc;
}

/* Restarts roost-sftpd after it died. */
void
sftpsup_tick(struct sftpsup *s)
{
	int		status;
	uint64_t	now = ev_now_ms();

	if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid) {
		if (WIFEXITED(status))
			log_warnx("sftp: roost-sftpd exited with status %d; "
			    "restarting in %llu ms", WEXITSTATUS(status),
			    (unsigned long long)s->backoff);
		else
			log_warnx("sftp: roost-sftpd killed by signal %d; "
			    "restarting in %llu ms", WTERMSIG(status),
			    (unsigned long long)s->backoff);
		s->pid = 0;
		s->restart_at = now + s->backoff;
		s->backoff = s->backoff * 2 > SFTPSUP_BACKOFF_MAX ?
		    SFTPSUP_BACKOFF_MAX : s->backoff * 2;
	}
	if (s->pid == 0 && now >= s->restart_at)
		sftpsup_spawn(s);
}

/* The pid of the running roost-sftpd, or 0. */
pid_t
sftpsup_pid(const struct sftpsup *s)
{
	return s != NULL ? s->pid : 0;
}

/* Stops roost-sftpd. */
void
sftpsup_stop(struct sftpsup *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		(void)unlink(s->pidfile);
	}
	free(s->prog);
	free(s->pidfile);
	free(s->users);
	free(s->listen);
	free(s->hostkey);
	free(s->node);
	free(s->volumes);
	for (i = 0; i < s->nt; i++) {
		free(s->tnames[i]);
		free(s->tpaths[i]);
	}
	free(s->tnames);
	free(s->tpaths);
	free(s);
}
