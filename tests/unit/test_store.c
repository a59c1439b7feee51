/*
 * test_store: the backup target interface (reconciler/store.h) on a local
 * target: a streamed write is listed only once committed (record last),
 * an aborted or interrupted one never is and store_tidy removes what it
 * left; reads stream the archive from an offset; removal unlists first;
 * ids and server names that could leave the target are refused. S3
 * targets are checked against a real store by t4001.
 */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "json.h"
#include "util.h"

#include "../../reconciler/conf.h"
#include "../../reconciler/store.h"

static char		*dir;
static struct store	*st;

static int
setup(void **state)
{
	struct conf_target	t;
	struct rerr		err;

	assert_non_null(dir = unit_tmpdir("test-store"));
	unit_root = dir;
	memset(&t, 0, sizeof(t));
	t.name = (char *)"disk";
	t.type = CONF_TARGET_LOCAL;
	t.path = dir;
	rerr_init(&err);
	assert_non_null(st = store_new(&t, &err));
	return 0;
}

static int
teardown(void **state)
{
	store_free(st);
	unit_rmtree(dir);
	free(dir);
	return 0;
}

static size_t
count(const char *server)
{
	struct rerr	 err;
	char		**ids;
	size_t		 n;

	rerr_init(&err);
	assert_int_equal(store_list(st, server, &ids, &n, &err), 0);
	util_strv_free(ids, n);
	return n;
}

/* Writes a backup of len bytes of a pattern in pieces of 1000. */
static void
put(const char *server, const char *id, size_t len, int commit)
{
	struct store_put	*p;
	struct rerr		 err;
	char			 piece[1000];
	size_t			 off, n;
	const char		*rec = "{\"sha256\":\"x\"}";
	size_t			 before = count(server);

	rerr_init(&err);
	assert_int_equal(store_put_begin(st, server, id, &p, &err), 0);
	for (off = 0; off < len; off += n) {
		n = len - off < sizeof(piece) ? len - off : sizeof(piece);
		memset(piece, 'a' + (int)(off / 1000 % 26), n);
		assert_int_equal(store_put_write(p, piece, n, &err), 0);
	}
	/* Not listed while it is being written. */
	assert_int_equal(count(server), before);
	if (commit)
		assert_int_equal(store_put_commit(p, rec, strlen(rec), &err),
		    0);
	else
		store_put_abort(p);
}

static void
test_store__write_list_read_remove(void **state)
{
	struct store_get	*g;
	struct rerr		 err;
	char			 buf[4096], **ids;
	cJSON			*rec;
	size_t			 n;
	ssize_t			 r;
	uint64_t		 total = 0;

	assert_int_equal(count("srv"), 0);
	put("srv", "b1", 25000, 1);
	put("srv", "b2", 10, 1);
	rerr_init(&err);
	assert_int_equal(store_list(st, "srv", &ids, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "b2");	/* newest first */
	assert_string_equal(ids[1], "b1");
	util_strv_free(ids, n);
	assert_non_null(rec = store_record(st, "srv", "b1", &err));
	assert_string_equal(json_str(rec, "sha256", ""), "x");
	cJSON_Delete(rec);

	/* A streamed read from an offset: the 3rd piece on ('c'). */
	assert_int_equal(store_get_open(st, "srv", "b1", 2000, &g, &err), 0);
	assert_int_equal(store_get_size(g), 25000);
	while ((r = read(store_get_fd(g), buf, sizeof(buf))) > 0) {
		if (total == 0)
			assert_int_equal(buf[0], 'c');
		total += (uint64_t)r;
	}
	assert_int_equal(total, 23000);
	assert_int_equal(store_get_close(g, &err), 0);

	rerr_init(&err);
	assert_int_equal(store_get_open(st, "srv", "zz", 0, &g, &err),
	    ROOST_ENOTFOUND);
	assert_contains(err.msg, "the archive of backup zz is missing");

	rerr_init(&err);
	assert_int_equal(store_remove(st, "srv", "b1", &err), 0);
	assert_int_equal(count("srv"), 1);
	assert_int_equal(unit_sh("test ! -e '%s/srv/b1.tar.zst'", dir), 0);
}

static void
test_store__interrupted_writes(void **state)
{
	struct store_put	*p;
	struct rerr		 err;

	/* Aborted: nothing left, nothing listed. */
	put("ab", "a1", 5000, 0);
	assert_int_equal(count("ab"), 0);
	assert_int_equal(unit_sh("test -z \"$(ls -A '%s/ab')\"", dir), 0);

	/* Cut short (a kill -9 would leave this): not listed, tidied. */
	rerr_init(&err);
	assert_int_equal(store_put_begin(st, "ab", "a2", &p, &err), 0);
	assert_int_equal(store_put_write(p, "xyz", 3, &err), 0);
	assert_int_equal(count("ab"), 0);
	assert_int_equal(unit_sh("ls -A '%s/ab' | grep -qx .tmp-a2.tar.zst",
	    dir), 0);
	/* An archive without its record is no backup either. */
	assert_int_equal(unit_sh("echo x >'%s/ab/a3.tar.zst'", dir), 0);
	assert_int_equal(count("ab"), 0);
	store_tidy(st, "ab");
	assert_int_equal(unit_sh("ls -A '%s/ab' | grep -q tmp", dir), 1);
	store_put_abort(p);
}

static void
test_store__hostile_names(void **state)
{
	struct store_put	*p;
	struct store_get	*g;
	struct rerr		 err;
	char			**ids;
	size_t			 n;

	rerr_init(&err);
	assert_int_not_equal(store_put_begin(st, "srv", "../escape", &p,
	    &err), 0);
	rerr_init(&err);
	assert_int_not_equal(store_get_open(st, "srv", "../../etc/passwd", 0,
	    &g, &err), 0);
	rerr_init(&err);
	assert_int_not_equal(store_list(st, "..", &ids, &n, &err), 0);
	rerr_init(&err);
	assert_int_not_equal(store_get_open(st, "a/b", "x", 0, &g, &err), 0);
	assert_null(store_record(st, "srv", "x/../../y", &err));
	/* A record that is a link is not followed. */
	assert_int_equal(unit_sh("mkdir -p '%s/ln' && echo x >'%s/ln/l1.tar.zst' "
	    "&& ln -s /etc/hostname '%s/ln/l1.json'", dir, dir, dir), 0);
	rerr_init(&err);
	assert_null(store_record(st, "ln", "l1", &err));
}

static void
test_store__new_id(void **state)
{
	char	 id[STORE_ID_MAX], first[STORE_ID_MAX];
	char	*taken[2];

	store_new_id(NULL, 0, first);
	assert_int_equal(strlen(first), 16);		/* 20261202T100000Z */
	assert_int_equal(first[8], 'T');
	taken[0] = first;
	store_new_id(taken, 1, id);
	if (strcmp(id, first) != 0 && strncmp(id, first, 16) == 0)
		assert_string_equal(id + 16, "-2");
	else	/* the second changed meanwhile */
		assert_string_not_equal(id, first);
}

UNIT_MAIN(setup, teardown,
    cmocka_unit_test(test_store__write_list_read_remove),
    cmocka_unit_test(test_store__interrupted_writes),
    cmocka_unit_test(test_store__hostile_names),
    cmocka_unit_test(test_store__new_id))
