/*
 * pyworker.c - the python grader's worker process.  See pyworker.h.
 *
 * Processes: rft-grade forks A, which starts a session of its own (its pid is
 * the process group every kill goes to), drops every descriptor but the
 * channel, sets the resource limits, then tries
 * unshare(NEWNS|NEWNET|NEWPID|NEWIPC|NEWUTS), as root without and otherwise
 * with a new user namespace.  When that works A forks B, the first process
 * of the new PID namespace: B makes every mount read-only, mounts a private
 * tmpfs on /tmp and a /proc of its own, drops root to nobody and execs
 * python3; A only waits for B and exits as B did.  Killing B tears the
 * whole namespace down, so nothing the grader forks (setsid or not)
 * survives it.  Without namespaces A execs python3 itself, says so once on
 * stderr, and a kill reaches its process group only.
 *
 * Channel: a socketpair on the worker's fd 3 (its stdin is /dev/null, its
 * stdout goes to rft-grade's stderr, so print() is a message, never an
 * answer).  Every request carries a sequence number and an answer must
 * carry the same one; anything else is an error and the worker is
 * restarted.  What the children report before exec (what isolation failed,
 * exec's errno) comes back on a close-on-exec pipe at fd 4.
 */
#define _GNU_SOURCE
#include "pyworker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../grader.h"
#include "../json.h"
#include "../util.h"

/* The driver: reads the source, then one request a line, from fd 3. */
static const char driver[] =
	"import os, sys, json, math, resource\n"
	"def _rft_worker():\n"
	"    os.set_inheritable(3, False)\n"
	"    rd = open(3, 'rb', closefd=False)\n"
	"    def reply(obj):\n"
	"        b = (json.dumps(obj) + '\\n').encode()\n"
	"        while b:\n"
	"            b = b[os.write(3, b):]\n"
	"    def cpu_limit(secs):\n"
	"        ru = resource.getrusage(resource.RUSAGE_SELF)\n"
	"        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)\n"
	"        want = int(ru.ru_utime + ru.ru_stime + secs) + 2\n"
	"        if hard != resource.RLIM_INFINITY and want > hard:\n"
	"            want = hard\n"
	"        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))\n"
	"    def reap():\n"
	"        if os.getpid() != 1:\n"
	"            return\n"
	"        try:\n"
	"            while os.waitpid(-1, os.WNOHANG)[0] > 0:\n"
	"                pass\n"
	"        except ChildProcessError:\n"
	"            pass\n"
	"    hello = json.loads(rd.readline())\n"
	"    seq, timeout = hello['seq'], hello['timeout']\n"
	"    ns = {'__name__': 'rft_grader'}\n"
	"    try:\n"
	"        exec(compile(hello['source'], 'grader.py', 'exec'), ns)\n"
	"        grade = ns.get('grade')\n"
	"        if not callable(grade):\n"
	"            raise NameError('the source defines no function grade(sample, item)')\n"
	"    except BaseException as e:\n"
	"        reply({'seq': seq, 'error': '%s: %s' % (type(e).__name__, e)})\n"
	"        return\n"
	"    del hello\n"
	"    reply({'seq': seq, 'ok': True})\n"
	"    for line in rd:\n"
	"        req = json.loads(line)\n"
	"        reap()\n"
	"        cpu_limit(timeout)\n"
	"        try:\n"
	"            v = grade(req['sample'], req['item'])\n"
	"            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):\n"
	"                out = {'error': 'grade() returned %r, not a finite float' % (v,)}\n"
	"            else:\n"
	"                out = {'reward': float(v)}\n"
	"        except BaseException as e:\n"
	"            out = {'error': '%s: %s' % (type(e).__name__, e)}\n"
	"        out['seq'] = req['seq']\n"
	"        reply(out)\n"
	"_rft_worker()\n";

/* what the children report on the status pipe before exec */
enum { ST_OFF, ST_UNSHARE, ST_USERMAP, ST_PRIVATE, ST_RDONLY, ST_TMPFS, ST_PROC, ST_SETUID,
       ST_FORK, ST_FDS, ST_EXEC, ST_N };
struct st_rec { int what, err; };

/* what the child needs, all prepared before fork (the child only makes system calls) */
struct spawn {
	const char *python;
	char *argv[8];
	char **env;            /* with isolation: HOME=/tmp; without: HOME=/nonexistent */
	char **env_plain;
	int chan, status, devnull;
	int isolate, root;
	rlim_t mem, nproc, cpu;
	char uid_map[48], gid_map[48];
};

struct pyworker {
	pid_t pid;             /* A, leader of the worker's process group; 0: not running */
	int fd;                /* our end of the channel */
	long seq;
	struct strbuf buf;     /* read but not yet taken */
	struct strbuf failed;  /* the source did not load: every call fails with this */
	int reaped, status;    /* A exited and was waited for */
	const char *source;
	const struct grader_env *env;
	struct pyworker *next; /* live workers, killed at exit */
};

static struct pyworker *live;
static unsigned warned;

static void kill_live(void)
{
	struct pyworker *w;

	for (w = live; w; w = w->next)
		if (w->pid > 0)
			kill(-w->pid, SIGKILL);
}

struct pyworker *pyworker_new(const char *source, const struct grader_env *env)
{
	struct pyworker *w = ecalloc(1, sizeof(*w));
	static int hooked;

	w->fd = -1;
	w->source = source;
	w->env = env;
	strbuf_init(&w->buf, 0);
	strbuf_init(&w->failed, 0);
	w->next = live;
	live = w;
	if (!hooked) {
		rft_atexit(kill_live);
		hooked = 1;
	}
	return w;
}

/* seconds the top level of the source may take: 6 x env->py_timeout, at least 2 */
static double load_timeout(const struct grader_env *env)
{
	double t = 6 * env->py_timeout;

	return t < 2 ? 2 : t;
}

/* kill the worker's process group (its namespace dies with B) and wait for A */
static void stop(struct pyworker *w)
{
	if (w->pid > 0) {
		kill(-w->pid, SIGKILL);
		if (!w->reaped) {
			kill(w->pid, SIGKILL);
			while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
				;
		}
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->pid = 0;
	w->reaped = 0;
	strbuf_reset(&w->buf);
}

void pyworker_free(struct pyworker *w)
{
	struct pyworker **p;

	if (!w)
		return;
	stop(w);
	for (p = &live; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	strbuf_release(&w->buf);
	strbuf_release(&w->failed);
	free(w);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* wait up to left seconds for fd (POLLIN or POLLOUT), noticing A's death on
 * the way (a process the grader forked may hold the channel open): 1 ready,
 * 0 timed out, -1 the worker died */
static int wait_fd(struct pyworker *w, short events, double deadline)
{
	for (;;) {
		struct pollfd pfd = { w->fd, events, 0 };
		double left = deadline - now();
		int ms, pr;

		if (left <= 0)
			return 0;
		ms = left > 0.25 ? 250 : (int)(left * 1000) + 1;
		pr = poll(&pfd, 1, ms);
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr > 0)
			return 1;
		if (!w->reaped && waitpid(w->pid, &w->status, WNOHANG) == w->pid) {
			w->reaped = 1;
			return -1;
		}
	}
}

/* one answer line before deadline: 0 ok, -1 died, -2 timed out */
static int read_line(struct pyworker *w, double deadline, struct strbuf *line)
{
	for (;;) {
		char *nl = memchr(w->buf.buf, '\n', w->buf.len);
		char chunk[4096];
		ssize_t got;
		int r;

		if (nl) {
			size_t k = (size_t)(nl - w->buf.buf);

			strbuf_reset(line);
			strbuf_add(line, w->buf.buf, k);
			memmove(w->buf.buf, nl + 1, w->buf.len - k - 1);
			strbuf_setlen(&w->buf, w->buf.len - k - 1);
			return 0;
		}
		r = wait_fd(w, POLLIN, deadline);
		if (r <= 0)
			return r < 0 ? -1 : -2;
		got = read(w->fd, chunk, sizeof(chunk));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return -1;
		strbuf_add(&w->buf, chunk, (size_t)got);
	}
}

/* the whole request before deadline: 0, -1 died, -2 timed out */
static int send_all(struct pyworker *w, const char *p, size_t n, double deadline)
{
	while (n) {
		ssize_t k = send(w->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int r;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			if ((r = wait_fd(w, POLLOUT, deadline)) <= 0)
				return r < 0 ? -1 : -2;
			continue;
		}
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* ------------------------------------------------------------ the child */

static void report(int fd, int what, int err)
{
	struct st_rec r = { what, err };

	if (write(fd, &r, sizeof(r)) < 0)
		return;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static void set_limit(int res, rlim_t soft, rlim_t hard)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return;
	if (hard != RLIM_INFINITY && (rl.rlim_max == RLIM_INFINITY || hard < rl.rlim_max))
		rl.rlim_max = hard;   /* only lowered, unless we may raise it */
	rl.rlim_cur = soft == RLIM_INFINITY || soft > rl.rlim_max ? rl.rlim_max : soft;
	if (setrlimit(res, &rl) < 0 && hard != RLIM_INFINITY) {
		rl.rlim_max = hard;   /* root may raise a lower hard limit */
		rl.rlim_cur = soft < hard ? soft : hard;
		if (setrlimit(res, &rl) < 0)
			return;
	}
}

/* the last steps of whichever child runs python: no root, no new privileges */
static RFT_NORETURN void exec_python(const struct spawn *s, char **env)
{
	if (s->root && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		report(4, ST_SETUID, errno);
	set_limit(RLIMIT_NPROC, s->nproc, s->nproc);
	set_limit(RLIMIT_AS, s->mem, s->mem);
	set_limit(RLIMIT_CORE, 0, 0);
	set_limit(RLIMIT_FSIZE, (rlim_t)1 << 30, (rlim_t)1 << 30);
	set_limit(RLIMIT_NOFILE, 256, 256);
	set_limit(RLIMIT_CPU, s->cpu, RLIM_INFINITY);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	execve(s->python, s->argv, env);
	report(4, ST_EXEC, errno);
	_exit(127);
}

/* every mount read-only, one by one from /proc/self/mountinfo: for kernels
 * (and valgrind) without mount_setattr; 0 or -1 with errno */
static int remount_all_rdonly(void)
{
	static char text[1 << 18];
	size_t len = 0;
	ssize_t got;
	char *p, *end;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -1;
	while ((got = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (got < 0 || len == sizeof(text) - 1) {
		errno = got < 0 ? errno : E2BIG;
		return -1;
	}
	text[len] = 0;
	for (p = text; p < text + len; p = end + 1) {
		char *f[6], *q, *w;
		unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
		int i;

		end = strchr(p, '\n');
		if (!end)
			end = text + len;
		*end = 0;
		for (i = 0, q = p; i < 6 && q; i++) {   /* id parent dev root MOUNTPOINT OPTIONS */
			f[i] = q;
			q = strchr(q, ' ');
			if (q)
				*q++ = 0;
		}
		if (i < 6)
			continue;
		for (q = w = f[4]; *q; w++) {           /* \040 and the like */
			if (q[0] == '\\' && q[1] >= '0' && q[1] <= '3' && q[2] >= '0' && q[2] <= '7' &&
			    q[3] >= '0' && q[3] <= '7') {
				*w = (char)((q[1] - '0') * 64 + (q[2] - '0') * 8 + (q[3] - '0'));
				q += 4;
			} else {
				*w = *q++;
			}
		}
		*w = 0;
		/* flags the kernel locks in a user namespace must be kept */
		if (strstr(f[5], "nodev"))
			flags |= MS_NODEV;
		if (strstr(f[5], "noexec"))
			flags |= MS_NOEXEC;
		if (strstr(f[5], "noatime"))
			flags |= MS_NOATIME;
		else if (strstr(f[5], "relatime"))
			flags |= MS_RELATIME;
		if (strstr(f[5], "nodiratime"))
			flags |= MS_NODIRATIME;
		if (mount("none", f[4], "none", flags, NULL) < 0 && errno != ENOENT && errno != EACCES)
			ret = -1;
	}
	return ret;
}

/* B: pid 1 of the new namespaces */
static RFT_NORETURN void child_b(const struct spawn *s)
{
	struct mount_attr attr;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID;
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		report(4, ST_PRIVATE, errno);   /* our mounts would reach the host: none */
		exec_python(s, s->env_plain);
	}
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) < 0 &&
	    (errno != ENOSYS || remount_all_rdonly() < 0))
		report(4, ST_RDONLY, errno);
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777") < 0)
		report(4, ST_TMPFS, errno);
	else if (chdir("/tmp") < 0)
		report(4, ST_TMPFS, errno);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		report(4, ST_PROC, errno);
	exec_python(s, s->env);
}

/* A: right after fork */
static RFT_NORETURN void child_a(const struct spawn *s)
{
	int chan, st, dn, errfd, flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	struct rlimit rl;
	pid_t b;
	int bst;

	if (setsid() < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	/* fds: 0 /dev/null, 1 and 2 our stderr, 3 the channel, 4 the status pipe, no other */
	chan = fcntl(s->chan, F_DUPFD, 10);
	st = fcntl(s->status, F_DUPFD_CLOEXEC, 10);
	dn = fcntl(s->devnull, F_DUPFD, 10);
	errfd = fcntl(2, F_GETFD) >= 0 ? fcntl(2, F_DUPFD, 10) : dn;
	if (chan < 0 || st < 0 || dn < 0 || errfd < 0 || dup2(dn, 0) < 0 || dup2(errfd, 1) < 0 ||
	    dup2(errfd, 2) < 0 || dup2(chan, 3) < 0 || dup3(st, 4, O_CLOEXEC) < 0)
		_exit(127);
	if (close_range(5, ~0U, 0) < 0) {
		int fd;

		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20)
			rl.rlim_cur = 1 << 16;
		for (fd = 5; fd < (int)rl.rlim_cur; fd++)
			close(fd);
	}
	if (!s->isolate) {
		report(4, ST_OFF, 0);
		exec_python(s, s->env_plain);
	}
	if (!s->root || unshare(flags) < 0) {
		if (unshare(flags | CLONE_NEWUSER) < 0) {
			report(4, ST_UNSHARE, errno);
			exec_python(s, s->env_plain);
		}
		/* our own ids, mapped to themselves: exec drops the namespace's capabilities */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (write_file("/proc/self/uid_map", s->uid_map) < 0 ||
		    (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) ||
		    write_file("/proc/self/gid_map", s->gid_map) < 0) {
			report(4, ST_USERMAP, errno);
		}
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	b = fork();
	if (b < 0) {
		report(4, ST_FORK, errno);
		_exit(127);
	}
	if (b == 0)
		child_b(s);
	close(0); close(1); close(3); close(4);
	while (waitpid(b, &bst, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (WIFSIGNALED(bst)) {
		sigset_t all;

		signal(WTERMSIG(bst), SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		kill(getpid(), WTERMSIG(bst));
		_exit(128 + WTERMSIG(bst));
	}
	_exit(WEXITSTATUS(bst));
}

/* ------------------------------------------------------------ starting */

/* threads of uid now, for an RLIMIT_NPROC that leaves room for 64 more */
static rlim_t nproc_limit(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	rlim_t n = 0;

	if (!d)
		return 512;
	while ((e = readdir(d))) {
		struct stat sb;
		char path[300];

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, 0) < 0 || sb.st_uid != uid)
			continue;
		snprintf(path, sizeof(path), "%s/task", e->d_name);
		n += fstatat(dirfd(d), path, &sb, 0) == 0 && sb.st_nlink > 2 ? sb.st_nlink - 2 : 1;
	}
	closedir(d);
	return n + 64;
}

static const char *find_python(void)
{
	static const char *const paths[] = { "/usr/bin/python3", "/bin/python3" };
	const char *p = getenv("RFT_PYTHON");
	size_t i;

	if (p && *p)
		return p;
	for (i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* say once what the worker runs without */
static void warn_status(const struct st_rec *r)
{
	static const char *const what[ST_N] = {
		[ST_OFF] = "python grader runs without network isolation: RFT_PYTHON_ISOLATION=off "
			   "(no network, file system or process namespace)",
		[ST_UNSHARE] = "python grader runs without network isolation: unshare",
		[ST_USERMAP] = "python grader runs in a user namespace without an id map",
		[ST_PRIVATE] = "python grader runs without a read-only file system: making / private",
		[ST_RDONLY] = "python grader runs without a read-only file system: mount_setattr",
		[ST_TMPFS] = "python grader runs without a private /tmp: mounting a tmpfs",
		[ST_PROC] = "python grader sees the host's /proc: mounting proc",
		[ST_SETUID] = "python grader runs as root: dropping to uid 65534",
	};

	if (r->what < 0 || r->what >= ST_N || !what[r->what] || (warned & (1u << r->what)))
		return;
	warned |= 1u << r->what;
	if (r->what == ST_OFF)
		warn("%s", what[r->what]);
	else if (r->what == ST_UNSHARE)
		warn("%s: %s (no network, file system or process namespace)", what[r->what], strerror(r->err));
	else
		warn("%s: %s", what[r->what], strerror(r->err));
}

/* fork the worker; 0, or -1 with the reason in err */
static int spawn(struct pyworker *w, struct strbuf *err)
{
	static char *env_iso[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=/tmp",
				   "TMPDIR=/tmp", "PYTHONDONTWRITEBYTECODE=1", NULL };
	static char *env_plain[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
				     "HOME=/nonexistent", "PYTHONDONTWRITEBYTECODE=1", NULL };
	struct spawn s;
	int sv[2], stp[2], ret = -1;
	const char *iso = getenv("RFT_PYTHON_ISOLATION");
	struct st_rec rec;
	ssize_t got;

	memset(&s, 0, sizeof(s));
	if (iso && *iso && strcmp(iso, "on") && strcmp(iso, "off")) {   /* a typo must not pick either */
		strbuf_addf(err, "RFT_PYTHON_ISOLATION is '%s': give off or on", iso);
		return -1;
	}
	s.python = find_python();
	if (!s.python) {
		strbuf_addstr(err, "python3 is not installed (looked in /usr/bin and /bin; RFT_PYTHON names another)");
		return -1;
	}
	s.argv[0] = "python3";
	s.argv[1] = "-I";
	s.argv[2] = "-B";
	s.argv[3] = "-u";
	s.argv[4] = "-c";
	s.argv[5] = (char *)driver;
	s.env = env_iso;
	s.env_plain = env_plain;
	s.isolate = !(iso && !strcmp(iso, "off"));
	s.root = geteuid() == 0;
	s.mem = (rlim_t)w->env->py_memory_mb << 20;
	s.cpu = (rlim_t)ceil(load_timeout(w->env)) + 2;
	s.nproc = nproc_limit(s.root ? 65534 : getuid());
	snprintf(s.uid_map, sizeof(s.uid_map), "%lu %lu 1\n", (unsigned long)geteuid(), (unsigned long)geteuid());
	snprintf(s.gid_map, sizeof(s.gid_map), "%lu %lu 1\n", (unsigned long)getegid(), (unsigned long)getegid());
	if (!s.root)   /* our /proc/PID/environ is not for the worker to read */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(stp, O_CLOEXEC) < 0)
		die(RFT_EX_SOFTWARE, "socketpair:");
	s.chan = sv[1];
	s.status = stp[1];
	s.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (s.devnull < 0)
		die(RFT_EX_SOFTWARE, "/dev/null:");
	w->pid = fork();
	if (w->pid < 0)
		die(RFT_EX_SOFTWARE, "fork:");
	if (w->pid == 0)
		child_a(&s);
	w->reaped = 0;
	close(sv[1]);
	close(stp[1]);
	close(s.devnull);
	w->fd = sv[0];
	/* until python runs (or did not): the pipe closes at exec */
	while ((got = read(stp[0], &rec, sizeof(rec))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(rec))
			break;
		if (rec.what == ST_EXEC || rec.what == ST_FORK) {
			strbuf_reset(err);
			strbuf_addf(err, "cannot run %s: %s", rec.what == ST_EXEC ? s.python : "fork",
				    strerror(rec.err));
			ret = -2;
		} else {
			warn_status(&rec);
		}
	}
	close(stp[0]);
	if (ret == -2) {
		stop(w);
		return -1;
	}
	return 0;
}

static int check_seq(struct json_object *o, long seq)
{
	struct json_object *v = rft_json_get(o, "seq");

	return v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) == seq;
}

/* what went wrong with the worker, for a message; stops it */
static void died(struct pyworker *w, int r, double secs, const char *what, struct strbuf *err)
{
	if (r == -2) {
		strbuf_addf(err, "%s took longer than %g s", what, secs);
	} else {
		/* the channel closed: give the worker a moment to exit by itself,
		 * so its own status is reported, then kill it */
		int i;

		for (i = 0; i < 100 && !w->reaped; i++) {
			struct timespec ms10 = { 0, 10000000 };

			if (waitpid(w->pid, &w->status, WNOHANG) == w->pid)
				w->reaped = 1;
			else
				nanosleep(&ms10, NULL);
		}
		if (!w->reaped) {
			kill(-w->pid, SIGKILL);
			while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
				;
			w->reaped = 1;
		}
		if (WIFSIGNALED(w->status))
			strbuf_addf(err, "the python worker was killed by signal %d", WTERMSIG(w->status));
		else
			strbuf_addf(err, "the python worker exited with status %d", WEXITSTATUS(w->status));
	}
	stop(w);
}

int pyworker_load(struct pyworker *w, struct strbuf *err)
{
	struct strbuf msg = STRBUF_INIT, line = STRBUF_INIT;
	struct json_object *o = NULL;
	double secs = load_timeout(w->env), deadline;
	int r, ret = -1;

	if (w->failed.len) {
		strbuf_add(err, w->failed.buf, w->failed.len);
		return -1;
	}
	stop(w);
	if (spawn(w, err) < 0)
		goto out;
	deadline = now() + secs;
	w->seq++;
	strbuf_addf(&msg, "{\"seq\":%ld,\"timeout\":", w->seq);
	json_put_fixed(&msg, w->env->py_timeout, 3);
	strbuf_addstr(&msg, ",\"source\":");
	json_put_str(&msg, w->source);
	strbuf_addstr(&msg, "}\n");
	r = send_all(w, msg.buf, msg.len, deadline);
	if (!r)
		r = read_line(w, deadline, &line);
	if (r < 0) {
		died(w, r, secs, "loading the python grader", err);
		goto out;
	}
	o = json_tokener_parse(line.buf);
	if (!check_seq(o, w->seq) || (!rft_json_get_str(o, "error") && !rft_json_get(o, "ok"))) {
		strbuf_addstr(err, "the python worker answered nonsense while loading");
		stop(w);
		goto out;
	}
	if (rft_json_get_str(o, "error")) {
		strbuf_addf(err, "the python grader does not load: %s", rft_json_get_str(o, "error"));
		stop(w);
		goto out;
	}
	ret = 0;
out:
	if (ret < 0 && !w->failed.len)
		strbuf_add(&w->failed, err->buf, err->len);   /* not run again */
	json_object_put(o);
	strbuf_release(&msg);
	strbuf_release(&line);
	return ret;
}

int pyworker_grade(struct pyworker *w, struct json_object *sample, struct json_object *item,
		   double *reward, struct strbuf *err)
{
	struct strbuf req = STRBUF_INIT, line = STRBUF_INIT;
	struct json_object *o = NULL, *v;
	double deadline;
	int r, ret = -1;

	*reward = 0;
	if (!w->pid && pyworker_load(w, err) < 0)
		goto out;
	w->seq++;
	strbuf_addf(&req, "{\"seq\":%ld,\"sample\":", w->seq);
	json_put_value(&req, sample);
	strbuf_addstr(&req, ",\"item\":");
	json_put_value(&req, item);
	strbuf_addstr(&req, "}\n");
	deadline = now() + w->env->py_timeout;
	r = send_all(w, req.buf, req.len, deadline);
	if (!r)
		r = read_line(w, deadline, &line);
	if (r < 0) {   /* restarted for the next line */
		died(w, r, w->env->py_timeout, "grade()", err);
		goto out;
	}
	o = json_tokener_parse(line.buf);
	if (!check_seq(o, w->seq)) {
		/* not the answer to this request: nothing after it can be trusted */
		strbuf_addf(err, "the python worker's answer is not for this line (the grader wrote to "
			    "the worker's channel, fd 3?): %.60s", line.buf);
		stop(w);
		goto out;
	}
	if (rft_json_get_str(o, "error")) {
		strbuf_addstr(err, rft_json_get_str(o, "error"));
		goto out;
	}
	v = rft_json_get(o, "reward");
	if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ||
	    !isfinite(json_object_get_double(v))) {
		strbuf_addstr(err, "the python worker answered nonsense");
		stop(w);
		goto out;
	}
	*reward = json_object_get_double(v);
	ret = 0;
out:
	json_object_put(o);
	strbuf_release(&req);
	strbuf_release(&line);
	return ret;
}
