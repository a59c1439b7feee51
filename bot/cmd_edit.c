/*
 * cmd_edit: changing a server's settings from Discord: /server edit and
 * its limits modal (bounds checked before anything is committed, numbers
 * past their range reported as "at most"), /server vars and its modal
 * (each variable checked against the egg's rules; every key is an egg
 * variable, committed through the panel's variable entry point). Secret
 * variables (secret.h, or ticked in the modal's seal select) are sealed
 * before they enter the job and are never shown back.
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
#include "seal.h"
#include "secret.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

/* The limits of the create and edit modals. */
const struct cmd_limit cmd_limits[] = {
	{ "memory", "limits.memory", LIMIT_MEMORY },
	{ "disk", "limits.disk", LIMIT_DISK },
	{ "cpu", "limits.cpu", LIMIT_CPU },
	{ "swap", "limits.swap", LIMIT_SWAP },
	{ "io", "limits.io", LIMIT_IO },
};
const size_t cmd_nlimits = sizeof(cmd_limits) / sizeof(cmd_limits[0]);

/* /server edit: the limits modal, prefilled */
cJSON *
cmd_do_edit(const struct cmd_call *c)
{
	const struct state_server	*srv;
	cJSON				*r, *comps;
	char				 id[128], title[64], v[32];

	srv = c->srv;
	snprintf(id, sizeof(id), "e:%s", srv->name);
	snprintf(title, sizeof(title), "Limits of %s", srv->name);
	r = cmd_modal_new(id, title, &comps);
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.memory);
	cJSON_AddItemToArray(comps, cmd_text_input("memory", "Memory (MiB)", v, 1, 9,
	    1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.disk);
	cJSON_AddItemToArray(comps, cmd_text_input("disk", "Disk (MiB)", v, 1, 9, 1,
	    NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.cpu);
	cJSON_AddItemToArray(comps, cmd_text_input("cpu", "CPU (% of one core, 0 = "
	    "unlimited)", v, 1, 6, 1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.swap);
	cJSON_AddItemToArray(comps, cmd_text_input("swap", "Swap (MiB, -1 = "
	    "unlimited)", v, 1, 9, 1, NULL));
	snprintf(v, sizeof(v), "%lld", (long long)srv->limits.io);
	cJSON_AddItemToArray(comps, cmd_text_input("io", "IO weight (10 to 1000)", v,
	    1, 4, 1, NULL));
	return r;
}

/* Parses a modal number; see cmd_int.h. */
int
cmd_parse_num(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL)
		return NUM_NAN;
	while (isspace((unsigned char)*s))
		s++;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s)
		return NUM_NAN;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return NUM_NAN;
	if (errno == ERANGE)
		return v < 0 ? NUM_LOW : NUM_HIGH;
	if (v < lo)
		return NUM_LOW;
	if (v > hi)
		return NUM_HIGH;
	*out = v;
	return NUM_OK;
}

/* Explains a refused modal number; see cmd_int.h. */
void
cmd_num_problem(struct buf *msg, const char *what, const char *unit, int rc,
    int64_t lo, int64_t hi, const char *s)
{
	if (rc == NUM_LOW)
		buf_addf(msg, "- %s must be at least %lld%s, not `%.40s`\n",
		    what, (long long)lo, unit, s);
	else if (rc == NUM_HIGH)
		buf_addf(msg, "- %s must be at most %lld%s, not `%.40s`\n",
		    what, (long long)hi, unit, s);
	else
		buf_addf(msg, "- %s must be a whole number from %lld to "
		    "%lld%s, not `%.40s`\n", what, (long long)lo,
		    (long long)hi, unit, s ? s : "");
}

/*
 * Checks KEY=VALUE against the server's egg: the variable exists, may be
 * edited, and passes the egg's rules. Appends problems to msg.
 */
static void
check_var(const struct state *st, const struct state_server *srv,
    const char *key, const char *value, struct buf *msg)
{
	const struct egg	*egg = state_server_egg(st, srv);
	const struct egg_var	*var;
	struct buf		 why;

	if (!egg_env_name_valid(key)) {
		buf_addf(msg, "- `%.100s` is not a variable name (names match "
		    "`[A-Z_][A-Z0-9_]*`)\n", key);
		return;
	}
	if (egg == NULL) {
		buf_addf(msg, "- the egg `%s` of this server is missing, so "
		    "`%s` cannot be checked\n", srv->egg, key);
		return;
	}
	if ((var = egg_var_find(egg, key)) == NULL) {
		buf_addf(msg, "- `%s` is not a variable of egg `%s`\n", key,
		    srv->egg);
		return;
	}
	if (!var->editable) {
		buf_addf(msg, "- `%s` may not be changed (the egg marks it "
		    "read-only)\n", key);
		return;
	}
	buf_init(&why, 0);
	if (egg_var_check(var, value, &why) != 0)
		buf_addf(msg, "- `%s`: %s\n", key, buf_str(&why));
	buf_dispose(&why);
}

/*
 * Adds KEY=VALUE to the job; a secret is sealed for the server's nodes
 * first, so that the plaintext goes no further than this function.
 */
static void
add_value(const struct state *st, const struct state_server *srv,
    struct cmd_job *job, const char *key, const char *val, int secret,
    struct buf *msg)
{
	struct buf	sealed;
	struct rerr	err;

	if (!secret || *val == '\0' || seal_is_sealed(val)) {
		cmd_job_add_kv(job, key, val);
		return;
	}
	buf_init(&sealed, 0);
	rerr_init(&err);
	if (secret_seal(st, srv, NULL, 0, val, strlen(val), &sealed,
	    &err) != 0)
		buf_addf(msg, "- `%s` cannot be sealed: %s\n", key, err.msg);
	else
		cmd_job_add_kv(job, key, buf_str(&sealed));
	buf_dispose(&sealed);
}

/* True when KEY of srv is secret: the egg or its name says so, or sealed. */
static int
var_secret(const struct state *st, const struct state_server *srv,
    const struct egg_var *v, const char *key)
{
	return secret_var_is(v, key) ||
	    seal_is_sealed(state_server_var(st, srv, key));
}

/* The modal's "seal" select: every shown variable, secrets chosen. */
static cJSON *
vars_seal_select(const struct egg_var *const *shown, const int *secret,
    size_t n)
{
	cJSON	*l = json_new_object(), *sel, *opts, *o;
	size_t	 i;

	json_add_num(l, "type", COMP_LABEL);
	json_add_str(l, "label", "Seal these values");
	json_add_str(l, "description", "Sealed values are encrypted for the "
	    "nodes and never shown again");
	sel = json_add_object(l, "component");
	json_add_num(sel, "type", COMP_SELECT);
	json_add_str(sel, "custom_id", "seal");
	json_add_num(sel, "min_values", 0);
	json_add_num(sel, "max_values", (double)n);
	json_add_bool(sel, "required", 0);
	opts = json_add_array(sel, "options");
	for (i = 0; i < n; i++) {
		o = cmd_select_option(opts, shown[i]->env, shown[i]->env, NULL);
		if (secret[i])
			json_add_bool(o, "default", 1);
	}
	return l;
}

static cJSON *
vars_modal(const struct cmd_env *env, const struct state_server *srv)
{
	const struct egg	*egg = state_server_egg(env->st, srv);
	const struct egg_var	*shown[4];
	cJSON			*r, *c;
	char			 id[128], title[64], label[46];
	int			 secret[4];
	size_t			 i, n = 0;

	if (egg == NULL)
		return cmd_reply_text(1, "The egg `%s` of `%s` is missing.",
		    srv->egg, srv->name);
	snprintf(id, sizeof(id), "v:%s", srv->name);
	snprintf(title, sizeof(title), "Variables of %s", srv->name);
	r = cmd_modal_new(id, title, &c);
	/* Four values and the seal select: a modal holds five rows. */
	for (i = 0; i < egg->nvars && n < 4; i++) {
		const struct egg_var *v = &egg->vars[i];

		if (!v->editable || strlen(v->env) > 100 || (!v->viewable &&
		    !secret_var_is(v, v->env)))
			continue;
		secret[n] = var_secret(env->st, srv, v, v->env);
		snprintf(label, sizeof(label), "%.45s", v->name && *v->name ?
		    v->name : v->env);
		/* A secret is never shown back: empty keeps it. */
		cJSON_AddItemToArray(c, cmd_text_input(v->env, label,
		    secret[n] ? NULL : state_server_var(env->st, srv, v->env),
		    0, 4000, 0, secret[n] ? "secret: leave empty to keep it" :
		    v->env));
		shown[n++] = v;
	}
	if (n == 0) {
		cJSON_Delete(r);
		return cmd_reply_text(1, "Egg `%s` has no variables you can edit.",
		    srv->egg);
	}
	cJSON_AddItemToArray(c, vars_seal_select(shown, secret, n));
	return r;
}

/*
 * The answer to an edit: with problems in msg, or nothing to change (none
 * says why), they are listed and *job is dropped; else the job goes on
 * and the reply is deferred. Disposes of msg.
 */
static cJSON *
edit_answer(struct cmd_job **job, struct buf *msg, const char *none)
{
	cJSON	*r;

	if (msg->len > 0 || (*job)->nkv == 0) {
		r = cmd_reply_text(1, "Nothing was changed:\n%s", msg->len ?
		    buf_str(msg) : none);
		cmd_job_free(*job);
		*job = NULL;
	} else
		r = cmd_reply_defer(1);
	buf_dispose(msg);
	return r;
}

/* /server vars: the variables with an Edit button, or a set job */
cJSON *
cmd_do_vars(const struct cmd_call *c)
{
	const struct cmd_env	*env = c->env;
	const struct ix		*x = c->x;
	struct cmd_job		**job = c->job;
	const struct state_server	*srv;
	const struct egg		*egg;
	const char			*set = cmd_opt_str(x, "set");
	cJSON				*r, *d, *rows, *row, *comps, *e;
	struct buf			 msg, list, shown;
	char				*copy, *tok, *save, *eq;
	size_t				 i;

	srv = c->srv;
	egg = state_server_egg(env->st, srv);
	if (set == NULL) {
		buf_init(&list, 0);
		buf_init(&shown, 0);
		for (i = 0; egg != NULL && i < egg->nvars; i++) {
			const struct egg_var *v = &egg->vars[i];

			if (list.len > 3800 || (!v->viewable &&
			    !secret_var_is(v, v->env)))
				continue;
			buf_reset(&shown);
			secret_show(v, v->env, state_server_var(env->st, srv,
			    v->env), &shown);
			buf_addf(&list, "`%s` = `%s`%s%s%s\n", v->env,
			    buf_str(&shown), v->editable ? "" : " (read-only)",
			    v->rules_raw && *v->rules_raw ? " \xc2\xb7 " : "",
			    v->rules_raw ? v->rules_raw : "");
		}
		r = cmd_reply_new(CB_MESSAGE, &d);
		e = json_new_object();
		json_add_str(e, "title", srv->name);
		json_add_str(e, "description", list.len ? buf_str(&list) :
		    "This egg has no variables.");
		cJSON_AddItemToArray(json_add_array(d, "embeds"), e);
		rows = json_add_array(d, "components");
		row = json_new_object();
		json_add_num(row, "type", COMP_ROW);
		comps = json_add_array(row, "components");
		cJSON_AddItemToArray(comps, cmd_button("Edit variables",
		    BTN_PRIMARY, "vb:", srv->name));
		cJSON_AddItemToArray(rows, row);
		json_add_num(d, "flags", MSG_EPHEMERAL);
		cmd_no_mentions(d);
		buf_dispose(&list);
		buf_dispose(&shown);
		return r;
	}
	buf_init(&msg, 0);
	*job = cmd_job_new(x, JOB_SET, srv->name, "/server vars");
	(*job)->vars = 1;
	(*job)->propose = c->propose;
	copy = xstrdup(set);
	for (tok = strtok_r(copy, " \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\n", &save)) {
		if ((eq = strchr(tok, '=')) == NULL || eq == tok) {
			buf_addf(&msg, "- `%s` is not KEY=VALUE\n", tok);
			continue;
		}
		*eq = '\0';
		check_var(env->st, srv, tok, eq + 1, &msg);
		add_value(env->st, srv, *job, tok, eq + 1, egg != NULL &&
		    var_secret(env->st, srv, egg_var_find(egg, tok), tok),
		    &msg);
	}
	explicit_bzero(copy, strlen(set));
	free(copy);
	return edit_answer(job, &msg, "- give variables as KEY=VALUE");
}

/* The limits modal of /server edit submitted (e:SERVER). */
cJSON *
cmd_edit_modal(const struct cmd_call *c)
{
	const struct state_server	*srv = c->srv;
	struct cmd_job			**job = c->job;
	struct buf			 msg;
	int64_t				 v;
	size_t				 i;
	int				 rc;

	/* c->propose: without edit, a proposal as roost.yaml allows */
	*job = cmd_job_new(c->x, JOB_SET, srv->name, "/server edit");
	(*job)->propose = c->propose;
	buf_init(&msg, 0);
	for (i = 0; i < cmd_nlimits; i++) {
		const struct cmd_limit *l = &cmd_limits[i];
		const char *s = cmd_modal_value(c->x, l->id);
		char num[32];

		if (s == NULL)
			continue;
		if ((rc = cmd_parse_num(s, limit_get(l->lim)->min,
		    limit_get(l->lim)->max, &v)) != NUM_OK) {
			cmd_num_problem(&msg, l->id, "", rc,
			    limit_get(l->lim)->min, limit_get(l->lim)->max, s);
			continue;
		}
		snprintf(num, sizeof(num), "%lld", (long long)v);
		cmd_job_add_kv(*job, l->key, num);
	}
	return edit_answer(job, &msg, "- no limits given");
}

/* The values the modal's seal select chose ("seal"), or NULL. */
static const cJSON *
vars_sealed_choice(const struct ix *x)
{
	const cJSON	*row, *in;

	cJSON_ArrayForEach(row, cJSON_GetObjectItem(x->data, "components")) {
		in = cJSON_GetObjectItem(row, "component");
		if (in != NULL && strcmp(json_str(in, "custom_id", ""),
		    "seal") == 0)
			return cJSON_GetObjectItem(in, "values");
	}
	return NULL;
}

/* True when the select's values hold key. */
static int
vars_ticked(const cJSON *values, const char *key)
{
	const cJSON	*it;

	cJSON_ArrayForEach(it, values)
		if (cJSON_IsString(it) && strcmp(it->valuestring, key) == 0)
			return 1;
	return 0;
}

/* The variables modal submitted (v:SERVER): changed values only. */
cJSON *
cmd_vars_submit(const struct cmd_call *c)
{
	const struct cmd_env		*env = c->env;
	const struct state_server	*srv = c->srv;
	const struct egg		*egg;
	struct cmd_job			**job = c->job;
	const cJSON			*row, *in, *inner, *ticked;
	struct buf			 msg;

	/* c->propose: without vars, a proposal as roost.yaml allows */
	egg = state_server_egg(env->st, srv);
	ticked = vars_sealed_choice(c->x);
	*job = cmd_job_new(c->x, JOB_SET, srv->name, "/server vars");
	(*job)->vars = 1;
	(*job)->propose = c->propose;
	buf_init(&msg, 0);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(c->x->data,
	    "components")) {
		const cJSON *list[5];
		size_t nl = 0, k;

		if ((in = cJSON_GetObjectItem(row, "component")) != NULL)
			list[nl++] = in;
		cJSON_ArrayForEach(inner, cJSON_GetObjectItem(row,
		    "components"))
			if (nl < 5)
				list[nl++] = inner;
		for (k = 0; k < nl; k++) {
			const char *key = json_str(list[k], "custom_id", "");
			const char *val = json_str(list[k], "value", "");
			const char *cur = state_server_var(env->st, srv, key);
			int secret;

			if (strcmp(key, "seal") == 0)
				continue;
			secret = vars_ticked(ticked, key) || (egg != NULL &&
			    var_secret(env->st, srv, egg_var_find(egg, key),
			    key));
			/* An empty secret field keeps the sealed value. */
			if ((secret && *val == '\0') || (cur != NULL &&
			    strcmp(cur, val) == 0 && !(secret &&
			    !seal_is_sealed(cur))))
				continue;
			check_var(env->st, srv, key, val, &msg);
			add_value(env->st, srv, *job, key, val, secret, &msg);
		}
	}
	return edit_answer(job, &msg, "- every value is as it was");
}

/* The Edit variables button (vb:SERVER): the variables modal. */
cJSON *
cmd_vars_button(const struct cmd_call *c)
{
	return vars_modal(c->env, c->srv);
}
