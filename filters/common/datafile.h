/*
 * datafile.h - where reference data (HPO, HGNC) is found when the user names
 * none: the bundled copy in testdata/<sub> of the source tree the program was
 * built in (bin/ or build/asan/bin/ below it), else RFT_DATADIR/<sub> of an
 * installed copy (make install puts it in $(PREFIX)/share/rftkit).
 *
 * Ownership rule: every char * returned here is a new string the caller frees.
 */
#ifndef RFT_DATAFILE_H
#define RFT_DATAFILE_H

int rft_is_dir(const char *path);

/* The bundled folder for sub ("hpo", "hgnc"), or NULL when there is none. */
char *rft_data_default(const char *sub);

/* The one file in dir whose name match() accepts; NULL when there is none and
 * !required.  Dies (66) when none and required, (78) when several, naming
 * them and the option (--optname) that picks one. */
char *rft_find_in_dir(const char *dir, int (*match)(const char *name), int required,
		      const char *what, const char *optname);

/* hgnc*.txt[.gz] */
int rft_is_hgnc_name(const char *name);

/* The HGNC complete set to load: given (a file or a folder holding one), else
 * $RFT_HGNC (likewise), else the bundled copy; NULL when none is found. */
char *rft_hgnc_path(const char *given);

#endif
