# rft-run on a terminal: a line per stage as it starts and ends, the running
# stage's progress (RFT_PROGRESS) relayed; silent when not a terminal;
# --quiet, --progress; `rft-run status` while a run goes on, after it, and
# after a run was killed.  A pseudo-terminal from script(1) (util-linux).
. "$T/lib.sh"
. "$T/callsrv.sh"

if ! command -v script > /dev/null 2>&1; then
	test_skip 'rft-run on a terminal' 'needs script(1) from util-linux'
	exit 0
fi
export OPENAI_API_KEY=sk-test-view
start_server --key-env OPENAI_API_KEY --latency 300

# wait_for FILE TEXT: until FILE holds TEXT (at most 60 s: a bound, not a timing)
wait_for() {
	_i=0
	while ! grep -qF -- "$2" "$1" 2> /dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || { echo "no '$2' in $1 after 60 s" >&2; cat "$1" >&2; return 1; }
		sleep 0.1
	done
}

# lines FILE: what a terminal was sent, one line per \r or \n, no erase-line codes
lines() { tr "\r" "\n" < "$1" | sed "s/$(printf "\033")\[K//g"; }

# gate: a stage that says how far it is, then waits for the file "go"
cat > p.yaml <<'EOF2'
vars:
  url: ${URL}
stages:
  double:
    jq: '.n *= 2'
    in: a.jsonl
    out: b.jsonl
  gate:
    cmd: 'echo $$$$ > gate.pid; echo "gate: waiting for go" >> "$RFT_PROGRESS"; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; cat ${in} > ${out}'
    in: b.jsonl
    out: c.jsonl
  call:
    cmd: [rft-call, --base-url, "${url}", -m, fake, -j, "1", -o, "${out}", "${in}"]
    in: prompts.jsonl
    out: samples.jsonl
EOF2
printf '{"n":1}\n{"n":2}\n' > a.jsonl
for i in 1 2 3 4 5 6; do prompt "p$i" "case $i"; done > prompts.jsonl
export URL="$(url)"

test_expect_success 'on a terminal: a line per stage as it starts and ends, the progress relayed' '
	rm -f go && { script -qfec "rft-run p.yaml; echo EXIT=\$?" tty.out > /dev/null & } &&
	wait_for tty.out "rft-run: gate: started" &&
	wait_for tty.out "gate: waiting for go" && touch go && wait_for tty.out EXIT= && wait &&
	lines tty.out > tty.txt &&
	grep_err "EXIT=0" tty.txt &&
	grep -E "^rft-run: double: started, in 16 B" tty.txt &&
	grep -E "^rft-run: double: ok, [0-9.]+ s, in 16 B, out 16 B" tty.txt &&
	grep -E "^rft-run: gate [0-9]+s: gate: waiting for go" tty.txt &&
	grep -E "^rft-run: gate: ok, [0-9.]+ s, in 16 B, out 16 B" tty.txt &&
	grep -E "^rft-run: call: started, in [0-9.]+ [kB]" tty.txt &&
	grep -E "^rft-run: call [0-9]+s: rft-call: [0-9]+/[0-9]+\+? done" tty.txt &&
	grep -E "^rft-run: call: ok, " tty.txt &&
	grep -E "^rft-run: done in [0-9.]+ s: 3 ran, 0 up to date, 0 failed, 0 not run" tty.txt &&
	test "$(wc -l < samples.jsonl)" -eq 6
'
test_expect_success 'the filter wrote its progress lines to the channel, the last one final' '
	test -s p.logs/call.progress && tail -1 p.logs/call.progress > last &&
	grep -E "^rft-call: 6/6 done, [0-9.]+/s, [0-9]+ tokens, 0 errors$" last &&
	! grep -q "rft-call: .*done" p.logs/call.log
'
test_expect_success 'on a terminal, stages up to date are told as skipped' '
	script -qfec "rft-run p.yaml" tty2.out > /dev/null && lines tty2.out > tty2.txt &&
	grep -E "^rft-run: double: up to date, skipped" tty2.txt &&
	grep -E "^rft-run: call: up to date, skipped" tty2.txt &&
	grep -E "^rft-run: done in [0-9.]+ s: 0 ran, 3 up to date" tty2.txt
'
test_expect_success 'not a terminal: nothing on stderr on success' '
	rft-run -f p.yaml > out 2> err && ! test -s out && ! test -s err
'
test_expect_success '--quiet on a terminal: nothing' '
	script -qfec "rft-run -f --quiet p.yaml" tty3.out > /dev/null && ! grep -q "^rft-run" tty3.out
'
test_expect_success '--progress without a terminal: the stage lines on stderr' '
	rft-run -f --progress p.yaml > out 2> err && ! test -s out &&
	lines err > err.txt &&
	grep -E "^rft-run: gate: started, in 16 B" err.txt && grep -E "^rft-run: call: ok, " err.txt &&
	grep -E "^rft-run: done in [0-9.]+ s: 3 ran" err.txt
'
test_expect_success 'status after a run: idle, exit 0, each stage with its time and bytes' '
	rft-run status p.yaml > st; test $? -eq 0 && cat st &&
	grep -E "^pipeline: p.yaml$" st && grep -E "^last run: .* to .*: ok, [0-9.]+ s$" st &&
	grep -E "^  double: ok, [0-9.]+ s, in 16 B, out 16 B$" st &&
	grep -E "^  call: ok, " st &&
	rft-run status p.logs > st2; test $? -eq 0 && test_cmp st st2
'
test_expect_success 'status while a run goes on: exit 3, the stage, its progress, the last run' '
	rm -f go p.logs/gate.progress && { rft-run -f p.yaml 2> bg.err & } &&
	wait_for p.logs/gate.progress "gate: waiting for go" &&
	rft-run status p.yaml > st; rc=$?; touch go; wait && test $rc -eq 3 && cat st &&
	grep -E "^running: pid [0-9]+ on .*, since 20" st &&
	grep -E "^  double: ok, " st && grep -E "^  gate: running for [0-9]+ s; log: p.logs/gate.log$" st &&
	grep -E "^    gate: waiting for go$" st && grep -E "^  call: waiting$" st &&
	grep -E "^last run: .*: ok" st && ! test -s bg.err
'
test_expect_success 'a failed stage: told with its exit and log on any stderr; status exit 1' '
	cat > f.yaml <<-EOF2 &&
	stages:
	  bad:
	    cmd: "echo broken >&2; exit 3; echo > \${out}"
	    out: x.txt
	EOF2
	test_must_fail 3 rft-run --progress f.yaml 2> err && cat err &&
	grep -F "rft-run: bad: started" err && grep -F "rft-run: stage '"'"'bad'"'"' failed (exit 3); log: f.logs/bad.log" err &&
	! grep -F "bad: ok" err && grep -E "^rft-run: stopped in [0-9.]+ s: 0 ran, 0 up to date, 1 failed" err &&
	test_must_fail 1 rft-run status f.yaml > st && cat st &&
	grep -E "^last run: .*: failed \(exit 3\)" st && grep -E "^  bad: failed \(exit 3\) after [0-9.]+ s; log: f.logs/bad.log$" st
'
test_expect_success 'a killed run: status says stale (exit 4); the next run works' '
	rm -f go gate.pid p.logs/gate.progress && { rft-run -f p.yaml 2> /dev/null & } && pid=$! &&
	wait_for p.logs/gate.progress "gate: waiting for go" &&
	kill -9 $pid; wait $pid; kill -9 "$(cat gate.pid)" &&
	test_must_fail 4 rft-run status p.yaml > st && cat st &&
	grep -E "^stale: the run of pid $pid on .* ended without recording its end" st &&
	grep -E "^  gate: cut short after it started at 20" st && grep -E "^    gate: waiting for go$" st &&
	touch go && rft-run p.yaml 2> err && ! test -s err &&
	rft-run status p.yaml > st; test $? -eq 0
'
test_expect_success 'status: a usage error without its argument; no run recorded' '
	test_must_fail 64 rft-run status 2> err &&
	mkdir empty && rft-run status empty > st && grep -F "no run recorded" st &&
	test_must_fail 66 rft-run status nosuch 2> err
'
test_expect_success 'rft-rank writes its count to the channel; a channel it cannot open is told once' '
	M="$TD/hpo/micro" &&
	RFT_PROGRESS="$PWD/rank.progress" rft-rank --hpo-dir $M --hgnc $M/hgnc-micro.txt "$M/cases.jsonl" > r.jsonl 2> err &&
	! test -s err && n=$(wc -l < r.jsonl) &&
	test "$(tail -1 rank.progress)" = "rft-rank: $n cases ranked" &&
	RFT_PROGRESS=/nonexistent/dir/p rft-rank --hpo-dir $M --hgnc $M/hgnc-micro.txt "$M/cases.jsonl" > r2.jsonl 2> err &&
	jq -c "del(.sample.latency_ms)" r.jsonl > r.cmp && jq -c "del(.sample.latency_ms)" r2.jsonl > r2.cmp &&
	test_cmp r.cmp r2.cmp && test "$(wc -l < err)" -eq 1 &&
	grep_err "rft-rank: cannot write progress to '"'"'/nonexistent/dir/p'"'"' (from RFT_PROGRESS): No such file or directory" err
'
test_expect_success 'rft-train writes its step line to the channel, the last step last' '
	M="$TD/hpo/micro" &&
	awk -v n=60 -v c=30 -v seed=7 -v tag=T -f "$T/train/synthetic.awk" > syn-train.jsonl &&
	awk -v n=30 -v c=30 -v seed=99 -v tag=V -f "$T/train/synthetic.awk" > syn-valid.jsonl &&
	RFT_PROGRESS="$PWD/train.progress" rft-train --features --hgnc $M/hgnc-micro.txt --train syn-train.jsonl \
		--valid syn-valid.jsonl --epochs 3 --batch 16 --group 8 --lr 0.1 --eval-interval 5 \
		-o syn.json --events ev.jsonl 2> err && ! test -s err &&
	total=$(tail -1 train.progress | sed -n "s|^rft-train: step \([0-9]*\)/\([0-9]*\) .*|\2|p") &&
	test -n "$total" && tail -1 train.progress | grep -E "^rft-train: step $total/$total  train reward"
'
