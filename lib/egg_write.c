/*
 * egg_write: an egg in roost's readable YAML form: no JSON inside
 * strings, scripts as block literals, rules as lists. egg_load reads it
 * back into an equal struct.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "egg.h"
#include "ywrite.h"

static const char *
parser_name(enum egg_parser p)
{
	switch (p) {
	case EGG_PARSER_PROPERTIES:
		return "properties";
	case EGG_PARSER_YAML:
		return "yaml";
	case EGG_PARSER_JSON:
		return "json";
	case EGG_PARSER_INI:
		return "ini";
	case EGG_PARSER_XML:
		return "xml";
	default:
		return "file";
	}
}

static void
write_list(struct buf *out, const char *key, char **v, size_t n)
{
	size_t	i;

	if (n == 0) {
		buf_addf(out, "%s: []\n", key);
		return;
	}
	buf_addf(out, "%s:\n", key);
	for (i = 0; i < n; i++) {
		buf_puts(out, "  - ");
		ywrite_scalar(out, v[i]);
		buf_putc(out, '\n');
	}
}

/* Appends the egg in roost's YAML form. */
void
egg_write_yaml(const struct egg *egg, struct buf *out)
{
	size_t	i, j;

	buf_puts(out, "# yaml-language-server: $schema=../../schema/"
	    "egg.schema.json\napiVersion: roost/v1\nkind: Egg\nname:");
	ywrite_value(out, egg->name ? egg->name : "", 2);
	buf_puts(out, "author:");
	ywrite_value(out, egg->author ? egg->author : "", 2);
	buf_puts(out, "description:");
	ywrite_value(out, egg->description ? egg->description : "", 2);
	buf_puts(out, "source:");
	ywrite_value(out, egg->source_version ? egg->source_version :
	    "roost/v1", 2);
	if (egg->update_url != NULL) {
		buf_puts(out, "updateUrl:");
		ywrite_value(out, egg->update_url, 2);
	}
	buf_puts(out, "images:\n");
	for (i = 0; i < egg->nimages; i++) {
		buf_puts(out, "  - label: ");
		ywrite_scalar(out, egg->images[i].label);
		buf_puts(out, "\n    ref: ");
		ywrite_scalar(out, egg->images[i].ref);
		buf_putc(out, '\n');
	}
	/* one command keeps its label unless it is the default one */
	if (egg->nstartups == 0 || (egg->nstartups == 1 &&
	    strcmp(egg->startup_labels[0], "Default") == 0)) {
		buf_puts(out, "startup:");
		ywrite_value(out, egg->startup ? egg->startup : "", 2);
	} else {
		buf_puts(out, "startupCommands:\n");
		for (i = 0; i < egg->nstartups; i++) {
			buf_puts(out, "  - label: ");
			ywrite_scalar(out, egg->startup_labels[i]);
			buf_puts(out, "\n    command:");
			ywrite_value(out, egg->startups[i], 6);
		}
	}
	buf_puts(out, "stop: ");
	ywrite_scalar(out, egg->stop.raw ? egg->stop.raw : "^C");
	buf_putc(out, '\n');
	write_list(out, "done", egg->done, egg->ndone);
	if (egg->nfiles > 0) {
		buf_puts(out, "configFiles:\n");
		for (i = 0; i < egg->nfiles; i++) {
			const struct egg_file *f = &egg->files[i];

			buf_puts(out, "  - path: ");
			ywrite_scalar(out, f->path);
			buf_addf(out, "\n    parser: %s\n    set:%s\n",
			    parser_name(f->parser), f->nreplace ? "" : " []");
			for (j = 0; j < f->nreplace; j++) {
				const struct egg_replace *r = &f->replace[j];

				buf_puts(out, "      - match: ");
				ywrite_scalar(out, r->match);
				if (r->if_value != NULL) {
					buf_puts(out, "\n        ifValue: ");
					ywrite_scalar(out, r->if_value);
				}
				buf_puts(out, "\n        value: ");
				ywrite_scalar(out, r->value);
				if (r->value_type != EGG_VAL_STRING)
					buf_addf(out, "\n        type: %s",
					    r->value_type == EGG_VAL_INT ?
					    "int" : "bool");
				buf_putc(out, '\n');
			}
		}
	}
	if (egg->install_script != NULL) {
		buf_puts(out, "install:\n  image: ");
		ywrite_scalar(out, egg->install_image ? egg->install_image :
		    "");
		buf_puts(out, "\n  entrypoint: ");
		ywrite_scalar(out, egg->install_entrypoint ?
		    egg->install_entrypoint : "sh");
		buf_puts(out, "\n  script:");
		ywrite_value(out, egg->install_script, 4);
	}
	if (egg->nvars == 0)
		buf_puts(out, "variables: []\n");
	else
		buf_puts(out, "variables:\n");
	for (i = 0; i < egg->nvars; i++) {
		const struct egg_var *v = &egg->vars[i];

		buf_puts(out, "  - env: ");
		ywrite_scalar(out, v->env);
		buf_puts(out, "\n    name:");
		ywrite_value(out, v->name, 6);
		buf_puts(out, "    description:");
		ywrite_value(out, v->description, 6);
		buf_puts(out, "    default:");
		ywrite_value(out, v->def, 6);
		buf_addf(out, "    viewable: %s\n    editable: %s\n",
		    v->viewable ? "true" : "false",
		    v->editable ? "true" : "false");
		if (v->nrules == 0)
			buf_puts(out, "    rules: []\n");
		else {
			buf_puts(out, "    rules:\n");
			for (j = 0; j < v->nrules; j++) {
				const struct egg_rule *r = &v->rules[j];
				struct buf t;
				size_t k;

				buf_init(&t, 0);
				buf_puts(&t, r->name);
				for (k = 0; k < r->nargs; k++)
					buf_addf(&t, "%c%s", k ? ',' : ':',
					    r->args[k]);
				buf_puts(out, "      - ");
				ywrite_scalar(out, buf_str(&t));
				buf_putc(out, '\n');
				buf_dispose(&t);
			}
		}
	}
	write_list(out, "denylist", egg->denylist, egg->ndenylist);
	write_list(out, "features", egg->features, egg->nfeatures);
}
