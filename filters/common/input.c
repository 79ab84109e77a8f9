#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ (128u << 10)

/* read(2) that retries on EINTR: bytes read, 0 at end, -1 error */
static ssize_t read_some(int fd, void *dst, size_t n)
{
	ssize_t r;

	do
		r = read(fd, dst, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int read_failed(struct rft_input *in)
{
	return error("%s: read error:", in->name);
}

int rft_input_open(struct rft_input *in, const char *path)
{
	int fd;
	size_t have = 0;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
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
	in->fd = fd;
	in->cap = BUFSZ;
	in->buf = emalloc(in->cap);
	/* the first bytes say which it is: gzip's magic, or plain data */
	while (have < 2) {
		ssize_t r = read_some(fd, in->buf + have, in->cap - have);

		if (r < 0) {
			error("cannot read '%s':", in->name);
			close(fd);
			free(in->buf);
			free(in->name);
			in->buf = in->name = NULL;
			in->fd = -1;
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	if (have >= 2 && (unsigned char)in->buf[0] == 0x1f && (unsigned char)in->buf[1] == 0x8b) {
		/* gzip: what was read is compressed input */
		in->compressed = 1;
		in->zcap = BUFSZ;
		in->zbuf = emalloc(in->zcap);
		memcpy(in->zbuf, in->buf, have);
		in->z.next_in = in->zbuf;
		in->z.avail_in = (uInt)have;
		if (inflateInit2(&in->z, 15 + 16) != Z_OK)
			die(RFT_EX_SOFTWARE, "%s: cannot start zlib", in->name);
		in->zstate = 1;
	} else {
		in->end = have;
		if (have == 0)
			in->eof = 1;
	}
	return 0;
}

/* gzip: inflate into dst[0..n); bytes made, 0 at the end, -1 error */
static long inflate_some(struct rft_input *in, unsigned char *dst, size_t n)
{
	for (;;) {
		int zr;

		if (in->z.avail_in == 0) {
			ssize_t r = read_some(in->fd, in->zbuf, in->zcap);

			if (r < 0)
				return read_failed(in);
			if (r == 0) {
				if (in->zstate == 1)
					return error("%s: truncated gzip stream (unexpected end of file)", in->name);
				return 0;
			}
			in->z.next_in = in->zbuf;
			in->z.avail_in = (uInt)r;
		}
		if (in->zstate == 2) {
			/* after a member: another one, or the end (what follows is
			 * not gzip data and is ignored, as gzip does) */
			if (in->z.next_in[0] != 0x1f) {
				in->z.avail_in = 0;
				return 0;
			}
			if (inflateReset(&in->z) != Z_OK)
				return error("%s: corrupt gzip data", in->name);
			in->zstate = 1;
		}
		in->z.next_out = dst;
		in->z.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
		zr = inflate(&in->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			in->zstate = 2;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return error("%s: corrupt gzip data (%s)", in->name, in->z.msg ? in->z.msg : "inflate failed");
		if (in->z.next_out != dst)
			return (long)(in->z.next_out - dst);
	}
}

/* Read up to n bytes of data into dst: bytes read, 0 at end, -1 error */
static long read_data(struct rft_input *in, void *dst, size_t n)
{
	ssize_t r;

	if (in->compressed)
		return inflate_some(in, dst, n);
	r = read_some(in->fd, dst, n > (1u << 30) ? (1u << 30) : n);
	if (r < 0)
		return read_failed(in);
	return (long)r;
}

/* Read more into buf after end; 1 if bytes were added, 0 at EOF, -1 error. */
static int fill(struct rft_input *in)
{
	long n;

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
	n = read_data(in, in->buf + in->end, in->cap - in->end);
	if (n < 0) {
		in->eof = 1;
		return -1;
	}
	if (n == 0) {
		in->eof = 1;
		return 0;
	}
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
			long got = read_data(in, dst, n);

			if (got <= 0)
				in->eof = 1;
			return got;
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
	if (in->fd < 0)
		return 0;
	if (in->compressed)
		inflateEnd(&in->z);
	close(in->fd);
	in->fd = -1;
	free(in->zbuf);
	free(in->buf);
	free(in->name);
	in->zbuf = NULL;
	in->buf = NULL;
	in->name = NULL;
	return 0;
}
