#define _GNU_SOURCE  /* getopt_long */
#include "opt.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

#define MAX_OPTS 64

static const struct rft_cmd *built_for;
static struct option longopts[MAX_OPTS + 1];
static char shortopts[3 * MAX_OPTS + 2];

static void build(const struct rft_cmd *cmd)
{
	const struct rft_opt *o;
	size_t n = 0, s = 0;

	shortopts[s++] = ':';   /* report a missing argument as ':' */
	for (o = cmd->opts; o->name; o++) {
		if (n == MAX_OPTS)
			die(RFT_EX_SOFTWARE, "too many options");
		longopts[n].name = o->name;
		longopts[n].has_arg = o->arg == RFT_ARG_REQ ? required_argument :
			o->arg == RFT_ARG_OPT ? optional_argument : no_argument;
		longopts[n].flag = NULL;
		longopts[n].val = o->key;
		n++;
		if (o->key > 0 && o->key < 128) {
			shortopts[s++] = (char)o->key;
			if (o->arg != RFT_ARG_NONE)
				shortopts[s++] = ':';
			if (o->arg == RFT_ARG_OPT)
				shortopts[s++] = ':';
		}
	}
	memset(&longopts[n], 0, sizeof(longopts[n]));
	shortopts[s] = '\0';
	built_for = cmd;
}

void rft_usage(FILE *fp, const struct rft_cmd *cmd)
{
	const struct rft_opt *o;

	fprintf(fp, "usage: %s %s\n", cmd->name, cmd->synopsis);
	if (cmd->summary)
		fprintf(fp, "%s\n", cmd->summary);
	fputs("\noptions:\n", fp);
	for (o = cmd->opts; o->name; o++) {
		struct strbuf sb = STRBUF_INIT;

		if (o->key > 0 && o->key < 128)
			strbuf_addf(&sb, "  -%c, --%s", o->key, o->name);
		else
			strbuf_addf(&sb, "      --%s", o->name);
		if (o->arg == RFT_ARG_REQ)
			strbuf_addf(&sb, " %s", o->argname ? o->argname : "ARG");
		else if (o->arg == RFT_ARG_OPT)
			strbuf_addf(&sb, "[=%s]", o->argname ? o->argname : "ARG");
		if (sb.len < 28)
			fprintf(fp, "%-28s%s\n", sb.buf, o->help);
		else
			fprintf(fp, "%s\n%-28s%s\n", sb.buf, "", o->help);
		strbuf_release(&sb);
	}
	if (cmd->footer)
		fprintf(fp, "\n%s", cmd->footer);
}

static const char *optname(int key, const char *arg)
{
	static char buf[8];

	if (key > 0 && key < 128) {
		buf[0] = '-';
		buf[1] = (char)key;
		buf[2] = '\0';
		return buf;
	}
	return arg ? arg : "?";
}

int rft_getopt(int argc, char **argv, const struct rft_cmd *cmd)
{
	int c, idx = -1;

	if (built_for != cmd)
		build(cmd);
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, &idx);
	switch (c) {
	case 'h':
		rft_usage(stdout, cmd);
		exit(rft_finish(RFT_EX_OK));
	case RFT_OPT_KEY_VERSION:
		printf("%s (rftkit) %s\n", cmd->name, RFT_VERSION);
		exit(rft_finish(RFT_EX_OK));
	case ':':
		rft_usage_error("option '%s' needs an argument",
				optopt ? optname(optopt, NULL) : argv[optind - 1]);
	case '?':
		rft_usage_error("unknown option '%s'", optopt ? optname(optopt, NULL) : argv[optind - 1]);
	}
	return c;
}

void rft_usage_error(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s", sb.buf);
	strbuf_release(&sb);
	fprintf(stderr, "Try '%s --help' for more information.\n", rft_progname);
	exit(RFT_EX_USAGE);
}

long long rft_opt_count(const char *name, const char *value, long long min, long long max)
{
	long long n = rft_parse_count(value);

	if (n >= min && n <= max && n >= 0)
		return n;
	if (max != RFT_OPT_NO_MAX)
		rft_usage_error("option '--%s' needs a whole number from %lld to %lld, not '%s'", name,
				min, max, value);
	if (min > 0)
		rft_usage_error("option '--%s' needs a whole number >= %lld, not '%s'", name, min, value);
	rft_usage_error("option '--%s' needs a whole number, not '%s'", name, value);
}

double rft_opt_num(const char *name, const char *value, double lo)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(value, &end);
	if (*value && !*end && !errno && isfinite(d) && d >= lo)
		return d;
	if (isinf(lo) && lo < 0)
		rft_usage_error("option '--%s' needs a number, not '%s'", name, value);
	rft_usage_error("option '--%s' needs a number >= %g, not '%s'", name, lo, value);
}
