/*
 * test_ydoc: the positioned YAML tree: values, positions, byte ranges,
 * refused duplicate keys, linear cost on long lines, the node cap, syntax
 * errors with their place, refused aliases.
 */
#include "unit.h"

#include "buf.h"
#include "diag.h"
#include "ydoc.h"

static struct ydoc *
parse_ok(const char *text)
{
	struct diags	 d;
	struct ydoc	*doc;

	diags_init(&d);
	if (ydoc_parse(&doc, "t.yaml", text, strlen(text), &d) != 0)
		fail_msg("parse failed: %s", d.n ? d.v[0].msg : "?");
	diags_dispose(&d);
	return doc;
}

/* Parses len bytes of text as path, which must be refused; problems in d. */
static void
refused(struct diags *d, const char *path, const char *text, size_t len)
{
	struct ydoc	*doc;

	diags_init(d);
	assert_int_equal(ydoc_parse(&doc, path, text, len, d), ROOST_EINVAL);
	assert_null(doc);
	assert_true(d->n >= 1);
}

/* Fails unless text is refused first at line with a message holding want. */
static void
assert_refused_at(const char *text, int line, const char *want)
{
	struct diags	d;

	refused(&d, "t.yaml", text, strlen(text));
	assert_int_equal(d.v[0].line, line);
	assert_contains(d.v[0].msg, want);
	diags_dispose(&d);
}

/* Fails unless n exists and its bytes in text are want. */
static void
assert_span(const char *text, const struct ydoc_node *n, const char *want)
{
	assert_non_null(n);
	assert_int_equal(n->end - n->start, strlen(want));
	assert_memory_equal(text + n->start, want, strlen(want));
}

static void
test_ydoc__positions_and_ranges(void **state)
{
	const char	*text = "# c\nname: mc\nlimits: { memory: 2048 }\n"
			    "list:\n  - a\n  - 'b'\n";
	struct ydoc	*doc = parse_ok(text);
	struct ydoc_node *n;

	n = ydoc_get(doc->root, "name");
	assert_span(text, n, "mc");
	assert_string_equal(n->str, "mc");
	assert_int_equal(n->line, 2);
	assert_int_equal(n->col, 7);

	n = ydoc_get(ydoc_get(doc->root, "limits"), "memory");
	assert_string_equal(n->str, "2048");
	assert_int_equal(n->line, 3);
	assert_span(text, n, "2048");
	assert_true(ydoc_get(doc->root, "limits")->flow);

	n = ydoc_get(doc->root, "list");
	assert_int_equal(n->type, YDOC_SEQ);
	assert_int_equal(n->n, 2);
	assert_int_equal(ydoc_item(n, 1)->style, YDOC_QUOTED);
	assert_span(text, ydoc_item(n, 1), "'b'");
	ydoc_free(doc);
}

static void
test_ydoc__utf8_offsets(void **state)
{
	const char	*text = "k\xc3\xa9y: v\xc3\xa9\nb: x\n";
	struct ydoc	*doc = parse_ok(text);

	assert_span(text, ydoc_get(doc->root, "b"), "x");
	assert_span(text, ydoc_get(doc->root, "k\xc3\xa9y"), "v\xc3\xa9");
	ydoc_free(doc);
}

static void
test_ydoc__duplicate_key_refused(void **state)
{
	struct diags	 d;
	const char	*text = "a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\na: 5\n";
	const char	*json = "{\"name\": \"x\", \"name\": \"y\"}";

	/* The second value would hide below the first in a review. */
	refused(&d, "t.yaml", text, strlen(text));
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].col, 3);
	assert_contains(d.v[0].msg, "key 'c' appears twice");
	assert_contains(d.v[0].msg, "first at t.yaml:3:3");
	diags_dispose(&d);

	refused(&d, "egg.json", json, strlen(json));
	assert_contains(d.v[0].msg, "first at egg.json:1:2");
	assert_int_equal(d.v[0].col, 15);
	diags_dispose(&d);

	/* A key spelled with an invisible line break is shown escaped. */
	text = "\"a\\Lb\": 1\n\"a\\Lb\": 2\n";
	refused(&d, "t.yaml", text, strlen(text));
	assert_contains(d.v[0].msg, "'a\\u2028b'");
	diags_dispose(&d);
}

static void
test_ydoc__duplicates_allowed_by_flag(void **state)
{
	struct diags	 d;
	struct ydoc	*doc;
	const char	*text = "a: 1\na: 2\n";

	/* A game's own config file is read as it is. */
	diags_init(&d);
	assert_int_equal(ydoc_parse_flags(&doc, "g.yml", text, strlen(text),
	    YDOC_DUPLICATES, &d), 0);
	assert_string_equal(ydoc_get(doc->root, "a")->str, "2");
	assert_int_equal(doc->root->n, 2);
	ydoc_free(doc);
	diags_dispose(&d);
}

static void
test_ydoc__unicode_breaks_keep_offsets(void **state)
{
	/* libyaml counts NEL, LS, PS and a lone CR as line breaks. */
	const char	*text = "a: \"x\xe2\x80\xa8y\xc2\x85z\xe2\x80\xa9\"\r"
			    "b: w\xc3\xa9\r\nc: q\n";
	struct ydoc	*doc = parse_ok(text);

	assert_span(text, ydoc_get(doc->root, "b"), "w\xc3\xa9");
	assert_span(text, ydoc_get(doc->root, "c"), "q");
	ydoc_free(doc);
}

static void
test_ydoc__long_line_is_linear(void **state)
{
	struct buf	 b;
	struct diags	 d;
	struct ydoc	*doc;
	struct ydoc_node *n;
	size_t		 i;

	/* 80,000 items on one line: each node used to rescan the line. */
	buf_init(&b, 0);
	buf_puts(&b, "k: [");
	for (i = 0; i < 80000; i++)
		buf_addf(&b, "%s\xc3\xa9%zu", i ? ", " : "", i);
	buf_puts(&b, "]\n");
	diags_init(&d);
	assert_int_equal(ydoc_parse(&doc, "t.yaml", b.data, b.len, &d), 0);
	n = ydoc_get(doc->root, "k");
	assert_int_equal(n->n, 80000);
	assert_memory_equal(b.data + ydoc_item(n, 79999)->start,
	    "\xc3\xa9" "79999", 7);
	/* Placing every node walks the line about once, not once each. */
	assert_true(doc->walked <= 2 * b.len);
	ydoc_free(doc);
	diags_dispose(&d);
	buf_dispose(&b);

	/* One 8 MiB scalar on one line. */
	buf_init(&b, 0);
	buf_puts(&b, "k: ");
	for (i = 0; i < 8 * 1024 * 1024 / 8; i++)
		buf_puts(&b, "abcdefgh");
	buf_puts(&b, "\nz: 1\n");
	diags_init(&d);
	assert_int_equal(ydoc_parse(&doc, "t.yaml", b.data, b.len, &d), 0);
	assert_memory_equal(b.data + ydoc_get(doc->root, "z")->start, "1", 1);
	assert_true(doc->walked <= 2 * b.len);
	ydoc_free(doc);
	diags_dispose(&d);
	buf_dispose(&b);
}

static void
test_ydoc__node_cap(void **state)
{
	struct buf	 b;
	struct diags	 d;
	size_t		 i;

	/* 200,000 keys in one map: past the cap, with file and place. */
	buf_init(&b, 0);
	buf_puts(&b, "variables:\n");
	for (i = 0; i < 200000; i++)
		buf_addf(&b, "  V%zu: x\n", i);
	refused(&d, "servers/x.yaml", b.data, b.len);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].path, "servers/x.yaml");
	assert_int_equal(d.v[0].line, 2 + (YDOC_MAX_NODES - 3) / 2);
	assert_contains(d.v[0].msg, "more than 250000 yaml values");
	diags_dispose(&d);

	/* Past 16 MiB a file is refused before it is read. */
	buf_reset(&b);
	for (i = 0; i < 1024 * 1024 + 1; i++)
		buf_puts(&b, "# 16 bytes ....\n");
	refused(&d, "servers/x.yaml", b.data, b.len);
	assert_contains(d.v[0].msg, "larger than 16 MiB");
	diags_dispose(&d);
	buf_dispose(&b);
}

static void
test_ydoc__syntax_error_position(void **state)
{
	struct diags	 d;
	const char	*text = "a: 1\nb: [1, 2\nc: 3\n";

	refused(&d, "servers/x.yaml", text, strlen(text));
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].path, "servers/x.yaml");
	assert_true(d.v[0].line >= 2);
	assert_contains(d.v[0].msg, "yaml syntax");
	diags_dispose(&d);
}

static void
test_ydoc__alias_refused(void **state)
{
	assert_refused_at("a: &x [1]\nb: *x\n", 1, "anchors");
}

static void
test_ydoc__nulls_and_empty(void **state)
{
	struct ydoc	*doc = parse_ok("a: ~\nb:\nc: ''\nd: null\n");

	assert_true(ydoc_is_null(ydoc_get(doc->root, "a")));
	assert_true(ydoc_is_null(ydoc_get(doc->root, "b")));
	assert_false(ydoc_is_null(ydoc_get(doc->root, "c")));
	assert_true(ydoc_is_null(ydoc_get(doc->root, "d")));
	assert_true(ydoc_is_null(ydoc_get(doc->root, "missing")));
	ydoc_free(doc);
	doc = parse_ok("");
	assert_null(doc->root);
	ydoc_free(doc);
}

static void
test_ydoc__second_document_refused(void **state)
{
	assert_refused_at("a: 1\n---\nb: 2\n", 2, "");
}

static void
test_ydoc__complex_key_refused(void **state)
{
	assert_refused_at("a: 1\n[x]: 2\n", 2, "map key");
}

static void
test_diag__format_and_json(void **state)
{
	struct diags	d;
	struct buf	b;

	diags_init(&d);
	diags_add(&d, "servers/b.yaml", 3, 4, "second");
	diags_add(&d, "servers/a.yaml", 7, 12, "memory must be at least %d "
	    "MiB", 64);
	diags_sort(&d);
	buf_init(&b, 0);
	diags_format(&d, &b);
	assert_string_equal(buf_str(&b),
	    "servers/a.yaml:7:12: error: memory must be at least 64 MiB\n"
	    "servers/b.yaml:3:4: error: second\n");
	buf_reset(&b);
	diags_json(&d, &b);
	assert_contains(buf_str(&b), "{\"path\":\"servers/a.yaml\",\"line\":7,"
	    "\"column\":12,\"level\":\"error\",\"message\":\"memory must be at "
	    "least 64 MiB\"}");
	assert_int_equal(d.nerrors, 2);
	buf_dispose(&b);
	diags_dispose(&d);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_ydoc__positions_and_ranges),
    cmocka_unit_test(test_ydoc__utf8_offsets),
    cmocka_unit_test(test_ydoc__duplicate_key_refused),
    cmocka_unit_test(test_ydoc__duplicates_allowed_by_flag),
    cmocka_unit_test(test_ydoc__unicode_breaks_keep_offsets),
    cmocka_unit_test(test_ydoc__long_line_is_linear),
    cmocka_unit_test(test_ydoc__node_cap),
    cmocka_unit_test(test_ydoc__syntax_error_position),
    cmocka_unit_test(test_ydoc__alias_refused),
    cmocka_unit_test(test_ydoc__nulls_and_empty),
    cmocka_unit_test(test_ydoc__second_document_refused),
    cmocka_unit_test(test_ydoc__complex_key_refused),
    cmocka_unit_test(test_diag__format_and_json))
