/*
 * rft-extract - phenopacket dumps in, one case line per phenopacket out.
 *
 * Inputs (any mix, in the order given): phenopacket-store release archives
 * (ZIP, TGZ or any tar libarchive reads), folders (walked recursively in
 * byte order of names), single phenopacket .json files, JSONL (one
 * phenopacket per line, gzip or plain), and stdin ("-", sniffed likewise).
 *
 * Structure: the main thread reads inputs and turns every phenopacket into a
 * job in a ring of RING slots; worker threads parse and map jobs (members are
 * independent); the main thread writes finished jobs strictly in input order.
 * Memory is bounded by RING records whatever the archive size.  With -j1 no
 * thread is started and each job is mapped where it is read.
 *
 * The mapping itself (phenopacket -> case) is map_phenopacket() below; the
 * case contract is documented in man/rft-extract.1 and README.md.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/datafile.h"
#include "common/hgnc.h"
#include "common/input.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"   /* rft_skip_bad_arg */
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"

#define RING 128

enum job_status { JOB_OK, JOB_REJECT, JOB_BAD };
enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_DONE };

/* why a phenopacket did not become a case; order is the order of the summary */
enum reason { R_NO_GENE, R_NO_HGNC, R_FEW_PRESENT, R_UNSUPPORTED, R_DUPLICATE, R_BAD, NREASONS };
static const char *const reason_name[NREASONS] = {
	"no_gene", "no_hgnc_gene", "too_few_present", "unsupported_schema", "duplicate_id",
	"bad_record"
};

/* what to do with a case whose id was written already (--duplicates) */
enum dup_rule { DUP_REJECT, DUP_RENAME, DUP_KEEP };

/* One phenopacket's outcome; a document gives one or several (a Family's
 * proband and relatives, a Cohort's members), in member order. */
struct result {
	enum job_status status;
	enum reason reason;
	struct strbuf out;    /* the case line, with '\n' */
	struct strbuf msg;    /* why it was rejected or is bad */
	char *id;
	size_t id_end;        /* out[0..id_end) is '{"id":"..."' */
	int version;          /* 1 or 2; 0 when never looked at (bad JSON) */
	int declared;         /* version from metaData.phenopacketSchemaVersion */
};

struct job {
	/* input, owned by the job */
	struct strbuf data;
	char *source;    /* "source" field of the case */
	char *where;     /* for messages: "archive.zip:member", "file.jsonl:12" */
	char *cohort;    /* NULL when unknown */
	int document;    /* a whole JSON document (file, member): may be non-phenopacket JSON */
	size_t arg;      /* index of the input argument it came from */
	/* result */
	struct result *res;
	size_t nres, ares;
	int skipped;                  /* JSON, but not a phenopacket, family or cohort */
	struct strbuf skip_msg;       /* why */
	struct strbuf warn;           /* warnings, one a line, printed in order */
	unsigned long long unknown_ids, conflicts, relatives_left;
	enum slot_state state;
};

static struct {
	const char *output;
	const char *rejects;
	const char *hgnc;
	long long skip_bad;       /* -1: stop at the first bad record */
	long long min_present;
	size_t max_record;
	int threads;
	int stats;
	int allow_empty;
	int no_hgnc;
	enum dup_rule duplicates;
} opt = { NULL, NULL, NULL, -1, 0, RFT_MAX_RECORD_DEFAULT, 0, 0, 0, 0, DUP_REJECT };

struct tally {
	unsigned long long read, written, skipped_files, skipped_json, by_reason[NREASONS];
};

static struct {
	unsigned long long read, written, skipped_files, by_reason[NREASONS];
	unsigned long long skipped_json;    /* JSON documents that are no phenopacket */
	unsigned long long skipped_links;   /* loops, and folders or files read already */
	unsigned long long version[3], declared[3];
	unsigned long long unknown_ids, conflicts, duplicates, renamed, relatives_left;
	unsigned long long families, cohorts;
} count;

/* per input argument */
static struct tally *per_arg;
static size_t cur_arg, nargs;

static struct hgnc hgnc;
static int have_hgnc;

/* case ids written so far -> the source that had it first (--duplicates) */
static struct strmap written_ids;
static char **written_src;
static size_t written_alloc;

static struct rft_output out, rej;
static int rej_open;

/* ---------------------------------------------------------------- mapping */

/*
 * Where in the phenopacket a value sits, as a chain built on the stack while
 * walking it: formatted ("interpretations[0].diagnosis") only for a message,
 * so the happy path never prints.
 */
struct loc {
	const struct loc *up;
	const char *key;    /* member name, or NULL for an array index */
	size_t idx;
};

#define LOC_KEY(up, k) { (up), (k), 0 }
#define LOC_IDX(up, i) { (up), NULL, (i) }

static void loc_format(struct strbuf *sb, const struct loc *at)
{
	if (!at)
		return;
	loc_format(sb, at->up);
	if (at->key)
		strbuf_addf(sb, "%s%s", sb->len && sb->buf[sb->len - 1] != ' ' ? "." : "", at->key);
	else
		strbuf_addf(sb, "[%zu]", at->idx);
}

struct ctx {
	struct strbuf *err;
	int bad;
	struct job *job;      /* warnings and their counts go there */
	const char *where;
};

/* Record the first shape error: "PATH is WHAT". */
static void shape(struct ctx *c, const struct loc *at, const char *what)
{
	if (c->bad)
		return;
	c->bad = 1;
	loc_format(c->err, at);
	strbuf_addf(c->err, " %s", what);
}

static const char *type_want(enum json_type t)
{
	return t == json_type_object ? "an object" : t == json_type_array ? "an array" :
		t == json_type_string ? "a string" : t == json_type_boolean ? "a boolean" :
		"a whole number";
}

/* Member key of o with type t; NULL when o or the member is absent or null.
 * A member of another type is a shape error. */
static struct json_object *get(struct ctx *c, struct json_object *o, const char *key,
			       enum json_type t, const struct loc *at)
{
	struct json_object *v = rft_json_get(o, key);

	if (!v || json_object_is_type(v, t))
		return v;
	{
		struct loc here = LOC_KEY(at, key);
		struct strbuf what = STRBUF_INIT;

		strbuf_addf(&what, "is %s, not %s", rft_json_type_name(v), type_want(t));
		shape(c, &here, what.buf);
		strbuf_release(&what);
	}
	return NULL;
}

static const char *get_str(struct ctx *c, struct json_object *o, const char *key,
			   const struct loc *at)
{
	struct json_object *v = get(c, o, key, json_type_string, at);

	return v ? json_object_get_string(v) : NULL;
}

/* Element i of array a, which must be an object. */
static struct json_object *elem(struct ctx *c, struct json_object *a, size_t i,
				const struct loc *at)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	if (!v || !json_object_is_type(v, json_type_object)) {
		struct loc here = LOC_IDX(at, i);
		struct strbuf what = STRBUF_INIT;

		strbuf_addf(&what, "is %s, not an object", rft_json_type_name(v));
		shape(c, &here, what.buf);
		strbuf_release(&what);
		return NULL;
	}
	return v;
}

/* An ontology class {id, label} under key: 1 found, 0 absent, -1 bad. */
static int get_class(struct ctx *c, struct json_object *o, const char *key,
		     const struct loc *at, const char **id, const char **label)
{
	struct loc here = LOC_KEY(at, key);
	struct json_object *v = get(c, o, key, json_type_object, at);

	*id = *label = NULL;
	if (!v)
		return c->bad ? -1 : 0;
	*id = get_str(c, v, "id", &here);
	*label = get_str(c, v, "label", &here);
	if (!*id) {
		struct loc idloc = LOC_KEY(&here, "id");

		shape(c, &idloc, "is missing");
	}
	return c->bad ? -1 : 1;
}

/* A short list of ids already written, to drop repeats (lists are short). */
struct seen {
	const char *ids[32];
	const char **more;
	size_t n, alloc;
};

static int seen_add(struct seen *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *x = i < 32 ? s->ids[i] : s->more[i - 32];

		if (!strcmp(x, id))
			return 0;
	}
	if (s->n < 32) {
		s->ids[s->n++] = id;
		return 1;
	}
	if (s->n - 32 == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 32;
		s->more = erealloc(s->more, s->alloc * sizeof(*s->more));
	}
	s->more[s->n++ - 32] = id;
	return 1;
}

#define SEEN_INIT { { NULL }, NULL, 0, 0 }

/*
 * ISO 8601 duration PnYnMnWnDTnHnMnS -> years (Y + M/12 + (7W + D)/365.25 +
 * (H + Min/60 + S/3600)/8766).  -1 when s is not such a duration.
 */
static double duration_years(const char *s)
{
	static const char date_units[] = "YMWD", time_units[] = "HMS";
	static const double date_f[] = { 1, 1.0 / 12, 7 / 365.25, 1 / 365.25 };
	static const double time_f[] = { 1 / 8766.0, 1 / 525960.0, 1 / 31557600.0 };
	const char *units = date_units;
	const double *f = date_f;
	double years = 0;
	int parts = 0, last = -1;

	if (*s++ != 'P' || !*s)
		return -1;
	while (*s) {
		char num[32], *end;
		size_t n = 0;
		const char *u;
		double v;

		if (*s == 'T') {
			if (units == time_units || !s[1])
				return -1;
			units = time_units;
			f = time_f;
			last = -1;
			s++;
			continue;
		}
		/* digits, optionally a decimal point or comma and more digits */
		while (*s >= '0' && *s <= '9' && n + 2 < sizeof(num))
			num[n++] = *s++;
		if (n > 0 && (*s == '.' || *s == ',') && s[1] >= '0' && s[1] <= '9') {
			num[n++] = '.';
			s++;
			while (*s >= '0' && *s <= '9' && n + 1 < sizeof(num))
				num[n++] = *s++;
		}
		num[n] = '\0';
		if (n == 0 || !*s || !(u = strchr(units, *s)))
			return -1;
		if ((int)(u - units) <= last)
			return -1;   /* units out of order or repeated */
		last = (int)(u - units);
		v = strtod(num, &end);
		if (*end)
			return -1;
		years += v * f[last];
		parts++;
		s++;
	}
	return parts ? years : -1;
}

static void put_term(struct strbuf *sb, const char *id, const char *label)
{
	strbuf_add(sb, "{\"id\":", 6);
	json_put_str(sb, id);
	strbuf_add(sb, ",\"label\":", 9);
	json_put_str_or_null(sb, label);
	strbuf_addch(sb, '}');
}

/* {"iso8601":S,"years":Y}: Y null when S is no duration */
static void put_duration(struct strbuf *sb, const char *s)
{
	double y = duration_years(s);

	strbuf_add(sb, "{\"iso8601\":", 11);
	json_put_str(sb, s);
	strbuf_add(sb, ",\"years\":", 9);
	if (y < 0)
		strbuf_add(sb, "null", 4);
	else
		json_put_fixed(sb, y, 3);
	strbuf_addch(sb, '}');
}

/* "range":{"start":S,"end":E}} from the range object v at rl, whose start
 * and end objects hold the duration under key ("age" in v1, else
 * "iso8601duration") */
static void put_range(struct ctx *c, struct json_object *v, const struct loc *rl,
		      const char *key, struct strbuf *sb)
{
	struct loc l1 = LOC_KEY(rl, "start"), l2 = LOC_KEY(rl, "end");
	struct json_object *a = get(c, v, "start", json_type_object, rl);
	struct json_object *b = get(c, v, "end", json_type_object, rl);

	strbuf_add(sb, "\"range\":{\"start\":", 17);
	json_put_str_or_null(sb, get_str(c, a, key, &l1));
	strbuf_add(sb, ",\"end\":", 7);
	json_put_str_or_null(sb, get_str(c, b, key, &l2));
	strbuf_add(sb, "}}", 2);
}

static void map_age(struct ctx *c, struct json_object *subject, const struct loc *sl,
		    struct strbuf *sb)
{
	struct loc tl = LOC_KEY(sl, "timeAtLastEncounter");
	struct json_object *t = get(c, subject, "timeAtLastEncounter", json_type_object, sl);
	struct json_object *v;
	const char *id, *label, *s;

	if (!t) {
		/* v1: ageAtCollection {age}, ageRangeAtCollection {start {age}, end {age}} */
		struct loc al = LOC_KEY(sl, "ageAtCollection"), rl = LOC_KEY(sl, "ageRangeAtCollection");

		if ((v = get(c, subject, "ageAtCollection", json_type_object, sl)) &&
		    (s = get_str(c, v, "age", &al))) {
			put_duration(sb, s);
		} else if ((v = get(c, subject, "ageRangeAtCollection", json_type_object, sl))) {
			strbuf_add(sb, "{\"iso8601\":null,\"years\":null,", 29);
			put_range(c, v, &rl, "age", sb);
		} else {
			strbuf_add(sb, "null", 4);
		}
		return;
	}
	if ((v = get(c, t, "age", json_type_object, &tl))) {
		struct loc al = LOC_KEY(&tl, "age"), dl = LOC_KEY(&al, "iso8601duration");

		s = get_str(c, v, "iso8601duration", &al);
		if (!s) {
			shape(c, &dl, "is missing");
			return;
		}
		put_duration(sb, s);
		return;
	}
	strbuf_add(sb, "{\"iso8601\":null,\"years\":null,", 29);
	if ((v = get(c, t, "gestationalAge", json_type_object, &tl))) {
		struct loc gl = LOC_KEY(&tl, "gestationalAge"), wl = LOC_KEY(&gl, "weeks");
		struct json_object *w = get(c, v, "weeks", json_type_int, &gl);
		struct json_object *d = get(c, v, "days", json_type_int, &gl);

		if (!w) {
			shape(c, &wl, "is missing");
			return;
		}
		strbuf_addf(sb, "\"gestational\":{\"weeks\":%d,\"days\":%d}}",
			    json_object_get_int(w), d ? json_object_get_int(d) : 0);
	} else if (get_class(c, t, "ontologyClass", &tl, &id, &label) > 0) {
		strbuf_add(sb, "\"onset\":", 8);
		put_term(sb, id, label);
		strbuf_addch(sb, '}');
	} else if ((v = get(c, t, "ageRange", json_type_object, &tl))) {
		struct loc rl = LOC_KEY(&tl, "ageRange");

		put_range(c, v, &rl, "iso8601duration", sb);
	} else if ((s = get_str(c, t, "timestamp", &tl))) {
		strbuf_add(sb, "\"timestamp\":", 12);
		json_put_str(sb, s);
		strbuf_addch(sb, '}');
	} else if ((v = get(c, t, "interval", json_type_object, &tl))) {
		struct loc il = LOC_KEY(&tl, "interval");

		strbuf_add(sb, "\"interval\":{\"start\":", 20);
		json_put_str_or_null(sb, get_str(c, v, "start", &il));
		strbuf_add(sb, ",\"end\":", 7);
		json_put_str_or_null(sb, get_str(c, v, "end", &il));
		strbuf_add(sb, "}}", 2);
	} else {
		shape(c, &tl, "has none of age, gestationalAge, ontologyClass, ageRange, "
		      "timestamp, interval");
	}
}

/*
 * Present (absent == 0) or absent (absent == 1) features, in order, repeats
 * dropped; returns how many were written.
 */
static size_t map_features(struct ctx *c, struct json_object *feats, int absent,
			   struct strbuf *sb)
{
	struct loc fl = LOC_KEY(NULL, "phenotypicFeatures");
	struct seen seen = SEEN_INIT;
	size_t i, k = 0, n = feats ? json_object_array_length(feats) : 0;

	strbuf_addch(sb, '[');
	for (i = 0; i < n && !c->bad; i++) {
		struct loc el = LOC_IDX(&fl, i), tl = LOC_KEY(&el, "type");
		struct json_object *f = elem(c, feats, i, &fl), *ex, *neg;
		const char *id, *label;

		if (!f)
			break;
		ex = get(c, f, "excluded", json_type_boolean, &el);
		neg = get(c, f, "negated", json_type_boolean, &el);   /* v1's name */
		if (neg && json_object_get_boolean(neg))
			ex = neg;
		if (get_class(c, f, "type", &el, &id, &label) <= 0) {
			shape(c, &tl, "is missing");
			break;
		}
		if ((ex && json_object_get_boolean(ex)) != absent || !seen_add(&seen, id))
			continue;
		if (k++)
			strbuf_addch(sb, ',');
		put_term(sb, id, label);
	}
	strbuf_addch(sb, ']');
	free(seen.more);
	return k;
}

/* ------------------------------------------------------------- genes */

enum id_kind { ID_NONE, ID_HGNC, ID_ENSEMBL, ID_ENTREZ, ID_SYMBOL };

/*
 * One written gene identifier, normalised: white space around it and
 * around its local part dropped, the CURIE prefix matched in any case
 * ("hgnc:", "ncbigene:", "entrez:", "ensembl:", "symbol:"), a bare "ENSG..."
 * taken as Ensembl and its ".N" version dropped.  The normal form ("HGNC:12873",
 * "ENSG00000196839", "7546", "ZIC2") goes to out.
 */
static enum id_kind parse_gene_id(const char *s, struct strbuf *out)
{
	static const struct { const char *prefix; enum id_kind kind; } prefixes[] = {
		{ "HGNC", ID_HGNC }, { "ENSEMBL", ID_ENSEMBL }, { "NCBIGENE", ID_ENTREZ },
		{ "ENTREZ", ID_ENTREZ }, { "NCBI", ID_ENTREZ }, { "SYMBOL", ID_SYMBOL },
	};
	const char *a = s, *b = s + strlen(s), *colon;
	enum id_kind kind = ID_NONE;
	size_t i, k;

	strbuf_reset(out);
	while ((k = gene_name_ws(a, b)))
		a += k;
	while (b > a && (k = gene_name_ws_end(a, b)))
		b -= k;
	colon = memchr(a, ':', (size_t)(b - a));
	if (colon) {
		for (i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
			if ((size_t)(colon - a) == strlen(prefixes[i].prefix) &&
			    !strncasecmp(a, prefixes[i].prefix, (size_t)(colon - a)))
				kind = prefixes[i].kind;
		if (kind == ID_NONE)
			return ID_NONE;
		a = colon + 1;
		while ((k = gene_name_ws(a, b)))
			a += k;
	} else if (b - a > 4 && !strncasecmp(a, "ENSG", 4)) {
		kind = ID_ENSEMBL;
	} else {
		return ID_NONE;
	}
	if (a == b)
		return ID_NONE;
	if (kind == ID_HGNC || kind == ID_ENTREZ) {
		const char *p;

		for (p = a; p < b; p++)
			if (*p < '0' || *p > '9')
				return ID_NONE;
		if (kind == ID_HGNC)
			strbuf_addstr(out, "HGNC:");
		strbuf_add(out, a, (size_t)(b - a));
	} else if (kind == ID_ENSEMBL) {
		const char *dot = memchr(a, '.', (size_t)(b - a));

		if (dot)
			b = dot;
		for (; a < b; a++)
			strbuf_addch(out, (char)toupper((unsigned char)*a));
	} else {
		strbuf_add(out, a, (size_t)(b - a));
	}
	return kind;
}

static void job_warn(struct ctx *c, const struct loc *at, const char *fmt, ...) RFT_PRINTF(3, 4);
static void job_warn(struct ctx *c, const struct loc *at, const char *fmt, ...)
{
	struct strbuf *w = &c->job->warn;
	va_list ap;

	strbuf_addf(w, "%s: ", c->where);
	loc_format(w, at);
	strbuf_addstr(w, ": ");
	va_start(ap, fmt);
	strbuf_vaddf(w, fmt, ap);
	va_end(ap);
	strbuf_addch(w, '\n');
}

/*
 * The gene of a GeneDescriptor (v2: valueId, symbol, alternateIds) or a v1
 * Gene (id, symbol, alternateIds): its HGNC id into hgnc_out (empty when
 * none) and the symbol to write into sym_out; what it had, for a message,
 * is added to had.  See man/rft-extract.1, GENE IDENTIFIERS.
 */
static void resolve_gene(struct ctx *c, struct json_object *gene, const struct loc *at,
			 struct strbuf *hgnc_out, struct strbuf *sym_out, struct strbuf *had)
{
	struct loc al = LOC_KEY(at, "alternateIds");
	struct json_object *alt = get(c, gene, "alternateIds", json_type_array, at);
	const char *value = get_str(c, gene, "valueId", at);
	const char *written_sym = get_str(c, gene, "symbol", at);
	struct strbuf id = STRBUF_INIT, sym = STRBUF_INIT, first_hgnc = STRBUF_INIT;
	size_t i, n, k;
	long g = -1;
	const char *how_found = NULL;

	strbuf_reset(hgnc_out);
	strbuf_reset(sym_out);
	if (!value)
		value = get_str(c, gene, "id", at);
	if (!alt)
		alt = get(c, gene, "alternate_ids", json_type_array, at);
	n = alt ? json_object_array_length(alt) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *v = json_object_array_get_idx(alt, i);

		if (!v || !json_object_is_type(v, json_type_string)) {
			struct loc el = LOC_IDX(&al, i);

			shape(c, &el, "is not a string");
		}
	}
	if (c->bad)
		goto out;
	if (written_sym) {
		const char *a = written_sym, *b = a + strlen(a);

		while ((k = gene_name_ws(a, b)))
			a += k;
		while (b > a && (k = gene_name_ws_end(a, b)))
			b -= k;
		strbuf_add(&sym, a, (size_t)(b - a));
	}
	/* the first HGNC id, from valueId then alternateIds */
	for (i = 0; i <= n && !first_hgnc.len; i++) {
		const char *s = i == 0 ? value : json_object_get_string(json_object_array_get_idx(alt, i - 1));

		if (s && parse_gene_id(s, &id) == ID_HGNC)
			strbuf_addstr(&first_hgnc, id.buf);
	}
	if (first_hgnc.len) {
		if (!have_hgnc) {
			strbuf_addstr(hgnc_out, first_hgnc.buf);
		} else if ((g = hgnc_by_id(&hgnc, first_hgnc.buf)) < 0) {
			c->job->unknown_ids++;
			job_warn(c, at, "%s is not in the HGNC table (%s); kept as written",
				 first_hgnc.buf, hgnc.source);
			strbuf_addstr(hgnc_out, first_hgnc.buf);
		} else {
			how_found = first_hgnc.buf;
		}
	} else if (have_hgnc) {
		/* Ensembl, then NCBI Gene ids, in the order written; then the symbol */
		for (i = 0; i <= n && g < 0; i++) {
			const char *s = i == 0 ? value : json_object_get_string(json_object_array_get_idx(alt, i - 1));
			enum id_kind kind = s ? parse_gene_id(s, &id) : ID_NONE;

			if (kind == ID_ENSEMBL)
				g = hgnc_by_ensembl(&hgnc, id.buf);
			else if (kind == ID_ENTREZ)
				g = hgnc_by_entrez(&hgnc, id.buf);
			if (g >= 0)
				how_found = s;
		}
		for (i = 0; i <= n && g < 0; i++) {
			enum hgnc_how how;
			const char *s = NULL;

			if (i == 0)
				s = sym.len ? sym.buf : NULL;
			else if (parse_gene_id(json_object_get_string(json_object_array_get_idx(alt, i - 1)), &id) == ID_SYMBOL)
				s = id.buf;
			if (s && (g = hgnc_resolve(&hgnc, s, &how)) >= 0)
				how_found = s;
		}
	}
	if (g >= 0) {
		enum hgnc_how how;
		long other = sym.len ? hgnc_resolve(&hgnc, sym.buf, &how) : -1;

		strbuf_addstr(hgnc_out, hgnc_id(&hgnc, g));
		if (other >= 0 && other != g) {
			c->job->conflicts++;
			job_warn(c, at, "symbol '%s' is %s's, but %s is %s (%s): the id wins",
				 sym.buf, hgnc_id(&hgnc, other), how_found, hgnc_id(&hgnc, g),
				 hgnc_symbol(&hgnc, g));
			strbuf_reset(&sym);
		}
		if (!sym.len)
			strbuf_addstr(&sym, hgnc_symbol(&hgnc, g));
	}
	strbuf_add(sym_out, sym.buf, sym.len);
	if (!hgnc_out->len) {
		/* what it had, for the no_hgnc_gene message */
		strbuf_addf(had, "%s{", had->len ? ", " : "");
		if (value)
			strbuf_addf(had, "id %s", value);
		for (i = 0; i < n; i++)
			strbuf_addf(had, "%s%s", i ? " " : (value ? ", alternateIds " : "alternateIds "),
				    json_object_get_string(json_object_array_get_idx(alt, i)));
		if (written_sym)
			strbuf_addf(had, "%ssymbol %s", value || n ? ", " : "", written_sym);
		strbuf_addch(had, '}');
	}
out:
	strbuf_release(&id);
	strbuf_release(&sym);
	strbuf_release(&first_hgnc);
}

/* add one gene (from the object gene at at) to sb, distinct by HGNC id (by
 * symbol when there is none) */
static void add_gene(struct ctx *c, struct json_object *gene, const struct loc *at,
		     struct strbuf *sb, struct seen *seen, char ***keep, size_t *nkeep,
		     size_t *ngenes, size_t *nhgnc, struct strbuf *had)
{
	struct strbuf id = STRBUF_INIT, sym = STRBUF_INIT;
	char *key;

	resolve_gene(c, gene, at, &id, &sym, had);
	if (c->bad || (!id.len && !sym.len))
		goto out;
	key = estrdup(id.len ? id.buf : sym.buf);
	if (!seen_add(seen, key)) {
		free(key);
		goto out;
	}
	*keep = erealloc(*keep, (*nkeep + 1) * sizeof(**keep));
	(*keep)[(*nkeep)++] = key;
	if ((*ngenes)++)
		strbuf_addch(sb, ',');
	*nhgnc += id.len > 0;
	strbuf_add(sb, "{\"symbol\":", 10);
	if (sym.len)
		json_put_str(sb, sym.buf);
	else
		strbuf_add(sb, "null", 4);
	strbuf_add(sb, ",\"hgnc\":", 8);
	if (id.len)
		json_put_str(sb, id.buf);
	else
		strbuf_add(sb, "null", 4);
	strbuf_addch(sb, '}');
out:
	strbuf_release(&id);
	strbuf_release(&sym);
}

/*
 * Genes of every genomic interpretation not REJECTED of the diagnoses (v2:
 * interpretations[].diagnosis; v1 Interpretation: diagnosis[]), from gene,
 * or variantInterpretation.variationDescriptor.geneContext; when none names
 * a gene, the top-level genes[] (v1).  Counts all genes and those with an id.
 */
static void map_genes(struct ctx *c, struct json_object *interps, struct json_object *v1dx,
		      struct json_object *top, struct strbuf *sb, size_t *ngenes, size_t *nhgnc,
		      struct strbuf *had)
{
	struct loc il = LOC_KEY(NULL, "interpretations"), vl = LOC_KEY(NULL, "diagnosis");
	struct loc tl = LOC_KEY(NULL, "genes");
	struct seen seen = SEEN_INIT;
	char **keep = NULL;
	size_t i, j, nkeep = 0, ni = interps ? json_object_array_length(interps) : 0;
	size_t nv = v1dx ? json_object_array_length(v1dx) : 0;

	*ngenes = *nhgnc = 0;
	strbuf_addch(sb, '[');
	for (i = 0; i < ni + nv && !c->bad; i++) {
		struct loc el = i < ni ? (struct loc)LOC_IDX(&il, i) : (struct loc)LOC_IDX(&vl, i - ni);
		struct loc dl = i < ni ? (struct loc)LOC_KEY(&el, "diagnosis") : el;
		struct loc gl = LOC_KEY(&dl, "genomicInterpretations");
		struct json_object *dx, *gis;

		if (i < ni)
			dx = get(c, elem(c, interps, i, &il), "diagnosis", json_type_object, &el);
		else
			dx = elem(c, v1dx, i - ni, &vl);
		gis = get(c, dx, "genomicInterpretations", json_type_array, &dl);
		for (j = 0; gis && j < json_object_array_length(gis) && !c->bad; j++) {
			struct loc gel = LOC_IDX(&gl, j), vil = LOC_KEY(&gel, "variantInterpretation");
			struct loc vdl = LOC_KEY(&vil, "variationDescriptor"), gcl;
			struct json_object *gi = elem(c, gis, j, &gl), *vi, *vd, *gene;
			const char *status;

			status = get_str(c, gi, "interpretationStatus", &gel);
			if (!status)
				status = get_str(c, gi, "status", &gel);   /* v1 */
			if (!gi || (status && !strcmp(status, "REJECTED")))
				continue;
			gene = get(c, gi, "gene", json_type_object, &gel);
			gcl = (struct loc)LOC_KEY(&gel, "gene");
			if (!gene) {
				vi = get(c, gi, "variantInterpretation", json_type_object, &gel);
				vd = get(c, vi, "variationDescriptor", json_type_object, &vil);
				gene = get(c, vd, "geneContext", json_type_object, &vdl);
				gcl = (struct loc)LOC_KEY(&vdl, "geneContext");
			}
			if (gene)
				add_gene(c, gene, &gcl, sb, &seen, &keep, &nkeep, ngenes, nhgnc, had);
		}
	}
	if (*ngenes == 0 && top) {
		for (i = 0; i < json_object_array_length(top) && !c->bad; i++) {
			struct loc el = LOC_IDX(&tl, i);
			struct json_object *gene = elem(c, top, i, &tl);

			if (gene)
				add_gene(c, gene, &el, sb, &seen, &keep, &nkeep, ngenes, nhgnc, had);
		}
	}
	strbuf_addch(sb, ']');
	for (i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	free(seen.more);
}

/* diseases[] not excluded, then the diagnoses' diseases; distinct by id.  A
 * v1 disease is {term}, a v2 one the class itself. */
static void map_diseases(struct ctx *c, struct json_object *dis, struct json_object *interps,
			 struct json_object *v1dx, struct strbuf *sb)
{
	struct loc dl = LOC_KEY(NULL, "diseases"), il = LOC_KEY(NULL, "interpretations");
	struct loc vl = LOC_KEY(NULL, "diagnosis");
	struct seen seen = SEEN_INIT;
	size_t i, n = dis ? json_object_array_length(dis) : 0, k = 0;
	size_t ni = interps ? json_object_array_length(interps) : 0;
	size_t nv = v1dx ? json_object_array_length(v1dx) : 0;
	const char *id, *label;

	strbuf_addch(sb, '[');
	for (i = 0; i < n && !c->bad; i++) {
		struct loc el = LOC_IDX(&dl, i);
		struct json_object *d = elem(c, dis, i, &dl), *ex;

		ex = get(c, d, "excluded", json_type_boolean, &el);
		if (get_class(c, d, "term", &el, &id, &label) <= 0)
			continue;
		if ((ex && json_object_get_boolean(ex)) || !seen_add(&seen, id))
			continue;
		if (k++)
			strbuf_addch(sb, ',');
		put_term(sb, id, label);
	}
	for (i = 0; i < ni + nv && !c->bad; i++) {
		struct loc el = i < ni ? (struct loc)LOC_IDX(&il, i) : (struct loc)LOC_IDX(&vl, i - ni);
		struct loc xl = i < ni ? (struct loc)LOC_KEY(&el, "diagnosis") : el;
		struct loc tl = LOC_KEY(&xl, "disease");
		struct json_object *dx = i < ni ?
			rft_json_get(json_object_array_get_idx(interps, i), "diagnosis") :
			json_object_array_get_idx(v1dx, i - ni);
		struct json_object *d = rft_json_get(dx, "disease");
		int r;

		if (d && json_object_is_type(d, json_type_object) && rft_json_get(d, "term"))
			r = get_class(c, d, "term", &tl, &id, &label);
		else
			r = get_class(c, dx, "disease", &xl, &id, &label);
		if (r <= 0 || !seen_add(&seen, id))
			continue;
		if (k++)
			strbuf_addch(sb, ',');
		put_term(sb, id, label);
	}
	strbuf_addch(sb, ']');
	free(seen.more);
}

static const char *map_pmid(struct ctx *c, struct json_object *meta)
{
	struct loc ml = LOC_KEY(NULL, "metaData");
	struct json_object *refs = get(c, meta, "externalReferences", json_type_array, &ml);
	size_t i, n = refs ? json_object_array_length(refs) : 0;

	for (i = 0; i < n; i++) {
		const char *id = rft_json_get_str(json_object_array_get_idx(refs, i), "id");

		if (id && !strncmp(id, "PMID:", 5))
			return id;
	}
	return NULL;
}

/* does o look like a phenopacket (any of its members)? */
static int is_phenopacket(struct json_object *o)
{
	static const char *const keys[] = { "subject", "phenotypicFeatures", "interpretations",
		"metaData", "genes", "variants", "diseases", "biosamples" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (rft_json_get(o, keys[i]))
			return 1;
	return 0;
}

static struct result *new_result(struct job *j)
{
	struct result *r;

	if (j->nres == j->ares) {
		size_t i;

		j->ares = j->ares ? 2 * j->ares : 4;
		j->res = erealloc(j->res, j->ares * sizeof(*j->res));
		for (i = j->nres; i < j->ares; i++) {
			memset(&j->res[i], 0, sizeof(j->res[i]));
			strbuf_init(&j->res[i].out, 0);
			strbuf_init(&j->res[i].msg, 0);
		}
	}
	r = &j->res[j->nres++];
	strbuf_reset(&r->out);
	strbuf_reset(&r->msg);
	free(r->id);
	r->id = NULL;
	r->status = JOB_BAD;
	r->reason = R_BAD;
	r->version = r->declared = 0;
	r->id_end = 0;
	return r;
}

/* the schema version a phenopacketSchemaVersion names: 1, 2, or 0 */
static int schema_major(const char *v)
{
	if ((v[0] == '1' || v[0] == '2') && (v[1] == '\0' || v[1] == '.'))
		return v[0] - '0';
	return 0;
}

/*
 * Map one phenopacket pp (a document, or a Family's or Cohort's member) to a
 * result.  role is NULL for a plain phenopacket, else "proband", "relative"
 * or "member" of the group group_id (index idx); v1dx is a v1
 * Interpretation's diagnosis[]; meta_up the container's metaData.
 * Returns 0, or -1 when a relative is not taken (no interpretation of its own).
 */
static int map_one(struct job *j, struct json_object *pp, const char *role, const char *group_id,
		   size_t idx, struct json_object *v1dx, struct json_object *meta_up)
{
	struct result *r;
	struct json_object *subject, *feats, *interps, *dis, *meta, *genes, *vers;
	struct ctx c = { NULL, 0, j, j->where };
	struct loc sl = LOC_KEY(NULL, "subject");
	const char *id, *sex, *version = NULL;
	struct strbuf had = STRBUF_INIT, gid = STRBUF_INIT, where = STRBUF_INIT;
	size_t ngenes, nhgnc, npresent;

	if (role && !strcmp(role, "relative") && !rft_json_get(pp, "interpretations"))
		return -1;
	r = new_result(j);
	c.err = &r->msg;
	if (role) {
		strbuf_addf(&where, "%s: %s", j->where, role);
		if (strcmp(role, "proband"))
			strbuf_addf(&where, "s[%zu]", idx);
		c.where = where.buf;
		if (strcmp(role, "proband"))
			strbuf_addf(&r->msg, "%ss[%zu]: ", role, idx);
		else
			strbuf_addstr(&r->msg, "proband: ");
	}
	if (!json_object_is_type(pp, json_type_object)) {
		strbuf_addf(&r->msg, "expected a phenopacket (a JSON object), got %s",
			    rft_json_type_name(pp));
		goto done;
	}
	subject = get(&c, pp, "subject", json_type_object, NULL);
	feats = get(&c, pp, "phenotypicFeatures", json_type_array, NULL);
	interps = get(&c, pp, "interpretations", json_type_array, NULL);
	dis = get(&c, pp, "diseases", json_type_array, NULL);
	meta = get(&c, pp, "metaData", json_type_object, NULL);
	genes = get(&c, pp, "genes", json_type_array, NULL);
	id = get_str(&c, pp, "id", NULL);
	if (c.bad)
		goto done;
	if (!role && !is_phenopacket(pp)) {
		strbuf_addstr(&r->msg, "not a phenopacket: no subject, phenotypicFeatures, "
			      "interpretations or metaData");
		goto done;
	}
	if (!id && role && group_id) {
		strbuf_addf(&gid, "%s/%s", group_id, role);
		if (strcmp(role, "proband"))
			strbuf_addf(&gid, "[%zu]", idx);
		id = gid.buf;
	}
	if (!id) {
		strbuf_addstr(&r->msg, "not a phenopacket: no \"id\"");
		goto done;
	}
	r->id = estrdup(id);

	/* schema version: declared, else by shape */
	{
		struct loc ml = LOC_KEY(NULL, "metaData");

		vers = meta ? get(&c, meta, "phenopacketSchemaVersion", json_type_string, &ml) : NULL;
		if (!vers && meta_up)
			vers = rft_json_get(meta_up, "phenopacketSchemaVersion");
		if (c.bad)
			goto done;
		if (vers && json_object_is_type(vers, json_type_string)) {
			version = json_object_get_string(vers);
			r->declared = 1;
			r->version = schema_major(version);
			if (!r->version) {
				r->status = JOB_REJECT;
				r->reason = R_UNSUPPORTED;
				strbuf_addf(&r->msg, "phenopacketSchemaVersion \"%s\" is neither 1.x nor 2.x",
					    version);
				goto done;
			}
		} else {
			size_t i, n = feats ? json_object_array_length(feats) : 0;

			r->version = genes || v1dx || rft_json_get(pp, "variants") ||
				rft_json_get(subject, "ageAtCollection") ||
				rft_json_get(subject, "ageRangeAtCollection") ? 1 : 2;
			for (i = 0; i < n && r->version == 2; i++)
				if (rft_json_get(json_object_array_get_idx(feats, i), "negated"))
					r->version = 1;
		}
	}
	sex = get_str(&c, subject, "sex", &sl);

	strbuf_add(&r->out, "{\"id\":", 6);
	json_put_str(&r->out, id);
	r->id_end = r->out.len;
	strbuf_add(&r->out, ",\"source\":", 10);
	json_put_str(&r->out, j->source);
	if (role) {
		strbuf_add(&r->out, ",\"member\":{\"role\":", 18);
		json_put_str(&r->out, role);
		strbuf_add(&r->out, ",\"of\":", 6);
		json_put_str_or_null(&r->out, group_id);
		strbuf_addf(&r->out, ",\"index\":%zu}", idx);
	}
	strbuf_add(&r->out, ",\"cohort\":", 10);
	json_put_str_or_null(&r->out, j->cohort);
	strbuf_add(&r->out, ",\"pmid\":", 8);
	{
		const char *pmid = map_pmid(&c, meta);

		if (!pmid && meta_up)
			pmid = map_pmid(&c, meta_up);
		json_put_str_or_null(&r->out, pmid);
	}
	strbuf_add(&r->out, ",\"sex\":", 7);
	/* proto3 JSON leaves out enum defaults: no sex is UNKNOWN_SEX */
	json_put_str(&r->out, sex ? sex : "UNKNOWN_SEX");
	strbuf_add(&r->out, ",\"age\":", 7);
	map_age(&c, subject, &sl, &r->out);
	strbuf_add(&r->out, ",\"present\":", 11);
	npresent = map_features(&c, feats, 0, &r->out);
	strbuf_add(&r->out, ",\"absent\":", 10);
	map_features(&c, feats, 1, &r->out);
	strbuf_add(&r->out, ",\"genes\":", 9);
	map_genes(&c, interps, v1dx, genes, &r->out, &ngenes, &nhgnc, &had);
	strbuf_add(&r->out, ",\"diseases\":", 12);
	map_diseases(&c, dis, interps, v1dx, &r->out);
	strbuf_add(&r->out, "}\n", 2);
	if (c.bad)
		goto done;

	r->status = JOB_REJECT;
	if (ngenes == 0 && !had.len) {
		r->reason = R_NO_GENE;
		strbuf_addstr(&r->msg, "no causal gene in any genomic interpretation");
	} else if (nhgnc == 0) {
		r->reason = R_NO_HGNC;
		strbuf_addf(&r->msg, "no causal gene with an HGNC id%s (%s)",
			    have_hgnc ? " that the HGNC table knows" : " (--no-hgnc)", had.buf);
	} else if ((long long)npresent < opt.min_present) {
		r->reason = R_FEW_PRESENT;
		strbuf_addf(&r->msg, "%zu present phenotypic features, fewer than --min-present %lld",
			    npresent, opt.min_present);
	} else {
		r->status = JOB_OK;
	}
done:
	if (r->status == JOB_BAD)
		strbuf_reset(&r->out);
	strbuf_release(&had);
	strbuf_release(&gid);
	strbuf_release(&where);
	return 0;
}

/* Parse and map one job: a phenopacket, a v1 Interpretation, a Family or a
 * Cohort gives its results; JSON that is none of these, in a document, is
 * skipped (j->skipped). */
static void map_job(struct job *j)
{
	struct json_object *doc = NULL, *v, *meta;
	struct result *r;
	size_t i;

	for (i = 0; i < j->nres; i++) {
		free(j->res[i].id);
		j->res[i].id = NULL;
	}
	j->nres = 0;
	j->skipped = 0;
	strbuf_reset(&j->skip_msg);
	strbuf_reset(&j->warn);
	j->unknown_ids = j->conflicts = j->relatives_left = 0;
	if (rft_json_parse(j->data.buf, j->data.len, &doc, &j->skip_msg) < 0) {
		r = new_result(j);
		strbuf_add(&r->msg, j->skip_msg.buf, j->skip_msg.len);
		strbuf_reset(&j->skip_msg);
		return;
	}
	meta = rft_json_get(doc, "metaData");
	if (meta && !json_object_is_type(meta, json_type_object))
		meta = NULL;
	if (doc && json_object_is_type(doc, json_type_object) &&
	    (v = rft_json_get(doc, "proband")) && json_object_is_type(v, json_type_object)) {
		/* a Family: the proband, and relatives with their own interpretation */
		struct json_object *rel = rft_json_get(doc, "relatives");
		const char *fid = rft_json_get_str(doc, "id");

		map_one(j, v, "proband", fid, 0, NULL, meta);
		for (i = 0; rel && json_object_is_type(rel, json_type_array) &&
			    i < json_object_array_length(rel); i++)
			if (map_one(j, json_object_array_get_idx(rel, i), "relative", fid, i, NULL, meta) < 0)
				j->relatives_left++;
	} else if (doc && json_object_is_type(doc, json_type_object) &&
		   (v = rft_json_get(doc, "members")) && json_object_is_type(v, json_type_array)) {
		const char *cid = rft_json_get_str(doc, "id");

		for (i = 0; i < json_object_array_length(v); i++)
			map_one(j, json_object_array_get_idx(v, i), "member", cid, i, NULL, meta);
		if (!json_object_array_length(v)) {
			j->skipped = 1;
			strbuf_addstr(&j->skip_msg, "a Cohort without members");
		}
	} else if (doc && json_object_is_type(doc, json_type_object) &&
		   (v = rft_json_get(doc, "diagnosis")) && json_object_is_type(v, json_type_array) &&
		   (rft_json_get(doc, "phenopacket") || rft_json_get(doc, "family"))) {
		/* a v1 Interpretation: its phenopacket (or family proband) with its diagnoses */
		struct json_object *pp = rft_json_get(doc, "phenopacket");
		struct json_object *fam = rft_json_get(doc, "family");

		if (pp)
			map_one(j, pp, NULL, NULL, 0, v, meta);
		else
			map_one(j, rft_json_get(fam, "proband"), "proband", rft_json_get_str(fam, "id"),
				0, v, meta);
	} else if (j->document && (!doc || !json_object_is_type(doc, json_type_object) ||
				   !is_phenopacket(doc))) {
		j->skipped = 1;
		strbuf_addf(&j->skip_msg, "%s, not a phenopacket, family or cohort",
			    !doc ? "null" : json_object_is_type(doc, json_type_object) ?
			    "a JSON object without any phenopacket member" : rft_json_type_name(doc));
	} else {
		map_one(j, doc, NULL, NULL, 0, NULL, NULL);
	}
	json_object_put(doc);
}

/* ------------------------------------------------------- ring and workers */

static struct job ring[RING];
static unsigned long long head, next_job, tail;
static int nworkers, quitting;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER, done_cv = PTHREAD_COND_INITIALIZER;
static pthread_t workers[64];

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&mu);
		while (next_job == head && !quitting)
			pthread_cond_wait(&work_cv, &mu);
		if (next_job == head) {
			pthread_mutex_unlock(&mu);
			rft_json_thread_done();
			return NULL;
		}
		j = &ring[next_job++ % RING];
		pthread_mutex_unlock(&mu);
		map_job(j);
		pthread_mutex_lock(&mu);
		j->state = SLOT_DONE;
		pthread_cond_broadcast(&done_cv);
		pthread_mutex_unlock(&mu);
	}
}

static void write_reject(struct job *j, struct result *r)
{
	struct strbuf sb = STRBUF_INIT;

	if (!rej_open)
		return;
	strbuf_add(&sb, "{\"source\":", 10);
	json_put_str(&sb, j->source);
	strbuf_add(&sb, ",\"where\":", 9);
	json_put_str(&sb, j->where);
	strbuf_add(&sb, ",\"id\":", 6);
	json_put_str_or_null(&sb, r->id);
	strbuf_add(&sb, ",\"reason\":", 10);
	json_put_str(&sb, reason_name[r->reason]);
	strbuf_add(&sb, ",\"message\":", 11);
	json_put_strn(&sb, r->msg.buf, r->msg.len);
	strbuf_add(&sb, "}\n", 2);
	rft_output_write(&rej, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void count_bad(const char *where, const char *msg)
{
	count.by_reason[R_BAD]++;
	if (opt.skip_bad < 0)
		die(RFT_EX_DATA, "%s: %s", where, msg);
	if ((long long)count.by_reason[R_BAD] > opt.skip_bad)
		die(RFT_EX_DATA, "%s: %s (more than %lld bad records, stopping)",
		    where, msg, opt.skip_bad);
	warn("%s: %s (skipped)", where, msg);
}

/* A case about to be written: 1 to write it (perhaps renamed), 0 when it is
 * rejected as a duplicate (--duplicates). */
static int check_duplicate(struct job *j, struct result *r)
{
	int added;
	long i = strmap_intern(&written_ids, r->id, &added);
	struct strbuf sb = STRBUF_INIT;
	unsigned n;

	if (added) {
		if ((size_t)i >= written_alloc) {
			written_alloc = written_alloc ? 2 * written_alloc : 1024;
			written_src = erealloc(written_src, written_alloc * sizeof(*written_src));
		}
		written_src[i] = estrdup(j->source);
		return 1;
	}
	count.duplicates++;
	switch (opt.duplicates) {
	case DUP_REJECT:
		r->status = JOB_REJECT;
		r->reason = R_DUPLICATE;
		strbuf_reset(&r->msg);
		strbuf_addf(&r->msg, "id '%s' was written already, from %s (--duplicates rename "
			    "or keep to write it)", r->id, written_src[i]);
		warn("%s: %s", j->where, r->msg.buf);
		return 0;
	case DUP_KEEP:
		warn("%s: id '%s' was written already, from %s: written again (--duplicates keep)",
		     j->where, r->id, written_src[i]);
		return 1;
	case DUP_RENAME:
		break;
	}
	for (n = 2;; n++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s#%u", r->id, n);
		if (strmap_get(&written_ids, sb.buf) < 0)
			break;
	}
	warn("%s: id '%s' was written already, from %s: written as '%s' (--duplicates rename)",
	     j->where, r->id, written_src[i], sb.buf);
	count.renamed++;
	{
		struct strbuf line = STRBUF_INIT;

		strbuf_add(&line, "{\"id\":", 6);
		json_put_str(&line, sb.buf);
		strbuf_add(&line, r->out.buf + r->id_end, r->out.len - r->id_end);
		strbuf_reset(&r->out);
		strbuf_add(&r->out, line.buf, line.len);
		strbuf_release(&line);
	}
	free(r->id);
	r->id = strbuf_detach(&sb, NULL);
	check_duplicate(j, r);   /* registers the new id */
	return 1;
}

/* Write a finished job's results and free the slot. */
static void finish(struct job *j)
{
	struct tally *t = &per_arg[j->arg];
	size_t i;

	if (j->warn.len) {
		char *line = j->warn.buf, *nl;

		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			warn("%s", line);
			line = nl + 1;
		}
	}
	count.unknown_ids += j->unknown_ids;
	count.conflicts += j->conflicts;
	count.relatives_left += j->relatives_left;
	if (j->skipped) {
		if (!count.skipped_json)
			warn("%s: skipped: %s (further ones are counted in --stats)", j->where,
			     j->skip_msg.buf);
		count.skipped_json++;
		count.skipped_files++;
		t->skipped_files++;
		t->skipped_json++;
	}
	for (i = 0; i < j->nres; i++) {
		struct result *r = &j->res[i];

		count.read++;
		t->read++;
		count.version[r->version]++;
		if (r->declared)
			count.declared[r->version]++;
		if (r->status == JOB_OK)
			check_duplicate(j, r);   /* may make it a reject */
		switch (r->status) {
		case JOB_OK:
			rft_output_write(&out, r->out.buf, r->out.len);
			count.written++;
			t->written++;
			break;
		case JOB_REJECT:
			count.by_reason[r->reason]++;
			t->by_reason[r->reason]++;
			write_reject(j, r);
			break;
		case JOB_BAD:
			write_reject(j, r);
			t->by_reason[R_BAD]++;
			count_bad(j->where, r->msg.buf);
			break;
		}
		free(r->id);
		r->id = NULL;
	}
	j->nres = 0;
	free(j->source);
	free(j->where);
	free(j->cohort);
	j->source = j->where = j->cohort = NULL;
	strbuf_reset(&j->data);
	j->state = SLOT_FREE;
}

/* Write every finished job at the tail; with wait, until seq < upto. */
static void drain(unsigned long long upto)
{
	while (tail < upto) {
		struct job *j = &ring[tail % RING];

		pthread_mutex_lock(&mu);
		while (j->state != SLOT_DONE)
			pthread_cond_wait(&done_cv, &mu);
		pthread_mutex_unlock(&mu);
		finish(j);
		tail++;
	}
}

/* Take a slot for the next record; the caller fills data, then submit(). */
static struct job *slot(void)
{
	if (head - tail == RING)
		drain(tail + 1);
	return &ring[head % RING];
}

static void submit_doc(struct job *j, char *source, char *where, char *cohort, int document)
{
	j->source = source;
	j->where = where;
	j->cohort = cohort;
	j->document = document;
	j->arg = cur_arg;
	j->nres = 0;
	if (nworkers == 0) {
		map_job(j);
		j->state = SLOT_DONE;
		head++;
		drain(head);
		return;
	}
	pthread_mutex_lock(&mu);
	j->state = SLOT_QUEUED;
	head++;
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&mu);
}

/* Report a bad record found while reading (not while parsing), in order. */
static void bad_input(char *source, char *where, const char *fmt, ...) RFT_PRINTF(3, 4);
static void bad_input(char *source, char *where, const char *fmt, ...)
{
	struct job *j = slot();
	struct result *r;
	va_list ap;

	drain(head);   /* earlier records first, so errors come out in input order */
	j->source = source;
	j->where = where;
	j->cohort = NULL;
	j->arg = cur_arg;
	j->nres = 0;
	j->skipped = 0;
	strbuf_reset(&j->warn);
	j->unknown_ids = j->conflicts = j->relatives_left = 0;
	r = new_result(j);
	va_start(ap, fmt);
	strbuf_vaddf(&r->msg, fmt, ap);
	va_end(ap);
	/* Every earlier job is finished (drained above), so no worker is behind:
	 * move next_job past this slot too, or a worker would take it. */
	pthread_mutex_lock(&mu);
	j->state = SLOT_DONE;
	head++;
	next_job = head;
	pthread_mutex_unlock(&mu);
	drain(head);
}

static void start_workers(void)
{
	int i;

	for (i = 0; i < nworkers; i++) {
		int e = pthread_create(&workers[i], NULL, worker, NULL);

		if (e) {
			errno = e;
			die(RFT_EX_SOFTWARE, "cannot start a thread:");
		}
	}
}

static void stop_workers(void)
{
	int i;

	pthread_mutex_lock(&mu);
	quitting = 1;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
}

/* ------------------------------------------------------------ the inputs */

/* Strip "./" and leading "/" from an archive member name. */
static const char *clean_member(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else
			return name;
	}
}

/* Is path (a member or a file below a folder) a phenopacket file by name?
 * Hidden files and macOS "__MACOSX" resource forks are not. */
static int phenopacket_name(const char *path)
{
	const char *p = path;

	for (;;) {
		size_t len = strcspn(p, "/");

		if (p[0] == '.' || (len == 8 && !strncmp(p, "__MACOSX", 8)))
			return 0;
		if (!p[len])
			break;
		p += len + 1;
	}
	return rft_has_suffix(path, ".json");   /* not ".json": hidden, above */
}

/* The cohort: the last directory of a path, or the one above it when the
 * last is "phenopackets" (a phenopacket-store checkout:
 * notebooks/GENE/phenopackets/x.json); NULL when there is none. */
static char *cohort_of(const char *path)
{
	const char *end = strrchr(path, '/'), *start;

	if (!end || end == path)
		return NULL;
	for (start = end; start > path && start[-1] != '/'; start--)
		;
	if (end - start == 12 && !strncmp(start, "phenopackets", 12)) {
		if (start == path || start - 1 == path)
			return NULL;
		end = start - 1;
		for (start = end; start > path && start[-1] != '/'; start--)
			;
	}
	if (end == start || (end - start == 1 && *start == '.'))
		return NULL;
	return estrndup(start, (size_t)(end - start));
}

static char *joinf(const char *fmt, ...) RFT_PRINTF(1, 2);
static char *joinf(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

struct stdin_src {
	struct rft_input *in;
	char buf[64 << 10];
};

static la_ssize_t stdin_read(struct archive *a, void *data, const void **buf)
{
	struct stdin_src *s = data;
	long n = rft_input_read(s->in, s->buf, sizeof(s->buf));

	if (n < 0) {
		archive_set_error(a, EIO, "read error");
		return -1;
	}
	*buf = s->buf;
	return n;
}

/* Read an archive: from path, or (in != NULL) from an already opened stream. */
/*
 * Read an archive.  A ZIP is read through its central directory (zip_fd >= 0:
 * a seekable file): the central directory is the ZIP's table of contents and
 * its end record is the last thing written, so a ZIP cut short anywhere is
 * refused instead of read in streaming mode up to the cut, which would look
 * complete.  Anything else (tar, tar.gz, ...) streams from in.
 */
static void read_archive(const char *name, struct rft_input *in, int zip_fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct stdin_src *src = NULL;
	int r;

	if (!a)
		die(RFT_EX_SOFTWARE, "out of memory");
	if (zip_fd >= 0) {
		archive_read_support_format_zip_seekable(a);
		r = archive_read_open_fd(a, zip_fd, 1 << 16);
	} else {
		archive_read_support_filter_all(a);
		archive_read_support_format_tar(a);
		archive_read_support_format_gnutar(a);
		src = emalloc(sizeof(*src));
		src->in = in;
		r = archive_read_open(a, src, NULL, stdin_read, NULL);
	}
	if (r != ARCHIVE_OK) {
		drain(head);
		if (zip_fd >= 0)
			die(RFT_EX_DATA, "%s: not a complete ZIP archive (truncated? no central "
			    "directory found): %s", name, archive_error_string(a));
		die(RFT_EX_DATA, "%s: not a phenopacket dump (neither JSON, ZIP nor tar): %s",
		    name, archive_error_string(a));
	}
	for (;;) {
		const char *member;
		struct job *j;
		int64_t size;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			drain(head);
			die(RFT_EX_DATA, "%s: %s", name, archive_error_string(a));
		}
		member = clean_member(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!phenopacket_name(member)) {
			count.skipped_files++;
			per_arg[cur_arg].skipped_files++;
			continue;
		}
		size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
		if (size > (int64_t)opt.max_record) {
			bad_input(estrdup(member), joinf("%s:%s", name, member),
				  "member larger than %zu bytes (raise --max-record)", opt.max_record);
			continue;
		}
		j = slot();
		strbuf_reset(&j->data);
		if (size > 0)
			strbuf_grow(&j->data, (size_t)size);
		for (;;) {
			la_ssize_t n;

			strbuf_grow(&j->data, 1 << 16);
			n = archive_read_data(a, j->data.buf + j->data.len,
					      j->data.alloc - j->data.len - 1);
			if (n == 0)
				break;
			if (n < 0) {
				char *where = joinf("%s:%s", name, member);

				strbuf_reset(&j->data);
				if (n == ARCHIVE_FATAL) {
					drain(head);
					die(RFT_EX_DATA, "%s: cannot read member: %s", where,
					    archive_error_string(a));
				}
				bad_input(estrdup(member), where, "cannot read member: %s",
					  archive_error_string(a));
				j = NULL;
				break;
			}
			j->data.len += (size_t)n;
			j->data.buf[j->data.len] = '\0';
			if (j->data.len > opt.max_record) {
				strbuf_reset(&j->data);
				bad_input(estrdup(member), joinf("%s:%s", name, member),
					  "member larger than %zu bytes (raise --max-record)",
					  opt.max_record);
				j = NULL;
				break;
			}
		}
		if (j)
			submit_doc(j, estrdup(member), joinf("%s:%s", name, member), cohort_of(member), 1);
	}
	if (archive_read_free(a) != ARCHIVE_OK)
		die(RFT_EX_IOERR, "%s: error closing archive", name);
	free(src);
}

/* A ZIP: from its file, or spooled from a pipe into an unlinked temporary
 * file first, so that its central directory can be read and checked. */
static void read_zip(const char *path, struct rft_input *in)
{
	char *name = estrdup(in->name);
	struct stat st;
	int fd = -1;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		rft_input_close(in);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			drain(head);
			die(RFT_EX_NOINPUT, "cannot open '%s':", path);
		}
	} else {
		struct strbuf tmp = STRBUF_INIT;
		const char *dir = getenv("TMPDIR");
		char buf[1 << 16];
		long n;

		strbuf_addf(&tmp, "%s/rft-extract.XXXXXX", dir && *dir ? dir : "/tmp");
		fd = mkstemp(tmp.buf);
		if (fd < 0)
			die(RFT_EX_IOERR, "cannot create a temporary file '%s' for the ZIP on %s:",
			    tmp.buf, name);
		unlink(tmp.buf);
		strbuf_release(&tmp);
		while ((n = rft_input_read(in, buf, sizeof(buf))) > 0) {
			if (write(fd, buf, (size_t)n) != n)
				die(RFT_EX_IOERR, "cannot spool the ZIP on %s to $TMPDIR:", name);
		}
		if (n < 0 || rft_input_close(in) < 0) {
			drain(head);
			exit(rft_finish(RFT_EX_DATA));
		}
		if (lseek(fd, 0, SEEK_SET) != 0)
			die(RFT_EX_IOERR, "cannot rewind the spooled ZIP:");
	}
	read_archive(name, NULL, fd);
	close(fd);
	free(name);
}

/* One JSON document (a single phenopacket file). */
static void read_document(struct rft_input *in, const char *source)
{
	struct job *j = slot();

	strbuf_reset(&j->data);
	if (rft_input_slurp(in, &j->data, opt.max_record) < 0) {
		strbuf_reset(&j->data);
		drain(head);
		die(RFT_EX_DATA, "%s: cannot read phenopacket", in->name);
	}
	submit_doc(j, estrdup(source), estrdup(in->name), cohort_of(source), 1);
}

static void read_jsonl(struct rft_input *in)
{
	for (;;) {
		struct job *j = slot();
		size_t i;
		int r = rft_input_getline(in, &j->data);

		if (r == -2) {
			strbuf_reset(&j->data);
			bad_input(joinf("%s:%llu", in->name, in->lineno),
				  joinf("%s:%llu", in->name, in->lineno),
				  "line longer than %zu bytes (raise --max-record)", in->max_record);
			continue;
		}
		if (r < 0) {
			strbuf_reset(&j->data);
			drain(head);
			exit(rft_finish(RFT_EX_DATA));
		}
		if (r == 0)
			break;
		for (i = 0; i < j->data.len && strchr(" \t\r", j->data.buf[i]); i++)
			;
		if (i == j->data.len)
			continue;   /* blank lines carry nothing */
		submit_doc(j, joinf("%s:%llu", in->name, in->lineno),
			   joinf("%s:%llu", in->name, in->lineno), NULL, 0);
	}
}

/* JSONL or one document?  By name when it says, else by the first line. */
static int looks_jsonl(const char *name, const char *p, long n)
{
	static const char *const lines[] = { ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz" };
	static const char *const docs[] = { ".json", ".json.gz" };
	struct json_object *o;
	struct strbuf err = STRBUF_INIT;
	const char *nl;
	size_t i;
	int r;

	for (i = 0; i < sizeof(lines) / sizeof(*lines); i++)
		if (rft_has_suffix(name, lines[i]))
			return 1;
	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++)
		if (rft_has_suffix(name, docs[i]))
			return 0;
	nl = memchr(p, '\n', (size_t)n);
	if (!nl)
		return 0;   /* one line only: a document */
	r = rft_json_parse(p, (size_t)(nl - p), &o, &err);
	json_object_put(o);
	strbuf_release(&err);
	return r == 0;
}

static void read_file(const char *path, const char *source)
{
	struct rft_input in;
	const char *p;
	long n;
	size_t i;

	if (rft_input_open(&in, path) < 0)
		exit(rft_finish(RFT_EX_NOINPUT));
	in.max_record = opt.max_record;
	n = rft_input_peek(&in, 4096, &p);
	if (n < 0) {
		drain(head);
		exit(rft_finish(RFT_EX_DATA));
	}
	if (n == 0) {
		char *where = estrdup(in.name);

		rft_input_close(&in);
		bad_input(estrdup(source), where, "empty input");
		return;
	}
	for (i = 0; i < (size_t)n && strchr(" \t\r\n", p[i]); i++)
		;
	if (i < (size_t)n && (p[i] == '{' || p[i] == '[')) {
		/* peek until the first line is whole, for looks_jsonl() */
		size_t want = 4096;

		while (!memchr(p, '\n', (size_t)n) && (size_t)n >= want && want < opt.max_record) {
			want *= 4;
			n = rft_input_peek(&in, want, &p);
			if (n < 0) {
				drain(head);
				exit(rft_finish(RFT_EX_DATA));
			}
		}
		if (looks_jsonl(in.name, p, n))
			read_jsonl(&in);
		else
			read_document(&in, source);
	} else if (n >= 4 && !memcmp(p, "PK", 2) && !in.compressed) {
		read_zip(path, &in);
		return;
	} else {
		read_archive(in.name, &in, -1);
	}
	if (rft_input_close(&in) < 0) {
		drain(head);
		exit(rft_finish(RFT_EX_DATA));
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every folder walked and every file read, by device and inode, with the
 * path it was first met by: a symbolic link back to a folder above (a loop)
 * or to a folder or file read already is skipped, with a warning, so each
 * phenopacket is read once however the folder links to it.
 */
static struct {
	struct strmap ids;        /* "dev:ino" -> index */
	char **first;             /* by index: the path it was first met by */
	size_t alloc;
} seen_fs;

/* register st (met as path): its index, and *added 1 when it is new */
static long seen_fs_add(const struct stat *st, const char *path, int *added)
{
	char key[64];
	long i;

	snprintf(key, sizeof(key), "%llx:%llx", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
	i = strmap_intern(&seen_fs.ids, key, added);
	if (*added) {
		if ((size_t)i >= seen_fs.alloc) {
			seen_fs.alloc = seen_fs.alloc ? 2 * seen_fs.alloc : 64;
			seen_fs.first = erealloc(seen_fs.first, seen_fs.alloc * sizeof(*seen_fs.first));
		}
		seen_fs.first[i] = estrdup(path);
	}
	return i;
}

static void seen_fs_release(void)
{
	size_t i;

	for (i = 0; i < seen_fs.ids.n; i++)
		free(seen_fs.first[i]);
	free(seen_fs.first);
	strmap_release(&seen_fs.ids);
}

/* the folders from the root down to the one being walked, by index */
struct walk {
	const struct walk *up;
	long id;
};

/* 1 and its index in *id when the folder st (met as path, inside the walk
 * up) is to be walked; 0, with a warning, when it is one of its own
 * ancestors (a loop) or was walked already */
static int walk_dir_once(const struct stat *st, const char *path, const struct walk *up, long *id)
{
	int added;
	long i = seen_fs_add(st, path, &added);
	const struct walk *w;

	*id = i;
	if (added)
		return 1;
	count.skipped_links++;
	for (w = up; w; w = w->up)
		if (w->id == i)
			break;
	if (w)
		warn("skipping '%s': a symbolic link loop (it is the folder '%s' again)", path,
		     seen_fs.first[i]);
	else
		warn("skipping '%s': the same folder as '%s', read already", path, seen_fs.first[i]);
	return 0;
}

/* 1 when the file st (met as path) is to be read; 0, with a warning, when
 * it was read already (a symbolic or hard link to it) */
static int read_file_once(const struct stat *st, const char *path)
{
	int added;
	long i = seen_fs_add(st, path, &added);

	if (added)
		return 1;
	count.skipped_links++;
	warn("skipping '%s': the same file as '%s', read already", path, seen_fs.first[i]);
	return 0;
}

/* Walk dir recursively in byte order of names; rel is the path below root,
 * up the folders walked to get there (rel's own one first). */
static void read_dir(const char *root, const char *rel, const struct walk *up)
{
	struct strbuf path = STRBUF_INIT;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d;

	strbuf_addstr(&path, root);
	if (*rel)
		strbuf_addf(&path, "/%s", rel);
	d = opendir(path.buf);
	if (!d) {
		drain(head);
		die(RFT_EX_NOINPUT, "cannot open directory '%s':", path.buf);
	}
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			names = erealloc(names, alloc * sizeof(*names));
		}
		names[n++] = estrdup(de->d_name);
	}
	if (errno) {
		drain(head);
		die(RFT_EX_IOERR, "cannot read directory '%s':", path.buf);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char *sub = *rel ? joinf("%s/%s", rel, names[i]) : estrdup(names[i]);
		char *full = joinf("%s/%s", root, sub);
		struct stat st;

		if (stat(full, &st) != 0) {
			if (errno == ELOOP) {
				/* links that lead to each other: a property of the
				 * folder, not bad data */
				warn("skipping '%s': a symbolic link loop (%s)", full, strerror(ELOOP));
				count.skipped_links++;
				goto next;
			}
			drain(head);
			die(RFT_EX_NOINPUT, "cannot stat '%s':", full);
		}
		if (S_ISDIR(st.st_mode)) {
			struct walk here = { up, -1 };

			if (names[i][0] != '.' && strcmp(names[i], "__MACOSX") &&
			    walk_dir_once(&st, full, up, &here.id))
				read_dir(root, sub, &here);
		} else if (S_ISREG(st.st_mode) && phenopacket_name(sub)) {
			struct rft_input in;

			if (!read_file_once(&st, full))
				goto next;
			if (rft_input_open(&in, full) < 0) {
				drain(head);
				exit(rft_finish(RFT_EX_NOINPUT));
			}
			in.max_record = opt.max_record;
			read_document(&in, sub);
			if (rft_input_close(&in) < 0) {
				drain(head);
				exit(rft_finish(RFT_EX_DATA));
			}
		} else {
			count.skipped_files++;
			per_arg[cur_arg].skipped_files++;
		}
next:
		free(sub);
		free(full);
		free(names[i]);
	}
	free(names);
	strbuf_release(&path);
}

static void read_arg(const char *arg)
{
	struct stat st;
	int named = strcmp(arg, "-") != 0 && stat(arg, &st) == 0;   /* st is arg's */

	if (named && S_ISDIR(st.st_mode)) {
		size_t len = strlen(arg);
		char *root = estrdup(arg);
		struct walk top = { NULL, -1 };

		while (len > 1 && root[len - 1] == '/')
			root[--len] = '\0';
		if (walk_dir_once(&st, root, NULL, &top.id))
			read_dir(root, "", &top);
		free(root);
		return;
	}
	/* a file named twice, or once more inside a folder given: read once */
	if (named && S_ISREG(st.st_mode) && !read_file_once(&st, arg))
		return;
	read_file(arg, strcmp(arg, "-") ? arg : "<stdin>");
}

/* ----------------------------------------------------------------- main */

enum { OPT_REJECTS = 256, OPT_SKIP_BAD, OPT_MIN_PRESENT, OPT_MAX_RECORD, OPT_STATS,
       OPT_ALLOW_EMPTY, OPT_HGNC, OPT_NO_HGNC, OPT_DUPLICATES };

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write cases to FILE (atomically) instead of stdout" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write phenopackets not made into cases, with the reason, to FILE" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (and count, and reject) up to N bad records instead of stopping (no N: any number)" },
	{ OPT_MIN_PRESENT, "min-present", RFT_ARG_REQ, "N", "reject cases with fewer than N present phenotypic features (default 0)" },
	{ OPT_MAX_RECORD, "max-record", RFT_ARG_REQ, "BYTES", "largest phenopacket or JSONL line accepted (default 64 MiB)" },
	{ 'j', "threads", RFT_ARG_REQ, "N", "map phenopackets on N threads (default: the number of CPUs, at most 8)" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print the summary on stderr (always printed when stderr is a terminal)" },
	{ OPT_ALLOW_EMPTY, "allow-empty", RFT_ARG_NONE, NULL, "exit 0 even when the inputs hold no phenopacket" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE|DIR", "HGNC complete set mapping Ensembl, NCBI Gene ids and symbols to HGNC ids (default $RFT_HGNC, else hgnc/ of the data folder: see rft(1))" },
	{ OPT_NO_HGNC, "no-hgnc", RFT_ARG_NONE, NULL, "no HGNC table: genes count only with an HGNC id as written" },
	{ OPT_DUPLICATES, "duplicates", RFT_ARG_REQ, "RULE", "a case id written already: reject (default, reason duplicate_id), rename (id#2) or keep" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-extract", "[OPTION]... [ARCHIVE|DIR|FILE|-]...",
	"Read phenopacket dumps (release ZIP/TGZ, folders, .json, JSONL[.gz], stdin) and write\n"
	"one case per phenopacket as JSONL.  With no input, or '-', read stdin.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data, 66 input missing, 74 I/O error.\n"
	"See rft-extract(1).\n"
};

static void add_reasons(struct strbuf *sb, const unsigned long long *by, unsigned long long rejected)
{
	const char *sep = " (";
	int i;

	if (!rejected)
		return;
	for (i = 0; i < NREASONS; i++) {
		if (!by[i])
			continue;
		strbuf_addf(sb, "%s%s %llu", sep, reason_name[i], by[i]);
		sep = ", ";
	}
	strbuf_addch(sb, ')');
}

static void summary(char **args, int nargs_given)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long long rejected = 0;
	size_t a;
	int i;

	for (i = 0; i < NREASONS; i++)
		rejected += count.by_reason[i];
	strbuf_addf(&sb, "%llu phenopackets read, %llu cases written, %llu rejected",
		    count.read, count.written, rejected);
	add_reasons(&sb, count.by_reason, rejected);
	strbuf_addf(&sb, ", %llu non-phenopacket files skipped", count.skipped_files);
	if (count.skipped_json)
		strbuf_addf(&sb, " (%llu of them JSON that is no phenopacket, family or cohort)",
			    count.skipped_json);
	if (count.skipped_links)
		strbuf_addf(&sb, ", %llu link%s skipped (symbolic link loops, folders or files read already)",
			    count.skipped_links, count.skipped_links == 1 ? "" : "s");
	warn("%s", sb.buf);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "schema versions: v1 %llu, v2 %llu (declared in metaData: v1 %llu, v2 %llu, "
		    "other %llu; the rest by shape)", count.version[1], count.version[2],
		    count.declared[1], count.declared[2], count.by_reason[R_UNSUPPORTED]);
	warn("%s", sb.buf);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "genes: %llu HGNC ids not in the HGNC table (kept as written), %llu symbols "
		    "contradicting their id (the id won)%s; ids: %llu duplicates (--duplicates %s",
		    count.unknown_ids, count.conflicts, have_hgnc ? "" : " [--no-hgnc]",
		    count.duplicates, opt.duplicates == DUP_REJECT ? "reject" :
		    opt.duplicates == DUP_RENAME ? "rename" : "keep");
	if (count.renamed)
		strbuf_addf(&sb, ", %llu renamed", count.renamed);
	strbuf_addstr(&sb, ")");
	if (count.relatives_left)
		strbuf_addf(&sb, "; %llu family relatives without an interpretation of their own not taken",
			    count.relatives_left);
	warn("%s", sb.buf);
	for (a = 0; a < nargs; a++) {
		struct tally *t = &per_arg[a];

		rejected = 0;
		for (i = 0; i < NREASONS; i++)
			rejected += t->by_reason[i];
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s: %llu phenopackets read, %llu cases written, %llu rejected",
			    nargs_given ? args[a] : "<stdin>", t->read, t->written, rejected);
		add_reasons(&sb, t->by_reason, rejected);
		strbuf_addf(&sb, ", %llu non-phenopacket files skipped", t->skipped_files);
		if (t->skipped_json)
			strbuf_addf(&sb, " (%llu JSON)", t->skipped_json);
		warn("%s", sb.buf);
	}
	strbuf_release(&sb);
}

int main(int argc, char **argv)
{
	int c, i;

	rft_init("rft-extract");
	rft_data_argv0(argv[0]);
	/* libarchive converts every member's DOS time with mktime(); with TZ
	 * unset glibc stats /etc/localtime each time (2 syscalls a member).
	 * Nothing here prints local times, so pin the zone. */
	setenv("TZ", "UTC", 1);
	tzset();
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.output = optarg; break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_MIN_PRESENT: opt.min_present = rft_opt_count("min-present", optarg, 0, RFT_OPT_NO_MAX); break;
		case OPT_MAX_RECORD: opt.max_record = (size_t)rft_opt_count("max-record", optarg, 0, RFT_OPT_NO_MAX); break;
		case 'j': opt.threads = (int)rft_opt_count("threads", optarg, 0, 100000); break;
		case OPT_STATS: opt.stats = 1; break;
		case OPT_ALLOW_EMPTY: opt.allow_empty = 1; break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case OPT_NO_HGNC: opt.no_hgnc = 1; break;
		case OPT_DUPLICATES:
			if (!strcmp(optarg, "reject")) opt.duplicates = DUP_REJECT;
			else if (!strcmp(optarg, "rename")) opt.duplicates = DUP_RENAME;
			else if (!strcmp(optarg, "keep")) opt.duplicates = DUP_KEEP;
			else
				rft_usage_error("option '--duplicates' takes reject, rename or keep, not '%s'",
						optarg);
			break;
		}
	}
	if (opt.hgnc && opt.no_hgnc)
		rft_usage_error("give --hgnc FILE or --no-hgnc, not both");
	if (opt.no_hgnc) {
		warn("--no-hgnc: a gene counts only with an HGNC id as written (no Ensembl, NCBI Gene "
		     "or symbol mapping, no check against the HGNC table)");
	} else {
		char *path = rft_hgnc_path(opt.hgnc);
		struct strbuf err = STRBUF_INIT;

		if (!path) {
			struct strbuf sb = STRBUF_INIT;

			rft_data_looked(&sb, "hgnc", RFT_HGNC_OPT, "RFT_HGNC");
			die(RFT_EX_NOINPUT, "no HGNC table found to map gene ids: give --hgnc FILE, set "
			    "RFT_HGNC or RFT_DATADIR, or give --no-hgnc; looked in:\n%s", sb.buf);
		}
		if (hgnc_load(&hgnc, path, &err) < 0)
			die(access(path, R_OK) == 0 ? RFT_EX_CONFIG : RFT_EX_NOINPUT, "%s", err.buf);
		have_hgnc = 1;
		strbuf_release(&err);
		free(path);
	}
	nargs = optind < argc ? (size_t)(argc - optind) : 1;
	per_arg = ecalloc(nargs, sizeof(*per_arg));
	opt.threads = rft_threads(opt.threads);
	if (opt.max_record < 1)
		opt.max_record = 1;
	nworkers = opt.threads > 1 ? opt.threads : 0;

	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	setvbuf(out.fp, NULL, _IOFBF, 1 << 16);
	if (opt.rejects) {
		if (rft_output_open(&rej, opt.rejects) < 0)
			return rft_finish(RFT_EX_IOERR);
		rej_open = 1;
	}
	start_workers();
	if (optind == argc)
		read_arg("-");
	for (i = optind; i < argc; i++) {
		/* earlier inputs' records are counted against their own argument */
		cur_arg = (size_t)(i - optind);
		read_arg(argv[i]);
	}
	drain(head);
	stop_workers();
	rft_json_thread_done();
	seen_fs_release();
	for (i = 0; i < RING; i++) {
		size_t k;

		strbuf_release(&ring[i].data);
		strbuf_release(&ring[i].warn);
		strbuf_release(&ring[i].skip_msg);
		for (k = 0; k < ring[i].ares; k++) {
			strbuf_release(&ring[i].res[k].out);
			strbuf_release(&ring[i].res[k].msg);
			free(ring[i].res[k].id);
		}
		free(ring[i].res);
	}
	for (i = 0; i < (int)written_ids.n; i++)
		free(written_src[i]);
	free(written_src);
	strmap_release(&written_ids);
	if (have_hgnc)
		hgnc_release(&hgnc);

	if (opt.stats || isatty(STDERR_FILENO))
		summary(argv + optind, argc - optind);
	free(per_arg);
	if (count.read == 0 && !opt.allow_empty)
		die(RFT_EX_DATA, "no phenopackets in the input (--allow-empty to accept that)");
	if (rej_open && rft_output_commit(&rej) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	return rft_finish(RFT_EX_OK);
}
