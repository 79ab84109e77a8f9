/*
 * textsim.h - text_similarity's n-gram metrics, as the reference
 * implementations compute them: BLEU and GLEU as NLTK 3.8's sentence_bleu
 * and sentence_gleu with one reference, ROUGE-1..5 and ROUGE-L as the
 * F-measure of Google's rouge-score (RougeScorer, use_stemmer=False).
 *
 * Pure functions of two UTF-8 texts, thread-safe, no state.  hyp is the
 * text graded (the grader's "input"), ref the text it is graded against
 * ("reference"); BLEU, GLEU and the two F-measures' rounding are not
 * symmetric, so the order matters.  Each returns a score in [0, 1];
 * rft_rouge_l returns -1 when the texts are too long to compare in about a
 * second (more than 2^28 token pairs).
 *
 * Tokens (textsim.c says it in full):
 *   bleu, gleu    python's str.split(): runs of characters that are not
 *                 Unicode white space (str.isspace), case and punctuation
 *                 kept ("Hello," and "hello" differ)
 *   rouge_*       rouge-score's tokenizer: the text lowercased (python's
 *                 str.lower()), then runs of [a-z0-9]; everything else,
 *                 accented letters and other scripts included, separates
 */
#ifndef RFT_TEXTSIM_H
#define RFT_TEXTSIM_H

double rft_bleu(const char *hyp, const char *ref);
double rft_gleu(const char *hyp, const char *ref);
/* n from 1 to 5 (rouge-score takes 1 to 9; OpenAI names 1 to 5) */
double rft_rouge_n(const char *hyp, const char *ref, int n);
double rft_rouge_l(const char *hyp, const char *ref);

#endif
