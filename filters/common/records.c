#include "records.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

void rft_records_init(struct rft_records *r, char **paths, int npaths)
{
	static char *dash[] = { (char *)"-" };

	memset(r, 0, sizeof(*r));
	r->paths = npaths > 0 ? paths : dash;
	r->npaths = npaths > 0 ? npaths : 1;
	strbuf_init(&r->line, 0);
	strbuf_init(&r->where, 0);
	r->skip_bad = -1;
	r->max_record = RFT_MAX_RECORD_DEFAULT;
}

long long rft_skip_bad_arg(const char *arg)
{
	long long n;

	if (!arg)
		return 0x7fffffffffffffffLL;
	n = rft_parse_count(arg);
	if (n < 0)
		die(RFT_EX_USAGE, "option '--skip-bad' needs a whole number, not '%s'", arg);
	return n;
}

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
		if (!k || c < 0xC2 || c > 0xF4 || i + k >= n)
			return 0;
		while (k--)
			if ((s[++i] & 0xC0) != 0x80)
				return 0;
		i++;
	}
	return 1;
}

static void vbad(struct rft_records *r, const char *fmt, va_list ap)
{
	struct strbuf msg = STRBUF_INIT;

	strbuf_vaddf(&msg, fmt, ap);
	r->nbad++;
	if (r->skip_bad < 0)
		die(RFT_EX_DATA, "%s: %s", r->where.buf, msg.buf);
	if ((long long)r->nbad > r->skip_bad)
		die(RFT_EX_DATA, "%s: %s (more than %lld bad records, stopping)",
		    r->where.buf, msg.buf, r->skip_bad);
	warn("%s: %s (skipped)", r->where.buf, msg.buf);
	if (r->rejects) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "{\"where\":");
		json_put_str(&sb, r->where.buf);
		strbuf_addstr(&sb, ",\"message\":");
		json_put_str(&sb, msg.buf);
		strbuf_addstr(&sb, ",\"line\":");
		if (utf8_valid((const unsigned char *)r->line.buf, r->line.len))
			json_put_strn(&sb, r->line.buf, r->line.len);
		else
			strbuf_addstr(&sb, "null");
		strbuf_addstr(&sb, "}\n");
		rft_output_write(r->rejects, sb.buf, sb.len);
		strbuf_release(&sb);
	}
	strbuf_release(&msg);
}

void rft_records_bad(struct rft_records *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, fmt, ap);
	va_end(ap);
}

static void bad(struct rft_records *r, const char *fmt, ...) RFT_PRINTF(2, 3);
static void bad(struct rft_records *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, fmt, ap);
	va_end(ap);
}

int rft_records_next(struct rft_records *r, struct json_object **obj)
{
	struct strbuf err = STRBUF_INIT;

	*obj = NULL;
	for (;;) {
		size_t i;
		int got;

		if (!r->open) {
			if (r->next == r->npaths)
				break;
			if (rft_input_open(&r->in, r->paths[r->next++]) < 0)
				exit(rft_finish(RFT_EX_NOINPUT));
			r->in.max_record = r->max_record;
			r->open = 1;
		}
		got = rft_input_getline(&r->in, &r->line);
		if (got == 0 || got == -1) {
			int closed = rft_input_close(&r->in);

			r->open = 0;
			if (got == -1 || closed < 0)
				exit(rft_finish(RFT_EX_DATA));
			continue;
		}
		strbuf_reset(&r->where);
		strbuf_addf(&r->where, "%s:%llu", r->in.name, r->in.lineno);
		if (got == -2) {
			strbuf_reset(&r->line);
			bad(r, "line longer than %zu bytes", r->max_record);
			continue;
		}
		if (r->line.len && r->line.buf[r->line.len - 1] == '\r')
			strbuf_setlen(&r->line, r->line.len - 1);
		for (i = 0; i < r->line.len && strchr(" \t", r->line.buf[i]); i++)
			;
		if (i == r->line.len)
			continue;
		strbuf_reset(&err);
		if (rft_json_parse_paths(r->line.buf, r->line.len, r->select, obj, &err) < 0) {
			bad(r, "%s", err.buf);
			continue;
		}
		if (!*obj || !json_object_is_type(*obj, json_type_object)) {
			bad(r, "expected a JSON object, got %s", rft_json_type_name(*obj));
			json_object_put(*obj);
			*obj = NULL;
			continue;
		}
		r->nread++;
		strbuf_release(&err);
		return 1;
	}
	strbuf_release(&err);
	return 0;
}

void rft_records_release(struct rft_records *r)
{
	if (r->open)
		rft_input_close(&r->in);
	r->open = 0;
	strbuf_release(&r->line);
	strbuf_release(&r->where);
	rft_json_thread_done();
}

static void record_set(struct strbuf *line, struct json_object *obj, const char *key,
		       const char *value_json, int update_obj)
{
	struct json_object *v = NULL;
	size_t end = line->len;
	int had = json_object_object_get_ex(obj, key, NULL);

	if (had || update_obj) {
		v = json_tokener_parse(value_json);
		if (!v && strcmp(value_json, "null") != 0)
			die(RFT_EX_SOFTWARE, "rft_record_set: bad JSON value %s", value_json);
		json_object_object_add(obj, key, v);
	}
	while (end > 0 && strchr(" \t\r\n", line->buf[end - 1]))
		end--;
	if (!had && end > 0 && line->buf[end - 1] == '}') {
		struct strbuf tail = STRBUF_INIT;
		size_t i = end - 1;

		while (i > 0 && strchr(" \t\r\n", line->buf[i - 1]))
			i--;
		if (line->buf[i - 1] != '{')
			strbuf_addch(&tail, ',');
		json_put_str(&tail, key);
		strbuf_addch(&tail, ':');
		strbuf_addstr(&tail, value_json);
		strbuf_addch(&tail, '}');
		strbuf_setlen(line, end - 1);
		strbuf_add(line, tail.buf, tail.len);
		strbuf_release(&tail);
		return;
	}
	strbuf_reset(line);
	json_put_value(line, obj);
}

void rft_record_set(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json)
{
	record_set(line, obj, key, value_json, 1);
}

void rft_record_put(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json)
{
	record_set(line, obj, key, value_json, 0);
}
