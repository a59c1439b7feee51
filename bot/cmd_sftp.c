/*
 * cmd_sftp: /server sftp makes a new password for the invoker's SFTP user
 * on a server (the user name derived from the Discord name); the password
 * goes by direct message, never into a channel or the repository.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "egg.h"
#include "gitstore.h"
#include "json.h"
#include "panel.h"
#include "rerr.h"
#include "state.h"
#include "xmalloc.h"

#include "cmd_int.h"

/* /server sftp: a job that makes a password for the invoker's SFTP user */
cJSON *
cmd_do_sftp(const struct cmd_call *c)
{
	const struct ix		*x = c->x;
	struct cmd_job		**job = c->job;
	const char	*user = cmd_opt_str(x, "user");
	char		 name[33];
	size_t		 i, o = 0;
	cJSON		*r;

	*job = cmd_job_new(x, JOB_SFTP, c->srv->name, "/server sftp");
	r = cmd_reply_defer(1);
	if (user == NULL)
		user = json_str(x->root, "member.user.username", x->user);
	for (i = 0; user[i] != '\0' && o < 32; i++) {
		char ch = (char)tolower((unsigned char)user[i]);

		if (isalnum((unsigned char)ch) || ch == '_' || ch == '-' ||
		    ch == '.')
			name[o++] = ch;
	}
	name[o] = '\0';
	if (o == 0 || !isalpha((unsigned char)name[0]))
		snprintf(name, sizeof(name), "u%.20s", x->user);
	(*job)->sftp_user = xstrdup(name);
	return r;
}

/* The DM with a new SFTP password. */
cJSON *
cmd_sftp_dm(const struct cmd_job *job, const char *password)
{
	return cmd_message_text("SFTP access to `%s`:\nuser `%s`\npassword "
	    "`%s`\nThe state repository stores only a hash of it; "
	    "`/server sftp` again makes a new one.", job->server,
	    job->sftp_user, password);
}
