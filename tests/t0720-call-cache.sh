# rft-call: the response cache, resuming after kill -9, shared caches.
. "$T/lib.sh"
. "$T/callsrv.sh"

start_server

test_expect_success 'cache hits make no request and are marked cached' '
	for i in $(seq 6); do prompt "c$i" "cache $i"; done > c.jsonl &&
	call --cache c.db c.jsonl > c1.out &&
	test "$(grep -c "	cache " srv.log)" = 6 &&
	call --cache c.db --stats c.stats c.jsonl > c2.out &&
	test "$(grep -c "	cache " srv.log)" = 6 &&
	test "$(jq -r .sample.cached c2.out | sort -u)" = true &&
	jq -c "del(.sample.cached)" c1.out > a && jq -c "del(.sample.cached)" c2.out > b && test_cmp a b &&
	test "$(jq -r "[.cached, .requests, .usage.total_tokens] | @tsv" c.stats)" = "$(printf "6\t0\t0")"
'
test_expect_success '--dry-run sends and writes nothing; it counts cache hits, requests and tokens' '
	prompt new "not cached yet" > d.jsonl && cat c.jsonl >> d.jsonl &&
	call --cache c.db --dry-run --max-completion-tokens 100 d.jsonl > d.out 2> d.err &&
	! test -s d.out && test "$(grep -c "not cached yet" srv.log)" = 0 &&
	grep_err "dry run: 7 lines, 0 in the cache, 7 to send" d.err &&
	call --cache c.db --dry-run d.jsonl 2> d2.err &&
	grep_err "dry run: 7 lines, 6 in the cache, 1 to send, about 11 tokens" d2.err
'
test_expect_success 'another model or other parameters are other keys; --refresh asks again' '
	call --cache c.db -m other c.jsonl > /dev/null &&
	test "$(grep -c "	cache " srv.log)" = 12 &&
	call --cache c.db --temperature 0.5 c.jsonl > /dev/null &&
	test "$(grep -c "	cache " srv.log)" = 18 &&
	call --cache c.db --refresh c.jsonl > r.out &&
	test "$(grep -c "	cache " srv.log)" = 24 &&
	test "$(jq -r .sample.cached r.out | sort -u)" = false &&
	test "$(sqlite3 c.db "PRAGMA journal_mode")" = wal &&
	test "$(sqlite3 c.db "SELECT count(*) FROM responses")" = 18
'
if [ "$slow" = 1 ]; then
test_expect_success 'a run answered from the cache does not stall between input windows (2,100 lines < 1.5 s)' '
	awk "BEGIN { for (i = 1; i <= 2100; i++) printf \"{\\\"messages\\\":[{\\\"role\\\":\\\"user\\\",\\\"content\\\":\\\"w %d\\\"}]}\\n\", i }" > w.jsonl &&
	call -j 64 --cache w.db w.jsonl > /dev/null &&
	start=$(date +%s.%N) && call --cache w.db -j 1 w.jsonl > w.out && end=$(date +%s.%N) &&
	test "$(jq -r .sample.cached w.out | sort | uniq -c | tr -s " ")" = " 2100 true" &&
	awk -v s=$start -v e=$end "BEGIN { print e - s; exit !(e - s < 1.5) }"
'
else
	test_skip 'a run answered from the cache does not stall between input windows' 'a time bound: not under valgrind'
fi
test_expect_success 'errors are not cached: a rerun asks only for the lines that failed' '
	prompt e1 "fails first [[fake:503,ok]]" > e.jsonl && prompt e2 "fine first" >> e.jsonl &&
	test_must_fail 75 call --cache e.db --max-attempts 1 e.jsonl > e1.out &&
	test "$(jq -r ".error.type // .sample.cached" e1.out | tr "\n" " ")" = "server_error false " &&
	call --cache e.db --max-attempts 1 e1.out > e2.out &&
	test "$(jq -r ".sample.cached" e2.out | tr "\n" " ")" = "false true " &&
	test "$(nreq "fine first")" = 1 && test "$(nreq "fails first [[fake:503,ok]]")" = 2 &&
	test "$(jq -c "select(.error)" e2.out)" = ""
'
test_expect_success 'kill -9 mid-run, then the same command: complete output, nothing answered asked twice' '
	for i in $(seq 12); do
		if [ $i = 7 ]; then f="[[fake:slow20000,ok]]"; else f=""; fi
		prompt "k$i" "kill $i $f"
	done > k.jsonl &&
	rft-call --base-url "$(url)" -m fake -j 1 --cache k.db -o k.out k.jsonl 2> k.err &
	pid=$! && n=0 &&
	while ! grep -q "kill 7 " srv.log && [ $n -lt $((200 * slow)) ]; do sleep 0.05; n=$((n + 1)); done &&
	grep -q "kill 7 " srv.log &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	! test -e k.out &&
	test "$(sqlite3 k.db "SELECT count(*) FROM responses")" = 6 &&
	call -j 1 --cache k.db -o k.out k.jsonl &&
	jq -r .id k.out > got && jq -r .id k.jsonl > want && test_cmp want got &&
	test "$(jq -r "select(.sample.cached) | .id" k.out | tr "\n" " ")" = "k1 k2 k3 k4 k5 k6 " &&
	for i in 1 2 3 4 5 6 8 9 10 11 12; do test "$(grep -c "	kill $i 	" srv.log)" = 1 || exit 1; done &&
	test "$(grep -c "	kill 7 " srv.log)" = 2
'
test_expect_success 'Ctrl-C (SIGINT) mid-run: no output file, no temporary left, answers kept for the rerun' '
	for i in $(seq 6); do
		if [ $i = 4 ]; then f="[[fake:slow20000,ok]]"; else f=""; fi
		prompt "i$i" "intr $i $f"
	done > i.jsonl &&
	rft-call --base-url "$(url)" -m fake -j 1 --cache i.db -o i.out i.jsonl 2> i.err &
	pid=$! && n=0 &&
	while ! grep -q "intr 4 " srv.log && [ $n -lt $((200 * slow)) ]; do sleep 0.05; n=$((n + 1)); done &&
	kill -INT $pid && { wait $pid; test $? = 130; } &&
	! test -e i.out && test -z "$(ls -a | grep "^\.i\.out\.tmp")" &&
	call -j 1 --cache i.db -o i.out i.jsonl &&
	test "$(jq -r .sample.cached i.out | tr "\n" " ")" = "true true true false false false " &&
	test "$(grep -c "	intr 1 	" srv.log)" = 1
'
test_expect_success 'two processes share one cache file (WAL): each line asked once' '
	for i in $(seq 20); do prompt "s$i" "shared $i [[fake:slow20]]"; done > s.jsonl &&
	head -10 s.jsonl > s1.jsonl && tail -10 s.jsonl > s2.jsonl &&
	{ call -j 4 --cache s.db s1.jsonl > s1.out & call -j 4 --cache s.db s2.jsonl > s2.out & wait; } &&
	call --cache s.db s.jsonl > s.out &&
	test "$(grep -c "	shared " srv.log)" = 20 &&
	test "$(jq -r .sample.cached s.out | sort -u)" = true
'
