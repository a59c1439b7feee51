/*
 * sftpd_session: one SFTP session, run in a child forked by the listener
 * for each accepted connection. It does the SSH key exchange, checks the
 * login "user.server" by password (crypt(3)) or public key while the
 * listener throttles failures and caps sessions per user, accepts one
 * session channel with the "sftp" subsystem and refuses everything else
 * (shell, exec, pty, x11, agent and port forwarding), opens the server's
 * root, drops to the server's uid/gid, and serves SFTP.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "log.h"
#include "xmalloc.h"

#include "sftpd.h"

#define MAX_AUTH_TRIES		6
/* Hashed for unknown logins so they take as long as known ones. */
#define DUMMY_HASH	"$y$j9T$HX7baeKmPnr0pXmyzZ3Gl/" \
			"$J1ALIS3DnGWflDbSuCrRJifuoZsKNRuc74RpIybzqE6"

struct sess_ctx {
	const struct sftpd_config	*cfg;
	struct sftpd_usage		*usage_base;
	struct sftpd_sess		 s;
	int				 ipc;
	int				 authed;
	int				 tries;
	int				 give_up;
	int				 sftp;
	ssh_channel			 chan;
	struct ssh_channel_callbacks_struct chan_cb;
};

static int	 ipc_ask(struct sess_ctx *, int, const char *, int *);
static const char *printable(const char *, char *, size_t);
static int	 login_allowed(struct sess_ctx *, const char *);
static void	 login_failed(struct sess_ctx *, const char *, const char *);
static int	 login_succeeded(struct sess_ctx *, const char *, const char *);
static int	 cb_auth_password(ssh_session, const char *, const char *,
		    void *);
static int	 cb_auth_pubkey(ssh_session, const char *,
		    struct ssh_key_struct *, char, void *);
static ssh_channel cb_channel_open(ssh_session, void *);
static int	 cb_subsystem(ssh_session, ssh_channel, const char *, void *);
static int	 cb_pty(ssh_session, ssh_channel, const char *, int, int, int,
		    int, void *);
static int	 cb_shell(ssh_session, ssh_channel, void *);
static int	 cb_exec(ssh_session, ssh_channel, const char *, void *);
static void	 drop_privileges(const struct sftpd_server *);
static void	 session_close(ssh_session, ssh_channel);

/* Sends one message to the listener and, for questions, reads the answer. */
static int
ipc_ask(struct sess_ctx *c, int type, const char *login, int *value)
{
	struct sftpd_msg	 m;
	ssize_t			 n;

	memset(&m, 0, sizeof(m));
	m.type = type;
	strlcpy(m.login, login, sizeof(m.login));
	strlcpy(m.addr, c->s.addr, sizeof(m.addr));
	if (send(c->ipc, &m, sizeof(m), 0) != (ssize_t)sizeof(m))
		fatal("listener gone");
	if (value == NULL)
		return 0;
	do {
		n = recv(c->ipc, &m, sizeof(m), 0);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(m))
		fatalx("listener gone");
	*value = m.value;
	return 0;
}

/* Copies a client-chosen name for a log line, control characters as '?'. */
static const char *
printable(const char *in, char *out, size_t len)
{
	size_t	 i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ?
		    '?' : in[i];
	out[i] = '\0';
	return out;
}

/* Waits out the throttle for login; 0 to go on, -1 when locked. */
static int
login_allowed(struct sess_ctx *c, const char *login)
{
	struct timespec	 ts;
	char		 safe[160];
	int		 delay;

	if (++c->tries > MAX_AUTH_TRIES) {
		c->give_up = 1;
		return -1;
	}
	ipc_ask(c, SFTPD_MSG_AUTH_ASK, login, &delay);
	login = printable(login, safe, sizeof(safe));
	if (delay < 0) {
		log_info("failed login: '%s' from %s: locked after repeated "
		    "failures", login, c->s.addr);
		return -1;
	}
	if (delay > 0) {
		log_debug("login '%s' from %s: waiting %d ms after failures",
		    login, c->s.addr, delay);
		ts.tv_sec = delay / 1000;
		ts.tv_nsec = (long)(delay % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	return 0;
}

static void
login_failed(struct sess_ctx *c, const char *login, const char *reason)
{
	const char	*dot;
	char		 safe[160];

	ipc_ask(c, SFTPD_MSG_AUTH_FAIL, login, NULL);
	login = printable(login, safe, sizeof(safe));
	dot = strrchr(login, '.');
	log_info("failed login: user '%.*s' server '%s' from %s: %s",
	    dot ? (int)(dot - login) : (int)strlen(login), login,
	    dot ? dot + 1 : "", c->s.addr, reason);
}

/* Asks the listener for a session slot; 0 when granted, else -1. */
static int
login_succeeded(struct sess_ctx *c, const char *login, const char *how)
{
	const struct sftpd_server	*srv;
	const struct sftpd_user		*user;
	int				 slot;

	if (sftpd_config_find(c->cfg, login, &srv, &user) == -1)
		return -1;
	ipc_ask(c, SFTPD_MSG_AUTH_OK, login, &slot);
	if (slot < -1) {
		log_info("login '%s' from %s refused: too many sessions of "
		    "this user", login, c->s.addr);
		return -1;
	}
	c->s.srv = srv;
	c->s.user = user;
	strlcpy(c->s.login, login, sizeof(c->s.login));
	if (slot >= 0 && slot < SFTPD_USAGE_SLOTS)
		c->s.usage = &c->usage_base[slot];
	c->s.limit = (int64_t)(srv->disk_limit_mib * 1024 * 1024);
	c->authed = 1;
	log_info("login: user '%s' server '%s' from %s by %s", user->name,
	    srv->name, c->s.addr, how);
	return 0;
}

static int
cb_auth_password(ssh_session session, const char *login, const char *pw,
    void *arg)
{
	struct sess_ctx			*c = arg;
	const struct sftpd_server	*srv;
	const struct sftpd_user		*user;

	if (c->authed || login_allowed(c, login) == -1)
		return SSH_AUTH_DENIED;
	if (sftpd_config_find(c->cfg, login, &srv, &user) == -1) {
		sftpd_auth_password(DUMMY_HASH, pw);
		login_failed(c, login, "no such user");
		return SSH_AUTH_DENIED;
	}
	if (user->password == NULL) {
		sftpd_auth_password(DUMMY_HASH, pw);
		login_failed(c, login, "user has no password");
		return SSH_AUTH_DENIED;
	}
	if (!sftpd_auth_password(user->password, pw)) {
		login_failed(c, login, "wrong password");
		return SSH_AUTH_DENIED;
	}
	if (login_succeeded(c, login, "password") == -1)
		return SSH_AUTH_DENIED;
	return SSH_AUTH_SUCCESS;
}

static int
cb_auth_pubkey(ssh_session session, const char *login,
    struct ssh_key_struct *key, char state, void *arg)
{
	struct sess_ctx			*c = arg;
	const struct sftpd_server	*srv;
	const struct sftpd_user		*user;
	const char			*type;
	char				*b64 = NULL;
	int				 listed = 0;

	if (c->authed)
		return SSH_AUTH_DENIED;
	if (sftpd_config_find(c->cfg, login, &srv, &user) == 0 &&
	    (type = ssh_key_type_to_char(ssh_key_type(key))) != NULL &&
	    ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK)
		listed = sftpd_auth_key_listed(user->keys, user->nkeys, type,
		    b64);
	ssh_string_free_char(b64);
	/* A probe only asks whether the key would do; it is not counted. */
	if (state == SSH_PUBLICKEY_STATE_NONE)
		return listed ? SSH_AUTH_SUCCESS : SSH_AUTH_DENIED;
	if (login_allowed(c, login) == -1)
		return SSH_AUTH_DENIED;
	if (state != SSH_PUBLICKEY_STATE_VALID || !listed) {
		login_failed(c, login, state != SSH_PUBLICKEY_STATE_VALID ?
		    "bad key signature" : "key not listed");
		return SSH_AUTH_DENIED;
	}
	if (login_succeeded(c, login, "public key") == -1)
		return SSH_AUTH_DENIED;
	return SSH_AUTH_SUCCESS;
}

static ssh_channel
cb_channel_open(ssh_session session, void *arg)
{
	struct sess_ctx	*c = arg;

	if (!c->authed || c->chan != NULL)
		return NULL;
	if ((c->chan = ssh_channel_new(session)) == NULL)
		return NULL;
	ssh_callbacks_init(&c->chan_cb);
	c->chan_cb.userdata = c;
	c->chan_cb.channel_subsystem_request_function = cb_subsystem;
	c->chan_cb.channel_pty_request_function = cb_pty;
	c->chan_cb.channel_shell_request_function = cb_shell;
	c->chan_cb.channel_exec_request_function = cb_exec;
	ssh_set_channel_callbacks(c->chan, &c->chan_cb);
	return c->chan;
}

static int
cb_subsystem(ssh_session session, ssh_channel chan, const char *name,
    void *arg)
{
	struct sess_ctx	*c = arg;

	if (strcmp(name, "sftp") == 0 && !c->sftp) {
		c->sftp = 1;
		return 0;
	}
	log_info("refused: user '%s' server '%s' from %s: subsystem '%s'",
	    c->s.user->name, c->s.srv->name, c->s.addr, name);
	return -1;
}

static int
cb_pty(ssh_session session, ssh_channel chan, const char *term, int w,
    int h, int pw, int ph, void *arg)
{
	struct sess_ctx	*c = arg;

	log_info("refused: user '%s' server '%s' from %s: pty", c->s.user->name,
	    c->s.srv->name, c->s.addr);
	return -1;
}

static int
cb_shell(ssh_session session, ssh_channel chan, void *arg)
{
	struct sess_ctx	*c = arg;

	log_info("refused: user '%s' server '%s' from %s: shell",
	    c->s.user->name, c->s.srv->name, c->s.addr);
	return -1;
}

static int
cb_exec(ssh_session session, ssh_channel chan, const char *cmd, void *arg)
{
	struct sess_ctx	*c = arg;

	log_info("refused: user '%s' server '%s' from %s: exec",
	    c->s.user->name, c->s.srv->name, c->s.addr);
	return -1;
}

static void
drop_privileges(const struct sftpd_server *srv)
{
	if (geteuid() != 0)
		return;
	if (srv->uid == 0 || srv->gid == 0)
		fatalx("server '%s': refusing to serve files as root",
		    srv->name);
	if (setgroups(0, NULL) == -1 ||
	    setresgid(srv->gid, srv->gid, srv->gid) == -1 ||
	    setresuid(srv->uid, srv->uid, srv->uid) == -1)
		fatal("cannot drop privileges to %u:%u", (unsigned)srv->uid,
		    (unsigned)srv->gid);
	if (setuid(0) != -1)
		fatalx("privileges could be regained");
}

/*
 * Ends the channel the way sshd does (exit status, EOF, close) and gives
 * the client a moment to close the connection itself.
 */
static void
session_close(ssh_session session, ssh_channel chan)
{
	ssh_event	 ev;
	int		 i;

	if (ssh_channel_is_open(chan)) {
		ssh_channel_request_send_exit_status(chan, 0);
		ssh_channel_send_eof(chan);
		ssh_channel_close(chan);
	}
	ev = ssh_event_new();
	ssh_event_add_session(ev, session);
	for (i = 0; i < 20; i++) {
		if (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
			break;
		if (ssh_event_dopoll(ev, 100) == SSH_ERROR)
			break;
	}
	ssh_event_remove_session(ev, session);
	ssh_event_free(ev);
	ssh_disconnect(session);
}

/*
 * Runs the session on socket fd (taken) with the host key of bind;
 * reports to the listener on ipc. Ends the process.
 */
void
sftpd_session_run(void *bind, int fd, int ipc, const struct sftpd_config *cfg,
    const char *addr, int grace_secs, int idle_ms, struct sftpd_usage *usage)
{
	struct ssh_server_callbacks_struct	 cb;
	struct sess_ctx				 c;
	ssh_session				 session;
	ssh_event				 ev;
	int					 rc;

	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	c.ipc = ipc;
	c.usage_base = usage;
	c.s.rootfd = -1;
	c.s.idle_ms = idle_ms;
	strlcpy(c.s.addr, addr, sizeof(c.s.addr));
	umask(022);
	/* Key exchange and login together; SIGALRM ends the process. */
	alarm((unsigned int)grace_secs);

	if ((session = ssh_new()) == NULL)
		fatalx("ssh_new failed");
	if (ssh_bind_accept_fd(bind, session, fd) != SSH_OK)
		fatalx("accept from %s: %s", addr, ssh_get_error(bind));
	memset(&cb, 0, sizeof(cb));
	ssh_callbacks_init(&cb);
	cb.userdata = &c;
	cb.auth_password_function = cb_auth_password;
	cb.auth_pubkey_function = cb_auth_pubkey;
	cb.channel_open_request_session_function = cb_channel_open;
	ssh_set_server_callbacks(session, &cb);
	ssh_set_auth_methods(session, SSH_AUTH_METHOD_PASSWORD |
	    SSH_AUTH_METHOD_PUBLICKEY);
	if (ssh_handle_key_exchange(session) != SSH_OK) {
		log_debug("key exchange with %s failed: %s", addr,
		    ssh_get_error(session));
		_exit(1);
	}
	ev = ssh_event_new();
	ssh_event_add_session(ev, session);
	while (!c.sftp && !c.give_up) {
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR)
			break;
		if (ssh_get_status(session) & (SSH_CLOSED | SSH_CLOSED_ERROR))
			break;
	}
	ssh_event_remove_session(ev, session);
	ssh_event_free(ev);
	if (!c.sftp) {
		if (c.give_up)
			log_info("login from %s: too many attempts", addr);
		ssh_disconnect(session);
		_exit(0);
	}
	alarm(0);

	if ((c.s.rootfd = sftpd_fs_open_root(c.s.srv->root)) == -1) {
		log_warn("server '%s': cannot open '%s'", c.s.srv->name,
		    c.s.srv->root);
		ssh_disconnect(session);
		_exit(1);
	}
	/* the backups are root's: opened before the ids drop */
	if (c.s.srv->backups != NULL && (c.s.user->perms & SFTPD_PERM_READ))
		c.s.bk = sftpd_bk_open(c.s.srv->backups);
	drop_privileges(c.s.srv);
	if (sftpd_fs_usage_init(&c.s) == -1)
		log_warn("server '%s': cannot count disk usage",
		    c.s.srv->name);
	rc = sftpd_proto_serve(&c.s, c.chan);
	sftpd_bk_free(c.s.bk);
	log_info("logout: user '%s' server '%s' from %s", c.s.user->name,
	    c.s.srv->name, addr);
	session_close(session, c.chan);
	_exit(rc == 0 ? 0 : 1);
}
