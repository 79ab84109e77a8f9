/*
 * grader.c - the grader engine: OpenAI's grader types plus gene_rank, shared
 * by rft-grade (batch, --serve, --export-openai) and rft-train (the reward).
 * See grader.h.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "../input.h"
#include "../json.h"
#include "../template.h"
#include "../util.h"

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
#undef ERR_KEY
/* the flags only a grader that calls a model writes */
#define MODEL_ERRS (GRADE_ERR_UNRESPONSIVE | GRADE_ERR_MODEL_PARSE | GRADE_ERR_MODEL_REFUSAL)

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

/* ------------------------------------------------------------- templates */

/* a grader's two namespaces: item is the line without "sample" (and our
 * "grade"), which it hides when it is the line itself */
static const char *const item_hidden[] = { "sample", "grade", NULL };

void grader_roots(struct rft_tpl_root *roots, struct json_object *item, struct json_object *sample)
{
	roots[0].name = "item";
	roots[0].value = item;
	roots[0].hidden = item_hidden;
	roots[1].name = "sample";
	roots[1].value = sample;
	roots[1].hidden = NULL;
}

int grader_render(const char *tpl, struct json_object *item, struct json_object *sample,
		  struct strbuf *out, struct json_object **whole, struct strbuf *err)
{
	struct rft_tpl_root roots[GRADER_NROOTS];

	grader_roots(roots, item, sample);
	return rft_tpl_subst(tpl, roots, GRADER_NROOTS, out, whole, err);
}

/* ----------------------------------------------------------- the types */

static int models_allowed;   /* grader_allow_models */

void grader_allow_models(int on)
{
	models_allowed = on;
}

int grader_models_allowed(void)
{
	return models_allowed;
}

/*
 * THE TYPE TABLE: one row a grader type, {name, load, grade, export, free,
 * flags} (struct grader_type in internal.h); the functions live in the
 * type's file.  A new type is a row here plus its functions.
 */
static const struct grader_type types[] = {
	{ "gene_rank", gene_rank_load, gene_rank_grade, gene_rank_export, gene_rank_free, 0 },
	{ "string_check", string_check_load, text_grade, string_check_export, NULL, 0 },
	{ "text_similarity", text_similarity_load, text_grade, text_similarity_export, text_free, 0 },
	{ "multi", multi_load, multi_grade, multi_export, multi_free, GT_REAL_ITEM },
	{ "python", python_load, python_grade, python_export, python_free, GT_REAL_ITEM },
	{ "score_model", model_type_load, model_type_grade, model_type_export, model_type_free, GT_REAL_ITEM },
	{ "label_model", model_type_load, model_type_grade, model_type_export, model_type_free, GT_REAL_ITEM },
};

/* ----------------------------------------------------------------- dispatch */

int grader_export_openai(const struct grader *g, const struct strmap *genes, struct strbuf *out,
			 struct strbuf *err)
{
	return g->type->export(g, genes, out, err);
}

void grader_export_head(struct strbuf *out, const char *type, const struct grader *g)
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

void grade_one(const struct grader *g, struct json_object *item,
	       struct json_object *sample, struct grade_result *r)
{
	g->type->grade(g, item, sample, r);
}

/* ------------------------------------------------------------ loading */

void grader_free(struct grader *g)
{
	int i;

	if (!g)
		return;
	if (g->type && g->type->free)
		g->type->free(g);
	free(g->name);
	free(g->input);
	free(g->reference);
	for (i = 0; i < GS_N; i++)
		free(g->span_paths[i]);
	free(g->put_head);
	free(g);
}

const char *grader_str_member(struct json_object *o, const char *key, const char *def,
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

int grader_str_choice(struct json_object *o, const char *key, const char *def, const char *const *names,
		      const char *what, const char *where, struct strbuf *err)
{
	const char *s = grader_str_member(o, key, def, where, err);
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
	struct rft_tpl_root roots[GRADER_NROOTS];
	struct strbuf why = STRBUF_INIT;

	grader_roots(roots, NULL, NULL);
	if (!err->len && rft_tpl_check_refs(tpl, roots, GRADER_NROOTS, &why) < 0)
		strbuf_addf(err, "%s: %s: %s", where, what, why.buf);
	strbuf_release(&why);
}

static int has_model(const struct grader *g)
{
	return g->model != NULL;
}

static int has_python(const struct grader *g)
{
	return g->py != NULL;
}

/* 1 if has(g) or has() of one of its sub-graders, at any depth */
static int any_sub(const struct grader *g, int (*has)(const struct grader *))
{
	int i;

	if (has(g))
		return 1;
	for (i = 0; i < g->nsubs; i++)
		if (any_sub(g->subs[i], has))
			return 1;
	return 0;
}

struct grader *grader_load(struct json_object *o, const char *where, const struct grader_env *env,
			    struct strbuf *err)
{
	struct grader *g = ecalloc(1, sizeof(*g));
	const char *type, *s;
	struct strbuf here = STRBUF_INIT;
	size_t i;

	g->env = env;
	if (!o || !json_object_is_type(o, json_type_object)) {
		strbuf_addf(err, "%s: a grader must be an object", where);
		goto bad;
	}
	type = grader_str_member(o, "type", NULL, where, err);
	if (!type) {
		if (!err->len)
			strbuf_addf(err, "%s: no \"type\"", where);
		goto bad;
	}
	s = grader_str_member(o, "name", type, where, err);
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
	for (i = 0; i < sizeof(types) / sizeof(*types) && strcmp(type, types[i].name); i++)
		;
	if (i == sizeof(types) / sizeof(*types)) {
		strbuf_addf(err, "%s: unknown grader type '%s'", here.buf, type);
		goto bad;
	}
	g->type = &types[i];
	if (g->type->load(g, o, where, here.buf, err) < 0)
		goto bad;
	check_refs(g->input, here.buf, "input", err);
	check_refs(g->reference, here.buf, "reference", err);
	check_refs(g->text_input, here.buf, "text_input", err);
	if (err->len)
		goto bad;
	if (g->max_list)   /* gene_rank */
		gene_span_paths_init(g);
	/* grade_put writes the model error flags only then: known once, not per line */
	g->uses_model = any_sub(g, has_model);
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
	if (python_start(g, &err) < 0)
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

void grade_put(struct strbuf *sb, const struct grader *g, const struct grade_result *r)
{
	size_t i;
	int first = 1;

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
		if ((err_names[i].bit & MODEL_ERRS) && !g->uses_model)
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
void grade_no_sample(const struct grader *g, int call_failed, const char *msg, struct grade_result *r)
{
	if (call_failed) {
		grade_fail(r, GRADE_ERR_CALL, "the model call failed: %s", msg ? msg : "(no message)");
		if (g->max_list) {   /* gene_rank */
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

	if (g->type->flags & GT_REAL_ITEM) {
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
	return any_sub(g, has_python);
}
