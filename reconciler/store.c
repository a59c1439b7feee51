/*
 * store: the parts of the backup target interface every kind shares
 * (see store.h): dispatch to the kind's functions, the order of a
 * listing, reading records and backup ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "rerr.h"
#include "xmalloc.h"

#include "conf.h"
#include "store.h"

/* Makes a target's store; see store.h. */
struct store *
store_new(const struct conf_target *t, struct rerr *err)
{
	switch (t->type) {
	case CONF_TARGET_LOCAL:
		return store_local_new(t, err);
	case CONF_TARGET_S3:
		return store_s3_new(t, err);
	}
	rerr_set(err, ROOST_EINVAL, "backup target '%s': unknown type",
	    t->name);
	return NULL;
}

/* Frees a store; see store.h. */
void
store_free(struct store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

/* True for a backup id (and a server name): letters, digits, - and _. */
static int
name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n < STORE_ID_MAX && s[0] != '-' && s[0] != '.' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") == n && strstr(s, "..") == NULL;
}

static int
names_ok(const char *server, const char *id, struct rerr *err)
{
	if (!name_ok(server))
		return rerr_set(err, ROOST_EINVAL, "'%.80s' is not a server "
		    "name", server);
	if (id != NULL && !name_ok(id))
		return rerr_set(err, ROOST_ENOTFOUND, "'%.80s' is not a backup "
		    "id", id);
	return 0;
}

/* Whether name can be a note: a dot file of letters and dots. */
static int
note_ok(const char *name, struct rerr *err)
{
	size_t	n = strlen(name);

	if (n < 2 || n > 32 || name[0] != '.' || strstr(name, "..") != NULL ||
	    strspn(name, ".abcdefghijklmnopqrstuvwxyz") != n)
		return rerr_set(err, ROOST_EINVAL, "'%.40s' is not a note "
		    "name", name);
	return 0;
}

/* A server's note; see store.h. */
int
store_note_put(struct store *s, const char *server, const char *name,
    const char *text, size_t len, struct rerr *err)
{
	if (names_ok(server, NULL, err) != 0 || note_ok(name, err) != 0)
		return -1;
	if (len > STORE_RECORD_MAX)
		return rerr_set(err, ROOST_EINVAL, "a note is at most %d bytes",
		    STORE_RECORD_MAX);
	return s->ops->note_put(s, server, name, text, len, err);
}

/* A server's note; see store.h. */
int
store_note_get(struct store *s, const char *server, const char *name,
    char **out, struct rerr *err)
{
	size_t	len;

	*out = NULL;
	if (names_ok(server, NULL, err) != 0 || note_ok(name, err) != 0)
		return -1;
	return s->ops->read_small(s, server, name, name, out, &len, err);
}

static int
id_cmp_desc(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

/* A server's backups; see store.h. */
int
store_list(struct store *s, const char *server, char ***ids, size_t *n,
    struct rerr *err)
{
	*ids = NULL;
	*n = 0;
	if (names_ok(server, NULL, err) != 0 ||
	    s->ops->list(s, server, ids, n, err) != 0)
		return -1;
	if (*n > 1)
		qsort(*ids, *n, sizeof(char *), id_cmp_desc);
	return 0;
}

/* One record; see store.h. */
cJSON *
store_record(struct store *s, const char *server, const char *id,
    struct rerr *err)
{
	cJSON	*o = NULL;
	char	 name[STORE_ID_MAX + 8], *what, *text;
	size_t	 len;

	if (names_ok(server, id, err) != 0)
		return NULL;
	snprintf(name, sizeof(name), "%s.json", id);
	xasprintf(&what, "the record of backup %s", id);
	if (s->ops->read_small(s, server, name, what, &text, &len, err) ==
	    0) {
		o = json_parse_len(text, len);
		if (o != NULL && !cJSON_IsObject(o)) {
			cJSON_Delete(o);
			o = NULL;
		}
		if (o == NULL)
			rerr_set(err, ROOST_EINVAL, "%s is not a JSON object",
			    what);
		free(text);
	}
	free(what);
	return o;
}

/* Removes a backup; see store.h. */
int
store_remove(struct store *s, const char *server, const char *id,
    struct rerr *err)
{
	if (names_ok(server, id, err) != 0)
		return err->code;
	return s->ops->remove(s, server, id, err);
}

/* Removes leftovers; see store.h. */
void
store_tidy(struct store *s, const char *server)
{
	if (name_ok(server))
		s->ops->tidy(s, server);
}

/* Starts a write; see store.h. */
int
store_put_begin(struct store *s, const char *server, const char *id,
    struct store_put **out, struct rerr *err)
{
	*out = NULL;
	if (names_ok(server, id, err) != 0)
		return err->code;
	return s->ops->put_begin(s, server, id, out, err);
}

/* Writes bytes; see store.h. */
int
store_put_write(struct store_put *p, const void *buf, size_t len,
    struct rerr *err)
{
	return len == 0 ? 0 : p->write(p, buf, len, err);
}

/* Publishes; see store.h. */
int
store_put_commit(struct store_put *p, const char *record, size_t len,
    struct rerr *err)
{
	return p->commit(p, record, len, err);
}

/* Drops a write; see store.h. */
void
store_put_abort(struct store_put *p)
{
	if (p != NULL)
		p->abort(p);
}

/* Opens a read; see store.h. */
int
store_get_open(struct store *s, const char *server, const char *id,
    uint64_t offset, struct store_get **out, struct rerr *err)
{
	*out = NULL;
	if (names_ok(server, id, err) != 0)
		return err->code;
	return s->ops->get_open(s, server, id, offset, out, err);
}

int
store_get_fd(const struct store_get *g)
{
	return g->fd;
}

uint64_t
store_get_size(const struct store_get *g)
{
	return g->size;
}

/* Closes a read; see store.h. */
int
store_get_close(struct store_get *g, struct rerr *err)
{
	return g != NULL ? g->close(g, err) : 0;
}

static int
taken_has(char *const *taken, size_t n, const char *id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(taken[i], id) == 0)
			return 1;
	return 0;
}

/* A fresh id; see store.h. */
void
store_new_id(char *const *taken, size_t n, char id[STORE_ID_MAX])
{
	char		 stamp[32];
	struct tm	 tm;
	time_t		 t = time(NULL);
	int		 k;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(id, STORE_ID_MAX, "%s", stamp);
	for (k = 2; k < 100000 && taken_has(taken, n, id); k++)
		snprintf(id, STORE_ID_MAX, "%s-%d", stamp, k);
}
