/*
 * client.c - the OpenAI-compatible HTTP client of rft-call and the model
 * graders.  See client.h; the behaviour is man/rft-call.1's.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "json.h"
#include "sha256.h"
#include "util.h"

/* ------------------------------------------------------ endpoint, headers */

int rft_base_url(struct strbuf *url, const char *given, const char *path, struct strbuf *err)
{
	const char *from = given ? "--base-url" : "$OPENAI_BASE_URL";

	if (!given && (given = getenv("OPENAI_BASE_URL")) && !*given)
		given = NULL;
	if (!given) {
		given = RFT_DEFAULT_BASE_URL;
		from = "the default URL";
	}
	strbuf_reset(url);
	strbuf_addstr(url, given);
	while (url->len && url->buf[url->len - 1] == '/')
		strbuf_setlen(url, url->len - 1);
	if (strncmp(url->buf, "http://", 7) && strncmp(url->buf, "https://", 8)) {
		strbuf_addf(err, "%s must start with http:// or https://, not '%s'", from, url->buf);
		return -1;
	}
	strbuf_addch(url, '/');
	strbuf_addstr(url, path);
	return 0;
}

struct curl_slist *rft_headers_base(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");

	if (h && !(h = curl_slist_append(h, "Accept: application/json")))
		return NULL;
	if (h && !(h = curl_slist_append(h, "Expect:")))
		return NULL;
	if (!h)
		die(RFT_EX_SOFTWARE, "out of memory");
	return h;
}

int rft_headers_add_key(struct curl_slist **h, const char *key_env, const char *url, int no_key_ok,
			struct strbuf *err)
{
	const char *name = key_env ? key_env : "OPENAI_API_KEY";
	const char *key = getenv(name);
	struct strbuf sb = STRBUF_INIT;

	if (!key || !*key) {
		if (key_env) {
			strbuf_addf(err, "$%s is not set", name);
			return -1;
		}
		if (!no_key_ok && strstr(url, "://api.openai.com/")) {
			strbuf_addstr(err, "$OPENAI_API_KEY is not set (OpenAI needs a key)");
			return -1;
		}
		return 0;   /* local servers need none; OpenAI answers 401 */
	}
	if (strpbrk(key, "\r\n")) {
		strbuf_addf(err, "$%s holds a line break", name);
		return -1;
	}
	strbuf_addstr(&sb, "Authorization: Bearer ");
	strbuf_addstr(&sb, key);
	*h = curl_slist_append(*h, sb.buf);
	if (!*h)
		die(RFT_EX_SOFTWARE, "out of memory");
	memset(sb.buf, 0, sb.len);
	strbuf_release(&sb);
	return 0;
}

void rft_headers_free(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p; p = p->next)
		memset(p->data, 0, strlen(p->data));
	curl_slist_free_all(h);
}

/* ------------------------------------------------------------- requests */

const char *const rft_chat_params[RFT_CHAT_NPARAMS + 1] = {
	"frequency_penalty", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens",
	"n", "presence_penalty", "reasoning_effort", "response_format", "seed", "stop",
	"temperature", "top_logprobs", "top_p", "verbosity", NULL
};

void rft_chat_body(struct strbuf *body, const char *model, const char *msgs, size_t msgs_len,
		   const char *const *values)
{
	size_t i;

	strbuf_reset(body);
	strbuf_addstr(body, "{\"model\":");
	json_put_str(body, model);
	strbuf_addstr(body, ",\"messages\":");
	strbuf_add(body, msgs, msgs_len);
	for (i = 0; i < RFT_CHAT_NPARAMS; i++) {
		if (!values[i])
			continue;
		json_put_key(body, rft_chat_params[i], 0);
		strbuf_addstr(body, values[i]);
	}
	strbuf_addch(body, '}');
}

void rft_embeddings_body(struct strbuf *body, const char *model, const char *text)
{
	strbuf_reset(body);
	strbuf_addstr(body, "{\"model\":");
	json_put_str(body, model);
	strbuf_addstr(body, ",\"input\":");
	json_put_str(body, text);
	strbuf_addch(body, '}');
}

void rft_request_key(const char *url, const char *body, size_t len, char key[65])
{
	struct rft_sha256 c;
	unsigned char d[32];

	rft_sha256_init(&c);
	rft_sha256_update(&c, "POST ", 5);
	rft_sha256_update(&c, url, strlen(url));
	rft_sha256_update(&c, "\n", 1);
	rft_sha256_update(&c, body, len);
	rft_sha256_final(&c, d);
	rft_sha256_to_hex(d, key);
}

struct json_object *rft_output_json(const char *text, size_t len)
{
	struct json_object *v = NULL;
	struct strbuf err = STRBUF_INIT;
	const char *p = text, *e = text + len;

	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	/* a fence: ``` and an optional language tag ("json"), then the text */
	if (e - p > 6 && !strncmp(p, "```", 3) && !strncmp(e - 3, "```", 3)) {
		p += 3;
		e -= 3;
		while (p < e && (isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '+'))
			p++;
		while (p < e && isspace((unsigned char)*p))
			p++;
		while (e > p && isspace((unsigned char)e[-1]))
			e--;
	}
	if (!(p < e && (*p == '{' || *p == '[') && rft_json_parse(p, (size_t)(e - p), &v, &err) == 0)) {
		json_object_put(v);
		v = NULL;
	}
	strbuf_release(&err);
	return v;
}

int rft_content_text(struct json_object *c, struct strbuf *sb)
{
	size_t i, n;

	if (c && json_object_is_type(c, json_type_string)) {
		strbuf_add(sb, json_object_get_string(c), (size_t)json_object_get_string_len(c));
		return 1;
	}
	if (!c || !json_object_is_type(c, json_type_array))
		return 0;
	n = json_object_array_length(c);
	for (i = 0; i < n; i++) {
		const char *t = rft_json_get_str(json_object_array_get_idx(c, i), "text");

		if (t)
			strbuf_addstr(sb, t);
	}
	return 1;
}

/* ------------------------------------------------------------ the cache */

struct rft_cache {
	char *path;
	sqlite3 *db;
	sqlite3_stmt *get, *put;
};

static RFT_NORETURN void db_die(struct rft_cache *c, const char *what)
{
	die(RFT_EX_IOERR, "%s: %s: %s", c->path, what, c->db ? sqlite3_errmsg(c->db) : "out of memory");
}

struct rft_cache *rft_cache_open(const char *path)
{
	struct rft_cache *c = ecalloc(1, sizeof(*c));
	char *err = NULL;
	int tries, rc;

	c->path = estrdup(path);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		db_die(c, "cannot open the cache");
	sqlite3_busy_timeout(c->db, 30000);
	/* shards starting together race to switch the file to WAL, and that
	 * switch can answer SQLITE_BUSY without waiting: try again a while */
	for (tries = 0; tries < 400; tries++) {
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		usleep(25000);
	}
	if (sqlite3_exec(c->db,
			 "PRAGMA journal_mode=WAL;"
			 "PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE IF NOT EXISTS responses ("
			 " key TEXT PRIMARY KEY,"        /* sha256 of the canonical request */
			 " model TEXT,"
			 " response TEXT NOT NULL,"      /* the endpoint's JSON answer */
			 " latency_ms INTEGER,"
			 " attempts INTEGER,"
			 " created TEXT DEFAULT CURRENT_TIMESTAMP);",
			 NULL, NULL, &err) != SQLITE_OK) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, err ? err : "?");
		sqlite3_free(err);
		die(RFT_EX_IOERR, "%s: not a usable cache: %s", path, sb.buf);
	}
	if (sqlite3_prepare_v2(c->db, "SELECT response, latency_ms, attempts FROM responses WHERE key = ?",
			       -1, &c->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "INSERT OR REPLACE INTO responses (key, model, response, latency_ms, attempts)"
			       " VALUES (?, ?, ?, ?, ?)", -1, &c->put, NULL) != SQLITE_OK)
		db_die(c, "cannot prepare");
	return c;
}

void rft_cache_close(struct rft_cache *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->get);
	sqlite3_finalize(c->put);
	if (sqlite3_close(c->db) != SQLITE_OK)
		db_die(c, "cannot close the cache");
	free(c->path);
	free(c);
}

int rft_cache_get(struct rft_cache *c, const char *key, struct strbuf *resp, long *latency, int *attempts)
{
	int rc, found = 0;

	sqlite3_bind_text(c->get, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->get);
	if (rc == SQLITE_ROW) {
		strbuf_add(resp, sqlite3_column_text(c->get, 0), (size_t)sqlite3_column_bytes(c->get, 0));
		*latency = (long)sqlite3_column_int64(c->get, 1);
		*attempts = sqlite3_column_int(c->get, 2);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		db_die(c, "cannot read");
	}
	sqlite3_reset(c->get);
	return found;
}

void rft_cache_put(struct rft_cache *c, const char *key, const char *model, const char *resp, size_t len,
		   long latency, int attempts)
{
	sqlite3_bind_text(c->put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(c->put, 3, resp, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(c->put, 4, latency);
	sqlite3_bind_int(c->put, 5, attempts);
	if (sqlite3_step(c->put) != SQLITE_DONE)
		db_die(c, "cannot write");
	sqlite3_reset(c->put);
}

/* ------------------------------------------------------------- buckets */

void rft_bucket_init(struct rft_bucket *b, long long per_minute)
{
	b->rate = (double)per_minute / 60.0;
	b->cap = b->rate < 1 ? 1 : b->rate;
	b->avail = b->cap;
	b->last = rft_now();
}

double rft_bucket_wait(struct rft_bucket *b, double cost, double now)
{
	double need;

	if (b->rate <= 0)
		return 0;
	b->avail += b->rate * (now - b->last);
	if (b->avail > b->cap)
		b->avail = b->cap;
	b->last = now;
	need = cost < b->cap ? cost : b->cap;
	return b->avail >= need ? 0 : (need - b->avail) / b->rate;
}

/* ------------------------------------------------------------ transfers */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rft_xfer *x = arg;
	size_t n = size * nmemb;

	if (x->resp.len + n > RFT_MAX_RESPONSE)
		return 0;
	strbuf_add(&x->resp, p, n);
	return n;
}

/* "1m30.5s", "20ms", "6m0s", "2h", or plain seconds: seconds, or -1 */
static double parse_duration(const char *s)
{
	double total = 0;
	int any = 0;

	while (*s == ' ')
		s++;
	while (*s) {
		char *end;
		double v = strtod(s, &end);

		if (end == s)
			return any ? total : -1;
		s = end;
		if (!strncmp(s, "ms", 2))
			total += v / 1000, s += 2;
		else if (*s == 'h')
			total += v * 3600, s++;
		else if (*s == 'm')
			total += v * 60, s++;
		else if (*s == 's')
			total += v, s++;
		else
			total += v;   /* plain number: seconds */
		any = 1;
		while (*s == ' ' || *s == '\r' || *s == '\n')
			s++;
	}
	return any ? total : -1;
}

static void hints_reset(struct rft_hints *h)
{
	h->retry_after = h->reset_requests = h->reset_tokens = -1;
	h->remaining_requests = h->remaining_tokens = -1;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rft_xfer *x = arg;
	struct rft_hints *h = &x->hints;
	size_t n = size * nmemb, k;
	char name[64], val[128];
	const char *colon = memchr(p, ':', n);

	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {   /* a new response (after 100, redirects) */
		hints_reset(h);
		return n;
	}
	if (!colon || (size_t)(colon - p) >= sizeof(name))
		return n;
	k = (size_t)(colon - p);
	memcpy(name, p, k);
	name[k] = '\0';
	p += k + 1;
	n -= k + 1;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	if (n >= sizeof(val))
		return size * nmemb;
	memcpy(val, p, n);
	val[n] = '\0';
	if (!strcasecmp(name, "retry-after-ms")) {
		double v = strtod(val, NULL);

		if (v >= 0)
			h->retry_after = v / 1000;
	} else if (!strcasecmp(name, "retry-after") && h->retry_after < 0) {
		char *end;
		double v = strtod(val, &end);

		if (end != val && *end == '\0' && v >= 0) {
			h->retry_after = v;
		} else {   /* an HTTP date */
			time_t t = curl_getdate(val, NULL);

			if (t > 0)
				h->retry_after = difftime(t, time(NULL)) > 0 ? difftime(t, time(NULL)) : 0;
		}
	} else if (!strcasecmp(name, "x-ratelimit-reset-requests")) {
		h->reset_requests = parse_duration(val);
	} else if (!strcasecmp(name, "x-ratelimit-reset-tokens")) {
		h->reset_tokens = parse_duration(val);
	} else if (!strcasecmp(name, "x-ratelimit-remaining-requests")) {
		h->remaining_requests = strtol(val, NULL, 10);
	} else if (!strcasecmp(name, "x-ratelimit-remaining-tokens")) {
		h->remaining_tokens = strtol(val, NULL, 10);
	}
	return size * nmemb;
}

/* the request body, handed to libcurl as it asks */
static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct rft_xfer *x = arg;
	size_t n = size * nitems, left = x->len - x->sent;

	if (n > left)
		n = left;
	memcpy(buf, x->body + x->sent, n);
	x->sent += n;
	return n;
}

/*
 * libcurl rewinds the body when it sends the request again by itself (a
 * reused connection that died before answering): that is a request the
 * server may have seen, so it counts as an attempt (on_resend).
 */
static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct rft_xfer *x = arg;

	if (origin != SEEK_SET || offset != 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (x->sent > 0 && x->on_resend && x->on_resend(x) < 0)
		return CURL_SEEKFUNC_FAIL;
	x->sent = 0;
	return CURL_SEEKFUNC_OK;
}

void rft_xfer_setup(CURL *e, struct rft_xfer *x, const char *url, struct curl_slist *headers,
		    const struct rft_xfer_opts *o)
{
	int tls = !strncmp(url, "https:", 6);

	strbuf_reset(&x->resp);
	x->errbuf[0] = '\0';
	x->sent = 0;
	hints_reset(&x->hints);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, x);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->timeout < 30 ? o->timeout * 1000 : 30000));
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* over TLS, wait for the first connection's ALPN answer: if it is
	 * HTTP/2 every request shares it.  Over plain http (h1: vLLM, Ollama)
	 * waiting would hold every request until the first response. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
}

double rft_backoff(double base, int k, struct rft_rng *rng)
{
	double d = base * pow(2, k - 1);

	if (d > RFT_MAX_BACKOFF)
		d = RFT_MAX_BACKOFF;
	return d * (1 - 0.25 * (double)rft_rng_below(rng, 1000) / 1000.0);
}

double rft_hints_wait(const struct rft_hints *h)
{
	double w = -1;

	if (h->retry_after >= 0)
		w = h->retry_after;
	else {
		if (h->reset_requests >= 0 && h->remaining_requests <= 0)
			w = h->reset_requests;
		if (h->reset_tokens >= 0 && h->remaining_tokens <= 0 && h->reset_tokens > w)
			w = h->reset_tokens;
	}
	return w > RFT_MAX_SERVER_WAIT ? RFT_MAX_SERVER_WAIT : w;
}

void rft_call_error_release(struct rft_call_error *e)
{
	free(e->type);
	free(e->code);
	e->type = e->code = NULL;
	strbuf_release(&e->msg);
}

void rft_call_error_set(struct rft_call_error *e, long status, const char *type, const char *code,
			const char *msg, int retryable)
{
	free(e->type);
	free(e->code);
	e->status = status;
	e->type = estrdup(type);
	e->code = code ? estrdup(code) : NULL;
	strbuf_reset(&e->msg);
	strbuf_addstr(&e->msg, msg);
	e->retryable = retryable;
}

void rft_classify(CURLcode res, long status, long connect_us, const struct strbuf *resp,
		  const char *errbuf, struct rft_call_error *e)
{
	struct json_object *o = NULL, *err;
	struct strbuf why = STRBUF_INIT, msg = STRBUF_INIT;
	const char *type = NULL, *code = NULL;
	int retryable = 0;

	e->refused = 0;
	/* reached: an HTTP answer, or a connection that broke after it was
	 * made (not a TLS handshake that failed: that endpoint is unusable) */
	e->reached = status > 0 || (connect_us > 0 && res != CURLE_SSL_CONNECT_ERROR &&
				    res != CURLE_PEER_FAILED_VERIFICATION && res != CURLE_SSL_CACERT_BADFILE &&
				    res != CURLE_SSL_CERTPROBLEM);
	if (res == CURLE_OK) {
		/* an HTTP error: the OpenAI error body says what */
		err = NULL;
		if (rft_json_parse(resp->buf, resp->len, &o, &why) == 0)
			err = rft_json_get(o, "error");
		type = rft_json_get_str(err, "type");
		code = rft_json_get_str(err, "code");
		if (rft_json_get_str(err, "message"))
			strbuf_addstr(&msg, rft_json_get_str(err, "message"));
		else if (err && json_object_is_type(err, json_type_string))
			strbuf_addstr(&msg, json_object_get_string(err));
		else
			strbuf_addf(&msg, "HTTP %ld", status);
		if ((code && !strcmp(code, "insufficient_quota")) || (type && !strcmp(type, "insufficient_quota"))) {
			type = "insufficient_quota";
			e->refused = 1;
		} else if (status == 401 || status == 403) {
			/* a wrong key or a forbidden model: every other request would get it */
			if (!type)
				type = status == 401 ? "authentication_error" : "permission_denied";
			e->refused = 1;
		} else {
			retryable = status == 408 || status == 409 || status == 429 || status >= 500;
			if (code && (status == 429 || !type))
				type = code;
			if (!type)
				type = status == 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" :
					"http_error";
		}
	} else {
		strbuf_addstr(&msg, errbuf && errbuf[0] ? errbuf : curl_easy_strerror(res));
		switch (res) {
		case CURLE_OPERATION_TIMEDOUT:
			type = "timeout";
			retryable = 1;
			break;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			type = "connection_error";
			retryable = 1;
			break;
		case CURLE_PARTIAL_FILE:
		case CURLE_BAD_CONTENT_ENCODING:
			type = "truncated_response";
			retryable = 1;
			break;
		case CURLE_WRITE_ERROR:
			type = "response_too_large";
			break;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CONNECT_ERROR:
			type = "tls_error";
			break;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			type = "bad_url";
			break;
		default:
			type = "network_error";
			retryable = 1;
		}
		if (status == 0)
			status = -1;
	}
	rft_call_error_set(e, status, type, code, msg.buf, retryable);
	json_object_put(o);
	strbuf_release(&why);
	strbuf_release(&msg);
}

/* ------------------------------------------------ the synchronous client */

/* a request being asked by some thread: others with the same key wait */
struct asking {
	char key[65];
	struct asking *next;
};

struct rft_client {
	struct rft_client_conf conf;
	struct strbuf url[2];        /* by enum rft_api */
	struct curl_slist *headers;
	struct rft_xfer_opts xo;
	char *cache_path;
	pthread_mutex_t mu;          /* everything below */
	pthread_cond_t done;         /* an asked request finished */
	struct rft_cache *cache;
	struct rft_bucket rpm, tpm;
	double pause_until;
	struct asking *asking;
	struct rft_rng rng;
	int refused;
	struct rft_call_error refusal;
	struct rft_client_stats st;
};

struct rft_client *rft_client_new(const struct rft_client_conf *conf, struct strbuf *err)
{
	struct rft_client *c = ecalloc(1, sizeof(*c));
	static const char *const paths[2] = { "chat/completions", "embeddings" };
	int i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		die(RFT_EX_SOFTWARE, "cannot initialise libcurl");
	c->conf = *conf;
	for (i = 0; i < 2; i++) {
		strbuf_init(&c->url[i], 0);
		if (rft_base_url(&c->url[i], conf->base_url, paths[i], err) < 0)
			goto bad;
	}
	c->headers = rft_headers_base();
	if (rft_headers_add_key(&c->headers, conf->api_key_env, c->url[0].buf, 0, err) < 0)
		goto bad;
	c->xo.timeout = conf->timeout > 0 ? conf->timeout : 600;
	c->xo.cacert = conf->cacert;
	c->xo.user_agent = "rftkit/" RFT_VERSION " model grader";
	if (c->conf.max_attempts < 1)
		c->conf.max_attempts = 5;
	if (c->conf.backoff < 0)
		c->conf.backoff = 0.5;
	c->cache_path = estrdup(conf->cache ? conf->cache : ":memory:");
	c->conf.cache = c->cache_path;
	if (pthread_mutex_init(&c->mu, NULL) != 0 || pthread_cond_init(&c->done, NULL) != 0)
		die(RFT_EX_SOFTWARE, "cannot make a mutex:");
	if (conf->rpm)
		rft_bucket_init(&c->rpm, conf->rpm);
	if (conf->tpm)
		rft_bucket_init(&c->tpm, conf->tpm);
	rft_rng_seed(&c->rng, (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	strbuf_init(&c->refusal.msg, 0);
	return c;
bad:
	for (i = 0; i < 2; i++)
		strbuf_release(&c->url[i]);
	rft_headers_free(c->headers);
	free(c);
	curl_global_cleanup();
	return NULL;
}

void rft_client_free(struct rft_client *c)
{
	int i;

	if (!c)
		return;
	rft_cache_close(c->cache);
	rft_headers_free(c->headers);
	for (i = 0; i < 2; i++)
		strbuf_release(&c->url[i]);
	rft_call_error_release(&c->refusal);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->done);
	free(c->cache_path);
	free(c);
	curl_global_cleanup();
}

const char *rft_client_url(const struct rft_client *c, enum rft_api api)
{
	return c->url[api].buf;
}

void rft_client_stats(struct rft_client *c, struct rft_client_stats *s)
{
	pthread_mutex_lock(&c->mu);
	*s = c->st;
	pthread_mutex_unlock(&c->mu);
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* a 200 answer of api: parsed, or NULL with why */
static struct json_object *answer_ok(enum rft_api api, const struct strbuf *resp, struct strbuf *why)
{
	struct json_object *o = NULL, *v;

	if (rft_json_parse(resp->buf, resp->len, &o, why) < 0 || !o || !json_object_is_type(o, json_type_object)) {
		if (!why->len)
			strbuf_addstr(why, "the answer is not a JSON object");
		json_object_put(o);
		return NULL;
	}
	v = rft_json_get(o, api == RFT_API_CHAT ? "choices" : "data");
	if (!v || !json_object_is_type(v, json_type_array) || !json_object_array_length(v)) {
		strbuf_addf(why, "the answer has no \"%s\"", api == RFT_API_CHAT ? "choices" : "data");
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct sync_attempt {
	struct rft_client *c;
	int *attempts;
	long tokens;
};

/* libcurl sent the body again by itself: an attempt, within the limits */
static int sync_resend(struct rft_xfer *x)
{
	struct sync_attempt *a = x->owner;

	if (*a->attempts >= a->c->conf.max_attempts)
		return -1;
	++*a->attempts;
	pthread_mutex_lock(&a->c->mu);
	a->c->st.requests++;
	a->c->st.retries++;
	a->c->rpm.avail -= 1;
	a->c->tpm.avail -= (double)a->tokens;
	pthread_mutex_unlock(&a->c->mu);
	return 0;
}

/* wait for the buckets and any pause; 0 sent may go, -1 refused meanwhile */
static int wait_turn(struct rft_client *c, long tokens)
{
	for (;;) {
		double now = rft_now(), w = 0, wr, wt;

		pthread_mutex_lock(&c->mu);
		if (c->refused) {
			pthread_mutex_unlock(&c->mu);
			return -1;
		}
		if (c->pause_until > now)
			w = c->pause_until - now;
		else {
			wr = rft_bucket_wait(&c->rpm, 1, now);
			wt = rft_bucket_wait(&c->tpm, (double)tokens, now);
			w = wr > wt ? wr : wt;
		}
		if (w <= 0) {
			c->rpm.avail -= 1;
			c->tpm.avail -= (double)tokens;
			c->st.requests++;
			pthread_mutex_unlock(&c->mu);
			return 0;
		}
		pthread_mutex_unlock(&c->mu);
		sleep_s(w > 1 ? 1 : w);
	}
}

/* ask: the attempts of one request, no lock held while it is sent */
static int ask(struct rft_client *c, enum rft_api api, const struct strbuf *body, long tokens, const char *key,
	       struct json_object **answer, struct rft_call_error *e)
{
	struct rft_xfer x;
	int attempts = 0, rc = RFT_CALL_FAILED;
	struct sync_attempt sa = { c, &attempts, tokens };
	struct strbuf why = STRBUF_INIT;
	CURL *h = curl_easy_init();

	if (!h)
		die(RFT_EX_SOFTWARE, "cannot make a curl handle");
	memset(&x, 0, sizeof(x));
	strbuf_init(&x.resp, 0);
	x.body = body->buf;
	x.len = body->len;
	x.on_resend = sync_resend;
	x.owner = &sa;
	while (attempts < c->conf.max_attempts) {
		long status = 0;
		curl_off_t connect_us = 0;
		double t0, wait, hint;
		CURLcode res;

		if (wait_turn(c, tokens) < 0) {
			pthread_mutex_lock(&c->mu);
			rft_call_error_set(e, c->refusal.status, c->refusal.type, c->refusal.code, c->refusal.msg.buf, 0);
			pthread_mutex_unlock(&c->mu);
			e->refused = 1;
			rc = RFT_CALL_REFUSED;
			break;
		}
		if (attempts++ > 0) {
			pthread_mutex_lock(&c->mu);
			c->st.retries++;
			pthread_mutex_unlock(&c->mu);
		}
		curl_easy_reset(h);
		rft_xfer_setup(h, &x, c->url[api].buf, c->headers, &c->xo);
		t0 = rft_now();
		res = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
		e->attempts = attempts;
		if (res == CURLE_OK && status == 200) {
			strbuf_reset(&why);
			if ((*answer = answer_ok(api, &x.resp, &why))) {
				pthread_mutex_lock(&c->mu);
				rft_cache_put(c->cache, key, rft_json_get_str(*answer, "model"), x.resp.buf, x.resp.len,
					      (long)((rft_now() - t0) * 1000 + 0.5), attempts);
				hint = rft_hints_wait(&x.hints);
				if (hint > 0 && (x.hints.remaining_requests == 0 || x.hints.remaining_tokens == 0) &&
				    rft_now() + hint > c->pause_until)
					c->pause_until = rft_now() + hint;
				pthread_mutex_unlock(&c->mu);
				rc = RFT_CALL_OK;
				break;
			}
			rft_call_error_set(e, status, "invalid_response", NULL, why.buf, 1);
			e->reached = 1;
		} else {
			rft_classify(res, status, (long)connect_us, &x.resp, x.errbuf, e);
		}
		if (e->refused) {
			pthread_mutex_lock(&c->mu);
			if (!c->refused) {
				c->refused = 1;
				rft_call_error_set(&c->refusal, e->status, e->type, e->code, e->msg.buf, 0);
			}
			pthread_mutex_unlock(&c->mu);
			rc = RFT_CALL_REFUSED;
			break;
		}
		if (!e->retryable || attempts >= c->conf.max_attempts)
			break;
		hint = rft_hints_wait(&x.hints);
		pthread_mutex_lock(&c->mu);
		wait = hint >= 0 ? hint : rft_backoff(c->conf.backoff, attempts, &c->rng);
		if (hint > 0 && e->status == 429 && rft_now() + wait > c->pause_until)
			c->pause_until = rft_now() + wait;
		pthread_mutex_unlock(&c->mu);
		sleep_s(wait);
	}
	e->attempts = attempts;
	curl_easy_cleanup(h);
	strbuf_release(&x.resp);
	strbuf_release(&why);
	return rc;
}

int rft_client_post(struct rft_client *c, enum rft_api api, const struct strbuf *body, long tokens,
		    struct json_object **answer, int *cached, struct rft_call_error *e)
{
	struct asking me, **pp;
	struct strbuf resp = STRBUF_INIT, why = STRBUF_INIT;
	long latency;
	int attempts, rc, waited = 0;

	*answer = NULL;
	*cached = 0;
	rft_request_key(c->url[api].buf, body->buf, body->len, me.key);
	pthread_mutex_lock(&c->mu);
	if (!c->cache)
		c->cache = rft_cache_open(c->cache_path);
	for (;;) {
		struct asking *a;

		strbuf_reset(&resp);
		if (rft_cache_get(c->cache, me.key, &resp, &latency, &attempts)) {
			strbuf_reset(&why);
			if ((*answer = answer_ok(api, &resp, &why))) {
				*cached = 1;
				if (waited)
					c->st.shared++;
				else
					c->st.cached++;
				pthread_mutex_unlock(&c->mu);
				strbuf_release(&resp);
				strbuf_release(&why);
				e->attempts = attempts;
				return RFT_CALL_OK;
			}
		}
		for (a = c->asking; a && strcmp(a->key, me.key); a = a->next)
			;
		if (!a)
			break;
		/* the same request is being asked by another thread: wait for it */
		waited = 1;
		pthread_cond_wait(&c->done, &c->mu);
	}
	me.next = c->asking;
	c->asking = &me;
	pthread_mutex_unlock(&c->mu);
	strbuf_release(&resp);
	strbuf_release(&why);

	rc = ask(c, api, body, tokens, me.key, answer, e);

	pthread_mutex_lock(&c->mu);
	for (pp = &c->asking; *pp != &me; pp = &(*pp)->next)
		;
	*pp = me.next;
	if (rc != RFT_CALL_OK)
		c->st.failed++;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->mu);
	return rc;
}
