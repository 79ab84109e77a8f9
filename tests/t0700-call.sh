# rft-call: prompt lines to sample lines against a local fake OpenAI server.
. "$T/lib.sh"
. "$T/callsrv.sh"

export OPENAI_API_KEY=sk-test-SECRET-7f3a9c
start_server --key-env OPENAI_API_KEY

test_expect_success 'every line yields exactly one sample line, in input order, other keys kept' '
	for i in $(seq 30); do prompt "p$i" "case $i [[fake:slow$(( (30 - i) * 5 ))]]"; done > in.jsonl &&
	call -j 30 in.jsonl > out.jsonl 2> err &&
	! test -s err &&
	test "$(wc -l < out.jsonl)" -eq 30 &&
	jq -r .id in.jsonl > want && jq -r .id out.jsonl > got && test_cmp want got &&
	test "$(jq -r "select(.sample.output_json.genes[0] == \"GENE1\" and .reference.gene == \"GENE1\"
	        and .sample.cached == false and .sample.attempts == 1 and .sample.finish_reason == \"stop\"
	        and .sample.usage.completion_tokens_details.reasoning_tokens == 4
	        and (.sample.latency_ms | type) == \"number\") | .id" out.jsonl | wc -l)" -eq 30 &&
	jq -c "del(.sample)" out.jsonl > stripped && test_cmp in.jsonl stripped
'
test_expect_success '--unordered writes every line once, as they finish' '
	call -j 30 --unordered in.jsonl > un.jsonl &&
	jq -r .id un.jsonl | sort > got && sort want > want.s && test_cmp want.s got &&
	test "$(jq -r .id un.jsonl | head -1)" != p1
'
test_expect_success 'the key is sent, and is never in the output, stderr, stats, cache or process list' '
	prompt k1 "key check [[fake:slow400]]" > k.jsonl && prompt k2 "key 2" >> k.jsonl &&
	{ call --cache k.db --stats k.stats -o k.out k.jsonl 2> k.err & } &&
	sleep 0.2 && ps -eo args > ps.txt && wait &&
	grep -q "rft-call" ps.txt && ! grep -q SECRET ps.txt &&
	test "$(awk -F"\t" "\$5 ~ /^key/ { print \$4 }" srv.log | sort -u)" = key &&
	test "$(jq -r .sample.output_json.genes[0] k.out | sort -u)" = GENE1 &&
	! grep -a -q SECRET k.out k.err k.stats k.db* &&
	strings k.db* | grep -q "key check"
'
test_expect_success 'a wrong key is a 401: not retried, nothing more sent, exit 77 naming the code; --api-key-env' '
	prompt w1 "wrong key" > w.jsonl && prompt w2 "wrong key 2" >> w.jsonl && prompt w3 "wrong key 3" >> w.jsonl &&
	test_must_fail 77 env OTHER_KEY=sk-nope rft-call --base-url "$(url)" -m fake -j 1 --api-key-env OTHER_KEY w.jsonl > w.out 2> w.err &&
	test "$(jq -r "[.id, .error.status, .error.type, .error.code, .error.attempts, .error.retryable] | @tsv" w.out | tr "\t\n" ": ")" = "w1:401:invalid_request_error:invalid_api_key:1:false w2:401:invalid_request_error:invalid_api_key:0:false w3:401:invalid_request_error:invalid_api_key:0:false " &&
	test "$(grep -c "wrong key" srv.log)" = 1 && grep_err "3 failed" w.err &&
	grep_err "refused the account (HTTP 401 invalid_request_error, invalid_api_key: Incorrect API key provided.)" w.err &&
	! grep -q sk-nope w.err w.out &&
	OTHER_KEY=$OPENAI_API_KEY OPENAI_API_KEY= call --api-key-env OTHER_KEY w.jsonl > w2.out &&
	test "$(jq -r .sample.attempts w2.out | sort -u)" = 1 &&
	test_must_fail 78 env -u NOPE rft-call --api-key-env NOPE -m x w.jsonl 2> err78 &&
	test_must_fail 78 env -u OPENAI_API_KEY rft-call -m x w.jsonl 2> err78b &&
	grep_err "OPENAI_API_KEY is not set" err78b &&
	grep_err "NOPE is not set" err78 && ! grep -q SECRET err78
'
test_expect_success 'parameters: options win over the line, the line fills the rest; --n gives N lines with index' '
	echo "{\"type\":\"json_object\"}" > rf.json &&
	printf "%s\n" "{\"messages\":[{\"role\":\"user\",\"content\":\"params [[fake:echo]]\"}],\"model\":\"line-model\",\"temperature\":0.3,\"seed\":7,\"id\":\"x\"}" > pa.jsonl &&
	rft-call --base-url "$(url)" pa.jsonl > pa1 &&
	test "$(jq -c .sample.output_json pa1)" = "{\"model\":\"line-model\",\"seed\":7,\"temperature\":0.3}" &&
	call --temperature 1 --max-completion-tokens 50 --reasoning-effort low --response-format rf.json pa.jsonl > pa2 &&
	test "$(jq -c .sample.output_json pa2)" = "{\"model\":\"fake\",\"max_completion_tokens\":50,\"reasoning_effort\":\"low\",\"response_format\":{\"type\":\"json_object\"},\"seed\":7,\"temperature\":1}" &&
	prompt n1 "three" > n.jsonl && prompt n2 "three more" >> n.jsonl &&
	call --n 3 n.jsonl > n.out &&
	test "$(jq -r "[.id, .sample.index] | @tsv" n.out | tr "\t\n" ": ")" = "n1:0 n1:1 n1:2 n2:0 n2:1 n2:2 "
'
test_expect_success 'an endpoint that ignores n: fewer lines, each saying n_asked and n_returned, and a warning' '
	prompt o1 "one only [[fake:one]]" > one.jsonl && prompt o2 "three" >> one.jsonl &&
	call --n 3 --stats one.stats one.jsonl > one.out 2> one.err &&
	test "$(jq -r "[.id, .sample.index, .sample.n_asked, .sample.n_returned] | @tsv" one.out | tr "\t\n" ": ")" = \
		"o1:0:3:1 o2:0:: o2:1:: o2:2:: " &&
	grep_err "1 answer had another number of completions than the n asked" one.err &&
	test "$(jq .n_other one.stats)" = 1 &&
	call --n 3 n.jsonl > n.out 2> n.err && ! grep -q "n asked" n.err
'
test_expect_success 'Batch API lines (rft-prompt --format batch) are sent as their body says' '
	printf "%s\n" "{\"custom_id\":\"b1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"bm\",\"messages\":[{\"role\":\"user\",\"content\":\"batch line [[fake:echo]]\"}],\"max_completion_tokens\":9}}" > bl.jsonl &&
	rft-call --base-url "$(url)" bl.jsonl > bl.out &&
	test "$(jq -c .sample.output_json bl.out)" = "{\"model\":\"bm\",\"max_completion_tokens\":9}" &&
	test "$(jq -r .custom_id bl.out)" = b1
'
test_expect_success 'answers that are not JSON keep output_text and give output_json null; fenced JSON parses' '
	prompt t1 "words [[fake:text]]" > t.jsonl &&
	call t.jsonl > t.out &&
	test "$(jq -r "[.sample.output_text, .sample.output_json] | @json" t.out)" = "[\"plain words, no JSON\",null]" &&
	prompt f1 "fenced [[fake:fenced]]" > f.jsonl &&
	call f.jsonl > f.out &&
	jq -r .sample.output_text f.out | head -1 | grep -qx "\`\`\`json" &&
	test "$(jq -c .sample.output_json.genes f.out)" = "[\"GENE1\",\"GENE2\"]"
'
test_expect_success 'samples keep the choice as sent, so {{sample.choices[0].message.content}} resolves' '
	test "$(jq -r ".sample.choices[0].message.content == .sample.output_text and .sample.choices[0].finish_reason == \"stop\"" f.out)" = true &&
	printf "%s\n" "{\"type\":\"string_check\",\"name\":\"c\",\"operation\":\"eq\",\"input\":\"{{sample.choices[0].message.content}}\",\"reference\":\"{{sample.output_text}}\"}" > cg.json &&
	rft-grade -g cg.json f.out > fg.out &&
	test "$(jq -r .grade.reward fg.out)" = 1
'
test_expect_success 'bad input lines stop with FILE:LINE (65); --skip-bad goes on and keeps them' '
	{ prompt g1 "good one"; echo "{oops"; echo "{\"id\":\"nomsg\"}"; prompt g2 "good two"; } > bad.jsonl &&
	test_must_fail 65 call bad.jsonl > /dev/null 2> bad.err &&
	grep_err "bad.jsonl:2: invalid JSON" bad.err &&
	call --skip-bad --rejects rej.jsonl bad.jsonl > sk.out 2> sk.err &&
	test "$(jq -r .id sk.out | tr "\n" " ")" = "g1 g2 " &&
	test "$(jq -r .where rej.jsonl | tr "\n" " ")" = "bad.jsonl:2 bad.jsonl:3 " &&
	grep_err "bad.jsonl:3: no \"messages\"" sk.err &&
	printf "%s\n" "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" |
	  test_must_fail 65 rft-call --base-url "$(url)" 2> nm.err && grep_err "<stdin>:1: no model" nm.err
'
test_expect_success 'exit 69 when the endpoint is never reached; every line still written with its error' '
	prompt u1 "unreachable" > u.jsonl && prompt u2 "unreachable 2" >> u.jsonl &&
	test_must_fail 69 rft-call --base-url http://127.0.0.1:1/v1 -m fake --backoff 0.01 --max-attempts 2 u.jsonl > u.out 2> u.err &&
	test "$(jq -r "[.id, .error.type, .error.attempts, .error.retryable] | @tsv" u.out | tr "\t\n" ": ")" = "u1:connection_error:2:true u2:connection_error:2:true " &&
	grep_err "2 failed (2 may pass on a rerun)" u.err
'
test_expect_success 'usage errors exit 64' '
	test_must_fail 64 rft-call --concurrency 0 2> e1 && grep_err "concurrency" e1 &&
	test_must_fail 64 rft-call --refresh 2> e2 && grep_err "needs --cache" e2 &&
	test_must_fail 64 rft-call --base-url ftp://x 2> e3 && grep_err "http://" e3 &&
	test_must_fail 64 rft-call --reasoning-effort extreme 2> e4 &&
	test_must_fail 64 rft-call -H nocolon 2> e5 && grep_err "Name: value" e5
'
test_expect_success '-H adds headers; ${VAR} is read from the environment' '
	prompt h1 "header" > h.jsonl &&
	X_SECRET=abc call -H "X-Org: \${X_SECRET}" -H "X-Plain: 1" h.jsonl > h.out &&
	test "$(jq -r .sample.attempts h.out)" = 1 &&
	test_must_fail 78 call -H "X-Org: \${NOT_SET_HERE}" h.jsonl 2> h.err && grep_err "NOT_SET_HERE is not set" h.err
'
test_expect_success '--batch-in joins Batch API output and errors back onto the prompt lines (custom_id, else id)' '
	for i in 1 2 3 4; do printf "{\"custom_id\":\"c$i\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q$i\"}]}}\n"; done > bp.jsonl &&
	cat > bo.jsonl <<-\EOF &&
	{"id":"batch_req_2","custom_id":"c2","response":{"status_code":200,"request_id":"r2","body":{"id":"chatcmpl-2","object":"chat.completion","model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"{\"genes\":[\"KMT2D\"]}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8,"completion_tokens_details":{"reasoning_tokens":0}}}},"error":null}
	{"id":"batch_req_1","custom_id":"c1","response":{"status_code":200,"request_id":"r1","body":{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"{\"genes\":[\"FBN1\"]}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}},"error":null}
	{"id":"batch_req_9","custom_id":"stray","response":{"status_code":200,"body":{"choices":[{"index":0,"message":{"content":"x"}}]}},"error":null}
	EOF
	cat > be.jsonl <<-\EOF &&
	{"id":"batch_req_3","custom_id":"c3","response":{"status_code":400,"request_id":"r3","body":{"error":{"message":"bad things","type":"invalid_request_error","param":null,"code":null}}},"error":null}
	EOF
	for i in 1 2 3 4; do printf "{\"custom_id\":\"c$i\",\"id\":\"c$i\",\"reference\":{\"gene\":\"G$i\"}}\n"; done > bj.jsonl &&
	test_must_fail 75 rft-call --batch-in bo.jsonl --batch-errors be.jsonl --join bj.jsonl bp.jsonl > bs.out 2> bs.err &&
	test "$(jq -r "[.custom_id, .sample.output_json.genes[0] // .error.type] | @tsv" bs.out | tr "\t\n" ": ")" = "c1:FBN1 c2:KMT2D c3:invalid_request_error c4:missing_from_batch " &&
	grep_err "1 batch answer matched no prompt line (first: custom_id '"'"'stray'"'"')" bs.err &&
	test "$(jq -r .sample.model bs.out | head -1)" = gpt-x &&
	for i in 1 2 3 4; do prompt "c$i" "q$i"; done > rp.jsonl &&
	test_must_fail 75 rft-call --batch-in bo.jsonl --batch-errors be.jsonl rp.jsonl > rs.out 2> /dev/null &&
	test "$(jq -r "[.id, .reference.gene, .sample.output_json.genes[0] // .error.type] | @tsv" rs.out | tr "\t\n" ": ")" = "c1:GENE1:FBN1 c2:GENE1:KMT2D c3:GENE1:invalid_request_error c4:GENE1:missing_from_batch "
'
test_expect_success 'the stream contract: rft-prompt lines in, samples rft-grade grades out' '
	rft-extract "$TD/phenopackets" 2> /dev/null | head -5 | rft-prompt > rp5.jsonl &&
	call -j 5 rp5.jsonl > s5.jsonl &&
	rft-grade s5.jsonl > g5.jsonl &&
	test "$(wc -l < rp5.jsonl)" -ge 3 && test "$(wc -l < g5.jsonl)" = "$(wc -l < rp5.jsonl)" &&
	test "$(jq -r "[.grade.predicted[0], .grade.errors.sample_parse_error, (.reference | type)] | @tsv" g5.jsonl | sort -u)" = "$(printf "GENE1\tfalse\tobject")"
'
