# rft-prompt --lint: one test per rule; all problems are listed, exit 65;
# a clean file is silent and exit 0.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"
rft-prompt "$cases" > good.jsonl
line=$(sed -n 5p good.jsonl)

# lint_fails MESSAGE ARGS...: rft-prompt --lint ARGS exits 65 and says MESSAGE
lint_fails() {
	_msg=$1; shift
	test_must_fail 65 rft-prompt --lint "$@" 2> err && grep_err "$_msg" err
}

test_expect_success 'rft-prompt output passes, silently' '
	rft-prompt --lint good.jsonl 2> err && ! test -s err &&
	sed 15d good.jsonl | rft-prompt --lint --grader "$TD/prompt/grader-top1.json" 2> err && ! test -s err &&
	rft-prompt --lint --stats good.jsonl 2> err && grep_err "lint: 0 problems in 16 lines of 1 file" err
'
test_expect_success 'rule: each line is a JSON object' '
	{ printf "%s\n" "$line"; echo "{oops"; echo "[1]"; } > notjson.jsonl &&
	lint_fails "notjson.jsonl:2: invalid JSON" notjson.jsonl &&
	grep_err "notjson.jsonl:3: expected a JSON object, got an array" err
'
test_expect_success 'rule: messages is a non-empty list of messages with a known role' '
	{ printf "%s\n" "$line" | jq -c "del(.messages)"; printf "%s\n" "$line" | jq -c ".messages = {} | .id = 2";
	  printf "%s\n" "$line" | jq -c ".messages = [] | .id = 3"; printf "%s\n" "$line" | jq -c ".messages[0].role = \"robot\" | .id = 4";
	  printf "%s\n" "$line" | jq -c ".messages = [\"hi\"] | .id = 5"; } > msgs.jsonl &&
	lint_fails "msgs.jsonl:1: messages is missing" msgs.jsonl &&
	grep_err "msgs.jsonl:2: messages is an object, not an array" err &&
	grep_err "msgs.jsonl:3: messages is empty" err &&
	grep_err "msgs.jsonl:4: messages[0].role '"'"'robot'"'"' is not system, developer, user or assistant" err &&
	grep_err "msgs.jsonl:5: messages[0] is a string, not an object" err
'
test_expect_success 'rule: content is text' '
	{ printf "%s\n" "$line" | jq -c ".messages[0].content = [{\"type\":\"text\",\"text\":\"hi\"}]";
	  printf "%s\n" "$line" | jq -c ".messages[0].content = \"\" | .id = 2";
	  printf "%s\n" "$line" | jq -c "del(.messages[0].content) | .id = 3";
	  printf "%s\n" "$line" | jq -c ".messages[0].content = null | .id = 4"; } > content.jsonl &&
	lint_fails "content.jsonl:1: messages[0].content is an array, not text (a string)" content.jsonl &&
	grep_err "content.jsonl:2: messages[0].content is empty" err &&
	grep_err "content.jsonl:3: messages[0].content is missing" err &&
	grep_err "content.jsonl:4: messages[0].content is null, not text" err
'
test_expect_success 'rule: the last message is from the user' '
	printf "%s\n" "$line" | jq -c ".messages += [{\"role\":\"assistant\",\"content\":\"FBN1\"}]" > last.jsonl &&
	lint_fails "last.jsonl:1: the last message is from the assistant, not the user" last.jsonl
'
test_expect_success 'rule: at most 50,000 training lines (--lint-role train, or split)' '
	printf "%s\n" "$line" | jq -c "del(.split, .id)" > one.jsonl &&
	awk "{ for (i = 0; i < 50001; i++) print }" one.jsonl > train.jsonl &&
	lint_fails "train.jsonl:50001: more than 50000 training lines (the RFT limit)" --lint-role train train.jsonl &&
	test "$(grep -c "training lines" err)" -eq 1 &&
	head -50000 train.jsonl > train-ok.jsonl && rft-prompt --lint --lint-role train train-ok.jsonl &&
	sed "s/}\$/,\"split\":\"train\"}/" train.jsonl > split-train.jsonl &&
	lint_fails "split-train.jsonl:50001: more than 50000 training lines" split-train.jsonl &&
	rft-prompt --lint train.jsonl
'
test_expect_success 'rule: at most 1,000 validation lines (--lint-role valid, or split)' '
	awk "{ for (i = 0; i < 1001; i++) print }" one.jsonl > valid.jsonl &&
	lint_fails "valid.jsonl:1001: more than 1000 validation lines (the RFT limit)" --lint-role valid valid.jsonl &&
	sed "s/}\$/,\"split\":\"valid\"}/" valid.jsonl > split-valid.jsonl &&
	lint_fails "split-valid.jsonl:1001: more than 1000 validation lines" split-valid.jsonl &&
	head -1000 split-valid.jsonl > valid-ok.jsonl && rft-prompt --lint valid-ok.jsonl
'
test_expect_success 'rule: ids are unique, within a file and across the files given' '
	{ printf "%s\n" "$line"; sed -n 6p good.jsonl; printf "%s\n" "$line"; } > dup.jsonl &&
	lint_fails "dup.jsonl:3: id \"variety_gene_descriptor\" repeats dup.jsonl:1" dup.jsonl &&
	sed -n 5p good.jsonl > a.jsonl && sed -n 4,5p good.jsonl > b.jsonl &&
	lint_fails "b.jsonl:2: id \"variety_gene_descriptor\" repeats a.jsonl:1" a.jsonl b.jsonl
'
test_expect_success 'rule: every {{item.*}} of the grader resolves on every line' '
	lint_fails "good.jsonl:8: {{item.split}} in the grader does not resolve: the line has no '"'"'split'"'"'" \
		--grader "$TD/prompt/grader-multi.json" good.jsonl &&
	grep_err "good.jsonl:12: {{item.split}}" err &&
	grep_err "good.jsonl:15: {{item.reference.gene}}" err &&
	test "$(grep -c "does not resolve" err)" -eq 3 &&
	sed -n 15p good.jsonl > nullgene.jsonl &&
	lint_fails "nullgene.jsonl:1: {{item.reference.gene}} in the grader does not resolve: item.reference has no '"'"'gene'"'"' (or it is null)" \
		--grader "$TD/prompt/grader-top1.json" nullgene.jsonl &&
	rft-prompt --keep nonesuch "$cases" | sed -n 1,7p > with-split.jsonl &&
	rft-prompt --lint --grader "$TD/prompt/grader-multi.json" with-split.jsonl
'
test_expect_success 'every problem is listed, then counted; exit 65' '
	cat msgs.jsonl content.jsonl last.jsonl > all.jsonl &&
	lint_fails "lint: 16 problems in 10 lines of 1 file" all.jsonl &&
	test "$(grep -c "^rft-prompt: all.jsonl:" err)" -eq 16
'
test_expect_success 'a grader that is not JSON is a bad configuration (78); a missing one 66' '
	test_must_fail 78 rft-prompt --lint --grader "$TD/prompt/grader-bad.json" good.jsonl 2> err &&
	grep_err "grader-bad.json: not a grader: invalid JSON" err &&
	test_must_fail 66 rft-prompt --lint --grader nope.json good.jsonl 2> err &&
	grep_err "nope.json" err &&
	test_must_fail 66 rft-prompt --lint nope.jsonl 2> err
'
