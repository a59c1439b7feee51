/*
 * stateplan: the plan between two revisions of the state, as text (see
 * stateplan.c).
 */
#ifndef ROOST_STATEPLAN_H
#define ROOST_STATEPLAN_H

struct buf;
struct state;

/*
 * Appends to out node's plan going from os (NULL: an empty node) to ns:
 * a "node NAME:" line and one indented line per action.
 */
void	state_plan_node(const struct state *os, const struct state *ns,
	    const char *node, struct buf *out);

#endif
