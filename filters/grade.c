/*
 * rft-grade - score sample lines with OpenAI-compatible graders plus a
 * gene-aware rank grader, the same way in batch, in an RFT job (exported)
 * and as a reward coprocess for an RL trainer (--serve).
 *
 * A grader is JSON in OpenAI's grader schema (--grader FILE; the built-in
 * default is one gene_rank grader).  Supported types: gene_rank (ours),
 * string_check, text_similarity (fuzzy_match), multi (a named map of graders
 * and calculate_output), python (grade(sample, item) in a long-lived python3
 * worker).  score_model and label_model are refused as unsupported.
 *
 * Every sample line gets "grade": {"name","reward","sub_rewards","rank",
 * "predicted","max_list","errors":{...}} - the shape of OpenAI's grader run
 * response, so results can be diffed against it.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/datafile.h"
#include "common/hgnc.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/records.h"
#include "common/strbuf.h"
#include "common/template.h"
#include "common/util.h"

/* ------------------------------------------------------------- results */

enum gerr {
	E_PARSE = 1,          /* sample_parse_error */
	E_VARIABLE = 2,       /* invalid_variable_error */
	E_FORMULA = 4,        /* formula_parse_error */
	E_PYTHON = 8,         /* python_grader_runtime_error */
	E_OTHER = 16,         /* other_error */
	E_UNRESPONSIVE = 32,  /* model_grader_server_error: unused, kept for the shape */
	E_CALL = 64           /* the model call itself failed (our key) */
};

static const struct { int bit; const char *name; } err_names[] = {
	{ E_PARSE, "sample_parse_error" },
	{ E_VARIABLE, "invalid_variable_error" },
	{ E_FORMULA, "formula_parse_error" },
	{ E_PYTHON, "python_grader_runtime_error" },
	{ E_OTHER, "other_error" },
	{ E_UNRESPONSIVE, "model_grader_server_error" },
	{ E_CALL, "model_call_error" },
};

struct result {
	double reward;
	int errors;              /* enum gerr bits */
	long rank;               /* gene_rank: 1-based, 0 = not found, -1 = n/a */
	struct strbuf predicted; /* gene_rank: JSON list */
	struct strbuf subs;      /* multi: "name":reward,... */
	struct strbuf message;   /* why, when something went wrong */
	int max_list;
	int unknown, ambiguous;  /* gene names not resolved */
};

static void result_init(struct result *r)
{
	r->reward = 0;
	r->errors = 0;
	r->rank = -1;
	strbuf_init(&r->predicted, 0);
	strbuf_init(&r->subs, 0);
	strbuf_init(&r->message, 0);
	r->max_list = 0;
	r->unknown = r->ambiguous = 0;
}

static void result_release(struct result *r)
{
	strbuf_release(&r->predicted);
	strbuf_release(&r->subs);
	strbuf_release(&r->message);
}

static void fail(struct result *r, int bit, const char *fmt, ...) RFT_PRINTF(3, 4);
static void fail(struct result *r, int bit, const char *fmt, ...)
{
	va_list ap;

	r->errors |= bit;
	r->reward = 0;
	if (r->message.len)
		return;
	va_start(ap, fmt);
	strbuf_vaddf(&r->message, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------- graders */

enum gtype { G_GENE_RANK, G_STRING_CHECK, G_TEXT_SIMILARITY, G_MULTI, G_PYTHON };
enum curve { C_RECIPROCAL, C_LINEAR, C_EXPONENTIAL };
enum strop { OP_EQ, OP_NE, OP_LIKE, OP_ILIKE };

struct expr;

struct grader {
	enum gtype type;
	char *name;
	char *input, *reference;      /* templates */
	char *text_input;             /* gene_rank: fallback template */
	enum strop op;
	int max_list;
	enum curve curve;
	double decay;
	double pass_threshold;
	struct grader **subs;         /* multi */
	char **sub_names;
	int nsubs;
	struct expr *calc;
	char *calc_text;
	char *source;                 /* python */
	struct pyworker *py;
};

static struct {
	const char *grader;
	const char *hgnc;
	const char *rejects;
	const char *output;
	const char *export_openai;
	const char *dataset;
	long long skip_bad, threads;
	int validate, serve, stats;
	double py_timeout;
	long py_memory_mb;
} opt = { NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, 0, 0, 0, 5.0, 1024 };

static struct hgnc hgnc;
static int have_hgnc;

/* ------------------------------------------------------- calculate_output */

enum etype { X_NUM, X_VAR, X_NEG, X_ADD, X_SUB, X_MUL, X_DIV, X_POW, X_CALL };

struct expr {
	enum etype type;
	double num;
	int var;                 /* index into the grader's subs */
	const char *fn;          /* X_CALL */
	struct expr *a, *b;      /* operands; X_CALL: a = first arg, args chained by b */
	struct expr *next;       /* X_CALL argument list */
};

static void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->a);
	expr_free(e->b);
	expr_free(e->next);
	free(e);
}

struct eparse {
	const char *s, *p;
	const struct grader *g;
	struct strbuf *err;
};

static struct expr *enew(enum etype t)
{
	struct expr *e = ecalloc(1, sizeof(*e));

	e->type = t;
	return e;
}

static void eskip(struct eparse *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static struct expr *eexpr(struct eparse *ps);

static struct expr *eprimary(struct eparse *ps)
{
	static const char *const fns[] = { "min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log" };
	struct expr *e;

	eskip(ps);
	if (*ps->p == '(') {
		ps->p++;
		e = eexpr(ps);
		eskip(ps);
		if (!e)
			return NULL;
		if (*ps->p != ')') {
			strbuf_addf(ps->err, "expected ')' at column %d", (int)(ps->p - ps->s) + 1);
			expr_free(e);
			return NULL;
		}
		ps->p++;
		return e;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '.') {
		char *end;

		e = enew(X_NUM);
		e->num = strtod(ps->p, &end);
		if (end == ps->p) {
			strbuf_addf(ps->err, "bad number at column %d", (int)(ps->p - ps->s) + 1);
			free(e);
			return NULL;
		}
		ps->p = end;
		return e;
	}
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		const char *start = ps->p;
		size_t n, i;

		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		n = (size_t)(ps->p - start);
		eskip(ps);
		if (*ps->p == '(') {
			struct expr **tail;

			for (i = 0; i < sizeof(fns) / sizeof(*fns); i++)
				if (strlen(fns[i]) == n && !strncmp(fns[i], start, n))
					break;
			if (i == sizeof(fns) / sizeof(*fns)) {
				strbuf_addf(ps->err, "unknown function '%.*s'", (int)n, start);
				return NULL;
			}
			e = enew(X_CALL);
			e->fn = fns[i];
			ps->p++;
			tail = &e->a;
			for (;;) {
				struct expr *arg = eexpr(ps);

				if (!arg) {
					expr_free(e);
					return NULL;
				}
				*tail = arg;
				tail = &arg->next;
				eskip(ps);
				if (*ps->p == ',') {
					ps->p++;
					continue;
				}
				if (*ps->p == ')') {
					ps->p++;
					break;
				}
				strbuf_addf(ps->err, "expected ',' or ')' at column %d", (int)(ps->p - ps->s) + 1);
				expr_free(e);
				return NULL;
			}
			{
				int nargs = 0;
				struct expr *a;

				for (a = e->a; a; a = a->next)
					nargs++;
				if (strcmp(e->fn, "min") && strcmp(e->fn, "max") && nargs != 1) {
					strbuf_addf(ps->err, "%s() takes one argument", e->fn);
					expr_free(e);
					return NULL;
				}
			}
			return e;
		}
		for (i = 0; i < (size_t)ps->g->nsubs; i++)
			if (strlen(ps->g->sub_names[i]) == n && !strncmp(ps->g->sub_names[i], start, n))
				break;
		if (i == (size_t)ps->g->nsubs) {
			strbuf_addf(ps->err, "'%.*s' is not one of the graders", (int)n, start);
			return NULL;
		}
		e = enew(X_VAR);
		e->var = (int)i;
		return e;
	}
	if (*ps->p)
		strbuf_addf(ps->err, "unexpected '%c' at column %d", *ps->p, (int)(ps->p - ps->s) + 1);
	else
		strbuf_addstr(ps->err, "unexpected end of formula");
	return NULL;
}

static struct expr *eunary(struct eparse *ps)
{
	eskip(ps);
	if (*ps->p == '-' || *ps->p == '+') {
		int neg = *ps->p == '-';
		struct expr *a, *e;

		ps->p++;
		a = eunary(ps);
		if (!a || !neg)
			return a;
		e = enew(X_NEG);
		e->a = a;
		return e;
	}
	return eprimary(ps);
}

static struct expr *epower(struct eparse *ps)
{
	struct expr *a = eunary(ps), *e;

	if (!a)
		return NULL;
	eskip(ps);
	if (*ps->p != '^')
		return a;
	ps->p++;
	e = enew(X_POW);
	e->a = a;
	e->b = epower(ps);   /* right-associative */
	if (!e->b) {
		expr_free(e);
		return NULL;
	}
	return e;
}

static struct expr *ebinary(struct eparse *ps, int level)
{
	struct expr *a = level ? epower(ps) : ebinary(ps, 1), *e;

	while (a) {
		char c;

		eskip(ps);
		c = *ps->p;
		if (level ? (c != '*' && c != '/') : (c != '+' && c != '-'))
			break;
		ps->p++;
		e = enew(c == '*' ? X_MUL : c == '/' ? X_DIV : c == '+' ? X_ADD : X_SUB);
		e->a = a;
		e->b = level ? epower(ps) : ebinary(ps, 1);
		if (!e->b) {
			expr_free(e);
			return NULL;
		}
		a = e;
	}
	return a;
}

static struct expr *eexpr(struct eparse *ps)
{
	return ebinary(ps, 0);
}

static struct expr *expr_parse(const char *s, const struct grader *g, struct strbuf *err)
{
	struct eparse ps = { s, s, g, err };
	struct expr *e = eexpr(&ps);

	if (!e)
		return NULL;
	eskip(&ps);
	if (*ps.p) {
		strbuf_addf(err, "unexpected '%c' at column %d", *ps.p, (int)(ps.p - s) + 1);
		expr_free(e);
		return NULL;
	}
	return e;
}

static double expr_eval(const struct expr *e, const double *vars)
{
	const struct expr *a;
	double v;

	switch (e->type) {
	case X_NUM: return e->num;
	case X_VAR: return vars[e->var];
	case X_NEG: return -expr_eval(e->a, vars);
	case X_ADD: return expr_eval(e->a, vars) + expr_eval(e->b, vars);
	case X_SUB: return expr_eval(e->a, vars) - expr_eval(e->b, vars);
	case X_MUL: return expr_eval(e->a, vars) * expr_eval(e->b, vars);
	case X_DIV: return expr_eval(e->a, vars) / expr_eval(e->b, vars);
	case X_POW: return pow(expr_eval(e->a, vars), expr_eval(e->b, vars));
	case X_CALL:
		v = expr_eval(e->a, vars);
		if (!strcmp(e->fn, "min") || !strcmp(e->fn, "max")) {
			for (a = e->a->next; a; a = a->next) {
				double w = expr_eval(a, vars);

				v = e->fn[1] == 'i' ? fmin(v, w) : fmax(v, w);
			}
			return v;
		}
		if (!strcmp(e->fn, "abs")) return fabs(v);
		if (!strcmp(e->fn, "floor")) return floor(v);
		if (!strcmp(e->fn, "ceil")) return ceil(v);
		if (!strcmp(e->fn, "exp")) return exp(v);
		if (!strcmp(e->fn, "sqrt")) return sqrt(v);
		return log(v);
	}
	return NAN;
}

/* ------------------------------------------------------------- templates */

/*
 * Resolve one template reference "item.reference.hgnc" or
 * "sample.output_json.genes[0]" (brackets or dots for list indexes).
 */
static struct json_object *resolve_ref(const char *ref, size_t len, struct json_object *item,
				       struct json_object *sample, int *found)
{
	struct strbuf path = STRBUF_INIT;
	struct json_object *root, *v;
	size_t i, depth;

	*found = 0;
	for (i = 0; i < len; i++) {
		if (ref[i] == '[')
			strbuf_addch(&path, '.');
		else if (ref[i] != ']' && !isspace((unsigned char)ref[i]))
			strbuf_addch(&path, ref[i]);
	}
	if (!strncmp(path.buf, "item", 4) && (path.buf[4] == '.' || !path.buf[4])) {
		root = item, i = 4;
		/* item is the line without "sample" (and our "grade") */
		if (!strncmp(path.buf + 4, ".sample", 7) && (!path.buf[11] || path.buf[11] == '.')) {
			strbuf_release(&path);
			return NULL;
		}
		if (!strncmp(path.buf + 4, ".grade", 6) && (!path.buf[10] || path.buf[10] == '.')) {
			strbuf_release(&path);
			return NULL;
		}
	}
	else if (!strncmp(path.buf, "sample", 6) && (path.buf[6] == '.' || !path.buf[6]))
		root = sample, i = 6;
	else {
		strbuf_release(&path);
		return NULL;
	}
	if (!path.buf[i]) {
		*found = root != NULL;
		strbuf_release(&path);
		return root;
	}
	v = rft_tpl_lookup(root, path.buf + i + 1, path.len - i - 1, &depth);
	*found = v != NULL;
	if (!v) {
		/* a member that is there and null resolves (to null) */
		const char *last = strrchr(path.buf + i, '.');
		struct json_object *parent = last > path.buf + i ?
			rft_tpl_lookup(root, path.buf + i + 1, (size_t)(last - path.buf - i - 1), &depth) :
			root;

		*found = parent && json_object_is_type(parent, json_type_object) &&
			json_object_object_get_ex(parent, last + 1, NULL);
	}
	strbuf_release(&path);
	return v;
}

/*
 * Render a grader template: "{{ item.x }}" references replaced by their
 * values (strings as they are, anything else as compact JSON).  A template
 * that is exactly one reference returns that value itself in *whole.
 * -1 when a reference does not resolve (message in err).
 */
static int render(const char *tpl, struct json_object *item, struct json_object *sample,
		  struct strbuf *out, struct json_object **whole, struct strbuf *err)
{
	const char *p = tpl, *o;

	if (whole)
		*whole = NULL;
	while ((o = strstr(p, "{{"))) {
		const char *c = strstr(o + 2, "}}"), *s = o + 2, *e;
		struct json_object *v;
		int found;

		if (!c)
			break;
		while (s < c && isspace((unsigned char)*s))
			s++;
		for (e = c; e > s && isspace((unsigned char)e[-1]); e--)
			;
		strbuf_add(out, p, (size_t)(o - p));
		v = resolve_ref(s, (size_t)(e - s), item, sample, &found);
		if (!found) {
			strbuf_addf(err, "{{%.*s}} does not resolve", (int)(e - s), s);
			return -1;
		}
		if (whole && o == tpl && !c[2] && v) {
			/* the value itself is wanted: no need to write it out */
			*whole = v;
			return 0;
		}
		if (v && json_object_is_type(v, json_type_string))
			strbuf_add(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		else if (v)
			json_put_value(out, v);
		p = c + 2;
	}
	strbuf_addstr(out, p);
	return 0;
}

/* ------------------------------------------------------------- gene_rank */

/* one name of the predicted list: resolved gene, or its own upper-case text */
struct name {
	long gene;
	char *text;
};

static void add_name(struct name **list, size_t *n, size_t *alloc, const char *text, size_t len,
		     struct result *r)
{
	char buf[256];
	enum hgnc_how how = HGNC_UNKNOWN;
	long g = -1;
	size_t i;

	while (len && isspace((unsigned char)*text))
		text++, len--;
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (!len)
		return;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (have_hgnc) {
		g = hgnc_resolve_text(&hgnc, buf, &how);
		if (g < 0 && how == HGNC_AMBIGUOUS)
			r->ambiguous++;
		else if (g < 0)
			r->unknown++;
	}
	if (*n == *alloc) {
		*alloc = *alloc ? 2 * *alloc : 32;
		*list = erealloc(*list, *alloc * sizeof(**list));
	}
	(*list)[*n].gene = g;
	if (g >= 0) {
		(*list)[*n].text = estrdup(hgnc_symbol(&hgnc, g));
	} else {
		/* unresolved: keep the name itself (cleaned, upper case) in its place */
		char *t = estrdup(buf), *a = t, *b;

		while (*a && strchr("\"'*`", *a))
			a++;
		b = a + strlen(a);
		while (b > a && strchr("\"'*`.,;:", b[-1]))
			*--b = '\0';
		for (i = 0; a[i]; i++)
			a[i] = (char)toupper((unsigned char)a[i]);
		memmove(t, a, strlen(a) + 1);
		(*list)[*n].text = t;
	}
	(*n)++;
}

/* genes from free text: a JSON object with "genes" anywhere, else a numbered
 * or bulleted list (first word of each item), else the first comma list */
static int text_genes(struct json_tokener *tok, const char *text, struct name **list, size_t *n,
		      size_t *alloc, struct result *r)
{
	const char *p;
	int items = 0;

	for (p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		struct json_object *o, *genes;

		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int)strlen(p));
		genes = rft_json_get(o, "genes");
		if (genes && json_object_is_type(genes, json_type_array)) {
			size_t i, len = json_object_array_length(genes);

			for (i = 0; i < len; i++) {
				struct json_object *g = json_object_array_get_idx(genes, i);

				if (g && json_object_is_type(g, json_type_string))
					add_name(list, n, alloc, json_object_get_string(g),
						 (size_t)json_object_get_string_len(g), r);
				else if (g && rft_json_get_str(g, "symbol"))
					add_name(list, n, alloc, rft_json_get_str(g, "symbol"),
						 strlen(rft_json_get_str(g, "symbol")), r);
			}
			json_object_put(o);
			return 0;
		}
		json_object_put(o);
	}
	/* list items: "1. KMT2D - ...", "2) **KDM6A**", "- ZSWIM6: ..." */
	for (p = text; *p; ) {
		const char *eol = strchr(p, '\n'), *q = p, *w;

		if (!eol)
			eol = p + strlen(p);
		while (q < eol && isspace((unsigned char)*q))
			q++;
		if (q < eol && isdigit((unsigned char)*q)) {
			while (q < eol && isdigit((unsigned char)*q))
				q++;
			q = (q < eol && (*q == '.' || *q == ')')) ? q + 1 : NULL;
		} else if (q < eol && strchr("-*+", *q) && q + 1 < eol && q[1] == ' ') {
			q++;
		} else if (q + 2 < eol && !memcmp(q, "\xe2\x80\xa2", 3)) {
			q += 3;
		} else {
			q = NULL;
		}
		if (q) {
			while (q < eol && (isspace((unsigned char)*q) || *q == '*' || *q == '`'))
				q++;
			for (w = q; w < eol && (isalnum((unsigned char)*w) || *w == '-' || *w == '.' || *w == '_'); w++)
				;
			while (w > q && w[-1] == '.')
				w--;
			if (w > q) {
				add_name(list, n, alloc, q, (size_t)(w - q), r);
				items++;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	if (items)
		return 0;
	for (p = text; *p; ) {
		const char *eol = strchr(p, '\n');

		if (!eol)
			eol = p + strlen(p);
		if (memchr(p, ',', (size_t)(eol - p))) {
			const char *s = p;

			/* the text after a colon is the list: "Candidates: A, B, C" */
			const char *colon = memchr(p, ':', (size_t)(eol - p));

			if (colon)
				s = colon + 1;
			while (s < eol) {
				const char *c = memchr(s, ',', (size_t)(eol - s));

				if (!c)
					c = eol;
				add_name(list, n, alloc, s, (size_t)(c - s), r);
				s = c + 1;
			}
			return 0;
		}
		p = *eol ? eol + 1 : eol;
	}
	/* one short line alone ("KMT2D", "KMT2D (MLL2)") is a list of one */
	{
		const char *a = text;
		size_t len;

		while (isspace((unsigned char)*a))
			a++;
		len = strlen(a);
		while (len && isspace((unsigned char)a[len - 1]))
			len--;
		if (len && len < 64 && !memchr(a, '\n', len)) {
			/* one word, once what is in parentheses is set aside */
			size_t i, words = 0;
			int depth = 0, inword = 0;

			for (i = 0; i < len; i++) {
				if (a[i] == '(')
					depth++;
				else if (a[i] == ')' && depth)
					depth--;
				else if (!depth && !isspace((unsigned char)a[i])) {
					words += !inword;
					inword = 1;
					continue;
				}
				inword = 0;
			}
			if (words == 1)
				add_name(list, n, alloc, a, len, r);
		}
	}
	return *n ? 0 : -1;
}

/* (a tokener of its own: lenient, unlike the strict one of common/json.c) */
static int parse_text_genes(const char *text, struct name **list, size_t *n, size_t *alloc,
			    struct result *r)
{
	struct json_tokener *tok = json_tokener_new();
	int rc;

	if (!tok)
		die(RFT_EX_SOFTWARE, "out of memory");
	rc = text_genes(tok, text, list, n, alloc, r);
	json_tokener_free(tok);
	return rc;
}

/* the reference genes: HGNC ids (or upper-case symbols without HGNC) */
static int reference_ids(struct json_object *ref, char ***ids, size_t *n, struct strbuf *err)
{
	size_t i, len;

	*n = 0;
	*ids = NULL;
	if (!ref) {
		strbuf_addstr(err, "the reference is null");
		return -1;
	}
	len = json_object_is_type(ref, json_type_array) ? json_object_array_length(ref) : 1;
	*ids = ecalloc(len ? len : 1, sizeof(**ids));
	for (i = 0; i < len; i++) {
		struct json_object *v = json_object_is_type(ref, json_type_array) ?
			json_object_array_get_idx(ref, i) : ref;
		const char *s = NULL;

		if (v && json_object_is_type(v, json_type_string))
			s = json_object_get_string(v);
		else if (v && json_object_is_type(v, json_type_object))
			s = rft_json_get_str(v, "hgnc") ? rft_json_get_str(v, "hgnc") :
				rft_json_get_str(v, "symbol");
		if (!s)
			continue;
		if (strncmp(s, "HGNC:", 5) != 0) {
			enum hgnc_how how;
			long g = have_hgnc ? hgnc_resolve_text(&hgnc, s, &how) : -1;
			size_t k;

			if (g >= 0) {
				s = hgnc_id(&hgnc, g);
			} else {
				char *u = estrdup(s);

				for (k = 0; u[k]; k++)
					u[k] = (char)toupper((unsigned char)u[k]);
				(*ids)[(*n)++] = u;
				continue;
			}
		}
		(*ids)[(*n)++] = estrdup(s);
	}
	if (*n == 0) {
		strbuf_addstr(err, "the reference names no gene");
		free(*ids);
		*ids = NULL;
		return -1;
	}
	return 0;
}

static double curve_score(const struct grader *g, long rank)
{
	if (rank <= 0)
		return 0;
	switch (g->curve) {
	case C_LINEAR: return (double)(g->max_list - rank + 1) / g->max_list;
	case C_EXPONENTIAL: return pow(g->decay, (double)(rank - 1));
	case C_RECIPROCAL: break;
	}
	return 1.0 / (double)rank;
}

static void grade_gene_rank(const struct grader *g, struct json_object *item,
			    struct json_object *sample, struct result *r)
{
	struct strbuf tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *list = NULL, *ref = NULL;
	struct name *names = NULL;
	size_t n = 0, alloc = 0, i, j, nref = 0, kept = 0;
	char **refs = NULL;

	r->max_list = g->max_list;
	r->rank = 0;
	if (render(g->reference, item, sample, &tmp, &ref, &err) < 0) {
		fail(r, E_VARIABLE, "reference: %s", err.buf);
		goto out;
	}
	if (!ref) {
		/* a template mixing text: its rendered text is the reference */
		ref = json_object_new_string(tmp.buf);
		if (reference_ids(ref, &refs, &nref, &err) < 0)
			fail(r, E_VARIABLE, "reference: %s", err.buf);
		json_object_put(ref);
	} else if (reference_ids(ref, &refs, &nref, &err) < 0) {
		fail(r, E_VARIABLE, "reference: %s", err.buf);
	}
	if (r->errors)
		goto out;

	/* the predicted list: JSON first, else parsed out of the text */
	strbuf_reset(&tmp);
	strbuf_reset(&err);
	if (render(g->input, item, sample, &tmp, &list, &err) == 0 && list &&
	    json_object_is_type(list, json_type_array)) {
		size_t len = json_object_array_length(list);

		for (i = 0; i < len; i++) {
			struct json_object *v = json_object_array_get_idx(list, i);
			const char *s = v && json_object_is_type(v, json_type_string) ?
				json_object_get_string(v) : rft_json_get_str(v, "symbol");

			if (s)
				add_name(&names, &n, &alloc, s, strlen(s), r);
		}
	} else {
		strbuf_reset(&tmp);
		strbuf_reset(&err);
		if (render(g->text_input, item, sample, &tmp, NULL, &err) < 0) {
			fail(r, E_PARSE, "no gene list in %s and no text: %s", g->input, err.buf);
			goto out;
		}
		if (parse_text_genes(tmp.buf, &names, &n, &alloc, r) < 0) {
			fail(r, E_PARSE, "no gene list found in the output text");
			goto out;
		}
	}

	/* duplicates count once, in first place; the list is cut at max_list */
	strbuf_addch(&r->predicted, '[');
	for (i = 0; i < n && (int)kept < g->max_list; i++) {
		const char *key = names[i].gene >= 0 ? hgnc_id(&hgnc, names[i].gene) : names[i].text;

		for (j = 0; j < i; j++) {
			const char *k2 = names[j].gene >= 0 ? hgnc_id(&hgnc, names[j].gene) : names[j].text;

			if (!strcmp(key, k2))
				break;
		}
		if (j < i)
			continue;
		if (kept++)
			strbuf_addch(&r->predicted, ',');
		json_put_str(&r->predicted, names[i].text);
		if (r->rank == 0) {
			for (j = 0; j < nref; j++)
				if (!strcmp(refs[j], key) ||
				    (names[i].gene < 0 && !strcmp(refs[j], names[i].text)))
					break;
			if (j < nref)
				r->rank = (long)kept;
		}
	}
	strbuf_addch(&r->predicted, ']');
	r->reward = curve_score(g, r->rank);
out:
	for (i = 0; i < n; i++)
		free(names[i].text);
	free(names);
	for (i = 0; i < nref; i++)
		free(refs[i]);
	free(refs);
	strbuf_release(&tmp);
	strbuf_release(&err);
}

/* ----------------------------------------------- string_check, similarity */

static int contains(const char *hay, const char *needle, int fold)
{
	size_t n = strlen(needle), i;

	if (!fold)
		return strstr(hay, needle) != NULL;
	for (; *hay; hay++) {
		for (i = 0; i < n && hay[i] && tolower((unsigned char)hay[i]) ==
		     tolower((unsigned char)needle[i]); i++)
			;
		if (i == n)
			return 1;
	}
	return n == 0;
}

/* UTF-8 text -> code points (invalid bytes taken as they are) */
static size_t codepoints(const char *s, uint32_t **out)
{
	size_t len = strlen(s), n = 0, i = 0;

	*out = emalloc((len + 1) * sizeof(**out));
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp = c;
		size_t k = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

		if (i + k < len && k) {
			cp = c & (0x3F >> k);
			for (size_t j = 1; j <= k; j++)
				cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3F);
		} else {
			k = 0;
		}
		(*out)[n++] = cp;
		i += k + 1;
	}
	return n;
}

/*
 * fuzzy_match: the normalised indel similarity of rapidfuzz's fuzz.ratio,
 * 1 - (insertions + deletions) / (len(a) + len(b)) = 2 LCS / (len(a) + len(b)),
 * over Unicode code points; two empty strings score 1.
 */
static double fuzzy_ratio(const char *a, const char *b)
{
	uint32_t *x, *y;
	size_t n = codepoints(a, &x), m = codepoints(b, &y), i, j;
	size_t *row = ecalloc(m + 1, sizeof(*row));
	double v;

	if (n + m == 0) {
		free(x);
		free(y);
		free(row);
		return 1;
	}
	for (i = 1; i <= n; i++) {
		size_t diag = 0;

		for (j = 1; j <= m; j++) {
			size_t up = row[j];

			row[j] = x[i - 1] == y[j - 1] ? diag + 1 : (row[j] > row[j - 1] ? row[j] : row[j - 1]);
			diag = up;
		}
	}
	v = 2.0 * (double)row[m] / (double)(n + m);
	free(x);
	free(y);
	free(row);
	return v;
}

static void grade_text(const struct grader *g, struct json_object *item,
		       struct json_object *sample, struct result *r)
{
	struct strbuf in = STRBUF_INIT, ref = STRBUF_INIT, err = STRBUF_INIT;

	if (render(g->input, item, sample, &in, NULL, &err) < 0) {
		fail(r, E_VARIABLE, "input: %s", err.buf);
	} else if (render(g->reference, item, sample, &ref, NULL, &err) < 0) {
		fail(r, E_VARIABLE, "reference: %s", err.buf);
	} else if (g->type == G_STRING_CHECK) {
		int yes;

		switch (g->op) {
		case OP_EQ: yes = !strcmp(in.buf, ref.buf); break;
		case OP_NE: yes = strcmp(in.buf, ref.buf) != 0; break;
		case OP_LIKE: yes = contains(in.buf, ref.buf, 0); break;
		default: yes = contains(in.buf, ref.buf, 1); break;
		}
		r->reward = yes;
	} else {
		r->reward = fuzzy_ratio(in.buf, ref.buf);
	}
	strbuf_release(&in);
	strbuf_release(&ref);
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- python */

/* The worker: reads the grader source, then one request a line. */
static const char py_worker[] =
	"import json, sys, math\n"
	"ns = {'__name__': 'rft_grader'}\n"
	"src = json.loads(sys.stdin.readline())\n"
	"try:\n"
	"    exec(compile(src, 'grader.py', 'exec'), ns)\n"
	"    grade = ns['grade']\n"
	"    print(json.dumps({'ok': True}), flush=True)\n"
	"except BaseException as e:\n"
	"    print(json.dumps({'error': '%s: %s' % (type(e).__name__, e)}), flush=True)\n"
	"    sys.exit(0)\n"
	"for line in sys.stdin:\n"
	"    req = json.loads(line)\n"
	"    try:\n"
	"        v = grade(req['sample'], req['item'])\n"
	"        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):\n"
	"            out = {'error': 'grade() returned %r, not a finite float' % (v,)}\n"
	"        else:\n"
	"            out = {'reward': float(v)}\n"
	"    except BaseException as e:\n"
	"        out = {'error': '%s: %s' % (type(e).__name__, e)}\n"
	"    print(json.dumps(out), flush=True)\n";

struct pyworker {
	pid_t pid;
	int to, from;
	struct strbuf buf;
	const char *source;
};

static void py_stop(struct pyworker *w)
{
	if (w->pid > 0) {
		close(w->to);
		close(w->from);
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
	}
	w->pid = 0;
	strbuf_reset(&w->buf);
}

/* one reply line within timeout seconds: 0 ok, -1 died, -2 timed out */
static int py_read(struct pyworker *w, double timeout, struct strbuf *line)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		char *nl = memchr(w->buf.buf, '\n', w->buf.len);
		struct pollfd pfd = { w->from, POLLIN, 0 };
		double left;
		char chunk[4096];
		ssize_t got;
		int pr;

		if (nl) {
			size_t k = (size_t)(nl - w->buf.buf);

			strbuf_reset(line);
			strbuf_add(line, w->buf.buf, k);
			memmove(w->buf.buf, nl + 1, w->buf.len - k - 1);
			strbuf_setlen(&w->buf, w->buf.len - k - 1);
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout - (double)(t1.tv_sec - t0.tv_sec) - (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (left <= 0)
			return -2;
		pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			continue;
		got = read(w->from, chunk, sizeof(chunk));
		if (got <= 0)
			return -1;
		strbuf_add(&w->buf, chunk, (size_t)got);
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* start the worker and load the source; 0, or -1 with the reason in err */
static int py_start(struct pyworker *w, struct strbuf *err)
{
	int in[2], out[2];
	struct strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
	struct json_object *o = NULL;
	int ret = -1, r;

	if (pipe(in) < 0 || pipe(out) < 0)
		die(RFT_EX_SOFTWARE, "pipe:");
	w->pid = fork();
	if (w->pid < 0)
		die(RFT_EX_SOFTWARE, "fork:");
	if (w->pid == 0) {
		struct rlimit rl;

		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		rl.rlim_cur = rl.rlim_max = (rlim_t)opt.py_memory_mb << 20;
		setrlimit(RLIMIT_AS, &rl);
		signal(SIGPIPE, SIG_DFL);
		execlp("python3", "python3", "-I", "-u", "-c", py_worker, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	w->to = in[1];
	w->from = out[0];
	strbuf_init(&w->buf, 0);
	json_put_str(&msg, w->source);
	strbuf_addch(&msg, '\n');
	if (write_all(w->to, msg.buf, msg.len) < 0) {
		strbuf_addstr(err, "python3 did not start (is it installed?)");
		goto out;
	}
	r = py_read(w, 30, &line);
	if (r < 0) {
		strbuf_addstr(err, r == -2 ? "python3 did not answer in 30 s" :
			      "python3 did not start (is it installed?)");
		goto out;
	}
	o = json_tokener_parse(line.buf);
	if (rft_json_get_str(o, "error")) {
		strbuf_addf(err, "the python grader does not load: %s", rft_json_get_str(o, "error"));
		goto out;
	}
	ret = 0;
out:
	json_object_put(o);
	if (ret < 0)
		py_stop(w);
	strbuf_release(&msg);
	strbuf_release(&line);
	return ret;
}

static void grade_python(const struct grader *g, struct json_object *item,
			 struct json_object *sample, struct result *r)
{
	struct pyworker *w = g->py;
	struct strbuf req = STRBUF_INIT, line = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *o = NULL;
	int rr;

	if (!w->pid && py_start(w, &err) < 0) {
		fail(r, E_PYTHON, "%s", err.buf);
		goto out;
	}
	strbuf_addstr(&req, "{\"sample\":");
	json_put_value(&req, sample);
	strbuf_addstr(&req, ",\"item\":");
	json_put_value(&req, item);
	strbuf_addstr(&req, "}\n");
	if (write_all(w->to, req.buf, req.len) < 0) {
		py_stop(w);
		fail(r, E_PYTHON, "the python worker died");
		goto out;
	}
	rr = py_read(w, opt.py_timeout, &line);
	if (rr == -2) {
		py_stop(w);   /* restarted for the next line */
		fail(r, E_PYTHON, "grade() took longer than %g s", opt.py_timeout);
		goto out;
	}
	if (rr < 0) {
		int st = 0;

		close(w->to);
		close(w->from);
		waitpid(w->pid, &st, 0);
		w->pid = 0;
		strbuf_reset(&w->buf);
		if (WIFSIGNALED(st))
			fail(r, E_PYTHON, "the python worker was killed by signal %d", WTERMSIG(st));
		else
			fail(r, E_PYTHON, "the python worker exited with status %d", WEXITSTATUS(st));
		goto out;
	}
	o = json_tokener_parse(line.buf);
	if (rft_json_get_str(o, "error"))
		fail(r, E_PYTHON, "%s", rft_json_get_str(o, "error"));
	else if (rft_json_get(o, "reward"))
		r->reward = json_object_get_double(rft_json_get(o, "reward"));
	else
		fail(r, E_PYTHON, "the python worker answered nonsense");
out:
	json_object_put(o);
	strbuf_release(&req);
	strbuf_release(&line);
	strbuf_release(&err);
}

/* ----------------------------------------------------------------- dispatch */

static void grade_one(const struct grader *g, struct json_object *item,
		      struct json_object *sample, struct result *r)
{
	switch (g->type) {
	case G_GENE_RANK:
		grade_gene_rank(g, item, sample, r);
		break;
	case G_STRING_CHECK:
	case G_TEXT_SIMILARITY:
		grade_text(g, item, sample, r);
		break;
	case G_PYTHON:
		grade_python(g, item, sample, r);
		break;
	case G_MULTI: {
		double *vars = ecalloc((size_t)g->nsubs, sizeof(*vars));
		int i;

		for (i = 0; i < g->nsubs; i++) {
			struct result sub;

			result_init(&sub);
			grade_one(g->subs[i], item, sample, &sub);
			vars[i] = sub.reward;
			r->errors |= sub.errors;
			if (sub.message.len && !r->message.len)
				strbuf_addf(&r->message, "%s: %s", g->sub_names[i], sub.message.buf);
			if (sub.rank >= 0 && r->rank < 0) {
				r->rank = sub.rank;
				r->max_list = sub.max_list;
				strbuf_add(&r->predicted, sub.predicted.buf, sub.predicted.len);
			}
			r->unknown += sub.unknown;
			r->ambiguous += sub.ambiguous;
			if (i)
				strbuf_addch(&r->subs, ',');
			json_put_str(&r->subs, g->sub_names[i]);
			strbuf_addch(&r->subs, ':');
			json_put_fixed(&r->subs, vars[i], 6);
			result_release(&sub);
		}
		r->reward = expr_eval(g->calc, vars);
		if (!isfinite(r->reward))
			fail(r, E_FORMULA, "calculate_output gave %g", r->reward);
		free(vars);
		break;
	}
	}
}

/* ------------------------------------------------------------ loading */

static void grader_free(struct grader *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->nsubs; i++) {
		grader_free(g->subs[i]);
		free(g->sub_names[i]);
	}
	free(g->subs);
	free(g->sub_names);
	expr_free(g->calc);
	if (g->py) {
		py_stop(g->py);
		strbuf_release(&g->py->buf);
		free(g->py);
	}
	free(g->name);
	free(g->input);
	free(g->reference);
	free(g->text_input);
	free(g->calc_text);
	free(g->source);
	free(g);
}

static const char *str_member(struct json_object *o, const char *key, const char *def,
			      const char *where, struct strbuf *err)
{
	struct json_object *v = rft_json_get(o, key);

	if (!v)
		return def;
	if (!json_object_is_type(v, json_type_string)) {
		strbuf_addf(err, "%s: \"%s\" is %s, not a string", where, key, rft_json_type_name(v));
		return NULL;
	}
	return json_object_get_string(v);
}

/* every {{ ref }} of a template must start with item or sample */
static void check_refs(const char *tpl, const char *where, const char *what, struct strbuf *err)
{
	const char *p = tpl, *o;

	while (!err->len && tpl && (o = strstr(p, "{{"))) {
		const char *c = strstr(o + 2, "}}"), *s = o + 2;

		if (!c) {
			strbuf_addf(err, "%s: %s: '{{' without '}}'", where, what);
			return;
		}
		while (s < c && isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "item", 4) && strncmp(s, "sample", 6))
			strbuf_addf(err, "%s: %s: {{%.*s}} is neither item.* nor sample.*", where, what,
				    (int)(c - s), s);
		p = c + 2;
	}
}

static struct grader *grader_load(struct json_object *o, const char *where, struct strbuf *err)
{
	struct grader *g = ecalloc(1, sizeof(*g));
	const char *type, *s;
	struct strbuf here = STRBUF_INIT;

	if (!o || !json_object_is_type(o, json_type_object)) {
		strbuf_addf(err, "%s: a grader must be an object", where);
		goto bad;
	}
	type = str_member(o, "type", NULL, where, err);
	if (!type) {
		if (!err->len)
			strbuf_addf(err, "%s: no \"type\"", where);
		goto bad;
	}
	s = str_member(o, "name", type, where, err);
	if (!s)
		goto bad;
	g->name = estrdup(s);
	strbuf_addf(&here, "%s (%s)", where, g->name);
	if (!strcmp(type, "gene_rank")) {
		struct json_object *v;

		g->type = G_GENE_RANK;
		g->input = estrdup((s = str_member(o, "input", "{{sample.output_json.genes}}", here.buf, err)) ? s : "");
		g->text_input = estrdup((s = str_member(o, "text_input", "{{sample.output_text}}", here.buf, err)) ? s : "");
		g->reference = estrdup((s = str_member(o, "reference", "{{item.reference.genes}}", here.buf, err)) ? s : "");
		g->max_list = 20;
		if ((v = rft_json_get(o, "max_list"))) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 1 ||
			    json_object_get_int(v) > 1000) {
				strbuf_addf(err, "%s: \"max_list\" must be a whole number from 1 to 1000", here.buf);
				goto bad;
			}
			g->max_list = json_object_get_int(v);
		}
		s = str_member(o, "curve", "reciprocal", here.buf, err);
		if (!s)
			goto bad;
		if (!strcmp(s, "reciprocal"))
			g->curve = C_RECIPROCAL;
		else if (!strcmp(s, "linear"))
			g->curve = C_LINEAR;
		else if (!strcmp(s, "exponential"))
			g->curve = C_EXPONENTIAL;
		else {
			strbuf_addf(err, "%s: unknown curve '%s' (reciprocal, linear, exponential)", here.buf, s);
			goto bad;
		}
		g->decay = 0.7;
		if ((v = rft_json_get(o, "decay"))) {
			g->decay = json_object_get_double(v);
			if (!(g->decay > 0 && g->decay < 1)) {
				strbuf_addf(err, "%s: \"decay\" must be between 0 and 1", here.buf);
				goto bad;
			}
		}
	} else if (!strcmp(type, "string_check") || !strcmp(type, "text_similarity")) {
		const char *in = str_member(o, "input", NULL, here.buf, err);
		const char *ref = str_member(o, "reference", NULL, here.buf, err);

		if (!in || !ref) {
			if (!err->len)
				strbuf_addf(err, "%s: needs \"input\" and \"reference\"", here.buf);
			goto bad;
		}
		g->input = estrdup(in);
		g->reference = estrdup(ref);
		if (type[0] == 's') {
			g->type = G_STRING_CHECK;
			s = str_member(o, "operation", NULL, here.buf, err);
			if (!s) {
				if (!err->len)
					strbuf_addf(err, "%s: needs \"operation\"", here.buf);
				goto bad;
			}
			if (!strcmp(s, "eq")) g->op = OP_EQ;
			else if (!strcmp(s, "ne")) g->op = OP_NE;
			else if (!strcmp(s, "like")) g->op = OP_LIKE;
			else if (!strcmp(s, "ilike")) g->op = OP_ILIKE;
			else {
				strbuf_addf(err, "%s: unknown operation '%s' (eq, ne, like, ilike)", here.buf, s);
				goto bad;
			}
		} else {
			struct json_object *t = rft_json_get(o, "pass_threshold");

			g->type = G_TEXT_SIMILARITY;
			s = str_member(o, "evaluation_metric", NULL, here.buf, err);
			if (!s || strcmp(s, "fuzzy_match") != 0) {
				if (!err->len)
					strbuf_addf(err, "%s: evaluation_metric '%s' is not supported here "
						    "(fuzzy_match is)", here.buf, s ? s : "(none)");
				goto bad;
			}
			g->pass_threshold = t ? json_object_get_double(t) : 0;
		}
	} else if (!strcmp(type, "multi")) {
		struct json_object *subs = rft_json_get(o, "graders");
		struct json_object_iterator it, end;
		const char *calc;

		g->type = G_MULTI;
		if (!subs || !json_object_is_type(subs, json_type_object)) {
			strbuf_addf(err, "%s: \"graders\" must be a named map of graders", here.buf);
			goto bad;
		}
		it = json_object_iter_begin(subs);
		end = json_object_iter_end(subs);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			struct strbuf sub = STRBUF_INIT;
			struct grader *sg;

			strbuf_addf(&sub, "%s.graders.%s", where, json_object_iter_peek_name(&it));
			sg = grader_load(json_object_iter_peek_value(&it), sub.buf, err);
			strbuf_release(&sub);
			if (!sg)
				goto bad;
			g->subs = erealloc(g->subs, (size_t)(g->nsubs + 1) * sizeof(*g->subs));
			g->sub_names = erealloc(g->sub_names, (size_t)(g->nsubs + 1) * sizeof(*g->sub_names));
			g->subs[g->nsubs] = sg;
			g->sub_names[g->nsubs++] = estrdup(json_object_iter_peek_name(&it));
		}
		if (!g->nsubs) {
			strbuf_addf(err, "%s: \"graders\" is empty", here.buf);
			goto bad;
		}
		calc = str_member(o, "calculate_output", NULL, here.buf, err);
		if (!calc) {
			if (!err->len)
				strbuf_addf(err, "%s: needs \"calculate_output\"", here.buf);
			goto bad;
		}
		g->calc_text = estrdup(calc);
		{
			struct strbuf why = STRBUF_INIT;

			g->calc = expr_parse(calc, g, &why);
			if (!g->calc) {
				strbuf_addf(err, "%s: calculate_output: %s", here.buf, why.buf);
				strbuf_release(&why);
				goto bad;
			}
			strbuf_release(&why);
		}
	} else if (!strcmp(type, "python")) {
		s = str_member(o, "source", NULL, here.buf, err);
		if (!s) {
			if (!err->len)
				strbuf_addf(err, "%s: needs \"source\"", here.buf);
			goto bad;
		}
		g->type = G_PYTHON;
		g->source = estrdup(s);
		g->py = ecalloc(1, sizeof(*g->py));
		g->py->source = g->source;
		strbuf_init(&g->py->buf, 0);
	} else if (!strcmp(type, "score_model") || !strcmp(type, "label_model")) {
		strbuf_addf(err, "%s: %s graders call a model and are not supported by rft-grade "
			    "(use them in the hosted job, or rft-call + a python grader)", here.buf, type);
		goto bad;
	} else {
		strbuf_addf(err, "%s: unknown grader type '%s'", here.buf, type);
		goto bad;
	}
	check_refs(g->input, here.buf, "input", err);
	check_refs(g->reference, here.buf, "reference", err);
	check_refs(g->text_input, here.buf, "text_input", err);
	if (err->len)
		goto bad;
	strbuf_release(&here);
	return g;
bad:
	strbuf_release(&here);
	grader_free(g);
	return NULL;
}

static const char default_grader[] =
	"{\"type\":\"gene_rank\",\"name\":\"gene_rank\","
	"\"input\":\"{{sample.output_json.genes}}\",\"text_input\":\"{{sample.output_text}}\","
	"\"reference\":\"{{item.reference.genes}}\",\"max_list\":20,\"curve\":\"reciprocal\"}";

static struct grader *load_grader_file(const char *path)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *o = NULL;
	struct grader *g;

	if (path) {
		struct rft_input in;

		if (rft_input_open(&in, path) < 0)
			exit(rft_finish(RFT_EX_NOINPUT));
		if (rft_input_slurp(&in, &text, 16u << 20) < 0 || rft_input_close(&in) < 0)
			exit(rft_finish(RFT_EX_CONFIG));
	} else {
		strbuf_addstr(&text, default_grader);
	}
	if (rft_json_parse(text.buf, text.len, &o, &err) < 0)
		die(RFT_EX_CONFIG, "%s: %s", path, err.buf);
	g = grader_load(o, path ? path : "default grader", &err);
	json_object_put(o);
	if (!g)
		die(RFT_EX_CONFIG, "%s", err.buf);
	strbuf_release(&text);
	strbuf_release(&err);
	return g;
}

/* ------------------------------------------------------------- output */

static void put_long(struct strbuf *sb, long v)
{
	char tmp[24];
	int i = (int)sizeof(tmp);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		tmp[--i] = (char)('0' + u % 10);
	while ((u /= 10) && i > 1);
	if (v < 0)
		tmp[--i] = '-';
	strbuf_add(sb, tmp + i, sizeof(tmp) - (size_t)i);
}

static void put_grade(struct strbuf *sb, const struct grader *g, const struct result *r)
{
	size_t i;
	int first = 1;

	strbuf_addstr(sb, "{\"name\":");
	json_put_str(sb, g->name);
	strbuf_addstr(sb, ",\"reward\":");
	json_put_fixed(sb, r->reward, 6);
	strbuf_addstr(sb, ",\"sub_rewards\":{");
	strbuf_add(sb, r->subs.buf, r->subs.len);
	strbuf_addstr(sb, "},\"rank\":");
	if (r->rank > 0)
		put_long(sb, r->rank);
	else
		strbuf_addstr(sb, "null");
	strbuf_addstr(sb, ",\"predicted\":");
	if (r->predicted.len)
		strbuf_add(sb, r->predicted.buf, r->predicted.len);
	else
		strbuf_addstr(sb, "[]");
	if (r->max_list) {
		strbuf_addstr(sb, ",\"max_list\":");
		put_long(sb, r->max_list);
	}
	if (r->unknown || r->ambiguous)
		strbuf_addf(sb, ",\"names\":{\"unknown\":%d,\"ambiguous\":%d}", r->unknown, r->ambiguous);
	strbuf_addstr(sb, ",\"errors\":{");
	for (i = 0; i < sizeof(err_names) / sizeof(*err_names); i++) {
		if (err_names[i].bit == E_UNRESPONSIVE)
			continue;
		if (!first)
			strbuf_addch(sb, ',');
		strbuf_addch(sb, '"');
		strbuf_addstr(sb, err_names[i].name);
		strbuf_addstr(sb, (r->errors & err_names[i].bit) ? "\":true" : "\":false");
		first = 0;
	}
	strbuf_addch(sb, '}');
	if (r->message.len) {
		strbuf_addstr(sb, ",\"message\":");
		json_put_str(sb, r->message.buf);
	}
	strbuf_addch(sb, '}');
}

/* grade a sample line: item is the line without "sample" */
static void grade_line(const struct grader *g, struct json_object *line, struct result *r)
{
	struct json_object *sample = rft_json_get(line, "sample");
	struct json_object *error = rft_json_get(line, "error");
	/* templates read item from the line itself (resolve_ref hides "sample");
	 * a python grader gets a real copy without it */
	struct json_object *item = json_object_get(line);

	if (g->type == G_PYTHON || g->type == G_MULTI) {
		struct json_object_iterator it = json_object_iter_begin(line);
		struct json_object_iterator end = json_object_iter_end(line);

		json_object_put(item);
		item = json_object_new_object();
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *k = json_object_iter_peek_name(&it);

			if (strcmp(k, "sample") && strcmp(k, "grade"))
				json_object_object_add(item, k, json_object_get(json_object_iter_peek_value(&it)));
		}
	}
	if (error && !sample) {
		const char *msg = rft_json_get_str(error, "message");

		fail(r, E_CALL, "the model call failed: %s", msg ? msg : "(no message)");
		if (g->type == G_GENE_RANK) {
			r->rank = 0;
			r->max_list = g->max_list;
		}
	} else if (!sample || !json_object_is_type(sample, json_type_object)) {
		fail(r, E_PARSE, "no \"sample\" object on the line");
	} else {
		grade_one(g, item, sample, r);
	}
	json_object_put(item);
}

/* ------------------------------------------------------------------ serve */

/* One request a line: {"item":..,"sample":..} or {"item":..,"output_text":..};
 * one answer a line, flushed: {"reward":..,"grade":{..}} or {"error":".."}. */
/* ------------------------------------------------------------- batch */

struct graded {        /* what a worker thread leaves for the tally */
	double reward;
	long rank;
	int errors;
};

struct grade_ctx {
	const struct grader *g;
	struct rft_output *out;
	unsigned long long n, found, errs;
	double total;
};

static int uses_python(const struct grader *g)
{
	int i;

	if (g->type == G_PYTHON)
		return 1;
	for (i = 0; i < g->nsubs; i++)
		if (uses_python(g->subs[i]))
			return 1;
	return 0;
}

/* on a worker thread: grade one line, and make it the output line */
static void grade_job(struct rft_record_job *job, void *vctx)
{
	const struct grade_ctx *ctx = vctx;
	struct graded *gd = job->user;
	struct strbuf *sb = &job->aux;   /* kept from line to line: no malloc */
	struct result res;

	result_init(&res);
	grade_line(ctx->g, job->obj, &res);
	strbuf_reset(sb);
	put_grade(sb, ctx->g, &res);
	rft_record_put(&job->line, job->obj, "grade", sb->buf);
	strbuf_addch(&job->line, '\n');
	gd->reward = res.reward;
	gd->rank = res.rank;
	gd->errors = res.errors;
	result_release(&res);
}

/* in input order */
static void grade_done(struct rft_record_job *job, void *vctx)
{
	struct grade_ctx *ctx = vctx;
	const struct graded *gd = job->user;

	rft_output_write(ctx->out, job->line.buf, job->line.len);
	ctx->n++;
	ctx->total += gd->reward;
	ctx->found += gd->rank > 0;
	ctx->errs += gd->errors != 0;
}

#define RFT_SERVE_MAX ((size_t)64 << 20)  /* longest request line */

static int serve(const struct grader *g)
{
	/* getline, not the zlib reader: a coprocess gets one request at a time
	 * and must answer it before the next comes (gzread waits for a full
	 * buffer or the end of input) */
	struct strbuf line = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t got;
	int r;

	while ((got = getline(&buf, &cap, stdin)) >= 0) {
		struct json_object *req = NULL, *item, *sample;
		struct result res;

		strbuf_reset(&out);
		strbuf_reset(&err);
		strbuf_reset(&line);
		strbuf_add(&line, buf, (size_t)got);
		while (line.len && (line.buf[line.len - 1] == '\n' || line.buf[line.len - 1] == '\r'))
			strbuf_setlen(&line, line.len - 1);
		r = line.len > RFT_SERVE_MAX ? -1 : 0;
		if (r < 0) {
			strbuf_addstr(&out, "{\"error\":\"request line too long\"}\n");
		} else if (rft_json_parse(line.buf, line.len, &req, &err) < 0 ||
			   !req || !json_object_is_type(req, json_type_object)) {
			strbuf_addstr(&out, "{\"error\":");
			json_put_str(&out, err.len ? err.buf : "a request must be a JSON object");
			strbuf_addstr(&out, "}\n");
		} else {
			item = rft_json_get(req, "item");
			sample = rft_json_get(req, "sample");
			if (!sample && rft_json_get(req, "output_text")) {
				sample = json_object_new_object();
				json_object_object_add(sample, "output_text",
						       json_object_get(rft_json_get(req, "output_text")));
				json_object_object_add(req, "sample", sample);
			}
			if (!item)
				item = json_object_new_object(), json_object_object_add(req, "item", item);
			result_init(&res);
			if (!sample)
				fail(&res, E_PARSE, "no \"sample\" or \"output_text\" in the request");
			else
				grade_one(g, item, sample, &res);
			strbuf_addstr(&out, "{\"reward\":");
			json_put_fixed(&out, res.reward, 6);
			strbuf_addstr(&out, ",\"grade\":");
			put_grade(&out, g, &res);
			strbuf_addstr(&out, "}\n");
			result_release(&res);
		}
		json_object_put(req);
		if (fwrite(out.buf, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
			rft_stdout_failed();
	}
	if (ferror(stdin))
		die(RFT_EX_IOERR, "reading requests:");
	free(buf);
	strbuf_release(&line);
	strbuf_release(&out);
	strbuf_release(&err);
	return RFT_EX_OK;
}

/* ------------------------------------------------------------- export */

/* the python that an RFT job runs for gene_rank: same rules as above */
static const char export_py[] =
	"import json, re\n"
	"CONF = json.loads(%CONF%)\n"
	"ALIASES = json.loads(%ALIASES%)\n"
	"\n"
	"def _path(root, path):\n"
	"    for part in re.findall(r'[^.\\[\\]]+', path):\n"
	"        if isinstance(root, list):\n"
	"            root = root[int(part)] if part.isdigit() and int(part) < len(root) else None\n"
	"        elif isinstance(root, dict):\n"
	"            root = root.get(part)\n"
	"        else:\n"
	"            return None\n"
	"    return root\n"
	"\n"
	"def _ref(tpl, sample, item):\n"
	"    m = re.fullmatch(r'\\{\\{\\s*(item|sample)\\.?(.*?)\\s*\\}\\}', tpl)\n"
	"    if not m:\n"
	"        return None\n"
	"    return _path(item if m.group(1) == 'item' else sample, m.group(2))\n"
	"\n"
	"def _clean(t):\n"
	"    t = t.strip().strip('\"\\'*`')\n"
	"    return t.rstrip('\"\\'*`.,;:').strip()\n"
	"\n"
	"def _key(name):\n"
	"    c = _clean(name)\n"
	"    u = c.upper()\n"
	"    if u in ALIASES:\n"
	"        return ALIASES[u], ALIASES[u]\n"
	"    for sep in ('(', '/'):\n"
	"        if sep in c:\n"
	"            a, b = c.split(sep, 1)\n"
	"            for part in (a, b.split(')')[0]):\n"
	"                p = _clean(part).upper()\n"
	"                if p in ALIASES:\n"
	"                    return ALIASES[p], ALIASES[p]\n"
	"    return u, u\n"
	"\n"
	"def _text_genes(text):\n"
	"    for i, ch in enumerate(text):\n"
	"        if ch == '{':\n"
	"            try:\n"
	"                obj, _ = json.JSONDecoder().raw_decode(text[i:])\n"
	"            except ValueError:\n"
	"                continue\n"
	"            if isinstance(obj, dict) and isinstance(obj.get('genes'), list):\n"
	"                return [g if isinstance(g, str) else g.get('symbol') for g in obj['genes']\n"
	"                        if isinstance(g, str) or (isinstance(g, dict) and isinstance(g.get('symbol'), str))]\n"
	"    items = []\n"
	"    for line in text.split('\\n'):\n"
	"        m = re.match(r'\\s*(?:\\d+[.)]|[-*+] |\\u2022)\\s*[*`]*([A-Za-z0-9._-]+)', line)\n"
	"        if m:\n"
	"            w = m.group(1).rstrip('.')\n"
	"            if w:\n"
	"                items.append(w)\n"
	"    if items:\n"
	"        return items\n"
	"    for line in text.split('\\n'):\n"
	"        if ',' in line:\n"
	"            if ':' in line:\n"
	"                line = line.split(':', 1)[1]\n"
	"            return [p for p in line.split(',') if p.strip()]\n"
	"    t = text.strip()\n"
	"    if t and len(t.encode()) < 64 and '\\n' not in t and len(re.sub(r'\\([^)]*\\)?', ' ', t).split()) == 1:\n"
	"        return [t]\n"
	"    return None\n"
	"\n"
	"def grade(sample, item):\n"
	"    ref = _ref(CONF['reference'], sample, item)\n"
	"    refs = ref if isinstance(ref, list) else [ref]\n"
	"    want = set()\n"
	"    for r in refs:\n"
	"        s = r.get('hgnc') or r.get('symbol') if isinstance(r, dict) else r\n"
	"        if isinstance(s, str):\n"
	"            want.add(s if s.startswith('HGNC:') else _key(s)[0])\n"
	"    if not want:\n"
	"        return 0.0\n"
	"    names = _ref(CONF['input'], sample, item)\n"
	"    if isinstance(names, list):\n"
	"        names = [n if isinstance(n, str) else n.get('symbol') for n in names\n"
	"                 if isinstance(n, str) or (isinstance(n, dict) and isinstance(n.get('symbol'), str))]\n"
	"    else:\n"
	"        text = _ref(CONF['text_input'], sample, item)\n"
	"        names = _text_genes(text) if isinstance(text, str) else None\n"
	"    if not names:\n"
	"        return 0.0\n"
	"    seen, kept = set(), 0\n"
	"    for n in names:\n"
	"        if not _clean(n):\n"
	"            continue\n"
	"        k = _key(n)[0]\n"
	"        if k in seen:\n"
	"            continue\n"
	"        seen.add(k)\n"
	"        kept += 1\n"
	"        if kept > CONF['max_list']:\n"
	"            break\n"
	"        if k in want:\n"
	"            if CONF['curve'] == 'linear':\n"
	"                return (CONF['max_list'] - kept + 1) / CONF['max_list']\n"
	"            if CONF['curve'] == 'exponential':\n"
	"                return CONF['decay'] ** (kept - 1)\n"
	"            return 1.0 / kept\n"
	"    return 0.0\n";

/* every name that resolves to one of the dataset's reference genes */
static void alias_table(struct strmap *genes, struct strbuf *out)
{
	size_t i;
	int first = 1;

	strbuf_addch(out, '{');
	for (i = 0; i < hgnc.names.n; i++) {
		long g = hgnc.approved[i] >= 0 ? hgnc.approved[i] : hgnc.prev[i] >= 0 ? hgnc.prev[i] :
			hgnc.prev[i] == -2 ? -1 : hgnc.alias[i];

		if (g < 0 || strmap_get(genes, hgnc_id(&hgnc, g)) < 0)
			continue;
		if (!first)
			strbuf_addch(out, ',');
		first = 0;
		json_put_str(out, strmap_key(&hgnc.names, (long)i));
		strbuf_addch(out, ':');
		json_put_str(out, hgnc_id(&hgnc, g));
	}
	strbuf_addch(out, '}');
}

/* {"type":TYPE,"name":..,"input":..,"reference":.. (the object left open) */
static void export_head(struct strbuf *out, const char *type, const struct grader *g)
{
	strbuf_addstr(out, "{\"type\":");
	json_put_str(out, type);
	strbuf_addstr(out, ",\"name\":");
	json_put_str(out, g->name);
	strbuf_addstr(out, ",\"input\":");
	json_put_str(out, g->input);
	strbuf_addstr(out, ",\"reference\":");
	json_put_str(out, g->reference);
}

static void export_grader(const struct grader *g, struct strmap *genes, struct strbuf *out)
{
	int i;

	switch (g->type) {
	case G_GENE_RANK: {
		struct strbuf conf = STRBUF_INIT, aliases = STRBUF_INIT, src = STRBUF_INIT;
		struct strbuf lit = STRBUF_INIT;
		const char *p, *hole;

		strbuf_addstr(&conf, "{\"input\":");
		json_put_str(&conf, g->input);
		strbuf_addstr(&conf, ",\"text_input\":");
		json_put_str(&conf, g->text_input);
		strbuf_addstr(&conf, ",\"reference\":");
		json_put_str(&conf, g->reference);
		strbuf_addf(&conf, ",\"max_list\":%d,\"curve\":\"%s\",\"decay\":", g->max_list,
			    g->curve == C_LINEAR ? "linear" : g->curve == C_EXPONENTIAL ? "exponential" :
			    "reciprocal");
		json_put_fixed(&conf, g->decay, 6);
		strbuf_addch(&conf, '}');
		alias_table(genes, &aliases);
		for (p = export_py; (hole = strchr(p, '%')); ) {
			strbuf_add(&src, p, (size_t)(hole - p));
			strbuf_reset(&lit);
			if (!strncmp(hole, "%CONF%", 6)) {
				json_put_strn(&lit, conf.buf, conf.len);
				p = hole + 6;
			} else if (!strncmp(hole, "%ALIASES%", 9)) {
				json_put_strn(&lit, aliases.buf, aliases.len);
				p = hole + 9;
			} else {
				strbuf_addch(&lit, '%');
				p = hole + 1;
			}
			strbuf_add(&src, lit.buf, lit.len);
		}
		strbuf_addstr(&src, p);
		if (src.len > 256 * 1024)
			die(RFT_EX_DATA, "the exported python source is %zu bytes, over OpenAI's 256 kB; "
			    "export for a smaller dataset", src.len);
		strbuf_addstr(out, "{\"type\":\"python\",\"name\":");
		json_put_str(out, g->name);
		strbuf_addstr(out, ",\"source\":");
		json_put_strn(out, src.buf, src.len);
		strbuf_addch(out, '}');
		strbuf_release(&conf);
		strbuf_release(&aliases);
		strbuf_release(&src);
		strbuf_release(&lit);
		break;
	}
	case G_STRING_CHECK:
		export_head(out, "string_check", g);
		strbuf_addf(out, ",\"operation\":\"%s\"}", g->op == OP_EQ ? "eq" : g->op == OP_NE ? "ne" :
			    g->op == OP_LIKE ? "like" : "ilike");
		break;
	case G_TEXT_SIMILARITY:
		export_head(out, "text_similarity", g);
		strbuf_addstr(out, ",\"evaluation_metric\":\"fuzzy_match\",\"pass_threshold\":");
		json_put_fixed(out, g->pass_threshold, 6);
		strbuf_addch(out, '}');
		break;
	case G_PYTHON:
		strbuf_addstr(out, "{\"type\":\"python\",\"name\":");
		json_put_str(out, g->name);
		strbuf_addstr(out, ",\"source\":");
		json_put_str(out, g->source);
		strbuf_addch(out, '}');
		break;
	case G_MULTI:
		strbuf_addstr(out, "{\"type\":\"multi\",\"name\":");
		json_put_str(out, g->name);
		strbuf_addstr(out, ",\"graders\":{");
		for (i = 0; i < g->nsubs; i++) {
			if (i)
				strbuf_addch(out, ',');
			json_put_str(out, g->sub_names[i]);
			strbuf_addch(out, ':');
			export_grader(g->subs[i], genes, out);
		}
		strbuf_addstr(out, "},\"calculate_output\":");
		json_put_str(out, g->calc_text);
		strbuf_addch(out, '}');
		break;
	}
}

/* ------------------------------------------------------------------ main */

enum { OPT_GRADER = 256, OPT_HGNC, OPT_REJECTS, OPT_SKIP_BAD, OPT_STATS, OPT_VALIDATE,
       OPT_SERVE, OPT_EXPORT, OPT_DATASET, OPT_PY_TIMEOUT, OPT_PY_MEMORY };

static const struct rft_opt options[] = {
	{ 'g', "grader", RFT_ARG_REQ, "FILE", "grader JSON in OpenAI's schema (default: one gene_rank grader)" },
	{ OPT_HGNC, "hgnc", RFT_ARG_REQ, "FILE", "HGNC complete set to normalise gene names (default $RFT_HGNC, else the bundled copy)" },
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write graded lines to FILE (atomically)" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write skipped bad lines to FILE" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (count, reject) up to N bad lines instead of stopping" },
	{ 'j', "threads", RFT_ARG_REQ, "N", "grade on N threads (default: the CPUs, at most 8; a python grader uses one)" },
	{ OPT_STATS, "stats", RFT_ARG_NONE, NULL, "print a summary on stderr" },
	{ OPT_VALIDATE, "validate", RFT_ARG_NONE, NULL, "check the grader file and exit (78 with the reason if it is wrong)" },
	{ OPT_SERVE, "serve", RFT_ARG_NONE, NULL, "coprocess: one JSON request a stdin line, one answer a stdout line" },
	{ OPT_EXPORT, "export-openai", RFT_ARG_REQ, "FILE", "write the grader as an OpenAI RFT job accepts it (gene_rank as python)" },
	{ OPT_DATASET, "dataset", RFT_ARG_REQ, "FILE", "with --export-openai: the prompt lines whose reference genes the alias table covers" },
	{ OPT_PY_TIMEOUT, "python-timeout", RFT_ARG_REQ, "SECS", "time limit of one python grade() call (default 5)" },
	{ OPT_PY_MEMORY, "python-memory", RFT_ARG_REQ, "MB", "address-space limit of the python worker (default 1024)" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-grade", "[OPTION]... [SAMPLES.jsonl]...",
	"Grade sample lines: add \"grade\" with reward, rank and error flags, as OpenAI's\n"
	"graders do, plus a gene-aware rank grader.",
	options,
	"exit status: 0 ok, 64 usage, 65 bad data, 66 input missing, 74 I/O error,\n"
	"78 bad grader file.  See rft-grade(1).\n"
};

static void find_hgnc(void)
{
	struct strbuf err = STRBUF_INIT;
	char *path = rft_hgnc_path(opt.hgnc);

	if (!path) {
		warn("warning: no HGNC file (--hgnc or RFT_HGNC): gene names are compared as written, "
		     "case-insensitively");
		return;
	}
	if (hgnc_load(&hgnc, path, &err) < 0)
		die(access(path, R_OK) == 0 ? RFT_EX_CONFIG : RFT_EX_NOINPUT, "%s", err.buf);
	have_hgnc = 1;
	free(path);
	strbuf_release(&err);
}

static double num_arg(const char *name, const char *v)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || *end || !(d > 0))
		die(RFT_EX_USAGE, "option '--%s' needs a positive number, not '%s'", name, v);
	return d;
}

static int export(const struct grader *g)
{
	struct strmap genes = STRMAP_INIT;
	struct rft_output out;
	struct strbuf sb = STRBUF_INIT;

	if (opt.dataset) {
		char *paths[1] = { (char *)opt.dataset };
		struct rft_records r;
		struct json_object *line;

		rft_records_init(&r, paths, 1);
		while (rft_records_next(&r, &line) > 0) {
			struct json_object *genes_ = rft_json_get(rft_json_get(line, "reference"), "genes");
			size_t i;

			for (i = 0; genes_ && json_object_is_type(genes_, json_type_array) &&
			     i < json_object_array_length(genes_); i++) {
				const char *id = rft_json_get_str(json_object_array_get_idx(genes_, i), "hgnc");

				if (id)
					strmap_intern(&genes, id, NULL);
			}
			json_object_put(line);
		}
		rft_records_release(&r);
	}
	export_grader(g, &genes, &sb);
	strbuf_addch(&sb, '\n');
	if (rft_output_open(&out, opt.export_openai) < 0)
		return RFT_EX_IOERR;
	rft_output_write(&out, sb.buf, sb.len);
	strbuf_release(&sb);
	strmap_release(&genes);
	return rft_output_commit(&out) < 0 ? RFT_EX_IOERR : RFT_EX_OK;
}

int main(int argc, char **argv)
{
	struct rft_output out;
	struct rft_records r;
	struct grade_ctx ctx;
	struct grader *g;
	struct strbuf sb = STRBUF_INIT;
	int c, status = RFT_EX_OK;

	rft_init("rft-grade");
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'g': opt.grader = optarg; break;
		case OPT_HGNC: opt.hgnc = optarg; break;
		case 'o': opt.output = optarg; break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_STATS: opt.stats = 1; break;
		case 'j': opt.threads = rft_parse_count(optarg);
			if (opt.threads < 1)
				die(RFT_EX_USAGE, "option '--threads' needs a whole number above 0, not '%s'", optarg);
			break;
		case OPT_VALIDATE: opt.validate = 1; break;
		case OPT_SERVE: opt.serve = 1; break;
		case OPT_EXPORT: opt.export_openai = optarg; break;
		case OPT_DATASET: opt.dataset = optarg; break;
		case OPT_PY_TIMEOUT: opt.py_timeout = num_arg("python-timeout", optarg); break;
		case OPT_PY_MEMORY: opt.py_memory_mb = (long)num_arg("python-memory", optarg); break;
		}
	}
	g = load_grader_file(opt.grader);
	if (opt.validate) {
		grader_free(g);
		return rft_finish(RFT_EX_OK);
	}
	find_hgnc();
	if (opt.export_openai) {
		if (!have_hgnc)
			die(RFT_EX_CONFIG, "--export-openai needs the HGNC file (--hgnc) for its alias table");
		status = export(g);
		goto done;
	}
	if (opt.serve) {
		status = serve(g);
		goto done;
	}

	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	rft_records_init(&r, argv + optind, argc - optind);
	r.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&r, opt.rejects) < 0)
		return rft_finish(RFT_EX_IOERR);
	memset(&ctx, 0, sizeof(ctx));
	ctx.g = g;
	ctx.out = &out;
	/* a python grader talks to one worker process: one thread then */
	rft_records_map(&r, uses_python(g) ? 1 : rft_threads(opt.threads), sizeof(struct graded), grade_job,
			grade_done, &ctx);
	if (opt.stats || isatty(STDERR_FILENO))
		warn("%llu lines graded, mean reward %.4f, reference found in %llu, %llu with an "
		     "error flag, %llu bad lines skipped", ctx.n, ctx.n ? ctx.total / (double)ctx.n : 0.0,
		     ctx.found, ctx.errs, r.nbad);
	rft_records_release(&r);
	if (rft_records_commit_rejects(&r) < 0)
		status = RFT_EX_IOERR;
	if (rft_output_commit(&out) < 0)
		status = RFT_EX_IOERR;
done:
	strbuf_release(&sb);
	grader_free(g);
	if (have_hgnc)
		hgnc_release(&hgnc);
	return rft_finish(status);
}
