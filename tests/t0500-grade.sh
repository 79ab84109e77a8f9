# rft-grade: the same reward in batch, as a coprocess, and exported for an RFT job.
. "$T/lib.sh"

S="$TD/grade/samples.jsonl"

test_expect_success 'HGNC: renamed genes resolve, approved symbols win, ambiguous names do not match' '
	printf "%s\n" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:7133\"}]}},\"output_text\":\"MLL2\"}" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:1754\"}]}},\"output_text\":\"CDH3\"}" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:1754\"}]}},\"output_text\":\"CDH14\"}" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:7133\"}]}},\"output_text\":\"ALR\"}" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:7133\"}]}},\"output_text\":\"1. kmt2d\"}" \
	  "{\"item\":{\"reference\":{\"genes\":[{\"hgnc\":\"HGNC:7133\"}]}},\"output_text\":\"KMT2D (MLL2)\"}" |
	rft-grade --serve | jq -r .reward | tr "\n" " " > got &&
	test "$(cat got)" = "1 0 1 0 1 1 "
'
test_expect_success '--serve: 10,000 requests through a pipe answer as batch mode grades' '
	rft-grade "$S" | jq -c "[.id, .grade.reward, .grade.rank, .grade.predicted]" > batch1 &&
	for i in $(seq 625); do cat batch1; done > batch &&
	for i in $(seq 625); do jq -c "{item: del(.sample), sample: .sample}" "$S"; done > requests &&
	test "$(wc -l < requests)" -eq 10000 &&
	rft-grade --serve < requests > answers &&
	test "$(wc -l < answers)" -eq 10000 &&
	for i in $(seq 625); do jq -r .id "$S"; done > ids &&
	jq -c "[.reward, .grade.rank, .grade.predicted]" answers | paste -d" " ids - |
	  awk "{ id = \$1; \$1 = \"\"; sub(/^ /, \"\"); sub(/^\\[/, \"\"); print \"[\\\"\" id \"\\\",\" \$0 }" > served &&
	test_cmp batch served
'
test_expect_success '--serve: a bad request gets an error answer and the coprocess goes on' '
	printf "%s\n" "{oops" "{\"item\":{\"reference\":{\"genes\":[\"KMT2D\"]}},\"output_text\":\"KMT2D\"}" |
	rft-grade --serve > two &&
	test "$(sed -n 1p two | jq -r ".error | test(\"invalid JSON\")")" = true &&
	test "$(sed -n 2p two | jq -r .reward)" = 1
'
test_expect_success '--export-openai: gene_rank becomes a python grader under 256 kB' '
	rft-grade --export-openai exported.json --dataset "$S" &&
	test "$(jq -r .type exported.json)" = python &&
	test "$(jq -r .source exported.json | wc -c)" -lt 262144 &&
	rft-grade -g "$TD/grade/multi.json" --export-openai exported-multi.json --dataset "$S" &&
	test "$(jq -r ".type, .graders.rank.type, .graders.top.type" exported-multi.json | tr "\n" " ")" = "multi python string_check "
'
if command -v python3 >/dev/null 2>&1; then
test_expect_success 'the exported python grader gives the C grader'"'"'s reward on every line' '
	rft-grade "$S" | jq -c "[.id, .grade.reward]" > c.rewards &&
	python3 - exported.json "$S" > py.rewards <<PY &&
import json, sys
g = json.load(open(sys.argv[1]))
ns = {}
exec(g["source"], ns)
for line in open(sys.argv[2]):
    row = json.loads(line)
    sample = row.pop("sample", {})
    r = ns["grade"](sample, row)
    v = round(r, 6)
    print(json.dumps([row["id"], int(v) if v == int(v) else v], separators=(",", ":")))
PY
	test_cmp c.rewards py.rewards
'
else
	test_skip 'exported python grader check' 'no python3'
fi
