/*
 * unit.h: shared includes and helpers for roost's cmocka unit tests.
 * Each tests/unit/test_<module>.c is one binary; run.sh runs them with
 * TAP output and sums the results.
 */
#ifndef ROOST_UNIT_H
#define ROOST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rerr.h"

/* Fails the test with err's message when rc is not 0. */
#define assert_rok(rc, err) do {					\
	int _rc = (rc);							\
	if (_rc != 0)							\
		fail_msg("rc %d: %s", _rc, (err)->msg);		\
} while (0)

/* Fails unless haystack contains needle. */
#define assert_contains(haystack, needle) do {				\
	const char *_h = (haystack), *_n = (needle);			\
	if (_h == NULL || strstr(_h, _n) == NULL)			\
		fail_msg("'%s' not found in '%s'", _n,			\
		    _h ? _h : "(null)");				\
} while (0)

/* Fails unless haystack contains each of the needles after it. */
#define assert_contains_all(haystack, ...)				\
	unit_assert_contains_all_((haystack),				\
	    (const char *const []){ __VA_ARGS__, NULL })
void		 unit_assert_contains_all_(const char *text,
		    const char *const *want);

/*
 * The main() of a test program: runs the cmocka tests given after setup
 * and teardown (group fixtures, or NULL) as the group "tests";
 * UNIT_GIT_MAIN runs them under unit_run_git_tests.
 */
#define UNIT_MAIN(setup, teardown, ...)					\
	UNIT_MAIN_(cmocka_run_group_tests, setup, teardown, __VA_ARGS__)
#define UNIT_GIT_MAIN(setup, teardown, ...)				\
	UNIT_MAIN_(unit_run_git_tests, setup, teardown, __VA_ARGS__)
#define UNIT_MAIN_(run, setup, teardown, ...)				\
int									\
main(void)								\
{									\
	const struct CMUnitTest tests[] = { __VA_ARGS__ };		\
									\
	return run(tests, (setup), (teardown));				\
}

/*
 * A port the kernel chose (bind to port 0), free for TCP and UDP on
 * 127.0.0.1; two runs of the suite never share one.
 */
int		 unit_free_port(void);
/* This run's id, for names global on the Docker engine ("u1a2b"). */
const char	*unit_run_id(void);

/* The fixture directory unit_sh, unit_sh_out and unit_write work in. */
extern char	*unit_root;

/*
 * For a group setup: unit_root is a new directory with a bare state
 * repository r.git and its clone w holding roost.yaml (roost_yaml), node
 * node-a on 127.0.0.1 with ports 25565-25600, a repository egg demo/demo
 * whose variable GREETING must be at most 20 characters, and the nfiles
 * files more, committed and pushed; 0, or -1. The built-in eggs come
 * from ./eggs unless $ROOST_EGGS says otherwise.
 */
struct unit_file {
	const char	*rel;
	const char	*text;
};
int		 unit_demo_repo(const char *name, const char *roost_yaml,
		    const struct unit_file *files, size_t nfiles);
struct panel;
struct panel_opts;
/*
 * Opens the panel of o on the repository rel under unit_root (o->repo is
 * set here); fails the test on error.
 */
struct panel	*unit_panel_open(struct panel_opts *o, const char *rel);
/* A group teardown: removes unit_root and frees it; 0. */
int		 unit_root_teardown(void **state);

/* A new directory $TMPDIR/roost-<name>.XXXXXX, to free, or NULL. */
char		*unit_tmpdir(const char *name);
/* Removes dir and all below it; 0 or -1. */
int		 unit_rmtree(const char *dir);
/* Runs a shell command in unit_root, output discarded; its exit status. */
int		 unit_sh(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Runs a command in unit_root; its stdout without the last newline. */
char		*unit_sh_out(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Fails unless cmd, run in unit_root, prints want. */
void		 unit_assert_sh_eq(const char *want, const char *cmd);
/*
 * Fails if text holds what would break a line or hide itself when read:
 * U+2028, U+2029, NEL, CSI, a byte order mark, or a control character
 * other than tab and newline.
 */
void		 unit_assert_no_hidden(const char *text);
/* Fails unless fn, a SHA-256 in hex, gives FIPS 180-2's digests. */
void		 unit_assert_sha256(void (*fn)(const void *, size_t,
		    char [65]));
/* Writes text to rel under unit_root. */
void		 unit_write(const char *rel, const char *text);
struct buf;
struct conf;
/*
 * Loads a roostd.yaml of text with conf_load, which must give the code
 * want; its problems as text in out (unless NULL), and the configuration
 * (for conf_free) when it loaded.
 */
struct conf	*unit_roostd_conf(const char *text, int want,
		    struct buf *out);
/*
 * Fails unless conf_load refuses the roostd.yaml text with ROOST_EINVAL
 * and among its problems each of those given after text.
 */
#define unit_roostd_refuses(text, ...)					\
	unit_roostd_refuses_((text),					\
	    (const char *const []){ __VA_ARGS__, NULL })
void		 unit_roostd_refuses_(const char *text,
		    const char *const *want);
/* A $HOME of the program's own with git's identity set; NULL on error. */
char		*unit_git_home(void);
/*
 * cmocka_run_group_tests under a unit_git_home that is removed afterwards;
 * the exit status (1 also when the home cannot be made or removed).
 */
#define unit_run_git_tests(group, setup, teardown)			\
	unit_run_git_tests_(#group, (group),				\
	    sizeof(group) / sizeof((group)[0]), (setup), (teardown))
int		 unit_run_git_tests_(const char *name,
		    const struct CMUnitTest *tests, size_t n,
		    CMFixtureFunction setup, CMFixtureFunction teardown);
struct state;
/*
 * Everything a state says, as text (to free): each server as written,
 * whether it is valid and why, with ids set its blob id too, and the
 * state's problems.
 */
char		*unit_state_text(const struct state *st, int ids);
/*
 * For a group setup: loads state-example with the built-in eggs (from
 * ./eggs unless $ROOST_EGGS says otherwise) into *stp, which
 * unit_example_teardown frees; 0, or -1.
 */
int		 unit_example_load(struct state **stp);
/* A group teardown: frees what unit_example_load loaded; 0. */
int		 unit_example_teardown(void **state);

/* Directory of the egg test corpus ($ROOST_EGG_CORPUS overrides), or NULL. */
static inline const char *
unit_egg_corpus(void)
{
	const char *d = getenv("ROOST_EGG_CORPUS");

	if (d == NULL)
		d = "tests/data/eggs-corpus";
	return access(d, R_OK) == 0 ? d : NULL;
}

#endif
