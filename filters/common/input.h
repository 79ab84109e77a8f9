/*
 * input.h - read a file or stdin, plain or gzip, with file:line tracking.
 *
 * gzip is recognised by its magic bytes whatever the file is called; plain
 * input is read with read(2) straight into the line buffer (a pipe's data is
 * handed on as soon as it arrives); concatenated gzip members are read as one
 * stream, and what follows the last member is ignored, as gzip(1) does.  A
 * truncated or corrupt gzip stream is an error when its end is reached.
 *
 * Ownership rule: struct rft_input owns its buffers, its descriptor, its
 * inflate state and a copy of the name; rft_input_close() releases all of
 * them (call it exactly once after a successful open, also on error paths).
 * Lines returned through a strbuf are copied into the caller's strbuf.
 *
 * Errors are printed (as "PROG: NAME:LINE: what") and reported as -1.
 */
#ifndef RFT_INPUT_H
#define RFT_INPUT_H

#include <stddef.h>
#include <zlib.h>

#include "strbuf.h"

#define RFT_MAX_RECORD_DEFAULT (64u << 20)   /* 64 MiB: one line / document */

struct rft_input {
	int fd;                     /* -1 when closed */
	z_stream z;                 /* gzip: the inflate state ... */
	unsigned char *zbuf;        /* ... and its compressed input */
	size_t zcap;
	int zstate;                 /* 0 not gzip, 1 in a member, 2 between members */
	char *name;                 /* for messages: path, or "<stdin>" */
	unsigned long long lineno;  /* line of the last line returned (1-based) */
	size_t max_record;          /* longest line accepted */
	char *buf;
	size_t pos, end, cap;
	int eof;
	int compressed;             /* gzip detected (valid after open) */
};

/* Open path ("-" or NULL is stdin).  Returns 0, or -1 with errno set and a
 * message printed. */
int rft_input_open(struct rft_input *in, const char *path);

/*
 * Next line into line (without its '\n'; a final line without '\n' is
 * returned too).  1: a line, 0: end of input, -1: error (read error, corrupt
 * gzip; printed), -2: a line longer than max_record, which was skipped (not
 * printed: the caller decides; lineno is that line's number).
 */
int rft_input_getline(struct rft_input *in, struct strbuf *line);

/* Make at least n bytes (or all that is left) visible at *p without
 * consuming them.  Returns the number visible, or -1 on error. */
long rft_input_peek(struct rft_input *in, size_t n, const char **p);

/* Read up to n bytes.  Returns bytes read, 0 at end, -1 on error. */
long rft_input_read(struct rft_input *in, void *dst, size_t n);

/* Append everything left to sb, at most max bytes.  0 or -1. */
int rft_input_slurp(struct rft_input *in, struct strbuf *sb, size_t max);

/* Close; -1 if the gzip stream was truncated or corrupt (message printed). */
int rft_input_close(struct rft_input *in);

#endif
