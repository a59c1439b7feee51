/*
 * bot: roost-bot's configuration (bot.yaml) and the process that ties the
 * Discord gateway, the REST client, the command handlers, the panel core
 * and the node hub together.
 */
#ifndef ROOST_BOT_H
#define ROOST_BOT_H

#include <stddef.h>

struct diags;
struct rerr;

#define BOT_VERSION	"0.1.0"
#define BOT_URL		"https://roost.invalid/roost-bot"

struct bot_hub_node {
	char	*name;
	char	*token_sha256;		/* lowercase hex */
};

struct bot_conf {
	char			*path;
	char			*token_file;
	char			*token;		/* read from token_file */
	char			*application_id;
	char			**guilds;	/* none: global commands */
	size_t			 nguilds;
	char			*api_base;	/* ".../api/v10" */
	char			*gateway_url;	/* NULL: GET /gateway/bot */
	char			*repo;		/* URL or path */
	char			*branch;	/* NULL: HEAD's */
	char			*ssh_key;
	char			*repo_token_file;
	char			*host_key;	/* SSH host key SHA256 pin */
	char			*workdir;	/* the bot's clone, or NULL */
	char			*hub_listen;	/* "127.0.0.1:8443", or NULL */
	char			*hub_tls_cert;	/* PEM; NULL: ws:// */
	char			*hub_tls_key;
	struct bot_hub_node	*hub_nodes;
	size_t			 nhub_nodes;
	char			*committer_name;
	char			*committer_email;
	int			 workers;	/* git worker threads */
	int			 ackers;	/* first-response threads */
	int			 refresh_s;	/* state refresh period */
	int			 status_follow_min; /* live status views */
	char			*audit_channel;	/* console audit, or NULL */
	char			*deploy_channel; /* deploy feedback, or NULL */
	char			*review_channel; /* proposals, or NULL */
};

/*
 * Reads and checks bot.yaml at path into *out (owned by the caller,
 * bot_conf_free). Problems with their positions go to d; the token file
 * is read too when read_token is set. Returns 0, ROOST_EINVAL (see d) or
 * -1 (err).
 */
int	bot_conf_load(struct bot_conf **out, const char *path, int read_token,
	    struct diags *d, struct rerr *err);
/* Frees a configuration; takes NULL. */
void	bot_conf_free(struct bot_conf *c);

/*
 * Runs the bot until a fatal gateway close or a signal. Owns nothing of
 * conf (borrowed for the whole run). Returns 0 on a clean stop, -1 with
 * err set otherwise.
 */
int	bot_run(const struct bot_conf *conf, struct rerr *err);
/* Asks a running bot to stop (async-signal-safe). */
void	bot_request_stop(void);

#endif
