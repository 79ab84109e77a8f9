# rft-prompt --candidates: hybrid prompts from a first-stage ranker's sample
# lines.  The golden prompt of a real case, the shuffle (seeded, per case,
# independent of input order), missing candidates (65, never a plain prompt),
# the RFT files, lint and the exported grader on hybrid prompts, and a call
# through the fake server whose answers are a known function of the prompt.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"
cands="$TD/prompt/candidates.jsonl"
# the cases rft-rank could rank (two have no known term: error lines)
jq -c 'select(.id != "PMID_30968594_individual_29" and .id != "handmade_empty_lists")' "$cases" > ok.jsonl

test_expect_success 'the built-in hybrid template is pipelines/templates/hybrid.tmpl byte for byte (make builds it in)' '
	rft-prompt --candidates "$cands" --show-template > shown &&
	test_cmp "$top/pipelines/templates/hybrid.tmpl" shown &&
	rft-prompt --show-template | cmp - "$top/pipelines/templates/default.tmpl"
'
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'the candidates fixture is what rft-rank writes now' 'slow under valgrind (real HPO data)'
else
	test_expect_success 'the candidates fixture is what rft-rank writes now' '
		rft-rank -k 10 "$cases" | jq -c "{id, reference} + (if .sample then {sample: (.sample |
			del(.latency_ms, .output_text, .output_json.explanation))} else {error} end)" > fresh &&
		test_cmp "$cands" fresh
	'
fi
test_expect_success 'golden hybrid prompts: a real case (rft-rank candidates, matched terms), shuffled, excluded terms' '
	head -1 "$cases" | rft-prompt --candidates "$cands" > got &&
	head -1 "$cases" | rft-prompt --candidates "$cands" --shuffle-candidates 5 --candidates-depth 4 >> got &&
	grep handmade_null_label "$cases" | rft-prompt --candidates "$cands" --candidates-depth 3 >> got &&
	jq -r ".messages[-1].content" got | grep -qF "   - the disease is known for Seizure (HP:0001250), which this patient was examined for and does not have" &&
	test_cmp "$T/expected/prompt/hybrid-real.jsonl" got
'
test_expect_success 'the prompt lists the ranking in order, each line from sample.ranking (python reference)' '
	rft-prompt --candidates "$cands" ok.jsonl > h.jsonl &&
	python3 - "$cands" h.jsonl <<-\PY
	import json, sys
	rank = {}
	for l in open(sys.argv[1]):
	    o = json.loads(l)
	    if "sample" in o:
	        rank[o["id"]] = o["sample"]["ranking"]
	n = 0
	for l in open(sys.argv[2]):
	    p = json.loads(l)
	    r = rank[p["id"]][:10]
	    text = p["messages"][-1]["content"]
	    lines = [x for x in text.split("\n") if x[:1].isdigit()]
	    assert [x.split(". ", 1)[1].split(" ")[0] for x in lines] == [e["symbol"] for e in r], p["id"]
	    for i, (x, e) in enumerate(zip(lines, r)):
	        want = "%d. %s (%s), score %s" % (i + 1, e["symbol"], e["hgnc"], json.dumps(e["score"]))
	        if e.get("via"):
	            want += ", through the disease %s (%s)" % (e.get("via_label") or "", e["via"])
	        assert x == want, (x, want)
	    for e in r:
	        for m in e["matched"]:
	            assert "the present feature %s (%s)" % (m["label"], m["id"]) in text
	        for m in e["absent"]:
	            assert "known for %s (%s), which" % (m["label"], m["id"]) in text
	    c = p["candidates"]
	    assert c["genes"] == [e["symbol"] for e in r] and c["ranks"] == list(range(1, len(r) + 1))
	    assert c["depth"] == 10 and c["shuffle_seed"] is None and c["model"] == "rft-rank/disease;k=10"
	    n += 1
	assert n == 14, n
	PY
'
test_expect_success '--shuffle-candidates: same seed same bytes, another seed another order, the same genes' '
	rft-prompt --candidates "$cands" --shuffle-candidates 7 ok.jsonl > s7 &&
	rft-prompt --candidates "$cands" --shuffle-candidates 7 ok.jsonl > s7b && test_cmp s7 s7b &&
	rft-prompt --candidates "$cands" --shuffle-candidates 8 ok.jsonl > s8 && ! cmp -s s7 s8 &&
	jq -c "[.id, (.candidates.genes | sort)]" s7 > g7 && jq -c "[.id, (.candidates.genes | sort)]" h.jsonl > g0 &&
	test_cmp g0 g7 &&
	test "$(jq -c "select(.candidates.genes != (.candidates.genes | sort)) | .id" s7 | wc -l)" -gt 0 &&
	jq -e -s "all(.[]; .candidates.shuffle_seed == 7 and (.candidates.ranks | sort) == [range(1; 11)])" s7 > /dev/null &&
	jq -r ".messages[-1].content" s7 | grep -q "candidate genes, listed in random order:" &&
	! jq -r ".messages[-1].content" s7 | grep -q "its best match first"
'
test_expect_success 'the shuffled prompt shows the recorded order, each gene its ranking entry (ranks)' '
	python3 - "$cands" s7 <<-\PY
	import json, sys
	rank = {json.loads(l)["id"]: json.loads(l).get("sample", {}).get("ranking") for l in open(sys.argv[1])}
	for l in open(sys.argv[2]):
	    p = json.loads(l)
	    c = p["candidates"]
	    shown = [x.split(". ", 1)[1].split(" ")[0] for x in p["messages"][-1]["content"].split("\n") if x[:1].isdigit()]
	    assert shown == c["genes"], p["id"]
	    assert [rank[p["id"]][k - 1]["symbol"] for k in c["ranks"]] == c["genes"], p["id"]
	PY
'
test_expect_success 'a case is shuffled the same alone, among others, and with both files reversed' '
	tac ok.jsonl > rev-cases && tac "$cands" > rev-cands &&
	rft-prompt --candidates rev-cands --shuffle-candidates 7 rev-cases | tac > s7r && test_cmp s7 s7r &&
	sed -n 4p ok.jsonl | rft-prompt --candidates "$cands" --shuffle-candidates 7 > alone &&
	sed -n 4p s7 > among && test_cmp among alone
'
test_expect_success '--candidates-depth N keeps the first N of each ranking' '
	rft-prompt --candidates "$cands" --candidates-depth 3 ok.jsonl | jq -c "[.id, .candidates.genes]" > d3 &&
	jq -c "select(.sample) | [.id, [.sample.ranking[:3][].symbol]]" "$cands" > want && test_cmp want d3
'

# fails CODE MESSAGE ARGS...: exit CODE, MESSAGE on stderr, no output file
fails() {
	_code=$1 _msg=$2; shift 2
	rm -f out.jsonl err
	test_must_fail "$_code" rft-prompt -o out.jsonl "$@" 2> err &&
	grep_err "$_msg" err && ! test -e out.jsonl
}
test_expect_success 'a case without a candidate line: 65 naming the case and the file' '
	grep -v PMID_33776626_fetus "$cands" > some.jsonl &&
	fails 65 "ok.jsonl:3: case '"'"'PMID_33776626_fetus'"'"' has no candidates: some.jsonl has no line for it" \
		--candidates some.jsonl ok.jsonl
'
test_expect_success 'a case whose candidate line is an error, or an empty list, or no sample: 65' '
	fails 65 "cases.jsonl:3: case '"'"'PMID_30968594_individual_29'"'"' has no candidates: $cands:3: the line is an error (no_known_terms): " \
		--candidates "$cands" "$cases" &&
	jq -c "if .id == \"variety_timestamp\" then .sample.ranking = [] else . end" "$cands" > empty.jsonl &&
	fails 65 "case '"'"'variety_timestamp'"'"' has no candidates: empty.jsonl:8: its list of genes is empty" \
		--candidates empty.jsonl ok.jsonl &&
	jq -c "if .id == \"variety_timestamp\" then del(.sample) else . end" "$cands" > nosample.jsonl &&
	fails 65 "empty.jsonl" --candidates empty.jsonl ok.jsonl &&
	fails 65 "nosample.jsonl:8: the line has neither a sample nor an error" --candidates nosample.jsonl ok.jsonl
'
test_expect_success '--skip-bad skips (and rejects) a case without candidates; never a plain prompt' '
	rft-prompt --candidates "$cands" --skip-bad --rejects rej.jsonl "$cases" > sk.jsonl 2> err &&
	test "$(wc -l < sk.jsonl)" = 14 && test "$(wc -l < rej.jsonl)" = 2 &&
	jq -e -s "all(.[]; .candidates.genes | length == 10)" sk.jsonl > /dev/null &&
	! jq -r ".messages[-1].content" sk.jsonl | grep -q "^Which genes could cause" &&
	grep_err "has no candidates" err
'
test_expect_success 'candidate lines of cases not in the input: not used, said on stderr' '
	head -3 ok.jsonl | rft-prompt --candidates "$cands" > three 2> err &&
	test "$(wc -l < three)" = 3 &&
	grep_err "warning: 13 of 16 candidate lines in $cands are for cases not in the input (the first: '"'"'PMID_30968594_individual_29'"'"' at $cands:3); they were not used" err
'
test_expect_success 'a repeated id or a bad line in the candidates stops the run (65)' '
	cat "$cands" "$cands" > twice.jsonl &&
	fails 65 "twice.jsonl:17: id '"'"'PMID_35470444_P4'"'"' repeats the line at twice.jsonl:1 (one candidate list per case: fuse several with rft-fuse first)" \
		--candidates twice.jsonl ok.jsonl &&
	{ head -2 "$cands"; echo "{\"id\":"; } > badjson.jsonl &&
	fails 65 "badjson.jsonl:3: " --candidates badjson.jsonl ok.jsonl &&
	jq -c ".sample.ranking[0].symbol = 7" "$cands" > badrank.jsonl &&
	fails 65 "badrank.jsonl:1: sample.ranking[0].symbol is missing, not a gene symbol" --candidates badrank.jsonl ok.jsonl &&
	fails 66 "nope.jsonl" --candidates nope.jsonl ok.jsonl
'
test_expect_success 'a model'"'"'s answers as candidates: symbols only, repeats kept once, junk refused by case' '
	jq -c "select(.sample) | {id, sample: {model: \"m\", output_json: {genes: [.sample.ranking[0].symbol, \"kif1a\", \"KIF1A\", .sample.ranking[1].symbol]}}}" "$cands" > model.jsonl &&
	rft-prompt --candidates model.jsonl --stats ok.jsonl > m.jsonl 2> err &&
	jq -e -s "all(.[]; (.candidates.genes | length) == 3 and .candidates.genes[1] == \"kif1a\" and .candidates.ranks == [1,2,4] and .candidates.model == \"m\")" m.jsonl > /dev/null &&
	grep_err "14 candidate lines read" err && grep_err "14 repeated names dropped" err &&
	head -1 m.jsonl | jq -r ".messages[-1].content" | grep -qx "2. kif1a" &&
	jq -c ".sample.output_json.genes |= [{symbol: \" A1 \"}, \"b2\t\", \"A1\"]" model.jsonl > objs.jsonl &&
	rft-prompt --candidates objs.jsonl ok.jsonl | jq -c ".candidates.genes" | sort -u > got && echo "[\"A1\",\"b2\"]" > want && test_cmp want got &&
	jq -c "if .id == \"variety_interval\" then .sample.output_json = null else . end" model.jsonl > junk.jsonl &&
	fails 65 "case '"'"'variety_interval'"'"' has no candidates: junk.jsonl:11: sample.output_json.genes is missing, not a list of genes" \
		--candidates junk.jsonl ok.jsonl
'
test_expect_success 'rft-fuse'"'"'s lines as candidates: its fused ranking, top N' '
	jq -c "select(.sample) | {id, sample: {model: \"m\", output_json: {genes: [.sample.ranking[3].symbol, \"NOTINLIST\"]}}}" "$cands" > m2.jsonl &&
	jq -c "select(.sample)" "$cands" > ranked.jsonl &&
	rft-fuse -o fused.jsonl ranker=ranked.jsonl model=m2.jsonl &&
	rft-prompt --candidates fused.jsonl --candidates-depth 5 ok.jsonl > f.jsonl &&
	jq -c "[.id, .sample.output_json.genes[:5]]" fused.jsonl > want && jq -c "[.id, .candidates.genes]" f.jsonl > got &&
	test_cmp want got && jq -e -s "all(.[]; .candidates.model | startswith(\"rft-fuse/\"))" f.jsonl > /dev/null
'
test_expect_success 'usage: candidate options need --candidates; templates without it cannot name them' '
	fails 64 "--shuffle-candidates needs --candidates SAMPLES" --shuffle-candidates 1 ok.jsonl &&
	fails 64 "--candidates-depth needs --candidates SAMPLES" --candidates-depth 1 ok.jsonl &&
	fails 64 "option '"'"'--candidates-depth'"'"' needs a whole number" --candidates "$cands" --candidates-depth 0 ok.jsonl &&
	fails 64 "cannot both come from stdin" --candidates - &&
	fails 64 "is not used with --lint" --lint --candidates "$cands" h.jsonl &&
	fails 78 "hybrid.tmpl:32:42: unknown variable '"'"'prompt.candidates_count'"'"'" -t "$top/pipelines/templates/hybrid.tmpl" ok.jsonl &&
	rft-prompt -t "$top/pipelines/templates/hybrid.tmpl" --candidates "$cands" ok.jsonl | cmp - h.jsonl
'
test_expect_success 'hybrid RFT files: the exported grader and --lint work unchanged' '
	rft-grade --export-openai grader.json --dataset h.jsonl < /dev/null &&
	test "$(jq -r .type grader.json)" = python &&
	cp h.jsonl hybrid-valid.jsonl &&
	rft-prompt --lint --grader grader.json hybrid-valid.jsonl 2> err &&
	grep -v "^--[0-9]*-- " err > err.own; ! test -s err.own &&
	rft-prompt --schema > schema.json && rft-prompt --candidates "$cands" --schema | cmp - schema.json
'
test_expect_success 'batch requests: the same messages, the candidates in the --references lines' '
	rft-prompt --candidates "$cands" -f batch -m m1 --references refs.jsonl ok.jsonl > batch.jsonl &&
	rft-prompt --lint batch.jsonl &&
	jq -c .body.messages batch.jsonl > bm && jq -c .messages h.jsonl > hm && test_cmp hm bm &&
	jq -c .candidates refs.jsonl > rc && jq -c .candidates h.jsonl > hc && test_cmp hc rc
'

# through the fake server: each answer is a known function of the prompt
. "$T/callsrv.sh"
start_server --candidates reverse
test_expect_success 'fake server (reverse): every answer is exactly its prompt'"'"'s candidates reversed, and grades' '
	rft-prompt --candidates "$cands" --shuffle-candidates 3 ok.jsonl > s3 &&
	call s3 > ans.jsonl &&
	jq -c "[.id, (.candidates.genes | reverse)]" s3 > want &&
	jq -c "[.id, .sample.output_json.genes]" ans.jsonl > got && test_cmp want got &&
	rft-grade ans.jsonl > graded.jsonl &&
	jq -e -s "length == 14 and all(.[]; .grade.errors.sample_parse_error == false)" graded.jsonl > /dev/null
'
test_expect_success 'fake server: rotate per completion index with --n 3, drop and add by marker' '
	call --n 3 s3 > n3.jsonl &&
	test "$(wc -l < n3.jsonl)" = 42 &&
	python3 - s3 n3.jsonl <<-\PY
	import json, sys
	want = {json.loads(l)["id"]: json.loads(l)["candidates"]["genes"] for l in open(sys.argv[1])}
	seen = 0
	for l in open(sys.argv[2]):
	    s = json.loads(l)
	    g, i = want[s["id"]], s["sample"]["index"]
	    assert s["sample"]["output_json"]["genes"] == list(reversed(g)), s["id"]
	    seen += 1
	assert seen == 42
	PY
	stop_server && start_server --candidates rotate &&
	call --n 3 s3 > rot.jsonl &&
	python3 - s3 rot.jsonl <<-\PY
	import json, sys
	want = {json.loads(l)["id"]: json.loads(l)["candidates"]["genes"] for l in open(sys.argv[1])}
	idx = set()
	for l in open(sys.argv[2]):
	    s = json.loads(l)
	    g, i = want[s["id"]], s["sample"]["index"]
	    idx.add(i)
	    assert s["sample"]["output_json"]["genes"] == g[i % len(g):] + g[:i % len(g)], (s["id"], i)
	assert idx == {0, 1, 2}
	PY
	prompt x "1. AAA (HGNC:1), score 2\n2. BBB, score 1\n3. CCC [[cand:drop2+addZZZ]]" > mk.jsonl &&
	call mk.jsonl | jq -c .sample.output_json.genes > got && echo "[\"ZZZ\",\"AAA\",\"CCC\"]" > want && test_cmp want got
'
