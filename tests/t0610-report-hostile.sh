# rft-report against hostile input: a number it cannot read is refused with
# FILE:LINE (never summed as 0).
. "$T/lib.sh"
R="$TD/report"
H="$TD/robustness"

# refused FILE FIELD-MESSAGE: exit 65 naming FILE:1 and the field, and no
# summary written (a report that counted the value as 0 would print one)
refused() {
	rm -f out err &&
	test_must_fail 65 rft-report --json --bootstrap 0 "$1" > out 2> err &&
	grep_err "$1:1: $2" err &&
	! test -s out
}

test_expect_success 'D4: "reward":NaN is refused, not counted as reward 0' '
	refused "$H/report-nan-reward.jsonl" "grade.reward is NaN, not a number"
'
test_expect_success 'D4: "reward":-Infinity is refused, not counted as reward 0' '
	refused "$H/report-neginf-reward.jsonl" "grade.reward is -Infinity, not a number"
'
test_expect_success 'D4: "reward":1e999 (control) is refused as not finite' '
	refused "$H/report-1e999-reward-control.jsonl" "grade.reward 1e999 is not finite"
'
test_expect_success 'D4: NaN or Infinity as rank, max_list or id is refused, naming the field' '
	g="\"predicted\":[\"A\"]" &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1,\"rank\":NaN,$g}}" > rank.jsonl &&
	refused rank.jsonl "grade.rank is NaN, not a positive integer or null" &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1,\"rank\":1,\"max_list\":Infinity,$g}}" > ml.jsonl &&
	refused ml.jsonl "grade.max_list is Infinity, not a positive integer" &&
	echo "{\"id\":NaN,\"grade\":{\"reward\":1,\"rank\":1,$g}}" > id.jsonl &&
	refused id.jsonl "id is NaN, not a string"
'
test_expect_success 'D4: a 400-digit reward is refused; a tiny one and an integer id are read' '
	big=$(printf "%0400d" 0) &&
	echo "{\"id\":\"X\",\"grade\":{\"reward\":1$big,\"rank\":null}}" > big.jsonl &&
	refused big.jsonl "grade.reward 100000000000000000000000... is not finite" &&
	echo "{\"id\":7,\"grade\":{\"reward\":1e-999,\"rank\":null}}" > tiny.jsonl &&
	echo "{\"id\":8,\"grade\":{\"reward\":0.5e1,\"rank\":null}}" >> tiny.jsonl &&
	rft-report --json --bootstrap 0 tiny.jsonl > tiny.json &&
	jq -e ".groups[0].n == 2 and .groups[0].reward.value == 2.5" tiny.json
'
