#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* one tokener per thread, reused: allocating it per document was measurable */
static _Thread_local struct json_tokener *tls_tok;

void rft_json_thread_done(void)
{
	if (tls_tok)
		json_tokener_free(tls_tok);
	tls_tok = NULL;
}

int rft_json_parse(const char *buf, size_t len, struct json_object **out,
		   struct strbuf *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t off, i, line = 1, col = 1;

	*out = NULL;
	if (len > (size_t)0x7fffffff) {
		strbuf_addstr(err, "JSON document larger than 2 GiB");
		return -1;
	}
	for (i = 0; i < len && strchr(" \t\r\n", buf[i]); i++)
		;
	if (i == len) {
		strbuf_addstr(err, "empty JSON document");
		return -1;
	}
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
		for (i = off; i < len && strchr(" \t\r\n", buf[i]); i++)
			;
		if (i < len) {
			json_object_put(obj);
			obj = NULL;
			off = i;
		}
	}
	if (jerr != json_tokener_success || off < len) {
		const char *what = jerr == json_tokener_success ? "unexpected data after the JSON value" :
			jerr == json_tokener_error_parse_utf8_string ? "invalid UTF-8" :
			json_tokener_error_desc(jerr);

		if (off > len)
			off = len;
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
	*out = obj;
	return 0;
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

const char *rft_json_type_name(struct json_object *o)
{
	switch (o ? json_object_get_type(o) : json_type_null) {
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

void json_put_fixed(struct strbuf *sb, double v, int decimals)
{
	char tmp[64];
	int n;

	if (!isfinite(v)) {
		strbuf_add(sb, "null", 4);
		return;
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
