/*
 * panel_sched: the schedules of a server file, replaced as a whole from
 * YAML a person typed (the bot's Edit schedules modal). The new list goes
 * through the validation of every edit, so a bad cron expression or a
 * start task is refused with its message and nothing is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "panel.h"
#include "panel_int.h"
#include "rerr.h"
#include "xmalloc.h"
#include "ydoc.h"
#include "yedit.h"

#define SCHED_TEXT_MAX	4000	/* bytes of YAML (a Discord text input) */

/* True when text is only blanks and comments. */
static int
blank(const char *text)
{
	const char	*s;

	for (s = text; *s != '\0'; s++) {
		if (*s == '#')
			while (*s != '\0' && *s != '\n')
				s++;
		if (*s == '\0')
			break;
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	}
	return 1;
}

/*
 * Parses text as one YAML sequence; returns its length, or -1 with err
 * saying what is wrong (line numbers are the text's own).
 */
static ssize_t
sequence_len(const char *text, struct rerr *err)
{
	struct ydoc	*doc = NULL;
	struct diags	 d;
	ssize_t		 n = -1;

	diags_init(&d);
	if (ydoc_parse(&doc, "schedules", text, strlen(text), &d) != 0)
		rerr_set(err, ROOST_EINVAL, "the schedules are not YAML: line "
		    "%d: %s", d.n ? d.v[0].line : 0, d.n ? d.v[0].msg :
		    "cannot parse");
	else if (doc->root == NULL || doc->root->type != YDOC_SEQ)
		rerr_set(err, ROOST_EINVAL, "the schedules must be a YAML list "
		    "(\"- name: ...\" items, or [] for none), not %s",
		    doc->root == NULL ? "nothing" : ydoc_type_name(doc->root));
	else
		n = (ssize_t)doc->root->n;
	ydoc_free(doc);
	diags_dispose(&d);
	return n;
}

/*
 * Whether text (a whole server file) has the same top-level keys as old
 * plus schedules, and a schedules list of n items: the typed YAML stayed
 * inside its key.
 */
static int
stayed_inside(const char *old, size_t oldlen, const char *text, size_t len,
    size_t n)
{
	struct ydoc		*a = NULL, *b = NULL;
	struct ydoc_node	*s;
	struct diags		 d;
	size_t			 i, keys;
	int			 ok = 0;

	diags_init(&d);
	if (ydoc_parse_flags(&a, "old", old, oldlen, YDOC_DUPLICATES, &d) !=
	    0 || ydoc_parse_flags(&b, "new", text, len, YDOC_DUPLICATES,
	    &d) != 0 || a->root == NULL || b->root == NULL ||
	    a->root->type != YDOC_MAP || b->root->type != YDOC_MAP)
		goto out;
	keys = a->root->n + (ydoc_get(a->root, "schedules") == NULL);
	if (b->root->n != keys)
		goto out;
	for (i = 0; i < a->root->n; i++)
		if (ydoc_key(a->root, i)->str == NULL ||
		    ydoc_get(b->root, ydoc_key(a->root, i)->str) == NULL)
			goto out;
	s = ydoc_get(b->root, "schedules");
	ok = s != NULL && s->type == YDOC_SEQ && s->n == n;
out:
	ydoc_free(a);
	ydoc_free(b);
	diags_dispose(&d);
	return ok;
}

struct sched_arg {
	const char	*text;
	ssize_t		 n;		/* items; -1: remove the key */
};

static int
edit_schedules(struct panel_ctx *c, void *arg, struct rerr *err)
{
	struct sched_arg	*a = arg;
	struct buf		 raw;
	size_t			 len;
	int			 rc;

	buf_init(&raw, 0);
	if (a->n < 0)
		rc = yedit_delete(c->out, c->old, c->oldlen, "schedules", err);
	else {
		/* the fragment without its trailing line breaks */
		len = strlen(a->text);
		while (len > 0 && (a->text[len - 1] == '\n' ||
		    a->text[len - 1] == '\r' || a->text[len - 1] == ' '))
			len--;
		buf_add(&raw, a->text, len);
		if (strchr(buf_str(&raw), '\n') != NULL)
			buf_puts(&raw, "\n");
		rc = yedit_set(c->out, c->old, c->oldlen, "schedules",
		    buf_str(&raw), YEDIT_RAW, err);
		if (rc == 0 && !stayed_inside(c->old, c->oldlen,
		    buf_str(c->out), c->out->len, (size_t)a->n))
			rc = rerr_set(err, ROOST_EINVAL, "the schedules' YAML "
			    "must be one list that stays under schedules: "
			    "(check its indentation)");
	}
	buf_dispose(&raw);
	if (rc == 0)
		buf_puts(c->what, a->n < 0 ? "schedules (unset)" :
		    "schedules");
	return rc;
}

/* Replaces the schedules of a server; see panel.h. */
int
panel_server_set_schedules(struct panel *p, const struct panel_req *req,
    const char *name, const char *yaml_text, struct panel_result *res,
    struct rerr *err)
{
	struct sched_arg	a = { yaml_text, -1 };
	struct panel_edit	e = { "server schedules", name, PANEL_EXISTS,
				    edit_schedules, &a };

	if (yaml_text == NULL)
		yaml_text = a.text = "";
	if (strlen(yaml_text) > SCHED_TEXT_MAX)
		return rerr_set(err, ROOST_EINVAL, "the schedules' YAML is "
		    "longer than %d bytes", SCHED_TEXT_MAX);
	if (!blank(yaml_text) && (a.n = sequence_len(yaml_text, err)) < 0)
		return ROOST_EINVAL;
	return panel_apply(p, req, &e, res, err);
}
