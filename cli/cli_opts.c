/*
 * cli_opts: the option parser of every roost command. A command declares
 * its options in one table of struct cli_opt; cli_opts_parse builds
 * getopt_long's table and short-option string from it, stores each
 * option where its entry points, and answers a wrong option or -h/--help
 * (which every command takes) with the command's usage.
 */
#include <getopt.h>
#include <stdlib.h>

#include "xmalloc.h"

#include "cli.h"

/* getopt_long's value for opts[i]: its letter, else one above any byte. */
static int
opt_val(const struct cli_opt *opts, size_t i)
{
	return opts[i].short_name != 0 ? opts[i].short_name : 256 + (int)i;
}

/* True when opt takes an argument. */
static int
opt_has_arg(const struct cli_opt *opt)
{
	return opt->kind != CLI_OPT_FLAG;
}

/* Frees the lists opts filled, when the command ends in the options. */
static void
opts_free_lists(const struct cli_opt *opts, size_t n)
{
	struct cli_list	*l;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (opts[i].kind != CLI_OPT_LIST)
			continue;
		l = opts[i].value;
		free(l->v);
		l->v = NULL;
		l->n = 0;
	}
}

/*
 * Stores the argument arg of opt. Returns -1 to go on, else the exit
 * status the command ends with.
 */
static int
opt_store(const char *cmd, const struct cli_opt *opt, char *arg)
{
	struct cli_list	*l;

	switch (opt->kind) {
	case CLI_OPT_STRING:
		*(const char **)opt->value = arg;
		break;
	case CLI_OPT_FLAG:
		*(int *)opt->value = 1;
		break;
	case CLI_OPT_LIST:
		l = opt->value;
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = arg;
		break;
	case CLI_OPT_CALL:
		if (opt->parse(opt, arg) != 0)
			return CLI_USAGE;
		break;
	}
	return -1;
}

/* Parses argv's options against opts (cli.h). */
int
cli_opts_parse(const char *cmd, const struct cli_opt *opts, int argc,
    char *argv[], int *rc)
{
	struct option	*longopts;
	char		*shortopts;
	size_t		 n, i, nl = 0, ns = 0;
	int		 ch, end = -1;

	for (n = 0; opts[n].short_name != 0 || opts[n].long_name != NULL; n++)
		;
	longopts = xcalloc(n + 2, sizeof(*longopts));
	shortopts = xmalloc(2 * n + 2);
	for (i = 0; i < n; i++) {
		if (opts[i].long_name != NULL) {
			longopts[nl].name = opts[i].long_name;
			longopts[nl].has_arg = opt_has_arg(&opts[i]) ?
			    required_argument : no_argument;
			longopts[nl++].val = opt_val(opts, i);
		}
		if (opts[i].short_name != 0) {
			shortopts[ns++] = (char)opts[i].short_name;
			if (opt_has_arg(&opts[i]))
				shortopts[ns++] = ':';
		}
	}
	/* -h and --help, val 'h': the usage on stdout */
	longopts[nl].name = "help";
	longopts[nl++].val = 'h';
	shortopts[ns++] = 'h';
	shortopts[ns] = '\0';
	optind = 0;
	/* without long options "--x" is refused as getopt(3) refuses it */
	while (end == -1 && (ch = getopt_long(argc, argv, shortopts,
	    nl > 0 ? longopts : NULL, NULL)) != -1) {
		for (i = 0; i < n && opt_val(opts, i) != ch; i++)
			;
		if (ch == 'h')
			end = cli_usage(cmd, 1);
		else	/* not in opts: getopt said what is wrong */
			end = i < n ? opt_store(cmd, &opts[i], optarg) :
			    cli_usage(cmd, 0);
	}
	free(longopts);
	free(shortopts);
	if (end == -1)
		return optind;
	opts_free_lists(opts, n);
	*rc = end;
	return -1;
}
