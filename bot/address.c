/*
 * address: the connection address of a server (see address.h).
 */
#include <string.h>

#include "buf.h"
#include "state.h"

#include "address.h"

static void
host_port(struct buf *out, const char *host, int port)
{
	if (strchr(host, ':') != NULL && host[0] != '[')
		buf_addf(out, "[%s]:%d", host, port);
	else
		buf_addf(out, "%s:%d", host, port);
}

/* The connection address of a server; see address.h. */
int
bot_address(const struct state *st, const struct state_server *srv,
    int extra, struct buf *out)
{
	const struct state_node	*n;
	const char		*host;
	size_t			 i;

	if (st == NULL || srv == NULL || srv->node == NULL ||
	    (n = state_node_find(st, srv->node)) == NULL)
		return -1;
	host = n->public_address != NULL ? n->public_address : n->address;
	if (host == NULL || srv->port <= 0)
		return -1;
	host_port(out, host, srv->port);
	for (i = 0; extra && i < srv->nextra_ports; i++) {
		buf_puts(out, ", ");
		host_port(out, host, srv->extra_ports[i]);
	}
	return 0;
}
