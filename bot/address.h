/*
 * address: where players connect to a server: its node's public address
 * (publicAddress, else address) with the server's ports, as the bot shows
 * it in status views, lists and the ready message.
 */
#ifndef ROOST_BOT_ADDRESS_H
#define ROOST_BOT_ADDRESS_H

struct buf;
struct state;
struct state_server;

/*
 * Appends "HOST:PORT" of srv's default port to out (IPv6 hosts in
 * brackets); with extra set, the extra ports follow as ", HOST:PORT".
 * Returns 0, or -1 (nothing appended) when the node is unknown.
 */
int	bot_address(const struct state *st, const struct state_server *srv,
	    int extra, struct buf *out);

#endif
