/*
 * client.h - the OpenAI-compatible HTTP client rft-call and the model
 * graders share: one request format, one cache, one retry policy, one key
 * rule (man/rft-call.1 is the contract; man/rft-grade.1 MODEL GRADERS).
 *
 * Pieces (rft-call drives them from its libcurl multi loop):
 *   rft_base_url          --base-url, else $OPENAI_BASE_URL, else OpenAI's, checked
 *   rft_headers_*         the header list; the key only from the environment
 *   rft_chat_body         the canonical request body (params in rft_chat_params order)
 *   rft_request_key       the cache key: sha256("POST " URL "\n" BODY)
 *   rft_cache_*           the SQLite response cache (table responses)
 *   rft_bucket_*          the --rpm/--tpm token buckets
 *   rft_xfer_*            one transfer's callbacks: body, answer, server hints
 *   rft_classify          what a failed attempt was: retryable, or a refusal
 *   rft_backoff, rft_hints_wait   the wait before a retry
 *
 * A synchronous client for graders (one request at a time per thread, the
 * same policy and limits shared by every thread, identical requests in
 * flight sent once):
 *   struct rft_client *c = rft_client_new(&conf, &err);       // NULL: err says why (78)
 *   rc = rft_client_post(c, RFT_API_CHAT, body, tokens, &answer, &cerr);
 *   rft_client_free(c);
 *
 * Ownership rule: strings passed in are borrowed; answers (json-c) and error
 * contents are the caller's (json_object_put, rft_call_error_release).  The
 * key lives only in the header list, which rft_headers_free wipes.
 */
#ifndef RFT_CLIENT_H
#define RFT_CLIENT_H

#include <curl/curl.h>
#include <json.h>
#include <stddef.h>

#include "stats.h"
#include "strbuf.h"

#define RFT_DEFAULT_BASE_URL "https://api.openai.com/v1"
#define RFT_MAX_RESPONSE (64u << 20)
#define RFT_MAX_SERVER_WAIT 120.0   /* seconds: longest pause a server hint may ask */
#define RFT_MAX_BACKOFF 8.0         /* seconds: the backoff cap (as the OpenAI SDK) */


/* URL = given, else $OPENAI_BASE_URL, else RFT_DEFAULT_BASE_URL; trailing
 * '/' dropped, then "/" path appended.  0, or -1 with the reason in err
 * (not http:// or https://). */
int rft_base_url(struct strbuf *url, const char *given, const char *path, struct strbuf *err);

/* Content-Type, Accept and an empty Expect */
struct curl_slist *rft_headers_base(void);
/* Authorization: Bearer $NAME (NAME = key_env, else OPENAI_API_KEY).  0;
 * -1 with err when key_env is named and unset, when the key is missing for
 * api.openai.com (unless no_key_ok), or holds a line break.  An unset key
 * for another endpoint adds nothing (local servers need none). */
int rft_headers_add_key(struct curl_slist **h, const char *key_env, const char *url, int no_key_ok,
			struct strbuf *err);
/* wipe every header (one holds the key) and free the list */
void rft_headers_free(struct curl_slist *h);

/* the parameters a chat request may carry, in the canonical order they are sent */
extern const char *const rft_chat_params[];
#define RFT_CHAT_NPARAMS 15
/* {"model":M,"messages":MSGS,<param>:<value>...} with values[i] (JSON text,
 * or NULL: not sent) for rft_chat_params[i] */
void rft_chat_body(struct strbuf *body, const char *model, const char *msgs, size_t msgs_len,
		   const char *const *values);
/* {"model":M,"input":TEXT} */
void rft_embeddings_body(struct strbuf *body, const char *model, const char *text);
/* the cache key of a request: hex sha256 of "POST " url "\n" body */
void rft_request_key(const char *url, const char *body, size_t len, char key[65]);
/* a model's text as JSON: the text itself, or inside a ``` fence (with an
 * optional language tag); an object or array only.  NULL when it is not. */
struct json_object *rft_output_json(const char *text, size_t len);
/* the text of a message content: a string, or the text parts of an array; 0 when neither */
int rft_content_text(struct json_object *c, struct strbuf *sb);

/* ------------------------------------------------------------ the cache */

struct rft_cache;   /* one SQLite connection; not for two threads at once */
/* open (create) the cache at path (":memory:" for one run); dies 74 */
struct rft_cache *rft_cache_open(const char *path);
void rft_cache_close(struct rft_cache *c);
int rft_cache_get(struct rft_cache *c, const char *key, struct strbuf *resp, long *latency, int *attempts);
void rft_cache_put(struct rft_cache *c, const char *key, const char *model, const char *resp, size_t len,
		   long latency, int attempts);

/* ----------------------------------------------------------- rate limits */

/* refills at rate per second up to cap (a second's worth, at least 1),
 * starts full, lets a request through when it holds min(cost, cap) */
struct rft_bucket {
	double rate, cap, avail, last;
};
void rft_bucket_init(struct rft_bucket *b, long long per_minute);
/* seconds until cost can pass (0: now) */
double rft_bucket_wait(struct rft_bucket *b, double cost, double now);

/* ------------------------------------------------------------- transfers */

struct rft_hints {               /* what a response's headers said */
	double retry_after;          /* seconds, -1: none */
	double reset_requests, reset_tokens;   /* seconds, -1: none */
	long remaining_requests, remaining_tokens;   /* -1: none */
};

struct rft_xfer {
	const char *body;            /* the request (borrowed) */
	size_t len, sent;
	struct strbuf resp;
	struct rft_hints hints;
	char errbuf[CURL_ERROR_SIZE];
	/* libcurl sends the body again by itself (a reused connection that
	 * died): that is an attempt; return -1 to refuse it */
	int (*on_resend)(struct rft_xfer *x);
	void *owner;
};

struct rft_xfer_opts {
	double timeout;              /* seconds */
	const char *cacert;          /* NULL: the system's */
	const char *user_agent;
};

/* reset x for a new attempt and set e's options for it (POST to url) */
void rft_xfer_setup(CURL *e, struct rft_xfer *x, const char *url, struct curl_slist *headers,
		    const struct rft_xfer_opts *o);
/* the wait the server asked for, or -1 */
double rft_hints_wait(const struct rft_hints *h);
/* base x 2^(k-1), at most 8 s, less up to 25% */
double rft_backoff(double base, int k, struct rft_rng *rng);

/* what a failed attempt was */
struct rft_call_error {
	long status;                 /* HTTP status; -1: no answer */
	char *type, *code;           /* the endpoint's, or ours (timeout, ...); code may be NULL */
	struct strbuf msg;
	int retryable;
	int refused;                 /* 401, 403, insufficient_quota: every request would get it */
	int reached;                 /* the server was reached */
	int attempts;
};
#define RFT_CALL_ERROR_INIT { 0, NULL, NULL, STRBUF_INIT, 0, 0, 0, 0 }
void rft_call_error_release(struct rft_call_error *e);
void rft_call_error_set(struct rft_call_error *e, long status, const char *type, const char *code,
			const char *msg, int retryable);
/* an attempt that ended with res (and HTTP status; not 200): resp is the
 * body, errbuf libcurl's message */
void rft_classify(CURLcode res, long status, long connect_us, const struct strbuf *resp,
		  const char *errbuf, struct rft_call_error *e);

/* ------------------------------------------------ the synchronous client */

struct rft_client_conf {
	const char *base_url;        /* NULL: $OPENAI_BASE_URL, else OpenAI's */
	const char *api_key_env;     /* NULL: OPENAI_API_KEY */
	const char *cache;           /* SQLite file; NULL: one in memory for this run */
	const char *cacert;
	double timeout, backoff;
	long long max_attempts, rpm, tpm;
};

enum rft_api { RFT_API_CHAT, RFT_API_EMBEDDINGS };
enum { RFT_CALL_OK = 0, RFT_CALL_FAILED = -1, RFT_CALL_REFUSED = -2 };

struct rft_client;
struct rft_client *rft_client_new(const struct rft_client_conf *conf, struct strbuf *err);
void rft_client_free(struct rft_client *c);
/* the URL requests to api go to */
const char *rft_client_url(const struct rft_client *c, enum rft_api api);
/*
 * POST body to api: RFT_CALL_OK with the answer (a chat completion with
 * choices, or embeddings with data) in *answer and *cached set; else
 * RFT_CALL_FAILED (retries spent, or not retryable) or RFT_CALL_REFUSED
 * (the account was refused: nothing more is sent by this client), e says
 * why.  tokens: the rate-limit estimate.
 */
int rft_client_post(struct rft_client *c, enum rft_api api, const struct strbuf *body, long tokens,
		    struct json_object **answer, int *cached, struct rft_call_error *e);
struct rft_client_stats {
	unsigned long long requests, retries, cached, shared, failed;
};
void rft_client_stats(struct rft_client *c, struct rft_client_stats *s);

#endif
