/*
 * sftp_attack: a test client that tries to get out of a roost-sftpd
 * server directory with requests the OpenSSH sftp tool cannot make
 * (libssh's SFTP client API plus raw SFTP packets for names holding NUL
 * bytes and for unadvertised extensions). Used by t3001-sftp-escape.sh.
 *
 *	sftp_attack hash PASSWORD
 *	    prints a yescrypt hash of PASSWORD
 *	sftp_attack attack PORT LOGIN KEYFILE OUTSIDE_ABS
 *	    runs every attack against 127.0.0.1:PORT as LOGIN (public key in
 *	    KEYFILE) and prints one "refused: ..." or "ESCAPED: ..." line
 *	    each, then "attacks: N refused: M"; exits 0 when all refused
 *	sftp_attack race PORT LOGIN KEYFILE PATH SECRET N
 *	    reads PATH N times and fails if any read returns SECRET
 *	sftp_attack users-write PATH SERVER ROOT UID GID LIMIT_MIB USER HASH
 *	    PUBKEYFILE PERMS
 *	    writes a users file for one server and user through roostd's
 *	    sftpd_users_write() (PERMS: comma-separated, denylist "*.jar")
 *	sftp_attack put PORT LOGIN KEYFILE LOCAL REMOTE
 *	    uploads LOCAL in 32 KiB writes; on failure prints the server's
 *	    message and exits 1
 *
 * The server layout the attacks expect is made by the test script.
 */
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "rerr.h"
#include "sftpd.h"

static int	 n_attacks, n_refused;

static void
verdict(int refused, const char *what)
{
	n_attacks++;
	if (refused)
		n_refused++;
	printf("%s: %s\n", refused ? "refused" : "ESCAPED", what);
	fflush(stdout);
}

static ssh_session
connect_key(const char *port, const char *login, const char *keyfile)
{
	ssh_session	 s;
	ssh_key		 key;
	int		 verbosity = 0;

	if ((s = ssh_new()) == NULL)
		exit(2);
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT_STR, port);
	ssh_options_set(s, SSH_OPTIONS_USER, login);
	ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
	if (ssh_connect(s) != SSH_OK) {
		fprintf(stderr, "connect: %s\n", ssh_get_error(s));
		exit(2);
	}
	if (ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL, &key) !=
	    SSH_OK) {
		fprintf(stderr, "cannot read key %s\n", keyfile);
		exit(2);
	}
	if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS) {
		fprintf(stderr, "auth: %s\n", ssh_get_error(s));
		exit(2);
	}
	ssh_key_free(key);
	return s;
}

static sftp_session
sftp_start(ssh_session s)
{
	sftp_session	 sftp;

	if ((sftp = sftp_new(s)) == NULL || sftp_init(sftp) != SSH_OK) {
		fprintf(stderr, "sftp: %s\n", ssh_get_error(s));
		exit(2);
	}
	return sftp;
}

/* Tries to read path; refused when it cannot be opened or read. */
static void
try_read(sftp_session sftp, const char *path, const char *what)
{
	sftp_file	 f;
	char		 b[64];

	if ((f = sftp_open(sftp, path, O_RDONLY, 0)) == NULL) {
		verdict(1, what);
		return;
	}
	verdict(sftp_read(f, b, sizeof(b)) < 0, what);
	sftp_close(f);
}

static void
try_write(sftp_session sftp, const char *path, int flags, const char *what)
{
	sftp_file	 f;

	if ((f = sftp_open(sftp, path, O_WRONLY | flags, 0644)) == NULL) {
		verdict(1, what);
		return;
	}
	verdict(sftp_write(f, "PWNED\n", 6) < 0, what);
	sftp_close(f);
}

/* Raw SFTP over a channel, for requests libssh's client cannot send. */
struct raw {
	ssh_channel	 ch;
	unsigned char	 b[65536];
	size_t		 len;
	unsigned int	 id;
};

static void
raw_u32(struct raw *r, unsigned int v)
{
	r->b[r->len++] = (unsigned char)(v >> 24);
	r->b[r->len++] = (unsigned char)(v >> 16);
	r->b[r->len++] = (unsigned char)(v >> 8);
	r->b[r->len++] = (unsigned char)v;
}

static void
raw_str(struct raw *r, const char *s, size_t n)
{
	raw_u32(r, (unsigned int)n);
	memcpy(r->b + r->len, s, n);
	r->len += n;
}

static void
raw_begin(struct raw *r, int type)
{
	r->len = 0;
	raw_u32(r, 0);
	r->b[r->len++] = (unsigned char)type;
	if (type != 1)
		raw_u32(r, ++r->id);
}

/* Sends the packet and returns the reply type (status code in *code). */
static int
raw_call(struct raw *r, unsigned int *code)
{
	unsigned char	 h[4], *p;
	unsigned int	 n, len = (unsigned int)r->len - 4;
	int		 got = 0, k;

	r->b[0] = (unsigned char)(len >> 24);
	r->b[1] = (unsigned char)(len >> 16);
	r->b[2] = (unsigned char)(len >> 8);
	r->b[3] = (unsigned char)len;
	if (ssh_channel_write(r->ch, r->b, (uint32_t)r->len) != (int)r->len)
		return -1;
	while (got < 4) {
		if ((k = ssh_channel_read(r->ch, h + got, 4 - got, 0)) <= 0)
			return -1;
		got += k;
	}
	n = (unsigned int)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
	if (n > sizeof(r->b))
		return -1;
	p = r->b;
	for (got = 0; got < (int)n; got += k)
		if ((k = ssh_channel_read(r->ch, p + got, n - got, 0)) <= 0)
			return -1;
	*code = n >= 9 ? (unsigned int)p[5] << 24 | p[6] << 16 | p[7] << 8 |
	    p[8] : 0;
	return p[0];
}

static void
raw_attacks(const char *port, const char *login, const char *keyfile)
{
	static const char nul_name[] = "hello.txt\0/../../../etc/passwd";
	static const char nl_name[] = "evil\nname.txt";
	struct raw	*r;
	ssh_session	 s;
	unsigned int	 code;
	int		 t;

	s = connect_key(port, login, keyfile);
	r = calloc(1, sizeof(*r));
	if ((r->ch = ssh_channel_new(s)) == NULL ||
	    ssh_channel_open_session(r->ch) != SSH_OK ||
	    ssh_channel_request_subsystem(r->ch, "sftp") != SSH_OK) {
		fprintf(stderr, "raw channel: %s\n", ssh_get_error(s));
		exit(2);
	}
	raw_begin(r, 1);
	raw_u32(r, 3);
	if (raw_call(r, &code) != 2)
		exit(2);

	/* OPEN of a name with a NUL byte in it, for reading. */
	raw_begin(r, 3);
	raw_str(r, nul_name, sizeof(nul_name) - 1);
	raw_u32(r, 0x01);
	raw_u32(r, 0);
	t = raw_call(r, &code);
	verdict(t == 101 && code != 0, "open of a name holding a NUL byte");

	/* OPEN with create of a name holding a newline. */
	raw_begin(r, 3);
	raw_str(r, nl_name, sizeof(nl_name) - 1);
	raw_u32(r, 0x02 | 0x08);
	raw_u32(r, 0);
	t = raw_call(r, &code);
	verdict(t == 101 && code != 0, "create of a name holding a newline");

	/* MKDIR of a name holding a newline. */
	raw_begin(r, 14);
	raw_str(r, "new\nline", 8);
	raw_u32(r, 0);
	t = raw_call(r, &code);
	verdict(t == 101 && code != 0, "mkdir of a name holding a newline");

	/* RENAME to a name with a NUL byte. */
	raw_begin(r, 18);
	raw_str(r, "hello.txt", 9);
	raw_str(r, nul_name, sizeof(nul_name) - 1);
	t = raw_call(r, &code);
	verdict(t == 101 && code != 0, "rename to a name holding a NUL byte");

	/* hardlink@openssh.com to an outside file (not offered). */
	raw_begin(r, 200);
	raw_str(r, "hardlink@openssh.com", 20);
	raw_str(r, "abs_secret", 10);
	raw_str(r, "hl2", 3);
	t = raw_call(r, &code);
	verdict(t == 101 && code != 0, "hardlink@openssh.com extension");

	/* A packet claiming a huge length: the session must end. */
	r->len = 0;
	raw_u32(r, 0x7fffffff);
	r->b[r->len++] = 3;
	raw_u32(r, 99);
	ssh_channel_write(r->ch, r->b, (uint32_t)r->len);
	verdict(raw_call(r, &code) == -1, "packet with a 2 GiB length");
	ssh_channel_free(r->ch);
	free(r);
	ssh_disconnect(s);
	ssh_free(s);
}

/* Reads and writes that must be refused: path, (flags,) what it tries. */
static const struct {
	const char	*path, *what;
} read_attacks[] = {
	{ "../../outside/secret", "read ../../outside/secret" },
	{ "/../../../etc/passwd", "read /../../../etc/passwd" },
	{ "../../../../../../../../etc/shadow",
	    "read ../../../../../../../../etc/shadow" },
	{ "etc_link/passwd", "read through a symlink to /etc" },
	{ "abs_secret", "read a symlink to an outside file" },
	{ "rel_secret", "read a relative symlink leading out" },
	{ "dir_link/secret", "read through a symlink to an outside directory" },
	{ "other_link/b.txt", "read through a symlink into another server" },
	{ "hl", "read a hard link to an outside file" },
};
static const struct {
	const char	*path;
	int		 flags;
	const char	*what;
} write_attacks[] = {
	{ "hl", O_TRUNC, "truncate a hard link to an outside file" },
	{ "abs_secret", O_TRUNC, "write through a symlink to an outside file" },
	{ "dir_link/pwned", O_CREAT,
	    "create through a symlink to an outside directory" },
	{ "etc_link/roost-pwned", O_CREAT, "create in /etc through a symlink" },
	{ "../../outside/pwned", O_CREAT, "create ../../outside/pwned" },
	{ "dangling", O_CREAT,
	    "create through a dangling symlink pointing outside" },
};
/* Renames and symlinks that must be refused: op(a, b), what it tries. */
static const struct {
	int		(*op)(sftp_session, const char *, const char *);
	const char	*a, *b, *what;
} link_attacks[] = {
	{ sftp_rename, "hello.txt", "../../outside/moved",
	    "rename to ../../outside/moved" },
	{ sftp_rename, "hello.txt", "dir_link/moved",
	    "rename into a symlink to an outside directory" },
	{ sftp_rename, "dir_link/secret", "stolen",
	    "rename an outside file in" },
	{ sftp_rename, "/", "rootmoved", "rename the root" },
	/* libssh sends (link, target) to servers it does not know as OpenSSH */
	{ sftp_symlink, "mylink1", "../../outside/secret",
	    "symlink to ../../outside/secret" },
	{ sftp_symlink, "mylink2", "/etc/passwd", "symlink to /etc/passwd" },
	{ sftp_symlink, "dir_link/mylink3", "x",
	    "symlink placed in an outside directory" },
	{ sftp_symlink, "sub/mylink4", "../../x",
	    "symlink from a subdirectory climbing out" },
};

static int
attack(const char *port, const char *login, const char *keyfile,
    const char *outside)
{
	ssh_session	 s;
	sftp_session	 sftp;
	sftp_attributes	 a;
	sftp_dir	 d;
	struct sftp_attributes_struct attr;
	char		 path[8192];
	size_t		 i;
	int		 found;

	s = connect_key(port, login, keyfile);
	sftp = sftp_start(s);

	for (i = 0; i < sizeof(read_attacks) / sizeof(read_attacks[0]); i++)
		try_read(sftp, read_attacks[i].path, read_attacks[i].what);
	snprintf(path, sizeof(path), "%s/secret", outside);
	try_read(sftp, path, "read the absolute path of OUTSIDE/secret");
	snprintf(path, sizeof(path), "/..//.//../%s/secret", outside);
	try_read(sftp, path, "read /..//.//../OUTSIDE/secret");
	for (i = 0; i < sizeof(write_attacks) / sizeof(write_attacks[0]); i++)
		try_write(sftp, write_attacks[i].path, write_attacks[i].flags,
		    write_attacks[i].what);

	verdict(sftp_stat(sftp, "abs_secret") == NULL, "stat through a "
	    "symlink leading out");
	verdict(sftp_lstat(sftp, "dir_link/secret") == NULL, "lstat through "
	    "a symlink to an outside directory");
	verdict(sftp_opendir(sftp, "etc_link") == NULL, "list a symlink to "
	    "/etc");
	verdict(sftp_opendir(sftp, "dir_link") == NULL, "list a symlink to "
	    "an outside directory");
	found = 0;
	if ((d = sftp_opendir(sftp, "../..")) != NULL) {
		while ((a = sftp_readdir(sftp, d)) != NULL) {
			if (strcmp(a->name, "outside") == 0 ||
			    strcmp(a->name, "srv") == 0)
				found = 1;
			sftp_attributes_free(a);
		}
		sftp_closedir(d);
	}
	verdict(!found, "list ../.. shows only the server directory");

	memset(&attr, 0, sizeof(attr));
	attr.flags = SSH_FILEXFER_ATTR_PERMISSIONS;
	attr.permissions = 0777;
	verdict(sftp_setstat(sftp, "abs_secret", &attr) < 0, "chmod through "
	    "a symlink to an outside file");
	verdict(sftp_setstat(sftp, "hl", &attr) < 0, "chmod a hard link to "
	    "an outside file");
	verdict(sftp_setstat(sftp, "dir_link/secret", &attr) < 0, "chmod "
	    "through a symlink to an outside directory");
	attr.flags = SSH_FILEXFER_ATTR_UIDGID;
	attr.uid = 0;
	attr.gid = 0;
	verdict(sftp_setstat(sftp, "hello.txt", &attr) < 0, "chown to root");

	for (i = 0; i < sizeof(link_attacks) / sizeof(link_attacks[0]); i++)
		verdict(link_attacks[i].op(sftp, link_attacks[i].a,
		    link_attacks[i].b) < 0, link_attacks[i].what);
	verdict(sftp_mkdir(sftp, "dir_link/newdir", 0755) < 0, "mkdir in a "
	    "symlink to an outside directory");
	verdict(sftp_mkdir(sftp, "etc_link/newdir", 0755) < 0, "mkdir in "
	    "/etc through a symlink");
	verdict(sftp_unlink(sftp, "dir_link/secret") < 0, "remove an outside "
	    "file through a symlink");
	verdict(sftp_unlink(sftp, "other_link/b.txt") < 0, "remove another "
	    "server's file through a symlink");
	verdict(sftp_rmdir(sftp, "dir_link/sub") < 0, "rmdir an outside "
	    "directory through a symlink");
	verdict(sftp_rmdir(sftp, "/") < 0, "rmdir the root");
	verdict(sftp_rmdir(sftp, "..") < 0, "rmdir ..");

	for (i = 0; i < 1100; i++)
		memcpy(path + i * 3, "a/.", 3);
	memcpy(path + 1100 * 3, "/x", 3);
	verdict(sftp_open(sftp, path, O_WRONLY | O_CREAT, 0644) == NULL,
	    "a 3300-byte path");
	memset(path, 'n', 300);
	path[300] = '\0';
	verdict(sftp_open(sftp, path, O_WRONLY | O_CREAT, 0644) == NULL,
	    "a 300-byte file name");
	for (i = 0; i < 2000; i++)
		memcpy(path + i * 3, "../", 3);
	memcpy(path + 6000, "etc/passwd", 11);
	try_read(sftp, path, "read 2000 ../ then etc/passwd");

	sftp_free(sftp);
	ssh_disconnect(s);
	ssh_free(s);
	raw_attacks(port, login, keyfile);
	printf("attacks: %d refused: %d\n", n_attacks, n_refused);
	return n_attacks == n_refused ? 0 : 1;
}

static int
race(const char *port, const char *login, const char *keyfile,
    const char *path, const char *secret, int n)
{
	ssh_session	 s;
	sftp_session	 sftp;
	sftp_file	 f;
	char		 b[256];
	int		 i, k, leaks = 0, reads = 0;

	s = connect_key(port, login, keyfile);
	sftp = sftp_start(s);
	for (i = 0; i < n; i++) {
		if ((f = sftp_open(sftp, path, O_RDONLY, 0)) == NULL)
			continue;
		if ((k = sftp_read(f, b, sizeof(b) - 1)) > 0) {
			b[k] = '\0';
			reads++;
			if (strstr(b, secret) != NULL)
				leaks++;
		}
		sftp_close(f);
	}
	sftp_free(sftp);
	ssh_disconnect(s);
	ssh_free(s);
	printf("race: %d tries, %d inside reads, %d leaks\n", n, reads, leaks);
	return leaks == 0 ? 0 : 1;
}

static int
put(const char *port, const char *login, const char *keyfile,
    const char *local, const char *remote)
{
	ssh_session	 s;
	sftp_session	 sftp;
	sftp_file	 f;
	char		 b[32768];
	ssize_t		 n;
	int		 fd, rc = 0;

	if ((fd = open(local, O_RDONLY)) == -1)
		return 2;
	s = connect_key(port, login, keyfile);
	sftp = sftp_start(s);
	if ((f = sftp_open(sftp, remote, O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) == NULL) {
		printf("open failed: %s\n", ssh_get_error(s));
		rc = 1;
	} else {
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (sftp_write(f, b, (size_t)n) != n) {
				printf("write failed: %s\n", ssh_get_error(s));
				rc = 1;
				break;
			}
		sftp_close(f);
	}
	close(fd);
	sftp_free(sftp);
	ssh_disconnect(s);
	ssh_free(s);
	return rc;
}

static int
users_write(char **av)
{
	struct sftpd_server	 srv;
	struct sftpd_user	 u;
	struct rerr		 err;
	const char		*deny[] = { "*.jar" }, *keys[1];
	char			 key[4096];
	FILE			*f;

	if ((f = fopen(av[8], "r")) == NULL || fgets(key, sizeof(key), f) ==
	    NULL)
		return 2;
	fclose(f);
	key[strcspn(key, "\n")] = '\0';
	keys[0] = key;
	memset(&u, 0, sizeof(u));
	u.name = av[6];
	u.password = av[7];
	u.keys = keys;
	u.nkeys = 1;
	u.perms = (strstr(av[9], "read") ? SFTPD_PERM_READ : 0) |
	    (strstr(av[9], "write") ? SFTPD_PERM_WRITE : 0) |
	    (strstr(av[9], "delete") ? SFTPD_PERM_DELETE : 0);
	memset(&srv, 0, sizeof(srv));
	srv.name = av[1];
	srv.root = av[2];
	srv.uid = (uid_t)atoi(av[3]);
	srv.gid = (gid_t)atoi(av[4]);
	srv.disk_limit_mib = (uint64_t)atoll(av[5]);
	srv.denylist = deny;
	srv.ndenylist = 1;
	srv.users = &u;
	srv.nusers = 1;
	rerr_init(&err);
	if (sftpd_users_write(av[0], &srv, 1, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct crypt_data	 cd;
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];

	if (argc == 3 && strcmp(argv[1], "hash") == 0) {
		memset(&cd, 0, sizeof(cd));
		if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt,
		    sizeof(salt)) == NULL ||
		    crypt_rn(argv[2], salt, &cd, sizeof(cd)) == NULL)
			return 2;
		printf("%s\n", cd.output);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "attack") == 0)
		return attack(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 8 && strcmp(argv[1], "race") == 0)
		return race(argv[2], argv[3], argv[4], argv[5], argv[6],
		    atoi(argv[7]));
	if (argc == 12 && strcmp(argv[1], "users-write") == 0)
		return users_write(argv + 2);
	if (argc == 7 && strcmp(argv[1], "put") == 0)
		return put(argv[2], argv[3], argv[4], argv[5], argv[6]);
	fprintf(stderr, "usage: sftp_attack hash PASSWORD | attack PORT LOGIN "
	    "KEY OUTSIDE | race PORT LOGIN KEY PATH SECRET N | put PORT LOGIN "
	    "KEY LOCAL REMOTE | users-write ...\n");
	return 2;
}
