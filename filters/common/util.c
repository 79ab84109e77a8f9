#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *rft_progname = "rft";

static void (*hooks[16])(void);
static int nhooks;

void rft_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	rft_progname = slash ? slash + 1 : name;
	/* Handle EPIPE ourselves so temporary outputs get removed. */
	signal(SIGPIPE, SIG_IGN);
}

void rft_atexit(void (*fn)(void))
{
	if (nhooks == (int)(sizeof(hooks) / sizeof(*hooks)))
		abort();
	hooks[nhooks++] = fn;
}

static void run_hooks(void)
{
	while (nhooks > 0)
		hooks[--nhooks]();
}

static void vmsg(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);

	fflush(stdout);
	fprintf(stderr, "%s: ", rft_progname);
	vfprintf(stderr, fmt, ap);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	run_hooks();
	exit(code);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	return -1;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void rft_stdout_failed(void)
{
	if (errno == EPIPE) {
		run_hooks();
		_exit(RFT_EX_PIPE);
	}
	die(RFT_EX_IOERR, "error writing standard output:");
}

int rft_finish(int status)
{
	int bad = ferror(stdout);

	errno = 0;
	if (fclose(stdout) != 0 || bad) {
		if (errno == EPIPE) {
			run_hooks();
			return RFT_EX_PIPE;
		}
		if (errno == 0)
			errno = EIO;
		error("error writing standard output:");
		if (status == RFT_EX_OK)
			status = RFT_EX_IOERR;
	}
	run_hooks();
	return status;
}

void *emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die(RFT_EX_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

void *ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die(RFT_EX_SOFTWARE, "out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *erealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(RFT_EX_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

char *estrdup(const char *s)
{
	return estrndup(s, strlen(s));
}

char *estrndup(const char *s, size_t n)
{
	char *p = emalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

size_t rft_utf8_char(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p;
	size_t n, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;  /* a continuation byte, C0/C1 (overlong) or F5..FF */
	if ((size_t)(end - p) < n)
		return 0;
	for (k = 1; k < n; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	/* overlong three- and four-byte forms, surrogates, past U+10FFFF */
	if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
	    (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
		return 0;
	return n;
}

size_t rft_utf8_check(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		uint64_t x;
		size_t k;

		/* eight ASCII bytes at a time */
		if (end - p >= 8) {
			memcpy(&x, p, 8);
			if (!(x & 0x8080808080808080ULL)) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (!(k = rft_utf8_char(p, end)))
			break;
		p += k;
	}
	return (size_t)(p - (const unsigned char *)s);
}

uint32_t rft_utf8_decode(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t i;

	if (n <= 1)
		return *p;
	c = (uint32_t)(*p & (0xFF >> (n + 1)));
	for (i = 1; i < n; i++)
		c = (c << 6) | (p[i] & 0x3F);
	return c;
}

size_t rft_utf8_encode(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

int rft_py_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000;
}

int rft_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

long long rft_parse_count(const char *s)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	return v;
}

int rft_threads(long long n)
{
	if (n <= 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		n = ncpu < 1 ? 1 : ncpu > 8 ? 8 : ncpu;
	}
	return n > 64 ? 64 : (int)n;
}

/* what the threads of one rft_parallel_for share: the next item to take */
struct pfor {
	size_t n, next;
	pthread_mutex_t lock;
	void (*fn)(size_t, int, void *);
	void *ctx;
};

struct pfor_thread {
	struct pfor *p;
	int t;
};

static void *pfor_run(void *arg)
{
	struct pfor_thread *pt = arg;
	struct pfor *p = pt->p;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			break;
		p->fn(i, pt->t, p->ctx);
	}
	return NULL;
}

void rft_parallel_for(size_t n, int nthreads, void (*fn)(size_t i, int thread, void *ctx), void *ctx)
{
	struct pfor p;
	struct pfor_thread pt[64];
	pthread_t th[64];
	int t, e;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	if ((size_t)nthreads > n)
		nthreads = n ? (int)n : 1;
	p.n = n;
	p.next = 0;
	p.fn = fn;
	p.ctx = ctx;
	if ((e = pthread_mutex_init(&p.lock, NULL)) != 0) {
		errno = e;
		die(RFT_EX_SOFTWARE, "cannot make a mutex:");
	}
	for (t = 0; t < nthreads; t++) {
		pt[t].p = &p;
		pt[t].t = t;
	}
	for (t = 1; t < nthreads; t++)
		if ((e = pthread_create(&th[t], NULL, pfor_run, &pt[t])) != 0) {
			errno = e;
			die(RFT_EX_SOFTWARE, "cannot start a thread:");
		}
	pfor_run(&pt[0]);
	for (t = 1; t < nthreads; t++)
		if (pthread_join(th[t], NULL) != 0)
			die(RFT_EX_SOFTWARE, "cannot join a thread");
	pthread_mutex_destroy(&p.lock);
}

double rft_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

const char *rft_trim(const char *s, size_t *len)
{
	size_t n;

	if (!s) {
		*len = 0;
		return NULL;
	}
	while (*s && ascii_space(*s))
		s++;
	n = strlen(s);
	while (n && ascii_space(s[n - 1]))
		n--;
	*len = n;
	return s;
}
