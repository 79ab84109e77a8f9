# rft-prompt: determinism, the built-in template, bad input (file:line and
# exit codes, nothing half-written), and the whole sample through the chain.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"
sample="$TD/phenopacket-store/all_phenopackets-sample.zip"
one=$(sed -n 5p "$cases")

# fails CODE MESSAGE ARGS...: rft-prompt -o out.jsonl ARGS must exit CODE,
# say MESSAGE on stderr, and leave neither out.jsonl nor a temporary file
fails() {
	_code=$1 _msg=$2; shift 2
	rm -f out.jsonl err
	test_must_fail "$_code" rft-prompt -o out.jsonl "$@" 2> err &&
	grep_err "$_msg" err &&
	! test -e out.jsonl &&
	test -z "$(ls -A | grep '^\.out\.jsonl\.tmp' || true)"
}

test_expect_success 'the built-in template is pipelines/templates/default.tmpl byte for byte (make builds it in)' '
	rft-prompt --show-template > shown &&
	test_cmp "$top/pipelines/templates/default.tmpl" shown
'
test_expect_success 'same seed, same bytes; another seed, another order; no seed, the case order' '
	rft-prompt --seed 42 "$cases" > a && rft-prompt --seed 42 "$cases" > b && test_cmp a b &&
	rft-prompt --seed 43 "$cases" > c && ! cmp -s a c &&
	rft-prompt "$cases" > plain && rft-prompt "$cases" > plain2 && test_cmp plain plain2 &&
	test_cmp "$T/expected/prompt/rft.jsonl" plain
'
test_expect_success 'a case renders the same alone, reordered, or among other cases' '
	rft-prompt --seed 9 "$cases" | sed -n 5p > among &&
	printf "%s\n" "$one" | rft-prompt --seed 9 > alone && test_cmp among alone &&
	tac "$cases" | rft-prompt --seed 9 | tac | sed -n 5p > reversed && test_cmp among reversed
'
test_expect_success '--seed shuffles present terms only: same terms, absent list untouched' '
	for s in 1 2 3; do
		rft-prompt -f chat --seed $s "$cases" | jq -r ".messages[0].content" > s$s
	done &&
	rft-prompt -f chat "$cases" | jq -r ".messages[0].content" > s0 &&
	for f in s0 s1 s2 s3; do
		grep "^- .*(HP:" $f | sort > $f.sorted
		sed -n "/explicitly absent/,/^\$/p" $f > $f.absent
	done &&
	test_cmp s0.sorted s1.sorted && test_cmp s0.sorted s3.sorted &&
	test_cmp s0.absent s2.absent && ! cmp -s s0 s1
'
test_expect_success '--max-terms keeps the first N in the order shown and says how many were left out' '
	rft-prompt --seed 5 "$cases" | jq -c "[.messages[0].content | scan(\"- [^\\n]*\\\\(HP:[0-9]+\\\\)\")][:2]" > first2 &&
	rft-prompt --seed 5 --max-terms 2 "$cases" | jq -c "[.messages[0].content | scan(\"- [^\\n]*\\\\(HP:[0-9]+\\\\)\")][:2]" > kept2 &&
	test_cmp first2 kept2 &&
	rft-prompt --max-terms 0 -f chat "$cases" | jq -r ".messages[0].content" | grep -c "^- and 9 more not listed" > n &&
	test "$(cat n)" -eq 1
'
test_expect_success 'the whole sample: extract | prompt | lint is clean, one line per case' '
	rft-extract "$sample" > sample.jsonl &&
	rft-prompt -o prompts.jsonl sample.jsonl 2> err && ! test -s err &&
	test "$(wc -l < prompts.jsonl)" -eq "$(wc -l < sample.jsonl)" &&
	rft-prompt --lint --lint-role train --grader "$TD/prompt/grader-top1.json" prompts.jsonl 2> err &&
	! test -s err
'
test_expect_success 'a case without genes is a bad record (65), named by file:line' '
	{ printf "%s\n" "$one"; printf "%s\n" "$one" | jq -c "del(.genes) | .id = \"x2\""; } > nogenes.jsonl &&
	fails 65 "rft-prompt: nogenes.jsonl:2: genes is missing, not an array" nogenes.jsonl &&
	{ printf "%s\n" "$one"; printf "%s\n" "$one" | jq -c ".genes = [] | .id = \"x2\""; } > emptygenes.jsonl &&
	fails 65 "emptygenes.jsonl:2: case has no gene with an HGNC id" emptygenes.jsonl &&
	printf "%s\n" "$one" | jq -c ".genes = [{\"symbol\":\"X\",\"hgnc\":null}]" > nohgnc.jsonl &&
	fails 65 "nohgnc.jsonl:1: case has no gene with an HGNC id" nohgnc.jsonl
'
test_expect_success 'a field of the wrong type is a bad record, named by file:line' '
	printf "%s\n" "$one" | jq -c ".present = \"Bifid nose\"" > t1.jsonl &&
	fails 65 "t1.jsonl:1: present is a string, not an array or null" t1.jsonl &&
	printf "%s\n" "$one" | jq -c ".age.years = \"one\"" > t2.jsonl &&
	fails 65 "t2.jsonl:1: age.years is a string, not a number or null" t2.jsonl &&
	printf "%s\n" "$one" | jq -c ".absent[1] = 7" > t3.jsonl &&
	fails 65 "t3.jsonl:1: absent[1] is a number, not an object" t3.jsonl &&
	printf "%s\n" "$one" | jq -c ".id = 12" > t4.jsonl &&
	fails 65 "t4.jsonl:1: id is a number, not a string" t4.jsonl &&
	printf "%s\n" "$one" | jq -c ".genes = {}" > t5.jsonl &&
	fails 65 "t5.jsonl:1: genes is an object, not an array" t5.jsonl &&
	printf "%s\n" "$one" | jq -c ".present[0].label = true" > t6.jsonl &&
	fails 65 "t6.jsonl:1: present[0].label is a boolean, not a string or null" t6.jsonl &&
	printf "%s\n{oops\n" "$one" > t7.jsonl &&
	fails 65 "t7.jsonl:2: invalid JSON" t7.jsonl
'
test_expect_success 'a repeated case id is a bad record for rft and batch, not for chat' '
	{ printf "%s\n" "$one"; sed -n 6p "$cases"; printf "%s\n" "$one"; } > dup.jsonl &&
	fails 65 "dup.jsonl:3: id '"'"'variety_gene_descriptor'"'"' repeats the case at dup.jsonl:1" dup.jsonl &&
	fails 65 "dup.jsonl:3: id" -f batch -m m dup.jsonl &&
	rft-prompt -f chat dup.jsonl > chat.jsonl && test "$(wc -l < chat.jsonl)" -eq 3
'
test_expect_success '--skip-bad counts bad cases, keeps them in --rejects, writes the rest' '
	{ printf "%s\n" "$one"; printf "%s\n" "$one" | jq -c "del(.genes) | .id = \"x2\""; echo "{oops"; sed -n 6p "$cases"; } > mixed.jsonl &&
	rft-prompt --skip-bad --stats --rejects rej.jsonl mixed.jsonl > ok.jsonl 2> err &&
	test "$(wc -l < ok.jsonl)" -eq 2 &&
	grep_err "4 cases read, 2 prompts written, 2 bad" err &&
	grep_err "mixed.jsonl:2: genes is missing, not an array (skipped)" err &&
	test "$(jq -r .where rej.jsonl | tr "\\n" ,)" = "mixed.jsonl:2,mixed.jsonl:3," &&
	fails 65 "more than 1 bad records, stopping" --skip-bad=1 mixed.jsonl
'
test_expect_success 'a template value that is null without fallback: bad record, or skipped' '
	fails 65 "cases.jsonl:7: " -t "$TD/prompt/null-pmid.tmpl" "$cases" &&
	rft-prompt --skip-bad -t "$TD/prompt/null-pmid.tmpl" "$cases" > some.jsonl 2> err &&
	test "$(wc -l < some.jsonl)" -eq 13 &&
	grep_err "cases.jsonl:16: " err
'
# a closed pipe ends rft-prompt at once (_exit, like the signal it stands
# for): under valgrind the memory it held then shows as lost, in valgrind's
# own "==PID==" lines; the program itself must say nothing
test_expect_success '-o writes atomically; write errors are 74; a closed pipe is quiet' '
	rft-prompt -o good.jsonl "$cases" && test_cmp "$T/expected/prompt/rft.jsonl" good.jsonl &&
	test_must_fail 74 rft-prompt "$cases" > /dev/full 2> err &&
	grep_err "error writing standard output" err &&
	rft-extract "$sample" | rft-prompt 2> err | head -1 > first && test -s first &&
	! grep -v "^==[0-9]*==" err
'
test_expect_success 'an empty input writes nothing and succeeds' '
	rft-prompt < /dev/null > none.jsonl && ! test -s none.jsonl
'
