/*
 * rft-grade - score sample lines with OpenAI-compatible graders plus a
 * gene-aware rank grader, the same way in batch, in an RFT job (exported)
 * and as a reward coprocess for an RL trainer (--serve).
 *
 * A grader is JSON in OpenAI's grader schema (--grader FILE; the built-in
 * default is one gene_rank grader).  Every type of OpenAI's grader API and
 * gene_rank (ours): the grader module, common/grader/ (internal.h lists its
 * files); score_model, label_model and cosine call a model through
 * common/client (rft-grade is the one program that lets them load).
 *
 * Every sample line gets "grade": {"name","reward","sub_rewards","rank",
 * "predicted","max_list","errors":{...}} - the shape of OpenAI's grader run
 * response, so results can be diffed against it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/datafile.h"
#include "common/grader.h"
#include "common/hgnc.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/template.h"
#include "common/util.h"

static struct {
	const char *grader;
	const char *hgnc;
	const char *rejects;
	const char *output;
	const char *export_openai;
	const char *dataset;
	long long skip_bad, threads;
	int validate, serve, stats;
} opt = { NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, 0, 0, 0 };

/* what the graders borrow: HGNC is loaded after the grader (--validate needs none) */
static struct grader_env env = { NULL, 5.0, 1024, NULL };
static struct hgnc hgnc;
static int have_hgnc;

/* ------------------------------------------------------------------ serve */

/* One request a line: {"item":..,"sample":..} or {"item":..,"output_text":..};
 * one answer a line, flushed: {"reward":..,"grade":{..}} or {"error":".."}. */
/* ------------------------------------------------------------- batch */

struct graded {        /* what a worker thread leaves for the tally */
	double reward;
	long rank;
	int errors;
};

struct grade_ctx {
	const struct grader *g;
	struct rft_output *out;
	unsigned long long n, found, errs;
	unsigned long long server_errs;   /* lines a model grader's call failed for */
	double total;
};

/* on a worker thread: grade one line, and make it the output line.  A
 * gene_rank grader reads the line's values as spans (no tree built); a line
 * that wants more, and every other grader, gets the tree. */
static void grade_job(struct rft_record_job *job, void *vctx)
{
	const struct grade_ctx *ctx = vctx;
	struct graded *gd = job->user;
	struct strbuf *sb = &job->aux;   /* kept from line to line: no malloc */
	struct json_object *obj = job->obj;
	struct grade_result res;

	grade_result_init(&res);
	if (job->span && grade_line_spans(ctx->g, job->span, &res, sb) == 0) {
		obj = NULL;   /* no "grade" on the line: rft_record_put splices it in */
	} else {
		if (job->span && rft_json_parse_paths(job->line.buf, job->line.len, NULL, &obj, &job->err) < 0)
			die(RFT_EX_SOFTWARE, "%s: the line read as spans but not as a tree: %s",
			    job->where.buf, job->err.buf);
		grade_line(ctx->g, obj, &res);
	}
	strbuf_reset(sb);
	grade_put(sb, ctx->g, &res);
	rft_record_put(&job->line, obj, "grade", sb->buf);
	strbuf_addch(&job->line, '\n');
	if (obj != job->obj)
		json_object_put(obj);
	gd->reward = res.reward;
	gd->rank = res.rank;
	gd->errors = res.errors;
	grade_result_release(&res);
}

/* in input order */
static void grade_done(struct rft_record_job *job, void *vctx)
{
	struct grade_ctx *ctx = vctx;
	const struct graded *gd = job->user;

	rft_output_write(ctx->out, job->line.buf, job->line.len);
	ctx->n++;
	ctx->total += gd->reward;
	ctx->found += gd->rank > 0;
	ctx->errs += gd->errors != 0;
	ctx->server_errs += (gd->errors & GRADE_ERR_UNRESPONSIVE) != 0;
}

#define RFT_SERVE_MAX ((size_t)64 << 20)  /* longest request line */

static int serve(const struct grader *g)
{
	/* getline, not the zlib reader: a coprocess gets one request at a time
	 * and must answer it before the next comes (gzread waits for a full
	 * buffer or the end of input) */
	struct strbuf line = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	int r;

	while ((got = getline(&buf, &cap, stdin)) >= 0) {
		struct json_object *req = NULL, *item, *sample;
		struct grade_result res;

		strbuf_reset(&out);
		strbuf_reset(&err);
		strbuf_reset(&line);
		strbuf_add(&line, buf, (size_t)got);
		while (line.len && (line.buf[line.len - 1] == '\n' || line.buf[line.len - 1] == '\r'))
			strbuf_setlen(&line, line.len - 1);
		r = line.len > RFT_SERVE_MAX ? -1 : 0;
		if (r < 0) {
			strbuf_addstr(&out, "{\"error\":\"request line too long\"}\n");
		} else if (rft_json_parse(line.buf, line.len, &req, &err) < 0 ||
			   !req || !json_object_is_type(req, json_type_object)) {
			strbuf_addstr(&out, "{\"error\":");
			json_put_str(&out, err.len ? err.buf : "a request must be a JSON object");
			strbuf_addstr(&out, "}\n");
		} else {
			item = rft_json_get(req, "item");
			sample = rft_json_get(req, "sample");
			if (!sample && rft_json_get(req, "output_text")) {
				sample = json_object_new_object();
				json_object_object_add(sample, "output_text",
						       json_object_get(rft_json_get(req, "output_text")));
				json_object_object_add(req, "sample", sample);
			}
			if (!item)
				item = json_object_new_object(), json_object_object_add(req, "item", item);
			grade_result_init(&res);
			if (!sample)
				grade_fail(&res, GRADE_ERR_PARSE, "no \"sample\" or \"output_text\" in the request");
			else
				grade_one(g, item, sample, &res);
			strbuf_addstr(&out, "{\"reward\":");
			json_put_double(&out, res.reward);
			strbuf_addstr(&out, ",\"grade\":");
			grade_put(&out, g, &res);
			strbuf_addstr(&out, "}\n");
			grade_result_release(&res);
		}
		json_object_put(req);
		if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
			rft_stdout_failed();
	}
	if (ferror(stdin))
		die(RFT_EX_IOERR, "reading requests:");
	free(buf);
	strbuf_release(&line);
	strbuf_release(&out);
	strbuf_release(&err);
	return RFT_EX_OK;
}

/* ------------------------------------------------------------------ main */

enum { OPT_GRADER = 256, OPT_HGNC, OPT_REJECTS, OPT_SKIP_BAD, OPT_STATS, OPT_VALIDATE,
       OPT_SERVE, OPT_EXPORT, OPT_DATASET, OPT_PY_TIMEOUT, OPT_PY_MEMORY, OPT_TIES };

static const struct rft_opt options[] = {
	{ 'g', "grader", RFT_ARG_REQ, "FILE", "grader JSON in OpenAI's schema (default: one gene_rank grader)" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE", "HGNC complete set to normalise gene names (default $RFT_HGNC, else hgnc/ of the data folder: see rft(1))" },
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write graded lines to FILE (atomically)" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write skipped bad lines to FILE" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (count, reject) up to N bad lines instead of stopping" },
	{ 'j', "threads", RFT_ARG_REQ, "N", "grade on N threads (default: the CPUs, at most 8; a python grader uses one)" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print a summary on stderr" },
	{ OPT_VALIDATE, "validate", RFT_ARG_NONE, NULL, "check the grader file and exit (78 with the reason if it is wrong)" },
	{ OPT_SERVE, "serve", RFT_ARG_NONE, NULL, "coprocess: one JSON request a stdin line, one answer a stdout line" },
	{ OPT_EXPORT, "export-openai", RFT_ARG_REQ, "FILE", "write the grader as an OpenAI RFT job accepts it (gene_rank as python)" },
	{ OPT_DATASET, "dataset", RFT_ARG_REQ, "FILE", "with --export-openai: the prompt lines whose reference genes the alias table covers" },
	{ OPT_TIES, "ties", RFT_ARG_REQ, "RULE", "gene_rank: genes a sample scores equally take the worst rank of their tie (worst, PhEval's, default) or their list place (list)" },
	{ OPT_PY_TIMEOUT, "python-timeout", RFT_ARG_REQ, "SECS", "time limit of one python grade() call (default 5)" },
	{ OPT_PY_MEMORY, "python-memory", RFT_ARG_REQ, "MB", "address-space limit of the python worker (default 1024)" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-grade", "[OPTION]... [SAMPLES.jsonl]...",
	"Grade sample lines: add \"grade\" with reward, rank and error flags, as OpenAI's\n"
	"graders do, plus a gene-aware rank grader.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data, 66 input missing, 74 I/O error,\n"
	"75 a model grader's call failed on some line (its grade is 0, flagged), 77 a model\n"
	"grader's endpoint refused the key, 78 bad grader file.  See rft-grade(1).\n"
};

static void find_hgnc(void)
{
	struct strbuf err = STRBUF_INIT;
	char *path = rft_hgnc_path(opt.hgnc);

	if (!path) {
		rft_data_looked(&err, "hgnc", RFT_HGNC_OPT, "RFT_HGNC");
		warn("warning: no HGNC file found (--hgnc, RFT_HGNC, RFT_DATADIR): gene names are "
		     "compared as written, case-insensitively; looked in:\n%s", err.buf);
		strbuf_release(&err);
		return;
	}
	if (hgnc_load(&hgnc, path, &err) < 0)
		die(access(path, R_OK) == 0 ? RFT_EX_CONFIG : RFT_EX_NOINPUT, "%s", err.buf);
	have_hgnc = 1;
	env.hgnc = &hgnc;
	free(path);
	strbuf_release(&err);
}

static int export(const struct grader *g)
{
	struct strmap genes = STRMAP_INIT;
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;

	if (opt.dataset) {
		char *paths[1] = { (char *)opt.dataset };
		struct rft_records r;
		struct json_object *line;

		rft_records_init(&r, paths, 1);
		while (rft_records_next(&r, &line) > 0) {
			struct json_object *genes_ = rft_json_get(rft_json_get(line, "reference"), "genes");
			size_t i;

			for (i = 0; genes_ && json_object_is_type(genes_, json_type_array) &&
			     i < json_object_array_length(genes_); i++) {
				const char *id = rft_json_get_str(json_object_array_get_idx(genes_, i), "hgnc");

				if (id)
					strmap_intern(&genes, id, NULL);
			}
			json_object_put(line);
		}
		rft_records_release(&r);
	}
	if (grader_export_openai(g, &genes, &sb, &err) < 0)
		die(RFT_EX_DATA, "%s", err.buf);
	strbuf_addch(&sb, '\n');
	if (rft_output_open(&out, opt.export_openai) < 0)
		return RFT_EX_IOERR;
	rft_output_write(&out, sb.buf, sb.len);
	strbuf_release(&sb);
	strbuf_release(&err);
	strmap_release(&genes);
	return rft_output_commit(&out) < 0 ? RFT_EX_IOERR : RFT_EX_OK;
}

int main(int argc, char **argv)
{
	struct rft_output out;
	struct rft_records r;
	struct grade_ctx ctx;
	struct grader *g;
	struct strbuf sb = STRBUF_INIT;
	int c, status = RFT_EX_OK;

	rft_init("rft-grade");
	rft_data_argv0(argv[0]);
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'g': opt.grader = optarg; break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case 'o': opt.output = optarg; break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_STATS: opt.stats = 1; break;
		case 'j': opt.threads = (int)rft_opt_count("threads", optarg, 0, 100000);
			if (opt.threads < 1)
				die(RFT_EX_USAGE, "option '--threads' needs a whole number above 0, not '%s'", optarg);
			break;
		case OPT_VALIDATE: opt.validate = 1; break;
		case OPT_SERVE: opt.serve = 1; break;
		case OPT_EXPORT: opt.export_openai = optarg; break;
		case OPT_DATASET: opt.dataset = optarg; break;
		case OPT_TIES:
			if (strcmp(optarg, "worst") && strcmp(optarg, "list"))
				die(RFT_EX_USAGE, "option '--ties' takes worst or list, not '%s'", optarg);
			env.ties = optarg;
			break;
		case OPT_PY_TIMEOUT: env.py_timeout = rft_opt_num("python-timeout", optarg, 0.001); break;
		case OPT_PY_MEMORY: env.py_memory_mb = (long)rft_opt_count("python-memory", optarg, 1, 1L << 30); break;
		}
	}
	grader_allow_models(1);   /* score_model, label_model, cosine: rft-grade(1) MODEL GRADERS */
	g = grader_load_file(opt.grader, &env);
	if (opt.validate) {
		grader_free(g);
		return rft_finish(RFT_EX_OK);
	}
	find_hgnc();
	if (opt.export_openai) {
		if (!have_hgnc)
			die(RFT_EX_CONFIG, "--export-openai needs the HGNC file (--hgnc) for its alias table");
		status = export(g);
		goto done;
	}
	if (opt.serve) {
		status = serve(g);
		goto done;
	}

	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&r, opt.rejects) < 0)
		return rft_finish(RFT_EX_IOERR);
	if ((r.spans = grader_span_paths(g)))   /* a gene_rank grader: values read as spans */
		r.nspans = GS_N;
	memset(&ctx, 0, sizeof(ctx));
	ctx.g = g;
	ctx.out = &out;
	/* a python grader talks to one worker process: one thread then */
	rft_records_map(&r, grader_uses_python(g) ? 1 : rft_threads(opt.threads), sizeof(struct graded), grade_job,
			grade_done, &ctx);
	if (opt.stats || isatty(STDERR_FILENO))
		warn("%llu lines graded, mean reward %.4f, reference found in %llu, %llu with an "
		     "error flag, %llu bad lines skipped", ctx.n, ctx.n ? ctx.total / (double)ctx.n : 0.0,
		     ctx.found, ctx.errs, r.nbad);
	if (ctx.server_errs) {
		/* a reward of 0 because an endpoint failed is not the answer's: say so, and exit 75 */
		warn("%llu line%s graded 0 because a model grader's call failed (model_grader_server_error; "
		     "the message on each says why); with RFT_GRADER_CACHE a rerun pays only for those",
		     ctx.server_errs, ctx.server_errs == 1 ? "" : "s");
		status = RFT_EX_TEMPFAIL;
	}
	rft_records_release(&r);
	if (rft_records_commit_rejects(&r) < 0)
		status = RFT_EX_IOERR;
	if (rft_output_commit(&out) < 0)
		status = RFT_EX_IOERR;
done:
	strbuf_release(&sb);
	grader_free(g);
	if (have_hgnc)
		hgnc_release(&hgnc);
	return rft_finish(status);
}
