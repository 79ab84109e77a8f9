/*
 * rft-run - run a declarative YAML pipeline of filters, jq and shell.
 *
 * A pipeline is `vars` (expanded in order; ${NAME:-default} looks in the
 * stage, --set, the vars so far, then the environment) and `stages`, a
 * mapping of name -> stage in file order.  A stage has `cmd` (an argv list
 * exec'd without a shell, or a string run by `bash -o pipefail -c`) or `jq`
 * (an expression run as `jq -c EXPR IN... > OUT`), `in` and `out` (a file, a
 * list, or a name -> file mapping), optional `params` (names -> values put in
 * the stage's environment and its key), `shards` and `hosts` (GNU parallel).
 *
 * Order comes from the files: a stage runs after the stages writing its
 * inputs (a DAG: cycles and two writers of one file are load-time errors).
 * A stage is skipped when its key - sha256 over its command (with the final
 * output names), its inputs' contents, the versions of the filters it runs
 * and its params - equals the one in the lock file from its last success and
 * its outputs are as that run left them.  Outputs are written under
 * temporary names in their directory and renamed when the stage succeeds.
 *
 * Ownership rule: the pipeline (struct pipeline and everything it points
 * to) is built once by load() and freed by pipeline_free(); functions that
 * return char * return memory the caller frees; strbufs are the caller's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "common/datafile.h"
#include "common/json.h"
#include "common/opt.h"
#include "common/progress.h"
#include "common/sha256.h"
#include "common/strbuf.h"
#include "common/util.h"

/* hex digest of c into hex[65] (c is finished) */
static void sha256_hex(struct rft_sha256 *c, char hex[65])
{
	unsigned char d[32];

	rft_sha256_final(c, d);
	rft_sha256_to_hex(d, hex);
}

/* ------------------------------------------------------------- the model */

struct nv {             /* a named value: var, --set, param */
	char *name;
	char *value;
};

struct nvlist {
	struct nv *v;
	size_t n, alloc;
};

struct pfile {          /* an input or output of a stage */
	char *name;     /* the key when given as a mapping, else NULL */
	char *path;     /* expanded */
};

enum kind { K_ARGV, K_SHELL, K_JQ };

/* a sharded stage's command and directory, for GNU parallel's jobs (see wrap_shards) */
#define SHARD_VAR "RFT_SHARD_CMD"
#define SHARD_DIR "RFT_SHARD_DIR"
enum state { S_OFF, S_WAIT, S_RUNNING, S_DONE, S_SKIP, S_FAIL, S_BLOCKED };

struct stage {
	char *name;
	yaml_node_t *node;      /* the stage's mapping, for messages */
	yaml_node_t *cmd;       /* cmd (scalar or sequence) or jq (scalar) */
	enum kind kind;
	struct pfile *in, *out;
	size_t nin, nout;
	struct nvlist params;
	long shards;            /* 0: not sharded */
	char **hosts;
	size_t nhosts;
	char *hostfile;
	char *workdir;          /* hosts without a shared file system: the jobs' directory there */
	size_t *deps;           /* stages writing an input of this one */
	size_t ndeps;
	char *text;             /* the command as shell text, final names */
	char **tools;           /* rft filters and jq the command runs */
	size_t ntools;
	enum state state;
	int would_run;          /* dry run */
	/* while running */
	pid_t pid;
	char **tmp;             /* temporary output names */
	char *key;              /* hex, computed when decided */
	struct strbuf inrec;    /* JSON of the inputs' hashes */
	unsigned long long bytes_in;
	struct timespec t0;
	char start_iso[32];
	char *log;
};

static struct {
	const char *file;       /* the pipeline as named */
	yaml_document_t doc;
	int have_doc;
	struct nvlist vars;
	struct stage *st;
	size_t nst;
	size_t *order;          /* topological, file order among equals */
	char *lock;
	char *logs;
} P;

static struct nvlist sets;      /* --set */
static char *selfdir;           /* appended to PATH when not on it */

static struct {
	int dry, force, why;
	long jobs;
	double wait;
	const char *from, *until, *why_stage;
} opt = { 0, 0, 0, 1, 0, NULL, NULL, NULL };

static void nv_add(struct nvlist *l, const char *name, const char *value)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 8;
		l->v = erealloc(l->v, l->alloc * sizeof(*l->v));
	}
	l->v[l->n].name = estrdup(name);
	l->v[l->n].value = estrdup(value);
	l->n++;
}

static const char *nv_get(const struct nvlist *l, const char *name)
{
	size_t i = l->n;

	while (i-- > 0)     /* the last definition wins */
		if (!strcmp(l->v[i].name, name))
			return l->v[i].value;
	return NULL;
}

static void nv_free(struct nvlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct strv {
	char **v;
	size_t n, alloc;
};

static void strv_push(struct strv *a, char *s)  /* takes s */
{
	if (a->n + 1 >= a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 8;
		a->v = erealloc(a->v, a->alloc * sizeof(*a->v));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void strv_free(struct strv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------ messages */

static char msgbuf[4096];

/* die with "FILE:LINE:COL: message" at node n (78, a bad pipeline file) */
static void RFT_PRINTF(2, 3) RFT_NORETURN cfg_die(const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msgbuf, sizeof(msgbuf), fmt, ap);
	va_end(ap);
	if (n)
		die(RFT_EX_CONFIG, "%s:%zu:%zu: %s", P.file, n->start_mark.line + 1,
		    n->start_mark.column + 1, msgbuf);
	die(RFT_EX_CONFIG, "%s: %s", P.file, msgbuf);
}

/* ------------------------------------------------------------ quoting */

static int shell_safe(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_./:=,+@%-", *s)))
			return 0;
	return 1;
}

/* one shell word meaning exactly s: bare when safe, else '...' */
static void shell_quote(struct strbuf *sb, const char *s)
{
	if (shell_safe(s)) {
		strbuf_addstr(sb, s);
		return;
	}
	strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/* ------------------------------------------------------------ expansion */

enum qmode { Q_NONE, Q_SHELL, Q_JSON };

struct xctx {
	struct stage *st;       /* NULL outside a stage's command */
	char **outs;            /* names to give ${out...}: final or temporary */
	unsigned char *used;    /* per output: referenced by the command */
	const yaml_node_t *node;
};

static int valid_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/*
 * Look up the reference body "name", "name[N]", "name.key" into vals
 * (copies).  Returns 0 when found (possibly empty), -1 when undefined.
 */
static int lookup(const char *ref, size_t len, struct xctx *x, struct strv *vals)
{
	size_t nlen = 0;
	char *name;
	const char *v;
	long idx = -1;
	char *key = NULL;

	while (nlen < len && ref[nlen] != '[' && ref[nlen] != '.')
		nlen++;
	if (!valid_ident(ref, nlen))
		cfg_die(x->node, "bad variable name in '${%.*s}'", (int)len, ref);
	name = estrndup(ref, nlen);
	if (nlen < len) {
		const char *r = ref + nlen;
		size_t rest = len - nlen;

		if (strcmp(name, "in") && strcmp(name, "out"))
			cfg_die(x->node, "'${%.*s}': only ${in} and ${out} take [N] or .NAME",
				(int)len, ref);
		if (r[0] == '[') {
			char *end;

			errno = 0;
			idx = strtol(r + 1, &end, 10);
			if (errno || idx < 0 || end == r + 1 || (size_t)(end - r) != rest - 1 || *end != ']')
				cfg_die(x->node, "bad index in '${%.*s}'", (int)len, ref);
		} else {
			if (!valid_ident(r + 1, rest - 1))
				cfg_die(x->node, "bad name in '${%.*s}'", (int)len, ref);
			key = estrndup(r + 1, rest - 1);
		}
	}
	if (x->st && (!strcmp(name, "in") || !strcmp(name, "out"))) {
		int isout = name[0] == 'o';
		struct pfile *f = isout ? x->st->out : x->st->in;
		size_t nf = isout ? x->st->nout : x->st->nin, i;

		for (i = 0; i < nf; i++) {
			if ((idx >= 0 && (size_t)idx != i) || (key && (!f[i].name || strcmp(f[i].name, key))))
				continue;
			strv_push(vals, estrdup(isout && x->outs ? x->outs[i] : f[i].path));
			if (isout && x->used)
				x->used[i] = 1;
		}
		if (vals->n == 0)
			cfg_die(x->node, "stage '%s' has no %s '%.*s'", x->st->name,
				isout ? "output" : "input", (int)len, ref);
		free(name);
		free(key);
		return 0;
	}
	if (idx >= 0 || key)
		cfg_die(x->node, "'${%.*s}' is only meaningful in a stage's command", (int)len, ref);
	v = NULL;
	if (x->st)
		v = nv_get(&x->st->params, name);
	if (!v)
		v = nv_get(&sets, name);
	if (!v)
		v = nv_get(&P.vars, name);
	if (!v)
		v = getenv(name);
	free(name);
	if (!v)
		return -1;
	strv_push(vals, estrdup(v));
	return 0;
}

static void put_value(struct strbuf *sb, const char *v, enum qmode q)
{
	if (q == Q_SHELL)
		shell_quote(sb, v);
	else if (q == Q_JSON)
		json_put_str(sb, v);
	else
		strbuf_addstr(sb, v);
}

/* how deep ${a:-${b:-...}} defaults may nest */
#define EXPAND_DEPTH_MAX 32

/*
 * match[i] = the index of the '}' closing the "${" at s[i] (SIZE_MAX: none),
 * for every "${" in s[0..n): one pass with a stack, so expanding a string
 * never rescans it for braces however deeply the references nest.
 */
static size_t *brace_matches(const char *s, size_t n)
{
	size_t *match = ecalloc(n + 1, sizeof(*match));
	size_t *stack = ecalloc(n + 1, sizeof(*stack)), top = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] == '$' && s[i + 1] == '{') {
			match[i] = SIZE_MAX;
			stack[top++] = i++;
		} else if (s[i] == '}' && top) {
			match[stack[--top]] = i;
		}
	}
	free(stack);
	return match;
}

/*
 * Expand s[from..to) (see expand()); match is brace_matches() of all of s and
 * depth the number of defaults this text sits in.
 */
static void expand_range(struct strbuf *sb, const char *s, size_t from, size_t to,
			 const size_t *match, struct xctx *x, enum qmode q, int depth)
{
	size_t p = from;

	while (p < to) {
		size_t body, end, colon, i;
		struct strv vals = { 0 };

		if (s[p] != '$' || p + 1 >= to || (s[p + 1] != '{' && s[p + 1] != '$')) {
			strbuf_addch(sb, s[p++]);
			continue;
		}
		if (s[p + 1] == '$') {
			strbuf_addch(sb, '$');
			p += 2;
			continue;
		}
		body = p + 2;
		end = match[p];
		if (end == SIZE_MAX || end >= to)
			cfg_die(x->node, "unterminated '${' in '%.*s'", (int)(to - p), s + p);
		/* the name ends at ":-" (a default follows) or the '}'; a '$' makes it bad anyway */
		colon = SIZE_MAX;
		for (i = body; i < end && s[i] != '$'; i++)
			if (s[i] == ':' && s[i + 1] == '-') {
				colon = i;
				break;
			}
		if (lookup(s + body, (colon != SIZE_MAX ? colon : end) - body, x, &vals) < 0 ||
		    (colon != SIZE_MAX && vals.n == 1 && !vals.v[0][0])) {
			struct strbuf def = STRBUF_INIT;

			if (colon == SIZE_MAX && end - body == 8 && !strncmp(s + body, "data_dir", 8)) {
				rft_data_looked(&def, NULL, NULL, NULL);
				cfg_die(x->node, "no rftkit data folder for ${data_dir}: set RFT_DATADIR, or "
					"--set data_dir=DIR; looked in:\n%s", def.buf);
			}
			if (colon == SIZE_MAX)
				cfg_die(x->node, "undefined variable '%.*s' (define it in vars, with "
					"--set, in the environment, or give ${%.*s:-default})",
					(int)(end - body), s + body, (int)(end - body), s + body);
			if (depth >= EXPAND_DEPTH_MAX)
				cfg_die(x->node, "defaults nested more than %d deep in '${%.*s:-...}'",
					EXPAND_DEPTH_MAX, (int)(colon - body), s + body);
			expand_range(&def, s, colon + 2, end, match, x, Q_NONE, depth + 1);
			strv_free(&vals);
			strv_push(&vals, strbuf_detach(&def, NULL));
		}
		if (vals.n > 1 && q != Q_SHELL)
			cfg_die(x->node, "'${%.*s}' names %zu files here; pick one with [N] "
				"(or make it a whole argv element)", (int)(end - body), s + body, vals.n);
		for (i = 0; i < vals.n; i++) {
			if (i)
				strbuf_addch(sb, ' ');
			put_value(sb, vals.v[i], q);
		}
		strv_free(&vals);
		p = end + 1;
	}
}

/*
 * Expand ${NAME}, ${NAME:-default}, ${in}, ${out[1]}, ${out.NAME} in s,
 * appending to sb; "$$" is a dollar, any other '$' is kept as is (shell's
 * $x and $(...) pass through).  Every substituted value is one word in the
 * quoting of q: shell-quoted, a JSON string, or as is.  Defaults nest up to
 * EXPAND_DEPTH_MAX deep; the time is linear in the length of s.
 */
static void expand(struct strbuf *sb, const char *s, struct xctx *x, enum qmode q)
{
	size_t n = strlen(s);
	size_t *match = brace_matches(s, n);

	expand_range(sb, s, 0, n, match, x, q, 0);
	free(match);
}

static char *expand_dup(const char *s, struct xctx *x, enum qmode q)
{
	struct strbuf sb = STRBUF_INIT;

	expand(&sb, s, x, q);
	return strbuf_detach(&sb, NULL);
}

/* ------------------------------------------------------------ yaml */

static yaml_node_t *ynode(int id)
{
	return yaml_document_get_node(&P.doc, id);
}

static const char *yscalar(const yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		cfg_die(n, "%s must be a single value", what);
	return (const char *)n->data.scalar.value;
}

static int ynull(const yaml_node_t *n)
{
	const char *s;

	if (!n)
		return 1;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)n->data.scalar.value;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null");
}

#define YMAP_EACH(n, p) \
	for (p = (n)->data.mapping.pairs.start; p < (n)->data.mapping.pairs.top; p++)
#define YSEQ_EACH(n, it) \
	for (it = (n)->data.sequence.items.start; it < (n)->data.sequence.items.top; it++)

static void load_yaml(const char *path)
{
	yaml_parser_t parser;
	FILE *fp = fopen(path, "rb");

	if (!fp)
		die(errno == ENOENT ? RFT_EX_NOINPUT : RFT_EX_IOERR, "cannot open '%s':", path);
	if (!yaml_parser_initialize(&parser))
		die(RFT_EX_SOFTWARE, "cannot start the YAML parser");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &P.doc)) {
		snprintf(msgbuf, sizeof(msgbuf), "%s:%zu:%zu: %s%s%s", path,
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "YAML error",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(fp);
		die(RFT_EX_CONFIG, "%s", msgbuf);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	P.have_doc = 1;
}

/* ------------------------------------------------------------ loading */

static char *path_norm(const char *p)
{
	struct strbuf sb = STRBUF_INIT;

	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/'; p++)
			;
	for (; *p; p++) {
		if (*p == '/' && sb.len && sb.buf[sb.len - 1] == '/')
			continue;
		if (*p == '/' && p[1] == '.' && p[2] == '/') {
			p++;
			continue;
		}
		strbuf_addch(&sb, *p);
	}
	if (sb.len > 1 && sb.buf[sb.len - 1] == '/')
		strbuf_setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb, NULL);
}

static void load_files(struct stage *s, yaml_node_t *n, int isout)
{
	struct pfile **fp = isout ? &s->out : &s->in;
	size_t *np = isout ? &s->nout : &s->nin, cap = 0;
	struct xctx x = { NULL, NULL, NULL, n };
	const char *what = isout ? "out" : "in";

	if (ynull(n))
		return;
	if (n->type == YAML_SCALAR_NODE) {
		cap = 1;
	} else if (n->type == YAML_SEQUENCE_NODE) {
		cap = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	} else {
		cap = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	}
	*fp = ecalloc(cap ? cap : 1, sizeof(**fp));
	if (n->type == YAML_SCALAR_NODE) {
		char *e = expand_dup(yscalar(n, what), &x, Q_NONE);

		(*fp)[(*np)++].path = path_norm(e);
		free(e);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		YSEQ_EACH(n, it) {
			yaml_node_t *v = ynode(*it);
			char *e;

			x.node = v;
			e = expand_dup(yscalar(v, what), &x, Q_NONE);
			(*fp)[(*np)++].path = path_norm(e);
			free(e);
		}
	} else {
		yaml_node_pair_t *p;

		YMAP_EACH(n, p) {
			yaml_node_t *k = ynode(p->key), *v = ynode(p->value);
			const char *ks = yscalar(k, "a file's name");
			size_t i;
			char *e;

			if (!valid_ident(ks, strlen(ks)))
				cfg_die(k, "bad %s name '%s' (letters, digits, '_')", what, ks);
			for (i = 0; i < *np; i++)
				if (!strcmp((*fp)[i].name, ks))
					cfg_die(k, "%s '%s' given twice", what, ks);
			x.node = v;
			e = expand_dup(yscalar(v, what), &x, Q_NONE);
			(*fp)[*np].name = estrdup(ks);
			(*fp)[(*np)++].path = path_norm(e);
			free(e);
		}
	}
	if (*np == 0)
		return;
	{
		size_t i, j;

		for (i = 0; i < *np; i++) {
			if (!(*fp)[i].path[0])
				cfg_die(n, "stage '%s': an empty %s file name", s->name, what);
			for (j = 0; j < i; j++)
				if (!strcmp((*fp)[i].path, (*fp)[j].path))
					cfg_die(n, "stage '%s': '%s' is listed twice in %s", s->name,
						(*fp)[i].path, what);
		}
	}
}

/* the rft filters (and jq) a command runs: "rft-X" words and "rft X" pairs */
static void find_tools(struct stage *s, char *const *argv)
{
	struct strv words = { 0 };
	size_t i, j;

	for (i = 0; argv[i]; i++) {
		const char *a = argv[i];

		/* the text of "bash -o pipefail -c TEXT" */
		if (i >= 4 && !strcmp(argv[i - 4], "bash") && !strcmp(argv[i - 1], "-c")) {
			const char *p = a;

			while (*p) {   /* split the shell text into words, roughly */
				size_t n = strcspn(p, " \t\n;|&()<>`'\"{}$");

				if (n)
					strv_push(&words, estrndup(p, n));
				p += n;
				if (*p)
					p++;
			}
		} else {
			strv_push(&words, estrdup(a));
		}
	}
	for (i = 0; i < words.n; i++) {
		const char *w = words.v[i], *base = strrchr(w, '/');
		struct strbuf t = STRBUF_INIT;

		base = base ? base + 1 : w;
		if (!strcmp(base, "rft") && i + 1 < words.n && valid_ident(words.v[i + 1], strlen(words.v[i + 1])))
			strbuf_addf(&t, "rft-%s", words.v[i + 1]);
		else if (!strncmp(base, "rft-", 4) && valid_ident(base + 4, strlen(base + 4)))
			strbuf_addstr(&t, base);
		else if (!strcmp(base, "jq"))
			strbuf_addstr(&t, "jq");
		if (!t.len)
			continue;
		for (j = 0; j < s->ntools; j++)
			if (!strcmp(s->tools[j], t.buf))
				break;
		if (j < s->ntools) {
			strbuf_release(&t);
			continue;
		}
		s->tools = erealloc(s->tools, (s->ntools + 1) * sizeof(*s->tools));
		s->tools[s->ntools++] = strbuf_detach(&t, NULL);
	}
	strv_free(&words);
}

/*
 * The command of stage s with outputs named outs (final or temporary) as it
 * runs unsharded: the argv to exec, and the file its stdout goes to (NULL:
 * the log).  used (may be NULL) gets which outputs the command names.
 */
static void build_inner(struct stage *s, char **outs, unsigned char *used, struct strv *av,
			char **stdout_to)
{
	struct xctx x = { s, outs, used, s->cmd };
	size_t i;

	*stdout_to = NULL;
	if (s->kind == K_JQ) {
		strv_push(av, estrdup("jq"));
		strv_push(av, estrdup("-c"));
		strv_push(av, expand_dup((const char *)s->cmd->data.scalar.value, &x, Q_JSON));
		for (i = 0; i < s->nin; i++)
			strv_push(av, estrdup(s->in[i].path));
		*stdout_to = estrdup(outs[0]);
		return;
	}
	if (s->kind == K_SHELL) {
		strv_push(av, estrdup("bash"));
		strv_push(av, estrdup("-o"));
		strv_push(av, estrdup("pipefail"));
		strv_push(av, estrdup("-c"));
		strv_push(av, expand_dup((const char *)s->cmd->data.scalar.value, &x, Q_SHELL));
		return;
	}
	{
		yaml_node_item_t *it;

		YSEQ_EACH(s->cmd, it) {
			yaml_node_t *v = ynode(*it);
			const char *a = yscalar(v, "each cmd argument");

			x.node = v;
			if (!strcmp(a, "${in}") || !strcmp(a, "${out}")) {
				int isout = a[2] == 'o';
				size_t nf = isout ? s->nout : s->nin, k;

				if (nf == 0)
					cfg_die(v, "stage '%s' has no %s", s->name, isout ? "out" : "in");
				for (k = 0; k < nf; k++) {
					strv_push(av, estrdup(isout ? outs[k] : s->in[k].path));
					if (isout && used)
						used[k] = 1;
				}
				continue;
			}
			strv_push(av, expand_dup(a, &x, Q_NONE));
		}
		if (av->n == 0)
			cfg_die(s->cmd, "stage '%s': cmd is an empty list", s->name);
	}
}

static void render(struct strbuf *sb, char *const *argv, const char *stdout_to);

/*
 * A sharded stage: the command in av (from build_inner) is replaced by GNU
 * parallel running it, its stdout going to the first output (*stdout_to).
 *
 * GNU parallel expands its replacement strings - {}, {#}, {%}, {= perl =},
 * --rpl ones - anywhere in the command it is given (-q or not) and in
 * --workdir, so no text from the pipeline's values may reach it.  The
 * command, as shell text, goes in the environment variable RFT_SHARD_CMD
 * (set by env(1), so the dry run's script does the same) and parallel runs
 * the fixed  bash -o pipefail -c 'eval "$RFT_SHARD_CMD"'.  With hosts the
 * jobs get it with --env (parallel passes values as data), and this
 * directory in RFT_SHARD_DIR to cd to (not --workdir: parallel expands it).
 */
/*
 * A remote job takes its piece of the first input on stdin, keeps it in a
 * temporary file, runs the command on it and then prints a marker line,
 * "\036rft-run shard SEQ BYTES": the job's number and the bytes of input it
 * ran on.  parallel's ssh wrapper can end 0 without running a job (a host
 * that cannot start it), so a stage run on hosts succeeds only when the
 * markers come in order and count every byte of the input (check_shards);
 * they are taken out of the output.  No text of the pipeline is in it.
 */
#define SHARD_MARK "\036rft-run shard "
#define SHARD_JOB "f=$(mktemp) && trap 'rm -f -- \"$f\"' EXIT && cat > \"$f\" && n=$(wc -c < \"$f\") && " \
	"eval \"$" SHARD_VAR "\" < \"$f\" && printf '\\036rft-run shard %s %s\\n' \"$PARALLEL_SEQ\" \"$((n))\""

/* the stage's job log (parallel --joblog): which host ran which piece, how it ended */
static char *joblog_path(const struct stage *s)
{
	struct strbuf sb = STRBUF_INIT;

	/* a name starting with '+' would make parallel append */
	strbuf_addf(&sb, "%s%s/%s.jobs", P.logs[0] == '+' ? "./" : "", P.logs, s->name);
	return strbuf_detach(&sb, NULL);
}

/* parallel's options of a stage run on hosts: the job log; without a shared file system the transfer */
static void remote_args(struct stage *s, struct strv *av)
{
	size_t i;

	strv_push(av, estrdup("--joblog"));
	strv_push(av, joblog_path(s));
	if (!s->workdir)
		return;
	strv_push(av, estrdup("--workdir"));
	strv_push(av, estrdup(s->workdir));
	for (i = 1; i < s->nin; i++) {
		strv_push(av, estrdup("--basefile"));
		strv_push(av, estrdup(s->in[i].path));
	}
	strv_push(av, estrdup("--cleanup"));
}

static void wrap_shards(struct stage *s, char **outs, struct strv *av, char **stdout_to)
{
	struct strbuf cmd = STRBUF_INIT;
	struct strv inner = *av;
	char sbuf[32];
	size_t i;
	int remote = s->nhosts || s->hostfile;

	memset(av, 0, sizeof(*av));
	strbuf_addstr(&cmd, SHARD_VAR "=");
	if (s->kind == K_SHELL)
		strbuf_addstr(&cmd, inner.v[4]);
	else
		render(&cmd, inner.v, NULL);
	strv_free(&inner);
	snprintf(sbuf, sizeof(sbuf), "%ld", s->shards);
	strv_push(av, estrdup("env"));
	strv_push(av, strbuf_detach(&cmd, NULL));
	if (remote && !s->workdir) {   /* the jobs run in this directory on every host */
		char *cwd = getcwd(NULL, 0);

		if (!cwd)
			die(RFT_EX_IOERR, "cannot get the current directory:");
		strbuf_addf(&cmd, SHARD_DIR "=%s", cwd);
		strv_push(av, strbuf_detach(&cmd, NULL));
		free(cwd);
	}
	strv_push(av, estrdup("parallel"));
	strv_push(av, estrdup("--will-cite"));
	strv_push(av, estrdup("--pipepart"));
	strv_push(av, estrdup("-a"));
	strv_push(av, estrdup(s->in[0].path));
	strv_push(av, estrdup("--block"));
	strv_push(av, estrdup("-1"));
	if (!remote)   /* on hosts check_shards puts the pieces in order (see SHARD_JOB) */
		strv_push(av, estrdup("-k"));
	strv_push(av, estrdup("--halt"));
	strv_push(av, estrdup("now,fail=1"));
	strv_push(av, estrdup("-j"));
	strv_push(av, estrdup(sbuf));
	for (i = 0; i < s->nhosts; i++) {
		strv_push(av, estrdup("--sshlogin"));
		strv_push(av, estrdup(s->hosts[i]));
	}
	if (s->hostfile) {
		strv_push(av, estrdup("--sshloginfile"));
		strv_push(av, estrdup(s->hostfile));
	}
	if (remote) {
		strv_push(av, estrdup("--env"));
		strv_push(av, estrdup(SHARD_VAR));
		if (!s->workdir) {
			strv_push(av, estrdup("--env"));
			strv_push(av, estrdup(SHARD_DIR));
		}
		for (i = 0; i < s->params.n; i++) {   /* params reach remote jobs too */
			strv_push(av, estrdup("--env"));
			strv_push(av, estrdup(s->params.v[i].name));
		}
		remote_args(s, av);
	}
	strv_push(av, estrdup("-q"));
	strv_push(av, estrdup("bash"));
	strv_push(av, estrdup("-o"));
	strv_push(av, estrdup("pipefail"));
	strv_push(av, estrdup("-c"));
	if (!remote)
		strv_push(av, estrdup("eval \"$" SHARD_VAR "\""));
	else if (s->workdir)
		strv_push(av, estrdup(SHARD_JOB));
	else
		strv_push(av, estrdup("cd -- \"$" SHARD_DIR "\" && " SHARD_JOB));
	free(*stdout_to);
	*stdout_to = estrdup(outs[0]);
}

/*
 * The command of stage s as it runs (build_inner, under parallel when
 * sharded): the argv to exec and the file its stdout goes to (NULL: the
 * log).  used (may be NULL) gets which outputs the command names.
 */
static void build_cmd(struct stage *s, char **outs, unsigned char *used, struct strv *av,
		      char **stdout_to)
{
	build_inner(s, outs, used, av, stdout_to);
	if (s->shards)
		wrap_shards(s, outs, av, stdout_to);
}

/* argv (and a stdout redirection) as one line of shell */
static void render(struct strbuf *sb, char *const *argv, const char *stdout_to)
{
	size_t i;

	for (i = 0; argv[i]; i++) {
		if (i)
			strbuf_addch(sb, ' ');
		shell_quote(sb, argv[i]);
	}
	if (stdout_to) {
		strbuf_addstr(sb, " > ");
		shell_quote(sb, stdout_to);
	}
}

static char **final_outs(struct stage *s)
{
	char **o = ecalloc(s->nout + 1, sizeof(*o));
	size_t i;

	for (i = 0; i < s->nout; i++)
		o[i] = s->out[i].path;
	return o;
}

/*
 * A host for parallel's --sshlogin: [N/][user@]host[:port] or ':'.  parallel
 * runs a login holding a space as an ssh command line, and ssh takes one
 * starting with '-' as an option, so a value there could be code.
 */
static int host_ok(const char *h)
{
	const char *p;

	if (!*h)
		return 0;
	for (p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._@:%+/[]-", *p)) || (*p == '-' && (p == h || p[-1] == '/')))
			return 0;
	return 1;
}

/* hosts: a list of logins (--sshlogin) or a file of them (--sshloginfile) */
static void load_host_list(struct stage *s, yaml_node_t *hosts)
{
	struct xctx x = { NULL, NULL, NULL, hosts };

	if (hosts->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		s->hosts = ecalloc((size_t)(hosts->data.sequence.items.top -
					    hosts->data.sequence.items.start) + 1, sizeof(char *));
		YSEQ_EACH(hosts, it) {
			char *h;

			x.node = ynode(*it);
			h = expand_dup(yscalar(x.node, "a host"), &x, Q_NONE);
			s->hosts[s->nhosts++] = h;
			if (!host_ok(h))
				cfg_die(x.node, "stage '%s': bad host '%s' (an ssh login: [N/][user@]host "
					"or ':'; letters, digits and ._@:%%+[]-, not starting with '-')",
					s->name, h);
		}
	} else {
		s->hostfile = expand_dup(yscalar(hosts, "hosts (a list, or a file)"), &x, Q_NONE);
	}
}

/*
 * A sent input's path: relative, without '..' (it lands under the jobs'
 * directory on each host, as the command names it).
 */
static int sendable(const char *p)
{
	const char *c;

	if (!*p || *p == '/')
		return 0;
	for (c = p; c; c = strchr(c, '/')) {
		c += *c == '/';
		if (!strncmp(c, "..", 2) && (c[2] == '/' || !c[2]))
			return 0;
	}
	return 1;
}

/*
 * hosts: {list: [...] | file: F, shared_fs: true|false}.  Without a shared
 * file system the jobs run in a directory of their own on each host, under
 * ~/.rft-run, named by this machine, the pipeline's directory and the stage
 * (no value of the pipeline: parallel expands --workdir), and every input
 * but the first (which goes in pieces on stdin) is sent there once.
 */
static void load_hosts_map(struct stage *s, yaml_node_t *hosts)
{
	yaml_node_pair_t *p;
	yaml_node_t *list = NULL;
	int shared = 1;
	size_t i;

	YMAP_EACH(hosts, p) {
		yaml_node_t *kk = ynode(p->key), *v = ynode(p->value);
		const char *key = yscalar(kk, "a key");

		if (!strcmp(key, "list") || !strcmp(key, "file")) {
			if (list)
				cfg_die(kk, "stage '%s': hosts has both list and file, or one twice", s->name);
			if ((key[0] == 'l') != (v->type == YAML_SEQUENCE_NODE))
				cfg_die(v, "stage '%s': hosts: %s must be %s", s->name, key,
					key[0] == 'l' ? "a list of ssh logins" : "a file name");
			list = v;
		} else if (!strcmp(key, "shared_fs")) {
			const char *b = yscalar(v, "shared_fs");

			if (!strcmp(b, "true"))
				shared = 1;
			else if (!strcmp(b, "false"))
				shared = 0;
			else
				cfg_die(v, "stage '%s': shared_fs is true or false, not '%s'", s->name, b);
		} else {
			cfg_die(kk, "stage '%s': hosts: unknown key '%s' (list, file, shared_fs)", s->name, key);
		}
	}
	if (!list)
		cfg_die(hosts, "stage '%s': hosts needs list or file", s->name);
	load_host_list(s, list);
	if (shared)
		return;
	for (i = 1; i < s->nin; i++) {
		struct stat st;

		if (!stat(s->in[i].path, &st) && S_ISDIR(st.st_mode))
			cfg_die(hosts, "stage '%s': with shared_fs: false '%s' is sent to each host, and "
				"parallel sends files: name the files in it as inputs", s->name, s->in[i].path);
		if (!sendable(s->in[i].path))
			cfg_die(hosts, "stage '%s': with shared_fs: false the inputs are sent to each host "
				"under the jobs' directory, so '%s' must be a relative path without '..' "
				"(data already on the hosts is named in the command, not as an input)",
				s->name, s->in[i].path);
	}
	{
		struct rft_sha256 c;
		struct strbuf sb = STRBUF_INIT;
		char host[256], hex[65], *cwd = getcwd(NULL, 0);

		if (!cwd)
			die(RFT_EX_IOERR, "cannot get the current directory:");
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		for (i = 0; host[i]; i++)
			if (!((host[i] >= 'a' && host[i] <= 'z') || (host[i] >= 'A' && host[i] <= 'Z') ||
			      (host[i] >= '0' && host[i] <= '9') || host[i] == '-' || host[i] == '.'))
				host[i] = '_';
		rft_sha256_init(&c);
		rft_sha256_update(&c, cwd, strlen(cwd) + 1);
		rft_sha256_update(&c, P.file, strlen(P.file) + 1);
		sha256_hex(&c, hex);
		strbuf_addf(&sb, ".rft-run/%s-%.12s-%s", host, hex, s->name);
		s->workdir = strbuf_detach(&sb, NULL);
		free(cwd);
	}
}

static void load_stage(struct stage *s, yaml_node_t *k, yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_t *in = NULL, *out = NULL, *params = NULL, *shards = NULL, *hosts = NULL;
	const char *name = yscalar(k, "a stage name");
	size_t i;

	for (i = 0; name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || strchr("_.-", name[i])))
			break;
	if (!*name || name[i] || name[0] == '.' || name[0] == '-')
		cfg_die(k, "bad stage name '%s' (letters, digits, '_', '.', '-')", name);
	s->name = estrdup(name);
	s->node = n;
	if (n->type != YAML_MAPPING_NODE)
		cfg_die(n, "stage '%s' must be a mapping (cmd:, in:, out:, ...)", name);
	YMAP_EACH(n, p) {
		yaml_node_t *kk = ynode(p->key), *v = ynode(p->value);
		const char *key = yscalar(kk, "a key");

		if (!strcmp(key, "cmd") || !strcmp(key, "jq")) {
			if (s->cmd)
				cfg_die(kk, "stage '%s' has both cmd and jq, or one twice", name);
			s->cmd = v;
			if (key[0] == 'j') {
				s->kind = K_JQ;
				yscalar(v, "jq (an expression)");
			} else if (v->type == YAML_SEQUENCE_NODE) {
				s->kind = K_ARGV;
			} else if (v->type == YAML_SCALAR_NODE) {
				s->kind = K_SHELL;
			} else {
				cfg_die(v, "cmd must be a list (argv, no shell) or a string (bash)");
			}
		} else if (!strcmp(key, "in")) {
			in = v;
		} else if (!strcmp(key, "out")) {
			out = v;
		} else if (!strcmp(key, "params")) {
			params = v;
		} else if (!strcmp(key, "shards")) {
			shards = v;
		} else if (!strcmp(key, "hosts")) {
			hosts = v;
		} else if (!strcmp(key, "desc")) {
			yscalar(v, "desc");
		} else {
			cfg_die(kk, "stage '%s': unknown key '%s' (cmd, jq, in, out, params, shards, "
				"hosts, desc)", name, key);
		}
	}
	if (!s->cmd)
		cfg_die(n, "stage '%s' has neither cmd nor jq", name);
	if (params && !ynull(params)) {
		if (params->type != YAML_MAPPING_NODE)
			cfg_die(params, "params must be a mapping of NAME: value");
		YMAP_EACH(params, p) {
			yaml_node_t *kk = ynode(p->key), *v = ynode(p->value);
			const char *key = yscalar(kk, "a param name");
			struct xctx x = { NULL, NULL, NULL, v };
			char *e;

			if (!valid_ident(key, strlen(key)) || !strcmp(key, "in") || !strcmp(key, "out") ||
			    !strcmp(key, SHARD_VAR) || !strcmp(key, SHARD_DIR))
				cfg_die(kk, "bad param name '%s' (letters, digits, '_'; not in, out, "
					SHARD_VAR " or " SHARD_DIR ")", key);
			e = expand_dup(yscalar(v, "a param value"), &x, Q_NONE);
			nv_add(&s->params, key, e);
			free(e);
		}
	}
	load_files(s, in, 0);
	load_files(s, out, 1);
	if (shards && !ynull(shards)) {
		struct xctx x = { NULL, NULL, NULL, shards };
		char *e = expand_dup(yscalar(shards, "shards"), &x, Q_NONE);
		long long v = rft_parse_count(e);

		if (v < 1 || v > 1024)
			cfg_die(shards, "shards must be a number 1..1024, not '%s'", e);
		free(e);
		s->shards = (long)v;
		if (s->kind == K_JQ)
			cfg_die(shards, "stage '%s': jq stages are not sharded (use cmd: [jq, -c, ...])", name);
		if (s->nin < 1 || s->nout != 1)
			cfg_die(shards, "stage '%s': a sharded stage reads its first input in shards "
				"on stdin and writes one output on stdout: give in and exactly one out", name);
	}
	if (hosts && !ynull(hosts)) {
		if (!s->shards)
			cfg_die(hosts, "stage '%s': hosts needs shards", name);
		if (hosts->type == YAML_MAPPING_NODE)
			load_hosts_map(s, hosts);
		else
			load_host_list(s, hosts);
	}
	if (s->kind == K_JQ && (s->nin < 1 || s->nout != 1))
		cfg_die(n, "stage '%s': a jq stage needs in and exactly one out", name);
	{
		char **outs = final_outs(s);
		unsigned char *used = ecalloc(s->nout + 1, 1);
		struct strv av = { 0 };
		struct strbuf sb = STRBUF_INIT;
		char *to;

		/* the tools and the outputs named come from the command itself, not parallel's */
		build_inner(s, outs, used, &av, &to);
		find_tools(s, av.v);
		if (s->shards)
			wrap_shards(s, outs, &av, &to);
		for (i = 0; i < s->nout; i++) {
			if (s->kind == K_JQ || s->shards) {
				if (used[i])
					cfg_die(s->cmd, "stage '%s': its output goes to stdout; do not "
						"name ${out} in its command", name);
			} else if (!used[i]) {
				cfg_die(s->cmd, "stage '%s': its command does not write out '%s' "
					"(name it as ${out[%zu]}%s%s%s so it is written under a temporary name)",
					name, s->out[i].path, i, s->out[i].name ? " or ${out." : "",
					s->out[i].name ? s->out[i].name : "", s->out[i].name ? "}" : "");
			}
		}
		render(&sb, av.v, to);
		s->text = strbuf_detach(&sb, NULL);
		strv_free(&av);
		free(to);
		free(used);
		free(outs);
	}
}

static char *default_beside(const char *file, const char *ext)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(file);

	if (n > 5 && !strcmp(file + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(file + n - 4, ".yml"))
		n -= 4;
	strbuf_add(&sb, file, n);
	strbuf_addstr(&sb, ext);
	return strbuf_detach(&sb, NULL);
}

static int depends(const struct stage *s, size_t j)
{
	size_t i;

	for (i = 0; i < s->ndeps; i++)
		if (s->deps[i] == j)
			return 1;
	return 0;
}

/* the file that makes stage a depend on stage b (a reads what b writes) */
static const char *dep_file(const struct stage *a, const struct stage *b)
{
	size_t i, j;

	for (i = 0; i < a->nin; i++)
		for (j = 0; j < b->nout; j++)
			if (!strcmp(a->in[i].path, b->out[j].path))
				return b->out[j].path;
	return "?";
}

/* dies; takes left (to free it first: leak checkers) */
static void report_cycle(unsigned char *left)
{
	size_t n = P.nst, *path = ecalloc(n + 1, sizeof(*path)), len = 0, i, cur, start;
	unsigned char *seen = ecalloc(n, 1);
	struct strbuf sb = STRBUF_INIT;

	/* every stage left has an unfinished dependency also left: walk them */
	for (cur = 0; cur < n && !left[cur]; cur++)
		;
	while (!seen[cur]) {
		seen[cur] = 1;
		path[len++] = cur;
		for (i = 0; i < P.st[cur].ndeps; i++)
			if (left[P.st[cur].deps[i]])
				break;
		cur = P.st[cur].deps[i];
	}
	for (start = 0; path[start] != cur; start++)
		;
	/* path runs consumer -> producer; print producer -> consumer */
	for (i = len; i-- > start;) {
		/* path[i]'s consumer: the one before it, or (closing the cycle) the last */
		size_t from = path[i], to = i == start ? path[len - 1] : path[i - 1];

		strbuf_addf(&sb, "%s'%s' writes '%s' read by '%s'", i == len - 1 ? "" : "; ",
			    P.st[from].name, dep_file(&P.st[to], &P.st[from]), P.st[to].name);
	}
	snprintf(msgbuf, sizeof(msgbuf), "%s", sb.buf);
	strbuf_release(&sb);
	free(path);
	free(seen);
	free(left);
	die(RFT_EX_CONFIG, "%s: the stages form a cycle: %s", P.file, msgbuf);
}

static void build_dag(void)
{
	size_t i, j, a, b, k, done = 0;
	unsigned char *left = ecalloc(P.nst + 1, 1);

	for (i = 0; i < P.nst; i++)
		for (a = 0; a < P.st[i].nout; a++)
			for (j = 0; j < i; j++)
				for (b = 0; b < P.st[j].nout; b++)
					if (!strcmp(P.st[i].out[a].path, P.st[j].out[b].path))
						cfg_die(P.st[i].node, "stages '%s' and '%s' both write '%s'",
							P.st[j].name, P.st[i].name, P.st[i].out[a].path);
	for (i = 0; i < P.nst; i++) {
		struct stage *s = &P.st[i];

		s->deps = ecalloc(P.nst + 1, sizeof(*s->deps));
		for (a = 0; a < s->nin; a++)
			for (j = 0; j < P.nst; j++)
				for (b = 0; b < P.st[j].nout; b++)
					if (!strcmp(s->in[a].path, P.st[j].out[b].path) && !depends(s, j))
						s->deps[s->ndeps++] = j;
	}
	/* Kahn's algorithm, taking the first ready stage in file order */
	P.order = ecalloc(P.nst + 1, sizeof(*P.order));
	memset(left, 1, P.nst);
	while (done < P.nst) {
		for (i = 0; i < P.nst; i++) {
			if (!left[i])
				continue;
			for (k = 0; k < P.st[i].ndeps; k++)
				if (left[P.st[i].deps[k]])
					break;
			if (k == P.st[i].ndeps)
				break;
		}
		if (i == P.nst)
			report_cycle(left);
		left[i] = 0;
		P.order[done++] = i;
	}
	free(left);
}

/*
 * Load the pipeline file (dies on any error, 78 for a bad pipeline);
 * pipeline_free() frees it.
 */
static void load(const char *file)
{
	yaml_node_t *root, *vars = NULL, *stages = NULL, *lock = NULL, *logs = NULL;
	yaml_node_pair_t *p;
	struct xctx x = { NULL, NULL, NULL, NULL };
	char *dir, *slash;
	size_t i;

	P.file = file;
	load_yaml(file);
	root = yaml_document_get_root_node(&P.doc);
	if (!root)
		die(RFT_EX_CONFIG, "%s: empty pipeline file", file);
	if (root->type != YAML_MAPPING_NODE)
		cfg_die(root, "a pipeline is a mapping with vars: and stages:");
	YMAP_EACH(root, p) {
		yaml_node_t *k = ynode(p->key), *v = ynode(p->value);
		const char *key = yscalar(k, "a key");

		if (!strcmp(key, "vars"))
			vars = v;
		else if (!strcmp(key, "stages"))
			stages = v;
		else if (!strcmp(key, "lock"))
			lock = v;
		else if (!strcmp(key, "logs"))
			logs = v;
		else if (strcmp(key, "desc"))
			cfg_die(k, "unknown key '%s' (vars, stages, lock, logs, desc)", key);
	}
	dir = estrdup(file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	nv_add(&P.vars, "pipeline", file);
	nv_add(&P.vars, "pipeline_dir", slash ? (*dir ? dir : "/") : ".");
	free(dir);
	/* rftkit's data folder: testdata/ of a source tree, share/rftkit installed */
	if ((dir = rft_data_root()))
		nv_add(&P.vars, "data_dir", dir);
	free(dir);
	if (vars && !ynull(vars)) {
		if (vars->type != YAML_MAPPING_NODE)
			cfg_die(vars, "vars must be a mapping of NAME: value");
		YMAP_EACH(vars, p) {
			yaml_node_t *k = ynode(p->key), *v = ynode(p->value);
			const char *key = yscalar(k, "a var name");
			char *e;

			if (!valid_ident(key, strlen(key)) || !strcmp(key, "in") || !strcmp(key, "out"))
				cfg_die(k, "bad var name '%s' (letters, digits, '_'; not in or out)", key);
			if (nv_get(&sets, key))
				continue;   /* --set wins, and its default is not needed */
			x.node = v;
			e = expand_dup(ynull(v) ? "" : yscalar(v, "a var's value"), &x, Q_NONE);
			nv_add(&P.vars, key, e);
			free(e);
		}
	}
	x.node = lock;
	P.lock = lock ? expand_dup(yscalar(lock, "lock"), &x, Q_NONE) : default_beside(file, ".lock");
	x.node = logs;
	P.logs = logs ? expand_dup(yscalar(logs, "logs"), &x, Q_NONE) : default_beside(file, ".logs");
	if (!stages || ynull(stages))
		cfg_die(root, "no stages");
	if (stages->type != YAML_MAPPING_NODE)
		cfg_die(stages, "stages must be a mapping of NAME: stage (in the order they are listed)");
	P.nst = (size_t)(stages->data.mapping.pairs.top - stages->data.mapping.pairs.start);
	P.st = ecalloc(P.nst + 1, sizeof(*P.st));
	i = 0;
	YMAP_EACH(stages, p) {
		yaml_node_t *k = ynode(p->key);
		size_t j;

		load_stage(&P.st[i], k, ynode(p->value));
		for (j = 0; j < i; j++)
			if (!strcmp(P.st[j].name, P.st[i].name))
				cfg_die(k, "two stages are named '%s'", P.st[i].name);
		P.st[i].inrec = (struct strbuf)STRBUF_INIT;
		i++;
	}
	build_dag();
}

static void pipeline_free(void)
{
	size_t i, j;

	for (i = 0; i < P.nst; i++) {
		struct stage *s = &P.st[i];

		free(s->name);
		for (j = 0; j < s->nin; j++) {
			free(s->in[j].name);
			free(s->in[j].path);
		}
		for (j = 0; j < s->nout; j++) {
			free(s->out[j].name);
			free(s->out[j].path);
		}
		free(s->in);
		free(s->out);
		nv_free(&s->params);
		for (j = 0; j < s->nhosts; j++)
			free(s->hosts[j]);
		free(s->hosts);
		free(s->hostfile);
		free(s->workdir);
		free(s->deps);
		free(s->text);
		for (j = 0; j < s->ntools; j++)
			free(s->tools[j]);
		free(s->tools);
		free(s->key);
		free(s->log);
		strbuf_release(&s->inrec);
	}
	free(P.st);
	P.st = NULL;        /* the exit hook (kill_running) then finds nothing */
	P.nst = 0;
	free(P.order);
	free(P.lock);
	free(P.logs);
	nv_free(&P.vars);
	if (P.have_doc)
		yaml_document_delete(&P.doc);
	P.have_doc = 0;
}

/* ------------------------------------------------------------ hashing */

/*
 * While stages run, the stop signals are blocked but in sigsuspend() (see
 * run()); long work (hashing a corpus) polls for them here.  Sets got_signal.
 */
static volatile sig_atomic_t got_signal;

static int stop_pending(void)
{
	static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t p;
	size_t i;

	if (got_signal)
		return 1;
	if (sigpending(&p) < 0)
		return 0;
	for (i = 0; i < sizeof(stops) / sizeof(*stops); i++)
		if (sigismember(&p, stops[i]))
			got_signal = stops[i];
	return got_signal != 0;
}

struct hcache {          /* path -> sha256, trusted while size and mtime agree */
	char *path;
	long long size, mtime_ns;
	char sha[65];
};

static struct hcache *cache;
static size_t ncache, acache;

static void cache_put(const char *path, long long size, long long mtime, const char *sha)
{
	size_t i;

	for (i = 0; i < ncache; i++)
		if (!strcmp(cache[i].path, path))
			break;
	if (i == ncache) {
		if (ncache == acache) {
			acache = acache ? 2 * acache : 32;
			cache = erealloc(cache, acache * sizeof(*cache));
		}
		cache[ncache++].path = estrdup(path);
	}
	cache[i].size = size;
	cache[i].mtime_ns = mtime;
	memcpy(cache[i].sha, sha, 65);
}

static long long mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

struct fhash {
	char sha[65];
	long long size, mtime;
	int dir;
};

static int hash_path(const char *path, struct fhash *h);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a directory: sha256 over "name\0sha\n" of its entries, sorted, recursively */
static int hash_dir(const char *path, struct fhash *h)
{
	DIR *d = opendir(path);
	struct dirent *e;
	struct strv names = { 0 };
	struct rft_sha256 c;
	size_t i;
	int ret = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strv_push(&names, estrdup(e->d_name));
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	rft_sha256_init(&c);
	h->size = 0;
	for (i = 0; i < names.n && ret == 0; i++) {
		struct strbuf sub = STRBUF_INIT;
		struct fhash eh;

		strbuf_addf(&sub, "%s/%s", path, names.v[i]);
		ret = hash_path(sub.buf, &eh);
		strbuf_release(&sub);
		rft_sha256_update(&c, names.v[i], strlen(names.v[i]) + 1);
		rft_sha256_update(&c, eh.sha, 64);
		rft_sha256_update(&c, "\n", 1);
		h->size += eh.size;
	}
	strv_free(&names);
	sha256_hex(&c, h->sha);
	h->dir = 1;
	h->mtime = 0;
	return ret;
}

/* 0 and h, or -1 with errno (ENOENT: missing) */
static int hash_path(const char *path, struct fhash *h)
{
	struct stat st;
	struct rft_sha256 c;
	char buf[65536];
	ssize_t n;
	size_t i;
	int fd;

	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return hash_dir(path, h);
	h->dir = 0;
	h->size = (long long)st.st_size;
	h->mtime = mtime_ns(&st);
	for (i = 0; i < ncache; i++)
		if (!strcmp(cache[i].path, path) && cache[i].size == h->size &&
		    cache[i].mtime_ns == h->mtime) {
			memcpy(h->sha, cache[i].sha, 65);
			return 0;
		}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rft_sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		rft_sha256_update(&c, buf, (size_t)n);
		if (stop_pending()) {
			n = -1;
			errno = EINTR;
			break;
		}
	}
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	sha256_hex(&c, h->sha);
	cache_put(path, h->size, h->mtime, h->sha);
	return 0;
}

/* ------------------------------------------------------------ the lock file */

static struct json_object *oldlock;      /* as read; NULL when none */
static char **newrec;                    /* per stage: its lock entry (JSON), or NULL */

static struct json_object *old_entry(const char *stage)
{
	return rft_json_get(rft_json_get(oldlock, "stages"), stage);
}

static void seed_cache(struct json_object *files)
{
	struct json_object_iterator it, end;

	if (!files || !json_object_is_type(files, json_type_object))
		return;
	it = json_object_iter_begin(files);
	end = json_object_iter_end(files);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		struct json_object *f = json_object_iter_peek_value(&it);
		const char *sha = rft_json_get_str(f, "sha256");
		struct json_object *sz = rft_json_get(f, "size"), *mt = rft_json_get(f, "mtime_ns");

		if (sha && strlen(sha) == 64 && sz && mt)
			cache_put(json_object_iter_peek_name(&it), json_object_get_int64(sz),
				  json_object_get_int64(mt), sha);
	}
}

static void read_lock(void)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	char buf[65536];
	ssize_t n;
	int fd = open(P.lock, O_RDONLY | O_CLOEXEC);
	size_t i;

	newrec = ecalloc(P.nst + 1, sizeof(*newrec));
	if (fd < 0) {
		if (errno != ENOENT)
			die(RFT_EX_IOERR, "cannot open '%s':", P.lock);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(&sb, buf, (size_t)n);
	close(fd);
	if (n < 0)
		die(RFT_EX_IOERR, "cannot read '%s':", P.lock);
	if (rft_json_parse(sb.buf, sb.len, &oldlock, &err) < 0 ||
	    !json_object_is_type(oldlock, json_type_object)) {
		/* a damaged lock only costs a rerun */
		warn("%s: not a lock file (%s); every stage will run", P.lock,
		     err.len ? err.buf : "not an object");
		json_object_put(oldlock);
		oldlock = NULL;
	}
	strbuf_release(&sb);
	strbuf_release(&err);
	for (i = 0; i < P.nst; i++) {
		struct json_object *e = old_entry(P.st[i].name);

		if (e) {
			struct strbuf r = STRBUF_INIT;

			json_put_value(&r, e);
			newrec[i] = strbuf_detach(&r, NULL);
			seed_cache(rft_json_get(e, "in"));
			seed_cache(rft_json_get(e, "out"));
		}
	}
}

static void mkdirs(const char *dir)
{
	char *d = estrdup(dir), *p;

	for (p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0777) < 0 && errno != EEXIST)
			die(RFT_EX_IOERR, "cannot create directory '%s':", d);
		*p = '/';
	}
	if (*d && mkdir(d, 0777) < 0 && errno != EEXIST)
		die(RFT_EX_IOERR, "cannot create directory '%s':", d);
	free(d);
}

static void mkparent(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash && slash != path) {
		char *d = estrndup(path, (size_t)(slash - path));

		mkdirs(d);
		free(d);
	}
}

static void write_lock(void)
{
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	size_t i, off;
	ssize_t n = 0;
	int first = 1, fd;

	mkparent(P.lock);
	strbuf_addstr(&sb, "{\"rft-run\":1,\"pipeline\":");
	json_put_str(&sb, P.file);
	strbuf_addstr(&sb, ",\"stages\":{");
	for (i = 0; i < P.nst; i++) {
		if (!newrec[i])
			continue;
		strbuf_addstr(&sb, first ? "\n" : ",\n");
		first = 0;
		json_put_str(&sb, P.st[i].name);
		strbuf_addch(&sb, ':');
		strbuf_addstr(&sb, newrec[i]);
	}
	strbuf_addstr(&sb, "\n}}\n");
	/*
	 * Temporary file and rename by hand: common/output would install its own
	 * SIGINT/SIGTERM handlers, and ours must stay (they stop the stages).
	 */
	strbuf_addf(&tmp, "%s.tmp.%ld", P.lock, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		die(RFT_EX_IOERR, "cannot write the lock file '%s':", tmp.buf);
	for (off = 0; off < sb.len; off += (size_t)n) {
		n = write(fd, sb.buf + off, sb.len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n < 0)
			break;
	}
	if (n < 0 || fsync(fd) < 0 || close(fd) < 0 || rename(tmp.buf, P.lock) < 0) {
		int e = errno;

		unlink(tmp.buf);
		errno = e;
		die(RFT_EX_IOERR, "cannot write the lock file '%s':", P.lock);
	}
	strbuf_release(&tmp);
	strbuf_release(&sb);
}

/* ------------------------------------------------------------ tool versions */

static struct nvlist versions;

/* first line of `TOOL --version`, or "(cannot run TOOL)" */
static const char *tool_version(const char *tool)
{
	const char *v = nv_get(&versions, tool);
	int fds[2];
	pid_t pid;
	struct strbuf sb = STRBUF_INIT;
	char buf[512];
	ssize_t n;
	int status;

	if (v)
		return v;
	if (pipe(fds) < 0)
		die(RFT_EX_SOFTWARE, "pipe:");
	pid = fork();
	if (pid < 0)
		die(RFT_EX_SOFTWARE, "fork:");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(fds[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		close(fds[0]);
		close(fds[1]);
		signal(SIGPIPE, SIG_DFL);
		execlp(tool, tool, "--version", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_add(&sb, buf, (size_t)n);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	strbuf_setlen(&sb, strcspn(sb.buf, "\n"));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !sb.len) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "(cannot run %s --version)", tool);
	}
	nv_add(&versions, tool, sb.buf);
	strbuf_release(&sb);
	return nv_get(&versions, tool);
}

/* ------------------------------------------------------------ deciding */

enum verdict { V_UPTODATE, V_RUN, V_MISSING_INPUT, V_STOP };

/*
 * Hash stage s's inputs (into s->inrec and s->bytes_in) and compute its key.
 * V_MISSING_INPUT (with *missing) when an input does not exist.
 */
static enum verdict compute_key(struct stage *s, const char **missing)
{
	struct rft_sha256 c;
	char hex[65];
	size_t i;

	strbuf_reset(&s->inrec);
	s->bytes_in = 0;
	rft_sha256_init(&c);
	rft_sha256_update(&c, "rft-run key 1\ncmd\t", 18);
	rft_sha256_update(&c, s->text, strlen(s->text) + 1);
	strbuf_addch(&s->inrec, '{');
	for (i = 0; i < s->nin; i++) {
		struct fhash h;

		if (hash_path(s->in[i].path, &h) < 0) {
			if (errno == EINTR && got_signal)
				return V_STOP;
			if (errno == ENOENT) {
				*missing = s->in[i].path;
				return V_MISSING_INPUT;
			}
			die(RFT_EX_IOERR, "stage '%s': cannot read input '%s':", s->name, s->in[i].path);
		}
		s->bytes_in += (unsigned long long)h.size;
		rft_sha256_update(&c, "in\t", 3);
		rft_sha256_update(&c, s->in[i].path, strlen(s->in[i].path) + 1);
		rft_sha256_update(&c, h.sha, 64);
		json_put_key(&s->inrec, s->in[i].path, i == 0);
		strbuf_addstr(&s->inrec, "{\"sha256\":");
		json_put_str(&s->inrec, h.sha);
		if (!h.dir)
			strbuf_addf(&s->inrec, ",\"size\":%lld,\"mtime_ns\":%lld", h.size, h.mtime);
		strbuf_addch(&s->inrec, '}');
	}
	strbuf_addch(&s->inrec, '}');
	for (i = 0; i < s->ntools; i++) {
		const char *v = tool_version(s->tools[i]);

		rft_sha256_update(&c, "tool\t", 5);
		rft_sha256_update(&c, s->tools[i], strlen(s->tools[i]) + 1);
		rft_sha256_update(&c, v, strlen(v) + 1);
	}
	for (i = 0; i < s->params.n; i++) {
		rft_sha256_update(&c, "param\t", 6);
		rft_sha256_update(&c, s->params.v[i].name, strlen(s->params.v[i].name) + 1);
		rft_sha256_update(&c, s->params.v[i].value, strlen(s->params.v[i].value) + 1);
	}
	sha256_hex(&c, hex);
	free(s->key);
	s->key = estrdup(hex);
	return V_RUN;
}

/* are s's outputs those its last successful run recorded? */
static int outputs_intact(struct stage *s, struct json_object *e, const char **why_not, int *missing)
{
	struct json_object *outs = rft_json_get(e, "out");
	size_t i;

	for (i = 0; i < s->nout; i++) {
		struct json_object *r = rft_json_get(outs, s->out[i].path);
		const char *sha = rft_json_get_str(r, "sha256");
		struct fhash h;

		*why_not = s->out[i].path;
		if (hash_path(s->out[i].path, &h) < 0) {
			*missing = 1;
			return 0;
		}
		*missing = 0;
		if (!sha || strcmp(sha, h.sha))
			return 0;
	}
	return 1;
}

static enum verdict decide(struct stage *s, const char **missing)
{
	struct json_object *e = old_entry(s->name);
	const char *key, *f;
	enum verdict v;
	int miss;

	/* a plan needs no key (no hashing, no version probes) for a stage that runs anyway */
	if ((opt.dry || opt.why) && (!e || opt.force))
		return V_RUN;
	v = compute_key(s, missing);
	if (v != V_RUN)
		return v;
	key = rft_json_get_str(e, "key");
	if (opt.force || !key || strcmp(key, s->key) || !outputs_intact(s, e, &f, &miss))
		return V_RUN;
	return V_UPTODATE;
}

/* ------------------------------------------------------------ selection */

static void mark_down(size_t i, unsigned char *m)
{
	size_t j;

	if (m[i])
		return;
	m[i] = 1;
	for (j = 0; j < P.nst; j++)
		if (depends(&P.st[j], i))
			mark_down(j, m);
}

static void mark_up(size_t i, unsigned char *m)
{
	size_t k;

	if (m[i])
		return;
	m[i] = 1;
	for (k = 0; k < P.st[i].ndeps; k++)
		mark_up(P.st[i].deps[k], m);
}

static size_t find_stage(const char *name)
{
	size_t i;
	struct strbuf sb = STRBUF_INIT;

	for (i = 0; i < P.nst; i++)
		if (!strcmp(P.st[i].name, name))
			return i;
	for (i = 0; i < P.nst; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", P.st[i].name);
	snprintf(msgbuf, sizeof(msgbuf), "%s", sb.buf);
	strbuf_release(&sb);
	die(RFT_EX_USAGE, "%s has no stage '%s' (stages: %s)", P.file, name, msgbuf);
}

static void select_stages(void)
{
	unsigned char *down = ecalloc(P.nst + 1, 1), *up = ecalloc(P.nst + 1, 1);
	size_t i;

	if (opt.from)
		mark_down(find_stage(opt.from), down);
	else
		memset(down, 1, P.nst);
	if (opt.until)
		mark_up(find_stage(opt.until), up);
	else
		memset(up, 1, P.nst);
	for (i = 0; i < P.nst; i++)
		P.st[i].state = down[i] && up[i] ? S_WAIT : S_OFF;
	free(down);
	free(up);
}

/* a missing input no stage writes: stop before anything runs (66) */
static void check_sources(void)
{
	size_t i, a, k, b;

	for (i = 0; i < P.nst; i++) {
		struct stage *s = &P.st[i];

		if (s->state == S_OFF)
			continue;
		for (a = 0; a < s->nin; a++) {
			int made = 0;

			for (k = 0; k < s->ndeps && !made; k++)
				for (b = 0; b < P.st[s->deps[k]].nout; b++)
					if (!strcmp(P.st[s->deps[k]].out[b].path, s->in[a].path) &&
					    P.st[s->deps[k]].state != S_OFF)
						made = 1;
			if (!made && access(s->in[a].path, F_OK) < 0) {
				const char *writer = NULL;

				for (k = 0; k < s->ndeps; k++)
					for (b = 0; b < P.st[s->deps[k]].nout; b++)
						if (!strcmp(P.st[s->deps[k]].out[b].path, s->in[a].path))
							writer = P.st[s->deps[k]].name;
				if (writer)
					die(RFT_EX_NOINPUT, "stage '%s': input '%s' does not exist and stage "
					    "'%s', which writes it, is not selected", s->name, s->in[a].path, writer);
				die(RFT_EX_NOINPUT, "stage '%s': input '%s' does not exist and no stage "
				    "writes it", s->name, s->in[a].path);
			}
		}
	}
}

/* ------------------------------------------------------------ PATH */

static int path_has(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	const char *p = path;

	while (p && *p) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && !strncmp(p, dir, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

/* stages find the filters beside rft-run when PATH does not have them */
static void setup_path(void)
{
	char self[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");
	struct strbuf sb = STRBUF_INIT;

	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (path && path_has(path, self))
		return;
	selfdir = estrdup(self);
	strbuf_addf(&sb, "%s%s%s", path ? path : "", path && *path ? ":" : "", self);
	setenv("PATH", sb.buf, 1);
	strbuf_release(&sb);
}

/* ------------------------------------------------------------ dry run, why */

/* which selected stages would run: out of date, or after one that runs */
static void plan(void)
{
	size_t oi, k;

	for (oi = 0; oi < P.nst; oi++) {
		struct stage *s = &P.st[P.order[oi]];
		const char *missing;

		if (s->state == S_OFF)
			continue;
		for (k = 0; k < s->ndeps; k++)
			if (P.st[s->deps[k]].would_run)
				s->would_run = 1;
		if (!s->would_run && decide(s, &missing) != V_UPTODATE)
			s->would_run = 1;
	}
}

static void dry_run(void)
{
	struct strv dirs = { 0 };
	struct strbuf sb = STRBUF_INIT;
	size_t oi, i, k;

	plan();
	for (oi = 0; oi < P.nst; oi++) {
		struct stage *s = &P.st[P.order[oi]];

		if (!s->would_run)
			continue;
		if (!sb.len) {
			strbuf_addf(&sb, "#!/bin/sh\n# rft-run --dry-run %s: the stages that would run, in order\nset -e\n",
				    P.file);
			if (selfdir) {
				strbuf_addstr(&sb, "PATH=\"$PATH\":");
				shell_quote(&sb, selfdir);
				strbuf_addch(&sb, '\n');
			}
		}
		strbuf_addf(&sb, "# %s\n", s->name);
		for (i = 0; i < s->nout; i++) {
			const char *slash = strrchr(s->out[i].path, '/');
			char *d;

			if (!slash || slash == s->out[i].path)
				continue;
			d = estrndup(s->out[i].path, (size_t)(slash - s->out[i].path));
			for (k = 0; k < dirs.n; k++)
				if (!strcmp(dirs.v[k], d))
					break;
			if (k < dirs.n) {
				free(d);
				continue;
			}
			strbuf_addstr(&sb, "mkdir -p ");
			shell_quote(&sb, d);
			strbuf_addch(&sb, '\n');
			strv_push(&dirs, d);
		}
		if (s->params.n) {
			strbuf_addstr(&sb, "env");
			for (i = 0; i < s->params.n; i++) {
				struct strbuf a = STRBUF_INIT;

				strbuf_addf(&a, "%s=%s", s->params.v[i].name, s->params.v[i].value);
				strbuf_addch(&sb, ' ');
				shell_quote(&sb, a.buf);
				strbuf_release(&a);
			}
			strbuf_addch(&sb, ' ');
		}
		strbuf_addstr(&sb, s->text);
		strbuf_addch(&sb, '\n');
	}
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
	strv_free(&dirs);
}

static void short_sha(struct strbuf *sb, const char *sha)
{
	strbuf_addf(sb, "%.12s", sha ? sha : "?");
}

static void why(const char *name)
{
	struct stage *s = &P.st[find_stage(name)];
	struct json_object *e = old_entry(s->name), *olds, *oldp;
	struct strbuf sb = STRBUF_INIT;
	const char *missing = NULL, *f, *okey;
	size_t i, k;
	int miss, reasons = 0;
	enum verdict v;

	plan();
	v = compute_key(s, &missing);
	for (k = 0; k < s->ndeps; k++) {
		struct stage *d = &P.st[s->deps[k]];

		if (d->would_run) {
			strbuf_addf(&sb, "%s: upstream stage '%s' runs first (its outputs may change)\n",
				    s->name, d->name);
			reasons++;
		}
	}
	if (v == V_MISSING_INPUT) {
		strbuf_addf(&sb, "%s: input '%s' does not exist yet\n", s->name, missing);
		reasons++;
	}
	okey = rft_json_get_str(e, "key");
	if (!e || !okey) {
		strbuf_addf(&sb, "%s: never run to success (no entry in %s)\n", s->name, P.lock);
		goto out;
	}
	if (strcmp(rft_json_get_str(e, "cmd") ? rft_json_get_str(e, "cmd") : "", s->text)) {
		strbuf_addf(&sb, "%s: the command changed\n  was: %s\n  now: %s\n", s->name,
			    rft_json_get_str(e, "cmd") ? rft_json_get_str(e, "cmd") : "?", s->text);
		reasons++;
	}
	olds = rft_json_get(e, "in");
	for (i = 0; i < s->nin && v != V_MISSING_INPUT; i++) {
		struct fhash h;
		const char *osha = rft_json_get_str(rft_json_get(olds, s->in[i].path), "sha256");

		if (hash_path(s->in[i].path, &h) < 0)
			continue;
		if (!osha) {
			strbuf_addf(&sb, "%s: '%s' is a new input\n", s->name, s->in[i].path);
			reasons++;
		} else if (strcmp(osha, h.sha)) {
			strbuf_addf(&sb, "%s: input '%s' changed (sha256 ", s->name, s->in[i].path);
			short_sha(&sb, osha);
			strbuf_addstr(&sb, " -> ");
			short_sha(&sb, h.sha);
			strbuf_addstr(&sb, ")\n");
			reasons++;
		}
	}
	if (olds && json_object_is_type(olds, json_type_object)) {
		struct json_object_iterator it = json_object_iter_begin(olds), end = json_object_iter_end(olds);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *p = json_object_iter_peek_name(&it);

			for (i = 0; i < s->nin; i++)
				if (!strcmp(s->in[i].path, p))
					break;
			if (i == s->nin) {
				strbuf_addf(&sb, "%s: '%s' is no longer an input\n", s->name, p);
				reasons++;
			}
		}
	}
	olds = rft_json_get(e, "tools");
	for (i = 0; i < s->ntools; i++) {
		const char *ov = rft_json_get_str(olds, s->tools[i]), *nv = tool_version(s->tools[i]);

		if (!ov || strcmp(ov, nv)) {
			strbuf_addf(&sb, "%s: %s changed: '%s' -> '%s'\n", s->name, s->tools[i],
				    ov ? ov : "(not run before)", nv);
			reasons++;
		}
	}
	oldp = rft_json_get(e, "params");
	for (i = 0; i < s->params.n; i++) {
		const char *ov = rft_json_get_str(oldp, s->params.v[i].name);

		if (!ov || strcmp(ov, s->params.v[i].value)) {
			strbuf_addf(&sb, "%s: param %s changed: '%s' -> '%s'\n", s->name,
				    s->params.v[i].name, ov ? ov : "(unset)", s->params.v[i].value);
			reasons++;
		}
	}
	if (oldp && json_object_is_type(oldp, json_type_object) &&
	    (size_t)json_object_object_length(oldp) > s->params.n) {
		strbuf_addf(&sb, "%s: a param was removed\n", s->name);
		reasons++;
	}
	if (!outputs_intact(s, e, &f, &miss)) {
		strbuf_addf(&sb, "%s: output '%s' %s\n", s->name, f,
			    miss ? "is missing" : "was changed since the stage wrote it");
		reasons++;
	}
	if (!reasons && v != V_MISSING_INPUT && strcmp(okey, s->key)) {
		strbuf_addf(&sb, "%s: the key changed\n", s->name);
		reasons++;
	}
	if (!reasons)
		strbuf_addf(&sb, "%s: up to date (key %.12s)\n", s->name, okey);
out:
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

/* ---------------------------------------- watching a run: view, status.json */

/*
 * Whoever watches a run is told what it does, three ways:
 *  - every stage started gets RFT_PROGRESS=LOGS/STAGE.progress in its
 *    environment; the filters append their progress lines there
 *    (common/progress.h), shell stages may too;
 *  - LOGS/status.json, rewritten (temporary file and rename) as the run
 *    starts, as each stage starts, is skipped or ends, and as the run ends:
 *    the run's pid, host, start, end and exit, each selected stage's state.
 *    The previous run's file is kept as LOGS/status.last.json;
 *  - on a terminal (or --progress, not --quiet) a line per stage on stderr
 *    as it starts and ends, and the running stages' last progress lines
 *    relayed on one redrawn line.
 * `rft-run status` reads the first two and the flock of LOCK.pid (take_lock).
 */
static void iso_now(char *buf, size_t n);

static int view_mode;           /* 1 --progress, -1 --quiet, 0 auto */
static int view;                /* print stage lines and the live line */
static int view_drawn;          /* a live line is up */

struct vstage {
	char *progress;         /* LOGS/STAGE.progress */
	long long off;          /* read so far */
	char *last;             /* its last complete line, or NULL */
	const char *result;     /* "running", "ok", "failed", "skipped" or NULL */
	int code;
	double secs, t0;
	unsigned long long bytes_out;
};
static struct vstage *vst;
static struct {
	char start[32];
	double t0;              /* wall clock, seconds */
	struct timespec m0;
	char *path;             /* LOGS/status.json */
	char *pipeline;         /* absolute */
	char *lockpid;          /* LOCK.pid, absolute: for the flock test */
	int failed;             /* a write failed: said once, not tried again */
} vrun;

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void human_bytes(struct strbuf *sb, unsigned long long b)
{
	static const char *const unit[] = { "kB", "MB", "GB", "TB", "PB" };
	double v = (double)b;
	int u = -1;

	if (b < 1000) {
		strbuf_addf(sb, "%llu B", b);
		return;
	}
	while (v >= 999.95 && u < 4) {
		v /= 1000;
		u++;
	}
	strbuf_addf(sb, "%.1f %s", v, unit[u]);
}

static void view_clear(void)
{
	if (view_drawn)
		fputs("\r\033[K", stderr);
	view_drawn = 0;
}

static const char *state_name(const struct stage *s)
{
	const struct vstage *v = &vst[s - P.st];

	if (v->result && !strcmp(v->result, "running") && s->state == S_FAIL)
		return "stopped";       /* by a signal, or by another stage's failure */
	if (v->result)
		return v->result;
	switch (s->state) {
	case S_WAIT: return "waiting";
	case S_BLOCKED: return "blocked";
	case S_FAIL: return "failed";
	default: return NULL;   /* not selected */
	}
}

/* status.json; result NULL while the run goes on */
static void state_write(const char *result, int code)
{
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	char host[256] = "", end[32];
	size_t i, first = 1;
	int fd, ok;

	if (!vst || vrun.failed)
		return;
	if (gethostname(host, sizeof(host) - 1) < 0)
		strcpy(host, "?");
	strbuf_addstr(&sb, "{\"rft-run\":1,\"pipeline\":");
	json_put_str(&sb, P.file);
	strbuf_addstr(&sb, ",\"pipeline_path\":");
	json_put_str_or_null(&sb, vrun.pipeline);
	strbuf_addstr(&sb, ",\"lock\":");
	json_put_str(&sb, P.lock);
	strbuf_addstr(&sb, ",\"lock_pid\":");
	json_put_str_or_null(&sb, vrun.lockpid);
	strbuf_addf(&sb, ",\"pid\":%ld,\"host\":", (long)getpid());
	json_put_str(&sb, host);
	strbuf_addf(&sb, ",\"start\":\"%s\",\"t0\":", vrun.start);
	json_put_fixed(&sb, vrun.t0, 3);
	if (result) {
		iso_now(end, sizeof(end));
		strbuf_addf(&sb, ",\"end\":\"%s\",\"seconds\":", end);
		json_put_fixed(&sb, mono_since(&vrun.m0), 3);
		strbuf_addstr(&sb, ",\"result\":");
		json_put_str(&sb, result);
		strbuf_addf(&sb, ",\"exit\":%d", code);
	} else {
		strbuf_addstr(&sb, ",\"end\":null,\"result\":null,\"exit\":null");
	}
	strbuf_addstr(&sb, ",\"stages\":[");
	for (i = 0; i < P.nst; i++) {
		const struct stage *s = &P.st[P.order[i]];
		const struct vstage *v = &vst[P.order[i]];
		const char *st = state_name(s);

		if (!st)
			continue;
		strbuf_addstr(&sb, first ? "\n{\"stage\":" : ",\n{\"stage\":");
		first = 0;
		json_put_str(&sb, s->name);
		strbuf_addstr(&sb, ",\"state\":");
		json_put_str(&sb, st);
		if (v->progress) {      /* it was started */
			strbuf_addstr(&sb, ",\"t0\":");
			json_put_fixed(&sb, v->t0, 3);
			strbuf_addf(&sb, ",\"start\":\"%s\",\"bytes_in\":%llu,\"log\":", s->start_iso, s->bytes_in);
			json_put_str_or_null(&sb, s->log);
			strbuf_addstr(&sb, ",\"progress\":");
			json_put_str(&sb, v->progress);
		}
		if (v->result && strcmp(v->result, "running") && strcmp(v->result, "skipped")) {
			strbuf_addf(&sb, ",\"exit\":%d,\"bytes_out\":%llu,\"seconds\":", v->code, v->bytes_out);
			json_put_fixed(&sb, v->secs, 3);
		}
		strbuf_addch(&sb, '}');
	}
	strbuf_addstr(&sb, "\n]}\n");
	strbuf_addf(&tmp, "%s.tmp.%ld", vrun.path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	ok = fd >= 0 && write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (!ok || rename(tmp.buf, vrun.path) < 0) {
		int e = errno;

		if (fd >= 0)
			unlink(tmp.buf);
		errno = e;
		warn("cannot write '%s' (rft-run status will not see this run):", vrun.path);
		vrun.failed = 1;
	}
	strbuf_release(&tmp);
	strbuf_release(&sb);
}

/* die() during a run: the run is over */
static void view_died(void)
{
	if (!vst)
		return;
	view_clear();
	state_write("error", -1);
}

/* the run starts (the logs directory exists) */
static void view_begin(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *abs;

	view = view_mode > 0 || (view_mode == 0 && isatty(STDERR_FILENO));
	vst = ecalloc(P.nst + 1, sizeof(*vst));
	iso_now(vrun.start, sizeof(vrun.start));
	vrun.t0 = wall_s();
	clock_gettime(CLOCK_MONOTONIC, &vrun.m0);
	strbuf_addf(&sb, "%s/status.json", P.logs);
	vrun.path = strbuf_detach(&sb, NULL);
	strbuf_addf(&sb, "%s/status.last.json", P.logs);
	if (rename(vrun.path, sb.buf) < 0 && errno != ENOENT)
		warn("cannot keep '%s' as '%s':", vrun.path, sb.buf);
	strbuf_release(&sb);
	abs = realpath(P.file, NULL);
	vrun.pipeline = abs;
	strbuf_addf(&sb, "%s.pid", P.lock);
	vrun.lockpid = realpath(sb.buf, NULL);
	strbuf_release(&sb);
	rft_atexit(view_died);
	state_write(NULL, 0);
}

/* stage s is about to be forked: its progress file, empty */
static void view_started(struct stage *s)
{
	struct vstage *v = &vst[s - P.st];
	struct strbuf sb = STRBUF_INIT;
	int fd;

	if (!v->progress) {
		/* absolute: a stage may cd */
		char *dir = realpath(P.logs, NULL);

		strbuf_addf(&sb, "%s/%s.progress", dir ? dir : P.logs, s->name);
		v->progress = strbuf_detach(&sb, NULL);
		free(dir);
	}
	fd = open(v->progress, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		warn("cannot create '%s' (the stage's progress will not be shown):", v->progress);
	else
		close(fd);
	v->off = 0;
	free(v->last);
	v->last = NULL;
	v->result = "running";
	v->t0 = wall_s();
	state_write(NULL, 0);
	if (view) {
		view_clear();
		strbuf_addf(&sb, "rft-run: %s: started, in ", s->name);
		human_bytes(&sb, s->bytes_in);
		fflush(stdout);
		fprintf(stderr, "%s\n", sb.buf);
		strbuf_release(&sb);
	}
}

static void view_skipped(struct stage *s)
{
	vst[s - P.st].result = "skipped";
	state_write(NULL, 0);
	if (view) {
		view_clear();
		fflush(stdout);
		fprintf(stderr, "rft-run: %s: up to date, skipped\n", s->name);
	}
}

/* stage s ended ("ok" or "failed"; a failure is told by stage_failed) */
static void view_ended(struct stage *s, const char *status, int code, unsigned long long bytes_out)
{
	struct vstage *v;

	if (!vst)
		return;
	v = &vst[s - P.st];
	v->result = !strcmp(status, "ok") ? "ok" : "failed";
	v->code = code;
	v->secs = mono_since(&s->t0);
	v->bytes_out = bytes_out;
	state_write(NULL, 0);
	view_clear();
	if (view && !strcmp(status, "ok")) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "rft-run: %s: ok, %.1f s, in ", s->name, v->secs);
		human_bytes(&sb, s->bytes_in);
		strbuf_addstr(&sb, ", out ");
		human_bytes(&sb, bytes_out);
		fflush(stdout);
		fprintf(stderr, "%s\n", sb.buf);
		strbuf_release(&sb);
	}
}

/*
 * The last complete line of the progress file path after *off, into *last
 * (replaced; left alone when there is none); *off moves past it.  A file
 * that shrank was started again: read from its start.
 */
static void progress_last(const char *path, long long *off, char **last)
{
	char buf[65536];
	struct stat st;
	ssize_t n;
	size_t i, end, begin;
	int fd = open(path, O_RDONLY | O_CLOEXEC), aligned = 1;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	if ((long long)st.st_size < *off)
		*off = 0;
	if ((long long)st.st_size - *off > (long long)sizeof(buf)) {
		*off = (long long)st.st_size - (long long)sizeof(buf);
		aligned = 0;    /* a line may begin before it */
	}
	n = pread(fd, buf, sizeof(buf), (off_t)*off);
	close(fd);
	if (n <= 0)
		return;
	for (end = (size_t)n; end > 0 && buf[end - 1] != '\n'; end--)
		;
	if (end == 0) {         /* no whole line yet */
		if (!aligned)
			*off += n;
		return;
	}
	*off += (long long)end;
	for (begin = end - 1; begin > 0 && buf[begin - 1] != '\n'; begin--)
		;
	if (begin == 0 && !aligned)
		return;
	for (i = begin; i < end - 1; i++)   /* no escape sequence reaches the terminal */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	free(*last);
	*last = estrndup(buf + begin, end - 1 - begin);
}

static int term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* redraw the live line: each running stage, its time and last progress */
static void view_tick(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, w;
	int n = 0;

	for (i = 0; i < P.nst; i++) {
		struct stage *s = &P.st[i];
		struct vstage *v = &vst[i];

		if (s->state != S_RUNNING)
			continue;
		if (v->progress)
			progress_last(v->progress, &v->off, &v->last);
		if (!v->last && mono_since(&s->t0) < 0.5)
			continue;       /* a quick stage: no flicker */
		strbuf_addf(&sb, "%s%s %.0fs", n++ ? " | " : "rft-run: ", s->name, mono_since(&s->t0));
		if (v->last)
			strbuf_addf(&sb, ": %s", v->last);
	}
	if (!n) {
		strbuf_release(&sb);
		return;
	}
	/* one terminal row, or \r cannot redraw it; cut on a character */
	w = (size_t)term_width() - 1;
	if (sb.len > w) {
		while (w > 0 && ((unsigned char)sb.buf[w] & 0xc0) == 0x80)
			w--;
		sb.buf[w] = '\0';
	}
	fflush(stdout);
	fprintf(stderr, "\r%s\033[K", sb.buf);
	view_drawn = 1;
	strbuf_release(&sb);
}

/* wait for a child or a stop signal; on view, wake twice a second to redraw */
static void view_wait(const sigset_t *orig)
{
	struct timespec ts = { 0, 500000000 };

	if (!view) {
		sigsuspend(orig);
		return;
	}
	view_tick();
	pselect(0, NULL, NULL, NULL, &ts, orig);
}

/* the run is over, with status ret */
static void view_end(int ret)
{
	size_t i, ran = 0, skipped = 0, failed = 0, notrun = 0;

	if (!vst)
		return;
	view_clear();
	for (i = 0; i < P.nst; i++) {
		const char *r = vst[i].result;

		if (P.st[i].state == S_OFF)
			continue;
		if (r && !strcmp(r, "ok"))
			ran++;
		else if (r && !strcmp(r, "skipped"))
			skipped++;
		else if (r || P.st[i].state == S_FAIL)
			failed++;
		else
			notrun++;
	}
	state_write(ret == 0 ? "ok" : got_signal ? "stopped" : "failed", ret);
	if (view) {
		fflush(stdout);
		fprintf(stderr, "rft-run: %s in %.1f s: %zu ran, %zu up to date, %zu failed, %zu not run\n",
			ret ? "stopped" : "done", mono_since(&vrun.m0), ran, skipped, failed, notrun);
	}
	for (i = 0; i < P.nst; i++) {
		free(vst[i].progress);
		free(vst[i].last);
	}
	free(vst);
	vst = NULL;
	free(vrun.path);
	free(vrun.pipeline);
	free(vrun.lockpid);
}

/* ------------------------------------------------------------ rft-run status */

/* whole file into sb; -1 and errno when it cannot be read */
static int slurp(const char *path, struct strbuf *sb)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(sb, buf, (size_t)n);
	close(fd);
	return n < 0 ? -1 : 0;
}

/* the status file at path, parsed; NULL when there is none */
static struct json_object *status_read(const char *path)
{
	struct strbuf sb = STRBUF_INIT, err = STRBUF_INIT;
	struct json_object *o = NULL;

	if (slurp(path, &sb) < 0) {
		if (errno != ENOENT)
			die(RFT_EX_IOERR, "cannot read '%s':", path);
		strbuf_release(&sb);
		return NULL;
	}
	if (rft_json_parse(sb.buf, sb.len, &o, &err) < 0 || !json_object_is_type(o, json_type_object))
		die(RFT_EX_DATA, "%s: not a status file written by rft-run (%s)", path,
		    err.len ? err.buf : "not an object");
	strbuf_release(&sb);
	strbuf_release(&err);
	return o;
}

static double jnum(struct json_object *o, const char *key)
{
	struct json_object *v = rft_json_get(o, key);

	return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
		? json_object_get_double(v) : 0;
}

/* 1: an rft-run holds the flock of LOCK.pid; 0: none; -1: cannot tell */
static int lock_held(const char *lockpid)
{
	int fd, held;

	if (!lockpid || (fd = open(lockpid, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		held = 0;
	} else {
		held = errno == EWOULDBLOCK ? 1 : -1;
	}
	close(fd);
	return held;
}

/* the stages of status file o, one line each (live: a run going on now) */
static void status_stages(struct json_object *o, int live, double now)
{
	struct json_object *a = rft_json_get(o, "stages");
	size_t i, n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *name = rft_json_get_str(e, "stage"), *st = rft_json_get_str(e, "state");
		const char *log = rft_json_get_str(e, "log"), *prog = rft_json_get_str(e, "progress");
		struct strbuf sb = STRBUF_INIT;

		if (!name || !st)
			continue;
		if (!strcmp(st, "ok")) {
			printf("  %s: ok, %.1f s, in ", name, jnum(e, "seconds"));
			human_bytes(&sb, (unsigned long long)jnum(e, "bytes_in"));
			strbuf_addstr(&sb, ", out ");
			human_bytes(&sb, (unsigned long long)jnum(e, "bytes_out"));
			printf("%s\n", sb.buf);
		} else if (!strcmp(st, "failed")) {
			printf("  %s: failed (exit %d) after %.1f s; log: %s\n", name, (int)jnum(e, "exit"),
			       jnum(e, "seconds"), log ? log : "none");
		} else if (!strcmp(st, "skipped")) {
			printf("  %s: up to date, skipped\n", name);
		} else if (!strcmp(st, "running") && live) {
			printf("  %s: running for %.0f s; log: %s\n", name, now - jnum(e, "t0"), log ? log : "none");
		} else if (!strcmp(st, "running") || !strcmp(st, "stopped")) {
			printf("  %s: cut short after it started at %s; log: %s\n", name,
			       rft_json_get_str(e, "start") ? rft_json_get_str(e, "start") : "?", log ? log : "none");
		} else if (!strcmp(st, "blocked")) {
			printf("  %s: not run (a stage before it failed)\n", name);
		} else {
			printf("  %s: %s\n", name, live ? st : "not run");
		}
		if (prog && (!strcmp(st, "running") || !strcmp(st, "stopped"))) {
			long long off = 0;
			char *last = NULL;

			progress_last(prog, &off, &last);
			if (last)
				printf("    %s\n", last);
			free(last);
		}
		strbuf_release(&sb);
	}
}

static void status_ended(struct json_object *o)
{
	const char *r = rft_json_get_str(o, "result") ? rft_json_get_str(o, "result") : "?";

	printf("last run: %s to %s (pid %.0f on %s): ", rft_json_get_str(o, "start"), rft_json_get_str(o, "end"),
	       jnum(o, "pid"), rft_json_get_str(o, "host") ? rft_json_get_str(o, "host") : "?");
	if (!strcmp(r, "ok"))
		printf("ok, %.1f s\n", jnum(o, "seconds"));
	else
		printf("%s (exit %d) after %.1f s\n", r, (int)jnum(o, "exit"), jnum(o, "seconds"));
	status_stages(o, 0, 0);
}

/* the last run.jsonl line of each stage (runs older than status.json) */
static int status_runlog(const char *logs)
{
	struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
	struct nvlist last = { 0 };
	char *line, *nl;
	size_t i;

	strbuf_addf(&path, "%s/run.jsonl", logs);
	if (slurp(path.buf, &sb) < 0) {
		if (errno != ENOENT)
			die(RFT_EX_IOERR, "cannot read '%s':", path.buf);
		printf("no run recorded in '%s'\n", logs);
		strbuf_release(&path);
		strbuf_release(&sb);
		return 0;
	}
	for (line = sb.buf; *line; line = nl + 1) {
		struct json_object *o = NULL;
		struct strbuf err = STRBUF_INIT;
		const char *name;

		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (rft_json_parse(line, (size_t)(nl - line), &o, &err) == 0 &&
		    (name = rft_json_get_str(o, "stage"))) {
			char *l = estrndup(line, (size_t)(nl - line));
			int found = 0;

			for (i = 0; i < last.n; i++)
				if (!strcmp(last.v[i].name, name)) {
					free(last.v[i].value);
					last.v[i].value = l;
					found = 1;
				}
			if (!found) {
				nv_add(&last, name, l);
				free(l);
			}
		}
		json_object_put(o);
		strbuf_release(&err);
	}
	printf("no status.json in '%s' (runs of an older rft-run); the last run of each stage in %s:\n", logs,
	       path.buf);
	for (i = 0; i < last.n; i++) {
		struct json_object *o = NULL;
		struct strbuf err = STRBUF_INIT;

		if (rft_json_parse(last.v[i].value, strlen(last.v[i].value), &o, &err) == 0)
			printf("  %s: %s (exit %d), %.1f s, ended %s\n", last.v[i].name,
			       rft_json_get_str(o, "status") ? rft_json_get_str(o, "status") : "?",
			       (int)jnum(o, "exit"), jnum(o, "seconds"),
			       rft_json_get_str(o, "end") ? rft_json_get_str(o, "end") : "?");
		json_object_put(o);
		strbuf_release(&err);
	}
	nv_free(&last);
	strbuf_release(&path);
	strbuf_release(&sb);
	return 0;
}

/*
 * rft-run status PIPELINE|LOGDIR: what runs now and how far, or how the last
 * run ended.  Exit 0 idle (the last run ok, or none recorded), 1 idle and the
 * last run failed or was stopped, 3 a run is going on, 4 the last run was cut
 * short without recording its end (killed, or the machine went down).
 */
static int status_cmd(const char *what)
{
	struct strbuf path = STRBUF_INIT, lp = STRBUF_INIT;
	struct json_object *o, *prev;
	const char *logs, *pipeline = NULL, *lockpid = NULL;
	struct stat st;
	int ret, held;

	if (stat(what, &st) < 0)
		die(RFT_EX_NOINPUT, "cannot find '%s':", what);
	if (S_ISDIR(st.st_mode)) {
		logs = what;
	} else {
		load(what);
		logs = P.logs;
		pipeline = what;
		strbuf_addf(&lp, "%s.pid", P.lock);
		lockpid = lp.buf;
	}
	strbuf_addf(&path, "%s/status.json", logs);
	o = status_read(path.buf);
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/status.last.json", logs);
	prev = status_read(path.buf);
	strbuf_release(&path);
	if (!o) {
		held = lock_held(lockpid);
		if (held == 1)
			printf("%s: running (by an rft-run that writes no status.json)\n", pipeline);
		ret = held == 1 ? 3 : status_runlog(logs);
		json_object_put(prev);
		strbuf_release(&lp);
		return ret;
	}
	if (!lockpid)
		lockpid = rft_json_get_str(o, "lock_pid");
	printf("pipeline: %s\n", rft_json_get_str(o, "pipeline") ? rft_json_get_str(o, "pipeline") : "?");
	if (rft_json_get_str(o, "end")) {
		status_ended(o);
		ret = strcmp(rft_json_get_str(o, "result") ? rft_json_get_str(o, "result") : "", "ok") ? 1 : 0;
	} else {
		double now = wall_s();
		long pid = (long)jnum(o, "pid");

		held = lock_held(lockpid);
		if (held < 0)   /* no lock file to look at: the pid says it */
			held = pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
		if (held) {
			printf("running: pid %ld on %s, since %s (%.0f s)\n", pid,
			       rft_json_get_str(o, "host") ? rft_json_get_str(o, "host") : "?",
			       rft_json_get_str(o, "start"), now - jnum(o, "t0"));
			status_stages(o, 1, now);
			ret = 3;
		} else {
			printf("stale: the run of pid %ld on %s, started %s, ended without recording its end "
			       "(killed, or the machine went down); no rft-run holds its lock now\n", pid,
			       rft_json_get_str(o, "host") ? rft_json_get_str(o, "host") : "?",
			       rft_json_get_str(o, "start"));
			status_stages(o, 0, now);
			ret = 4;
		}
		if (prev && rft_json_get_str(prev, "end"))
			status_ended(prev);
	}
	json_object_put(o);
	json_object_put(prev);
	strbuf_release(&lp);
	return ret;
}

/* ------------------------------------------------------------ running */

static size_t nrunning;
static FILE *runlog;

static void on_signal(int sig)
{
	if (sig != SIGCHLD)
		got_signal = sig;
}

static void iso_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char tmp[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%.19s.%03dZ", tmp, (int)(ts.tv_nsec / 1000000) % 1000);
}

static void remove_temps(struct stage *s)
{
	size_t i;

	if (!s->tmp)
		return;
	for (i = 0; i < s->nout; i++) {
		unlink(s->tmp[i]);
		free(s->tmp[i]);
	}
	free(s->tmp);
	s->tmp = NULL;
}

/* die() and signals: stop the stages running, leave no temporary file */
static void kill_running(void)
{
	size_t i;
	int status;

	for (i = 0; i < P.nst; i++) {
		struct stage *s = &P.st[i];

		if (s->state != S_RUNNING)
			continue;
		kill(-s->pid, SIGTERM);
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
		remove_temps(s);
		s->state = S_FAIL;
	}
	nrunning = 0;
}

static void start_stage(struct stage *s)
{
	struct strv av = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char *to = NULL;
	size_t i;
	int logfd;
	pid_t pid;

	s->tmp = ecalloc(s->nout + 1, sizeof(*s->tmp));
	for (i = 0; i < s->nout; i++) {
		const char *p = s->out[i].path, *slash = strrchr(p, '/');

		mkparent(p);
		strbuf_reset(&sb);
		if (slash)
			strbuf_add(&sb, p, (size_t)(slash - p + 1));
		/* keep the name's end: some programs look at the extension */
		strbuf_addf(&sb, ".rft-run.%ld.%s", (long)getpid(), slash ? slash + 1 : p);
		s->tmp[i] = estrdup(sb.buf);
		unlink(s->tmp[i]);
	}
	strbuf_release(&sb);
	build_cmd(s, s->tmp, NULL, &av, &to);
	mkdirs(P.logs);
	strbuf_addf(&sb, "%s/%s.log", P.logs, s->name);
	free(s->log);
	s->log = strbuf_detach(&sb, NULL);
	logfd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (logfd < 0)
		die(RFT_EX_IOERR, "cannot write the log '%s':", s->log);
	iso_now(s->start_iso, sizeof(s->start_iso));
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	view_started(s);
	pid = fork();
	if (pid < 0)
		die(RFT_EX_SOFTWARE, "fork:");
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY), outfd = logfd;
		sigset_t none;

		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (to) {
			outfd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0666);
			if (outfd < 0) {
				dprintf(logfd, "rft-run: cannot create '%s': %s\n", to, strerror(errno));
				_exit(RFT_EX_IOERR);
			}
		}
		if (null >= 0)
			dup2(null, 0);
		dup2(outfd, 1);
		dup2(logfd, 2);
		for (i = 0; i < s->params.n; i++)
			setenv(s->params.v[i].name, s->params.v[i].value, 1);
		setenv(RFT_PROGRESS_ENV, vst[s - P.st].progress, 1);
		execvp(av.v[0], av.v);
		dprintf(2, "rft-run: cannot run '%s': %s\n", av.v[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(pid, pid);
	close(logfd);
	s->pid = pid;
	s->state = S_RUNNING;
	nrunning++;
	strv_free(&av);
	free(to);
}

static void log_line(struct stage *s, const char *status, int code, unsigned long long bytes_out)
{
	struct strbuf sb = STRBUF_INIT;
	struct timespec t1;
	char end[32];
	double secs;

	view_ended(s, status, code, bytes_out);
	if (!runlog)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	iso_now(end, sizeof(end));
	secs = (double)(t1.tv_sec - s->t0.tv_sec) + (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
	strbuf_addstr(&sb, "{\"pipeline\":");
	json_put_str(&sb, P.file);
	strbuf_addstr(&sb, ",\"stage\":");
	json_put_str(&sb, s->name);
	strbuf_addstr(&sb, ",\"status\":");
	json_put_str(&sb, status);
	strbuf_addf(&sb, ",\"exit\":%d,\"start\":\"%s\",\"end\":\"%s\",\"seconds\":", code, s->start_iso, end);
	json_put_fixed(&sb, secs, 3);
	strbuf_addf(&sb, ",\"bytes_in\":%llu,\"bytes_out\":%llu,\"key\":", s->bytes_in, bytes_out);
	json_put_str_or_null(&sb, s->key);
	strbuf_addstr(&sb, ",\"log\":");
	json_put_str_or_null(&sb, s->log);
	strbuf_addstr(&sb, "}\n");
	fwrite(sb.buf, 1, sb.len, runlog);
	fflush(runlog);
	strbuf_release(&sb);
}

/* show the end of a failed stage's log on stderr */
static void show_log_tail(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	char *lines[12] = { 0 };
	size_t n = 0, i;

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		free(lines[n % 12]);
		lines[n % 12] = estrdup(line);
		n++;
	}
	fclose(fp);
	for (i = n > 12 ? n - 12 : 0; i < n; i++) {
		const char *l = lines[i % 12];

		fprintf(stderr, "  | %s%s", l, l[strlen(l) - 1] == '\n' ? "" : "\n");
	}
	for (i = 0; i < 12; i++)
		free(lines[i]);
}

static int stage_failed(struct stage *s, int code, const char *how)
{
	size_t i;

	remove_temps(s);
	/* outputs of an older run would now look finished but be stale */
	for (i = 0; i < s->nout; i++)
		unlink(s->out[i].path);
	if (newrec[s - P.st]) {
		free(newrec[s - P.st]);
		newrec[s - P.st] = NULL;
		write_lock();
	}
	s->state = S_FAIL;
	log_line(s, "failed", code, 0);
	fflush(stdout);
	fprintf(stderr, "rft-run: stage '%s' failed (%s); log: %s\n", s->name, how, s->log);
	show_log_tail(s->log);
	return code;
}

struct piece {           /* a job's output in a stage run on hosts */
	long long seq, off, len;
};

static int cmp_piece(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* copy n bytes at off of in to out; 0 or -1 */
static int copy_range(FILE *in, FILE *out, long long off, long long n)
{
	char buf[65536];

	if (fseeko(in, (off_t)off, SEEK_SET) < 0)
		return -1;
	while (n > 0) {
		size_t want = n < (long long)sizeof(buf) ? (size_t)n : sizeof(buf);
		size_t got = fread(buf, 1, want, in);

		if (got == 0 || fwrite(buf, 1, got, out) != got)
			return -1;
		n -= (long long)got;
	}
	return 0;
}

/*
 * A stage run on hosts ended 0.  Its jobs ran without -k (so that the job
 * log and the stderr of a failing job survive --halt now), so the output
 * holds each job's output whole, in the order they ended, each followed by
 * its marker (SHARD_JOB).  The markers must number the jobs 1..K, each once,
 * and their byte counts add up to the first input's size; the outputs are
 * then written in job order, without the markers, through a temporary file.
 * 0, or RFT_EX_UNAVAILABLE (a job did not run to its end) or RFT_EX_IOERR
 * with *how set.
 */
static int check_shards(struct stage *s, struct strbuf *how)
{
	static const char mark[] = SHARD_MARK;
	const size_t mlen = sizeof(mark) - 1;
	struct strbuf tmp = STRBUF_INIT;
	struct piece *pc = NULL;
	size_t npc = 0, apc = 0, i;
	FILE *in, *out = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long long want, got = 0, pos = 0, start = 0;
	struct stat st;
	int ret = 0;

	if (stat(s->in[0].path, &st) < 0) {
		strbuf_addf(how, "cannot stat '%s': %s", s->in[0].path, strerror(errno));
		return RFT_EX_IOERR;
	}
	want = (long long)st.st_size;
	in = fopen(s->tmp[0], "rb");
	if (!in) {
		strbuf_addf(how, "cannot read '%s': %s", s->tmp[0], strerror(errno));
		return RFT_EX_IOERR;
	}
	while (!ret && (n = getline(&line, &cap, in)) > 0) {
		char *m = memchr(line, mark[0], (size_t)n);
		long long a, b;
		char end;

		while (m && ((size_t)(line + n - m) < mlen || memcmp(m, mark, mlen)))
			m = memchr(m + 1, mark[0], (size_t)(line + n - m - 1));
		if (m) {
			/* a job's output not ending in a newline runs into its marker */
			if (sscanf(m + mlen, "%lld %lld%c", &a, &b, &end) != 3 || end != '\n' ||
			    a < 1 || b < 0) {
				strbuf_addf(how, "exit 0 but a job's end marker is damaged: '%.*s'",
					    (int)strcspn(m + 1, "\n"), m + 1);
				ret = RFT_EX_UNAVAILABLE;
				break;
			}
			if (npc == apc) {
				apc = apc ? 2 * apc : 64;
				pc = erealloc(pc, apc * sizeof(*pc));
			}
			pc[npc].seq = a;
			pc[npc].off = start;
			pc[npc].len = pos + (long long)(m - line) - start;
			npc++;
			got += b;
			start = pos + n;
		}
		pos += n;
	}
	free(line);
	if (!ret && ferror(in)) {
		strbuf_addf(how, "cannot read '%s': %s", s->tmp[0], strerror(errno));
		ret = RFT_EX_IOERR;
	}
	if (!ret && npc)
		qsort(pc, npc, sizeof(*pc), cmp_piece);
	for (i = 0; !ret && i < npc; i++)
		if (pc[i].seq != (long long)i + 1) {
			strbuf_addf(how, "exit 0 but the end markers do not number the jobs 1..%zu once "
				    "each (%s job %lld)", npc, pc[i].seq > (long long)i + 1 ? "no marker of" :
				    "two of", pc[i].seq > (long long)i + 1 ? (long long)i + 1 : pc[i].seq);
			ret = RFT_EX_UNAVAILABLE;
		}
	if (!ret && (got != want || start != pos)) {
		strbuf_addf(how, "exit 0 but the %zu job(s) that reported their end ran on %lld of the %lld "
			    "bytes of '%s'%s (a host did not run its piece to the end; see %s)", npc, got,
			    want, s->in[0].path, start != pos ? ", and output follows the last marker" : "",
			    s->log);
		ret = RFT_EX_UNAVAILABLE;
	}
	if (!ret) {
		strbuf_addf(&tmp, "%s.shards", s->tmp[0]);
		out = fopen(tmp.buf, "wb");
		for (i = 0; out && i < npc; i++)
			if (copy_range(in, out, pc[i].off, pc[i].len) < 0)
				break;
		if (!out || i < npc || fclose(out) != 0 || rename(tmp.buf, s->tmp[0]) < 0) {
			strbuf_addf(how, "cannot write '%s': %s", tmp.buf, strerror(errno));
			ret = RFT_EX_IOERR;
			if (out && i < npc)
				fclose(out);
			unlink(tmp.buf);
		}
	}
	fclose(in);
	free(pc);
	strbuf_release(&tmp);
	return ret;
}

/*
 * A stage run on hosts failed: name the hosts whose jobs failed, from the
 * job log (seq, host, start, runtime, send, receive, exit, signal, command).
 */
static void failed_hosts(struct stage *s, struct strbuf *how)
{
	char *path = joblog_path(s), *line = NULL;
	FILE *fp = fopen(path, "r");
	size_t cap = 0;

	free(path);
	if (!fp)
		return;
	while (getline(&line, &cap, fp) > 0) {
		char host[256];
		long seq, code, sig;
		double t0, rt;
		long long snd, rcv;

		if (sscanf(line, "%ld\t%255[^\t]\t%lf\t%lf\t%lld\t%lld\t%ld\t%ld", &seq, host, &t0, &rt,
			   &snd, &rcv, &code, &sig) != 8 || (code == 0 && sig == 0))
			continue;
		if (sig) /* stopped by --halt after another job failed */
			continue;
		strbuf_addf(how, "; host %s: job %ld exit %ld%s", host, seq, code,
			    code == 255 ? " (ssh failed: the host is down or the connection was lost)" : "");
	}
	free(line);
	fclose(fp);
}

/* a child ended: commit its outputs and record it, or report it */
static int finish_stage(struct stage *s, int status)
{
	struct strbuf rec = STRBUF_INIT, how = STRBUF_INIT;
	unsigned long long bytes_out = 0;
	size_t i;
	int code;

	nrunning--;
	s->pid = 0;
	if (WIFSIGNALED(status)) {
		code = 128 + WTERMSIG(status);
		strbuf_addf(&how, "killed by signal %d", WTERMSIG(status));
	} else {
		code = WEXITSTATUS(status);
		strbuf_addf(&how, "exit %d", code);
	}
	if (code == 0) {
		for (i = 0; i < s->nout; i++) {
			struct stat st;

			if (stat(s->tmp[i], &st) < 0 || !S_ISREG(st.st_mode)) {
				strbuf_reset(&how);
				strbuf_addf(&how, "exit 0 but '%s' was not written", s->out[i].path);
				code = RFT_EX_SOFTWARE;
				break;
			}
		}
	}
	if (s->nhosts || s->hostfile) {   /* run on hosts */
		if (code == 0) {
			strbuf_reset(&how);
			code = check_shards(s, &how);
		} else {
			failed_hosts(s, &how);
		}
	}
	if (code != 0) {
		code = stage_failed(s, code, how.buf);
		strbuf_release(&how);
		return code;
	}
	strbuf_release(&how);
	for (i = 0; i < s->nout; i++)
		if (rename(s->tmp[i], s->out[i].path) < 0)
			die(RFT_EX_IOERR, "stage '%s': cannot rename '%s' to '%s':", s->name,
			    s->tmp[i], s->out[i].path);
	for (i = 0; i < s->nout; i++)
		free(s->tmp[i]);
	free(s->tmp);
	s->tmp = NULL;
	strbuf_addstr(&rec, "{\"key\":");
	json_put_str(&rec, s->key);
	strbuf_addstr(&rec, ",\"cmd\":");
	json_put_str(&rec, s->text);
	strbuf_addstr(&rec, ",\"tools\":{");
	for (i = 0; i < s->ntools; i++) {
		json_put_key(&rec, s->tools[i], i == 0);
		json_put_str(&rec, tool_version(s->tools[i]));
	}
	strbuf_addstr(&rec, "},\"params\":{");
	for (i = 0; i < s->params.n; i++) {
		json_put_key(&rec, s->params.v[i].name, i == 0);
		json_put_str(&rec, s->params.v[i].value);
	}
	strbuf_addstr(&rec, "},\"in\":");
	strbuf_add(&rec, s->inrec.buf, s->inrec.len);
	strbuf_addstr(&rec, ",\"out\":{");
	for (i = 0; i < s->nout; i++) {
		struct fhash h;

		if (hash_path(s->out[i].path, &h) < 0)
			die(RFT_EX_IOERR, "stage '%s': cannot read '%s':", s->name, s->out[i].path);
		bytes_out += (unsigned long long)h.size;
		json_put_key(&rec, s->out[i].path, i == 0);
		strbuf_addstr(&rec, "{\"sha256\":");
		json_put_str(&rec, h.sha);
		if (!h.dir)
			strbuf_addf(&rec, ",\"size\":%lld,\"mtime_ns\":%lld", h.size, h.mtime);
		strbuf_addch(&rec, '}');
	}
	strbuf_addstr(&rec, "}}");
	free(newrec[s - P.st]);
	newrec[s - P.st] = strbuf_detach(&rec, NULL);
	write_lock();
	s->state = S_DONE;
	log_line(s, "ok", 0, bytes_out);
	return 0;
}

/*
 * A run holds an exclusive flock on LOCK.pid (the lock file's name plus
 * ".pid"), which says the pid of the holder.  It is per lock file, not per
 * pipeline file: the same pipeline run for two output places (--set dir=...)
 * runs twice at once; the same outputs are never written by two runs.  The
 * file stays: removing a lock file races with the next run's open.
 */
static void take_lock(int *fd)
{
	struct timespec t0, now;
	struct strbuf path = STRBUF_INIT, pid = STRBUF_INIT;

	mkparent(P.lock);
	strbuf_addf(&path, "%s.pid", P.lock);
	*fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		die(RFT_EX_IOERR, "cannot open '%s':", path.buf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		double waited;

		if (errno != EWOULDBLOCK && errno != EINTR)
			die(RFT_EX_IOERR, "cannot lock '%s':", path.buf);
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (waited >= opt.wait) {
			if (opt.wait > 0)
				die(RFT_EX_TEMPFAIL, "'%s' is still being run by another rft-run (%s) after "
				    "%g s; try again later", P.file, path.buf, opt.wait);
			die(RFT_EX_TEMPFAIL, "'%s' is being run by another rft-run (%s); try again later "
			    "(or --wait SECS)", P.file, path.buf);
		}
		usleep(100000);
	}
	strbuf_addf(&pid, "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) < 0 || pwrite(*fd, pid.buf, pid.len, 0) != (ssize_t)pid.len)
		die(RFT_EX_IOERR, "cannot write '%s':", path.buf);
	strbuf_release(&pid);
	strbuf_release(&path);
}

static int run(void)
{
	struct sigaction sa;
	struct strbuf rl = STRBUF_INIT;
	sigset_t block, orig;
	int ret = 0;
	size_t oi, k;

	/*
	 * The signals that matter (a child ended; stop) stay blocked but while
	 * sigsuspend() waits, so none can slip in between a check and the wait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGHUP);
	sigdelset(&orig, SIGCHLD);
	rft_atexit(kill_running);
	mkdirs(P.logs);
	strbuf_addf(&rl, "%s/run.jsonl", P.logs);
	runlog = fopen(rl.buf, "ae");
	if (!runlog)
		die(RFT_EX_IOERR, "cannot write the run log '%s':", rl.buf);
	strbuf_release(&rl);
	view_begin();
	for (;;) {
		int progress = 1, status;
		pid_t pid;

		while (progress && !ret && !got_signal) {
			progress = 0;
			for (oi = 0; oi < P.nst && nrunning < (size_t)opt.jobs; oi++) {
				struct stage *s = &P.st[P.order[oi]];
				const char *missing;
				int ready = 1;

				if (s->state != S_WAIT)
					continue;
				for (k = 0; k < s->ndeps; k++) {
					enum state d = P.st[s->deps[k]].state;

					if (d == S_FAIL || d == S_BLOCKED)
						s->state = S_BLOCKED;
					else if (d != S_DONE && d != S_SKIP && d != S_OFF)
						ready = 0;
				}
				if (s->state != S_WAIT || !ready)
					continue;
				progress = 1;
				switch (decide(s, &missing)) {
				case V_UPTODATE:
					s->state = S_SKIP;
					view_skipped(s);
					break;
				case V_MISSING_INPUT:
					s->state = S_FAIL;
					view_clear();
					fflush(stdout);
					fprintf(stderr, "rft-run: stage '%s': input '%s' is missing\n",
						s->name, missing);
					ret = RFT_EX_NOINPUT;
					break;
				case V_RUN:
					start_stage(s);
					break;
				case V_STOP:
					break;
				}
				if (ret || stop_pending())
					break;
			}
		}
		if (nrunning == 0)
			break;
		if (got_signal) {
			kill_running();
			break;
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno != EINTR)
			die(RFT_EX_SOFTWARE, "waitpid:");
		if (pid <= 0) {
			view_wait(&orig);   /* until a child ends or a stop signal comes */
			continue;
		}
		for (k = 0; k < P.nst; k++)
			if (P.st[k].state == S_RUNNING && P.st[k].pid == pid) {
				int r = finish_stage(&P.st[k], status);

				if (r && !ret)
					ret = r;
				break;
			}
	}
	view_clear();
	sigprocmask(SIG_SETMASK, &orig, NULL);   /* a pending stop signal lands here */
	if (got_signal) {
		fprintf(stderr, "rft-run: stopped by signal %d; no stage left a partial output\n",
			(int)got_signal);
		ret = 128 + got_signal;
	}
	view_end(ret);
	fclose(runlog);
	runlog = NULL;
	return ret;
}

/* ------------------------------------------------------------ main */

static const struct rft_opt options[] = {
	{ 's', "set", RFT_ARG_REQ, "NAME=VALUE", "set a var (over the file's vars and the environment); repeat" },
	{ 'n', "dry-run", RFT_ARG_NONE, NULL, "print the commands of the stages that would run, as a shell script" },
	{ 'f', "force", RFT_ARG_NONE, NULL, "run the selected stages even when up to date" },
	{ 256, "from", RFT_ARG_REQ, "STAGE", "select STAGE and the stages after it (that read what it writes)" },
	{ 257, "until", RFT_ARG_REQ, "STAGE", "select STAGE and the stages before it" },
	{ 'j', "jobs", RFT_ARG_REQ, "N", "run up to N independent stages at once (default 1)" },
	{ 'w', "wait", RFT_ARG_REQ, "SECS", "when another run holds the lock, wait up to SECS (default 0), then exit 75" },
	{ 258, "progress", RFT_ARG_NONE, NULL, "show stage lines and live progress on stderr even when it is not a terminal" },
	{ 'q', "quiet", RFT_ARG_NONE, NULL, "no stage lines or progress, even on a terminal (failures are still told)" },
	RFT_OPT_STD,
	RFT_OPT_END
};

static const struct rft_cmd cmd = {
	"rft-run",
	"[OPTION]... PIPELINE.yaml\n       rft-run why STAGE PIPELINE.yaml [--set NAME=VALUE]...\n"
	"       rft-run status PIPELINE.yaml|LOGDIR",
	"Run a YAML pipeline of filters, jq and shell: in the order its files give, only\n"
	"the stages whose command, inputs, tools or params changed, each writing its\n"
	"outputs under temporary names.  Silent on success.  'why STAGE' says why a\n"
	"stage would run.  On a terminal, a line per stage as it starts and ends\n"
	"and the running stage's progress line, relayed (--progress, --quiet).\n"
	"'status' says what a run is doing now and how far, or how the last ended.",
	options,
	"exit status: 0 ok, a failed stage's own status (or 128 + signal), 64 usage,\n"
	"66 an input missing, 69 a stage on hosts ended 0 without running all its input,\n"
	"74 I/O error, 75 another run holds the lock (retry later), 78 bad pipeline\n"
	"file.  status: 0 idle (the last run ok), 1 idle (the last run failed),\n"
	"3 running, 4 the last run was killed before recording its end.  See rft-run(1).\n"
};

int main(int argc, char **argv)
{
	int c, ret = 0, lockfd = -1;
	const char *file;
	size_t i;

	rft_init("rft-run");
	rft_data_argv0(argv[0]);
	while ((c = rft_getopt(argc, argv, &cmd)) != -1) {
		switch (c) {
		case 's': {
			const char *eq = strchr(optarg, '=');

			if (!eq || !valid_ident(optarg, (size_t)(eq - optarg)))
				die(RFT_EX_USAGE, "--set wants NAME=VALUE with NAME of letters, digits, '_', not '%s'",
				    optarg);
			{
				char *name = estrndup(optarg, (size_t)(eq - optarg));

				nv_add(&sets, name, eq + 1);
				free(name);
			}
			break;
		}
		case 'n':
			opt.dry = 1;
			break;
		case 'f':
			opt.force = 1;
			break;
		case 256:
			opt.from = optarg;
			break;
		case 257:
			opt.until = optarg;
			break;
		case 'j': opt.jobs = (long)rft_opt_count("jobs", optarg, 1, 256); break;
		case 'w': opt.wait = rft_opt_num("wait", optarg, 0); break;
		case 258: view_mode = 1; break;
		case 'q': view_mode = -1; break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 1 && !strcmp(argv[0], "status")) {
		if (argc != 2) {
			rft_usage(stderr, &cmd);
			return RFT_EX_USAGE;
		}
		ret = status_cmd(argv[1]);
		nv_free(&sets);
		pipeline_free();
		rft_json_thread_done();
		return rft_finish(ret);
	}
	if (argc == 3 && !strcmp(argv[0], "why")) {
		opt.why = 1;
		opt.why_stage = argv[1];
		file = argv[2];
	} else if (argc == 1 && strcmp(argv[0], "why")) {
		file = argv[0];
	} else {
		rft_usage(stderr, &cmd);
		return RFT_EX_USAGE;
	}
	load(file);
	setup_path();
	select_stages();
	/* a real run reads the lock file only once it holds the lock */
	if (!opt.why && !opt.dry)
		take_lock(&lockfd);
	read_lock();
	if (opt.why) {
		why(opt.why_stage);
	} else {
		check_sources();
		if (opt.dry)
			dry_run();
		else
			ret = run();
	}
	if (lockfd >= 0)
		close(lockfd);
	for (i = 0; i < P.nst; i++)
		free(newrec[i]);
	free(newrec);
	json_object_put(oldlock);
	for (i = 0; i < ncache; i++)
		free(cache[i].path);
	free(cache);
	nv_free(&versions);
	nv_free(&sets);
	free(selfdir);
	pipeline_free();
	rft_json_thread_done();
	return rft_finish(ret);
}
