# rft-run: order from the files, incremental keys, atomic outputs, resume,
# locking, dry run, quoting.  Small pipelines of shell and jq stages.
. "$T/lib.sh"

# stages listed against their order: the DAG, not the file, decides
mkdir -p dag && cd dag || exit 1
printf '{"n":1}\n{"n":2}\n{"n":3}\n' > a.jsonl
printf 'x\n' > b.txt
cat > p.yaml <<'EOF'
vars:
  dir: ${DIR:-out}
stages:
  join:
    cmd: "echo join >> trace; cat ${in} > ${out}"
    in:
      - ${dir}/doubled.jsonl
      - ${dir}/b.count
    out: ${dir}/joined.txt
  double:
    jq: '.n *= 2'
    in: a.jsonl
    out: ${dir}/doubled.jsonl
  count:
    cmd: [sh, -c, 'echo count >> trace; wc -l < "$1" > "$2"', sh, "${in}", "${out}"]
    in: b.txt
    out: ${dir}/b.count
  tally:
    cmd: "echo tally >> trace; jq -s length ${in} > ${out[0]}; echo done > ${out[1]}"
    in: ${dir}/doubled.jsonl
    out:
      - ${dir}/tally.txt
      - ${dir}/tally.done
EOF
cd ..

test_expect_success 'stages run in the order of their files, silently; outputs are complete' '
	cd dag && rft-run p.yaml > out.txt 2> err.txt &&
	! test -s out.txt && ! test -s err.txt &&
	test "$(tr "\n" " " < trace)" = "count join tally " &&
	jq -r .stage p.logs/run.jsonl | tr "\n" " " > order && test "$(cat order)" = "double count join tally " &&
	printf "{\"n\":2}\n{\"n\":4}\n{\"n\":6}\n1\n" > want && test_cmp want out/joined.txt &&
	test "$(cat out/tally.txt)" = 3 &&
	test -z "$(find . -name ".rft-run.*")"
'
test_expect_success 'the run log has one JSON line per stage: start, end, exit, bytes in and out' '
	cd dag && test $(wc -l < p.logs/run.jsonl) -eq 4 &&
	jq -s -e "map(select(.stage == \"double\"))[0] | .status == \"ok\" and .exit == 0 and .bytes_in == 24 and .bytes_out == 24
		and (.start | test(\"^20..-..-..T\")) and .end >= .start and .log == \"p.logs/double.log\"" p.logs/run.jsonl
'
test_expect_success 'the second run of an unchanged pipeline runs nothing' '
	cd dag && cp trace trace.1 && rft-run p.yaml > out.txt 2>&1 && ! test -s out.txt &&
	test_cmp trace.1 trace && test $(wc -l < p.logs/run.jsonl) -eq 4 &&
	rft-run why join p.yaml > why && grep -q "^join: up to date" why
'
test_expect_success 'the lock records sha256 of inputs and outputs (as sha256sum computes it)' '
	cd dag && jq -r ".stages.double.in[\"a.jsonl\"].sha256" p.lock > got &&
	sha256sum a.jsonl | cut -c1-64 > want && test_cmp want got &&
	jq -r ".stages.join.out[\"out/joined.txt\"].sha256" p.lock > got &&
	sha256sum out/joined.txt | cut -c1-64 > want && test_cmp want got
'
test_expect_success 'sha256 of an empty input and of a many-block input match sha256sum' '
	mkdir -p sha && cd sha && : > empty && seq 1 20000 > big &&
	printf "stages:\n  s:\n    cmd: \"cat \${in} > \${out}\"\n    in: [empty, big]\n    out: o\n" > s.yaml &&
	rft-run s.yaml &&
	for f in empty big; do
		test "$(jq -r ".stages.s.in[\"$f\"].sha256" s.lock)" = "$(sha256sum $f | cut -c1-64)" || exit 1
	done
'
test_expect_success 'changing one input reruns exactly the stages that depend on it' '
	cd dag && : > trace && printf "x\ny\n" > b.txt &&
	rft-run why count p.yaml > why && grep -q "^count: input .b.txt. changed (sha256 " why &&
	rft-run why join p.yaml > why && grep -q "^join: upstream stage .count. runs first" why &&
	rft-run why tally p.yaml > why && grep -q "^tally: up to date" why &&
	rft-run p.yaml && test "$(tr "\n" " " < trace)" = "count join " &&
	test "$(tail -1 out/joined.txt)" = 2
'
test_expect_success 'a stage that rewrites the same bytes does not rerun the stages after it' '
	cd dag && : > trace && printf "{\"n\":1}\n{\"n\":2}\n{\"n\": 3}\n" > a.jsonl &&
	rft-run p.yaml && test -z "$(cat trace)" &&
	test "$(jq -r .stage p.logs/run.jsonl | tail -1)" = double
'
test_expect_success 'a changed command (--set) reruns its stage; why shows was and now' '
	cd dag && : > trace &&
	rft-run why count p.yaml > why && grep -q "up to date" why &&
	rft-run --set DIR=out p.yaml && test -z "$(cat trace)" &&
	mkdir -p other && rft-run -n --set DIR=other p.yaml > dry && grep -q "^# count" dry &&
	rft-run --set DIR=other p.yaml && test "$(tr "\n" " " < trace)" = "count join tally " &&
	rft-run why count p.yaml > why && grep -q "^count: the command changed" why && grep -q "^  was: .*other/b.count" why
'
test_expect_success 'an output changed by hand reruns its stage; a deleted one too' '
	cd dag && rft-run p.yaml && : > trace && echo 9 > out/tally.txt &&
	rft-run why tally p.yaml > why && grep -q "output .out/tally.txt. was changed" why &&
	rft-run p.yaml && test "$(cat trace)" = tally && test "$(cat out/tally.txt)" = 3 &&
	rm out/b.count && : > trace && rft-run p.yaml && test "$(tr "\n" " " < trace)" = "count "
'
test_expect_success '--force reruns all; --from reruns a stage and those after it; --until those before' '
	cd dag && : > trace && rft-run --force p.yaml && test "$(tr "\n" " " < trace)" = "count join tally " &&
	: > trace && rft-run --force --from count p.yaml && test "$(tr "\n" " " < trace)" = "count join " &&
	: > trace && rft-run --force --until count p.yaml && test "$(tr "\n" " " < trace)" = "count " &&
	: > trace && rft-run --force --from double --until tally p.yaml && test "$(tr "\n" " " < trace)" = "tally "
'
mkdir -p par && cat > par/s.yaml <<'EOF'
vars:
  greeting: hi
stages:
  s:
    cmd: echo $GREETING ${greeting} > ${out}
    params:
      GREETING: ${HELLO:-hello}
    in: in.txt
    out: o.txt
EOF
test_expect_success 'params reach the environment and the key' '
	cd par && echo a > in.txt &&
	rft-run s.yaml && test "$(cat o.txt)" = "hello hi" &&
	HELLO=bonjour rft-run why s s.yaml > why && grep -q "param GREETING changed: .hello. -> .bonjour." why &&
	HELLO=bonjour rft-run s.yaml && test "$(cat o.txt)" = "bonjour hi" &&
	HELLO=bonjour rft-run -n --force s.yaml | grep -q "^env GREETING=bonjour bash -o pipefail -c "
'

# a stage that fails: nothing that looks finished, and the next run resumes there
mkdir -p fail && cd fail || exit 1
echo data > src.txt
cat > f.yaml <<'EOF'
stages:
  first:
    cmd: "echo first >> trace; cat ${in} > ${out}"
    in: src.txt
    out: a.txt
  flaky:
    cmd: |
      echo flaky >> trace
      echo partial > ${out}
      test -e ok.flag || { echo "flaky: no ok.flag" >&2; exit 3; }
      cat ${in} > ${out}
    in: a.txt
    out: b.txt
  last:
    cmd: "echo last >> trace; cat ${in} > ${out}"
    in: b.txt
    out: c.txt
EOF
cd ..
test_expect_success 'a failing stage names itself, its exit and its log; leaves no output; later stages do not run' '
	cd fail && test_must_fail 3 rft-run f.yaml 2> err &&
	grep_err "rft-run: stage '"'"'flaky'"'"' failed (exit 3); log: f.logs/flaky.log" err &&
	grep_err "  | flaky: no ok.flag" err &&
	test -f a.txt && ! test -e b.txt && ! test -e c.txt && test -z "$(ls -a | grep rft-run)" &&
	test "$(tr "\n" " " < trace)" = "first flaky " &&
	jq -s -e "map(select(.stage == \"flaky\"))[-1] | .status == \"failed\" and .exit == 3" f.logs/run.jsonl
'
test_expect_success 'the next run resumes at the failed stage' '
	cd fail && : > trace && touch ok.flag && rft-run f.yaml &&
	test "$(tr "\n" " " < trace)" = "flaky last " && test "$(cat c.txt)" = data
'
test_expect_success 'a stage failing again removes its older outputs (they would be stale)' '
	cd fail && rm ok.flag && echo new > src.txt && test_must_fail 3 rft-run f.yaml 2> err &&
	! test -e b.txt && test -f c.txt && grep -q "^flaky: never run" "$(rft-run why flaky f.yaml > why; echo why)"
'
test_expect_success 'a stage that exits 0 without writing an output fails' '
	mkdir -p nowrite && cd nowrite && echo x > i &&
	printf "stages:\n  s:\n    cmd: \"test -e never || exit 0; cat \${in} > \${out}\"\n    in: i\n    out: o\n" > n.yaml &&
	test_must_fail 70 rft-run n.yaml 2> err && grep_err "exit 0 but '"'"'o'"'"' was not written" err
'
test_expect_success 'a stage without outputs (a check) runs once, then when its input changes' '
	mkdir -p check && cd check && echo 1 > v &&
	printf "stages:\n  check:\n    cmd: \"echo ran >> trace; test \$(cat \${in}) -lt 5\"\n    in: v\n" > c.yaml &&
	rft-run c.yaml && rft-run c.yaml && test $(wc -l < trace) -eq 1 &&
	echo 7 > v && test_must_fail 1 rft-run c.yaml 2> err && grep_err "stage '"'"'check'"'"' failed (exit 1)" err &&
	test_must_fail 1 rft-run c.yaml 2> /dev/null && test $(wc -l < trace) -eq 3
'

# locking
mkdir -p lock && cd lock || exit 1
cat > slow.yaml <<'EOF'
stages:
  slow:
    cmd: "touch started; i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo done > ${out}"
    out: slow.txt
EOF
cd ..
test_expect_success 'a second run of a running pipeline exits 75 at once, or waits with --wait' '
	cd lock && rm -f started go slow.txt || exit 1
	{ rft-run slow.yaml 2> bg.err; echo $? > bg.status; } &
	i=0; while [ ! -e started ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done &&
	test -e started &&
	test_must_fail 75 rft-run slow.yaml 2> err &&
	grep_err "is being run by another rft-run (slow.lock.pid); try again later" err &&
	kill -0 "$(cat slow.lock.pid)" &&
	test_must_fail 75 rft-run --wait 0.3 slow.yaml 2> err && grep_err "still being run" err || exit 1
	{ sleep 1; touch go; } &
	rft-run --wait 120 slow.yaml && wait && test "$(cat bg.status)" = 0 &&
	test "$(cat slow.txt)" = done && test $(wc -l < slow.logs/run.jsonl) -eq 1
'
cat > lock/dirs.yaml <<'EOF'
vars:
  dir: a
lock: ${dir}/dirs.lock
stages:
  slow:
    cmd: "touch ${dir}.started; i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; echo ${dir} > ${out}"
    out: ${dir}/slow.txt
EOF
test_expect_success 'the lock goes with the outputs, not the pipeline file: one pipeline runs for two places at once' '
	cd lock && rm -f go a.started b.started || exit 1
	{ rft-run dirs.yaml 2> a.err; echo $? > a.status; } &
	{ rft-run --set dir=b dirs.yaml 2> b.err; echo $? > b.status; } &
	i=0; while { [ ! -e a.started ] || [ ! -e b.started ]; } && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
	touch go && wait &&
	test "$(cat a.status) $(cat b.status)" = "0 0" && test "$(cat a/slow.txt) $(cat b/slow.txt)" = "a b"
'
cat > lock/term.yaml <<'EOF'
stages:
  quick:
    cmd: "echo quick > ${out}"
    out: quick.txt
  slow:
    cmd: "echo $$$$ > stage.pid; touch started; i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; cat ${in} > ${out}"
    in: quick.txt
    out: slow2.txt
EOF
test_expect_success 'SIGTERM stops the running stage (after one that finished) and leaves no temporary or finished output' '
	cd lock && rm -f started go stage.pid || exit 1
	{ rft-run term.yaml 2> term.err; echo $? > term.status; } &
	i=0; while [ ! -e started ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done &&
	pid=$(ps -eo pid,args | awk "/[r]ft-run term.yaml/ {print \$1}" | head -1) &&
	test -n "$pid" && kill -TERM $pid && wait &&
	test "$(cat term.status)" = 143 && test -f quick.txt && ! test -e slow2.txt &&
	test -z "$(ls -a | grep "\.rft-run\.\|\.tmp\.")" &&
	grep_err "stopped by signal 15" term.err &&
	# the stage was stopped too, not left running
	i=0; while kill -0 $(cat stage.pid) 2> /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done &&
	! kill -0 $(cat stage.pid) 2> /dev/null
'

test_expect_success '-j 2 runs independent stages at once' '
	mkdir -p jobs && cd jobs &&
	cat > j.yaml <<-\EOF &&
	stages:
	  a:
	    cmd: "touch a.on; i=0; while [ ! -e b.on ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; test -e b.on && echo a > ${out}"
	    out: a.txt
	  b:
	    cmd: "touch b.on; i=0; while [ ! -e a.on ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; test -e a.on && echo b > ${out}"
	    out: b.txt
	  ab:
	    cmd: "cat ${in} > ${out}"
	    in: [a.txt, b.txt]
	    out: ab.txt
	EOF
	rft-run -j 2 j.yaml && test "$(cat ab.txt | tr "\n" " ")" = "a b "
'

# the dry run is a script: executed, it makes the same files
test_expect_success 'the dry-run script, executed, produces the same outputs as a run' '
	mkdir -p dry1 dry2 && cp dag/a.jsonl dag/b.txt dag/p.yaml dry1/ && cp dag/a.jsonl dag/b.txt dag/p.yaml dry2/ &&
	(cd dry1 && rft-run -n p.yaml > ../script.sh) && grep -q "^set -e" script.sh &&
	(cd dry1 && sh ../script.sh) && (cd dry2 && rft-run p.yaml) &&
	for f in doubled.jsonl b.count joined.txt tally.txt tally.done; do test_cmp dry2/out/$f dry1/out/$f || exit 1; done &&
	test "$(cd dry2 && rft-run -n p.yaml)" = "" &&
	(cd dry2 && rm -f out/b.count && rft-run -n p.yaml) > partial.sh &&
	test "$(grep "^# " partial.sh | tr "\n" " ")" = "# rft-run --dry-run p.yaml: the stages that would run, in order # count # join "
'

# values are data: quoting
mkdir -p quote && cat > quote/q.yaml <<'EOF'
vars:
  msg: ${MSG:-plain}
stages:
  echo:
    cmd: printf "%s|%s\n" ${msg} ${word} > ${out}
    out: said.txt
  jq:
    jq: '{said: ${msg}, n: .n}'
    in: in.jsonl
    out: said.jsonl
  argv:
    cmd: [sh, -c, 'printf "%s\n" "$1" > "$2"', sh, "${msg}", "${out}"]
    out: argv.txt
EOF
test_expect_success '--set and environment values are one shell word each, never code' '
	cd quote && echo "{\"n\":1}" > in.jsonl &&
	bad="a  b \$(touch pwned) \`touch pwned2\` \"q\" '"'"'s'"'"' ; touch pwned3 # \${x}" &&
	rft-run --set "msg=$bad" --set word=w q.yaml &&
	! test -e pwned && ! test -e pwned2 && ! test -e pwned3 &&
	printf "%s|w\n" "$bad" > want && test_cmp want said.txt &&
	printf "%s\n" "$bad" > want && test_cmp want argv.txt &&
	jq -r .said said.jsonl > got && test_cmp want got &&
	MSG="\$(touch pwned4)" rft-run --force --set word=w q.yaml && ! test -e pwned4 &&
	test "$(cut -d"|" -f1 said.txt)" = "\$(touch pwned4)"
'
test_expect_success '$$ is a dollar; $x and $(...) reach bash; ${in} with several files is several words' '
	mkdir -p dollar && cd dollar && echo 1 > "a b" && echo 2 > c &&
	cat > d.yaml <<-\EOF &&
	stages:
	  s:
	    cmd: "x=$(cat ${in} | wc -l); echo $x $${x} $$HOME-less > ${out}"
	    in: ["a b", c]
	    out: o
	EOF
	rft-run d.yaml && test "$(cat o)" = "2 2 ${HOME-}-less"
'

# the versions of the filters a stage runs are part of its key
mkdir -p tools/bin && cat > tools/bin/rft-fake <<'EOF'
#!/bin/sh
if [ "${1:-}" = --version ]; then echo "rft-fake (rftkit) $(cat "$(dirname "$0")/../version")"; exit 0; fi
cat
EOF
chmod +x tools/bin/rft-fake && echo 1 > tools/version && seq 1 10 > tools/in.txt
cat > tools/t.yaml <<'EOF'
stages:
  plain:
    cmd: "rft-fake < ${in} > ${out}"
    in: in.txt
    out: plain.txt
  sharded:
    cmd: "tr 1 x | rft-fake"
    shards: 2
    in: in.txt
    out: sharded.txt
  untouched:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: untouched.txt
EOF
test_expect_success 'a new version of a filter a stage runs (shell or sharded) reruns that stage' '
	cd tools && PATH="$PWD/bin:$PATH" && rft-run t.yaml &&
	jq -e ".stages.plain.tools[\"rft-fake\"] == \"rft-fake (rftkit) 1\" and
		.stages.sharded.tools[\"rft-fake\"] == \"rft-fake (rftkit) 1\" and .stages.untouched.tools == {}" t.lock &&
	echo 2 > version &&
	rft-run why plain t.yaml > why && grep -q "^plain: rft-fake changed: .rft-fake (rftkit) 1. -> .rft-fake (rftkit) 2." why &&
	rft-run t.yaml && jq -r .stage t.logs/run.jsonl | tr "\n" " " > ran &&
	test "$(cat ran)" = "plain sharded untouched plain sharded "
'
