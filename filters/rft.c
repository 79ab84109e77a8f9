/*
 * rft - the front door: `rft NAME ARGS...` runs `rft-NAME ARGS...`.
 *
 * The command table below is the one list of filters: `rft help` prints it,
 * and only names in it are dispatched.  A filter is looked for beside this
 * executable first (so a build tree works without installing), then on PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/util.h"

struct command {
	const char *name;
	const char *summary;
};

/* keep sorted by name */
static const struct command commands[] = {
	{ "call",    "prompts -> samples from any OpenAI-compatible endpoint (concurrent, cached, resumable)" },
	{ "extract", "phenopacket dumps (ZIP, TGZ, folders, JSON, JSONL) -> case lines" },
	{ "fuse",    "several runs' samples -> one fused ranking per case (RRF, Borda, scores, ranked pairs)" },
	{ "grade",   "samples -> graded samples (OpenAI grader semantics + gene_rank); --serve for RL" },
	{ "pheval",  "samples -> PhEval gene and disease result files, one per phenopacket" },
	{ "prompt",  "cases -> chat prompts (RFT training lines, Batch API lines, plain chat)" },
	{ "rank",    "cases -> samples from the built-in phenotype ranker (no API key)" },
	{ "report",  "graded samples -> Top-k, MRR, reward with intervals; comparisons; HTML" },
	{ "run",     "run a YAML pipeline: incremental, locked, resumable, sharded with GNU parallel" },
	{ "split",   "cases -> train/valid/test with no causal gene in two splits; audit" },
	{ "train",   "cases -> a tuned ranker model: RL fine-tuning (GRPO) with the grader as reward" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(*commands))

static void usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: rft [--version] [--help] COMMAND [ARGS]...\n"
		"\nrftkit: datasets, graders and reports for reinforcement fine-tuning of\n"
		"rare-disease gene-ranking models.  Commands:\n\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'rft COMMAND ARGS' runs 'rft-COMMAND ARGS'; 'rft help COMMAND' shows its help.\n");
}

static const struct command *find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void run(const char *name, int argc, char **argv)
{
	struct strbuf prog = STRBUF_INIT, path = STRBUF_INIT;
	char self[PATH_MAX];
	ssize_t n;
	char **args = ecalloc((size_t)argc + 1, sizeof(*args));
	int i;

	strbuf_addf(&prog, "rft-%s", name);
	args[0] = prog.buf;
	for (i = 1; i < argc; i++)
		args[i] = argv[i];
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			strbuf_add(&path, self, (size_t)(slash - self + 1));
			strbuf_addstr(&path, prog.buf);
			if (access(path.buf, X_OK) == 0)
				execv(path.buf, args);
		}
	}
	execvp(prog.buf, args);
	die(errno == ENOENT ? RFT_EX_UNAVAILABLE : RFT_EX_SOFTWARE,
	    "cannot run '%s':", prog.buf);
}

int main(int argc, char **argv)
{
	const char *name;

	rft_init("rft");
	if (argc < 2) {
		usage(stderr);
		return RFT_EX_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("rft (rftkit) %s\n", RFT_VERSION);
		return rft_finish(RFT_EX_OK);
	}
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		if (argc > 2 && strcmp(name, "help") == 0) {
			char *args[] = { argv[2], (char *)"--help", NULL };

			if (!find(argv[2]))
				die(RFT_EX_USAGE, "'%s' is not an rft command; see 'rft help'", argv[2]);
			run(argv[2], 2, args);
		}
		usage(stdout);
		return rft_finish(RFT_EX_OK);
	}
	if (name[0] == '-') {
		error("unknown option '%s'", name);
		usage(stderr);
		return RFT_EX_USAGE;
	}
	if (!find(name))
		die(RFT_EX_USAGE, "'%s' is not an rft command; see 'rft help'", name);
	run(name, argc - 1, argv + 1);
	return RFT_EX_SOFTWARE;
}
