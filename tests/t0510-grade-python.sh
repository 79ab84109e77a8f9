# rft-grade: what a python grader can do to the host (man rft-grade, WHAT A
# PYTHON GRADER CAN AND CANNOT DO), and that its answers cannot be confused.
. "$T/lib.sh"

R="$TD/robustness"
S3="$R/samples-3.jsonl"

if ! command -v python3 > /dev/null 2>&1; then
	test_skip 'python grader tests' 'no python3'
	exit 0
fi

# rewards, error flags and messages of a graded file, one line each
rewards() { jq -c "[.grade.reward, .grade.errors.python_grader_runtime_error, .grade.message]" "$@"; }

# Is the worker isolated here (namespaces allowed)?  It says so on stderr when not.
rft-grade -g "$R/python-network.json" "$S3" > /dev/null 2> iso.err
if grep -q "runs without network isolation" iso.err; then isolated=0; else isolated=1; fi

test_expect_success 'D7: print() in grade() goes to stderr and shifts no reward' '
	rft-grade -g "$R/python-print-shifts-rewards.json" "$S3" > out 2> err &&
	rewards out > got &&
	printf "%s\n" "[0.1,false,null]" "[0.2,false,null]" "[0.3,false,null]" > want &&
	test_cmp want got &&
	grep_err "debug: first call" err
'
test_expect_success 'D7: a line the grader writes on the channel is an error flag, never a reward' '
	rft-grade -g "$R/python-forge-output-via-fd3.json" "$S3" > out &&
	jq -c "[.grade.reward, .grade.errors.python_grader_runtime_error]" out | sort -u > got &&
	echo "[0,true]" > want &&
	test_cmp want got &&
	jq -r .grade.message out | grep -c "answer is not for this line" | grep -qx 3
'
test_expect_success 'D8: the worker gets none of our descriptors: -o and --rejects cannot be forged' '
	rft-grade -g "$R/python-forge-output-via-fd3.json" -o out.jsonl --rejects rej.jsonl "$S3" &&
	test "$(wc -l < out.jsonl)" -eq 3 &&
	jq -r .id out.jsonl > ids && ! grep -q FORGED ids &&
	jq -e ".grade.errors.python_grader_runtime_error" out.jsonl > /dev/null &&
	test ! -s rej.jsonl
'
test_expect_success 'D8: scrubbed environment, only fds 0-3, limits set (also after a restart with -o open)' '
	{ head -1 "$S3" | jq -c ". + {die: true}"; tail -2 "$S3"; } > in.jsonl &&
	OPENAI_API_KEY=sk-secret-do-not-leak RFT_SOMETHING=x \
	  rft-grade -g "$R/python-probe-stderr.json" -o out.jsonl --rejects rej.jsonl in.jsonl 2> err &&
	rewards out.jsonl > got &&
	printf "%s\n" "[0,true,\"the python worker exited with status 3\"]" "[0.1,false,null]" "[0.1,false,null]" > want &&
	test_cmp want got &&
	grep "^{\"probe\"" err > probes &&
	test "$(wc -l < probes)" -eq 2 &&
	! grep -q sk-secret-do-not-leak probes &&
	jq -e "(.env | keys) - [\"PATH\", \"LANG\", \"LC_ALL\", \"HOME\", \"TMPDIR\", \"PYTHONDONTWRITEBYTECODE\"] == []" probes &&
	jq -e ".env.PATH == \"/usr/bin:/bin\"" probes &&
	# fd 4 is the directory listdir has open while it reads /proc/self/fd
	jq -e ".fds == [0, 1, 2, 3, 4] and .stdin == \"\" and (.tty | not)" probes &&
	jq -e ".limits.RLIMIT_CORE == [0, 0]" probes &&
	# (valgrind fakes RLIMIT_NOFILE for its client: python gets the real one there)
	{ [ "${RFT_VALGRIND:-0}" = 1 ] || jq -e ".limits.RLIMIT_NOFILE == [256, 256]" probes; } &&
	jq -e ".limits.RLIMIT_AS == [1073741824, 1073741824] and .limits.RLIMIT_FSIZE[0] == 1073741824" probes &&
	jq -e ".limits.RLIMIT_CPU[0] > 0 and .limits.RLIMIT_CPU[0] < 100 and .limits.RLIMIT_NPROC[0] > 0" probes
'
test_expect_success 'D8: as root the worker runs as nobody (65534)' '
	if [ "$(id -u)" != 0 ]; then exit 0; fi
	rft-grade -g "$R/python-probe-stderr.json" "$S3" 2> err > /dev/null &&
	grep "^{\"probe\"" err > probes && test "$(wc -l < probes)" -eq 3 &&
	jq -e ".uid == 65534" probes > /dev/null
'

# processes the grader started, still running
sleepers() { ps -eo args= | grep -c "^sleep $1\$"; }

if [ $isolated = 1 ]; then
test_expect_success 'D9: a forked, setsid() process dies with the worker (PID namespace)' '
	rft-grade -g "$R/python-fork-sleep.json" "$S3" > out &&
	rewards out | sort -u > got && echo "[0.5,false,null]" > want && test_cmp want got &&
	sleep 0.3 &&
	test "$(sleepers 86399.25)" -eq 0
'
# wait_answer FILE: until the first answer is in FILE (the timed-out call was
# killed before it was answered), at most 60 s: no fixed sleep, so a slow
# machine or valgrind does not count the sleepers too early
wait_answer() {
	_w=0
	while [ ! -s "$1" ] && [ $_w -lt 300 ]; do sleep 0.2; _w=$((_w + 1)); done
}
test_expect_success 'D9: a timed-out call loses every process it started, at the timeout' '
	req="{\"item\":{\"mode\":\"hang\",\"secs\":\"86399.5\"},\"sample\":{}}" &&
	rm -f answers &&
	{ echo "$req"; wait_answer answers; sleepers 86399.5 > during; echo "$req"; } |
	  rft-grade --serve -g "$R/python-fork-sleep.json" --python-timeout 1 > answers &&
	test "$(cat during)" -eq 0 &&
	jq -r .grade.message answers | sort -u > got &&
	echo "grade() took longer than 1 s" > want &&
	test_cmp want got
'
test_expect_success 'isolation: no network (only a down loopback)' '
	rft-grade -g "$R/python-network.json" "$S3" > out 2> err &&
	rewards out | sort -u > got && echo "[0.25,false,null]" > want && test_cmp want got &&
	! grep -q "without" err
'
test_expect_success 'isolation: writes land in a private /tmp; the rest of the file system is read-only' '
	rm -f /tmp/rft-py-wrote-here &&
	rft-grade -g "$R/python-write-file.json" "$S3" > out &&
	rewards out | sort -u > got && echo "[0.2,false,null]" > want && test_cmp want got &&
	test ! -e /tmp/rft-py-wrote-here &&
	cat > w.json <<-\PY &&
	{"type":"python","name":"w","source":"def grade(sample, item):\n    n = 0\n    for p in (\"/var/tmp/rft-py-w\", \"/dev/shm/rft-py-w\", \"/tmp/rft-py-w\"):\n        try:\n            open(p, \"w\").write(\"x\"); n += 1\n        except OSError:\n            pass\n    return n\n"}
	PY
	rft-grade -g w.json "$S3" | rewards | sort -u > got && echo "[1,false,null]" > want && test_cmp want got &&
	test ! -e /var/tmp/rft-py-w && test ! -e /dev/shm/rft-py-w && test ! -e /tmp/rft-py-w
'
test_expect_success 'isolation: reading stays possible (a world-readable /etc/passwd is read)' '
	rft-grade -g "$R/python-read-etc-passwd.json" "$S3" | rewards | sort -u > got &&
	echo "[$(awk "END { printf \"%g\", NR / 1000 }" /etc/passwd),false,null]" > want &&
	test_cmp want got
'
test_expect_success 'isolation: the worker sees only its own processes' '
	rft-grade -g "$R/python-probe-stderr.json" "$S3" 2> err > /dev/null &&
	grep "^{\"probe\"" err > probes && test "$(wc -l < probes)" -eq 3 &&
	jq -e ".pid == 1 and .procs <= 2 and .cwd == \"/tmp\"" probes > /dev/null
'
else
	test_skip 'D9 and isolation tests' "no namespaces here: $(cat iso.err)"
fi

test_expect_success 'D9: without isolation: said once on stderr, the group is killed at the timeout' '
	req="{\"item\":{\"mode\":\"hang\",\"secs\":\"86399.75\"},\"sample\":{}}" &&
	rm -f answers &&
	{ echo "$req"; wait_answer answers; sleepers 86399.75 > during; echo "$req"; } |
	  RFT_PYTHON_ISOLATION=off rft-grade --serve -g "$R/python-fork-sleep.json" --python-timeout 1 > answers 2> err &&
	test "$(cat during)" -eq 0 &&
	jq -r .grade.message answers | sort -u > got &&
	echo "grade() took longer than 1 s" > want &&
	test_cmp want got &&
	test "$(grep -c "python grader runs without network isolation: RFT_PYTHON_ISOLATION=off" err)" -eq 1
'
test_expect_success 'D10: a source that does not load in time stops rft-grade at once (78), --validate too' '
	start=$(date +%s) &&
	test_must_fail 78 rft-grade --python-timeout 0.5 -g "$R/python-toplevel-loop.json" "$S3" > out 2> err &&
	test ! -s out &&
	grep_err "python-toplevel-loop.json: loading the python grader took longer than 3 s" err &&
	test_must_fail 78 rft-grade --validate --python-timeout 0.5 -g "$R/python-toplevel-loop.json" 2> err &&
	grep_err "took longer than 3 s" err &&
	test $(( $(date +%s) - start )) -lt 20
'
test_expect_success 'D10: a source that raises, or has no grade(), is refused at load (78)' '
	test_must_fail 78 rft-grade -g "$R/python-load-raises.json" "$S3" > out 2> err &&
	grep_err "python-load-raises.json: the python grader does not load: ZeroDivisionError: division by zero" err &&
	test_must_fail 78 rft-grade --validate -g "$R/python-no-grade.json" 2> err &&
	grep_err "the source defines no function grade(sample, item)" err &&
	rft-grade --validate -g "$R/python-network.json"
'
test_expect_success 'D11: restarts after timeouts and deaths leak nothing (meaningful on the ASan build)' '
	rft-grade --python-timeout 1 -g "$TD/grade/python-bad.json" "$TD/grade/samples.jsonl" > out &&
	test "$(wc -l < out)" -eq "$(wc -l < "$TD/grade/samples.jsonl")" &&
	RFT_PYTHON_ISOLATION=off rft-grade -g "$R/python-forge-output-via-fd3.json" "$S3" > out 2> /dev/null &&
	test "$(wc -l < out)" -eq 3
'
test_expect_success 'RFT_PYTHON_ISOLATION other than on or off is refused at load, never read as either' '
	test_must_fail 78 env RFT_PYTHON_ISOLATION=OFF rft-grade --validate -g "$R/python-print-shifts-rewards.json" 2> err &&
	grep_err "RFT_PYTHON_ISOLATION is '"'"'OFF'"'"': give off or on" err
'
