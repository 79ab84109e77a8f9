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
test_expect_success 'batch mode (values read as spans, no tree) grades edge lines as --serve (a tree) does' '
	E="$TD/grade/edges.jsonl" &&
	rft-grade "$E" > graded &&
	test "$(wc -l < graded)" -eq "$(wc -l < "$E")" &&
	jq -r .id "$E" > ids &&
	jq -c .grade graded | paste -d" " ids - > batch &&
	jq -c "{item: del(.sample), sample: .sample}" "$E" | rft-grade --serve | jq -c .grade |
	  paste -d" " ids - > served &&
	# (a line without a sample object is a request --serve refuses)
	jq -r "select(.sample | type == \"object\") | .id" "$E" > with_sample &&
	test "$(wc -l < with_sample)" -ge 35 &&
	grep -F -w -f with_sample served > served_s && grep -F -w -f with_sample batch > batch_s &&
	test_cmp served_s batch_s &&
	# a line that had a grade has the new one only; every other line keeps its bytes
	test "$(grep -c "\"grade\"" graded)" -eq "$(wc -l < "$E")" &&
	grep "\"id\": \"grade_already_there\"" graded | jq -e ".grade.rank == 2" > /dev/null &&
	sed "s/,\"grade\":{.*}}\$/}/" graded | grep -v grade_already_there > kept &&
	sed "s/[ \t\r]*\$//" "$E" | grep -v grade_already_there > orig &&
	test_cmp orig kept
'
test_expect_success 'fuzzy_match: texts too long to compare in about a second are other_error, not hours' '
	a=$(head -c 200000 /dev/zero | tr "\\0" a) &&
	printf "{\"id\":\"long\",\"reference\":{\"gene\":\"%s\"},\"sample\":{\"output_text\":\"%s\"}}\n" "$a" "$a" > long.jsonl &&
	printf "%s\n" "{\"id\":\"short\",\"reference\":{\"gene\":\"KMT2D\"},\"sample\":{\"output_text\":\"KMT2D is the gene\"}}" >> long.jsonl &&
	rft-grade -g "$TD/grade/fuzzy.json" long.jsonl | jq -c "[.id, .grade.reward, .grade.errors.other_error, .grade.message]" > got &&
	printf "%s\n" "[\"long\",0,true,\"fuzzy_match: the texts are too long to compare (200000 and 200012 bytes)\"]" \
		"[\"short\",1,false,null]" > want &&
	test_cmp want got
'
test_expect_success '--serve: a bad request gets an error answer and the coprocess goes on' '
	printf "%s\n" "{oops" "{\"item\":{\"reference\":{\"genes\":[\"KMT2D\"]}},\"output_text\":\"KMT2D\"}" |
	rft-grade --serve > two &&
	test "$(sed -n 1p two | jq -r ".error | test(\"invalid JSON\")")" = true &&
	test "$(sed -n 2p two | jq -r .reward)" = 1
'
if command -v python3 > /dev/null 2>&1; then
	# the reward function exactly as the README shows it, then a driver
	awk '/^### The grader as an RL reward/ { on = 1 } on && /^```python/ { code = 1; next } code && /^```/ { exit } code' \
		"$top/README.md" > reward.py
	cat >> reward.py <<'PY'
ref = {"gene": "KMT2D", "hgnc": "HGNC:7133", "genes": [{"symbol": "KMT2D", "hgnc": "HGNC:7133"}]}
print(gene_rank_reward(['{"genes": ["MLL2", "KDM6A"]}',
                        [{"role": "assistant", "content": "1. KDM6A\n2. KMT2D (MLL2)"}],
                        "no gene named", ""], [ref] * 4))
grader.stdin.close()
print(grader.wait())
PY
	test_expect_success '--serve as a coprocess: the README reward function gets each answer before it asks again' '
		grep -q "def gene_rank_reward" reward.py &&
		timeout 240 python3 reward.py > got &&
		printf "[1, 0.5, 0, 0]\n0\n" > want &&
		test_cmp want got
	'
else
	test_skip '--serve as a coprocess (README reward function)' 'no python3'
fi
test_expect_success '--export-openai: gene_rank becomes a python grader under 256 kB' '
	rft-grade --export-openai exported.json --dataset "$S" &&
	test "$(jq -r .type exported.json)" = python &&
	test "$(jq -r .source exported.json | wc -c)" -lt 262144 &&
	rft-grade -g "$TD/grade/multi.json" --export-openai exported-multi.json --dataset "$S" &&
	test "$(jq -r ".type, .graders.rank.type, .graders.top.type" exported-multi.json | tr "\n" " ")" = "multi python string_check " &&
	test "$(jq -c ".graders.top" exported-multi.json)" = "$(jq -c ".graders.top" "$TD/grade/multi.json")" &&
	test "$(jq -r .calculate_output exported-multi.json)" = "$(jq -r .calculate_output "$TD/grade/multi.json")"
'
if command -v python3 >/dev/null 2>&1; then
test_expect_success '--export-openai is a round trip: what an export loads exports the same, and grades the same (python3 runs the exported sources)' '
	n=0 &&
	# model graders check their endpoint at load: a local one that is never called
	OPENAI_BASE_URL=http://127.0.0.1:9/v1 && export OPENAI_BASE_URL &&
	for f in "$TD"/grade/*.json default; do
		case $f in */bad-*|*/python-bad.json|*/model-bad-*) continue ;; esac
		if test "$f" = default; then g=; else g="-g $f"; fi &&
		rft-grade $g --export-openai e1.json --dataset "$S" &&
		rft-grade -g e1.json --export-openai e2.json --dataset "$S" &&
		test_cmp e1.json e2.json &&
		# (model graders would call a server: t0550 grades them against the fake one)
		if test "$f" != default && ! grep -q gene_rank "$f" && ! grep -q "\"python\"" "$f" &&
		   ! grep -Eq "_model|cosine" "$f"; then
			rft-grade $g "$S" > g1 && rft-grade -g e1.json "$S" > g2 && test_cmp g1 g2
		fi &&
		n=$((n + 1)) || exit 1
	done &&
	test $n -ge 7
'
test_expect_success 'the exported python grader gives the C grader'"'"'s reward on every line' '
	rft-grade "$S" "$TD/grade/edges.jsonl" | jq -c "[.id, .grade.reward]" > c.rewards &&
	python3 - exported.json "$S" "$TD/grade/edges.jsonl" > py.rewards <<PY &&
import json, sys
g = json.load(open(sys.argv[1]))
ns = {}
exec(g["source"], ns)
for line in (l for f in sys.argv[2:] for l in open(f, encoding="utf-8")):
    row = json.loads(line)
    sample = row.pop("sample", {})
    r = ns["grade"](sample, row)
    v = r
    print(json.dumps([row["id"], int(v) if v == int(v) else v], separators=(",", ":")))
PY
	test_cmp c.rewards py.rewards
'
else
	test_skip 'exported python grader check' 'no python3'
fi

test_expect_success '--threads: output, bad-line messages and rejects are the same and in order for any N' '
	# 5,000 lines (several batches of the threaded loop) with bad ones spread through them
	cp "$S" many.jsonl &&
	while [ $(wc -l < many.jsonl) -lt 5000 ]; do cat many.jsonl many.jsonl > m2 && mv m2 many.jsonl; done &&
	awk "{ print } NR % 997 == 0 { print \"{not json\" } NR % 1499 == 0 { print \"[1]\" }" many.jsonl > mixed.jsonl &&
	rft-grade -j1 --skip-bad --rejects rej1.jsonl mixed.jsonl > out1 2> err1 &&
	rft-grade -j2 --skip-bad --rejects rej2.jsonl mixed.jsonl > out2 2> err2 &&
	rft-grade -j7 --skip-bad --rejects rej7.jsonl mixed.jsonl > out7 2> err7 &&
	test -s rej1.jsonl && test_cmp out1 out2 && test_cmp out1 out7 &&
	test_cmp err1 err2 && test_cmp err1 err7 && test_cmp rej1.jsonl rej2.jsonl && test_cmp rej1.jsonl rej7.jsonl &&
	test "$(wc -l < out1)" -eq "$(grep -c "^{\"" mixed.jsonl)" &&
	jq -r ".where" rej2.jsonl | cut -d: -f2 > where && sort -n where | test_cmp where - &&
	test "$(wc -l < where)" -eq "$(grep -vc "^{\"" mixed.jsonl)" &&
	test "$(jq -r .id out2 | head -20 | tr "\n" " ")" = "$(jq -r .id many.jsonl | head -20 | tr "\n" " ")" &&
	n=$(grep -c "^{\"" mixed.jsonl) && test_must_fail 65 rft-grade -j2 mixed.jsonl > /dev/null 2> err &&
	grep_err "mixed.jsonl:$(grep -n "{not json" mixed.jsonl | head -1 | cut -d: -f1): invalid JSON" err
'
