/*
 * runtime: the console thread following the servers' attach streams, the
 * kept output lines, done matching and the disk walk (see runtime.h).
 */
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "egg.h"
#include "fswalk.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "console.h"
#include "docker.h"
#include "runtime.h"
#include "thread.h"

#define RUNTIME_LINE_MAX	(64 * 1024)

struct rt_stream {
	struct runtime		*rt;
	char			*server;
	char			*cid;		/* container followed, or NULL */
	struct docker_attach	*a;		/* NULL once closed */
	struct buf		 partial;	/* an unfinished line */
	int			 close;		/* asked to close */
};

struct runtime {
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 closed;	/* a stream closed, or quit */
	int			 efd;
	int			 quit;
	struct rt_stream	**v;
	size_t			 n;
	runtime_line_cb		 line_cb;
	runtime_eof_cb		 eof_cb;
	void			*arg;
	struct console		*con;		/* the kept lines */
	int			 own_con;
};

static void
rt_wake(struct runtime *rt)
{
	uint64_t	one = 1;

	if (write(rt->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("runtime: wake");
}

static struct rt_stream *
rt_find(struct runtime *rt, const char *server)
{
	size_t	i;

	for (i = 0; i < rt->n; i++)
		if (strcmp(rt->v[i]->server, server) == 0)
			return rt->v[i];
	return NULL;
}

static struct rt_stream *
rt_get(struct runtime *rt, const char *server)
{
	struct rt_stream	*s;

	if ((s = rt_find(rt, server)) != NULL)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->rt = rt;
	s->server = xstrdup(server);
	buf_init(&s->partial, RUNTIME_LINE_MAX);
	rt->v = xreallocarray(rt->v, rt->n + 1, sizeof(*rt->v));
	rt->v[rt->n++] = s;
	return s;
}

static void
rt_keep(struct rt_stream *s, const char *line)
{
	console_output(s->rt->con, s->server, line, strlen(line));
}

static void
rt_stream_free(struct rt_stream *s)
{
	if (s->a != NULL)
		docker_attach_close(s->a);
	buf_dispose(&s->partial);
	free(s->cid);
	free(s->server);
	free(s);
}

/*
 * Splits new output into lines, keeps them, and collects them in out
 * (NUL-separated) for the callback, which runs after the lock is dropped.
 */
static void
rt_split(struct rt_stream *s, const char *p, size_t n, struct buf *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (s->partial.len > 0 &&
			    s->partial.data[s->partial.len - 1] == '\r')
				s->partial.data[--s->partial.len] = '\0';
			rt_keep(s, buf_str(&s->partial));
			buf_add(out, buf_str(&s->partial), s->partial.len + 1);
			buf_reset(&s->partial);
			continue;
		}
		if (buf_putc(&s->partial, p[i]) == -1) {
			/* An endless line: keep what fits and go on. */
			rt_keep(s, buf_str(&s->partial));
			buf_add(out, buf_str(&s->partial), s->partial.len + 1);
			buf_reset(&s->partial);
		}
	}
}

static void *
rt_main(void *arg)
{
	struct runtime		*rt = arg;
	struct pollfd		*pfd = NULL;
	struct rt_stream	**who = NULL;
	struct buf		 data, lines, eofs;
	struct rerr		 err;
	uint64_t		 junk;
	size_t			 i, np, off;
	int			 eof, rc;

	buf_init(&data, 0);
	buf_init(&lines, 0);
	buf_init(&eofs, 0);
	for (;;) {
		pthread_mutex_lock(&rt->mtx);
		if (rt->quit) {
			pthread_mutex_unlock(&rt->mtx);
			break;
		}
		pfd = xreallocarray(pfd, rt->n + 1, sizeof(*pfd));
		who = xreallocarray(who, rt->n + 1, sizeof(*who));
		pfd[0].fd = rt->efd;
		pfd[0].events = POLLIN;
		np = 1;
		for (i = 0; i < rt->n; i++) {
			struct rt_stream *s = rt->v[i];

			if (s->close && s->a != NULL) {
				docker_attach_close(s->a);
				s->a = NULL;
				pthread_cond_broadcast(&rt->closed);
			}
			if (s->a == NULL)
				continue;
			pfd[np].fd = docker_attach_fd(s->a);
			pfd[np].events = POLLIN;
			who[np++] = s;
		}
		pthread_mutex_unlock(&rt->mtx);

		if (poll(pfd, np, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("runtime: poll");
		}
		if (pfd[0].revents & POLLIN) {
			if (read(rt->efd, &junk, sizeof(junk)) == -1)
				junk = 0;
			continue;	/* the set may have changed */
		}

		pthread_mutex_lock(&rt->mtx);
		for (i = 1; i < np; i++) {
			struct rt_stream *s = who[i];

			if (pfd[i].revents == 0 || s->a == NULL || s->close)
				continue;
			buf_reset(&data);
			rerr_init(&err);
			eof = 0;
			rc = docker_attach_read(s->a, &data, 0, &eof, &err);
			if (data.len > 0) {
				size_t hdr = lines.len;

				buf_puts(&lines, s->server);
				buf_putc(&lines, '\0');
				buf_puts(&lines, s->cid ? s->cid : "");
				buf_putc(&lines, '\0');
				off = lines.len;
				rt_split(s, data.data, data.len, &lines);
				if (lines.len == off) {
					/* no full line: undo the header */
					lines.len = hdr;
				} else
					buf_putc(&lines, '\001');
			}
			if (eof || (rc != 0 && rc != ROOST_ETIMEDOUT)) {
				if (s->partial.len > 0) {
					rt_keep(s, buf_str(&s->partial));
					buf_reset(&s->partial);
				}
				docker_attach_close(s->a);
				s->a = NULL;
				pthread_cond_broadcast(&rt->closed);
				buf_puts(&eofs, s->server);
				buf_putc(&eofs, '\0');
				buf_puts(&eofs, s->cid ? s->cid : "");
				buf_putc(&eofs, '\0');
			}
		}
		pthread_mutex_unlock(&rt->mtx);

		/*
		 * Callbacks without the lock, from groups of
		 * "server\0cid\0line\0line\0\001".
		 */
		off = 0;
		while (off < lines.len) {
			const char *server = lines.data + off, *cid;

			off += strlen(server) + 1;
			cid = lines.data + off;
			off += strlen(cid) + 1;
			while (off < lines.len && lines.data[off] != '\001') {
				rt->line_cb(rt->arg, server, cid,
				    lines.data + off);
				off += strlen(lines.data + off) + 1;
			}
			off++;
		}
		off = 0;
		while (off < eofs.len) {
			const char *server = eofs.data + off;
			const char *cid = server + strlen(server) + 1;

			rt->eof_cb(rt->arg, server, cid);
			off = (size_t)(cid - eofs.data) + strlen(cid) + 1;
		}
		buf_reset(&lines);
		buf_reset(&eofs);
	}
	free(pfd);
	free(who);
	buf_dispose(&data);
	buf_dispose(&lines);
	buf_dispose(&eofs);
	return NULL;
}

/* Starts the console thread; see runtime.h. */
struct runtime *
runtime_new(runtime_line_cb line, runtime_eof_cb eof, void *arg)
{
	struct runtime	*rt;

	rt = xcalloc(1, sizeof(*rt));
	pthread_mutex_init(&rt->mtx, NULL);
	pthread_cond_init(&rt->closed, NULL);
	if ((rt->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("runtime: eventfd");
	rt->line_cb = line;
	rt->eof_cb = eof;
	rt->arg = arg;
	rt->con = console_new(NULL);
	rt->own_con = 1;
	if (pthread_create(&rt->thread, NULL, rt_main, rt) != 0)
		fatalx("runtime: cannot start the console thread");
	return rt;
}

/*
 * With rt->mtx held: asks the console thread to close server's stream and
 * waits (on rt->closed, the lock released meanwhile) until it has, or the
 * runtime quits. The stream is looked up again after each wake-up, as
 * another caller may have replaced or forgotten it while the lock was
 * released; the thread broadcasts under the lock, so no wake-up is lost.
 */
static void
rt_close_wait(struct runtime *rt, const char *server)
{
	struct rt_stream	*s;

	while (!rt->quit && (s = rt_find(rt, server)) != NULL &&
	    s->a != NULL) {
		s->close = 1;
		rt_wake(rt);
		pthread_cond_wait(&rt->closed, &rt->mtx);
	}
}

/* Stops the console thread and frees everything; see runtime.h. */
void
runtime_free(struct runtime *rt)
{
	size_t	i;

	if (rt == NULL)
		return;
	thread_raise(&rt->mtx, &rt->closed, &rt->quit);
	rt_wake(rt);
	pthread_join(rt->thread, NULL);
	for (i = 0; i < rt->n; i++)
		rt_stream_free(rt->v[i]);
	free(rt->v);
	if (rt->own_con)
		console_free(rt->con);
	close(rt->efd);
	pthread_cond_destroy(&rt->closed);
	pthread_mutex_destroy(&rt->mtx);
	free(rt);
}

/* Follows a server's stream; see runtime.h. */
void
runtime_follow(struct runtime *rt, const char *server, const char *cid,
    struct docker_attach *a)
{
	struct rt_stream	*s;

	pthread_mutex_lock(&rt->mtx);
	/* The thread may be polling the old stream: it closes it first. */
	rt_close_wait(rt, server);
	s = rt_get(rt, server);
	s->close = 0;
	if (s->a != NULL)
		docker_attach_close(s->a);
	s->a = a;
	buf_reset(&s->partial);
	free(s->cid);
	s->cid = xstrdup(cid);
	pthread_mutex_unlock(&rt->mtx);
	rt_wake(rt);
}

/* Stops following a server; see runtime.h. */
void
runtime_unfollow(struct runtime *rt, const char *server, int forget)
{
	struct rt_stream	*s;
	size_t			 i;

	pthread_mutex_lock(&rt->mtx);
	rt_close_wait(rt, server);
	s = rt_find(rt, server);
	if (s != NULL && forget && s->a == NULL) {
		for (i = 0; i < rt->n; i++)
			if (rt->v[i] == s) {
				rt->v[i] = rt->v[--rt->n];
				break;
			}
		console_forget(rt->con, server);
		rt_stream_free(s);
	}
	pthread_mutex_unlock(&rt->mtx);
}

/* True when rt follows server's container cid; see runtime.h. */
int
runtime_following(struct runtime *rt, const char *server, const char *cid)
{
	struct rt_stream	*s;
	int			 yes;

	pthread_mutex_lock(&rt->mtx);
	s = rt_find(rt, server);
	yes = s != NULL && s->a != NULL && !s->close && s->cid != NULL &&
	    cid != NULL && strcmp(s->cid, cid) == 0;
	pthread_mutex_unlock(&rt->mtx);
	return yes;
}

/* Writes a console command; see runtime.h. */
int
runtime_write(struct runtime *rt, const char *server, const char *line,
    struct rerr *err)
{
	struct rt_stream	*s;
	struct buf		 b;
	int			 rc;

	buf_init(&b, 0);
	buf_puts(&b, line);
	buf_putc(&b, '\n');
	pthread_mutex_lock(&rt->mtx);
	s = rt_find(rt, server);
	if (s == NULL || s->a == NULL || s->close)
		rc = rerr_set(err, ROOST_ENOTFOUND, "server \"%s\" has no "
		    "console attached", server);
	else
		rc = docker_attach_write(s->a, b.data, b.len, err);
	pthread_mutex_unlock(&rt->mtx);
	buf_dispose(&b);
	return rc;
}

/* Appends kept lines; see runtime.h. */
int
runtime_logs(struct runtime *rt, const char *server, int tail,
    struct buf *out)
{
	struct console_line	*v;
	uint64_t		 skipped, next;
	ssize_t			 n, i;

	n = console_read(rt->con, server, 0, tail > 0 ? (size_t)tail : 0,
	    &v, &skipped, &next);
	if (n <= 0)
		return ROOST_ENOTFOUND;
	for (i = 0; i < n; i++) {
		buf_add(out, v[i].text, v[i].len);
		buf_putc(out, '\n');
	}
	console_lines_free(v, (size_t)n);
	return 0;
}

/* Keeps a line of roost's own; see runtime.h. */
void
runtime_note(struct runtime *rt, const char *server, const char *line)
{
	console_note(rt->con, server, line);
}

/* Keeps the lines in another console; see runtime.h. */
void
runtime_use_console(struct runtime *rt, struct console *con)
{
	pthread_mutex_lock(&rt->mtx);
	if (rt->own_con)
		console_free(rt->con);
	rt->con = con;
	rt->own_con = 0;
	pthread_mutex_unlock(&rt->mtx);
}

/* Copies line without ANSI escape sequences. */
static char *
rt_strip_ansi(const char *line)
{
	char	*out = xmalloc(strlen(line) + 1), *o = out;

	while (*line != '\0') {
		if (line[0] == '\033' && line[1] == '[') {
			line += 2;
			while (*line != '\0' && !(*line >= '@' && *line <= '~'))
				line++;
			if (*line != '\0')
				line++;
			continue;
		}
		*o++ = *line++;
	}
	*o = '\0';
	return out;
}

/*
 * Compiled "regex:" done strings, each compiled once for the life of the
 * process (an egg has a handful; a full table compiles uncached). A
 * pattern POSIX cannot run is remembered as such and never matches.
 */
#define RT_DONE_CACHE	128

static struct {
	pthread_mutex_t	 mu;
	size_t		 n;
	struct {
		char	*pat;
		int	 ok;
		regex_t	 re;
	}		 v[RT_DONE_CACHE];
} rt_done = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* Matches one "regex:" pattern (Go syntax, as Wings) against line. */
static int
rt_done_regex(const char *pat, const char *line)
{
	regex_t	 re;
	size_t	 i;
	int	 hit = 0, found = 0;

	pthread_mutex_lock(&rt_done.mu);
	for (i = 0; i < rt_done.n; i++)
		if (strcmp(rt_done.v[i].pat, pat) == 0) {
			found = 1;
			break;
		}
	if (!found && rt_done.n < RT_DONE_CACHE) {
		i = rt_done.n++;
		rt_done.v[i].pat = xstrdup(pat);
		rt_done.v[i].ok = egg_regex_compile(&rt_done.v[i].re, pat,
		    REG_NOSUB, NULL, 0) == 0;
		found = 1;
	}
	pthread_mutex_unlock(&rt_done.mu);
	if (found)	/* entries are never changed once made */
		return rt_done.v[i].ok &&
		    regexec(&rt_done.v[i].re, line, 0, NULL, 0) == 0;
	if (egg_regex_compile(&re, pat, REG_NOSUB, NULL, 0) != 0)
		return 0;
	hit = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	return hit;
}

/* Matches done strings; see runtime.h. */
int
runtime_done_match(char *const *done, size_t n, const char *line)
{
	char	*plain;
	size_t	 i;
	int	 hit = 0;

	plain = rt_strip_ansi(line);
	for (i = 0; i < n && !hit; i++) {
		if (done[i] == NULL)
			continue;
		if (strncmp(done[i], "regex:", 6) == 0)
			hit = rt_done_regex(done[i] + 6, plain);
		else
			hit = strstr(plain, done[i]) != NULL;
	}
	free(plain);
	return hit;
}

/* Adds an entry's allocated blocks (a link's own, never its target's). */
static int
rt_du(int dirfd, const char *name, const struct stat *sb, int depth,
    void *arg)
{
	int64_t	*sum = arg;

	(void)dirfd;
	(void)name;
	(void)depth;
	*sum += (int64_t)sb->st_blocks * 512;
	return 0;
}

/* Walks a server directory; see runtime.h. */
int64_t
runtime_disk_usage(const char *dir, uint64_t max_entries, int *truncated)
{
	int64_t		sum = 0;
	int		fd;

	*truncated = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	fswalk(fd, max_entries, rt_du, &sum, truncated);
	close(fd);
	return sum;
}
