/*
 * rft-fuse - several runs' sample lines in, one fused sample line per case
 * out, ranked by a declared rule (common/fuse.h states the rules, the tie
 * rule and how lists are read; rft-fuse(1) says the same for users).
 *
 * Without --sorted every run is read first (memory: every input list plus
 * the first line of each case without its sample); with --sorted the runs
 * are merged by case id and one case at a time is held.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/fuse.h"
#include "common/input.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

struct run {
	char *name;
	char *file;
	char *paths[1];
	double weight;
	int weight_set;
	struct rft_records r;
	struct json_object *head;    /* --sorted: the next line, read ahead */
	char *last_id;               /* --sorted: the id of the last line */
	unsigned long long missing, errors, lines, unparsed;
};

static struct {
	struct fuse_params p;
	int k_set, depth_set, rule_set;
	int sorted, allow_missing;
	const char *output, *spec;
} opt = { FUSE_PARAMS_INIT, 0, 0, 0, 0, 0, NULL, NULL };

static struct run *runs;
static size_t nruns;
static double *weights;
static struct rft_output out;
static unsigned long long ncases, nunscored;

enum { OPT_RULE = 256, OPT_K, OPT_DEPTH, OPT_WEIGHT, OPT_SORTED, OPT_ALLOW_MISSING, OPT_SPEC };

static const struct rft_opt options[] = {
	{ OPT_RULE, "rule", RFT_ARG_REQ, "RULE", "rrf (default), borda, score or rankedpairs (Tideman's ranked pairs)" },
	{ OPT_K, "k", RFT_ARG_REQ, "K", "rrf: score w/(K + rank) (default 60)" },
	{ OPT_DEPTH, "depth", RFT_ARG_REQ, "N", "only the top N genes of each list count (default 0: all)" },
	{ OPT_WEIGHT, "weight", RFT_ARG_REQ, "NAME=W", "weight of run NAME (default 1; 0 leaves it out); repeat" },
	{ OPT_SPEC, "spec", RFT_ARG_REQ, "FILE", "rule, k, depth and weights from a fusion spec (rft-train --fuse); options override it" },
	{ OPT_SORTED, "sorted", RFT_ARG_NONE, NULL, "the runs are sorted by case id (checked): stream, one case in memory" },
	{ OPT_ALLOW_MISSING, "allow-missing", RFT_ARG_NONE, NULL, "fuse a case some run lacks without it (announced, recorded) instead of stopping" },
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write to FILE (atomically; default stdout)" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-fuse", "[OPTION]... RUN...",
	"Fuse the ranked gene lists of several runs' sample lines (RUN is FILE or NAME=FILE;\n"
	"several lines of one case in a run, as rft-call --n writes, are each a list of it)\n"
	"into one sample line per case, by reciprocal rank fusion, Borda, weighted scores\n"
	"or ranked pairs.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data (a malformed line, a case missing from a\n"
	"run, unsorted input with --sorted), 66 input missing, 74 I/O error, 78 bad spec file.\n"
	"See rft-fuse(1).\n"
};

/* ------------------------------------------------------------- runs */

static struct run *find_run(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < nruns; i++)
		if (strlen(runs[i].name) == n && !memcmp(runs[i].name, name, n))
			return &runs[i];
	return NULL;
}

static void add_run(struct run *r, const char *arg)
{
	memset(r, 0, sizeof(*r));
	r->weight = 1;
	fuse_run_arg(arg, &r->name, &r->file);
	if (!*r->name)
		rft_usage_error("run '%s' has no name: give it as NAME=FILE", arg);
}

static void set_weight(const char *name, size_t n, double w, int from_spec)
{
	struct run *r = find_run(name, n);

	if (!r) {
		if (from_spec)
			die(RFT_EX_CONFIG, "%s: weights name run '%.*s', which is not given", opt.spec, (int)n, name);
		rft_usage_error("--weight names run '%.*s', which is not given", (int)n, name);
	}
	if (from_spec && r->weight_set)
		return;   /* the command line wins */
	r->weight = w;
	r->weight_set = !from_spec;
}

static void weight_arg(const char *arg)
{
	const char *eq = strrchr(arg, '=');
	char *end;
	double w;

	if (!eq || eq == arg)
		rft_usage_error("option '--weight' needs NAME=W, not '%s'", arg);
	errno = 0;
	w = strtod(eq + 1, &end);
	if (!eq[1] || *end || errno || !isfinite(w) || w < 0)
		rft_usage_error("option '--weight' needs a number >= 0 after '=', not '%s'", arg);
	set_weight(arg, (size_t)(eq - arg), w, 0);
}

/* the fusion spec rft-train --fuse writes: {"rule","k","depth","weights":{NAME:W}}, other members ignored */
static void read_spec(const char *path)
{
	struct json_object *v, *spec = rft_json_load_object(path, RFT_MAX_RECORD_DEFAULT, RFT_EX_CONFIG,
							     "not a fusion spec");

	if ((v = rft_json_get(spec, "rule")) && !opt.rule_set) {
		if (!json_object_is_type(v, json_type_string) ||
		    fuse_rule_parse(json_object_get_string(v), &opt.p.rule) < 0)
			die(RFT_EX_CONFIG, "%s: \"rule\" is none of rrf, borda, score, rankedpairs", path);
	}
	if ((v = rft_json_get(spec, "k")) && !opt.k_set) {
		if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
		    !(json_object_get_double(v) >= 0))
			die(RFT_EX_CONFIG, "%s: \"k\" is not a number >= 0", path);
		opt.p.k = json_object_get_double(v);
	}
	if ((v = rft_json_get(spec, "depth")) && !opt.depth_set) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			die(RFT_EX_CONFIG, "%s: \"depth\" is not a whole number >= 0", path);
		opt.p.depth = (size_t)json_object_get_int64(v);
	}
	if ((v = rft_json_get(spec, "weights"))) {
		struct json_object_iterator it = json_object_iter_begin(v), end = json_object_iter_end(v);

		if (!json_object_is_type(v, json_type_object))
			die(RFT_EX_CONFIG, "%s: \"weights\" is not an object", path);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *name = json_object_iter_peek_name(&it);
			struct json_object *w = json_object_iter_peek_value(&it);

			if (!(json_object_is_type(w, json_type_int) || json_object_is_type(w, json_type_double)) ||
			    !(json_object_get_double(w) >= 0) || !isfinite(json_object_get_double(w)))
				die(RFT_EX_CONFIG, "%s: the weight of '%s' is not a number >= 0", path, name);
			set_weight(name, strlen(name), json_object_get_double(w), 1);
		}
	}
	json_object_put(spec);
}

/* ------------------------------------------------------------ output */

static void put_fused(const struct fuse_case *c)
{
	struct fuse_list *lists = ecalloc(fuse_case_nlines(c) + 1, sizeof(*lists));
	struct fuse_result res = FUSE_RESULT_INIT;
	struct strbuf sb = STRBUF_INIT, genes = STRBUF_INIT;
	size_t n = fuse_case_lists(c, weights, lists), i, r, nmissing = 0;

	fuse_rank(&opt.p, lists, n, &res);
	nunscored += res.unscored;
	strbuf_addch(&genes, '[');
	for (i = 0; i < res.n; i++) {
		if (i)
			strbuf_addch(&genes, ',');
		json_put_strn(&genes, res.items[i].symbol, res.items[i].symlen);
	}
	strbuf_addch(&genes, ']');
	strbuf_addstr(&sb, c->base);
	if (!c->base_empty)
		strbuf_addch(&sb, ',');
	strbuf_addf(&sb, "\"sample\":{\"model\":\"rft-fuse/%s\",\"output_json\":{\"genes\":%s},\"output_text\":",
		    fuse_rule_name(opt.p.rule), genes.buf);
	strbuf_reset(&genes);
	strbuf_addstr(&genes, "{\"genes\":[");
	for (i = 0; i < res.n; i++) {
		if (i)
			strbuf_addch(&genes, ',');
		json_put_strn(&genes, res.items[i].symbol, res.items[i].symlen);
	}
	strbuf_addstr(&genes, "]}");
	json_put_str(&sb, genes.buf);
	strbuf_addstr(&sb, ",\"finish_reason\":\"stop\",\"ranking\":[");
	for (i = 0; i < res.n; i++) {
		const struct fuse_item *it = &res.items[i];

		strbuf_addstr(&sb, i ? ",{\"symbol\":" : "{\"symbol\":");
		json_put_strn(&sb, it->symbol, it->symlen);
		if (it->hgnc) {
			strbuf_addstr(&sb, ",\"hgnc\":");
			json_put_str(&sb, it->hgnc);
		}
		if (!isnan(it->score)) {
			strbuf_addstr(&sb, ",\"fused_score\":");
			json_put_double(&sb, it->score);
		}
		strbuf_addf(&sb, ",\"best\":%zu,\"lists\":%zu}", it->best, it->nlists);
	}
	strbuf_addf(&sb, "],\"fuse\":{\"rule\":\"%s\"", fuse_rule_name(opt.p.rule));
	if (opt.p.rule == FUSE_RRF) {
		strbuf_addstr(&sb, ",\"k\":");
		json_put_double(&sb, opt.p.k);
	}
	if (opt.p.depth)
		strbuf_addf(&sb, ",\"depth\":%zu", opt.p.depth);
	else
		strbuf_addstr(&sb, ",\"depth\":null");
	strbuf_addf(&sb, ",\"lists\":%zu", res.lists);
	if (opt.p.rule == FUSE_SCORE)
		strbuf_addf(&sb, ",\"unscored\":%zu", res.unscored);
	strbuf_addstr(&sb, ",\"runs\":[");
	for (r = 0; r < nruns; r++) {
		const struct fuse_case_run *cr = &c->runs[r];
		size_t errs = 0, unparsed = 0;

		for (i = 0; i < cr->n; i++) {
			errs += cr->lines[i].error;
			unparsed += cr->lines[i].unparsed;
		}
		runs[r].errors += errs;
		runs[r].unparsed += unparsed;
		runs[r].lines += cr->n;
		nmissing += !cr->n;
		strbuf_addstr(&sb, r ? ",{\"name\":" : "{\"name\":");
		json_put_str(&sb, runs[r].name);
		strbuf_addstr(&sb, ",\"file\":");
		json_put_str(&sb, runs[r].file);
		strbuf_addstr(&sb, ",\"models\":[");
		for (i = 0; i < cr->nmodels; i++) {
			if (i)
				strbuf_addch(&sb, ',');
			json_put_str(&sb, cr->models[i]);
		}
		strbuf_addstr(&sb, "],\"weight\":");
		json_put_double(&sb, weights[r]);
		strbuf_addf(&sb, ",\"lines\":%zu,\"lists\":%zu,\"errors\":%zu,\"unparsed\":%zu}",
			    cr->n, cr->n - errs, errs, unparsed);
	}
	strbuf_addstr(&sb, "],\"missing\":[");
	for (r = 0, i = 0; r < nruns; r++)
		if (!c->runs[r].n) {
			if (!opt.allow_missing)
				die(RFT_EX_DATA, "case '%s' is missing from run '%s' (%s)%s; --allow-missing fuses without it",
				    c->id, runs[r].name, runs[r].file,
				    opt.sorted ? " (or the run is not sorted by id, as --sorted says)" : "");
			runs[r].missing++;
			if (i++)
				strbuf_addch(&sb, ',');
			json_put_str(&sb, runs[r].name);
		}
	strbuf_addstr(&sb, "]}}}\n");
	(void)nmissing;
	rft_output_write(&out, sb.buf, sb.len);
	ncases++;
	fuse_result_release(&res);
	free(lists);
	strbuf_release(&sb);
	strbuf_release(&genes);
}

/* ------------------------------------------------------------- input */

/* obj's id, or the line is bad */
static const char *line_id(struct run *r, struct json_object *obj)
{
	const char *id = fuse_line_id(obj);

	if (!id)
		rft_records_bad(&r->r, "no string \"id\": cannot tell which case the line is");
	return id;
}

static void add_line(struct fuse_case *c, struct run *r, struct json_object *obj)
{
	struct strbuf err = STRBUF_INIT;

	if (fuse_case_add(c, (size_t)(r - runs), obj, &err) < 0)
		rft_records_bad(&r->r, "%s", err.buf);
	strbuf_release(&err);
}

static void fuse_all(void)
{
	struct strmap ids = STRMAP_INIT;
	struct fuse_case *cases = NULL;
	size_t ncase = 0, alloc = 0, i, r;
	struct json_object *obj;

	for (r = 0; r < nruns; r++) {
		while (rft_records_next(&runs[r].r, &obj) > 0) {
			const char *id = line_id(&runs[r], obj);
			int added = 0;
			long idx = strmap_intern(&ids, id, &added);

			if (added) {
				if (ncase == alloc) {
					alloc = alloc ? 2 * alloc : 256;
					cases = erealloc(cases, alloc * sizeof(*cases));
				}
				fuse_case_init(&cases[ncase++], id, nruns, obj);
			}
			add_line(&cases[idx], &runs[r], obj);
			json_object_put(obj);
		}
		rft_records_release(&runs[r].r);
	}
	for (i = 0; i < ncase; i++) {
		put_fused(&cases[i]);
		fuse_case_release(&cases[i]);
	}
	free(cases);
	strmap_release(&ids);
}

/* --sorted: read run r's next line into its head, checking the order */
static void advance(struct run *r)
{
	struct json_object *obj;
	const char *id;

	json_object_put(r->head);
	r->head = NULL;
	if (rft_records_next(&r->r, &obj) <= 0)
		return;
	id = line_id(r, obj);
	if (r->last_id && strcmp(id, r->last_id) < 0)
		rft_records_bad(&r->r, "case '%s' comes after '%s': not sorted by id (--sorted; sort with LC_ALL=C)",
				id, r->last_id);
	free(r->last_id);
	r->last_id = estrdup(id);
	r->head = obj;
}

static void fuse_sorted(void)
{
	size_t r;

	for (r = 0; r < nruns; r++)
		advance(&runs[r]);
	for (;;) {
		const char *cur = NULL;
		struct fuse_case c;
		int started = 0;

		for (r = 0; r < nruns; r++)
			if (runs[r].head && (!cur || strcmp(fuse_line_id(runs[r].head), cur) < 0))
				cur = fuse_line_id(runs[r].head);
		if (!cur)
			break;
		for (r = 0; r < nruns; r++) {
			while (runs[r].head) {
				const char *id = fuse_line_id(runs[r].head);

				if (started ? strcmp(id, c.id) : strcmp(id, cur))
					break;
				if (!started) {
					fuse_case_init(&c, id, nruns, runs[r].head);
					started = 1;
				}
				add_line(&c, &runs[r], runs[r].head);
				advance(&runs[r]);
			}
		}
		put_fused(&c);
		fuse_case_release(&c);
	}
	for (r = 0; r < nruns; r++) {
		rft_records_release(&runs[r].r);
		free(runs[r].last_id);
	}
}

int main(int argc, char **argv)
{
	const char **wargs;
	size_t nw = 0, i;
	int c;

	rft_init("rft-fuse");
	wargs = ecalloc((size_t)argc + 1, sizeof(*wargs));
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case OPT_RULE:
			if (fuse_rule_parse(optarg, &opt.p.rule) < 0)
				rft_usage_error("option '--rule' needs rrf, borda, score or rankedpairs, not '%s'", optarg);
			opt.rule_set = 1;
			break;
		case OPT_K: opt.p.k = rft_opt_num("k", optarg, 0); opt.k_set = 1; break;
		case OPT_DEPTH: opt.p.depth = (size_t)rft_opt_count("depth", optarg, 0, 1000000); opt.depth_set = 1; break;
		case OPT_WEIGHT: wargs[nw++] = optarg; break;
		case OPT_SPEC: opt.spec = optarg; break;
		case OPT_SORTED: opt.sorted = 1; break;
		case OPT_ALLOW_MISSING: opt.allow_missing = 1; break;
		case 'o': opt.output = optarg; break;
		default: return RFT_EX_USAGE;
		}
	}
	if (optind >= argc)
		rft_usage_error("no RUN given: name one or more files of sample lines");
	nruns = (size_t)(argc - optind);
	runs = ecalloc(nruns, sizeof(*runs));
	weights = ecalloc(nruns, sizeof(*weights));
	for (i = 0; i < nruns; i++) {
		add_run(&runs[i], argv[optind + (int)i]);
		if (find_run(runs[i].name, strlen(runs[i].name)) != &runs[i])
			rft_usage_error("two runs are named '%s': name them NAME=FILE", runs[i].name);
	}
	for (i = 0; i < nw; i++)
		weight_arg(wargs[i]);
	free(wargs);
	if (opt.spec)
		read_spec(opt.spec);
	for (i = 0; i < nruns; i++) {
		weights[i] = runs[i].weight;
		runs[i].paths[0] = runs[i].file;
		rft_records_init(&runs[i].r, runs[i].paths, 1);
	}
	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (opt.sorted)
		fuse_sorted();
	else
		fuse_all();
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	for (i = 0; i < nruns; i++) {
		if (runs[i].missing)
			warn("run '%s' (%s): %llu of %llu cases missing, fused without it (--allow-missing)",
			     runs[i].name, runs[i].file, runs[i].missing, ncases);
		if (runs[i].errors)
			warn("run '%s' (%s): %llu error lines, each counted as a missing list",
			     runs[i].name, runs[i].file, runs[i].errors);
		if (runs[i].unparsed)
			warn("run '%s' (%s): %llu samples without a genes list, each counted as an empty list",
			     runs[i].name, runs[i].file, runs[i].unparsed);
	}
	if (nunscored)
		warn("%llu lists had no scores and were scored by place (n - rank + 1; see sample.fuse.unscored)",
		     nunscored);
	for (i = 0; i < nruns; i++) {
		free(runs[i].name);
		free(runs[i].file);
	}
	free(runs);
	free(weights);
	rft_json_thread_done();
	return rft_finish(RFT_EX_OK);
}
