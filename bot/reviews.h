/*
 * reviews: the review channel's side of change requests. After a
 * proposal job the bot posts its review message (diff, plan, Approve and
 * Reject); after an approve or reject job it edits that message and
 * tells the proposer in the channel. The messages are cmd_review_*
 * (bot/cmd_propose.c); this file only sends them.
 */
#ifndef ROOST_BOT_REVIEWS_H
#define ROOST_BOT_REVIEWS_H

struct cmd_job;
struct cmd_result;
struct rest;

/* True when job is a proposal, an approval or a rejection. */
int	reviews_job(const struct cmd_job *job);

/*
 * Sends what job, finished with res, means to the review channel
 * (channel: bot.yaml's reviewChannel). Sets res->review_failed when a
 * proposal's review message could not be posted. Logs failures.
 */
void	reviews_after(struct rest *rest, const char *channel,
	    const struct cmd_job *job, struct cmd_result *res);

#endif
