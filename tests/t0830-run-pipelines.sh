# The pipelines shipped in pipelines/, run for real on the bundled sample:
# demo.yaml (the README's main command), rft-prepare.yaml, and evaluate.yaml
# and nightly.yaml with a stand-in for rft-call (no network, no key).
. "$T/lib.sh"

P="$top/pipelines"
mkdir -p stub
cat > stub/rft-call <<'EOF'
#!/bin/sh
# stand-in for rft-call: model "oracle" answers the reference gene, "mute" nothing
out=- in=- model=
while [ $# -gt 0 ]; do
	case $1 in
	--version) echo "rft-call (stub) 0"; exit 0 ;;
	-o) out=$2; shift 2 ;;
	--model) model=$2; shift 2 ;;
	--base-url|--concurrency|--cache|--max-completion-tokens|--response-format) shift 2 ;;
	-*) echo "stub rft-call: unknown option $1" >&2; exit 64 ;;
	*) in=$1; shift ;;
	esac
done
[ "$out" = - ] && out=/dev/stdout
jq -c --arg m "$model" '. + {sample: {model: $m, output_text: "",
	output_json: {genes: (if $m == "mute" then [] else [.reference.gene] end), explanation: ""},
	finish_reason: "stop"}}' "$in" > "$out"
EOF
chmod +x stub/rft-call

test_expect_success 'every shipped pipeline loads and dry-runs' '
	for p in "$P"/*.yaml; do
		rft-run -n --set dir=dry "$p" > dry.sh || { echo "$p" >&2; exit 1; }
		grep -q "^# extract$" dry.sh || exit 1
	done
'
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	# rft-rank alone takes half a minute under valgrind; the small pipelines
	# of t0800-t0820 exercise rft-run itself there
	test_skip 'demo.yaml on the sample, end to end' 'slow under valgrind'
	exit 0
fi

test_expect_success 'demo.yaml runs the sample end to end, silently, and prints the report' '
	rft-run --set dir=demo "$P/demo.yaml" > out 2>&1 && ! test -s out &&
	for f in cases rejects train valid unused prompts-train prompts-valid samples graded; do
		test -s demo/$f.jsonl || { echo "no demo/$f.jsonl" >&2; exit 1; }
	done &&
	grep -q "^rftkit demo: all_phenopackets-sample.zip -> demo/" demo/summary.txt &&
	grep -q "289 cases written" demo/summary.txt &&
	grep -q "no gene is in two splits" demo/summary.txt &&
	grep -q "^| rft-rank/disease | valid |" demo/summary.txt &&
	grep -q "<svg" demo/report.html &&
	test $(wc -l < demo/logs/run.jsonl) -eq 10
'
test_expect_success 'demo.yaml: its files are what the filters give by hand; a second run runs nothing' '
	rft-split --check demo/train.jsonl demo/valid.jsonl &&
	rft-rank demo/valid.jsonl | rft-grade | jq -c "[.id, .grade.rank, .grade.reward]" > by-hand &&
	jq -c "[.id, .grade.rank, .grade.reward]" demo/graded.jsonl > by-run && test_cmp by-hand by-run &&
	rft-run --set dir=demo "$P/demo.yaml" && test $(wc -l < demo/logs/run.jsonl) -eq 10 &&
	rft-run why summary --set dir=demo "$P/demo.yaml" | grep -q "^summary: up to date"
'
test_expect_success 'rft-prepare.yaml: gene-disjoint RFT files, grader, schema, lint and the job body' '
	rft-run --set dir=prep "$P/rft-prepare.yaml" &&
	rft-split --check prep/train.jsonl prep/valid.jsonl &&
	rft-prompt --lint --grader prep/grader.json prep/prompts-train.jsonl prep/prompts-valid.jsonl &&
	jq -e ".method.type == \"reinforcement\" and .model == \"o4-mini-2025-04-16\"
		and .training_file == \"file-TRAIN\" and .method.reinforcement.grader.type == \"python\"
		and .method.reinforcement.response_format.type == \"json_schema\"
		and .method.reinforcement.hyperparameters.reasoning_effort == \"medium\"
		and .seed == 7" prep/job.json > /dev/null &&
	rft-run --set dir=prep --set train_file=file-abc --set n_epochs=2 "$P/rft-prepare.yaml" &&
	jq -e ".training_file == \"file-abc\" and .method.reinforcement.hyperparameters.n_epochs == 2" prep/job.json > /dev/null &&
	test "$(jq -r .stage prep/logs/run.jsonl | tail -1)" = job &&
	test $(jq -r .stage prep/logs/run.jsonl | wc -l) -eq 11
'
test_expect_success 'evaluate.yaml: a model through rft-call against rft-rank, one report comparing both' '
	PATH="$PWD/stub:$PATH" rft-run --set dir=eval --set model=oracle "$P/evaluate.yaml" &&
	grep -q "^| oracle " eval/report.txt && grep -q "^| rft-rank/disease " eval/report.txt &&
	test "$(jq -r ".sample.model" eval/samples-model.jsonl | sort -u)" = oracle &&
	jq -e ".stages.call.tools[\"rft-call\"] == \"rft-call (stub) 0\"" eval/evaluate.lock > /dev/null
'
# the real rft-call against the fake OpenAI server (GENE1, GENE2 for every case)
if command -v python3 > /dev/null 2>&1; then
	test_expect_success 'evaluate.yaml with the real rft-call and the fake server: every case sampled, graded, reported' '
		python3 "$T/fake-openai.py" --port-file srv.port --log srv.log & spid=$! &&
		i=0 && while [ ! -s srv.port ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done &&
		OPENAI_API_KEY=sk-test-not-a-key rft-run --set dir=real --set model=fake \
			--set base_url="http://127.0.0.1:$(cat srv.port)/v1" "$P/evaluate.yaml"; st=$?
		kill $spid; wait $spid 2> /dev/null
		test $st = 0 &&
		test "$(wc -l < real/samples-model.jsonl)" = "$(wc -l < real/valid.jsonl)" &&
		test "$(jq -r ".sample.model" real/samples-model.jsonl | sort -u)" = fake &&
		grep -q "^| fake " real/report.txt && grep -q "^| rft-rank/disease " real/report.txt &&
		test "$(wc -l < srv.log)" -ge "$(wc -l < real/valid.jsonl)"
	'
fi
test_expect_success 'nightly.yaml: history grows only when something changed; a regression fails the run' '
	PATH="$PWD/stub:$PATH" && export PATH &&
	rft-run --set dir=night --set model=oracle --set history=night/history.sqlite "$P/nightly.yaml" &&
	test "$(sqlite3 night/history.sqlite "select count(*) from sqlite_master where type = \"table\"")" -ge 1 &&
	sqlite3 night/history.sqlite .dump | grep -c "INSERT" > rows1 &&
	rft-run --set dir=night --set model=oracle --set history=night/history.sqlite "$P/nightly.yaml" &&
	sqlite3 night/history.sqlite .dump | grep -c "INSERT" > rows2 && test_cmp rows1 rows2 &&
	test_must_fail 1 rft-run --set dir=night --set model=mute --set history=night/history.sqlite "$P/nightly.yaml" 2> err &&
	grep_err "stage '"'"'check'"'"' failed (exit 1); log: night/logs/check.log" err &&
	! test -e night/check.txt
'
