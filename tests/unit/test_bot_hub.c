/*
 * test_bot_hub: the bot's node hub against a node that lies or floods,
 * through a raw websocket client: a node's report of another node's
 * server is ignored; a snapshot over the server limit is refused with
 * close code 1008 at once, while the hub still answers lookups.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "ev.h"
#include "hubproto.h"
#include "sha256.h"

#include "../../bot/bot.h"
#include "../../bot/hub.h"

/* Connects as a node with token; returns the socket after the 101. */
static int
node_connect(int port, const char *token)
{
	struct sockaddr_in	sa;
	struct timeval		tv = { 10, 0 };
	char			req[1024], resp[4096];
	size_t			n = 0;
	ssize_t			r;
	int			fd, i;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0;
	    i++) {
		assert_true(i < 100);
		usleep(20000);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(req, sizeof(req), "GET /v1/hub HTTP/1.1\r\nHost: 127.0.0.1"
	    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
	    "Authorization: Bearer %s\r\n\r\n", HUBP_SUBPROTOCOL, token);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while (n < sizeof(resp) - 1 && (r = read(fd, resp + n, 1)) == 1) {
		n++;
		resp[n] = '\0';
		if (n >= 4 && strcmp(resp + n - 4, "\r\n\r\n") == 0)
			break;
	}
	assert_non_null(strstr(resp, " 101 "));
	return fd;
}

/* Sends text as one masked text frame. */
static void
node_send(int fd, const char *text)
{
	size_t		 len = strlen(text), h = 0, i, off = 0;
	unsigned char	*f = malloc(len + 14), mask[4] = { 1, 2, 3, 4 };
	ssize_t		 w;

	f[h++] = 0x81;
	if (len < 126)
		f[h++] = 0x80 | (unsigned char)len;
	else if (len < 65536) {
		f[h++] = 0x80 | 126;
		f[h++] = (unsigned char)(len >> 8);
		f[h++] = (unsigned char)len;
	} else {
		f[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			f[h++] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	memcpy(f + h, mask, 4);
	h += 4;
	for (i = 0; i < len; i++)
		f[h + i] = (unsigned char)text[i] ^ mask[i % 4];
	while (off < h + len && (w = write(fd, f + off, h + len - off)) > 0)
		off += (size_t)w;
	free(f);
}

/* The close code the hub sends (0: none before EOF). */
static int
node_close_code(int fd)
{
	unsigned char	b[4096];
	ssize_t		r;

	while ((r = read(fd, b, sizeof(b))) > 0)
		if ((b[0] & 0x0f) == 8 && r >= 4)
			return (b[2] << 8) | b[3];
	return 0;
}

static char *
snapshot(int n, const char *extra)
{
	struct buf	b;
	int		i;

	buf_init(&b, 0);
	buf_puts(&b, "{\"type\":\"snapshot\",\"node\":{\"name\":\"node-a\"},"
	    "\"servers\":[");
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s{\"name\":\"s%06d\",\"phase\":\"Running\"}",
		    i ? "," : "", i);
	if (extra != NULL)
		buf_addf(&b, "%s%s", n ? "," : "", extra);
	buf_puts(&b, "]}");
	return buf_detach(&b);
}

/* s* and mine are node-a's; db is node-b's. */
static int
assign(void *arg, const char *node, const char *server)
{
	if (strcmp(server, "db") == 0)
		return strcmp(node, "node-b") == 0 ? BHUB_MINE : BHUB_OTHER;
	return strcmp(node, "node-a") == 0 ? BHUB_MINE : BHUB_OTHER;
}

static void
test_bot_hub__spoof_and_flood(void **state)
{
	struct bot_hub_node	 nodes[2];
	struct bhub_conf	 c;
	struct bhub		*h;
	struct rerr		 err;
	char			 sha_a[65], sha_b[65], listen[32], *text;
	cJSON			*st;
	uint64_t		 t0;
	int			 fd, port = unit_free_port(), i;

	sha256_hex("token-a", 7, sha_a);
	sha256_hex("token-b", 7, sha_b);
	nodes[0].name = (char *)(uintptr_t)"node-a";
	nodes[0].token_sha256 = sha_a;
	nodes[1].name = (char *)(uintptr_t)"node-b";
	nodes[1].token_sha256 = sha_b;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	memset(&c, 0, sizeof(c));
	c.listen = listen;
	c.nodes = nodes;
	c.nnodes = 2;
	c.assign = assign;
	rerr_init(&err);
	assert_rok(bhub_start(&h, &c, &err), &err);

	/* node-a speaks for node-b's db: ignored; its own servers count */
	fd = node_connect(port, "token-a");
	node_send(fd, "{\"type\":\"server\",\"server\":{\"name\":\"db\","
	    "\"phase\":\"Running\"}}");
	text = snapshot(9999, "{\"name\":\"db\",\"phase\":\"Running\"}");
	t0 = ev_now_ms();
	node_send(fd, text);
	free(text);
	for (i = 0; (st = bhub_server_status(h, "s009998")) == NULL; i++) {
		assert_true(i < 500);
		usleep(10000);
	}
	cJSON_Delete(st);
	/* a whole snapshot at the limit is taken in well under a second */
	assert_true(ev_now_ms() - t0 < 1000);
	assert_null(bhub_server_status(h, "db"));

	/* 160,000 servers: refused with 1008 at once, lookups still answer */
	text = snapshot(160000, NULL);
	t0 = ev_now_ms();
	node_send(fd, text);
	free(text);
	assert_int_equal(node_close_code(fd), 1008);
	assert_true(ev_now_ms() - t0 < 2000);
	close(fd);
	t0 = ev_now_ms();
	st = bhub_server_status(h, "s000001");
	assert_true(ev_now_ms() - t0 < 100);
	cJSON_Delete(st);
	bhub_stop(h);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_bot_hub__spoof_and_flood))
