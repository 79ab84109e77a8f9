/*
 * rft-pheval - sample (or graded) lines -> PhEval result files, one per
 * phenopacket file, keyed by the file's stem.
 *
 * Every record is read and checked first (stems, lists); only then are the
 * files written, each atomically, so a refused input leaves the folder as it
 * was.  Ranks follow PhEval's rule (post_processing.py, _rank_results:
 * polars rank(method="max") on the score, higher is better): tied scores
 * share the worst rank.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafile.h"
#include "common/exitcodes.h"
#include "common/hgnc.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

enum { OPT_HGNC = 256, OPT_FORCE, OPT_STATS, OPT_SKIP_BAD, OPT_REJECTS };

static const struct rft_opt opts[] = {
	{ 'o', "output-dir", RFT_ARG_REQ, "DIR", "write the result folders into DIR (required)" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE|DIR", "HGNC complete set, to give model gene names their HGNC ids (default $RFT_HGNC, else hgnc/ of the data folder: see rft(1))" },
	{ OPT_FORCE, "force", RFT_ARG_NONE, NULL, "replace result files already in DIR (and remove those this run does not write)" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip up to N bad lines (all if no N), warning about each" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write the skipped lines to FILE" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print a summary on stderr" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-pheval", "-o DIR [OPTION]... [SAMPLES.jsonl]...",
	"Write sample lines as PhEval gene and disease results, one file per phenopacket.",
	opts,
	"DIR/pheval_gene_results/STEM-gene_result.tsv: rank, score, gene_symbol, gene_identifier;\n"
	"DIR/pheval_disease_results/STEM-disease_result.tsv: rank, score, disease_name, disease_identifier;\n"
	"STEM is the case's source file name without .json.  Tied scores share the worst rank.\n"
	"DIR/rft-pheval.json records the inputs, models and how each score was made.\n"
	"See rft-pheval(1) for turning the files into PhEval's Parquet.\n"
};

struct row {
	char *symbol, *id;      /* id "" when unknown */
	double score;
	size_t order;           /* position in the list */
	long rank;
};

enum score_how { SCORE_RANKING, SCORE_ORDER, SCORE_NONE };

struct result {
	char *stem, *where, *model;
	enum score_how how;
	int error;              /* sample is an error line or has no list */
	int has_via;            /* ranking entries name diseases */
	struct row *genes, *dis;
	size_t ngenes, ndis;
	size_t unresolved, dup;
};

static struct {
	const char *dir, *hgnc, *rejects;
	int force, stats;
	long long skip_bad;
} opt = { NULL, NULL, NULL, 0, 0, -1 };

static struct result *res;
static size_t nres, res_alloc;
static struct strmap stems = STRMAP_INIT;
static struct hgnc H;
static int hgnc_loaded;
static size_t nvia;             /* ranking entries naming a disease, in all the input */
static struct {
	size_t ranking, order, error, nolist, unresolved, dup, gene_rows, dis_rows, dis_files, stale;
} count;

static void load_hgnc(void)
{
	struct strbuf err = STRBUF_INIT;
	char *path;

	if (hgnc_loaded)
		return;
	if (!(path = rft_hgnc_path(opt.hgnc)))
		rft_data_die("HGNC", "hgnc", RFT_HGNC_OPT, "RFT_HGNC");
	if (access(path, R_OK) < 0)
		die(RFT_EX_NOINPUT, "cannot open '%s':", path);
	if (hgnc_load(&H, path, &err) < 0)
		die(strstr(err.buf, "not an HGNC") || strstr(err.buf, "no genes") ? RFT_EX_CONFIG : RFT_EX_DATA,
		    "%s", err.buf);
	free(path);
	strbuf_release(&err);
	hgnc_loaded = 1;
}

/* the phenopacket file's stem: the source's last path part without .json */
static char *source_stem(const char *source)
{
	const char *b = strrchr(source, '/');
	size_t n;

	b = b ? b + 1 : source;
	n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".json"))
		n -= 5;
	return estrndup(b, n);
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* sort by score (higher first, list order kept among equals); tied scores share the worst rank */
static void rank_rows(struct row *rows, size_t n)
{
	size_t i, j;

	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_row);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && rows[j].score == rows[i].score; j++)
			;
		for (size_t k = i; k < j; k++)
			rows[k].rank = (long)j;
	}
}

static int str_field(struct json_object *o, const char *key, const char **out)
{
	struct json_object *v = rft_json_get(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return 0;
}

static void add_disease(struct result *re, const char *id, const char *label, double score)
{
	size_t i;

	for (i = 0; i < re->ndis; i++)
		if (!strcmp(re->dis[i].id, id)) {
			if (score > re->dis[i].score)
				re->dis[i].score = score;
			if (!*re->dis[i].symbol && label)
				{ free(re->dis[i].symbol); re->dis[i].symbol = estrdup(label); }
			return;
		}
	re->dis = erealloc(re->dis, (re->ndis + 1) * sizeof(*re->dis));
	re->dis[re->ndis].id = estrdup(id);
	re->dis[re->ndis].symbol = estrdup(label ? label : "");
	re->dis[re->ndis].score = score;
	re->dis[re->ndis].order = re->ndis;
	re->ndis++;
}

/* 0, or -1 with the reason in err */
static int read_ranking(struct result *re, struct json_object *ranking, struct strbuf *err)
{
	size_t i, n = json_object_array_length(ranking);

	re->genes = ecalloc(n ? n : 1, sizeof(*re->genes));
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(ranking, i), *sc;
		const char *sym, *id, *via, *vlab;

		if (!json_object_is_type(e, json_type_object))
			return strbuf_addf(err, "sample.ranking[%zu] is not an object", i), -1;
		if (str_field(e, "symbol", &sym) < 0 || !sym)
			return strbuf_addf(err, "sample.ranking[%zu].symbol is not a string", i), -1;
		sc = rft_json_get(e, "score");
		if (!sc || !(json_object_is_type(sc, json_type_double) || json_object_is_type(sc, json_type_int)))
			return strbuf_addf(err, "sample.ranking[%zu].score is not a number", i), -1;
		if (str_field(e, "hgnc", &id) < 0)
			return strbuf_addf(err, "sample.ranking[%zu].hgnc is neither a string nor null", i), -1;
		if (str_field(e, "via", &via) < 0)
			return strbuf_addf(err, "sample.ranking[%zu].via is neither a string nor null", i), -1;
		if (str_field(e, "via_label", &vlab) < 0)
			return strbuf_addf(err, "sample.ranking[%zu].via_label is neither a string nor null", i), -1;
		if (!id) {
			long g;
			enum hgnc_how how;

			load_hgnc();
			g = hgnc_resolve_text(&H, sym, &how);
			id = g >= 0 ? hgnc_id(&H, g) : NULL;
		}
		if (!id)
			re->unresolved++;
		re->genes[i].symbol = estrdup(sym);
		re->genes[i].id = estrdup(id ? id : "");
		re->genes[i].score = json_object_get_double(sc);
		re->genes[i].order = i;
		re->ngenes++;
		if (rft_json_get(e, "via"))
			re->has_via = 1;
		if (via) {
			add_disease(re, via, vlab, re->genes[i].score);
			nvia++;
		}
	}
	return 0;
}

/* a model's list of names: scores from list order (n - i), duplicates of one gene dropped */
static int read_names(struct result *re, struct json_object *genes, struct strbuf *err)
{
	size_t i, n = json_object_array_length(genes);
	struct strmap seen = STRMAP_INIT;

	load_hgnc();
	re->genes = ecalloc(n ? n : 1, sizeof(*re->genes));
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(genes, i);
		const char *name, *id, *sym;
		long g;
		enum hgnc_how how;
		int added;

		if (!json_object_is_type(e, json_type_string)) {
			strmap_release(&seen);
			return strbuf_addf(err, "sample.output_json.genes[%zu] is not a string", i), -1;
		}
		name = json_object_get_string(e);
		g = hgnc_resolve_text(&H, name, &how);
		id = g >= 0 ? hgnc_id(&H, g) : NULL;
		sym = g >= 0 ? hgnc_symbol(&H, g) : name;
		if (id) {
			strmap_intern(&seen, id, &added);
			if (!added) {
				re->dup++;
				continue;
			}
		} else {
			re->unresolved++;
		}
		re->genes[re->ngenes].symbol = estrdup(sym);
		re->genes[re->ngenes].id = estrdup(id ? id : "");
		re->genes[re->ngenes].score = (double)(n - i);
		re->genes[re->ngenes].order = re->ngenes;
		re->ngenes++;
	}
	strmap_release(&seen);
	return 0;
}

static void take(struct rft_records *r, struct json_object *obj)
{
	const char *source, *model = NULL;
	struct json_object *sample, *oj, *list;
	struct result re;
	struct strbuf err = STRBUF_INIT;
	long slot;
	int added;

	memset(&re, 0, sizeof(re));
	if (str_field(obj, "source", &source) < 0 || !source || !*source) {
		rft_records_bad(r, "no \"source\" string: the phenopacket file's stem cannot be known");
		return;
	}
	re.stem = source_stem(source);
	if (!*re.stem || !strcmp(re.stem, ".") || !strcmp(re.stem, "..")) {
		rft_records_bad(r, "source \"%s\" names no file", source);
		free(re.stem);
		return;
	}
	sample = rft_json_get(obj, "sample");
	if (rft_json_get(obj, "error") || (sample && json_object_is_type(sample, json_type_object) &&
					   rft_json_get(sample, "error"))) {
		re.error = 1;
	} else if (!sample || !json_object_is_type(sample, json_type_object)) {
		rft_records_bad(r, "no \"sample\" object (give rft-rank, rft-call or rft-grade lines)");
		free(re.stem);
		return;
	} else {
		if (str_field(sample, "model", &model) < 0)
			model = NULL;
		list = rft_json_get(sample, "ranking");
		oj = rft_json_get(sample, "output_json");
		if (list && json_object_is_type(list, json_type_array)) {
			re.how = SCORE_RANKING;
			if (read_ranking(&re, list, &err) < 0)
				goto bad;
		} else if (list) {
			strbuf_addf(&err, "sample.ranking is %s, not an array", rft_json_type_name(list));
			goto bad;
		} else if (oj && json_object_is_type(oj, json_type_object) &&
			   (list = rft_json_get(oj, "genes")) && json_object_is_type(list, json_type_array)) {
			re.how = SCORE_ORDER;
			if (read_names(&re, list, &err) < 0)
				goto bad;
		} else {
			re.error = 2;   /* the model's answer holds no list */
		}
	}
	if (re.error)
		re.how = SCORE_NONE;
	slot = strmap_intern(&stems, re.stem, &added);
	if (!added)
		die(RFT_EX_DATA, "%s: stem '%s' (source \"%s\") was already given by %s: one result file "
		    "per phenopacket file, refusing to write either", r->where.buf, re.stem, source,
		    res[slot].where);
	re.where = estrdup(r->where.buf);
	re.model = estrdup(model ? model : "");
	rank_rows(re.genes, re.ngenes);
	rank_rows(re.dis, re.ndis);
	if (nres == res_alloc) {
		res_alloc = res_alloc ? 2 * res_alloc : 256;
		res = erealloc(res, res_alloc * sizeof(*res));
	}
	res[nres++] = re;
	count.ranking += re.how == SCORE_RANKING;
	count.order += re.how == SCORE_ORDER;
	count.error += re.error == 1;
	count.nolist += re.error == 2;
	count.unresolved += re.unresolved;
	count.dup += re.dup;
	strbuf_release(&err);
	return;
bad:
	rft_records_bad(r, "%s", err.buf);
	strbuf_release(&err);
	for (size_t i = 0; i < re.ngenes; i++)
		free(re.genes[i].symbol), free(re.genes[i].id);
	for (size_t i = 0; i < re.ndis; i++)
		free(re.dis[i].symbol), free(re.dis[i].id);
	free(re.genes);
	free(re.dis);
	free(re.stem);
}

/* a field of the tab-separated files: tabs and line breaks in names become spaces */
static void put_field(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void write_file(const char *path, const char *header, const struct row *rows, size_t n,
		       int disease)
{
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, header);
	for (i = 0; i < n; i++) {
		strbuf_addf(&sb, "%ld\t", rows[i].rank);
		json_put_double(&sb, rows[i].score);
		strbuf_addch(&sb, '\t');
		put_field(&sb, disease ? rows[i].symbol : rows[i].symbol);
		strbuf_addch(&sb, '\t');
		put_field(&sb, rows[i].id);
		strbuf_addch(&sb, '\n');
	}
	if (rft_output_open(&out, path) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	rft_output_write(&out, sb.buf, sb.len);
	if (rft_output_commit(&out) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		die(RFT_EX_IOERR, "cannot create '%s':", path);
	if (!rft_is_dir(path))
		die(RFT_EX_IOERR, "'%s' is not a folder", path);
}

/* a result file's name: a stem, then suf */
static int result_name(const char *name, const char *suf)
{
	return strlen(name) > strlen(suf) && rft_has_suffix(name, suf);
}

/* result files in dir/sub; with remove, those whose stem this run does not write are removed */
static size_t scan_results(const char *sub, const char *suffix, int remove_stale)
{
	struct strbuf path = STRBUF_INIT;
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	strbuf_addf(&path, "%s/%s", opt.dir, sub);
	if (!(d = opendir(path.buf))) {
		if (errno == ENOENT)
			return strbuf_release(&path), 0;
		die(RFT_EX_IOERR, "cannot read '%s':", path.buf);
	}
	while ((e = readdir(d))) {
		char *stem;

		if (!result_name(e->d_name, suffix) && !result_name(e->d_name, ".parquet"))
			continue;
		n++;
		if (!remove_stale || !result_name(e->d_name, suffix))
			continue;
		stem = estrndup(e->d_name, strlen(e->d_name) - strlen(suffix));
		if (strmap_get(&stems, stem) < 0 || (!strcmp(sub, "pheval_disease_results") &&
						       !res[strmap_get(&stems, stem)].has_via)) {
			struct strbuf f = STRBUF_INIT;

			strbuf_addf(&f, "%s/%s", path.buf, e->d_name);
			if (unlink(f.buf) < 0)
				die(RFT_EX_IOERR, "cannot remove '%s':", f.buf);
			count.stale++;
			strbuf_release(&f);
		}
		free(stem);
	}
	closedir(d);
	strbuf_release(&path);
	return n;
}

static void write_manifest(char **inputs, int ninputs)
{
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;
	struct strmap models = STRMAP_INIT;
	size_t *mcount = NULL, i;
	int k;
	static const char *how_name[] = { "sample.ranking[].score", "list order: n - i of n names", "none: empty result" };

	strbuf_addstr(&sb, "{\"program\":\"rft-pheval\",\"version\":");
	json_put_str(&sb, RFT_VERSION);
	strbuf_addstr(&sb, ",\"inputs\":[");
	for (k = 0; k < ninputs; k++) {
		if (k)
			strbuf_addch(&sb, ',');
		json_put_str(&sb, inputs[k]);
	}
	if (!ninputs)
		strbuf_addstr(&sb, "\"-\"");
	strbuf_addstr(&sb, "],\"hgnc\":");
	json_put_str_or_null(&sb, hgnc_loaded ? H.source : NULL);
	strbuf_addstr(&sb, ",\"tie_rule\":\"tied scores share the worst rank (PhEval)\",\"models\":{");
	for (i = 0; i < nres; i++) {
		int added;
		long m = strmap_intern(&models, res[i].model, &added);

		if (added) {
			mcount = erealloc(mcount, models.n * sizeof(*mcount));
			mcount[m] = 0;
		}
		mcount[m]++;
	}
	for (i = 0; i < models.n; i++) {
		if (i)
			strbuf_addch(&sb, ',');
		json_put_str(&sb, strmap_key(&models, (long)i));
		strbuf_addf(&sb, ":%zu", mcount[i]);
	}
	strbuf_addf(&sb, "},\"counts\":{\"cases\":%zu,\"scores_from_ranking\":%zu,\"scores_from_list_order\":%zu,"
		    "\"error_lines\":%zu,\"no_list\":%zu,\"unresolved_names\":%zu,\"duplicate_names_dropped\":%zu,"
		    "\"stale_files_removed\":%zu},\"cases\":[",
		    nres, count.ranking, count.order, count.error, count.nolist, count.unresolved, count.dup,
		    count.stale);
	for (i = 0; i < nres; i++) {
		strbuf_addstr(&sb, i ? ",\n{\"stem\":" : "\n{\"stem\":");
		json_put_str(&sb, res[i].stem);
		strbuf_addstr(&sb, ",\"line\":");
		json_put_str(&sb, res[i].where);
		strbuf_addstr(&sb, ",\"model\":");
		json_put_str(&sb, res[i].model);
		strbuf_addstr(&sb, ",\"score\":");
		json_put_str(&sb, how_name[res[i].how]);
		strbuf_addf(&sb, ",\"genes\":%zu,\"diseases\":%zu,\"unresolved\":%zu,\"status\":\"%s\"}",
			    res[i].ngenes, res[i].ndis, res[i].unresolved,
			    res[i].error == 1 ? "error line" : res[i].error == 2 ? "no list" : "ok");
	}
	strbuf_addstr(&sb, "]}\n");
	strbuf_addf(&path, "%s/rft-pheval.json", opt.dir);
	if (rft_output_open(&out, path.buf) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	rft_output_write(&out, sb.buf, sb.len);
	if (rft_output_commit(&out) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
	strbuf_release(&path);
	strmap_release(&models);
	free(mcount);
}

int main(int argc, char **argv)
{
	struct rft_records r;
	struct json_object *obj;
	struct strbuf path = STRBUF_INIT;
	size_t i, j, old;
	int c;

	rft_init("rft-pheval");
	rft_data_argv0(argv[0]);
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.dir = optarg; break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case OPT_FORCE: opt.force = 1; break;
		case OPT_STATS: opt.stats = 1; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		}
	}
	if (!opt.dir || !*opt.dir) {
		rft_usage(stderr, &cmd);
		die(RFT_EX_USAGE, "no output folder: give -o DIR");
	}
	if (opt.hgnc)
		load_hgnc();

	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&r, opt.rejects) < 0)
		return rft_finish(RFT_EX_IOERR);
	while (rft_records_next(&r, &obj) > 0) {
		take(&r, obj);
		json_object_put(obj);
	}
	rft_records_release(&r);

	make_dir(opt.dir);
	old = scan_results("pheval_gene_results", "-gene_result.tsv", 0) +
	      scan_results("pheval_disease_results", "-disease_result.tsv", 0);
	if (old && !opt.force)
		die(RFT_EX_USAGE, "'%s' already holds %zu result file%s: give --force to replace them "
		    "(files of phenopackets not in this input are then removed), or another folder",
		    opt.dir, old, old == 1 ? "" : "s");
	strbuf_addf(&path, "%s/pheval_gene_results", opt.dir);
	make_dir(path.buf);
	/* rft-rank -m gene names no disease: no disease results then, rather than empty ones */
	if (!nvia)
		for (i = 0; i < nres; i++)
			res[i].has_via = 0;
	for (i = 0; i < nres; i++)
		if (res[i].has_via)
			break;
	if (i < nres) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/pheval_disease_results", opt.dir);
		make_dir(path.buf);
	}
	for (i = 0; i < nres; i++) {
		struct result *re = &res[i];

		strbuf_reset(&path);
		strbuf_addf(&path, "%s/pheval_gene_results/%s-gene_result.tsv", opt.dir, re->stem);
		write_file(path.buf, "rank\tscore\tgene_symbol\tgene_identifier\n", re->genes, re->ngenes, 0);
		count.gene_rows += re->ngenes;
		if (re->has_via) {
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/pheval_disease_results/%s-disease_result.tsv", opt.dir, re->stem);
			write_file(path.buf, "rank\tscore\tdisease_name\tdisease_identifier\n", re->dis, re->ndis, 1);
			count.dis_rows += re->ndis;
			count.dis_files++;
		}
	}
	if (opt.force) {
		scan_results("pheval_gene_results", "-gene_result.tsv", 1);
		scan_results("pheval_disease_results", "-disease_result.tsv", 1);
	}
	write_manifest(argv + optind, argc - optind);

	if (count.order)
		warn("%zu case%s had a list of names without scores: each score is n - i (list order), "
		     "recorded in %s/rft-pheval.json", count.order, count.order == 1 ? "" : "s", opt.dir);
	if (count.unresolved)
		warn("%zu gene name%s resolved to no HGNC id: written with an empty gene_identifier "
		     "(they keep their rank; PhEval cannot match them)", count.unresolved,
		     count.unresolved == 1 ? "" : "s");
	if (count.dup)
		warn("%zu repeated name%s of a gene already listed dropped (the first keeps its place)",
		     count.dup, count.dup == 1 ? "" : "s");
	if (count.error + count.nolist)
		warn("%zu case%s with an error line and %zu with no list: written as empty result files "
		     "(PhEval counts them as misses)", count.error, count.error == 1 ? "" : "s", count.nolist);
	if (count.stale)
		warn("--force: removed %zu result file%s of phenopackets not in this input", count.stale,
		     count.stale == 1 ? "" : "s");
	if (opt.stats)
		fprintf(stderr, "rft-pheval: %zu cases -> %s: %zu gene files (%zu rows), %zu disease files "
			"(%zu rows); scores from ranking %zu, from list order %zu; error lines %zu, no list %zu; "
			"unresolved names %zu, duplicates dropped %zu; bad lines skipped %llu\n",
			nres, opt.dir, nres, count.gene_rows, count.dis_files, count.dis_rows, count.ranking,
			count.order, count.error, count.nolist, count.unresolved, count.dup, r.nbad);

	for (i = 0; i < nres; i++) {
		for (j = 0; j < res[i].ngenes; j++)
			free(res[i].genes[j].symbol), free(res[i].genes[j].id);
		for (j = 0; j < res[i].ndis; j++)
			free(res[i].dis[j].symbol), free(res[i].dis[j].id);
		free(res[i].genes);
		free(res[i].dis);
		free(res[i].stem);
		free(res[i].where);
		free(res[i].model);
	}
	free(res);
	strmap_release(&stems);
	strbuf_release(&path);
	if (hgnc_loaded)
		hgnc_release(&H);
	if (rft_records_commit_rejects(&r) < 0)
		return rft_finish(RFT_EX_IOERR);
	return rft_finish(RFT_EX_OK);
}
