/*
 * test_fields: the one configuration reader (lib/fields.c) and the three
 * files it serves: typed fields, durations (with plain seconds as
 * before), booleans, nested maps named parent.key, bounds, positions and
 * "did you mean"; roostd.yaml and bot.yaml read through it, and one
 * Discord id check for all (no leading zero).
 */
#include "unit.h"

#include "buf.h"
#include "diag.h"
#include "fields.h"
#include "state.h"
#include "util.h"
#include "ydoc.h"

#include "../../bot/bot.h"
#include "../../reconciler/conf.h"

struct sample {
	char		*name;
	int64_t		 size;
	int		 count;
	int		 on;
	uint64_t	 wait_ms;
	int		 every_s;
	char		*inner;
};

#define OFF(f)	offsetof(struct sample, f)

static const struct field sample_inner[] = {
	{ "label",	FIELD_STR, OFF(inner), 0, 0, FIELD_NONEMPTY },
	{ NULL }
};

static const struct field sample_keys[] = {
	{ "name",	FIELD_STR, OFF(name) },
	{ "size",	FIELD_INT64, OFF(size), 1, 100 },
	{ "count",	FIELD_INT, OFF(count), 0, 10 },
	{ "on",		FIELD_BOOL, OFF(on) },
	{ "wait",	FIELD_DURATION, OFF(wait_ms), 1000, 3600000 },
	{ "every",	FIELD_SECONDS, OFF(every_s), 1, 86400 },
	{ "inner",	FIELD_MAP, 0, 0, 0, 0, sample_inner },
	{ NULL }
};

/* Reads text with the sample table; the problems go to out. */
static void
read_sample(const char *text, struct sample *s, struct buf *out)
{
	struct diags		 d;
	struct ydoc		*doc;
	struct fields_ctx	 c;

	memset(s, 0, sizeof(*s));
	diags_init(&d);
	assert_int_equal(ydoc_parse(&doc, "s.yaml", text, strlen(text), &d),
	    0);
	c.path = "s.yaml";
	c.d = &d;
	c.nunknown = 0;
	fields_fill(&c, doc->root, sample_keys, SIZE_MAX, s, NULL);
	buf_reset(out);
	diags_format(&d, out);
	ydoc_free(doc);
	diags_dispose(&d);
}

static void
sample_free(struct sample *s)
{
	free(s->name);
	free(s->inner);
}

static void
test_fields__types_and_durations(void **state)
{
	struct sample	s;
	struct buf	out;

	buf_init(&out, 0);
	read_sample("name: x\nsize: 7\ncount: 3\non: yes\nwait: 5m\n"
	    "every: 90\ninner: { label: l }\n", &s, &out);
	assert_string_equal(buf_str(&out), "");
	assert_string_equal(s.name, "x");
	assert_int_equal(s.size, 7);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.on, 1);
	assert_int_equal(s.wait_ms, 300000);
	assert_int_equal(s.every_s, 90);	/* plain seconds */
	assert_string_equal(s.inner, "l");
	sample_free(&s);

	/* A plain number is seconds for every duration; units anywhere. */
	read_sample("wait: 15\nevery: 2m\n", &s, &out);
	assert_string_equal(buf_str(&out), "");
	assert_int_equal(s.wait_ms, 15000);
	assert_int_equal(s.every_s, 120);
	sample_free(&s);
	buf_dispose(&out);
}

static void
test_fields__problems_with_places(void **state)
{
	struct sample	s;
	struct buf	out;

	buf_init(&out, 0);
	read_sample("size: 0\ncount: x\non: maybe\nwait: soon\n"
	    "every: 1500ms\nwiat: 1s\ninner: { lable: x, label: '' }\n"
	    "name: [a]\n", &s, &out);
	assert_contains_all(buf_str(&out),
	    "s.yaml:1:7: error: 'size' must be at least 1, not 0\n",
	    "s.yaml:2:8: error: 'count' must be a whole number\n",
	    "s.yaml:3:5: error: 'on' must be true or false, not 'maybe'\n",
	    "s.yaml:4:7: error: 'wait' must be a "
	    "duration such as 500ms, 15s, 5m, 2h or 7d, not 'soon'\n",
	    "s.yaml:5:8: error: 'every' must be whole seconds, not '1500ms'\n",
	    "s.yaml:6:1: error: unknown key 'wiat'; did you mean 'wait'?\n",
	    "s.yaml:7:10: error: unknown key "
	    "'lable' in 'inner'; did you mean 'label'?\n",
	    "s.yaml:7:27: error: 'inner.label' must not be empty\n",
	    "s.yaml:8:7: error: 'name' must be a string, not a list\n");
	sample_free(&s);

	read_sample("wait: 500ms\nevery: 2d\n", &s, &out);
	assert_contains_all(buf_str(&out),
	    "'wait' must be at least 1s, not '500ms'",
	    "'every' must be at most 1d, not '2d'");
	sample_free(&s);
	buf_dispose(&out);
}

/* Writes text to a new file in a temporary directory; returns its path. */
static char *
write_tmp(const char *name, const char *text)
{
	char	*dir = strdup("/tmp/roost-test-fields.XXXXXX"), *path;
	FILE	*fp;

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	free(dir);
	return path;
}

static void
remove_tmp(char *path)
{
	char	*slash = strrchr(path, '/');

	unlink(path);
	*slash = '\0';
	rmdir(path);
	free(path);
}

static void
test_fields__roostd_yaml(void **state)
{
	struct conf	*c;

	c = unit_roostd_conf("node: n1\nrepo: /r\npollInterval: 30\n"
	    "stopTimeout: 1m\nhub:\n  url: ws://h/v1/hub\n  tokenFile: /t\n"
	    "sftp: { enabled: off }\ncontainerUser: '1000:1001'\n", 0, NULL);
	assert_int_equal(c->poll_ms, 30000);
	assert_int_equal(c->stop_ms, 60000);
	assert_string_equal(c->hub_url, "ws://h/v1/hub");
	assert_int_equal(c->sftp_enabled, 0);
	assert_int_equal(c->uid, 1000);
	assert_int_equal(c->gid, 1001);
	assert_int_equal(c->backoff_min_ms, 5000);
	assert_int_equal(c->crashloop_max, 5);
	conf_free(c);

	/* The crash rules a node may tune, and their bounds. */
	c = unit_roostd_conf("node: n1\nrepo: /r\nbackoffMin: 1s\n"
	    "backoffMax: 2s\ncrashLoopMax: 3\ncrashLoopWindow: 2m\n", 0, NULL);
	assert_int_equal(c->backoff_min_ms, 1000);
	assert_int_equal(c->backoff_max_ms, 2000);
	assert_int_equal(c->crashloop_max, 3);
	assert_int_equal(c->crashloop_window_ms, 120000);
	conf_free(c);
	unit_roostd_refuses("node: n1\nrepo: /r\nbackoffMin: 10s\n"
	    "backoffMax: 2s\ncrashLoopMax: 0\n",
	    ":5:15: error: 'crashLoopMax' must be at least 1, not 0",
	    "'backoffMax' must not be shorter than 'backoffMin'");

	unit_roostd_refuses("node: n1\nrepo: /r\nhub:\n  ulr: x\n"
	    "sftp: { enabled: perhaps }\nbranch: ''\n",
	    ":4:3: error: unknown key 'ulr' in 'hub'; did you mean 'url'?",
	    ":5:18: error: 'sftp.enabled' must be true or false, not 'perhaps'",
	    ":6:9: error: 'branch' must not be empty");
}

static void
test_fields__bot_yaml(void **state)
{
	struct diags	 d;
	struct rerr	 err;
	struct bot_conf	*c;
	struct buf	 out;
	char		*p;

	p = write_tmp("bot.yaml", "tokenFile: /t\napplicationId: "
	    "\"900000000000000001\"\nrepo: { url: /r, branch: main }\n"
	    "refreshInterval: 2m\nworkers: 2\n");
	diags_init(&d);
	rerr_init(&err);
	assert_int_equal(bot_conf_load(&c, p, 0, &d, &err), 0);
	assert_int_equal(c->refresh_s, 120);
	assert_string_equal(c->branch, "main");
	assert_int_equal(c->workers, 2);
	bot_conf_free(c);
	diags_dispose(&d);
	remove_tmp(p);

	/* Plain seconds as before; a leading zero is no Discord id. */
	p = write_tmp("bot.yaml", "tokenFile: /t\napplicationId: "
	    "\"090000000000000001\"\nworkers: 65\nrefreshInterval: 45\n"
	    "guilds: [\"012345678901234567\"]\nrepo: { brnach: x }\n");
	diags_init(&d);
	rerr_init(&err);
	assert_int_equal(bot_conf_load(&c, p, 0, &d, &err), ROOST_EINVAL);
	buf_init(&out, 0);
	diags_format(&d, &out);
	assert_contains_all(buf_str(&out),
	    ":2:16: error: 'applicationId' must be a Discord id",
	    ":5:10: error: a guild must be a Discord id",
	    ":3:10: error: 'workers' must be at most 64, not 65",
	    ":6:9: error: unknown key 'brnach' in 'repo'; did you mean "
	    "'branch'?",
	    ":6:7: error: 'repo.url' is required");
	assert_null(strstr(buf_str(&out), "refreshInterval"));
	buf_dispose(&out);
	diags_dispose(&d);
	remove_tmp(p);

	assert_false(state_snowflake_valid("012345678901234567"));
	assert_true(state_snowflake_valid("112345678901234567"));
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_fields__types_and_durations),
    cmocka_unit_test(test_fields__problems_with_places),
    cmocka_unit_test(test_fields__roostd_yaml),
    cmocka_unit_test(test_fields__bot_yaml))
