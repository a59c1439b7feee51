/*
 * ydoc: YAML text read into a tree of maps, sequences and scalars that
 * remembers where every node stands in the source (line, column and byte
 * range), so errors can point at the exact spot and edits can rewrite one
 * value without touching the rest of a file a person wrote. ydoc is the
 * only user of libyaml. Anchors and aliases are refused (roost files never
 * need them, and refusing them rules out alias bombs). A key repeated in
 * one map is an error naming both places (a second value could hide below
 * the first in a review), except for files roost does not own (a game's
 * own config files, read with YDOC_DUPLICATES). A file holds at most
 * YDOC_MAX_NODES values in YDOC_MAX_BYTES, and reading one costs time in
 * proportion to its length (well under a second at the caps).
 */
#ifndef ROOST_YDOC_H
#define ROOST_YDOC_H

#include <stddef.h>

struct diags;

#define YDOC_MAX_NODES	250000	/* values (keys included) in one file */
#define YDOC_MAX_BYTES	(16 * 1024 * 1024)	/* bytes of one file */
#define YDOC_DUPLICATES	0x1	/* ydoc_parse_flags: allow repeated keys */

enum ydoc_type {
	YDOC_SCALAR,
	YDOC_SEQ,
	YDOC_MAP
};

enum ydoc_style {
	YDOC_PLAIN,		/* unquoted scalar: may be a number, bool, null */
	YDOC_QUOTED,		/* 'single' or "double" */
	YDOC_BLOCK		/* | or > block scalar */
};

struct ydoc_node {
	enum ydoc_type	  type;
	enum ydoc_style	  style;	/* scalars */
	int		  flow;		/* collections written as {..} / [..] */
	int		  line;		/* 1-based */
	int		  col;		/* 1-based, in characters */
	size_t		  start;	/* byte offset of the first byte */
	size_t		  end;		/* byte offset just past the node */
	char		 *tag;		/* explicit tag, or NULL */
	char		 *str;		/* scalar value, NUL-terminated */
	size_t		  len;		/* scalar length (may hold NULs) */
	size_t		  n;		/* seq items, or map pairs */
	struct ydoc_node **items;	/* seq: n items; map: key0,val0,key1,.. */
};

struct ydoc {
	char		 *path;		/* as given to ydoc_parse */
	char		 *src;		/* a copy of the source text */
	size_t		  len;
	struct ydoc_node *root;		/* NULL for an empty document */
	struct ydoc_node **all;		/* every node, for freeing */
	size_t		  nall;
	size_t		  capall;
	size_t		  walked;	/* characters stepped over to place
					   nodes (the parse's cost, for tests) */
	struct ydoc_block *blocks;	/* where nodes and their strings
					   live: freed together */
};

/*
 * Parses len bytes of YAML named path (used in messages). On success *out
 * is an owned document (free with ydoc_free). On a syntax error, the error
 * is added to d with its position and ROOST_EINVAL is returned; *out is
 * NULL. Only the first document of a stream is allowed.
 */
int	ydoc_parse(struct ydoc **out, const char *path, const char *buf,
	    size_t len, struct diags *d);
/*
 * Like ydoc_parse, with flags: YDOC_DUPLICATES keeps a repeated key (in
 * order; lookups return the last) instead of refusing the file.
 */
int	ydoc_parse_flags(struct ydoc **out, const char *path, const char *buf,
	    size_t len, int flags, struct diags *d);
/*
 * For a document read with YDOC_DUPLICATES: adds an error naming both
 * places for every map that repeats a key. Returns 0 or ROOST_EINVAL.
 */
int	ydoc_check_duplicates(const struct ydoc *doc, struct diags *d);
/* Frees doc and every node in it; takes NULL. */
void	ydoc_free(struct ydoc *doc);

/* Returns the value for key in map (the last if repeated), or NULL. */
struct ydoc_node *ydoc_get(const struct ydoc_node *map, const char *key);
/* Returns the key node of pair i of map. */
struct ydoc_node *ydoc_key(const struct ydoc_node *map, size_t i);
/* Returns the value node of pair i of map. */
struct ydoc_node *ydoc_val(const struct ydoc_node *map, size_t i);
/* Returns item i of a sequence. */
struct ydoc_node *ydoc_item(const struct ydoc_node *seq, size_t i);
/* True for a missing node or a plain null scalar (null, ~, empty). */
int	ydoc_is_null(const struct ydoc_node *n);
/* True for a scalar. */
int	ydoc_is_scalar(const struct ydoc_node *n);
/* Names a node type for messages: "a string", "a map", "a list". */
const char *ydoc_type_name(const struct ydoc_node *n);

#endif
