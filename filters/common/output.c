#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

void rft_output_on_signal(int sig)
{
	sigset_t set;

	remove_temps();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);   /* called from a handler: sig is blocked */
	raise(sig);
	_exit(128 + sig);
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
		sa.sa_handler = rft_output_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

/*
 * Temporary names say whose they are: ".NAME.tmp.PID@HOST.XXXXXX".  A run
 * killed with SIGKILL (or a machine that went down) cannot remove its own,
 * so the next run writing NAME removes those of processes of this host
 * that no longer exist, and says so.  Names of other hosts (a shared file
 * system) and of live processes are left alone.
 */
static void host_name(char *buf, size_t n)
{
	char *p;

	if (gethostname(buf, n) != 0)
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	for (p = buf; *p; p++)   /* keep the name one path component */
		if (*p == '/' || *p == '.')
			*p = '_';
}

static void remove_stale(const char *dir, const char *prefix, const char *host)
{
	DIR *d = opendir(*dir ? dir : ".");
	struct dirent *e;
	size_t np = strlen(prefix), nh = strlen(host);

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *p = e->d_name;
		char *end;
		long pid;

		if (strncmp(p, prefix, np) != 0)
			continue;
		p += np;
		errno = 0;
		pid = strtol(p, &end, 10);
		if (end == p || *end != '@' || pid <= 0 || errno)
			continue;
		if (strncmp(end + 1, host, nh) != 0 || end[1 + nh] != '.' || strlen(end + 2 + nh) != 6)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;   /* alive, or not ours to know */
		{
			struct strbuf sb = STRBUF_INIT;

			strbuf_addf(&sb, "%s%s", dir, e->d_name);
			if (unlink(sb.buf) == 0)
				warn("removed '%s', left by a run that was killed (pid %ld)", sb.buf, pid);
			strbuf_release(&sb);
		}
	}
	closedir(d);
}

int rft_output_open(struct rft_output *o, const char *path)
{
	char host[64];
	struct strbuf prefix = STRBUF_INIT;
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
	host_name(host, sizeof(host));
	slash = strrchr(path, '/');
	if (slash)
		strbuf_add(&tmp, path, (size_t)(slash - path + 1));
	strbuf_addf(&prefix, ".%s.tmp.", slash ? slash + 1 : path);
	remove_stale(tmp.buf, prefix.buf, host);
	strbuf_addf(&tmp, "%s%ld@%s.XXXXXX", prefix.buf, (long)getpid(), host);
	strbuf_release(&prefix);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		error("cannot create '%s':", tmp.buf);
		strbuf_release(&tmp);
		return -1;
	}
	/* not inherited by what a filter runs (a python grader, a stage) */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		warn("cannot set close-on-exec on '%s':", tmp.buf);
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

int rft_output_sync(struct rft_output *o)
{
	if (fflush(o->fp) != 0 || ferror(o->fp)) {
		if (!o->path)
			rft_stdout_failed();
		return error("error writing '%s':", o->path);
	}
	if (o->tmp && fsync(fileno(o->fp)) != 0)
		return error("error writing '%s':", o->path);
	return 0;
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
	if (rft_output_sync(o) < 0) {
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
