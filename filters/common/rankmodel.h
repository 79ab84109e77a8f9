/*
 * rankmodel.h - the built-in ranker's model: HPO information content, Resnik
 * best-match tables, the breadth correction, and the per-(case, unit)
 * features that rft-rank scores and rft-train learns to weigh.
 *
 *   struct rank_model m;
 *   rank_model_load(&m, &data_opts, RANK_DISEASE, nthreads);   // dies 65/66/78
 *   rank_scratch_init(&s, &m);                                // one per thread
 *   rank_case_terms(&m, case_obj, &c, &counts, &err);         // map the terms
 *   rank_features(&m, &s, &c, feat);                          // nunits x RANK_NFEAT
 *   ... rank_scratch_release(&s); rank_case_release(&c); rank_model_release(&m);
 *
 * Units are diseases (RANK_DISEASE: a gene scores as its best disease) or
 * genes with their diseases' profiles merged (RANK_GENE).  The features of
 * a case q (present terms Q, absent terms E) and a unit u; none depends on
 * which gene or disease u is, so weights learned on some genes transfer to
 * others:
 *   match     sum over q in Q of best(q, u) / |Q|, best = IC of q's most
 *             informative ancestor in u's propagated profile (Resnik)
 *   breadth   mu(u), u's mean best match against random queries (every
 *             direct disease annotation of the release)
 *   absent    sum over e in E held in u's profile of IC(e) / |Q|
 *   exact     share of Q held in u's profile as the term itself or a more
 *             specific one
 *   specific  max over q of best(q, u): the single most informative match
 *   size      ln(1 + terms in u's propagated profile)
 *   genes     ln(genes linked to u) (0 for gene units)
 *   cover     IC-weighted share of u's direct annotations that are
 *             ancestors of (or are) a present term: the reverse direction
 * Dividing by |Q| keeps the order of units within a case; with the weights
 * RANK_BASE_WEIGHTS (match 1, breadth -0.75 x ..., absent 0.25) the score
 * orders units exactly as rft-rank's default formula
 *   sum best + 0.25 sum IC(absent) - 0.75 |Q| mu(u)
 * does (that formula divided by |Q|).  A gene's score is the max over its
 * units; ties go to the lower tie rank (gene_tie: HGNC number, then symbol).
 *
 * Ownership rule: the model owns every table and string it points to until
 * rank_model_release(); after rank_model_load() it is read-only and shared
 * by threads (the best-match cache inside is filled lock-free, see
 * rankmodel.c).  A rank_scratch belongs to one thread; a rank_case owns its
 * buffers until rank_case_release().
 */
#ifndef RFT_RANKMODEL_H
#define RFT_RANKMODEL_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "hgnc.h"
#include "hpo.h"
#include "strbuf.h"

enum rank_method { RANK_DISEASE, RANK_GENE };
extern const char *const rank_method_name[2];

enum rank_feature { RF_MATCH, RF_BREADTH, RF_ABSENT, RF_EXACT, RF_SPECIFIC, RF_SIZE, RF_GENES,
		    RF_COVER, RANK_NFEAT };
extern const char *const rank_feature_name[RANK_NFEAT];
extern const char *const rank_feature_meaning[RANK_NFEAT];
/* rft-rank's defaults (--breadth 0.75 --absent-weight 0.25) as weights */
extern const double rank_base_weights[RANK_NFEAT];

/* where the data files are (NULL: $RFT_HPO_DIR / $RFT_HGNC, else bundled) */
/* the options naming the reference data and the ranking units, as rft-rank
 * and rft-train take them: RANK_DATA_OPTIONS in the option table, and
 * rank_data_option() in the getopt loop */
enum { OPT_HPO_DIR = 0x1000, OPT_ONTOLOGY, OPT_ANNOTATIONS, OPT_HGNC };
#define RANK_DATA_OPTIONS \
	{ OPT_HPO_DIR, "hpo-dir", RFT_ARG_REQ, "DIR", "HPO release folder: hp*.json[.gz], *.hpoa[.gz], genes_to_phenotype* (default $RFT_HPO_DIR, else hpo/ of the data folder: see rft(1))" }, \
	{ OPT_ONTOLOGY, "ontology", RFT_ARG_REQ, "FILE", "the HPO ontology (obographs JSON), instead of the one in --hpo-dir" }, \
	{ OPT_ANNOTATIONS, "annotations", RFT_ARG_REQ, "FILE", "an annotation file (phenotype.hpoa, genes_to_phenotype.txt); repeat; replaces those in --hpo-dir" }, \
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE|DIR", "HGNC complete set, joining NCBI gene ids to HGNC and normalising gene names (default $RFT_HGNC, else hgnc/ of the data folder: see rft(1))" }

struct rank_data_opts {
	const char *hpo_dir, *ontology, *hgnc;
	const char *annotations[4];
	int nannotations;
};
/* take option c (one of RANK_DATA_OPTIONS) into o: 1, or 0 when it is not one
 * of them; dies (64) on a fifth --annotations */
int rank_data_option(struct rank_data_opts *o, int c, const char *arg);
/* "disease" or "gene" as enum rank_method; dies (64) on anything else */
int rank_method_arg(const char *arg);

struct rank_model {
	int method;                  /* enum rank_method */
	struct hpo_ontology onto;
	struct hpo_annotations ann;
	struct hgnc hgnc;
	double *ic;                  /* by term */
	struct hpo_rows anc_ic;      /* ancestors with IC > 0, in decreasing IC */
	struct hpo_rows unit_prof;   /* propagated profile of each unit, sorted */
	struct hpo_rows post;        /* term -> units holding it */
	double *mu;                  /* by unit: the breadth correction's mean */
	double *unit_size, *unit_genes; /* by unit: the size and genes features */
	double *unit_direct_ic;      /* by unit: summed IC of its direct annotations */
	struct hpo_rows dpost;       /* term -> units annotated with it directly */
	uint32_t *unit_src;          /* unit -> disease (disease method) or gene */
	size_t nunits;
	struct hpo_rows gene_units;  /* gene -> units */
	const char **gene_sym;       /* output symbol */
	const char **gene_hgnc;      /* HGNC id or NULL */
	uint32_t *gene_tie;          /* tie-break rank */
	size_t ngenes, ngenes_nohgnc, ndiseases_ic;
	uint8_t **best_cache;        /* by term, built on first use */
	char *data_json;             /* {"hpo","ontology","annotations":[..],"hgnc"} */
};

/* Load the data files and build the tables on nthreads threads; dies
 * "PROG: FILE[:LINE]: what" with 65, 66 or 78 (see hpo.h). */
void rank_model_load(struct rank_model *m, const struct rank_data_opts *o, int method,
		     int nthreads);
void rank_model_release(struct rank_model *m);

struct u32buf {
	uint32_t *v;
	size_t n, cap;
};
void u32b_push(struct u32buf *b, uint32_t x);
int u32b_has(const struct u32buf *b, uint32_t x);
/* 1 if the sorted row holds x */
int rank_row_has(const struct hpo_rows *r, size_t row, uint32_t x);

/* per-thread work space */
struct rank_scratch {
	double *raw;                 /* by unit */
	uint32_t *seen;
	uint32_t stamp;
	double *gscore;              /* by gene */
	double *mx;                  /* by unit */
	double *feat;                /* nunits x RANK_NFEAT, for rank_features */
	uint32_t *tseen, tstamp;     /* by term */
};
void rank_scratch_init(struct rank_scratch *s, const struct rank_model *m);
void rank_scratch_release(struct rank_scratch *s);
/* s->raw[u] += weight * best(q, u) for every unit u */
void rank_add_best(const struct rank_model *m, struct rank_scratch *s, uint32_t q, double weight);

/* what the terms of the cases read so far were */
struct rank_term_counts {
	unsigned long long present, absent, used_present, used_absent;
	unsigned long long alt, replaced, obsolete, unknown, contradictory;
};

/* a case's terms, mapped to live terms of the ontology */
struct rank_case {
	struct u32buf present, absent;   /* each once; a term both present and absent is present */
	struct strbuf terms;             /* {"present":N,"absent":N,"mapped":[..],"unknown":[..]} */
	int error;                       /* no known present term */
	struct strbuf errmsg;            /* then: why */
};
#define RANK_CASE_INIT { { NULL, 0, 0 }, { NULL, 0, 0 }, STRBUF_INIT, 0, STRBUF_INIT }
/* Read the present and absent terms of a case object.  0 (c->error set when
 * no present term is known), or -1 with a message in err when the record is
 * malformed (present/absent not arrays of objects with an "id"). */
int rank_case_terms(const struct rank_model *m, struct json_object *obj, struct rank_case *c,
		    struct rank_term_counts *count, struct strbuf *err);
void rank_case_release(struct rank_case *c);

/* The features of every unit for case c: f[u * RANK_NFEAT + k]. */
void rank_features(const struct rank_model *m, struct rank_scratch *s, const struct rank_case *c,
		   double *f);
/* w . f for one unit's features, summed in feature order */
static inline double rank_dot(const double *w, const double *f)
{
	double v = 0;
	int k;

	for (k = 0; k < RANK_NFEAT; k++)
		v += w[k] * f[k];
	return v;
}

/*
 * A model file, written by rft-train, read by rft-rank --model: JSON with
 *   "format": "rftkit-rank-model/1", "method": "disease"|"gene",
 *   "weights": {"match": 1.0, ...}   (a feature left out weighs 0)
 * and, for people, "meaning", "base_weights" and "provenance" (ignored here).
 */
#define RANK_MODEL_FORMAT "rftkit-rank-model/1"
struct rank_weights {
	double w[RANK_NFEAT];
	int method;
	char *name;                      /* the file's name as given */
};
/* 0, or an exit status after "PROG: FILE[:LINE]: what": 66 the file is
 * missing, 78 it is not a model file (bad JSON, unknown feature, a weight
 * that is not a finite number, unknown format or method). */
int rank_weights_load(struct rank_weights *rw, const char *path);
void rank_weights_release(struct rank_weights *rw);
/* {"match":1.000000,...}: every feature, 6 decimals */
void rank_weights_put(struct strbuf *sb, const double *w);

#endif
