# rft-call: retry rules, server hints, timeouts, faults and rate limits,
# checked against the fake server's own request log.
. "$T/lib.sh"
. "$T/callsrv.sh"

start_server

test_expect_success '429 then success: retried once; 500 and 503 retried; attempts counted' '
	prompt a "rl [[fake:429,ok]]" > a.jsonl && prompt b "five [[fake:500,503,ok]]" >> a.jsonl &&
	call a.jsonl > a.out &&
	test "$(nreq "rl [[fake:429,ok]]")" = 2 && test "$(nreq "five [[fake:500,503,ok]]")" = 3 &&
	test "$(jq -r .sample.attempts a.out | tr "\n" " ")" = "2 3 "
'
test_expect_success '400 is not retried: exit 0 with the error kept, the other lines sent' '
	prompt s400 "no retry 400 [[fake:400,ok]]" > nr.jsonl && prompt s400b "after 400" >> nr.jsonl &&
	call -j 1 nr.jsonl > nr.out 2> nr.err &&
	test "$(nreq "no retry 400 [[fake:400,ok]]")" = 1 && test "$(nreq "after 400")" = 1 &&
	test "$(jq -r "[.error.status, .error.attempts, .error.retryable] | @tsv" nr.out | head -1)" = "400	1	false" &&
	grep_err "1 failed (0 may pass on a rerun)" nr.err
'
for s in 401 403; do
test_expect_success "$s stops the run: not retried, nothing more sent, exit 77 naming the cause" '
	{ prompt "s$s" "stop $s [[fake:$s,ok]]"; for i in 2 3 4; do prompt "a$s$i" "after $s $i"; done; } > st$s.jsonl &&
	test_must_fail 77 call -j 1 st$s.jsonl > st$s.out 2> st$s.err &&
	test "$(nreq "stop $s [[fake:$s,ok]]")" = 1 && test "$(grep -c "after $s" srv.log)" = 0 &&
	test "$(jq -r "[.error.status, .error.retryable] | @tsv" st$s.out | sort -u)" = "$s	false" &&
	test "$(wc -l < st$s.out)" = 4 &&
	grep_err "refused the account (HTTP $s invalid_request_error: fake $s): nothing more was sent" st$s.err
'
done
test_expect_success 'insufficient_quota: not retried, nothing more is sent, exit 77' '
	{ prompt q1 "quota [[fake:quota]]"; for i in 2 3 4 5; do prompt "q$i" "after quota $i"; done; } > q.jsonl &&
	test_must_fail 77 call -j 1 q.jsonl > q.out 2> q.err &&
	test "$(nreq "quota [[fake:quota]]")" = 1 &&
	test "$(grep -c "after quota" srv.log)" = 0 &&
	test "$(jq -r .error.type q.out | sort -u)" = insufficient_quota &&
	test "$(jq -r .error.code q.out | sort -u)" = insufficient_quota &&
	test "$(wc -l < q.out)" = 5 && grep_err "insufficient_quota" q.err
'
test_expect_success '--max-attempts: a line that keeps failing is tried N times, written with its error; exit 75' '
	prompt m "always 500 [[fake:500]]" > m.jsonl && prompt ok "fine" >> m.jsonl &&
	test_must_fail 75 call --max-attempts 3 m.jsonl > m.out 2> m.err &&
	test "$(nreq "always 500 [[fake:500]]")" = 3 &&
	test "$(jq -r "[.id, .error.status // \"-\", .error.attempts // .sample.attempts, .error.retryable // \"-\"] | @tsv" m.out | tr "\t\n" ": ")" = "m:500:3:true ok:-:1:- " &&
	grep_err "1 failed (1 may pass on a rerun)" m.err
'
test_expect_success 'retry-after-ms, retry-after and x-ratelimit-reset-requests are honoured' '
	prompt h1 "hint ms [[fake:429ra400,ok]]" > h.jsonl &&
	prompt h2 "hint s [[fake:429rs1,ok]]" >> h.jsonl &&
	prompt h3 "hint reset [[fake:429reset300,ok]]" >> h.jsonl &&
	call -j 1 h.jsonl > h.out &&
	test "$(jq -r .sample.attempts h.out | tr "\n" " ")" = "2 2 2 " &&
	awk "BEGIN { exit !($(gap "hint ms [[fake:429ra400,ok]]") >= 0.39) }" &&
	awk "BEGIN { exit !($(gap "hint s [[fake:429rs1,ok]]") >= 0.99) }" &&
	awk "BEGIN { exit !($(gap "hint reset [[fake:429reset300,ok]]") >= 0.29) }"
'
test_expect_success 'a success saying x-ratelimit-remaining-requests: 0 holds every request until its reset' '
	prompt d1 "drain [[fake:drain400]]" > d.jsonl && prompt d2 "after drain" >> d.jsonl &&
	call -j 1 d.jsonl > d.out &&
	awk -F"\t" "\$5 ~ /drain/ { t[++n] = \$1 } END { g = t[2] - t[1]; print g; exit !(n == 2 && g >= 0.39) }" srv.log
'
test_expect_success 'without a hint the backoff doubles: 100, 200, 400 ms (less up to 25% jitter)' '
	prompt bo "backoff [[fake:503,503,503,ok]]" > bo.jsonl &&
	call --backoff 0.1 bo.jsonl > bo.out &&
	awk -F"\t" "\$5 == \"backoff [[fake:503,503,503,ok]]\" { t[++n] = \$1 } END {
		g1 = t[2] - t[1]; g2 = t[3] - t[2]; g3 = t[4] - t[3]; print g1, g2, g3
		exit !(n == 4 && g1 >= 0.074 && g2 >= 0.149 && g3 >= 0.299 && g3 > g1) }" srv.log
'
test_expect_success 'a slow reply past --timeout is retried; one that stays slow fails as a timeout (75)' '
	prompt t1 "slow once [[fake:slow3000,ok]]" > t.jsonl &&
	call --timeout 0.3 t.jsonl > t.out &&
	test "$(jq -r .sample.attempts t.out)" = 2 &&
	prompt t2 "slow always [[fake:slow3000]]" > t2.jsonl &&
	test_must_fail 75 call --timeout 0.2 --max-attempts 2 t2.jsonl > t2.out &&
	test "$(jq -r "[.error.type, .error.attempts, .error.retryable] | @tsv" t2.out)" = "$(printf "timeout\t2\ttrue")"
'
test_expect_success 'connection resets, truncated bodies and malformed JSON are retried' '
	prompt r1 "reset [[fake:reset,ok]]" > r.jsonl &&
	prompt r2 "trunc [[fake:trunc,ok]]" >> r.jsonl &&
	prompt r3 "badjson [[fake:badjson,ok]]" >> r.jsonl &&
	prompt r4 "all three [[fake:reset,trunc,badjson,ok]]" >> r.jsonl &&
	call r.jsonl > r.out &&
	test "$(jq -r .sample.attempts r.out | tr "\n" " ")" = "2 2 2 4 " &&
	prompt r5 "always trunc [[fake:trunc]]" > r5.jsonl && prompt r6 "always bad [[fake:badjson]]" >> r5.jsonl &&
	test_must_fail 75 call --max-attempts 2 r5.jsonl > r5.out &&
	test "$(jq -r .error.type r5.out | tr "\n" " ")" = "truncated_response invalid_response "
'
test_expect_success 'order is kept whatever finishes first, with retries in the mix' '
	for i in $(seq 20); do
		case $((i % 4)) in 0) f="429,ok" ;; 1) f="slow$((200 - i * 10))" ;; 2) f="reset,ok" ;; 3) f="ok" ;; esac
		prompt "o$i" "order $i [[fake:$f]]"
	done > o.jsonl &&
	call -j 8 o.jsonl > o.out &&
	test "$(jq -r .id o.out | tr "\n" " ")" = "$(jq -r .id o.jsonl | tr "\n" " ")"
'
test_expect_success '--rpm holds: 25 requests at 600/min (10/s, 10 at once) take >= 1.4 s at the server' '
	for i in $(seq 25); do prompt "r$i" "rpm $i"; done > rpm.jsonl &&
	call -j 25 --rpm 600 rpm.jsonl > rpm.out &&
	test "$(wc -l < rpm.out)" = 25 &&
	# under valgrind the first burst reaches the server late, which shortens
	# the span seen there and crowds its first second: bounds loosen there
	min=1.4 && most=20 && if [ "$slow" -gt 1 ]; then min=1.0 && most=25; fi &&
	awk -F"\t" -v min=$min -v most=$most "\$5 ~ /^rpm / { t[++n] = \$1 } END {
		span = t[n] - t[1]; print n, span
		# and in no one-second window more than 10 + 10
		for (i = 1; i <= n; i++) { c = 0; for (k = i; k <= n && t[k] - t[i] < 1; k++) c++; if (c > most) exit 1 }
		exit !(n == 25 && span >= min) }" srv.log
'
test_expect_success '--tpm holds: the estimate counts max_completion_tokens' '
	for i in $(seq 12); do prompt "t$i" "tpm $i"; done > tpm.jsonl &&
	call -j 12 --tpm 60000 --max-completion-tokens 200 tpm.jsonl > tpm.out &&
	min=1.2 && if [ "$slow" -gt 1 ]; then min=0.8; fi &&
	awk -F"\t" -v min=$min "\$5 ~ /^tpm / { t[++n] = \$1 } END { span = t[n] - t[1]; print n, span; exit !(n == 12 && span >= min) }" srv.log
'
