/*
 * unit_bot.h: what the unit tests of roost-bot's command handlers share.
 * The file that includes it defines env_init, which fills the handlers'
 * environment for its tests, and ix, which builds an interaction of a
 * type by a user with one role (or NULL) and data JSON (with ix_in).
 */
#ifndef ROOST_UNIT_BOT_H
#define ROOST_UNIT_BOT_H

#include <cjson/cJSON.h>

#include "json.h"
#include "xmalloc.h"

#include "../../bot/commands.h"

static void	env_init(struct cmd_env *);
static cJSON	*ix(int, const char *, const char *, const char *);

/*
 * An interaction sent in channel (on the message of id message, if not
 * NULL): type, user (named "u" and its id's last four digits), one role
 * (or NULL), data JSON.
 */
static cJSON *
ix_in(const char *channel, const char *message, int type, const char *user,
    const char *role, const char *data)
{
	static int	 serial;
	char		*text;
	cJSON		*o;

	xasprintf(&text, "{\"id\":\"1%017d\",\"application_id\":\"9\","
	    "\"token\":\"tok\",\"type\":%d,\"channel_id\":\"%s\",%s%s%s"
	    "\"member\":{\"user\":{\"id\":\"%s\",\"username\":\"u%s\"},"
	    "\"roles\":[%s%s%s]},\"data\":%s}", ++serial, type, channel,
	    message ? "\"message\":{\"id\":\"" : "", message ? message : "",
	    message ? "\"}," : "", user, user + 14, role ? "\"" : "",
	    role ? role : "", role ? "\"" : "", data);
	o = cJSON_Parse(text);
	assert_non_null(o);
	free(text);
	return o;
}

/* ix with the data JSON made from fmt as printf makes it. */
static cJSON *
ixf(int type, const char *user, const char *role, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static cJSON *
ixf(int type, const char *user, const char *role, const char *fmt, ...)
{
	va_list	 ap;
	char	*d;
	cJSON	*o;

	va_start(ap, fmt);
	if (vasprintf(&d, fmt, ap) == -1)
		fail_msg("out of memory");
	va_end(ap);
	o = ix(type, user, role, d);
	free(d);
	return o;
}

/* A component press by user with role (or NULL) on custom_id. */
static cJSON *
press(const char *user, const char *role, const char *custom_id)
{
	return ixf(3, user, role, "{\"custom_id\":\"%s\",\"component_type\":2}",
	    custom_id);
}

/* Runs the handler; returns the reply, the job in *job. */
static cJSON *
run(cJSON *in, struct cmd_job **job)
{
	struct cmd_env	env;
	cJSON		*reply;

	env_init(&env);
	cmd_handle(&env, in, &reply, job);
	cJSON_Delete(in);
	assert_non_null(reply);
	return reply;
}

/*
 * Runs in, which must answer with type and message flags (0: none) and
 * make a job of kind; the job, to free. A failure names the caller's line.
 */
#define started(in, type, flags, kind)					\
	started_((in), (type), (flags), (kind), __FILE__, __LINE__)
static struct cmd_job *
started_(cJSON *in, int type, int flags, enum cmd_kind kind,
    const char *file, int line)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(in, &job);
	_assert_int_equal(json_int64(r, "type", 0), type, file, line);
	_assert_int_equal(json_int64(r, "data.flags", 0), flags, file, line);
	_assert_true(job != NULL, "job", file, line);
	_assert_int_equal(job->kind, kind, file, line);
	cJSON_Delete(r);
	return job;
}

/* Runs in, which must make no job and answer with a text holding want. */
static void
refused(cJSON *in, const char *want)
{
	struct cmd_job	*job;
	cJSON		*r;

	r = run(in, &job);
	assert_null(job);
	assert_contains(json_str(r, "data.content", ""), want);
	cJSON_Delete(r);
}

#endif
