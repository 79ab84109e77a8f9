/*
 * internal.h - what the files of the grader module share; nothing outside
 * filters/common/grader/ includes it but the tests of its internals.
 *
 *   grader.c     the type table, load/free/export dispatch, grade_one,
 *                grade_line, grade_put
 *   formula.c    the calculate_output language; the multi type
 *   gene_rank.c  the gene_rank type (tree path, load, export as python)
 *   gene_spans.c gene_rank graded from spans (rft-grade's batch fast path)
 *   text.c       string_check, text_similarity and its metric table
 *   python.c     the python type; pyworker.c its worker process
 *   model.c      score_model, label_model and cosine (through common/client)
 *   textsim.c, meteor.c (porter.c, wordnet.c)   text_similarity's metrics
 *
 * A grader type is a row of grader.c's table (struct grader_type): its
 * name as the JSON "type" writes it and its load, grade, export and free
 * functions, which live in the type's file.  Adding a type is a row there
 * plus those functions (and its fields below, if it needs some).
 */
#ifndef RFT_GRADER_INTERNAL_H
#define RFT_GRADER_INTERNAL_H

#include <json.h>

#include "../grader.h"
#include "../hgnc.h"
#include "../strbuf.h"
#include "../strmap.h"
#include "../template.h"

enum curve { C_RECIPROCAL, C_LINEAR, C_EXPONENTIAL };
/* genes a sample scores equally: each takes the worst rank of its tie
 * (PhEval's rule, the default), or its place in the list */
enum ties { TIES_WORST, TIES_LIST };
enum strop { OP_EQ, OP_NE, OP_LIKE, OP_ILIKE };

struct expr;
struct pyworker;
struct model_grader;
struct grader;
/* a text_similarity metric: the score of input against reference, or an
 * error set in r (grade_fail) */
typedef double (*text_metric_fn)(const char *input, size_t inlen, const char *reference, size_t reflen,
				 struct grade_result *r);

/* a row of the type table */
struct grader_type {
	const char *name;
	/* g's own fields from o (g->type, g->name, g->env and g->put_head are
	 * set; where is the grader's path, here "PATH (NAME)"): 0, or -1 with
	 * "HERE: what" in err */
	int (*load)(struct grader *g, struct json_object *o, const char *where, const char *here,
		    struct strbuf *err);
	void (*grade)(const struct grader *g, struct json_object *item, struct json_object *sample,
		      struct grade_result *r);
	/* append g as OpenAI's API takes it (grader_export_openai): 0, or -1
	 * with the reason in err */
	int (*export)(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		      struct strbuf *err);
	/* free g's own fields (the common ones are grader_free's) */
	void (*free)(struct grader *g);
	int flags;
};
/* grade() wants item as a copy of the line without "sample" and "grade"
 * (a python worker gets it whole); else item is the line itself and
 * templates hide those two members */
#define GT_REAL_ITEM 1

struct grader {
	const struct grader_type *type;
	char *name;
	char *input, *reference;      /* templates */
	char *text_input;             /* gene_rank: fallback template */
	enum strop op;                /* string_check */
	text_metric_fn metric;        /* text_similarity */
	const char *metric_name;
	int max_list;                 /* gene_rank; 0 for the other types */
	enum curve curve;
	double decay;
	enum ties ties;
	double pass_threshold;
	struct grader **subs;         /* multi */
	char **sub_names;
	int nsubs;
	struct expr *calc;
	char *calc_text;
	char *source;                 /* python */
	struct pyworker *py;
	struct model_grader *model;   /* score_model, label_model; text_similarity's cosine */
	char *span_paths[GS_N];       /* gene_rank: what grade_line_spans reads */
	char *put_head;               /* grade_put's {"name":NAME,"reward": */
	size_t put_headlen;
	int has_spans;
	int uses_model;               /* g or a sub-grader calls a model (set at load) */
	const struct grader_env *env; /* borrowed */
};

/* the types (their rows are grader.c's) */
int gene_rank_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		   struct strbuf *err);
void gene_rank_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		     struct grade_result *r);
int gene_rank_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		     struct strbuf *err);
void gene_rank_free(struct grader *g);

int string_check_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		      struct strbuf *err);
int string_check_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			struct strbuf *err);
int text_similarity_load(struct grader *g, struct json_object *o, const char *where, const char *here,
			 struct strbuf *err);
int text_similarity_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			   struct strbuf *err);
void text_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		struct grade_result *r);

int multi_load(struct grader *g, struct json_object *o, const char *where, const char *here,
	       struct strbuf *err);
void multi_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		 struct grade_result *r);
int multi_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		 struct strbuf *err);
void multi_free(struct grader *g);

int python_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		struct strbuf *err);
void python_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		  struct grade_result *r);
int python_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		  struct strbuf *err);
void python_free(struct grader *g);
int model_type_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		    struct strbuf *err);
void model_type_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		      struct grade_result *r);
int model_type_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		      struct strbuf *err);
void model_type_free(struct grader *g);
void text_free(struct grader *g);
/* grader_allow_models's setting: 0, model graders are refused at load */
int grader_models_allowed(void);

/* start the workers of g's python graders: 0, or -1 with the first failure in err */
int python_start(struct grader *g, struct strbuf *err);

/* loading helpers (grader.c) */
/* a string member, def when it is missing; NULL when it is not a string
 * (err says so) or missing with def NULL (err empty) */
const char *grader_str_member(struct json_object *o, const char *key, const char *def,
			      const char *where, struct strbuf *err);
/* a string member that must be one of names (default def): its index, or
 * -1 (err says why, or is empty when the member is missing and def NULL) */
int grader_str_choice(struct json_object *o, const char *key, const char *def, const char *const *names,
		      const char *what, const char *where, struct strbuf *err);
/* {"type":TYPE,"name":..,"input":..,"reference":.. (the object left open) */
void grader_export_head(struct strbuf *out, const char *type, const struct grader *g);

/* templates (grader.c): common/template's references, with the roots
 * item (hiding "sample" and "grade") and sample */
#define GRADER_NROOTS 2
void grader_roots(struct rft_tpl_root *roots, struct json_object *item, struct json_object *sample);
int grader_render(const char *tpl, struct json_object *item, struct json_object *sample,
		  struct strbuf *out, struct json_object **whole, struct strbuf *err);

/* a line with no sample object (grader.c) */
void grade_no_sample(const struct grader *g, int call_failed, const char *msg, struct grade_result *r);

/* gene_rank.c for gene_spans.c: the lists a gene_rank grade compares */
struct gene_name {
	long gene;
	size_t off;              /* of the text in gene_lists.text */
	size_t key;              /* of the key there, when gene < 0 */
	double score;            /* the sample's score for it (sample.ranking) */
};
/* a name of a reference gene (cleaned, upper case), and whose it is */
struct ref_name {
	size_t off;              /* in gene_lists.refnames */
	size_t ref;              /* index in gene_lists.refs */
};
/* what a gene_rank grade compares: the predicted names and the reference
 * genes, their texts packed NUL-separated (a few mallocs a line, not one a name) */
struct gene_lists {
	struct gene_name *names;
	size_t n, alloc;
	struct strbuf text;
	size_t *refs;            /* offsets in reftext: HGNC ids, or upper-case symbols without HGNC */
	size_t *refshow;         /* offsets in reftext: how each is shown (its symbol) */
	size_t nref, refalloc;
	struct strbuf reftext;
	struct ref_name *rn;     /* every name of every reference gene */
	size_t nrn, rnalloc;
	struct strbuf refnames;
	int scored;              /* every name has its score */
};
#define GENE_LISTS_INIT { NULL, 0, 0, STRBUF_INIT, NULL, NULL, 0, 0, STRBUF_INIT, NULL, 0, 0, STRBUF_INIT, 0 }
/* an answer that names no gene (see add_none) */
#define NAME_NONE (-2)
void gene_lists_release(struct gene_lists *L);
int gene_add_name(const struct hgnc *h, struct gene_lists *L, const char *text, size_t len,
		  struct grade_result *r);
void gene_add_none(struct gene_lists *L, enum json_type t, int blank);
size_t gene_add_ref(const struct hgnc *h, struct gene_lists *L, const char *s, const char *show);
void gene_add_ref_name(struct gene_lists *L, size_t ref, const char *s, size_t len);
int gene_parse_text(const struct hgnc *h, const char *text, struct gene_lists *L, struct grade_result *r);
void gene_rank_names(const struct grader *g, const struct gene_lists *L, struct grade_result *r);
void gene_span_paths_init(struct grader *g);

#endif
