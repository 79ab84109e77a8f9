/*
 * opt.h - command-line options declared as data (after git's parse-options).
 *
 * A filter lists its options once, in a table ending with RFT_OPT_END; the
 * same table drives getopt_long and the generated --help text, so the two
 * cannot drift apart.  --help (-h) and --version are added by RFT_OPT_STD.
 *
 *   static const struct rft_opt opts[] = {
 *       { 'o', "output", RFT_ARG_REQ, "FILE", "write to FILE (atomically)" },
 *       RFT_OPT_STD,
 *       RFT_OPT_END
 *   };
 *   while ((c = rft_getopt(argc, argv, &cmd)) != -1) switch (c) { ... }
 *
 * rft_getopt() handles -h/--help (usage on stdout, exit 0), --version (exit
 * 0) and bad options (message and usage on stderr, exit 64) itself.
 *
 * Option values are checked by type, one message shape for every filter:
 *
 *   case 'k': opt.k = (int)rft_opt_count("k", optarg, 1, 100000); break;
 *   case OPT_LR: opt.lr = rft_opt_num("lr", optarg, 0); break;
 *
 * A bad value, like any usage error given to rft_usage_error(), prints
 *   PROG: option '--k' needs a whole number from 1 to 100000, not 'x'
 *   Try 'PROG --help' for more information.
 * on stderr and exits 64 (RFT_EX_USAGE).
 *
 * Ownership rule: the tables are static and borrowed; nothing is allocated
 * that the caller must free.
 */
#ifndef RFT_OPT_H
#define RFT_OPT_H

#include <stdio.h>

#include "util.h"   /* RFT_PRINTF, RFT_NORETURN */

enum rft_arg { RFT_ARG_NONE = 0, RFT_ARG_REQ = 1, RFT_ARG_OPT = 2 };

struct rft_opt {
	int key;              /* short letter, or a value >= 256 for long-only */
	const char *name;     /* long name without "--" */
	enum rft_arg arg;
	const char *argname;  /* e.g. "FILE"; NULL when no argument */
	const char *help;     /* one line */
};

#define RFT_OPT_KEY_VERSION 0x7fff0001
#define RFT_OPT_STD \
	{ 'h', "help", RFT_ARG_NONE, NULL, "show this help and exit" }, \
	{ RFT_OPT_KEY_VERSION, "version", RFT_ARG_NONE, NULL, "show the version and exit" }
#define RFT_OPT_END { 0, NULL, RFT_ARG_NONE, NULL, NULL }

struct rft_cmd {
	const char *name;       /* "rft-extract" */
	const char *synopsis;   /* "[OPTION]... [FILE|DIR]..." */
	const char *summary;    /* one line: what the command does */
	const struct rft_opt *opts;
	const char *footer;     /* text after the option list, or NULL */
};

int rft_getopt(int argc, char **argv, const struct rft_cmd *cmd);
void rft_usage(FILE *fp, const struct rft_cmd *cmd);

/* "PROG: <fmt...>", then "Try 'PROG --help' for more information.", exit 64 */
void rft_usage_error(const char *fmt, ...) RFT_PRINTF(1, 2) RFT_NORETURN;

/*
 * The value of option --name: a whole decimal number in [min, max]; max
 * RFT_OPT_NO_MAX for none.  Otherwise a usage error "option '--NAME' needs a
 * whole number, not 'V'" (min 0, no max), "... a whole number >= MIN, ..."
 * (no max) or "... a whole number from MIN to MAX, ...".
 */
#define RFT_OPT_NO_MAX 0x7fffffffffffffffLL
long long rft_opt_count(const char *name, const char *value, long long min, long long max);

/*
 * The value of option --name: a finite decimal number >= lo (lo -INFINITY:
 * any).  Otherwise "option '--NAME' needs a number, not 'V'" (lo -INFINITY)
 * or "... a number >= LO, ..." (LO as %g).
 */
double rft_opt_num(const char *name, const char *value, double lo);

#endif
