/*
 * records.h - read JSONL records (one JSON object a line) from the inputs
 * named on the command line, with the error rules every filter shares.
 *
 *   struct rft_records r;
 *   rft_records_init(&r, argv + optind, argc - optind);   // none: stdin
 *   r.skip_bad = opt_skip_bad;
 *   if (opt_rejects && rft_records_open_rejects(&r, opt_rejects) < 0) exit(74);
 *   while (rft_records_next(&r, &obj) > 0) {
 *       if (something is wrong with obj)
 *           { rft_records_bad(&r, "genes is not an array"); json_object_put(obj); continue; }
 *       ...
 *       json_object_put(obj);
 *   }
 *   rft_records_release(&r);
 *   if (rft_records_commit_rejects(&r) < 0) exit(74);
 *
 * Input may be plain or gzip (see input.h); blank lines are skipped.  A bad
 * record (invalid JSON or UTF-8, not an object, longer than max_record, or
 * refused by the caller with rft_records_bad) stops the program with
 * "PROG: FILE:LINE: what" and exit 65, unless skip_bad allows it: then it is
 * warned about, counted, and written to *rejects as
 * {"where":"FILE:LINE","message":"...","line":"<the raw line>"}.
 * A missing input dies with 66, a read error or truncated gzip with 65.
 *
 * Ownership rule: records returned through obj are new references owned by
 * the caller (json_object_put them).  r owns its buffers until
 * rft_records_release(), and the rejects file it opened until
 * rft_records_commit_rejects(); a rejects output set by the caller instead
 * is borrowed.
 */
#ifndef RFT_RECORDS_H
#define RFT_RECORDS_H

#include <json.h>

#include "input.h"
#include "output.h"
#include "strbuf.h"

struct rft_records {
	char **paths;
	int npaths, next;
	struct rft_input in;
	int open;
	struct strbuf line;          /* raw text of the current record */
	struct strbuf where;         /* "FILE:LINE" of the current record */
	long long skip_bad;          /* bad records allowed; -1: none */
	unsigned long long nread;    /* records returned */
	unsigned long long nbad;     /* bad records skipped */
	size_t max_record;
	struct rft_output *rejects;  /* where skipped records go, or NULL */
	const char *const *select;   /* build only these members (see rft_json_parse_paths), or NULL: all */
	const char *const *spans;    /* rft_records_map: find these paths as spans (rft_json_spans) */
	size_t nspans;               /* instead of building a tree (job->obj is then NULL) */
	struct rft_output rej_out;   /* the --rejects file rft_records_open_rejects opened */
	int rej_owned;
};

void rft_records_init(struct rft_records *r, char **paths, int npaths);
/* 1: *obj is the next record; 0: no more records. */
int rft_records_next(struct rft_records *r, struct json_object **obj);
/* The current record is bad: skip it (if allowed) or die with 65. */
void rft_records_bad(struct rft_records *r, const char *fmt, ...) RFT_PRINTF(2, 3);
void rft_records_release(struct rft_records *r);
/* Open path (atomically, as -o) for the records skipped with skip_bad and
 * point r->rejects at it: 0, or -1 with the reason printed.  r owns it;
 * rft_records_commit_rejects (also after rft_records_release) finishes it. */
int rft_records_open_rejects(struct rft_records *r, const char *path);
/* 0 (also when none was opened), or -1 with the reason printed. */
int rft_records_commit_rejects(struct rft_records *r);

/*
 * The record loop on several threads.  Lines are read in batches; on
 * nthreads threads each is parsed and, when it is a JSON object, given to
 * fn(job, ctx), which may refuse it by writing a reason into job->err and
 * otherwise leaves what done needs in job->user (user_size bytes, zeroed)
 * or job->line (the raw text, fn may rewrite it: the output line).  Then,
 * on this thread and in input order, bad records go through the usual rules
 * (skip, rejects, or die with FILE:LINE) and every good one to done(job,
 * ctx), which writes it out.  fn must be thread-safe, and with nthreads > 1
 * done runs while the threads run fn on the next batch, so fn must not read
 * what done changes.  job->obj is freed as soon as fn returns (done sees
 * only line and user).  Same results as the rft_records_next loop, whatever
 * nthreads.
 */
struct rft_record_job {
	struct strbuf line;          /* the raw line; fn may replace it */
	struct strbuf where;         /* "FILE:LINE" */
	struct strbuf err;           /* fn: why the record is refused */
	struct json_object *obj;     /* the parsed record (for fn only) */
	struct rft_json_span *span;  /* with r->spans: the values found, for fn only */
	struct strbuf store;         /* what spans may point into besides line */
	struct strbuf aux;           /* fn's to fill for done, kept from batch to batch */
	int ok;                      /* parsed and not refused by fn */
	int read_err;                /* refused when read (too long): err says why */
	void *user;                  /* user_size bytes for fn to fill */
};
typedef void (*rft_map_fn)(struct rft_record_job *job, void *ctx);
typedef void (*rft_done_fn)(struct rft_record_job *job, void *ctx);
void rft_records_map(struct rft_records *r, int nthreads, size_t user_size,
		     rft_map_fn fn, rft_done_fn done, void *ctx);

/*
 * Set key to the JSON text value in the record whose raw text is line and
 * whose parsed form is obj (both updated).  When obj lacks key the text is
 * spliced in before the closing brace, so every other byte of the line is
 * kept as it was; otherwise the line is re-serialised from obj.
 */
void rft_record_set(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json);
/* Like rft_record_set for the last change to a record: when the key is
 * spliced in, obj is left as it was and value_json is not parsed (it must be
 * valid JSON: the caller wrote it).  obj may be NULL when the caller knows
 * the record (read as spans) has no key. */
void rft_record_put(struct strbuf *line, struct json_object *obj, const char *key,
		    const char *value_json);

/* parse the --skip-bad[=N] argument: NULL (no N) means any number */
long long rft_skip_bad_arg(const char *arg);

#endif
