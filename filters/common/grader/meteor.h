/*
 * meteor.h - METEOR as NLTK 3.8 computes it
 * (nltk.translate.meteor_score.single_meteor_score(reference, hypothesis)
 * with its defaults: str.lower, PorterStemmer(), WordNet, alpha 0.9,
 * beta 3, gamma 0.5), for text_similarity's "meteor".
 *
 * Both texts are split into words at runs of white space (Python's
 * str.split(): the ASCII and Unicode white space characters) and
 * lower-cased; see meteor.c for the alignment and the lower-casing's reach.
 *
 *   double s = rft_meteor(hypothesis, reference, rft_wordnet_get(&err));
 *
 * 0 when either text has no words or no word matches; -1 when the texts
 * are too long to align (METEOR_MAX_PAIRS word pairs).  Thread-safe.
 */
#ifndef RFT_METEOR_H
#define RFT_METEOR_H

#include "wordnet.h"

/* past this many (hypothesis words x reference words) a text pair is refused */
#define METEOR_MAX_PAIRS ((unsigned long long)1 << 26)

double rft_meteor(const char *hyp, const char *ref, const struct rft_wordnet *wn);

#endif
