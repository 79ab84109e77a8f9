#include "records.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "json.h"
#include "opt.h"
#include "util.h"

void rft_records_init(struct rft_records *r, char **paths, int npaths)
{
	static char *dash[] = { (char *)"-" };

	memset(r, 0, sizeof(*r));
	r->paths = npaths > 0 ? paths : dash;
	r->npaths = npaths > 0 ? npaths : 1;
	strbuf_init(&r->line, 0);
	strbuf_init(&r->where, 0);
	r->skip_bad = -1;
	r->max_record = RFT_MAX_RECORD_DEFAULT;
}

long long rft_skip_bad_arg(const char *arg)
{
	if (!arg)
		return RFT_OPT_NO_MAX;
	return rft_opt_count("skip-bad", arg, 0, RFT_OPT_NO_MAX);
}

static void vbad(struct rft_records *r, const char *fmt, va_list ap)
{
	struct strbuf msg = STRBUF_INIT;

	strbuf_vaddf(&msg, fmt, ap);
	r->nbad++;
	if (r->skip_bad < 0)
		die(RFT_EX_DATA, "%s: %s", r->where.buf, msg.buf);
	if ((long long)r->nbad > r->skip_bad)
		die(RFT_EX_DATA, "%s: %s (more than %lld bad records, stopping)",
		    r->where.buf, msg.buf, r->skip_bad);
	warn("%s: %s (skipped)", r->where.buf, msg.buf);
	if (r->rejects) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addstr(&sb, "{\"where\":");
		json_put_str(&sb, r->where.buf);
		strbuf_addstr(&sb, ",\"message\":");
		json_put_str(&sb, msg.buf);
		strbuf_addstr(&sb, ",\"line\":");
		/* (a line that is not UTF-8 cannot be a JSON string: its place says where it is) */
		if (rft_utf8_check(r->line.buf, r->line.len) == r->line.len)
			json_put_strn(&sb, r->line.buf, r->line.len);
		else
			strbuf_addstr(&sb, "null");
		strbuf_addstr(&sb, "}\n");
		rft_output_write(r->rejects, sb.buf, sb.len);
		strbuf_release(&sb);
	}
	strbuf_release(&msg);
}

void rft_records_bad(struct rft_records *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, fmt, ap);
	va_end(ap);
}

static void bad(struct rft_records *r, const char *fmt, ...) RFT_PRINTF(2, 3);
static void bad(struct rft_records *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(r, fmt, ap);
	va_end(ap);
}

/* r->where = "NAME:LINE" (once a line: no printf) */
static void set_where(struct rft_records *r)
{
	char digits[24];
	size_t n = sizeof(digits);
	unsigned long long v = r->in.lineno;

	do
		digits[--n] = (char)('0' + v % 10);
	while ((v /= 10) && n);
	strbuf_reset(&r->where);
	strbuf_addstr(&r->where, r->in.name);
	strbuf_addch(&r->where, ':');
	strbuf_add(&r->where, digits + n, sizeof(digits) - n);
}

/* The next non-blank line into r->line (r->where names it): 1, or 0 at the
 * end of the inputs.  Over-long lines are bad records. */
static int next_line(struct rft_records *r, struct strbuf *too_long)
{
	for (;;) {
		size_t i;
		int got;

		if (!r->open) {
			if (r->next == r->npaths)
				return 0;
			if (rft_input_open(&r->in, r->paths[r->next++]) < 0)
				exit(rft_finish(RFT_EX_NOINPUT));
			r->in.max_record = r->max_record;
			r->open = 1;
		}
		got = rft_input_getline(&r->in, &r->line);
		if (got == 0 || got == -1) {
			int closed = rft_input_close(&r->in);

			r->open = 0;
			if (got == -1 || closed < 0)
				exit(rft_finish(RFT_EX_DATA));
			continue;
		}
		set_where(r);
		if (got == -2) {
			strbuf_reset(&r->line);
			if (too_long) {  /* the caller reports it in its turn */
				strbuf_addf(too_long, "line longer than %zu bytes", r->max_record);
				return 1;
			}
			bad(r, "line longer than %zu bytes", r->max_record);
			continue;
		}
		if (r->line.len && r->line.buf[r->line.len - 1] == '\r')
			strbuf_setlen(&r->line, r->line.len - 1);
		for (i = 0; i < r->line.len && strchr(" \t", r->line.buf[i]); i++)
			;
		if (i < r->line.len)
			return 1;
	}
}

/* Parse line into *obj: 0, or -1 with the reason in err. */
static int parse(const struct rft_records *r, const struct strbuf *line, struct json_object **obj,
		 struct strbuf *err)
{
	if (rft_json_parse_paths(line->buf, line->len, r->select, obj, err) < 0)
		return -1;
	if (!*obj || !json_object_is_type(*obj, json_type_object)) {
		strbuf_addf(err, "expected a JSON object, got %s", rft_json_type_name(*obj));
		json_object_put(*obj);
		*obj = NULL;
		return -1;
	}
	return 0;
}

int rft_records_next(struct rft_records *r, struct json_object **obj)
{
	struct strbuf err = STRBUF_INIT;

	*obj = NULL;
	while (next_line(r, NULL)) {
		strbuf_reset(&err);
		if (parse(r, &r->line, obj, &err) < 0) {
			bad(r, "%s", err.buf);
			continue;
		}
		r->nread++;
		strbuf_release(&err);
		return 1;
	}
	strbuf_release(&err);
	return 0;
}

/* ------------------------------------------------------- parallel map */

struct map_run {
	struct rft_records *r;
	struct rft_record_job *jobs;
	size_t njobs;
	int nthreads;
	rft_map_fn fn;
	void *ctx;
	const struct rft_json_paths *paths;   /* r->spans compiled */
};

struct map_thread {
	struct map_run *run;
	int t;
};

static void *map_worker(void *arg)
{
	struct map_thread *mt = arg;
	struct map_run *run = mt->run;
	size_t i;

	for (i = (size_t)mt->t; i < run->njobs; i += (size_t)run->nthreads) {
		struct rft_record_job *j = &run->jobs[i];

		if (j->read_err)
			continue;
		strbuf_reset(&j->err);
		if (run->r->spans) {
			if (rft_json_spans(j->line.buf, j->line.len, run->paths, j->span, &j->store,
					   &j->err) == 0) {
				run->fn(j, run->ctx);
				j->ok = !j->err.len;
			}
		} else if (parse(run->r, &j->line, &j->obj, &j->err) == 0) {
			run->fn(j, run->ctx);
			/* freed here, while hot, and on the thread that built it */
			json_object_put(j->obj);
			j->obj = NULL;
			j->ok = !j->err.len;
		}
	}
	if (run->nthreads > 1)
		rft_json_thread_done();
	return NULL;
}

enum { BATCH_LINES = 2048, BATCH_BYTES = 16 << 20 };

struct batch {
	struct rft_record_job *jobs;
	char *users;
	size_t n;
};

static void batch_init(struct batch *b, size_t user_size, size_t nspans)
{
	size_t i;

	b->jobs = ecalloc(BATCH_LINES, sizeof(*b->jobs));
	b->users = user_size ? ecalloc(BATCH_LINES, user_size) : NULL;
	b->n = 0;
	for (i = 0; i < BATCH_LINES; i++) {
		strbuf_init(&b->jobs[i].line, 0);
		strbuf_init(&b->jobs[i].where, 0);
		strbuf_init(&b->jobs[i].err, 0);
		strbuf_init(&b->jobs[i].store, 0);
		strbuf_init(&b->jobs[i].aux, 0);
		b->jobs[i].span = nspans ? ecalloc(nspans, sizeof(*b->jobs[i].span)) : NULL;
		b->jobs[i].user = b->users ? b->users + i * user_size : NULL;
	}
}

static void batch_release(struct batch *b)
{
	size_t i;

	for (i = 0; i < BATCH_LINES; i++) {
		strbuf_release(&b->jobs[i].line);
		strbuf_release(&b->jobs[i].where);
		strbuf_release(&b->jobs[i].err);
		strbuf_release(&b->jobs[i].store);
		strbuf_release(&b->jobs[i].aux);
		free(b->jobs[i].span);
	}
	free(b->jobs);
	free(b->users);
}

static void swap_strbuf(struct strbuf *a, struct strbuf *b)
{
	struct strbuf t = *a;

	*a = *b;
	*b = t;
}

/* the next lines of the inputs into b (the buffers are swapped, not copied) */
static void read_batch(struct rft_records *r, struct batch *b, size_t user_size)
{
	size_t bytes = 0;

	for (b->n = 0; b->n < BATCH_LINES && bytes < BATCH_BYTES; b->n++) {
		struct rft_record_job *j = &b->jobs[b->n];

		strbuf_reset(&j->err);
		if (!next_line(r, &j->err))
			break;
		swap_strbuf(&j->line, &r->line);
		swap_strbuf(&j->where, &r->where);
		j->obj = NULL;
		j->ok = 0;
		j->read_err = j->err.len > 0;
		if (user_size)
			memset(j->user, 0, user_size);
		bytes += j->line.len;
	}
}

static void run_batch(struct map_run *run, struct map_thread *mt, pthread_t *th, int from)
{
	int t;

	for (t = from; t < run->nthreads; t++) {
		mt[t].run = run;
		mt[t].t = t;
		if (pthread_create(&th[t], NULL, map_worker, &mt[t]) != 0)
			die(RFT_EX_SOFTWARE, "cannot start a thread:");
	}
}

static void join_batch(struct map_run *run, pthread_t *th, int from)
{
	int t;

	for (t = from; t < run->nthreads; t++)
		if (pthread_join(th[t], NULL) != 0)
			die(RFT_EX_SOFTWARE, "cannot join a thread");
}

/* in input order: bad records by the usual rules, good ones to done */
static void commit_batch(struct rft_records *r, struct batch *b, rft_done_fn done, void *ctx)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct rft_record_job *j = &b->jobs[i];

		if (!j->ok) {
			swap_strbuf(&j->line, &r->line);
			swap_strbuf(&j->where, &r->where);
			bad(r, "%s", j->err.len ? j->err.buf : "refused");
			swap_strbuf(&j->line, &r->line);
			swap_strbuf(&j->where, &r->where);
		} else {
			r->nread++;
			done(j, ctx);
		}
	}
}

static int batch_clean(const struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!b->jobs[i].ok)
			return 0;
	return 1;
}

void rft_records_map(struct rft_records *r, int nthreads, size_t user_size,
		     rft_map_fn fn, rft_done_fn done, void *ctx)
{
	struct batch b[3], *prev = &b[0], *cur = &b[1], *next = &b[2], *tmp;
	struct map_thread mt[64];
	pthread_t th[64];
	struct rft_json_paths *paths = r->spans ? rft_json_paths_new(r->spans, r->nspans) : NULL;
	int i;

	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;

	for (i = 0; i < 3; i++)
		batch_init(&b[i], user_size, r->spans ? r->nspans : 0);
	read_batch(r, cur, user_size);
	while (cur->n || prev->n) {
		struct map_run run = { r, cur->jobs, cur->n, nthreads, fn, ctx, paths };

		if (nthreads == 1) {
			/* no threads at all: one worker, this one */
			mt[0].run = &run;
			mt[0].t = 0;
			map_worker(&mt[0]);
			commit_batch(r, cur, done, ctx);
			read_batch(r, cur, user_size);
			continue;
		}
		/* a pipeline of three batches: the workers parse cur and run fn
		 * on it while this thread hands the previous batch to done, in
		 * order, and reads the next */
		if (cur->n)
			run_batch(&run, mt, th, 0);
		if (prev->n && !batch_clean(prev)) {
			/* a bad record may stop the program: not with threads running */
			if (cur->n)
				join_batch(&run, th, 0);
			commit_batch(r, prev, done, ctx);
			read_batch(r, next, user_size);
		} else {
			commit_batch(r, prev, done, ctx);
			read_batch(r, next, user_size);
			if (cur->n)
				join_batch(&run, th, 0);
		}
		prev->n = 0;
		tmp = prev, prev = cur, cur = next, next = tmp;
	}
	for (i = 0; i < 3; i++)
		batch_release(&b[i]);
	rft_json_paths_free(paths);
}

int rft_records_open_rejects(struct rft_records *r, const char *path)
{
	if (rft_output_open(&r->rej_out, path) < 0)
		return -1;
	r->rej_owned = 1;
	r->rejects = &r->rej_out;
	return 0;
}

int rft_records_commit_rejects(struct rft_records *r)
{
	if (!r->rej_owned)
		return 0;
	r->rej_owned = 0;
	r->rejects = NULL;
	return rft_output_commit(&r->rej_out);
}

void rft_records_release(struct rft_records *r)
{
	if (r->open)
		rft_input_close(&r->in);
	r->open = 0;
	strbuf_release(&r->line);
	strbuf_release(&r->where);
	rft_json_thread_done();
}

static void record_set(struct strbuf *line, struct json_object *obj, const char *key,
		       const char *value_json, int update_obj)
{
	struct json_object *v = NULL;
	size_t end = line->len;
	int had = obj && json_object_object_get_ex(obj, key, NULL);

	if (had || update_obj) {
		v = json_tokener_parse(value_json);
		if (!v && strcmp(value_json, "null") != 0)
			die(RFT_EX_SOFTWARE, "rft_record_set: bad JSON value %s", value_json);
		json_object_object_add(obj, key, v);
	}
	while (end > 0 && strchr(" \t\r\n", line->buf[end - 1]))
		end--;
	if (!had && end > 0 && line->buf[end - 1] == '}') {
		size_t i = end - 1;

		/* splice in place: ,"key":value} over the closing brace */
		while (i > 0 && strchr(" \t\r\n", line->buf[i - 1]))
			i--;
		strbuf_setlen(line, end - 1);
		if (line->buf[i - 1] != '{')
			strbuf_addch(line, ',');
		json_put_str(line, key);
		strbuf_addch(line, ':');
		strbuf_addstr(line, value_json);
		strbuf_addch(line, '}');
		return;
	}
	if (!obj)
		die(RFT_EX_SOFTWARE, "rft_record_put: no tree, and the line is not an object");
	strbuf_reset(line);
	json_put_value(line, obj);
}

void rft_record_set(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json)
{
	record_set(line, obj, key, value_json, 1);
}

void rft_record_put(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json)
{
	record_set(line, obj, key, value_json, 0);
}
