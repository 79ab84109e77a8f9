/* datafile.c - default places of reference data; see datafile.h */
#include <dirent.h>
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

char *rft_data_default(const char *sub)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct strbuf sb = STRBUF_INIT;
	char *s;
	int up;

	if (n > 0) {
		exe[n] = '\0';
		s = strrchr(exe, '/');
		if (s)
			*s = '\0';
		/* bin/ -> ., build/asan/bin/ -> ../.. */
		for (up = 0; s && up < 3; up++) {
			if (!(s = strrchr(exe, '/')))
				break;
			*s = '\0';
			strbuf_reset(&sb);
			strbuf_addf(&sb, "%s/testdata/%s", exe, sub);
			if (rft_is_dir(sb.buf))
				return strbuf_detach(&sb, NULL);
		}
	}
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s/%s", RFT_DATADIR, sub);
	if (rft_is_dir(sb.buf))
		return strbuf_detach(&sb, NULL);
	strbuf_release(&sb);
	return NULL;
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
