/*
 * json: cJSON helpers (see json.h). cJSON's allocator is pointed at
 * xmalloc so an allocation failure ends the process instead of returning
 * a half-built document.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "rerr.h"
#include "util.h"
#include "xmalloc.h"

static pthread_once_t	json_once = PTHREAD_ONCE_INIT;

static void *
json_malloc(size_t n)
{
	return xmalloc(n == 0 ? 1 : n);
}

static void
json_hooks(void)
{
	cJSON_Hooks	hooks = { json_malloc, free };

	cJSON_InitHooks(&hooks);
}

static void
json_init(void)
{
	pthread_once(&json_once, json_hooks);
}

/* Parses text into *out; see json.h. */
int
json_parse(cJSON **out, const char *text, size_t len, const char *what,
    struct rerr *err)
{
	const char	*end = NULL;
	cJSON		*j;

	json_init();
	*out = NULL;
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (j == NULL) {
		return rerr_set(err, ROOST_EINVAL, "%s: invalid JSON at byte "
		    "%zu", what, end != NULL && end >= text ?
		    (size_t)(end - text) : (size_t)0);
	}
	*out = j;
	return 0;
}

/* Parses len bytes of text, or returns NULL; see json.h. */
cJSON *
json_parse_len(const char *text, size_t len)
{
	json_init();
	if (text == NULL)
		return NULL;
	return cJSON_ParseWithLength(text, len);
}

/* Parses a NUL-terminated text, or returns NULL; see json.h. */
cJSON *
json_parse_str(const char *text)
{
	return text != NULL ? json_parse_len(text, strlen(text)) : NULL;
}

/* Reads and parses a JSON file; see json.h. */
cJSON *
json_read_file(const char *path, size_t max)
{
	struct buf	 b;
	struct rerr	 err;
	cJSON		*o = NULL;

	buf_init(&b, max);
	rerr_init(&err);
	if (util_read_file(path, &b, &err) == 0)
		o = json_parse_len(buf_str(&b), b.len);
	buf_dispose(&b);
	return o;
}

/* Returns the node at path below obj, or NULL. */
const cJSON *
json_get(const cJSON *obj, const char *path)
{
	const char	*p = path, *dot;
	char		 key[256], *endp;
	size_t		 n;
	long		 idx;

	while (obj != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (cJSON_IsArray(obj)) {
			errno = 0;
			idx = strtol(key, &endp, 10);
			if (n == 0 || *endp != '\0' || idx < 0 ||
			    idx > INT32_MAX)
				return NULL;
			obj = cJSON_GetArrayItem(obj, (int)idx);
		} else if (cJSON_IsObject(obj))
			obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		else
			return NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return obj;
}

/*
 * The value at path, which must pass is() (what says what it must be): 0,
 * ROOST_ENOTFOUND when it is missing or null, ROOST_EINVAL when it fails.
 */
static int
json_lookup(const cJSON *obj, const char *path, cJSON_bool (*is)(const cJSON *),
    const char *what, const cJSON **out, struct rerr *err)
{
	const cJSON	*j = json_get(obj, path);

	if (j == NULL || cJSON_IsNull(j))
		return rerr_set(err, ROOST_ENOTFOUND, "\"%s\" is missing",
		    path);
	if (!is(j))
		return rerr_set(err, ROOST_EINVAL, "\"%s\" must be %s", path,
		    what);
	*out = j;
	return 0;
}

/* Stores the string at path; see json.h. */
int
json_get_str(const cJSON *obj, const char *path, const char **out,
    struct rerr *err)
{
	const cJSON	*j = NULL;
	int		 rc;

	if ((rc = json_lookup(obj, path, cJSON_IsString, "a string", &j,
	    err)) != 0)
		return rc;
	*out = j->valuestring;
	return 0;
}

/* Stores the number at path; see json.h. */
int
json_get_double(const cJSON *obj, const char *path, double *out,
    struct rerr *err)
{
	const cJSON	*j = NULL;
	int		 rc;

	if ((rc = json_lookup(obj, path, cJSON_IsNumber, "a number", &j,
	    err)) != 0)
		return rc;
	*out = j->valuedouble;
	return 0;
}

/* Stores the integer at path; see json.h. */
int
json_get_int64(const cJSON *obj, const char *path, int64_t *out,
    struct rerr *err)
{
	double	d;
	int	rc;

	if ((rc = json_get_double(obj, path, &d, err)) != 0)
		return rc;
	if (d != floor(d) || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)
		return rerr_set(err, ROOST_EINVAL, "\"%s\" must be an integer",
		    path);
	*out = (int64_t)d;
	return 0;
}

/* Stores the int at path; see json.h. */
int
json_get_int(const cJSON *obj, const char *path, int *out, struct rerr *err)
{
	int64_t	v;
	int	rc;

	if ((rc = json_get_int64(obj, path, &v, err)) != 0)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return rerr_set(err, ROOST_EINVAL, "\"%s\" is out of range",
		    path);
	*out = (int)v;
	return 0;
}

/* Stores the boolean at path; see json.h. */
int
json_get_bool(const cJSON *obj, const char *path, int *out,
    struct rerr *err)
{
	const cJSON	*j = NULL;
	int		 rc;

	if ((rc = json_lookup(obj, path, cJSON_IsBool, "true or false", &j,
	    err)) != 0)
		return rc;
	*out = cJSON_IsTrue(j);
	return 0;
}

/* Returns the string at path or def. */
const char *
json_str(const cJSON *obj, const char *path, const char *def)
{
	const cJSON	*j = json_get(obj, path);

	return cJSON_IsString(j) ? j->valuestring : def;
}

/* Returns the integer at path or def. */
int64_t
json_int64(const cJSON *obj, const char *path, int64_t def)
{
	int64_t	v;

	return json_get_int64(obj, path, &v, NULL) == 0 ? v : def;
}

/* Returns the number at path or def. */
double
json_double(const cJSON *obj, const char *path, double def)
{
	const cJSON	*j = json_get(obj, path);

	return cJSON_IsNumber(j) ? j->valuedouble : def;
}

/* Returns the boolean at path or def. */
int
json_bool(const cJSON *obj, const char *path, int def)
{
	const cJSON	*j = json_get(obj, path);

	return cJSON_IsBool(j) ? cJSON_IsTrue(j) : def;
}

/* Appends s to b as a JSON string. */
void
json_escape(struct buf *b, const char *s)
{
	const unsigned char	*p;

	buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':	buf_puts(b, "\\\""); break;
		case '\\':	buf_puts(b, "\\\\"); break;
		case '\b':	buf_puts(b, "\\b"); break;
		case '\f':	buf_puts(b, "\\f"); break;
		case '\n':	buf_puts(b, "\\n"); break;
		case '\r':	buf_puts(b, "\\r"); break;
		case '\t':	buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20)
				buf_addf(b, "\\u%04x", *p);
			else
				buf_putc(b, *p);
		}
	}
	buf_putc(b, '"');
}

/* Returns a compact rendering of obj. */
char *
json_print(const cJSON *obj)
{
	char	*s;

	json_init();
	if ((s = cJSON_PrintUnformatted(obj)) == NULL)
		fatalx("cannot render JSON: out of memory");
	return s;
}

/* Returns an indented rendering of obj. */
char *
json_print_pretty(const cJSON *obj)
{
	char	*s;

	json_init();
	if ((s = cJSON_Print(obj)) == NULL)
		fatalx("cannot render JSON: out of memory");
	return s;
}

/* Renders obj as json_print does, then deletes it. */
char *
json_print_free(cJSON *obj)
{
	char	*s = json_print(obj);

	cJSON_Delete(obj);
	return s;
}

static cJSON *
json_check(cJSON *j)
{
	if (j == NULL)
		fatalx("cannot build JSON: out of memory");
	return j;
}

/* Returns a new null. */
cJSON *
json_new_null(void)
{
	json_init();
	return json_check(cJSON_CreateNull());
}

/* Returns a new string (null for NULL). */
cJSON *
json_new_str(const char *val)
{
	json_init();
	return json_check(val != NULL ? cJSON_CreateString(val) :
	    cJSON_CreateNull());
}

/* Returns a new number. */
cJSON *
json_new_num(double val)
{
	json_init();
	return json_check(cJSON_CreateNumber(val));
}

/* Returns a new boolean. */
cJSON *
json_new_bool(int val)
{
	json_init();
	return json_check(cJSON_CreateBool(val));
}

/* Returns a new empty object. */
cJSON *
json_new_object(void)
{
	json_init();
	return json_check(cJSON_CreateObject());
}

/* Returns a new empty array. */
cJSON *
json_new_array(void)
{
	json_init();
	return json_check(cJSON_CreateArray());
}

/* Adds and returns a new object under key. */
cJSON *
json_add_object(cJSON *obj, const char *key)
{
	json_init();
	return json_check(cJSON_AddObjectToObject(obj, key));
}

/* Adds and returns a new array under key. */
cJSON *
json_add_array(cJSON *obj, const char *key)
{
	json_init();
	return json_check(cJSON_AddArrayToObject(obj, key));
}

/* Adds a string (or null) under key. */
void
json_add_str(cJSON *obj, const char *key, const char *val)
{
	json_init();
	if (val == NULL)
		json_check(cJSON_AddNullToObject(obj, key));
	else
		json_check(cJSON_AddStringToObject(obj, key, val));
}

/* Adds a number under key. */
void
json_add_num(cJSON *obj, const char *key, double val)
{
	json_init();
	json_check(cJSON_AddNumberToObject(obj, key, val));
}

/* Adds a boolean under key. */
void
json_add_bool(cJSON *obj, const char *key, int val)
{
	json_init();
	json_check(cJSON_AddBoolToObject(obj, key, val ? 1 : 0));
}

/* Adds a deep copy of val under key; nothing when val is NULL. */
void
json_add_copy(cJSON *obj, const char *key, const cJSON *val)
{
	json_init();
	if (val != NULL)
		cJSON_AddItemToObject(obj, key,
		    json_check(cJSON_Duplicate(val, 1)));
}

/* Appends a string to arr. */
void
json_push_str(cJSON *arr, const char *val)
{
	json_init();
	if (!cJSON_AddItemToArray(arr, json_check(cJSON_CreateString(val))))
		fatalx("cannot build JSON: out of memory");
}
