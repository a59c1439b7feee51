/*
 * fuzz_egg: libFuzzer target for the egg loader. The bytes are loaded as
 * a JSON egg and as a YAML egg; a loaded egg is also written in roost's
 * form and loaded back, which must succeed and give the same egg, every
 * string equal byte for byte (a value holding a character YAML reads as
 * a line break must come back as it went).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) ||
	    (a != NULL && strcmp(a, b) != 0))
		abort();	/* the writer changed a value */
}

static void
same_list(char **a, size_t na, char **b, size_t nb)
{
	size_t	i;

	if (na != nb)
		abort();
	for (i = 0; i < na; i++)
		same(a[i], b[i]);
}

static void
egg_same(const struct egg *a, const struct egg *b)
{
	size_t	i, j;

	same(a->name, b->name);
	same(a->author, b->author);
	same(a->description, b->description);
	same(a->update_url, b->update_url);
	if (a->nimages != b->nimages || a->nstartups != b->nstartups ||
	    a->nfiles != b->nfiles || a->nvars != b->nvars)
		abort();
	for (i = 0; i < a->nimages; i++) {
		same(a->images[i].label, b->images[i].label);
		same(a->images[i].ref, b->images[i].ref);
	}
	same_list(a->startups, a->nstartups, b->startups, b->nstartups);
	same(a->startup, b->startup);
	same(a->stop.raw, b->stop.raw);
	same_list(a->done, a->ndone, b->done, b->ndone);
	for (i = 0; i < a->nfiles; i++) {
		same(a->files[i].path, b->files[i].path);
		if (a->files[i].nreplace != b->files[i].nreplace)
			abort();
		for (j = 0; j < a->files[i].nreplace; j++) {
			same(a->files[i].replace[j].match,
			    b->files[i].replace[j].match);
			same(a->files[i].replace[j].value,
			    b->files[i].replace[j].value);
			same(a->files[i].replace[j].if_value,
			    b->files[i].replace[j].if_value);
		}
	}
	same(a->install_script, b->install_script);
	for (i = 0; i < a->nvars; i++) {
		same(a->vars[i].env, b->vars[i].env);
		same(a->vars[i].name, b->vars[i].name);
		same(a->vars[i].description, b->vars[i].description);
		same(a->vars[i].def, b->vars[i].def);
	}
	same_list(a->denylist, a->ndenylist, b->denylist, b->ndenylist);
	same_list(a->features, a->nfeatures, b->features, b->nfeatures);
}

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
			egg_same(egg, back);
			egg_free(back);
			buf_dispose(&w);
			egg_free(egg);
		}
		diags_dispose(&d);
	}
	return 0;
}
