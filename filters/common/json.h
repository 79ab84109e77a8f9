/*
 * json.h - JSON in (json-c, strict, UTF-8 checked) and JSON out (strbuf).
 *
 * Ownership rule: rft_json_parse() returns a new json-c reference that the
 * caller drops with json_object_put().  Getters (rft_json_get*) return
 * borrowed references owned by their parent: never put them.  Writers append
 * to a caller-owned strbuf.
 *
 * Output is compact ("key":value, no spaces), UTF-8 passed through, only '"',
 * '\\' and control characters escaped, so a line written here is byte-equal
 * to Python's json.dumps(..., ensure_ascii=False, separators=(',', ':')).
 */
#ifndef RFT_JSON_H
#define RFT_JSON_H

#include <json.h>
#include <stddef.h>

#include "strbuf.h"

/*
 * The one rule of every reader here (rft_json_parse, rft_json_parse_paths,
 * rft_json_spans accept and refuse the same documents, with the same
 * message): exactly one JSON value as RFC 8259 writes it, white space
 * around it (space, tab, CR, LF; not NUL), strings of valid UTF-8 (see
 * rft_utf8_char: no overlong forms, no encoded surrogates, nothing past
 * U+10FFFF) without raw control characters U+0000..U+001F, no unpaired
 * surrogate escape ("\ud800" alone is no character), no NaN or Infinity,
 * no leading zeros (00, -01), digits after '.' and in exponents, integers
 * within -2^63..2^64-1 (json-c's range: beyond it a number would change),
 * nesting at most 31 deep.
 *
 * Parse exactly one JSON value from buf[0..len) by that rule.  Returns 0
 * and *out, or -1 with a message (no program prefix) in err: "invalid JSON
 * at line 3, column 7: ..." ("at column 7" for a one-line document; the
 * column counts characters).
 * A JSON null parses to *out == NULL with return 0.  Thread-safe: each
 * thread keeps one tokener, freed by rft_json_thread_done() (call it when a
 * thread that parsed ends, and at the end of main, for leak checkers).
 */
int rft_json_parse(const char *buf, size_t len, struct json_object **out,
		   struct strbuf *err);
/* The strict rule alone: len when buf[0..len) is one valid JSON value, else
 * the offset of the first byte refused and the reason in *why. */
size_t rft_json_check(const char *buf, size_t len, const char **why);
void rft_json_thread_done(void);
/*
 * The one JSON object in the file PATH (read as rft_input reads it: "-" is
 * stdin, gzip too), at most max bytes, or the program stops: 66 when PATH
 * cannot be opened, code when it cannot be read whole or is not one JSON
 * object, saying "PATH: WHAT: why" ("PATH: why" when what is NULL).  A new
 * reference: the caller puts it.
 */
struct json_object *rft_json_load_object(const char *path, size_t max, int code,
					 const char *what);
/* Parse the object in buf building only the members at the dotted paths
 * given (NULL-terminated; "sample.model" builds {"sample":{"model":..}}),
 * while checking the whole document as rft_json_parse does: the same
 * documents are accepted, and rejected with the same message.  For readers
 * that need a few small fields of large lines (rft-report).  paths NULL
 * builds the whole document: the record loop reads every line this way, as
 * it builds plain strings and numbers without json-c's tokener (which sets
 * up a locale for each document); escapes and huge integers go to json-c. */
int rft_json_parse_paths(const char *buf, size_t len, const char *const *paths,
			 struct json_object **out, struct strbuf *err);

/*
 * The values at some paths of a record, as spans of its text, with no tree
 * built: the fastest way to read a few fields of many long lines.  The
 * paths are compiled once (rft_json_paths_new copies them; free the set
 * with rft_json_paths_free).  The object in buf is checked as rft_json_parse
 * checks it (same documents accepted, same messages); spans[i] is then the
 * raw JSON text of the value at the dotted path i, or p NULL when there is
 * none (a repeated key counts as json-c counts it: the last one).  The spans
 * point into buf, or (rarely: an escaped key) into store, which then owns
 * their text.  At most RFT_JSON_MAX_SPANS paths.  0, or -1 with the message
 * in err.  A compiled set is read-only: threads may share it.
 */
#define RFT_JSON_MAX_SPANS 64
struct rft_json_span {
	const char *p;
	size_t len;
};
struct rft_json_paths;
struct rft_json_paths *rft_json_paths_new(const char *const *paths, size_t npaths);
void rft_json_paths_free(struct rft_json_paths *ps);
int rft_json_spans(const char *buf, size_t len, const struct rft_json_paths *ps,
		   struct rft_json_span *spans, struct strbuf *store, struct strbuf *err);
/* the span's JSON type (json_type_null also when absent) and its name for messages */
enum json_type rft_json_span_type(const struct rft_json_span *v);
const char *rft_json_span_type_name(const struct rft_json_span *v);
/* a string's text appended to out (escapes decoded): 0, or -1 not a string */
int rft_json_span_str(const struct rft_json_span *v, struct strbuf *out);
/* a number's value: 0, or -1 not a number */
int rft_json_span_num(const struct rft_json_span *v, double *out);
/* 1 when the value is true */
int rft_json_span_bool(const struct rft_json_span *v);
/* the elements of an array in turn: *pos 0 to start; 1 and *elem, or 0 at the end */
int rft_json_span_next(const struct rft_json_span *arr, size_t *pos, struct rft_json_span *elem);
/* the member key of an object span (the last when repeated, as in json-c):
 * 1 and *out, 0 when there is none or obj is not an object, -1 when an
 * escaped key makes it undecidable here (ask json-c) */
int rft_json_span_member(const struct rft_json_span *obj, const char *key, struct rft_json_span *out);
/* the value as compact JSON (as json_put_value writes it; absent: null) */
void rft_json_span_put(const struct rft_json_span *v, struct strbuf *out);

/* Borrowed member of an object, or NULL when absent or when o is not an object. */
struct json_object *rft_json_get(struct json_object *o, const char *key);
/* Borrowed string member, or NULL when absent or not a string. */
const char *rft_json_get_str(struct json_object *o, const char *key);

/* JSON value names for messages: "an object", "a string", ... */
const char *rft_json_type_name(struct json_object *o);

void json_put_str(struct strbuf *sb, const char *s);
void json_put_strn(struct strbuf *sb, const char *s, size_t len);
/* a string, or null when s is NULL */
void json_put_str_or_null(struct strbuf *sb, const char *s);
/* ",\"key\":" (comma only when first is 0) */
void json_put_key(struct strbuf *sb, const char *key, int first);
/* a double as the shortest text that reads back as the same double (an
 * integer as such; not finite: null): for values that must not lose
 * precision (rewards) */
void json_put_double(struct strbuf *sb, double v);
/* a finite double as the shortest %.Nf text without trailing zeros */
void json_put_fixed(struct strbuf *sb, double v, int decimals);
/* re-serialise any json-c value compactly with our escaping */
void json_put_value(struct strbuf *sb, struct json_object *v);

#endif
