/*
 * rft-call - prompt lines in, sample lines out, from any OpenAI-compatible
 * /chat/completions endpoint: concurrent (libcurl multi), within rate limits,
 * resumable through a response cache, nothing lost.
 *
 * One thread runs an event loop over a libcurl multi handle.  Input lines
 * become jobs (at most `window` alive at once); a job is answered from the
 * cache, or sent when a connection slot is free, the token buckets allow it
 * and any pause the server asked for has passed; failures that may pass are
 * retried after the server's hint or an exponential backoff with jitter.
 * Every job ends as sample lines or one error line, written in input order
 * (or as they finish with --unordered).  Each answer is cached the moment it
 * arrives, so a killed run loses nothing it paid for.
 *
 * The key is read from the environment into one header list and goes
 * nowhere else (not in argv, messages, cache, output or stats).
 *
 * The contract (options, token estimate, retry rules, exit codes) is in
 * man/rft-call.1.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/client.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/output.h"
#include "common/progress.h"
#include "common/records.h"
#include "common/sha256.h"
#include "common/stats.h"
#include "common/strbuf.h"
#include "common/strmap.h"
#include "common/util.h"


/* ------------------------------------------------------------- options */

static struct {
	const char *output, *base_url, *api_key_env, *model, *reasoning_effort;
	const char *response_format_file, *cache, *stats, *batch_in, *batch_errors, *rejects, *cacert;
	const char *join;
	double temperature, timeout, backoff;
	int has_temperature, unordered, refresh, dry_run;
	long long max_completion_tokens, n, concurrency, max_attempts, rpm, tpm, skip_bad;
} opt = {
	.timeout = 600, .backoff = 0.5, .max_completion_tokens = -1, .n = 0,
	.concurrency = 16, .max_attempts = 5, .skip_bad = -1,
};

static char *response_format;         /* --response-format, compact JSON */
static struct curl_slist *headers;    /* every request's headers (holds the key) */
static struct strbuf url = STRBUF_INIT;

/* ------------------------------------------------------------ counters */

static struct {
	unsigned long long lines, answered, cached, failed, failed_retryable, samples;
	unsigned long long n_other;  /* answers with another number of choices than --n */
	unsigned long long requests, retries;
	unsigned long long prompt_tokens, completion_tokens, reasoning_tokens, total_tokens;
	int reachable;               /* some attempt reached the server */
	double *lat;                 /* latency_ms of each answered (not cached) line */
	size_t nlat, alat;
} count;

static double t_begin;

#define now_s rft_now

/* ---------------------------------------------------------------- jobs */

struct job {
	unsigned long long seq;
	struct strbuf line;          /* the input line, as read */
	struct json_object *obj;     /* its parse */
	struct strbuf body;          /* the request (canonical JSON) */
	char key[65];                /* cache key */
	long tokens;                 /* rate-limit estimate */
	int n;                       /* completions asked for */
	int attempts;
	double not_before;           /* a retry waits until then */
	double t_start;              /* this attempt's start */
	CURL *easy;
	struct rft_xfer x;           /* this attempt's transfer: answer, server hints */
	struct strbuf out;           /* the finished output lines */
	int done;
	int shared;                  /* answered by an identical line's request */
	struct job *next;            /* in the fresh queue or the retry list */
	struct job *twins;           /* lines with the same request, waiting for this one */
	struct job *hnext;           /* chain in the table of requests being asked */
};

static struct job **ring;        /* alive jobs by seq % nring */
static size_t nring;
static unsigned long long seq_read, seq_written;   /* next to read / to write (ordered) */
static size_t live;              /* jobs read and not yet written */
static size_t window;
static struct job *fresh_head, *fresh_tail, *retry_list;
static int running;
static double pause_until;       /* the server asked everyone to wait */
/* a refusal that no other line can escape (a wrong key, 403, no quota):
 * once seen, nothing more is sent and the lines left fail with it */
static struct {
	int on;
	long status;
	char *type, *code;
	struct strbuf msg;
} halt = { .msg = STRBUF_INIT };
static volatile sig_atomic_t stop_sig;   /* SIGINT/SIGTERM/SIGHUP: finish what is in flight */
static struct strbuf first_net_err = STRBUF_INIT;   /* why the endpoint was not reached */
static struct rft_rng rng;

static struct rft_output out;
static CURLM *multi;

/* -------------------------------------------------------- token buckets */

/* common/client.c's buckets (see rft_bucket) */
static struct rft_bucket rpm_bucket, tpm_bucket;

/* a request of j is sent: take it from both buckets */
static void buckets_take(const struct job *j)
{
	rpm_bucket.avail -= 1;
	tpm_bucket.avail -= (double)j->tokens;
}

/* ------------------------------------------------------------ the cache */

static struct rft_cache *db;   /* common/client.c's, shared with the model graders */

/* ----------------------------------------------------- building requests */

/* parameters a line may carry (top level, or in "body" for Batch API lines):
 * rft_chat_params, in the canonical order they are sent */
#define line_params rft_chat_params

/* the option's value for param as JSON into sb: 1, or 0 when not set */
static int option_param(const char *param, struct strbuf *sb)
{
	if (!strcmp(param, "temperature") && opt.has_temperature) {
		json_put_fixed(sb, opt.temperature, 6);
		return 1;
	}
	if (!strcmp(param, "max_completion_tokens") && opt.max_completion_tokens >= 0) {
		strbuf_addf(sb, "%lld", opt.max_completion_tokens);
		return 1;
	}
	if (!strcmp(param, "reasoning_effort") && opt.reasoning_effort) {
		json_put_str(sb, opt.reasoning_effort);
		return 1;
	}
	if (!strcmp(param, "n") && opt.n > 0) {
		strbuf_addf(sb, "%lld", opt.n);
		return 1;
	}
	if (!strcmp(param, "response_format") && response_format) {
		strbuf_addstr(sb, response_format);
		return 1;
	}
	return 0;
}

/*
 * The request body for line obj into j->body, canonical: model, messages,
 * then the parameters in line_params order, each from its option or else
 * from the line.  0, or -1 with the reason in err.
 */
static int build_request(struct job *j, struct strbuf *err)
{
	struct json_object *src = j->obj, *msgs, *v;
	struct strbuf vals[RFT_CHAT_NPARAMS], msgjson = STRBUF_INIT;
	const char *values[RFT_CHAT_NPARAMS];
	const char *model = opt.model;
	size_t i, len;
	long max_out = 0;
	int rc = -1;

	msgs = rft_json_get(src, "messages");
	if (!msgs && rft_json_get(src, "body")) {
		src = rft_json_get(src, "body");
		msgs = rft_json_get(src, "messages");
	}
	if (!msgs) {
		strbuf_addstr(err, "no \"messages\" (nor \"body\".\"messages\"): not a prompt line");
		return -1;
	}
	if (!json_object_is_type(msgs, json_type_array) || !(len = json_object_array_length(msgs))) {
		strbuf_addf(err, "messages is %s, not a non-empty array",
			    json_object_is_type(msgs, json_type_array) ? "empty" : rft_json_type_name(msgs));
		return -1;
	}
	for (i = 0; i < len; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);

		if (!m || !json_object_is_type(m, json_type_object) || !rft_json_get_str(m, "role")) {
			strbuf_addf(err, "messages[%zu] is not an object with a \"role\"", i);
			return -1;
		}
	}
	if (!model)
		model = rft_json_get_str(src, "model");
	if (!model) {
		strbuf_addstr(err, "no model: give --model or a \"model\" key");
		return -1;
	}
	json_put_value(&msgjson, msgs);
	/* about 4 bytes a token for the prompt, counting the JSON around it */
	j->tokens = (long)((msgjson.len + 3) / 4);
	j->n = 1;
	for (i = 0; i < RFT_CHAT_NPARAMS; i++) {
		const char *p = line_params[i];
		struct strbuf *val = &vals[i];

		strbuf_init(val, 0);
		values[i] = NULL;
		if (!option_param(p, val)) {
			if (!json_object_object_get_ex(src, p, &v))
				continue;
			json_put_value(val, v);
		}
		values[i] = val->buf;
		if (!strcmp(p, "n")) {
			long n = strtol(val->buf, NULL, 10);

			if (n < 1 || n > 128) {
				strbuf_addf(err, "n is %s, not a whole number from 1 to 128", val->buf);
				i++;
				goto out;
			}
			j->n = (int)n;
		} else if (!strcmp(p, "max_completion_tokens") || (!strcmp(p, "max_tokens") && !max_out)) {
			max_out = strtol(val->buf, NULL, 10);
		}
	}
	rft_chat_body(&j->body, model, msgjson.buf, msgjson.len, values);
	j->tokens += (max_out > 0 ? max_out : 0) * j->n;
	/* the cache key: the endpoint and the request, never a header */
	rft_request_key(url.buf, j->body.buf, j->body.len, j->key);
	rc = 0;
out:
	while (i-- > 0)
		strbuf_release(&vals[i]);
	strbuf_release(&msgjson);
	return rc;
}

/* ------------------------------------------------------ writing results */

/* the line with key set to value (an earlier "sample" or "error" dropped) */
static void put_line(struct strbuf *dst, const struct strbuf *line, struct json_object *obj,
		     const char *key, const char *value_json)
{
	struct strbuf l = STRBUF_INIT;

	if (rft_json_get(obj, "sample") || rft_json_get(obj, "error")) {
		struct json_object *copy = NULL;

		json_object_deep_copy(obj, &copy, NULL);
		json_object_object_del(copy, "sample");
		json_object_object_del(copy, "error");
		json_put_value(&l, copy);
		rft_record_put(&l, copy, key, value_json);
		json_object_put(copy);
	} else {
		strbuf_add(&l, line->buf, line->len);
		rft_record_put(&l, obj, key, value_json);
	}
	strbuf_add(dst, l.buf, l.len);
	strbuf_addch(dst, '\n');
	strbuf_release(&l);
}

#define content_text rft_content_text

/* output_json: the text as JSON (also inside a ``` fence), or null */
static void put_output_json(struct strbuf *sb, const char *text, size_t len)
{
	struct json_object *v = rft_output_json(text, len);

	if (v)
		json_put_value(sb, v);
	else
		strbuf_addstr(sb, "null");
	json_object_put(v);
}

static long long get_int(struct json_object *o, const char *key)
{
	struct json_object *v = rft_json_get(o, key);

	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ?
		json_object_get_int64(v) : 0;
}

/*
 * Sample lines for a completion resp (parsed) into dst, one per choice.
 * latency < 0 writes null.  Returns the number of lines, or -1 with the
 * reason in err when resp is not a completion.
 */
static int put_samples(struct strbuf *dst, const struct strbuf *line, struct json_object *obj,
		       struct json_object *resp, const char *model, int nwant, long latency,
		       int attempts, int cached, struct strbuf *err)
{
	struct json_object *choices = rft_json_get(resp, "choices"), *usage = rft_json_get(resp, "usage");
	struct strbuf s = STRBUF_INIT, text = STRBUF_INIT;
	size_t i, n;

	if (!choices || !json_object_is_type(choices, json_type_array) ||
	    !json_object_array_length(choices)) {
		strbuf_addstr(err, "the answer has no \"choices\"");
		return -1;
	}
	n = json_object_array_length(choices);
	for (i = 0; i < n; i++) {
		struct json_object *ch = json_object_array_get_idx(choices, i);
		struct json_object *msg = rft_json_get(ch, "message");
		const char *refusal = rft_json_get_str(msg, "refusal");
		int has_text;

		strbuf_reset(&s);
		strbuf_reset(&text);
		strbuf_addstr(&s, "{\"model\":");
		json_put_str_or_null(&s, rft_json_get_str(resp, "model") ? rft_json_get_str(resp, "model") : model);
		has_text = content_text(rft_json_get(msg, "content"), &text);
		strbuf_addstr(&s, ",\"output_text\":");
		if (has_text)
			json_put_strn(&s, text.buf, text.len);
		else
			strbuf_addstr(&s, "null");
		strbuf_addstr(&s, ",\"output_json\":");
		put_output_json(&s, text.buf, text.len);
		strbuf_addstr(&s, ",\"finish_reason\":");
		json_put_str_or_null(&s, rft_json_get_str(ch, "finish_reason"));
		if (refusal) {
			strbuf_addstr(&s, ",\"refusal\":");
			json_put_str(&s, refusal);
		}
		strbuf_addstr(&s, ",\"usage\":");
		json_put_value(&s, usage);
		strbuf_addstr(&s, ",\"latency_ms\":");
		if (latency >= 0)
			strbuf_addf(&s, "%ld", latency);
		else
			strbuf_addstr(&s, "null");
		strbuf_addf(&s, ",\"attempts\":%d,\"cached\":%s", attempts, cached ? "true" : "false");
		if (nwant > 1 && n != (size_t)nwant)   /* the endpoint ignored n: said, not hidden */
			strbuf_addf(&s, ",\"n_asked\":%d,\"n_returned\":%zu", nwant, n);
		if (nwant > 1 || n > 1)
			strbuf_addf(&s, ",\"index\":%lld", rft_json_get(ch, "index") ? get_int(ch, "index") : (long long)i);
		/* the choice as the endpoint gave it, so graders written against
		 * {{sample.choices[0].message.content}} resolve */
		strbuf_addstr(&s, ",\"choices\":[");
		json_put_value(&s, ch);
		strbuf_addstr(&s, "]}");
		put_line(dst, line, obj, "sample", s.buf);
	}
	if (usage && !cached) {   /* tokens paid for in this run */
		count.prompt_tokens += (unsigned long long)get_int(usage, "prompt_tokens");
		count.completion_tokens += (unsigned long long)get_int(usage, "completion_tokens");
		count.total_tokens += (unsigned long long)get_int(usage, "total_tokens");
		count.reasoning_tokens += (unsigned long long)get_int(rft_json_get(usage, "completion_tokens_details"),
								     "reasoning_tokens");
	}
	count.samples += n;
	if (nwant > 1 && n != (size_t)nwant)
		count.n_other++;
	strbuf_release(&s);
	strbuf_release(&text);
	return (int)n;
}

static void put_error(struct strbuf *dst, const struct strbuf *line, struct json_object *obj,
		      long status, const char *type, const char *code, const char *message, int attempts,
		      int retryable)
{
	struct strbuf e = STRBUF_INIT;

	strbuf_addstr(&e, "{\"status\":");
	if (status > 0)
		strbuf_addf(&e, "%ld", status);
	else
		strbuf_addstr(&e, "null");
	strbuf_addstr(&e, ",\"type\":");
	json_put_str(&e, type);
	if (code) {
		strbuf_addstr(&e, ",\"code\":");
		json_put_str(&e, code);
	}
	strbuf_addstr(&e, ",\"message\":");
	json_put_str(&e, message);
	strbuf_addf(&e, ",\"attempts\":%d,\"retryable\":%s}", attempts, retryable ? "true" : "false");
	put_line(dst, line, obj, "error", e.buf);
	strbuf_release(&e);
	count.failed++;
	if (retryable)
		count.failed_retryable++;
}

/* ------------------------------------------------------- output, in order */

static void job_free(struct job *j)
{
	strbuf_release(&j->line);
	strbuf_release(&j->body);
	strbuf_release(&j->x.resp);
	strbuf_release(&j->out);
	json_object_put(j->obj);
	free(j);
}

static void write_out(struct job *j)
{
	rft_output_write(&out, j->out.buf, j->out.len);
	live--;
	job_free(j);
}

static int wrote;   /* something written since the last flush */

/*
 * Requests being asked, by cache key: a line whose request is byte-equal to
 * one in flight or waiting (the same key) is not sent again but answered
 * with that one's answer, or error, when it comes ("twins").  Later equal
 * lines are answered from --cache, as any repeated request.
 */
static struct job **asking;
static size_t nasking;           /* slots, a power of two */
static unsigned long long twins_answered;

static size_t asking_slot(const char *key)
{
	return (size_t)rft_hash64(key, 16, 0) & (nasking - 1);
}

/* the job asking key's request, or NULL */
static struct job *asking_find(const char *key)
{
	struct job *a;

	for (a = asking[asking_slot(key)]; a; a = a->hnext)
		if (!strcmp(a->key, key))
			return a;
	return NULL;
}

static void asking_add(struct job *j)
{
	size_t s = asking_slot(j->key);

	j->hnext = asking[s];
	asking[s] = j;
}

static void asking_remove(struct job *j)
{
	struct job **pp;

	for (pp = &asking[asking_slot(j->key)]; *pp; pp = &(*pp)->hnext)
		if (*pp == j) {
			*pp = j->hnext;
			return;
		}
}

static void job_done(struct job *j)
{
	struct job *t = j->twins;

	if (j->key[0] && !j->shared)
		asking_remove(j);
	j->twins = NULL;
	j->done = 1;
	if (opt.unordered) {
		ring[j->seq % nring] = NULL;
		write_out(j);
		wrote = 1;
	}
	while (t) {   /* their lines were filled by the caller */
		struct job *n = t->next;

		t->next = NULL;
		job_done(t);
		t = n;
	}
}

static void flush_ordered(void)
{
	while (!opt.unordered && seq_written < seq_read) {
		struct job *j = ring[seq_written % nring];

		if (!j || !j->done)
			break;
		ring[seq_written % nring] = NULL;
		seq_written++;
		write_out(j);
		wrote = 1;
	}
	if (wrote) {
		if (fflush(out.fp) != 0)
			rft_stdout_failed();
		wrote = 0;
	}
}

/* --------------------------------------------------------- HTTP attempts */

/*
 * libcurl rewinds the body when it sends the request again by itself (a
 * reused connection that died before answering): that is a request the
 * server may have seen, so it counts as an attempt, against --max-attempts
 * and --rpm, like one of ours.
 */
static int on_resend(struct rft_xfer *x)
{
	struct job *j = x->owner;

	if (j->attempts >= opt.max_attempts)
		return -1;
	j->attempts++;
	count.requests++;
	count.retries++;
	buckets_take(j);
	return 0;
}

static struct rft_xfer_opts xfer_opts;

static void start(struct job *j, double now)
{
	CURL *e = curl_easy_init();

	if (!e)
		die(RFT_EX_SOFTWARE, "cannot make a curl handle");
	j->easy = e;
	j->attempts++;
	j->t_start = now;
	j->x.body = j->body.buf;
	j->x.len = j->body.len;
	j->x.on_resend = on_resend;
	j->x.owner = j;
	rft_xfer_setup(e, &j->x, url.buf, headers, &xfer_opts);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	if (curl_multi_add_handle(multi, e) != CURLM_OK)
		die(RFT_EX_SOFTWARE, "cannot add a transfer");
	running++;
	count.requests++;
	if (j->attempts > 1)
		count.retries++;
}

/* the backoff before attempt k+1: base x 2^(k-1), at most 8 s, less up to 25% */
static double backoff(int k)
{
	return rft_backoff(opt.backoff, k, &rng);
}

#define server_wait rft_hints_wait

static void fail(struct job *j, long status, const char *type, const char *code, const char *message,
		 int retryable)
{
	struct job *t;

	strbuf_reset(&j->out);
	put_error(&j->out, &j->line, j->obj, status, type, code, message, j->attempts, retryable);
	for (t = j->twins; t; t = t->next) {
		strbuf_reset(&t->out);
		put_error(&t->out, &t->line, t->obj, status, type, code, message, j->attempts, retryable);
	}
	job_done(j);
}

/* nothing more is sent: a refusal every line would get */
static void halt_on(long status, const char *type, const char *code, const char *msg)
{
	if (halt.on)
		return;
	halt.on = 1;
	halt.status = status;
	halt.type = estrdup(type);
	halt.code = code ? estrdup(code) : NULL;
	strbuf_addstr(&halt.msg, msg);
}

static void fail_halted(struct job *j)
{
	fail(j, halt.status, halt.type, halt.code, halt.msg.buf, 0);
}

/* every job of a list (the fresh queue, the retry list) fails with the halt */
static void fail_halted_all(struct job **list)
{
	struct job *j;

	while ((j = *list)) {
		*list = j->next;
		j->next = NULL;
		fail_halted(j);
	}
}

/* The attempt of j ended with result res: answer, retry or fail it. */
static void finish(struct job *j, CURLcode res, double now)
{
	long status = 0, latency;
	curl_off_t connect_us = 0;
	struct json_object *resp = NULL;
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
	struct rft_call_error ce = RFT_CALL_ERROR_INIT;
	const char *type = NULL, *code = NULL;
	int retryable = 0;
	double wait;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
	curl_multi_remove_handle(multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
	running--;
	latency = (long)((now - j->t_start) * 1000 + 0.5);
	if (res == CURLE_OK && status == 200) {
		count.reachable = 1;
		if (rft_json_parse(j->x.resp.buf, j->x.resp.len, &resp, &err) < 0 || !resp ||
		    !json_object_is_type(resp, json_type_object)) {
			type = "invalid_response";
			strbuf_addf(&msg, "the answer is not a JSON object: %s", err.len ? err.buf : "null");
			retryable = 1;
		} else {
			strbuf_reset(&j->out);
			if (put_samples(&j->out, &j->line, j->obj, resp, NULL, j->n, latency, j->attempts, 0,
					&err) < 0) {
				type = "invalid_response";
				strbuf_add(&msg, err.buf, err.len);
				retryable = 1;
			} else {
				struct job *t;

				for (t = j->twins; t; t = t->next) {
					strbuf_reset(&t->out);
					put_samples(&t->out, &t->line, t->obj, resp, NULL, t->n, latency, j->attempts,
						    1, &err);
					twins_answered++;
				}
				if (db)
					rft_cache_put(db, j->key, rft_json_get_str(resp, "model"), j->x.resp.buf,
						      j->x.resp.len, latency, j->attempts);
				if (count.nlat == count.alat) {
					count.alat = count.alat ? 2 * count.alat : 1024;
					count.lat = erealloc(count.lat, count.alat * sizeof(*count.lat));
				}
				count.lat[count.nlat++] = (double)latency;
				count.answered++;
				/* the server says the budget is spent: everyone waits for the reset */
				if ((wait = server_wait(&j->x.hints)) > 0 && (j->x.hints.remaining_requests == 0 ||
									      j->x.hints.remaining_tokens == 0) &&
				    now + wait > pause_until)
					pause_until = now + wait;
				json_object_put(resp);
				strbuf_release(&err);
				strbuf_release(&msg);
				job_done(j);
				return;
			}
		}
	} else {
		/* the rules every client of common/client.c follows */
		rft_classify(res, status, (long)connect_us, &j->x.resp, j->x.errbuf, &ce);
		if (ce.reached)
			count.reachable = 1;
		status = ce.status;
		type = ce.type;
		code = ce.code;
		strbuf_addstr(&msg, ce.msg.buf);
		retryable = ce.retryable;
		if (ce.refused)
			halt_on(status, type, code, msg.buf);
		if (res != CURLE_OK && !first_net_err.len)
			strbuf_addstr(&first_net_err, msg.buf);
	}
	if (retryable && j->attempts < opt.max_attempts && !halt.on) {
		double hint = server_wait(&j->x.hints);

		wait = hint >= 0 ? hint : backoff(j->attempts);
		j->not_before = now + wait;
		if (hint > 0 && status == 429 && j->not_before > pause_until)
			pause_until = j->not_before;
		j->next = retry_list;
		retry_list = j;
	} else {
		fail(j, status, type, code, msg.buf, retryable);
	}
	json_object_put(resp);
	strbuf_release(&err);
	strbuf_release(&msg);
	rft_call_error_release(&ce);
}

/* ------------------------------------------------------------ the input */

static struct rft_records rec;
static int input_done;
static unsigned long long dry_send, dry_tokens;

/* a hit answers j now; 0 when j must be sent */
static int answer_from_cache(struct job *j)
{
	struct strbuf resp = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *r = NULL;
	long latency = 0;
	int attempts = 0, ok = 0;

	if (!db || opt.refresh || !rft_cache_get(db, j->key, &resp, &latency, &attempts))
		goto out;
	if (rft_json_parse(resp.buf, resp.len, &r, &err) < 0 || !r)
		goto out;   /* unreadable: ask again (and overwrite it) */
	strbuf_reset(&j->out);
	if (put_samples(&j->out, &j->line, j->obj, r, NULL, j->n, latency, attempts, 1, &err) < 0)
		goto out;
	count.cached++;
	ok = 1;
out:
	json_object_put(r);
	strbuf_release(&resp);
	strbuf_release(&err);
	return ok;
}
/* a job's buffers, its line (copied) and its parse (owned from now on) */
static void job_fill(struct job *j, const struct strbuf *line, struct json_object *obj)
{
	strbuf_init(&j->line, 0);
	strbuf_init(&j->body, 0);
	strbuf_init(&j->x.resp, 0);
	strbuf_init(&j->out, 0);
	strbuf_add(&j->line, line->buf, line->len);
	j->obj = obj;
}


/* read one prompt line into a job: 1, or 0 at the end of the input */
static int read_one(void)
{
	struct json_object *obj;
	struct strbuf err = STRBUF_INIT;
	struct job *j, *lead;

	for (;;) {
		if (rft_records_next(&rec, &obj) <= 0) {
			strbuf_release(&err);
			return 0;
		}
		j = ecalloc(1, sizeof(*j));
		job_fill(j, &rec.line, obj);
		strbuf_reset(&err);
		if (build_request(j, &err) == 0)
			break;
		job_free(j);
		rft_records_bad(&rec, "%s", err.buf);
	}
	strbuf_release(&err);
	count.lines++;
	if (opt.dry_run) {   /* counted, never sent nor written */
		if (!answer_from_cache(j)) {
			dry_send++;
			dry_tokens += (unsigned long long)j->tokens;
		}
		job_free(j);
		return 1;
	}
	j->seq = seq_read++;
	ring[j->seq % nring] = j;
	live++;
	if (answer_from_cache(j)) {
		job_done(j);
	} else if (halt.on) {
		fail_halted(j);
	} else if ((lead = asking_find(j->key))) {
		/* the same request is being asked: share its answer */
		j->shared = 1;
		j->next = lead->twins;
		lead->twins = j;
	} else {
		asking_add(j);
		if (fresh_tail)
			fresh_tail->next = j;
		else
			fresh_head = j;
		fresh_tail = j;
		j->next = NULL;
	}
	return 1;
}

/* --------------------------------------------------------------- progress */

static int tty;         /* stderr is a terminal: the summary too */
static struct rft_progress pg = RFT_PROGRESS_INIT;

static void progress(double now, int final)
{
	double el = now - t_begin, rate;
	unsigned long long done = count.answered + count.cached + count.failed + twins_answered;
	char eta[48] = "";

	if (!rft_progress_on(&pg))
		return;
	rate = el > 0 ? (double)(count.answered + count.failed) / el : 0;
	if (input_done && rate > 0 && done < count.lines)
		snprintf(eta, sizeof(eta), ", ETA %.0fs", (double)(count.lines - done) / rate);
	rft_progress_put(&pg, "%llu/%llu%s done, %.1f/s, %llu tokens, %llu errors%s", done, count.lines,
			 input_done ? "" : "+", rate, count.total_tokens, count.failed, eta);
	if (final)
		rft_progress_end(&pg);
}

/* ------------------------------------------------------------- the loop */

/* the next job allowed to start now, taken off its list; NULL and *wait
 * (seconds) when none can yet */
static struct job *next_job(double now, double *wait)
{
	struct job **pp, **best = NULL;
	double w;

	*wait = 1;
	if (pause_until > now) {
		*wait = pause_until - now;
		return NULL;
	}
	for (pp = &retry_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->not_before <= now) {
			if (!best || (*pp)->seq < (*best)->seq)
				best = pp;
		} else if ((*pp)->not_before - now < *wait) {
			*wait = (*pp)->not_before - now;
		}
	}
	if (!best && !fresh_head)
		return NULL;
	{
		struct job *j = best ? *best : fresh_head;
		double wr = rft_bucket_wait(&rpm_bucket, 1, now);
		double wt = rft_bucket_wait(&tpm_bucket, (double)j->tokens, now);

		w = wr > wt ? wr : wt;
		if (w > 0) {
			if (w < *wait)
				*wait = w;
			return NULL;
		}
		buckets_take(j);
		if (best) {
			*best = j->next;
		} else {
			fresh_head = j->next;
			if (!fresh_head)
				fresh_tail = NULL;
		}
		j->next = NULL;
		return j;
	}
}

/* start what may start now: free slots, due jobs, the buckets allowing;
 * *wait says how long until something else could */
static void start_ready(double now, double *wait)
{
	struct job *j;

	*wait = 1;
	while (running < opt.concurrency) {
		if (halt.on) {   /* nothing more is sent: the rest fail now */
			fail_halted_all(&fresh_head);
			fresh_tail = NULL;
			fail_halted_all(&retry_list);
		}
		if (stop_sig)   /* stopping: only what is in flight finishes */
			break;
		if (!(j = next_job(now, wait)))
			break;
		start(j, now);
	}
}

#define STOP_GRACE 10.0   /* seconds a stop signal waits for answers in flight */

static void on_stop(int sig)
{
	if (stop_sig)   /* a second signal: go now */
		rft_output_on_signal(sig);
	stop_sig = sig;
}

static void run(void)
{
	double stop_deadline = 0;

	for (;;) {
		double now = now_s(), wait = 1;
		int still = 0, got = 0;
		CURLMsg *m;

		if (stop_sig) {
			if (!stop_deadline) {
				stop_deadline = now + STOP_GRACE;
				if (running)
					warn("stopping: waiting up to %.0f s for %d answer%s in flight%s", STOP_GRACE,
					     running, running == 1 ? "" : "s", db ? " (they go to the cache)" : "");
			}
			if (!running || now >= stop_deadline)
				break;
		}
		start_ready(now, &wait);
		/* read while a line read could start at once, and start it before
		 * reading the next: a slow producer on a pipe then delays no
		 * request it has already given (cache hits just flow through) */
		while (!stop_sig && !input_done && live < window && !fresh_head && running < opt.concurrency) {
			if (!read_one()) {
				input_done = 1;
				break;
			}
			now = now_s();
			start_ready(now, &wait);
		}
		curl_multi_perform(multi, &still);
		while ((m = curl_multi_info_read(multi, &still))) {
			if (m->msg == CURLMSG_DONE) {
				CURLcode res = m->data.result;
				void *p = NULL;

				curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&p);
				finish(p, res, now_s());
				got = 1;
			}
		}
		flush_ordered();
		progress(now_s(), 0);
		if (input_done && live == 0)
			break;
		if (got)
			continue;   /* finished transfers free slots: start more first */
		if (!stop_sig && !input_done && live < window && !fresh_head && running < opt.concurrency)
			continue;   /* lines were written (cache hits): read on */
		if (wait > 1)
			wait = 1;
		curl_multi_poll(multi, NULL, 0, (int)(wait * 1000) + 1, NULL);
	}
}

/* --------------------------------------------------------- batch output */

/* a file of JSON lines keyed by custom_id (else id): the raw lines */
struct keyed {
	struct strmap ids;
	char **lines;
	unsigned char *used;
};

static struct keyed batch = { STRMAP_INIT, NULL, NULL }, joins = { STRMAP_INIT, NULL, NULL };
static char *batch_model;   /* the model the batch output's answers name (one per batch) */

static void batch_load(struct keyed *k, const char *path, int need_custom_id)
{
	struct rft_records r;
	struct json_object *o;
	char *paths[1];

	paths[0] = (char *)path;
	rft_records_init(&r, paths, 1);
	while (rft_records_next(&r, &o) > 0) {
		const char *id = rft_json_get_str(o, "custom_id"), *model;
		int added = 0;
		long ix;

		if (!id && !need_custom_id)
			id = rft_json_get_str(o, "id");
		if (!id) {
			json_object_put(o);
			if (need_custom_id)
				rft_records_bad(&r, "no \"custom_id\": not a Batch API output line");
			else
				rft_records_bad(&r, "no \"custom_id\" or \"id\": not a line of rft-prompt "
						"--references");
			continue;
		}
		ix = strmap_intern(&k->ids, id, &added);
		if (added) {
			k->lines = erealloc(k->lines, k->ids.n * sizeof(*k->lines));
		} else if (need_custom_id) {
			warn("%s: custom_id '%s' again; the later line wins", r.where.buf, id);
			free(k->lines[ix]);
		} else {
			rft_records_bad(&r, "id '%s' again: which reference is meant?", id);
			json_object_put(o);
			continue;
		}
		k->lines[ix] = estrndup(r.line.buf, r.line.len);
		model = rft_json_get_str(rft_json_get(rft_json_get(o, "response"), "body"), "model");
		if (need_custom_id && !batch_model && model)
			batch_model = estrdup(model);
		json_object_put(o);
	}
	rft_records_release(&r);
	free(k->used);
	k->used = ecalloc(k->ids.n + 1, 1);
}

static void keyed_release(struct keyed *k)
{
	size_t i;

	for (i = 0; i < k->ids.n; i++)
		free(k->lines[i]);
	free(k->lines);
	free(k->used);
	strmap_release(&k->ids);
}

/* Put "model" into the "error" of the line(s) fail() wrote for j, so a
 * failed answer stays in its model's run (rft-report groups by
 * sample.model, else model, else error.model). */
static void error_model(struct job *j, const char *model)
{
	struct strbuf err = STRBUF_INIT, l = STRBUF_INIT;
	struct json_object *o = NULL, *e;

	if (!model || !j->out.len)
		return;
	if (rft_json_parse(j->out.buf, j->out.len - 1, &o, &err) < 0 || !(e = rft_json_get(o, "error")))
		die(RFT_EX_SOFTWARE, "an error line no longer parses");
	json_object_object_add(e, "model", json_object_new_string(model));
	json_put_value(&l, o);
	strbuf_addch(&l, '\n');
	strbuf_reset(&j->out);
	strbuf_add(&j->out, l.buf, l.len);
	json_object_put(o);
	strbuf_release(&l);
	strbuf_release(&err);
}

/* the sample (or error) line for prompt line j from its Batch API result */
static void batch_answer(struct job *j, const char *id)
{
	long ix = strmap_get(&batch.ids, id);
	struct json_object *b = NULL, *resp, *body, *e;
	struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;
	long status;
	const char *type, *code, *model;

	/* the model of a failed line: the one the batch's answers name (the
	 * samples carry it, so errors stay in their run), else the one asked
	 * for: the request's body, else --model, else the line's */
	model = batch_model ? batch_model : rft_json_get_str(rft_json_get(j->obj, "body"), "model");
	if (!model)
		model = opt.model ? opt.model : rft_json_get_str(j->obj, "model");
	if (ix < 0) {
		strbuf_addf(&msg, "custom_id '%s' is not in the batch output (expired or not sent?)", id);
		fail(j, 0, "missing_from_batch", NULL, msg.buf, 1);
		error_model(j, model);
		strbuf_release(&msg);
		return;
	}
	batch.used[ix] = 1;
	if (rft_json_parse(batch.lines[ix], strlen(batch.lines[ix]), &b, &err) < 0)
		die(RFT_EX_SOFTWARE, "batch line no longer parses");
	resp = rft_json_get(b, "response");
	body = rft_json_get(resp, "body");
	status = resp ? (long)get_int(resp, "status_code") : 0;
	j->attempts = 1;
	if (status == 200 && body) {
		strbuf_reset(&j->out);
		if (put_samples(&j->out, &j->line, j->obj, body, model, j->n, -1, 1, 0, &err) >= 0) {
			count.answered++;
			job_done(j);
			goto out;
		}
		fail(j, status, "invalid_response", NULL, err.buf, 0);
		error_model(j, rft_json_get_str(body, "model") ? rft_json_get_str(body, "model") : model);
		goto out;
	}
	e = rft_json_get(body, "error");
	if (!e)
		e = rft_json_get(b, "error");
	type = rft_json_get_str(e, "type");
	code = rft_json_get_str(e, "code");
	if (!type)
		type = code;
	if (!type)
		type = "batch_error";
	strbuf_addstr(&msg, rft_json_get_str(e, "message") ? rft_json_get_str(e, "message") : "failed in the batch");
	fail(j, status, type, code, msg.buf,
	     status == 408 || status == 409 || (status == 429 && strcmp(type, "insufficient_quota")) ||
	     status >= 500 || !strcmp(type, "batch_expired") || !strcmp(type, "batch_cancelled"));
	error_model(j, rft_json_get_str(body, "model") ? rft_json_get_str(body, "model") : model);
out:
	json_object_put(b);
	strbuf_release(&err);
	strbuf_release(&msg);
}

/*
 * The line an answer is written on: a prompt line that has no "reference"
 * takes the keys of its --join line (id, split, reference, ...) that it
 * lacks.  A Batch API request line with no reference and no --join is bad:
 * its answers would all be graded 0.  0, or -1 with the reason in err.
 */
static int batch_join(const char *id, struct json_object *obj, struct strbuf *line, struct strbuf *err)
{
	struct json_object *jo = NULL;
	struct json_object_iterator it, end;
	long ix;

	if (rft_json_get(obj, "reference"))
		return 0;
	if (!opt.join) {
		if (!rft_json_get(obj, "body"))
			return 0;
		strbuf_addf(err, "custom_id '%s' is a Batch API request with no reference: give --join FILE "
			    "(the file rft-prompt -f batch --references FILE wrote), else every answer "
			    "would be graded 0", id);
		return -1;
	}
	if ((ix = strmap_get(&joins.ids, id)) < 0) {
		strbuf_addf(err, "custom_id '%s' has no reference: it is not in --join %s", id, opt.join);
		return -1;
	}
	joins.used[ix] = 1;
	if (rft_json_parse(joins.lines[ix], strlen(joins.lines[ix]), &jo, err) < 0)
		die(RFT_EX_SOFTWARE, "join line no longer parses");
	if (!rft_json_get(jo, "reference")) {
		strbuf_addf(err, "custom_id '%s': its line in --join %s has no reference", id, opt.join);
		json_object_put(jo);
		return -1;
	}
	it = json_object_iter_begin(jo);
	end = json_object_iter_end(jo);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);

		if (!json_object_object_get_ex(obj, k, NULL))
			json_object_object_add(obj, k, json_object_get(json_object_iter_peek_value(&it)));
	}
	json_object_put(jo);
	strbuf_reset(line);
	json_put_value(line, obj);
	return 0;
}

static void run_batch_in(void)
{
	struct json_object *obj;
	struct strbuf err = STRBUF_INIT, line = STRBUF_INIT;
	struct strmap seen = STRMAP_INIT;
	size_t i, unused = 0;
	long first = 0;

	batch_load(&batch, opt.batch_in, 1);
	if (opt.batch_errors)
		batch_load(&batch, opt.batch_errors, 1);
	if (opt.join)
		batch_load(&joins, opt.join, 0);
	while (rft_records_next(&rec, &obj) > 0) {
		struct job *j;
		const char *id = rft_json_get_str(obj, "custom_id");
		int added;

		if (!id)
			id = rft_json_get_str(obj, "id");
		if (!id) {
			json_object_put(obj);
			rft_records_bad(&rec, "no \"custom_id\" or \"id\" to join on the batch output");
			continue;
		}
		strbuf_reset(&err);
		strbuf_reset(&line);
		strbuf_add(&line, rec.line.buf, rec.line.len);
		if (batch_join(id, obj, &line, &err) < 0) {
			json_object_put(obj);
			rft_records_bad(&rec, "%s", err.buf);
			continue;
		}
		strmap_intern(&seen, id, &added);
		if (!added) {
			rft_records_bad(&rec, "id '%s' again: a batch answer cannot be given to two lines", id);
			json_object_put(obj);
			continue;
		}
		j = ecalloc(1, sizeof(*j));
		job_fill(j, &line, obj);
		j->n = 1;
		j->seq = seq_read++;
		live++;
		count.lines++;
		ring[0] = j;
		batch_answer(j, id);
		ring[0] = NULL;
		seq_written++;
		write_out(j);
	}
	for (i = batch.ids.n; i-- > 0; )
		if (!batch.used[i]) {
			unused++;
			first = (long)i;
		}
	if (unused)
		warn("%zu batch answer%s matched no prompt line (first: custom_id '%s')", unused,
		     unused == 1 ? "" : "s", strmap_key(&batch.ids, first));
	keyed_release(&batch);
	keyed_release(&joins);
	free(batch_model);
	strmap_release(&seen);
	strbuf_release(&err);
	strbuf_release(&line);
}

/* ------------------------------------------------------------- summary */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void write_stats(double wall)
{
	struct rft_output so;
	struct strbuf sb = STRBUF_INIT;
	static const double qs[] = { 0.5, 0.9, 0.99 };
	static const char *const qn[] = { "p50", "p90", "p99" };
	size_t i;

	if (rft_output_open(&so, opt.stats) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	if (count.nlat)
		qsort(count.lat, count.nlat, sizeof(*count.lat), cmp_double);
	strbuf_addf(&sb, "{\"lines\":%llu,\"answered\":%llu,\"cached\":%llu,\"shared\":%llu,\"failed\":%llu,"
		    "\"failed_retryable\":%llu,\"samples\":%llu,\"n_other\":%llu,\"requests\":%llu,\"retries\":%llu,"
		    "\"latency_ms\":{", count.lines, count.answered, count.cached, twins_answered, count.failed,
		    count.failed_retryable, count.samples, count.n_other, count.requests, count.retries);
	for (i = 0; i < 3; i++) {
		json_put_key(&sb, qn[i], i == 0);
		if (count.nlat)
			json_put_fixed(&sb, rft_quantile_sorted(count.lat, count.nlat, qs[i]), 1);
		else
			strbuf_addstr(&sb, "null");
	}
	strbuf_addf(&sb, "},\"usage\":{\"prompt_tokens\":%llu,\"completion_tokens\":%llu,"
		    "\"reasoning_tokens\":%llu,\"total_tokens\":%llu},\"wall_s\":",
		    count.prompt_tokens, count.completion_tokens, count.reasoning_tokens, count.total_tokens);
	json_put_fixed(&sb, wall, 3);
	strbuf_addstr(&sb, ",\"requests_per_s\":");
	json_put_fixed(&sb, wall > 0 ? (double)count.requests / wall : 0, 1);
	strbuf_addstr(&sb, "}\n");
	rft_output_write(&so, sb.buf, sb.len);
	if (rft_output_commit(&so) < 0)
		exit(rft_finish(RFT_EX_IOERR));
	strbuf_release(&sb);
}

static void summary(double wall)
{
	warn("%llu lines: %llu answered, %llu from the cache, %llu by an identical line's request, "
	     "%llu failed (%llu may pass on a rerun); "
	     "%llu requests, %llu retries; %llu prompt + %llu completion tokens; %.1f s",
	     count.lines, count.answered, count.cached, twins_answered, count.failed, count.failed_retryable,
	     count.requests, count.retries, count.prompt_tokens, count.completion_tokens, wall);
}

/* ----------------------------------------------------------------- main */

enum { OPT_BASE_URL = 256, OPT_KEY_ENV, OPT_CONCURRENCY, OPT_RPM, OPT_TPM, OPT_MAX_ATTEMPTS,
       OPT_TIMEOUT, OPT_BACKOFF, OPT_TEMPERATURE, OPT_MAX_TOKENS, OPT_EFFORT, OPT_N,
       OPT_RESPONSE_FORMAT, OPT_CACHE, OPT_REFRESH, OPT_UNORDERED, OPT_STATS, OPT_BATCH_IN,
       OPT_BATCH_ERRORS, OPT_SKIP_BAD, OPT_REJECTS, OPT_CACERT, OPT_DRY_RUN, OPT_JOIN };

static const struct rft_opt options[] = {
	{ 'o', "output", RFT_ARG_REQ, "FILE", "write to FILE (atomically) instead of stdout" },
	{ 'm', "model", RFT_ARG_REQ, "NAME", "the model (else each line's \"model\")" },
	{ OPT_BASE_URL, "base-url", RFT_ARG_REQ, "URL", "the endpoint (default $OPENAI_BASE_URL, else " RFT_DEFAULT_BASE_URL ")" },
	{ OPT_KEY_ENV, "api-key-env", RFT_ARG_REQ, "NAME", "read the key from $NAME (default OPENAI_API_KEY)" },
	{ OPT_CACERT, "cacert", RFT_ARG_REQ, "FILE", "trust the CA certificates in FILE (PEM) instead of the system's" },
	{ 'H', "header", RFT_ARG_REQ, "'NAME: VALUE'", "add a header; ${VAR} in VALUE is read from the environment" },
	{ 'j', "concurrency", RFT_ARG_REQ, "N", "requests in flight at once (default 16)" },
	{ OPT_RPM, "rpm", RFT_ARG_REQ, "N", "at most N requests a minute (token bucket)" },
	{ OPT_TPM, "tpm", RFT_ARG_REQ, "N", "at most N estimated tokens a minute (see rft-call(1))" },
	{ OPT_MAX_ATTEMPTS, "max-attempts", RFT_ARG_REQ, "N", "tries per line, retries included (default 5)" },
	{ OPT_TIMEOUT, "timeout", RFT_ARG_REQ, "SECONDS", "give up an attempt after this long (default 600)" },
	{ OPT_BACKOFF, "backoff", RFT_ARG_REQ, "SECONDS", "first retry delay, doubled each time up to 8 s (default 0.5)" },
	{ OPT_TEMPERATURE, "temperature", RFT_ARG_REQ, "T", "sampling temperature" },
	{ OPT_MAX_TOKENS, "max-completion-tokens", RFT_ARG_REQ, "N", "cap on output tokens, reasoning included" },
	{ OPT_EFFORT, "reasoning-effort", RFT_ARG_REQ, "LEVEL", "minimal, low, medium or high" },
	{ OPT_N, "n", RFT_ARG_REQ, "N", "completions per prompt: N sample lines, each with its index" },
	{ OPT_RESPONSE_FORMAT, "response-format", RFT_ARG_REQ, "FILE", "the response_format JSON in FILE (e.g. rft-prompt --schema)" },
	{ OPT_CACHE, "cache", RFT_ARG_REQ, "FILE", "SQLite response cache: answers kept there are not asked again" },
	{ OPT_REFRESH, "refresh", RFT_ARG_NONE, NULL, "with --cache: ask again, and store the new answers" },
	{ OPT_DRY_RUN, "dry-run", RFT_ARG_NONE, NULL, "send nothing: check the lines, count cache hits, requests and estimated tokens" },
	{ OPT_UNORDERED, "unordered", RFT_ARG_NONE, NULL, "write lines as they finish, not in input order" },
	{ OPT_STATS, "stats", RFT_ARG_REQ, "FILE", "write counts, latency percentiles and token totals as JSON" },
	{ OPT_BATCH_IN, "batch-in", RFT_ARG_REQ, "FILE", "call nothing: join this Batch API output to the prompt lines" },
	{ OPT_BATCH_ERRORS, "batch-errors", RFT_ARG_REQ, "FILE", "with --batch-in: the batch's error file too" },
	{ OPT_JOIN, "join", RFT_ARG_REQ, "FILE", "with --batch-in: the references of batch request lines (rft-prompt -f batch --references FILE)" },
	{ OPT_SKIP_BAD, "skip-bad", RFT_ARG_OPT, "N", "skip (and count, and reject) up to N bad lines instead of stopping" },
	{ OPT_REJECTS, "rejects", RFT_ARG_REQ, "FILE", "write the bad lines skipped, with the reason, to FILE" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-call", "[OPTION]... [PROMPTS]...",
	"Send prompt lines to an OpenAI-compatible /chat/completions endpoint and write sample\n"
	"lines, in input order.  With no input, or '-', read stdin.",
	options,
	"exit status: 0 every line written (failed calls that a retry cannot fix carry \"error\"),\n"
	"75 some line failed for a reason that may pass (rerun: the cache keeps the rest),\n"
	"69 the endpoint was never reached, 64 usage, 65 bad input, 66 input missing,\n"
	"74 I/O error, 78 bad configuration.  See rft-call(1).\n"
};

/* -H 'Name: value' with ${VAR} expanded, appended to the header list */
static void add_header(const char *h)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p, *colon = strchr(h, ':');

	if (!colon || colon == h || strpbrk(h, "\r\n"))
		rft_usage_error("-H needs 'Name: value', not '%s'", h);
	for (p = h; *p; p++) {
		if (p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p, '}');
			char *name;
			const char *v;

			if (!end)
				rft_usage_error("-H: unclosed ${ in '%s'", h);
			name = estrndup(p + 2, (size_t)(end - p - 2));
			v = getenv(name);
			if (!v || strpbrk(v, "\r\n"))
				die(RFT_EX_CONFIG, "-H: $%s is not set (or holds a line break)", name);
			free(name);
			strbuf_addstr(&sb, v);
			p = end;
		} else {
			strbuf_addch(&sb, *p);
		}
	}
	headers = curl_slist_append(headers, sb.buf);
	if (!headers)
		die(RFT_EX_SOFTWARE, "out of memory");
	memset(sb.buf, 0, sb.len);   /* it may hold a secret */
	strbuf_release(&sb);
}

/* the key, from the environment only (common/client.c) */
static void set_key(void)
{
	struct strbuf err = STRBUF_INIT;

	if (rft_headers_add_key(&headers, opt.api_key_env, url.buf, opt.dry_run, &err) < 0) {
		if (opt.api_key_env && !getenv(opt.api_key_env))
			strbuf_addstr(&err, " (--api-key-env)");
		else if (!opt.api_key_env && !strncmp(err.buf, "$OPENAI_API_KEY is not set", 26))
			die(RFT_EX_CONFIG, "$OPENAI_API_KEY is not set (OpenAI needs a key; --api-key-env "
			    "names another variable)");
		die(RFT_EX_CONFIG, "%s", err.buf);
	}
	strbuf_release(&err);
}

static void load_response_format(const char *path)
{
	struct strbuf val = STRBUF_INIT;
	struct json_object *v = rft_json_load_object(path, 1 << 20, RFT_EX_CONFIG, NULL);

	if (!rft_json_get_str(v, "type"))
		die(RFT_EX_CONFIG, "%s: a response_format is an object with a \"type\"", path);
	json_put_value(&val, v);
	response_format = strbuf_detach(&val, NULL);
	json_object_put(v);
}

int main(int argc, char **argv)
{
	int c, status;
	double wall;

	rft_init("rft-call");
	/* before any other thread: libcurl's global state (and OpenSSL's) */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(RFT_EX_SOFTWARE, "cannot initialise libcurl");
	atexit(curl_global_cleanup);
	headers = rft_headers_base();
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 'o': opt.output = optarg; break;
		case 'm': opt.model = optarg; break;
		case OPT_BASE_URL: opt.base_url = optarg; break;
		case OPT_KEY_ENV: opt.api_key_env = optarg; break;
		case OPT_CACERT:
			if (access(optarg, R_OK) != 0)
				die(RFT_EX_NOINPUT, "cannot read '%s':", optarg);
			opt.cacert = optarg;
			break;
		case 'H': add_header(optarg); break;
		case 'j': opt.concurrency = rft_opt_count("concurrency", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_RPM: opt.rpm = rft_opt_count("rpm", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_TPM: opt.tpm = rft_opt_count("tpm", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_MAX_ATTEMPTS: opt.max_attempts = rft_opt_count("max-attempts", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_TIMEOUT: opt.timeout = rft_opt_num("timeout", optarg, 0.001); break;
		case OPT_BACKOFF: opt.backoff = rft_opt_num("backoff", optarg, 0); break;
		case OPT_TEMPERATURE: opt.temperature = rft_opt_num("temperature", optarg, 0); opt.has_temperature = 1; break;
		case OPT_MAX_TOKENS: opt.max_completion_tokens = rft_opt_count("max-completion-tokens", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_EFFORT:
			if (strcmp(optarg, "minimal") && strcmp(optarg, "low") && strcmp(optarg, "medium") &&
			    strcmp(optarg, "high") && strcmp(optarg, "none"))
				rft_usage_error("unknown --reasoning-effort '%s' (minimal, low, medium, high)", optarg);
			opt.reasoning_effort = optarg;
			break;
		case OPT_N: opt.n = rft_opt_count("n", optarg, 1, RFT_OPT_NO_MAX); break;
		case OPT_RESPONSE_FORMAT: opt.response_format_file = optarg; break;
		case OPT_CACHE: opt.cache = optarg; break;
		case OPT_REFRESH: opt.refresh = 1; break;
		case OPT_UNORDERED: opt.unordered = 1; break;
		case OPT_DRY_RUN: opt.dry_run = 1; break;
		case OPT_STATS: opt.stats = optarg; break;
		case OPT_BATCH_IN: opt.batch_in = optarg; break;
		case OPT_BATCH_ERRORS: opt.batch_errors = optarg; break;
		case OPT_JOIN: opt.join = optarg; break;
		case OPT_SKIP_BAD: opt.skip_bad = rft_skip_bad_arg(optarg); break;
		case OPT_REJECTS: opt.rejects = optarg; break;
		}
	}
	if (opt.n > 128)
		rft_usage_error("option '--n' is at most 128, not '%s'", "more");
	if (opt.refresh && !opt.cache)
		rft_usage_error("%s needs --cache FILE", "--refresh");
	if ((opt.batch_errors || opt.join) && !opt.batch_in)
		rft_usage_error("%s needs --batch-in FILE", opt.join ? "--join" : "--batch-errors");
	if (opt.concurrency > 1024)
		opt.concurrency = 1024;
	if (opt.response_format_file)
		load_response_format(opt.response_format_file);
	{
		struct strbuf err = STRBUF_INIT;

		if (rft_base_url(&url, opt.base_url, "chat/completions", &err) < 0) {
			if (opt.base_url)
				rft_usage_error("%s", err.buf);
			die(RFT_EX_CONFIG, "%s", err.buf);
		}
		strbuf_release(&err);
	}
	xfer_opts.timeout = opt.timeout;
	xfer_opts.cacert = opt.cacert;
	xfer_opts.user_agent = "rftkit/" RFT_VERSION " rft-call";
	if (!opt.batch_in)
		set_key();
	rft_rng_seed(&rng, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	tty = isatty(STDERR_FILENO);
	t_begin = now_s();

	rft_records_init(&rec, argv + optind, argc - optind);
	rec.skip_bad = opt.skip_bad;
	if (opt.rejects && rft_records_open_rejects(&rec, opt.rejects) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_open(&out, opt.output) < 0)
		return rft_finish(RFT_EX_IOERR);
	window = (size_t)(opt.concurrency * 16 > 1024 ? opt.concurrency * 16 : 1024);
	for (nring = 1; nring < window; nring <<= 1)
		;
	ring = ecalloc(nring, sizeof(*ring));
	nasking = 2 * nring;
	asking = ecalloc(nasking, sizeof(*asking));
	{   /* a stop signal lets the answers in flight reach the cache first */
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
		struct sigaction sa;
		size_t i;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
			if (sigaction(sigs[i], &sa, NULL) != 0)
				die(RFT_EX_SOFTWARE, "cannot set a signal handler:");
	}

	if (opt.batch_in) {
		run_batch_in();
	} else if (opt.dry_run) {
		if (opt.cache)
			db = rft_cache_open(opt.cache);
		while (read_one())
			;
		rft_cache_close(db);
		warn("dry run: %llu lines, %llu in the cache, %llu to send, about %llu tokens "
		     "(prompt estimate + max completion tokens)", count.lines, count.cached, dry_send, dry_tokens);
	} else {
		if (opt.cache)
			db = rft_cache_open(opt.cache);
		if (opt.rpm)
			rft_bucket_init(&rpm_bucket, opt.rpm);
		if (opt.tpm)
			rft_bucket_init(&tpm_bucket, opt.tpm);
		multi = curl_multi_init();
		if (!multi)
			die(RFT_EX_SOFTWARE, "cannot make a curl multi handle");
		curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
		curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)opt.concurrency);
		curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)opt.concurrency);
		run();
		curl_multi_cleanup(multi);
		rft_cache_close(db);
		if (stop_sig) {   /* nothing that looks finished is left */
			warn("stopped by signal %d: %llu answers kept in %s; output %s", (int)stop_sig,
			     count.answered, opt.cache ? opt.cache : "no cache (none was given)",
			     opt.output ? "removed" : "cut short");
			rft_output_abort(&out);
			exit(128 + stop_sig);
		}
	}
	rft_headers_free(headers);
	headers = NULL;
	wall = now_s() - t_begin;
	progress(now_s(), 1);
	rft_records_release(&rec);
	if (rft_records_commit_rejects(&rec) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (rft_output_commit(&out) < 0)
		return rft_finish(RFT_EX_IOERR);
	if (opt.stats)
		write_stats(wall);
	if (count.failed || tty)
		summary(wall);
	if (count.n_other)
		warn("warning: %llu answer%s had another number of completions than the n asked (the "
		     "endpoint may ignore n, as llama.cpp's and Ollama's servers do): their sample lines "
		     "say \"n_asked\" and \"n_returned\"", count.n_other, count.n_other == 1 ? "" : "s");
	status = RFT_EX_OK;
	if (count.requests && !count.reachable) {
		error("the endpoint %s was never reached: %s", url.buf,
		      first_net_err.len ? first_net_err.buf : "no answer");
		status = RFT_EX_UNAVAILABLE;
	} else if (halt.on) {
		error("the endpoint refused the account (HTTP %ld %s%s%s: %s): nothing more was sent "
		      "after it; fix the key, the model's access or the quota, then run again", halt.status,
		      halt.type, halt.code ? ", " : "", halt.code ? halt.code : "", halt.msg.buf);
		status = RFT_EX_NOPERM;
	} else if (count.failed_retryable) {
		status = RFT_EX_TEMPFAIL;
	}
	free(ring);
	free(count.lat);
	free(response_format);
	strbuf_release(&url);
	strbuf_release(&halt.msg);
	free(halt.type);
	free(halt.code);
	strbuf_release(&first_net_err);
	free(asking);
	return rft_finish(status);
}
