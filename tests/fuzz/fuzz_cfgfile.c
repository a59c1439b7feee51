/*
 * fuzz_cfgfile: libFuzzer target for config-file rewriting, whose input
 * is a file in a server's directory (user-controlled). The first byte
 * picks the parser, the rest is the file's text; the settings exercise
 * nested paths, list indexes, wildcards, conditions, regex conditions and
 * xml attributes.
 *
 * fuzz-sources: reconciler/cfgfile.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"

#include "../../reconciler/cfgfile.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *parsers[] = { "properties", "ini", "file", "json",
    "yaml", "xml" };

static struct egg *
fuzz_egg(void)
{
	struct buf	 b;
	struct diags	 d;
	struct egg	*egg;
	size_t		 i;

	buf_init(&b, 0);
	buf_puts(&b, "apiVersion: roost/v1\nkind: Egg\nname: f\nimages: "
	    "[{ref: x}]\nstartup: run\nconfigFiles:\n");
	for (i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		buf_addf(&b, "  - path: f%zu\n    parser: %s\n    set:\n"
		    "      - { match: a.b, value: '{{server.build.default."
		    "port}}' }\n"
		    "      - { match: 'a.list[1].c', value: '{{env.X}}$1' }\n"
		    "      - { match: 'a.*.d', ifValue: x, value: y }\n"
		    "      - { match: 'r.*.addr', ifValue: 'regex:^(127\\.0\\."
		    "0\\.1|localhost)(:\\d{1,5})?$', value: "
		    "'{{config.docker.interface}}$2' }\n"
		    "      - { match: a.e, value: \"[k='v&<\\\"']\" }\n"
		    "      - { match: Root.x.y, value: 'a<b' }\n"
		    "      - { match: 'Root.*.z', value: '1' }\n",
		    i, parsers[i]);
	diags_init(&d);
	if (egg_load(&egg, "fuzz.yaml", buf_str(&b), b.len, &d) != 0)
		abort();
	diags_dispose(&d);
	buf_dispose(&b);
	return egg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct egg	*egg;
	static const char	*keys[] = { "X" };
	static const char	*vals[] = { "v$2" };
	struct cfgfile_env	 env;
	struct diags		 d;
	struct buf		 out;

	if (egg == NULL)
		egg = fuzz_egg();
	if (size < 1)
		return 0;
	memset(&env, 0, sizeof(env));
	env.ip = "10.0.0.1";
	env.port = 25565;
	env.memory = 1024;
	env.interface = "172.18.0.1";
	env.keys = keys;
	env.values = vals;
	env.nvars = 1;
	env.uid = (uid_t)-1;
	env.gid = (gid_t)-1;
	diags_init(&d);
	buf_init(&out, 0);
	(void)cfgfile_rewrite(egg, data[0] % egg->nfiles,
	    (const char *)data + 1, size - 1, &env, &out, &d);
	buf_dispose(&out);
	diags_dispose(&d);
	return 0;
}
