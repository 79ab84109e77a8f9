/*
 * phenopacket.c - fuzz target: rft-extract's phenopacket -> case mapping
 * (map_job in filters/extract.c, static: the filter's source is included
 * with its main renamed).
 *
 * Any bytes are one phenopacket document in memory, mapped twice (the
 * second time after documents that leave a json-c tokener half-way, D1).
 * Checked: both mappings agree; a bad record has a message and no output;
 * a rejected one has a message; a case written is one line of strict JSON
 * (RFC 8259, valid UTF-8: D3) whose id is the phenopacket's.
 */
#define main extract_main
#include "../../filters/extract.c"
#undef main

#include "fuzz.h"

static const char *const poisons[] = {
	"[\"\\udbff", "{\"a\":\"\\ud800", "\"\\ud800\\u", "{\"a\":\"\\ud800\\u",
};

static void map(const uint8_t *data, size_t size, struct job *j)
{
	memset(j, 0, sizeof(*j));
	strbuf_init(&j->data, 0);
	strbuf_init(&j->out, 0);
	strbuf_init(&j->msg, 0);
	strbuf_add(&j->data, data, size);
	j->source = "fuzz/GENE/x.json";
	j->where = "fuzz";
	j->cohort = "GENE";
	map_job(j);
}

static void release(struct job *j)
{
	strbuf_release(&j->data);
	strbuf_release(&j->out);
	strbuf_release(&j->msg);
	free(j->id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job a, b;
	size_t i;

	map(data, size, &a);
	for (i = 0; i < sizeof(poisons) / sizeof(*poisons); i++) {
		struct json_object *junk = NULL;
		struct strbuf err = STRBUF_INIT;

		rft_json_parse(poisons[i], strlen(poisons[i]), &junk, &err);
		json_object_put(junk);
		strbuf_release(&err);
	}
	map(data, size, &b);
	FZ_CHECK(a.status == b.status && a.reason == b.reason, "status %d/%d, then %d/%d",
		 (int)a.status, (int)a.reason, (int)b.status, (int)b.reason);
	FZ_CHECK(!strcmp(a.out.buf, b.out.buf), "mapped twice: %.300s | %.300s", a.out.buf, b.out.buf);
	FZ_CHECK(!strcmp(a.msg.buf, b.msg.buf), "mapped twice: '%s' | '%s'", a.msg.buf, b.msg.buf);
	if (a.status == JOB_BAD) {
		FZ_CHECK(a.msg.len > 0, "a bad record without a message");
		FZ_CHECK(a.out.len == 0, "a bad record with output");
	} else {
		struct json_object *o = NULL, *in = NULL;
		struct strbuf err = STRBUF_INIT;

		FZ_CHECK(a.status == JOB_OK || a.msg.len > 0, "rejected without a message");
		FZ_CHECK(a.out.len > 1 && a.out.buf[a.out.len - 1] == '\n' &&
			 !memchr(a.out.buf, '\n', a.out.len - 1), "the case is not one line");
		FZ_CHECK(fz_json_strict(a.out.buf, a.out.len - 1), "the case is not strict JSON (D3): %.300s",
			 a.out.buf);
		FZ_CHECK(rft_json_parse(a.out.buf, a.out.len - 1, &o, &err) == 0, "the case does not parse: %s",
			 err.buf);
		FZ_CHECK(rft_json_parse((const char *)data, size, &in, &err) == 0, "mapped what does not parse");
		FZ_CHECK(a.id && !strcmp(a.id, rft_json_get_str(in, "id")) &&
			 rft_json_get_str(o, "id") && !strcmp(rft_json_get_str(o, "id"), a.id), "the id changed");
		json_object_put(o);
		json_object_put(in);
		strbuf_release(&err);
	}
	release(&a);
	release(&b);
	return 0;
}
