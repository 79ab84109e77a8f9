/*
 * wordnet.h - the WordNet 3.0 database (the dict folder of Princeton's
 * distribution: index.{noun,verb,adj,adv}, data.*, *.exc) as NLTK 3.8's
 * WordNetCorpusReader reads it, for METEOR's synonym stage (meteor.c).
 *
 * The folder is $RFT_WORDNET_DIR, else /usr/share/wordnet (Debian's
 * wordnet-base).  It is read once, on the first rft_wordnet_get() of the
 * process, under a lock; afterwards it is read-only and may be used from
 * any number of threads.
 *
 *   struct strbuf err = STRBUF_INIT;
 *   const struct rft_wordnet *wn = rft_wordnet_get(&err);   // NULL: err says why
 *   rft_wordnet_lemma_names(wn, "running", 7, fn, ctx);
 *
 * rft_wordnet_lemma_names calls fn for every lemma name of every synset
 * NLTK's wordnet.synsets(word) returns: each part of speech in NLTK's order
 * (noun, verb, adjective, adverb), the word's base forms found by morphy
 * (the exception list when it names the word, else the detachment rules
 * applied once, then again and again until some form is in the index), the
 * synsets of each form from the index, each synset's lemma names as the
 * data file spells them (case kept, a syntactic marker such as "(p)"
 * dropped).  A name may come more than once.
 */
#ifndef RFT_WORDNET_H
#define RFT_WORDNET_H

#include <stddef.h>

#include "../strbuf.h"

struct rft_wordnet;

/* the loaded database, or NULL with the folder, the file and what is wrong
 * in err (the same answer on every later call) */
const struct rft_wordnet *rft_wordnet_get(struct strbuf *err);

/* the folder rft_wordnet_get reads */
const char *rft_wordnet_dir(void);

void rft_wordnet_lemma_names(const struct rft_wordnet *wn, const char *word, size_t len,
			     void (*fn)(const char *name, size_t len, void *ctx), void *ctx);

/* morphy's base forms of word for pos 'n', 'v', 'a' or 'r', each
 * NUL-terminated, the list NULL-terminated, all malloc'd (rft_wordnet_free_forms) */
char **rft_wordnet_morphy(const struct rft_wordnet *wn, const char *word, size_t len, char pos);
void rft_wordnet_free_forms(char **forms);

#endif
