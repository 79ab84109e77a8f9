/*
 * grader.h - the grader engine: OpenAI's grader schema (string_check,
 * text_similarity/fuzzy_match, multi with calculate_output, python) plus our
 * gene_rank, one implementation for every program that scores samples:
 * rft-grade (batch, --serve, --export-openai) and rft-train (the reward of
 * every sampled list).  man/rft-grade.1 documents the semantics.
 *
 *   struct grader_env env = { &hgnc_or_NULL, 5.0, 1024, NULL };
 *   struct grader *g = grader_load_file(path_or_NULL, &env);   // dies 66/78
 *   struct grade_result r;
 *   grade_result_init(&r);
 *   grade_line(g, line, &r);            // or grade_one(g, item, sample, &r)
 *   grade_put(&sb, g, &r);              // the "grade" object
 *   grade_result_release(&r);
 *   grader_free(g);
 *
 * gene_rank: the predicted list from a template (JSON array, else parsed
 * out of the text), names normalised with HGNC (env->hgnc; NULL compares
 * names as written, case-insensitively), duplicates counted once, the list
 * cut at max_list, reward = grade_curve_score(g, rank).
 *
 * Threads: grading with a loaded grader is thread-safe for every type but
 * python (one worker process per grader: grade on one thread when
 * grader_uses_python()).
 *
 * Ownership rule: a grader owns its strings, sub-graders and python worker
 * until grader_free(); it borrows env (and env->hgnc), which must outlive it
 * and may be filled in after loading (rft-grade loads HGNC only when it
 * grades).  A grade_result owns its buffers until grade_result_release().
 * JSON objects passed in are borrowed.
 */
#ifndef RFT_GRADER_H
#define RFT_GRADER_H

#include <json.h>

#include "hgnc.h"
#include "strbuf.h"

/* the error flags of OpenAI's grader run response (bits of grade_result.errors) */
enum grade_err {
	GRADE_ERR_PARSE = 1,          /* sample_parse_error */
	GRADE_ERR_VARIABLE = 2,       /* invalid_variable_error */
	GRADE_ERR_FORMULA = 4,        /* formula_parse_error */
	GRADE_ERR_PYTHON = 8,         /* python_grader_runtime_error */
	GRADE_ERR_OTHER = 16,         /* other_error */
	GRADE_ERR_UNRESPONSIVE = 32,  /* model_grader_server_error: a model grader's call failed */
	GRADE_ERR_CALL = 64,          /* the model call itself failed (our key) */
	GRADE_ERR_MODEL_PARSE = 128,  /* model_grader_parse_error: its answer has no result */
	GRADE_ERR_MODEL_REFUSAL = 256 /* model_grader_refusal_error */
};

struct grade_result {
	double reward;
	int errors;              /* enum grade_err bits */
	long rank;               /* gene_rank: 1-based, 0 = not found, -1 = n/a */
	struct strbuf predicted; /* gene_rank: JSON list */
	struct strbuf subs;      /* multi: "name":reward,... */
	struct strbuf message;   /* why, when something went wrong */
	int max_list;
	int unknown, ambiguous;  /* gene names not resolved */
	const char *tie_rule;    /* gene_rank: the rule applied to scored ties, or NULL */
};

/* what graders borrow from their program */
struct grader_env {
	const struct hgnc *hgnc;      /* NULL: names compared as written */
	double py_timeout;            /* seconds per python grade() call */
	long py_memory_mb;            /* address-space limit of the python worker */
	const char *ties;             /* gene_rank's tie rule when a grader names none (NULL: worst) */
};

/* Let score_model, label_model and text_similarity's cosine load and call
 * their endpoint (common/grader/model.h): rft-grade does, before loading;
 * elsewhere (lint, training, the fuzz harness) they are refused at load,
 * so nothing pays for a request it did not mean to make. */
void grader_allow_models(int on);

/* the values grade_line_spans reads (indexes of grader_span_paths) */
enum { GS_SAMPLE, GS_GRADE, GS_ERROR, GS_ERROR_MESSAGE, GS_INPUT, GS_TEXT, GS_REFERENCE, GS_RANKING, GS_N };

/* opaque: its fields are the grader module's (common/grader/internal.h) */
struct grader;

/* A grader from its JSON; NULL with "WHERE: what" in err. */
struct grader *grader_load(struct json_object *o, const char *where, const struct grader_env *env,
			   struct strbuf *err);
/* A grader file (plain or gzip), or the built-in gene_rank grader when path
 * is NULL; dies with 66 (missing) or 78 (wrong). */
struct grader *grader_load_file(const char *path, const struct grader_env *env);
void grader_free(struct grader *g);
/* 1 if g or one of its sub-graders is a python grader */
int grader_uses_python(const struct grader *g);
/*
 * Append g as OpenAI's fine-tuning API takes it (one JSON object, no
 * newline): each type's export is the inverse of its load, so exporting
 * what an export loads gives the same text.  gene_rank is exported as a
 * python grader running gene_rank.py, with the names env->hgnc resolves to
 * one of genes' HGNC ids (a set of "HGNC:n" keys) as its alias table.
 * 0, or -1 with the reason in err (the python source over OpenAI's 256 kB).
 */
struct strmap;
int grader_export_openai(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			 struct strbuf *err);

void grade_result_init(struct grade_result *r);
void grade_result_release(struct grade_result *r);
/* set an error flag, reward 0, and the first message */
void grade_fail(struct grade_result *r, int bit, const char *fmt, ...) RFT_PRINTF(3, 4);

/* Grade a sample against its item (the two namespaces of OpenAI's graders). */
void grade_one(const struct grader *g, struct json_object *item, struct json_object *sample,
	       struct grade_result *r);
/* Grade a sample line (item = the line without "sample"; a line with an
 * "error" and no sample is graded 0 with model_call_error). */
void grade_line(const struct grader *g, struct json_object *line, struct grade_result *r);
/*
 * Grading a line from spans (rft_json_spans), with no tree built: for a
 * gene_rank grader whose templates are each one plain reference (the
 * default grader's are), the fast path of rft-grade's batch mode.
 * grader_span_paths gives the GS_N paths to find in each line, or NULL when
 * this grader needs a tree.  grade_line_spans grades the line from the
 * values found exactly as grade_line grades its tree and returns 0, or
 * returns -1 (r left as grade_result_init made it) when the line wants the
 * tree: a "grade" already there, a missing or odd reference, an escaped key
 * inside a gene.  tmp is scratch the caller keeps.
 */
struct rft_json_span;
const char *const *grader_span_paths(const struct grader *g);
int grade_line_spans(const struct grader *g, const struct rft_json_span *spans, struct grade_result *r,
		     struct strbuf *tmp);
/* text_similarity's fuzzy_match of two UTF-8 texts, from 0 to 1; -1 when
 * they are too long to compare in about a second */
double grade_fuzzy_ratio(const char *a, const char *b);
/* The gene_rank score of a 1-based rank (0: not in the list). */
double grade_curve_score(const struct grader *g, long rank);
/* Append the "grade" object: {"name","reward","sub_rewards","rank","predicted",...}. */
void grade_put(struct strbuf *sb, const struct grader *g, const struct grade_result *r);

#endif
