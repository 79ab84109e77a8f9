# rft-call at the account and connection boundary: a resend libcurl makes by
# itself counts, identical lines in flight are paid once, a stop signal lets
# answers in flight reach the cache, a killed run's temporary file goes, and
# an unreachable endpoint says why.
. "$T/lib.sh"
. "$T/callsrv.sh"

start_server

# waitfor CMD WANT: until the shell command CMD prints WANT, at most 60 s (no
# fixed sleep: under valgrind or on a busy machine things start later)
waitfor() {
	_w=0
	while [ "$(eval "$1" 2> /dev/null)" != "$2" ] && [ $_w -lt 300 ]; do sleep 0.2; _w=$((_w + 1)); done
	[ "$(eval "$1" 2> /dev/null)" = "$2" ]
}

test_expect_success 'a request libcurl resends on a dead reused connection counts as an attempt' '
	prompt r0 "warm up" > r.jsonl && prompt r1 "resent [[fake:reset,ok]]" >> r.jsonl &&
	call -j 1 --stats r.stats r.jsonl > r.out &&
	test "$(nreq "resent [[fake:reset,ok]]")" = 2 &&
	test "$(jq -r "[.id, .sample.attempts] | @tsv" r.out | tr "\t\n" ": ")" = "r0:1 r1:2 " &&
	test "$(jq -r .requests r.stats)" = 3
'
test_expect_success '... and against --max-attempts: with 1 it is not sent twice' '
	prompt m0 "warm up again" > m.jsonl && prompt m1 "resent once [[fake:reset,ok]]" >> m.jsonl &&
	test_must_fail 75 call -j 1 --max-attempts 1 m.jsonl > m.out 2> m.err &&
	test "$(nreq "resent once [[fake:reset,ok]]")" = 1 &&
	test "$(jq -r "select(.id == \"m1\") | [.error.attempts, .error.retryable] | @tsv" m.out)" = "1	true"
'
test_expect_success 'identical lines in flight at once are sent once and all answered, in order' '
	for i in 1 2 3 4 5; do prompt "d$i" "same request [[fake:slow300]]"; done > d.jsonl &&
	prompt x "other request" >> d.jsonl &&
	call -j 8 --stats d.stats d.jsonl > d.out &&
	test "$(nreq "same request [[fake:slow300]]")" = 1 &&
	test "$(jq -r .id d.out | tr "\n" " ")" = "d1 d2 d3 d4 d5 x " &&
	test "$(jq -r .sample.output_json.genes[0] d.out | sort -u)" = GENE1 &&
	test "$(jq -r "select(.id != \"x\") | .sample.output_text" d.out | sort -u | wc -l)" = 1 &&
	test "$(jq -r "[.sample.cached] | @tsv" d.out | tr "\n" " ")" = "false true true true true false " &&
	test "$(jq -r .requests d.stats)" = 2 &&
	test "$(jq -r "[.answered, .shared] | @tsv" d.stats)" = "$(printf "2\t4")"
'
test_expect_success '... and a failure reaches every twin' '
	for i in 1 2 3; do prompt "f$i" "same failure [[fake:slow300+400]]"; done > f.jsonl &&
	call -j 8 f.jsonl > f.out 2> /dev/null &&
	test "$(nreq "same failure [[fake:slow300+400]]")" = 1 &&
	test "$(jq -r "[.id, .error.status] | @tsv" f.out | tr "\t\n" ": ")" = "f1:400 f2:400 f3:400 "
'
test_expect_success 'SIGTERM: nothing new starts, answers in flight reach the cache, no output left; a rerun pays nothing twice' '
	for i in 1 2 3; do prompt "s$i" "slow stop $i [[fake:slow1500]]"; done > s.jsonl &&
	for i in 4 5 6 7 8 9; do prompt "s$i" "never sent $i"; done >> s.jsonl &&
	{ rft-call --base-url "$(url)" -m fake -j 3 --cache s.db -o s.out s.jsonl 2> s.err & pid=$!; } &&
	waitfor "grep -c \"slow stop\" srv.log" 3 && kill -TERM $pid &&
	{ wait $pid; status=$?; } ; test "$status" = 143 &&
	! test -e s.out && test -z "$(ls -A | grep "^\.s\.out\.tmp")" &&
	grep_err "stopping: waiting up to 10 s for 3 answers in flight" s.err &&
	test "$(grep -c "never sent" srv.log)" = 0 &&
	test "$(sqlite3 s.db "select count(*) from responses")" = 3 &&
	call -j 3 --cache s.db -o s.out s.jsonl &&
	for i in 1 2 3; do test "$(nreq "slow stop $i [[fake:slow1500]]")" = 1 || exit 1; done &&
	test "$(jq -r .sample.cached s.out | tr "\n" " ")" = "true true true false false false false false false "
'
test_expect_success 'a temporary output left by kill -9 is removed by the next run, and said' '
	for i in 1 2; do prompt "k$i" "killed $i [[fake:slow3000]]"; done > k.jsonl &&
	{ rft-call --base-url "$(url)" -m fake -o k.out k.jsonl 2> /dev/null & pid=$!; } &&
	waitfor "ls -A | grep -c \"^\\.k\\.out\\.tmp\\.$pid@\"" 1 && waitfor "grep -c \"killed 1\" srv.log" 1 &&
	kill -KILL $pid; wait $pid; \
	ls -A | grep "^\.k\.out\.tmp\.$pid@" > left && test "$(wc -l < left)" = 1 &&
	: > .k.out.tmp.999999999@elsewhere.abcdef &&
	prompt k3 "after the kill" > k2.jsonl && call -o k.out k2.jsonl 2> k.err &&
	test "$(jq -r .id k.out)" = k3 &&
	grep_err "removed '"'"'$(cat left)'"'"', left by a run that was killed (pid $pid)" k.err &&
	! test -e "$(cat left)" && test -e .k.out.tmp.999999999@elsewhere.abcdef
'
test_expect_success 'an endpoint never reached: exit 69 and the reason on stderr' '
	prompt u1 "unreachable" > u.jsonl &&
	test_must_fail 69 rft-call --base-url http://127.0.0.1:1/v1 -m fake --backoff 0.01 --max-attempts 2 -o u.out u.jsonl 2> u.err &&
	grep_err "the endpoint http://127.0.0.1:1/v1/chat/completions was never reached: Failed to connect to 127.0.0.1 port 1" u.err
'
