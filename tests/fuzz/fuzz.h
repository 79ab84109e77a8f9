/*
 * fuzz.h - what the fuzz harnesses of tests/fuzz share: the libFuzzer
 * entry point, an independent strict JSON / UTF-8 checker to hold readers
 * to, and a check macro that names what disagreed before aborting.
 *
 * Every harness defines LLVMFuzzerTestOneInput.  Built with libFuzzer
 * (make fuzz-build) it is fuzzed; built with tests/fuzz/replay.c (make
 * check) it replays the corpus and reproducer files.  Nothing here may
 * depend on which: a harness is plain C11 plus the project's headers.
 */
#ifndef RFT_FUZZ_H
#define RFT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FZ_CHECK(cond, fmt, ...): when cond is false, print "fuzz: CHECK FAILED
 * (file:line): cond: what" and abort(): libFuzzer saves the input as a
 * crash, the replay driver names the file. */
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	RFT_PRINTF(4, 5) RFT_NORETURN;
#define FZ_CHECK(cond, ...) \
	do { if (!(cond)) fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)

/* 1 when p[0..n) is UTF-8 as RFC 3629 defines it: shortest forms only, no
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF.  NUL is allowed. */
int fz_utf8_valid(const char *p, size_t n);

/* 1 when p[0..n) is one JSON text as RFC 8259 defines it (white space
 * around one value; no NaN/Infinity, no leading zeros, no "1.", no raw
 * control characters in strings) whose strings are valid UTF-8
 * (fz_utf8_valid, NUL excluded).  Nesting is not limited here. */
int fz_json_strict(const char *p, size_t n);

/* A memfd holding data[0..n), and its path (/proc/self/fd/N) in path[32].
 * Returns the descriptor (close it), dies on failure. */
int fz_memfd(const void *data, size_t n, char path[32]);

/* The value at a dotted path of a json-c tree ("a.b": member b of member
 * a; no array indexes): 1 and *out (NULL for a JSON null), or 0. */
struct json_object;
int fz_tree_path(struct json_object *o, const char *path, struct json_object **out);

/* json_put_value of v into a fresh text (the caller frees it) */
char *fz_put(struct json_object *v);

#endif
