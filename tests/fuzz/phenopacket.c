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
	strbuf_init(&j->warn, 0);
	strbuf_init(&j->skip_msg, 0);
	strbuf_add(&j->data, data, size);
	j->source = "fuzz/GENE/x.json";
	j->where = "fuzz";
	j->cohort = "GENE";
	j->document = 1;
	map_job(j);
}

static void release(struct job *j)
{
	size_t i;

	strbuf_release(&j->data);
	strbuf_release(&j->warn);
	strbuf_release(&j->skip_msg);
	for (i = 0; i < j->ares; i++) {
		strbuf_release(&j->res[i].out);
		strbuf_release(&j->res[i].msg);
		free(j->res[i].id);
	}
	free(j->res);
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
	FZ_CHECK(a.nres == b.nres && a.skipped == b.skipped, "results %zu/%d, then %zu/%d",
		 a.nres, a.skipped, b.nres, b.skipped);
	FZ_CHECK(a.skipped ? a.nres == 0 && a.skip_msg.len > 0 : 1, "skipped, yet results or no reason");
	for (i = 0; i < a.nres && i < b.nres; i++) {
		struct result *ra = &a.res[i], *rb = &b.res[i];

		FZ_CHECK(ra->status == rb->status && ra->reason == rb->reason, "status %d/%d, then %d/%d",
			 (int)ra->status, (int)ra->reason, (int)rb->status, (int)rb->reason);
		FZ_CHECK(!strcmp(ra->out.buf, rb->out.buf), "mapped twice: %.300s | %.300s", ra->out.buf, rb->out.buf);
		FZ_CHECK(!strcmp(ra->msg.buf, rb->msg.buf), "mapped twice: '%s' | '%s'", ra->msg.buf, rb->msg.buf);
		if (ra->status == JOB_BAD) {
			FZ_CHECK(ra->msg.len > 0, "a bad record without a message");
			FZ_CHECK(ra->out.len == 0, "a bad record with output");
		} else {
			struct json_object *o = NULL;
			struct strbuf err = STRBUF_INIT;

			FZ_CHECK(ra->status == JOB_OK || ra->msg.len > 0, "rejected without a message");
			if (ra->out.len == 0)
				continue;   /* refused before mapping (unsupported_schema) */
			FZ_CHECK(ra->out.len > 1 && ra->out.buf[ra->out.len - 1] == '\n' &&
				 !memchr(ra->out.buf, '\n', ra->out.len - 1), "the case is not one line");
			FZ_CHECK(fz_json_strict(ra->out.buf, ra->out.len - 1), "the case is not strict JSON (D3): %.300s",
				 ra->out.buf);
			FZ_CHECK(rft_json_parse(ra->out.buf, ra->out.len - 1, &o, &err) == 0, "the case does not parse: %s",
				 err.buf);
			FZ_CHECK(ra->id && rft_json_get_str(o, "id") && !strcmp(rft_json_get_str(o, "id"), ra->id),
				 "the id changed");
			json_object_put(o);
			strbuf_release(&err);
		}
	}
	release(&a);
	release(&b);
	return 0;
}
