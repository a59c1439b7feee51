/*
 * test_s3: what of lib/s3.c and the S3 targets can be checked without a
 * store (t4001 talks to a real one): the credentials file, the checks of
 * a target's endpoint, bucket and region, the reading of S3's XML
 * answers (hostile ones included) and roostd.yaml's S3 target keys.
 */
#include "unit.h"

#include "buf.h"
#include "diag.h"
#include "s3.h"

#include "../../reconciler/conf.h"

static char *dir;

static char *
put(const char *name, const char *text)
{
	char	*path;
	FILE	*fp;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_s3__keys_file(void **state)
{
	struct rerr	 err;
	char		*p, *ak, *sk;

	p = put("keys", "# the node's key\n\nAKIAEXAMPLE  \r\n"
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCY\n");
	rerr_init(&err);
	assert_int_equal(s3_keys_read(p, &ak, &sk, &err), 0);
	assert_string_equal(ak, "AKIAEXAMPLE");
	assert_string_equal(sk, "wJalrXUtnFEMI/K7MDENG+bPxRfiCY");
	free(ak);
	free(sk);
	free(p);

	p = put("one", "AKIAEXAMPLE\n");
	rerr_init(&err);
	assert_int_equal(s3_keys_read(p, &ak, &sk, &err), ROOST_EINVAL);
	assert_contains(err.msg, "one\": the access key id on the first line");
	assert_null(ak);
	free(p);

	rerr_init(&err);
	assert_int_not_equal(s3_keys_read("/nonexistent/keys", &ak, &sk,
	    &err), 0);
	assert_contains(err.msg, "/nonexistent/keys");
}

static void
test_s3__conf_check(void **state)
{
	struct s3_conf	c;
	struct rerr	err;

	memset(&c, 0, sizeof(c));
	c.endpoint = "https://s3.eu-west-1.amazonaws.com";
	c.bucket = "roost-backups";
	c.region = "eu-west-1";
	rerr_init(&err);
	assert_int_equal(s3_conf_check(&c, &err), 0);
	c.endpoint = "http://127.0.0.1:9000/";
	assert_int_equal(s3_conf_check(&c, &err), 0);

	c.endpoint = "ftp://host";
	rerr_init(&err);
	assert_int_equal(s3_conf_check(&c, &err), ROOST_EINVAL);
	assert_contains(err.msg, "http(s)://host[:port], not 'ftp://host'");
	c.endpoint = "https://host/bucket";
	rerr_init(&err);
	assert_int_equal(s3_conf_check(&c, &err), ROOST_EINVAL);
	c.endpoint = "https://host";
	c.bucket = "ab";
	rerr_init(&err);
	assert_int_equal(s3_conf_check(&c, &err), ROOST_EINVAL);
	assert_contains(err.msg, "'ab' is not a bucket name");
	c.bucket = "roost";
	c.region = "eu west";
	rerr_init(&err);
	assert_int_equal(s3_conf_check(&c, &err), ROOST_EINVAL);
}

struct seen {
	char	text[4096];
};

static void
seen_cb(void *arg, const char *path, const char *text)
{
	struct seen	*s = arg;
	size_t		 n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s=%s;", path, text);
}

static void
test_s3__xml(void **state)
{
	struct seen	 s;
	const char	*x;

	x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
	    "SignatureDoesNotMatch</Code><Message>a &amp; b</Message></Error>";
	memset(&s, 0, sizeof(s));
	assert_int_equal(s3_xml_walk(x, strlen(x), seen_cb, &s), 0);
	assert_string_equal(s.text, "Error/Code=SignatureDoesNotMatch;"
	    "Error/Message=a & b;");

	x = "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Contents><Key>s/1.json</Key><Size>12</Size></Contents>"
	    "</ListBucketResult>";
	memset(&s, 0, sizeof(s));
	assert_int_equal(s3_xml_walk(x, strlen(x), seen_cb, &s), 0);
	assert_string_equal(s.text, "ListBucketResult/Contents/Key=s/1.json;"
	    "ListBucketResult/Contents/Size=12;");

	/* Not XML, or cut short. */
	assert_int_equal(s3_xml_walk("<html>502", 9, seen_cb, &s), ROOST_EINVAL);
	assert_int_equal(s3_xml_walk("", 0, seen_cb, &s), ROOST_EINVAL);

	/* An external entity is never read. */
	x = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM "
	    "\"file:///etc/passwd\">]><Error><Code>&x;</Code></Error>";
	memset(&s, 0, sizeof(s));
	(void)s3_xml_walk(x, strlen(x), seen_cb, &s);
	assert_null(strstr(s.text, "root:"));
}

static void
test_s3__roostd_yaml(void **state)
{
	struct conf	*c;

	c = unit_roostd_conf("node: n1\nrepo: /r\nbackups:\n  targets:\n"
	    "    off:\n      type: s3\n      endpoint: http://127.0.0.1:9000\n"
	    "      bucket: roost\n      region: garage\n      prefix: node-a/\n"
	    "      pathStyle: true\n      accessKeyFile: /etc/roost/s3.keys\n",
	    0, NULL);
	assert_int_equal(c->ntargets, 1);
	assert_int_equal(c->targets[0].type, CONF_TARGET_S3);
	assert_string_equal(c->targets[0].bucket, "roost");
	assert_string_equal(c->targets[0].prefix, "node-a/");
	assert_int_equal(c->targets[0].path_style, 1);
	conf_free(c);

	unit_roostd_refuses("node: n1\nrepo: /r\nbackups:\n  targets:\n"
	    "    off:\n      type: s3\n      endpoint: s3.example.com\n"
	    "      prefix: ../x\n",
	    ":6:7: error: 'backups.targets.off.endpoint' is required",
	    "'backups.targets.off.bucket' is required",
	    "'backups.targets.off.accessKeyFile' is required",
	    ":8:15: error: 'backups.targets.off.prefix' is letters");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3__keys_file),
		cmocka_unit_test(test_s3__conf_check),
		cmocka_unit_test(test_s3__xml),
		cmocka_unit_test(test_s3__roostd_yaml),
	};
	int	rc;

	assert_non_null(dir = unit_tmpdir("test-s3"));
	s3_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unit_rmtree(dir);
	free(dir);
	return rc;
}
