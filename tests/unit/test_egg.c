/*
 * test_egg: every egg of the test corpus (tests/data/eggs-corpus) loads
 * and normalises as its index says (stop, done, parsers, rules, images,
 * startup forms), writes out as a roost egg that loads back equal, and
 * the Laravel rules accept and refuse what they should. Malformed eggs
 * fail with positions.
 */
#include "unit.h"

#include <signal.h>

#include "buf.h"
#include "diag.h"
#include "egg.h"

static struct egg *
load_corpus(const char *rel)
{
	const char	*dir = unit_egg_corpus();
	char		 path[1024];
	struct diags	 d;
	struct egg	*egg;

	if (dir == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	diags_init(&d);
	if (egg_load_file(&egg, path, &d) != 0)
		fail_msg("%s: %s", rel, d.n ? d.v[0].msg : "?");
	diags_dispose(&d);
	return egg;
}

#define SHARED_OR_SKIP(var, rel) do {					\
	if (((var) = load_corpus(rel)) == NULL) {			\
		print_message("tests/data/eggs-corpus is absent\n");	\
		skip();							\
	}								\
} while (0)

static void
egg_equal(const struct egg *a, const struct egg *b)
{
	size_t	i, j;

	assert_string_equal(a->name, b->name);
	assert_string_equal(a->author, b->author);
	assert_string_equal(a->description, b->description);
	assert_string_equal(a->source_version, b->source_version);
	assert_true((a->update_url == NULL) == (b->update_url == NULL));
	if (a->update_url != NULL)
		assert_string_equal(a->update_url, b->update_url);
	assert_int_equal(a->nimages, b->nimages);
	for (i = 0; i < a->nimages; i++) {
		assert_string_equal(a->images[i].ref, b->images[i].ref);
		assert_string_equal(a->images[i].label, b->images[i].label);
	}
	assert_int_equal(a->nstartups, b->nstartups);
	for (i = 0; i < a->nstartups; i++) {
		assert_string_equal(a->startups[i], b->startups[i]);
		assert_string_equal(a->startup_labels[i],
		    b->startup_labels[i]);
	}
	assert_string_equal(a->startup, b->startup);
	assert_string_equal(a->stop.raw, b->stop.raw);
	assert_true((a->stop.command == NULL) == (b->stop.command == NULL));
	if (a->stop.command != NULL)
		assert_string_equal(a->stop.command, b->stop.command);
	assert_int_equal(a->stop.kind, b->stop.kind);
	assert_int_equal(a->stop.signal, b->stop.signal);
	assert_int_equal(a->ndone, b->ndone);
	for (i = 0; i < a->ndone; i++)
		assert_string_equal(a->done[i], b->done[i]);
	assert_int_equal(a->nfiles, b->nfiles);
	for (i = 0; i < a->nfiles; i++) {
		assert_string_equal(a->files[i].path, b->files[i].path);
		assert_int_equal(a->files[i].parser, b->files[i].parser);
		assert_int_equal(a->files[i].nreplace, b->files[i].nreplace);
		for (j = 0; j < a->files[i].nreplace; j++) {
			const struct egg_replace *x = &a->files[i].replace[j];
			const struct egg_replace *y = &b->files[i].replace[j];

			assert_string_equal(x->match, y->match);
			assert_string_equal(x->value, y->value);
			assert_int_equal(x->value_type, y->value_type);
			assert_true((x->if_value == NULL) ==
			    (y->if_value == NULL));
			if (x->if_value != NULL)
				assert_string_equal(x->if_value, y->if_value);
		}
	}
	assert_true((a->install_script == NULL) == (b->install_script == NULL));
	if (a->install_script != NULL) {
		assert_string_equal(a->install_script, b->install_script);
		assert_string_equal(a->install_image, b->install_image);
		assert_string_equal(a->install_entrypoint,
		    b->install_entrypoint);
	}
	assert_int_equal(a->nvars, b->nvars);
	for (i = 0; i < a->nvars; i++) {
		assert_string_equal(a->vars[i].env, b->vars[i].env);
		assert_string_equal(a->vars[i].name, b->vars[i].name);
		assert_string_equal(a->vars[i].description,
		    b->vars[i].description);
		assert_string_equal(a->vars[i].def, b->vars[i].def);
		assert_int_equal(a->vars[i].viewable, b->vars[i].viewable);
		assert_int_equal(a->vars[i].editable, b->vars[i].editable);
		assert_string_equal(a->vars[i].rules_raw, b->vars[i].rules_raw);
		assert_int_equal(a->vars[i].nrules, b->vars[i].nrules);
		for (j = 0; j < a->vars[i].nrules; j++) {
			const struct egg_rule *x = &a->vars[i].rules[j];
			const struct egg_rule *y = &b->vars[i].rules[j];
			size_t k;

			assert_string_equal(x->name, y->name);
			assert_int_equal(x->nargs, y->nargs);
			for (k = 0; k < x->nargs; k++)
				assert_string_equal(x->args[k], y->args[k]);
		}
	}
	assert_int_equal(a->ndenylist, b->ndenylist);
	for (i = 0; i < a->ndenylist; i++)
		assert_string_equal(a->denylist[i], b->denylist[i]);
	assert_int_equal(a->nfeatures, b->nfeatures);
	for (i = 0; i < a->nfeatures; i++)
		assert_string_equal(a->features[i], b->features[i]);
}

/* Every egg of the corpus loads, and round-trips through roost's form. */
static void
test_egg__corpus_roundtrip(void **state)
{
	const char	*dir = unit_egg_corpus();
	char		 cmd[1200], line[1024];
	FILE		*fp;
	int		 count = 0;

	if (dir == NULL) {
		print_message("tests/data/eggs-corpus is absent; skipped\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "find '%s' -name '*.json' -o -name "
	    "'*.yaml' | sort", dir);
	assert_non_null(fp = popen(cmd, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct diags	 d;
		struct egg	*a, *b;
		struct buf	 w;

		line[strcspn(line, "\n")] = '\0';
		diags_init(&d);
		if (egg_load_file(&a, line, &d) != 0)
			fail_msg("%s: %s", line, d.n ? d.v[0].msg : "?");
		assert_true(a->nimages >= 1);
		assert_true(a->nstartups >= 1);
		assert_non_null(a->stop.raw);
		buf_init(&w, 0);
		egg_write_yaml(a, &w);
		assert_null(strstr(buf_str(&w), "{\\\""));	/* no JSON */
		if (egg_load(&b, "roundtrip.yaml", buf_str(&w), w.len,
		    &d) != 0)
			fail_msg("%s round trip: %s", line,
			    d.n ? d.v[0].msg : "?");
		egg_equal(a, b);
		egg_free(a);
		egg_free(b);
		buf_dispose(&w);
		diags_dispose(&d);
		count++;
	}
	pclose(fp);
	assert_int_equal(count, 31);
}

static void
test_egg__ptdl_v2_vanilla(void **state)
{
	struct egg	*e;

	SHARED_OR_SKIP(e, "pterodactyl+panel/database/Seeders/eggs/minecraft/"
	    "egg-vanilla-minecraft.json");
	assert_string_equal(e->source_version, "PTDL_v2");
	assert_int_equal(e->stop.kind, EGG_STOP_COMMAND);
	assert_string_equal(e->stop.command, "stop");
	assert_int_equal(e->ndone, 1);
	assert_string_equal(e->done[0], ")! For help, type ");
	assert_int_equal(e->nfiles, 1);
	assert_int_equal(e->files[0].parser, EGG_PARSER_PROPERTIES);
	assert_string_equal(e->files[0].path, "server.properties");
	assert_null(strchr(e->install_script, '\r'));
	assert_non_null(egg_var_find(e, "SERVER_JARFILE"));
	egg_free(e);
}

static void
test_egg__ptdl_v1_single_image_and_int_bools(void **state)
{
	struct egg	*e;
	const struct egg_var *v;

	SHARED_OR_SKIP(e, "pterodactyl+panel@f8c89f833/database/seeds/eggs/"
	    "minecraft/egg-bungeecord.json");
	assert_string_equal(e->source_version, "PTDL_v1");
	assert_int_equal(e->nimages, 1);
	assert_int_equal(e->files[0].parser, EGG_PARSER_YAML);
	assert_string_equal(e->stop.command, "end");
	assert_non_null(v = egg_var_find(e, "BUNGEE_VERSION"));
	assert_true(v->viewable);
	egg_free(e);
}

static void
test_egg__plcn_v3_yaml_icon_and_lists(void **state)
{
	struct egg	*e;
	size_t		 i;

	SHARED_OR_SKIP(e, "pelican-eggs+minecraft/java/paper/egg-paper.yaml");
	assert_string_equal(e->source_version, "PLCN_v3");
	/* "image" is an icon there, not a runtime image. */
	for (i = 0; i < e->nimages; i++)
		assert_int_not_equal(strncmp(e->images[i].ref, "data:", 5), 0);
	assert_true(e->nimages >= 2);
	egg_free(e);
}

static void
test_egg__stop_forms(void **state)
{
	struct egg	*e;

	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/space_engineers/"
	    "default/egg-space-engineers.json");
	assert_int_equal(e->stop.kind, EGG_STOP_SIGNAL);
	assert_int_equal(e->stop.signal, SIGKILL);		/* ^^C */
	assert_int_equal(e->files[0].parser, EGG_PARSER_XML);
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-standalone/gta/ragemp/"
	    "egg-rage--m-p.json");
	assert_int_equal(e->stop.signal, SIGTERM);		/* ^X */
	assert_int_equal(e->files[0].parser, EGG_PARSER_JSON);
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+minecraft/java/feather/"
	    "egg-feather.json");
	assert_int_equal(e->stop.signal, SIGINT);		/* ^C */
	assert_int_equal(e->nimages, 1);	/* docker_images as a list */
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/dont_starve/"
	    "egg-don-t-starve-together.json");
	assert_int_equal(e->stop.kind, EGG_STOP_COMMAND);
	assert_string_equal(e->stop.command, "c_shutdown()");
	assert_int_equal(e->files[0].parser, EGG_PARSER_INI);
	egg_free(e);
}

static void
test_egg__done_forms_and_duplicates(void **state)
{
	struct egg	*e;

	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/icarus/egg-icarus.yaml");
	assert_int_equal(e->ndone, 2);
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+storage/sftp_storage_share/"
	    "egg-s-f-t-p-storage-share.json");
	assert_int_equal(e->ndone, 1);
	assert_string_equal(e->done[0], "");
	egg_free(e);
	/* A duplicated "done" key in the inner JSON: the last one wins. */
	SHARED_OR_SKIP(e, "pelican-eggs+storage/minio/egg-minio-s3.json");
	assert_int_equal(e->ndone, 1);
	assert_string_equal(e->done[0], "Documentation:");
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/nightingale/"
	    "egg-nightingale.json");
	assert_int_equal(e->nstartups, 2);
	egg_free(e);
}

static void
test_egg__odd_rules(void **state)
{
	struct egg		*e;
	const struct egg_var	*v;
	size_t			 i;

	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/myth_of_empires/"
	    "egg-myth-of-empires.json");
	for (i = 0; i < e->nvars; i++) {
		size_t j;

		for (j = 0; j < e->vars[i].nrules; j++) {
			assert_string_not_equal(e->vars[i].rules[j].name,
			    "int");
			assert_string_not_equal(e->vars[i].rules[j].name, "");
		}
	}
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/conan_exiles/"
	    "pterodactyl-egg-conan-exiles-legacy.json");
	for (i = 0; i < e->nvars; i++)
		if (strcmp(e->vars[i].rules_raw, "") == 0)
			break;
	assert_true(i < e->nvars);		/* "rules": {} */
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+minecraft/java/ftb/outdated/"
	    "egg-feed-the-beast.json");
	for (i = 0; i < e->nvars; i++) {
		struct buf m;

		v = &e->vars[i];
		if (strstr(v->rules_raw, "regex:(") == NULL)
			continue;
		buf_init(&m, 0);
		assert_int_equal(egg_var_check(v, "abc-123", &m), 0);
		assert_int_equal(egg_var_check(v, "ABC!", &m), -1);
		assert_contains(buf_str(&m), "pattern");
		buf_dispose(&m);
		break;
	}
	assert_true(i < e->nvars);
	egg_free(e);
}

static struct egg_var *
var_with(const char *rules, const char *def)
{
	struct egg_var	*v = calloc(1, sizeof(*v));

	v->env = strdup("X");
	v->def = strdup(def);
	v->rules_raw = strdup(rules);
	egg_rules_parse(rules, &v->rules, &v->nrules);
	return v;
}

static void
var_free(struct egg_var *v)
{
	free(v->env);
	free(v->def);
	free(v->rules_raw);
	egg_rules_free(v->rules, v->nrules);
	free(v);
}

static void
expect(const char *rules, const char *value, int ok, const char *msg)
{
	struct egg_var	*v = var_with(rules, "");
	struct buf	 m;

	buf_init(&m, 0);
	if (egg_var_check(v, value, &m) != (ok ? 0 : -1))
		fail_msg("rules '%s' value '%s': expected %s, got '%s'",
		    rules, value, ok ? "ok" : "refusal", buf_str(&m));
	if (msg != NULL)
		assert_contains(buf_str(&m), msg);
	buf_dispose(&m);
	var_free(v);
}

static void
test_egg__rules(void **state)
{
	expect("required|string", "", 0, "is required");
	expect("nullable|string", "", 1, NULL);
	expect("string|max:5", "", 1, NULL);	/* empty skips the rules */
	expect("required|integer", "12", 1, NULL);
	expect("required|int", "1.5", 0, "integer");
	expect("required|numeric", "1.5", 1, NULL);
	expect("required|numeric", "x", 0, "number");
	expect("required|boolean", "1", 1, NULL);
	expect("required|boolean", "maybe", 0, "true, false");
	expect("required|string|max:20", "123456789012345678901", 0,
	    "at most 20 characters");
	expect("required|integer|max:100", "101", 0, "at most 100");
	expect("required|integer|min:1", "0", 0, "at least 1");
	expect("required|integer|between:1024,65536", "80", 0,
	    "between 1024 and 65536");
	expect("required|integer|between:1024,65536", "25565", 1, NULL);
	expect("required|string|between:3,15", "ab", 0, "characters");
	expect("required|alpha_num|size:4", "ab12", 1, NULL);
	expect("required|alpha_num|size:4", "ab1", 0, "exactly 4");
	expect("required|in:true,false", "yes", 0, "one of: true, false");
	expect("required|in:,beta", "", 0, "is required");
	expect("nullable|in:,beta", "beta", 1, NULL);
	expect("required|not_in:anonymous", "anonymous", 0, "must not be");
	expect("required|regex:/^([\\w\\d._-]+)(\\.jar)$/", "server.jar", 1,
	    NULL);
	expect("required|regex:/^([\\w\\d._-]+)(\\.jar)$/", "server.zip", 0,
	    "pattern");
	expect("required|digits_between:17,18", "123456789012345678", 1,
	    NULL);
	expect("required|digits_between:17,18", "12345", 0, "17 to 18");
	expect("required|alpha_dash", "my-name_1", 1, NULL);
	expect("required|alpha_dash", "my name", 0, "dashes");
	expect("required|url", "https://example.com/x", 1, NULL);
	expect("required|url", "example.com", 0, "url");
	expect("required|integer|gt:0", "0", 0, "more than 0");
	expect("required|string|ends_with:==", "abc==", 1, NULL);
	expect("required|string|ends_with:==", "abc", 0, "end with");
	expect("required|string|", "x", 1, NULL);	/* trailing '|' */
	/* Laravel: whitespace only is empty; required refuses it */
	expect("required|string", "   ", 0, "is required");
	expect("required|string", "\t\n", 0, "is required");
	expect("nullable|integer", "  ", 1, NULL);
	/* PHP's FILTER_VALIDATE_INT: no leading zeros, 64 bits */
	expect("required|integer", "007", 0, "integer");
	expect("required|integer", "-01", 0, "integer");
	expect("required|integer", "0", 1, NULL);
	expect("required|integer", "-5", 1, NULL);
	expect("required|integer", "+5", 1, NULL);
	expect("required|integer", "99999999999999999999", 0, "integer");
}

/* A single startup command keeps its label through roost's form. */
static void
test_egg__single_startup_label(void **state)
{
	const char	*src = "{\"meta\":{\"version\":\"PLCN_v3\"},"
			    "\"name\":\"x\",\"docker_images\":{\"a\":\"img\"},"
			    "\"startup_commands\":{\"Fast start\":\"./run\"}}";
	struct diags	 d;
	struct egg	*e, *back;
	struct buf	 b;

	diags_init(&d);
	assert_int_equal(egg_load(&e, "x.json", src, strlen(src), &d), 0);
	assert_int_equal(e->nstartups, 1);
	assert_string_equal(e->startup_labels[0], "Fast start");
	buf_init(&b, 0);
	egg_write_yaml(e, &b);
	assert_int_equal(egg_load(&back, "x.yaml", buf_str(&b), b.len, &d),
	    0);
	assert_string_equal(back->startup_labels[0], "Fast start");
	assert_string_equal(back->startup, "./run");
	buf_dispose(&b);
	egg_free(e);
	egg_free(back);
	diags_dispose(&d);
}

static void
test_egg__bad_eggs_have_positions(void **state)
{
	struct diags	 d;
	struct egg	*e;
	const char	*bad1 = "{\"meta\": {\"version\": \"PTDL_v2\"},\n"
			    "\"name\": \"x\",\n\"startup\": \"run\",\n"
			    "\"docker_images\": {\"a\": \"img\"},\n"
			    "\"config\": {\"files\": \"{not json\"}}\n";
	const char	*bad2 = "apiVersion: roost/v1\nkind: Egg\nname: x\n"
			    "startup: run\nimages: []\n";

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/bad.json", bad1, strlen(bad1),
	    &d), ROOST_EINVAL);
	assert_null(e);
	assert_contains(d.v[0].msg, "config.files");
	assert_int_equal(d.v[0].line, 5);
	diags_dispose(&d);
	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/bad.yaml", bad2, strlen(bad2),
	    &d), ROOST_EINVAL);
	assert_contains(d.v[0].msg, "images");
	assert_int_equal(d.v[0].line, 5);
	diags_dispose(&d);
	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/none.yaml", "a: 1\n", 5, &d),
	    ROOST_EINVAL);
	assert_contains(d.v[0].msg, "not an egg");
	diags_dispose(&d);
}

/*
 * Variable names are environment names ([A-Z_][A-Z0-9_]*): another name
 * is read upper-cased with a warning at its position and its references
 * renamed, one that cannot be mapped is refused with its position, and a
 * variable defined twice is an error naming both places.
 */
static void
test_egg__variable_names(void **state)
{
	struct diags	 d;
	struct egg	*e;
	size_t		 i;
	int		 warned = 0;
	const char	*mapped = "apiVersion: roost/v1\nkind: Egg\nname: x\n"
			    "images: [{ ref: img }]\n"
			    "startup: ./run {{srv_name}} ${srv_name} $owner "
			    "{{env.owner}} $my_srv_name\n"
			    "install: { image: alpine, script: \"echo "
			    "$srv_name\" }\n"
			    "variables:\n"
			    "  - env: srv_name\n    default: a\n"
			    "  - env: owner\n    default: b\n";
	const char	*bad = "apiVersion: roost/v1\nkind: Egg\nname: x\n"
			    "images: [{ ref: img }]\nstartup: run\nvariables:\n"
			    "  - env: GOOD\n"
			    "  - env: 9lives\n";
	const char	*dup = "apiVersion: roost/v1\nkind: Egg\nname: x\n"
			    "images: [{ ref: img }]\nstartup: run\nvariables:\n"
			    "  - env: PORT\n  - env: OTHER\n  - env: PORT\n";

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/m.yaml", mapped,
	    strlen(mapped), &d), 0);
	assert_string_equal(e->vars[0].env, "SRV_NAME");
	assert_string_equal(e->vars[1].env, "OWNER");
	assert_non_null(egg_var_find(e, "OWNER"));
	assert_null(egg_var_find(e, "owner"));
	assert_string_equal(e->startup, "./run {{SRV_NAME}} ${SRV_NAME} "
	    "$OWNER {{env.OWNER}} $my_srv_name");
	assert_string_equal(e->install_script, "echo $SRV_NAME");
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == DIAG_WARNING && d.v[i].line == 8 &&
		    d.v[i].col > 0 && strstr(d.v[i].msg, "'SRV_NAME'"))
			warned = 1;
	assert_true(warned);
	egg_free(e);
	diags_dispose(&d);

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/b.yaml", bad, strlen(bad), &d),
	    ROOST_EINVAL);
	assert_contains(d.v[0].msg, "'9lives'");
	assert_contains(d.v[0].msg, "[A-Z_][A-Z0-9_]*");
	assert_int_equal(d.v[0].line, 8);
	diags_dispose(&d);

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/d.yaml", dup, strlen(dup), &d),
	    ROOST_EINVAL);
	assert_contains(d.v[0].msg, "'PORT' is defined twice (first at 7:");
	assert_int_equal(d.v[0].line, 9);
	diags_dispose(&d);
}

static void
test_egg__builtin_library(void **state)
{
	struct egg_library	*lib = egglib_new();
	struct diags		 d;
	const struct egg	*e;

	diags_init(&d);
	assert_int_equal(egglib_load_dir(lib, egglib_builtin_dir(), "eggs/",
	    &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_non_null(e = egglib_find(lib, "roost/demo"));
	assert_string_equal(e->images[0].ref, "roost.local/demo:1");
	assert_string_equal(e->done[0], "Demo server ready");
	assert_non_null(egglib_find(lib, "minecraft/vanilla"));
	assert_non_null(egglib_find(lib, "minecraft/paper"));
	assert_non_null(egglib_find(lib, "terraria/tshock"));
	assert_non_null(egglib_find(lib, "discord/jmusicbot"));
	assert_non_null(egglib_find(lib, "database/mariadb"));
	assert_null(egglib_find(lib, "minecraft/nope"));
	diags_dispose(&d);
	egglib_free(lib);
}


/*
 * Every egg in the corpus index loads with the version, config-file
 * parser and stop form its row in INDEX.md names.
 */
static void
test_egg__index_table(void **state)
{
	const char	*dir = unit_egg_corpus();
	char		 path[1200], line[4096], *col[6], *p, *e;
	FILE		*fp;
	int		 rows = 0, n;

	if (dir == NULL) {
		print_message("tests/data/eggs-corpus is absent; skipped\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/INDEX.md", dir);
	assert_non_null(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct egg	*egg;
		struct diags	 d;
		size_t		 i;

		if (strncmp(line, "| `", 3) != 0)
			continue;
		/* | `file` | version | parsers | `stop` | why | */
		for (n = 0, p = line + 1; n < 5 && (e = strstr(p, " | ")) !=
		    NULL; n++, p = e + 3) {
			*e = '\0';
			col[n] = p;
			while (*col[n] == ' ')
				col[n]++;
		}
		assert_true(n >= 4);
		col[0]++;
		col[0][strlen(col[0]) - 1] = '\0';		/* `file` */
		col[3]++;
		col[3][strlen(col[3]) - 1] = '\0';		/* `stop` */
		snprintf(path, sizeof(path), "%s/%s", dir, col[0]);
		diags_init(&d);
		if (egg_load_file(&egg, path, &d) != 0)
			fail_msg("%s: %s", col[0], d.n ? d.v[0].msg : "?");
		diags_dispose(&d);
		if (strcmp(egg->source_version, col[1]) != 0)
			fail_msg("%s: version %s, index says %s", col[0],
			    egg->source_version, col[1]);
		if (strcmp(col[2], "(none)") == 0)
			assert_int_equal(egg->nfiles, 0);
		else {
			static const char *names[] = { "file", "properties",
			    "yaml", "json", "ini", "xml" };
			const char *want = strcmp(col[2], "yml") == 0 ?
			    "yaml" : col[2];

			assert_true(egg->nfiles >= 1);
			for (i = 0; i < egg->nfiles; i++)
				if (strcmp(names[egg->files[i].parser],
				    want) != 0)
					fail_msg("%s: parser %s, index says "
					    "%s", col[0],
					    names[egg->files[i].parser],
					    col[2]);
		}
		assert_string_equal(egg->stop.raw, col[3]);
		if (strcmp(col[3], "^C") == 0 || strcmp(col[3], "^c") == 0) {
			assert_int_equal(egg->stop.kind, EGG_STOP_SIGNAL);
			assert_int_equal(egg->stop.signal, SIGINT);
		} else if (strcmp(col[3], "^^C") == 0) {
			assert_int_equal(egg->stop.kind, EGG_STOP_SIGNAL);
			assert_int_equal(egg->stop.signal, SIGKILL);
		} else if (col[3][0] == '^') {
			assert_int_equal(egg->stop.kind, EGG_STOP_SIGNAL);
			assert_int_equal(egg->stop.signal, SIGTERM);
		} else {
			assert_int_equal(egg->stop.kind, EGG_STOP_COMMAND);
			assert_string_equal(egg->stop.command, col[3]);
		}
		/* Scripts never keep a CR; images are never icons. */
		if (egg->install_script != NULL)
			assert_null(strchr(egg->install_script, '\r'));
		for (i = 0; i < egg->nimages; i++)
			assert_int_not_equal(strncmp(egg->images[i].ref,
			    "data:", 5), 0);
		egg_free(egg);
		rows++;
	}
	fclose(fp);
	assert_int_equal(rows, 31);
}

/* Images, startup commands and JSON-in-JSON details of single eggs. */
static void
test_egg__formats_in_detail(void **state)
{
	struct egg		*e;
	const struct egg_var	*v;
	size_t			 i;

	SHARED_OR_SKIP(e, "pterodactyl+panel/database/Seeders/eggs/"
	    "source-engine/egg-counter--strike--global-offensive.json");
	assert_string_equal(e->source_version, "PTDL_v1");
	assert_true(e->nimages >= 1);	/* "images" list */
	assert_string_equal(e->images[0].label, e->images[0].ref);
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/ark_survival_evolved/"
	    "egg-ark--survival-evolved.json");
	assert_string_equal(e->source_version, "PLCN_v3");
	assert_int_equal(e->nstartups, 1);
	assert_string_equal(e->startup_labels[0], "Default");
	assert_string_equal(e->startup, e->startups[0]);
	for (i = 0; i < e->nfeatures; i++)
		if (strcmp(e->features[i], "steam_disk_space") == 0)
			break;
	assert_true(i < e->nfeatures);
	egg_free(e);
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/rust/vanilla/"
	    "egg-rust.yaml");
	assert_string_equal(e->stop.command, "quit");
	assert_int_equal(e->files[0].parser, EGG_PARSER_FILE);
	egg_free(e);
	/* BungeeCord: conditional values, both if_value forms. */
	SHARED_OR_SKIP(e, "pterodactyl+panel/database/Seeders/eggs/minecraft/"
	    "egg-bungeecord.json");
	for (i = 0; i < e->files[0].nreplace; i++)
		if (e->files[0].replace[i].if_value != NULL)
			break;
	assert_true(i < e->files[0].nreplace);
	assert_string_equal(e->files[0].replace[i].match, "servers.*.address");
	assert_string_equal(e->files[0].replace[i].if_value,
	    "regex:^(127\\.0\\.0\\.1|localhost)(:\\d{1,5})?$");
	assert_string_equal(e->files[0].replace[i].value,
	    "{{config.docker.interface}}$2");
	egg_free(e);
	SHARED_OR_SKIP(e, "pterodactyl+panel@f8c89f833/database/seeds/eggs/"
	    "minecraft/egg-bungeecord.json");
	for (i = 0; i < e->files[0].nreplace; i++)
		if (e->files[0].replace[i].value_type == EGG_VAL_BOOL)
			break;
	assert_true(i < e->files[0].nreplace);	/* a boolean find value */
	assert_int_equal(e->ndenylist, 0);
	egg_free(e);
	/* OpenTTD: an integer find value and lower-case variables. */
	SHARED_OR_SKIP(e, "pelican-eggs+games-standalone/openttd/"
	    "egg-open-t-t-d-server.json");
	for (i = 0; i < e->files[0].nreplace; i++)
		if (e->files[0].replace[i].value_type == EGG_VAL_INT)
			break;
	assert_true(i < e->files[0].nreplace);
	/* read as SRV_NAME, with the config file's reference renamed */
	assert_non_null(egg_var_find(e, "SRV_NAME"));
	assert_null(egg_var_find(e, "srv_name"));
	for (i = 0; i < e->files[0].nreplace; i++)
		if (strstr(e->files[0].replace[i].value,
		    "{{server.environment.SRV_NAME}}") != NULL)
			break;
	assert_true(i < e->files[0].nreplace);
	egg_free(e);
	/* Venice Unleashed: the done string keeps its ANSI escapes. */
	SHARED_OR_SKIP(e, "pelican-eggs+games-standalone/venice_unleashed/"
	    "egg-pterodactyl-venice-unleashed.json");
	assert_int_equal(e->ndone, 1);
	assert_non_null(strchr(e->done[0], '\x1b'));
	egg_free(e);
	/* TShock: the duplicated "sort" key does not matter. */
	SHARED_OR_SKIP(e, "pelican-eggs+games-standalone/terraria/tshock/"
	    "egg-tshock.json");
	assert_string_equal(e->source_version, "PLCN_v2");
	assert_true(e->nvars > 0);
	egg_free(e);
	/* MariaDB: a ';'-separated console stop and a database image. */
	SHARED_OR_SKIP(e, "pelican-eggs+database/sql/mariadb/"
	    "egg-maria-d-b114.json");
	assert_string_equal(e->install_image, "mariadb:11.4");
	egg_free(e);
	/* Brickadia: "rules": "" gives no rules at all. */
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/brickadia/"
	    "pterodactyl-egg-brickadia.json");
	for (i = 0; i < e->nvars; i++)
		if (strstr(e->vars[i].rules_raw, "ends_with:==") != NULL)
			break;
	assert_true(i < e->nvars);
	v = &e->vars[i];
	{
		struct buf	m;
		char		key[89];

		buf_init(&m, 0);
		/* required|string|ends_with:==|size:88: a base64 key. */
		memset(key, 'A', 86);
		strcpy(key + 86, "==");
		assert_int_equal(egg_var_check(v, key, &m), 0);
		key[87] = 'A';
		assert_int_equal(egg_var_check(v, key, &m), -1);
		assert_contains(buf_str(&m), "end with");
		buf_dispose(&m);
	}
	egg_free(e);
	/* Source Coop: a long in: list, every item a parameter. */
	SHARED_OR_SKIP(e, "pelican-eggs+games-steamcmd/sourcecoop/"
	    "egg-source-coop.json");
	for (i = 0; i < e->nvars; i++) {
		size_t j;

		for (j = 0; j < e->vars[i].nrules; j++)
			if (strcmp(e->vars[i].rules[j].name, "in") == 0 &&
			    e->vars[i].rules[j].nargs > 20)
				break;
		if (j < e->vars[i].nrules)
			break;
	}
	assert_true(i < e->nvars);
	egg_free(e);
}

/* JSON as PHP writes it: emoji as surrogate pairs, slashes escaped. */
static void
test_egg__json_escapes(void **state)
{
	const char	*src = "{\"meta\": {\"version\": \"PTDL_v2\"},\n"
			    "\"name\": \"Smile \\ud83d\\ude00 caf\\u00e9\",\n"
			    "\"description\": \"lone \\ud83d end \\\\ud83d\",\n"
			    "\"startup\": \"run\",\n"
			    "\"docker_images\": {\"a\": \"ghcr.io\\/x\\/y:1\"},\n"
			    "\"config\": {\"startup\": \"{\\\"done\\\": "
			    "\\\"\\\\ud83c\\\\udf89 ready\\\"}\", \"stop\": \"^c\"}}\n";
	struct diags	 d;
	struct egg	*e;

	diags_init(&d);
	if (egg_load(&e, "eggs/x/emoji.json", src, strlen(src), &d) != 0)
		fail_msg("%s", d.n ? d.v[0].msg : "?");
	assert_string_equal(e->name, "Smile \xf0\x9f\x98\x80 caf\xc3\xa9");
	assert_string_equal(e->description,
	    "lone \xef\xbf\xbd end \\ud83d");
	assert_string_equal(e->images[0].ref, "ghcr.io/x/y:1");
	assert_string_equal(e->done[0], "\xf0\x9f\x8e\x89 ready");
	assert_int_equal(e->stop.signal, SIGINT);
	egg_free(e);
	diags_dispose(&d);
}

/*
 * Values holding characters YAML reads as line breaks (NEL, U+2028,
 * U+2029) or controls are escaped by the writer: the written egg shows
 * no hidden break and reads back as the same egg.
 */
static void
test_egg__hidden_breaks_roundtrip(void **state)
{
	const char	*src = "{\"meta\": {\"version\": \"PTDL_v2\"},\n"
			    "\"name\": \"x\\u2028startup: rm -rf /\",\n"
			    "\"author\": \"a\\u0085b\\u2029c\\ufeffd\\u0001\",\n"
			    "\"description\": \"line\\nnext\\u2028hidden\\n\",\n"
			    "\"startup\": \"run \\u2028--evil\",\n"
			    "\"docker_images\": {\"a\\u2028b\": \"img\\u0085\"},\n"
			    "\"config\": {\"startup\": \"{\\\"done\\\": "
			    "\\\"ok\\\\u2029\\\"}\", \"stop\": \"stop\\u2028now\"},\n"
			    "\"scripts\": {\"installation\": {\"script\": "
			    "\"echo 1\\necho \\u2028 2\\n\", \"container\": \"c\", "
			    "\"entrypoint\": \"bash\"}},\n"
			    "\"variables\": [{\"name\": \"N\\u2028\", "
			    "\"description\": \"d\\u0085\\nx\", \"env_variable\": "
			    "\"A_B\", \"default_value\": \"v\\u2028w\", "
			    "\"user_viewable\": true, \"user_editable\": true, "
			    "\"rules\": \"nullable|string\"}]}\n";
	struct diags	 d;
	struct egg	*a, *b;
	struct buf	 w;

	diags_init(&d);
	if (egg_load(&a, "eggs/x/hidden.json", src, strlen(src), &d) != 0)
		fail_msg("%s", d.n ? d.v[0].msg : "?");
	assert_string_equal(a->name, "x\xe2\x80\xa8startup: rm -rf /");
	buf_init(&w, 0);
	egg_write_yaml(a, &w);
	unit_assert_no_hidden(buf_str(&w));
	assert_non_null(strstr(buf_str(&w), "name: \"x\\Lstartup: rm -rf /\""));
	if (egg_load(&b, "back.yaml", buf_str(&w), w.len, &d) != 0)
		fail_msg("round trip: %s", d.n ? d.v[0].msg : "?");
	egg_equal(a, b);
	egg_free(a);
	egg_free(b);
	buf_dispose(&w);
	diags_dispose(&d);
}

/*
 * A key repeated in an egg in roost's form is an error naming both
 * places; an upstream JSON egg keeps the last, as PHP reads it.
 */
static void
test_egg__repeated_keys(void **state)
{
	const char	*yaml = "apiVersion: roost/v1\nkind: Egg\nname: a\n"
			    "images:\n  - label: x\n    ref: img\n"
			    "startup: run\nstartup: rm -rf /\n";
	const char	*json = "{\"meta\": {\"version\": \"PTDL_v2\"}, "
			    "\"name\": \"a\", \"name\": \"b\", \"startup\": \"s\", "
			    "\"docker_images\": {\"x\": \"img\"}}";
	struct diags	 d;
	struct egg	*e;

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/a.yaml", yaml, strlen(yaml), &d),
	    ROOST_EINVAL);
	assert_int_equal(d.v[0].line, 8);
	assert_contains(d.v[0].msg, "key 'startup' appears twice");
	assert_contains(d.v[0].msg, "first at eggs/a.yaml:7:1");
	diags_dispose(&d);

	diags_init(&d);
	assert_int_equal(egg_load(&e, "up.json", json, strlen(json), &d), 0);
	assert_string_equal(e->name, "b");
	egg_free(e);
	diags_dispose(&d);
}

/* A regex POSIX cannot run is a warning at load and is not enforced. */
static void
test_egg__regex_translation(void **state)
{
	const char	*src = "apiVersion: roost/v1\nkind: Egg\nname: x\n"
			    "images: [{label: a, ref: a}]\nstartup: run\n"
			    "variables:\n  - env: WORD\n    default: abc\n"
			    "    rules: ['required', 'regex:/\\bword\\b/']\n"
			    "  - env: NAME\n    default: Abc\n"
			    "    rules: ['required', 'regex:/^(?:[a-z]+)$/i']\n";
	struct diags	 d;
	struct egg	*e;
	struct buf	 m;
	regex_t		 re;
	regmatch_t	 pm[4];
	size_t		 groups[3];

	diags_init(&d);
	assert_int_equal(egg_load(&e, "eggs/x/re.yaml", src, strlen(src),
	    &d), 0);
	assert_int_equal(d.nerrors, 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].level, DIAG_WARNING);
	assert_int_equal(d.v[0].line, 9);
	assert_contains(d.v[0].msg, "'WORD'");
	buf_init(&m, 0);
	assert_int_equal(egg_var_check(&e->vars[0], "any thing", &m), 0);
	assert_int_equal(egg_var_check(&e->vars[1], "MiXed", &m), 0);
	assert_int_equal(egg_var_check(&e->vars[1], "two words", &m), -1);
	assert_false(egg_regex_usable("/a\\bb/"));
	assert_true(egg_regex_usable("/^[\\w.-]*$/"));
	/* Non-capturing groups do not shift the capturing ones. */
	assert_int_equal(egg_regex_compile(&re, "^(?:a|b)(\\d+)-(x)?$", 0,
	    groups, 3), 0);
	assert_int_equal(regexec(&re, "a42-x", 4, pm, 0), 0);
	assert_int_equal(groups[0], 2);
	assert_int_equal(pm[groups[0]].rm_so, 1);
	assert_int_equal(pm[groups[0]].rm_eo, 3);
	assert_int_equal(groups[1], 3);
	assert_int_equal(groups[2], 0);
	regfree(&re);
	buf_dispose(&m);
	egg_free(e);
	diags_dispose(&d);
}

static void
test_egg__more_rules(void **state)
{
	expect("required|boolean", "true", 1, NULL);
	expect("required|boolean", "0", 1, NULL);
	expect("required|boolean", "2", 0, "true, false");
	expect("required|numeric|between:0.1,64", "0.05", 0,
	    "between 0.1 and 64");
	expect("required|numeric|between:0.1,64", "12.5", 1, NULL);
	expect("required|numeric|size:32", "32", 1, NULL);
	expect("required|string|size:3", "32", 0, "exactly 3 characters");
	expect("required|string|min:3", "ab", 0, "at least 3 characters");
	expect("required|string|max:3", "\xc3\xa9t\xc3\xa9", 1, NULL);
	expect("required|in:True,False", "true", 0, "True, False");
	expect("required|in:1", "1", 1, NULL);
	expect("present|string", "", 1, NULL);
	expect("required|regex:/^[A-Z]+$/i", "abc", 1, NULL);
	expect("nullable|regex:([a-z-0-9]+$)", "a-1", 1, NULL);
	expect("required|max:76561202255233023|integer", "76561198000000000",
	    1, NULL);
	expect("required|integer", " 12", 0, "integer");
	expect("required|integer|max:10", "abc", 0, "integer");
	expect("required|alpha_num", "ab_c", 0, "letters and digits");
	expect("required|url", "https://", 0, "url");
	expect("required|string|ends_with:.jar,.zip", "a.zip", 1, NULL);
	expect("sometimes|string", "x", 1, NULL);	/* unknown: ignored */
	/* A bare "regex:" at the end (found by fuzzing) is harmless. */
	expect("required|regex:", "x", 1, NULL);
}

/* Eggs with wrong shapes are refused with file, line and field. */
static void
test_egg__bad_shapes(void **state)
{
	static const struct {
		const char	*src;
		int		 line;
		const char	*msg;
	} cases[] = {
		{ "apiVersion: roost/v1\nkind: Egg\nname: x\nimages: [{ref: a}]"
		    "\nstartup: run\nconfigFiles:\n  - path: a.cfg\n"
		    "    parser: toml\n    set: []\n", 7, "unknown parser" },
		{ "apiVersion: roost/v1\nkind: Egg\nname: x\nimages: [{ref: a}]"
		    "\nstartup: run\nvariables: {a: 1}\n", 6, "'variables'" },
		{ "apiVersion: roost/v1\nkind: Egg\nname: [x]\nimages: "
		    "[{ref: a}]\nstartup: run\n", 3, "'name' must be a string" },
		{ "{\"meta\": {\"version\": \"PTDL_v2\"}, \"name\": \"x\",\n"
		    "\"startup\": \"run\"}\n", 1, "no docker images" },
		{ "{\"meta\": {\"version\": \"PTDL_v2\"}, \"name\": \"x\",\n"
		    "\"docker_images\": {\"a\": \"b\"}, \"startup\": \"run\",\n"
		    "\"variables\": [{\"name\": \"v\"}]}\n", 3,
		    "'env_variable'" },
		{ "{\"meta\": {\"version\": \"PTDL_v2\"},\n\"name\": \"x\",\n"
		    "\"docker_images\": {\"a\": \"b\"}, \"startup\": \"run\",\n"
		    "\"scripts\": {\"installation\": {\"script\": \"echo\"}}}\n",
		    4, "'container'" },
		{ "{\"meta\": {\"version\": \"PTDL_v2\"}, \"name\": \"x\",\n"
		    "\"startup\": \"run\" \"docker_images\": {}}\n", 2,
		    "syntax" },
	};
	struct diags	 d;
	struct egg	*e;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		diags_init(&d);
		if (egg_load(&e, "eggs/x/bad.yaml", cases[i].src,
		    strlen(cases[i].src), &d) != ROOST_EINVAL)
			fail_msg("case %zu loaded", i);
		assert_null(e);
		assert_true(d.nerrors >= 1);
		if (d.v[0].line != cases[i].line ||
		    strstr(d.v[0].msg, cases[i].msg) == NULL)
			fail_msg("case %zu: %d: %s", i, d.v[0].line,
			    d.v[0].msg);
		assert_string_equal(d.v[0].path, "eggs/x/bad.yaml");
		diags_dispose(&d);
	}
}

/* A repository's eggs/ overrides built-in ids; one id, one file. */
static void
test_egg__library_override_and_duplicates(void **state)
{
	struct egg_library	*lib = egglib_new();
	struct diags		 d;
	char			*dir, cmd[512];
	const char		*egg = "apiVersion: roost/v1\nkind: Egg\n"
				    "name: Mine\nimages: [{ref: mine:1}]\n"
				    "startup: run\n";
	FILE			*fp;

	assert_non_null(dir = unit_tmpdir("eggs"));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/roost %s/games", dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/roost/demo.yaml", dir);
	assert_non_null(fp = fopen(cmd, "w"));
	fputs(egg, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "cp %s/roost/demo.yaml %s/games/a.yaml && "
	    "cp %s/roost/demo.yaml %s/games/a.json", dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	diags_init(&d);
	assert_int_equal(egglib_load_dir(lib, egglib_builtin_dir(), "", &d),
	    0);
	assert_string_equal(egglib_find(lib, "roost/demo")->images[0].ref,
	    "roost.local/demo:1");
	assert_int_equal(egglib_load_dir(lib, dir, "eggs/", &d),
	    ROOST_EINVAL);
	assert_string_equal(egglib_find(lib, "roost/demo")->images[0].ref,
	    "mine:1");
	assert_string_equal(egglib_find(lib, "roost/demo")->id, "roost/demo");
	assert_non_null(egglib_find(lib, "games/a"));
	assert_int_equal(d.nerrors, 1);
	assert_contains(d.v[0].path, "eggs/games/a.");
	assert_contains(d.v[0].msg, "already defines egg 'games/a'");
	diags_dispose(&d);
	egglib_free(lib);
	assert_int_equal(unit_rmtree(dir), 0);
	free(dir);
}

UNIT_MAIN(NULL, NULL,
    cmocka_unit_test(test_egg__corpus_roundtrip),
    cmocka_unit_test(test_egg__ptdl_v2_vanilla),
    cmocka_unit_test(test_egg__ptdl_v1_single_image_and_int_bools),
    cmocka_unit_test(test_egg__plcn_v3_yaml_icon_and_lists),
    cmocka_unit_test(test_egg__stop_forms),
    cmocka_unit_test(test_egg__done_forms_and_duplicates),
    cmocka_unit_test(test_egg__odd_rules),
    cmocka_unit_test(test_egg__rules),
    cmocka_unit_test(test_egg__bad_eggs_have_positions),
    cmocka_unit_test(test_egg__variable_names),
    cmocka_unit_test(test_egg__single_startup_label),
    cmocka_unit_test(test_egg__builtin_library),
    cmocka_unit_test(test_egg__index_table),
    cmocka_unit_test(test_egg__formats_in_detail),
    cmocka_unit_test(test_egg__json_escapes),
    cmocka_unit_test(test_egg__hidden_breaks_roundtrip),
    cmocka_unit_test(test_egg__repeated_keys),
    cmocka_unit_test(test_egg__regex_translation),
    cmocka_unit_test(test_egg__more_rules),
    cmocka_unit_test(test_egg__bad_shapes),
    cmocka_unit_test(test_egg__library_override_and_duplicates))
