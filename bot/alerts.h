/*
 * alerts: the alerts channel (roost.yaml's alerts). The bot watches what
 * the nodes report and posts an embed when a server's container dies
 * (crash), keeps dying (crashloop), fails to install (install) or to
 * start (start), and when a node it has seen is disconnected for longer
 * than alerts.nodeDownAfter (node), and again when it is back. Alerts are
 * coalesced: everything about one server within ALERT_COALESCE_MS is one
 * message, edited ("crashed 3 times", then "crash loop"), never fifty.
 * A server file can turn its alerts off (alerts.enabled: false) or have
 * its owner mentioned (alerts.mentionOwner: true).
 *
 * Threading: one thread of its own; every function is safe from any
 * thread, and alerts_changed may be called with the hub's lock held.
 */
#ifndef ROOST_BOT_ALERTS_H
#define ROOST_BOT_ALERTS_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct alerts;
struct live_src;
struct rerr;

#define ALERT_COALESCE_MS	(10 * 60 * 1000)

/* Starts the watcher (src copied). Returns 0 or -1 with err. */
int	alerts_start(struct alerts **out, const struct live_src *src,
	    struct rerr *err);
/* Stops it and frees everything; takes NULL. */
void	alerts_stop(struct alerts *al);
/* A node reported a change of server (NULL: of any). */
void	alerts_changed(struct alerts *al, const char *server);

/* What one report of a server means for its alerts (pure). */
enum alert_event {
	AE_NONE,
	AE_CRASH,
	AE_CRASHLOOP,
	AE_INSTALL,
	AE_START,
	AE_SCHEDULE,	/* a schedule's run failed */
	AE_BACKUP	/* a backup failed */
};

/* What the watcher remembers of a server between reports. */
struct alert_track {
	char		 phase[32];	/* last phase seen */
	int64_t		 restarts;	/* last container.restarts seen */
	int64_t		 sched_failures; /* failed runs of its schedules */
	char		 backup_end[40]; /* lastBackup.finishedAt seen */
	int		 seen;		/* a report came before */
};

/*
 * Compares status with what t remembers and updates t: the event the
 * report brings. The first report only sets the baseline (AE_NONE),
 * except for a failing phase entered, or a failed backup ended, at or
 * after since (the watcher's start, RFC 3339 UTC; NULL: none): a server
 * first reported that way (its file and what went wrong read in one
 * pass) failed while the bot was watching.
 */
enum alert_event alert_step(struct alert_track *t, const cJSON *status,
		    const char *since);

/* The ALERT_* bit an event needs in alerts.on. */
unsigned alert_event_bit(enum alert_event e);

#endif
