/*
 * secret: which variables are secrets, the nodes a server's secrets are
 * sealed to and how a secret is shown (see secret.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "egg.h"
#include "rerr.h"
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "xmalloc.h"

/* True when name contains a secret's word, in any case. */
int
secret_name_looks(const char *name)
{
	static const char *const words[] = { "PASSWORD", "PASS", "TOKEN",
	    "SECRET", "KEY", "RCON" };
	size_t	i;

	if (name == NULL)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(name, words[i]) != NULL)
			return 1;
	return 0;
}

/* True when the variable is a secret. */
int
secret_var_is(const struct egg_var *ev, const char *name)
{
	if (ev != NULL && !ev->viewable)
		return 1;
	return secret_name_looks(name != NULL ? name : ev != NULL ?
	    ev->env : NULL);
}

/* Adds node name's key to the list; 0 or ROOST_EINVAL. */
static int
add_node(const struct state *st, const char *name, struct seal_pub *v,
    size_t *n, struct rerr *err)
{
	const struct state_node	*node;
	size_t			 i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].node, name) == 0)
			return 0;
	if ((node = state_node_find(st, name)) == NULL)
		return rerr_set(err, ROOST_EINVAL, "node \"%s\" does not exist "
		    "(no file nodes/%s.yaml)", name, name);
	if (node->seal_key == NULL)
		return rerr_set(err, ROOST_EINVAL, "node \"%s\" has no sealKey "
		    "in %s; run \"roost node pubkey\" on it and commit the key",
		    name, node->path);
	if (seal_pub_decode(node->seal_key, v[*n].pk, err) != 0)
		return ROOST_EINVAL;
	v[(*n)++].node = node->name;
	return 0;
}

/* The keys a secret of srv is sealed to. */
int
secret_recipients(const struct state *st, const struct state_server *srv,
    const char *const *nodes, size_t n, struct seal_pub **out, size_t *nout,
    struct rerr *err)
{
	struct seal_pub	*v;
	size_t		 i, k = 0;
	int		 rc = 0;

	*out = NULL;
	*nout = 0;
	v = xcalloc(n + st->nnodes + st->conf.nseal_to + 1, sizeof(*v));
	if (n > 0) {
		for (i = 0; i < n && rc == 0; i++)
			rc = add_node(st, nodes[i], v, &k, err);
	} else if (st->conf.nseal_to > 0) {
		if (srv != NULL && srv->node != NULL)
			rc = add_node(st, srv->node, v, &k, err);
		for (i = 0; i < st->conf.nseal_to && rc == 0; i++)
			rc = add_node(st, st->conf.seal_to[i], v, &k, err);
	} else {
		if (srv != NULL && srv->node != NULL)
			rc = add_node(st, srv->node, v, &k, err);
		for (i = 0; i < st->nnodes && rc == 0; i++)
			if (st->nodes[i].seal_key != NULL &&
			    st->nodes[i].name != NULL)
				rc = add_node(st, st->nodes[i].name, v, &k,
				    err);
	}
	if (rc == 0 && k == 0)
		rc = rerr_set(err, ROOST_EINVAL, "no node to seal to: give "
		    "--node, or commit a sealKey in nodes/<node>.yaml");
	if (rc != 0) {
		free(v);
		return ROOST_EINVAL;
	}
	*out = v;
	*nout = k;
	return 0;
}

/* Seals plain for srv. */
int
secret_seal(const struct state *st, const struct state_server *srv,
    const char *const *nodes, size_t n, const char *plain, size_t len,
    struct buf *out, struct rerr *err)
{
	struct seal_pub	*to;
	size_t		 nto;
	int		 rc;

	if ((rc = secret_recipients(st, srv, nodes, n, &to, &nto, err)) != 0)
		return rc;
	rc = seal_seal(plain, len, to, nto, out, err);
	free(to);
	return rc;
}

/* What is shown for a variable's value. */
void
secret_show(const struct egg_var *ev, const char *name, const char *value,
    struct buf *out)
{
	if (seal_is_sealed(value)) {
		buf_puts(out, SECRET_MASK " (sealed for ");
		seal_nodes(value, out);
		buf_putc(out, ')');
	} else if (secret_var_is(ev, name) && value != NULL && *value != '\0')
		buf_puts(out, SECRET_MASK " (not sealed)");
	else
		buf_puts(out, value != NULL ? value : "");
}
