/*
 * fuse.h - rank fusion: several ranked gene lists of one case -> one list.
 *
 * The rules (rft-fuse(1) and the README's "Fusion" section say the same):
 *
 *   A list is cut first: entries that are not names (NULL) or blank once
 *   trimmed, and repeats of a gene already in the list, are dropped; then
 *   only the first depth genes count (depth 0: all).  r is a gene's rank in
 *   the cut list (1-based), n the cut list's length, w the list's weight.
 *   A gene is known by its name trimmed of ASCII white space and with a-z
 *   upper-cased (no alias resolution: rft-grade does that); the fused list
 *   spells it as the first list (in the order given) that names it does.
 *   Lists of weight 0 (or less, or NaN) are ignored as if absent.
 *
 *   rrf          score = sum over lists naming g of  w / (k + r)
 *   borda        score = sum over lists naming g of  w * (D - r + 1),
 *                D = depth when set, else the longest cut list of the
 *                case; a gene absent from a list gets 0 points from it
 *   score        score = sum over lists naming g of  w * (s - min)/(max - min),
 *                s the list's own score of g, min and max over the cut list
 *                (1 when max == min); a list in which some gene has no
 *                finite score uses s = n - r + 1 instead (counted in
 *                result->unscored); absent: 0
 *   rankedpairs  Tideman's ranked pairs.  d(a,b) = sum of the weights of the
 *                lists that rank a above b, where a gene in a list is above
 *                every gene the list lacks (two absent genes: no
 *                preference).  The pairs with margin d(a,b) - d(b,a) > 0 are
 *                taken by margin, larger first (equal margins: the winner's
 *                tie order, then the loser's), and each is locked unless it
 *                would close a cycle; the fused list then takes, again and
 *                again, the first gene in tie order that no remaining gene
 *                beats by a locked pair.  No score (NaN).
 *
 *   Ties (equal scores, and ranked pairs' choices): a better best rank over
 *   the lists first, then more lists naming the gene, then the gene's key
 *   in byte order.  Sums run over the lists in the order given, so a result
 *   is the same bytes on every run.
 *
 * Cost: rrf, borda, score O(L log L) for L names in all lists; rankedpairs
 * O(C^2) memory and O(C^2 log C + C^3/64) time for C distinct genes.
 *
 * Ownership rule: the lists are borrowed; a result owns its items array,
 * whose symbol and hgnc pointers are borrowed from the lists (keep the lists
 * until the result is released).  fuse_result_release frees and resets.
 */
#ifndef RFT_FUSE_H
#define RFT_FUSE_H

#include <json.h>
#include <stddef.h>

#include "strbuf.h"

enum fuse_rule { FUSE_RRF, FUSE_BORDA, FUSE_SCORE, FUSE_RANKEDPAIRS };

struct fuse_params {
	enum fuse_rule rule;
	double k;        /* rrf's constant (>= 0) */
	size_t depth;    /* only the top depth genes of each list count; 0: all */
};
#define FUSE_RRF_K 60.0
#define FUSE_PARAMS_INIT { FUSE_RRF, FUSE_RRF_K, 0 }

struct fuse_list {
	const char *const *genes;   /* n names as written; NULL: not a name */
	const char *const *hgnc;    /* NULL, or n ids (NULL entries: none) */
	const double *scores;       /* NULL, or n scores (NaN: none) */
	size_t n;
	double weight;
};

struct fuse_item {
	const char *symbol;   /* the first spelling, trimmed (borrowed, not NUL-ended: symlen) */
	size_t symlen;
	const char *hgnc;     /* the first id given for it, or NULL */
	double score;         /* NaN for rankedpairs */
	size_t best;          /* best rank in any list */
	size_t nlists;        /* lists naming it */
};

struct fuse_result {
	struct fuse_item *items;   /* the fused list, best first */
	size_t n, alloc;
	size_t lists;              /* lists used (weight > 0) */
	size_t unscored;           /* rule score: lists ranked by place for want of scores */
};
#define FUSE_RESULT_INIT { NULL, 0, 0, 0, 0 }

/* "rrf", "borda", "score", "rankedpairs" */
const char *fuse_rule_name(enum fuse_rule rule);
/* 0 and *rule, or -1 when name is none of those */
int fuse_rule_parse(const char *name, enum fuse_rule *rule);

/* Fuse nlists lists into res (its old items are dropped).  0. */
int fuse_rank(const struct fuse_params *p, const struct fuse_list *lists, size_t nlists,
	      struct fuse_result *res);
void fuse_result_release(struct fuse_result *res);

/*
 * Cases as rft-fuse and rft-train read them: the lines of several runs for
 * one case id.  A line's list is sample.output_json.genes (entries that are
 * strings, or objects with a string "symbol"; anything else is no name), its
 * scores and HGNC ids those of sample.ranking entries of the same symbol.  A
 * line with "error" (and no "sample") is an error line; a sample without a
 * genes array is "unparsed" (an empty list).  A run's weight w is shared by
 * its lines of the case: each gets w/m for m lines, an error line's share is
 * lost (it counts as a missing list).
 *
 * Ownership rule: a case owns every string in it; fuse_case_release frees
 * them.  The lists fuse_case_lists writes borrow from the case.
 */
struct fuse_line {
	char **genes, **hgnc;  /* n each; NULL entries: none */
	double *scores;        /* n, NaN: none; NULL when the sample has no ranking */
	size_t n;
	int error, unparsed;
};
struct fuse_case_run {
	struct fuse_line *lines;
	size_t n, alloc;
	char **models;         /* distinct sample.model values, in order */
	size_t nmodels;
};
struct fuse_case {
	char *id;
	char *base;            /* the first line read without sample/error/grade, without its final '}' */
	int base_empty;        /* the base has no member */
	struct fuse_case_run *runs;
	size_t nruns;
	size_t order;          /* for the caller */
};
/* start a case of id with nruns runs whose base fields come from obj */
void fuse_case_init(struct fuse_case *c, const char *id, size_t nruns, struct json_object *obj);
/* add line obj to run's lines: 0, or -1 with why the line is bad in err */
int fuse_case_add(struct fuse_case *c, size_t run, struct json_object *obj, struct strbuf *err);
/* the case's lists with their weights (weights[run] shared as said above),
 * in run order then line order, into out (room for every line): their number */
size_t fuse_case_lists(const struct fuse_case *c, const double *weights, struct fuse_list *out);
size_t fuse_case_nlines(const struct fuse_case *c);
void fuse_case_release(struct fuse_case *c);

/* A run argument: NAME=FILE when what precedes the first '=' is a name
 * (letters, digits, '_', '-', '.') and a file follows, else FILE, named
 * after its base name without .gz, then .jsonl or .json ("-": "stdin").
 * *name and *file are new strings (free them); *name may be "" */
void fuse_run_arg(const char *arg, char **name, char **file);

/* the case id of a line: its string "id", or NULL */
const char *fuse_line_id(struct json_object *obj);

#endif
