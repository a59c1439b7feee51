/*
 * ywrite: writing YAML scalars that read back as exactly the same string:
 * plain when that is safe, double-quoted with escapes otherwise, and block
 * literals for multi-line text. Used by every roost file writer.
 * Characters YAML would read as line breaks a reviewer cannot see (NEL,
 * U+2028, U+2029), controls, the byte order mark and bytes that are not
 * UTF-8 are never written bare: such a value is double-quoted with
 * escapes.
 */
#ifndef ROOST_YWRITE_H
#define ROOST_YWRITE_H

struct buf;

/* True when s holds no character that needs a double-quoted escape. */
int	ywrite_safe(const char *s);
/* Appends s as a single-line scalar (plain or double-quoted). */
void	ywrite_scalar(struct buf *out, const char *s);
/* The same inside a flow collection ({..} or [..]), where ':' and '?'
 * need quotes too. */
void	ywrite_flow_scalar(struct buf *out, const char *s);
/* Appends s double-quoted with YAML escapes. */
void	ywrite_quoted(struct buf *out, const char *s);
/*
 * Appends s as the value of a key: a block literal indented by indent
 * spaces when it spans lines and a literal can hold it exactly, else a
 * single-line scalar. The caller has written "key:"; this writes the
 * separating space or the block header.
 */
void	ywrite_value(struct buf *out, const char *s, int indent);

#endif
