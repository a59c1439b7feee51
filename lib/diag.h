/*
 * diag: a list of problems found in user files, each with the file, the
 * line and column (1-based; 0 when unknown) and a message. Loaders and the
 * validator collect every problem instead of stopping at the first, and
 * the CLI prints them as "path:line:col: error: message" or as JSON.
 */
#ifndef ROOST_DIAG_H
#define ROOST_DIAG_H

#include <stdarg.h>
#include <stdio.h>

struct buf;

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING
};

struct diag {
	enum diag_level	 level;
	char		*path;		/* repository-relative file path */
	int		 line;
	int		 col;
	char		*msg;		/* lowercase, no full stop */
};

struct diags {
	struct diag	*v;
	size_t		 n;
	size_t		 cap;
	size_t		 nerrors;
};

/* Prepares an empty list; cannot fail. */
void	diags_init(struct diags *d);
/* Frees every entry; d can be used again. */
void	diags_dispose(struct diags *d);
/* Appends an error at path:line:col. path may be NULL. */
void	diags_add(struct diags *d, const char *path, int line, int col,
	    const char *fmt, ...) __attribute__((__format__(printf, 5, 6)));
void	diags_vadd(struct diags *d, enum diag_level level, const char *path,
	    int line, int col, const char *fmt, va_list ap)
	    __attribute__((__format__(printf, 6, 0)));
/* Appends a warning at path:line:col. */
void	diags_warn(struct diags *d, const char *path, int line, int col,
	    const char *fmt, ...) __attribute__((__format__(printf, 5, 6)));
/* Moves every entry of src to the end of dst; src ends empty. */
void	diags_move(struct diags *dst, struct diags *src);
/* Sorts by path, line and column (stable). */
void	diags_sort(struct diags *d);
/* Writes "path:line:col: error: msg" lines. */
void	diags_print(const struct diags *d, FILE *fp);
/* Appends the entries as a JSON array of {path,line,column,level,message}. */
void	diags_json(const struct diags *d, struct buf *out);
/* Appends all messages, one per line, as diags_print would print them. */
void	diags_format(const struct diags *d, struct buf *out);

#endif
