/* datafile.c - default places of reference data; see datafile.h */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datafile.h"
#include "exitcodes.h"
#include "strbuf.h"
#include "util.h"

#ifndef RFT_DATADIR
#define RFT_DATADIR "/usr/local/share/rftkit"
#endif

int rft_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *saved_argv0;

void rft_data_argv0(const char *argv0)
{
	saved_argv0 = argv0;
}

static char *dir_of(char *file)
{
	char *s = strrchr(file, '/');

	if (!s) {
		free(file);
		return NULL;
	}
	if (s == file)
		s[1] = '\0';
	else
		*s = '\0';
	return file;
}

char *rft_exe_dir_argv0(const char *argv0, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *c;
	char *real = NULL;

	if (!argv0 || !*argv0)
		return NULL;
	if (strchr(argv0, '/'))
		real = realpath(argv0, NULL);
	else
		for (p = path; p && !real; p = c ? c + 1 : NULL) {
			c = strchr(p, ':');
			strbuf_reset(&sb);
			/* an empty entry is the current folder, as for execvp */
			if (c ? c > p : *p)
				strbuf_add(&sb, p, c ? (size_t)(c - p) : strlen(p));
			else
				strbuf_addch(&sb, '.');
			strbuf_addf(&sb, "/%s", argv0);
			if (access(sb.buf, X_OK) == 0 && !rft_is_dir(sb.buf))
				real = realpath(sb.buf, NULL);
		}
	strbuf_release(&sb);
	return real ? dir_of(real) : NULL;
}

/* the folder of the running program, or NULL */
static char *exe_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		return dir_of(estrdup(exe));
	}
	return rft_exe_dir_argv0(saved_argv0, getenv("PATH"));
}

#define NPLACES 4

struct place {
	char *path;         /* the data folder (without sub) */
	const char *why;    /* what makes it a place */
};

/* the data folders looked at, in order (places 3 to 6 of datafile.h); returns how many */
static int data_places(struct place *pl)
{
	const char *env = getenv("RFT_DATADIR");
	char *dir, *up;
	int n = 0, i;
	struct strbuf sb = STRBUF_INIT;

	if (env && *env) {
		pl[n].path = estrdup(env);
		pl[n++].why = "$RFT_DATADIR";
		return n;
	}
	if ((dir = exe_dir())) {
		up = dir_of(estrdup(dir));
		strbuf_addf(&sb, "%s/share/rftkit", up && strcmp(up, "/") ? up : "");
		pl[n].path = strbuf_detach(&sb, NULL);
		pl[n++].why = "installed: share/rftkit beside the program's bin/";
		strbuf_addf(&sb, "%s/testdata", up && strcmp(up, "/") ? up : "");
		pl[n].path = strbuf_detach(&sb, NULL);
		pl[n++].why = "a source tree: testdata/ above the program's bin/";
		/* build/asan/bin/ -> the tree two folders further up */
		if (rft_has_suffix(dir, "/build/asan/bin") && up && (up = dir_of(up)) && (up = dir_of(up))) {
			strbuf_addf(&sb, "%s/testdata", strcmp(up, "/") ? up : "");
			pl[n].path = strbuf_detach(&sb, NULL);
			pl[n++].why = "a source tree: testdata/ above build/asan/bin/";
		}
		free(up);
		free(dir);
	}
	pl[n].path = estrdup(RFT_DATADIR);
	pl[n++].why = "compiled in: make's DATADIR";
	/* the same folder twice (a tidy install) is looked at once */
	for (i = 0; i < n - 1; i++)
		if (!strcmp(pl[i].path, pl[n - 1].path)) {
			free(pl[--n].path);
			break;
		}
	return n;
}

static void free_places(struct place *pl, int n)
{
	while (n-- > 0)
		free(pl[n].path);
}

static char *first_place(const char *sub)
{
	struct place pl[NPLACES];
	struct strbuf sb = STRBUF_INIT;
	int n = data_places(pl), i;
	char *res = NULL;

	for (i = 0; i < n && !res; i++) {
		strbuf_reset(&sb);
		strbuf_addstr(&sb, pl[i].path);
		if (sub)
			strbuf_addf(&sb, "/%s", sub);
		if (rft_is_dir(sb.buf))
			res = strbuf_detach(&sb, NULL);
	}
	strbuf_release(&sb);
	free_places(pl, n);
	return res;
}

char *rft_data_root(void)
{
	return first_place(NULL);
}

char *rft_data_default(const char *sub)
{
	return first_place(sub);
}

void rft_data_looked(struct strbuf *sb, const char *sub, const char *opt, const char *env)
{
	struct place pl[NPLACES];
	struct strbuf p = STRBUF_INIT;
	int n = data_places(pl), i;
	struct stat st;

	if (opt)
		strbuf_addf(sb, "  %s: not given\n", opt);
	if (env)
		strbuf_addf(sb, "  $%s: not set\n", env);
	if (!getenv("RFT_DATADIR") || !*getenv("RFT_DATADIR"))
		strbuf_addstr(sb, "  $RFT_DATADIR: not set\n");
	for (i = 0; i < n; i++) {
		strbuf_reset(&p);
		strbuf_addstr(&p, pl[i].path);
		if (sub)
			strbuf_addf(&p, "/%s", sub);
		strbuf_addf(sb, "  %s: %s (%s)\n", p.buf,
			    stat(p.buf, &st) < 0 ? strerror(errno) : !S_ISDIR(st.st_mode) ? "not a folder" :
			    "found", pl[i].why);
	}
	if (sb->len && sb->buf[sb->len - 1] == '\n')
		strbuf_setlen(sb, sb->len - 1);
	strbuf_release(&p);
	free_places(pl, n);
}

void rft_data_die(const char *what, const char *sub, const char *opt, const char *env)
{
	struct strbuf sb = STRBUF_INIT;

	rft_data_looked(&sb, sub, opt, env);
	die(RFT_EX_NOINPUT, "no %s data found: give %s, or set %s%s (the folder holding %s/); looked in:\n%s",
	    what, opt, env ? env : "", env ? " or RFT_DATADIR" : "RFT_DATADIR", sub, sb.buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *rft_find_in_dir(const char *dir, int (*match)(const char *name), int required,
		      const char *what, const char *optname)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	char *res = NULL;
	struct strbuf sb = STRBUF_INIT;

	if (!d)
		die(RFT_EX_NOINPUT, "cannot open data folder '%s':", dir);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && match(e->d_name)) {
			names = erealloc(names, (n + 1) * sizeof(*names));
			names[n++] = estrdup(e->d_name);
		}
	if (closedir(d) < 0)
		die(RFT_EX_IOERR, "%s:", dir);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	if (n == 0 && required)
		die(RFT_EX_NOINPUT, "%s: no %s file in this folder (or name one with --%s)", dir, what, optname);
	if (n > 1) {
		for (i = 0; i < n; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", names[i]);
		die(RFT_EX_CONFIG, "%s: several %s files (%s): name one with --%s", dir, what, sb.buf, optname);
	}
	if (n == 1) {
		strbuf_addf(&sb, "%s/%s", dir, names[0]);
		res = strbuf_detach(&sb, NULL);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	strbuf_release(&sb);
	return res;
}

int rft_is_hgnc_name(const char *name)
{
	return !strncmp(name, "hgnc", 4) && (rft_has_suffix(name, ".txt") || rft_has_suffix(name, ".txt.gz"));
}

char *rft_hgnc_path(const char *given)
{
	char *dir, *file;

	if (!given || !*given)
		given = getenv("RFT_HGNC");
	if (given && *given && !rft_is_dir(given))
		return estrdup(given);
	dir = given && *given ? estrdup(given) : rft_data_default("hgnc");
	if (!dir)
		return NULL;
	file = rft_find_in_dir(dir, rft_is_hgnc_name, 1, "HGNC (hgnc*.txt[.gz])", "hgnc");
	free(dir);
	return file;
}
