/*
 * hubproto: the node hub protocol's frames (see hubproto.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"
#include "xmalloc.h"

#include "hubproto.h"

static const char *const hubp_names[] = {
	[HUBP_UNKNOWN] = "",
	[HUBP_HELLO] = "hello",
	[HUBP_SNAPSHOT] = "snapshot",
	[HUBP_SERVER] = "server",
	[HUBP_SERVER_REMOVED] = "server_removed",
	[HUBP_NODE] = "node",
	[HUBP_PROGRESS] = "progress",
	[HUBP_HEARTBEAT] = "heartbeat",
	[HUBP_FETCHED] = "fetched",
	[HUBP_FETCH] = "fetch",
	[HUBP_RESYNC] = "resync",
	[HUBP_COMMAND_RESULT] = "command_result",
	[HUBP_CONSOLE] = "console",
	[HUBP_AUDIT] = "audit",
	[HUBP_COMMAND] = "command",
	[HUBP_SUBSCRIBE] = "subscribe",
	[HUBP_UNSUBSCRIBE] = "unsubscribe",
	[HUBP_SCHEDULE_RUN] = "schedule_run",
};

/* The type of a frame. */
enum hubp_type
hubp_type(const cJSON *frame)
{
	const char	*t = json_str(frame, "type", NULL);
	size_t		 i;

	if (t == NULL)
		return HUBP_UNKNOWN;
	for (i = 1; i < sizeof(hubp_names) / sizeof(hubp_names[0]); i++)
		if (strcmp(hubp_names[i], t) == 0)
			return (enum hubp_type)i;
	return HUBP_UNKNOWN;
}

/* The wire name of a type. */
const char *
hubp_type_name(enum hubp_type t)
{
	return (size_t)t < sizeof(hubp_names) / sizeof(hubp_names[0]) ?
	    hubp_names[t] : "";
}

static cJSON *
frame(enum hubp_type t)
{
	cJSON	*o = json_new_object();

	json_add_str(o, "type", hubp_type_name(t));
	return o;
}

/*
 * A frame of type t with string members, given as key, value pairs
 * ending with a NULL key.
 */
static char	*strs_frame(enum hubp_type, ...)
		    __attribute__((__sentinel__));

static char *
strs_frame(enum hubp_type t, ...)
{
	va_list		 ap;
	cJSON		*o = frame(t);
	const char	*k;

	va_start(ap, t);
	while ((k = va_arg(ap, const char *)) != NULL)
		json_add_str(o, k, va_arg(ap, const char *));
	va_end(ap);
	return json_print_free(o);
}

/* A string, or null for NULL. */
static void
add_str_or_null(cJSON *o, const char *key, const char *val)
{
	if (val != NULL)
		json_add_str(o, key, val);
	else
		cJSON_AddItemToObject(o, key, json_new_null());
}

/* A frame {"type":...,"key":<json>} around JSON text already printed. */
static char *
wrap(enum hubp_type t, const char *key, const char *json)
{
	char	*text;

	xasprintf(&text, "{\"type\":\"%s\",\"%s\":%s}", hubp_type_name(t),
	    key, json != NULL ? json : "null");
	return text;
}

/* hello */
char *
hubp_hello(const char *node, const char *version, const char *revision)
{
	cJSON	*o = frame(HUBP_HELLO);

	json_add_str(o, "node", node);
	json_add_str(o, "version", version);
	add_str_or_null(o, "revision", revision);
	return json_print_free(o);
}

/* snapshot */
char *
hubp_snapshot(const char *node_json, const char *servers_json)
{
	char	*text;

	xasprintf(&text, "{\"type\":\"%s\",\"node\":%s,\"servers\":%s}",
	    hubp_type_name(HUBP_SNAPSHOT), node_json != NULL ? node_json :
	    "null", servers_json != NULL ? servers_json : "[]");
	return text;
}

/* server */
char *
hubp_server(const char *server_json)
{
	return wrap(HUBP_SERVER, "server", server_json);
}

/* server_removed */
char *
hubp_server_removed(const char *name)
{
	return strs_frame(HUBP_SERVER_REMOVED, "name", name, NULL);
}

/* node */
char *
hubp_node(const char *node_json)
{
	return wrap(HUBP_NODE, "node", node_json);
}

/* progress */
char *
hubp_progress(const char *server, const char *kind, const char *text)
{
	return strs_frame(HUBP_PROGRESS, "server", server, "kind", kind,
	    "text", text, NULL);
}

/* heartbeat */
char *
hubp_heartbeat(const char *rfc3339)
{
	return strs_frame(HUBP_HEARTBEAT, "time", rfc3339, NULL);
}

/* fetched */
char *
hubp_fetched(const char *id, const char *result)
{
	cJSON		*o = frame(HUBP_FETCHED), *r = NULL;
	const char	*err;

	json_add_str(o, "id", id);
	if (result != NULL)
		r = json_parse_str(result);
	add_str_or_null(o, "revision", json_str(r, "revision", NULL));
	err = json_str(r, "error", NULL);
	add_str_or_null(o, "error", err != NULL ? err : result == NULL ?
	    "no result" : NULL);
	cJSON_Delete(r);
	return json_print_free(o);
}

/* fetch */
char *
hubp_fetch(const char *id, const char *revision)
{
	cJSON	*o = frame(HUBP_FETCH);

	json_add_str(o, "id", id);
	if (revision != NULL)
		json_add_str(o, "revision", revision);
	return json_print_free(o);
}

/* resync */
char *
hubp_resync(void)
{
	return json_print_free(frame(HUBP_RESYNC));
}

/* command_result */
char *
hubp_command_result(const char *id, const char *code, const char *error,
    unsigned long long seq, unsigned long long retry_ms)
{
	cJSON	*o = frame(HUBP_COMMAND_RESULT);

	json_add_str(o, "id", id);
	json_add_str(o, "code", code);
	add_str_or_null(o, "error", error);
	json_add_num(o, "seq", (double)seq);
	if (retry_ms > 0)
		json_add_num(o, "retryMs", (double)retry_ms);
	return json_print_free(o);
}

/* console */
char *
hubp_console(const char *server, cJSON *lines, unsigned long long dropped,
    int tail)
{
	cJSON	*o = frame(HUBP_CONSOLE);

	json_add_str(o, "server", server);
	cJSON_AddItemToObject(o, "lines", lines != NULL ? lines :
	    json_new_array());
	json_add_num(o, "dropped", (double)dropped);
	json_add_bool(o, "tail", tail);
	return json_print_free(o);
}

/* audit */
char *
hubp_audit(const char *entry_json)
{
	return wrap(HUBP_AUDIT, "entry", entry_json);
}

/* command */
char *
hubp_command(const char *id, const char *server, const char *user,
    const char *line)
{
	return strs_frame(HUBP_COMMAND, "id", id, "server", server,
	    "user", user, "line", line, NULL);
}

/* subscribe */
char *
hubp_subscribe(const char *server, unsigned int lines)
{
	cJSON	*o = frame(HUBP_SUBSCRIBE);

	json_add_str(o, "server", server);
	json_add_num(o, "lines", lines);
	return json_print_free(o);
}

/* unsubscribe */
char *
hubp_unsubscribe(const char *server)
{
	return strs_frame(HUBP_UNSUBSCRIBE, "server", server, NULL);
}

/* schedule_run */
char *
hubp_schedule_run(const char *id, const char *server, const char *schedule,
    const char *user)
{
	return strs_frame(HUBP_SCHEDULE_RUN, "id", id, "server", server,
	    "schedule", schedule, "user", user, NULL);
}
