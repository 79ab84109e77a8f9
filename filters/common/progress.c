#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TTY_EVERY 0.5   /* seconds between redraws on a terminal */
#define FD_EVERY 1.0    /* seconds between lines on the channel */

static void look(struct rft_progress *p)
{
	const char *path;

	if (p->state)
		return;
	p->state = 1;
	p->tty = isatty(STDERR_FILENO);
	p->fd = -1;
	p->last_tty = p->last_fd = -1e9;
	path = getenv(RFT_PROGRESS_ENV);
	if (path && *path) {
		p->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (p->fd < 0)
			warn("cannot write progress to '%s' (from %s):", path, RFT_PROGRESS_ENV);
	}
}

int rft_progress_on(struct rft_progress *p)
{
	look(p);
	return p->tty || p->fd >= 0;
}

/* write all of s[0..n) to fd; a failing channel is reported and dropped */
static void put_fd(struct rft_progress *p, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(p->fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			warn("writing progress to '%s':", getenv(RFT_PROGRESS_ENV));
			close(p->fd);
			p->fd = -1;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void emit(struct rft_progress *p, double now, int force)
{
	if (p->tty && (force || now - p->last_tty >= TTY_EVERY)) {
		fflush(stdout);
		fprintf(stderr, "\r%s: %s\033[K", rft_progname, p->line.buf);
		p->drawn = 1;
		p->last_tty = now;
	}
	if (p->fd >= 0 && (force || now - p->last_fd >= FD_EVERY)) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_addf(&sb, "%s: %s\n", rft_progname, p->line.buf);
		put_fd(p, sb.buf, sb.len);
		strbuf_release(&sb);
		p->last_fd = now;
	}
	/* held back from either: end() writes it */
	p->held = (p->tty && p->last_tty != now) || (p->fd >= 0 && p->last_fd != now);
}

void rft_progress_put(struct rft_progress *p, const char *fmt, ...)
{
	va_list ap;
	char *nl;

	if (!rft_progress_on(p))
		return;
	strbuf_reset(&p->line);
	va_start(ap, fmt);
	strbuf_vaddf(&p->line, fmt, ap);
	va_end(ap);
	/* one line, whatever the text holds */
	while ((nl = strpbrk(p->line.buf, "\r\n")))
		*nl = ' ';
	emit(p, rft_now(), 0);
}

void rft_progress_end(struct rft_progress *p)
{
	if (p->held)
		emit(p, rft_now(), 1);
	if (p->drawn)
		fputc('\n', stderr);
	if (p->fd >= 0)
		close(p->fd);
	strbuf_release(&p->line);
	p->state = 0;
	p->fd = -1;
	p->drawn = p->held = 0;
}
