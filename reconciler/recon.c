/*
 * recon: the reconciler of roostd (see recon.h). This first version keeps
 * the interface compiling while the planner and the applier land.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "recon.h"
#include "rerr.h"
#include "xmalloc.h"

struct recon {
	char	*node;
};

/* Makes a reconciler; see recon.h. */
struct recon *
recon_new(const struct recon_conf *conf, struct rerr *err)
{
	struct recon	*r;

	if (conf == NULL || conf->node == NULL) {
		rerr_set(err, ROOST_EINVAL, "recon: no node name");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->node = xstrdup(conf->node);
	return r;
}

/* Frees a reconciler; see recon.h. */
void
recon_free(struct recon *r)
{
	if (r == NULL)
		return;
	free(r->node);
	free(r);
}

/* One pass; see recon.h. */
int
recon_pass(struct recon *r, const struct state *st, const char *revision,
    struct rerr *err)
{
	return 0;
}

/* Timers; see recon.h. */
int
recon_tick(struct recon *r)
{
	return 1000;
}

/* Waits for idle workers; see recon.h. */
int
recon_wait_idle(struct recon *r, long timeout_ms)
{
	return 0;
}

/* Status as JSON; see recon.h. */
int
recon_status_json(struct recon *r, const char *name, struct buf *out)
{
	if (name != NULL)
		return ROOST_ENOTFOUND;
	buf_puts(out, "{\"node\":{},\"servers\":[]}");
	return 0;
}

/* Status as a tree; see recon.h. */
cJSON *
recon_status_tree(struct recon *r, const char *name)
{
	if (name != NULL)
		return NULL;
	return cJSON_Parse("{\"node\":{},\"servers\":[]}");
}

/* Console log; see recon.h. */
int
recon_logs(struct recon *r, const char *name, int tail, struct buf *out,
    struct rerr *err)
{
	return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" not found", name);
}

/* Console command; see recon.h. */
int
recon_command(struct recon *r, const char *name, const char *line,
    struct rerr *err)
{
	return rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" not found", name);
}

/* Write counter; see recon.h. */
uint64_t
recon_engine_writes(struct recon *r)
{
	return 0;
}
