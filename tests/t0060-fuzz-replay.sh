# The fuzz harnesses (tests/fuzz) replayed over their seed corpora and every
# reproducer, one test per target: no fuzzing engine, a few seconds.  With
# RFT_BIN=build/asan/bin the ASan+UBSan replay binaries run (leaks checked
# after every input).  Build them with `make fuzz-replay` (make check does;
# make asan builds the sanitizer ones).  A failure names the input file.
. "$T/lib.sh"

bindir="${RFT_BIN:-bin}"
case "$bindir" in /*) ;; *) bindir="$top/$bindir" ;; esac
case "${bindir%/}" in
"$top/bin") R="$top/build/release" ;;
*) R=$(dirname "$bindir") ;;
esac
F="$top/tests/fuzz"

# reproducers too big to commit (MBs), made here as the findings' scripts make them
mkdir -p gen/grader gen/pipeline gen/template
rep() {  # rep TEXT N: TEXT N times
	yes "$1" | head -n "$2" | tr -d '\n'
}
{ printf F; rep - 1000000; printf a; } > gen/grader/F-d6-unary-1m
{ printf F; rep 'a^' 199999; printf a; } > gen/grader/F-d6-pow-200k
{ printf F; rep 'a+' 999999; printf a; } > gen/grader/F-d6-sum-1m
{ printf Fmin\(; rep 'a,' 999999; printf 'a)'; } > gen/grader/F-d6-min-args-1m
{ printf 'stages:\n  s1:\n    cmd: echo '; rep '${a:-' 100000; printf x; rep '}' 100000
  printf ' > ${out}\n    in: samples-3.jsonl\n    out: out1.txt\n'; } > gen/pipeline/d13-nested-defaults-100k.yaml
rep '{{case.id}}' 200000 > gen/template/d14-many-tags-200k.tmpl

replay() {  # replay TARGET: its corpus, its reproducers, what was made here
	test -x "$R/fuzz-replay-$1" || { echo "no $R/fuzz-replay-$1: run make fuzz-replay (or make asan)"; return 1; }
	set -- "$1" "$F/corpus/$1" "$F/repro/$1"
	[ -d "gen/$1" ] && set -- "$@" "gen/$1"
	t=$1
	shift
	"$R/fuzz-replay-$t" "$@" > raw 2>&1
	_st=$?
	grep -v "^rft: /proc/self/fd/[0-9]*: truncated gzip stream" raw
	return $_st
}
passes() {  # passes TARGET: the replay exits 0 and says every input passed
	replay "$1" > log; st=$?; cat log; test $st -eq 0 && grep -q "inputs passed" log
}
count() { ls "$F/corpus/$1" "$F/repro/$1" | grep -vc -e '^$' -e ':$'; }

test_expect_success "json_diff: $(count json_diff) inputs agree in every reader (D1 D2 D3 D4 D5)" 'passes json_diff'
test_expect_success "template: $(count template) templates + 1 made here (D14 D15)" 'passes template'
test_expect_success "grader: $(count grader) graders, formulas, lines + 4 formulas made here (D2 D3 D6 D16)" 'passes grader'
test_expect_success "input: $(count input) line files, plain and gzip" 'passes input'
test_expect_success "pipeline: $(count pipeline) pipelines + 1 made here, loaded only (D13)" 'passes pipeline'
test_expect_success "phenopacket: $(count phenopacket) documents mapped to cases (D1 D3)" 'passes phenopacket'
