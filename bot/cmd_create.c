/*
 * cmd_create: the /server create flow, three steps whose state travels in
 * custom ids: the nest select (c:n:NODE), the egg select (c:e:NODE) and
 * the modal (c:m:NODE:EGG) whose submission becomes a create job. Who may
 * create, and how many servers a user may own, are checked at each step.
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
#include "limit.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

/* A select row of up to 25 options from the egg library. */
static cJSON *
egg_select(const struct cmd_env *env, const char *custom_id, const char *nest,
    const char *placeholder)
{
	const struct egg_library	*lib = env->st->eggs;
	cJSON				*rows, *opts, *o;
	char				 n[128], prev[128] = "";
	size_t				 i, count = 0;

	rows = cmd_select_rows(custom_id, placeholder, &opts);
	for (i = 0; i < egglib_count(lib) && count < 25; i++) {
		const struct egg *g = egglib_at(lib, i);

		cmd_egg_nest(g->id, n, sizeof(n));
		if (nest == NULL) {
			if (strcmp(n, prev) == 0)
				continue;
			snprintf(prev, sizeof(prev), "%s", n);
			o = json_new_object();
			json_add_str(o, "label", n);
			json_add_str(o, "value", n);
			cJSON_AddItemToArray(opts, o);
		} else {
			if (strcmp(n, nest) != 0)
				continue;
			cmd_select_option(opts, g->name && *g->name ? g->name :
			    g->id, g->id, g->id);
		}
		count++;
	}
	if (count == 0) {
		cJSON_Delete(rows);
		return NULL;
	}
	return rows;
}

static unsigned
owned_count(const struct state *st, const char *user)
{
	size_t		i;
	unsigned	n = 0;

	for (i = 0; i < st->nservers; i++)
		if (st->servers[i]->owner != NULL &&
		    strcmp(st->servers[i]->owner, user) == 0)
			n++;
	return n;
}

static cJSON *
create_allowed(const struct cmd_env *env, const struct ix *x)
{
	unsigned	p;

	if (env->st == NULL)
		return cmd_reply_text(1, "The state repository is not loaded yet.");
	p = cmd_perms_of(env, x, NULL);
	if ((p & (PERM_CREATE | PERM_ADMIN)) == 0)
		return cmd_deny("create servers", NULL, PERM_CREATE);
	if ((p & PERM_ADMIN) == 0 && env->st->conf.max_servers_per_user > 0 &&
	    owned_count(env->st, x->user) >=
	    (unsigned)env->st->conf.max_servers_per_user)
		return cmd_reply_text(1, "You own %u servers already, the most "
		    "roost.yaml allows (maxServersPerUser).",
		    owned_count(env->st, x->user));
	return NULL;
}

/* /server create: step 1, the nest select */
cJSON *
cmd_do_create(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	const char	*node = cmd_opt_str(x, "node");
	cJSON		*r, *d, *rows;
	char		 id[128];

	if ((r = create_allowed(env, x)) != NULL)
		return r;
	if (node != NULL && state_node_find(env->st, node) == NULL)
		return cmd_reply_text(1, "There is no node `%s`; `/node list` "
		    "shows them.", node);
	snprintf(id, sizeof(id), "c:n:%s", node ? node : "-");
	if ((rows = egg_select(env, id, NULL, "Pick a nest")) == NULL)
		return cmd_reply_text(1, "The egg library is empty.");
	r = cmd_reply_new(CB_MESSAGE, &d);
	json_add_str(d, "content", "**New server** \xc2\xb7 step 1 of 3: "
	    "pick the nest (the kind of game).");
	cJSON_AddItemToObject(d, "components", rows);
	json_add_num(d, "flags", MSG_EPHEMERAL);
	return r;
}

/* Steps 2 and 3 of /server create: the nest picked, then the egg. */
cJSON *
cmd_create_pick(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	const char		*cid = c->cid;
	const char		*val = json_str(x->data, "values.0", NULL);
	cJSON			*r, *d, *rows, *comps;
	char			 id[160], node[64];

	if ((r = create_allowed(env, x)) != NULL)
		return r;
	snprintf(node, sizeof(node), "%s", cid + 4);
	if (val == NULL)
		return cmd_reply_text(1, "Pick one of the options.");
	if (cid[2] == 'n') {
		snprintf(id, sizeof(id), "c:e:%s", node);
		if ((rows = egg_select(env, id, val, "Pick an egg")) == NULL)
			return cmd_reply_text(1, "Nest `%s` has no eggs.", val);
		r = cmd_reply_new(CB_UPDATE, &d);
		json_add_str(d, "content", "**New server** \xc2\xb7 step "
		    "2 of 3: pick the egg.");
		cJSON_AddItemToObject(d, "components", rows);
		return r;
	}
	if (env->st->eggs == NULL || egglib_find(env->st->eggs, val) == NULL)
		return cmd_reply_text(1, "There is no egg `%s`.", val);
	snprintf(id, sizeof(id), "c:m:%s:%s", node, val);
	r = cmd_modal_new(id, "New server", &comps);
	cJSON_AddItemToArray(comps, cmd_text_input("name", "Name (a-z, 0-9, -)",
	    NULL, 1, 31, 1, "survival"));
	snprintf(id, sizeof(id), "%lld", (long long)
	    (env->st->conf.defaults.memory > 0 ? env->st->conf.defaults.memory :
	    limit_get(LIMIT_MEMORY)->def));
	cJSON_AddItemToArray(comps, cmd_text_input("memory", "Memory (MiB)",
	    id, 1, 9, 1, NULL));
	snprintf(id, sizeof(id), "%lld", (long long)
	    (env->st->conf.defaults.disk > 0 ? env->st->conf.defaults.disk :
	    limit_get(LIMIT_DISK)->def));
	cJSON_AddItemToArray(comps, cmd_text_input("disk", "Disk (MiB)",
	    id, 1, 9, 1, NULL));
	snprintf(id, sizeof(id), "%lld", (long long)
	    (env->st->conf.defaults.cpu >= 0 ? env->st->conf.defaults.cpu :
	    limit_get(LIMIT_CPU)->def));
	cJSON_AddItemToArray(comps, cmd_text_input("cpu", "CPU (% of one core)",
	    id, 1, 6, 1, NULL));
	return r;
}

/* Step 3 of /server create submitted: the job, or what is wrong. */
cJSON *
cmd_create_modal(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	struct cmd_job		**job = c->job;
	cJSON			*r;
	struct buf		 msg;
	const char		*name, *egg;
	char			 node[64];
	size_t			 i;
	int			 rc;

	if ((r = create_allowed(env, x)) != NULL)
		return r;
	egg = strchr(c->arg, ':');
	if (egg == NULL)
		return cmd_reply_text(1, "This form is broken.");
	snprintf(node, sizeof(node), "%.*s", (int)(egg - c->arg), c->arg);
	egg++;
	/* the custom_id is input like any other */
	if (egglib_find(env->st->eggs, egg) == NULL ||
	    (strcmp(node, "-") != 0 && state_node_find(env->st, node) == NULL))
		return cmd_reply_text(1, "This form is broken: no egg `%.80s` "
		    "on node `%.63s`; start again with `/server create`.", egg,
		    node);
	name = cmd_modal_value(x, "name");
	if (name == NULL || !state_name_valid(name))
		return cmd_reply_text(1, "`%s` is not a valid server name: use "
		    "1 to 31 of a-z, 0-9 and '-', starting with a letter or "
		    "digit.", name ? name : "");
	if (state_server_find(env->st, name) != NULL)
		return cmd_reply_text(1, "Server `%s` exists already; pick "
		    "another name.", name);
	*job = cmd_job_new(x, JOB_CREATE, name, "/server create");
	(*job)->egg = xstrdup(egg);
	(*job)->node = strcmp(node, "-") != 0 ? xstrdup(node) : NULL;
	buf_init(&msg, 0);
	for (i = 0; i < 3; i++) {
		const struct cmd_limit *l = &cmd_limits[i];
		int64_t *dst = i == 0 ? &(*job)->memory : i == 1 ?
		    &(*job)->disk : &(*job)->cpu;
		const char *s = cmd_modal_value(x, l->id);

		rc = cmd_parse_num(s, limit_get(l->lim)->min,
		    limit_get(l->lim)->max, dst);
		if (rc != NUM_OK)
			cmd_num_problem(&msg, l->id, i < 2 ? " MiB" :
			    "% of one core (0 = unlimited)", rc,
			    limit_get(l->lim)->min, limit_get(l->lim)->max, s);
	}
	if (msg.len > 0) {
		r = cmd_reply_text(1, "Nothing was created:\n%s",
		    buf_str(&msg));
		cmd_job_free(*job);
		*job = NULL;
	} else
		r = cmd_reply_defer(1);
	buf_dispose(&msg);
	return r;
}
