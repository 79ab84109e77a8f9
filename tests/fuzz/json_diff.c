/*
 * json_diff.c - fuzz target: the JSON readers against each other.
 *
 * One document (any bytes) goes through every reader of common/json.h:
 *   rft_json_parse (twice in a row, then again after documents that leave
 *     a json-c tokener half-way: state carried from one document to the
 *     next must not change a value or a message),
 *   rft_json_parse_paths with NULL (the whole document) and with a
 *     selection of paths,
 *   rft_json_spans with several paths, each span read with span_type,
 *     span_str, span_num, span_bool, span_next (every element), span_member
 *     and span_put,
 * and they must agree: the same accept or refuse, the same message, the
 * same values (compared with json-c's tree of rft_json_parse).  When
 * rft_json_parse accepts, the document must also be strict JSON (fz.c's
 * own RFC 8259 / UTF-8 check) and a fresh bare json-c tokener must accept
 * it with the same value.  (rftkit may refuse what json-c accepts.)
 */
#include <json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "fuzz.h"

/* documents that end inside a \u escape pair: json-c 0.16 kept the pending
 * high surrogate across json_tokener_reset() (D1) */
static const char *const poisons[] = {
	"[\"\\udbff", "{\"a\":\"\\ud800", "\"\\ud800\\u", "{\"a\":\"\\ud800\\u",
};

static const char *const sel_paths[] = {
	"id", "a", "a.b", "sample.model", "grade.reward", "item.reference.genes", "", NULL
};

static const char *const span_paths[] = {
	"a", "a.b", "a.b.c", "a", "id", "genes", "sample.output_json.genes", "reward", "", "x.y",
};
#define NSPAN (sizeof(span_paths) / sizeof(*span_paths))

struct parsed {
	int rc;
	struct json_object *o;
	char *err;
	char *text;   /* json_put_value of o, when rc == 0 */
};

static void parse(const char *buf, size_t len, struct parsed *p)
{
	struct strbuf err = STRBUF_INIT;

	p->rc = rft_json_parse(buf, len, &p->o, &err);
	FZ_CHECK(p->rc == 0 || p->rc == -1, "rc %d", p->rc);
	FZ_CHECK(p->rc == 0 || err.len > 0, "refused without a message");
	FZ_CHECK(p->rc == -1 || err.len == 0, "accepted with a message: %s", err.buf);
	FZ_CHECK(p->rc == 0 || p->o == NULL, "refused but *out is set");
	p->err = strbuf_detach(&err, NULL);
	p->text = p->rc == 0 ? fz_put(p->o) : NULL;
}

static void parsed_release(struct parsed *p)
{
	json_object_put(p->o);
	free(p->err);
	free(p->text);
}

static void same_parse(const struct parsed *a, const struct parsed *b, const char *what)
{
	FZ_CHECK(a->rc == b->rc, "%s: accept %d vs %d (%s | %s)", what, a->rc, b->rc, a->err, b->err);
	FZ_CHECK(!strcmp(a->err, b->err), "%s: message '%s' vs '%s'", what, a->err, b->err);
	if (a->rc == 0) {
		/* (the texts: json_object_equal says NaN is not NaN) */
		FZ_CHECK(!strcmp(a->text, b->text), "%s: value %s vs %s", what, a->text, b->text);
	}
}

/* a bare json-c tokener, new for this document, as rft_json_parse ought to
 * use it: strict, UTF-8 checked, one value and only white space after it */
static struct json_object *bare_jsonc(const char *buf, size_t len, int *ok)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error e;
	size_t end, i;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	*ok = e == json_tokener_success;
	for (i = end; *ok && i < len; i++)
		if (!strchr(" \t\r\n", buf[i]) || !buf[i])
			*ok = 0;
	json_tokener_free(tok);
	if (!*ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int same_double(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/* one span against the tree's value at the same place */
static void check_span(const struct rft_json_span *sp, struct json_object *v, const char *where)
{
	enum json_type st = rft_json_span_type(sp), vt = json_object_get_type(v);
	struct strbuf a = STRBUF_INIT;
	char *b = fz_put(v);
	double num;

	/* a number is a number; int or double is json-c's business */
	FZ_CHECK(st == vt || ((st == json_type_int || st == json_type_double) &&
			      (vt == json_type_int || vt == json_type_double)),
		 "%s: span type %d, json-c type %d (%s)", where, (int)st, (int)vt, b);
	rft_json_span_put(sp, &a);
	FZ_CHECK(!strcmp(a.buf, b), "%s: span_put %s, json-c %s", where, a.buf, b);
	strbuf_reset(&a);
	if (rft_json_span_str(sp, &a) == 0) {
		FZ_CHECK(vt == json_type_string, "%s: span_str of a %d", where, (int)vt);
		FZ_CHECK(a.len == (size_t)json_object_get_string_len(v) &&
			 !memcmp(a.buf, json_object_get_string(v), a.len),
			 "%s: span_str '%s', json-c '%s'", where, a.buf, json_object_get_string(v));
	} else {
		FZ_CHECK(vt != json_type_string, "%s: span_str refused a string", where);
	}
	if (rft_json_span_num(sp, &num) == 0) {
		FZ_CHECK(vt == json_type_int || vt == json_type_double, "%s: span_num of a %d", where, (int)vt);
		FZ_CHECK(same_double(num, json_object_get_double(v)), "%s: span_num %.17g, json-c %.17g (%s)",
			 where, num, json_object_get_double(v), b);
	} else {
		/* a number too long for span_num's buffer is refused, not misread */
		FZ_CHECK(!(vt == json_type_int || vt == json_type_double) || sp->len >= 400,
			 "%s: span_num refused %s", where, b);
	}
	FZ_CHECK(rft_json_span_bool(sp) == (vt == json_type_boolean && json_object_get_boolean(v)),
		 "%s: span_bool of %s", where, b);
	if (vt == json_type_array) {
		struct rft_json_span e;
		size_t pos = 0, n = 0, len = json_object_array_length(v);

		while (rft_json_span_next(sp, &pos, &e) == 1) {
			char *ev;

			FZ_CHECK(n < len, "%s: span_next gives more than json-c's %zu elements", where, len);
			ev = fz_put(json_object_array_get_idx(v, n));
			strbuf_reset(&a);
			rft_json_span_put(&e, &a);
			FZ_CHECK(!strcmp(a.buf, ev), "%s[%zu]: span_next %s, json-c %s", where, n, a.buf, ev);
			free(ev);
			n++;
		}
		FZ_CHECK(n == len, "%s: span_next gives %zu elements, json-c %zu (%s)", where, n, len, b);
	}
	if (vt == json_type_object) {
		struct json_object_iterator it = json_object_iter_begin(v), end = json_object_iter_end(v);
		const char *fixed[] = { "a", "id", "zz", "" };
		size_t i, k = 0;

		for (i = 0; i < 4 + 16; i++) {
			const char *key;
			struct rft_json_span m;
			struct json_object *mv;
			int rc, has;

			if (i < 4) {
				key = fixed[i];
			} else {
				if (json_object_iter_equal(&it, &end))
					break;
				key = json_object_iter_peek_name(&it);
				json_object_iter_next(&it);
				k++;
			}
			rc = rft_json_span_member(sp, key, &m);
			has = json_object_object_get_ex(v, key, &mv);
			if (rc < 0) {
				FZ_CHECK(memchr(sp->p, '\\', sp->len), "%s: span_member '%s' undecidable without an escape",
					 where, key);
				continue;
			}
			FZ_CHECK(rc == has, "%s: span_member '%s' says %d, json-c %d", where, key, rc, has);
			if (rc == 1) {
				char *mvs = fz_put(mv);

				strbuf_reset(&a);
				rft_json_span_put(&m, &a);
				FZ_CHECK(!strcmp(a.buf, mvs), "%s.%s: span_member %s, json-c %s", where, key, a.buf, mvs);
				free(mvs);
			}
		}
		(void)k;
	}
	strbuf_release(&a);
	free(b);
}

static struct rft_json_paths *spans_set;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct parsed p1, p2, p3, pp;
	struct strbuf err = STRBUF_INIT, store = STRBUF_INIT;
	struct rft_json_span spans[NSPAN];
	struct json_object *o, *ref;
	size_t i;
	int rc, ok;

	if (!spans_set)
		spans_set = rft_json_paths_new(span_paths, NSPAN);

	/* twice in a row: whatever the document before left must not count */
	parse(buf, size, &p1);
	parse(buf, size, &p2);
	same_parse(&p1, &p2, "rft_json_parse, second time");
	for (i = 0; i < sizeof(poisons) / sizeof(*poisons); i++) {
		struct json_object *junk = NULL;

		rft_json_parse(poisons[i], strlen(poisons[i]), &junk, &err);
		json_object_put(junk);
		strbuf_reset(&err);
	}
	parse(buf, size, &p3);
	same_parse(&p2, &p3, "rft_json_parse after a half-parsed \\u escape");

	if (p2.rc == 0) {
		FZ_CHECK(fz_json_strict(buf, size), "rft_json_parse accepted what is not strict JSON (RFC 8259, UTF-8)");
		ref = bare_jsonc(buf, size, &ok);
		FZ_CHECK(ok, "accepted by rft_json_parse, refused by a fresh json-c tokener");
		{
			char *rt = fz_put(ref);

			FZ_CHECK(!strcmp(rt, p2.text), "rft_json_parse %s, bare json-c %s", p2.text, rt);
			FZ_CHECK(json_object_equal(ref, p2.o), "json_object_equal(bare json-c, rft_json_parse) says no");
			free(rt);
		}
		json_object_put(ref);
	}

	/* rft_json_parse_paths: the whole document */
	pp.rc = rft_json_parse_paths(buf, size, NULL, &pp.o, &err);
	pp.err = strbuf_detach(&err, NULL);
	pp.text = pp.rc == 0 ? fz_put(pp.o) : NULL;
	same_parse(&p2, &pp, "rft_json_parse_paths(NULL)");
	parsed_release(&pp);

	/* rft_json_parse_paths: some members; each selected path reads as in the tree */
	rc = rft_json_parse_paths(buf, size, sel_paths, &o, &err);
	FZ_CHECK(rc == p2.rc, "parse_paths(selection) accept %d, parse %d (%s)", rc, p2.rc, err.buf);
	FZ_CHECK(!strcmp(err.buf, p2.err), "parse_paths(selection) message '%s', parse '%s'", err.buf, p2.err);
	for (i = 0; rc == 0 && sel_paths[i]; i++) {
		struct json_object *va, *vb;
		int ha = fz_tree_path(o, sel_paths[i], &va), hb = fz_tree_path(p2.o, sel_paths[i], &vb);

		FZ_CHECK(ha == hb, "parse_paths: '%s' found %d, in the whole tree %d", sel_paths[i], ha, hb);
		if (ha) {
			char *ta = fz_put(va), *tb = fz_put(vb);

			FZ_CHECK(!strcmp(ta, tb), "parse_paths: '%s' is %s, in the whole tree %s", sel_paths[i], ta, tb);
			free(ta);
			free(tb);
		}
	}
	json_object_put(o);
	strbuf_reset(&err);

	/* rft_json_spans */
	rc = rft_json_spans(buf, size, spans_set, spans, &store, &err);
	if (p2.rc < 0) {
		FZ_CHECK(rc == -1, "spans accepted what parse refused (%s)", p2.err);
		FZ_CHECK(!strcmp(err.buf, p2.err), "spans message '%s', parse '%s'", err.buf, p2.err);
	} else if (!p2.o || !json_object_is_type(p2.o, json_type_object)) {
		FZ_CHECK(rc == -1 && err.len, "spans accepted a document that is not an object");
	} else {
		FZ_CHECK(rc == 0, "spans refused what parse accepted: %s", err.buf);
		for (i = 0; i < NSPAN; i++) {
			struct json_object *v;
			int has = fz_tree_path(p2.o, span_paths[i], &v);

			FZ_CHECK(has == (spans[i].p != NULL), "span '%s' found %d, in the tree %d",
				 span_paths[i], spans[i].p != NULL, has);
			if (has)
				check_span(&spans[i], v, span_paths[i]);
		}
	}
	strbuf_release(&err);
	strbuf_release(&store);
	parsed_release(&p1);
	parsed_release(&p2);
	parsed_release(&p3);
	return 0;
}
