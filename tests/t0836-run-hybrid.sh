# pipelines/hybrid.yaml end to end on the bundled sample: rft-rank ->
# hybrid prompts -> rft-call --n 3 against the fake server, whose answers are
# a known function of each prompt's candidates -> rft-fuse (model alone,
# ranker + model) -> grade -> one paired report.  The fused rankings are
# checked against the independent python reference of the fusion rules
# (tests/fuse-ref.py, t0650's); and with no endpoint the pipeline says so and stops (69)
# after the ranker arm.
. "$T/lib.sh"

P="$top/pipelines/hybrid.yaml"
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	# rft-rank on the real ontology takes minutes under valgrind; t0330 runs
	# rft-prompt --candidates and the fake server there
	test_skip 'hybrid.yaml end to end' 'slow under valgrind'
	exit 0
fi
unset OPENAI_API_KEY OPENAI_BASE_URL

test_expect_success 'no endpoint: the ranker arm runs, then it says so on stderr and stops with 69' '
	test_must_fail 69 rft-run --set dir=none "$P" > out 2> err &&
	! test -s out &&
	grep_err "no model endpoint is set (neither --set base_url=URL, OPENAI_BASE_URL nor OPENAI_API_KEY)" err &&
	grep_err "the model and hybrid arms were NOT run" err &&
	test -s none/graded-ranker.jsonl && grep -q "^| none/graded-ranker.jsonl |" none/report-ranker.txt &&
	! test -e none/samples-calls.jsonl && ! test -e none/report.txt && ! test -e none/endpoint.json &&
	test "$(jq -r "select(.stage == \"endpoint\") | [.status, .exit] | @tsv" none/logs/run.jsonl)" = "$(printf "failed\t69")" &&
	test_must_fail 69 rft-run --set dir=none "$P" 2> err2 && grep_err "NOT run" err2 &&
	test "$(jq -r .stage none/logs/run.jsonl | grep -c "^rank$")" = 1
'

. "$T/callsrv.sh"
start_server --candidates reverse+drop2+rotate

test_expect_success 'against the fake server: silent, every stage runs, the endpoint recorded without a key' '
	rft-run --set dir=h --set base_url="$(url)" --set model=fake --set model_weight=2 "$P" > out 2>&1 &&
	! test -s out &&
	for f in samples-ranker prompts-hybrid samples-calls samples-model samples-hybrid graded-ranker graded-model graded-hybrid; do
		test -s h/$f.jsonl || { echo "no h/$f.jsonl" >&2; exit 1; }
	done &&
	jq -e ".model == \"fake\" and .n == 3 and .key == \"none\" and (.base_url | startswith(\"http://127.0.0.1:\"))" h/endpoint.json > /dev/null &&
	test "$(wc -l < h/valid.jsonl)" = "$(wc -l < srv.log)" &&
	test "$(wc -l < h/samples-calls.jsonl)" = "$(( 3 * $(wc -l < h/valid.jsonl) ))"
'
test_expect_success 'the hybrid prompts carry the ranker'"'"'s top 10, shuffled by seed 7, and lint clean' '
	rft-prompt --candidates h/samples-ranker.jsonl --shuffle-candidates 7 h/valid.jsonl | cmp - h/prompts-hybrid.jsonl &&
	jq -e -s "all(.[]; .candidates.depth == 10 and .candidates.shuffle_seed == 7 and (.candidates.genes | length) == 10)" h/prompts-hybrid.jsonl > /dev/null &&
	grep -q "^lint clean:" h/lint.txt
'
test_expect_success 'every answer is its prompt'"'"'s candidates reversed, the 2nd dropped, rotated by its index' '
	python3 - h/prompts-hybrid.jsonl h/samples-calls.jsonl <<-\PY
	import json, sys
	want = {}
	for l in open(sys.argv[1]):
	    p = json.loads(l)
	    g = list(reversed(p["candidates"]["genes"]))
	    del g[1]
	    want[p["id"]] = g
	n = 0
	for l in open(sys.argv[2]):
	    s = json.loads(l)
	    g, i = want[s["id"]], s["sample"]["index"]
	    assert s["sample"]["output_json"]["genes"] == g[i % len(g):] + g[:i % len(g)], (s["id"], i)
	    n += 1
	assert n == 3 * len(want)
	PY
'
test_expect_success 'the three arms: the ranker as rft-rank ranks, the fused lists as the reference rrf fuses' '
	rft-rank h/valid.jsonl | jq -c "[.id, .sample.output_json.genes]" > want-ranker &&
	jq -c "[.id, .sample.output_json.genes]" h/samples-ranker.jsonl > got-ranker && test_cmp want-ranker got-ranker &&
	python3 "$T/fuse-ref.py" fuse --rule rrf --k 60 model=h/samples-calls.jsonl | jq -c "[.id, .genes]" > want-model &&
	jq -c "[.id, .sample.output_json.genes]" h/samples-model.jsonl > got-model && test_cmp want-model got-model &&
	python3 "$T/fuse-ref.py" fuse --rule rrf --k 60 --weight model=2 model=h/samples-calls.jsonl ranker=h/samples-ranker.jsonl |
		jq -c "[.id, .genes]" > want-hybrid &&
	jq -c "[.id, .sample.output_json.genes]" h/samples-hybrid.jsonl > got-hybrid && test_cmp want-hybrid got-hybrid &&
	! cmp -s want-model want-hybrid && ! cmp -s want-ranker want-hybrid
'
test_expect_success 'one paired report of the three, the ranker the baseline' '
	grep -q "^| h/graded-ranker.jsonl |" h/report.txt && grep -q "^| h/graded-model.jsonl  *|" h/report.txt &&
	grep -q "^| h/graded-hybrid.jsonl |" h/report.txt &&
	grep -q "^| h/graded-ranker.jsonl | h/graded-model.jsonl  |" h/report.txt &&
	grep -q "^| h/graded-ranker.jsonl | h/graded-hybrid.jsonl |" h/report.txt &&
	grep -q "McNemar" h/report.txt && grep -q "<svg" h/report.html &&
	jq -e "(.groups | length) == 3 and (.comparisons | length) == 2" h/report.json > /dev/null &&
	jq -e "(.comparisons | length) == 1" h/report-hybrid-vs-model.json > /dev/null
'
test_expect_success 'a second run runs nothing; another rule reruns only the fusion and what follows (calls cached)' '
	n0=$(wc -l < h/logs/run.jsonl) && req0=$(wc -l < srv.log) &&
	rft-run --set dir=h --set base_url="$(url)" --set model=fake --set model_weight=2 "$P" &&
	test "$(wc -l < h/logs/run.jsonl)" = "$n0" &&
	rft-run --set dir=h --set base_url="$(url)" --set model=fake --set model_weight=2 --set rule=borda "$P" &&
	test "$(wc -l < srv.log)" = "$req0" &&
	test "$(tail -n +$((n0 + 1)) h/logs/run.jsonl | jq -r .stage | tr "\n" " ")" = "fuse-model fuse-hybrid grade-model grade-hybrid report report-json " &&
	python3 "$T/fuse-ref.py" fuse --rule borda --weight model=2 model=h/samples-calls.jsonl ranker=h/samples-ranker.jsonl |
		jq -c "[.id, .genes]" > want-borda &&
	jq -c "[.id, .sample.output_json.genes]" h/samples-hybrid.jsonl > got-borda && test_cmp want-borda got-borda
'
