/*
 * fswalk: a depth-first walk with an explicit stack. Each directory is
 * read whole when entered (its subdirectories remembered by name), so a
 * callback may unlink entries. Only the top FSWALK_MAX_FDS levels and the
 * current directory keep their descriptors; a deeper directory whose
 * descriptor was closed is reopened, when the walk comes back to it,
 * from the nearest open ancestor one name at a time with O_NOFOLLOW.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fswalk.h"
#include "xmalloc.h"

#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | \
			    O_CLOEXEC)

struct frame {
	int	  fd;		/* -1 while closed to save descriptors */
	char	 *name;		/* name in the parent; NULL for the root */
	char	**sub;		/* subdirectories to visit */
	size_t	  nsub, next, cap;
};

struct walk {
	struct frame	*st;
	size_t		 n, cap;
	uint64_t	 left;
	fswalk_fn	 fn;
	fswalk_path_fn	 pfn;		/* or: the callback wants paths */
	void		*arg;
	int		 stop;
};

static void
frame_free(struct frame *f)
{
	size_t	i;

	if (f->fd != -1)
		close(f->fd);
	for (i = f->next; i < f->nsub; i++)
		free(f->sub[i]);
	free(f->sub);
	free(f->name);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Reads the directory of frame f, calling back for each entry. */
static void
walk_list(struct walk *w, struct frame *f, int depth)
{
	DIR		*dir;
	struct dirent	*de;
	struct stat	 sb;
	char		*prefix = NULL, *path = NULL;
	size_t		 plen = 0, cap = 0, nl;
	int		 fd, rc, i;

	if ((fd = dup(f->fd)) == -1)
		return;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	/* The directory's own path, from the names on the stack. */
	if (w->pfn != NULL) {
		for (i = 1; i <= depth; i++)
			plen += strlen(w->st[i].name) + 1;
		prefix = xcalloc(1, plen + 1);
		for (i = 1, nl = 0; i <= depth; i++) {
			memcpy(prefix + nl, w->st[i].name,
			    strlen(w->st[i].name));
			nl += strlen(w->st[i].name);
			prefix[nl++] = '/';
		}
	}
	while (!w->stop && w->left > 0 && (de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		w->left--;
		if (fstatat(f->fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (w->pfn != NULL) {
			nl = plen + strlen(de->d_name) + 1;
			if (nl > cap) {
				cap = nl * 2;
				path = xreallocarray(path, cap, 1);
			}
			memcpy(path, prefix, plen);
			memcpy(path + plen, de->d_name, nl - plen);
			rc = w->pfn(f->fd, de->d_name, path, &sb, w->arg);
		} else
			rc = w->fn(f->fd, de->d_name, &sb, depth, w->arg);
		if (rc == -1) {
			w->stop = 1;
			break;
		}
		if (rc != 0 || !S_ISDIR(sb.st_mode))
			continue;
		if (f->nsub == f->cap) {
			f->cap = f->cap ? f->cap * 2 : 8;
			f->sub = xreallocarray(f->sub, f->cap, sizeof(char *));
		}
		f->sub[f->nsub++] = xstrdup(de->d_name);
	}
	closedir(dir);
	free(prefix);
	free(path);
}

/* Reopens frame i from its nearest ancestor with an open descriptor. */
static int
walk_reopen(struct walk *w, size_t i)
{
	size_t	j = i, k;
	int	cur, nfd;

	while (w->st[j].fd == -1)
		j--;		/* the root's stays open */
	cur = w->st[j].fd;
	for (k = j + 1; k <= i; k++) {
		nfd = openat(cur, w->st[k].name, DIR_FLAGS);
		if (cur != w->st[j].fd)
			close(cur);
		if (nfd == -1)
			return -1;
		cur = nfd;
	}
	w->st[i].fd = cur;
	return 0;
}

static int	walk_run(int rootfd, uint64_t max_entries, fswalk_fn fn,
		    fswalk_path_fn pfn, void *arg, int *truncated);

/* Walks a tree; see fswalk.h. */
int
fswalk(int rootfd, uint64_t max_entries, fswalk_fn fn, void *arg,
    int *truncated)
{
	return walk_run(rootfd, max_entries, fn, NULL, arg, truncated);
}

/* Walks a tree telling the callback each path; see fswalk.h. */
int
fswalk_path(int rootfd, uint64_t max_entries, fswalk_path_fn fn, void *arg,
    int *truncated)
{
	return walk_run(rootfd, max_entries, NULL, fn, arg, truncated);
}

/* The walk itself, for fswalk and fswalk_path. */
static int
walk_run(int rootfd, uint64_t max_entries, fswalk_fn fn, fswalk_path_fn pfn,
    void *arg, int *truncated)
{
	struct walk	 w;
	struct frame	*f;
	char		*name;
	int		 fd;

	memset(&w, 0, sizeof(w));
	w.left = max_entries;
	w.fn = fn;
	w.pfn = pfn;
	w.arg = arg;
	if (truncated != NULL)
		*truncated = 0;
	if ((fd = dup(rootfd)) == -1)
		return 0;
	w.cap = 16;
	w.st = xcalloc(w.cap, sizeof(*w.st));
	w.st[0].fd = fd;
	w.n = 1;
	walk_list(&w, &w.st[0], 0);
	while (w.n > 0 && !w.stop) {
		f = &w.st[w.n - 1];
		if (f->next == f->nsub || w.left == 0) {
			frame_free(f);
			w.n--;
			continue;
		}
		name = f->sub[f->next++];
		if (f->fd == -1 && walk_reopen(&w, w.n - 1) == -1) {
			/* Moved away meanwhile: its remaining subtrees go. */
			free(name);
			for (; f->next < f->nsub; f->next++)
				free(f->sub[f->next]);
			continue;
		}
		if ((fd = openat(f->fd, name, DIR_FLAGS)) == -1) {
			free(name);
			continue;
		}
		if (w.n > FSWALK_MAX_FDS) {
			close(f->fd);
			f->fd = -1;
		}
		if (w.n == w.cap) {
			w.cap *= 2;
			w.st = xreallocarray(w.st, w.cap, sizeof(*w.st));
		}
		f = &w.st[w.n++];
		memset(f, 0, sizeof(*f));
		f->fd = fd;
		f->name = name;
		walk_list(&w, f, (int)w.n - 1);
	}
	while (w.n > 0)
		frame_free(&w.st[--w.n]);
	free(w.st);
	if (truncated != NULL)
		*truncated = w.left == 0;
	return w.stop ? -1 : 0;
}
