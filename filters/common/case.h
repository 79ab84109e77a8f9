/*
 * case.h - pieces of the case contract that several filters need the same way.
 *
 * The reference object: every prompt line and every sample line carries
 * "reference", built here from the case's "genes", so one grader file serves
 * every model (see README, Streams):
 *
 *   {"gene":"ZSWIM6","hgnc":"HGNC:29316","genes":[{"symbol":"ZSWIM6","hgnc":"HGNC:29316"}]}
 *
 * gene/hgnc: the first gene with an HGNC id; genes: every gene with an HGNC
 * id, in case order (a case may have several causal genes; graders accept any).
 *
 * Ownership rule: kase is borrowed; output is appended to a caller-owned strbuf.
 */
#ifndef RFT_CASE_H
#define RFT_CASE_H

#include <json.h>

#include "strbuf.h"

/* Append the reference object for kase to out.  0, or -1 with a message in
 * err (no program prefix) when the case has no gene with an HGNC id or its
 * "genes" is not an array of objects. */
int rft_case_reference(struct json_object *kase, struct strbuf *out, struct strbuf *err);

#endif
