/*
 * reviews: posts a proposal's review message to the review channel, and
 * once it is decided edits that message (the channel and message the
 * Approve or Reject button was on) and posts a message that mentions the
 * proposer. Messages come from bot/cmd_propose.c.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "log.h"
#include "rerr.h"
#include "xmalloc.h"

#include "commands.h"
#include "rest.h"
#include "reviews.h"

/* See reviews.h. */
int
reviews_job(const struct cmd_job *job)
{
	return (job->kind == JOB_SET && job->propose) ||
	    job->kind == JOB_APPROVE || job->kind == JOB_REJECT;
}

/* Sends msg to channel: a new message, or an edit of *mid. */
static int
review_send(struct rest *rest, const char *channel, char **mid, cJSON *msg,
    const char *what)
{
	struct rerr	err;
	int		rc;

	rerr_init(&err);
	if ((rc = rest_channel_message(rest, channel, mid, msg, &err)) != 0)
		log_warnx("review channel %s: %s: %s", channel, what,
		    err.msg);
	cJSON_Delete(msg);
	return rc;
}

/* See reviews.h. */
void
reviews_after(struct rest *rest, const char *channel,
    const struct cmd_job *job, struct cmd_result *res)
{
	cJSON	*m;
	char	*mid = NULL;

	if (job->kind == JOB_SET) {
		/* a new proposal (not a redelivered one) is posted once */
		if (res->rc != 0 || res->unchanged || res->existing)
			return;
		if (channel == NULL || review_send(rest, channel, &mid,
		    cmd_review_message(job, res), "proposal") != 0)
			res->review_failed = 1;
		free(mid);
		return;
	}
	if ((m = cmd_review_decided(job, res)) != NULL) {
		if (job->message_id != NULL && *job->channel_id != '\0') {
			mid = xstrdup(job->message_id);
			review_send(rest, job->channel_id, &mid, m, "decision");
			free(mid);
			mid = NULL;
		} else
			cJSON_Delete(m);
	}
	if ((m = cmd_review_followup(job, res)) != NULL) {
		if (*job->channel_id != '\0')
			review_send(rest, job->channel_id, &mid, m,
			    "follow-up");
		else
			cJSON_Delete(m);
	}
	free(mid);
}
