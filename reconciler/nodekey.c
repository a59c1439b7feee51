/*
 * nodekey: the node's key files and re-sealing (see nodekey.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "rerr.h"
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "util.h"
#include "xmalloc.h"

#include "nodekey.h"

/*
 * Moves the current key aside and makes a new one, which keeps the hash
 * key (spec hashes stay the same).
 */
static int
nodekey_rotate(int dfd, struct rerr *err)
{
	struct seal_key	old, key;
	int		rc;

	rc = seal_key_load_at(dfd, SEAL_KEYFILE, 0, &old, NULL, err);
	if (rc == ROOST_ENOTFOUND)
		return 0;
	if (rc != 0)
		return -1;
	rc = seal_key_save_at(dfd, SEAL_OLDKEYFILE, &old, err);
	if (rc == 0) {
		seal_key_generate(&key);
		memcpy(key.hk, old.hk, sizeof(key.hk));
		rc = seal_key_save_at(dfd, SEAL_KEYFILE, &key, err);
		seal_key_wipe(&key);
	}
	seal_key_wipe(&old);
	return rc == 0 ? 0 : -1;
}

/* Loads the node's keys; see nodekey.h. */
int
nodekey_load(const char *data_dir, int rotate, struct seal_key *keys,
    size_t *nkeys, int *created, struct rerr *err)
{
	struct rerr	e2;
	int		dfd, rc;

	*nkeys = 0;
	dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return rerr_errno(err, -1, "cannot open dataDir '%s'",
		    data_dir);
	if (rotate && nodekey_rotate(dfd, err) != 0) {
		close(dfd);
		return -1;
	}
	if (seal_key_load_at(dfd, SEAL_KEYFILE, 1, &keys[0], created,
	    err) != 0) {
		close(dfd);
		return -1;
	}
	*nkeys = 1;
	rerr_init(&e2);
	rc = seal_key_load_at(dfd, SEAL_OLDKEYFILE, 0, &keys[1], NULL, &e2);
	if (rc == 0)
		*nkeys = 2;
	else if (rc != ROOST_ENOTFOUND) {
		close(dfd);
		seal_key_wipe(&keys[0]);
		*nkeys = 0;
		return rerr_set(err, -1, "%s", e2.msg);
	}
	close(dfd);
	return 0;
}

/* Reads the optional "nodes" list of the body; -1 when malformed. */
static int
reseal_nodes(const char *body, size_t len, char ***nodes, size_t *n)
{
	cJSON		*doc, *it;
	const cJSON	*list;

	*nodes = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	if ((doc = json_parse_len(body, len)) == NULL || !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return -1;
	}
	list = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
	if (list != NULL && !cJSON_IsNull(list)) {
		if (!cJSON_IsArray(list)) {
			cJSON_Delete(doc);
			return -1;
		}
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsString(it) || *n >= SEAL_MAX_RECIPIENTS) {
				cJSON_Delete(doc);
				return -1;
			}
			*nodes = xreallocarray(*nodes, *n + 1, sizeof(char *));
			(*nodes)[(*n)++] = xstrdup(it->valuestring);
		}
	}
	cJSON_Delete(doc);
	return 0;
}

/* One variable: resealed into values, or a failure. */
static void
reseal_one(const struct state *st, const struct state_server *srv,
    const struct state_var *v, const char *node, const struct seal_key *keys,
    size_t nkeys, char **nodes, size_t nn, cJSON *values, cJSON *failed)
{
	struct rerr		 e;
	struct buf		 out, who;
	cJSON			*o;
	char			*plain;
	size_t			 len;
	int			 rc;

	rerr_init(&e);
	buf_init(&out, 0);
	rc = seal_open(v->value, node, keys, nkeys, &plain, &len, &e);
	if (rc == ROOST_ENOTFOUND) {
		buf_dispose(&out);
		return;		/* not sealed for this node: not ours */
	}
	if (rc == 0) {
		rc = secret_seal(st, srv, (const char *const *)nodes, nn, plain,
		    len, &out, &e);
		seal_free(plain, len);
	}
	o = json_new_object();
	json_add_str(o, "server", srv->name);
	json_add_str(o, "variable", v->key);
	if (rc != 0) {
		json_add_str(o, "error", e.msg);
		cJSON_AddItemToArray(failed, o);
	} else {
		json_add_str(o, "value", buf_str(&out));
		buf_init(&who, 0);
		seal_nodes(buf_str(&out), &who);
		json_add_str(o, "nodes", buf_str(&who));
		buf_dispose(&who);
		cJSON_AddItemToArray(values, o);
	}
	buf_dispose(&out);
}

/* Reseals what node opens; see nodekey.h. */
int
nodekey_reseal(const struct state *st, const char *node,
    const struct seal_key *keys, size_t nkeys, const char *body, size_t len,
    struct buf *out)
{
	cJSON	*root, *values, *failed;
	char	**nodes, *s;
	size_t	 nn, i, j;

	if (reseal_nodes(body, len, &nodes, &nn) != 0) {
		buf_puts(out, "{\"error\":\"the body is {\\\"nodes\\\": "
		    "[\\\"node\\\", ...]} or empty\"}");
		return 400;
	}
	if (st == NULL) {
		util_strv_free(nodes, nn);
		buf_puts(out, "{\"error\":\"no revision loaded yet\"}");
		return 503;
	}
	root = json_new_object();
	json_add_str(root, "node", node);
	if (st->revision != NULL)
		json_add_str(root, "revision", st->revision);
	values = json_add_array(root, "values");
	failed = json_add_array(root, "failed");
	for (i = 0; i < st->nservers; i++) {
		const struct state_server *srv = st->servers[i];

		for (j = 0; j < srv->nvars; j++)
			if (seal_is_sealed(srv->vars[j].value))
				reseal_one(st, srv, &srv->vars[j], node, keys,
				    nkeys, nodes, nn, values, failed);
	}
	s = json_print_free(root);
	buf_puts(out, s);
	free(s);
	util_strv_free(nodes, nn);
	return 200;
}
