/*
 * model.h - the graders that call a model: score_model, label_model, and
 * text_similarity's cosine metric (embeddings), through common/client.c
 * (rft-call's client: limits, retries, the cache keyed by the request, the
 * key only from the environment).  man/rft-grade.1, MODEL GRADERS.
 *
 * One client serves every model grader of the process (one set of rate
 * limits, one cache); it is configured from the environment when the first
 * model grader loads: OPENAI_BASE_URL, OPENAI_API_KEY and RFT_GRADER_*.
 *
 * Grading is thread-safe (one request at a time per thread).  A refusal of
 * the account (401, 403, insufficient_quota) ends the program with 77.
 *
 * Ownership rule: a model grader owns its templates and strings until
 * model_grader_free(); JSON passed in is borrowed.
 */
#ifndef RFT_GRADER_MODEL_H
#define RFT_GRADER_MODEL_H

#include <json.h>

#include "../grader.h"
#include "../strbuf.h"

struct model_grader;

/* A score_model or label_model grader from o (type is o's "type"), or the
 * cosine metric of text_similarity grader o; NULL with "WHERE: what" in err. */
struct model_grader *model_grader_load(struct json_object *o, const char *type, const char *where,
				       struct strbuf *err);
void model_grader_free(struct model_grader *m);
/* score_model, label_model: reward, or 0 with an error flag and message */
void model_grade(const struct model_grader *m, struct json_object *item, struct json_object *sample,
		 struct grade_result *r);
/* cosine: the cosine similarity of the embeddings of a and b */
void model_grade_cosine(const struct model_grader *m, const char *a, const char *b, struct grade_result *r);
/* the grader as OpenAI takes it (score_model, label_model: as loaded, canonical) */
void model_grader_export(const struct model_grader *m, struct strbuf *out);

#endif
