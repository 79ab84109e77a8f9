/*
 * grader.c - fuzz target: the grader engine (common/grader.h).
 *
 * Three modes, by the first byte of the input:
 *   'F' the rest is the calculate_output formula of a multi grader with
 *       three sub-graders (a gene_rank, a string_check, a text_similarity);
 *   'L' the rest is a sample line, graded by the built-in gene_rank grader
 *       from spans (rft-grade's fast path) and from the tree;
 *   anything else: the input is a grader file (JSON); python graders are
 *       loaded and freed but never run.
 * A grader loaded grades three fixed lines (and an 'L' line), each from the
 * tree and, when the grader reads spans, from spans: both must give the
 * same grade object.  Checked besides: a refused grader has a message that
 * starts with where it was (and is UTF-8 when the input was, D16); every
 * reward is finite; grade_put writes strict JSON.
 */
#include <json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/grader.h"
#include "common/grader/internal.h"   /* the type of a grader */
#include "common/json.h"
#include "fuzz.h"

static const char *const lines[] = {
	"{\"id\":\"a\",\"reference\":{\"gene\":\"KMT2D\",\"hgnc\":\"HGNC:7133\",\"genes\":[{\"symbol\":\"KMT2D\","
	"\"hgnc\":\"HGNC:7133\"}]},\"sample\":{\"model\":\"m\",\"output_json\":{\"genes\":[\"KDM6A\",\"KMT2D\"],"
	"\"explanation\":\"e\"},\"output_text\":\"KDM6A then KMT2D\"}}",
	"{\"id\":\"b\",\"reference\":{\"gene\":\"AAGAB\",\"genes\":[\"AAGAB\",{\"symbol\":\"X\\u00e9\"}]},"
	"\"error\":{\"message\":\"rate limited\"}}",
	"{\"id\":\"c\",\"reference\":{\"gene\":7,\"genes\":{\"symbol\":1}},\"grade\":{\"reward\":1},"
	"\"sample\":{\"output_json\":{\"genes\":[1,\"AAGAB\",null,[],\"\\u0041AGAB\"]},\"output_text\":5}}",
};
#define NLINES (sizeof(lines) / sizeof(*lines))

static struct grader_env env = { NULL, 5.0, 1024, NULL };
static struct json_object *trees[NLINES];
static struct grader *g_default;

static char *grade_tree(const struct grader *g, struct json_object *line)
{
	struct grade_result r;
	struct strbuf sb = STRBUF_INIT;

	grade_result_init(&r);
	grade_line(g, line, &r);
	FZ_CHECK(isfinite(r.reward), "reward %g", r.reward);
	FZ_CHECK(!strcmp(g->type->name, "multi") || (r.reward >= 0 && r.reward <= 1), "reward %g of a %s grader",
		 r.reward, g->type->name);
	grade_put(&sb, g, &r);
	FZ_CHECK(fz_json_strict(sb.buf, sb.len), "grade_put wrote what is not JSON: %.300s", sb.buf);
	grade_result_release(&r);
	return strbuf_detach(&sb, NULL);
}

/* the line through spans, when this grader reads them: the same grade */
static void grade_both(const struct grader *g, const char *text, size_t len, struct json_object *tree)
{
	const char *const *paths = grader_span_paths(g);
	char *want = grade_tree(g, tree);

	if (paths) {
		struct rft_json_paths *ps = rft_json_paths_new(paths, GS_N);
		struct rft_json_span sp[GS_N];
		struct strbuf store = STRBUF_INIT, err = STRBUF_INIT, tmp = STRBUF_INIT, sb = STRBUF_INIT;
		struct grade_result r;
		int rc = rft_json_spans(text, len, ps, sp, &store, &err);

		FZ_CHECK(rc == 0, "the line parsed as a tree but not as spans: %s", err.buf);
		grade_result_init(&r);
		if (grade_line_spans(g, sp, &r, &tmp) == 0) {
			grade_put(&sb, g, &r);
			FZ_CHECK(!strcmp(sb.buf, want), "spans grade %s, tree grade %s", sb.buf, want);
		}
		grade_result_release(&r);
		rft_json_paths_free(ps);
		strbuf_release(&store);
		strbuf_release(&err);
		strbuf_release(&tmp);
		strbuf_release(&sb);
	}
	free(want);
}

static void grade_fixed(const struct grader *g)
{
	size_t i;

	for (i = 0; i < NLINES; i++)
		grade_both(g, lines[i], strlen(lines[i]), trees[i]);
}

static void load_and_grade(struct json_object *o, int input_utf8)
{
	struct strbuf err = STRBUF_INIT;
	struct grader *g = grader_load(o, "fuzz", &env, &err);

	if (!g) {
		FZ_CHECK(err.len > 0, "refused without a message");
		FZ_CHECK(!strncmp(err.buf, "fuzz", 4), "message without where: %s", err.buf);
		FZ_CHECK(!input_utf8 || fz_utf8_valid(err.buf, err.len), "the message is not UTF-8 (D16): %s",
			 err.buf);
	} else {
		FZ_CHECK(err.len == 0, "loaded with a message: %s", err.buf);
		if (!grader_uses_python(g))
			grade_fixed(g);
		grader_free(g);
	}
	strbuf_release(&err);
}

static void setup(void)
{
	size_t i;

	for (i = 0; i < NLINES; i++) {
		struct strbuf err = STRBUF_INIT;

		if (rft_json_parse(lines[i], strlen(lines[i]), &trees[i], &err) < 0) {
			fprintf(stderr, "grader fuzz: line %zu: %s\n", i, err.buf);
			abort();
		}
	}
	g_default = grader_load_file(NULL, &env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct json_object *o = NULL;
	struct strbuf err = STRBUF_INIT;

	if (!g_default)
		setup();
	if (size > 0 && buf[0] == 'F') {
		/* a formula over three sub-graders */
		struct json_object *subs = json_object_new_object(), *m = json_object_new_object();
		struct json_object *a = json_object_new_object(), *b = json_object_new_object();
		struct json_object *c = json_object_new_object();

		json_object_object_add(a, "type", json_object_new_string("gene_rank"));
		json_object_object_add(b, "type", json_object_new_string("string_check"));
		json_object_object_add(b, "input", json_object_new_string("{{sample.output_json.genes.0}}"));
		json_object_object_add(b, "reference", json_object_new_string("{{item.reference.gene}}"));
		json_object_object_add(b, "operation", json_object_new_string("eq"));
		json_object_object_add(c, "type", json_object_new_string("text_similarity"));
		json_object_object_add(c, "input", json_object_new_string("{{sample.output_text}}"));
		json_object_object_add(c, "reference", json_object_new_string("{{item.reference.gene}}"));
		json_object_object_add(c, "evaluation_metric", json_object_new_string("fuzzy_match"));
		json_object_object_add(subs, "a", a);
		json_object_object_add(subs, "b", b);
		json_object_object_add(subs, "c", c);
		json_object_object_add(m, "type", json_object_new_string("multi"));
		json_object_object_add(m, "graders", subs);
		json_object_object_add(m, "calculate_output", json_object_new_string_len(buf + 1, (int)(size - 1)));
		load_and_grade(m, fz_utf8_valid(buf + 1, size - 1) && !memchr(buf + 1, '\0', size - 1));
		json_object_put(m);
		return 0;
	}
	if (size > 0 && buf[0] == 'L') {
		/* a line for the default grader, from spans and from the tree */
		if (rft_json_parse(buf + 1, size - 1, &o, &err) == 0 && json_object_is_type(o, json_type_object))
			grade_both(g_default, buf + 1, size - 1, o);
		json_object_put(o);
		strbuf_release(&err);
		return 0;
	}
	if (rft_json_parse(buf, size, &o, &err) == 0)
		load_and_grade(o, fz_utf8_valid(buf, size));
	json_object_put(o);
	strbuf_release(&err);
	return 0;
}
