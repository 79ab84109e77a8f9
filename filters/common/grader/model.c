/*
 * model.c - score_model, label_model and the cosine metric: the graders
 * that ask a model.  See model.h and man/rft-grade.1 (MODEL GRADERS).
 *
 * A model grader's request is a chat completion: its "input" messages, each
 * text rendered by common/template against {"item":..,"sample":..}, its
 * "model", its sampling_params, and the response_format OpenAI documents
 * for model graders, a JSON schema for {"result": number (score_model) or
 * one of the labels (label_model), "steps": [{"description","conclusion"}]}.
 * The answer's rule:
 *   - a refusal (message.refusal)            -> 0, model_grader_refusal_error
 *   - the content as JSON (also in a ``` fence): an object's "result";
 *     a score may also be a bare JSON number (endpoints that ignore
 *     response_format)
 *   - score_model: a finite number, clamped to range [min,max] (OpenAI:
 *     "truncated to the given range"); anything else -> 0,
 *     model_grader_parse_error ("default to 0 for all non-numeric outputs")
 *   - label_model: one of labels, exactly; reward 1 if it is one of
 *     passing_labels, else 0; not a label -> 0, model_grader_parse_error
 *   - the call failed (retries spent, or a 4xx) -> 0, model_grader_server_error
 *   - the account refused (401, 403, insufficient_quota) -> exit 77
 * cosine: the embeddings of input and reference (one /embeddings request
 * each, model text-embedding-3-large as OpenAI's) and their cosine.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client.h"
#include "../json.h"
#include "../template.h"
#include "../util.h"
#include "internal.h"
#include "model.h"

enum mkind { M_SCORE, M_LABEL, M_COSINE };

struct part {                    /* one piece of a message's content */
	struct rft_tpl *text;        /* text (input_text, output_text, a string) */
	struct rft_tpl *image;       /* or an input_image's URL */
	char *detail;
};

struct message {
	char *role;
	struct part *parts;
	size_t nparts;
	int plain;                   /* content is a string: sent as one */
};

struct model_grader {
	enum mkind kind;
	char *model;
	struct message *msgs;
	size_t nmsgs;
	double min, max;
	char **labels, **passing;
	size_t nlabels, npassing;
	const char *values[RFT_CHAT_NPARAMS];   /* the request's parameters, JSON */
	struct strbuf vals[RFT_CHAT_NPARAMS];
	long max_out;
	char *source;                /* the grader as loaded, compact JSON */
	int has_client;              /* holds a use of the client */
};

/* ------------------------------------------------------------ the client */

static struct rft_client *client;
static int client_users;
static char *embedding_model;

/* an RFT_GRADER_* number: 0 and *v, or -1 with err */
static int env_num(const char *name, double min, int whole, double *v, struct strbuf *err)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	*v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(*v) || *v < min || (whole && *v != floor(*v))) {
		strbuf_addf(err, "$%s is '%s', not a %s >= %g", name, s, whole ? "whole number" : "number", min);
		return -1;
	}
	return 0;
}

static int client_get(const char *where, struct strbuf *err)
{
	struct rft_client_conf conf;
	struct strbuf why = STRBUF_INIT;
	double v;
	const char *s;

	if (client) {
		client_users++;
		return 0;
	}
	memset(&conf, 0, sizeof(conf));
	conf.base_url = getenv("RFT_GRADER_BASE_URL") && *getenv("RFT_GRADER_BASE_URL") ?
		getenv("RFT_GRADER_BASE_URL") : NULL;
	conf.api_key_env = getenv("RFT_GRADER_KEY_ENV") && *getenv("RFT_GRADER_KEY_ENV") ?
		getenv("RFT_GRADER_KEY_ENV") : NULL;
	conf.cache = getenv("RFT_GRADER_CACHE") && *getenv("RFT_GRADER_CACHE") ? getenv("RFT_GRADER_CACHE") : NULL;
	conf.cacert = getenv("RFT_GRADER_CACERT") && *getenv("RFT_GRADER_CACERT") ?
		getenv("RFT_GRADER_CACERT") : NULL;
	conf.timeout = 600;
	conf.backoff = 0.5;
	conf.max_attempts = 5;
	v = conf.timeout;
	if (env_num("RFT_GRADER_TIMEOUT", 0.001, 0, &v, &why) < 0)
		goto bad;
	conf.timeout = v;
	v = conf.backoff;
	if (env_num("RFT_GRADER_BACKOFF", 0, 0, &v, &why) < 0)
		goto bad;
	conf.backoff = v;
	v = (double)conf.max_attempts;
	if (env_num("RFT_GRADER_MAX_ATTEMPTS", 1, 1, &v, &why) < 0)
		goto bad;
	conf.max_attempts = (long long)v;
	v = 0;
	if (env_num("RFT_GRADER_RPM", 1, 1, &v, &why) < 0)
		goto bad;
	conf.rpm = (long long)v;
	v = 0;
	if (env_num("RFT_GRADER_TPM", 1, 1, &v, &why) < 0)
		goto bad;
	conf.tpm = (long long)v;
	if (!(client = rft_client_new(&conf, &why)))
		goto bad;
	s = getenv("RFT_GRADER_EMBEDDING_MODEL");
	embedding_model = estrdup(s && *s ? s : "text-embedding-3-large");
	client_users = 1;
	return 0;
bad:
	strbuf_addf(err, "%s: a model grader cannot call its endpoint: %s", where, why.buf);
	strbuf_release(&why);
	return -1;
}

static void client_put(void)
{
	if (--client_users > 0)
		return;
	rft_client_free(client);
	client = NULL;
	free(embedding_model);
	embedding_model = NULL;
}

/* the account was refused: no request can pass, the program ends (77);
 * one thread says so, the others wait here for the exit */
static RFT_NORETURN void refused(enum rft_api api, const struct rft_call_error *e)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&once);
	die(RFT_EX_NOPERM, "the grader's endpoint %s refused the account (HTTP %ld %s%s%s: %s): nothing more "
	    "was sent after it; fix the key, the model's access or the quota, then run again",
	    rft_client_url(client, api), e->status, e->type ? e->type : "?", e->code ? ", " : "",
	    e->code ? e->code : "", e->msg.buf);
}

/* ----------------------------------------------------------------- load */

static const char *const contract_names[] = { "item.*", "sample.*", NULL };
static const struct rft_tpl_contract contract = { contract_names, NULL };

static struct rft_tpl *tpl(const char *text, const char *where, size_t i, size_t k, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	struct rft_tpl *t;

	strbuf_addf(&name, "%s: input[%zu]", where, i);
	if (k != (size_t)-1)
		strbuf_addf(&name, ".content[%zu]", k);
	t = rft_tpl_parse(name.buf, text, strlen(text), &contract, 0, err);
	strbuf_release(&name);
	return t;
}

/* one content part: a string, or {"type":"input_text"|"output_text","text"}
 * or {"type":"input_image","image_url","detail"} */
static int load_part(struct part *p, struct json_object *c, const char *where, size_t i, size_t k,
		     struct strbuf *err)
{
	const char *type = rft_json_get_str(c, "type"), *s;

	if (c && json_object_is_type(c, json_type_string)) {
		p->text = tpl(json_object_get_string(c), where, i, k, err);
		return p->text ? 0 : -1;
	}
	if (!c || !json_object_is_type(c, json_type_object) || !type) {
		strbuf_addf(err, "%s: input[%zu]: a content part is a string or an object with a \"type\"", where, i);
		return -1;
	}
	if (!strcmp(type, "input_text") || !strcmp(type, "output_text")) {
		if (!(s = rft_json_get_str(c, "text"))) {
			strbuf_addf(err, "%s: input[%zu]: %s needs a string \"text\"", where, i, type);
			return -1;
		}
		p->text = tpl(s, where, i, k, err);
		return p->text ? 0 : -1;
	}
	if (!strcmp(type, "input_image")) {
		if (!(s = rft_json_get_str(c, "image_url"))) {
			strbuf_addf(err, "%s: input[%zu]: input_image needs a string \"image_url\"", where, i);
			return -1;
		}
		p->image = tpl(s, where, i, k, err);
		if ((s = rft_json_get_str(c, "detail")))
			p->detail = estrdup(s);
		return p->image ? 0 : -1;
	}
	strbuf_addf(err, "%s: input[%zu]: content type '%s' is not supported here (input_text, output_text, "
		    "input_image)", where, i, type);
	return -1;
}

static int load_input(struct model_grader *m, struct json_object *in, const char *where, struct strbuf *err)
{
	static const char *const roles[] = { "system", "developer", "user", "assistant", NULL };
	size_t i, k, n;

	if (!in || !json_object_is_type(in, json_type_array) || !(n = json_object_array_length(in))) {
		strbuf_addf(err, "%s: \"input\" must be a non-empty list of messages {\"role\",\"content\"}", where);
		return -1;
	}
	m->msgs = ecalloc(n, sizeof(*m->msgs));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(in, i), *c = rft_json_get(o, "content");
		const char *role = rft_json_get_str(o, "role");
		struct message *msg = &m->msgs[i];

		m->nmsgs++;   /* counted first: a message that fails half-loaded is freed too */

		for (k = 0; role && roles[k] && strcmp(roles[k], role); k++)
			;
		if (!role || !roles[k]) {
			strbuf_addf(err, "%s: input[%zu]: \"role\" must be system, developer, user or assistant", where, i);
			return -1;
		}
		msg->role = estrdup(role);
		if (!c) {
			strbuf_addf(err, "%s: input[%zu]: no \"content\"", where, i);
			return -1;
		}
		msg->plain = json_object_is_type(c, json_type_string);
		if (json_object_is_type(c, json_type_array)) {
			size_t np = json_object_array_length(c);

			if (!np) {
				strbuf_addf(err, "%s: input[%zu]: \"content\" is an empty list", where, i);
				return -1;
			}
			msg->parts = ecalloc(np, sizeof(*msg->parts));
			for (k = 0; k < np; k++, msg->nparts++)
				if (load_part(&msg->parts[k], json_object_array_get_idx(c, k), where, i, k, err) < 0) {
					msg->nparts++;
					return -1;
				}
		} else {
			msg->parts = ecalloc(1, sizeof(*msg->parts));
			msg->nparts = 1;
			if (load_part(&msg->parts[0], c, where, i, (size_t)-1, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* a list of distinct non-empty strings */
static int load_strings(struct json_object *o, const char *key, char ***out, size_t *n, const char *where,
			struct strbuf *err)
{
	struct json_object *v = rft_json_get(o, key);
	size_t i, j, len;

	if (!v || !json_object_is_type(v, json_type_array) || !(len = json_object_array_length(v))) {
		strbuf_addf(err, "%s: \"%s\" must be a non-empty list of strings", where, key);
		return -1;
	}
	*out = ecalloc(len, sizeof(**out));
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!e || !json_object_is_type(e, json_type_string) || !json_object_get_string_len(e)) {
			strbuf_addf(err, "%s: %s[%zu] is not a non-empty string", where, key, i);
			return -1;
		}
		for (j = 0; j < *n; j++)
			if (!strcmp((*out)[j], json_object_get_string(e))) {
				strbuf_addf(err, "%s: %s: '%s' twice", where, key, (*out)[j]);
				return -1;
			}
		(*out)[(*n)++] = estrdup(json_object_get_string(e));
	}
	return 0;
}

static int param_index(const char *name)
{
	int i;

	for (i = 0; i < RFT_CHAT_NPARAMS; i++)
		if (!strcmp(rft_chat_params[i], name))
			return i;
	die(RFT_EX_SOFTWARE, "no chat parameter '%s'", name);
}

static void set_param(struct model_grader *m, const char *name, struct json_object *v, const char *text)
{
	int i = param_index(name);

	strbuf_reset(&m->vals[i]);
	if (v)
		json_put_value(&m->vals[i], v);
	else
		strbuf_addstr(&m->vals[i], text);
	m->values[i] = m->vals[i].buf;
}

/* OpenAI's sampling_params, as chat parameters: max_completions_tokens is
 * sent as max_completion_tokens */
static int load_sampling(struct model_grader *m, struct json_object *sp, const char *where, struct strbuf *err)
{
	struct json_object_iterator it, end;

	if (!sp)
		return 0;
	if (!json_object_is_type(sp, json_type_object)) {
		strbuf_addf(err, "%s: \"sampling_params\" must be an object", where);
		return -1;
	}
	it = json_object_iter_begin(sp);
	end = json_object_iter_end(sp);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		int isnum = v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double));

		if (!v || json_object_is_type(v, json_type_null))
			continue;
		if (!strcmp(k, "temperature") || !strcmp(k, "top_p")) {
			if (!isnum || json_object_get_double(v) < 0) {
				strbuf_addf(err, "%s: sampling_params.%s must be a number >= 0", where, k);
				return -1;
			}
			set_param(m, k, v, NULL);
		} else if (!strcmp(k, "seed")) {
			if (!json_object_is_type(v, json_type_int)) {
				strbuf_addf(err, "%s: sampling_params.seed must be a whole number", where);
				return -1;
			}
			set_param(m, k, v, NULL);
		} else if (!strcmp(k, "max_completions_tokens")) {
			if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1) {
				strbuf_addf(err, "%s: sampling_params.max_completions_tokens must be a whole number >= 1",
					    where);
				return -1;
			}
			m->max_out = (long)json_object_get_int64(v);
			set_param(m, "max_completion_tokens", v, NULL);
		} else if (!strcmp(k, "reasoning_effort")) {
			if (!json_object_is_type(v, json_type_string)) {
				strbuf_addf(err, "%s: sampling_params.reasoning_effort must be a string", where);
				return -1;
			}
			set_param(m, k, v, NULL);
		} else {
			strbuf_addf(err, "%s: unknown sampling_params.%s (seed, top_p, temperature, "
				    "max_completions_tokens, reasoning_effort)", where, k);
			return -1;
		}
	}
	return 0;
}

/* OpenAI's model grader output, as a strict JSON schema */
static void response_format(struct model_grader *m)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addf(&sb, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"%s\",\"strict\":true,"
		    "\"schema\":{\"type\":\"object\",\"properties\":{\"result\":",
		    m->kind == M_SCORE ? "score_model_output" : "label_model_output");
	if (m->kind == M_SCORE) {
		strbuf_addstr(&sb, "{\"type\":\"number\"}");
	} else {
		strbuf_addstr(&sb, "{\"type\":\"string\",\"enum\":[");
		for (i = 0; i < m->nlabels; i++) {
			if (i)
				strbuf_addch(&sb, ',');
			json_put_str(&sb, m->labels[i]);
		}
		strbuf_addstr(&sb, "]}");
	}
	strbuf_addstr(&sb, ",\"steps\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":"
		      "{\"description\":{\"type\":\"string\"},\"conclusion\":{\"type\":\"string\"}},"
		      "\"required\":[\"description\",\"conclusion\"],\"additionalProperties\":false}}},"
		      "\"required\":[\"result\",\"steps\"],\"additionalProperties\":false}}}");
	set_param(m, "response_format", NULL, sb.buf);
	strbuf_release(&sb);
}

struct model_grader *model_grader_load(struct json_object *o, const char *type, const char *where,
				       struct strbuf *err)
{
	struct model_grader *m = ecalloc(1, sizeof(*m));
	struct json_object *v;
	const char *s;
	size_t i, j;
	int i2;

	for (i2 = 0; i2 < RFT_CHAT_NPARAMS; i2++)
		strbuf_init(&m->vals[i2], 0);
	if (!strcmp(type, "text_similarity")) {
		m->kind = M_COSINE;
		if (client_get(where, err) < 0) {
			model_grader_free(m);
			return NULL;
		}
		m->has_client = 1;
		return m;
	}
	m->kind = !strcmp(type, "score_model") ? M_SCORE : M_LABEL;
	if (!(s = rft_json_get_str(o, "model")) || !*s) {
		strbuf_addf(err, "%s: needs \"model\" (a string)", where);
		goto bad;
	}
	m->model = estrdup(s);
	if (load_input(m, rft_json_get(o, "input"), where, err) < 0)
		goto bad;
	if (m->kind == M_SCORE) {
		m->min = 0;
		m->max = 1;
		if ((v = rft_json_get(o, "range"))) {
			struct json_object *a = json_object_is_type(v, json_type_array) &&
				json_object_array_length(v) == 2 ? json_object_array_get_idx(v, 0) : NULL;
			struct json_object *b = a ? json_object_array_get_idx(v, 1) : NULL;

			if (!a || !b || !(json_object_is_type(a, json_type_int) || json_object_is_type(a, json_type_double)) ||
			    !(json_object_is_type(b, json_type_int) || json_object_is_type(b, json_type_double)) ||
			    !(json_object_get_double(a) < json_object_get_double(b))) {
				strbuf_addf(err, "%s: \"range\" must be [min, max], two numbers with min < max", where);
				goto bad;
			}
			m->min = json_object_get_double(a);
			m->max = json_object_get_double(b);
		}
		if ((v = rft_json_get(o, "pass_threshold")) && !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) {
			strbuf_addf(err, "%s: \"pass_threshold\" must be a number", where);
			goto bad;
		}
		if (load_sampling(m, rft_json_get(o, "sampling_params"), where, err) < 0)
			goto bad;
	} else {
		if (load_strings(o, "labels", &m->labels, &m->nlabels, where, err) < 0 ||
		    load_strings(o, "passing_labels", &m->passing, &m->npassing, where, err) < 0)
			goto bad;
		for (i = 0; i < m->npassing; i++) {
			for (j = 0; j < m->nlabels && strcmp(m->labels[j], m->passing[i]); j++)
				;
			if (j == m->nlabels) {
				strbuf_addf(err, "%s: passing label '%s' is not one of \"labels\"", where, m->passing[i]);
				goto bad;
			}
		}
		if (rft_json_get(o, "sampling_params") &&
		    load_sampling(m, rft_json_get(o, "sampling_params"), where, err) < 0)
			goto bad;
	}
	response_format(m);
	{
		struct strbuf src = STRBUF_INIT;

		json_put_value(&src, o);
		m->source = strbuf_detach(&src, NULL);
	}
	if (client_get(where, err) < 0)
		goto bad;
	m->has_client = 1;
	return m;
bad:
	model_grader_free(m);
	return NULL;
}

void model_grader_free(struct model_grader *m)
{
	size_t i, k;

	if (!m)
		return;
	for (i = 0; i < m->nmsgs; i++) {
		for (k = 0; k < m->msgs[i].nparts; k++) {
			rft_tpl_free(m->msgs[i].parts[k].text);
			rft_tpl_free(m->msgs[i].parts[k].image);
			free(m->msgs[i].parts[k].detail);
		}
		free(m->msgs[i].parts);
		free(m->msgs[i].role);
	}
	free(m->msgs);
	for (i = 0; i < m->nlabels; i++)
		free(m->labels[i]);
	for (i = 0; i < m->npassing; i++)
		free(m->passing[i]);
	free(m->labels);
	free(m->passing);
	for (i = 0; i < RFT_CHAT_NPARAMS; i++)
		strbuf_release(&m->vals[i]);
	if (m->has_client)
		client_put();
	free(m->model);
	free(m->source);
	free(m);
}

void model_grader_export(const struct model_grader *m, struct strbuf *out)
{
	strbuf_addstr(out, m->source ? m->source : "null");
}

/* ---------------------------------------------------------------- grade */

/* the request's messages, rendered: 0, or -1 with err */
static int render_messages(const struct model_grader *m, struct json_object *item, struct json_object *sample,
			   struct strbuf *out, struct strbuf *err)
{
	struct json_object *root = json_object_new_object();
	struct strbuf t = STRBUF_INIT;
	size_t i, k;
	int rc = -1;

	if (!root)
		die(RFT_EX_SOFTWARE, "out of memory");
	json_object_object_add(root, "item", json_object_get(item));
	json_object_object_add(root, "sample", json_object_get(sample));
	strbuf_addch(out, '[');
	for (i = 0; i < m->nmsgs; i++) {
		const struct message *msg = &m->msgs[i];

		strbuf_addstr(out, i ? ",{\"role\":" : "{\"role\":");
		json_put_str(out, msg->role);
		strbuf_addstr(out, ",\"content\":");
		if (!msg->plain)
			strbuf_addch(out, '[');
		for (k = 0; k < msg->nparts; k++) {
			const struct part *p = &msg->parts[k];

			strbuf_reset(&t);
			if (rft_tpl_render(p->text ? p->text : p->image, 0, root, &t, err) < 0)
				goto out;
			if (msg->plain) {
				json_put_strn(out, t.buf, t.len);
				continue;
			}
			if (k)
				strbuf_addch(out, ',');
			if (p->text) {
				strbuf_addstr(out, "{\"type\":\"text\",\"text\":");
				json_put_strn(out, t.buf, t.len);
				strbuf_addch(out, '}');
			} else {
				strbuf_addstr(out, "{\"type\":\"image_url\",\"image_url\":{\"url\":");
				json_put_strn(out, t.buf, t.len);
				if (p->detail) {
					strbuf_addstr(out, ",\"detail\":");
					json_put_str(out, p->detail);
				}
				strbuf_addstr(out, "}}");
			}
		}
		strbuf_addstr(out, msg->plain ? "}" : "]}");
	}
	strbuf_addch(out, ']');
	rc = 0;
out:
	json_object_put(root);
	strbuf_release(&t);
	return rc;
}

/* the call failed: 0 and model_grader_server_error (a refusal ends the program) */
static void call_failed(enum rft_api api, int rc, const struct rft_call_error *e, const char *what,
			struct grade_result *r)
{
	char status[32] = "";

	if (rc == RFT_CALL_REFUSED)
		refused(api, e);
	if (e->status > 0)
		snprintf(status, sizeof(status), " (HTTP %ld)", e->status);
	grade_fail(r, GRADE_ERR_UNRESPONSIVE, "%s: the call failed after %d attempt%s: %s%s: %s", what,
		   e->attempts, e->attempts == 1 ? "" : "s", e->type ? e->type : "error", status, e->msg.buf);
}

/* the answer's result: score_model and label_model's rule (top of file) */
static void take_result(const struct model_grader *m, struct json_object *answer, struct grade_result *r)
{
	struct json_object *ch = json_object_array_get_idx(rft_json_get(answer, "choices"), 0);
	struct json_object *msg = rft_json_get(ch, "message"), *o = NULL, *res = NULL;
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	const char *refusal = rft_json_get_str(msg, "refusal");
	size_t i;

	if (refusal) {
		grade_fail(r, GRADE_ERR_MODEL_REFUSAL, "the grader model refused: %.200s", refusal);
		goto out;
	}
	if (!rft_content_text(rft_json_get(msg, "content"), &text)) {
		grade_fail(r, GRADE_ERR_MODEL_PARSE, "the grader model's answer has no text");
		goto out;
	}
	if ((o = rft_output_json(text.buf, text.len)))
		res = rft_json_get(o, "result");
	else if (m->kind == M_SCORE && rft_json_parse(text.buf, text.len, &o, &err) == 0 && o &&
		 (json_object_is_type(o, json_type_double) || json_object_is_type(o, json_type_int)))
		res = o;
	if (m->kind == M_SCORE) {
		double x;

		if (!res || !(json_object_is_type(res, json_type_double) || json_object_is_type(res, json_type_int)) ||
		    !isfinite(x = json_object_get_double(res))) {
			grade_fail(r, GRADE_ERR_MODEL_PARSE, "the grader model's answer has no numeric \"result\": %.200s",
				   text.buf);
			goto out;
		}
		r->reward = x < m->min ? m->min : x > m->max ? m->max : x;
		goto out;
	}
	if (!res || !json_object_is_type(res, json_type_string)) {
		grade_fail(r, GRADE_ERR_MODEL_PARSE, "the grader model's answer has no \"result\" label: %.200s",
			   text.buf);
		goto out;
	}
	for (i = 0; i < m->nlabels && strcmp(m->labels[i], json_object_get_string(res)); i++)
		;
	if (i == m->nlabels) {
		grade_fail(r, GRADE_ERR_MODEL_PARSE, "the grader model's label '%.100s' is not one of \"labels\"",
			   json_object_get_string(res));
		goto out;
	}
	for (i = 0; i < m->npassing && strcmp(m->passing[i], json_object_get_string(res)); i++)
		;
	r->reward = i < m->npassing;
out:
	json_object_put(o);
	strbuf_release(&text);
	strbuf_release(&err);
}

void model_grade(const struct model_grader *m, struct json_object *item, struct json_object *sample,
		 struct grade_result *r)
{
	struct strbuf msgs = STRBUF_INIT, body = STRBUF_INIT, err = STRBUF_INIT;
	struct rft_call_error e = RFT_CALL_ERROR_INIT;
	struct json_object *answer = NULL;
	int cached, rc;

	if (render_messages(m, item, sample, &msgs, &err) < 0) {
		grade_fail(r, GRADE_ERR_VARIABLE, "%s", err.buf);
		goto out;
	}
	rft_chat_body(&body, m->model, msgs.buf, msgs.len, m->values);
	rc = rft_client_post(client, RFT_API_CHAT, &body, (long)((msgs.len + 3) / 4) + m->max_out, &answer,
			     &cached, &e);
	if (rc != RFT_CALL_OK)
		call_failed(RFT_API_CHAT, rc, &e, "the grader model", r);
	else
		take_result(m, answer, r);
out:
	json_object_put(answer);
	rft_call_error_release(&e);
	strbuf_release(&msgs);
	strbuf_release(&body);
	strbuf_release(&err);
}

/* the embedding of text into v (n numbers): 0, or -1 with r failed */
static int embed(const char *text, double **v, size_t *n, struct grade_result *r)
{
	struct strbuf body = STRBUF_INIT;
	struct rft_call_error e = RFT_CALL_ERROR_INIT;
	struct json_object *answer = NULL, *vec;
	int cached, rc, ok = -1;
	size_t i;

	rft_embeddings_body(&body, embedding_model, text);
	rc = rft_client_post(client, RFT_API_EMBEDDINGS, &body, (long)(body.len + 3) / 4, &answer, &cached, &e);
	if (rc != RFT_CALL_OK) {
		call_failed(RFT_API_EMBEDDINGS, rc, &e, "cosine: the embeddings", r);
		goto out;
	}
	vec = rft_json_get(json_object_array_get_idx(rft_json_get(answer, "data"), 0), "embedding");
	if (!vec || !json_object_is_type(vec, json_type_array) || !(*n = json_object_array_length(vec))) {
		grade_fail(r, GRADE_ERR_UNRESPONSIVE, "cosine: the embeddings answer has no \"embedding\" list");
		goto out;
	}
	*v = emalloc(*n * sizeof(**v));
	for (i = 0; i < *n; i++) {
		struct json_object *x = json_object_array_get_idx(vec, i);

		if (!x || !(json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)) ||
		    !isfinite((*v)[i] = json_object_get_double(x))) {
			grade_fail(r, GRADE_ERR_UNRESPONSIVE, "cosine: embedding[%zu] is not a number", i);
			free(*v);
			*v = NULL;
			goto out;
		}
	}
	ok = 0;
out:
	json_object_put(answer);
	rft_call_error_release(&e);
	strbuf_release(&body);
	return ok;
}

void model_grade_cosine(const struct model_grader *m, const char *a, const char *b, struct grade_result *r)
{
	double *x = NULL, *y = NULL, dot = 0, nx = 0, ny = 0;
	size_t n = 0, k = 0, i;

	(void)m;
	if (!*a || !*b) {
		grade_fail(r, GRADE_ERR_OTHER, "cosine: the %s is empty (an empty text has no embedding)",
			   !*a ? "input" : "reference");
		return;
	}
	if (embed(a, &x, &n, r) < 0 || embed(b, &y, &k, r) < 0)
		goto out;
	if (n != k) {
		grade_fail(r, GRADE_ERR_UNRESPONSIVE, "cosine: the embeddings have %zu and %zu dimensions", n, k);
		goto out;
	}
	for (i = 0; i < n; i++) {
		dot += x[i] * y[i];
		nx += x[i] * x[i];
		ny += y[i] * y[i];
	}
	if (nx == 0 || ny == 0) {
		grade_fail(r, GRADE_ERR_UNRESPONSIVE, "cosine: an embedding is all zeros");
		goto out;
	}
	r->reward = dot / sqrt(nx * ny);   /* exactly 1 for one vector twice */
out:
	free(x);
	free(y);
}

/* ----------------------------------------------- the type table's rows */

int model_type_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		    struct strbuf *err)
{
	(void)where;
	if (!grader_models_allowed()) {
		strbuf_addf(err, "%s: %s graders call a model and are not supported by %s "
			    "(rft-grade runs them)", here, g->type->name, rft_progname);
		return -1;
	}
	return (g->model = model_grader_load(o, g->type->name, here, err)) ? 0 : -1;
}

void model_type_grade(const struct grader *g, struct json_object *item, struct json_object *sample,
		      struct grade_result *r)
{
	model_grade(g->model, item, sample, r);
}

int model_type_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		      struct strbuf *err)
{
	(void)genes;
	(void)err;
	model_grader_export(g->model, out);
	return 0;
}

void model_type_free(struct grader *g)
{
	model_grader_free(g->model);
	g->model = NULL;
}
