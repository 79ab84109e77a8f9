# The Batch API round trip: rft-prompt --format batch (with --references),
# the batch's output and error files, rft-call --batch-in --join, rft-grade,
# rft-report: every answer keeps its case's reference, failed lines keep
# their model, and a batch file with no way to find references is refused.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"

test_expect_success 'rft-prompt -f batch: --max-completion-tokens and --reasoning-effort in each body; --references' '
	rft-prompt -f batch -m o4-mini --seed 7 --max-completion-tokens 4000 --reasoning-effort low \
		--references refs.jsonl "$cases" > batch.jsonl &&
	test "$(wc -l < batch.jsonl)" = 16 && test "$(wc -l < refs.jsonl)" = 16 &&
	test "$(jq -c "[.body.max_completion_tokens, .body.reasoning_effort, .body.model, (.body | keys_unsorted[-2:])]" batch.jsonl | sort -u)" = \
		"[4000,\"low\",\"o4-mini\",[\"max_completion_tokens\",\"reasoning_effort\"]]" &&
	test "$(jq -c "[.custom_id == .id, (.reference.genes[0].names | length > 1)]" refs.jsonl | sort -u)" = "[true,true]" &&
	test "$(jq -r .custom_id batch.jsonl)" = "$(jq -r .custom_id refs.jsonl)" &&
	sed -n 1p refs.jsonl | jq -e ".split == \"valid\" and .reference.gene == \"BRD4\" and (.reference.genes[0].names | index(\"HGNC:13575\"))" &&
	rft-prompt -f batch -m o4-mini --seed 7 "$cases" > plain.jsonl &&
	jq -c "del(.body.max_completion_tokens, .body.reasoning_effort)" batch.jsonl | cmp - plain.jsonl &&
	rft-prompt --lint batch.jsonl &&
	test_must_fail 64 rft-prompt -f rft --references r.jsonl "$cases" 2> err && grep_err "--references is only used with --format batch" err &&
	test_must_fail 64 rft-prompt -f batch -m m --reasoning-effort extreme "$cases" 2> err && grep_err "unknown --reasoning-effort" err &&
	test_must_fail 64 rft-prompt -f batch -m m --max-completion-tokens 0 "$cases" 2> err
'
# the batch output: answers for the first 12 (the reference gene for odd
# lines, another gene for even ones), a 400 for line 13 in the error file,
# nothing for 14-16; the answers name the dated model, as the API does
test_expect_success 'rft-call --batch-in --join: every answer carries its reference and is graded' '
	jq -c -s "to_entries[] | select(.key < 12) | {id: (\"batch_req_\" + (.key|tostring)), custom_id: .value.custom_id,
		response: {status_code: 200, body: {model: \"o4-mini-2025-04-16\", choices: [{index: 0, finish_reason: \"stop\",
		message: {role: \"assistant\", content: ({genes: [(if .key % 2 == 0 then .value.reference.gene else \"ZZZ_NOT_IT\" end)], explanation: \"x\"} | tojson)}}],
		usage: {prompt_tokens: 10, completion_tokens: 5, total_tokens: 15}}}, error: null}" refs.jsonl > out.jsonl &&
	sed -n 13p refs.jsonl | jq -c "{id: \"batch_req_13\", custom_id, response: {status_code: 400, body: {error: {message: \"bad\", type: \"invalid_request_error\"}}}, error: null}" > errors.jsonl &&
	test_must_fail 75 rft-call --batch-in out.jsonl --batch-errors errors.jsonl --join refs.jsonl batch.jsonl > samples.jsonl 2> err &&
	test "$(wc -l < samples.jsonl)" = 16 &&
	test "$(jq -r "select(.reference | not) | .custom_id" samples.jsonl)" = "" &&
	test "$(jq -c "[.id == .custom_id, .split == null or (.split | type) == \"string\"]" samples.jsonl | sort -u)" = "[true,true]" &&
	rft-grade samples.jsonl > graded.jsonl &&
	test "$(jq -r "[.grade.reward] | @tsv" graded.jsonl | head -12 | tr "\n" " ")" = "1 0 1 0 1 0 1 0 1 0 1 0 " &&
	test "$(jq -r ".error.type // empty" samples.jsonl | tr "\n" " ")" = "invalid_request_error missing_from_batch missing_from_batch missing_from_batch "
'
test_expect_success 'failed batch lines carry the model, so rft-report keeps one run' '
	test "$(jq -r ".sample.model // .error.model" samples.jsonl | sort -u)" = o4-mini-2025-04-16 &&
	rft-report --by model graded.jsonl > report.txt &&
	grep -q "o4-mini-2025-04-16" report.txt && ! grep -q "(unknown)" report.txt &&
	jq -c "select(.custom_id != \"PMID_35470444_P4\")" out.jsonl | jq -c ".response.body |= del(.model)" > out-nomodel.jsonl &&
	test_must_fail 75 rft-call --batch-in out-nomodel.jsonl --join refs.jsonl batch.jsonl > s2.jsonl 2> /dev/null &&
	test "$(jq -r ".sample.model // .error.model" s2.jsonl | sort -u)" = o4-mini
'
test_expect_success 'a batch request file with no way to find references is refused (65), never graded 0' '
	test_must_fail 65 rft-call --batch-in out.jsonl batch.jsonl > s3.jsonl 2> err &&
	grep_err "batch.jsonl:1: custom_id '"'"'PMID_35470444_P4'"'"' is a Batch API request with no reference: give --join FILE" err &&
	sed 2d refs.jsonl > refs-short.jsonl &&
	test_must_fail 65 rft-call --batch-in out.jsonl --join refs-short.jsonl batch.jsonl > s4.jsonl 2> err &&
	grep_err "batch.jsonl:2: custom_id '"'"'PMID_20961246_fetus_1'"'"' has no reference: it is not in --join refs-short.jsonl" err &&
	{ cat refs.jsonl; sed -n 1p refs.jsonl; } > refs-dup.jsonl &&
	test_must_fail 65 rft-call --batch-in out.jsonl --join refs-dup.jsonl batch.jsonl > /dev/null 2> err &&
	grep_err "refs-dup.jsonl:17: id '"'"'PMID_35470444_P4'"'"' again" err &&
	test_must_fail 64 rft-call --join refs.jsonl batch.jsonl 2> err && grep_err "--join needs --batch-in FILE" err
'
test_expect_success 'rft-prompt --format rft lines need no --join (their reference is on the line)' '
	rft-prompt --seed 7 "$cases" > rft.jsonl &&
	test_must_fail 75 rft-call --batch-in out.jsonl rft.jsonl > s5.jsonl 2> /dev/null &&
	rft-grade s5.jsonl | jq -r .grade.reward | head -4 | tr "\n" " " > r5 && test "$(cat r5)" = "1 0 1 0 "
'
