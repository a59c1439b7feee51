/*
 * cmd_power: powering and deleting servers from Discord: /server
 * start|stop|restart, the power buttons of a status view, and /server
 * delete with its Delete / Cancel confirmation.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "egg.h"
#include "gitstore.h"
#include "json.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

/* See cmd_int.h. */
const char *
cmd_power_word(int power)
{
	switch (power) {
	case PANEL_START:	return "start";
	case PANEL_STOP:	return "stop";
	case PANEL_RESTART:	return "restart";
	default:		return "reinstall";
	}
}

/* /server start|stop|restart: a power job (the row's arg is the action). */
cJSON *
cmd_do_power(const struct cmd_call *c)
{
	char	label[64];

	snprintf(label, sizeof(label), "/server %s", c->row->sub);
	*c->job = cmd_job_new(c->x, JOB_POWER, c->srv->name, label);
	(*c->job)->power = c->row->arg;
	return cmd_reply_defer(1);
}

/* The Start / Stop / Restart buttons of a status view (p:ACTION:SERVER). */
cJSON *
cmd_power_button(const struct cmd_call *c)
{
	const struct state_server	*srv;
	const char			*colon;
	cJSON				*r;
	char				 id[64];

	if ((colon = strchr(c->arg, ':')) == NULL)
		return cmd_reply_text(1, "This button is broken.");
	if ((srv = cmd_server_checked(c->env, c->x, colon + 1, PERM_POWER,
	    "power", &r)) == NULL)
		return r;
	snprintf(id, sizeof(id), "%.*s", (int)(colon - c->arg), c->arg);
	*c->job = cmd_job_new(c->x, JOB_POWER, srv->name, id);
	(*c->job)->power = strcmp(id, "start") == 0 ? PANEL_START :
	    strcmp(id, "stop") == 0 ? PANEL_STOP : PANEL_RESTART;
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* /server delete: the confirmation */
cJSON *
cmd_do_delete(const struct cmd_call *c)
{
	cJSON	*embeds = json_new_array();

	cJSON_AddItemToArray(embeds, cmd_status_embed(c->env, c->srv));
	return cmd_reply_confirm(CB_MESSAGE, "Delete this server? Its file is "
	    "removed from the state repository; the node keeps its data in "
	    "the trash for a while, and `git revert` brings it back.", embeds,
	    "Delete", "d:", c->srv->name);
}

/* The Delete button of the confirmation (d:SERVER): a delete job. */
cJSON *
cmd_delete_button(const struct cmd_call *c)
{
	*c->job = cmd_job_new(c->x, JOB_DELETE, c->srv->name,
	    "/server delete");
	(*c->job)->on_message = 1;
	return cmd_reply_defer_update();
}

/* The Cancel button (x): nothing changes. */
cJSON *
cmd_cancel_button(const struct cmd_call *c)
{
	cJSON	*r, *d;

	(void)c;
	r = cmd_reply_new(CB_UPDATE, &d);
	json_add_str(d, "content", "Cancelled; nothing was changed.");
	json_add_array(d, "embeds");
	json_add_array(d, "components");
	return r;
}
