/*
 * pyworker.h - the process that runs a python grader's source: one python3
 * per grader, loaded once, answering grade(sample, item) calls over a
 * private channel (a socket on its fd 3, never its stdout), with a scrubbed
 * environment, no inherited descriptors, resource limits and, where the
 * machine allows, no network, a read-only file system and its own process
 * namespace.  man/rft-grade.1 ("WHAT A PYTHON GRADER CAN AND CANNOT DO")
 * states the limits; pyworker.c says how.
 *
 *   struct pyworker *w = pyworker_new(source, &env);   // borrows both
 *   if (pyworker_load(w, &err) < 0) die(78, "%s", err.buf);
 *   if (pyworker_grade(w, sample, item, &reward, &err) < 0) ... err says why
 *   pyworker_free(w);                                  // kills what is left
 *
 * pyworker_grade starts the worker again when the last call timed out or
 * killed it; a source that does not load then fails every later call at
 * once with the same message (it is not run again).  Not thread-safe: one
 * thread per worker.  Every worker still running when the program exits
 * through die() or rft_finish() is killed with all its processes.
 */
#ifndef RFT_PYWORKER_H
#define RFT_PYWORKER_H

#include <json.h>

#include "../strbuf.h"

struct grader_env;
struct pyworker;

/* A worker for source (not started); source and env must outlive it. */
struct pyworker *pyworker_new(const char *source, const struct grader_env *env);
/* Start the worker and run the source's top level: 0, or -1 with the reason
 * in err (python missing, the source raised, or it took longer than
 * 6 x env->py_timeout, at least 2 s). */
int pyworker_load(struct pyworker *w, struct strbuf *err);
/* grade(sample, item): 0 with the reward, or -1 with the reason in err. */
int pyworker_grade(struct pyworker *w, struct json_object *sample, struct json_object *item,
		   double *reward, struct strbuf *err);
void pyworker_free(struct pyworker *w);

#endif
