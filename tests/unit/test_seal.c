/*
 * test_seal: sealed secrets (lib/seal.c) and the rules on top of them
 * (lib/secret.c): a value sealed to several nodes opens on each and
 * nowhere else, a damaged, truncated or rotated one is refused with a
 * message that names the nodes but never the plaintext, key files are
 * private and never followed through a link.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>

#include "unit.h"

#include "buf.h"
#include "diag.h"
#include "egg.h"
#include "seal.h"
#include "secret.h"
#include "state.h"

static const char *const plain = "hunter2 with spaces";

/* Seals plain for node names a and b with keys ka and kb. */
static char *
seal_two(const struct seal_key *ka, const struct seal_key *kb)
{
	struct seal_pub	to[2];
	struct buf	out;
	struct rerr	err;

	to[0].node = "node-a";
	memcpy(to[0].pk, ka->pk, SEAL_KEYLEN);
	to[1].node = "node-b";
	memcpy(to[1].pk, kb->pk, SEAL_KEYLEN);
	buf_init(&out, 0);
	rerr_init(&err);
	assert_rok(seal_seal(plain, strlen(plain), to, 2, &out, &err), &err);
	return buf_detach(&out);
}

static void
test_seal__roundtrip_each_node(void **state)
{
	struct seal_key	ka, kb, kc;
	struct rerr	err;
	struct buf	who;
	char		*s, *p = NULL;
	size_t		len;

	seal_key_generate(&ka);
	seal_key_generate(&kb);
	seal_key_generate(&kc);
	s = seal_two(&ka, &kb);
	assert_true(seal_is_sealed(s));
	assert_null(strstr(s, "hunter2"));
	rerr_init(&err);
	assert_rok(seal_open(s, "node-a", &ka, 1, &p, &len, &err), &err);
	assert_string_equal(p, plain);
	assert_int_equal(len, strlen(plain));
	seal_free(p, len);
	assert_rok(seal_open(s, "node-b", &kb, 1, &p, &len, &err), &err);
	assert_string_equal(p, plain);
	seal_free(p, len);
	/* Another node: not a recipient, and the message says who is. */
	rerr_init(&err);
	assert_int_equal(seal_open(s, "node-c", &kc, 1, &p, &len, &err),
	    ROOST_ENOTFOUND);
	assert_null(p);
	assert_contains(err.msg, "node-a, node-b");
	assert_contains(err.msg, "node-c");
	assert_null(strstr(err.msg, "hunter2"));
	/* node-a's name with node-c's key: the key id tells them apart. */
	rerr_init(&err);
	assert_int_equal(seal_open(s, "node-a", &kc, 1, &p, &len, &err),
	    ROOST_EDENIED);
	assert_contains(err.msg, ka.kid);
	buf_init(&who, 0);
	seal_nodes(s, &who);
	assert_string_equal(buf_str(&who), "node-a, node-b");
	buf_dispose(&who);
	free(s);
}

static void
test_seal__damaged_truncated_rotated(void **state)
{
	struct seal_key	ka, kb, keys[2];
	struct rerr	err;
	char		*s, *d, *p = NULL;
	size_t		len, n, comma;
	int		rc;

	seal_key_generate(&ka);
	seal_key_generate(&kb);
	s = seal_two(&ka, &kb);
	/* One base64 character of node-a's box changed. */
	d = strdup(s);
	n = strlen("sealed:v1:node-a:") + 9 + 10;
	d[n] = d[n] == 'A' ? 'B' : 'A';
	rerr_init(&err);
	assert_int_equal(seal_open(d, "node-a", &ka, 1, &p, &len, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "does not open");
	assert_null(p);
	/* node-b's box is intact: only node-a is affected. */
	assert_rok(seal_open(d, "node-b", &kb, 1, &p, &len, &err), &err);
	seal_free(p, len);
	free(d);
	/*
	 * Truncated at every length: the node whose box is cut never opens
	 * it; right at the comma node-a's recipient is whole and opens.
	 */
	comma = (size_t)(strchr(s, ',') - s);
	for (n = 0; n < strlen(s); n++) {
		d = strndup(s, n);
		rerr_init(&err);
		if (n <= comma)
			rc = seal_open(d, "node-a", &ka, 1, &p, &len, &err);
		else
			rc = seal_open(d, "node-b", &kb, 1, &p, &len, &err);
		if (n == comma) {
			assert_rok(rc, &err);
			seal_free(p, len);
		} else {
			assert_int_not_equal(rc, 0);
			assert_null(p);
			/* A box cut short is never called too long. */
			assert_null(strstr(err.msg, "too long"));
		}
		free(d);
	}
	/* A rotation: the new key alone refuses, with the old kept opens. */
	keys[0] = kb;
	keys[1] = ka;
	seal_key_generate(&keys[0]);
	rerr_init(&err);
	assert_int_equal(seal_open(s, "node-a", keys, 1, &p, &len, &err),
	    ROOST_EDENIED);
	assert_contains(err.msg, "no longer has");
	assert_rok(seal_open(s, "node-a", keys, 2, &p, &len, &err), &err);
	assert_string_equal(p, plain);
	seal_free(p, len);
	free(s);
}

static void
test_seal__parse_errors(void **state)
{
	static const struct { const char *s, *want; } t[] = {
		{ "sealed:v2:x", "starts with" },
		{ "sealed:v1:", "node:key-id:box" },
		{ "sealed:v1:node-a", "node:key-id:box" },
		{ "sealed:v1:no de:0123abcd:AAAA", "byte 11: not a node name" },
		{ "sealed:v1:a:0123abc:AAAA", "key id is 8 hex" },
		{ "sealed:v1:a:0123abcX:AAAA", "byte 20: the key id" },
		{ "sealed:v1:a:0123abcd:AAAA", "truncated" },
		{ "sealed:v1:a:0123abcd:", "truncated" },
	};
	struct seal_value	v;
	struct seal_key		k;
	struct rerr		err;
	char			*s, *dup;
	size_t			i;
	char			box[96];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rerr_init(&err);
		assert_int_equal(seal_value_parse(t[i].s, &v, &err),
		    ROOST_EINVAL);
		assert_contains(err.msg, t[i].want);
	}
	/* One character short of the smallest box (66 characters). */
	snprintf(box, sizeof(box), "sealed:v1:a:0123abcd:%s",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	rerr_init(&err);
	assert_int_equal(seal_value_parse(box, &v, &err), ROOST_EINVAL);
	assert_contains(err.msg, "is truncated");
	/* The same node twice. */
	seal_key_generate(&k);
	s = seal_two(&k, &k);
	dup = strdup(s);
	memcpy(strstr(dup, "node-b"), "node-a", 6);
	rerr_init(&err);
	assert_int_equal(seal_value_parse(dup, &v, &err), ROOST_EINVAL);
	assert_contains(err.msg, "twice");
	rerr_init(&err);
	assert_rok(seal_value_parse(s, &v, &err), &err);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[1].node, "node-b");
	assert_string_equal(v.v[0].kid, k.kid);
	seal_value_dispose(&v);
	free(dup);
	free(s);
}

static void
test_seal__seal_refuses(void **state)
{
	struct seal_key	k;
	struct seal_pub	to[2];
	struct buf	out;
	struct rerr	err;
	char		big[SEAL_MAX_PLAIN + 1];

	seal_key_generate(&k);
	to[0].node = "a";
	to[1].node = "a";
	memcpy(to[0].pk, k.pk, SEAL_KEYLEN);
	memcpy(to[1].pk, k.pk, SEAL_KEYLEN);
	buf_init(&out, 0);
	rerr_init(&err);
	assert_int_equal(seal_seal("", 0, to, 1, &out, &err), ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(seal_seal("a\0b", 3, to, 1, &out, &err),
	    ROOST_EINVAL);
	assert_contains(err.msg, "NUL");
	memset(big, 'x', sizeof(big));
	rerr_init(&err);
	assert_int_equal(seal_seal(big, sizeof(big), to, 1, &out, &err),
	    ROOST_EINVAL);
	rerr_init(&err);
	assert_int_equal(seal_seal("x", 1, to, 2, &out, &err), ROOST_EINVAL);
	assert_contains(err.msg, "twice");
	rerr_init(&err);
	assert_int_equal(seal_seal("x", 1, to, 0, &out, &err), ROOST_EINVAL);
	to[0].node = "a:b";
	rerr_init(&err);
	assert_int_equal(seal_seal("x", 1, to, 1, &out, &err), ROOST_EINVAL);
	/* The largest secret fits and opens. */
	to[0].node = "a";
	rerr_init(&err);
	assert_rok(seal_seal(big, SEAL_MAX_PLAIN, to, 1, &out, &err), &err);
	{
		char	*p;
		size_t	 len;

		assert_rok(seal_open(buf_str(&out), "a", &k, 1, &p, &len,
		    &err), &err);
		assert_int_equal(len, SEAL_MAX_PLAIN);
		seal_free(p, len);
	}
	buf_dispose(&out);
}

static void
test_seal__key_files(void **state)
{
	struct seal_key	k1, k2;
	struct rerr	err;
	struct stat	sb;
	char		*dir, path[512], pub[SEAL_PUBSTRLEN];
	unsigned char	pk[SEAL_KEYLEN];
	int		dfd, created;

	dir = unit_tmpdir("seal");
	unit_root = dir;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	rerr_init(&err);
	assert_int_equal(seal_key_load_at(dfd, "k", 0, &k1, NULL, &err),
	    ROOST_ENOTFOUND);
	assert_rok(seal_key_load_at(dfd, "k", 1, &k1, &created, &err), &err);
	assert_int_equal(created, 1);
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_rok(seal_key_load_at(dfd, "k", 1, &k2, &created, &err), &err);
	assert_int_equal(created, 0);
	assert_memory_equal(k1.pk, k2.pk, SEAL_KEYLEN);
	assert_string_equal(k1.kid, k2.kid);
	/* The public key's text form reads back. */
	seal_pub_encode(k1.pk, pub);
	assert_int_equal(strlen(pub), 43);
	assert_rok(seal_pub_decode(pub, pk, &err), &err);
	assert_memory_equal(pk, k1.pk, SEAL_KEYLEN);
	pub[10] = '+';
	rerr_init(&err);
	assert_int_equal(seal_pub_decode(pub, pk, &err), ROOST_EINVAL);
	assert_int_equal(seal_pub_decode("abc", pk, NULL), ROOST_EINVAL);
	/* Readable by others: refused. */
	assert_int_equal(chmod(path, 0644), 0);
	rerr_init(&err);
	assert_int_not_equal(seal_key_load_at(dfd, "k", 1, &k2, NULL, &err),
	    0);
	assert_contains(err.msg, "chmod 600");
	/* A link: never followed, never replaced by a new key. */
	assert_int_equal(unit_sh("ln -s %s/k %s/l", dir, dir), 0);
	rerr_init(&err);
	assert_int_not_equal(seal_key_load_at(dfd, "l", 1, &k2, NULL, &err),
	    0);
	/* Damaged. */
	assert_int_equal(unit_sh("printf 'roost-seal-key-v1 xx\\n' >%s/d; "
	    "chmod 600 %s/d", dir, dir), 0);
	rerr_init(&err);
	assert_int_not_equal(seal_key_load_at(dfd, "d", 1, &k2, NULL, &err),
	    0);
	assert_contains(err.msg, "damaged");
	close(dfd);
	unit_rmtree(dir);
	unit_root = NULL;
	free(dir);
}

static void
test_seal__mac_and_names(void **state)
{
	static const struct { const char *name; int secret; } t[] = {
		{ "RCON_PASS", 1 }, { "SERVER_PASSWORD", 1 },
		{ "BOT_TOKEN", 1 }, { "api_key", 1 }, { "CLIENT_SECRET", 1 },
		{ "RCON_PORT", 1 }, { "MOTD", 0 }, { "MAX_PLAYERS", 0 },
		{ "SERVER_JARFILE", 0 },
	};
	struct seal_key	k1, k2;
	char		a[33], b[33], c[33];
	struct buf	s;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(secret_name_looks(t[i].name), t[i].secret);
	seal_key_generate(&k1);
	seal_key_generate(&k2);
	seal_mac(&k1, "pw", 2, a);
	seal_mac(&k1, "pw", 2, b);
	seal_mac(&k2, "pw", 2, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	buf_init(&s, 0);
	secret_show(NULL, "RCON_PASS", "plain", &s);
	assert_string_equal(buf_str(&s), SECRET_MASK " (not sealed)");
	buf_reset(&s);
	secret_show(NULL, "MOTD", "hello", &s);
	assert_string_equal(buf_str(&s), "hello");
	buf_dispose(&s);
}

/* Loads the state in dir with the built-in eggs. */
static struct state *
load(const char *dir, struct egg_library **eggs)
{
	struct state_src	 src;
	struct state		*st;
	struct diags		 d;
	struct rerr		 err;

	*eggs = egglib_new();
	diags_init(&d);
	(void)egglib_load_dir(*eggs, egglib_builtin_dir(), "eggs/", &d);
	diags_dispose(&d);
	state_src_dir(&src, dir);
	rerr_init(&err);
	assert_rok(state_load(&st, &src, *eggs, NULL, &err), &err);
	return st;
}

/* The diagnostics of st, one a line. */
static char *
problems(const struct state *st)
{
	struct buf	b;

	buf_init(&b, 0);
	diags_format(st->diags, &b);
	return buf_detach(&b);
}

static void
test_seal__state_rules(void **state)
{
	struct egg_library	*eggs;
	struct seal_key		 ka, kb;
	struct seal_pub		*to;
	struct state		*st;
	struct rerr		 err;
	struct buf		 v;
	char			*dir, pa[SEAL_PUBSTRLEN], pb[SEAL_PUBSTRLEN];
	char			 text[512], *p;
	const char		*only_b[] = { "b" };
	size_t			 n;

	seal_key_generate(&ka);
	seal_key_generate(&kb);
	seal_pub_encode(ka.pk, pa);
	seal_pub_encode(kb.pk, pb);
	dir = unit_tmpdir("sealstate");
	unit_root = dir;
	assert_int_equal(unit_sh("mkdir nodes servers"), 0);
	snprintf(text, sizeof(text), "name: a\naddress: 127.0.0.1\nports: "
	    "[\"25565-25600\"]\nsealKey: %s\n", pa);
	unit_write("nodes/a.yaml", text);
	snprintf(text, sizeof(text), "name: b\naddress: 127.0.0.2\nports: "
	    "[\"25565-25600\"]\nsealKey: %s\n", pb);
	unit_write("nodes/b.yaml", text);
	unit_write("nodes/c.yaml", "name: c\naddress: 127.0.0.3\nports: "
	    "[25565]\nsealKey: not-a-key\n");
	unit_write("servers/mc.yaml", "name: mc\nowner: \"444444444444444444\"\n"
	    "node: a\negg: roost/demo\nports: { default: 25565 }\n");
	st = load(dir, &eggs);
	p = problems(st);
	assert_contains(p, "nodes/c.yaml:4:10: error: 'sealKey' must be");
	free(p);
	/* Without sealTo: the server's node and every node with a key. */
	rerr_init(&err);
	assert_rok(secret_recipients(st, state_server_find(st, "mc"), NULL, 0,
	    &to, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_string_equal(to[0].node, "a");
	assert_string_equal(to[1].node, "b");
	free(to);
	/* Named nodes only; an unknown or keyless one is refused. */
	assert_rok(secret_recipients(st, NULL, only_b, 1, &to, &n, &err),
	    &err);
	assert_int_equal(n, 1);
	free(to);
	only_b[0] = "c";
	rerr_init(&err);
	assert_int_equal(secret_recipients(st, NULL, only_b, 1, &to, &n,
	    &err), ROOST_EINVAL);
	assert_contains(err.msg, "no sealKey");
	state_free(st);
	egglib_free(eggs);

	/* sealTo: those nodes and the server's own. */
	unit_write("roost.yaml", "sealTo: [b]\n");
	unit_write("nodes/c.yaml", "name: c\naddress: 127.0.0.3\nports: "
	    "[25565]\n");
	st = load(dir, &eggs);
	rerr_init(&err);
	assert_rok(secret_recipients(st, state_server_find(st, "mc"), NULL, 0,
	    &to, &n, &err), &err);
	assert_int_equal(n, 2);
	free(to);
	/* A value sealed for b only, on a server of a: a warning. */
	buf_init(&v, 0);
	only_b[0] = "b";
	assert_rok(secret_seal(st, NULL, only_b, 1, "pw", 2, &v, &err), &err);
	state_free(st);
	egglib_free(eggs);
	snprintf(text, sizeof(text), "name: mc\nowner: \"444444444444444444\"\n"
	    "node: a\negg: roost/demo\nports: { default: 25565 }\n"
	    "variables:\n  MOTD: \"%s\"\n", buf_str(&v));
	unit_write("servers/mc.yaml", text);
	st = load(dir, &eggs);
	p = problems(st);
	assert_contains(p, "servers/mc.yaml:7:9: warning: variable 'MOTD' is "
	    "sealed for b, but the server runs on node 'a', which cannot "
	    "open it");
	assert_true(state_server_find(st, "mc")->valid);
	free(p);
	state_free(st);
	egglib_free(eggs);
	buf_dispose(&v);
	unit_rmtree(dir);
	unit_root = NULL;
	free(dir);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_seal__roundtrip_each_node),
    cmocka_unit_test(test_seal__damaged_truncated_rotated),
    cmocka_unit_test(test_seal__parse_errors),
    cmocka_unit_test(test_seal__seal_refuses),
    cmocka_unit_test(test_seal__key_files),
    cmocka_unit_test(test_seal__mac_and_names),
    cmocka_unit_test(test_seal__state_rules))
