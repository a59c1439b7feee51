/*
 * recon_move: the reconciler's side of moves between nodes (transfer.h,
 * docs/reconcile.md "Moves"). The pass keeps a server that moves away
 * while this node still has its container or data; a worker's turn asks
 * the transfer module where the move stands before planning (sent: the
 * planner prunes it; here: the planner holds it) and, after the actions,
 * starts the old node's final backup once the server stopped.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "xmalloc.h"

#include "backup.h"
#include "cspec.h"
#include "dcache.h"
#include "install.h"
#include "recon_int.h"
#include "transfer.h"

/* The move the server file states, seen from this node. */
static void
move_of(struct recon *r, const struct state_server *srv, int out,
    const char *revision, struct transfer_move *m)
{
	memset(m, 0, sizeof(*m));
	m->server = srv->name;
	m->from = out ? r->conf.node : srv->move_from;
	m->to = out ? srv->node : r->conf.node;
	m->at = srv->move_at;
	m->revision = revision;
	m->policy = &srv->backups;
}

/*
 * A valid server whose move: says it leaves this node, under r->mtx.
 * Returns 0 when there is nothing of it here (the move note then says so
 * to the new node), 1 to keep it until its data is sent, 2 when it was
 * sent and what is left here is pruned.
 */
int
move_pass_out(struct recon *r, const struct state_server *srv,
    const char *revision)
{
	struct transfer_move	 m;
	enum transfer_out	 o;
	struct stat		 sb;
	char			*vol;
	int			 retry, have;

	if (r->conf.transfers == NULL || srv->move_at == NULL ||
	    srv->node == NULL)
		return 0;
	move_of(r, srv, 1, revision, &m);
	o = transfer_out_state(r->conf.transfers, &m, &retry);
	dcache_lock(r->dc);
	have = dcache_find(r->dc, srv->name, NULL) != NULL;
	dcache_unlock(r->dc);
	xasprintf(&vol, "%s/volumes/%s", r->conf.data_dir, srv->name);
	if (lstat(vol, &sb) == 0)
		have = 1;
	free(vol);
	if (!have) {
		if (o == TRANSFER_OUT_NONE ||
		    (o == TRANSFER_OUT_FAILED && retry))
			transfer_out_start(r->conf.transfers, &m, NULL);
		return 0;
	}
	return o == TRANSFER_OUT_SENT ? 2 : 1;
}

/*
 * Before a worker plans server rs (no lock held): where its move stands.
 * Moving away: sent or not. Moving here: held while the data is awaited
 * or restored; once it arrived, the install marker the transfer wrote.
 */
void
move_turn_before(struct recon *r, struct rsrv *rs, const struct rsnap *s)
{
	struct transfers	*tr = r->conf.transfers;
	const struct state_server *srv;
	struct transfer_move	 m;
	enum transfer_out	 o;
	enum transfer_in	 in = TRANSFER_IN_NONE;
	char			*id = NULL, *at = NULL, *val = NULL;
	int			 out, retry, was;

	if (tr == NULL || s == NULL)
		return;
	srv = s->srv;
	pthread_mutex_lock(&r->mtx);
	out = rs->move_out;
	pthread_mutex_unlock(&r->mtx);
	if (out) {
		move_of(r, srv, 1, s->revision, &m);
		o = transfer_out_state(tr, &m, &retry);
		pthread_mutex_lock(&r->mtx);
		rs->move_sent = o == TRANSFER_OUT_SENT;
		rs->tr_poll = o == TRANSFER_OUT_FAILED;
		rs->tr_hold = 0;
		pthread_mutex_unlock(&r->mtx);
		return;
	}
	if (srv->move_from != NULL && srv->move_at != NULL &&
	    strcmp(srv->move_from, r->conf.node) != 0) {
		move_of(r, srv, 0, s->revision, &m);
		in = transfer_in_step(tr, &m, srv->reinstall_at, &id, &at);
	}
	pthread_mutex_lock(&r->mtx);
	was = rs->tr_hold;
	rs->tr_hold = in != TRANSFER_IN_NONE;
	rs->tr_poll = rs->tr_hold;
	set_str(&rs->tr_restore_id, id);
	set_str(&rs->tr_restore_at, at);
	/* Arrived: the transfer wrote the install marker. */
	if (was && !rs->tr_hold && install_marker_read(r->conf.data_dir,
	    rs->name, &val) == 0) {
		rs->installed = 1;
		free(rs->installed_for);
		rs->installed_for = val;
	}
	pthread_mutex_unlock(&r->mtx);
	free(id);
	free(at);
}

/*
 * After a worker's actions on a server moving away (no lock held): once
 * it no longer runs, the final backup starts (again after a failure).
 */
void
move_turn_after(struct recon *r, struct rsrv *rs, const struct rsnap *s,
    int running)
{
	struct transfers	*tr = r->conf.transfers;
	const struct state_server *srv = s->srv;
	struct transfer_move	 m;
	struct backup_req	 q;
	enum transfer_out	 o;
	int			 retry;

	move_of(r, srv, 1, s->revision, &m);
	o = transfer_out_state(tr, &m, &retry);
	if (running || !(o == TRANSFER_OUT_NONE ||
	    (o == TRANSFER_OUT_FAILED && retry)))
		return;
	backup_req_init(&q, srv, s->cs->volume);
	q.revision = s->revision;
	transfer_out_start(tr, &m, &q);
	pthread_mutex_lock(&r->mtx);
	recon_derive(r, rs);
	pthread_mutex_unlock(&r->mtx);
}
