/*
 * template.c - fuzz target: the template engine (common/template.h).
 *
 * Any bytes are a template, parsed with and without RFT_TPL_ROLES against
 * rft-prompt's contract plus "item.*".  A template parsed is rendered
 * (every message) against three contexts: a real case, an empty object and
 * one whose members have every wrong type.  rft_tpl_refs and rft_tpl_lookup
 * run over the same text.  Checked: no crash, leak or undefined behaviour;
 * a refusal says "NAME:LINE:COL: why"; a template accepted is valid UTF-8
 * without NUL (D15); a rendered message from valid UTF-8 is valid UTF-8;
 * every message has a known role; refs point into the text.
 */
#include <json.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/template.h"
#include "fuzz.h"

static const char *const names[] = {
	"case.id", "case.pmid", "case.sex", "case.split", "case.fold",
	"case.age.iso8601", "case.age.years",
	"case.age.gestational.weeks", "case.age.gestational.days",
	"case.age.onset.id", "case.age.onset.label",
	"case.age.range.start", "case.age.range.end", "case.age.timestamp",
	"case.age.interval.start", "case.age.interval.end",
	"case.present[].id", "case.present[].label",
	"case.absent[].id", "case.absent[].label",
	"prompt.age", "prompt.sex",
	"prompt.present_count", "prompt.present_omitted", "prompt.absent_count",
	"item.*",
	NULL
};
static const char *const refused[] = {
	"case.genes", "it is the answer",
	"case.diseases", "it gives the answer away",
	NULL
};
static const struct rft_tpl_contract contract = { names, refused };

static const char *const contexts[] = {
	"{\"case\":{\"id\":\"PMID_1_P4\",\"pmid\":\"PMID:1\",\"sex\":\"FEMALE\",\"split\":\"train\",\"fold\":3,"
	"\"age\":{\"iso8601\":\"P3Y\",\"years\":3,\"gestational\":{\"weeks\":30,\"days\":2},"
	"\"onset\":{\"id\":\"HP:0003577\",\"label\":\"Congenital onset\"},\"range\":{\"start\":\"P1Y\",\"end\":\"P2Y\"},"
	"\"timestamp\":\"2020-01-01T00:00:00Z\",\"interval\":{\"start\":\"a\",\"end\":\"b\"}},"
	"\"present\":[{\"id\":\"HP:0000400\",\"label\":\"Macrotia\"},{\"id\":\"HP:0000252\",\"label\":\"Micro\\u00e9\"}],"
	"\"absent\":[{\"id\":\"HP:0000001\",\"label\":\"All\"}],\"genes\":[\"X\"],\"diseases\":[]},"
	"\"prompt\":{\"age\":\"3 years\",\"sex\":\"female\",\"present_count\":2,\"present_omitted\":0,\"absent_count\":1},"
	"\"item\":{\"reference\":{\"genes\":[{\"symbol\":\"AAGAB\"}]},\"a\":{\"b\":[1,{\"c\":\"d\"}]},\"e\":\"\"}}",
	"{}",
	"{\"case\":{\"id\":5,\"pmid\":[],\"sex\":null,\"split\":{},\"fold\":\"x\",\"age\":[],"
	"\"present\":\"not a list\",\"absent\":[1,null,{\"id\":[]},[]]},"
	"\"prompt\":[],\"item\":{\"reference\":null,\"a\":true,\"e\":[[]]}}",
};
#define NCTX (sizeof(contexts) / sizeof(*contexts))

static struct json_object *ctx[NCTX];

static const char *cur_text;
static size_t cur_len;

static void on_ref(void *arg, const char *path, size_t len)
{
	struct json_object *root = arg, *v;
	size_t depth = 0, nseg = 1, i;

	FZ_CHECK(path >= cur_text && path + len <= cur_text + cur_len, "a ref outside the text");
	for (i = 0; i < len; i++)
		nseg += path[i] == '.';
	v = rft_tpl_lookup(root, path, len, &depth);
	FZ_CHECK(depth <= nseg, "lookup depth %zu of a %zu-segment path", depth, nseg);
	FZ_CHECK(!v || depth == nseg, "lookup found a value at depth %zu of %zu", depth, nseg);
}

static void one(const char *text, size_t len, int flags)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct rft_tpl *t = rft_tpl_parse("fuzz.tmpl", text, len, &contract, flags, &err);
	size_t i, k, n;

	if (!t) {
		FZ_CHECK(err.len > 0, "refused without a message");
		FZ_CHECK(!strncmp(err.buf, "fuzz.tmpl:", 10), "message without the name: %s", err.buf);
		strbuf_release(&err);
		return;
	}
	FZ_CHECK(err.len == 0, "accepted with a message: %s", err.buf);
	FZ_CHECK(!memchr(text, '\0', len), "a template with a NUL byte was accepted");
	FZ_CHECK(fz_utf8_valid(text, len), "a template that is not UTF-8 was accepted (D15)");
	n = rft_tpl_count(t);
	FZ_CHECK(n >= 1, "a template of %zu messages", n);
	for (i = 0; i < n; i++) {
		const char *role = rft_tpl_role(t, i);

		FZ_CHECK(role && (!strcmp(role, "user") || !strcmp(role, "system") ||
				  !strcmp(role, "developer") || !strcmp(role, "assistant")),
			 "message %zu has role '%s'", i, role ? role : "(null)");
		FZ_CHECK(flags & RFT_TPL_ROLES || !strcmp(role, "user"), "a role without RFT_TPL_ROLES");
		for (k = 0; k < NCTX; k++) {
			strbuf_reset(&out);
			strbuf_reset(&err);
			if (rft_tpl_render(t, i, ctx[k], &out, &err) < 0) {
				FZ_CHECK(err.len > 0, "render failed without a message");
				continue;
			}
			FZ_CHECK(err.len == 0, "rendered with a message: %s", err.buf);
			FZ_CHECK(fz_utf8_valid(out.buf, out.len), "context %zu: the rendering is not UTF-8", k);
		}
	}
	rft_tpl_free(t);
	strbuf_release(&err);
	strbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	size_t k, depth;

	if (!text)
		abort();
	if (!ctx[0]) {
		for (k = 0; k < NCTX; k++) {
			struct strbuf err = STRBUF_INIT;

			if (rft_json_parse(contexts[k], strlen(contexts[k]), &ctx[k], &err) < 0) {
				fprintf(stderr, "template fuzz: context %zu: %s\n", k, err.buf);
				abort();
			}
		}
	}
	memcpy(text, data, size);
	text[size] = '\0';
	one(text, size, 0);
	one(text, size, RFT_TPL_ROLES);
	/* refs in the text (a C string: up to a NUL) and lookups of them */
	cur_text = text;
	cur_len = strlen(text);
	for (k = 0; k < NCTX; k++) {
		struct json_object *item = rft_json_get(ctx[k], "item");

		rft_tpl_refs(text, "item", on_ref, item);
		rft_tpl_refs(text, "case", on_ref, rft_json_get(ctx[k], "case"));
		/* the whole input as a path */
		(void)rft_tpl_lookup(ctx[k], text, size, &depth);
	}
	free(text);
	return 0;
}
