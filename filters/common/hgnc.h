/*
 * hgnc.h - HGNC gene nomenclature: resolve the names people and models write
 * (approved symbols, previous symbols, aliases, "KMT2D (MLL2)") to HGNC ids,
 * and join NCBI Gene and Ensembl gene ids to HGNC ids.
 *
 * Resolution rule (../shared/data/README.md): an approved symbol first, then
 * a previous symbol that belongs to exactly one gene, then an alias that
 * belongs to exactly one gene; a name that is some other gene's approved
 * symbol is never resolved through prev/alias (CDH3 stays CDH3 although it
 * is a previous symbol of CDH15), and a name shared by several genes is
 * reported as ambiguous instead of guessed.  Case-insensitive.
 *
 * Ownership rule: struct hgnc owns everything it loads; strings returned by
 * hgnc_* functions are borrowed and live until hgnc_release().
 */
#ifndef RFT_HGNC_H
#define RFT_HGNC_H

#include <stdint.h>

#include "strbuf.h"
#include "strmap.h"

struct hgnc {
	struct strmap ids;       /* "HGNC:7133" -> gene */
	char **symbol;           /* gene -> approved symbol */
	struct strmap names;     /* upper-case name -> name slot */
	int32_t *approved;       /* name slot -> gene, or -1 */
	int32_t *prev;           /* name slot -> gene, -1 none, -2 several genes */
	int32_t *alias;          /* likewise */
	size_t names_alloc;
	struct strmap entrez;    /* NCBI Gene id "8085" -> entrez slot */
	int32_t *entrez_gene;    /* entrez slot -> gene */
	size_t entrez_alloc;
	struct strmap ensembl;   /* Ensembl gene id "ENSG00000196839" -> ensembl slot */
	int32_t *ensembl_gene;   /* ensembl slot -> gene */
	size_t ensembl_alloc;
	size_t ngenes, genes_alloc;
	char *source;            /* the file's name, for provenance */
};

enum hgnc_how { HGNC_APPROVED, HGNC_PREVIOUS, HGNC_ALIAS, HGNC_AMBIGUOUS, HGNC_UNKNOWN };

/* Load hgnc_complete_set.txt[.gz] (columns found by their header names).
 * 0, or -1 with the reason (naming file:line) in err. */
int hgnc_load(struct hgnc *h, const char *path, struct strbuf *err);
void hgnc_release(struct hgnc *h);

/* Resolve one name as written; gene index or -1 (*how says why). */
long hgnc_resolve(const struct hgnc *h, const char *name, enum hgnc_how *how);
/* Every name of the table that resolves to one gene (hgnc_resolve's rule:
 * ambiguous names are left out), in the table's order, with that gene:
 * fn(arg, NAME in upper case, gene); a non-zero return of fn stops the walk
 * and is returned, else 0. */
int hgnc_foreach_name(const struct hgnc *h, int (*fn)(void *arg, const char *name, long gene), void *arg);
/* Like hgnc_resolve, by the name rule below. */
long hgnc_resolve_text(const struct hgnc *h, const char *text, enum hgnc_how *how);

/*
 * The name rule (man/rft-grade.1, NAME MATCHING), shared by everything that
 * reads gene names people and models write, and mirrored line for line by
 * the python rft-grade exports (filters/common/grader/gene_rank.py).
 *
 * gene_name_ws: the byte length of the white-space character at p (before
 * end), or 0: ASCII's (\t \n \v \f \r, space) and U+0085 U+00A0 U+1680
 * U+2000..U+200B U+2028 U+2029 U+202F U+205F U+3000 U+FEFF.
 * gene_name_trim: the name at *s, *len long, without white space and decoration at the ends:
 * any mix of white space and " ' * ` _ before the name, and of white space
 * and " ' * ` _ . , ; : after it.
 * gene_name_resolve: the name is cleaned (trimmed, ASCII upper case) and
 * given to fn; when fn does not know it (unknown or ambiguous), "A (B)" is
 * tried as A, then B up to its ')', and "A/B" as A, then B (each cleaned).
 * 1 when fn took one of them (its result is in ctx), else 0; *how is fn's
 * last word (HGNC_AMBIGUOUS when A was ambiguous and B unknown).
 */
typedef int (*gene_lookup_fn)(void *ctx, const char *upper, enum hgnc_how *how);
size_t gene_name_ws(const char *p, const char *end);
/* the byte length of the white-space character that ends at end (after start), or 0 */
size_t gene_name_ws_end(const char *start, const char *end);
void gene_name_trim(const char **s, size_t *len);
int gene_name_resolve(const char *text, size_t len, gene_lookup_fn fn, void *ctx, enum hgnc_how *how);

long hgnc_by_id(const struct hgnc *h, const char *hgnc_id);
long hgnc_by_entrez(const struct hgnc *h, const char *entrez_id);
/* by the ensembl_gene_id column ("ENSG00000196839", no version suffix); -1
 * when the table has no such id or no such column */
long hgnc_by_ensembl(const struct hgnc *h, const char *ensembl_id);
static inline const char *hgnc_symbol(const struct hgnc *h, long g) { return h->symbol[g]; }
static inline const char *hgnc_id(const struct hgnc *h, long g) { return strmap_key(&h->ids, g); }

#endif
