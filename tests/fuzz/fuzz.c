/*
 * fuzz.c - the helpers of fuzz.h.  The JSON checker is written from RFC 8259
 * and RFC 3629 on purpose apart from filters/common/json.c: it is the
 * reference the readers are held to, so it must not share their code.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/json.h"

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "fuzz: CHECK FAILED (%s:%d): %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* the length of the UTF-8 character at p (1..4), or 0 when it is not one */
static size_t utf8_char(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t need, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC0 && c < 0xE0) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c < 0xF0) {
		need = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c < 0xF8) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	/* shortest form, no surrogates, in range */
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000))
		return 0;
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return need;
}

int fz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_char(p + i, n - i);

		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* --------------------------------------------- RFC 8259, by the grammar */

struct jcur {
	const unsigned char *p, *end;
};

static void j_ws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_hex(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int j_string(struct jcur *c)
{
	c->p++;  /* the quote */
	while (c->p < c->end) {
		unsigned ch = *c->p;
		size_t k;

		if (ch == '"') {
			c->p++;
			return 1;
		}
		if (ch < 0x20)
			return 0;
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return 0;
			ch = c->p[1];
			if (ch == 'u') {
				int i;

				if (c->end - c->p < 6)
					return 0;
				for (i = 2; i < 6; i++)
					if (!is_hex(c->p[i]))
						return 0;
				c->p += 6;
			} else if (ch == '"' || ch == '\\' || ch == '/' || ch == 'b' || ch == 'f' ||
				   ch == 'n' || ch == 'r' || ch == 't') {
				c->p += 2;
			} else {
				return 0;
			}
			continue;
		}
		k = utf8_char(c->p, (size_t)(c->end - c->p));
		if (!k)
			return 0;
		c->p += k;
	}
	return 0;
}

static int j_number(struct jcur *c)
{
	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end || !is_digit(*c->p))
		return 0;
	if (*c->p == '0') {
		c->p++;
	} else {
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return 0;
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || !is_digit(*c->p))
			return 0;
		while (c->p < c->end && is_digit(*c->p))
			c->p++;
	}
	return 1;
}

static int j_word(struct jcur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return 0;
	c->p += n;
	return 1;
}

/* a member's key and its colon, white space around the key skipped */
static int j_key(struct jcur *c)
{
	j_ws(c);
	if (c->p >= c->end || *c->p != '"' || !j_string(c))
		return 0;
	j_ws(c);
	if (c->p >= c->end || *c->p != ':')
		return 0;
	c->p++;
	return 1;
}

/* iterative over containers: a stack of the open brackets, so that the
 * reference itself cannot overflow the stack on deep input */
static int j_value(struct jcur *c)
{
	unsigned char *stack = NULL;
	size_t depth = 0, cap = 0;
	int ok = 0;

	for (;;) {
		/* a value */
		j_ws(c);
		if (c->p >= c->end)
			goto out;
		switch (*c->p) {
		case '{':
		case '[':
			if (depth == cap) {
				unsigned char *ns = realloc(stack, cap ? 2 * cap : 64);

				if (!ns)
					abort();
				stack = ns;
				cap = cap ? 2 * cap : 64;
			}
			stack[depth++] = *c->p;
			c->p++;
			j_ws(c);
			if (c->p < c->end && *c->p == (stack[depth - 1] == '{' ? '}' : ']')) {
				c->p++;
				depth--;
				break;
			}
			if (stack[depth - 1] == '{' && !j_key(c))   /* the first key */
				goto out;
			continue;
		case '"':
			if (!j_string(c))
				goto out;
			break;
		case 't':
			if (!j_word(c, "true"))
				goto out;
			break;
		case 'f':
			if (!j_word(c, "false"))
				goto out;
			break;
		case 'n':
			if (!j_word(c, "null"))
				goto out;
			break;
		default:
			if (!j_number(c))
				goto out;
		}
		/* after a value: close containers, or a comma and the next one */
		for (;;) {
			unsigned char close;

			if (depth == 0) {
				ok = 1;
				goto out;
			}
			close = stack[depth - 1] == '{' ? '}' : ']';
			j_ws(c);
			if (c->p >= c->end)
				goto out;
			if (*c->p == close) {
				c->p++;
				depth--;
				continue;
			}
			if (*c->p != ',')
				goto out;
			c->p++;
			if (stack[depth - 1] == '{' && !j_key(c))
				goto out;
			break;
		}
	}
out:
	free(stack);
	return ok;
}

int fz_json_strict(const char *p, size_t n)
{
	struct jcur c = { (const unsigned char *)p, (const unsigned char *)p + n };

	if (!j_value(&c))
		return 0;
	j_ws(&c);
	return c.p == c.end;
}

/* ------------------------------------------------------------ the rest */

int fz_memfd(const void *data, size_t n, char path[32])
{
	int fd = memfd_create("fuzz", 0);
	const char *p = data;

	if (fd < 0) {
		perror("fuzz: memfd_create");
		abort();
	}
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0) {
			perror("fuzz: write to a memfd");
			abort();
		}
		p += w;
		n -= (size_t)w;
	}
	snprintf(path, 32, "/proc/self/fd/%d", fd);
	return fd;
}

int fz_tree_path(struct json_object *o, const char *path, struct json_object **out)
{
	for (;;) {
		size_t n = strcspn(path, ".");
		char *key;
		int found;

		if (!o || !json_object_is_type(o, json_type_object))
			return 0;
		key = strndup(path, n);
		if (!key)
			abort();
		found = json_object_object_get_ex(o, key, &o);
		free(key);
		if (!found)
			return 0;
		if (!path[n])
			break;
		path += n + 1;
	}
	*out = o;
	return 1;
}

char *fz_put(struct json_object *v)
{
	struct strbuf sb = STRBUF_INIT;

	json_put_value(&sb, v);
	return strbuf_detach(&sb, NULL);
}
