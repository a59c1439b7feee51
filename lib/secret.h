/*
 * secret: what roost treats as a secret and whom it seals it to, on top of
 * seal (the crypto) and state (the nodes and their keys). The bot, the CLI
 * and validation share these rules:
 *
 *   - a variable is secret when its egg hides it from users
 *     (user_viewable: false) or its name contains PASSWORD, PASS, TOKEN,
 *     SECRET, KEY or RCON (any case);
 *   - a server's secrets are sealed to roost.yaml's sealTo nodes plus the
 *     server's own node, or, without sealTo, to every node with a sealKey
 *     (so a move to any node keeps working);
 *   - a secret is shown as "••••" with the nodes that can open it.
 */
#ifndef ROOST_SECRET_H
#define ROOST_SECRET_H

#include <stddef.h>

struct buf;
struct egg_var;
struct rerr;
struct seal_pub;
struct state;
struct state_server;

/* What is shown instead of a secret's value. */
#define SECRET_MASK	"\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"

/* True when a variable name looks like a secret's. */
int	secret_name_looks(const char *name);
/* True when variable name of egg variable ev (may be NULL) is a secret. */
int	secret_var_is(const struct egg_var *ev, const char *name);

/*
 * The public keys to seal a secret of srv to: nodes (n of them) when
 * given, else the rules above. srv may be NULL with nodes given. *out
 * (caller frees) borrows node names from st. Returns 0, or ROOST_EINVAL
 * when a node is unknown or has no sealKey, or the server's own node has
 * none.
 */
int	secret_recipients(const struct state *st,
	    const struct state_server *srv, const char *const *nodes,
	    size_t n, struct seal_pub **out, size_t *nout, struct rerr *err);

/*
 * Seals len bytes of plain for srv (or nodes, as secret_recipients) and
 * appends the sealed value to out. Returns 0 or ROOST_EINVAL.
 */
int	secret_seal(const struct state *st, const struct state_server *srv,
	    const char *const *nodes, size_t n, const char *plain,
	    size_t len, struct buf *out, struct rerr *err);

/*
 * Appends what is shown for a variable's value: the value itself when it
 * is not secret, else "••••" with "sealed for n1, n2" or "not sealed".
 * ev may be NULL.
 */
void	secret_show(const struct egg_var *ev, const char *name,
	    const char *value, struct buf *out);

#endif
