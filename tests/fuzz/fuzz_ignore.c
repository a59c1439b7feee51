/*
 * fuzz_ignore: libFuzzer target for the backup ignore patterns
 * (lib/ignore.c), which also read a server's own .pteroignore, a file the
 * game server controls. The bytes up to the first NUL are a .pteroignore;
 * the lines after it are paths, each matched as a file and as a directory.
 * Nothing may crash or take long; a pattern line made only of letters,
 * digits, '.', '_' and '-' must match that same name as a file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ignore.h"
#include "rerr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* True when s (len bytes) is a plain name no pattern syntax touches. */
static int
plain(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || s[0] == '#' || len > IGNORE_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ignore	*ig;
	struct rerr	 err;
	const char	*p = (const char *)data, *end = p + size, *nul, *nl;
	char		*path;

	rerr_init(&err);
	if (ignore_compile(&ig, NULL, 0, &err) != 0)
		abort();
	nul = memchr(p, '\0', size);
	ignore_add_text(ig, p, nul != NULL ? (size_t)(nul - p) : size);
	/* One plain line alone must match its own name. */
	if (nul == NULL && plain(p, size)) {
		path = strndup(p, size);
		if (!ignore_match(ig, path, 0))
			abort();
		free(path);
	}
	for (p = nul != NULL ? nul + 1 : end; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		path = strndup(p, (size_t)(nl - p));
		(void)ignore_match(ig, path, 0);
		(void)ignore_match(ig, path, 1);
		free(path);
	}
	ignore_free(ig);
	return 0;
}
