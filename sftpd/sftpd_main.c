/*
 * roost-sftpd: the SFTP service of a roost node, started by roostd.
 *
 *	roost-sftpd -c USERS.json -l ADDR:PORT -k HOSTKEY [-dv]
 *	    [-t IDLE_SECS] [-m SESSIONS] [-b DELAY_MS] [-z LOCK_SECS]
 *	    [-g GRACE_SECS] [-s BEGIN:RATE:FULL] [-S PER_SOURCE]
 *
 * The listening process keeps the users file (re-read on SIGHUP and when
 * it changes), the failed-login throttle, the per-user session count and
 * the shared disk usage of each server; it forks one child per
 * connection (sftpd_session.c) and ends the sessions of users who leave
 * the file. Connections not logged in yet are capped per source address
 * and dropped early at random as their number grows (OpenSSH's
 * MaxStartups), so one address holding many idle connections cannot lock
 * the others out.
 */
#include <sys/resource.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "ev.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "sftpd.h"

struct child {
	TAILQ_ENTRY(child)	 entry;
	pid_t			 pid;
	int			 ipc;
	int			 authed;
	int			 slot;
	char			 login[160];
	char			 addr[64];
	char			 src[64];	/* sftpd_source_key */
};
TAILQ_HEAD(children, child);

#define MAX_CHILDREN	1024	/* session processes in all */
#define NOFILE_WANT	4096	/* fds: one per child and a margin */
#define DROP_LOG_MS	5000	/* drops are logged at most this often */

struct listener {
	struct ev		*ev;
	ssh_bind		 bind;
	int			 lfd;
	int			 ifd;
	const char		*users_path;
	char			 users_dir[PATH_MAX];
	char			 users_base[NAME_MAX + 1];
	struct sftpd_config	*cfg;
	struct sftpd_throttle	*throttle;
	struct sftpd_usage	*usage;
	struct children		 children;
	int			 idle_ms;
	int			 max_sessions;
	int			 grace_secs;
	int			 per_source;
	struct sftpd_startups	 startups;
	uint64_t		 drop_logged_ms;
	unsigned long		 drops;
	char			 drop_why[160];
};

static void	 usage(void) __attribute__((__noreturn__));
static void	 nofile_raise(void);
static int	 listen_on(const char *);
static char	*bound_name(int, char *, size_t);
static int	 admit(struct listener *, const char *);
static void	 hostkey_ensure(const char *);
static void	 users_reload(struct listener *, const char *);
static void	 on_accept(struct ev *, int, int, void *);
static void	 on_ipc(struct ev *, int, int, void *);
static void	 on_inotify(struct ev *, int, int, void *);
static void	 on_signal(struct ev *, int, void *);
static struct child *child_find_fd(struct listener *, int);
static int	 slot_take(struct listener *, const char *);
static void	 slot_put(struct listener *, int);
static void	 child_gone(struct listener *, struct child *);

static struct listener	 L;

static void
usage(void)
{
	fprintf(stderr, "usage: roost-sftpd -c users.json -l addr:port "
	    "-k hostkey [-dv] [-t idle_secs] [-m sessions] [-b delay_ms] "
	    "[-z lock_secs] [-g grace_secs] [-s begin:rate:full] "
	    "[-S per_source]\n");
	exit(1);
}

/* Raises the soft fd limit so that every session can have its ipc fd. */
static void
nofile_raise(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= NOFILE_WANT)
		return;
	rl.rlim_cur = rl.rlim_max < NOFILE_WANT ? rl.rlim_max : NOFILE_WANT;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit");
}

/* Listens on "addr:port" ("[v6]:port" too); returns the socket. */
static int
listen_on(const char *spec)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256], *port;
	int		 fd = -1, one = 1;

	if (strlcpy(host, spec, sizeof(host)) >= sizeof(host) ||
	    (port = strrchr(host, ':')) == NULL)
		fatalx("listen address '%s' is not addr:port", spec);
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &res) != 0)
		fatalx("listen address '%s' cannot be resolved", spec);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		fatal("cannot listen on '%s'", spec);
	return fd;
}

/*
 * Writes the address fd is bound to as "addr:port" ("[v6]:port") into
 * out, so that a port 0 chosen by the kernel can be read from the log.
 * Returns out, or NULL.
 */
static char *
bound_name(int fd, char *out, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[NI_MAXHOST], port[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return NULL;
	snprintf(out, len, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, port);
	return out;
}

/* Makes an ed25519 host key at path (mode 0600) unless one is there. */
static void
hostkey_ensure(const char *path)
{
	ssh_key	 key = NULL;
	mode_t	 old;

	if (access(path, F_OK) == 0)
		return;
	if (errno != ENOENT)
		fatal("host key '%s'", path);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
		fatalx("cannot generate a host key");
	old = umask(077);
	if (ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) !=
	    SSH_OK)
		fatalx("cannot write host key '%s'", path);
	umask(old);
	if (chmod(path, 0600) == -1)
		fatal("chmod '%s'", path);
	ssh_key_free(key);
	log_info("generated ed25519 host key '%s'", path);
}

/*
 * Loads the users file again; on success ends the sessions whose user
 * is gone or changed. A file that cannot be read keeps the old users.
 */
static void
users_reload(struct listener *l, const char *why)
{
	struct sftpd_config	*cfg;
	struct child		*ch;
	struct rerr		 err;
	int			 rc;

	rerr_init(&err);
	rc = sftpd_config_load(&cfg, l->users_path, &err);
	if (rc == ROOST_ENOTFOUND) {
		cfg = xcalloc(1, sizeof(*cfg));
		log_warnx("users file '%s' is missing: no logins",
		    l->users_path);
	} else if (rc != 0) {
		log_warnx("%s; keeping the users loaded before", err.msg);
		return;
	}
	TAILQ_FOREACH(ch, &l->children, entry) {
		if (!ch->authed || sftpd_config_still_valid(cfg, l->cfg,
		    ch->login))
			continue;
		log_info("ending session of '%s' from %s: user removed or "
		    "changed", ch->login, ch->addr);
		kill(ch->pid, SIGTERM);
		ch->authed = 0;
	}
	sftpd_config_free(l->cfg);
	l->cfg = cfg;
	log_debug("users file loaded (%s): %zu servers", why, cfg->nservers);
}

/*
 * Says whether a new connection from source src may be served: not when
 * all session processes are taken, when src already has per_source
 * connections not logged in, or when the MaxStartups early drop picks
 * it. Drops are counted and logged at most every DROP_LOG_MS. 1 or 0.
 */
static int
admit(struct listener *l, const char *src)
{
	struct child	*ch;
	uint64_t	 now;
	int		 nchild = 0, npre = 0, nsrc = 0;

	TAILQ_FOREACH(ch, &l->children, entry) {
		nchild++;
		if (!ch->authed && ch->ipc != -1) {
			npre++;
			if (strcmp(ch->src, src) == 0)
				nsrc++;
		}
	}
	if (nchild >= MAX_CHILDREN)
		snprintf(l->drop_why, sizeof(l->drop_why), "%d sessions in all",
		    nchild);
	else if (nsrc >= l->per_source)
		snprintf(l->drop_why, sizeof(l->drop_why), "%d connections "
		    "from %s not logged in", nsrc, src);
	else if (sftpd_startups_drop(&l->startups, npre,
	    arc4random_uniform(100)))
		snprintf(l->drop_why, sizeof(l->drop_why), "%d connections "
		    "not logged in (MaxStartups %d:%d:%d)", npre,
		    l->startups.begin, l->startups.rate, l->startups.full);
	else
		return 1;
	l->drops++;
	now = ev_now_ms();
	if (l->drop_logged_ms == 0 || now - l->drop_logged_ms >= DROP_LOG_MS) {
		log_warnx("%lu connection%s dropped, the last from %s: %s",
		    l->drops, l->drops == 1 ? "" : "s", src, l->drop_why);
		l->drops = 0;
		l->drop_logged_ms = now;
	}
	return 0;
}

static void
on_accept(struct ev *ev, int fd, int events, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	struct child		*ch;
	sigset_t		 none;
	char			 addr[64], src[64];
	int			 s, sv[2], one = 1;
	pid_t			 pid;

	if ((s = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	sftpd_source_key(&ss, sl, src, sizeof(src));
	if (!admit(l, src)) {
		close(s);
		return;
	}
	/* Replies are small and pipelined: do not let Nagle hold them. */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getnameinfo((struct sockaddr *)&ss, sl, addr, sizeof(addr), NULL,
	    0, NI_NUMERICHOST) != 0)
		strlcpy(addr, "?", sizeof(addr));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		close(s);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		close(s);
		close(sv[0]);
		close(sv[1]);
		return;
	}
	if (pid == 0) {
		close(sv[0]);
		close(l->lfd);
		close(l->ifd);
		TAILQ_FOREACH(ch, &l->children, entry)
			close(ch->ipc);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		log_procinit("session");
		sftpd_session_run(l->bind, s, sv[1], l->cfg, addr,
		    l->grace_secs, l->idle_ms, l->usage);
	}
	close(s);
	close(sv[1]);
	ch = xcalloc(1, sizeof(*ch));
	ch->pid = pid;
	ch->ipc = sv[0];
	ch->slot = -1;
	strlcpy(ch->addr, addr, sizeof(ch->addr));
	strlcpy(ch->src, src, sizeof(ch->src));
	TAILQ_INSERT_TAIL(&l->children, ch, entry);
	ev_fd_add(ev, ch->ipc, EV_READ, on_ipc, l);
	log_debug("connection from %s: session %ld", addr, (long)pid);
}

static struct child *
child_find_fd(struct listener *l, int fd)
{
	struct child	*ch;

	TAILQ_FOREACH(ch, &l->children, entry)
		if (ch->ipc == fd)
			return ch;
	return NULL;
}

/* Takes a reference on the usage slot of server; returns it or -1. */
static int
slot_take(struct listener *l, const char *server)
{
	int	 i, free_slot = -1;

	for (i = 0; i < SFTPD_USAGE_SLOTS; i++) {
		if (l->usage[i].refs > 0 &&
		    strcmp(l->usage[i].server, server) == 0) {
			l->usage[i].refs++;
			return i;
		}
		if (l->usage[i].refs == 0 && free_slot == -1)
			free_slot = i;
	}
	if (free_slot == -1)
		return -1;
	memset(&l->usage[free_slot], 0, sizeof(l->usage[free_slot]));
	strlcpy(l->usage[free_slot].server, server,
	    sizeof(l->usage[free_slot].server));
	l->usage[free_slot].refs = 1;
	return free_slot;
}

/* Drops a reference; the last one makes the next session count again. */
static void
slot_put(struct listener *l, int slot)
{
	if (slot < 0 || slot >= SFTPD_USAGE_SLOTS)
		return;
	if (--l->usage[slot].refs <= 0) {
		l->usage[slot].refs = 0;
		__atomic_store_n(&l->usage[slot].state, SFTPD_USAGE_UNKNOWN,
		    __ATOMIC_RELEASE);
	}
}

static void
child_gone(struct listener *l, struct child *ch)
{
	ev_fd_del(l->ev, ch->ipc);
	close(ch->ipc);
	ch->ipc = -1;
	slot_put(l, ch->slot);
	ch->slot = -1;
	ch->authed = 0;
}

static void
on_ipc(struct ev *ev, int fd, int events, void *arg)
{
	struct listener			*l = arg;
	struct child			*ch, *o;
	struct sftpd_msg		 m;
	const struct sftpd_server	*srv;
	const struct sftpd_user		*user;
	uint64_t			 now = ev_now_ms();
	int64_t				 d1, d2;
	char				 akey[80], ukey[176];
	ssize_t				 n;
	int				 count;

	if ((ch = child_find_fd(l, fd)) == NULL)
		return;
	n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != (ssize_t)sizeof(m)) {
		child_gone(l, ch);
		return;
	}
	m.login[sizeof(m.login) - 1] = '\0';
	m.addr[sizeof(m.addr) - 1] = '\0';
	/* Keys of their own kind, so a login cannot pose as an address. */
	snprintf(akey, sizeof(akey), "addr %s", ch->addr);
	snprintf(ukey, sizeof(ukey), "login %s", m.login);
	switch (m.type) {
	case SFTPD_MSG_AUTH_ASK:
		d1 = sftpd_throttle_check(l->throttle, akey, now);
		d2 = sftpd_throttle_check(l->throttle, ukey, now);
		m.type = SFTPD_MSG_DELAY;
		m.value = (d1 < 0 || d2 < 0) ? -1 : (int)(d1 > d2 ? d1 : d2);
		break;
	case SFTPD_MSG_AUTH_FAIL:
		sftpd_throttle_note(l->throttle, akey, 0, now);
		sftpd_throttle_note(l->throttle, ukey, 0, now);
		return;
	case SFTPD_MSG_AUTH_OK:
		m.type = SFTPD_MSG_GRANT;
		if (ch->authed ||
		    sftpd_config_find(l->cfg, m.login, &srv, &user) == -1) {
			m.value = -2;
			break;
		}
		count = 0;
		TAILQ_FOREACH(o, &l->children, entry)
			if (o->authed && strcmp(o->login, m.login) == 0)
				count++;
		if (count >= l->max_sessions) {
			m.value = -2;
			break;
		}
		sftpd_throttle_note(l->throttle, ukey, 1, now);
		ch->authed = 1;
		strlcpy(ch->login, m.login, sizeof(ch->login));
		ch->slot = srv->disk_limit_mib > 0 ? slot_take(l, srv->name) :
		    -1;
		if (srv->disk_limit_mib > 0 && ch->slot == -1) {
			m.value = -2;
			ch->authed = 0;
			break;
		}
		m.value = ch->slot;
		break;
	default:
		log_warnx("session %ld: bad message %d", (long)ch->pid,
		    m.type);
		kill(ch->pid, SIGTERM);
		child_gone(l, ch);
		return;
	}
	if (send(fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("session %ld", (long)ch->pid);
}

static void
on_inotify(struct ev *ev, int fd, int events, void *arg)
{
	struct listener			*l = arg;
	char				 b[8192]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ie;
	ssize_t				 n;
	char				*p;
	int				 hit = 0;

	while ((n = read(fd, b, sizeof(b))) > 0) {
		for (p = b; p < b + n; p += sizeof(*ie) + ie->len) {
			ie = (const struct inotify_event *)p;
			if (ie->len > 0 && strcmp(ie->name, l->users_base) == 0)
				hit = 1;
		}
	}
	if (hit)
		users_reload(l, "file changed");
}

static void
on_signal(struct ev *ev, int signo, void *arg)
{
	struct listener	*l = arg;
	struct child	*ch, *tmp;
	int		 status;
	pid_t		 pid;

	switch (signo) {
	case SIGHUP:
		users_reload(l, "SIGHUP");
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			TAILQ_FOREACH_SAFE(ch, &l->children, entry, tmp) {
				if (ch->pid != pid)
					continue;
				if (ch->ipc != -1)
					child_gone(l, ch);
				TAILQ_REMOVE(&l->children, ch, entry);
				free(ch);
				break;
			}
		}
		break;
	default:
		log_info("terminating on signal %d", signo);
		TAILQ_FOREACH(ch, &l->children, entry)
			kill(ch->pid, SIGTERM);
		ev_stop(ev);
		break;
	}
}

/* The number optarg gives option what; fatal unless it is min to max. */
static long long
opt_num(const char *what, long long min, long long max)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(optarg, min, max, &errstr);
	if (errstr != NULL)
		fatalx("%s '%s' is %s", what, optarg, errstr);
	return n;
}

int
main(int argc, char *argv[])
{
	struct listener	*l = &L;
	struct rerr	 err;
	const char	*listen_spec = NULL, *hostkey = NULL;
	char		 tmp[PATH_MAX];
	int		 ch, debug = 0, verbose = 0, rc;
	bool		 no = false;
	ssh_key		 key = NULL;
	long long	 base_ms = 1000, lock_s = 900, idle_s = 900;
	long long	 max_sess = 4, grace_s = 20, per_source = 8;
	sigset_t	 hup;

	/*
	 * roostd's first reload may come before the handler exists (it
	 * spawns with SIGHUP blocked for this; others may not): keep it
	 * pending until ev's signalfd, which keeps it blocked, reads it.
	 */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);
	memset(l, 0, sizeof(*l));
	l->startups.begin = 10;
	l->startups.rate = 30;
	l->startups.full = 100;
	while ((ch = getopt(argc, argv, "b:c:dg:k:l:m:S:s:t:vz:")) != -1) {
		switch (ch) {
		case 'b':
			base_ms = opt_num("delay", 1, 60000);
			break;
		case 'c':
			l->users_path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'g':
			grace_s = opt_num("login grace time", 1, 3600);
			break;
		case 'k':
			hostkey = optarg;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'm':
			max_sess = opt_num("sessions", 1, 1000);
			break;
		case 'S':
			per_source = opt_num("connections per source", 1,
			    100000);
			break;
		case 's':
			if (sftpd_startups_parse(optarg, &l->startups) == -1)
				fatalx("'%s' is not begin:rate:full (1 <= "
				    "begin <= full, rate 0-100)", optarg);
			break;
		case 't':
			idle_s = opt_num("idle time", 0, 86400 * 7);
			break;
		case 'v':
			verbose++;
			break;
		case 'z':
			lock_s = opt_num("lock time", 1, 86400 * 7);
			break;
		default:
			usage();
		}
	}
	if (l->users_path == NULL || listen_spec == NULL || hostkey == NULL ||
	    optind != argc)
		usage();
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose + 1);
	log_procinit("listener");
	l->idle_ms = (int)idle_s * 1000;
	l->max_sessions = (int)max_sess;
	l->grace_secs = (int)grace_s;
	l->per_source = (int)per_source;
	TAILQ_INIT(&l->children);
	nofile_raise();

	strlcpy(tmp, l->users_path, sizeof(tmp));
	strlcpy(l->users_dir, dirname(tmp), sizeof(l->users_dir));
	strlcpy(tmp, l->users_path, sizeof(tmp));
	strlcpy(l->users_base, basename(tmp), sizeof(l->users_base));

	rerr_init(&err);
	rc = sftpd_config_load(&l->cfg, l->users_path, &err);
	if (rc == ROOST_ENOTFOUND) {
		l->cfg = xcalloc(1, sizeof(*l->cfg));
		log_warnx("users file '%s' is missing: no logins until it "
		    "is written", l->users_path);
	} else if (rc != 0)
		fatalx("%s", err.msg);

	if (ssh_init() != SSH_OK)
		fatalx("ssh_init failed");
	hostkey_ensure(hostkey);
	if ((l->bind = ssh_bind_new()) == NULL)
		fatalx("ssh_bind_new failed");
	/* Loaded once here; the bind owns the key and every session uses it. */
	if (ssh_pki_import_privkey_file(hostkey, NULL, NULL, NULL, &key) !=
	    SSH_OK)
		fatalx("host key '%s' cannot be read", hostkey);
	if (ssh_bind_options_set(l->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG,
	    &no) != SSH_OK ||
	    ssh_bind_options_set(l->bind, SSH_BIND_OPTIONS_IMPORT_KEY,
	    key) != SSH_OK)
		fatalx("host key '%s': %s", hostkey, ssh_get_error(l->bind));
	l->lfd = listen_on(listen_spec);
	l->throttle = sftpd_throttle_new((uint64_t)base_ms,
	    (uint64_t)lock_s * 1000);
	l->usage = mmap(NULL, sizeof(*l->usage) * SFTPD_USAGE_SLOTS,
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l->usage == MAP_FAILED)
		fatal("mmap");
	if ((l->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		fatal("inotify_init1");
	if (inotify_add_watch(l->ifd, l->users_dir, IN_CLOSE_WRITE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE) == -1)
		fatal("cannot watch '%s'", l->users_dir);
	signal(SIGPIPE, SIG_IGN);

	l->ev = ev_new();
	ev_fd_add(l->ev, l->lfd, EV_READ, on_accept, l);
	ev_fd_add(l->ev, l->ifd, EV_READ, on_inotify, l);
	ev_signal_add(l->ev, SIGHUP, on_signal, l);
	ev_signal_add(l->ev, SIGCHLD, on_signal, l);
	ev_signal_add(l->ev, SIGTERM, on_signal, l);
	ev_signal_add(l->ev, SIGINT, on_signal, l);
	log_info("listening on %s, %zu servers", bound_name(l->lfd, tmp,
	    sizeof(tmp)) ? tmp : listen_spec, l->cfg->nservers);
	ev_run(l->ev);
	return 0;
}
