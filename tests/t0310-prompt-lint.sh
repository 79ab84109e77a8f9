# rft-prompt --lint: one test per rule; all problems are listed, exit 65;
# a clean file is silent and exit 0.  The role of an RFT file (train or
# valid) is --role, else its name; the lines' split never counts.
. "$T/lib.sh"

cases="$TD/prompt/cases.jsonl"
rft-prompt "$cases" > good.jsonl
line=$(sed -n 5p good.jsonl)

# lint_fails MESSAGE ARGS...: rft-prompt --lint ARGS exits 65 and says MESSAGE
lint_fails() {
	_msg=$1; shift
	test_must_fail 65 rft-prompt --lint "$@" 2> err && grep_err "$_msg" err
}
# the same for files whose name gives no role
lint_fails_train() {
	_msg=$1; shift
	lint_fails "$_msg" --role train "$@"
}

test_expect_success 'rft-prompt output passes, silently' '
	rft-prompt --lint --role train good.jsonl 2> err && ! test -s err &&
	sed 15d good.jsonl | rft-prompt --lint --role valid --grader "$TD/prompt/grader-top1.json" 2> err && ! test -s err &&
	rft-prompt --lint --role train --stats good.jsonl 2> err && grep_err "lint: 0 problems in 16 lines of 1 file" err
'
test_expect_success 'rule: each line is a JSON object' '
	{ printf "%s\n" "$line"; echo "{oops"; echo "[1]"; } > notjson.jsonl &&
	lint_fails_train "notjson.jsonl:2: invalid JSON" notjson.jsonl &&
	grep_err "notjson.jsonl:3: expected a JSON object, got an array" err
'
test_expect_success 'rule: messages is a non-empty list of messages with a known role' '
	{ printf "%s\n" "$line" | jq -c "del(.messages)"; printf "%s\n" "$line" | jq -c ".messages = {} | .id = 2";
	  printf "%s\n" "$line" | jq -c ".messages = [] | .id = 3"; printf "%s\n" "$line" | jq -c ".messages[0].role = \"robot\" | .id = 4";
	  printf "%s\n" "$line" | jq -c ".messages = [\"hi\"] | .id = 5"; } > msgs.jsonl &&
	lint_fails_train "msgs.jsonl:1: messages is missing" msgs.jsonl &&
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
	lint_fails_train "content.jsonl:1: messages[0].content is an array, not text (a string)" content.jsonl &&
	grep_err "content.jsonl:2: messages[0].content is empty" err &&
	grep_err "content.jsonl:3: messages[0].content is missing" err &&
	grep_err "content.jsonl:4: messages[0].content is null, not text" err
'
test_expect_success 'rule: the last message is from the user' '
	printf "%s\n" "$line" | jq -c ".messages += [{\"role\":\"assistant\",\"content\":\"FBN1\"}]" > last.jsonl &&
	lint_fails_train "last.jsonl:1: the last message is from the assistant, not the user" last.jsonl
'
test_expect_success 'rule: at most 50,000 lines in a training file (--role train, or its name)' '
	printf "%s\n" "$line" | jq -c "del(.split, .id)" > one.jsonl &&
	awk "{ for (i = 0; i < 50001; i++) print }" one.jsonl > lines.jsonl &&
	lint_fails "lines.jsonl:50001: more than 50000 training lines (the RFT limit)" --role train lines.jsonl &&
	test "$(grep -c "training lines" err)" -eq 1 &&
	head -50000 lines.jsonl > lines-ok.jsonl && rft-prompt --lint --role train lines-ok.jsonl &&
	cp lines.jsonl train.jsonl &&
	lint_fails "train.jsonl:50001: more than 50000 training lines" train.jsonl &&
	sed "s/}\$/,\"split\":\"valid\"}/" lines-ok.jsonl > train-split-is-v.jsonl &&
	rft-prompt --lint train-split-is-v.jsonl
'
test_expect_success 'rule: at most 1,000 lines in a validation file, whatever the lines split says' '
	awk "{ for (i = 0; i < 1001; i++) print }" one.jsonl > some.jsonl &&
	lint_fails "some.jsonl:1001: more than 1000 validation lines (the RFT limit)" --lint-role valid some.jsonl &&
	sed "s/}\$/,\"split\":\"train\"}/" some.jsonl > valid.jsonl &&
	lint_fails "valid.jsonl:1001: more than 1000 validation lines" valid.jsonl &&
	lint_fails "<stdin>:1001: more than 1000 validation lines" --role valid - < valid.jsonl &&
	head -1000 valid.jsonl > valid-ok.jsonl && rft-prompt --lint valid-ok.jsonl
'
test_expect_success 'a file whose role is neither given nor in its name is refused (64), never guessed' '
	cp valid-ok.jsonl cases-x.jsonl &&
	test_must_fail 64 rft-prompt --lint cases-x.jsonl 2> err &&
	grep_err "cases-x.jsonl: cannot tell whether this is a training or a validation file" err &&
	grep_err "give --role train or --role valid" err &&
	cp valid-ok.jsonl train-and-valid.jsonl &&
	test_must_fail 64 rft-prompt --lint train-and-valid.jsonl 2> err &&
	grep_err "train-and-valid.jsonl: cannot tell" err &&
	test_must_fail 64 rft-prompt --lint < valid-ok.jsonl 2> err &&
	grep_err "<stdin>: cannot tell" err &&
	test_must_fail 64 rft-prompt --lint --role test x.jsonl 2> err
'
test_expect_success 'rule: ids are unique, within a file and across the files given' '
	{ printf "%s\n" "$line"; sed -n 6p good.jsonl; printf "%s\n" "$line"; } > dup.jsonl &&
	lint_fails_train "dup.jsonl:3: id \"variety_gene_descriptor\" repeats dup.jsonl:1" dup.jsonl &&
	sed -n 5p good.jsonl > a.jsonl && sed -n 4,5p good.jsonl > b.jsonl &&
	lint_fails_train "b.jsonl:2: id \"variety_gene_descriptor\" repeats a.jsonl:1" a.jsonl b.jsonl
'
test_expect_success 'rule: every {{item.*}} of the grader resolves on every line' '
	lint_fails_train "good.jsonl:8: {{item.split}} in the grader does not resolve: the line has no '"'"'split'"'"'" \
		--refs-only --grader "$TD/prompt/grader-multi.json" good.jsonl &&
	grep_err "good.jsonl:12: {{item.split}}" err &&
	grep_err "good.jsonl:15: {{item.reference.gene}}" err &&
	test "$(grep -c "does not resolve" err)" -eq 3 &&
	sed -n 15p good.jsonl > nullgene.jsonl &&
	lint_fails_train "nullgene.jsonl:1: {{item.reference.gene}} in the grader does not resolve: item.reference has no '"'"'gene'"'"' (or it is null)" \
		--grader "$TD/prompt/grader-top1.json" nullgene.jsonl &&
	rft-prompt --keep nonesuch "$cases" | sed -n 1,7p > with-split.jsonl &&
	rft-prompt --lint --role train --refs-only --grader "$TD/prompt/grader-multi.json" with-split.jsonl
'
test_expect_success 'every problem is listed, then counted; exit 65' '
	cat msgs.jsonl content.jsonl last.jsonl > all.jsonl &&
	lint_fails_train "lint: 16 problems in 10 lines of 1 file" all.jsonl &&
	test "$(grep -c "^rft-prompt: all.jsonl:" err)" -eq 16
'
test_expect_success 'a grader that is not JSON is a bad configuration (78); a missing one 66' '
	test_must_fail 78 rft-prompt --lint --grader "$TD/prompt/grader-bad.json" good.jsonl 2> err &&
	grep_err "grader-bad.json: not a grader: invalid JSON" err &&
	test_must_fail 66 rft-prompt --lint --grader nope.json good.jsonl 2> err &&
	grep_err "nope.json" err &&
	test_must_fail 66 rft-prompt --lint nope.jsonl 2> err
'
