/*
 * formula.c - the calculate_output language of multi graders, and the
 * multi grader type (grader.c's type table).  See internal.h.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "internal.h"

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

/* ---------------------------------------------------------------- multi */

int multi_load(struct grader *g, struct json_object *o, const char *where, const char *here,
	       struct strbuf *err)
{
	struct json_object *subs = rft_json_get(o, "graders");
	struct json_object_iterator it, end;
	struct strbuf why = STRBUF_INIT;
	const char *calc;

	if (!subs || !json_object_is_type(subs, json_type_object)) {
		strbuf_addf(err, "%s: \"graders\" must be a named map of graders", here);
		return -1;
	}
	it = json_object_iter_begin(subs);
	end = json_object_iter_end(subs);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		struct strbuf sub = STRBUF_INIT;
		struct grader *sg;

		strbuf_addf(&sub, "%s.graders.%s", where, json_object_iter_peek_name(&it));
		sg = grader_load(json_object_iter_peek_value(&it), sub.buf, g->env, err);
		strbuf_release(&sub);
		if (!sg)
			return -1;
		g->subs = erealloc(g->subs, (size_t)(g->nsubs + 1) * sizeof(*g->subs));
		g->sub_names = erealloc(g->sub_names, (size_t)(g->nsubs + 1) * sizeof(*g->sub_names));
		g->subs[g->nsubs] = sg;
		g->sub_names[g->nsubs++] = estrdup(json_object_iter_peek_name(&it));
	}
	if (!g->nsubs) {
		strbuf_addf(err, "%s: \"graders\" is empty", here);
		return -1;
	}
	calc = grader_str_member(o, "calculate_output", NULL, here, err);
	if (!calc) {
		if (!err->len)
			strbuf_addf(err, "%s: needs \"calculate_output\"", here);
		return -1;
	}
	g->calc_text = estrdup(calc);
	g->calc = expr_parse(calc, (size_t)json_object_get_string_len(rft_json_get(o, "calculate_output")),
			     g, &why);
	if (!g->calc) {
		strbuf_addf(err, "%s: calculate_output: %s", here, why.buf);
		strbuf_release(&why);
		return -1;
	}
	strbuf_release(&why);
	return 0;
}

void multi_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		 struct grade_result *r)
{
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
}

int multi_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		 struct strbuf *err)
{
	int i;

	strbuf_addstr(out, "{\"type\":\"multi\",\"name\":");
	json_put_str(out, g->name);
	strbuf_addstr(out, ",\"graders\":{");
	for (i = 0; i < g->nsubs; i++) {
		if (i)
			strbuf_addch(out, ',');
		json_put_str(out, g->sub_names[i]);
		strbuf_addch(out, ':');
		if (grader_export_openai(g->subs[i], genes, out, err) < 0)
			return -1;
	}
	strbuf_addstr(out, "},\"calculate_output\":");
	json_put_str(out, g->calc_text);
	strbuf_addch(out, '}');
	return 0;
}

void multi_free(struct grader *g)
{
	int i;

	for (i = 0; i < g->nsubs; i++) {
		grader_free(g->subs[i]);
		free(g->sub_names[i]);
	}
	free(g->subs);
	free(g->sub_names);
	expr_free(g->calc);
	free(g->calc_text);
}
