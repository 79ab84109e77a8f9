#include "template.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define MAX_DEPTH 32   /* sections nested at most this deep */

enum ntype { N_TEXT, N_VAR, N_SECTION, N_INVERTED };
enum loopvar { LV_NONE, LV_INDEX, LV_NUMBER, LV_FIRST, LV_LAST };

struct node;

struct nodes {
	struct node *v;
	size_t n, alloc;
};

struct node {
	enum ntype type;
	const char *text;     /* N_TEXT: points into the template's copy of the source */
	size_t len;
	char *full;           /* the name resolved against the contract, for messages */
	char *fallback;       /* NULL: none */
	int frame;            /* context frame the name is looked up in (0: root) */
	char **seg;           /* path below that frame */
	size_t nseg;
	enum loopvar lv;
	unsigned line, col;
	struct nodes kids;    /* sections */
};

struct message {
	char *role;
	struct nodes nodes;
};

struct rft_tpl {
	char *name;
	char *src;
	struct message *msg;
	size_t nmsg;
};

static const char *const roles[] = { "system", "developer", "user", "assistant", NULL };

/* ------------------------------------------------------------ contract */

static int has_prefix_seg(const char *s, const char *p, size_t plen)
{
	return !strncmp(s, p, plen) && (s[plen] == '.' || s[plen] == '[');
}

/* path is in the contract: an entry, a container above entries, or below "x.*" */
static int contract_valid(const struct rft_tpl_contract *c, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; c->names[i]; i++) {
		const char *e = c->names[i];
		size_t el = strlen(e);

		if (el >= 2 && !strcmp(e + el - 2, ".*")) {
			if ((n == el - 2 && !strncmp(path, e, n)) ||
			    (n >= el - 1 && !strncmp(path, e, el - 1)))
				return 1;
			continue;
		}
		if (!strcmp(e, path) || has_prefix_seg(e, path, n))
			return 1;
	}
	return 0;
}

/* path names a list in the contract (entries below "path[]") */
static int contract_list(const struct rft_tpl_contract *c, const char *path)
{
	size_t i, n = strlen(path);

	for (i = 0; c->names[i]; i++)
		if (!strncmp(c->names[i], path, n) && !strncmp(c->names[i] + n, "[]", 2))
			return 1;
	return 0;
}

/* the reason path is refused: path is, is below, or (whole value) holds a refused one */
static const char *contract_refused(const struct rft_tpl_contract *c, const char *path,
				    int whole, const char **which)
{
	size_t i, n = strlen(path);

	for (i = 0; c->refused && c->refused[i]; i += 2) {
		const char *r = c->refused[i];
		size_t rl = strlen(r);

		if (!strcmp(r, path) || has_prefix_seg(path, r, rl) ||
		    (whole && (has_prefix_seg(r, path, n)))) {
			*which = r;
			return c->refused[i + 1];
		}
	}
	return NULL;
}

/* ", known: a, b, c" - the names one level below prefix ("" = top) */
static void contract_hint(const struct rft_tpl_contract *c, const char *prefix,
			  struct strbuf *sb)
{
	size_t i, j, n = strlen(prefix), start = sb->len;
	int k = 0;

	for (i = 0; c->names[i]; i++) {
		const char *e = c->names[i], *s, *end;
		size_t sl;

		if (n) {
			if (!has_prefix_seg(e, prefix, n))
				continue;
			s = e + n;
			if (*s == '[')
				s += 2;
			if (*s != '.')
				continue;
			s++;
		} else {
			s = e;
		}
		for (end = s; *end && *end != '.' && *end != '['; end++)
			;
		sl = (size_t)(end - s);
		if (!sl || (sl == 1 && *s == '*'))
			continue;
		/* already listed? */
		for (j = start; j < sb->len;) {
			const char *w = sb->buf + j;
			size_t wl = strcspn(w, ",)");

			if (wl == sl && !strncmp(w, s, sl))
				break;
			j += wl + (w[wl] == ',' ? 2 : 1);
		}
		if (j < sb->len)
			continue;
		if (k++)
			strbuf_addstr(sb, ", ");
		strbuf_add(sb, s, sl);
	}
	if (!k)
		strbuf_setlen(sb, start);
}

/* -------------------------------------------------------------- parsing */

/* the first "cc" in [s, end), or NULL (memchr, not strstr: the length is
 * known, and a strstr per tag that measured the rest of the text each time
 * made parsing quadratic under the sanitizers) */
static const char *find_pair(const char *s, const char *end, char c)
{
	while (s < end && (s = memchr(s, c, (size_t)(end - s))) != NULL) {
		if (s + 1 < end && s[1] == c)
			return s;
		s++;
	}
	return NULL;
}

struct pframe {
	struct node *sec;   /* the section node (NULL for the root) */
	char *prefix;       /* contract path of the frame's value; "" for the root */
	int pushes;         /* pushes a context frame when rendered */
	int list;
	int depth;          /* context frame index of the innermost pushing frame */
	char *written;      /* the section's name as written, for its closing tag */
};

struct parser {
	const struct rft_tpl_contract *c;
	struct rft_tpl *t;
	const char *src;
	size_t len;
	int flags;
	struct strbuf *err;
	struct pframe st[MAX_DEPTH + 1];
	int nst;                  /* st[0] is the root */
	struct nodes pre;         /* nodes before the first role marker */
	struct nodes *cur;        /* where nodes go at the top level */
	size_t lc_off;            /* linecol: the last offset asked for, */
	unsigned lc_line, lc_col; /* and its line and column */
};

/* the line and column (in characters) of src[off]: counted on from the
 * last offset asked for, as tags come in order (rescanning from the start
 * for each tag was quadratic: 200,000 tags took minutes) */
static void linecol(struct parser *p, size_t off, unsigned *line, unsigned *col)
{
	const char *src = p->src;
	size_t i = p->lc_off;

	if (off < i || !p->lc_line) {
		i = 0;
		p->lc_line = 1;
		p->lc_col = 1;
	}
	for (; i < off; i++) {
		if (src[i] == '\n') {
			p->lc_line++;
			p->lc_col = 1;
		} else if (((unsigned char)src[i] & 0xC0) != 0x80) {
			p->lc_col++;
		}
	}
	p->lc_off = off;
	*line = p->lc_line;
	*col = p->lc_col;
}

static int perr(struct parser *p, size_t off, const char *fmt, ...) RFT_PRINTF(3, 4);
static int perr(struct parser *p, size_t off, const char *fmt, ...)
{
	unsigned line, col;
	va_list ap;

	linecol(p, off, &line, &col);
	strbuf_addf(p->err, "%s:%u:%u: ", p->t->name, line, col);
	va_start(ap, fmt);
	strbuf_vaddf(p->err, fmt, ap);
	va_end(ap);
	return -1;
}

static struct node *push_node(struct nodes *l, enum ntype type)
{
	struct node *n;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->v = erealloc(l->v, l->alloc * sizeof(*l->v));
	}
	n = &l->v[l->n++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

static void free_nodes(struct nodes *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		struct node *n = &l->v[i];

		free(n->full);
		free(n->fallback);
		for (j = 0; j < n->nseg; j++)
			free(n->seg[j]);
		free(n->seg);
		free_nodes(&n->kids);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

static struct nodes *target(struct parser *p)
{
	return p->nst > 1 ? &p->st[p->nst - 1].sec->kids : p->cur;
}

static void add_text(struct parser *p, size_t from, size_t to)
{
	struct nodes *l = target(p);
	struct node *n;

	if (to <= from)
		return;
	if (l->n && l->v[l->n - 1].type == N_TEXT &&
	    l->v[l->n - 1].text + l->v[l->n - 1].len == p->t->src + from) {
		l->v[l->n - 1].len += to - from;
		return;
	}
	n = push_node(l, N_TEXT);
	n->text = p->t->src + from;
	n->len = to - from;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '_' || c == '-';
}

/* "a.b.c" (segments of name characters), "." or "@word" */
static int valid_name(const char *s, size_t n)
{
	size_t i, seglen = 0;

	if (n == 1 && *s == '.')
		return 1;
	if (n > 1 && *s == '@') {
		for (i = 1; i < n; i++)
			if (!name_char(s[i]))
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!seglen)
				return 0;
			seglen = 0;
		} else if (name_char(s[i])) {
			seglen++;
		} else {
			return 0;
		}
	}
	return seglen > 0;
}

static void split_segments(struct node *nd, const char *name)
{
	const char *s = name;

	if (!strcmp(name, "."))
		return;
	for (;;) {
		size_t l = strcspn(s, ".");

		nd->seg = erealloc(nd->seg, (nd->nseg + 1) * sizeof(*nd->seg));
		nd->seg[nd->nseg++] = estrndup(s, l);
		if (!s[l])
			break;
		s += l + 1;
	}
}

/* Resolve name for node nd (a value when whole, a section otherwise). */
static int resolve(struct parser *p, struct node *nd, const char *name, size_t off, int whole)
{
	struct strbuf cand = STRBUF_INIT;
	const char *why, *which;
	int i;

	if (name[0] == '@') {
		static const char *const lvn[] = { "", "@index", "@number", "@first", "@last" };
		int k;

		for (k = 1; k <= LV_LAST; k++)
			if (!strcmp(name, lvn[k]))
				break;
		if (k > LV_LAST)
			return perr(p, off, "unknown loop variable '%s' (@index, @number, @first, @last)",
				    name);
		for (i = p->nst - 1; i > 0 && !p->st[i].pushes; i--)
			;
		if (i == 0 || !p->st[i].list)
			return perr(p, off, "'%s' outside a section over a list", name);
		nd->lv = (enum loopvar)k;
		nd->frame = p->st[i].depth;
		nd->full = estrdup(name);
		return 0;
	}
	if (!strcmp(name, ".")) {
		for (i = p->nst - 1; i > 0 && !p->st[i].pushes; i--)
			;
		if (i == 0)
			return perr(p, off, "'.' (the current element) outside a section");
		if (whole && (why = contract_refused(p->c, p->st[i].prefix, 1, &which)))
			return perr(p, off, "'.' here is %s, which holds %s: %s", p->st[i].prefix,
				    which, why);
		nd->frame = p->st[i].depth;
		nd->full = estrdup(p->st[i].prefix);
		return 0;
	}
	for (i = p->nst - 1; i >= 0; i--) {
		if (i > 0 && !p->st[i].pushes)
			continue;
		strbuf_reset(&cand);
		if (i > 0)
			strbuf_addf(&cand, "%s.", p->st[i].prefix);
		strbuf_addstr(&cand, name);
		if ((why = contract_refused(p->c, cand.buf, whole, &which))) {
			if (!strcmp(which, cand.buf))
				perr(p, off, "'%s' is not available to templates: %s", cand.buf, why);
			else
				perr(p, off, "'%s' holds %s, which is not available to templates: %s",
				     cand.buf, which, why);
			strbuf_release(&cand);
			return -1;
		}
		if (contract_valid(p->c, cand.buf)) {
			nd->frame = i > 0 ? p->st[i].depth : 0;
			nd->full = strbuf_detach(&cand, NULL);
			split_segments(nd, name);
			return 0;
		}
	}
	/* unknown: say what is known at the deepest valid prefix, seen from the innermost frame */
	for (i = p->nst - 1; i > 0 && !p->st[i].pushes; i--)
		;
	strbuf_reset(&cand);
	if (i > 0)
		strbuf_addf(&cand, "%s.", p->st[i].prefix);
	strbuf_addstr(&cand, name);
	{
		struct strbuf hint = STRBUF_INIT;
		char *dot;

		for (;;) {
			dot = strrchr(cand.buf, '.');
			if (!dot) {
				strbuf_reset(&cand);
				break;
			}
			strbuf_setlen(&cand, (size_t)(dot - cand.buf));
			if (contract_valid(p->c, cand.buf))
				break;
		}
		contract_hint(p->c, cand.buf, &hint);
		perr(p, off, "unknown variable '%s'", name);
		if (hint.len)
			strbuf_addf(p->err, " (known%s%s: %s)", cand.len ? " in " : "",
				    cand.buf, hint.buf);
		strbuf_release(&hint);
	}
	strbuf_release(&cand);
	return -1;
}

/* is [ls, o) blank and [e, eol) blank?  Sets *next to the offset after the line. */
static int standalone(struct parser *p, size_t o, size_t e, size_t *ls, size_t *next)
{
	size_t i = o, j = e;

	while (i > 0 && p->src[i - 1] != '\n') {
		if (!is_space(p->src[i - 1]))
			return 0;
		i--;
	}
	while (j < p->len && p->src[j] != '\n') {
		if (!is_space(p->src[j]))
			return 0;
		j++;
	}
	*ls = i;
	*next = j < p->len ? j + 1 : j;
	return 1;
}

static int blank_nodes(const struct nodes *l)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].type != N_TEXT)
			return 0;
		for (j = 0; j < l->v[i].len; j++)
			if (!is_space(l->v[i].text[j]) && l->v[i].text[j] != '\n')
				return 0;
	}
	return 1;
}

static struct message *new_message(struct rft_tpl *t, const char *role)
{
	t->msg = erealloc(t->msg, (t->nmsg + 1) * sizeof(*t->msg));
	memset(&t->msg[t->nmsg], 0, sizeof(*t->msg));
	t->msg[t->nmsg].role = estrdup(role);
	return &t->msg[t->nmsg++];
}

/* Trim the indentation [ls, o) off the last text node of the current list. */
static void trim_indent(struct parser *p, size_t ls, size_t o)
{
	struct nodes *l = target(p);

	if (o > ls && l->n && l->v[l->n - 1].type == N_TEXT &&
	    l->v[l->n - 1].text + l->v[l->n - 1].len == p->t->src + o) {
		l->v[l->n - 1].len -= o - ls;
		if (!l->v[l->n - 1].len)
			l->n--;
	}
}

static int parse_tag(struct parser *p, size_t o, size_t close, size_t *pos)
{
	const char *in = p->src + o + 2;
	size_t n = close - (o + 2), e = close + 2, ls = 0, next = 0, i;
	char sigil = 0;
	char *name = NULL, *fallback = NULL;
	int alone, r = -1;

	*pos = e;
	while (n && is_space(*in)) {
		in++;
		n--;
	}
	while (n && is_space(in[n - 1]))
		n--;
	if (!n)
		return perr(p, o, "empty tag '{{}}'");
	if (*in == '{' || *in == '&')
		return perr(p, o, "'{{%c' is not supported: nothing is escaped, write {{name}}", *in);
	if (*in == '>' || *in == '=' || *in == '<')
		return perr(p, o, "'{{%c' (partials, delimiters) is not supported", *in);
	if (*in == '#' || *in == '^' || *in == '/' || *in == '!') {
		sigil = *in++;
		n--;
		while (n && is_space(*in)) {
			in++;
			n--;
		}
	}
	alone = standalone(p, o, e, &ls, &next);
	if (sigil == '!') {
		if (alone) {
			trim_indent(p, ls, o);
			*pos = next;
		} else {
			*pos = e;
		}
		return 0;
	}
	/* name, then optionally |fallback (values only) */
	for (i = 0; i < n && in[i] != '|' && !is_space(in[i]); i++)
		;
	name = estrndup(in, i);
	if (!valid_name(name, i)) {
		perr(p, o, "bad name '%.*s' in '{{%.*s}}'", (int)i, in, (int)(close - o - 2), p->src + o + 2);
		goto out;
	}
	while (i < n && is_space(in[i]))
		i++;
	if (i < n) {
		size_t f = i + 1, fe = n;

		if (in[i] != '|' || sigil) {
			perr(p, o, "unexpected '%.*s' after '%s'%s", (int)(n - i), in + i, name,
			     sigil ? " (a fallback '|' goes on values, not sections)" : "");
			goto out;
		}
		while (f < fe && is_space(in[f]))
			f++;
		fallback = estrndup(in + f, fe - f);
	}

	/* role markers */
	if (!sigil && name[0] == '@' && strcmp(name, "@index") && strcmp(name, "@number") &&
	    strcmp(name, "@first") && strcmp(name, "@last")) {
		size_t k;

		if (!(p->flags & RFT_TPL_ROLES)) {
			perr(p, o, "role marker '{{%s}}' not allowed in this template (one message)", name);
			goto out;
		}
		for (k = 0; roles[k] && strcmp(roles[k], name + 1); k++)
			;
		if (!roles[k]) {
			perr(p, o, "unknown role '%s' (@system, @developer, @user, @assistant)", name);
			goto out;
		}
		if (fallback) {
			perr(p, o, "a role marker takes no fallback");
			goto out;
		}
		if (p->nst > 1) {
			perr(p, o, "role marker '{{%s}}' inside the section '%s'", name,
			     p->st[p->nst - 1].sec->full);
			goto out;
		}
		if (!alone) {
			perr(p, o, "role marker '{{%s}}' must be alone on its line", name);
			goto out;
		}
		if (!p->t->nmsg && !blank_nodes(&p->pre)) {
			perr(p, o, "text before the first role marker; put it under a role");
			goto out;
		}
		p->cur = &new_message(p->t, roles[k])->nodes;
		*pos = next;
		r = 0;
		goto out;
	}

	if (!sigil) {
		struct node *nd = push_node(target(p), N_VAR);

		linecol(p, o, &nd->line, &nd->col);
		nd->fallback = fallback;
		fallback = NULL;
		if (resolve(p, nd, name, o, 1) < 0)
			goto out;
		*pos = e;
		r = 0;
		goto out;
	}
	if (alone) {
		trim_indent(p, ls, o);
		*pos = next;
	} else {
		*pos = e;
	}
	if (sigil == '/') {
		struct pframe *top = &p->st[p->nst - 1];

		if (p->nst == 1) {
			perr(p, o, "'{{/%s}}' closes no section", name);
			goto out;
		}
		if (strcmp(top->written, name)) {
			perr(p, o, "'{{/%s}}' does not close the section '%s' opened at line %u",
			     name, top->written, top->sec->line);
			goto out;
		}
		free(top->written);
		free(top->prefix);
		p->nst--;
		r = 0;
		goto out;
	}
	/* '#' or '^' */
	{
		struct node *nd;
		struct pframe *f, *up = &p->st[p->nst - 1];

		if (p->nst > MAX_DEPTH) {
			perr(p, o, "sections nested deeper than %d", MAX_DEPTH);
			goto out;
		}
		nd = push_node(target(p), sigil == '#' ? N_SECTION : N_INVERTED);
		linecol(p, o, &nd->line, &nd->col);
		if (resolve(p, nd, name, o, 0) < 0)
			goto out;
		f = &p->st[p->nst++];
		f->sec = nd;
		f->written = name;
		name = NULL;
		f->pushes = sigil == '#' && nd->lv == LV_NONE;
		f->list = f->pushes && contract_list(p->c, nd->full);
		{
			struct strbuf pre = STRBUF_INIT;

			strbuf_addf(&pre, "%s%s", nd->full, f->list ? "[]" : "");
			f->prefix = strbuf_detach(&pre, NULL);
		}
		f->depth = f->pushes ? up->depth + 1 : up->depth;
		r = 0;
	}
out:
	free(name);
	free(fallback);
	return r;
}

struct rft_tpl *rft_tpl_parse(const char *name, const char *text, size_t len,
			      const struct rft_tpl_contract *c, int flags, struct strbuf *err)
{
	struct rft_tpl *t = ecalloc(1, sizeof(*t));
	struct parser p;
	size_t pos = 0;
	int ok = 0;

	t->name = estrdup(name);
	t->src = estrndup(text, len);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.t = t;
	p.src = t->src;
	p.len = len;
	p.flags = flags;
	p.err = err;
	p.st[0].prefix = NULL;
	p.nst = 1;
	p.cur = &p.pre;
	if (memchr(text, '\0', len)) {
		perr(&p, (size_t)((const char *)memchr(text, '\0', len) - text), "NUL byte in template");
		goto done;
	}
	/* prompts are JSON text: the template must be valid UTF-8 (the rule
	 * JSON strings follow, see rft_utf8_char) */
	if ((pos = rft_utf8_check(text, len)) < len) {
		perr(&p, pos, "invalid UTF-8");
		goto done;
	}
	pos = 0;
	while (pos < len) {
		const char *o = find_pair(t->src + pos, t->src + len, '{'), *cl;

		if (!o) {
			add_text(&p, pos, len);
			break;
		}
		add_text(&p, pos, (size_t)(o - t->src));
		cl = find_pair(o + 2, t->src + len, '}');
		/* a tag stays on its line; a comment may span lines */
		if (!cl || (o[2 + strspn(o + 2, " \t")] != '!' &&
			    memchr(o + 2, '\n', (size_t)(cl - o - 2)))) {
			perr(&p, (size_t)(o - t->src), "'{{' is not closed by '}}' on its line");
			goto done;
		}
		if (parse_tag(&p, (size_t)(o - t->src), (size_t)(cl - t->src), &pos) < 0)
			goto done;
	}
	if (p.nst > 1) {
		struct pframe *top = &p.st[p.nst - 1];

		strbuf_addf(err, "%s:%u:%u: section '%s' is never closed (missing {{/%s}})",
			    t->name, top->sec->line, top->sec->col, top->written, top->written);
		goto done;
	}
	if (!t->nmsg) {
		if (blank_nodes(&p.pre)) {
			strbuf_addf(err, "%s: the template is empty", t->name);
			goto done;
		}
		new_message(t, "user")->nodes = p.pre;
		memset(&p.pre, 0, sizeof(p.pre));
	}
	ok = 1;
done:
	while (p.nst > 1) {
		p.nst--;
		free(p.st[p.nst].prefix);
		free(p.st[p.nst].written);
	}
	free_nodes(&p.pre);
	if (!ok) {
		rft_tpl_free(t);
		return NULL;
	}
	return t;
}

int rft_tpl_load(const char *path, const struct rft_tpl_contract *c, int flags,
		 struct rft_tpl **out, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	FILE *fp = fopen(path, "r");
	char buf[8192];
	size_t n;

	*out = NULL;
	if (!fp) {
		strbuf_addf(err, "cannot open template '%s': %s", path, strerror(errno));
		return RFT_EX_NOINPUT;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		strbuf_add(&sb, buf, n);
	if (ferror(fp)) {
		strbuf_addf(err, "cannot read template '%s': %s", path, strerror(errno));
		fclose(fp);
		strbuf_release(&sb);
		return RFT_EX_NOINPUT;
	}
	fclose(fp);
	*out = rft_tpl_parse(path, sb.buf, sb.len, c, flags, err);
	strbuf_release(&sb);
	return *out ? 0 : RFT_EX_CONFIG;
}

void rft_tpl_free(struct rft_tpl *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nmsg; i++) {
		free(t->msg[i].role);
		free_nodes(&t->msg[i].nodes);
	}
	free(t->msg);
	free(t->src);
	free(t->name);
	free(t);
}

size_t rft_tpl_count(const struct rft_tpl *t)
{
	return t->nmsg;
}

const char *rft_tpl_role(const struct rft_tpl *t, size_t i)
{
	return t->msg[i].role;
}

/* ------------------------------------------------------------ rendering */

struct frame {
	struct json_object *o;
	size_t idx, n;
};

static struct json_object *value_of(const struct node *nd, const struct frame *fr)
{
	struct json_object *o = fr[nd->frame].o;
	size_t i;

	for (i = 0; i < nd->nseg && o; i++)
		o = rft_json_get(o, nd->seg[i]);
	return o;
}

static int empty(struct json_object *o)
{
	switch (o ? json_object_get_type(o) : json_type_null) {
	case json_type_null: return 1;
	case json_type_boolean: return !json_object_get_boolean(o);
	case json_type_string: return json_object_get_string_len(o) == 0;
	case json_type_array: return json_object_array_length(o) == 0;
	default: return 0;
	}
}

static int loop_true(const struct node *nd, const struct frame *fr)
{
	const struct frame *f = &fr[nd->frame];

	switch (nd->lv) {
	case LV_FIRST: return f->idx == 0;
	case LV_LAST: return f->idx + 1 == f->n;
	default: return 1;
	}
}

static int render_nodes(const struct rft_tpl *t, const struct nodes *l, struct frame *fr,
			int depth, struct strbuf *out, struct strbuf *err)
{
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		const struct node *nd = &l->v[i];
		struct json_object *v;

		switch (nd->type) {
		case N_TEXT:
			strbuf_add(out, nd->text, nd->len);
			break;
		case N_VAR:
			if (nd->lv == LV_INDEX || nd->lv == LV_NUMBER) {
				strbuf_addf(out, "%zu", fr[nd->frame].idx + (nd->lv == LV_NUMBER));
				break;
			}
			if (nd->lv != LV_NONE) {
				strbuf_addstr(out, loop_true(nd, fr) ? "true" : "false");
				break;
			}
			v = value_of(nd, fr);
			if (!v) {
				if (nd->fallback) {
					strbuf_addstr(out, nd->fallback);
					break;
				}
				strbuf_addf(err, "%s:%u:%u: {{%s}} is null or missing and has no fallback"
					    " (write {{%s|TEXT}})", t->name, nd->line, nd->col,
					    nd->full, nd->full);
				return -1;
			}
			if (json_object_is_type(v, json_type_string))
				strbuf_add(out, json_object_get_string(v),
					   (size_t)json_object_get_string_len(v));
			else
				json_put_value(out, v);
			break;
		case N_SECTION:
		case N_INVERTED:
			if (nd->lv != LV_NONE) {
				if (loop_true(nd, fr) == (nd->type == N_SECTION) &&
				    render_nodes(t, &nd->kids, fr, depth, out, err) < 0)
					return -1;
				break;
			}
			v = value_of(nd, fr);
			if (nd->type == N_INVERTED) {
				if (empty(v) && render_nodes(t, &nd->kids, fr, depth, out, err) < 0)
					return -1;
				break;
			}
			if (empty(v))
				break;
			if (json_object_is_type(v, json_type_array)) {
				size_t n = json_object_array_length(v);

				for (k = 0; k < n; k++) {
					fr[depth + 1].o = json_object_array_get_idx(v, k);
					fr[depth + 1].idx = k;
					fr[depth + 1].n = n;
					if (render_nodes(t, &nd->kids, fr, depth + 1, out, err) < 0)
						return -1;
				}
			} else {
				fr[depth + 1].o = v;
				fr[depth + 1].idx = 0;
				fr[depth + 1].n = 1;
				if (render_nodes(t, &nd->kids, fr, depth + 1, out, err) < 0)
					return -1;
			}
			break;
		}
	}
	return 0;
}

int rft_tpl_render(const struct rft_tpl *t, size_t i, struct json_object *root,
		   struct strbuf *out, struct strbuf *err)
{
	struct frame fr[MAX_DEPTH + 2];

	fr[0].o = root;
	fr[0].idx = 0;
	fr[0].n = 1;
	return render_nodes(t, &t->msg[i].nodes, fr, 0, out, err);
}

/* ------------------------------------------------------ grader references */

void rft_tpl_refs(const char *text, const char *root,
		  void (*fn)(void *arg, const char *path, size_t len), void *arg)
{
	size_t rl = strlen(root);
	const char *o = text, *end = text + strlen(text);

	while ((o = find_pair(o, end, '{'))) {
		const char *s = o + 2, *cl = find_pair(s, end, '}'), *e;

		if (!cl)
			break;
		while (s < cl && is_space(*s))
			s++;
		e = cl;
		while (e > s && is_space(e[-1]))
			e--;
		if ((size_t)(e - s) > rl + 1 && !strncmp(s, root, rl) && s[rl] == '.')
			fn(arg, s + rl + 1, (size_t)(e - s - rl - 1));
		o = cl + 2;
	}
}

struct json_object *rft_tpl_lookup(struct json_object *o, const char *path, size_t len,
				   size_t *depth)
{
	const char *s = path, *end = path + len;

	*depth = 0;
	while (o && s < end) {
		const char *dot = memchr(s, '.', (size_t)(end - s));
		size_t sl = (size_t)((dot ? dot : end) - s);
		char key[256];

		if (sl >= sizeof(key))
			return NULL;
		memcpy(key, s, sl);
		key[sl] = '\0';
		if (json_object_is_type(o, json_type_array)) {
			char *ep;
			unsigned long ix = strtoul(key, &ep, 10);

			if (!sl || *ep || ix >= json_object_array_length(o))
				return NULL;
			o = json_object_array_get_idx(o, ix);
		} else if (json_object_is_type(o, json_type_object)) {
			o = rft_json_get(o, key);
		} else {
			return NULL;
		}
		if (!o)
			return NULL;
		++*depth;
		s += sl + (dot ? 1 : 0);
		if (dot && s == end)
			return NULL;
	}
	return o;
}

/* ------------------------------------------- references in any text */

/* a reference's path into out (len + 1 bytes): no spaces, a[0] as a.0; its length */
static size_t ref_path(const char *ref, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (ref[i] == '[')
			out[n++] = '.';
		else if (ref[i] != ']' && !isspace((unsigned char)ref[i]))
			out[n++] = ref[i];
	}
	out[n] = '\0';
	return n;
}

/* the root path[0..] starts with ("ROOT" then '.' or the end), or NULL;
 * *hidden when what follows is one of the root's hidden members */
static const struct rft_tpl_root *ref_root(const char *path, const struct rft_tpl_root *roots, size_t nroots,
					   int *hidden)
{
	size_t i, j, rl;

	*hidden = 0;
	for (i = 0; i < nroots; i++) {
		rl = strlen(roots[i].name);
		if (strncmp(path, roots[i].name, rl) || (path[rl] != '.' && path[rl]))
			continue;
		for (j = 0; roots[i].hidden && roots[i].hidden[j]; j++) {
			size_t hl = strlen(roots[i].hidden[j]);

			if (path[rl] == '.' && !strncmp(path + rl + 1, roots[i].hidden[j], hl) &&
			    (!path[rl + 1 + hl] || path[rl + 1 + hl] == '.'))
				*hidden = 1;
		}
		return &roots[i];
	}
	return NULL;
}

/* one reference: its value (borrowed; NULL for a null member), *found
 * when it resolves (a member that is there and null does) */
static struct json_object *resolve_ref(const char *ref, size_t len, const struct rft_tpl_root *roots,
				       size_t nroots, int *found)
{
	char small[256], *path = len < sizeof(small) ? small : emalloc(len + 1);
	struct json_object *v = NULL, *root;
	const struct rft_tpl_root *rt;
	size_t i, n = ref_path(ref, len, path), depth;
	int hidden;

	*found = 0;
	rt = ref_root(path, roots, nroots, &hidden);
	if (!rt || hidden)
		goto out;
	root = rt->value;
	i = strlen(rt->name);
	if (!path[i]) {
		*found = root != NULL;
		v = root;
		goto out;
	}
	v = rft_tpl_lookup(root, path + i + 1, n - i - 1, &depth);
	*found = v != NULL;
	if (!v) {
		/* a member that is there and null resolves (to null) */
		const char *last = strrchr(path + i, '.');
		struct json_object *parent = last > path + i ?
			rft_tpl_lookup(root, path + i + 1, (size_t)(last - path - i - 1), &depth) :
			root;

		*found = parent && json_object_is_type(parent, json_type_object) &&
			json_object_object_get_ex(parent, last + 1, NULL);
	}
out:
	if (path != small)
		free(path);
	return v;
}

int rft_tpl_subst(const char *text, const struct rft_tpl_root *roots, size_t nroots, struct strbuf *out,
		  struct json_object **whole, struct strbuf *err)
{
	const char *p = text, *o;

	if (whole)
		*whole = NULL;
	while ((o = strstr(p, "{{"))) {
		const char *c = strstr(o + 2, "}}"), *s = o + 2, *e;
		struct json_object *v;
		int found;

		if (!c)
			break;
		while (s < c && isspace((unsigned char)*s))
			s++;
		for (e = c; e > s && isspace((unsigned char)e[-1]); e--)
			;
		strbuf_add(out, p, (size_t)(o - p));
		v = resolve_ref(s, (size_t)(e - s), roots, nroots, &found);
		if (!found) {
			strbuf_addf(err, "{{%.*s}} does not resolve", (int)(e - s), s);
			return -1;
		}
		if (whole && o == text && !c[2] && v) {
			/* the value itself is wanted: no need to write it out */
			*whole = v;
			return 0;
		}
		if (v && json_object_is_type(v, json_type_string))
			strbuf_add(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		else if (v)
			json_put_value(out, v);
		p = c + 2;
	}
	strbuf_addstr(out, p);
	return 0;
}

int rft_tpl_check_refs(const char *text, const struct rft_tpl_root *roots, size_t nroots, struct strbuf *err)
{
	const char *p = text, *o;
	size_t i;

	while (text && (o = strstr(p, "{{"))) {
		const char *c = strstr(o + 2, "}}"), *s = o + 2;

		if (!c) {
			strbuf_addstr(err, "'{{' without '}}'");
			return -1;
		}
		while (s < c && isspace((unsigned char)*s))
			s++;
		for (i = 0; i < nroots && strncmp(s, roots[i].name, strlen(roots[i].name)); i++)
			;
		if (i == nroots) {
			strbuf_addf(err, "{{%.*s}} is ", (int)(c - s), s);
			for (i = 0; i < nroots; i++)
				strbuf_addf(err, "%s%s.*", i ? " nor " : nroots > 1 ? "neither " : "not ",
					    roots[i].name);
			return -1;
		}
		p = c + 2;
	}
	return 0;
}

char *rft_tpl_one_ref(const char *text, const struct rft_tpl_root *roots, size_t nroots, size_t *which)
{
	const struct rft_tpl_root *rt;
	const char *c;
	char *p;
	size_t rl;
	int hidden;

	if (strncmp(text, "{{", 2) || !(c = strstr(text + 2, "}}")) || c[2])
		return NULL;
	p = emalloc((size_t)(c - text));
	ref_path(text + 2, (size_t)(c - text - 2), p);
	rt = ref_root(p, roots, nroots, &hidden);
	if (!rt || hidden || !p[rl = strlen(rt->name)]) {
		free(p);
		return NULL;
	}
	memmove(p, p + rl + 1, strlen(p + rl + 1) + 1);
	*which = (size_t)(rt - roots);
	return p;
}
