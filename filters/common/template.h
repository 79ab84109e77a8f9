/*
 * template.h - a small mustache-like template engine for chat messages
 * (rft-prompt) and grader strings (rft-grade: {{item.x}}, {{sample.output_text}}).
 *
 * Syntax (documented for users in rft-prompt(1), TEMPLATES):
 *
 *   {{case.age.years}}           a value; strings as they are (nothing is
 *                                escaped), numbers/booleans as JSON text,
 *                                objects and lists as compact JSON
 *   {{case.age.years|unknown}}   the text after '|' when the value is null or
 *                                missing ({{x|}}: an explicit empty text)
 *   {{#case.present}}..{{/case.present}}   once per list element (names inside
 *                                are looked up in the element first, then
 *                                outwards); once for a non-empty value
 *   {{^case.absent}}..{{/case.absent}}     once when the value is empty: null,
 *                                missing, false, "" or []
 *   {{.}}  the current element;  {{@index}} {{@number}} {{@first}} {{@last}}
 *                                inside a list section (0-based, 1-based,
 *                                booleans, usable as sections)
 *   {{! comment }}
 *   {{@user}} {{@system}} {{@developer}} {{@assistant}}   (RFT_TPL_ROLES
 *                                only) alone on a line: starts a message
 *
 * A line holding only a section, inverted, closing, comment or role tag
 * (and white space) is removed whole, so block tags do not leave blank lines.
 *
 * Every name is checked when the template is parsed against a contract: the
 * list of paths the context will hold ("case.present[].label" for the label
 * of each element of the list case.present; "item.*" for anything below
 * item).  An unknown name, or one the contract refuses (with its reason), is
 * an error naming NAME:LINE:COLUMN; a template never renders a silent blank.
 * A known name whose value is null or missing when rendering is an error
 * too (rft_tpl_render returns -1), unless the tag has a fallback.
 *
 * Ownership rule: rft_tpl_parse()/rft_tpl_load() return a template owned by
 * the caller, freed with rft_tpl_free(); the contract and the render context
 * (json-c values) are borrowed; output is appended to caller-owned strbufs.
 */
#ifndef RFT_TEMPLATE_H
#define RFT_TEMPLATE_H

#include <json.h>
#include <stddef.h>

#include "strbuf.h"

struct rft_tpl;

struct rft_tpl_contract {
	const char *const *names;    /* NULL-terminated paths, see above */
	const char *const *refused;  /* NULL-terminated pairs {path, reason}, or NULL */
};

#define RFT_TPL_ROLES 1   /* role markers split the template into messages */

/*
 * Parse text[0..len) (name is used in messages).  Returns the template, or
 * NULL with "NAME:LINE:COL: what" in err.  Without role markers (or without
 * RFT_TPL_ROLES) the whole text is one message whose role is "user".
 */
struct rft_tpl *rft_tpl_parse(const char *name, const char *text, size_t len,
			      const struct rft_tpl_contract *c, int flags, struct strbuf *err);

/* Read and parse the file at path: 0 and *out; RFT_EX_NOINPUT when it
 * cannot be read, RFT_EX_CONFIG when it is not a valid template (message in
 * err either way). */
int rft_tpl_load(const char *path, const struct rft_tpl_contract *c, int flags,
		 struct rft_tpl **out, struct strbuf *err);

void rft_tpl_free(struct rft_tpl *t);

/* Messages: how many, and the role of message i ("user", "system", ...). */
size_t rft_tpl_count(const struct rft_tpl *t);
const char *rft_tpl_role(const struct rft_tpl *t, size_t i);

/*
 * Append message i rendered against root (an object holding the namespaces
 * of the contract, e.g. {"case":{...},"prompt":{...}}) to out.  0, or -1
 * with "NAME:LINE:COL: {{x}} is null ..." in err (out then holds a part).
 */
int rft_tpl_render(const struct rft_tpl *t, size_t i, struct json_object *root,
		   struct strbuf *out, struct strbuf *err);

/*
 * The references {{ ROOT.path }} (spaces allowed inside the braces, as
 * OpenAI graders write them) in any text: fn(arg, path, len) gets the path
 * after "ROOT.".  Used to check grader files without parsing them as
 * templates.
 */
void rft_tpl_refs(const char *text, const char *root,
		  void (*fn)(void *arg, const char *path, size_t len), void *arg);

/*
 * The value at dotted path[0..len) below o ("reference.genes.0.symbol": a
 * number segment indexes a list).  Returns it (borrowed), or NULL; *depth
 * is the number of segments that resolved (to say where a path breaks).
 */
struct json_object *rft_tpl_lookup(struct json_object *o, const char *path, size_t len,
				   size_t *depth);

/*
 * Grader references: "{{ ROOT.path }}" anywhere in a text, ROOT one of the
 * roots given (OpenAI's graders: item and sample), the path by dots or
 * brackets ("sample.output_json.genes[0]" is "sample.output_json.genes.0"),
 * spaces inside ignored; no sections, no fallbacks (rft-grade(1)).
 */
struct rft_tpl_root {
	const char *name;            /* "item" */
	struct json_object *value;   /* borrowed; NULL: the root itself does not resolve */
	const char *const *hidden;   /* NULL-terminated members of value that do not resolve, or NULL */
};
/*
 * Append text with every reference replaced by its value (strings as they
 * are, anything else as compact JSON) to out.  With whole, a text that is
 * exactly one reference to a value gives that value (borrowed) in *whole
 * and appends nothing.  0, or -1 with "{{ref}} does not resolve" in err
 * (a member that is there and null resolves, to nothing).
 */
int rft_tpl_subst(const char *text, const struct rft_tpl_root *roots, size_t nroots, struct strbuf *out,
		  struct json_object **whole, struct strbuf *err);
/* Every '{{' of text closed and starting with a root's name: 0, or -1
 * with "'{{' without '}}'" or "{{x}} is neither item.* nor sample.*" in err. */
int rft_tpl_check_refs(const char *text, const struct rft_tpl_root *roots, size_t nroots, struct strbuf *err);
/* When text is exactly one reference to a path below a root that is not
 * hidden, that path after "ROOT." (malloc'd, as rft_tpl_subst reads it)
 * and the root's index in *which; else NULL. */
char *rft_tpl_one_ref(const char *text, const struct rft_tpl_root *roots, size_t nroots, size_t *which);

#endif
