/*
 * grader.c - the grader engine: OpenAI's grader types plus gene_rank, shared
 * by rft-grade (batch, --serve, --export-openai) and rft-train (the reward).
 * See grader.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grader.h"
#include "grader/model.h"
#include "input.h"
#include "json.h"
#include "pyworker.h"
#include "template.h"
#include "util.h"

/* ------------------------------------------------------------- results */

/* each flag's key as grade_put writes it (",\"name\":" less the comma) */
#define ERR_KEY(bit, name) { bit, "\"" name "\":", sizeof(name) + 2 }
static const struct { int bit; const char *key; size_t keylen; } err_names[] = {
	ERR_KEY(GRADE_ERR_PARSE, "sample_parse_error"),
	ERR_KEY(GRADE_ERR_VARIABLE, "invalid_variable_error"),
	ERR_KEY(GRADE_ERR_FORMULA, "formula_parse_error"),
	ERR_KEY(GRADE_ERR_PYTHON, "python_grader_runtime_error"),
	ERR_KEY(GRADE_ERR_OTHER, "other_error"),
	ERR_KEY(GRADE_ERR_UNRESPONSIVE, "model_grader_server_error"),
	ERR_KEY(GRADE_ERR_CALL, "model_call_error"),
	ERR_KEY(GRADE_ERR_MODEL_PARSE, "model_grader_parse_error"),
	ERR_KEY(GRADE_ERR_MODEL_REFUSAL, "model_grader_refusal_error"),
};
/* the flags only a grader that calls a model writes */
#define MODEL_ERRS (GRADE_ERR_UNRESPONSIVE | GRADE_ERR_MODEL_PARSE | GRADE_ERR_MODEL_REFUSAL)
static int models_allowed;   /* grader_allow_models */
#undef ERR_KEY

/* the names of enum curve, enum ties and enum strop, in their order */
static const char *const curve_names[] = { "reciprocal", "linear", "exponential", NULL };
static const char *const ties_names[] = { "worst", "list", NULL };
static const char *const strop_names[] = { "eq", "ne", "like", "ilike", NULL };

void grade_result_init(struct grade_result *r)
{
	r->reward = 0;
	r->errors = 0;
	r->rank = -1;
	strbuf_init(&r->predicted, 0);
	strbuf_init(&r->subs, 0);
	strbuf_init(&r->message, 0);
	r->max_list = 0;
	r->unknown = r->ambiguous = 0;
	r->tie_rule = NULL;
}

void grade_result_release(struct grade_result *r)
{
	strbuf_release(&r->predicted);
	strbuf_release(&r->subs);
	strbuf_release(&r->message);
}

void grade_fail(struct grade_result *r, int bit, const char *fmt, ...)
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

/* ------------------------------------------------------- calculate_output */

/*
 * The formula language: sums and products of operands, '^' (right to left),
 * unary signs, parentheses and functions, decimal numbers and the names of
 * the sub-graders.  Chains (a+b+..., a*b*..., a^b^..., - - a, a function's
 * arguments) are lists walked by loops, so that only parentheses and function
 * calls nest, FORMULA_MAX_DEPTH deep at most: the parser, expr_eval and
 * expr_free recurse only that deep, whatever the length of the formula.
 */
#define FORMULA_MAX_DEPTH 256
#define FORMULA_MAX_LEN 65536

enum etype { X_NUM, X_VAR, X_NEG, X_SUM, X_PROD, X_POW, X_CALL };

struct expr {
	enum etype type;
	char op;                 /* an operand of X_SUM ('+' '-') or X_PROD ('*' '/'): how it joins
				  * the ones before it (the first one's is '+' or '*') */
	double num;
	int var;                 /* index into the grader's subs */
	const char *fn;          /* X_CALL */
	struct expr *a;          /* X_NEG: the operand; X_SUM, X_PROD, X_CALL: the first operand or
				  * argument; X_POW: the last operand (a^b^c is kept as c, b, a) */
	struct expr *next;       /* the next operand or argument of the node above */
};

/* (recursion only into a, whose depth is bounded by the parser: the lists
 * chained by next are walked) */
static void expr_free(struct expr *e)
{
	while (e) {
		struct expr *next = e->next;

		expr_free(e->a);
		free(e);
		e = next;
	}
}

struct eparse {
	const char *s, *p, *end;  /* end: the string's end (a NUL before it is a character) */
	const struct grader *g;
	struct strbuf *err;
	int depth;               /* parentheses and function calls open */
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

/* the column of p in characters (UTF-8 lead bytes), from 1 */
static int ecol(const struct eparse *ps, const char *p)
{
	const char *q;
	int col = 1;

	for (q = ps->s; q < p; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	return col;
}

/* "unexpected 'x' at column N" for the whole character at p: a non-ASCII
 * one with its code point, a control character as its code point only */
static void eunexpected(struct eparse *ps, const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	unsigned long cp = u[0];
	int n = 0, i;

	if (!*p && p >= ps->end) {
		strbuf_addstr(ps->err, "unexpected end of formula");
		return;
	}
	if (u[0] >= 0xC2 && u[0] <= 0xDF)
		n = 1, cp = u[0] & 0x1F;
	else if (u[0] >= 0xE0 && u[0] <= 0xEF)
		n = 2, cp = u[0] & 0x0F;
	else if (u[0] >= 0xF0 && u[0] <= 0xF4)
		n = 3, cp = u[0] & 0x07;
	for (i = 1; i <= n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			break;
		cp = cp << 6 | (u[i] & 0x3F);
	}
	if (u[0] >= 0x80 && (i <= n || (n == 0)))
		strbuf_addf(ps->err, "unexpected byte 0x%02X (not UTF-8)", u[0]);
	else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
		strbuf_addf(ps->err, "unexpected U+%04lX", cp);
	else if (cp < 0x80)
		strbuf_addf(ps->err, "unexpected '%c'", (char)cp);
	else
		strbuf_addf(ps->err, "unexpected '%.*s' (U+%04lX)", n + 1, p, cp);
	strbuf_addf(ps->err, " at column %d", ecol(ps, p));
}

static struct expr *eexpr(struct eparse *ps);

/* a decimal number: digits with an optional fraction and exponent
 * (1, 0.5, .5, 2e-3); not hex, inf or nan as strtod would read */
static struct expr *enumber(struct eparse *ps)
{
	const char *p = ps->p, *start = ps->p;
	size_t digits = 0;
	struct strbuf buf = STRBUF_INIT;
	char *end;
	struct expr *e;

	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits) {
		strbuf_addf(ps->err, "bad number at column %d", ecol(ps, start));
		return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		const char *q = p + 1;

		if (*q == '+' || *q == '-')
			q++;
		if (!isdigit((unsigned char)*q)) {
			strbuf_addf(ps->err, "bad exponent in the number at column %d", ecol(ps, start));
			return NULL;
		}
		while (isdigit((unsigned char)*q))
			q++;
		p = q;
	}
	if (isalnum((unsigned char)*p) || *p == '_' || *p == '.') {
		const char *q = p;

		while (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
			q++;
		strbuf_addf(ps->err, "bad number '%.*s' at column %d (numbers are decimal: digits, a '.', "
			    "an exponent)", (int)(q - start), start, ecol(ps, start));
		return NULL;
	}
	strbuf_add(&buf, start, (size_t)(p - start));
	e = enew(X_NUM);
	e->num = strtod(buf.buf, &end);
	if (*end || !isfinite(e->num)) {
		strbuf_addf(ps->err, "number '%s' at column %d is %s", buf.buf, ecol(ps, start),
			    *end ? "not a number" : "too large");
		free(e);
		e = NULL;
	} else {
		ps->p = p;
	}
	strbuf_release(&buf);
	return e;
}

static struct expr *eprimary(struct eparse *ps)
{
	static const char *const fns[] = { "min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log" };
	struct expr *e;

	eskip(ps);
	if (*ps->p == '(') {
		if (ps->depth >= FORMULA_MAX_DEPTH) {
			strbuf_addf(ps->err, "formula nested deeper than %d levels at column %d",
				    FORMULA_MAX_DEPTH, ecol(ps, ps->p));
			return NULL;
		}
		ps->depth++;
		ps->p++;
		e = eexpr(ps);
		ps->depth--;
		if (!e)
			return NULL;
		eskip(ps);
		if (*ps->p != ')') {
			strbuf_addf(ps->err, "expected ')' at column %d", ecol(ps, ps->p));
			expr_free(e);
			return NULL;
		}
		ps->p++;
		return e;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '.')
		return enumber(ps);
	if (isalpha((unsigned char)*ps->p) || *ps->p == '_') {
		const char *start = ps->p;
		size_t n, i;

		while (isalnum((unsigned char)*ps->p) || *ps->p == '_')
			ps->p++;
		n = (size_t)(ps->p - start);
		eskip(ps);
		if (*ps->p == '(') {
			struct expr **tail;
			int nargs = 0;

			for (i = 0; i < sizeof(fns) / sizeof(*fns); i++)
				if (strlen(fns[i]) == n && !strncmp(fns[i], start, n))
					break;
			if (i == sizeof(fns) / sizeof(*fns)) {
				strbuf_addf(ps->err, "unknown function '%.*s' at column %d", (int)n, start,
					    ecol(ps, start));
				return NULL;
			}
			if (ps->depth >= FORMULA_MAX_DEPTH) {
				strbuf_addf(ps->err, "formula nested deeper than %d levels at column %d",
					    FORMULA_MAX_DEPTH, ecol(ps, ps->p));
				return NULL;
			}
			e = enew(X_CALL);
			e->fn = fns[i];
			ps->p++;
			ps->depth++;
			tail = &e->a;
			for (;;) {
				struct expr *arg = eexpr(ps);

				if (!arg) {
					expr_free(e);
					return NULL;
				}
				*tail = arg;
				tail = &arg->next;
				nargs++;
				eskip(ps);
				if (*ps->p == ',') {
					ps->p++;
					continue;
				}
				if (*ps->p == ')') {
					ps->p++;
					break;
				}
				strbuf_addf(ps->err, "expected ',' or ')' at column %d", ecol(ps, ps->p));
				expr_free(e);
				return NULL;
			}
			ps->depth--;
			if (strcmp(e->fn, "min") && strcmp(e->fn, "max") && nargs != 1) {
				strbuf_addf(ps->err, "%s() takes one argument, at column %d", e->fn, ecol(ps, start));
				expr_free(e);
				return NULL;
			}
			return e;
		}
		for (i = 0; i < (size_t)ps->g->nsubs; i++)
			if (strlen(ps->g->sub_names[i]) == n && !strncmp(ps->g->sub_names[i], start, n))
				break;
		if (i == (size_t)ps->g->nsubs) {
			strbuf_addf(ps->err, "'%.*s' is not one of the graders, at column %d", (int)n, start,
				    ecol(ps, start));
			return NULL;
		}
		e = enew(X_VAR);
		e->var = (int)i;
		return e;
	}
	eunexpected(ps, ps->p);
	return NULL;
}

/* signs before a primary, any number of them: one X_NEG when they make a minus */
static struct expr *eunary(struct eparse *ps)
{
	int neg = 0;
	struct expr *a, *e;

	for (eskip(ps); *ps->p == '-' || *ps->p == '+'; eskip(ps))
		neg ^= *ps->p++ == '-';
	a = eprimary(ps);
	if (!a || !neg)
		return a;
	e = enew(X_NEG);
	e->a = a;
	return e;
}

/* a^b^c = a^(b^c): the operands kept last first, evaluated in that order */
static struct expr *epower(struct eparse *ps)
{
	struct expr *a = eunary(ps), *e, *b;

	if (!a)
		return NULL;
	eskip(ps);
	if (*ps->p != '^')
		return a;
	e = enew(X_POW);
	e->a = a;
	while (*ps->p == '^') {
		ps->p++;
		if (!(b = eunary(ps))) {
			expr_free(e);
			return NULL;
		}
		b->next = e->a;
		e->a = b;
		eskip(ps);
	}
	return e;
}

/* level 0: terms joined by + -, level 1: factors joined by * / */
static struct expr *ebinary(struct eparse *ps, int level)
{
	struct expr *a = level ? epower(ps) : ebinary(ps, 1), *e, **tail;
	char c;

	if (!a)
		return NULL;
	eskip(ps);
	c = *ps->p;
	if (level ? (c != '*' && c != '/') : (c != '+' && c != '-'))
		return a;
	e = enew(level ? X_PROD : X_SUM);
	e->a = a;
	a->op = level ? '*' : '+';
	tail = &a->next;
	for (;;) {
		eskip(ps);
		c = *ps->p;
		if (level ? (c != '*' && c != '/') : (c != '+' && c != '-'))
			return e;
		ps->p++;
		if (!(a = level ? epower(ps) : ebinary(ps, 1))) {
			expr_free(e);
			return NULL;
		}
		a->op = c;
		*tail = a;
		tail = &a->next;
	}
}

static struct expr *eexpr(struct eparse *ps)
{
	return ebinary(ps, 0);
}

static struct expr *expr_parse(const char *s, size_t len, const struct grader *g, struct strbuf *err)
{
	struct eparse ps = { s, s, s + len, g, err, 0 };
	struct expr *e;

	if (len > FORMULA_MAX_LEN) {
		strbuf_addf(err, "the formula is %zu bytes long, over the limit of %d", len, FORMULA_MAX_LEN);
		return NULL;
	}
	if (!(e = eexpr(&ps)))
		return NULL;
	eskip(&ps);
	if (ps.p < ps.end) {
		eunexpected(&ps, ps.p);
		expr_free(e);
		return NULL;
	}
	return e;
}

/* (recursion only into nested parentheses and calls, as deep as the parser allows) */
static double expr_eval(const struct expr *e, const double *vars)
{
	const struct expr *a;
	double v;

	switch (e->type) {
	case X_NUM: return e->num;
	case X_VAR: return vars[e->var];
	case X_NEG: return -expr_eval(e->a, vars);
	case X_SUM:
	case X_PROD:
		v = expr_eval(e->a, vars);
		for (a = e->a->next; a; a = a->next) {
			double w = expr_eval(a, vars);

			v = a->op == '+' ? v + w : a->op == '-' ? v - w : a->op == '*' ? v * w : v / w;
		}
		return v;
	case X_POW:
		v = expr_eval(e->a, vars);
		for (a = e->a->next; a; a = a->next)
			v = pow(expr_eval(a, vars), v);
		return v;
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
/* a reference's path into out (len + 1 bytes): no spaces, a[0] as a.0; its length */
static size_t ref_path(const char *ref, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (ref[i] == '[')
			out[n++] = '.';
		else if (ref[i] != ']' && !isspace((unsigned char)ref[i]))
			out[n++] = ref[i];
	}
	out[n] = '\0';
	return n;
}

/* 1 when the part of an item path after "item" names what item hides: it
 * is the line without "sample" (and our "grade") */
static int item_hides(const char *rest)
{
	return (!strncmp(rest, ".sample", 7) && (!rest[7] || rest[7] == '.')) ||
	       (!strncmp(rest, ".grade", 6) && (!rest[6] || rest[6] == '.'));
}

static struct json_object *resolve_ref(const char *ref, size_t len, struct json_object *item,
				       struct json_object *sample, int *found)
{
	char small[256], *path = len < sizeof(small) ? small : emalloc(len + 1);
	struct json_object *root = NULL, *v = NULL;
	size_t i, n = ref_path(ref, len, path), depth;

	*found = 0;
	if (!strncmp(path, "item", 4) && (path[4] == '.' || !path[4])) {
		if (item_hides(path + 4))
			goto out;
		root = item, i = 4;
	} else if (!strncmp(path, "sample", 6) && (path[6] == '.' || !path[6])) {
		root = sample, i = 6;
	} else {
		goto out;
	}
	if (!path[i]) {
		*found = root != NULL;
		v = root;
		goto out;
	}
	v = rft_tpl_lookup(root, path + i + 1, n - i - 1, &depth);
	*found = v != NULL;
	if (!v) {
		/* a member that is there and null resolves (to null) */
		const char *last = strrchr(path + i, '.');
		struct json_object *parent = last > path + i ?
			rft_tpl_lookup(root, path + i + 1, (size_t)(last - path - i - 1), &depth) :
			root;

		*found = parent && json_object_is_type(parent, json_type_object) &&
			json_object_object_get_ex(parent, last + 1, NULL);
	}
out:
	if (path != small)
		free(path);
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

/* one name of the predicted list: its resolved gene, and its text (the
 * approved symbol, or the name itself cleaned and in upper case) */
struct name {
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
	struct name *names;
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

static void gene_lists_release(struct gene_lists *L)
{
	free(L->names);
	free(L->refs);
	free(L->refshow);
	free(L->rn);
	strbuf_release(&L->text);
	strbuf_release(&L->reftext);
	strbuf_release(&L->refnames);
}

/* a name cleaned by the name rule, cut at 255 bytes, in upper case and
 * NUL-ended, added to sb; its cleaned length (before the cut) */
static size_t add_key(struct strbuf *sb, const char *s, size_t len)
{
	size_t i, n;

	gene_name_trim(&s, &len);
	n = len > 255 ? 255 : len;
	strbuf_grow(sb, n + 1);
	for (i = 0; i < n; i++)
		sb->buf[sb->len + i] = (char)toupper((unsigned char)s[i]);
	strbuf_setlen(sb, sb->len + n);
	strbuf_addch(sb, '\0');
	return len;
}

/* a new place in the list, its text to be added to L->text */
static struct name *new_name(struct gene_lists *L, long gene)
{
	if (L->n == L->alloc) {
		L->alloc = L->alloc ? 2 * L->alloc : 32;
		L->names = erealloc(L->names, L->alloc * sizeof(*L->names));
	}
	L->names[L->n].gene = gene;
	L->names[L->n].off = L->names[L->n].key = L->text.len;
	L->names[L->n].score = 0;
	return &L->names[L->n++];
}

/* is a name nothing once cleaned by the name rule? */
static int name_blank(const char *a, size_t len)
{
	gene_name_trim(&a, &len);
	return len == 0;
}

/* what a name resolves to: a reference gene by one of its names, first,
 * else a gene of the HGNC table */
struct name_lookup {
	const struct hgnc *h;
	const struct gene_lists *L;
	long gene, ref;
};

static int name_lookup(void *ctx, const char *upper, enum hgnc_how *how)
{
	struct name_lookup *nl = ctx;
	size_t i;

	for (i = 0; i < nl->L->nrn; i++)
		if (!strcmp(nl->L->refnames.buf + nl->L->rn[i].off, upper)) {
			nl->ref = (long)nl->L->rn[i].ref;
			return 1;
		}
	nl->gene = nl->h ? hgnc_resolve(nl->h, upper, how) : -1;
	return nl->gene >= 0;
}

/* a name: 0, or -1 (nothing added) when it is blank once cleaned */
static int add_name(const struct hgnc *h, struct gene_lists *L, const char *text, size_t len,
		    struct grade_result *r)
{
	struct name_lookup nl = { h, L, -1, -1 };
	enum hgnc_how how = HGNC_UNKNOWN;
	struct name *nm;

	if (name_blank(text, len))
		return -1;
	if (!gene_name_resolve(text, len, name_lookup, &nl, &how)) {
		nl.gene = -1;
		if (h && how == HGNC_AMBIGUOUS)
			r->ambiguous++;
		else if (h)
			r->unknown++;
	} else if (nl.ref >= 0) {
		const char *key = L->reftext.buf + L->refs[nl.ref];

		nl.gene = h && !strncmp(key, "HGNC:", 5) ? hgnc_by_id(h, key) : -1;
	}
	nm = new_name(L, nl.gene);
	if (nl.gene >= 0) {
		strbuf_addstr(&L->text, hgnc_symbol(h, nl.gene));
		strbuf_addch(&L->text, '\0');
		return 0;
	}
	if (nl.ref >= 0) {   /* shown as its symbol, keyed as the reference */
		strbuf_addstr(&L->text, L->reftext.buf + L->refshow[nl.ref]);
		strbuf_addch(&L->text, '\0');
		nm->key = L->text.len;
		strbuf_addstr(&L->text, L->reftext.buf + L->refs[nl.ref]);
		strbuf_addch(&L->text, '\0');
		return 0;
	}
	/* unresolved: the name itself, cleaned, in upper case */
	add_key(&L->text, text, len);
	return 0;
}

/*
 * An entry of a JSON list of answers that names no gene (not a string nor an
 * object with a string "symbol", or a blank name): it is an answer all the
 * same, so it takes its place, as a wrong name would, and matches nothing,
 * not even another like it.  The predicted list shows its type, "(number)",
 * or "" for a blank name.
 */
#define NAME_NONE (-2)

static void add_none(struct gene_lists *L, enum json_type t, int blank)
{
	new_name(L, NAME_NONE);
	if (!blank)
		strbuf_addstr(&L->text, t == json_type_null ? "(null)" : t == json_type_boolean ? "(boolean)" :
			      t == json_type_object ? "(object)" : t == json_type_array ? "(array)" :
			      "(number)");
	strbuf_addch(&L->text, '\0');
}

/* one entry of a JSON list of answers, from a tree */
static void add_entry(const struct hgnc *h, struct gene_lists *L, struct json_object *v, struct grade_result *r)
{
	const char *s = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) :
		rft_json_get_str(v, "symbol");

	if (!s)
		add_none(L, v ? json_object_get_type(v) : json_type_null, 0);
	else if (add_name(h, L, s, strlen(s), r) < 0)
		add_none(L, json_type_string, 1);
}

/* a name of reference gene ref: what an answer may call it */
static void add_ref_name(struct gene_lists *L, size_t ref, const char *s, size_t len)
{
	size_t i, off = L->refnames.len;

	len = add_key(&L->refnames, s, len);
	if (!len || len > 255) {
		strbuf_setlen(&L->refnames, off);
		return;
	}
	if (L->nrn == L->rnalloc) {
		L->rnalloc = L->rnalloc ? 2 * L->rnalloc : 16;
		L->rn = erealloc(L->rn, L->rnalloc * sizeof(*L->rn));
	}
	L->rn[L->nrn].off = off;
	L->rn[L->nrn].ref = ref;
	for (i = 0; i < L->nrn; i++)   /* the first gene to claim a name keeps it */
		if (!strcmp(L->refnames.buf + L->rn[i].off, L->refnames.buf + L->rn[L->nrn].off))
			break;
	if (i == L->nrn)
		L->nrn++;
	else
		strbuf_setlen(&L->refnames, L->rn[L->nrn].off);
}

/*
 * One reference gene, from s (its HGNC id or, without one, its symbol): its
 * key is the HGNC id, or the symbol resolved through HGNC, else the symbol
 * cleaned and in upper case.  show is how it is shown (its symbol, or NULL).
 * Its names are then added with add_ref_name.  Returns its index.
 */
static size_t add_ref(const struct hgnc *h, struct gene_lists *L, const char *s, const char *show)
{
	size_t len, at = L->reftext.len;

	if (L->nref == L->refalloc) {
		L->refalloc = L->refalloc ? 2 * L->refalloc : 4;
		L->refs = erealloc(L->refs, L->refalloc * sizeof(*L->refs));
		L->refshow = erealloc(L->refshow, L->refalloc * sizeof(*L->refshow));
	}
	add_key(&L->reftext, s, strlen(s));
	if (strncmp(L->reftext.buf + at, "HGNC:", 5) != 0 && h) {
		enum hgnc_how how;
		long g = hgnc_resolve_text(h, s, &how);

		if (g >= 0) {
			strbuf_setlen(&L->reftext, at);
			strbuf_addstr(&L->reftext, hgnc_id(h, g));
			strbuf_addch(&L->reftext, '\0');
		}
	}
	L->refs[L->nref] = at;
	L->refshow[L->nref] = L->reftext.len;
	if (show) {
		len = strlen(show);
		gene_name_trim(&show, &len);
		strbuf_add(&L->reftext, show, len);
	}
	if (!show || !len) {   /* shown as its key: room first, the key is in this buffer */
		len = strlen(L->reftext.buf + at);
		strbuf_grow(&L->reftext, len);
		strbuf_add(&L->reftext, L->reftext.buf + at, len);
	}
	strbuf_addch(&L->reftext, '\0');
	return L->nref++;
}

/* a reference object's names from a tree: symbol, hgnc and "names" */
static void ref_names_tree(struct gene_lists *L, size_t ref, struct json_object *v)
{
	struct json_object *names = rft_json_get(v, "names");
	const char *f[2] = { rft_json_get_str(v, "symbol"), rft_json_get_str(v, "hgnc") };
	size_t i, n;

	for (i = 0; i < 2; i++)
		if (f[i])
			add_ref_name(L, ref, f[i], strlen(f[i]));
	n = names && json_object_is_type(names, json_type_array) ? json_object_array_length(names) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(names, i);

		if (e && json_object_is_type(e, json_type_string))
			add_ref_name(L, ref, json_object_get_string(e), (size_t)json_object_get_string_len(e));
	}
}

/* the name rule's white space at p, skipped */
static const char *skip_ws(const char *p, const char *end)
{
	size_t k;

	while ((k = gene_name_ws(p, end)))
		p += k;
	return p;
}

/* a word of a list item, [A-Za-z0-9._-]+ without trailing dots: its end (p: none) */
static const char *item_word(const char *p, const char *eol)
{
	const char *w = p;

	while (w < eol && (isalnum((unsigned char)*w) || *w == '-' || *w == '.' || *w == '_'))
		w++;
	while (w > p && w[-1] == '.')
		w--;
	return w;
}

/*
 * The name of a list item in line [p, eol): after the marker ("1." "1)" "- "
 * "* " "+ " "\u2022") and any white space and " ' * ` _, the first word,
 * with ":DIGITS" when the word is HGNC, and with what follows it when that
 * is "(...)" or "/WORD" (white space between allowed).  Its start, with its
 * end in *end, or NULL when the line is no list item.
 */
static const char *list_item(const char *p, const char *eol, const char **end)
{
	const char *q = skip_ws(p, eol), *w, *j;

	if (q < eol && isdigit((unsigned char)*q)) {
		while (q < eol && isdigit((unsigned char)*q))
			q++;
		if (!(q < eol && (*q == '.' || *q == ')')))
			return NULL;
		q++;
	} else if (q + 1 < eol && strchr("-*+", *q) && *q && q[1] == ' ') {
		q += 2;
	} else if (q + 2 < eol && !memcmp(q, "\xe2\x80\xa2", 3)) {
		q += 3;
	} else {
		return NULL;
	}
	for (;;) {
		q = skip_ws(q, eol);
		if (q < eol && (*q == '*' || *q == '`' || *q == '_' || *q == '"' || *q == '\''))
			q++;
		else
			break;
	}
	w = item_word(q, eol);
	if (w == q)
		return NULL;
	if (w - q == 4 && !strncasecmp(q, "HGNC", 4) && w + 1 < eol && *w == ':' &&
	    isdigit((unsigned char)w[1]))
		for (w++; w < eol && isdigit((unsigned char)*w); w++)
			;
	j = skip_ws(w, eol);
	if (j < eol && *j == '(') {
		const char *c = memchr(j, ')', (size_t)(eol - j));

		w = c ? c + 1 : eol;
	} else if (j < eol && *j == '/') {
		const char *b = skip_ws(j + 1, eol), *e = item_word(b, eol);

		if (e > b)
			w = e;
	}
	*end = w;
	return q;
}

/* genes from free text: a JSON object with "genes" anywhere, else a numbered
 * or bulleted list (first word of each item), else the first comma list */
static int text_genes(const struct hgnc *h, struct json_tokener **tok, const char *text, struct gene_lists *L,
		      struct grade_result *r)
{
	const char *p;
	int items = 0;

	for (p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
		struct json_object *o, *genes;

		if (!*tok && !(*tok = json_tokener_new()))
			die(RFT_EX_SOFTWARE, "out of memory");
		json_tokener_reset(*tok);
		o = json_tokener_parse_ex(*tok, p, (int)strlen(p));
		if (!o) {   /* json-c's reset may keep a half surrogate: a new tokener */
			json_tokener_free(*tok);
			*tok = NULL;
		}
		genes = rft_json_get(o, "genes");
		if (genes && json_object_is_type(genes, json_type_array)) {
			size_t i, len = json_object_array_length(genes);

			for (i = 0; i < len; i++)
				add_entry(h, L, json_object_array_get_idx(genes, i), r);
			json_object_put(o);
			return 0;
		}
		json_object_put(o);
	}
	/* list items: "1. KMT2D - ...", "2) **KDM6A**", "- ZSWIM6: ...",
	 * "3. HGNC:7133", "4. KMT2D (MLL2)", "5. MLL2/KMT2D" */
	for (p = text; *p; ) {
		const char *eol = strchr(p, '\n'), *q, *w;

		if (!eol)
			eol = p + strlen(p);
		if ((q = list_item(p, eol, &w)) && add_name(h, L, q, (size_t)(w - q), r) == 0)
			items++;
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
				add_name(h, L, s, (size_t)(c - s), r);
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

		len = strlen(a);
		a = skip_ws(a, a + len);
		len = strlen(a);
		while (len && gene_name_ws_end(a, a + len))
			len -= gene_name_ws_end(a, a + len);
		if (len && len < 64 && !memchr(a, '\n', len)) {
			/* one word, once what is in parentheses is set aside */
			size_t i, k, words = 0;
			int depth = 0, inword = 0;

			for (i = 0; i < len; i += k) {
				size_t ws = gene_name_ws(a + i, a + len);

				k = ws ? ws : 1;
				if (a[i] == '(')
					depth++;
				else if (a[i] == ')' && depth)
					depth--;
				else if (!depth && !ws) {
					words += !inword;
					inword = 1;
					continue;
				}
				inword = 0;
			}
			if (words == 1)
				add_name(h, L, a, len, r);
		}
	}
	return L->n ? 0 : -1;
}

/* the names in an answer's text, or sample_parse_error when there are none
 * (a tokener of its own, made only when the text holds a '{': lenient,
 * unlike the strict one of common/json.c) */
static int parse_text_genes(const struct hgnc *h, const char *text, struct gene_lists *L, struct grade_result *r)
{
	struct json_tokener *tok = NULL;
	int rc = text_genes(h, &tok, text, L, r);

	if (tok)
		json_tokener_free(tok);
	if (rc < 0)
		grade_fail(r, GRADE_ERR_PARSE, "no gene list found in the output text");
	return rc;
}

/* the reference genes from a tree */
static int reference_ids(const struct hgnc *h, struct json_object *ref, struct gene_lists *L, struct strbuf *err)
{
	size_t i, len;

	if (!ref) {
		strbuf_addstr(err, "the reference is null");
		return -1;
	}
	len = json_object_is_type(ref, json_type_array) ? json_object_array_length(ref) : 1;
	for (i = 0; i < len; i++) {
		struct json_object *v = json_object_is_type(ref, json_type_array) ?
			json_object_array_get_idx(ref, i) : ref;
		const char *s = NULL;

		if (v && json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			add_ref(h, L, s, s);
		} else if (v && json_object_is_type(v, json_type_object)) {
			s = rft_json_get_str(v, "hgnc") ? rft_json_get_str(v, "hgnc") :
				rft_json_get_str(v, "symbol");
			if (s)
				ref_names_tree(L, add_ref(h, L, s, rft_json_get_str(v, "symbol")), v);
		}
	}
	if (L->nref == 0) {
		strbuf_addstr(err, "the reference names no gene");
		return -1;
	}
	return 0;
}

double grade_curve_score(const struct grader *g, long rank)
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

/*
 * The scores a sample gives its list (rft-rank's "ranking": one object with
 * a numeric "score" per entry, in the list's order): names[i] gets entry
 * i's.  Only a ranking that scores every entry, and no other, is used.
 */
static void scores_tree(struct gene_lists *L, struct json_object *ranking)
{
	size_t i;

	if (!ranking || !json_object_is_type(ranking, json_type_array) || !L->n ||
	    json_object_array_length(ranking) != L->n)
		return;
	for (i = 0; i < L->n; i++) {
		struct json_object *sc = rft_json_get(json_object_array_get_idx(ranking, i), "score");

		if (!sc || !(json_object_is_type(sc, json_type_double) || json_object_is_type(sc, json_type_int)))
			return;
		L->names[i].score = json_object_get_double(sc);
	}
	L->scored = 1;
}

/* the same from a span: 0, or -1 ask the tree */
static int scores_spans(struct gene_lists *L, const struct rft_json_span *ranking)
{
	struct rft_json_span e, sc;
	size_t pos = 0, i = 0;
	double v;
	int rc;

	if (!ranking->p || rft_json_span_type(ranking) != json_type_array || !L->n)
		return 0;
	while (rft_json_span_next(ranking, &pos, &e)) {
		if (i == L->n)
			return 0;
		if ((rc = rft_json_span_member(&e, "score", &sc)) < 0)
			return -1;
		if (!rc || rft_json_span_num(&sc, &v) < 0)
			return 0;
		L->names[i++].score = v;
	}
	L->scored = i == L->n;
	return 0;
}

/* the grade of a predicted list against the reference: duplicates count
 * once, in first place; the list is cut at max_list */
static void rank_names(const struct grader *g, const struct gene_lists *L, struct grade_result *r)
{
	const struct hgnc *h = g->env->hgnc;
	size_t i, j, kept = 0;
	double tie = 0;

	if (L->scored)
		r->tie_rule = ties_names[g->ties];
#define NAME_KEY(k) (L->names[k].gene >= 0 ? hgnc_id(h, L->names[k].gene) : L->text.buf + L->names[k].key)
	strbuf_addch(&r->predicted, '[');
	for (i = 0; i < L->n && (int)kept < g->max_list; i++) {
		const char *key = NAME_KEY(i);

		/* (an entry that names no gene is no repeat, nor repeated) */
		for (j = 0; L->names[i].gene != NAME_NONE && j < i; j++) {
			if (L->names[j].gene == NAME_NONE)
				continue;
			if (L->names[i].gene >= 0 && L->names[j].gene >= 0 ?
			    L->names[i].gene == L->names[j].gene : !strcmp(key, NAME_KEY(j)))
				break;
		}
		if (L->names[i].gene != NAME_NONE && j < i)
			continue;
		if (kept++)
			strbuf_addch(&r->predicted, ',');
		json_put_str(&r->predicted, L->text.buf + L->names[i].off);
		if (r->rank == 0 && L->names[i].gene != NAME_NONE) {
			for (j = 0; j < L->nref; j++)
				if (!strcmp(L->reftext.buf + L->refs[j], key))
					break;
			if (j < L->nref) {
				r->rank = (long)kept;
				tie = L->names[i].score;
			}
		} else if (r->rank > 0 && L->scored && g->ties == TIES_WORST && L->names[i].score == tie) {
			r->rank = (long)kept;   /* scored as the reference gene: it shares the worst place */
		}
	}
#undef NAME_KEY
	strbuf_addch(&r->predicted, ']');
	r->reward = grade_curve_score(g, r->rank);
}

static void grade_gene_rank(const struct grader *g, struct json_object *item,
			    struct json_object *sample, struct grade_result *r)
{
	struct strbuf tmp = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *list = NULL, *ref = NULL;
	struct gene_lists L = GENE_LISTS_INIT;
	const struct hgnc *h = g->env->hgnc;
	int rc;

	r->max_list = g->max_list;
	r->rank = 0;
	if (render(g->reference, item, sample, &tmp, &ref, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
		goto out;
	}
	if (!ref) {
		/* a template mixing text: its rendered text is the reference */
		ref = json_object_new_string(tmp.buf);
		rc = reference_ids(h, ref, &L, &err);
		json_object_put(ref);
	} else {
		rc = reference_ids(h, ref, &L, &err);
	}
	if (rc < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
		goto out;
	}

	/* the predicted list: JSON first, else parsed out of the text */
	strbuf_reset(&tmp);
	strbuf_reset(&err);
	if (render(g->input, item, sample, &tmp, &list, &err) == 0 && list &&
	    json_object_is_type(list, json_type_array)) {
		size_t i, len = json_object_array_length(list);

		for (i = 0; i < len; i++)
			add_entry(h, &L, json_object_array_get_idx(list, i), r);
		scores_tree(&L, rft_json_get(sample, "ranking"));
	} else {
		strbuf_reset(&tmp);
		strbuf_reset(&err);
		if (render(g->text_input, item, sample, &tmp, NULL, &err) < 0) {
			grade_fail(r, GRADE_ERR_PARSE, "no gene list in %s and no text: %s", g->input, err.buf);
			goto out;
		}
		if (parse_text_genes(h, tmp.buf, &L, r) < 0)
			goto out;
	}
	rank_names(g, &L, r);
out:
	gene_lists_release(&L);
	strbuf_release(&tmp);
	strbuf_release(&err);
}

/* ------------------------------------------------- gene_rank from spans */

/* The path a template that is exactly one plain reference reads, as the
 * record's dotted path ("{{ item.reference.genes }}" -> "reference.genes",
 * "{{sample.output_json.genes}}" -> "sample.output_json.genes"), or NULL
 * when resolve_ref would do more than follow object members (list indexes,
 * the whole item or sample, the hidden item.sample and item.grade). */
static char *span_path(const char *tpl)
{
	const char *c, *s, *q;
	char *p;
	size_t skip;

	if (strncmp(tpl, "{{", 2) || !(c = strstr(tpl + 2, "}}")) || c[2])
		return NULL;
	p = emalloc((size_t)(c - tpl));
	ref_path(tpl + 2, (size_t)(c - tpl - 2), p);
	if (!strncmp(p, "item.", 5) && !item_hides(p + 4))
		skip = 5;
	else if (!strncmp(p, "sample.", 7))
		skip = 0;
	else
		goto no;
	for (s = p + skip; ; s = q + 1) {
		size_t n = strcspn(s, ".");

		q = s + n;
		if (!n || n >= 256 || strspn(s, "0123456789") >= n)
			goto no;
		if (!*q)
			break;
	}
	memmove(p, p + skip, strlen(p + skip) + 1);
	return p;
no:
	free(p);
	return NULL;
}

static void span_paths_init(struct grader *g)
{
	int i;

	g->span_paths[GS_SAMPLE] = estrdup("sample");
	g->span_paths[GS_GRADE] = estrdup("grade");
	g->span_paths[GS_ERROR] = estrdup("error");
	g->span_paths[GS_ERROR_MESSAGE] = estrdup("error.message");
	g->span_paths[GS_INPUT] = span_path(g->input);
	g->span_paths[GS_TEXT] = span_path(g->text_input);
	g->span_paths[GS_REFERENCE] = span_path(g->reference);
	g->span_paths[GS_RANKING] = estrdup("sample.ranking");
	g->has_spans = 1;
	for (i = 0; i < GS_N; i++)
		g->has_spans &= g->span_paths[i] != NULL;
}

const char *const *grader_span_paths(const struct grader *g)
{
	return g->has_spans ? (const char *const *)g->span_paths : NULL;
}

/* one reference value, as reference_ids reads it: 0, or -1 ask the tree */
static int span_ref(const struct hgnc *h, const struct rft_json_span *v, struct gene_lists *L, struct strbuf *tmp)
{
	struct rft_json_span m[3], e;
	static const char *const keys[3] = { "symbol", "hgnc", "names" };
	const char *f[2];
	size_t off[2], ref, pos = 0;
	int has[2], i;

	strbuf_reset(tmp);
	if (rft_json_span_type(v) != json_type_object) {
		if (rft_json_span_str(v, tmp) == 0)
			add_ref(h, L, tmp->buf, tmp->buf);
		return 0;
	}
	for (i = 0; i < 3; i++) {
		int got = rft_json_span_member(v, keys[i], &m[i]);

		if (got < 0)
			return -1;
		if (!got)
			m[i].p = NULL;
	}
	/* symbol and hgnc, NUL-separated in tmp (no buffers of their own a line) */
	for (i = 0; i < 2; i++) {
		off[i] = tmp->len;
		has[i] = m[i].p && rft_json_span_str(&m[i], tmp) == 0;
		strbuf_addch(tmp, '\0');
	}
	if (!has[1] && !has[0])
		return 0;
	f[0] = tmp->buf + off[0];
	f[1] = tmp->buf + off[1];
	/* as the tree: hgnc when a string, else symbol */
	ref = add_ref(h, L, has[1] ? f[1] : f[0], has[0] ? f[0] : NULL);
	for (i = 0; i < 2; i++)
		if (has[i])
			add_ref_name(L, ref, f[i], strlen(f[i]));
	if (m[2].p && rft_json_span_type(&m[2]) == json_type_array)
		while (rft_json_span_next(&m[2], &pos, &e)) {
			strbuf_reset(tmp);
			if (rft_json_span_str(&e, tmp) == 0)
				add_ref_name(L, ref, tmp->buf, tmp->len);
		}
	return 0;
}

static void grade_no_sample(const struct grader *g, int call_failed, const char *msg, struct grade_result *r);

/* 0 graded, -1 ask the tree */
static int gene_rank_spans(const struct grader *g, const struct rft_json_span *sp, struct gene_lists *L,
			   struct grade_result *r, struct strbuf *tmp)
{
	const struct hgnc *h = g->env->hgnc;
	const struct rft_json_span *ref = &sp[GS_REFERENCE], *in = &sp[GS_INPUT], *text = &sp[GS_TEXT];
	struct rft_json_span v, m;
	size_t pos = 0;
	int rc;

	if (sp[GS_GRADE].p)
		return -1;
	if (rft_json_span_type(&sp[GS_SAMPLE]) != json_type_object) {
		/* (the tree reads an absent member and a null one alike) */
		const int failed = rft_json_span_type(&sp[GS_SAMPLE]) == json_type_null &&
			rft_json_span_type(&sp[GS_ERROR]) != json_type_null;

		const char *msg = NULL;

		strbuf_reset(tmp);
		if (failed && rft_json_span_str(&sp[GS_ERROR_MESSAGE], tmp) == 0)
			msg = tmp->buf;
		grade_no_sample(g, failed, msg, r);
		return 0;
	}
	r->max_list = g->max_list;
	r->rank = 0;
	/* the reference: what reads as it does from a tree; the rest (null,
	 * a number, no gene: an error) the tree says */
	switch (rft_json_span_type(ref)) {
	case json_type_array:
		while (rft_json_span_next(ref, &pos, &v))
			if (span_ref(h, &v, L, tmp) < 0)
				return -1;
		break;
	case json_type_object:
	case json_type_string:
		if (span_ref(h, ref, L, tmp) < 0)
			return -1;
		break;
	default:
		return -1;
	}
	if (!L->nref)
		return -1;

	if (rft_json_span_type(in) == json_type_array) {
		/* each entry as add_entry reads it from a tree */
		for (pos = 0; rft_json_span_next(in, &pos, &v); ) {
			enum json_type t = rft_json_span_type(&v);

			strbuf_reset(tmp);
			if (t == json_type_object) {
				if ((rc = rft_json_span_member(&v, "symbol", &m)) < 0)
					return -1;
				if (rc == 0 || rft_json_span_str(&m, tmp) < 0) {
					add_none(L, t, 0);
					continue;
				}
			} else if (rft_json_span_str(&v, tmp) < 0) {
				add_none(L, t, 0);
				continue;
			}
			if (add_name(h, L, tmp->buf, strlen(tmp->buf), r) < 0)
				add_none(L, t, 1);
		}
		if (scores_spans(L, &sp[GS_RANKING]) < 0)
			return -1;
	} else {
		if (!text->p)
			return -1;
		strbuf_reset(tmp);
		if (rft_json_span_str(text, tmp) < 0 && rft_json_span_type(text) != json_type_null)
			rft_json_span_put(text, tmp);
		if (parse_text_genes(h, tmp->buf, L, r) < 0)
			return 0;
	}
	rank_names(g, L, r);
	return 0;
}

int grade_line_spans(const struct grader *g, const struct rft_json_span *spans, struct grade_result *r,
		     struct strbuf *tmp)
{
	struct gene_lists L = GENE_LISTS_INIT;
	int rc = g->has_spans ? gene_rank_spans(g, spans, &L, r, tmp) : -1;

	gene_lists_release(&L);
	if (rc < 0) {
		grade_result_release(r);
		grade_result_init(r);
	}
	return rc;
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

/* past this many 64-bit steps (len(longer) x words of the shorter) a
 * fuzzy_match is refused with other_error: about a second of work, two texts
 * of some 130,000 code points each */
#define FUZZY_MAX_STEPS ((uint64_t)1 << 28)

/*
 * fuzzy_match: the normalised indel similarity of rapidfuzz's fuzz.ratio,
 * 1 - (insertions + deletions) / (len(a) + len(b)) = 2 LCS / (len(a) + len(b)),
 * over Unicode code points; two empty strings score 1.  The LCS length is
 * computed 64 columns a step (Hyyro's bit-vector form, as rapidfuzz does):
 * one bit-mask a distinct code point of the shorter text, and V, whose zero
 * bits count the LCS, updated as V = (V + (V & M)) | (V & ~M) for each code
 * point of the longer.  -1 when the texts are too long (FUZZY_MAX_STEPS).
 */
double grade_fuzzy_ratio(const char *a, const char *b)
{
	uint32_t *x, *y, *key;
	size_t n = codepoints(a, &x), m = codepoints(b, &y), i, j, k, w, nkeys = 0, mask;
	uint64_t *pm, *v, lcs = 0;
	int32_t *slot;
	double ratio = 1;

	if (n < m) {
		uint32_t *t = x;
		size_t tn = n;

		x = y, y = t, n = m, m = tn;
	}
	if (m == 0)
		goto out;    /* 1 when both are empty, else 0 */
	w = (m + 63) / 64;
	if ((uint64_t)n * w > FUZZY_MAX_STEPS) {
		ratio = -1;
		goto out;
	}
	/* the distinct code points of y in an open-addressed table, each with
	 * the mask of the places it stands in */
	for (mask = 1; mask < 2 * m; mask <<= 1)
		;
	slot = emalloc(mask * sizeof(*slot));
	memset(slot, 0xff, mask * sizeof(*slot));
	key = emalloc(m * sizeof(*key));
	pm = ecalloc(m * w, sizeof(*pm));
	mask--;
	for (j = 0; j < m; j++) {
		size_t h = (y[j] * 2654435761u) & mask;

		while (slot[h] >= 0 && key[slot[h]] != y[j])
			h = (h + 1) & mask;
		if (slot[h] < 0) {
			key[nkeys] = y[j];
			slot[h] = (int32_t)nkeys++;
		}
		pm[(size_t)slot[h] * w + j / 64] |= (uint64_t)1 << (j % 64);
	}
	v = emalloc(w * sizeof(*v));
	memset(v, 0xff, w * sizeof(*v));
	for (i = 0; i < n; i++) {
		size_t h = (x[i] * 2654435761u) & mask;
		const uint64_t *p;
		uint64_t carry = 0;

		while (slot[h] >= 0 && key[slot[h]] != x[i])
			h = (h + 1) & mask;
		if (slot[h] < 0)
			continue;     /* not in y: V stays as it is */
		p = pm + (size_t)slot[h] * w;
		for (k = 0; k < w; k++) {
			uint64_t u = v[k] & p[k], sum = v[k] + u, out = sum + carry;

			carry = (sum < v[k]) | (out < sum);
			v[k] = out | (v[k] & ~p[k]);
		}
	}
	for (j = 0; j < m; j++)
		lcs += !((v[j / 64] >> (j % 64)) & 1);
	free(slot);
	free(key);
	free(pm);
	free(v);
out:
	if (ratio >= 0 && n + m > 0)
		ratio = 2.0 * (double)lcs / (double)(n + m);
	free(x);
	free(y);
	return ratio;
}

static void grade_text(const struct grader *g, struct json_object *item,
		       struct json_object *sample, struct grade_result *r)
{
	struct strbuf in = STRBUF_INIT, ref = STRBUF_INIT, err = STRBUF_INIT;

	if (render(g->input, item, sample, &in, NULL, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "input: %s", err.buf);
	} else if (render(g->reference, item, sample, &ref, NULL, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "reference: %s", err.buf);
	} else if (g->type == G_STRING_CHECK) {
		int yes;

		switch (g->op) {
		case OP_EQ: yes = !strcmp(in.buf, ref.buf); break;
		case OP_NE: yes = strcmp(in.buf, ref.buf) != 0; break;
		case OP_LIKE: yes = contains(in.buf, ref.buf, 0); break;
		default: yes = contains(in.buf, ref.buf, 1); break;
		}
		r->reward = yes;
	} else if (g->model) {
		model_grade_cosine(g->model, in.buf, ref.buf, r);
	} else if ((r->reward = grade_fuzzy_ratio(in.buf, ref.buf)) < 0) {
		grade_fail(r, GRADE_ERR_OTHER, "fuzzy_match: the texts are too long to compare (%zu and %zu bytes)",
			   in.len, ref.len);
	}
	strbuf_release(&in);
	strbuf_release(&ref);
	strbuf_release(&err);
}

/* ---------------------------------------------------------------- python */

/* The worker process and everything it may do are pyworker.c's. */
static void grade_python(const struct grader *g, struct json_object *item,
			 struct json_object *sample, struct grade_result *r)
{
	struct strbuf err = STRBUF_INIT;

	if (pyworker_grade(g->py, sample, item, &r->reward, &err) < 0)
		grade_fail(r, GRADE_ERR_PYTHON, "%s", err.buf);
	strbuf_release(&err);
}

/* ----------------------------------------------------------------- dispatch */

void grade_one(const struct grader *g, struct json_object *item,
		      struct json_object *sample, struct grade_result *r)
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
	case G_MODEL:
		model_grade(g->model, item, sample, r);
		break;
	case G_MULTI: {
		double *vars = ecalloc((size_t)g->nsubs, sizeof(*vars));
		int i;

		for (i = 0; i < g->nsubs; i++) {
			struct grade_result sub;

			grade_result_init(&sub);
			grade_one(g->subs[i], item, sample, &sub);
			vars[i] = sub.reward;
			r->errors |= sub.errors;
			if (sub.message.len && !r->message.len)
				strbuf_addf(&r->message, "%s: %s", g->sub_names[i], sub.message.buf);
			if (sub.rank >= 0 && r->rank < 0) {
				r->rank = sub.rank;
				r->max_list = sub.max_list;
				r->tie_rule = sub.tie_rule;
				strbuf_add(&r->predicted, sub.predicted.buf, sub.predicted.len);
			}
			r->unknown += sub.unknown;
			r->ambiguous += sub.ambiguous;
			if (i)
				strbuf_addch(&r->subs, ',');
			json_put_str(&r->subs, g->sub_names[i]);
			strbuf_addch(&r->subs, ':');
			json_put_double(&r->subs, vars[i]);
			grade_result_release(&sub);
		}
		r->reward = expr_eval(g->calc, vars);
		if (!isfinite(r->reward))
			grade_fail(r, GRADE_ERR_FORMULA, "calculate_output gave %g", r->reward);
		free(vars);
		break;
	}
	}
}

/* ------------------------------------------------------------ loading */

void grader_free(struct grader *g)
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
	pyworker_free(g->py);
	model_grader_free(g->model);
	free(g->name);
	free(g->input);
	free(g->reference);
	free(g->text_input);
	free(g->calc_text);
	free(g->source);
	for (i = 0; i < GS_N; i++)
		free(g->span_paths[i]);
	free(g->put_head);
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

/* a string member that must be one of names (default def): its index, or
 * -1 (err says why, or is empty when the member is missing and def NULL) */
static int str_choice(struct json_object *o, const char *key, const char *def, const char *const *names,
		      const char *what, const char *where, struct strbuf *err)
{
	const char *s = str_member(o, key, def, where, err);
	int i;

	if (!s)
		return -1;
	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	strbuf_addf(err, "%s: unknown %s '%s' (", where, what, s);
	for (i = 0; names[i]; i++)
		strbuf_addf(err, "%s%s", i ? ", " : "", names[i]);
	strbuf_addch(err, ')');
	return -1;
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

struct grader *grader_load(struct json_object *o, const char *where, const struct grader_env *env,
			    struct strbuf *err)
{
	struct grader *g = ecalloc(1, sizeof(*g));
	const char *type, *s;
	struct strbuf here = STRBUF_INIT;
	int i;

	g->env = env;
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
	{
		struct strbuf head = STRBUF_INIT;

		strbuf_addstr(&head, "{\"name\":");
		json_put_str(&head, g->name);
		strbuf_addstr(&head, ",\"reward\":");
		g->put_head = strbuf_detach(&head, &g->put_headlen);
	}
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
		if ((i = str_choice(o, "curve", "reciprocal", curve_names, "curve", here.buf, err)) < 0)
			goto bad;
		g->curve = (enum curve)i;
		if ((i = str_choice(o, "ties", g->env->ties ? g->env->ties : "worst", ties_names,
				    "\"ties\" rule", here.buf, err)) < 0)
			goto bad;
		g->ties = (enum ties)i;
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
			if ((i = str_choice(o, "operation", NULL, strop_names, "operation", here.buf, err)) < 0) {
				if (!err->len)
					strbuf_addf(err, "%s: needs \"operation\"", here.buf);
				goto bad;
			}
			g->op = (enum strop)i;
		} else {
			struct json_object *t = rft_json_get(o, "pass_threshold");

			g->type = G_TEXT_SIMILARITY;
			s = str_member(o, "evaluation_metric", NULL, here.buf, err);
			if (s && !strcmp(s, "cosine") && models_allowed) {
				if (!(g->model = model_grader_load(o, type, here.buf, err)))
					goto bad;
			} else if (!s || strcmp(s, "fuzzy_match") != 0) {
				if (!err->len)
					strbuf_addf(err, "%s: evaluation_metric '%s' is not supported here "
						    "(fuzzy_match%s is)", here.buf, s ? s : "(none)",
						    models_allowed ? ", cosine" : "");
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
			sg = grader_load(json_object_iter_peek_value(&it), sub.buf, env, err);
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

			g->calc = expr_parse(calc, (size_t)json_object_get_string_len(rft_json_get(o, "calculate_output")),
					     g, &why);
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
		g->py = pyworker_new(g->source, env);
	} else if ((!strcmp(type, "score_model") || !strcmp(type, "label_model")) && models_allowed) {
		g->type = G_MODEL;
		if (!(g->model = model_grader_load(o, type, here.buf, err)))
			goto bad;
	} else if (!strcmp(type, "score_model") || !strcmp(type, "label_model")) {
		strbuf_addf(err, "%s: %s graders call a model and are not supported by %s "
			    "(rft-grade runs them)", here.buf, type, rft_progname);
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
	if (g->type == G_GENE_RANK)
		span_paths_init(g);
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

/* start the workers of g's python graders: 0, or -1 with the first failure in err */
static int python_load(struct grader *g, struct strbuf *err)
{
	int i;

	if (g->type == G_PYTHON)
		return pyworker_load(g->py, err);
	for (i = 0; i < g->nsubs; i++)
		if (python_load(g->subs[i], err) < 0)
			return -1;
	return 0;
}

struct grader *grader_load_file(const char *path, const struct grader_env *env)
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
	g = grader_load(o, path ? path : "default grader", env, &err);
	json_object_put(o);
	if (!g)
		die(RFT_EX_CONFIG, "%s", err.buf);
	/* a python source runs once now: one that does not load stops us here */
	if (python_load(g, &err) < 0)
		die(RFT_EX_CONFIG, "%s: %s", path, err.buf);
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

/* a string literal: its length known when compiled */
#define ADD_LIT(sb, lit) strbuf_add(sb, lit, sizeof(lit) - 1)

void grader_export_model(const struct grader *g, struct strbuf *out)
{
	model_grader_export(g->model, out);
}

void grader_allow_models(int on)
{
	models_allowed = on;
}

/* 1 if g or one of its sub-graders calls a model */
static int grader_uses_model(const struct grader *g)
{
	int i;

	if (g->model)
		return 1;
	for (i = 0; i < g->nsubs; i++)
		if (grader_uses_model(g->subs[i]))
			return 1;
	return 0;
}

void grade_put(struct strbuf *sb, const struct grader *g, const struct grade_result *r)
{
	size_t i;
	int first = 1, models = grader_uses_model(g);

	/* written for every line of a batch: no strlen of what is known */
	strbuf_grow(sb, 384 + r->predicted.len + r->subs.len);
	strbuf_add(sb, g->put_head, g->put_headlen);
	json_put_double(sb, r->reward);
	ADD_LIT(sb, ",\"sub_rewards\":{");
	strbuf_add(sb, r->subs.buf, r->subs.len);
	ADD_LIT(sb, "},\"rank\":");
	if (r->rank > 0)
		put_long(sb, r->rank);
	else
		ADD_LIT(sb, "null");
	ADD_LIT(sb, ",\"predicted\":");
	if (r->predicted.len)
		strbuf_add(sb, r->predicted.buf, r->predicted.len);
	else
		ADD_LIT(sb, "[]");
	if (r->max_list) {
		ADD_LIT(sb, ",\"max_list\":");
		put_long(sb, r->max_list);
	}
	if (r->tie_rule) {
		ADD_LIT(sb, ",\"tie_rule\":");
		json_put_str(sb, r->tie_rule);
	}
	if (r->unknown || r->ambiguous)
		strbuf_addf(sb, ",\"names\":{\"unknown\":%d,\"ambiguous\":%d}", r->unknown, r->ambiguous);
	ADD_LIT(sb, ",\"errors\":{");
	for (i = 0; i < sizeof(err_names) / sizeof(*err_names); i++) {
		if ((err_names[i].bit & MODEL_ERRS) && !models)
			continue;
		if (!first)
			strbuf_addch(sb, ',');
		strbuf_add(sb, err_names[i].key, err_names[i].keylen);
		if (r->errors & err_names[i].bit)
			ADD_LIT(sb, "true");
		else
			ADD_LIT(sb, "false");
		first = 0;
	}
	strbuf_addch(sb, '}');
	if (r->message.len) {
		ADD_LIT(sb, ",\"message\":");
		json_put_str(sb, r->message.buf);
	}
	strbuf_addch(sb, '}');
}

/* a line with no sample object: the model call failed (it has an "error"
 * and no sample at all), or there is nothing to grade */
static void grade_no_sample(const struct grader *g, int call_failed, const char *msg, struct grade_result *r)
{
	if (call_failed) {
		grade_fail(r, GRADE_ERR_CALL, "the model call failed: %s", msg ? msg : "(no message)");
		if (g->type == G_GENE_RANK) {
			r->rank = 0;
			r->max_list = g->max_list;
		}
	} else {
		grade_fail(r, GRADE_ERR_PARSE, "no \"sample\" object on the line");
	}
}

/* grade a sample line: item is the line without "sample" */
void grade_line(const struct grader *g, struct json_object *line, struct grade_result *r)
{
	struct json_object *sample = rft_json_get(line, "sample");
	struct json_object *error = rft_json_get(line, "error");
	/* templates read item from the line itself (resolve_ref hides "sample");
	 * a python grader gets a real copy without it */
	struct json_object *item = json_object_get(line);

	if (g->type == G_PYTHON || g->type == G_MULTI || g->type == G_MODEL) {
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
	if (!sample || !json_object_is_type(sample, json_type_object)) {
		grade_no_sample(g, error && !sample, rft_json_get_str(error, "message"), r);
	} else {
		grade_one(g, item, sample, r);
	}
	json_object_put(item);
}
int grader_uses_python(const struct grader *g)
{
	int i;

	if (g->type == G_PYTHON)
		return 1;
	for (i = 0; i < g->nsubs; i++)
		if (grader_uses_python(g->subs[i]))
			return 1;
	return 0;
}
