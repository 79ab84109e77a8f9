/*
 * Unit tests of filters/common: prints "ok - what" / "not ok - what" lines
 * that tests/run.sh numbers into its TAP stream.  Exit 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/fuse.h"
#include "common/grader.h"
#include "common/hgnc.h"
#include "common/input.h"
#include "common/json.h"
#include "common/output.h"
#include "common/rankmodel.h"
#include "common/records.h"
#include "common/sha256.h"
#include "common/stats.h"
#include "common/template.h"
#include "common/strbuf.h"
#include "common/util.h"

static int failed;

#define CHECK(cond, what) do { \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s\n# at %s:%d: %s\n", what, __FILE__, __LINE__, #cond); failed = 1; } \
} while (0)

static char tmpdir[] = "/tmp/rft-unit.XXXXXX";

static char *path_in_tmp(const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", tmpdir, name);
	return strbuf_detach(&sb, NULL);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	if (!fp || fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
		die(70, "cannot write '%s':", path);
}

static void write_gz(const char *path, const char *mode, const char *data)
{
	gzFile gz = gzopen(path, mode);

	if (!gz || gzputs(gz, data) < 0 || gzclose(gz) != Z_OK)
		die(70, "cannot write '%s'", path);
}

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	size_t len;
	int i;

	CHECK(sb.len == 0 && sb.buf[0] == '\0' && sb.alloc == 0, "strbuf: STRBUF_INIT is empty and allocates nothing");
	strbuf_addstr(&sb, "abc");
	strbuf_addch(&sb, 'd');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	CHECK(!strcmp(sb.buf, "abcd42-x") && sb.len == 8, "strbuf: add, addch, addf");
	for (i = 0; i < 10000; i++)
		strbuf_addch(&sb, 'z');
	CHECK(sb.len == 10008 && sb.buf[sb.len] == '\0', "strbuf: grows and stays NUL-terminated");
	strbuf_reset(&sb);
	CHECK(sb.len == 0 && sb.buf[0] == '\0', "strbuf: reset");
	strbuf_addstr(&sb, "keep");
	p = strbuf_detach(&sb, &len);
	CHECK(!strcmp(p, "keep") && len == 4 && sb.len == 0 && sb.alloc == 0, "strbuf: detach hands over the buffer");
	free(p);
	p = strbuf_detach(&sb, NULL);
	CHECK(p && p[0] == '\0', "strbuf: detach of an empty buffer gives a freeable empty string");
	free(p);
	strbuf_release(&sb);
}

static void test_json_out(void)
{
	struct strbuf sb = STRBUF_INIT;

	json_put_strn(&sb, "a\"b\\c\n\t\x01/\xc3\xa9", 11);
	CHECK(!strcmp(sb.buf, "\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa9\""), "json: string escaping matches Python's json.dumps(ensure_ascii=False)");
	strbuf_reset(&sb);
	json_put_fixed(&sb, 2.25, 3);
	strbuf_addch(&sb, ' ');
	json_put_fixed(&sb, 6.0, 3);
	strbuf_addch(&sb, ' ');
	json_put_fixed(&sb, 10 / 365.25, 3);
	strbuf_addch(&sb, ' ');
	json_put_fixed(&sb, -0.0001, 3);
	CHECK(!strcmp(sb.buf, "2.25 6 0.027 0"), "json: fixed-point numbers without trailing zeros");
	strbuf_release(&sb);
}

/* json_put_fixed against its definition: printf's %.*f, trailing zeros cut */
static void test_json_fixed(void)
{
	static const double vals[] = { 0, -0.0, 1, -1, 0.5, 0.25, 0.125, 1.0 / 3, 2.0 / 3, 0.1, 0.2, 0.3,
		0.05, 0.0000005, 0.0000015, 1e-7, 123456.5, 999999999.0, 1e12, -0.25, 0.999999, 0.9999995, 42 };
	uint64_t x = 88172645463325252ULL;
	int ok = 1, d;
	size_t i;

	for (d = 0; d <= 9; d++)
		for (i = 0; i < sizeof(vals) / sizeof(*vals) + 2000; i++) {
			double v;
			char ref[64];
			int n;
			struct strbuf sb = STRBUF_INIT;

			if (i < sizeof(vals) / sizeof(*vals)) {
				v = vals[i];
			} else {  /* xorshift: rewards 1/k, k/n and random */
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				v = i % 3 == 0 ? 1.0 / (double)(x % 50 + 1) :
				    i % 3 == 1 ? (double)(x % 1000) / (double)(x % 7 + 1) :
				    (double)(x >> 11) / 9007199254740992.0;
			}
			n = snprintf(ref, sizeof(ref), "%.*f", d, v);
			if (strchr(ref, '.')) {
				while (n > 0 && ref[n - 1] == '0')
					n--;
				if (n > 0 && ref[n - 1] == '.')
					n--;
			}
			ref[n] = '\0';
			if (!strcmp(ref, "-0"))
				strcpy(ref, "0");
			json_put_fixed(&sb, v, d);
			if (strcmp(sb.buf, ref)) {
				if (ok)
					printf("# json_put_fixed(%.17g, %d) = %s, printf gives %s\n", v, d, sb.buf, ref);
				ok = 0;
			}
			strbuf_release(&sb);
		}
	CHECK(ok, "json: json_put_fixed writes what printf's %.*f gives, trailing zeros cut");
}

static void test_json_in(void)
{
	struct strbuf err = STRBUF_INIT;
	struct json_object *o;
	int r;

	r = rft_json_parse("{\"a\": [1, 2]}\n", 14, &o, &err);
	CHECK(r == 0 && o && json_object_is_type(o, json_type_object), "json: parses an object");
	json_object_put(o);

	r = rft_json_parse("{\n \"a\": 1,\n \"b\": }", 18, &o, &err);
	CHECK(r < 0 && strstr(err.buf, "line 3"), "json: error names the line");
	strbuf_reset(&err);

	r = rft_json_parse("{\"a\": \"\xff\"}", 10, &o, &err);
	CHECK(r < 0 && strstr(err.buf, "UTF-8"), "json: invalid UTF-8 is refused");
	strbuf_reset(&err);

	r = rft_json_parse("{\"a\": 1} x", 10, &o, &err);
	CHECK(r < 0 && strstr(err.buf, "column 10"), "json: trailing data is refused, with its column");
	strbuf_reset(&err);

	r = rft_json_parse("{\"a\": 1", 7, &o, &err);
	CHECK(r < 0, "json: a truncated document is refused");
	strbuf_reset(&err);

	r = rft_json_parse("   ", 3, &o, &err);
	CHECK(r < 0 && strstr(err.buf, "empty"), "json: empty input is refused");
	strbuf_release(&err);
	rft_json_thread_done();
}

/* a and b.c of o as JSON text */
static void cut_ab(struct strbuf *sb, struct json_object *o)
{
	struct json_object *v, *b;

	if (json_object_object_get_ex(o, "a", &v))
		json_put_value(sb, v);
	strbuf_addch(sb, '|');
	if (json_object_object_get_ex(o, "b", &b) && json_object_object_get_ex(b, "c", &v))
		json_put_value(sb, v);
}

/* rft_json_parse_paths: accepts and refuses exactly what rft_json_parse does,
 * and builds the members selected as rft_json_parse would */
/* the value at a dotted path of a tree as compact JSON into sb; 0 absent */
static int tree_at(struct json_object *o, const char *path, struct strbuf *sb)
{
	char part[64];

	for (;;) {
		size_t n = strcspn(path, ".");

		if (!o || !json_object_is_type(o, json_type_object) || n >= sizeof(part))
			return 0;
		memcpy(part, path, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(o, part, &o))
			return 0;
		if (!path[n])
			break;
		path += n + 1;
	}
	json_put_value(sb, o);
	return 1;
}

static int spans_agree(const char *const *docs, size_t ndocs)
{
	static const char *const paths[] = { "a", "b.c", "b", "a" };
	struct rft_json_paths *ps = rft_json_paths_new(paths, 4);
	struct rft_json_span sp[4];
	struct strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT, t1 = STRBUF_INIT, t2 = STRBUF_INIT,
		store = STRBUF_INIT;
	size_t i, k;
	int ok = 1;

	for (i = 0; i < ndocs; i++) {
		struct json_object *full = NULL;
		int r1, r2;

		strbuf_reset(&e1);
		strbuf_reset(&e2);
		r1 = rft_json_parse(docs[i], strlen(docs[i]), &full, &e1);
		if (r1 == 0 && !json_object_is_type(full, json_type_object)) {
			r1 = -1;
			strbuf_addf(&e1, "expected a JSON object, got %s", rft_json_type_name(full));
		}
		r2 = rft_json_spans(docs[i], strlen(docs[i]), ps, sp, &store, &e2);
		if (r1 != r2 || strcmp(e1.buf, e2.buf)) {
			printf("# doc %zu: parse %d '%s', spans %d '%s'\n", i, r1, e1.buf, r2, e2.buf);
			ok = 0;
		}
		for (k = 0; r1 == 0 && r2 == 0 && k < 4; k++) {
			int h1, h2 = sp[k].p != NULL;

			strbuf_reset(&t1);
			strbuf_reset(&t2);
			h1 = tree_at(full, paths[k], &t1);
			if (h2)
				rft_json_span_put(&sp[k], &t2);
			if (h1 != h2 || strcmp(t1.buf, t2.buf)) {
				printf("# doc %zu, %s: tree %d %s, span %d %s\n", i, paths[k], h1, t1.buf, h2, t2.buf);
				ok = 0;
			}
		}
		json_object_put(full);
	}
	rft_json_paths_free(ps);
	strbuf_release(&e1);
	strbuf_release(&e2);
	strbuf_release(&t1);
	strbuf_release(&t2);
	strbuf_release(&store);
	return ok;
}

/* the strict rule (D3): every reader accepts and refuses the same objects,
 * with the same message naming the column and what is wrong */
static void test_json_strict(void)
{
	static const struct { const char *doc; size_t len; const char *why; int col; } t[] = {
		{ "{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xef\xbf\xbf\"}", 0, NULL, 0 },
		{ "{\"a\":\"\\u0000\\u001f\\ud83d\\ude00\\uDBFF\\uDFFF\\ufffd\"}", 0, NULL, 0 },
		{ "{\"a\":[0,-0,0.5,-1.5e-3,1E+2,2e0,9223372036854775807,-9223372036854775808]}", 0, NULL, 0 },
		{ "{\"a\":18446744073709551615,\"b\":12345678901234567890}", 0, NULL, 0 },
		{ "{\"a\":\"\x7f\"}", 0, NULL, 0 },
		{ "{\"a\":\"\xc0\xaf\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":[\"\xed\xa0\x80\",1]}", 0, "invalid UTF-8", 8 },
		{ "{\"a\":\"\xc1\xbf\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xe0\x80\xaf\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xf0\x80\x80\xaf\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"x\xed\xbf\xbf\"}", 0, "invalid UTF-8", 8 },
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xf5\x80\x80\x80\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xff\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\x80\"}", 0, "invalid UTF-8", 7 },
		{ "{\"a\":\"\xc3\"}", 0, "invalid UTF-8", 7 },
		{ "{\"\xc0\xaf\":1}", 0, "invalid UTF-8", 3 },
		{ "{\"a\":\"x\x01y\"}", 0, "control character in a string", 8 },
		{ "{\"a\":\"\x1f\"}", 0, "control character in a string", 7 },
		{ "{\"a\":\"tab\there\"}", 0, "control character in a string", 10 },
		{ "{\"a\":\"x\ny\"}", 0, "line 1, column 8: control character in a string", 0 },
		{ "{\"a\x02\":1}", 0, "control character in a string", 4 },
		{ "{\"a\":NaN}", 0, "NaN and Infinity are not JSON numbers", 6 },
		{ "{\"a\":Infinity}", 0, "NaN and Infinity are not JSON numbers", 6 },
		{ "{\"a\":-Infinity}", 0, "NaN and Infinity are not JSON numbers", 6 },
		{ "{\"a\":[1,NaN]}", 0, "NaN and Infinity are not JSON numbers", 9 },
		{ "{\"a\":00}", 0, "number with a leading zero", 7 },
		{ "{\"a\":-00}", 0, "number with a leading zero", 8 },
		{ "{\"a\":01}", 0, "number with a leading zero", 7 },
		{ "{\"a\":1.}", 0, "number expected (a digit after '.')", 8 },
		{ "{\"a\":1.e5}", 0, "number expected (a digit after '.')", 8 },
		{ "{\"a\":.5}", 0, "unexpected character", 6 },
		{ "{\"a\":1e}", 0, "number expected", 8 },
		{ "{\"a\":1e+}", 0, "number expected", 9 },
		{ "{\"a\":+1}", 0, "unexpected character", 6 },
		{ "{\"a\":18446744073709551616}", 0, "integer out of the 64-bit range", 6 },
		{ "{\"a\":-9223372036854775809}", 0, "integer out of the 64-bit range", 6 },
		{ "{\"a\":123456789012345678901234567890}", 0, "integer out of the 64-bit range", 6 },
		{ "{\"a\":\"\\ud800\"}", 0, "unpaired surrogate escape", 7 },
		{ "{\"a\":\"x\\ud800y\"}", 0, "unpaired surrogate escape", 8 },
		{ "{\"a\":\"\\ud800\\u0041\"}", 0, "unpaired surrogate escape", 7 },
		{ "{\"a\":\"\\udc00\"}", 0, "unpaired surrogate escape", 7 },
		{ "{\"a\":\"\\ude00\\ud83d\"}", 0, "unpaired surrogate escape", 7 },
		{ "{\"\\ud800\":1}", 0, "unpaired surrogate escape", 3 },
		{ "{\"a\":1}\x00", 8, "unexpected data after the JSON value", 8 },
		{ "{\"a\":1} \x00 ", 10, "unexpected data after the JSON value", 9 },
		{ "{\"a\":\"x\x00y\"}", 11, "control character in a string", 8 },
		{ "{\"a\":1}\x0b", 0, "unexpected character", 8 },
		{ "\x0c{\"a\":1}", 0, "unexpected character", 1 },
	};
	static const char *const sel[] = { "a", NULL };
	static const char *const span_paths[] = { "a" };
	struct rft_json_paths *ps = rft_json_paths_new(span_paths, 1);
	struct rft_json_span sp[1];
	struct strbuf e[4], store = STRBUF_INIT, want = STRBUF_INIT;
	size_t i, k;
	int agree = 1, right = 1;

	for (k = 0; k < 4; k++)
		strbuf_init(&e[k], 0);
	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		const char *d = t[i].doc;
		size_t len = t[i].len ? t[i].len : strlen(d);
		struct json_object *o[3] = { NULL, NULL, NULL };
		int r[4];

		for (k = 0; k < 4; k++)
			strbuf_reset(&e[k]);
		r[0] = rft_json_parse(d, len, &o[0], &e[0]);
		r[1] = rft_json_parse_paths(d, len, sel, &o[1], &e[1]);
		r[2] = rft_json_parse_paths(d, len, NULL, &o[2], &e[2]);
		r[3] = rft_json_spans(d, len, ps, sp, &store, &e[3]);
		for (k = 1; k < 4; k++)
			if (r[k] != r[0] || strcmp(e[k].buf, e[0].buf)) {
				printf("# doc %zu: reader %zu: %d '%s', rft_json_parse %d '%s'\n", i, k, r[k],
				       e[k].buf, r[0], e[0].buf);
				agree = 0;
			}
		strbuf_reset(&want);
		if (t[i].col)
			strbuf_addf(&want, "invalid JSON at column %d: %s", t[i].col, t[i].why);
		else if (t[i].why)
			strbuf_addf(&want, "invalid JSON at %s", t[i].why);
		if (t[i].why ? r[0] == 0 || strncmp(e[0].buf, want.buf, want.len) : r[0] != 0) {
			printf("# doc %zu: rc %d '%s', want '%s'\n", i, r[0], e[0].buf, t[i].why ? want.buf : "accepted");
			right = 0;
		}
		for (k = 0; k < 3; k++)
			json_object_put(o[k]);
	}
	CHECK(right, "json strict: overlong/surrogate/past-U+10FFFF UTF-8, raw control characters, NaN, 00, 1., "
	      "unpaired surrogate escapes, integers past 64 bits, NUL after the value refused, with their column");
	CHECK(agree, "json strict: rft_json_parse, rft_json_parse_paths and rft_json_spans accept and refuse alike, "
	      "with the same message");
	for (k = 0; k < 4; k++)
		strbuf_release(&e[k]);
	strbuf_release(&store);
	strbuf_release(&want);
	rft_json_paths_free(ps);
	rft_json_thread_done();
}

static char *read_testdata(const char *name, size_t *len)
{
	const char *top = getenv("top");
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *fp;

	strbuf_addf(&path, "%s/testdata/robustness/%s", top ? top : ".", name);
	fp = fopen(path.buf, "rb");
	strbuf_release(&path);
	if (!fp)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&text, buf, n);
	fclose(fp);
	*len = text.len;
	return strbuf_detach(&text, NULL);
}

/* a document, parsed: its compact JSON, or its error message */
static void parse_put(const char *d, size_t len, struct strbuf *out)
{
	struct json_object *o;

	strbuf_reset(out);
	if (rft_json_parse(d, len, &o, out) == 0)
		json_put_value(out, o);
	json_object_put(o);
}

/* D1: a document parses the same after a refused one that ended inside a
 * surrogate pair (json-c's reset kept the pending half) */
static void test_json_tokener_state(void)
{
	static const char first[] = "{\"a\":\"\\ud800\\u", second[] = "{\"a\":\"\\u0041 caf\\u00e9\"}";
	struct strbuf fresh = STRBUF_INIT, after = STRBUF_INIT, e = STRBUF_INIT;
	struct json_object *o;
	size_t n1 = 0, n2 = 0;
	char *f1 = read_testdata("json-diff-poison-first.json", &n1);
	char *f2 = read_testdata("json-diff-poison-second.json", &n2);
	int ok;

	rft_json_thread_done();
	parse_put(second, strlen(second), &fresh);
	ok = rft_json_parse(first, strlen(first), &o, &e) < 0;
	parse_put(second, strlen(second), &after);
	ok = ok && !strcmp(fresh.buf, "{\"a\":\"A caf\xc3\xa9\"}") && !strcmp(after.buf, fresh.buf);
	if (!ok)
		printf("# fresh %s, after a bad document %s\n", fresh.buf, after.buf);
	if (f1 && f2) {
		rft_json_thread_done();
		parse_put(f2, n2, &fresh);
		parse_put(f1, n1, &e);
		parse_put(f2, n2, &after);
		if (strcmp(fresh.buf, after.buf)) {
			printf("# json-diff-poison-second.json: fresh %s, after the first %s\n", fresh.buf, after.buf);
			ok = 0;
		}
	} else {
		printf("# no testdata/robustness/json-diff-poison-*.json\n");
		ok = 0;
	}
	CHECK(ok, "json: a refused document leaves nothing in the tokener for the next one (D1)");
	free(f1);
	free(f2);
	strbuf_release(&fresh);
	strbuf_release(&after);
	strbuf_release(&e);
	rft_json_thread_done();
}

/* D2, D4: span_next sees the elements json-c sees (also when the values
 * come from json-c, an escaped key); span_num reads numbers as json-c */
static void test_json_span_values(void)
{
	static const char *const docs[] = {
		"{\"a\":[\"\xc3\xa9\",1,{\"b\":[2,\"\xf0\x9f\x98\x80\"]},[],\"x\\u00e9\"]}",
		"{\"\\u0061\":[\"\xc3\xa9\",1,{\"b\":[2]},null]}",
		"{\"a\":[]}",
	};
	static const char *const nums[] = {
		"0", "-0", "1.5", "-2.5e-3", "9007199254740993", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "12345678901234567890", "18446744073709551615", "1e400", "123456789012345678",
	};
	static const char *const span_paths[] = { "a" };
	struct rft_json_paths *ps = rft_json_paths_new(span_paths, 1);
	struct rft_json_span sp[1];
	struct strbuf store = STRBUF_INIT, e = STRBUF_INIT, d = STRBUF_INIT;
	size_t i, n = 0;
	int elems = 1, numbers = 1, refused;
	char *f = read_testdata("json-diff-span-next-surrogate.json", &n);

	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		struct json_object *o, *a;
		struct rft_json_span el;
		size_t pos = 0, count = 0;

		if (rft_json_parse(docs[i], strlen(docs[i]), &o, &e) < 0 ||
		    rft_json_spans(docs[i], strlen(docs[i]), ps, sp, &store, &e) < 0) {
			printf("# doc %zu: %s\n", i, e.buf);
			elems = 0;
			continue;
		}
		json_object_object_get_ex(o, "a", &a);
		while (rft_json_span_next(&sp[0], &pos, &el))
			count++;
		if (count != json_object_array_length(a)) {
			printf("# doc %zu: span_next %zu elements, json-c %zu\n", i, count, json_object_array_length(a));
			elems = 0;
		}
		json_object_put(o);
	}
	/* the fuzzer's smallest case: a span of elements that ended early */
	strbuf_reset(&e);
	refused = f && rft_json_spans(f, n, ps, sp, &store, &e) < 0 && strstr(e.buf, "invalid UTF-8");
	if (!refused)
		printf("# json-diff-span-next-surrogate.json: %s\n", f ? e.buf : "missing");
	for (i = 0; i < sizeof(nums) / sizeof(*nums); i++) {
		struct json_object *o, *a;
		double v = -1;

		strbuf_reset(&d);
		strbuf_addf(&d, "{\"a\":%s}", nums[i]);
		if (rft_json_parse(d.buf, d.len, &o, &e) < 0 || rft_json_spans(d.buf, d.len, ps, sp, &store, &e) < 0 ||
		    rft_json_span_num(&sp[0], &v) < 0) {
			printf("# %s: %s\n", nums[i], e.buf);
			numbers = 0;
			continue;
		}
		json_object_object_get_ex(o, "a", &a);
		if (memcmp(&v, &(double){ json_object_get_double(a) }, sizeof(v))) {
			printf("# %s: span_num %.17g, json-c %.17g\n", nums[i], v, json_object_get_double(a));
			numbers = 0;
		}
		json_object_put(o);
	}
	CHECK(elems && refused, "json spans: span_next yields the elements json-c has; a surrogate in UTF-8 is refused (D2)");
	CHECK(numbers, "json spans: span_num gives json-c's double, huge integers included (D4)");
	free(f);
	strbuf_release(&store);
	strbuf_release(&e);
	strbuf_release(&d);
	rft_json_paths_free(ps);
	rft_json_thread_done();
}

/* a member of an object span: the last of repeated keys, never a nested
 * one, and "ask json-c" (-1) when a key is escaped */
static void test_json_span_member(void)
{
	static const struct { const char *obj, *want; int rc; } t[] = {
		{ "{\"c\":1,\"d\":2}", "1", 1 },
		{ "{ \"d\" : null , \"c\" : \"t\\\"q\" }", "\"t\\\"q\"", 1 },
		{ "{\"c\":1,\"c\":[2, {\"c\":3}]}", "[2, {\"c\":3}]", 1 },
		{ "{\"x\":{\"c\":5}}", NULL, 0 },
		{ "{\"cc\":1,\"C\":2}", NULL, 0 },
		{ "{}", NULL, 0 },
		{ "[{\"c\":1}]", NULL, 0 },
		{ "\"c\"", NULL, 0 },
		{ "{\"\\u0063\":1}", NULL, -1 },
	};
	size_t i;
	int ok = 1;

	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		struct rft_json_span obj = { t[i].obj, strlen(t[i].obj) }, m = { NULL, 0 };
		int rc = rft_json_span_member(&obj, "c", &m);

		if (rc != t[i].rc || (rc == 1 && (m.len != strlen(t[i].want) || memcmp(m.p, t[i].want, m.len)))) {
			printf("# %s: rc %d (want %d) '%.*s'\n", t[i].obj, rc, t[i].rc, (int)m.len, m.p ? m.p : "");
			ok = 0;
		}
	}
	CHECK(ok, "json spans: an object's member found as json-c finds it (the last of repeated keys)");
}

/* fuzzy_match's bit-vector LCS against the plain dynamic programme, on
 * random texts over a few letters (many matches) and a few multi-byte code
 * points, lengths across the 64-bit word edges */
static size_t lcs_plain(const uint32_t *x, size_t n, const uint32_t *y, size_t m)
{
	size_t *row = calloc(m + 1, sizeof(*row)), i, j, v;

	for (i = 1; i <= n; i++) {
		size_t diag = 0;

		for (j = 1; j <= m; j++) {
			size_t up = row[j];

			row[j] = x[i - 1] == y[j - 1] ? diag + 1 : (row[j] > row[j - 1] ? row[j] : row[j - 1]);
			diag = up;
		}
	}
	v = row[m];
	free(row);
	return v;
}

static void test_fuzzy(void)
{
	static const char *const alphabet[] = { "a", "b", "c", "K", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80" };
	static const size_t lens[] = { 0, 1, 2, 63, 64, 65, 127, 128, 129, 200, 300 };
	struct rft_rng rng;
	size_t t, nl = sizeof(lens) / sizeof(*lens);
	int ok = 1;
	char *big;

	rft_rng_seed(&rng, 7);
	for (t = 0; t < 400; t++) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		uint32_t x[400], y[400];
		size_t n = lens[t % nl], m = lens[(t / nl) % nl], i, lcs;
		double want, got;
		int span = 2 + (int)(t % 6);

		for (i = 0; i < n; i++) {
			x[i] = (uint32_t)(rft_rng_below(&rng, (uint64_t)span));
			strbuf_addstr(&a, alphabet[x[i]]);
		}
		for (i = 0; i < m; i++) {
			y[i] = (uint32_t)(rft_rng_below(&rng, (uint64_t)span));
			strbuf_addstr(&b, alphabet[y[i]]);
		}
		lcs = lcs_plain(x, n, y, m);
		want = n + m ? 2.0 * (double)lcs / (double)(n + m) : 1;
		got = grade_fuzzy_ratio(a.buf, b.buf);
		if (fabs(got - want) > 1e-12) {
			printf("# fuzzy %zu x %zu over %d letters: %.9f, the plain LCS gives %.9f\n", n, m, span, got, want);
			ok = 0;
		}
		strbuf_release(&a);
		strbuf_release(&b);
	}
	CHECK(ok, "fuzzy_match: the bit-vector LCS equals the plain one on 400 random pairs");
	/* texts too long to compare: refused, not hours of work */
	big = malloc(200001);
	memset(big, 'a', 200000);
	big[200000] = '\0';
	CHECK(grade_fuzzy_ratio(big, big) < 0 && grade_fuzzy_ratio(big, "abc") > 0,
	      "fuzzy_match: two texts of 200,000 code points are refused; one long and one short are compared");
	free(big);
}

static void test_json_paths(void)
{
	static const char *const docs[] = {
		"{\"a\":1,\"b\":{\"c\":[1,2.50,-0,1e5,\"x\"],\"d\":\"long text\"},\"e\":true}",
		"{\"a\":\"\\u00e9\\n\",\"b\":{\"c\":null}}",
		"{\"a\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}",
		"{\"a\":12345678901234567890,\"b\":{}}",
		"{\"a\":-1.5E-3,\"a\":2}",
		"{\"b\\u0041\":1,\"a\":[]}",
		" {\"a\" : [ ] , \"b\" : { \"c\" : { } } } ",
		"{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}",
		"{\"a\":\"\\uZZZZ\"}", "{\"a\":\"\\x\"}", "{\"a\":\"tab\there\"}", "{\"a\":[1,]}",
		"{\"a\":{\"b\":}}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xff\"}", "{\"a\":1} x", "{\"a\":1", "{\"a\" 1}",
		"{\"a\":1,}", "{,}", "{\"b\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		"{\"b\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		"{\"b\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		"[1]", "\"a\"", "",
		"{\"b\":{\"c\":1},\"b\":{\"d\":2}}", "{\"b\":{\"c\":1},\"b\":5}", "{\"b\":{\"c\":\"t\\\"q\"}}",
		"{\"b\":{\"c\":[1, {\"x\" : 2}]}}",
	};
	static const char *const sel[] = { "a", "b.c", NULL };
	struct strbuf e1 = STRBUF_INIT, e2 = STRBUF_INIT, t1 = STRBUF_INIT, t2 = STRBUF_INIT;
	size_t i;
	int same = 1, built = 1, whole = 1;

	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		struct json_object *full = NULL, *part = NULL;
		int r1, r2;

		strbuf_reset(&e1);
		strbuf_reset(&e2);
		r1 = rft_json_parse(docs[i], strlen(docs[i]), &full, &e1);
		r2 = rft_json_parse_paths(docs[i], strlen(docs[i]), sel, &part, &e2);
		if (r1 != r2 || strcmp(e1.buf, e2.buf)) {
			printf("# doc %zu: parse %d '%s', parse_paths %d '%s'\n", i, r1, e1.buf, r2, e2.buf);
			same = 0;
		}
		if (r1 == 0 && r2 == 0 && json_object_is_type(full, json_type_object)) {
			/* the members at a and b.c are those of the full parse (an
			 * escaped key makes it fall back to the full parse: more is fine) */
			strbuf_reset(&t1);
			strbuf_reset(&t2);
			cut_ab(&t1, full);
			cut_ab(&t2, part);
			if (strcmp(t1.buf, t2.buf)) {
				printf("# doc %zu: expected %s, built %s\n", i, t1.buf, t2.buf);
				built = 0;
			}
		}
		json_object_put(part);
		part = NULL;
		/* no selection: the whole document, as rft_json_parse builds it */
		strbuf_reset(&e2);
		r2 = rft_json_parse_paths(docs[i], strlen(docs[i]), NULL, &part, &e2);
		strbuf_reset(&t1);
		strbuf_reset(&t2);
		if (r1 == 0)
			json_put_value(&t1, full);
		if (r2 == 0)
			json_put_value(&t2, part);
		if (r1 != r2 || strcmp(e1.buf, e2.buf) || strcmp(t1.buf, t2.buf)) {
			printf("# doc %zu, whole: parse %d %s '%s', parse_paths %d %s '%s'\n", i, r1, t1.buf,
			       e1.buf, r2, t2.buf, e2.buf);
			whole = 0;
		}
		json_object_put(full);
		json_object_put(part);
	}
	CHECK(same, "json paths: the same documents accepted and refused, with the same message");
	CHECK(spans_agree(docs, sizeof(docs) / sizeof(*docs)),
	      "json spans: the same objects accepted and refused, and each value as a full parse has it");
	CHECK(built, "json paths: the selected members are built as a full parse builds them");
	CHECK(whole, "json paths: with no selection the whole document is built as a full parse builds it");
	strbuf_release(&e1);
	strbuf_release(&e2);
	strbuf_release(&t1);
	strbuf_release(&t2);
	rft_json_thread_done();
}

static void test_input(void)
{
	char *plain = path_in_tmp("plain.txt"), *gz = path_in_tmp("two.gz");
	char *trunc = path_in_tmp("trunc.gz"), *big = path_in_tmp("big.txt");
	struct strbuf line = STRBUF_INIT;
	struct rft_input in;
	FILE *fp;
	long size;
	char *data;
	int r, n;

	write_file(plain, "one\ntwo\nthree", 13);
	CHECK(rft_input_open(&in, plain) == 0, "input: opens a plain file");
	n = 0;
	while ((r = rft_input_getline(&in, &line)) == 1)
		n += n == 2 ? !strcmp(line.buf, "three") : 1;
	CHECK(r == 0 && n == 3 && in.lineno == 3,
	      "input: reads lines, a last line without newline too, counts them");
	CHECK(rft_input_close(&in) == 0, "input: closes a plain file");

	/* two gzip members, one after the other */
	write_gz(gz, "wb", "a\nb\n");
	write_gz(trunc, "wb", "c\n");
	fp = fopen(trunc, "rb");
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	data = malloc((size_t)size);
	if (fread(data, 1, (size_t)size, fp) != (size_t)size)
		die(70, "short read");
	fclose(fp);
	fp = fopen(gz, "ab");
	fwrite(data, 1, (size_t)size, fp);
	fclose(fp);
	CHECK(rft_input_open(&in, gz) == 0, "input: opens a gzip file");
	n = 0;
	while ((r = rft_input_getline(&in, &line)) == 1)
		n += n == 2 ? !strcmp(line.buf, "c") : 1;
	CHECK(r == 0 && n == 3 && in.compressed,
	      "input: reads concatenated gzip members as one stream");
	CHECK(rft_input_close(&in) == 0, "input: closes a gzip file");

	/* the same member cut short */
	write_file(trunc, data, (size_t)size - 6);
	free(data);
	fprintf(stderr, "(an error about a truncated gzip stream is expected next)\n");
	CHECK(rft_input_open(&in, trunc) == 0, "input: opens a truncated gzip file");
	while ((r = rft_input_getline(&in, &line)) == 1)
		;
	CHECK(r == -1, "input: a truncated gzip stream is an error, not an end");
	rft_input_close(&in);

	write_file(big, "short\n0123456789abcdef\nok\n", 26);
	CHECK(rft_input_open(&in, big) == 0, "input: opens a file with a long line");
	in.max_record = 10;
	r = rft_input_getline(&in, &line);
	CHECK(r == 1 && !strcmp(line.buf, "short"), "input: line under the limit");
	r = rft_input_getline(&in, &line);
	CHECK(r == -2 && in.lineno == 2, "input: a line over the limit is reported as -2 with its number");
	r = rft_input_getline(&in, &line);
	CHECK(r == 1 && !strcmp(line.buf, "ok") && in.lineno == 3, "input: reading goes on after a long line");
	rft_input_close(&in);

	CHECK(rft_input_open(&in, "/nonexistent/x") == -1 && errno == ENOENT, "input: a missing file is an error with errno");
	strbuf_release(&line);
	unlink(plain);
	unlink(gz);
	unlink(trunc);
	unlink(big);
	free(plain);
	free(gz);
	free(trunc);
	free(big);
}

static void test_output(void)
{
	char *path = path_in_tmp("out.txt");
	struct rft_output o;
	struct stat st;
	int r;

	CHECK(rft_output_open(&o, path) == 0, "output: opens a temporary file");
	rft_output_write(&o, "hello\n", 6);
	CHECK(stat(path, &st) != 0, "output: nothing at the final name before commit");
	r = rft_output_commit(&o);
	CHECK(r == 0 && stat(path, &st) == 0 && st.st_size == 6, "output: commit renames into place");
	unlink(path);

	CHECK(rft_output_open(&o, path) == 0, "output: opens again");
	rft_output_write(&o, "partial", 7);
	rft_output_abort(&o);
	CHECK(stat(path, &st) != 0, "output: abort leaves nothing behind");
	free(path);

	/* a device is written in place, never renamed over */
	CHECK(rft_output_open(&o, "/dev/null") == 0 && o.tmp == NULL, "output: /dev/null is opened in place");
	rft_output_write(&o, "x\n", 2);
	r = rft_output_commit(&o);
	CHECK(r == 0 && stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode),
	      "output: /dev/null is still a device after commit");
}

static void test_records(void)
{
	char *path = path_in_tmp("r.jsonl");
	char *paths[1];
	struct rft_records r;
	struct json_object *o;
	int n = 0;

	write_file(path, "{\"a\":1}\n\n  \n{\"b\": 2.50 }\r\n{}\n", 28);
	paths[0] = path;
	rft_records_init(&r, paths, 1);
	while (rft_records_next(&r, &o) > 0) {
		n++;
		if (n == 2) {
			rft_record_set(&r.line, o, "split", "\"train\"");
			CHECK(!strcmp(r.line.buf, "{\"b\": 2.50 ,\"split\":\"train\"}"), "records: a new key is spliced in, other bytes kept");
			rft_record_set(&r.line, o, "split", "\"valid\"");
			CHECK(!strcmp(r.line.buf, "{\"b\":2.50,\"split\":\"valid\"}"), "records: an existing key is replaced");
			CHECK(!strcmp(r.where.buf + strlen(r.where.buf) - 2, ":4"), "records: where names file:line");
		}
		if (n == 3) {
			rft_record_set(&r.line, o, "k", "[1]");
			CHECK(!strcmp(r.line.buf, "{\"k\":[1]}"), "records: a key into an empty object");
		}
		json_object_put(o);
	}
	CHECK(n == 3 && r.nread == 3, "records: blank lines skipped, CRLF accepted");
	rft_records_release(&r);
	unlink(path);
	free(path);
}

static void count_item(size_t i, int thread, void *ctx)
{
	int *hits = ctx;

	(void)thread;
	hits[i]++;
}

/* the bootstrap's division-free draws equal rft_rng_below's, for n from 1 to
 * near 2^63 */
static void test_below_fixed(void)
{
	static const uint64_t ns[] = { 1, 2, 3, 7, 22, 94, 500, 4999, 65537, 1000003,
				       4294967295ULL, 4294967297ULL, 0x7fffffffffffffffULL, 0x8000000000000001ULL };
	size_t i, k;
	int same = 1;

	for (i = 0; i < sizeof(ns) / sizeof(*ns); i++) {
		struct rft_rng a, b;
		struct rft_below below;

		rft_rng_seed(&a, 42 + i);
		rft_rng_seed(&b, 42 + i);
		rft_below_init(&below, ns[i]);
		for (k = 0; k < 20000; k++)
			if (rft_rng_below(&a, ns[i]) != rft_rng_below_fixed(&b, &below))
				same = 0;
	}
	CHECK(same, "stats: rft_rng_below_fixed draws exactly what rft_rng_below draws");
}

/* the sign-flip test: symmetric differences give p near 1, a consistent one
 * over many genes the smallest p there is, 1/(B+1); p is never 0 */
static void test_signflip(void)
{
	double d[2 * 40], p[2];
	size_t i;

	for (i = 0; i < 40; i++) {
		d[2 * i] = i % 2 ? 1 : -1;                /* sums to 0 */
		d[2 * i + 1] = 0.5 + (double)(i % 3);     /* all positive */
	}
	rft_signflip_test(d, 40, 2, 999, 7, p);
	CHECK(p[0] > 0.9, "stats: sign-flip p near 1 for symmetric differences");
	CHECK(p[1] == 1.0 / 1000, "stats: sign-flip p = 1/(B+1) for a consistent difference over 40 genes");
	rft_signflip_test(d, 0, 2, 99, 7, p);
	CHECK(p[0] == 1 && p[1] == 1, "stats: sign-flip with no gene gives p = 1");
	d[0] = 3;
	d[1] = 0;
	rft_signflip_test(d, 1, 2, 999, 7, p);
	CHECK(p[0] == 1 && p[1] == 1, "stats: one gene: every flip is as extreme, p = 1");
	rft_signflip_test(d, 1, 2, 0, 7, p);
	CHECK(isnan(p[0]), "stats: no permutations: NaN");
	{
		/* one draw for ratios of any two columns: col 0 / col 1 as rft_boot_ratios gives */
		double rows[3 * 12], num[12], den[12], lo1[1], hi1[1], lo2[2], hi2[2], *scr = malloc(2 * 500 * sizeof(double));
		static const int nc[2] = { 0, 2 }, dc[2] = { 1, 1 };

		for (i = 0; i < 12; i++) {
			rows[3 * i] = num[i] = (double)(i % 4);
			rows[3 * i + 1] = den[i] = 1 + (double)(i % 3);
			rows[3 * i + 2] = 1;
		}
		rft_boot_ratios(num, den, 12, 1, NULL, NULL, 0, 500, 99, scr, lo1, hi1);
		rft_boot_ratio_cols(rows, 12, 3, nc, dc, 2, 500, 99, scr, lo2, hi2);
		CHECK(lo1[0] == lo2[0] && hi1[0] == hi2[0] && lo2[0] < hi2[0] && lo2[1] < hi2[1],
		      "stats: rft_boot_ratio_cols draws as rft_boot_ratios does");
		free(scr);
	}
	CHECK(rft_mcnemar_exact(1, 4) == 0.375, "stats: McNemar 1 vs 4 is exactly 0.375");
	CHECK(rft_mcnemar_exact(0, 700) == ldexp(1.0, -699) && rft_mcnemar_exact(0, 700) > 0,
	      "stats: McNemar 0 vs 700 is 2^-699, not 0");
}

static void test_parallel_for(void)
{
	int hits[1000] = { 0 }, i, once = 1;

	rft_parallel_for(1000, 3, count_item, hits);
	for (i = 0; i < 1000; i++)
		once &= hits[i] == 1;
	rft_parallel_for(0, 2, count_item, hits);
	CHECK(once, "parallel for: every item exactly once");
}

static void test_sha256(void)
{
	struct rft_sha256 c;
	unsigned char d[32];
	char hex[65];
	static const char two[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	size_t i;

	rft_sha256_hex("", 0, hex);
	CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	      "sha256: empty input (FIPS 180-4 vector)");
	rft_sha256_hex("abc", 3, hex);
	CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	      "sha256: \"abc\"");
	rft_sha256_hex(two, strlen(two), hex);
	CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	      "sha256: two blocks (56 bytes)");
	/* one million 'a', fed in uneven pieces across block boundaries */
	rft_sha256_init(&c);
	for (i = 0; i < 1000000; ) {
		static const char a[97] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		size_t n = 1 + i % 97;

		if (n > 1000000 - i)
			n = 1000000 - i;
		rft_sha256_update(&c, a, n);
		i += n;
	}
	rft_sha256_final(&c, d);
	rft_sha256_to_hex(d, hex);
	CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	      "sha256: one million 'a' in uneven pieces");
}

/* the features with the base weights are rft-rank's formula divided by |Q| */
static void test_rankmodel(void)
{
	const char *top = getenv("top");
	struct strbuf dir = STRBUF_INIT, hg = STRBUF_INIT, cases = STRBUF_INIT, line = STRBUF_INIT;
	struct rank_data_opts o = { NULL, NULL, NULL, { NULL }, 0 };
	struct rank_model m;
	struct rank_scratch s;
	struct rank_term_counts tc;
	struct rank_case c = RANK_CASE_INIT;
	struct rank_weights rw;
	struct rft_input in;
	double worst = 0;
	int ncases = 0, rc;
	char *mp;
	size_t i, j;

	strbuf_addf(&dir, "%s/testdata/hpo/micro", top ? top : ".");
	strbuf_addf(&hg, "%s/hgnc-micro.txt", dir.buf);
	strbuf_addf(&cases, "%s/cases.jsonl", dir.buf);
	if (access(cases.buf, R_OK) < 0) {
		printf("ok - rankmodel: features # SKIP no %s\n", cases.buf);
		goto out;
	}
	o.hpo_dir = dir.buf;
	o.hgnc = hg.buf;
	memset(&tc, 0, sizeof(tc));
	rank_model_load(&m, &o, RANK_DISEASE, 2);
	rank_scratch_init(&s, &m);
	if (rft_input_open(&in, cases.buf) < 0)
		die(70, "cannot open the micro cases");
	while (rft_input_getline(&in, &line) > 0) {
		struct json_object *obj = NULL;
		struct strbuf err = STRBUF_INIT;
		double nq;

		if (rft_json_parse(line.buf, line.len, &obj, &err) < 0 ||
		    rank_case_terms(&m, obj, &c, &tc, &err) < 0)
			die(70, "micro case: %s", err.buf);
		json_object_put(obj);
		strbuf_release(&err);
		if (c.error)
			continue;
		ncases++;
		nq = (double)c.present.n;
		rank_features(&m, &s, &c, s.feat);
		/* the legacy formula, as rft-rank computes it */
		memset(s.raw, 0, m.nunits * sizeof(*s.raw));
		for (i = 0; i < c.present.n; i++)
			rank_add_best(&m, &s, c.present.v[i], 1.0);
		for (i = 0; i < c.absent.n; i++) {
			const uint32_t *p = hpo_row(&m.post, c.absent.v[i]);

			for (j = 0; j < hpo_row_len(&m.post, c.absent.v[i]); j++)
				s.raw[p[j]] += 0.25 * m.ic[c.absent.v[i]];
		}
		for (i = 0; i < m.nunits; i++) {
			double legacy = s.raw[i] - 0.75 * nq * m.mu[i];
			double d = fabs(legacy - nq * rank_dot(rank_base_weights, s.feat + i * RANK_NFEAT));

			if (d > worst)
				worst = d;
		}
	}
	rft_input_close(&in);
	CHECK(ncases == 3 && worst < 1e-9, "rankmodel: base weights x features = rft-rank's formula / |Q|");

	mp = path_in_tmp("model.json");
	{
		static const char good[] = "{\n\"format\": \"rftkit-rank-model/1\",\n\"method\": \"gene\",\n"
			"\"weights\": {\"absent\": -1.5, \"cover\": 2}\n}\n";

		write_file(mp, good, strlen(good));
	}
	rc = rank_weights_load(&rw, mp);
	CHECK(rc == 0 && rw.method == RANK_GENE && rw.w[RF_ABSENT] == -1.5 && rw.w[RF_COVER] == 2 &&
	      rw.w[RF_MATCH] == 0, "rankmodel: a model file's weights, absent ones 0");
	if (!rc)
		rank_weights_release(&rw);
	{
		static const char bad[] = "{\"format\": \"rftkit-rank-model/1\", \"method\": \"x\", \"weights\": {}}\n";

		write_file(mp, bad, strlen(bad));
	}
	fflush(stdout);
	CHECK(rank_weights_load(&rw, mp) == RFT_EX_CONFIG, "rankmodel: an unknown method is exit 78");
	unlink(mp);
	free(mp);
	rank_case_release(&c);
	rank_scratch_release(&s);
	rank_model_release(&m);
out:
	strbuf_release(&dir);
	strbuf_release(&hg);
	strbuf_release(&cases);
	strbuf_release(&line);
}

/* hgnc_foreach_name: every name that resolves to one gene, with it */
struct name_walk {
	const struct hgnc *h;
	struct strbuf seen;
	int n, stop_at;
};

static int walk_name(void *arg, const char *name, long gene)
{
	struct name_walk *w = arg;
	enum hgnc_how how;

	if (hgnc_resolve(w->h, name, &how) != gene)
		strbuf_addf(&w->seen, "[%s does not resolve so]", name);
	strbuf_addf(&w->seen, "%s=%s ", name, hgnc_symbol(w->h, gene));
	return ++w->n == w->stop_at ? 7 : 0;
}

static void test_hgnc_names(void)
{
	static const char table[] =
		"hgnc_id\tsymbol\tprev_symbol\talias_symbol\n"
		"HGNC:1\tAaa\tOLD\t\"SHARED|only1\"\n"
		"HGNC:2\tBBB\tAAA\tSHARED\n"
		"HGNC:3\tCCC\tOLD2|old3\t\n";
	char *path = path_in_tmp("hgnc.txt");
	struct hgnc h;
	struct strbuf err = STRBUF_INIT;
	struct name_walk w = { &h, STRBUF_INIT, 0, 0 };
	int rc;

	memset(&h, 0, sizeof(h));
	write_file(path, table, sizeof(table) - 1);
	if (hgnc_load(&h, path, &err) < 0)
		die(70, "%s", err.buf);
	rc = hgnc_foreach_name(&h, walk_name, &w);
	CHECK(rc == 0 && !strcmp(w.seen.buf, "AAA=Aaa OLD=Aaa ONLY1=Aaa BBB=BBB CCC=CCC OLD2=CCC OLD3=CCC "),
	      "hgnc: foreach_name gives every unambiguous name with its gene, as hgnc_resolve does");
	strbuf_reset(&w.seen);
	w.n = 0;
	w.stop_at = 2;
	rc = hgnc_foreach_name(&h, walk_name, &w);
	CHECK(rc == 7 && w.n == 2, "hgnc: foreach_name stops at fn's first non-zero return and gives it");
	strbuf_release(&w.seen);
	strbuf_release(&err);
	hgnc_release(&h);
	unlink(path);
	free(path);
}

/* rft_tpl_subst and friends: grader references against named roots */
static void test_tpl_refs(void)
{
	static const char *const hidden[] = { "secret", NULL };
	struct json_object *a = json_tokener_parse("{\"x\":[1,{\"y\":\"s\",\"n\":null}],\"secret\":1}");
	struct json_object *b = json_tokener_parse("{\"t\":\"text\"}");
	struct rft_tpl_root roots[2] = { { "a", a, hidden }, { "b", b, NULL } };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *whole = NULL;
	size_t which = 9;
	char *p;
	int rc;

	rc = rft_tpl_subst("<{{ a.x[1].y }}|{{a.x.0}}|{{b}}|{{a.x[1].n}}>", roots, 2, &out, NULL, &err);
	CHECK(rc == 0 && !strcmp(out.buf, "<s|1|{\"t\":\"text\"}|>"),
	      "template: references by dots and brackets, strings as they are, JSON otherwise, null as nothing");
	strbuf_reset(&out);
	rc = rft_tpl_subst("{{ b.t }}", roots, 2, &out, &whole, &err);
	CHECK(rc == 0 && whole == json_object_object_get(b, "t") && out.len == 0,
	      "template: a text that is one reference gives the value itself");
	rc = rft_tpl_subst("{{a.secret}}", roots, 2, &out, NULL, &err);
	CHECK(rc < 0 && !strcmp(err.buf, "{{a.secret}} does not resolve"), "template: a hidden member does not resolve");
	strbuf_reset(&err);
	rc = rft_tpl_subst("x {{c.t}}", roots, 2, &out, NULL, &err);
	CHECK(rc < 0 && !strcmp(err.buf, "{{c.t}} does not resolve"), "template: an unknown root does not resolve");
	strbuf_reset(&err);
	rc = rft_tpl_check_refs("{{a.x}} {{ c }}", roots, 2, &err);
	CHECK(rc < 0 && !strcmp(err.buf, "{{c }} is neither a.* nor b.*"), "template: check_refs names the roots");
	strbuf_reset(&err);
	rc = rft_tpl_check_refs("{{a.x", roots, 2, &err);
	CHECK(rc < 0 && !strcmp(err.buf, "'{{' without '}}'"), "template: check_refs finds an unclosed reference");
	p = rft_tpl_one_ref("{{ b.t.u }}", roots, 2, &which);
	CHECK(p && !strcmp(p, "t.u") && which == 1, "template: one_ref gives the path below its root");
	free(p);
	CHECK(!rft_tpl_one_ref("{{a.secret.z}}", roots, 2, &which) && !rft_tpl_one_ref("{{a}}", roots, 2, &which) &&
	      !rft_tpl_one_ref("{{a.x}} ", roots, 2, &which), "template: one_ref refuses hidden paths, bare roots, more text");
	strbuf_release(&out);
	strbuf_release(&err);
	json_object_put(a);
	json_object_put(b);
}

/* rft-fuse's rules on the hand-worked case of t0650: a: A B C (scores 3 2 1),
 * b: B D A, c: D C; repeats, blanks and non-names dropped before the cut */
static void test_fuse(void)
{
	const char *a[] = { "A", " b", "B", NULL, "C" }, *b[] = { "B", "", "D", "a " }, *c[] = { "D", "C" };
	const double sa[] = { 3, 2, 2, 0, 1 };
	struct fuse_list L[3] = {
		{ a, NULL, sa, 5, 1 }, { b, NULL, NULL, 4, 1 }, { c, NULL, NULL, 2, 1 }
	};
	struct fuse_params p = FUSE_PARAMS_INIT;
	struct fuse_result r = FUSE_RESULT_INIT;
	enum fuse_rule rule;
	char got[64];
	size_t i;
	int ok = 1;
	static const char *const want[] = { "BDAC", "BDAC", "BDAC", "BDAC" };

	for (rule = FUSE_RRF; rule <= FUSE_RANKEDPAIRS; rule++) {
		p.rule = rule;
		fuse_rank(&p, L, 3, &r);
		for (i = 0; i < r.n && i < sizeof(got) - 1; i++)
			got[i] = r.items[i].symbol[0] == ' ' ? '?' : (char)(r.items[i].symbol[0] & ~0x20);
		got[i] = '\0';
		ok &= !strcmp(got, want[rule]) && r.lists == 3;
	}
	CHECK(ok, "fuse: rrf, borda, score and ranked pairs rank the hand-worked case B D A C");
	p.rule = FUSE_RRF;
	fuse_rank(&p, L, 3, &r);
	CHECK(r.items[0].score == 1.0 / 62 + 1.0 / 61 && r.items[0].best == 1 && r.items[0].nlists == 2 &&
	      r.items[0].symlen == 1 && r.items[0].symbol[0] == 'b', "fuse: rrf score, best rank, lists; the first spelling (\" b\" trimmed)");
	p.depth = 1;
	fuse_rank(&p, L, 3, &r);
	CHECK(r.n == 3 && r.items[0].symbol[0] == 'A', "fuse: depth 1 keeps each list's first gene; ties by key");
	p.depth = 0;
	p.rule = FUSE_SCORE;
	fuse_rank(&p, L, 3, &r);
	CHECK(r.unscored == 2, "fuse: lists without scores are scored by place, and counted");
	L[1].weight = L[2].weight = 0;
	p.rule = FUSE_BORDA;
	fuse_rank(&p, L, 3, &r);
	CHECK(r.n == 3 && r.lists == 1, "fuse: lists of weight 0 are left out");
	fuse_rank(&p, L, 0, &r);
	CHECK(r.n == 0 && r.lists == 0, "fuse: no lists, no genes");
	fuse_result_release(&r);
}

int main(void)
{
	rft_init("test-common");
	if (!mkdtemp(tmpdir))
		die(70, "mkdtemp:");
	test_strbuf();
	test_json_out();
	test_json_fixed();
	test_json_in();
	test_json_paths();
	test_json_span_member();
	test_json_strict();
	test_json_tokener_state();
	test_json_span_values();
	test_fuzzy();
	test_input();
	test_output();
	test_records();
	test_parallel_for();
	test_signflip();
	test_below_fixed();
	test_sha256();
	test_rankmodel();
	test_hgnc_names();
	test_tpl_refs();
	test_fuse();
	rmdir(tmpdir);
	return rft_finish(failed ? 1 : 0);
}
