/*
 * datafile.h - where reference data (HPO, HGNC, the bundled sample) is found
 * when the user names none.  One place decides it, for every program:
 *
 *   1. the option (--hpo-dir, --hgnc, ...)        the caller checks it first
 *   2. the variable for that data ($RFT_HPO_DIR, $RFT_HGNC), likewise
 *   3. $RFT_DATADIR/<sub>: when RFT_DATADIR is set it is the only data folder
 *   4. <prefix>/share/rftkit/<sub>, prefix = the folder above the program's
 *      own bin/ (from /proc/self/exe, else argv[0] resolved along PATH):
 *      an installed copy, wherever `make install PREFIX=` put it
 *   5. testdata/<sub> of the source tree the program runs from (bin/, or
 *      build/asan/bin/ below it)
 *   6. RFT_DATADIR/<sub> compiled in (make's DATADIR, $(PREFIX)/share/rftkit)
 *
 * Every "not found" message lists each place looked and what sets it.
 *
 * Ownership rule: every char * returned here is a new string the caller frees.
 */
#ifndef RFT_DATAFILE_H
#define RFT_DATAFILE_H

#include "strbuf.h"
#include "util.h"

int rft_is_dir(const char *path);

/* Remember argv[0], to find the program's folder where /proc is absent. */
void rft_data_argv0(const char *argv0);

/* The folder holding the program argv0 names, resolving a bare name along
 * path (PATH's syntax) and symbolic links; NULL when it cannot be found. */
char *rft_exe_dir_argv0(const char *argv0, const char *path);

/* rftkit's data folder (places 3 to 6 above, the first that exists), or
 * NULL when none does. */
char *rft_data_root(void);

/* The data folder for sub ("hpo", "hgnc", "phenopacket-store"): places 3
 * to 6, the first holding sub; NULL when there is none. */
char *rft_data_default(const char *sub);

/*
 * Append to sb, one "  PLACE: what is there (what sets it)" line each, the
 * places looked for sub (NULL: the data folder itself), starting with the
 * option opt and the variable env when not NULL (neither was given, or the
 * caller would not be asking).
 */
void rft_data_looked(struct strbuf *sb, const char *sub, const char *opt, const char *env);

/* Die (66) "no WHAT data found; give OPT or set ENV or RFT_DATADIR; looked
 * in:" and the places. */
void rft_data_die(const char *what, const char *sub, const char *opt, const char *env) RFT_NORETURN;

/* The one file in dir whose name match() accepts; NULL when there is none and
 * !required.  Dies (66) when none and required, (78) when several, naming
 * them and the option (--optname) that picks one. */
char *rft_find_in_dir(const char *dir, int (*match)(const char *name), int required,
		      const char *what, const char *optname);

/* hgnc*.txt[.gz] */
int rft_is_hgnc_name(const char *name);

/* The HGNC complete set to load: given (a file or a folder holding one), else
 * $RFT_HGNC (likewise), else the data folder's hgnc/; NULL when none is found
 * (rft_data_looked(sb, "hgnc", RFT_HGNC_OPT, "RFT_HGNC") says where). */
char *rft_hgnc_path(const char *given);
#define RFT_HGNC_OPT "--hgnc FILE|DIR"

#endif
