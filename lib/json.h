/*
 * json: small helpers over cJSON for reading and building JSON: parsing
 * with a positioned message, getters by dotted path ("State.Status",
 * "Networks.0.Name") that say what was missing, and string escaping for
 * hand-built documents. Callers may use cJSON directly as well; out of
 * memory inside cJSON is fatal once any json_ function has run.
 */
#ifndef ROOST_JSON_H
#define ROOST_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "rerr.h"

/*
 * Parses len bytes of text into *out (the caller frees it with
 * cJSON_Delete). what names the document in the message. Returns 0, or
 * ROOST_EINVAL with the byte offset of the syntax error in err.
 */
int		 json_parse(cJSON **out, const char *text, size_t len,
		    const char *what, struct rerr *err);

/*
 * Parses text (len bytes, or up to its NUL) and returns the tree (free
 * with cJSON_Delete), or NULL when it is not JSON or text is NULL.
 */
cJSON		*json_parse_len(const char *text, size_t len);
cJSON		*json_parse_str(const char *text);

/*
 * Reads the file at path (at most max bytes) and returns its tree, or NULL
 * when it is missing, unreadable, larger or not JSON.
 */
cJSON		*json_read_file(const char *path, size_t max);

/*
 * Returns the node at the dotted path below obj (numeric components index
 * arrays; an empty path is obj itself), borrowed, or NULL.
 */
const cJSON	*json_get(const cJSON *obj, const char *path);

/*
 * Strict getters: store the value at path in *out and return 0;
 * ROOST_ENOTFOUND when the path is absent or null, ROOST_EINVAL when the
 * value has another type (or a number is out of range), message in err.
 * json_get_str's string is borrowed from obj.
 */
int		 json_get_str(const cJSON *obj, const char *path,
		    const char **out, struct rerr *err);
int		 json_get_int(const cJSON *obj, const char *path, int *out,
		    struct rerr *err);
int		 json_get_int64(const cJSON *obj, const char *path,
		    int64_t *out, struct rerr *err);
int		 json_get_double(const cJSON *obj, const char *path,
		    double *out, struct rerr *err);
int		 json_get_bool(const cJSON *obj, const char *path, int *out,
		    struct rerr *err);

/*
 * Lenient getters: the value at path, or def when it is absent or of
 * another type. json_str's string is borrowed from obj.
 */
const char	*json_str(const cJSON *obj, const char *path, const char *def);
int64_t		 json_int64(const cJSON *obj, const char *path, int64_t def);
double		 json_double(const cJSON *obj, const char *path, double def);
int		 json_bool(const cJSON *obj, const char *path, int def);

/* Appends s to b as a quoted JSON string with every needed escape. */
void		 json_escape(struct buf *b, const char *s);
/* Returns a newly allocated compact rendering of obj; never NULL. */
char		*json_print(const cJSON *obj);
/* The same, indented for people. */
char		*json_print_pretty(const cJSON *obj);
/* json_print, then cJSON_Delete(obj). */
char		*json_print_free(cJSON *obj);

/*
 * Builders that never return NULL (out of memory is fatal): a new object
 * or array, and additions to obj under key. json_add_str with val NULL
 * adds null.
 */
cJSON		*json_new_object(void);
cJSON		*json_new_null(void);
cJSON		*json_new_str(const char *val);
cJSON		*json_new_num(double val);
cJSON		*json_new_bool(int val);
cJSON		*json_new_array(void);
cJSON		*json_add_object(cJSON *obj, const char *key);
cJSON		*json_add_array(cJSON *obj, const char *key);
void		 json_add_str(cJSON *obj, const char *key, const char *val);
void		 json_add_num(cJSON *obj, const char *key, double val);
void		 json_add_bool(cJSON *obj, const char *key, int val);
/* Adds a deep copy of val under key; nothing when val is NULL. */
void		 json_add_copy(cJSON *obj, const char *key, const cJSON *val);
/* Appends a string to the array arr. */
void		 json_push_str(cJSON *arr, const char *val);

#endif
