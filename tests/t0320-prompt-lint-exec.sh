# rft-prompt: reference.genes[].names from HGNC, and --lint --grader running
# the grader on a right and a wrong answer for every line (C graders and the
# python grader rft-grade --export-openai writes); Batch API request files.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"
rft-prompt "$cases" > train.jsonl

cat > rank.json <<'EOG'
{"type":"gene_rank","name":"rank","input":"{{sample.output_json.genes}}","reference":"{{item.reference.genes}}"}
EOG
cat > wrong-ref.json <<'EOG'
{"type":"string_check","name":"by_id","operation":"eq","input":"{{sample.output_json.genes.0}}","reference":"{{item.reference.hgnc}}"}
EOG
cat > credits-all.json <<'EOG'
{"type":"string_check","name":"not_id","operation":"ne","input":"{{sample.output_json.genes.0}}","reference":"{{item.reference.hgnc}}"}
EOG

test_expect_success 'reference.genes[].names: symbol, HGNC id, approved symbol, previous symbols and aliases of that gene alone' '
	test "$(jq -c "select(.id == \"PMID_30968594_individual_29\") | .reference.genes[0].names" train.jsonl)" = \
		"[\"CYP21A2\",\"HGNC:2600\",\"CYP21\",\"CYP21B\",\"P450C21B\",\"CA21H\",\"CAH1\"]" &&
	test "$(jq -c "select(.id == \"PMID_35470444_P4\") | .reference.genes[0].names" train.jsonl)" = \
		"[\"BRD4\",\"HGNC:13575\",\"HUNKI\",\"MCAP\",\"HUNK1\",\"FSHRG4\"]" &&
	test "$(jq -c "select(.id == \"handmade_null_label_gestational_days\") | .reference.genes[0].names[0:3]" train.jsonl)" = \
		"[\"HGNC:3603\",\"FBN1\",\"FBN\"]"
'
# CPS1 (an alias of CYP21A2) is another gene's approved symbol; CAP (an alias
# of BRD4) is also an alias of CAP1, SORBS1 and others: both are left out
test_expect_success 'a name that also names another gene is left out' '
	! jq -r ".reference.genes[].names[]" train.jsonl | grep -qx "CPS1" &&
	! jq -r ".reference.genes[].names[]" train.jsonl | grep -qx "CAP"
'
test_expect_success '--no-hgnc: only symbol and id, and it is said on stderr' '
	rft-prompt --no-hgnc "$cases" 2> err > nohgnc.jsonl &&
	grep_err "--no-hgnc: reference.genes[].names hold only each gene'"'"'s symbol and HGNC id" err &&
	test "$(jq -s -c "[.[].reference.genes[].names | length] | max" nohgnc.jsonl)" = 2 &&
	test "$(jq -c "walk(if type == \"object\" then del(.names) else . end)" nohgnc.jsonl)" = \
		"$(jq -c "walk(if type == \"object\" then del(.names) else . end)" train.jsonl)" &&
	test_must_fail 64 rft-prompt --no-hgnc --hgnc x.txt "$cases" 2> err
'
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'no HGNC data found: refused (66), naming where it looked' 'the copied program is valgrind'"'"'s wrapper, which runs the real one in place'
else
test_expect_success 'no HGNC data found: refused (66), naming where it looked' '
	mkdir -p a/b/c/d && cp "$(command -v rft-prompt)" a/b/c/d/rft-prompt &&
	test_must_fail 66 env -u RFT_HGNC a/b/c/d/rft-prompt "$cases" > /dev/null 2> err &&
	grep_err "no HGNC data found for reference.genes[].names: give --hgnc FILE, set RFT_HGNC or RFT_DATADIR, or give --no-hgnc" err &&
	grep_err "  \$RFT_HGNC: not set" err && grep_err "/a/b/c/share/rftkit/hgnc: No such file or directory" err &&
	env -u RFT_HGNC a/b/c/d/rft-prompt --no-hgnc "$cases" 2> /dev/null | cmp - nohgnc.jsonl &&
	RFT_HGNC="$TD/hgnc" a/b/c/d/rft-prompt "$cases" | cmp - train.jsonl &&
	a/b/c/d/rft-prompt --hgnc "$TD/hgnc/hgnc_complete_set-2024-10.txt.gz" "$cases" | cmp - train.jsonl &&
	test_must_fail 66 rft-prompt --hgnc nope.txt "$cases" 2> err && grep_err "nope.txt" err
'
fi
test_expect_success '--lint --grader runs a C grader: right answers 1, wrong 0, silently' '
	rft-prompt --lint --grader rank.json train.jsonl 2> err && ! test -s err &&
	test_must_fail 65 rft-prompt --lint --grader "$TD/prompt/grader-top1.json" --role valid - < train.jsonl 2> err &&
	grep_err "<stdin>:15: id \"handmade_null_label_gestational_days\": the grader gives the right answer [\"FBN1\",\"ZZZ_NOT_A_GENE\"] a reward of 0, not 1" err
'
test_expect_success '--lint --grader runs the python grader rft-grade --export-openai writes' '
	rft-grade --export-openai py.json --dataset train.jsonl < /dev/null &&
	test "$(jq -r .type py.json)" = python &&
	rft-prompt --lint --grader py.json train.jsonl 2> err &&
	grep -v "^--[0-9]*-- " err > err.own; ! test -s err.own   # (valgrind warns of syscalls it lacks)
'
test_expect_success 'a grader that misses right answers fails lint (65) with the count and the first lines' '
	test_must_fail 65 rft-prompt --lint --grader wrong-ref.json train.jsonl 2> err &&
	grep_err "train.jsonl:1: id \"PMID_35470444_P4\": the grader gives the right answer [\"BRD4\",\"ZZZ_NOT_A_GENE\"] a reward of 0, not 1" err &&
	test "$(grep -c "gives the right answer" err)" = 5 &&
	grep_err "lint: the grader gave 16 of 16 right answers a reward below 1 (the first 5 named above)" err &&
	grep_err "lint: 16 problems in 16 lines of 1 file" err
'
test_expect_success 'a grader that credits wrong answers fails lint (65), a real gene of another line as the wrong answer' '
	test_must_fail 65 rft-prompt --lint --grader credits-all.json train.jsonl 2> err &&
	grep_err "train.jsonl:1: id \"PMID_35470444_P4\": the grader gives the wrong answer [\"ZZZ_WRONG_GENE\"] a reward of 1, not 0" err &&
	grep_err "train.jsonl:2: id \"PMID_20961246_fetus_1\": the grader gives the wrong answer [\"BRD4\"] a reward of 1, not 0" err &&
	grep_err "lint: the grader gave 16 of 16 wrong answers a reward above 0" err
'
test_expect_success 'a grader that cannot be run is refused (78) unless --refs-only' '
	test_must_fail 78 rft-prompt --lint --grader "$TD/prompt/grader-multi.json" train.jsonl 2> err &&
	grep_err "score_model graders call a model" err && grep_err "--refs-only checks only its {{item.*}} references" err &&
	test_must_fail 65 rft-prompt --lint --refs-only --grader "$TD/prompt/grader-multi.json" train.jsonl 2> err &&
	! grep -q "gives the" err && grep_err "train.jsonl:8: {{item.split}} in the grader does not resolve" err &&
	test_must_fail 64 rft-prompt --lint --refs-only train.jsonl 2> err
'
test_expect_success 'Batch API request files: POST, /v1/chat/completions, body.model, messages, unique custom_id' '
	rft-prompt -f batch -m o4-mini --references r.jsonl "$cases" > requests.jsonl &&
	rft-prompt --lint requests.jsonl 2> err && ! test -s err &&
	{ sed -n 1p requests.jsonl | jq -c ".method = \"GET\" | .url = \"/v1/embeddings\"";
	  sed -n 2p requests.jsonl | jq -c "del(.body.model)";
	  sed -n 3p requests.jsonl | jq -c ".body.messages = []";
	  sed -n 2p requests.jsonl; sed -n 4p requests.jsonl | jq -c ".custom_id = 7"; } > bad-requests.jsonl &&
	test_must_fail 65 rft-prompt --lint bad-requests.jsonl 2> err &&
	grep_err "bad-requests.jsonl:1: method is '"'"'GET'"'"', not \"POST\"" err &&
	grep_err "bad-requests.jsonl:1: url is '"'"'/v1/embeddings'"'"', not \"/v1/chat/completions\"" err &&
	grep_err "bad-requests.jsonl:2: body.model is missing" err &&
	grep_err "bad-requests.jsonl:3: messages is empty" err &&
	grep_err "bad-requests.jsonl:4: custom_id '"'"'PMID_20961246_fetus_1'"'"' repeats bad-requests.jsonl:2" err &&
	grep_err "bad-requests.jsonl:5: custom_id is a number, not a non-empty string" err &&
	grep_err "lint: 6 problems in 5 lines of 1 file" err &&
	{ cat train.jsonl; sed -n 1p requests.jsonl; } > train-mixed.jsonl &&
	test_must_fail 65 rft-prompt --lint train-mixed.jsonl 2> err &&
	grep_err "train-mixed.jsonl: mixes 16 RFT lines and 1 Batch API requests: one kind per file" err
'
test_expect_success 'Batch API request files: at most 50,000 requests' '
	sed -n 1p requests.jsonl > one.jsonl &&
	awk "{ for (i = 1; i <= 50001; i++) { l = \$0; sub(/\"custom_id\":\"[^\"]*\"/, \"\\\"custom_id\\\":\\\"c\" i \"\\\"\", l); print l } }" one.jsonl > many.jsonl &&
	test_must_fail 65 rft-prompt --lint many.jsonl 2> err &&
	grep_err "many.jsonl:50001: more than 50000 requests (the Batch API limit per file)" err &&
	grep_err "lint: 1 problem in 50001 lines" err &&
	head -50000 many.jsonl | rft-prompt --lint
'
