/*
 * store_s3: a backup target in an S3 bucket; S3 targets are refused
 * until lib/s3.c speaks S3 (see store.h).
 */
#include "rerr.h"

#include "conf.h"
#include "store.h"

/* An S3 target; see store.h. */
struct store *
store_s3_new(const struct conf_target *t, struct rerr *err)
{
	rerr_set(err, ROOST_EINVAL, "backup target '%s': S3 targets are not "
	    "supported by this roostd yet", t->name);
	return NULL;
}
