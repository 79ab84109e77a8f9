/*
 * util.h - messages, dying, and allocation that cannot fail.
 *
 * Ownership rule: functions named e*() (emalloc, estrdup, ...) return memory
 * the caller owns and frees with free(); they never return NULL, they die.
 *
 * Messages go to stderr as "PROG: text" after stdout has been flushed, so the
 * two streams stay in order when both go to one terminal or file.  A format
 * that ends in ':' gets ": strerror(errno)" appended (sbase's convention).
 *
 *   die(code, fmt, ...)   print, run the exit hooks (remove temporary
 *                         outputs), exit with code (see exitcodes.h)
 *   error(fmt, ...)       print, return -1:  return error("cannot open '%s'", p);
 *   warn(fmt, ...)        print, carry on
 */
#ifndef RFT_UTIL_H
#define RFT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exitcodes.h"

#if defined(__GNUC__)
#define RFT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RFT_NORETURN __attribute__((noreturn))
#else
#define RFT_PRINTF(a, b)
#define RFT_NORETURN
#endif

/* Set once at the top of main: rft_init(argv[0]) or rft_init("rft-extract"). */
void rft_init(const char *name);
extern const char *rft_progname;

void die(int code, const char *fmt, ...) RFT_PRINTF(2, 3) RFT_NORETURN;
int error(const char *fmt, ...) RFT_PRINTF(1, 2);
void warn(const char *fmt, ...) RFT_PRINTF(1, 2);

/* Run before exiting through die() or rft_exit(); at most 16 hooks. */
void rft_atexit(void (*fn)(void));

/*
 * Finish main: close stdout checking for errors (a full disk must not look
 * like success), run the hooks and return the status to exit with.  A write
 * error on stdout turns status into RFT_EX_IOERR, EPIPE into RFT_EX_PIPE
 * without a message.
 */
int rft_finish(int status);
/* s (NULL: none) with ASCII white space (space, \t \n \v \f \r) trimmed from
 * both ends: its first byte kept, and the kept length in *len (0 for NULL) */
const char *rft_trim(const char *s, size_t *len);
/* CLOCK_MONOTONIC seconds: for intervals, rates and rate limits */
double rft_now(void);

/* Called when a write to stdout failed: quiet exit on EPIPE, else dies. */
void rft_stdout_failed(void) RFT_NORETURN;

void *emalloc(size_t n);
void *ecalloc(size_t n, size_t size);
void *erealloc(void *p, size_t n);
char *estrdup(const char *s);
char *estrndup(const char *s, size_t n);

/*
 * UTF-8 as RFC 3629 defines it, the one rule every reader uses (JSON strings,
 * templates): shortest form only (no overlong C0 AF), no surrogates
 * U+D800..U+DFFF encoded in UTF-8 (ED A0 80), nothing past U+10FFFF.
 * rft_utf8_char: the length (1 to 4) of the valid character at p (p < end),
 * or 0 when the bytes there are not one.  rft_utf8_check: the offset of the
 * first byte of s[0..n) that does not start a valid character, or n.
 */
size_t rft_utf8_char(const unsigned char *p, const unsigned char *end);
size_t rft_utf8_check(const char *s, size_t n);
/* the code point of the valid character of length n (rft_utf8_char's answer) at p */
uint32_t rft_utf8_decode(const unsigned char *p, size_t n);
/* code point c (below U+110000) as UTF-8 at o, which has room for 4 bytes: its length */
size_t rft_utf8_encode(uint32_t c, char *o);
/* python's str.isspace() of code point c (the text metrics split as str.split() does) */
int rft_py_space(uint32_t c);

/* Does s end in suffix (or equal it)? */
int rft_has_suffix(const char *s, const char *suffix);

/*
 * splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", 2014), the one generator and mixer of rftkit: rft_mix64 is its
 * finaliser, a bijection of 64 bits (it also ends rft_hash64); rft_splitmix64
 * adds the gamma to *state and returns the mix of the new state.  Inline:
 * bootstraps draw it in their inner loop.
 */
#define RFT_SPLITMIX64_GAMMA 0x9e3779b97f4a7c15ULL
static inline uint64_t rft_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static inline uint64_t rft_splitmix64(uint64_t *state)
{
	return rft_mix64(*state += RFT_SPLITMIX64_GAMMA);
}

/* Parse a whole non-negative decimal number; -1 if s is not one. */
long long rft_parse_count(const char *s);
/* Threads to use: n when n > 0, else the CPUs online (at most 8); never
 * more than 64. */
int rft_threads(long long n);
/* fn(i, thread, ctx) for every i in 0..n-1 on nthreads threads (thread is
 * 0..nthreads-1, for per-thread scratch).  Items go in order to whichever
 * thread is free, so uneven items balance: what fn computes for i must not
 * depend on which thread runs it.  fn must not die. */
void rft_parallel_for(size_t n, int nthreads, void (*fn)(size_t i, int thread, void *ctx), void *ctx);

#endif
