#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ (128u << 10)

int rft_input_open(struct rft_input *in, const char *path)
{
	int fd;

	memset(in, 0, sizeof(*in));
	in->max_record = RFT_MAX_RECORD_DEFAULT;
	if (!path || !strcmp(path, "-")) {
		in->name = estrdup("<stdin>");
		fd = dup(STDIN_FILENO);
	} else {
		in->name = estrdup(path);
		fd = open(path, O_RDONLY);
	}
	if (fd < 0) {
		error("cannot open '%s':", in->name);
		free(in->name);
		in->name = NULL;
		return -1;
	}
	in->gz = gzdopen(fd, "rb");
	if (!in->gz) {
		close(fd);
		error("cannot open '%s': out of memory", in->name);
		free(in->name);
		in->name = NULL;
		errno = ENOMEM;
		return -1;
	}
	gzbuffer(in->gz, BUFSZ);
	in->cap = BUFSZ;
	in->buf = emalloc(in->cap);
	return 0;
}

static int gz_failed(struct rft_input *in)
{
	int errnum;
	const char *msg = gzerror(in->gz, &errnum);

	if (errnum == Z_ERRNO)
		return error("%s: read error:", in->name);
	return error("%s: corrupt gzip data (%s)", in->name, msg);
}

/* End of data: a gzip stream that ends mid-member is an error now, not
 * just at close, so that its partial last line is never taken as data. */
static int hit_eof(struct rft_input *in)
{
	int errnum = Z_OK;

	in->eof = 1;
	gzerror(in->gz, &errnum);
	if (errnum == Z_BUF_ERROR)
		return error("%s: truncated gzip stream (unexpected end of file)", in->name);
	return 0;
}

/* Read more into buf after end; 1 if bytes were added, 0 at EOF, -1 error. */
static int fill(struct rft_input *in)
{
	int n;

	if (in->eof)
		return 0;
	if (in->pos > 0 && in->pos == in->end)
		in->pos = in->end = 0;
	if (in->end == in->cap) {
		if (in->pos > 0) {
			memmove(in->buf, in->buf + in->pos, in->end - in->pos);
			in->end -= in->pos;
			in->pos = 0;
		} else {
			in->cap *= 2;
			in->buf = erealloc(in->buf, in->cap);
		}
	}
	n = gzread(in->gz, in->buf + in->end, (unsigned)(in->cap - in->end));
	if (n < 0)
		return gz_failed(in);
	if (in->lineno == 0 && in->end == 0 && n > 0)
		in->compressed = !gzdirect(in->gz);
	if (n == 0)
		return hit_eof(in);
	in->end += (size_t)n;
	return 1;
}

int rft_input_getline(struct rft_input *in, struct strbuf *line)
{
	size_t scanned = 0;

	strbuf_reset(line);
	for (;;) {
		char *start = in->buf + in->pos;
		size_t avail = in->end - in->pos;
		char *nl = scanned < avail ? memchr(start + scanned, '\n', avail - scanned) : NULL;
		int r;

		if (nl) {
			size_t len = (size_t)(nl - start);

			if (len > in->max_record)
				goto too_long;
			strbuf_add(line, start, len);
			in->pos += len + 1;
			in->lineno++;
			return 1;
		}
		if (avail > in->max_record)
			goto too_long;
		scanned = avail;
		r = fill(in);
		if (r < 0)
			return -1;
		if (r == 0) {
			avail = in->end - in->pos;
			if (avail == 0)
				return 0;
			strbuf_add(line, in->buf + in->pos, avail);
			in->pos = in->end;
			in->lineno++;
			return 1;
		}
	}
too_long:
	/* discard the rest of the line so that the caller may go on */
	strbuf_reset(line);
	for (;;) {
		char *nl = memchr(in->buf + in->pos, '\n', in->end - in->pos);
		int r;

		if (nl) {
			in->pos = (size_t)(nl - in->buf) + 1;
			break;
		}
		in->pos = in->end;
		r = fill(in);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	in->lineno++;
	return -2;
}

long rft_input_peek(struct rft_input *in, size_t n, const char **p)
{
	while (in->end - in->pos < n) {
		int r = fill(in);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	*p = in->buf + in->pos;
	return (long)(in->end - in->pos);
}

long rft_input_read(struct rft_input *in, void *dst, size_t n)
{
	size_t avail = in->end - in->pos;
	int r;

	if (avail == 0) {
		if (in->eof)
			return 0;
		/* large reads go straight through */
		if (n >= in->cap) {
			r = gzread(in->gz, dst, (unsigned)(n > (1u << 30) ? (1u << 30) : n));
			if (r < 0)
				return gz_failed(in);
			if (r == 0)
				return hit_eof(in);
			return r;
		}
		r = fill(in);
		if (r <= 0)
			return r;
		avail = in->end - in->pos;
	}
	if (n > avail)
		n = avail;
	memcpy(dst, in->buf + in->pos, n);
	in->pos += n;
	return (long)n;
}

int rft_input_slurp(struct rft_input *in, struct strbuf *sb, size_t max)
{
	size_t start = sb->len;

	for (;;) {
		long n;

		strbuf_grow(sb, BUFSZ);
		n = rft_input_read(in, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (sb->len - start > max)
			return error("%s: larger than %zu bytes (raise --max-record)",
				     in->name, max);
	}
	return 0;
}

int rft_input_close(struct rft_input *in)
{
	int ret = 0, errnum = Z_OK;

	if (!in->gz)
		return 0;
	errnum = gzclose_r(in->gz);
	if (errnum == Z_BUF_ERROR && !in->eof)
		ret = error("%s: truncated gzip stream", in->name);
	else if (errnum != Z_OK && errnum != Z_BUF_ERROR)
		ret = error("%s: error closing input", in->name);
	in->gz = NULL;
	free(in->buf);
	free(in->name);
	in->buf = NULL;
	in->name = NULL;
	return ret;
}
