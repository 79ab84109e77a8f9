#include "output.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"

#define MAX_TEMPS 32

/* Names of temporary files still open; read by the signal handler, so
 * written before a slot is marked used. */
static char *volatile temps[MAX_TEMPS];
static int hooked;

static void remove_temps(void)
{
	int i;

	for (i = 0; i < MAX_TEMPS; i++)
		if (temps[i])
			unlink(temps[i]);
}

static void on_signal(int sig)
{
	remove_temps();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void hook(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	if (hooked)
		return;
	hooked = 1;
	rft_atexit(remove_temps);
	for (i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

int rft_output_open(struct rft_output *o, const char *path)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *slash;
	int fd, i;

	memset(o, 0, sizeof(*o));
	o->slot = -1;
	if (!path || !strcmp(path, "-")) {
		o->fp = stdout;
		return 0;
	}
	/* a device or FIFO (-o /dev/null, -o >(cmd)) is written in place:
	 * renaming over it would replace the device with a plain file */
	{
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			o->fp = fopen(path, "w");
			if (!o->fp)
				return error("cannot open '%s':", path);
			o->path = estrdup(path);
			return 0;
		}
	}
	hook();
	slash = strrchr(path, '/');
	if (slash)
		strbuf_add(&tmp, path, (size_t)(slash - path + 1));
	strbuf_addf(&tmp, ".%s.tmp.XXXXXX", slash ? slash + 1 : path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		error("cannot create '%s':", tmp.buf);
		strbuf_release(&tmp);
		return -1;
	}
	{
		mode_t mask = umask(0);

		umask(mask);
		if (fchmod(fd, 0666 & ~mask) != 0)
			warn("cannot set mode of '%s':", tmp.buf);
	}
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		error("cannot open '%s':", tmp.buf);
		close(fd);
		unlink(tmp.buf);
		strbuf_release(&tmp);
		return -1;
	}
	o->tmp = strbuf_detach(&tmp, NULL);
	o->path = estrdup(path);
	for (i = 0; i < MAX_TEMPS && temps[i]; i++)
		;
	if (i == MAX_TEMPS)
		die(RFT_EX_SOFTWARE, "too many open outputs");
	temps[i] = o->tmp;
	o->slot = i;
	return 0;
}

static void forget(struct rft_output *o)
{
	if (o->slot >= 0)
		temps[o->slot] = NULL;
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	o->fp = NULL;
	o->slot = -1;
}

void rft_output_abort(struct rft_output *o)
{
	if (!o->tmp) {
		if (o->path)
			fclose(o->fp);
		free(o->path);
		o->path = NULL;
		o->fp = NULL;
		return;
	}
	fclose(o->fp);
	unlink(o->tmp);
	forget(o);
}

int rft_output_commit(struct rft_output *o)
{
	if (!o->tmp && !o->path) {
		if (fflush(o->fp) != 0 || ferror(o->fp))
			rft_stdout_failed();
		o->fp = NULL;
		return 0;
	}
	if (!o->tmp) {
		int bad = ferror(o->fp);

		if (fclose(o->fp) != 0 || bad) {
			error("error writing '%s':", o->path);
			bad = -1;
		}
		free(o->path);
		o->path = NULL;
		o->fp = NULL;
		return bad ? -1 : 0;
	}
	if (fflush(o->fp) != 0 || ferror(o->fp) || fsync(fileno(o->fp)) != 0) {
		error("error writing '%s':", o->path);
		rft_output_abort(o);
		return -1;
	}
	if (fclose(o->fp) != 0) {
		o->fp = NULL;
		error("error writing '%s':", o->path);
		unlink(o->tmp);
		forget(o);
		return -1;
	}
	o->fp = NULL;
	if (rename(o->tmp, o->path) != 0) {
		error("cannot rename '%s' to '%s':", o->tmp, o->path);
		unlink(o->tmp);
		forget(o);
		return -1;
	}
	forget(o);
	return 0;
}

void rft_output_write(struct rft_output *o, const void *buf, size_t len)
{
	if (len == 0)
		return;
	if (fwrite(buf, 1, len, o->fp) != len) {
		if (!o->path)
			rft_stdout_failed();
		die(RFT_EX_IOERR, "error writing '%s':", o->path);
	}
}
