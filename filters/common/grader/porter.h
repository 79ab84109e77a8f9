/*
 * porter.h - the Porter stemmer as NLTK 3.8 computes it
 * (nltk.stem.porter.PorterStemmer(), its default NLTK_EXTENSIONS mode),
 * for METEOR's stem stage (meteor.c).
 *
 * The word is taken as Python takes a str: a sequence of code points (UTF-8
 * decoded; a byte that starts no valid character is one code point of its
 * own), so lengths and "the last letter" are counted in characters.  Only
 * a, e, i, o, u are vowels (y by its place); every other character, ASCII
 * or not, is a consonant.  The word is expected lower-cased already (METEOR
 * lower-cases first); NLTK's own str.lower() inside stem() is then a no-op.
 *
 *   char *s = rft_porter_stem("running");   // "run"; the caller frees it
 *
 * Thread-safe: no state.
 */
#ifndef RFT_PORTER_H
#define RFT_PORTER_H

#include <stddef.h>

/* the stem of word[0..len), NUL-terminated, malloc'd (never NULL) */
char *rft_porter_stemn(const char *word, size_t len);
char *rft_porter_stem(const char *word);

#endif
