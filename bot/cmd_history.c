/*
 * cmd_history: /server history, who changed a server, what and when: a
 * job that reads the git log of the server's file, shown as an embed of
 * its last ten commits with a Revert button for each (cmd_revert.c).
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

/* /server history: a job that reads the server file's log. */
cJSON *
cmd_do_history(const struct cmd_call *c)
{
	*c->job = cmd_job_new(c->x, JOB_HISTORY, c->srv->name,
	    "/server history");
	return cmd_reply_defer(1);
}

/* The history embed: the last ten commits of the server's file. */
cJSON *
cmd_history_message(const struct cmd_job *job, const struct cmd_result *res)
{
	cJSON		*m, *e, *fields, *rows, *row = NULL, *comps = NULL;
	char		 when[64], name[300], value[1100];
	struct tm	 tm;
	time_t		 t;
	size_t		 i;

	m = json_new_object();
	e = json_new_object();
	snprintf(name, sizeof(name), "History of %s", job->server);
	json_add_str(e, "title", name);
	fields = json_add_array(e, "fields");
	for (i = 0; i < res->nlog && i < 10; i++) {
		t = (time_t)res->log[i].time;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		snprintf(name, sizeof(name), "%.7s \xc2\xb7 %s",
		    res->log[i].id, when);
		snprintf(value, sizeof(value), "%.900s\nby %.100s",
		    res->log[i].summary ? res->log[i].summary : "",
		    res->log[i].author_name ? res->log[i].author_name :
		    "?");
		cmd_field(fields, name, value, 0);
	}
	if (res->nlog == 0)
		json_add_str(e, "description", "No commits touch this "
		    "server's file.");
	cJSON_AddItemToArray(json_add_array(m, "embeds"), e);
	/* a Revert button for each, five to a row (edit is checked then) */
	rows = json_add_array(m, "components");
	for (i = 0; i < res->nlog && i < 10; i++) {
		if (i % 5 == 0) {
			row = json_new_object();
			json_add_num(row, "type", COMP_ROW);
			comps = json_add_array(row, "components");
			cJSON_AddItemToArray(rows, row);
		}
		snprintf(name, sizeof(name), "Revert %.7s", res->log[i].id);
		snprintf(value, sizeof(value), "%s:%s", job->server,
		    res->log[i].id);
		cJSON_AddItemToArray(comps, cmd_button(name,
		    BTN_SECONDARY, "rv:", value));
	}
	cmd_no_mentions(m);
	return m;
}
