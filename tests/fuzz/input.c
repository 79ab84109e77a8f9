/*
 * input.c - fuzz target: the line reader (common/input.h), plain and gzip.
 *
 * Input: one option byte, then the data.  The option byte picks max_record
 * (9 values: 0, 1, 2, 64, 4095 and the 128 KiB buffer's edges, and the
 * default) and (when its bits 4-6 are all set) whether the data is repeated past 130 KiB (so lines cross
 * the reader's buffer).  The data is read from a memfd:
 *   plain (unless it starts with gzip's magic: then it is gzip to the reader),
 *   as one gzip member, as two members plus trailing junk,
 * and every reading must give the lines a plain splitter gives (a line over
 * max_record: rft_input_getline returns -2 for it, and only for it);
 * rft_input_read in odd chunk sizes must give the data back; the gzip cut
 * short anywhere must end in an error, never in a quiet end of input.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/input.h"
#include "fuzz.h"

static const size_t max_records[] = {
	0, 1, 2, 64, 4095, (128u << 10) - 1, 128u << 10, (128u << 10) + 1, RFT_MAX_RECORD_DEFAULT,
};

/* gzip of p[0..n) appended to out */
static void gzip_append(struct strbuf *out, const char *p, size_t n)
{
	z_stream z;
	unsigned char tmp[16384];
	int zr;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR)
			abort();
		strbuf_add(out, tmp, sizeof(tmp) - z.avail_out);
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
}

/* the reference: lines of data as -2 (too long) or their text, in order,
 * as "L<len>:<bytes>" / "X" records in want */
static void expect_lines(const char *p, size_t n, size_t maxr, struct strbuf *want)
{
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (p + i)) : n - i;

		if (len > maxr)
			strbuf_addstr(want, "X");
		else {
			strbuf_addf(want, "L%zu:", len);
			strbuf_add(want, p + i, len);
		}
		i += len + (nl ? 1 : 0);
	}
}

/* read every line of path: 0 at a clean end, -1 at an error */
static int read_lines(const char *path, size_t maxr, struct strbuf *got)
{
	struct rft_input in;
	struct strbuf line = STRBUF_INIT;
	unsigned long long n = 0;
	int r;

	FZ_CHECK(rft_input_open(&in, path) == 0, "cannot open the memfd");
	in.max_record = maxr;
	while ((r = rft_input_getline(&in, &line)) != 0) {
		if (r == -1)
			break;
		n++;
		FZ_CHECK(in.lineno == n, "lineno %llu at line %llu", in.lineno, n);
		if (r == -2) {
			strbuf_addstr(got, "X");
			continue;
		}
		FZ_CHECK(r == 1, "getline returned %d", r);
		FZ_CHECK(line.len <= maxr, "a line of %zu bytes with max_record %zu", line.len, maxr);
		strbuf_addf(got, "L%zu:", line.len);
		strbuf_add(got, line.buf, line.len);
	}
	if (rft_input_close(&in) < 0)
		r = -1;
	strbuf_release(&line);
	return r == -1 ? -1 : 0;
}

static void read_chunks(const char *path, const char *want, size_t n, unsigned step)
{
	struct rft_input in;
	struct strbuf got = STRBUF_INIT;
	char tmp[4096];
	long r;
	size_t k = 1;

	FZ_CHECK(rft_input_open(&in, path) == 0, "cannot open the memfd");
	for (;;) {
		size_t ask = (k * step) % sizeof(tmp) + 1;

		r = rft_input_read(&in, tmp, ask);
		if (r <= 0)
			break;
		FZ_CHECK((size_t)r <= ask, "read %ld of %zu", r, ask);
		strbuf_add(&got, tmp, (size_t)r);
		k++;
	}
	FZ_CHECK(r == 0, "rft_input_read failed on a good gzip stream");
	FZ_CHECK(rft_input_close(&in) == 0, "close failed");
	FZ_CHECK(got.len == n && !memcmp(got.buf, want, n), "read gives %zu bytes of %zu", got.len, n);
	strbuf_release(&got);
}

static int through(const char *data, size_t n, size_t maxr, struct strbuf *got)
{
	char path[32];
	int fd = fz_memfd(data, n, path), rc;

	strbuf_reset(got);
	rc = read_lines(path, maxr, got);
	close(fd);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf d = STRBUF_INIT, want = STRBUF_INIT, got = STRBUF_INIT, gz = STRBUF_INIT;
	size_t maxr, half, cut, k;
	unsigned opt;
	char path[32];
	int fd;

	if (size < 1)
		return 0;
	opt = data[0];
	maxr = max_records[(opt & 15) % (sizeof(max_records) / sizeof(*max_records))];
	strbuf_add(&d, data + 1, size - 1);
	if ((opt & 0x70) == 0x70 && size > 1)
		while (d.len < (130u << 10))
			strbuf_add(&d, data + 1, size - 1);
	expect_lines(d.buf, d.len, maxr, &want);

	/* plain (what starts with the magic is gzip to the reader: not here) */
	if (!(d.len >= 2 && (unsigned char)d.buf[0] == 0x1f && (unsigned char)d.buf[1] == 0x8b)) {
		FZ_CHECK(through(d.buf, d.len, maxr, &got) == 0, "plain data gave an error");
		FZ_CHECK(got.len == want.len && !memcmp(got.buf, want.buf, got.len), "plain: other lines");
	}
	/* one gzip member */
	gzip_append(&gz, d.buf, d.len);
	FZ_CHECK(through(gz.buf, gz.len, maxr, &got) == 0, "gzip gave an error");
	FZ_CHECK(got.len == want.len && !memcmp(got.buf, want.buf, got.len), "gzip: other lines");
	fd = fz_memfd(gz.buf, gz.len, path);
	read_chunks(path, d.buf, d.len, opt >> 5);
	close(fd);
	/* cut short: an error at the end, whatever came before */
	for (k = 0; k < 4; k++) {
		/* in the header, in the data, in the trailer, the last byte */
		cut = k == 0 ? 5 : k == 1 ? gz.len / 2 : k == 2 ? gz.len - 5 : gz.len - 1;
		FZ_CHECK(through(gz.buf, cut, maxr, &got) == -1, "gzip cut at %zu of %zu read as complete",
			 cut, gz.len);
	}
	/* two members and junk after them */
	strbuf_reset(&gz);
	half = d.len / 2;
	gzip_append(&gz, d.buf, half);
	gzip_append(&gz, d.buf + half, d.len - half);
	strbuf_addstr(&gz, "junk after the last member\n");
	FZ_CHECK(through(gz.buf, gz.len, maxr, &got) == 0, "two gzip members gave an error");
	FZ_CHECK(got.len == want.len && !memcmp(got.buf, want.buf, got.len), "two gzip members: other lines");

	strbuf_release(&d);
	strbuf_release(&want);
	strbuf_release(&got);
	strbuf_release(&gz);
	return 0;
}
