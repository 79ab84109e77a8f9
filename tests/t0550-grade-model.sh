# rft-grade: score_model, label_model and text_similarity's cosine against the
# fake OpenAI server (tests/fake-openai.py), through rft-call's client.
. "$T/lib.sh"
. "$T/callsrv.sh"

export OPENAI_API_KEY=sk-test-SECRET-51c0ffee
start_server --key-env OPENAI_API_KEY
export RFT_GRADER_BASE_URL="$(url)" RFT_GRADER_BACKOFF=0.01
unset RFT_GRADER_CACHE RFT_GRADER_MAX_ATTEMPTS RFT_GRADER_TIMEOUT RFT_GRADER_RPM RFT_GRADER_TPM
G="$TD/grade"
# line ID OUTPUT_TEXT REFERENCE_ANSWER: a sample line
line() { printf '{"id":"%s","reference":{"answer":"%s"},"sample":{"output_text":"%s"}}\n' "$1" "$3" "$2"; }
# requests the server got whose message holds TEXT
nsent() { grep -c -- "$1" srv.log || true; }
# python's cosine of the fake server's embeddings of two texts
pycos() {
	python3 - "$T/fake-openai.py" "$1" "$2" <<'PY'
import importlib.util, math, sys
spec = importlib.util.spec_from_file_location("fake", sys.argv[1]); fake = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fake)
a, b = fake.embed(sys.argv[2]), fake.embed(sys.argv[3])
print(repr(sum(x * y for x, y in zip(a, b)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))))
PY
}

test_expect_success 'score_model: the result clamped to range; non-numeric answers, refusals and bad text are 0 with their flag' '
	{ line s1 "ans-s1 [[score:7]]" "ref"; line s2 "ans-s2 [[score:12.5]]" "ref"; line s3 "ans-s3 [[score:-3]]" "ref";
	  line s4 "ans-s4 [[score:abc]]" "ref"; line s5 "ans-s5 [[fake:text]]" "ref"; line s6 "ans-s6 [[fake:refuse]]" "ref";
	  line s7 "ans-s7 [[fake:fenced]] [[score:2.5]]" "ref"; } > s.jsonl &&
	rft-grade -g "$G/model-score.json" s.jsonl > s.out 2> s.err &&
	! test -s s.err &&
	jq -c "[.id, .grade.reward, .grade.errors.model_grader_parse_error, .grade.errors.model_grader_refusal_error, .grade.errors.model_grader_server_error]" s.out > got &&
	printf "%s\n" "[\"s1\",7,false,false,false]" "[\"s2\",10,false,false,false]" "[\"s3\",0,false,false,false]" \
	  "[\"s4\",0,true,false,false]" "[\"s5\",0,true,false,false]" "[\"s6\",0,false,true,false]" "[\"s7\",2.5,false,false,false]" > want &&
	test_cmp want got &&
	jq -r "select(.id == \"s4\") | .grade.message" s.out | grep -q "no numeric \"result\"" &&
	for i in 1 2 3 4 5 6 7; do test "$(nsent "ans-s$i ")" = 1 || exit 1; done &&
	grep "ans-s1 " srv.log | grep -q "Reference: ref Answer: ans-s1"
'
test_expect_success 'score_model without a marker: the fake server derives the score from the prompt' '
	line d1 "derived one" "r" > d.jsonl &&
	rft-grade -g "$G/model-score.json" d.jsonl > d.out &&
	msg="Reference: r
Answer: derived one" &&
	test "$(jq -r .grade.reward d.out)" = "$(python3 -c "import sys; print((len(sys.argv[1]) % 11) / 10.0)" "$msg" | sed "s/\.0$//")"
'
test_expect_success 'label_model: reward 1 for a passing label, 0 for another, 0 and model_grader_parse_error for no label' '
	{ line l1 "ans-l1 [[label:correct]]" "r"; line l2 "ans-l2 [[label:partly]]" "r"; line l3 "ans-l3 [[label:wrong]]" "r";
	  line l4 "ans-l4 [[label:nonsense]]" "r"; } > l.jsonl &&
	rft-grade -g "$G/model-label.json" l.jsonl > l.out &&
	test "$(jq -c "[.grade.reward, .grade.errors.model_grader_parse_error]" l.out | tr "\n" " ")" = "[1,false] [1,false] [0,false] [0,true] " &&
	grep "ans-l1 " srv.log | grep -q "Answer: ans-l1" &&
	jq -r "select(.id == \"l4\") | .grade.message" l.out | grep -q "nonsense"
'
test_expect_success 'cosine: the cosine of the /embeddings vectors, equal to python on them within 1e-9' '
	{ line c1 "the cat sat on the mat" "the cat sat on the mat"; line c2 "the cat sat" "a dog ran far away";
	  line c3 "gene KMT2D causes Kabuki syndrome" "Kabuki syndrome is caused by KMT2D"; } > c.jsonl &&
	rft-grade -g "$G/model-cosine.json" c.jsonl > c.out &&
	jq -r .grade.reward c.out > got &&
	for p in "the cat sat on the mat|the cat sat on the mat" "the cat sat|a dog ran far away" \
		 "gene KMT2D causes Kabuki syndrome|Kabuki syndrome is caused by KMT2D"; do
		pycos "${p%|*}" "${p#*|}"; done > want &&
	paste got want | awk "{ d = \$1 - \$2; if (d < 0) d = -d; if (d > 1e-9) exit 1 }" &&
	test "$(head -1 got)" = 1 &&
	test "$(jq -r .grade.errors.model_grader_server_error c.out | sort -u)" = false
'
test_expect_success 'under every fault each line is graded, retries counted at the server, nothing sent twice once answered' '
	{ line f1 "ans-f1 [[fake:429ra50,ok]] [[score:1]]" r; line f2 "ans-f2 [[fake:429,ok]] [[score:2]]" r;
	  line f3 "ans-f3 [[fake:500,503,ok]] [[score:3]]" r; line f4 "ans-f4 [[fake:reset,ok]] [[score:4]]" r;
	  line f5 "ans-f5 [[fake:trunc,ok]] [[score:5]]" r; line f6 "ans-f6 [[fake:badjson,ok]] [[score:6]]" r;
	  line f7 "ans-f7 [[fake:slow3000,ok]] [[score:7]]" r; line f8 "ans-f8 [[fake:drain300]] [[score:8]]" r;
	  line f9 "ans-f9 [[fake:429rs1,ok]] [[score:9]]" r; line f10 "ans-f10 [[fake:reset,trunc,badjson,502,ok]] [[score:10]]" r;
	} > f.jsonl &&
	RFT_GRADER_TIMEOUT=1 rft-grade -j 4 -g "$G/model-score.json" f.jsonl > f.out 2> f.err &&
	! test -s f.err &&
	test "$(jq -r .grade.reward f.out | tr "\n" " ")" = "1 2 3 4 5 6 7 8 9 10 " &&
	test "$(jq -r ".grade.errors | to_entries | map(select(.value)) | length" f.out | sort -u)" = 0 &&
	test "$(for i in 1 2 3 4 5 6 7 8 9 10; do nsent "ans-f$i "; done | tr "\n" " ")" = "2 2 3 2 2 2 2 1 2 5 "
'
test_expect_success 'cosine under faults: both embeddings of every line, retried' '
	{ line e1 "alpha beta [[fake:429,ok]]" "alpha beta"; line e2 "gamma delta [[fake:500,ok]]" "gamma [[fake:reset,ok]]";
	  line e3 "epsilon [[fake:trunc,badjson,ok]]" "epsilon zeta"; } > e.jsonl &&
	rft-grade -j 3 -g "$G/model-cosine.json" e.jsonl > e.out 2> e.err && ! test -s e.err &&
	test "$(jq -r .grade.errors.model_grader_server_error e.out | sort -u)" = false &&
	test "$(jq -r .grade.reward e.out | head -1)" = 1 &&
	test "$(nsent "alpha beta \[\[fake:429,ok\]\]")" = 2 && test "$(nsent "gamma \[\[fake:reset,ok\]\]")" = 2 &&
	test "$(nsent "epsilon \[\[fake:trunc,badjson,ok\]\]")" = 3
'
test_expect_success 'a repeated line is asked once (also on 4 threads at once); with RFT_GRADER_CACHE a rerun asks nothing' '
	for i in 1 2 3 4 5 6 7 8; do line "r$i" "ans-rep [[fake:slow300]] [[score:6]]" r; line "q$i" "ans-q$i [[score:4]]" r; done > r.jsonl &&
	RFT_GRADER_CACHE=g.db rft-grade -j 4 -g "$G/model-score.json" r.jsonl > r1.out &&
	test "$(nsent "ans-rep ")" = 1 &&
	for i in 1 2 3 4 5 6 7 8; do test "$(nsent "ans-q$i ")" = 1 || exit 1; done &&
	test "$(jq -r .grade.reward r1.out | sort | uniq -c | tr -s " \n" "  ")" = " 8 4 8 6 " &&
	RFT_GRADER_CACHE=g.db rft-grade -j 4 -g "$G/model-score.json" r.jsonl > r2.out &&
	test_cmp r1.out r2.out &&
	test "$(nsent "ans-rep ")" = 1 && test "$(nsent "ans-q1 ")" = 1 &&
	test "$(sqlite3 g.db "SELECT count(*) FROM responses")" = 9 &&
	test "$(sqlite3 g.db "PRAGMA journal_mode")" = wal &&
	prompt shared "rft-call into the graders cache" > p.jsonl &&
	call --cache g.db p.jsonl > /dev/null && call --cache g.db p.jsonl > p2.out &&
	test "$(jq -r .sample.cached p2.out)" = true && test "$(nsent "rft-call into the graders cache")" = 1 &&
	test "$(sqlite3 g.db "SELECT count(*) FROM responses")" = 10
'
test_expect_success 'score_model and cosine in one multi grader share the client' '
	line m1 "ans-m1 same words [[score:0.5]]" "ans-m1 same words [[score:0.5]]" > m.jsonl &&
	rft-grade -g "$G/model-multi.json" m.jsonl > m.out &&
	test "$(jq -c "[.grade.reward, .grade.sub_rewards.judge, .grade.sub_rewards.cos]" m.out)" = "[0.75,0.5,1]"
'
test_expect_success 'a call that keeps failing: 0 with model_grader_server_error after RFT_GRADER_MAX_ATTEMPTS, the others graded, said on stderr, exit 75' '
	{ line x1 "ans-x1 [[fake:500]]" r; line x2 "ans-x2 [[fake:400]]" r; line x3 "ans-x3 [[score:3]]" r; } > x.jsonl &&
	test_must_fail 75 env RFT_GRADER_MAX_ATTEMPTS=2 rft-grade -j 1 -g "$G/model-score.json" x.jsonl > x.out 2> x.err &&
	grep_err "2 lines graded 0 because a model grader'"'"'s call failed" x.err &&
	test "$(jq -c "[.grade.reward, .grade.errors.model_grader_server_error]" x.out | tr "\n" " ")" = "[0,true] [0,true] [3,false] " &&
	jq -r "select(.id == \"x1\") | .grade.message" x.out | grep -q "after 2 attempts: server_error (HTTP 500)" &&
	test "$(nsent "ans-x1 ")" = 2 && test "$(nsent "ans-x2 ")" = 1
'
test_expect_success 'a wrong key stops at the first refusal (77, nothing more sent, no output file); the key is never written' '
	for i in 1 2 3 4; do line "w$i" "ans-w$i [[score:1]]" r; done > w.jsonl &&
	test_must_fail 77 env OPENAI_API_KEY=sk-wrong-SECRET-0 rft-grade -j 1 -g "$G/model-score.json" -o w.out w.jsonl 2> w.err &&
	grep_err "refused the account (HTTP 401 invalid_request_error, invalid_api_key: Incorrect API key provided.)" w.err &&
	grep_err "nothing more was sent" w.err &&
	test "$(grep -c "ans-w" srv.log)" = 1 && ! test -e w.out &&
	test_must_fail 77 env RFT_GRADER_KEY_ENV=OTHER_KEY OTHER_KEY=nope rft-grade -g "$G/model-cosine.json" c.jsonl > /dev/null 2> w2.err &&
	! grep -q SECRET w.err w2.err s.out s.err f.out f.err r1.out g.db x.out
'
test_expect_success 'configuration errors stop at load (78): no key for OpenAI, a bad variable, a bad grader' '
	test_must_fail 78 env -u OPENAI_API_KEY -u OPENAI_BASE_URL RFT_GRADER_BASE_URL= rft-grade --validate -g "$G/model-score.json" 2> k.err &&
	grep_err "model-score.json (judge): a model grader cannot call its endpoint: \$OPENAI_API_KEY is not set" k.err &&
	test_must_fail 78 env RFT_GRADER_RPM=ten rft-grade --validate -g "$G/model-score.json" 2> k.err &&
	grep_err "\$RFT_GRADER_RPM is '"'"'ten'"'"', not a whole number >= 1" k.err &&
	test_must_fail 78 rft-grade --validate -g "$G/model-bad-label.json" 2> k.err &&
	grep_err "passing label '"'"'right'"'"' is not one of \"labels\"" k.err &&
	echo "{\"type\":\"score_model\",\"name\":\"j\",\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"x\"}],\"sampling_params\":{\"max_tokens\":5}}" > bad.json &&
	test_must_fail 78 rft-grade --validate -g bad.json 2> k.err && grep_err "unknown sampling_params.max_tokens" k.err &&
	echo "{\"type\":\"score_model\",\"name\":\"j\",\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"{{ nope.x }}\"}]}" > bad.json &&
	test_must_fail 78 rft-grade --validate -g bad.json 2> k.err && grep_err "input[0]" k.err &&
	rft-grade --validate -g "$G/model-label.json"
'
test_expect_success 'a template that does not resolve: 0 with invalid_variable_error, nothing sent' '
	printf "%s\n" "{\"id\":\"v1\",\"sample\":{\"output_text\":\"ans-v1\"}}" > v.jsonl &&
	rft-grade -g "$G/model-score.json" v.jsonl > v.out &&
	test "$(jq -c "[.grade.reward, .grade.errors.invalid_variable_error]" v.out)" = "[0,true]" &&
	test "$(nsent "ans-v1")" = 0
'
test_expect_success 'rft-prompt --lint still refuses model graders (it would pay for every line)' '
	test_must_fail 78 rft-prompt --lint --grader "$G/model-score.json" s.jsonl 2> p.err &&
	grep_err "score_model graders call a model and are not supported by rft-prompt" p.err
'
