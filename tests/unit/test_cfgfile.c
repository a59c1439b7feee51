/*
 * test_cfgfile: config-file rewriting for every parser, both placeholder
 * dialects, conditional values, comments kept, and the sandbox (no
 * symlinks followed out of the server's directory).
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"

#include "../../reconciler/cfgfile.h"

static const char *keys[] = { "MOTD", "MAX_PLAYERS", "srv_name" };
static const char *vals[] = { "Hi there", "20", "lowercase" };
static const struct cfgfile_env env = { "10.0.0.5", 25600, 2048,
    "172.18.0.1", keys, vals, 3, (uid_t)-1, (gid_t)-1 };

static struct egg *
egg_with(const char *files_yaml)
{
	struct buf	 b;
	struct diags	 d;
	struct egg	*egg;

	buf_init(&b, 0);
	buf_addf(&b, "apiVersion: roost/v1\nkind: Egg\nname: t\nimages:\n"
	    "  - { label: x, ref: x }\nstartup: run\nconfigFiles:\n%s",
	    files_yaml);
	diags_init(&d);
	if (egg_load(&egg, "t.yaml", buf_str(&b), b.len, &d) != 0)
		fail_msg("egg: %s", d.n ? d.v[0].msg : "?");
	diags_dispose(&d);
	buf_dispose(&b);
	return egg;
}

static char *
rewrite(struct egg *egg, const char *in)
{
	struct buf	out;
	struct diags	d;

	buf_init(&out, 0);
	diags_init(&d);
	assert_int_equal(cfgfile_rewrite(egg, 0, in, strlen(in), &env, &out,
	    &d), 0);
	diags_dispose(&d);
	return buf_detach(&out);
}

/* Fails unless egg's rewrite of in is want. */
static void
assert_rewrite(struct egg *egg, const char *in, const char *want)
{
	char	*out = rewrite(egg, in);

	assert_string_equal(out, want);
	free(out);
}

/* Ends an apply test: closes fd, removes dir, frees d and egg. */
static void
apply_done(int fd, const char *dir, struct diags *d, struct egg *egg)
{
	diags_dispose(d);
	close(fd);
	assert_int_equal(unit_rmtree(dir), 0);
	egg_free(egg);
}

static void
test_cfgfile__expand_both_dialects(void **state)
{
	struct buf	b;

	buf_init(&b, 0);
	cfgfile_expand("{{server.build.default.port}} "
	    "{{server.allocations.default.port}} {{server.build.env.MOTD}} "
	    "{{server.environment.MAX_PLAYERS}} {{env.srv_name}} "
	    "{{server.build.memory}} {{config.docker.interface}} "
	    "{{QUERY_PORT}} {{server.build.default.ip}} {{server.nothing}}!",
	    &env, &b);
	assert_string_equal(buf_str(&b), "25600 25600 Hi there 20 lowercase "
	    "2048 172.18.0.1 {{QUERY_PORT}} 10.0.0.5 !");
	buf_dispose(&b);
}

static void
test_cfgfile__properties_keeps_comments(void **state)
{
	struct egg	*egg = egg_with("  - path: server.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: server-port, value: \"{{server.build.default."
	    "port}}\" }\n"
	    "      - { match: motd, value: \"{{server.build.env.MOTD}}\" }\n"
	    "      - { match: query.port, value: \"1\" }\n");

	assert_rewrite(egg, "# Minecraft server properties\nmotd=old\n"
	    "server-port=25565\npvp=true\n",
	    "# Minecraft server properties\n"
	    "motd=Hi there\nserver-port=25600\npvp=true\nquery.port=1\n");
	assert_rewrite(egg, "", "server-port=25600\nmotd=Hi there\n"
	    "query.port=1\n");
	egg_free(egg);
}

static void
test_cfgfile__properties_if_value(void **state)
{
	struct egg	*egg = egg_with("  - path: a.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: host, ifValue: localhost, value: \"{{config."
	    "docker.interface}}\" }\n");

	assert_rewrite(egg, "host=localhost\n", "host=172.18.0.1\n");
	assert_rewrite(egg, "host=example.org\n", "host=example.org\n");
	egg_free(egg);
}

static void
test_cfgfile__file_parser_prefix_lines(void **state)
{
	struct egg	*egg = egg_with("  - path: config.txt\n"
	    "    parser: file\n    set:\n"
	    "      - { match: \"Port=\", value: \"Port={{server.build.default."
	    "port}}\" }\n"
	    "      - { match: 'token = \"(.*)\"', value: \"never\" }\n");

	assert_rewrite(egg, "# comment\nPort=1\nName=x\n",
	    "# comment\nPort=25600\nName=x\n");
	egg_free(egg);
}

static void
test_cfgfile__ini_sections(void **state)
{
	struct egg	*egg = egg_with("  - path: s.ini\n"
	    "    parser: ini\n    set:\n"
	    "      - { match: network.server_port, value: \"{{server.build."
	    "default.port}}\" }\n"
	    "      - { match: network.new_key, value: \"x\" }\n"
	    "      - { match: misc.name, value: \"{{env.srv_name}}\" }\n"
	    "      - { match: top, value: \"1\" }\n");
	char		*out;

	out = rewrite(egg, "; settings\n[network]\nserver_port = 1\n"
	    "other=2\n");
	assert_string_equal(out, "; settings\ntop=1\n[network]\n"
	    "server_port=25600\nother=2\nnew_key=x\n\n[misc]\n"
	    "name=lowercase\n");
	free(out);
	egg_free(egg);
}

static void
test_cfgfile__json_paths_and_types(void **state)
{
	struct egg	*egg = egg_with("  - path: c.json\n"
	    "    parser: json\n    set:\n"
	    "      - { match: server.port, value: \"{{server.build.default."
	    "port}}\" }\n"
	    "      - { match: server.name, value: \"{{env.MOTD}}\" }\n"
	    "      - { match: flags.debug, value: \"true\", type: bool }\n"
	    "      - { match: \"listeners[0].host\", value: \"0.0.0.0\" }\n"
	    "      - { match: \"servers.*.address\", ifValue: localhost, "
	    "value: \"{{config.docker.interface}}\" }\n");
	char		*out;

	out = rewrite(egg, "{\"server\": {\"port\": 1}, \"servers\": {\"a\": "
	    "{\"address\": \"localhost\"}, \"b\": {\"address\": \"x\"}}}");
	assert_contains(out, "{\n    \"server\": {\n        \"port\": 25600,");
	assert_contains(out, "\"name\": \"Hi there\"");
	assert_contains(out, "\"debug\": true");
	assert_contains(out, "\"host\": \"0.0.0.0\"");
	assert_contains(out, "\"address\": \"172.18.0.1\"");
	assert_contains(out, "\"address\": \"x\"");
	assert_null(strchr(out, '\t'));
	free(out);
	egg_free(egg);
}

static void
test_cfgfile__yaml_keeps_layout(void **state)
{
	struct egg	*egg = egg_with("  - path: config.yml\n"
	    "    parser: yml\n    set:\n"
	    "      - { match: server.port, value: \"{{server.build.default."
	    "port}}\" }\n"
	    "      - { match: server.motd, value: \"{{env.MOTD}}\" }\n");

	assert_rewrite(egg, "# top comment\nserver:\n  port: 1   # the port\n"
	    "  other: yes\n",
	    "# top comment\nserver:\n  port: 25600   "
	    "# the port\n  other: yes\n  motd: Hi there\n");
	egg_free(egg);
}

static void
test_cfgfile__xml_elements(void **state)
{
	struct egg	*egg = egg_with("  - path: c.xml\n"
	    "    parser: xml\n    set:\n"
	    "      - { match: Config.ServerPort, value: \"{{server.build."
	    "default.port}}\" }\n");

	assert_rewrite(egg, "<?xml version=\"1.0\"?>\n<Config>\n  <Name>x"
	    "</Name>\n  <ServerPort>1</ServerPort>\n</Config>\n",
	    "<?xml version=\"1.0\"?>\n<Config>\n  "
	    "<Name>x</Name>\n  <ServerPort>25600</ServerPort>\n</Config>\n");
	egg_free(egg);
}

static void
test_cfgfile__apply_refuses_symlinks(void **state)
{
	struct egg	*egg = egg_with("  - path: sub/server.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n"
	    "  - path: link.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n");
	char		*dir, path[256], got[128];
	struct diags	 d;
	struct stat	 st;
	int		 fd, outside;

	assert_non_null(dir = unit_tmpdir("cfg"));
	snprintf(path, sizeof(path), "%s.outside", dir);
	outside = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(write(outside, "motd=keep\n", 10), 10);
	close(outside);
	snprintf(got, sizeof(got), "%s/link.properties", dir);
	assert_int_equal(symlink(path, got), 0);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	diags_init(&d);
	assert_int_equal(cfgfile_apply(egg, fd, &env, &d), -1);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "link.properties");
	/* The file outside is untouched; the one inside was created. */
	outside = open(path, O_RDONLY);
	memset(got, 0, sizeof(got));
	assert_int_equal(read(outside, got, sizeof(got) - 1), 10);
	assert_string_equal(got, "motd=keep\n");
	close(outside);
	assert_int_equal(fstatat(fd, "sub/server.properties", &st, 0), 0);
	diags_dispose(&d);
	close(fd);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unit_rmtree(dir), 0);
	free(dir);
	egg_free(egg);
}


static void
on_alarm(int sig)
{
	(void)sig;
	/* A blocked open is the failure this test looks for. */
	if (write(2, "cfgfile_apply hung on a FIFO\n", 29) == -1)
		_exit(2);
	_exit(1);
}

/*
 * A game server plants FIFOs at the temporary name and at a config file:
 * the apply neither blocks nor writes into them; the FIFO at the temporary
 * name is removed and the file written, the FIFO target is refused.
 */
static void
test_cfgfile__apply_fifo_never_blocks(void **state)
{
	struct egg	*egg = egg_with("  - path: server.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n"
	    "  - path: pipe.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n");
	char		 dir[] = "/tmp/roost-cfg.XXXXXX", got[128];
	struct diags	 d;
	struct stat	 st;
	int		 fd, f;

	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	f = openat(fd, "server.properties", O_CREAT | O_WRONLY, 0640);
	assert_int_equal(write(f, "motd=old\n", 9), 9);
	close(f);
	assert_int_equal(mkfifoat(fd, ".server.properties.roost-tmp", 0644),
	    0);
	assert_int_equal(mkfifoat(fd, "pipe.properties", 0644), 0);
	signal(SIGALRM, on_alarm);
	alarm(20);
	diags_init(&d);
	assert_int_equal(cfgfile_apply(egg, fd, &env, &d), -1);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "pipe.properties");
	assert_contains(d.v[0].msg, "not a regular file");
	/* Written through a new temporary file, mode kept, FIFO gone. */
	f = openat(fd, "server.properties", O_RDONLY);
	memset(got, 0, sizeof(got));
	assert_true(read(f, got, sizeof(got) - 1) > 0);
	close(f);
	assert_string_equal(got, "motd=Hi there\n");
	assert_int_equal(fstatat(fd, "server.properties", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(fstatat(fd, ".server.properties.roost-tmp", &st,
	    AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(fstatat(fd, "pipe.properties", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISFIFO(st.st_mode));
	apply_done(fd, dir, &d, egg);
}

/* A link planted at the temporary name is removed, not written through. */
static void
test_cfgfile__apply_temp_link_not_followed(void **state)
{
	struct egg	*egg = egg_with("  - path: server.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n");
	char		 dir[] = "/tmp/roost-cfg.XXXXXX", path[256], got[128];
	struct diags	 d;
	int		 fd, outside;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s.outside", dir);
	outside = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(write(outside, "keep\n", 5), 5);
	close(outside);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(symlinkat(path, fd, ".server.properties.roost-tmp"),
	    0);
	diags_init(&d);
	assert_int_equal(cfgfile_apply(egg, fd, &env, &d), 0);
	assert_int_equal(d.n, 0);
	outside = open(path, O_RDONLY);
	memset(got, 0, sizeof(got));
	assert_int_equal(read(outside, got, sizeof(got) - 1), 5);
	close(outside);
	assert_string_equal(got, "keep\n");
	snprintf(path, sizeof(path), "%s.outside", dir);
	assert_int_equal(unit_rmtree(path), 0);
	apply_done(fd, dir, &d, egg);
}

/*
 * Absolute paths (19 real eggs use "/properties/...") resolve beneath the
 * server root as Wings resolves them; a path climbing out is refused with
 * a message that says so (not "Success"); directories and files created
 * belong to the server's user.
 */
static void
test_cfgfile__apply_absolute_and_escaping_paths(void **state)
{
	struct egg	*egg = egg_with("  - path: /properties/server.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n"
	    "  - path: ../escape.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n"
	    "  - path: /../root.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: motd, value: \"{{env.MOTD}}\" }\n");
	struct cfgfile_env e = env;
	char		 dir[] = "/tmp/roost-cfg.XXXXXX", cmd[256];
	struct diags	 d;
	struct stat	 st;
	int		 fd;

	e.uid = 4242;
	e.gid = 4343;
	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	diags_init(&d);
	errno = 0;
	assert_int_equal(cfgfile_apply(egg, fd, &e, &d), -1);
	assert_int_equal(d.nerrors, 1);
	assert_string_equal(d.v[0].path, "../escape.properties");
	assert_contains(d.v[0].msg, "leaves the server's directory");
	assert_null(strstr(d.v[0].msg, "Success"));
	assert_int_equal(fstatat(fd, "properties/server.properties", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(st.st_gid, 4343);
		assert_int_equal(fstatat(fd, "properties", &st,
		    AT_SYMLINK_NOFOLLOW), 0);
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(st.st_gid, 4343);
	}
	assert_int_equal(fstatat(fd, "root.properties", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	snprintf(cmd, sizeof(cmd), "%s/../escape.properties", dir);
	assert_int_equal(stat(cmd, &st), -1);
	apply_done(fd, dir, &d, egg);
}

/* The path rules themselves, and the loader's warning with a position. */
static void
test_cfgfile__relpath_rules(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "server.properties", "server.properties" },
		{ "/properties/server.properties",
		    "properties/server.properties" },
		{ "//a/./b//c", "a/b/c" },
		{ "a/../b", "b" },
		{ "/../x", "x" },
		{ "/a/../../x", "x" },
		{ "../x", NULL },
		{ "a/../../x", NULL },
		{ "/", NULL },
		{ "", NULL },
		{ "a/..", NULL },
	};
	struct buf	 b;
	struct diags	 d;
	struct egg	*egg;
	size_t		 i;
	char		*got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = egg_file_relpath(cases[i].in);
		if (cases[i].out == NULL) {
			if (got != NULL)
				fail_msg("'%s' gave '%s'", cases[i].in, got);
		} else {
			if (got == NULL)
				fail_msg("'%s' refused", cases[i].in);
			assert_string_equal(got, cases[i].out);
		}
		free(got);
	}
	/* A JSON egg: the warning points at config.files. */
	buf_init(&b, 0);
	buf_puts(&b, "{\"meta\": {\"version\": \"PTDL_v2\"}, \"name\": \"x\",\n"
	    "\"docker_images\": {\"x\": \"x\"}, \"startup\": \"run\",\n"
	    "\"config\": {\"files\": \"{\\\"../../etc/cron.d/x\\\": "
	    "{\\\"parser\\\": \\\"file\\\", \\\"find\\\": "
	    "{\\\"a\\\": \\\"b\\\"}}}\"}}\n");
	diags_init(&d);
	assert_int_equal(egg_load(&egg, "x.json", buf_str(&b), b.len, &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 3);
	assert_true(d.v[0].col > 1);
	assert_contains(d.v[0].msg, "config file '../../etc/cron.d/x'");
	assert_contains(d.v[0].msg, "roost cannot apply it");
	egg_free(egg);
	diags_dispose(&d);
	buf_dispose(&b);
}

static void
test_cfgfile__json_regex_condition(void **state)
{
	struct egg	*egg = egg_with("  - path: c.json\n"
	    "    parser: json\n    set:\n"
	    "      - match: \"servers.*.address\"\n"
	    "        ifValue: 'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$'\n"
	    "        value: \"{{config.docker.interface}}$2\"\n"
	    "      - { match: missing.key, ifValue: x, value: y }\n");
	char		*out;

	out = rewrite(egg, "{\"servers\": {\"a\": {\"address\": "
	    "\"localhost:25566\"}, \"b\": {\"address\": \"127.0.0.1\"}, "
	    "\"c\": {\"address\": \"10.1.1.1:25565\"}}}");
	assert_contains(out, "\"address\": \"172.18.0.1:25566\"");
	assert_contains(out, "\"address\": \"172.18.0.1\"\n");
	assert_contains(out, "\"address\": \"10.1.1.1:25565\"");
	/* A condition never creates what is missing. */
	assert_null(strstr(out, "missing"));
	free(out);
	egg_free(egg);
}

static void
test_cfgfile__yaml_wildcards_and_indexes(void **state)
{
	struct egg	*egg = egg_with("  - path: config.yml\n"
	    "    parser: yaml\n    set:\n"
	    "      - { match: \"listeners[0].query_port\", value: "
	    "\"{{server.build.default.port}}\" }\n"
	    "      - { match: \"listeners[0].host\", value: "
	    "\"0.0.0.0:{{server.build.default.port}}\" }\n"
	    "      - match: \"servers.*.address\"\n"
	    "        ifValue: 'regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$'\n"
	    "        value: \"{{config.docker.interface}}$2\"\n");

	assert_rewrite(egg, "listeners:\n- host: 0.0.0.0:25577\n"
	    "  query_port: 25577\n  motd: '&1Just another BungeeCord'\n"
	    "  forced_hosts:\n    pvp.md-5.net: pvp\n"
	    "servers:\n  lobby:\n    address: localhost:25565\n"
	    "    restricted: false\n  pvp:\n    address: 10.0.0.9:25565\n"
	    "online_mode: true\nplayer_limit: -1\n",
	    "listeners:\n"
	    "  - host: \"0.0.0.0:25600\"\n"
	    "    query_port: 25600\n"
	    "    motd: \"&1Just another BungeeCord\"\n"
	    "    forced_hosts:\n"
	    "      pvp.md-5.net: pvp\n"
	    "servers:\n"
	    "  lobby:\n"
	    "    address: \"172.18.0.1:25565\"\n"
	    "    restricted: false\n"
	    "  pvp:\n"
	    "    address: \"10.0.0.9:25565\"\n"
	    "online_mode: true\n"
	    "player_limit: -1\n");
	/* A new file gets the listener list. */
	assert_rewrite(egg, "", "listeners:\n  - query_port: 25600\n"
	    "    host: \"0.0.0.0:25600\"\n");
	egg_free(egg);
}

static void
test_cfgfile__yaml_condition_in_place(void **state)
{
	struct egg	*egg = egg_with("  - path: a.yml\n"
	    "    parser: yml\n    set:\n"
	    "      - { match: server.address, ifValue: localhost, value: "
	    "\"{{config.docker.interface}}\" }\n"
	    "      - { match: db.host, ifValue: \"regex:^local\", value: "
	    "\"db\" }\n");

	assert_rewrite(egg, "server:\n  address: localhost # bind\n"
	    "db:\n  host: remote\n",
	    "server:\n  address: \"172.18.0.1\" # bind\n"
	    "db:\n  host: remote\n");
	assert_rewrite(egg, "db:\n  host: localhost.lan\n",
	    "db:\n  host: dbhost.lan\n");
	egg_free(egg);
}

static void
test_cfgfile__properties_and_ini_regex_condition(void **state)
{
	struct egg	*egg = egg_with("  - path: a.properties\n"
	    "    parser: properties\n    set:\n"
	    "      - { match: level-name, ifValue: \"regex:^(\\\\w+)-old$\", "
	    "value: \"$1-new\" }\n"
	    "  - path: b.ini\n"
	    "    parser: ini\n    set:\n"
	    "      - { match: net.bind, ifValue: \"regex:^127\\\\.0\\\\.0\\\\.1"
	    "$\", value: \"0.0.0.0\" }\n");
	const char	*in;
	struct buf	 o;
	struct diags	 d;

	assert_rewrite(egg, "level-name=world-old\n", "level-name=world-new\n");
	assert_rewrite(egg, "level-name=world\n", "level-name=world\n");
	buf_init(&o, 0);
	diags_init(&d);
	in = "[net]\nbind = 127.0.0.1\n";
	assert_int_equal(cfgfile_rewrite(egg, 1, in, strlen(in), &env, &o,
	    &d), 0);
	assert_string_equal(buf_str(&o), "[net]\nbind=0.0.0.0\n");
	buf_reset(&o);
	in = "[net]\nbind = 10.0.0.1\n";
	assert_int_equal(cfgfile_rewrite(egg, 1, in, strlen(in), &env, &o,
	    &d), 0);
	assert_string_equal(buf_str(&o), "[net]\nbind = 10.0.0.1\n");
	assert_int_equal(d.n, 0);
	diags_dispose(&d);
	buf_dispose(&o);
	egg_free(egg);
}

static void
test_cfgfile__xml_create_attributes_wildcards(void **state)
{
	struct egg	*egg = egg_with("  - path: c.xml\n"
	    "    parser: xml\n    set:\n"
	    "      - { match: Config.Session.MaxPlayers, value: "
	    "\"{{env.MAX_PLAYERS}}\" }\n"
	    "      - { match: Config.Session.Name, value: \"a<b & c\" }\n"
	    "      - { match: Config.Net, value: \"[port='{{server.build."
	    "default.port}}']\" }\n"
	    "      - { match: Config.Mods.*.Enabled, value: \"false\" }\n"
	    "      - { match: Config.Empty, value: \"x\" }\n");
	char		*out;

	out = rewrite(egg, "<?xml version=\"1.0\"?>\n<!-- <Config> in a "
	    "comment -->\n<Config>\n  <Session>\n    <MaxPlayers>4"
	    "</MaxPlayers>\n  </Session>\n  <Net port=\"1\" ip='0.0.0.0'/>\n"
	    "  <Mods>\n    <A><Enabled>true</Enabled></A>\n"
	    "    <B><Enabled/></B>\n  </Mods>\n  <Empty/>\n</Config>\n");
	assert_string_equal(out, "<?xml version=\"1.0\"?>\n<!-- <Config> in "
	    "a comment -->\n<Config>\n  <Session>\n    <MaxPlayers>20"
	    "</MaxPlayers>\n    <Name>a&lt;b &amp; c</Name>\n  </Session>\n"
	    "  <Net port=\"25600\" ip='0.0.0.0'/>\n"
	    "  <Mods>\n    <A><Enabled>false</Enabled></A>\n"
	    "    <B><Enabled>false</Enabled></B>\n  </Mods>\n"
	    "  <Empty>x</Empty>\n</Config>\n");
	free(out);
	egg_free(egg);
}

/* The real BungeeCord and Space Engineers eggs rewrite real files. */
static void
test_cfgfile__corpus_eggs(void **state)
{
	const char	*dir = unit_egg_corpus();
	char		 path[1024];
	const char	*in;
	struct diags	 d;
	struct egg	*egg;
	struct buf	 o;
	size_t		 i;

	if (dir == NULL) {
		print_message("tests/data/eggs-corpus is absent; skipped\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/pterodactyl+panel/database/Seeders/"
	    "eggs/minecraft/egg-bungeecord.json", dir);
	diags_init(&d);
	assert_int_equal(egg_load_file(&egg, path, &d), 0);
	buf_init(&o, 0);
	in = "listeners:\n- host: 0.0.0.0:25577\n  query_port: 25577\n"
	    "servers:\n  lobby:\n    address: 127.0.0.1:30000\n";
	assert_int_equal(cfgfile_rewrite(egg, 0, in, strlen(in), &env, &o,
	    &d), 0);
	assert_contains(buf_str(&o), "host: \"0.0.0.0:25600\"");
	assert_contains(buf_str(&o), "query_port: 25600");
	assert_contains(buf_str(&o), "address: \"172.18.0.1:30000\"");
	egg_free(egg);
	snprintf(path, sizeof(path), "%s/pelican-eggs+games-steamcmd/"
	    "space_engineers/default/egg-space-engineers.json", dir);
	assert_int_equal(egg_load_file(&egg, path, &d), 0);
	for (i = 0; i < egg->nfiles; i++)
		if (strcmp(egg->files[i].path,
		    "config/SpaceEngineers-Dedicated.cfg") == 0)
			break;
	assert_true(i < egg->nfiles);
	buf_reset(&o);
	in = "<?xml version=\"1.0\"?>\n<MyConfigDedicated xmlns:xsi=\"x\">\n"
	    "  <SessionSettings>\n    <MaxPlayers>4</MaxPlayers>\n"
	    "  </SessionSettings>\n</MyConfigDedicated>\n";
	assert_int_equal(cfgfile_rewrite(egg, i, in, strlen(in), &env, &o,
	    &d), 0);
	assert_contains(buf_str(&o), "<MaxPlayers>20</MaxPlayers>");
	assert_int_equal(d.nerrors, 0);
	egg_free(egg);
	buf_dispose(&o);
	diags_dispose(&d);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_cfgfile__expand_both_dialects),
    cmocka_unit_test(test_cfgfile__properties_keeps_comments),
    cmocka_unit_test(test_cfgfile__properties_if_value),
    cmocka_unit_test(test_cfgfile__file_parser_prefix_lines),
    cmocka_unit_test(test_cfgfile__ini_sections),
    cmocka_unit_test(test_cfgfile__json_paths_and_types),
    cmocka_unit_test(test_cfgfile__yaml_keeps_layout),
    cmocka_unit_test(test_cfgfile__xml_elements),
    cmocka_unit_test(test_cfgfile__apply_refuses_symlinks),
    cmocka_unit_test(test_cfgfile__apply_fifo_never_blocks),
    cmocka_unit_test(test_cfgfile__apply_temp_link_not_followed),
    cmocka_unit_test(test_cfgfile__apply_absolute_and_escaping_paths),
    cmocka_unit_test(test_cfgfile__relpath_rules),
    cmocka_unit_test(test_cfgfile__json_regex_condition),
    cmocka_unit_test(test_cfgfile__yaml_wildcards_and_indexes),
    cmocka_unit_test(test_cfgfile__yaml_condition_in_place),
    cmocka_unit_test(test_cfgfile__properties_and_ini_regex_condition),
    cmocka_unit_test(test_cfgfile__xml_create_attributes_wildcards),
    cmocka_unit_test(test_cfgfile__corpus_eggs))
