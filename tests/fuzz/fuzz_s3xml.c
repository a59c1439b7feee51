/*
 * fuzz_s3xml: libFuzzer target for the reading of S3's XML answers
 * (lib/s3.c, libxml2), which come from a store on the network. Nothing
 * may crash, loop or read outside the input; every path handed to the
 * callback is non-empty and every text a C string.
 *
 * fuzz-sources: lib/s3.c lib/http.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
visit(void *arg, const char *path, const char *text)
{
	size_t	*n = arg;

	if (path[0] == '\0')
		abort();
	*n += strlen(text) > 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t	n = 0;

	s3_init();
	(void)s3_xml_walk((const char *)data, len, visit, &n);
	return 0;
}
