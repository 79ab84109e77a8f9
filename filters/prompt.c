/*
 * rft-prompt - case lines in, chat prompts out (RFT training lines, Batch
 * API request lines, or plain chat lines); --lint checks RFT files.
 *
 * Each case is rendered into chat messages by a template (common/template.h;
 * the default is pipelines/templates/default.tmpl, built in by make).  The
 * template context is {"case": the case line, "prompt": values computed
 * here}; the names a template may use are the contract below, checked when
 * the template is loaded.  The answer's JSON schema is defined once
 * (put_response_format) and used by --schema and batch lines.
 *
 * The prompt stream and the lint rules are documented in man/rft-prompt.1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#include "common/case.h"
#include "common/datafile.h"
#include "common/grader.h"
#include "common/hgnc.h"
#include "common/input.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/template.h"
#include "common/util.h"

/* pipelines/templates/default.tmpl and hybrid.tmpl (the default with
 * --candidates), built in by the Makefile as default_template[] and
 * hybrid_template[]: the files are the one copy */
#include "templates_tmpl.h"

/* ------------------------------------------------------------ contract */

static const char *const case_names[] = {
	"case.id", "case.pmid", "case.sex", "case.split", "case.fold",
	"case.age.iso8601", "case.age.years",
	"case.age.gestational.weeks", "case.age.gestational.days",
	"case.age.onset.id", "case.age.onset.label",
	"case.age.range.start", "case.age.range.end", "case.age.timestamp",
	"case.age.interval.start", "case.age.interval.end",
	"case.present[].id", "case.present[].label",
	"case.absent[].id", "case.absent[].label",
	"prompt.age", "prompt.sex",
	"prompt.present_count", "prompt.present_omitted", "prompt.absent_count",
	NULL
};

static const char *const case_refused[] = {
	"case.genes", "it is the answer (the causal genes)",
	"case.diseases", "it gives the answer away (the diagnosis)",
	"case.cohort", "it gives the answer away (the store folder is named after the gene or disease)",
	"case.source", "it gives the answer away (its path names the gene or disease)",
	NULL
};

static const struct rft_tpl_contract contract = { case_names, case_refused };

/* with --candidates, these too (see CANDIDATES in rft-prompt(1)) */
static const char *const cand_names[] = {
	"candidates[].rank", "candidates[].symbol", "candidates[].hgnc", "candidates[].score",
	"candidates[].via", "candidates[].via_label",
	"candidates[].matched[].id", "candidates[].matched[].label",
	"candidates[].matched[].as", "candidates[].matched[].as_label", "candidates[].matched[].ic",
	"candidates[].absent[].id", "candidates[].absent[].label",
	"candidates[].absent[].ic", "candidates[].absent[].score",
	"prompt.candidates_count", "prompt.candidates_model", "prompt.candidates_shuffled",
	NULL
};
static const char **both_names;   /* case_names then cand_names */
static struct rft_tpl_contract hybrid_contract = { NULL, case_refused };

/* ------------------------------------------------------------- options */

enum format { F_RFT, F_BATCH, F_CHAT };

static struct {
	const char *output, *template, *system, *system_role, *model, *keep;
	const char *rejects, *grader, *lint_role, *hgnc, *references, *reasoning_effort;
	const char *candidates;
	enum format format;
	long long skip_bad, max_terms, max_completion_tokens, cand_depth;
	unsigned long long seed, cand_seed;
	int seeded, schema, show_template, lint, stats, no_hgnc, refs_only, cand_seeded;
} opt = { .skip_bad = -1, .max_terms = -1, .max_completion_tokens = -1, .cand_depth = -1 };

static struct {
	unsigned long long read, written, bad, shown, omitted;
} count;

/* --------------------------------------------------- candidates (--candidates) */

#define CANDIDATES_DEPTH 10   /* --candidates-depth default */

/*
 * The candidate lines, read whole before the cases (memory: the first
 * --candidates-depth entries of every line, whatever the order of the two
 * files), by case id.  A line that gives no usable list keeps the reason,
 * which stops the run only when a case asks for it.
 */
static struct {
	struct strmap ids;
	struct cand {
		char *where;                 /* "FILE:LINE" */
		char *problem;               /* why there is no list, or NULL */
		char *model;                 /* sample.model, or NULL */
		struct json_object *list;    /* the entries, in the source's order */
		int used;
	} *v;
	size_t alloc;
	unsigned long long repeats;      /* names a model listed twice, dropped */
} cands;

static void cand_problem(struct cand *c, const char *fmt, ...) RFT_PRINTF(2, 3);
static void cand_problem(struct cand *c, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(c->problem);
	c->problem = strbuf_detach(&sb, NULL);
}

/* copy member key of from into to, when there */
static void copy_member(struct json_object *to, struct json_object *from, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(from, key, &v))
		json_object_object_add(to, key, json_object_get(v));
}

/* 1 when list already holds symbol (as written, ignoring case) */
static int cand_has(struct json_object *list, const char *symbol)
{
	size_t i, n = json_object_array_length(list);

	for (i = 0; i < n; i++)
		if (!strcasecmp(rft_json_get_str(json_object_array_get_idx(list, i), "symbol"), symbol))
			return 1;
	return 0;
}

/*
 * The entries of one sample: sample.ranking (rft-rank, or any line with a
 * ranking: symbol, hgnc, score, via, via_label, matched, absent), else
 * sample.output_json.genes (a model's answer: symbols only; strings, or
 * objects with a string "symbol", trimmed).  Each entry
 * gets "rank", its 1-based place in the source list; a name listed twice is
 * kept once (counted).  Bad data in a ranking stops the run (65).
 */
static void cand_entries(struct cand *c, struct json_object *sample, const char *where, size_t depth)
{
	struct json_object *ranking = rft_json_get(sample, "ranking");
	struct json_object *genes = rft_json_get(rft_json_get(sample, "output_json"), "genes");
	size_t i, n;

	c->list = json_object_new_array();
	if (ranking) {
		if (!json_object_is_type(ranking, json_type_array))
			die(RFT_EX_DATA, "%s: sample.ranking is %s, not an array", where,
			    rft_json_type_name(ranking));
		n = json_object_array_length(ranking);
		for (i = 0; i < n && json_object_array_length(c->list) < depth; i++) {
			struct json_object *e = json_object_array_get_idx(ranking, i), *o;
			const char *sym = rft_json_get_str(e, "symbol");
			static const char *const keys[] = { "hgnc", "score", "via", "via_label",
							     "matched", "absent", NULL };
			size_t k;

			if (!sym || !*sym)
				die(RFT_EX_DATA, "%s: sample.ranking[%zu].symbol is %s, not a gene symbol",
				    where, i, sym ? "empty" : "missing");
			if (cand_has(c->list, sym)) {
				cands.repeats++;
				continue;
			}
			o = json_object_new_object();
			json_object_object_add(o, "rank", json_object_new_int64((int64_t)i + 1));
			json_object_object_add(o, "symbol", json_object_new_string(sym));
			for (k = 0; keys[k]; k++)
				copy_member(o, e, keys[k]);
			json_object_array_add(c->list, o);
		}
	} else if (!genes || !json_object_is_type(genes, json_type_array)) {
		cand_problem(c, "sample.output_json.genes is %s, not a list of genes (the answer "
			     "was not the JSON asked for)", genes ? rft_json_type_name(genes) : "missing");
		return;
	} else {
		n = json_object_array_length(genes);
		for (i = 0; i < n && json_object_array_length(c->list) < depth; i++) {
			struct json_object *g = json_object_array_get_idx(genes, i), *o;
			size_t len;
			/* a name as written, ASCII white space around it trimmed (as rft-fuse reads it) */
			const char *sym = rft_trim(g && json_object_is_type(g, json_type_string) ?
						   json_object_get_string(g) : rft_json_get_str(g, "symbol"), &len);

			if (!len) {
				cand_problem(c, "sample.output_json.genes[%zu] is %s, not a gene symbol", i,
					     sym ? "blank" : rft_json_type_name(g));
				return;
			}
			o = json_object_new_object();
			json_object_object_add(o, "rank", json_object_new_int64((int64_t)i + 1));
			json_object_object_add(o, "symbol", json_object_new_string_len(sym, (int)len));
			if (cand_has(c->list, json_object_get_string(rft_json_get(o, "symbol")))) {
				json_object_put(o);
				cands.repeats++;
				continue;
			}
			json_object_array_add(c->list, o);
		}
	}
	if (!json_object_array_length(c->list))
		cand_problem(c, "its list of genes is empty");
}

/* read the --candidates file: one sample line per case id */
static void load_candidates(const char *path, size_t depth)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT, where = STRBUF_INIT, err = STRBUF_INIT;
	int r;

	if (rft_input_open(&in, path) < 0)
		exit(rft_finish(RFT_EX_NOINPUT));
	while ((r = rft_input_getline(&in, &line)) != 0) {
		struct json_object *o = NULL, *e;
		struct cand *c;
		const char *id;
		long ix;
		int added;
		size_t i;

		if (r == -1)
			exit(rft_finish(RFT_EX_DATA));
		strbuf_reset(&where);
		strbuf_addf(&where, "%s:%llu", in.name, in.lineno);
		if (r == -2)
			die(RFT_EX_DATA, "%s: line longer than %zu bytes", where.buf, in.max_record);
		for (i = 0; i < line.len && strchr(" \t\r", line.buf[i]); i++)
			;
		if (i == line.len)
			continue;
		strbuf_reset(&err);
		if (rft_json_parse(line.buf, line.len, &o, &err) < 0)
			die(RFT_EX_DATA, "%s: %s", where.buf, err.buf);
		if (!o || !json_object_is_type(o, json_type_object))
			die(RFT_EX_DATA, "%s: expected a sample line (a JSON object), got %s", where.buf,
			    rft_json_type_name(o));
		if (!(id = rft_json_get_str(o, "id")))
			die(RFT_EX_DATA, "%s: id is %s, not a string (candidates are joined to cases by id)",
			    where.buf, rft_json_get(o, "id") ? rft_json_type_name(rft_json_get(o, "id")) : "missing");
		ix = strmap_intern(&cands.ids, id, &added);
		if (!added)
			die(RFT_EX_DATA, "%s: id '%s' repeats the line at %s (one candidate list per case: "
			    "fuse several with rft-fuse first)", where.buf, id, cands.v[ix].where);
		if ((size_t)ix >= cands.alloc) {
			cands.alloc = cands.alloc ? 2 * cands.alloc : 1024;
			cands.v = erealloc(cands.v, cands.alloc * sizeof(*cands.v));
		}
		c = &cands.v[ix];
		memset(c, 0, sizeof(*c));
		c->where = estrdup(where.buf);
		if ((e = rft_json_get(o, "error"))) {
			const char *msg = rft_json_get_str(e, "message"), *code = rft_json_get_str(e, "code");

			cand_problem(c, "the line is an error%s%s%s%s", code ? " (" : "", code ? code : "",
				     code ? ")" : "", msg ? ": " : "");
			if (msg) {
				struct strbuf sb = STRBUF_INIT;

				strbuf_addf(&sb, "%s%s", c->problem, msg);
				free(c->problem);
				c->problem = strbuf_detach(&sb, NULL);
			}
		} else if (!(e = rft_json_get(o, "sample")) || !json_object_is_type(e, json_type_object)) {
			cand_problem(c, "the line has neither a sample nor an error");
		} else {
			if (rft_json_get_str(e, "model"))
				c->model = estrdup(rft_json_get_str(e, "model"));
			cand_entries(c, e, where.buf, depth);
		}
		json_object_put(o);
	}
	if (rft_input_close(&in) < 0)
		exit(rft_finish(RFT_EX_DATA));
	strbuf_release(&line);
	strbuf_release(&where);
	strbuf_release(&err);
}

/* the entries of case id (a new reference, shuffled when asked), or NULL
 * with the reason in err */
static struct json_object *case_candidates(const char *id, struct cand **out, struct strbuf *err)
{
	long ix = strmap_get(&cands.ids, id);
	struct json_object *a, **v;
	struct cand *c;
	size_t i, n;
	uint64_t state;

	if (ix < 0) {
		strbuf_addf(err, "case '%s' has no candidates: %s has no line for it", id, opt.candidates);
		return NULL;
	}
	c = *out = &cands.v[ix];
	c->used = 1;
	if (c->problem) {
		strbuf_addf(err, "case '%s' has no candidates: %s: %s", id, c->where, c->problem);
		return NULL;
	}
	n = json_object_array_length(c->list);
	if (!opt.cand_seeded)
		return json_object_get(c->list);
	/* Fisher-Yates driven by splitmix64 seeded by the case id and SEED (salted,
	 * so that --seed with the same number gives an unrelated order) */
	v = emalloc(n * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(c->list, i);
	state = rft_hash64(id, strlen(id), opt.cand_seed ^ 0x63616e6469646174ull);
	for (i = n; i > 1; i--) {
		size_t j = (size_t)(rft_splitmix64(&state) % i);
		struct json_object *t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
	a = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_get(v[i]));
	free(v);
	return a;
}

/* ,"candidates":{"genes":[as shown],"model":..,"depth":N,"shuffle_seed":S|null} */
static void put_candidates_record(struct strbuf *sb, struct json_object *shown, const struct cand *c)
{
	size_t i, n = json_object_array_length(shown);

	strbuf_addstr(sb, ",\"candidates\":{\"genes\":[");
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		json_put_str(sb, rft_json_get_str(json_object_array_get_idx(shown, i), "symbol"));
	}
	strbuf_addstr(sb, "],\"ranks\":[");
	for (i = 0; i < n; i++)
		strbuf_addf(sb, "%s%d", i ? "," : "",
			    json_object_get_int(rft_json_get(json_object_array_get_idx(shown, i), "rank")));
	strbuf_addstr(sb, "],\"model\":");
	json_put_str_or_null(sb, c->model);
	strbuf_addf(sb, ",\"depth\":%lld,\"shuffle_seed\":", opt.cand_depth);
	if (opt.cand_seeded)
		strbuf_addf(sb, "%llu}", opt.cand_seed);
	else
		strbuf_addstr(sb, "null}");
}

/* the lines of cases not in the input, said once at the end; frees all */
static void release_candidates(void)
{
	size_t i, unused = 0, first = 0;

	for (i = 0; i < cands.ids.n; i++) {
		if (!cands.v[i].used && !unused++)
			first = i;
	}
	if (unused)
		warn("warning: %zu of %zu candidate lines in %s are for cases not in the input (the "
		     "first: '%s' at %s); they were not used", unused, cands.ids.n, opt.candidates,
		     strmap_key(&cands.ids, (long)first), cands.v[first].where);
	for (i = 0; i < cands.ids.n; i++) {
		free(cands.v[i].where);
		free(cands.v[i].problem);
		free(cands.v[i].model);
		json_object_put(cands.v[i].list);
	}
	free(cands.v);
	strmap_release(&cands.ids);
}

/* ------------------------------------------------ the answer and its schema */

/* The response_format every answer is asked for: one definition, used by
 * --schema and by batch lines. */
static void put_response_format(struct strbuf *sb)
{
	strbuf_addstr(sb,
		"{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"gene_ranking\","
		"\"description\":\"Candidate causal genes for a rare-disease case, most likely first\","
		"\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{"
		"\"genes\":{\"type\":\"array\",\"description\":"
		"\"HGNC gene symbols, most likely first\",\"items\":{\"type\":\"string\"}},"
		"\"explanation\":{\"type\":\"string\",\"description\":"
		"\"Why these genes, in this order, given the present and absent features\"}},"
		"\"required\":[\"genes\",\"explanation\"],\"additionalProperties\":false}}}");
}

/* ------------------------------------------------------------ the case */

/* "what is T, not W" for a member that must have type want (or be null when
 * nullable); 0 when fine or absent */
static int check_type(struct json_object *o, const char *path, const char *key,
		      enum json_type want, int nullable, struct strbuf *err)
{
	struct json_object *v;
	static const char *const names[] = {
		[json_type_null] = "null", [json_type_boolean] = "a boolean",
		[json_type_double] = "a number", [json_type_int] = "a whole number",
		[json_type_object] = "an object", [json_type_array] = "an array",
		[json_type_string] = "a string"
	};

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!v ? nullable : json_object_is_type(v, want) ||
	    (want == json_type_double && json_object_is_type(v, json_type_int)))
		return 0;
	strbuf_addf(err, "%s%s%s is %s, not %s%s", path, *path ? "." : "", key,
		    rft_json_type_name(v), names[want], nullable ? " or null" : "");
	return -1;
}

static int check_terms(struct json_object *kase, const char *key, struct strbuf *err)
{
	struct json_object *a = rft_json_get(kase, key);
	size_t i, n;

	if (check_type(kase, "", key, json_type_array, 1, err) < 0 || !a)
		return err->len ? -1 : 0;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(a, i);
		char path[64];

		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (!t || !json_object_is_type(t, json_type_object)) {
			strbuf_addf(err, "%s is %s, not an object", path, rft_json_type_name(t));
			return -1;
		}
		if (!rft_json_get_str(t, "id")) {
			strbuf_addf(err, "%s.id is missing", path);
			if (rft_json_get(t, "id"))
				strbuf_addf(err, " (it is %s, not a string)",
					    rft_json_type_name(rft_json_get(t, "id")));
			return -1;
		}
		if (check_type(t, path, "label", json_type_string, 1, err) < 0)
			return -1;
	}
	return 0;
}

/* The shape of the fields the prompt reads; genes are checked by the reference. */
static int check_case(struct json_object *kase, struct strbuf *err)
{
	struct json_object *age = rft_json_get(kase, "age");

	if (!rft_json_get(kase, "id")) {
		strbuf_addstr(err, "id is missing");
		return -1;
	}
	if (check_type(kase, "", "id", json_type_string, 0, err) < 0 ||
	    check_type(kase, "", "sex", json_type_string, 1, err) < 0 ||
	    check_type(kase, "", "pmid", json_type_string, 1, err) < 0 ||
	    check_type(kase, "", "split", json_type_string, 1, err) < 0 ||
	    check_type(kase, "", "age", json_type_object, 1, err) < 0 ||
	    check_terms(kase, "present", err) < 0 || check_terms(kase, "absent", err) < 0)
		return -1;
	if (age && (check_type(age, "age", "iso8601", json_type_string, 1, err) < 0 ||
		    check_type(age, "age", "years", json_type_double, 1, err) < 0 ||
		    check_type(age, "age", "gestational", json_type_object, 1, err) < 0 ||
		    check_type(age, "age", "onset", json_type_object, 1, err) < 0 ||
		    check_type(age, "age", "range", json_type_object, 1, err) < 0 ||
		    check_type(rft_json_get(age, "gestational"), "age.gestational", "weeks",
			       json_type_int, 0, err) < 0 ||
		    check_type(rft_json_get(age, "gestational"), "age.gestational", "days",
			       json_type_int, 1, err) < 0))
		return -1;
	return 0;
}

/* ------------------------------------------------- values the template gets */

static const char *const date_unit[] = { "year", "month", "week", "day" };
static const char *const time_unit[] = { "hour", "minute", "second" };

/* An ISO 8601 duration in words: "P1Y2M" -> "1 year 2 months" (the numbers
 * as written).  -1 when text is not such a duration. */
static int duration_words(const char *s, struct strbuf *sb)
{
	const char *units = "YMWD";
	const char *const *names = date_unit;
	size_t start = sb->len;
	int last = -1, parts = 0;

	if (*s++ != 'P' || !*s)
		return -1;
	while (*s) {
		const char *num = s, *u;
		size_t n;

		if (*s == 'T') {
			if (names == time_unit || !s[1])
				goto bad;
			units = "HMS";
			names = time_unit;
			last = -1;
			s++;
			continue;
		}
		while ((*s >= '0' && *s <= '9') || *s == '.' || *s == ',')
			s++;
		n = (size_t)(s - num);
		if (!n || !*s || !(u = strchr(units, *s)) || (int)(u - units) <= last)
			goto bad;
		last = (int)(u - units);
		s++;
		if (strspn(num, "0.,") >= n) {
			/* a zero part says nothing ("P0Y3M"), unless all are zero */
			if (*s)
				continue;
			if (parts)
				break;
		}
		strbuf_addf(sb, "%s%.*s %s%s", parts++ ? " " : "", (int)n, num, names[last],
			    n == 1 && *num == '1' ? "" : "s");
	}
	return parts ? 0 : -1;
bad:
	strbuf_setlen(sb, start);
	return -1;
}

/* prompt.age: words for the age, or nothing when the case does not say */
static void age_words(struct json_object *age, struct strbuf *sb)
{
	struct json_object *v;
	const char *s;

	if (!age)
		return;
	if ((s = rft_json_get_str(age, "iso8601"))) {
		if (duration_words(s, sb) < 0)
			strbuf_addstr(sb, s);
	} else if ((v = rft_json_get(age, "gestational"))) {
		int w = json_object_get_int(rft_json_get(v, "weeks"));
		int d = json_object_get_int(rft_json_get(v, "days"));

		strbuf_addf(sb, "gestational age %d week%s", w, w == 1 ? "" : "s");
		if (d)
			strbuf_addf(sb, " %d day%s", d, d == 1 ? "" : "s");
	} else if ((v = rft_json_get(age, "onset"))) {
		s = rft_json_get_str(v, "label");
		strbuf_addstr(sb, s ? s : rft_json_get_str(v, "id"));
	} else if ((v = rft_json_get(age, "range"))) {
		const char *a = rft_json_get_str(v, "start"), *b = rft_json_get_str(v, "end");

		if (a && b) {
			strbuf_addstr(sb, "between ");
			if (duration_words(a, sb) < 0)
				strbuf_addstr(sb, a);
			strbuf_addstr(sb, " and ");
			if (duration_words(b, sb) < 0)
				strbuf_addstr(sb, b);
		} else if (a || b) {
			strbuf_addstr(sb, a ? "at least " : "at most ");
			if (duration_words(a ? a : b, sb) < 0)
				strbuf_addstr(sb, a ? a : b);
		}
	}
	/* timestamps and intervals are dates, not ages: nothing */
}

static const char *sex_words(const char *sex)
{
	if (!sex)
		return NULL;
	if (!strcmp(sex, "FEMALE"))
		return "female";
	if (!strcmp(sex, "MALE"))
		return "male";
	if (!strcmp(sex, "OTHER_SEX"))
		return "other";
	return NULL;
}

/*
 * The present terms as shown: shuffled when --seed is given (Fisher-Yates
 * driven by splitmix64 seeded with rft_hash64(case id, seed), so a case's
 * order depends only on the seed and its id), then the first --max-terms
 * kept.  Replaces case.present; returns how many were dropped.
 */
static size_t arrange_present(struct json_object *kase, const char *id)
{
	struct json_object *a = rft_json_get(kase, "present"), *b;
	struct json_object **v;
	size_t i, n, keep;
	uint64_t state;

	if (!a || (!opt.seeded && opt.max_terms < 0))
		return 0;
	n = json_object_array_length(a);
	keep = opt.max_terms >= 0 && (unsigned long long)opt.max_terms < n ? (size_t)opt.max_terms : n;
	if (!opt.seeded && keep == n)
		return 0;
	v = emalloc((n ? n : 1) * sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_object_array_get_idx(a, i);
	if (opt.seeded) {
		state = rft_hash64(id, strlen(id), opt.seed);
		for (i = n; i > 1; i--) {
			size_t j = (size_t)(rft_splitmix64(&state) % i);
			struct json_object *t = v[i - 1];

			v[i - 1] = v[j];
			v[j] = t;
		}
	}
	b = json_object_new_array_ext((int)keep);
	for (i = 0; i < keep; i++)
		json_object_array_add(b, json_object_get(v[i]));
	free(v);
	json_object_object_add(kase, "present", b);
	return n - keep;
}

static struct json_object *prompt_values(struct json_object *kase, size_t omitted)
{
	struct json_object *p = json_object_new_object(), *a;
	struct strbuf sb = STRBUF_INIT;
	const char *sex = sex_words(rft_json_get_str(kase, "sex"));

	age_words(rft_json_get(kase, "age"), &sb);
	if (sb.len)
		json_object_object_add(p, "age", json_object_new_string_len(sb.buf, (int)sb.len));
	if (sex)
		json_object_object_add(p, "sex", json_object_new_string(sex));
	a = rft_json_get(kase, "present");
	json_object_object_add(p, "present_count",
			       json_object_new_int64(a ? (int64_t)json_object_array_length(a) : 0));
	a = rft_json_get(kase, "absent");
	json_object_object_add(p, "absent_count",
			       json_object_new_int64(a ? (int64_t)json_object_array_length(a) : 0));
	if (omitted)
		json_object_object_add(p, "present_omitted", json_object_new_int64((int64_t)omitted));
	strbuf_release(&sb);
	return p;
}

/* ------------------------------------------------- reference names (HGNC) */

/*
 * reference.genes[].names: every name a grader may credit for that gene
 * without outside tables: the case's symbol, the HGNC id, the approved
 * symbol, then each previous symbol and alias that names this gene only
 * (see name_owner).  Without HGNC data (--no-hgnc) only symbol and id.
 */
static struct hgnc hgnc;
static int have_hgnc;
static size_t *names_start;   /* gene -> first index in names_slot; [ngenes] = total */
static long *names_slot;      /* name slots, grouped by the gene owning them */

/* The gene a name slot belongs to alone, or -1: an approved symbol is only
 * its gene's (and is written from hgnc.symbol); a previous symbol or alias
 * counts when no other gene has it as approved, previous or alias name. */
static long name_owner(size_t s)
{
	long p = hgnc.prev[s], a = hgnc.alias[s];

	if (hgnc.approved[s] >= 0 || p == -2 || a == -2)
		return -1;
	if (p >= 0 && a >= 0 && p != a)
		return -1;
	return p >= 0 ? p : a;
}

/* load the HGNC set at path into hgnc, or die */
static void hgnc_from(const char *path)
{
	struct strbuf err = STRBUF_INIT;

	if (hgnc_load(&hgnc, path, &err) < 0)
		die(access(path, R_OK) == 0 ? RFT_EX_CONFIG : RFT_EX_NOINPUT, "%s", err.buf);
	have_hgnc = 1;
	strbuf_release(&err);
}

static void load_hgnc(void)
{
	size_t i, ng, *cur;
	char *path;

	if (opt.no_hgnc) {
		warn("--no-hgnc: reference.genes[].names hold only each gene's symbol and HGNC id "
		     "(no previous symbols or aliases)");
		return;
	}
	path = rft_hgnc_path(opt.hgnc);
	if (!path) {
		struct strbuf sb = STRBUF_INIT;

		rft_data_looked(&sb, "hgnc", RFT_HGNC_OPT, "RFT_HGNC");
		die(RFT_EX_NOINPUT, "no HGNC data found for reference.genes[].names: give --hgnc FILE, "
		    "set RFT_HGNC or RFT_DATADIR, or give --no-hgnc to write only each gene's symbol "
		    "and id; looked in:\n%s", sb.buf);
	}
	hgnc_from(path);
	ng = hgnc.ngenes;
	names_start = ecalloc(ng + 1, sizeof(*names_start));
	cur = ecalloc(ng + 1, sizeof(*cur));
	for (i = 0; i < hgnc.names.n; i++) {
		long g = name_owner(i);

		if (g >= 0)
			names_start[g + 1]++;
	}
	for (i = 1; i <= ng; i++)
		names_start[i] += names_start[i - 1];
	memcpy(cur, names_start, (ng + 1) * sizeof(*cur));
	names_slot = emalloc((names_start[ng] + 1) * sizeof(*names_slot));
	for (i = 0; i < hgnc.names.n; i++) {
		long g = name_owner(i);

		if (g >= 0)
			names_slot[cur[g]++] = (long)i;
	}
	free(cur);
	free(path);
}

static void release_hgnc(void)
{
	if (!have_hgnc)
		return;
	hgnc_release(&hgnc);
	free(names_start);
	free(names_slot);
	have_hgnc = 0;
}

static void add_name(struct json_object *a, const char *name)
{
	size_t i, n = json_object_array_length(a);

	if (!name || !*name)
		return;
	for (i = 0; i < n; i++)
		if (!strcasecmp(json_object_get_string(json_object_array_get_idx(a, i)), name))
			return;
	json_object_array_add(a, json_object_new_string(name));
}

/* Rewrite the reference in ref with "names" in each entry of its genes. */
static void add_reference_names(struct strbuf *ref)
{
	struct json_object *o = NULL, *genes;
	struct strbuf err = STRBUF_INIT;
	size_t i, n;

	if (rft_json_parse(ref->buf, ref->len, &o, &err) < 0)
		die(RFT_EX_SOFTWARE, "the reference no longer parses: %s", err.buf);
	genes = rft_json_get(o, "genes");
	n = genes ? json_object_array_length(genes) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(genes, i);
		struct json_object *a = json_object_new_array();
		const char *id = rft_json_get_str(e, "hgnc");
		long g = have_hgnc && id ? hgnc_by_id(&hgnc, id) : -1;
		size_t k;

		add_name(a, rft_json_get_str(e, "symbol"));
		add_name(a, id);
		if (g >= 0) {
			add_name(a, hgnc_symbol(&hgnc, g));
			for (k = names_start[g]; k < names_start[g + 1]; k++)
				add_name(a, strmap_key(&hgnc.names, names_slot[k]));
		}
		json_object_object_add(e, "names", a);
	}
	strbuf_reset(ref);
	json_put_value(ref, o);
	json_object_put(o);
	strbuf_release(&err);
}

/* ------------------------------------------------------------ rendering */

static struct rft_tpl *tpl, *sys_tpl;
static struct rft_output out, rej, refs_out;
static int rej_open;

/* Append {"role":R,"content":C} for message i of t, white space around C trimmed. */
static int put_message(const struct rft_tpl *t, size_t i, const char *role,
		       struct json_object *root, struct strbuf *sb, struct strbuf *tmp,
		       struct strbuf *err)
{
	size_t a = 0, b;

	strbuf_reset(tmp);
	if (rft_tpl_render(t, i, root, tmp, err) < 0)
		return -1;
	b = tmp->len;
	while (a < b && strchr(" \t\r\n", tmp->buf[a]))
		a++;
	while (b > a && strchr(" \t\r\n", tmp->buf[b - 1]))
		b--;
	if (a == b) {
		strbuf_addf(err, "message %zu (%s) of the template renders empty", i + 1, role);
		return -1;
	}
	strbuf_addstr(sb, "{\"role\":");
	json_put_str(sb, role);
	strbuf_addstr(sb, ",\"content\":");
	json_put_strn(sb, tmp->buf + a, b - a);
	strbuf_addch(sb, '}');
	return 0;
}

static struct strbuf tmp = STRBUF_INIT;   /* one rendered message */

static int put_messages(struct json_object *root, struct strbuf *sb, struct strbuf *err)
{
	size_t i, n = rft_tpl_count(tpl);
	int first = 1;

	strbuf_addch(sb, '[');
	if (sys_tpl) {
		if (put_message(sys_tpl, 0, opt.system_role, root, sb, &tmp, err) < 0)
			goto fail;
		first = 0;
	}
	for (i = 0; i < n; i++) {
		if (!first)
			strbuf_addch(sb, ',');
		first = 0;
		if (put_message(tpl, i, rft_tpl_role(tpl, i), root, sb, &tmp, err) < 0)
			goto fail;
	}
	strbuf_addch(sb, ']');
	return 0;
fail:
	return -1;
}

/* --keep: the case keys copied into rft lines */
/* ,"id":..,"split":..(when the case has one),"reference":.. */
static void put_id_split_ref(struct strbuf *sb, const char *id, struct json_object *kase, const struct strbuf *ref)
{
	strbuf_addstr(sb, ",\"id\":");
	json_put_str(sb, id);
	if (rft_json_get_str(kase, "split")) {
		strbuf_addstr(sb, ",\"split\":");
		json_put_str(sb, rft_json_get_str(kase, "split"));
	}
	strbuf_addstr(sb, ",\"reference\":");
	strbuf_add(sb, ref->buf, ref->len);
}

static void put_kept(struct json_object *kase, struct strbuf *sb)
{
	const char *s = opt.keep;

	while (s && *s) {
		size_t n = strcspn(s, ",");
		char key[128];
		struct json_object *v;

		if (n && n < sizeof(key)) {
			memcpy(key, s, n);
			key[n] = '\0';
			if (json_object_object_get_ex(kase, key, &v)) {
				json_put_key(sb, key, 0);
				json_put_value(sb, v);
			}
		}
		s += n + (s[n] == ',');
	}
}

static void render_cases(char **paths, int npaths)
{
	struct rft_records r;
	struct json_object *kase;
	struct strbuf line = STRBUF_INIT, ref = STRBUF_INIT, msgs = STRBUF_INIT, err = STRBUF_INIT;
	struct strmap ids = STRMAP_INIT;
	long ix;
	unsigned long long refused = 0;
	char **first_where = NULL;   /* "FILE:LINE" of each id, by its index in ids */
	size_t nfirst = 0;

	rft_records_init(&r, paths, npaths);
	r.skip_bad = opt.skip_bad;
	r.rejects = rej_open ? &rej : NULL;
	while (rft_records_next(&r, &kase) > 0) {
		struct json_object *root, *pv, *shown;
		struct cand *cand = NULL;
		const char *id;
		size_t omitted;

		strbuf_reset(&err);
		strbuf_reset(&ref);
		strbuf_reset(&msgs);
		if (check_case(kase, &err) < 0 || rft_case_reference(kase, &ref, &err) < 0) {
			rft_records_bad(&r, "%s", err.buf);
			refused++;
			json_object_put(kase);
			continue;
		}
		id = rft_json_get_str(kase, "id");
		if (opt.format != F_CHAT && (ix = strmap_get(&ids, id)) >= 0) {
			rft_records_bad(&r, "id '%s' repeats the case at %s (ids must be unique: "
					"they match answers to cases)", id, first_where[ix]);
			refused++;
			json_object_put(kase);
			continue;
		}
		if (opt.format == F_RFT || opt.references)
			add_reference_names(&ref);
		shown = NULL;
		if (opt.candidates && !(shown = case_candidates(id, &cand, &err))) {
			rft_records_bad(&r, "%s", err.buf);
			refused++;
			json_object_put(kase);
			continue;
		}
		omitted = arrange_present(kase, id);
		root = json_object_new_object();
		json_object_object_add(root, "case", json_object_get(kase));
		pv = prompt_values(kase, omitted);
		if (shown) {
			json_object_object_add(root, "candidates", json_object_get(shown));
			json_object_object_add(pv, "candidates_count",
					       json_object_new_int64((int64_t)json_object_array_length(shown)));
			if (cand->model)
				json_object_object_add(pv, "candidates_model", json_object_new_string(cand->model));
			json_object_object_add(pv, "candidates_shuffled", json_object_new_boolean(opt.cand_seeded));
		}
		json_object_object_add(root, "prompt", pv);
		if (put_messages(root, &msgs, &err) < 0) {
			json_object_put(shown);
			json_object_put(root);
			json_object_put(kase);
			rft_records_bad(&r, "%s", err.buf);
			refused++;
			continue;
		}
		if (opt.format != F_CHAT) {
			ix = strmap_intern(&ids, id, NULL);
			if ((size_t)ix >= nfirst) {
				nfirst = nfirst ? 2 * nfirst : 1024;
				first_where = erealloc(first_where, nfirst * sizeof(*first_where));
			}
			first_where[ix] = estrdup(r.where.buf);
		}
		if (rft_json_get(kase, "present"))
			count.shown += json_object_array_length(rft_json_get(kase, "present"));
		count.omitted += omitted;
		strbuf_reset(&line);
		switch (opt.format) {
		case F_RFT:
			strbuf_addstr(&line, "{\"messages\":");
			strbuf_add(&line, msgs.buf, msgs.len);
			put_id_split_ref(&line, id, kase, &ref);
			if (shown)
				put_candidates_record(&line, shown, cand);
			put_kept(kase, &line);
			strbuf_addch(&line, '}');
			break;
		case F_BATCH:
			strbuf_addstr(&line, "{\"custom_id\":");
			json_put_str(&line, id);
			strbuf_addstr(&line, ",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
				      "\"body\":{\"model\":");
			json_put_str(&line, opt.model);
			strbuf_addstr(&line, ",\"messages\":");
			strbuf_add(&line, msgs.buf, msgs.len);
			strbuf_addstr(&line, ",\"response_format\":");
			put_response_format(&line);
			if (opt.max_completion_tokens >= 0)
				strbuf_addf(&line, ",\"max_completion_tokens\":%lld", opt.max_completion_tokens);
			if (opt.reasoning_effort) {
				strbuf_addstr(&line, ",\"reasoning_effort\":");
				json_put_str(&line, opt.reasoning_effort);
			}
			strbuf_addstr(&line, "}}");
			if (opt.references) {
				/* what rft-call --batch-in --join puts back on the answers */
				strbuf_reset(&msgs);
				strbuf_addstr(&msgs, "{\"custom_id\":");
				json_put_str(&msgs, id);
				put_id_split_ref(&msgs, id, kase, &ref);
				if (shown)
					put_candidates_record(&msgs, shown, cand);
				strbuf_addstr(&msgs, "}\n");
				rft_output_write(&refs_out, msgs.buf, msgs.len);
			}
			break;
		case F_CHAT:
			strbuf_addstr(&line, "{\"messages\":");
			strbuf_add(&line, msgs.buf, msgs.len);
			strbuf_addch(&line, '}');
			break;
		}
		strbuf_addch(&line, '\n');
		rft_output_write(&out, line.buf, line.len);
		count.written++;
		json_object_put(shown);
		json_object_put(root);
		json_object_put(kase);
	}
	/* records returned, plus lines that were not even JSON objects */
	count.read = r.nread + (r.nbad - refused);
	count.bad = r.nbad;
	rft_records_release(&r);
	for (ix = 0; ix < (long)ids.n; ix++)
		free(first_where[ix]);
	free(first_where);
	strmap_release(&ids);
	strbuf_release(&line);
	strbuf_release(&ref);
	strbuf_release(&msgs);
	strbuf_release(&err);
	strbuf_release(&tmp);
}

/* ----------------------------------------------------------------- lint */

#define RFT_MAX_TRAIN 50000
#define RFT_MAX_VALID 1000

static struct {
	unsigned long long problems, lines, files, bad_lines;
	struct strmap ids;          /* id (as JSON text) -> index */
	char **id_where;            /* "FILE:LINE" of each id's first line */
	size_t id_alloc;
	struct strmap refs;         /* item paths the grader uses */
} lint;

static void problem(const char *where, const char *fmt, ...) RFT_PRINTF(2, 3);
static void problem(const char *where, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	error("%s: %s", where, sb.buf);
	strbuf_release(&sb);
	lint.problems++;
}

static void add_ref(void *arg, const char *path, size_t len)
{
	char *p = estrndup(path, len);

	(void)arg;
	strmap_intern(&lint.refs, p, NULL);
	free(p);
}

static void grader_strings(struct json_object *v)
{
	size_t i, n;

	if (!v)
		return;
	switch (json_object_get_type(v)) {
	case json_type_string:
		rft_tpl_refs(json_object_get_string(v), "item", add_ref, NULL);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			grader_strings(json_object_array_get_idx(v, i));
		break;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(v);
		struct json_object_iterator end = json_object_iter_end(v);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			grader_strings(json_object_iter_peek_value(&it));
		break;
	}
	default:
		break;
	}
}

/* the grader file, parsed, its {{item.*}} references noted: the caller puts it */
static struct json_object *load_grader(const char *path)
{
	struct json_object *g = rft_json_load_object(path, RFT_MAX_RECORD_DEFAULT, RFT_EX_CONFIG,
						     "not a grader");

	grader_strings(g);
	return g;
}

static int is_role(const char *s)
{
	return !strcmp(s, "system") || !strcmp(s, "developer") || !strcmp(s, "user") ||
		!strcmp(s, "assistant");
}

static void lint_messages(const char *where, struct json_object *o)
{
	struct json_object *m = rft_json_get(o, "messages");
	const char *last = NULL;
	size_t i, n;

	if (!m) {
		problem(where, "messages is missing");
		return;
	}
	if (!json_object_is_type(m, json_type_array)) {
		problem(where, "messages is %s, not an array", rft_json_type_name(m));
		return;
	}
	n = json_object_array_length(m);
	if (!n) {
		problem(where, "messages is empty");
		return;
	}
	for (i = 0; i < n; i++) {
		struct json_object *msg = json_object_array_get_idx(m, i), *c;
		const char *role;

		last = NULL;
		if (!msg || !json_object_is_type(msg, json_type_object)) {
			problem(where, "messages[%zu] is %s, not an object", i, rft_json_type_name(msg));
			continue;
		}
		role = rft_json_get_str(msg, "role");
		if (!role)
			problem(where, "messages[%zu].role is missing", i);
		else if (!is_role(role))
			problem(where, "messages[%zu].role '%s' is not system, developer, user or assistant",
				i, role);
		last = role;
		if (!json_object_object_get_ex(msg, "content", &c))
			problem(where, "messages[%zu].content is missing", i);
		else if (!c || !json_object_is_type(c, json_type_string))
			problem(where, "messages[%zu].content is %s, not text (a string)", i,
				rft_json_type_name(c));
		else if (!json_object_get_string_len(c))
			problem(where, "messages[%zu].content is empty", i);
	}
	if (last && strcmp(last, "user"))
		problem(where, "the last message is from the %s, not the user (RFT answers the "
			"last user message)", last);
}

static void lint_refs(const char *where, struct json_object *o)
{
	long i;

	for (i = 0; i < (long)lint.refs.n; i++) {
		const char *path = strmap_key(&lint.refs, i);
		size_t depth, k, len = strlen(path);
		struct json_object *v = rft_tpl_lookup(o, path, len, &depth);
		const char *s;

		if (v)
			continue;
		/* say where the path breaks: item.reference.hgnc -> "item.reference has no 'hgnc'" */
		for (s = path, k = 0; k < depth; k++)
			s += strcspn(s, ".") + 1;
		if (s == path)
			problem(where, "{{item.%s}} in the grader does not resolve: the line has no "
				"'%.*s' (or it is null)", path, (int)strcspn(s, "."), s);
		else
			problem(where, "{{item.%s}} in the grader does not resolve: item.%.*s has no "
				"'%.*s' (or it is null)", path, (int)(s - path - 1), path,
				(int)strcspn(s, "."), s);
	}
}

/* --------------------------------------------- lint: running the grader */

#define LINT_SHOW 5   /* lines named for each kind of grader failure */
#define LINT_SHOW_TEXT "5"
#define BATCH_MAX_REQUESTS 50000
#define BATCH_MAX_BYTES (200ull * 1000 * 1000)

static struct grader *lint_grader;
static struct grader_env lint_env = { NULL, 5.0, 1024, NULL };
static struct {
	unsigned long long ran, right_low, wrong_high;
	char *other;   /* the previous line's first gene: a wrong answer for this one */
} gx;

/* 1 when name is a symbol, id or name of one of ref's genes */
static int ref_names(struct json_object *ref, const char *name)
{
	struct json_object *genes = rft_json_get(ref, "genes");
	size_t i, k, n = genes && json_object_is_type(genes, json_type_array) ?
		json_object_array_length(genes) : 0;
	const char *s = rft_json_get_str(ref, "gene");

	if (s && !strcasecmp(s, name))
		return 1;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(genes, i), *names;

		if (((s = rft_json_get_str(e, "symbol")) && !strcasecmp(s, name)) ||
		    ((s = rft_json_get_str(e, "hgnc")) && !strcasecmp(s, name)))
			return 1;
		names = rft_json_get(e, "names");
		if (names && json_object_is_type(names, json_type_array))
			for (k = 0; k < json_object_array_length(names); k++)
				if ((s = json_object_get_string(json_object_array_get_idx(names, k))) &&
				    !strcasecmp(s, name))
					return 1;
	}
	return 0;
}

/* the reward grader gives line o for the answer {"genes":[a, b?]} */
static double lint_reward(struct json_object *o, const char *a, const char *b, struct strbuf *why)
{
	struct json_object *sample = json_object_new_object(), *ans = json_object_new_object();
	struct json_object *genes = json_object_new_array();
	struct grade_result r;
	double reward;

	json_object_array_add(genes, json_object_new_string(a));
	if (b)
		json_object_array_add(genes, json_object_new_string(b));
	json_object_object_add(ans, "genes", genes);
	json_object_object_add(ans, "explanation", json_object_new_string("lint"));
	json_object_object_add(sample, "output_text",
			       json_object_new_string(json_object_to_json_string_ext(ans, JSON_C_TO_STRING_PLAIN)));
	json_object_object_add(sample, "output_json", ans);
	json_object_object_add(o, "sample", sample);
	grade_result_init(&r);
	grade_line(lint_grader, o, &r);
	reward = r.reward;
	strbuf_reset(why);
	if (r.message.len)
		strbuf_addf(why, " (%s)", r.message.buf);
	grade_result_release(&r);
	json_object_object_del(o, "sample");
	return reward;
}

static void lint_run_grader(const char *where, struct json_object *o)
{
	struct json_object *ref = rft_json_get(o, "reference");
	struct strbuf why = STRBUF_INIT, idtext = STRBUF_INIT;
	const char *right = rft_json_get_str(ref, "gene"), *wrong;
	double rw;

	if (!right) {
		/* no symbol: the first name of the first gene (its approved symbol
		 * when HGNC data named it, else its HGNC id) */
		struct json_object *g0 = json_object_array_get_idx(rft_json_get(ref, "genes"), 0);
		struct json_object *names = rft_json_get(g0, "names");
		size_t k, n = names && json_object_is_type(names, json_type_array) ?
			json_object_array_length(names) : 0;

		right = rft_json_get_str(g0, "symbol");
		for (k = 0; !right && k < n; k++) {
			const char *s = json_object_get_string(json_object_array_get_idx(names, k));

			if (s && strncmp(s, "HGNC:", 5))
				right = s;
		}
		if (!right)
			right = rft_json_get_str(g0, "hgnc");
	}
	if (!right) {
		problem(where, "reference has no gene (reference.gene, reference.genes[0].symbol, .names "
			"or .hgnc): the grader cannot be tried on this line");
		return;
	}
	json_put_value(&idtext, rft_json_get(o, "id"));
	gx.ran++;
	rw = lint_reward(o, right, "ZZZ_NOT_A_GENE", &why);
	if (!(rw >= 1 - 1e-9) && ++gx.right_low <= LINT_SHOW)
		problem(where, "id %s: the grader gives the right answer [\"%s\",\"ZZZ_NOT_A_GENE\"] a reward "
			"of %g, not 1%s", idtext.buf, right, rw, why.buf);
	wrong = gx.other && !ref_names(ref, gx.other) ? gx.other : "ZZZ_WRONG_GENE";
	rw = lint_reward(o, wrong, NULL, &why);
	if (!(rw <= 1e-9) && ++gx.wrong_high <= LINT_SHOW)
		problem(where, "id %s: the grader gives the wrong answer [\"%s\"] a reward of %g, not 0%s",
			idtext.buf, wrong, rw, why.buf);
	free(gx.other);
	gx.other = estrdup(right);
	strbuf_release(&why);
	strbuf_release(&idtext);
}

/* ------------------------------------------------------- lint: a file */

/* train or valid from a file's name, or NULL (none, or both) */
static const char *role_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	int t, v;

	base = base ? base + 1 : path;
	t = strstr(base, "train") != NULL;
	v = strstr(base, "valid") != NULL;
	return t == v ? NULL : t ? "train" : "valid";
}

/* a Batch API request line: custom_id, method POST, url, body with model and messages */
static void lint_batch_line(const char *where, struct json_object *o, struct strmap *cids,
			    char ***cid_where, size_t *cid_alloc)
{
	struct json_object *body = rft_json_get(o, "body"), *cid = rft_json_get(o, "custom_id");
	const char *s;

	if (!cid || !json_object_is_type(cid, json_type_string) || !json_object_get_string_len(cid)) {
		problem(where, "custom_id is %s, not a non-empty string", rft_json_type_name(cid));
	} else {
		int added;
		long ix = strmap_intern(cids, json_object_get_string(cid), &added);

		if (!added) {
			problem(where, "custom_id '%s' repeats %s (the Batch API needs them unique)",
				json_object_get_string(cid), (*cid_where)[ix]);
		} else {
			if ((size_t)ix >= *cid_alloc) {
				*cid_alloc = *cid_alloc ? 2 * *cid_alloc : 1024;
				*cid_where = erealloc(*cid_where, *cid_alloc * sizeof(char *));
			}
			(*cid_where)[ix] = estrdup(where);
		}
	}
	s = rft_json_get_str(o, "method");
	if (!s || strcmp(s, "POST"))
		problem(where, "method is %s%s%s, not \"POST\"", s ? "'" : "", s ? s : "missing", s ? "'" : "");
	s = rft_json_get_str(o, "url");
	if (!s || strcmp(s, "/v1/chat/completions"))
		problem(where, "url is %s%s%s, not \"/v1/chat/completions\"", s ? "'" : "",
			s ? s : "missing", s ? "'" : "");
	if (!body || !json_object_is_type(body, json_type_object)) {
		problem(where, "body is %s, not an object", rft_json_type_name(body));
		return;
	}
	if (!rft_json_get_str(body, "model"))
		problem(where, "body.model is missing (or not a string)");
	lint_messages(where, body);
}

static void lint_file(const char *path)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT, where = STRBUF_INIT, err = STRBUF_INIT, key = STRBUF_INIT;
	unsigned long long nrft = 0, nbatch = 0, bytes = 0;
	struct strmap cids = STRMAP_INIT;
	char **cid_where = NULL;
	size_t cid_alloc = 0, k;
	const char *role = opt.lint_role;
	int r, over_bytes = 0;

	if (rft_input_open(&in, path) < 0)
		exit(rft_finish(RFT_EX_NOINPUT));
	lint.files++;
	free(gx.other);
	gx.other = NULL;
	while ((r = rft_input_getline(&in, &line)) != 0) {
		struct json_object *o = NULL;
		size_t i;

		strbuf_reset(&where);
		strbuf_addf(&where, "%s:%llu", in.name, in.lineno);
		if (r == -1)
			break;
		bytes += line.len + 1;
		if (r == -2) {
			problem(where.buf, "line longer than %zu bytes", in.max_record);
			continue;
		}
		for (i = 0; i < line.len && strchr(" \t\r", line.buf[i]); i++)
			;
		if (i == line.len)
			continue;
		lint.lines++;
		strbuf_reset(&err);
		if (rft_json_parse(line.buf, line.len, &o, &err) < 0) {
			problem(where.buf, "%s", err.buf);
			continue;
		}
		if (!o || !json_object_is_type(o, json_type_object)) {
			problem(where.buf, "expected a JSON object, got %s", rft_json_type_name(o));
			json_object_put(o);
			continue;
		}
		if (rft_json_get(o, "custom_id") || rft_json_get(o, "body")) {
			/* a Batch API request (rft-prompt --format batch) */
			lint_batch_line(where.buf, o, &cids, &cid_where, &cid_alloc);
			if (++nbatch == BATCH_MAX_REQUESTS + 1)
				problem(where.buf, "more than %d requests (the Batch API limit per file)",
					BATCH_MAX_REQUESTS);
			if (bytes > BATCH_MAX_BYTES && !over_bytes++)
				problem(where.buf, "the file is over 200 MB here (the Batch API limit per file)");
			json_object_put(o);
			continue;
		}
		if (!role && !(role = role_of_name(in.name)))
			die(RFT_EX_USAGE, "%s: cannot tell whether this is a training or a validation file "
			    "(its name should contain 'train' or 'valid', not both nor neither): give "
			    "--role train or --role valid", in.name);
		lint_messages(where.buf, o);
		/* size limits, by the file's role (never by the lines' split) */
		nrft++;
		if (!strcmp(role, "train") && nrft == RFT_MAX_TRAIN + 1)
			problem(where.buf, "more than %d training lines (the RFT limit)", RFT_MAX_TRAIN);
		if (!strcmp(role, "valid") && nrft == RFT_MAX_VALID + 1)
			problem(where.buf, "more than %d validation lines (the RFT limit)", RFT_MAX_VALID);
		/* unique ids, across every file linted */
		{
			struct json_object *id;

			if (json_object_object_get_ex(o, "id", &id)) {
				long ix;
				int added;

				strbuf_reset(&key);
				json_put_value(&key, id);
				ix = strmap_intern(&lint.ids, key.buf, &added);
				if (!added) {
					problem(where.buf, "id %s repeats %s", key.buf, lint.id_where[ix]);
				} else {
					if ((size_t)ix >= lint.id_alloc) {
						lint.id_alloc = lint.id_alloc ? 2 * lint.id_alloc : 1024;
						lint.id_where = erealloc(lint.id_where,
									 lint.id_alloc * sizeof(char *));
					}
					lint.id_where[ix] = estrdup(where.buf);
				}
			}
		}
		lint_refs(where.buf, o);
		if (lint_grader)
			lint_run_grader(where.buf, o);
		json_object_put(o);
	}
	if (nrft && nbatch)
		problem(in.name, "mixes %llu RFT lines and %llu Batch API requests: one kind per file",
			nrft, nbatch);
	if (r == -1 || rft_input_close(&in) < 0)
		exit(rft_finish(RFT_EX_DATA));
	for (k = 0; k < cids.n; k++)
		free(cid_where[k]);
	free(cid_where);
	strmap_release(&cids);
	strbuf_release(&line);
	strbuf_release(&where);
	strbuf_release(&err);
	strbuf_release(&key);
}

/* the grader g (read from path by load_grader) made runnable */
static void load_lint_grader(struct json_object *g, const char *path)
{
	struct strbuf err = STRBUF_INIT;
	char *hpath;

	/* gene names are normalised as rft-grade does, when HGNC data is found */
	hpath = opt.no_hgnc ? NULL : rft_hgnc_path(opt.hgnc);
	if (!hpath && opt.no_hgnc)
		warn("warning: --no-hgnc: the grader compares gene names as written, case-insensitively");
	else if (!hpath) {
		rft_data_looked(&err, "hgnc", RFT_HGNC_OPT, "RFT_HGNC");
		warn("warning: no HGNC file found (--hgnc, RFT_HGNC, RFT_DATADIR): the grader compares "
		     "gene names as written, case-insensitively; looked in:\n%s", err.buf);
		strbuf_reset(&err);
	} else {
		hgnc_from(hpath);
		lint_env.hgnc = &hgnc;
		free(hpath);
	}
	lint_grader = grader_load(g, path, &lint_env, &err);
	if (!lint_grader)
		die(RFT_EX_CONFIG, "%s (rft-prompt --lint runs the grader on every line; "
		    "--refs-only checks only its {{item.*}} references)", err.buf);
	strbuf_release(&err);
}

static int run_lint(char **paths, int npaths)
{
	static char *dash[] = { (char *)"-" };
	int i;
	size_t k;

	if (opt.grader) {
		struct json_object *g = load_grader(opt.grader);

		if (!opt.refs_only)
			load_lint_grader(g, opt.grader);
		json_object_put(g);
	}
	if (!npaths) {
		paths = dash;
		npaths = 1;
	}
	for (i = 0; i < npaths; i++)
		lint_file(paths[i]);
	if (gx.right_low)
		warn("lint: the grader gave %llu of %llu right answers a reward below 1 (%s named above)",
		     gx.right_low, gx.ran, gx.right_low > LINT_SHOW ? "the first " LINT_SHOW_TEXT : "each");
	if (gx.wrong_high)
		warn("lint: the grader gave %llu of %llu wrong answers a reward above 0 (%s named above)",
		     gx.wrong_high, gx.ran, gx.wrong_high > LINT_SHOW ? "the first " LINT_SHOW_TEXT : "each");
	lint.problems += (gx.right_low > LINT_SHOW ? gx.right_low - LINT_SHOW : 0) +
		(gx.wrong_high > LINT_SHOW ? gx.wrong_high - LINT_SHOW : 0);
	free(gx.other);
	grader_free(lint_grader);
	release_hgnc();
	for (k = 0; k < lint.ids.n; k++)
		free(lint.id_where[k]);
	free(lint.id_where);
	strmap_release(&lint.ids);
	strmap_release(&lint.refs);
	rft_json_thread_done();
	if (lint.problems || opt.stats || isatty(STDERR_FILENO))
		warn("lint: %llu problem%s in %llu line%s of %llu file%s", lint.problems,
		     lint.problems == 1 ? "" : "s", lint.lines, lint.lines == 1 ? "" : "s",
		     lint.files, lint.files == 1 ? "" : "s");
	return rft_finish(lint.problems ? RFT_EX_DATA : RFT_EX_OK);
}

/* ----------------------------------------------------------------- main */

enum { OPT_SYSTEM = 256, OPT_SYSTEM_ROLE, OPT_SEED, OPT_MAX_TERMS, OPT_KEEP, OPT_SCHEMA,
       OPT_SHOW_TEMPLATE, OPT_LINT, OPT_LINT_ROLE, OPT_GRADER, OPT_SKIP_BAD, OPT_REJECTS,
       OPT_STATS, OPT_HGNC, OPT_NO_HGNC, OPT_REFS_ONLY, OPT_REFERENCES, OPT_MAX_COMPLETION_TOKENS,
       OPT_REASONING_EFFORT, OPT_CANDIDATES, OPT_CANDIDATES_DEPTH, OPT_SHUFFLE_CANDIDATES };

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write to FILE (atomically) instead of stdout" },
	{ 'f', "format", RFT_ARG_REQ, "FMT", "rft (training lines, default), batch (Batch API requests) or chat" },
	{ 't', "template", RFT_ARG_REQ, "FILE", "render messages with the template in FILE (default: the built-in one)" },
	{ OPT_SYSTEM, "system", RFT_ARG_REQ, "FILE", "put the message in FILE (a template) first, as a developer/system message" },
	{ OPT_SYSTEM_ROLE, "system-role", RFT_ARG_REQ, "ROLE", "role of the --system message: developer (default for rft, batch) or system (chat)" },
	{ 'm', "model", RFT_ARG_REQ, "NAME", "the model batch requests name (required with --format batch)" },
	{ OPT_SEED, "seed", RFT_ARG_REQ, "N", "shuffle each case's present terms, the order depending on N and the case id" },
	{ OPT_MAX_TERMS, "max-terms", RFT_ARG_REQ, "N", "show at most N present terms (the first N, after any shuffle)" },
	{ OPT_CANDIDATES, "candidates", RFT_ARG_REQ, "SAMPLES", "hybrid prompts: each case's candidate genes from the sample lines in SAMPLES (joined by id)" },
	{ OPT_CANDIDATES_DEPTH, "candidates-depth", RFT_ARG_REQ, "N", "with --candidates: the first N genes of each list (default 10)" },
	{ OPT_SHUFFLE_CANDIDATES, "shuffle-candidates", RFT_ARG_REQ, "SEED", "with --candidates: shuffle them by SEED and the case id" },
	{ OPT_KEEP, "keep", RFT_ARG_REQ, "KEYS", "also copy these case keys (comma-separated) into rft lines, for graders" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE", "HGNC complete set for reference.genes[].names (default $RFT_HGNC, else hgnc/ of the data folder: see rft(1))" },
	{ OPT_NO_HGNC, "no-hgnc", RFT_ARG_NONE, NULL, "write reference names without HGNC data (symbol and id only)" },
	{ OPT_REFERENCES, "references", RFT_ARG_REQ, "FILE", "with --format batch: write each case's {custom_id,id,split,reference} to FILE (for rft-call --join)" },
	{ OPT_MAX_COMPLETION_TOKENS, "max-completion-tokens", RFT_ARG_REQ, "N", "with --format batch: max_completion_tokens of each request" },
	{ OPT_REASONING_EFFORT, "reasoning-effort", RFT_ARG_REQ, "LEVEL", "with --format batch: reasoning_effort of each request (none, minimal, low, medium, high, xhigh)" },
	{ OPT_SCHEMA, "schema", RFT_ARG_NONE, NULL, "write the answer's JSON-schema response_format and exit" },
	{ OPT_SHOW_TEMPLATE, "show-template", RFT_ARG_NONE, NULL, "write the template (the built-in one unless --template) and exit" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (and count, and reject) up to N bad cases instead of stopping (no N: any number)" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write the bad cases skipped, with the reason, to FILE" },
	{ OPT_LINT, "lint", RFT_ARG_NONE, NULL, "check the RFT files named (or stdin) instead of writing prompts" },
	{ OPT_LINT_ROLE, "role", RFT_ARG_REQ, "ROLE", "with --lint: the RFT files are train or valid (default: from each file's name)" },
	{ OPT_LINT_ROLE, "lint-role", RFT_ARG_REQ, "ROLE", "the same as --role" },
	{ OPT_GRADER, "grader", RFT_ARG_REQ, "FILE", "with --lint: run this grader on every line (right and wrong answers); its {{item.*}} must resolve" },
	{ OPT_REFS_ONLY, "refs-only", RFT_ARG_NONE, NULL, "with --grader: only check its {{item.*}} references, do not run it" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print the summary on stderr (always printed when stderr is a terminal)" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-prompt", "[OPTION]... [CASES]...\n       rft-prompt --lint [--role ROLE] [--grader FILE] [FILE]...",
	"Render case lines into chat prompts: RFT training lines, OpenAI Batch API requests or\n"
	"plain chat messages.  With no input, or '-', read stdin.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data (a case without candidates, lint problems),\n66 input missing, "
	"74 I/O error, 78 bad template or grader file.  See rft-prompt(1).\n"
};

static void summary(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%llu cases read, %llu prompts written, %llu bad", count.read,
		    count.written, count.bad);
	strbuf_addf(&sb, ", %llu present terms shown", count.shown);
	if (opt.max_terms >= 0)
		strbuf_addf(&sb, " (%llu left out by --max-terms)", count.omitted);
	if (opt.candidates)
		strbuf_addf(&sb, "; %zu candidate lines read, %llu repeated names dropped from their lists",
			    cands.ids.n, cands.repeats);
	warn("%s", sb.buf);
	strbuf_release(&sb);
}

/* the names templates may use: the case's, and the candidates' with --candidates */
static const struct rft_tpl_contract *the_contract(void)
{
	size_t a, b;

	if (!opt.candidates)
		return &contract;
	if (!both_names) {
		for (a = 0; case_names[a]; a++)
			;
		for (b = 0; cand_names[b]; b++)
			;
		both_names = emalloc((a + b + 1) * sizeof(*both_names));
		memcpy(both_names, case_names, a * sizeof(*both_names));
		memcpy(both_names + a, cand_names, (b + 1) * sizeof(*both_names));
		hybrid_contract.names = both_names;
	}
	return &hybrid_contract;
}

static struct rft_tpl *load_template(const char *path, int flags)
{
	struct strbuf err = STRBUF_INIT;
	struct rft_tpl *t;
	int rc;

	if (!path) {
		if (opt.candidates)
			t = rft_tpl_parse("<built-in hybrid template>", hybrid_template,
					  sizeof(hybrid_template) - 1, the_contract(), flags, &err);
		else
			t = rft_tpl_parse("<built-in template>", default_template,
					  sizeof(default_template) - 1, the_contract(), flags, &err);
		if (!t)
			die(RFT_EX_SOFTWARE, "%s", err.buf);
		return t;
	}
	rc = rft_tpl_load(path, the_contract(), flags, &t, &err);
	if (rc)
		die(rc, "%s", err.buf);
	strbuf_release(&err);
	return t;
}

int main(int argc, char **argv)
{
	int c;

	rft_init("rft-prompt");
	rft_data_argv0(argv[0]);
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.output = optarg; break;
		case 'f':
			if (!strcmp(optarg, "rft"))
				opt.format = F_RFT;
			else if (!strcmp(optarg, "batch"))
				opt.format = F_BATCH;
			else if (!strcmp(optarg, "chat"))
				opt.format = F_CHAT;
			else
				rft_usage_error("unknown format '%s' (rft, batch, chat)", optarg);
			break;
		case 't': opt.template = optarg; break;
		case OPT_SYSTEM: opt.system = optarg; break;
		case OPT_SYSTEM_ROLE:
			if (strcmp(optarg, "developer") && strcmp(optarg, "system"))
				rft_usage_error("unknown --system-role '%s' (developer, system)", optarg);
			opt.system_role = optarg;
			break;
		case 'm': opt.model = optarg; break;
		case OPT_SEED: opt.seed = (unsigned long long)rft_opt_count("seed", optarg, 0, RFT_OPT_NO_MAX); opt.seeded = 1; break;
		case OPT_MAX_TERMS: opt.max_terms = rft_opt_count("max-terms", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_KEEP: opt.keep = optarg; break;
		case OPT_CANDIDATES: opt.candidates = optarg; break;
		case OPT_CANDIDATES_DEPTH: opt.cand_depth = rft_opt_count("candidates-depth", optarg, 1, 100000); break;
		case OPT_SHUFFLE_CANDIDATES:
			opt.cand_seed = (unsigned long long)rft_opt_count("shuffle-candidates", optarg, 0, RFT_OPT_NO_MAX);
			opt.cand_seeded = 1;
			break;
		case OPT_SCHEMA: opt.schema = 1; break;
		case OPT_SHOW_TEMPLATE: opt.show_template = 1; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_LINT: opt.lint = 1; break;
		case OPT_LINT_ROLE:
			if (strcmp(optarg, "train") && strcmp(optarg, "valid"))
				rft_usage_error("unknown --lint-role '%s' (train, valid)", optarg);
			opt.lint_role = optarg;
			break;
		case OPT_GRADER: opt.grader = optarg; break;
		case OPT_STATS: opt.stats = 1; break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case OPT_NO_HGNC: opt.no_hgnc = 1; break;
		case OPT_REFS_ONLY: opt.refs_only = 1; break;
		case OPT_REFERENCES: opt.references = optarg; break;
		case OPT_MAX_COMPLETION_TOKENS:
			opt.max_completion_tokens = rft_opt_count("max-completion-tokens", optarg, 1, RFT_OPT_NO_MAX);
			break;
		case OPT_REASONING_EFFORT:
			if (strcmp(optarg, "none") && strcmp(optarg, "minimal") && strcmp(optarg, "low") &&
			    strcmp(optarg, "medium") && strcmp(optarg, "high") && strcmp(optarg, "xhigh"))
				rft_usage_error("unknown --reasoning-effort '%s' (none, minimal, low, medium, high, xhigh)",
					    optarg);
			opt.reasoning_effort = optarg;
			break;
		}
	}
	if ((opt.lint_role || opt.grader) && !opt.lint)
		rft_usage_error("%s needs --lint", opt.grader ? "--grader" : "--role");
	if (opt.refs_only && !opt.grader)
		rft_usage_error("%s needs --lint --grader FILE", "--refs-only");
	if (opt.hgnc && opt.no_hgnc)
		rft_usage_error("%s: give --hgnc FILE or --no-hgnc, not both", "--no-hgnc");
	if (opt.lint && opt.candidates)
		rft_usage_error("%s is not used with --lint", "--candidates");
	if (opt.lint)
		return run_lint(argv + optind, argc - optind);
	if (!opt.candidates && (opt.cand_depth >= 0 || opt.cand_seeded))
		rft_usage_error("%s needs --candidates SAMPLES", opt.cand_seeded ? "--shuffle-candidates" :
			    "--candidates-depth");
	if (opt.cand_depth < 0)
		opt.cand_depth = CANDIDATES_DEPTH;
	if (opt.candidates) {
		int i, dash = !strcmp(opt.candidates, "-");

		for (i = optind; i < argc; i++)
			dash += !strcmp(argv[i], "-");
		if (dash > 1 || (!strcmp(opt.candidates, "-") && optind == argc))
			rft_usage_error("--candidates %s: the cases and the candidates cannot both come from stdin",
				    opt.candidates);
	}
	if (opt.format == F_BATCH && !opt.model)
		rft_usage_error("%s needs --model NAME", "--format batch");
	if (opt.model && opt.format != F_BATCH)
		rft_usage_error("%s is only used with --format batch", "--model");
	if (opt.keep && opt.format != F_RFT)
		rft_usage_error("%s is only used with --format rft", "--keep");
	if (opt.format != F_BATCH && (opt.references || opt.max_completion_tokens >= 0 || opt.reasoning_effort))
		rft_usage_error("%s is only used with --format batch", opt.references ? "--references" :
			    opt.reasoning_effort ? "--reasoning-effort" : "--max-completion-tokens");
	if (opt.keep) {
		const char *k;

		for (k = opt.keep; *k; k += strcspn(k, ",") + (k[strcspn(k, ",")] == ',')) {
			if (!strncmp(k, "messages", strcspn(k, ",")) && strcspn(k, ",") == 8)
				rft_usage_error("--keep %s: 'messages' is written by rft-prompt", opt.keep);
			if (opt.candidates && !strncmp(k, "candidates", strcspn(k, ",")) && strcspn(k, ",") == 10)
				rft_usage_error("--keep %s: 'candidates' is written by rft-prompt --candidates", opt.keep);
		}
	}
	if (!opt.system_role)
		opt.system_role = opt.format == F_CHAT ? "system" : "developer";

	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (opt.schema) {
		struct strbuf sb = STRBUF_INIT;

		put_response_format(&sb);
		strbuf_addch(&sb, '\n');
		rft_output_write(&out, sb.buf, sb.len);
		strbuf_release(&sb);
		return rft_finish(rft_output_commit(&out) < 0 ? RFT_EX_IOERR : RFT_EX_OK);
	}
	if (opt.show_template) {
		struct rft_tpl *t = load_template(opt.template, RFT_TPL_ROLES);
		FILE *fp;

		rft_tpl_free(t);
		free(both_names);
		if (!opt.template && opt.candidates) {
			rft_output_write(&out, hybrid_template, sizeof(hybrid_template) - 1);
		} else if (!opt.template) {
			rft_output_write(&out, default_template, sizeof(default_template) - 1);
		} else if ((fp = fopen(opt.template, "r"))) {
			char buf[8192];
			size_t n;

			while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
				rft_output_write(&out, buf, n);
			fclose(fp);
		}
		return rft_finish(rft_output_commit(&out) < 0 ? RFT_EX_IOERR : RFT_EX_OK);
	}
	tpl = load_template(opt.template, RFT_TPL_ROLES);
	if (strcmp(rft_tpl_role(tpl, rft_tpl_count(tpl) - 1), "user"))
		die(RFT_EX_CONFIG, "%s: the last message is from the %s; it must be from the user",
		    opt.template ? opt.template : "<built-in template>",
		    rft_tpl_role(tpl, rft_tpl_count(tpl) - 1));
	if (opt.system)
		sys_tpl = load_template(opt.system, 0);
	setvbuf(out.fp, NULL, _IOFBF, 1 << 16);
	if (opt.format == F_RFT || opt.references)
		load_hgnc();
	if (opt.references && rft_output_open(&refs_out, opt.references) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (opt.rejects) {
		if (rft_output_open(&rej, opt.rejects) < 0)
			return rft_finish(RFT_EX_IOERR);
		rej_open = 1;
	}
	if (opt.candidates)
		load_candidates(opt.candidates, (size_t)opt.cand_depth);
	render_cases(argv + optind, argc - optind);
	release_hgnc();
	rft_tpl_free(tpl);
	rft_tpl_free(sys_tpl);
	if (opt.stats || isatty(STDERR_FILENO))
		summary();
	if (opt.candidates)
		release_candidates();
	free(both_names);
	if (rej_open && rft_output_commit(&rej) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (opt.references && rft_output_commit(&refs_out) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	return rft_finish(RFT_EX_OK);
}
