/*
 * pipeline.c - fuzz target: rft-run's pipeline loader (filters/run.c).
 *
 * The loader is static inside the filter, so the filter's source is
 * included here with its main renamed and its die() routed to a function
 * of ours that records the message and jumps back (rft-run would exit).
 * Any bytes are a pipeline file (a memfd), loaded - YAML, vars, stages,
 * commands built, the stage graph - and freed; no stage ever runs.
 * Checked: a refusal exits 78 with a message that starts with the file's
 * name; a load that succeeds is repeatable and leaks nothing (the failed
 * loads are not leak-checked: rft-run exits there); the order is a
 * permutation of the stages, every stage has a command text.
 */
#include <setjmp.h>
#include <stdarg.h>

#define main run_main
#define die fz_run_die
#include "../../filters/run.c"
#undef die
#undef main

#include "fuzz.h"

/* present only in sanitizer builds */
extern void __lsan_disable(void) __attribute__((weak));
extern void __lsan_enable(void) __attribute__((weak));

static jmp_buf fz_jmp;
static int fz_code;
static char fz_msg[8192];

void fz_run_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fz_msg, sizeof(fz_msg), fmt, ap);
	va_end(ap);
	fz_code = code;
	longjmp(fz_jmp, 1);
}

static void reset(void)
{
	pipeline_free();
	P.order = NULL;
	P.lock = NULL;
	P.logs = NULL;
	memset(&P.vars, 0, sizeof(P.vars));
}

/* 0 loaded, 1 refused (fz_code, fz_msg) */
static int try_load(const char *path)
{
	static volatile int refused;

	refused = 0;
	if (setjmp(fz_jmp) == 0)
		load(path);
	else
		refused = 1;
	return refused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[32];
	int fd = fz_memfd(data, size, path), rc;
	size_t i, j;
	char *first = NULL;

	/* first without leak checking: a refusal jumps out of the loader
	 * (rft-run exits there), leaving what it held */
	if (__lsan_disable)
		__lsan_disable();
	rc = try_load(path);
	if (rc) {
		FZ_CHECK(fz_code == RFT_EX_CONFIG, "refused with exit %d: %s", fz_code, fz_msg);
		FZ_CHECK(!strncmp(fz_msg, path, strlen(path)) && fz_msg[strlen(path)] == ':',
			 "the message does not start with the file: %s", fz_msg);
	} else {
		struct strbuf sb = STRBUF_INIT;

		for (i = 0; i < P.nst; i++) {
			unsigned char *seen = calloc(P.nst, 1);

			FZ_CHECK(P.st[i].name && P.st[i].text, "stage %zu without a name or command", i);
			strbuf_addf(&sb, "%s\t%s\n", P.st[i].name, P.st[i].text);
			for (j = 0; j < P.nst; j++) {
				FZ_CHECK(P.order[j] < P.nst && !seen[P.order[j]], "the order is not a permutation");
				seen[P.order[j]] = 1;
			}
			free(seen);
		}
		first = strbuf_detach(&sb, NULL);
	}
	reset();
	if (__lsan_enable)
		__lsan_enable();
	if (!rc) {
		/* again, leak-checked: the same stages, the same commands */
		struct strbuf sb = STRBUF_INIT;

		FZ_CHECK(try_load(path) == 0, "loaded once, refused the second time: %s", fz_msg);
		for (i = 0; i < P.nst; i++)
			strbuf_addf(&sb, "%s\t%s\n", P.st[i].name, P.st[i].text);
		FZ_CHECK(!strcmp(sb.buf, first), "the second load differs");
		strbuf_release(&sb);
		reset();
		free(first);
	}
	close(fd);
	return 0;
}
