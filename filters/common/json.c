#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "exitcodes.h"
#include "input.h"
#include "util.h"

/* one tokener per thread, reused: allocating it per document was measurable.
 * json-c 0.16's json_tokener_reset() keeps some state (a pending high
 * surrogate of a \u escape), so after a document it did not finish cleanly
 * the tokener is dropped and the next document gets a new one. */
static _Thread_local struct json_tokener *tls_tok;

void rft_json_thread_done(void)
{
	if (tls_tok)
		json_tokener_free(tls_tok);
	tls_tok = NULL;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int rft_json_parse(const char *buf, size_t len, struct json_object **out,
		   struct strbuf *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t off, bad, i, line = 1, col = 1;
	const char *what = NULL;

	*out = NULL;
	if (len > (size_t)0x7fffffff) {
		strbuf_addstr(err, "JSON document larger than 2 GiB");
		return -1;
	}
	for (i = 0; i < len && is_ws(buf[i]); i++)
		;
	if (i == len) {
		strbuf_addstr(err, "empty JSON document");
		return -1;
	}
	/* the strict rule first (what json-c lets through: invalid UTF-8 it
	 * does not see, raw control characters, NaN, 00, 1., unpaired
	 * surrogates, clamped integers), then json-c builds the tree */
	bad = rft_json_check(buf, len, &what);
	if (!tls_tok) {
		tls_tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
		if (!tls_tok)
			die(RFT_EX_SOFTWARE, "out of memory");
		json_tokener_set_flags(tls_tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	}
	tok = tls_tok;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* input ended inside a value; a bare number needs an end marker */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr == json_tokener_success)
			off = len;
		else if (jerr == json_tokener_continue)
			jerr = json_tokener_error_parse_eof;
	}
	if (jerr == json_tokener_success) {
		for (i = off; i < len && is_ws(buf[i]); i++)
			;
		off = i;
	}
	if (jerr == json_tokener_success && off == len && !what) {
		*out = obj;
		return 0;
	}
	json_object_put(obj);
	rft_json_thread_done();
	/* json-c's message when it stopped first (its wording, as before),
	 * else the strict rule's */
	if (off > len)
		off = len;
	/* (json-c takes a NUL for the end of the data: say what is there) */
	if (!what || (jerr != json_tokener_success && (off < bad ||
	    (off == bad && !(jerr == json_tokener_error_parse_eof && off < len))))) {
		what = jerr == json_tokener_success ? "unexpected data after the JSON value" :
			jerr == json_tokener_error_parse_utf8_string ? "invalid UTF-8" :
			json_tokener_error_desc(jerr);
	} else {
		off = bad;
	}
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	if (memchr(buf, '\n', len))
		strbuf_addf(err, "invalid JSON at line %zu, column %zu: %s", line, col, what);
	else
		strbuf_addf(err, "invalid JSON at column %zu: %s", col, what);
	return -1;
}

struct json_object *rft_json_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *rft_json_get_str(struct json_object *o, const char *key)
{
	struct json_object *v = rft_json_get(o, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:
	case json_type_int: return "a number";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "a value of unknown type";
}

const char *rft_json_type_name(struct json_object *o)
{
	return type_name(o ? json_object_get_type(o) : json_type_null);
}

void json_put_strn(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		strbuf_addstr(sb, esc);
	}
	strbuf_add(sb, s + run, len - run);
	strbuf_addch(sb, '"');
}

void json_put_str(struct strbuf *sb, const char *s)
{
	json_put_strn(sb, s, strlen(s));
}

void json_put_str_or_null(struct strbuf *sb, const char *s)
{
	if (s)
		json_put_str(sb, s);
	else
		strbuf_add(sb, "null", 4);
}

void json_put_key(struct strbuf *sb, const char *key, int first)
{
	if (!first)
		strbuf_addch(sb, ',');
	json_put_str(sb, key);
	strbuf_addch(sb, ':');
}

void json_put_double(struct strbuf *sb, double v)
{
	char tmp[40];
	int p, n = 0;

	if (!isfinite(v)) {
		strbuf_add(sb, "null", 4);
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {   /* 0, 1, 2 ...: as integers */
		n = snprintf(tmp, sizeof(tmp), "%.0f", v == 0 ? 0.0 : v);   /* (no "-0") */
		strbuf_add(sb, tmp, (size_t)n);
		return;
	}
	/* the shortest of 15, 16, 17 significant digits that reads back as v
	 * (%g drops trailing zeros, so 15 is the shortest when any is) */
	for (p = 15; p <= 17; p++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", p, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	strbuf_add(sb, tmp, (size_t)n);
}

void json_put_fixed(struct strbuf *sb, double v, int decimals)
{
	char tmp[64];
	int n;

	if (!isfinite(v)) {
		strbuf_add(sb, "null", 4);
		return;
	}
	/* the common exact cases (0, 1, 0.5, 0.25 ...) without printf: when
	 * v x 10^decimals computes to a whole number, that number is what %.*f
	 * rounds to (the product's error is far below one half) */
	if (decimals >= 0 && decimals <= 9 && fabs(v) < 1e9) {
		static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
		double scaled = v * p10[decimals];

		if (scaled == floor(scaled)) {
			long long q = (long long)fabs(scaled), ip, fp;
			long long div = (long long)p10[decimals];
			char digits[16];
			int k;

			ip = q / div;
			fp = q % div;
			n = 0;
			if (v < 0 && q)
				tmp[n++] = '-';
			k = 15;
			do
				digits[k--] = (char)('0' + ip % 10);
			while ((ip /= 10) > 0);
			memcpy(tmp + n, digits + k + 1, (size_t)(15 - k));
			n += 15 - k;
			if (fp) {
				for (k = decimals - 1; k >= 0; k--, fp /= 10)
					digits[k] = (char)('0' + fp % 10);
				for (k = decimals; k > 0 && digits[k - 1] == '0'; k--)
					;
				tmp[n++] = '.';
				memcpy(tmp + n, digits, (size_t)k);
				n += k;
			}
			strbuf_add(sb, tmp, (size_t)n);
			return;
		}
	}
	n = snprintf(tmp, sizeof(tmp), "%.*f", decimals, v);
	if (n <= 0 || (size_t)n >= sizeof(tmp)) {
		strbuf_addf(sb, "%.17g", v);
		return;
	}
	if (strchr(tmp, '.')) {
		while (n > 0 && tmp[n - 1] == '0')
			n--;
		if (n > 0 && tmp[n - 1] == '.')
			n--;
	}
	tmp[n] = '\0';
	if (!strcmp(tmp, "-0"))
		strcpy(tmp, "0");
	strbuf_add(sb, tmp, (size_t)n);
}

void json_put_value(struct strbuf *sb, struct json_object *v)
{
	size_t i, n;
	int first = 1;

	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_null:
		strbuf_add(sb, "null", 4);
		break;
	case json_type_boolean:
		strbuf_addstr(sb, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
	case json_type_double:
		/* json-c keeps the number's original text when it parsed it */
		strbuf_addstr(sb, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		json_put_strn(sb, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		strbuf_addch(sb, '[');
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i)
				strbuf_addch(sb, ',');
			json_put_value(sb, json_object_array_get_idx(v, i));
		}
		strbuf_addch(sb, ']');
		break;
	case json_type_object: {
		struct json_object_iterator it = json_object_iter_begin(v);
		struct json_object_iterator end = json_object_iter_end(v);

		strbuf_addch(sb, '{');
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			json_put_key(sb, json_object_iter_peek_name(&it), first);
			first = 0;
			json_put_value(sb, json_object_iter_peek_value(&it));
		}
		strbuf_addch(sb, '}');
		break;
	}
	}
}

/* ------------------------------------------------ parsing only some paths */

/*
 * A validating scanner: it walks the whole document and checks it against
 * the one rule of every reader (RFC 8259 grammar; strings of valid UTF-8
 * with no raw control character and no unpaired surrogate escape; numbers
 * as the RFC writes them and integers within 64 bits; json-c's nesting
 * depth), building only the members selected.  rft_json_parse runs it on
 * every document, so json-c never sees one this refuses; rft_json_parse_paths
 * and rft_json_spans hand what it refuses to rft_json_parse, so errors read
 * the same.  A refusal records where and why (the first one found).
 */
struct scan {
	const unsigned char *p, *end;
	int depth;
	const unsigned char *bad;   /* where the document was refused */
	const char *why;
};

static int fail(struct scan *s, const unsigned char *at, const char *why)
{
	if (!s->bad) {
		s->bad = at;
		s->why = why;
	}
	return -1;
}

static const char *const end_of_data = "unexpected end of data";

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hexdig(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* does p[0..8) hold a byte that ends a run of plain string bytes: a control
 * character, '"', '\\' or a byte >= 0x80?  (The zero-byte tests may also
 * flag a plain byte after a special one, never miss one.) */
static int special8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs ? 1 : 0;
}

static unsigned hex4(const unsigned char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v = v << 4 | (unsigned)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
	return v;
}

/* at a backslash-u escape, p[0..end): its length (6, or 12 for a surrogate
 * pair), or -1 (recorded) */
static int scan_u_escape(struct scan *s, const unsigned char *p)
{
	const unsigned char *end = s->end;
	unsigned u;

	if (end - p < 6)
		return fail(s, end, end_of_data);
	if (!hexdig(p[2]) || !hexdig(p[3]) || !hexdig(p[4]) || !hexdig(p[5]))
		return fail(s, p, "invalid string sequence");
	u = hex4(p + 2);
	if (u < 0xD800 || u > 0xDFFF)
		return 6;
	/* a surrogate stands only as the first half of a pair: alone it is
	 * no character, and no UTF-8 text can hold it */
	if (u <= 0xDBFF && end - p > 7 && p[6] == '\\' && p[7] == 'u') {
		if (end - p < 12)
			return fail(s, end, end_of_data);
		if (!hexdig(p[8]) || !hexdig(p[9]) || !hexdig(p[10]) || !hexdig(p[11]))
			return fail(s, p + 6, "invalid string sequence");
		u = hex4(p + 8);
		if (u >= 0xDC00 && u <= 0xDFFF)
			return 12;
	} else if (u <= 0xDBFF && end - p == 6) {
		return fail(s, end, end_of_data);
	}
	return fail(s, p, "unpaired surrogate escape (not a Unicode character)");
}

/* a string starting at the quote; *escaped says if it held a backslash */
static int scan_string(struct scan *s, int *escaped)
{
	const unsigned char *p = s->p + 1, *end = s->end;

	*escaped = 0;
	for (;;) {
		unsigned c;
		int n;

		/* eight plain bytes at a time, then one by one up to the next
		 * quote, backslash, control or non-ASCII byte */
		while (end - p >= 8 && !special8(p))
			p += 8;
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return fail(s, end, end_of_data);
		c = *p;
		if (c == '"') {
			s->p = p + 1;
			return 0;
		}
		if (c == '\\') {
			*escaped = 1;
			if (p + 1 >= end)
				return fail(s, end, end_of_data);
			c = p[1];
			if (c == 'u') {
				if ((n = scan_u_escape(s, p)) < 0)
					return -1;
				p += n;
			} else if (strchr("\"\\/bfnrt", (int)c) && c) {
				p += 2;
			} else {
				return fail(s, p, "invalid string sequence");
			}
			continue;
		}
		if (c < 0x80)
			return fail(s, p, "control character in a string (write it as a \\u escape)");
		if (!(n = (int)rft_utf8_char(p, end)))
			return fail(s, p, "invalid UTF-8");
		p += n;
	}
}

static int isdig(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* a number as RFC 8259 writes it: no NaN or Infinity, no leading zero, a
 * digit on both sides of '.', digits in an exponent; an integer (no '.' or
 * exponent) within what json-c holds exactly, -2^63 .. 2^64-1 (beyond it
 * json-c gives the nearest bound: a different number) */
static int scan_number(struct scan *s)
{
	const unsigned char *p = s->p, *end = s->end, *digits;
	int neg = 0;

	if (p < end && *p == '-') {
		p++;
		neg = 1;
	}
	if (p >= end)
		return fail(s, p, end_of_data);
	digits = p;
	if (*p == '0') {
		p++;
		if (isdig(p, end))
			return fail(s, p, "number with a leading zero");
	} else if (*p >= '1' && *p <= '9') {
		while (isdig(p, end))
			p++;
	} else if (*p == 'N' || *p == 'I' || *p == 'n' || *p == 'i') {
		return fail(s, s->p, "NaN and Infinity are not JSON numbers");
	} else {
		return fail(s, p, neg ? "number expected" : "unexpected character");
	}
	if (p < end && *p == '.') {
		p++;
		if (!isdig(p, end))
			return fail(s, p, "number expected (a digit after '.')");
		while (isdig(p, end))
			p++;
	} else if (p < end && (*p == 'e' || *p == 'E')) {
		;
	} else if (p - digits >= 19) {
		static const char max_pos[] = "18446744073709551615", min_neg[] = "9223372036854775808";
		const char *lim = neg ? min_neg : max_pos;
		size_t n = (size_t)(p - digits), ln = strlen(lim);

		if (n > ln || (n == ln && memcmp(digits, lim, n) > 0))
			return fail(s, s->p, "integer out of the 64-bit range (write it with an exponent, as 1e30)");
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!isdig(p, end))
			return fail(s, p, "number expected (a digit in the exponent)");
		while (isdig(p, end))
			p++;
	}
	s->p = p;
	return 0;
}

static int scan_lit(struct scan *s, const char *lit, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (s->p + k >= s->end || s->p[k] != (unsigned char)lit[k])
			return fail(s, s->p + k, s->p + k >= s->end ? end_of_data :
				    *lit == 'n' ? "null expected" : "boolean expected");
	s->p += n;
	return 0;
}

static int scan_value(struct scan *s);

/* the members of an object: at "{"; paths/npaths select what to build into
 * dst (paths relative to this object); dst NULL: only validate */
static int scan_object(struct scan *s, const char *const *paths, size_t npaths,
		       struct json_object *dst, int all);

/* at an opening bracket: step in; 1 when the closing one follows at once
 * (both consumed), 0 otherwise, -1 nested too deep */
static int scan_open(struct scan *s, unsigned char close)
{
	if (++s->depth >= JSON_TOKENER_DEFAULT_DEPTH)
		return fail(s, s->p, "nesting too deep");
	s->p++;
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 1;
	}
	return 0;
}

/* after an element or member: 1 at the closing bracket (consumed), 0 after
 * a comma, -1 anything else */
static int scan_sep(struct scan *s, unsigned char close)
{
	scan_ws(s);
	if (s->p >= s->end)
		return fail(s, s->p, end_of_data);
	if (*s->p == close) {
		s->p++;
		s->depth--;
		return 1;
	}
	if (*s->p != ',')
		return fail(s, s->p, close == '}' ? "object value separator ',' expected" :
			    "array value separator ',' expected");
	s->p++;
	return 0;
}

static int build_value(struct scan *s, struct json_object **out);

/* an array at "["; its elements built into dst, or only checked (NULL) */
static int scan_array(struct scan *s, struct json_object *dst)
{
	int rc;

	if ((rc = scan_open(s, ']')) != 0)
		return rc < 0 ? -1 : 0;
	do {
		if (dst) {
			struct json_object *e;

			if ((rc = build_value(s, &e)) < 0) {
				json_object_put(e);
				return rc;
			}
			json_object_array_add(dst, e);
		} else if (scan_value(s) < 0) {
			return -1;
		}
	} while ((rc = scan_sep(s, ']')) == 0);
	return rc < 0 ? -1 : 0;
}

static int scan_value(struct scan *s)
{
	int esc;

	scan_ws(s);
	if (s->p >= s->end)
		return fail(s, s->p, end_of_data);
	switch (*s->p) {
	case '{': return scan_object(s, NULL, 0, NULL, 0);
	case '[': return scan_array(s, NULL);
	case '"': return scan_string(s, &esc);
	case 't': return scan_lit(s, "true", 4);
	case 'f': return scan_lit(s, "false", 5);
	case 'n': return scan_lit(s, "null", 4);
	default: return scan_number(s);
	}
}

size_t rft_json_check(const char *buf, size_t len, const char **why)
{
	struct scan s = { (const unsigned char *)buf, (const unsigned char *)buf + len, 0, NULL, NULL };

	*why = NULL;
	if (scan_value(&s) == 0) {
		scan_ws(&s);
		if (s.p == s.end)
			return len;
		fail(&s, s.p, "unexpected data after the JSON value");
	}
	*why = s.why ? s.why : "unexpected character";
	return (size_t)((s.bad ? s.bad : s.p) - (const unsigned char *)buf);
}

/* does path start with the n-byte key k, and what follows: 1 the whole path,
 * 2 a deeper path (k.rest), 0 neither */
static int path_match(const char *path, const unsigned char *k, size_t n)
{
	if (n && *path != (char)*k)
		return 0;
	if (strncmp(path, (const char *)k, n))
		return 0;
	if (path[n] == '\0')
		return 1;
	return path[n] == '.' ? 2 : 0;
}

static struct json_object *new_or_die(struct json_object *o)
{
	if (!o)
		die(RFT_EX_SOFTWARE, "out of memory");
	return o;
}

/* Build the value at s->p (checked as scan_value does) into *out: plain
 * strings, numbers and literals directly, arrays and objects member by
 * member; what json-c must decode (escapes, huge integers) through it.
 * 0, -1 not valid JSON, -2 ask json-c. */
static int build_value(struct scan *s, struct json_object **out)
{
	const unsigned char *v;
	int esc;

	*out = NULL;
	scan_ws(s);
	if (s->p >= s->end)
		return fail(s, s->p, end_of_data);
	v = s->p;
	switch (*s->p) {
	case '{':
		*out = new_or_die(json_object_new_object());
		return scan_object(s, NULL, 0, *out, 1);
	case '[':
		*out = new_or_die(json_object_new_array());
		return scan_array(s, *out);
	case '"':
		if (scan_string(s, &esc) < 0)
			return -1;
		if (esc)
			return -2;
		*out = new_or_die(json_object_new_string_len((const char *)v + 1, (int)(s->p - v - 2)));
		return 0;
	case 't':
		if (scan_lit(s, "true", 4) < 0)
			return -1;
		*out = new_or_die(json_object_new_boolean(1));
		return 0;
	case 'f':
		if (scan_lit(s, "false", 5) < 0)
			return -1;
		*out = new_or_die(json_object_new_boolean(0));
		return 0;
	case 'n':
		return scan_lit(s, "null", 4);
	default: {
		char num[64];
		size_t n;

		if (scan_number(s) < 0)
			return -1;
		n = (size_t)(s->p - v);
		if (n >= sizeof(num))
			return -2;
		memcpy(num, v, n);
		num[n] = '\0';
		if (!strpbrk(num, ".eE")) {
			if (n > 18)
				return -2;
			*out = new_or_die(json_object_new_int64(strtoll(num, NULL, 10)));
		} else {
			*out = new_or_die(json_object_new_double_s(strtod(num, NULL), num));
		}
		return 0;
	}
	}
}

/* a member's key and the colon after it, up to its value: 0, or -1 */
static int scan_key(struct scan *s, const unsigned char **k, size_t *kn, int *esc)
{
	if (s->p >= s->end || *s->p != '"')
		return fail(s, s->p, s->p >= s->end ? end_of_data : "quoted object property name expected");
	*k = s->p + 1;
	if (scan_string(s, esc) < 0)
		return -1;
	*kn = (size_t)(s->p - 1 - *k);
	scan_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return fail(s, s->p, s->p >= s->end ? end_of_data : "object property name separator ':' expected");
	s->p++;
	scan_ws(s);
	return 0;
}

static int scan_object(struct scan *s, const char *const *paths, size_t npaths,
		       struct json_object *dst, int all)
{
	int rc;

	if ((rc = scan_open(s, '}')) != 0)
		return rc < 0 ? -1 : 0;
	for (;;) {
		const unsigned char *k, *v;
		size_t kn, i, nsub = 0;
		int esc, whole = 0;
		const char *sub[16];

		if (scan_key(s, &k, &kn, &esc) < 0)
			return -1;
		if (dst && esc)
			return -2;  /* an escaped key: let json-c decode it */
		v = s->p;
		whole = all;
		for (i = 0; dst && !all && i < npaths; i++) {
			int m = path_match(paths[i], k, kn);

			if (m == 1)
				whole = 1;
			else if (m == 2 && nsub < sizeof(sub) / sizeof(*sub))
				sub[nsub++] = paths[i] + kn + 1;
		}
		/* a deeper path into what is not an object builds it whole, so
		 * the reader can say what it found */
		if (nsub && !(s->p < s->end && *s->p == '{'))
			whole = 1;
		if (whole || nsub) {
			char key[256];
			struct json_object *val = NULL;

			if (kn >= sizeof(key))
				return -2;
			memcpy(key, k, kn);
			key[kn] = '\0';
			if (whole) {
				if ((rc = build_value(s, &val)) == -2) {
					/* what json-c must decode: check, then let it */
					struct strbuf e = STRBUF_INIT;

					json_object_put(val);
					val = NULL;
					s->p = v;
					if (scan_value(s) < 0)
						return -1;
					rc = rft_json_parse((const char *)v, (size_t)(s->p - v), &val, &e);
					strbuf_release(&e);
					if (rc < 0)
						return -2;
				} else if (rc < 0) {
					json_object_put(val);
					return rc;
				}
			} else {
				val = new_or_die(json_object_new_object());
				if ((rc = scan_object(s, sub, nsub, val, 0)) < 0) {
					json_object_put(val);
					return rc;
				}
			}
			json_object_object_add(dst, key, val);
		} else if (scan_value(s) < 0) {
			return -1;
		}
		if ((rc = scan_sep(s, '}')) != 0)
			return rc < 0 ? -1 : 0;
		scan_ws(s);
	}
}

int rft_json_parse_paths(const char *buf, size_t len, const char *const *paths,
			 struct json_object **out, struct strbuf *err)
{
	struct scan s = { (const unsigned char *)buf, (const unsigned char *)buf + len, 0, NULL, NULL };
	struct json_object *obj;
	size_t npaths = 0;

	while (paths && paths[npaths])
		npaths++;
	*out = NULL;
	scan_ws(&s);
	if (len > (size_t)0x7fffffff || s.p >= s.end || *s.p != '{')
		return rft_json_parse(buf, len, out, err);
	obj = json_object_new_object();
	if (!obj)
		die(RFT_EX_SOFTWARE, "out of memory");
	if (scan_object(&s, paths, npaths, obj, !paths) < 0) {
		json_object_put(obj);
		return rft_json_parse(buf, len, out, err);
	}
	scan_ws(&s);
	if (s.p != s.end) {
		json_object_put(obj);
		return rft_json_parse(buf, len, out, err);
	}
	*out = obj;
	return 0;
}

/* ------------------------------------------------------ values as spans */

/* A set of dotted paths as a tree of keys: an edge a key, with the spans
 * it fills (the paths that end there) and the keys below it. */
struct pedge {
	char *key;
	size_t len;
	size_t *ix, nix;             /* spans filled by this member's value */
	size_t *under, nunder;       /* spans filled somewhere below it */
	struct pnode *child;
};
struct pnode {
	struct pedge *e;
	size_t n;
};
struct rft_json_paths {
	struct pnode root;
	char **paths;
	size_t npaths;
};

static void paths_add(struct pnode *node, const char *path, size_t ix)
{
	size_t n = strcspn(path, "."), i;
	struct pedge *e = NULL;

	for (i = 0; i < node->n && !e; i++)
		if (node->e[i].len == n && !memcmp(node->e[i].key, path, n))
			e = &node->e[i];
	if (!e) {
		node->e = erealloc(node->e, (node->n + 1) * sizeof(*node->e));
		e = &node->e[node->n++];
		memset(e, 0, sizeof(*e));
		e->key = estrndup(path, n);
		e->len = n;
	}
	if (!path[n]) {
		e->ix = erealloc(e->ix, (e->nix + 1) * sizeof(*e->ix));
		e->ix[e->nix++] = ix;
		return;
	}
	e->under = erealloc(e->under, (e->nunder + 1) * sizeof(*e->under));
	e->under[e->nunder++] = ix;
	if (!e->child)
		e->child = ecalloc(1, sizeof(*e->child));
	paths_add(e->child, path + n + 1, ix);
}

struct rft_json_paths *rft_json_paths_new(const char *const *paths, size_t npaths)
{
	struct rft_json_paths *ps = ecalloc(1, sizeof(*ps));
	size_t i;

	if (npaths > RFT_JSON_MAX_SPANS)
		die(RFT_EX_SOFTWARE, "rft_json_paths_new: more than %d paths", RFT_JSON_MAX_SPANS);
	ps->paths = ecalloc(npaths ? npaths : 1, sizeof(*ps->paths));
	ps->npaths = npaths;
	for (i = 0; i < npaths; i++) {
		ps->paths[i] = estrdup(paths[i]);
		paths_add(&ps->root, paths[i], i);
	}
	return ps;
}

static void pnode_free(struct pnode *node)
{
	size_t i;

	for (i = 0; i < node->n; i++) {
		free(node->e[i].key);
		free(node->e[i].ix);
		free(node->e[i].under);
		if (node->e[i].child) {
			pnode_free(node->e[i].child);
			free(node->e[i].child);
		}
	}
	free(node->e);
}

void rft_json_paths_free(struct rft_json_paths *ps)
{
	size_t i;

	if (!ps)
		return;
	pnode_free(&ps->root);
	for (i = 0; i < ps->npaths; i++)
		free(ps->paths[i]);
	free(ps->paths);
	free(ps);
}

/* the members of the object at s->p, their values' texts into the spans of
 * the paths in node.  0, -1 not valid JSON, -2 an escaped key (ask json-c). */
static int span_object(struct scan *s, const struct pnode *node, struct rft_json_span *spans)
{
	int rc;

	if ((rc = scan_open(s, '}')) != 0)
		return rc < 0 ? -1 : 0;
	for (;;) {
		const unsigned char *k, *v;
		const struct pedge *e = NULL;
		size_t kn, i;
		int esc;

		if (scan_key(s, &k, &kn, &esc) < 0)
			return -1;
		if (esc && node->n)
			return -2;
		for (i = 0; i < node->n; i++)
			if (node->e[i].len == kn && (kn == 0 || *node->e[i].key == (char)*k) &&
			    !memcmp(node->e[i].key, k, kn)) {
				e = &node->e[i];
				break;
			}
		v = s->p;
		if (!e) {
			rc = scan_value(s);
		} else {
			/* a repeated key replaces the first (as json-c does):
			 * forget what was found under it */
			for (i = 0; i < e->nunder; i++)
				spans[e->under[i]].p = NULL;
			if (e->child && s->p < s->end && *s->p == '{')
				rc = span_object(s, e->child, spans);
			else
				rc = scan_value(s);
			for (i = 0; rc == 0 && i < e->nix; i++) {
				spans[e->ix[i]].p = (const char *)v;
				spans[e->ix[i]].len = (size_t)(s->p - v);
			}
		}
		if (rc < 0)
			return rc;
		if ((rc = scan_sep(s, '}')) != 0)
			return rc < 0 ? -1 : 0;
		scan_ws(s);
	}
}

/* the member at a dotted path of a json-c tree into *out (NULL: a JSON
 * null): 1, or 0 when there is none */
static int tree_path(struct json_object *o, const char *path, struct json_object **out)
{
	char part[256];

	for (;;) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(part) || !o || !json_object_is_type(o, json_type_object))
			return 0;
		memcpy(part, path, n);
		part[n] = '\0';
		if (!json_object_object_get_ex(o, part, &o))
			return 0;
		if (!path[n])
			break;
		path += n + 1;
	}
	*out = o;
	return 1;
}

int rft_json_spans(const char *buf, size_t len, const struct rft_json_paths *ps,
		   struct rft_json_span *spans, struct strbuf *store, struct strbuf *err)
{
	struct scan s = { (const unsigned char *)buf, (const unsigned char *)buf + len, 0, NULL, NULL };
	size_t i, *off, npaths = ps->npaths;
	struct json_object *o;

	for (i = 0; i < npaths; i++) {
		spans[i].p = NULL;
		spans[i].len = 0;
	}
	scan_ws(&s);
	if (len <= (size_t)0x7fffffff && s.p < s.end && *s.p == '{' && span_object(&s, &ps->root, spans) == 0) {
		scan_ws(&s);
		if (s.p == s.end)
			return 0;
	}
	/* not ours to decide: json-c says what is wrong, or (an escaped key)
	 * builds the tree, and the values are written out into store */
	if (rft_json_parse(buf, len, &o, err) < 0)
		return -1;
	if (!o || !json_object_is_type(o, json_type_object)) {
		strbuf_addf(err, "expected a JSON object, got %s", rft_json_type_name(o));
		json_object_put(o);
		return -1;
	}
	strbuf_reset(store);
	off = ecalloc(npaths ? npaths : 1, sizeof(*off));
	for (i = 0; i < npaths; i++) {
		struct json_object *v;

		spans[i].p = NULL;
		if (!tree_path(o, ps->paths[i], &v))
			continue;
		off[i] = store->len;
		json_put_value(store, v);
		spans[i].len = store->len - off[i];
		spans[i].p = "";
	}
	for (i = 0; i < npaths; i++)
		if (spans[i].p)
			spans[i].p = store->buf + off[i];
	free(off);
	json_object_put(o);
	return 0;
}

enum json_type rft_json_span_type(const struct rft_json_span *v)
{
	size_t i;

	if (!v->p || !v->len)
		return json_type_null;
	switch (v->p[0]) {
	case '{': return json_type_object;
	case '[': return json_type_array;
	case '"': return json_type_string;
	case 't': case 'f': return json_type_boolean;
	case 'n': return json_type_null;
	}
	/* spans come from checked documents: what is left is a number */
	if (v->p[0] != '-' && (v->p[0] < '0' || v->p[0] > '9'))
		die(RFT_EX_SOFTWARE, "rft_json_span_type: '%.*s' is not a JSON value",
		    (int)(v->len < 40 ? v->len : 40), v->p);
	for (i = 0; i < v->len; i++)
		if (strchr(".eE", v->p[i]))
			return json_type_double;
	return json_type_int;
}

const char *rft_json_span_type_name(const struct rft_json_span *v)
{
	return type_name(rft_json_span_type(v));
}

int rft_json_span_str(const struct rft_json_span *v, struct strbuf *out)
{
	struct json_object *o;
	struct strbuf e = STRBUF_INIT;

	if (rft_json_span_type(v) != json_type_string)
		return -1;
	if (!memchr(v->p, '\\', v->len)) {
		strbuf_add(out, v->p + 1, v->len - 2);
		return 0;
	}
	if (rft_json_parse(v->p, v->len, &o, &e) < 0)
		die(RFT_EX_SOFTWARE, "rft_json_span_str: %s", e.buf);
	strbuf_release(&e);
	strbuf_add(out, json_object_get_string(o), (size_t)json_object_get_string_len(o));
	json_object_put(o);
	return 0;
}

int rft_json_span_num(const struct rft_json_span *v, double *out)
{
	char small[64], *num;
	enum json_type t = rft_json_span_type(v);

	if (t != json_type_int && t != json_type_double)
		return -1;
	/* a number of any length (0.000...1 as json-c reads it, not refused) */
	num = v->len < sizeof(small) ? small : emalloc(v->len + 1);
	memcpy(num, v->p, v->len);
	num[v->len] = '\0';
	/* json-c's double of an integer is its int64 or uint64 value rounded
	 * to the nearest double, which strtod gives too (integers beyond 64
	 * bits were refused); the integer -0 is json-c's int 0 */
	*out = strtod(num, NULL);
	if (t == json_type_int && *out == 0)
		*out = 0;
	if (num != small)
		free(num);
	return 0;
}

int rft_json_span_bool(const struct rft_json_span *v)
{
	return v->p && v->len == 4 && !memcmp(v->p, "true", 4);
}

int rft_json_span_next(const struct rft_json_span *arr, size_t *pos, struct rft_json_span *elem)
{
	struct scan s;
	const unsigned char *start;

	if (*pos == 0)
		*pos = 1;  /* past the '[' */
	s.p = (const unsigned char *)arr->p + *pos;
	s.end = (const unsigned char *)arr->p + arr->len;
	s.depth = 0;
	s.bad = NULL;
	s.why = NULL;
	scan_ws(&s);
	if (s.p < s.end && *s.p == ',')
		s.p++;
	scan_ws(&s);
	if (s.p >= s.end || *s.p == ']')
		return 0;
	start = s.p;
	if (scan_value(&s) < 0)
		die(RFT_EX_SOFTWARE, "rft_json_span_next: %s in an array the reader checked",
		    s.why ? s.why : "invalid JSON");
	elem->p = (const char *)start;
	elem->len = (size_t)(s.p - start);
	*pos = (size_t)(s.p - (const unsigned char *)arr->p);
	return 1;
}

int rft_json_span_member(const struct rft_json_span *obj, const char *key, struct rft_json_span *out)
{
	struct scan s;
	size_t want = strlen(key);
	int found = 0, rc;

	if (rft_json_span_type(obj) != json_type_object)
		return 0;
	s.p = (const unsigned char *)obj->p;
	s.end = s.p + obj->len;
	s.depth = 0;
	s.bad = NULL;
	s.why = NULL;
	if ((rc = scan_open(&s, '}')) != 0)
		return 0;
	for (;;) {
		const unsigned char *k, *v;
		size_t kn;
		int esc;

		if (scan_key(&s, &k, &kn, &esc) < 0)
			die(RFT_EX_SOFTWARE, "rft_json_span_member: %s in an object the reader checked",
			    s.why ? s.why : "invalid JSON");
		if (esc)
			return -1;
		v = s.p;
		if (scan_value(&s) < 0)
			die(RFT_EX_SOFTWARE, "rft_json_span_member: %s in an object the reader checked",
			    s.why ? s.why : "invalid JSON");
		if (kn == want && !memcmp(k, key, kn)) {
			/* a repeated key: the last one counts, as in json-c */
			out->p = (const char *)v;
			out->len = (size_t)(s.p - v);
			found = 1;
		}
		if ((rc = scan_sep(&s, '}')) < 0)
			die(RFT_EX_SOFTWARE, "rft_json_span_member: %s in an object the reader checked",
			    s.why ? s.why : "invalid JSON");
		if (rc)
			return found;
		scan_ws(&s);
	}
}

void rft_json_span_put(const struct rft_json_span *v, struct strbuf *out)
{
	struct json_object *o;
	struct strbuf e = STRBUF_INIT;
	enum json_type t = rft_json_span_type(v);

	if (!v->p) {
		strbuf_addstr(out, "null");
		return;
	}
	if (t == json_type_boolean || t == json_type_null ||
	    (t == json_type_string && !memchr(v->p, '\\', v->len))) {
		strbuf_add(out, v->p, v->len);
		return;
	}
	/* numbers, escapes and containers: as json-c reads and we write them */
	if (rft_json_parse(v->p, v->len, &o, &e) < 0)
		die(RFT_EX_SOFTWARE, "rft_json_span_put: %s", e.buf);
	strbuf_release(&e);
	json_put_value(out, o);
	json_object_put(o);
}

struct json_object *rft_json_load_object(const char *path, size_t max, int code,
					 const char *what)
{
	struct rft_input in;
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *o = NULL;

	if (rft_input_open(&in, path) < 0)
		exit(rft_finish(RFT_EX_NOINPUT));
	if (rft_input_slurp(&in, &sb, max) < 0 || rft_input_close(&in) < 0)
		exit(rft_finish(code));
	if (rft_json_parse(sb.buf, sb.len, &o, &err) < 0)
		die(code, "%s: %s%s%s", path, what ? what : "", what ? ": " : "", err.buf);
	if (!o || !json_object_is_type(o, json_type_object))
		die(code, "%s: %s%sexpected a JSON object, got %s", path, what ? what : "",
		    what ? ": " : "", rft_json_type_name(o));
	strbuf_release(&sb);
	strbuf_release(&err);
	return o;
}
