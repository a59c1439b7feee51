/*
 * test_console: the console ring (line and byte bounds, numbering, gaps),
 * ANSI stripping, the input rules, the rate limiter, the flood throttle,
 * subscriptions and console_command with its audit log.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include "unit.h"

#include "buf.h"
#include "conline.h"
#include "xmalloc.h"

#include "../../reconciler/console.h"

static void
test_console__ring_bounds_lines(void **state)
{
	struct cring		*r = cring_new(3, 1000);
	struct console_line	*v;
	uint64_t		 skipped;
	ssize_t			 n;

	assert_int_equal(cring_push(r, "a", 1, 0), 1);
	cring_push(r, "b", 1, 0);
	cring_push(r, "c", 1, 0);
	assert_int_equal(cring_push(r, "d", 1, 0), 4);
	assert_int_equal(cring_count(r), 3);
	n = cring_read(r, 0, 0, &v, &skipped);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].text, "b");
	assert_int_equal(v[0].seq, 2);
	assert_string_equal(v[2].text, "d");
	/* A reader at 0 missed "a". */
	assert_int_equal(skipped, 1);
	console_lines_free(v, (size_t)n);
	/* After 2: only c and d. */
	n = cring_read(r, 2, 0, &v, &skipped);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].text, "c");
	assert_int_equal(skipped, 0);
	console_lines_free(v, (size_t)n);
	/* The newest one only. */
	n = cring_read(r, 0, 1, &v, &skipped);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].text, "d");
	console_lines_free(v, (size_t)n);
	/* Nothing new. */
	assert_int_equal(cring_read(r, 4, 0, &v, &skipped), 0);
	/* Clearing keeps the numbering. */
	cring_clear(r);
	assert_int_equal(cring_count(r), 0);
	assert_int_equal(cring_push(r, "e", 1, 0), 5);
	cring_free(r);
}

static void
test_console__ring_bounds_bytes(void **state)
{
	struct cring		*r = cring_new(1000, 100);
	struct console_line	*v;
	uint64_t		 skipped;
	char			 big[300];
	ssize_t			 n;
	int			 i;

	for (i = 0; i < 50; i++)
		cring_push(r, "0123456789", 10, 0);
	assert_int_equal(cring_count(r), 10);
	assert_int_equal(cring_bytes(r), 100);
	/* A line over the bound is cut to it and alone in the ring. */
	memset(big, 'x', sizeof(big));
	cring_push(r, big, sizeof(big), 0);
	assert_int_equal(cring_count(r), 1);
	assert_int_equal(cring_bytes(r), 100);
	n = cring_read(r, 0, 0, &v, &skipped);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].len, 100);
	assert_int_equal(strlen(v[0].text), 100);
	console_lines_free(v, (size_t)n);
	cring_free(r);
}

static void
test_console__strip_ansi(void **state)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "\033[31mred\033[0m plain", "red plain" },
		{ "\033[1;38;5;208mbold\033[m", "bold" },
		{ "\033]0;title\007after", "after" },
		{ "\033]8;;http://x\033\\link\033]8;;\033\\", "link" },
		{ "\033(Bcharset", "charset" },
		{ "tab\tok\rcr", "tab\tokcr" },
		{ "no escapes at all", "no escapes at all" },
		{ "cut at the end \033[", "cut at the end " },
		{ "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93" },
	};
	size_t	i;
	char	*s;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = conline_strip_ansi(cases[i].in, strlen(cases[i].in));
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void
test_console__utf8(void **state)
{
	char	*s;

	s = conline_utf8("ok \xc3\xa9", 5);
	assert_string_equal(s, "ok \xc3\xa9");
	free(s);
	s = conline_utf8("bad \xff\xc3 end", 10);
	assert_string_equal(s, "bad \xef\xbf\xbd\xef\xbf\xbd end");
	free(s);
	/* An overlong "/" is not UTF-8. */
	s = conline_utf8("\xc0\xaf", 2);
	assert_string_equal(s, "\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
}

static void
test_console__input_rules(void **state)
{
	static const struct {
		const char	*line;
		size_t		 len;
		const char	*why;	/* NULL: accepted */
	} cases[] = {
		{ "say hello", 9, NULL },
		{ "whitelist add Steve", 19, NULL },
		{ "say caf\xc3\xa9 \xe2\x9c\x93", 13, NULL },
		{ "say\ttab", 7, "U+0009" },
		{ "", 0, "empty" },
		{ "say a\nstop", 10, "line break at byte 6" },
		{ "say a\r\nstop", 11, "line break at byte 6" },
		{ "say a\rstop", 10, "line break" },
		{ "say \033[31mred", 13, "U+001B" },
		{ "say \0stop", 9, "U+0000" },
		{ "say \x7f", 5, "U+007F" },
		{ "say \xc2\x85stop", 10, "U+0085" },	/* NEL */
		{ "say \xc2\x9b" "31m", 9, "U+009B" },	/* C1 CSI */
		{ "say \xff", 5, "not valid UTF-8" },
		{ "say \xc0\x8a", 6, "not valid UTF-8" },	/* overlong LF */
	};
	struct rerr	err;
	char		line[CONLINE_MAX + 2];
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rerr_init(&err);
		if (cases[i].why == NULL) {
			assert_rok(conline_check(cases[i].line,
			    cases[i].len, &err), &err);
			continue;
		}
		assert_int_equal(conline_check(cases[i].line,
		    cases[i].len, &err), ROOST_EINVAL);
		assert_contains(err.msg, cases[i].why);
	}
	memset(line, 'a', sizeof(line));
	rerr_init(&err);
	assert_rok(conline_check(line, CONLINE_MAX, &err), &err);
	rerr_init(&err);
	assert_int_equal(conline_check(line, CONLINE_MAX + 1,
	    &err), ROOST_EINVAL);
	assert_contains(err.msg, "513 bytes");
}

static void
test_console__rate_limit(void **state)
{
	struct crate	*rl = crate_new(5, 10000);
	char		 key[32];
	int		 i;

	for (i = 0; i < 5; i++)
		assert_int_equal(crate_take(rl, "unix:alice", 1000 + i), 0);
	/* The sixth waits until the first leaves the window. */
	assert_int_equal(crate_take(rl, "unix:alice", 2000), 9000);
	/* Someone else is not limited by alice. */
	assert_int_equal(crate_take(rl, "unix:bob", 2000), 0);
	assert_int_equal(crate_take(rl, "unix:alice", 10999), 1);
	assert_int_equal(crate_take(rl, "unix:alice", 11000), 0);
	assert_true(crate_take(rl, "unix:alice", 11000) > 0);
	/* Many keys: the table stays bounded and alice stays limited. */
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(crate_take(rl, key, 11000), 0);
	}
	crate_free(rl);
}

static void
test_console__throttle(void **state)
{
	struct console_conf	 cc;
	struct console		*con;
	struct console_line	*v;
	uint64_t		 skipped, next;
	ssize_t			 n;
	int			 i, found = 0;

	memset(&cc, 0, sizeof(cc));
	cc.throttle_lines = 10;
	cc.throttle_ms = 1000;
	con = console_new(&cc);
	for (i = 0; i < 30; i++)
		console_output(con, "s", "flood", 5);
	/* Roost's own lines are never throttled. */
	console_note(con, "s", "note");
	n = console_read(con, "s", 0, 0, &v, &skipped, &next);
	assert_int_equal(n, 11);
	console_lines_free(v, (size_t)n);
	usleep(1100 * 1000);
	/* The next read after the interval says how many were dropped. */
	n = console_read(con, "s", 0, 0, &v, &skipped, &next);
	assert_int_equal(n, 12);
	for (i = 0; i < n; i++)
		if (strstr(v[i].text, "20 lines dropped") != NULL)
			found = 1;
	assert_true(found);
	console_lines_free(v, (size_t)n);
	console_free(con);
}

static void
test_console__memory_bounded(void **state)
{
	struct console_conf	 cc;
	struct console		*con;
	struct console_line	*v;
	uint64_t		 skipped, next, total;
	char			 name[16], line[1024];
	ssize_t			 n, i;
	int			 s, k;

	memset(&cc, 0, sizeof(cc));
	cc.throttle_lines = 1000000;
	con = console_new(&cc);
	memset(line, 'x', sizeof(line));
	for (s = 0; s < 100; s++) {
		snprintf(name, sizeof(name), "srv%d", s);
		for (k = 0; k < 2000; k++)
			console_output(con, name, line, sizeof(line));
	}
	for (s = 0; s < 100; s++) {
		snprintf(name, sizeof(name), "srv%d", s);
		n = console_read(con, name, 0, 0, &v, &skipped, &next);
		assert_true(n > 0 && n <= CONSOLE_DEF_LINES);
		total = 0;
		for (i = 0; i < n; i++)
			total += v[i].len;
		assert_true(total <= CONSOLE_DEF_BYTES);
		assert_int_equal(next, 2000);
		console_lines_free(v, (size_t)n);
	}
	console_free(con);
}

struct sent {
	struct buf	lines;
	int		calls;
	int		state;		/* what the check answers */
};

static int
fake_send(void *arg, const char *server, const char *line, struct rerr *err)
{
	struct sent	*s = arg;

	if (strcmp(server, "web") != 0)
		return rerr_set(err, ROOST_ENOTFOUND, "no server");
	if (s->state != 0)
		return rerr_set(err, s->state, "server \"%s\" is not running",
		    server);
	if (line == NULL)
		return 0;
	s->calls++;
	buf_puts(&s->lines, line);
	buf_putc(&s->lines, '\n');
	return 0;
}

static int
count_lines(const char *path)
{
	FILE	*fp = fopen(path, "r");
	int	 c, n = 0;

	if (fp == NULL)
		return -1;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static int
count_of_nl(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* The audit entries handed on (to the hub), one a line. */
static void
on_audit(void *arg, const char *entry)
{
	buf_addf(arg, "%s\n", entry);
}

static void
test_console__command_and_audit(void **state)
{
	struct console_conf	 cc;
	struct console_result	 res;
	struct console		*con;
	struct sent		 sent;
	struct rerr		 err;
	struct stat		 sb;
	char			 dir[] = "/tmp/test_console.XXXXXX", path[128];
	char			 old[160], buf[4096];
	struct buf		 handed;
	FILE			*fp;
	int			 i;

	buf_init(&handed, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	memset(&sent, 0, sizeof(sent));
	buf_init(&sent.lines, 0);
	memset(&cc, 0, sizeof(cc));
	cc.audit_path = path;
	cc.audit_max = 2000;
	cc.rate = 3;
	cc.rate_ms = 60000;
	cc.send = fake_send;
	cc.send_arg = &sent;
	cc.on_audit = on_audit;
	cc.audit_arg = &handed;
	con = console_new(&cc);

	console_output(con, "web", "before", 6);
	rerr_init(&err);
	assert_rok(console_command(con, "web", "unix:alice", "say hi", &res,
	    &err), &err);
	assert_string_equal(res.who, "unix:alice");
	assert_int_equal(res.seq, 1);
	/* Refused by the rules: nothing sent, nothing audited. */
	rerr_init(&err);
	assert_int_equal(console_command(con, "web", "unix:alice",
	    "say a\nstop", NULL, &err), ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(console_command(con, "nope", "unix:alice", "say x",
	    NULL, &err), ROOST_ENOTFOUND);
	sent.state = ROOST_ECONFLICT;
	rerr_init(&err);
	assert_int_equal(console_command(con, "web", "unix:alice", "say x",
	    NULL, &err), ROOST_ECONFLICT);
	assert_contains(err.msg, "not running");
	sent.state = 0;
	/* The rate limit: three per minute each. */
	for (i = 0; i < 2; i++) {
		rerr_init(&err);
		assert_rok(console_command(con, "web", "unix:alice", "say r",
		    NULL, &err), &err);
	}
	rerr_init(&err);
	assert_int_equal(console_command(con, "web", "unix:alice", "say r",
	    &res, &err), ROOST_EDENIED);
	assert_contains(err.msg, "rate limited");
	assert_true(res.retry_ms > 0 && res.retry_ms <= 60000);
	rerr_init(&err);
	assert_rok(console_command(con, "web", "discord:42", "say \"q\"",
	    NULL, &err), &err);
	assert_int_equal(sent.calls, 4);
	assert_string_equal(buf_str(&sent.lines),
	    "say hi\nsay r\nsay r\nsay \"q\"\n");
	/* One JSON line per command sent, 0640. */
	assert_int_equal(count_lines(path), 4);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	fp = fopen(path, "r");
	assert_non_null(fgets(buf, sizeof(buf), fp));
	assert_contains(buf, "\"server\":\"web\"");
	assert_contains(buf, "\"who\":\"unix:alice\"");
	assert_contains(buf, "\"line\":\"say hi\"");
	assert_contains(buf, "\"time\":\"20");
	fclose(fp);
	/* the same entries, and only those, go on to the hub */
	buf[strcspn(buf, "\n")] = '\0';
	assert_int_equal(count_of_nl(buf_str(&handed)), 4);
	assert_true(strncmp(buf_str(&handed), buf, strlen(buf)) == 0);
	assert_contains(buf_str(&handed), "\"who\":\"discord:42\"");
	console_free(con);
	cc.on_audit = NULL;
	buf_dispose(&handed);

	/* Rotation at the size bound keeps one old file. */
	cc.rate = 1000;
	con = console_new(&cc);
	for (i = 0; i < 60; i++) {
		rerr_init(&err);
		assert_rok(console_command(con, "web", "unix:bob",
		    "say rotate", NULL, &err), &err);
	}
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size <= 2000);
	assert_int_equal(stat(old, &sb), 0);
	assert_true(sb.st_size <= 2000);
	console_free(con);

	/* A symlink in place of the log is refused, and nothing is sent. */
	unlink(old);
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	con = console_new(&cc);
	sent.calls = 0;
	rerr_init(&err);
	assert_int_equal(console_command(con, "web", "unix:bob", "say x",
	    NULL, &err), -1);
	assert_contains(err.msg, "audit");
	assert_int_equal(sent.calls, 0);
	console_free(con);
	unlink(path);
	rmdir(dir);
	buf_dispose(&sent.lines);
}

static void
on_line(void *arg, const char *server, uint64_t seq, const char *text,
    size_t len)
{
	struct buf	*b = arg;

	buf_addf(b, "%s:%llu:%.*s\n", server, (unsigned long long)seq,
	    (int)len, text);
}

static void
test_console__subscribe_and_wait(void **state)
{
	struct console	*con = console_new(NULL);
	struct buf	 all, one;
	uint64_t	 a, b;

	buf_init(&all, 0);
	buf_init(&one, 0);
	a = console_subscribe(con, NULL, on_line, &all);
	b = console_subscribe(con, "x", on_line, &one);
	console_output(con, "x", "hello", 5);
	console_output(con, "y", "other", 5);
	assert_string_equal(buf_str(&all), "x:1:hello\ny:1:other\n");
	assert_string_equal(buf_str(&one), "x:1:hello\n");
	console_unsubscribe(con, a);
	console_output(con, "x", "again", 5);
	assert_string_equal(buf_str(&all), "x:1:hello\ny:1:other\n");
	assert_string_equal(buf_str(&one), "x:1:hello\nx:2:again\n");
	console_unsubscribe(con, b);
	assert_int_equal(console_wait(con, "x", 1, 10), 1);
	assert_int_equal(console_wait(con, "x", 2, 50), 0);
	assert_int_equal(console_wait(con, "unknown", 0, 50), 0);
	assert_true(console_known(con, "x"));
	assert_false(console_known(con, "unknown"));
	console_forget(con, "x");
	assert_int_equal(console_wait(con, "x", 2, 10), 0);
	buf_dispose(&all);
	buf_dispose(&one);
	console_free(con);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_console__ring_bounds_lines),
    cmocka_unit_test(test_console__ring_bounds_bytes),
    cmocka_unit_test(test_console__strip_ansi),
    cmocka_unit_test(test_console__utf8),
    cmocka_unit_test(test_console__input_rules),
    cmocka_unit_test(test_console__rate_limit),
    cmocka_unit_test(test_console__throttle),
    cmocka_unit_test(test_console__memory_bounded),
    cmocka_unit_test(test_console__command_and_audit),
    cmocka_unit_test(test_console__subscribe_and_wait))
