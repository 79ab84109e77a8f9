/*
 * output.h - outputs that are either complete or absent.
 *
 * rft_output_open(&o, path) opens a temporary file beside path (same
 * directory, so the final rename is atomic); rft_output_commit() flushes,
 * fsyncs, closes and renames it into place.  Until then a killed or failing
 * run leaves no file that looks finished: die(), SIGINT, SIGTERM and SIGHUP
 * remove every temporary file still open.  path "-" or NULL means stdout,
 * which is streamed (commit then only flushes and checks it).
 *
 * Ownership rule: struct rft_output owns its FILE and its names until
 * rft_output_commit() or rft_output_abort(), exactly one of which must be
 * called for every successful open.
 */
#ifndef RFT_OUTPUT_H
#define RFT_OUTPUT_H

#include <stdio.h>

struct rft_output {
	FILE *fp;
	char *path;     /* final name, NULL for stdout */
	char *tmp;      /* temporary name, NULL for stdout */
	int slot;       /* index in the cleanup table */
};

/* 0, or -1 with a message printed. */
int rft_output_open(struct rft_output *o, const char *path);
/* 0, or -1 with a message printed (the temporary file is then removed). */
int rft_output_commit(struct rft_output *o);
void rft_output_abort(struct rft_output *o);
/* Flush (and fsync a temporary file) without committing, so that a full
 * disk shows before what depends on the output is done: 0, or -1 with a
 * message printed (a failed stdout dies, quietly on EPIPE). */
int rft_output_sync(struct rft_output *o);
/* For a program's own signal handler: remove every temporary file still
 * open, then die of sig (async-signal-safe; does not return). */
void rft_output_on_signal(int sig);
/* Write len bytes; on failure dies (quietly on EPIPE for stdout). */
void rft_output_write(struct rft_output *o, const void *buf, size_t len);

#endif
