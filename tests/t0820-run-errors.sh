# rft-run: a bad pipeline file is refused before anything runs (78), naming
# the place (file:line:col) and the stages; usage errors are 64.
. "$T/lib.sh"

echo x > in.txt
# y FILE: the pipeline from stdin
y() { cat > "$1"; }

y syntax.yaml <<'EOF'
stages:
  a:
    cmd: [echo, "unclosed
    out: o
EOF
test_expect_success 'YAML syntax errors name file:line:col (78)' '
	test_must_fail 78 rft-run syntax.yaml 2> err && grep -q "^rft-run: syntax.yaml:[0-9]*:[0-9]*: " err
'
y key.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    ouput: o
EOF
test_expect_success 'an unknown key names its line and column' '
	test_must_fail 78 rft-run key.yaml 2> err &&
	grep_err "key.yaml:5:5: stage '"'"'a'"'"': unknown key '"'"'ouput'"'"'" err
'
y cycle.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > ${out}"
    in: c.txt
    out: a.txt
  b:
    cmd: "cat ${in} > ${out}"
    in: a.txt
    out: b.txt
  c:
    cmd: "cat ${in} > ${out}"
    in: b.txt
    out: c.txt
  free:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: free.txt
EOF
test_expect_success 'a cycle is refused, naming its stages and files; nothing runs' '
	test_must_fail 78 rft-run cycle.yaml 2> err &&
	grep_err "the stages form a cycle:" err &&
	grep_err "'"'"'a'"'"' writes '"'"'a.txt'"'"' read by '"'"'b'"'"'" err &&
	grep_err "'"'"'b'"'"' writes '"'"'b.txt'"'"' read by '"'"'c'"'"'" err &&
	grep_err "'"'"'c'"'"' writes '"'"'c.txt'"'"' read by '"'"'a'"'"'" err &&
	! test -e free.txt
'
y self.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > ${out}"
    in: ./a.txt
    out: a.txt
EOF
test_expect_success 'a stage reading its own output is a cycle (paths compared normalised)' '
	test_must_fail 78 rft-run self.yaml 2> err && grep_err "'"'"'a'"'"' writes '"'"'a.txt'"'"' read by '"'"'a'"'"'" err
'
y dup.yaml <<'EOF'
stages:
  one:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: same.txt
  two:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: ./same.txt
EOF
test_expect_success 'two stages writing one file is refused, naming both' '
	test_must_fail 78 rft-run dup.yaml 2> err &&
	grep_err "dup.yaml:7:5: stages '"'"'one'"'"' and '"'"'two'"'"' both write '"'"'same.txt'"'"'" err
'
y undef.yaml <<'EOF'
vars:
  dir: out
stages:
  a:
    cmd: "cat ${in} > ${out}/${nope}"
    in: in.txt
    out: o
EOF
test_expect_success 'an undefined variable names its place; a default or --set defines it' '
	test_must_fail 78 rft-run undef.yaml 2> err &&
	grep_err "undef.yaml:5:10: undefined variable '"'"'nope'"'"'" err
'
y unnamed.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > o"
    in: in.txt
    out: o
EOF
test_expect_success 'an output the command does not name is refused (it could not be written atomically)' '
	test_must_fail 78 rft-run unnamed.yaml 2> err &&
	grep_err "stage '"'"'a'"'"': its command does not write out '"'"'o'"'"' (name it as \${out[0]}" err
'
y missing.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > ${out}"
    in: nowhere.txt
    out: o
EOF
test_expect_success 'an input no stage writes and that does not exist: 66 before anything runs' '
	test_must_fail 66 rft-run missing.yaml 2> err &&
	grep_err "stage '"'"'a'"'"': input '"'"'nowhere.txt'"'"' does not exist and no stage writes it" err
'
y shape.yaml <<'EOF'
stages:
  a:
    jq: .
    in: in.txt
EOF
y shape2.yaml <<'EOF'
stages:
  - a
EOF
y shape3.yaml <<'EOF'
stages:
  a:
    cmd: {x: 1}
EOF
test_expect_success 'misshapen stages are refused with their place' '
	test_must_fail 78 rft-run shape.yaml 2> err && grep_err "shape.yaml:3:5: stage '"'"'a'"'"': a jq stage needs in and exactly one out" err &&
	test_must_fail 78 rft-run shape2.yaml 2> err && grep_err "shape2.yaml:2:3: stages must be a mapping" err &&
	test_must_fail 78 rft-run shape3.yaml 2> err && grep_err "shape3.yaml:3:10: cmd must be a list" err &&
	: > empty.yaml && test_must_fail 78 rft-run empty.yaml 2> err && grep_err "empty.yaml: empty pipeline file" err
'
test_expect_success 'usage errors are 64; --help and --version work; a missing pipeline is 66' '
	test_must_fail 64 rft-run 2> err && grep_err "usage: rft-run" err &&
	test_must_fail 64 rft-run a.yaml b.yaml 2> /dev/null &&
	test_must_fail 64 rft-run --set novalue missing.yaml 2> err && grep_err "--set wants NAME=VALUE" err &&
	test_must_fail 64 rft-run -j 0 missing.yaml 2> /dev/null &&
	test_must_fail 64 rft-run --wait soon missing.yaml 2> /dev/null &&
	test_must_fail 66 rft-run nothere.yaml 2> err && grep_err "cannot open '"'"'nothere.yaml'"'"'" err &&
	rft-run --help | grep -q "^usage: rft-run" && rft-run --version | grep -q "^rft-run (rftkit) " &&
	rft help run | grep -q -- "--dry-run"
'
y ok.yaml <<'EOF'
stages:
  a:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: o.txt
EOF
test_expect_success 'why names an unknown stage with the list of stages (64)' '
	test_must_fail 64 rft-run why b ok.yaml 2> err && grep_err "ok.yaml has no stage '"'"'b'"'"' (stages: a)" err &&
	rft-run why a ok.yaml > why && grep -q "^a: never run to success" why
'
test_expect_success 'a damaged lock file costs a rerun, not the run' '
	echo "{not json" > ok.lock && rft-run ok.yaml 2> err && grep_err "ok.lock: not a lock file" err &&
	jq -e ".stages.a.key" ok.lock > /dev/null
'
y until.yaml <<'EOF'
stages:
  make:
    cmd: "cat ${in} > ${out}"
    in: in.txt
    out: made.txt
  use:
    cmd: "cat ${in} > ${out}"
    in: made.txt
    out: used.txt
EOF
test_expect_success '--from a stage whose input an unselected stage writes, not yet written: 66 naming it' '
	test_must_fail 66 rft-run --from use until.yaml 2> err &&
	grep_err "stage '"'"'use'"'"': input '"'"'made.txt'"'"' does not exist and stage '"'"'make'"'"', which writes it, is not selected" err &&
	rft-run --until make until.yaml && test -f made.txt && ! test -e used.txt &&
	rft-run --from use until.yaml && test -f used.txt
'
