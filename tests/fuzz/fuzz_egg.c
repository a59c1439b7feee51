/*
 * fuzz_egg: libFuzzer target for the egg loader. The bytes are loaded as
 * a JSON egg and as a YAML egg; a loaded egg is also written in roost's
 * form and loaded back, which must succeed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*names[] = { "fuzz.json", "fuzz.yaml" };
	struct diags		 d;
	struct egg		*egg, *back;
	struct buf		 w;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		diags_init(&d);
		if (egg_load(&egg, names[i], (const char *)data, size,
		    &d) == 0) {
			buf_init(&w, 0);
			egg_write_yaml(egg, &w);
			if (egg_load(&back, "back.yaml", buf_str(&w), w.len,
			    &d) != 0)
				abort();	/* the writer must round-trip */
			egg_free(back);
			buf_dispose(&w);
			egg_free(egg);
		}
		diags_dispose(&d);
	}
	return 0;
}
