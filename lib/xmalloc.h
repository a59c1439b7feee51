/*
 * xmalloc: allocation wrappers that end the process when memory runs out.
 * No roost function returns ENOMEM; every allocation goes through these.
 */
#ifndef ROOST_XMALLOC_H
#define ROOST_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	 strv_free(char **, size_t);

#endif
