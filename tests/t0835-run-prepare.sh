# rft-prepare.yaml cannot mix datasets (the second step without --set dump
# stops instead of rebuilding from the bundled sample), every RFT job
# setting reaches job.json in the documented shape (testdata/openai/
# job-check.jq), and evaluate.yaml asks the model as the job samples it:
# the same prompts, the same strict response_format, baseline listed first.
. "$T/lib.sh"

P="$top/pipelines"
sample="$top/testdata/phenopacket-store/all_phenopackets-sample.zip"
check="$TD/openai/job-check.jq"

if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'rft-prepare.yaml and evaluate.yaml on the sample' 'slow under valgrind'
	exit 0
fi

# another dataset: the sample unpacked, without its first 40 cases
mkdir other && (cd other && unzip -q "$sample") &&
find other -name "*.json" | LC_ALL=C sort | head -40 | xargs rm -f

test_expect_success 'job-check.jq: silent on a documented body, one line per problem otherwise' '
	cat > good.json <<-\EOF &&
	{"model":"o4-mini-2025-04-16","training_file":"file-a","validation_file":"file-b","suffix":"s","seed":1,
	 "metadata":{"k":"v"},"method":{"type":"reinforcement","reinforcement":{"grader":{"type":"python","name":"g","source":"x"},
	 "response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}},
	 "hyperparameters":{"n_epochs":"auto","batch_size":2,"learning_rate_multiplier":0.5,"compute_multiplier":"auto",
	 "eval_interval":1,"eval_samples":"auto","reasoning_effort":"low"}}}}
	EOF
	test -z "$(jq -r -f "$check" good.json)" &&
	jq ".hyperparams = 1 | .training_file = \"train.jsonl\" | .metadata.k = 3 |
	    .method.reinforcement.hyperparameters.n_epochs = 0 | .method.reinforcement.hyperparameters.lr = 1" good.json |
		jq -r -f "$check" > problems &&
	test "$(wc -l < problems)" = 5 &&
	grep -q "^unknown key .hyperparams." problems && grep -q "^training_file must be an uploaded file id" problems &&
	grep -q "^metadata value of .k. must be a string" problems &&
	grep -q "^hyperparameters.n_epochs must be \"auto\" or a whole number above 0, not 0" problems &&
	grep -q "unknown key .lr." problems
'
test_expect_success 'first run: files from the dump given; job.json in the documented shape; first-run.json remembers' '
	rft-run --set dir=prep --set dump=other "$P/rft-prepare.yaml" &&
	test -z "$(jq -r -f "$check" prep/job.json)" &&
	jq -e ".sha256 and .seed == \"7\" and (.dump | endswith(\"/other\"))" prep/first-run.json > /dev/null &&
	cmp prep/settings.json prep/first-run.json &&
	rft-extract other 2> /dev/null | cmp - prep/cases.jsonl
'
test_expect_success 'the second step without --set dump stops, naming both datasets, and changes no file' '
	for f in prep/*.jsonl prep/job.json; do sha256sum "$f"; done > before &&
	test_must_fail 1 rft-run --set dir=prep --set train_file=file-abc --set valid_file=file-def "$P/rft-prepare.yaml" 2> err &&
	grep_err "stage '"'"'settings'"'"' failed" err &&
	grep_err "rft-prepare: prep was prepared from $PWD/other (sha256" err &&
	grep_err "but this run names $top/testdata/phenopacket-store/all_phenopackets-sample.zip (sha256" err &&
	for f in prep/*.jsonl prep/job.json; do sha256sum "$f"; done > after && test_cmp before after &&
	test "$(jq -r .training_file prep/job.json)" = file-TRAIN &&
	test_must_fail 1 rft-run --set dir=prep --set dump=other --set seed=8 "$P/rft-prepare.yaml" 2> err &&
	grep_err "seed 7), but this run names $PWD/other (sha256" err && grep_err "seed 8)" err &&
	test_must_fail 66 rft-run --set dir=prep --set dump=nonesuch.zip "$P/rft-prepare.yaml" 2> err &&
	grep_err "nonesuch.zip" err &&
	for f in prep/*.jsonl prep/job.json; do sha256sum "$f"; done > after && test_cmp before after
'
test_expect_success 'the second step with the first dump: only the job body is rebuilt' '
	n=$(wc -l < prep/logs/run.jsonl) &&
	rft-run --set dir=prep --set dump=other --set train_file=file-abc --set valid_file=file-def "$P/rft-prepare.yaml" &&
	jq -e ".training_file == \"file-abc\" and .validation_file == \"file-def\"" prep/job.json > /dev/null &&
	test "$(tail -n +$((n + 1)) prep/logs/run.jsonl | jq -r .stage | tr "\n" " ")" = "settings job " &&
	test -z "$(jq -r -f "$check" prep/job.json)"
'
test_expect_success 'every hyperparameter of the RFT job API, metadata, seed and suffix can be set' '
	rft-run --set dir=prep --set dump=other --set train_file=file-abc --set valid_file=file-def \
		--set learning_rate_multiplier=0.5 --set n_epochs=2 --set batch_size=8 --set eval_interval=5 \
		--set eval_samples=3 --set compute_multiplier=1.5 --set reasoning_effort=high \
		--set metadata="{\"project\":\"rftkit\",\"data\":\"other\"}" --set job_seed=42 --set suffix=genes-v2 \
		"$P/rft-prepare.yaml" &&
	test -z "$(jq -r -f "$check" prep/job.json)" &&
	test "$(jq -c ".method.reinforcement.hyperparameters" prep/job.json)" = \
		"{\"reasoning_effort\":\"high\",\"learning_rate_multiplier\":0.5,\"n_epochs\":2,\"batch_size\":8,\"eval_interval\":5,\"eval_samples\":3,\"compute_multiplier\":1.5}" &&
	jq -e ".metadata == {project: \"rftkit\", data: \"other\"} and .seed == 42 and .suffix == \"genes-v2\"" prep/job.json > /dev/null &&
	test_must_fail 5 rft-run --set dir=prep --set dump=other --set metadata="[1]" "$P/rft-prepare.yaml" 2> err &&
	grep_err "metadata must be a JSON object, not array" err &&
	rft-run --set dir=prep --set dump=other --set reasoning_effort=max "$P/rft-prepare.yaml" &&
	jq -r -f "$check" prep/job.json | grep -q "reasoning_effort must be default, low, medium or high"
'
# a stand-in for rft-call that keeps what it was given and answers the reference gene
mkdir -p stub
cat > stub/rft-call <<'EOF'
#!/bin/sh
out=- in=- model= rf=
while [ $# -gt 0 ]; do
	case $1 in
	--version) echo "rft-call (stub) 0"; exit 0 ;;
	-o) out=$2; shift 2 ;;
	--model) model=$2; shift 2 ;;
	--response-format) rf=$2; shift 2 ;;
	--base-url|--concurrency|--cache|--max-completion-tokens) shift 2 ;;
	-*) echo "stub rft-call: unknown option $1" >&2; exit 64 ;;
	*) in=$1; shift ;;
	esac
done
cp "$in" called-prompts.jsonl && cp "$rf" called-response-format.json || exit 66
[ "$out" = - ] && out=/dev/stdout
jq -c --arg m "$model" '. + {sample: {model: $m, output_text: "",
	output_json: {genes: [.reference.gene], explanation: ""}, finish_reason: "stop"}}' "$in" > "$out"
EOF
chmod +x stub/rft-call

test_expect_success 'evaluate.yaml asks with the prompts and response_format of rft-prepare.yaml' '
	rft-run --set dir=prep7 "$P/rft-prepare.yaml" &&
	PATH="$PWD/stub:$PATH" rft-run --set dir=eval --set model=oracle "$P/evaluate.yaml" &&
	cmp called-prompts.jsonl prep7/prompts-valid.jsonl &&
	cmp called-response-format.json prep7/schema.json &&
	jq -e ".json_schema.strict == true" called-response-format.json > /dev/null &&
	PATH="$PWD/stub:$PATH" rft-run --set dir=eval9 --set model=oracle --set seed=9 "$P/evaluate.yaml" &&
	! cmp -s called-prompts.jsonl prep7/prompts-valid.jsonl
'
test_expect_success 'evaluate.yaml: the baseline comes first, so differences read model minus baseline' '
	grep "^| oracle \|^| rft-rank/disease " eval/report.txt > order &&
	test "$(cut -d"|" -f2 order | tr -d " " | head -2 | tr "\n" " ")" = "rft-rank/disease oracle " &&
	rft-report --by model eval/graded-rank.jsonl eval/graded-model.jsonl > by-hand.txt &&
	test_cmp by-hand.txt eval/report.txt
'
