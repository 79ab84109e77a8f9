/*
 * python.c - the python grader type: its load, grade and export; the worker
 * process and everything it may do are pyworker.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "internal.h"
#include "pyworker.h"

/* ---------------------------------------------------------------- python */

/* The worker process and everything it may do are pyworker.c's. */
void python_grade(const struct grader *g, struct json_object *item,
		  struct json_object *sample, struct grade_result *r)
{
	struct strbuf err = STRBUF_INIT;

	if (pyworker_grade(g->py, sample, item, &r->reward, &err) < 0)
		grade_fail(r, GRADE_ERR_PYTHON, "%s", err.buf);
	strbuf_release(&err);
}


int python_load(struct grader *g, struct json_object *o, const char *where, const char *here,
		struct strbuf *err)
{
	const char *s = grader_str_member(o, "source", NULL, here, err);

	(void)where;
	if (!s) {
		if (!err->len)
			strbuf_addf(err, "%s: needs \"source\"", here);
		return -1;
	}
	g->source = estrdup(s);
	g->py = pyworker_new(g->source, g->env);
	return 0;
}

int python_export(const struct grader *g, const struct strmap *genes, struct strbuf *out,
		  struct strbuf *err)
{
	(void)genes;
	(void)err;
	strbuf_addstr(out, "{\"type\":\"python\",\"name\":");
	json_put_str(out, g->name);
	strbuf_addstr(out, ",\"source\":");
	json_put_str(out, g->source);
	strbuf_addch(out, '}');
	return 0;
}

void python_free(struct grader *g)
{
	pyworker_free(g->py);
	free(g->source);
}

int python_start(struct grader *g, struct strbuf *err)
{
	int i;

	if (g->py)
		return pyworker_load(g->py, err);
	for (i = 0; i < g->nsubs; i++)
		if (python_start(g->subs[i], err) < 0)
			return -1;
	return 0;
}
