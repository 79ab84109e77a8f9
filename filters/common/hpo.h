/*
 * hpo.h - the Human Phenotype Ontology and its disease and gene annotations
 * (HGNC, joining the annotations' NCBI gene ids to HGNC ids, is hgnc.h.)
 *
 *   struct hpo_ontology o;  struct hpo_annotations a;
 *   if ((rc = hpo_ontology_load(&o, "hp.json.gz"))) return rc;       // 65/66/78
 *   hpo_annotations_init(&a);
 *   if ((rc = hpo_annotations_load(&a, &o, "phenotype.hpoa.gz"))) ...
 *   if ((rc = hpo_annotations_load(&a, &o, "genes_to_phenotype.txt"))) ...
 *   hpo_annotations_finish(&a, &o);
 *   ...
 *   hpo_annotations_release(&a); hpo_ontology_release(&o);
 *
 * Files are read plain or gzip (input.h).  Loaders return 0, or an exit
 * status (exitcodes.h) after printing "PROG: FILE[:LINE]: what": 66 a file
 * is missing, 65 a truncated/corrupt file or a malformed row, 78 a file whose
 * kind or layout cannot be recognised (wrong header).
 *
 * The ontology: obographs JSON (hp.json).  Terms are the HP_ classes; is_a
 * edges give the parents; "hasAlternativeId" values become alternative ids of
 * their term; a deprecated term with "IAO_0100001" (term replaced by) maps to
 * its replacement (followed to a live term).  hpo_lookup() resolves any id.
 *
 * Annotation layouts are detected from the header line, by column name
 * (case, '-', '_' and spaces ignored), so these all load:
 *   phenotype.hpoa      "#DatabaseID DiseaseName Qualifier HPO_ID ..." (2021-2023)
 *                       "database_id disease_name qualifier hpo_id ..." (2023-)
 *   genes_to_phenotype  "#Format: entrez-gene-id<tab>entrez-gene-symbol<tab>
 *                        HPO-Term-ID<tab>...<tab>disease-ID for link" (-2023-01)
 *                       "ncbi_gene_id gene_symbol hpo_id hpo_name frequency
 *                        disease_id" (2023-04-)
 *                       4 columns without a disease (ALL_SOURCES, -2019): each
 *                       gene then gets one pseudo-disease "NCBIGene:ID"
 * A file of either kind is told by its columns (a gene id column means genes).
 * Rows qualified NOT are kept apart (not_terms); rows whose aspect is not
 * "P" are skipped; terms outside "Phenotypic abnormality" (HP:0000118, when
 * the ontology has it) are skipped (inheritance, onset, ...); unknown terms
 * are counted, not fatal.
 *
 * Ownership rule: every struct owns all it points to until its _release();
 * strings and arrays handed out by lookups are borrowed from it.  After
 * loading, the structs are read-only and may be shared by threads.
 */
#ifndef RFT_HPO_H
#define RFT_HPO_H

#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

/* A compressed sparse row table: row i is idx[off[i] .. off[i+1]). */
struct hpo_rows {
	uint32_t *off;    /* n + 1 offsets */
	uint32_t *idx;
	size_t n;
};

static inline uint32_t hpo_row_len(const struct hpo_rows *r, size_t i)
{
	return r->off[i + 1] - r->off[i];
}

static inline const uint32_t *hpo_row(const struct hpo_rows *r, size_t i)
{
	return r->idx + r->off[i];
}

struct hpo_ontology {
	size_t n;                 /* terms, obsolete ones included */
	struct strmap ids;        /* "HP:0000118" -> term index */
	char **label;             /* by term; "" when none */
	int32_t *live;            /* the live term a term stands for (itself when
	                           * not obsolete), -1 obsolete without replacement */
	struct strmap alt;        /* alternative id -> index into alt_of */
	int32_t *alt_of;          /* the term that has that alternative id */
	struct hpo_rows parents;  /* is_a parents */
	struct hpo_rows ancestors;/* ancestors, the term itself first, each once */
	long phenotype_root;      /* HP:0000118, or -1 when the ontology lacks it */
	char *version;            /* release date "2023-01-27" (or the version IRI), or NULL */
	char *path;
	size_t nalt, nobsolete, nreplaced;
};

enum hpo_how {
	HPO_TERM,        /* a live term id */
	HPO_ALT,         /* an alternative id of a live term */
	HPO_REPLACED,    /* an obsolete id, mapped to its replacement */
	HPO_OBSOLETE,    /* obsolete, no replacement: returns -1 */
	HPO_UNKNOWN      /* not in this release: returns -1 */
};

/* 0 or an exit status (message printed). */
int hpo_ontology_load(struct hpo_ontology *o, const char *path);
void hpo_ontology_release(struct hpo_ontology *o);
/* The live term id stands for, or -1; *how (if given) says how it was found. */
long hpo_lookup(const struct hpo_ontology *o, const char *id, enum hpo_how *how);
static inline const char *hpo_id(const struct hpo_ontology *o, long t)
{
	return strmap_key(&o->ids, t);
}
/* 1 if term t is a descendant of (or is) term a */
int hpo_is_a(const struct hpo_ontology *o, long t, long a);

/* a file's kind, as detected from its header */
enum hpo_file_kind { HPO_FILE_DISEASES, HPO_FILE_GENES };

struct hpo_file_info {
	char *path;
	enum hpo_file_kind kind;
	char *version;            /* "#date:" / "#version:" value, else a YYYY-MM-DD
	                           * in the file's name, else NULL */
	unsigned long long rows, not_rows, skipped_rows, unknown_rows, mapped_rows;
};

struct hpo_annotations {
	struct strmap disease;        /* "OMIM:614129" -> disease index */
	char **disease_name;          /* by disease, "" when unknown */
	struct hpo_rows dis_terms;    /* direct (mapped, live, phenotype) terms, sorted, unique */
	struct hpo_rows dis_not;      /* terms the disease is annotated NOT to have */
	struct strmap gene;           /* NCBI gene id "8192" -> gene index */
	char **gene_symbol;           /* as the annotation file spells it */
	struct hpo_rows gene_dis;     /* diseases of each gene, sorted, unique */
	struct hpo_file_info files[4];
	int nfiles;
	/* building (freed by finish) */
	struct hpo_pairs *pend;
};

void hpo_annotations_init(struct hpo_annotations *a);
/* Load one annotation file of either kind.  0 or an exit status. */
int hpo_annotations_load(struct hpo_annotations *a, const struct hpo_ontology *o,
			 const char *path);
/* Build the tables after the last load. */
void hpo_annotations_finish(struct hpo_annotations *a);
void hpo_annotations_release(struct hpo_annotations *a);

#endif
