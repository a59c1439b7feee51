/*
 * cfgfile: an egg's configuration-file edits applied in a server's
 * directory before each start, as Wings does, but keeping comments and
 * layout: properties, ini and plain "file" edits change only the lines
 * they set, yaml goes through yedit, json is rewritten. Both placeholder
 * dialects are expanded: Pterodactyl's {{server.build.default.port}},
 * {{server.build.env.X}}, {{env.X}} and Pelican's
 * {{server.allocations.default.port}}, {{server.environment.X}}, plus
 * {{config.docker.interface}}. Unknown bare placeholders such as
 * {{QUERY_PORT}} stay as written, as the panels leave them.
 */
#ifndef ROOSTD_CFGFILE_H
#define ROOSTD_CFGFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct buf;
struct diags;
struct egg;

struct cfgfile_env {
	const char		 *ip;		/* the default allocation's IP */
	int			  port;		/* the default allocation's port */
	int64_t			  memory;	/* MiB */
	const char		 *interface;	/* the roost network's gateway */
	const char *const	 *keys;		/* environment: egg variables */
	const char *const	 *values;	/* and their values */
	size_t			  nvars;
	uid_t			  uid;		/* owner of created files */
	gid_t			  gid;		/* (-1: leave as created) */
};

/*
 * Applies every config-file edit of egg inside the directory dirfd
 * (paths resolve beneath it; symlinks are refused). Problems with one file
 * are added to d (path = the file) and the others are still applied.
 * Returns 0, or -1 when any file could not be written.
 */
int	cfgfile_apply(const struct egg *egg, int dirfd,
	    const struct cfgfile_env *env, struct diags *d);

/* Expands the placeholders of s into out (exposed for tests). */
void	cfgfile_expand(const char *s, const struct cfgfile_env *env,
	    struct buf *out);

/*
 * Applies one parser's edits to a file's text (exposed for tests):
 * in/len is the current content (empty for a new file), out the result.
 * Returns 0, or -1 with a message in d.
 */
int	cfgfile_rewrite(const struct egg *egg, size_t fileidx,
	    const char *in, size_t len, const struct cfgfile_env *env,
	    struct buf *out, struct diags *d);

#endif
