/*
 * progress.h - a filter's progress line, for whoever watches the run.
 *
 * A filter keeps one line of text saying how far it is and hands every
 * update to rft_progress_put(); the line goes to
 *
 *   - stderr, redrawn in place with \r, when stderr is a terminal
 *     (at most every 0.5 s);
 *   - the file named by the environment variable RFT_PROGRESS, appended as a
 *     whole "PROG: text\n" line at most once a second.  rft-run sets it to
 *     LOGS/STAGE.progress for each stage it starts, relays the last line on
 *     its terminal and `rft-run status` shows it.  A channel that cannot be
 *     opened is reported once on stderr and dropped.
 *
 * With neither, nothing is written.  rft_progress_end() writes the last
 * update when the rate limit held it back, ends the terminal line with \n
 * and closes the channel; after it, the struct may be put to again.
 *
 *   static struct rft_progress pg = RFT_PROGRESS_INIT;
 *   rft_progress_put(&pg, "%llu/%llu done", done, total);   (often)
 *   rft_progress_end(&pg);                                   (once, at the end)
 *
 * Ownership rule: the struct owns its line buffer and the channel's file
 * descriptor; rft_progress_end() releases both.
 */
#ifndef RFT_PROGRESS_H
#define RFT_PROGRESS_H

#include "strbuf.h"
#include "util.h"   /* RFT_PRINTF */

#define RFT_PROGRESS_ENV "RFT_PROGRESS"

struct rft_progress {
	int state;              /* 0: not looked at the environment yet, 1: looked */
	int tty;                /* stderr is a terminal */
	int fd;                 /* the channel, or -1 */
	int drawn;              /* a terminal line is up without its \n */
	int held;               /* the line holds an update not yet written */
	double last_tty, last_fd;
	struct strbuf line;
};

#define RFT_PROGRESS_INIT { 0, 0, -1, 0, 0, 0, 0, STRBUF_INIT }

/* Does anyone watch (a terminal or a channel)?  Callers may skip work for
 * the line when not. */
int rft_progress_on(struct rft_progress *p);
void rft_progress_put(struct rft_progress *p, const char *fmt, ...) RFT_PRINTF(2, 3);
void rft_progress_end(struct rft_progress *p);

#endif
