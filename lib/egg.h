/*
 * egg: Pterodactyl and Pelican eggs (PTDL_v1, PTDL_v2, PLCN_v1..v3, JSON or
 * YAML, and roost's own readable YAML form) normalised into one struct, the
 * Laravel-style variable rules, and the egg library (built-in eggs plus a
 * state repository's eggs/) looked up by "nest/name".
 *
 * Ownership: every struct egg belongs to the library or the caller that
 * loaded it; pointers returned by lookups are borrowed and stay valid until
 * the library is freed.
 */
#ifndef ROOST_EGG_H
#define ROOST_EGG_H

#include <stddef.h>
#include <regex.h>

struct buf;
struct diags;

enum egg_stop_kind {
	EGG_STOP_SIGNAL,	/* send stop.signal to the main process */
	EGG_STOP_COMMAND	/* write stop.command + "\n" to stdin */
};

struct egg_stop {
	enum egg_stop_kind	 kind;
	int			 signal;	/* SIGINT for ^C, SIGKILL for ^^C .. */
	char			*command;	/* console command, or NULL */
	char			*raw;		/* the egg's text, e.g. "^C" */
};

struct egg_image {
	char	*label;		/* display name ("Java 21"); equals ref for v1 */
	char	*ref;		/* image reference */
};

enum egg_parser {
	EGG_PARSER_FILE,
	EGG_PARSER_PROPERTIES,
	EGG_PARSER_YAML,	/* "yaml" and "yml" */
	EGG_PARSER_JSON,
	EGG_PARSER_INI,
	EGG_PARSER_XML
};

/* One find entry of a config file: set key to value, maybe conditionally. */
struct egg_replace {
	char	*match;		/* key / dotted path / line prefix */
	char	*if_value;	/* NULL, a literal, or "regex:..." */
	char	*value;		/* with {{...}} placeholders unexpanded */
	int	 value_type;	/* EGG_VAL_STRING, EGG_VAL_INT or EGG_VAL_BOOL */
};
/* Variables in one egg: past it an egg is refused (real eggs have < 100). */
#define EGG_MAX_VARS	1000

#define EGG_VAL_STRING	0
#define EGG_VAL_INT	1
#define EGG_VAL_BOOL	2

struct egg_file {
	char			*path;		/* relative to the server root */
	enum egg_parser		 parser;
	struct egg_replace	*replace;
	size_t			 nreplace;
};

/* One parsed Laravel rule: name and its parameters. */
struct egg_rule {
	char	*name;		/* normalised: "int" becomes "integer" */
	char	**args;		/* split on ',' (regex keeps its pattern whole) */
	size_t	 nargs;
};

struct egg_var {
	char		*name;		/* label */
	char		*description;
	char		*env;		/* env_variable, as written */
	char		*def;		/* default value, never NULL ("" allowed) */
	int		 viewable;
	int		 editable;
	char		*rules_raw;	/* the rules joined with '|' */
	struct egg_rule	*rules;
	size_t		 nrules;
};

struct egg {
	char		*id;		/* "nest/name" in a library, else NULL */
	char		*name;
	char		*author;
	char		*description;
	char		*source_version;/* meta.version: "PTDL_v2", "roost/v1" .. */
	char		*update_url;
	struct egg_image *images;
	size_t		 nimages;
	char		*startup;	/* the first startup command */
	char		**startup_labels; /* PLCN_v3 labels, parallel to startups */
	char		**startups;
	size_t		 nstartups;
	struct egg_stop	 stop;
	char		**done;		/* done strings; a "" entry matches all */
	size_t		 ndone;
	struct egg_file	*files;
	size_t		 nfiles;
	char		*install_image;	/* NULL when there is no install */
	char		*install_entrypoint;
	char		*install_script;/* LF line ends */
	struct egg_var	*vars;
	size_t		 nvars;
	char		**denylist;
	size_t		 ndenylist;
	char		**features;
	size_t		 nfeatures;
};

/*
 * Loads an egg from len bytes named path (JSON or YAML, any supported
 * version, or roost's YAML egg). On success *out is owned by the caller
 * (egg_free). Problems are added to d with positions where known; returns
 * 0 or ROOST_EINVAL.
 */
int	egg_load(struct egg **out, const char *path, const char *buf,
	    size_t len, struct diags *d);
/* Reads a file and calls egg_load; returns 0, ROOST_EINVAL or -1. */
int	egg_load_file(struct egg **out, const char *path, struct diags *d);
/* Frees an egg; takes NULL. */
void	egg_free(struct egg *egg);
/* Appends the egg in roost's readable YAML form (loads back equal). */
void	egg_write_yaml(const struct egg *egg, struct buf *out);
/*
 * Resolves a config file's path beneath the server directory as Wings
 * does: a leading '/' names the server root ("/properties/x" is
 * "properties/x"), "." and empty components go, ".." removes the component
 * before it (at the root of an absolute path it stays at the root, as
 * Go's filepath.Clean does). Returns the relative path (caller frees), or
 * NULL when a relative path climbs out of the directory or the path names
 * the directory itself.
 */
char	*egg_file_relpath(const char *path);
/* Returns the variable whose env name is env, or NULL. */
const struct egg_var *egg_var_find(const struct egg *egg, const char *env);
/* Whether s is an environment variable name: [A-Z_][A-Z0-9_]*. */
int	egg_env_name_valid(const char *s);
/* True when ref is one of the egg's images. */
int	egg_has_image(const struct egg *egg, const char *ref);

/*
 * Checks value (NULL when the server sets none, meaning the default is
 * used) against the variable's rules. Returns 0, or -1 with a message such
 * as "must be between 1024 and 65536" appended to msg.
 */
int	egg_var_check(const struct egg_var *var, const char *value,
	    struct buf *msg);

/*
 * True when a "regex:" rule's argument (with its delimiters, e.g.
 * "/^[a-z]+$/i") translates from PHP's PCRE to a POSIX pattern roost can
 * run; egg_var_check skips the patterns that do not (the loader warns).
 */
int	egg_regex_usable(const char *arg);

/*
 * Compiles pat, a PHP/Go-style pattern without delimiters, as a POSIX
 * extended regex (\d \w \s, their negations and (?:...) translated)
 * with regcomp's cflags added. groups[i] gets the POSIX subexpression
 * number of the pattern's capturing group i + 1 (non-capturing groups
 * shift them), for up to ngroups groups. Returns 0 (free re with regfree)
 * or -1 when the pattern uses what POSIX cannot express.
 */
int	egg_regex_compile(regex_t *re, const char *pat, int cflags,
	    size_t *groups, size_t ngroups);

/*
 * Splits a rules string ("required|string|max:20") into parsed rules:
 * empty tokens dropped, "int" read as "integer", a regex kept whole.
 * *out is owned by the caller (egg_rules_free).
 */
void	egg_rules_parse(const char *raw, struct egg_rule **out, size_t *n);
/* Frees n rules from egg_rules_parse; takes NULL. */
void	egg_rules_free(struct egg_rule *rules, size_t n);

/* The egg library: built-in eggs plus a repository's eggs/ directory. */
struct egg_library;

/* Makes an empty library; cannot fail. */
struct egg_library *egglib_new(void);
/* Frees the library and its eggs; takes NULL. */
void	egglib_free(struct egg_library *lib);
/*
 * Loads every egg under dir as "<nest>/<name>" from "<nest>/<name>.(yaml|
 * yml|json)". Later additions with the same id replace earlier ones (so a
 * repository's eggs/ overrides the built-in library). Problems go to d
 * with paths prefixed by path_prefix (e.g. "eggs/"); returns 0 or
 * ROOST_EINVAL (the good eggs are still added) or -1 on I/O error.
 */
int	egglib_load_dir(struct egg_library *lib, const char *dir,
	    const char *path_prefix, struct diags *d);
/* Adds one egg under id from a buffer (used for eggs read from git). */
int	egglib_add_buf(struct egg_library *lib, const char *id,
	    const char *path, const char *buf, size_t len, struct diags *d);
/* Adds egg under id (replacing one with the same id); takes ownership. */
void	egglib_put(struct egg_library *lib, const char *id, struct egg *egg);
/*
 * True when a file name is an egg file (.yaml, .yml or .json, not hidden);
 * *stem gets the length of the name without the extension.
 */
int	egglib_egg_name(const char *name, size_t *stem);
/* Returns the egg with that id ("nest/name"), or NULL; borrowed. */
const struct egg *egglib_find(const struct egg_library *lib, const char *id);
/* Number of eggs, and egg i in id order (for listings). */
size_t	egglib_count(const struct egg_library *lib);
const struct egg *egglib_at(const struct egg_library *lib, size_t i);
/*
 * Returns the directory of the built-in library: $ROOST_EGGS if set, else
 * ./eggs next to the running binary's source tree, else ROOST_DATADIR/eggs.
 */
const char *egglib_builtin_dir(void);

#endif
