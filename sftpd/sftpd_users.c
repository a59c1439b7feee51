/*
 * sftpd_users: the SFTP users file shared by roostd (writer) and
 * roost-sftpd (reader). A JSON document listing each game server with its
 * directory, owner ids, disk limit, denylist and users; the format is
 * described in docs/sftp.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

#include "sftpd.h"

#define USERS_MAX_BYTES	(64 * 1024 * 1024)

static int	 name_ok(const char *, int);
static int	 perms_parse(const cJSON *, int *, const char *,
		    struct rerr *);
static int	 strings_parse(const cJSON *, const char ***, size_t *,
		    const char *, struct rerr *);
static int	 server_parse(const cJSON *, struct sftpd_server *,
		    struct rerr *);
static void	 server_dispose(struct sftpd_server *);
static int	 strings_equal(const char **, size_t, const char **, size_t);

/* Server names take no dot, so the last dot of a login splits it. */
static int
name_ok(const char *s, int dots)
{
	size_t	 i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 63)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    (s[i] == '-' && i > 0) || (dots && s[i] == '.' && i > 0))
			continue;
		return 0;
	}
	return 1;
}

static int
perms_parse(const cJSON *arr, int *out, const char *what, struct rerr *err)
{
	const cJSON	*it;
	int		 p = 0;

	if (arr == NULL) {
		*out = SFTPD_PERM_READ | SFTPD_PERM_WRITE | SFTPD_PERM_DELETE;
		return 0;
	}
	if (!cJSON_IsArray(arr))
		return rerr_set(err, ROOST_EINVAL,
		    "%s: permissions must be a list", what);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return rerr_set(err, ROOST_EINVAL,
			    "%s: permissions must be strings", what);
		if (strcmp(it->valuestring, "read") == 0)
			p |= SFTPD_PERM_READ;
		else if (strcmp(it->valuestring, "write") == 0)
			p |= SFTPD_PERM_WRITE;
		else if (strcmp(it->valuestring, "delete") == 0)
			p |= SFTPD_PERM_DELETE;
		else
			return rerr_set(err, ROOST_EINVAL,
			    "%s: unknown permission '%s'", what,
			    it->valuestring);
	}
	*out = p;
	return 0;
}

static int
strings_parse(const cJSON *arr, const char ***out, size_t *n,
    const char *what, struct rerr *err)
{
	const cJSON	*it;
	const char	**v;
	size_t		 i = 0;

	*out = NULL;
	*n = 0;
	if (arr == NULL || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return rerr_set(err, ROOST_EINVAL, "%s must be a list", what);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return rerr_set(err, ROOST_EINVAL,
			    "%s must hold strings", what);
	}
	v = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*v));
	cJSON_ArrayForEach(it, arr)
		v[i++] = xstrdup(it->valuestring);
	*out = v;
	*n = i;
	return 0;
}

static int
server_parse(const cJSON *js, struct sftpd_server *srv, struct rerr *err)
{
	const cJSON	*users, *u, *bk;
	const char	*name, *root, *uname, *pw;
	char		 what[160];
	int64_t		 uid, gid, lim;
	size_t		 i;
	int		 rc;

	name = json_str(js, "name", NULL);
	if (!name_ok(name, 0))
		return rerr_set(err, ROOST_EINVAL, "server name '%s' is not "
		    "valid", name ? name : "");
	srv->name = xstrdup(name);
	root = json_str(js, "root", NULL);
	if (root == NULL || root[0] != '/')
		return rerr_set(err, ROOST_EINVAL, "server '%s': root must be "
		    "an absolute path", name);
	srv->root = xstrdup(root);
	uid = json_int64(js, "uid", -1);
	gid = json_int64(js, "gid", -1);
	if (uid < 0 || gid < 0 || uid > UINT32_MAX - 1 || gid > UINT32_MAX - 1)
		return rerr_set(err, ROOST_EINVAL, "server '%s': uid and gid "
		    "must be numbers", name);
	srv->uid = (uid_t)uid;
	srv->gid = (gid_t)gid;
	lim = json_int64(js, "diskLimitMiB", 0);
	if (lim < 0 || lim > (INT64_MAX >> 21))
		return rerr_set(err, ROOST_EINVAL, "server '%s': diskLimitMiB "
		    "out of range", name);
	srv->disk_limit_mib = (uint64_t)lim;
	if ((bk = cJSON_GetObjectItemCaseSensitive(js, "backups")) != NULL &&
	    !cJSON_IsNull(bk)) {
		if (!cJSON_IsString(bk) || bk->valuestring[0] != '/')
			return rerr_set(err, ROOST_EINVAL, "server '%s': "
			    "backups must be an absolute path", name);
		srv->backups = xstrdup(bk->valuestring);
	}
	snprintf(what, sizeof(what), "server '%s': denylist", name);
	if ((rc = strings_parse(cJSON_GetObjectItemCaseSensitive(js,
	    "denylist"), &srv->denylist, &srv->ndenylist, what, err)) != 0)
		return rc;
	users = cJSON_GetObjectItemCaseSensitive(js, "users");
	if (users != NULL && !cJSON_IsArray(users))
		return rerr_set(err, ROOST_EINVAL, "server '%s': users must "
		    "be a list", name);
	srv->users = xcalloc((size_t)cJSON_GetArraySize(users) + 1,
	    sizeof(*srv->users));
	cJSON_ArrayForEach(u, users) {
		struct sftpd_user *su = &srv->users[srv->nusers];

		uname = json_str(u, "user", NULL);
		if (!name_ok(uname, 1))
			return rerr_set(err, ROOST_EINVAL, "server '%s': user "
			    "name '%s' is not valid", name, uname ? uname : "");
		for (i = 0; i < srv->nusers; i++)
			if (strcmp(srv->users[i].name, uname) == 0)
				return rerr_set(err, ROOST_EINVAL, "server "
				    "'%s': user '%s' listed twice", name,
				    uname);
		srv->nusers++;
		su->name = xstrdup(uname);
		pw = json_str(u, "password", NULL);
		if (pw != NULL && pw[0] != '\0') {
			if (pw[0] != '$')
				return rerr_set(err, ROOST_EINVAL, "user "
				    "'%s.%s': password must be a crypt(3) hash",
				    uname, name);
			su->password = xstrdup(pw);
		}
		snprintf(what, sizeof(what), "user '%s.%s': keys", uname, name);
		if ((rc = strings_parse(cJSON_GetObjectItemCaseSensitive(u,
		    "keys"), &su->keys, &su->nkeys, what, err)) != 0)
			return rc;
		snprintf(what, sizeof(what), "user '%s.%s'", uname, name);
		if ((rc = perms_parse(cJSON_GetObjectItemCaseSensitive(u,
		    "permissions"), &su->perms, what, err)) != 0)
			return rc;
	}
	return 0;
}

static void
server_dispose(struct sftpd_server *srv)
{
	size_t	 i, j;

	free((char *)srv->name);
	free((char *)srv->root);
	free((char *)srv->backups);
	for (i = 0; i < srv->ndenylist; i++)
		free((char *)srv->denylist[i]);
	free(srv->denylist);
	for (i = 0; i < srv->nusers; i++) {
		free((char *)srv->users[i].name);
		free((char *)srv->users[i].password);
		for (j = 0; j < srv->users[i].nkeys; j++)
			free((char *)srv->users[i].keys[j]);
		free(srv->users[i].keys);
	}
	free(srv->users);
}

/*
 * Reads the users file at path into *out (owned by the caller, freed
 * with sftpd_config_free). Returns 0, ROOST_ENOTFOUND when the file is
 * missing, ROOST_EINVAL when it is not a valid users file, or -1.
 */
int
sftpd_config_load(struct sftpd_config **out, const char *path,
    struct rerr *err)
{
	struct sftpd_config	*cfg;
	struct buf		 b;
	cJSON			*doc = NULL;
	const cJSON		*servers, *it;
	size_t			 i;
	int			 rc;

	*out = NULL;
	buf_init(&b, USERS_MAX_BYTES);
	if ((rc = util_read_file(path, &b, err)) != 0) {
		buf_dispose(&b);
		return rc;
	}
	rc = json_parse(&doc, buf_str(&b), b.len, path, err);
	buf_dispose(&b);
	if (rc != 0)
		return rc;
	cfg = xcalloc(1, sizeof(*cfg));
	servers = cJSON_GetObjectItemCaseSensitive(doc, "servers");
	if (servers != NULL && !cJSON_IsArray(servers)) {
		rc = rerr_set(err, ROOST_EINVAL, "'%s': servers must be a list",
		    path);
		goto done;
	}
	cfg->servers = xcalloc((size_t)cJSON_GetArraySize(servers) + 1,
	    sizeof(*cfg->servers));
	cJSON_ArrayForEach(it, servers) {
		struct sftpd_server *srv = &cfg->servers[cfg->nservers++];

		if ((rc = server_parse(it, srv, err)) != 0)
			goto done;
		for (i = 0; i + 1 < cfg->nservers; i++)
			if (strcmp(cfg->servers[i].name, srv->name) == 0) {
				rc = rerr_set(err, ROOST_EINVAL, "server '%s' "
				    "listed twice", srv->name);
				goto done;
			}
	}
	rc = 0;
done:
	cJSON_Delete(doc);
	if (rc != 0) {
		sftpd_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* Frees a config and everything it owns; takes NULL. */
void
sftpd_config_free(struct sftpd_config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nservers; i++)
		server_dispose(&cfg->servers[i]);
	free(cfg->servers);
	free(cfg);
}

/*
 * Finds login "user.server" in cfg. Returns 0 with borrowed pointers in
 * *srv and *user, or -1 when either is unknown.
 */
int
sftpd_config_find(const struct sftpd_config *cfg, const char *login,
    const struct sftpd_server **srv, const struct sftpd_user **user)
{
	const char	*dot;
	size_t		 i, j, ulen;

	if (cfg == NULL || (dot = strrchr(login, '.')) == NULL)
		return -1;
	ulen = (size_t)(dot - login);
	for (i = 0; i < cfg->nservers; i++) {
		if (strcmp(cfg->servers[i].name, dot + 1) != 0)
			continue;
		for (j = 0; j < cfg->servers[i].nusers; j++) {
			const char *n = cfg->servers[i].users[j].name;

			if (strlen(n) == ulen && memcmp(n, login, ulen) == 0) {
				*srv = &cfg->servers[i];
				*user = &cfg->servers[i].users[j];
				return 0;
			}
		}
	}
	return -1;
}

static int
strings_equal(const char **a, size_t na, const char **b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/*
 * Returns 1 when login exists in cfg with the same server root, ids,
 * limit, denylist and user permissions as in old, else 0. Credentials may
 * change without ending sessions already authenticated.
 */
int
sftpd_config_still_valid(const struct sftpd_config *cfg,
    const struct sftpd_config *old, const char *login)
{
	const struct sftpd_server	*ns, *os;
	const struct sftpd_user		*nu, *ou;

	if (sftpd_config_find(cfg, login, &ns, &nu) != 0)
		return 0;
	if (sftpd_config_find(old, login, &os, &ou) != 0)
		return 1;
	return strcmp(ns->root, os->root) == 0 && ns->uid == os->uid &&
	    ns->gid == os->gid && ns->disk_limit_mib == os->disk_limit_mib &&
	    nu->perms == ou->perms &&
	    (ns->backups == NULL) == (os->backups == NULL) &&
	    (ns->backups == NULL || strcmp(ns->backups, os->backups) == 0) &&
	    strings_equal(ns->denylist, ns->ndenylist, os->denylist,
	    os->ndenylist);
}

/*
 * Writes n servers as the users file at path, atomically and with mode
 * 0600. The servers are only read. Returns 0, ROOST_EINVAL for a name,
 * root or password that roost-sftpd would refuse, or -1; message in err.
 */
int
sftpd_users_write(const char *path, const struct sftpd_server *servers,
    size_t n, struct rerr *err)
{
	cJSON		*doc, *arr, *js, *users, *u, *a;
	char		*text;
	size_t		 i, j, k;
	int		 rc;

	doc = json_new_object();
	arr = json_add_array(doc, "servers");
	for (i = 0; i < n; i++) {
		const struct sftpd_server *srv = &servers[i];

		if (!name_ok(srv->name, 0) || srv->root == NULL ||
		    srv->root[0] != '/') {
			cJSON_Delete(doc);
			return rerr_set(err, ROOST_EINVAL, "server '%s' cannot "
			    "be served over sftp: bad name or root",
			    srv->name ? srv->name : "");
		}
		js = json_new_object();
		cJSON_AddItemToArray(arr, js);
		json_add_str(js, "name", srv->name);
		json_add_str(js, "root", srv->root);
		json_add_num(js, "uid", (double)srv->uid);
		json_add_num(js, "gid", (double)srv->gid);
		json_add_num(js, "diskLimitMiB", (double)srv->disk_limit_mib);
		if (srv->backups != NULL && srv->backups[0] == '/')
			json_add_str(js, "backups", srv->backups);
		a = json_add_array(js, "denylist");
		for (k = 0; k < srv->ndenylist; k++)
			json_push_str(a, srv->denylist[k]);
		users = json_add_array(js, "users");
		for (j = 0; j < srv->nusers; j++) {
			const struct sftpd_user *su = &srv->users[j];

			if (!name_ok(su->name, 1) || (su->password != NULL &&
			    su->password[0] != '$')) {
				cJSON_Delete(doc);
				return rerr_set(err, ROOST_EINVAL, "sftp user "
				    "'%s' of server '%s' is not valid",
				    su->name ? su->name : "", srv->name);
			}
			u = json_new_object();
			cJSON_AddItemToArray(users, u);
			json_add_str(u, "user", su->name);
			if (su->password != NULL)
				json_add_str(u, "password", su->password);
			a = json_add_array(u, "keys");
			for (k = 0; k < su->nkeys; k++)
				json_push_str(a, su->keys[k]);
			a = json_add_array(u, "permissions");
			if (su->perms & SFTPD_PERM_READ)
				json_push_str(a, "read");
			if (su->perms & SFTPD_PERM_WRITE)
				json_push_str(a, "write");
			if (su->perms & SFTPD_PERM_DELETE)
				json_push_str(a, "delete");
		}
	}
	text = json_print_free(doc);
	rc = util_write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
