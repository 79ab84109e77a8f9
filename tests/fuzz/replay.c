/*
 * replay.c - run a fuzz harness over files, without a fuzzing engine.
 *
 *   build/release/fuzz-replay-TARGET [-t SECONDS] FILE|DIR...
 *
 * Calls LLVMFuzzerTestOneInput once for each FILE and for each regular file
 * of each DIR (not recursive, in byte order of names, so that a pair
 * "a-first" "a-second" replays in order in one process, as libFuzzer ran
 * them).  Every input is handed over in a buffer of exactly its size, as
 * libFuzzer does, so that a sanitizer sees a read past its end.
 *
 * When an input fails - a failed check (abort), a crash, a sanitizer
 * report, a leak (LeakSanitizer builds check after every input), an exit()
 * from inside the harness, or more than SECONDS (default 20) on one input -
 * the file's name is printed as "fuzz-replay: FAILED on FILE: why" and the
 * driver stops with a non-zero status.  0 when every input passed; it then
 * prints "fuzz-replay: N inputs passed".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* present only in sanitizer builds (weak: NULL otherwise) */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static const char *current;      /* the input being run, NULL between inputs */
static char current_buf[4096];
static unsigned timeout_s = 20;

/* async-signal-safe: write(2) only */
static void say(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void say_failed(const char *why)
{
	say("fuzz-replay: FAILED on ");
	say(current ? current : "(between inputs)");
	say(": ");
	say(why);
	say("\n");
}

static void on_signal(int sig)
{
	const char *why = sig == SIGABRT ? "aborted (a failed check, see above)" :
		sig == SIGSEGV ? "crashed (SIGSEGV)" : sig == SIGBUS ? "crashed (SIGBUS)" :
		sig == SIGILL ? "trapped (SIGILL)" : sig == SIGFPE ? "crashed (SIGFPE)" :
		sig == SIGALRM ? "timed out" : "killed by a signal";

	say_failed(why);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static void on_sanitizer_death(void)
{
	say_failed("a sanitizer report (see above)");
}

static void on_exit_hook(void)
{
	if (current)
		say_failed("the harness called exit()");
}

static void catch_signals(int with_segv)
{
	static char altstack[1 << 16];
	stack_t ss;
	struct sigaction sa;
	const int sigs[] = { SIGABRT, SIGILL, SIGFPE, SIGALRM, SIGSEGV, SIGBUS };
	size_t i;

	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	if (sigaltstack(&ss, NULL) < 0)
		perror("fuzz-replay: sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
		/* a sanitizer reports SIGSEGV (a stack overflow) better than we do */
		if (!with_segv && (sigs[i] == SIGSEGV || sigs[i] == SIGBUS))
			continue;
		if (sigaction(sigs[i], &sa, NULL) < 0)
			perror("fuzz-replay: sigaction");
	}
}

static unsigned long long passed;

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	uint8_t *data;
	size_t n;

	if (!fp || fstat(fileno(fp), &st) < 0) {
		fprintf(stderr, "fuzz-replay: cannot open '%s': %s\n", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	n = (size_t)st.st_size;
	/* exactly n bytes (malloc(0) may return NULL: ask for 1 then) */
	data = malloc(n ? n : 1);
	if (!data || fread(data, 1, n, fp) != n) {
		fprintf(stderr, "fuzz-replay: cannot read '%s'\n", path);
		free(data);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	snprintf(current_buf, sizeof(current_buf), "%s", path);
	current = current_buf;
	alarm(timeout_s);
	LLVMFuzzerTestOneInput(data, n);
	alarm(0);
	free(data);
	if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
		say_failed("memory leaked (LeakSanitizer report above)");
		_exit(1);
	}
	current = NULL;
	passed++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "fuzz-replay: cannot open '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!nn)
				abort();
			names = nn;
		}
		if (!(names[n++] = strdup(e->d_name)))
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && run_file(path) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		timeout_s = (unsigned)strtoul(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: fuzz-replay [-t SECONDS] FILE|DIR...\n");
		return 64;
	}
	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(on_sanitizer_death);
	catch_signals(!__sanitizer_set_death_callback);
	if (atexit(on_exit_hook) != 0)
		return 70;
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-replay: cannot open '%s': %s\n", argv[i], strerror(errno));
			rc = 66;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i]) < 0 : run_file(argv[i]) < 0) {
			rc = 66;
		}
	}
	fprintf(stderr, "fuzz-replay: %llu inputs passed\n", passed);
	return rc;
}
