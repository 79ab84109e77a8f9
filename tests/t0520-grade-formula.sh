# rft-grade: the calculate_output formula of a multi grader (limits, numbers,
# messages) and how a gene_rank list is read (every entry a place).
. "$T/lib.sh"

R="$TD/robustness"

# one line to grade: gene_rank a = 0.5 (KDM6A second), string_check b = 1
printf '%s\n' '{"id":"x","reference":{"genes":["KDM6A"]},"sample":{"output_json":{"genes":["KMT2D","KDM6A"]},"output_text":"KMT2D"}}' > line.jsonl

# grader FILE FORMULA-FILE: a multi grader over a and b with that formula
grader() {
	jq -n --rawfile f "$2" '{type: "multi", name: "m", calculate_output: $f, graders: {
		a: {type: "gene_rank", name: "a"},
		b: {type: "string_check", name: "b", input: "{{sample.output_text}}", reference: "KMT2D", operation: "eq"}}}' > "$1"
}
# reward FORMULA-FILE: the reward of line.jsonl (the grader also passes --validate)
reward() {
	grader rg.json "$1" && rft-grade --validate -g rg.json &&
	rft-grade -g rg.json line.jsonl | jq -r .grade.reward
}
# refused FORMULA-FILE MESSAGE: exit 78 naming the file, the grader and the formula, in
# --validate, --export-openai and rft-train -g
refused() {
	grader bad.json "$1" &&
	test_must_fail 78 rft-grade --validate -g bad.json 2> err && grep_err "bad.json (m): calculate_output: $2" err &&
	test_must_fail 78 rft-grade -g bad.json --export-openai x.json --dataset line.jsonl 2> err &&
	grep_err "bad.json (m): calculate_output: $2" err && test ! -e x.json &&
	test_must_fail 78 rft-train --train /dev/null -g bad.json -o x.json 2> err &&
	grep_err "bad.json (m): calculate_output: $2" err && test ! -e x.json
}
rep() {  # rep N TEXT: TEXT N times, no newline
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}

test_expect_success 'D6: 100,000 nested parentheses (200 kB) are refused with exit 78, not a crash' '
	f="$R/grader-formula-100k-parens.json" &&
	test_must_fail 78 rft-grade --validate -g "$f" 2> err &&
	grep_err "grader-formula-100k-parens.json (m): calculate_output: the formula is 200001 bytes long, over the limit of 65536" err &&
	test_must_fail 78 rft-grade -g "$f" --export-openai x.json --dataset line.jsonl 2> err &&
	grep_err "over the limit of 65536" err && test ! -e x.json &&
	test_must_fail 78 rft-train --train /dev/null -g "$f" -o x.json 2> err &&
	grep_err "over the limit of 65536" err
'
test_expect_success 'D6: the other hostile shapes (1M signs, 200k ^, a 1M-term sum, min of 1M arguments) are refused' '
	{ rep 1000000 - && echo a; } > unary && refused unary "the formula is 1000002 bytes long" &&
	{ printf a && rep 200000 ^a && echo; } > pow && refused pow "the formula is 400002 bytes long" &&
	{ printf a && rep 1000000 +a && echo; } > sum && refused sum "the formula is 2000002 bytes long" &&
	{ printf "min(a" && rep 1000000 ,a && echo ")"; } > minargs && refused minargs "the formula is 2000007 bytes long"
'
test_expect_success 'D6: parentheses and calls nest 256 deep; the 257th level is refused at its column' '
	{ rep 256 "(" && printf a && rep 256 ")"; } > f256 && test "$(reward f256)" = 0.5 &&
	{ rep 128 "abs(" && rep 128 "(" && printf -- "-a" && rep 256 ")"; } > f256c && test "$(reward f256c)" = 0.5 &&
	{ rep 257 "(" && printf a && rep 257 ")"; } > f257 &&
	refused f257 "formula nested deeper than 256 levels at column 257" &&
	{ printf "b + " && rep 257 "sqrt(" && printf a && rep 257 ")"; } > f257c &&
	refused f257c "formula nested deeper than 256 levels at column 1289" &&
	{ rep 200 "(" && printf "min(a" && rep 60 "+(" && printf a && rep 60 ")" && rep 201 ")"; } > f257m &&
	refused f257m "formula nested deeper than 256 levels at column 317"
'
test_expect_success 'D6: chains up to the 65,536-byte limit are evaluated in loops: sums, products, ^, signs, arguments' '
	{ printf a && rep 32767 +a; } > sum && test "$(reward sum)" = 16384 &&
	{ printf a && rep 32767 -a; } > diff && test "$(reward diff)" = -16383 &&
	{ printf a && rep 16383 "*2/2"; } > prod && test "$(reward prod)" = 0.5 &&
	{ printf a && rep 32767 ^b; } > pow && test "$(reward pow)" = 0.5 &&
	{ rep 32767 b^ && printf 2; } > pow2 && test "$(reward pow2)" = 1 &&
	printf "2^3^2" > powr && test "$(reward powr)" = 512 &&
	{ rep 65534 - && printf a; } > neg && test "$(reward neg)" = 0.5 &&
	{ rep 65535 - && printf a; } > neg1 && test "$(reward neg1)" = -0.5 &&
	{ printf "min(b" && rep 32764 ,b && printf ",a)"; } > minargs && test "$(wc -c < minargs)" -eq 65536 &&
	test "$(reward minargs)" = 0.5 &&
	{ printf "max(a" && rep 32765 ,a && printf " )"; } > maxargs && test "$(wc -c < maxargs)" -eq 65537 &&
	refused maxargs "the formula is 65537 bytes long, over the limit of 65536"
'
test_expect_success 'D16: numbers are decimal: hex, a huge or a cut exponent, letters after digits are refused' '
	printf "0x10*a" > f && refused f "bad number '"'"'0x10'"'"' at column 1 (numbers are decimal" &&
	printf "a + 1e999" > f && refused f "number '"'"'1e999'"'"' at column 5 is too large" &&
	printf "a*2e" > f && refused f "bad exponent in the number at column 3" &&
	printf "5a" > f && refused f "bad number '"'"'5a'"'"' at column 1" &&
	printf "1.2.3" > f && refused f "bad number '"'"'1.2.3'"'"' at column 1" &&
	printf "inf*a" > f && refused f "'"'"'inf'"'"' is not one of the graders, at column 1" &&
	printf "a*10 - 2e-1*b + .5 + 5. - 0.25E1" > f && test "$(reward f)" = 7.800000000000001
'
test_expect_success 'D16: an unexpected character is named whole (with its code point), at its column in characters' '
	printf "a + é" > f && refused f "unexpected '"'"'é'"'"' (U+00E9) at column 5" &&
	printf "a ≥ b" > f && refused f "unexpected '"'"'≥'"'"' (U+2265) at column 3" &&
	printf "(a + b) 😀" > f && refused f "unexpected '"'"'😀'"'"' (U+1F600) at column 9" &&
	printf "a\001" > f && refused f "unexpected U+0001 at column 2" &&
	printf "a \$ b" > f && refused f "unexpected '"'"'\$'"'"' at column 3" &&
	printf "min(a b)" > f && refused f "expected '"'"','"'"' or '"'"')'"'"' at column 7" &&
	printf "((a + b)" > f && refused f "expected '"'"')'"'"' at column 9" &&
	printf "a +" > f && refused f "unexpected end of formula"
'
test_expect_success 'D16: a NUL inside the formula is refused, not the formula cut there' '
	jq -n "{type: \"multi\", name: \"m\", calculate_output: \"a\\u0000 + b\",
		graders: {a: {type: \"gene_rank\", name: \"a\"}, b: {type: \"gene_rank\", name: \"b\"}}}" > nul.json &&
	test_must_fail 78 rft-grade --validate -g nul.json 2> err &&
	grep_err "nul.json (m): calculate_output: unexpected U+0000 at column 2" err
'

# D19: every entry of a JSON list of answers is a place
cat > d19.jsonl <<'EOF'
{"id":"number_first","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[12345,"AAGAB","KMT2D"]}}}
{"id":"junk_first","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":["junk","AAGAB"]}}}
{"id":"every_kind","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[null,true,{"x":"AAGAB"},["AAGAB"],{"symbol":7},1.5,"","**"," . ",{"symbol":" "},"AAGAB"]}}}
{"id":"no_repeat","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[1,1,"junk","JUNK","AAGAB"]}}}
{"id":"cut_at_max_list","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,"AAGAB"]}}}
{"id":"last_place","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,"AAGAB"]}}}
{"id":"only_numbers","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[1,2]}}}
{"id":"symbol_objects","reference":{"genes":["AAGAB"]},"sample":{"output_json":{"genes":[{"symbol":"KMT2D"},{"name":"KDM6A"},{"symbol":"AAGAB"}]}}}
{"id":"in_the_text","reference":{"genes":["AAGAB"]},"sample":{"output_text":"Ranked: {\"genes\": [false, {\"symbol\": null}, \"AAGAB\"]}"}}
{"id":"text_list_blank_item","reference":{"genes":["AAGAB"]},"sample":{"output_text":"Candidates: **, AAGAB, KMT2D"}}
EOF
test_expect_success 'D19: an entry that names no gene takes its place, in batch (spans) and --serve (a tree)' '
	rft-grade d19.jsonl | jq -c "[.id, .grade.reward, .grade.rank, .grade.predicted]" > batch &&
	jq -c "{item: del(.sample), sample: .sample}" d19.jsonl | rft-grade --serve |
	  jq -c "[.reward, .grade.rank, .grade.predicted]" > served0 &&
	jq -r .id d19.jsonl | paste -d" " - served0 | sed "s/^\([^ ]*\) \[/[\"\1\",/" > served &&
	cat > want <<-\EOF &&
	["number_first",0.5,2,["(number)","AAGAB","KMT2D"]]
	["junk_first",0.5,2,["JUNK","AAGAB"]]
	["every_kind",0.09090909090909091,11,["(null)","(boolean)","(object)","(array)","(object)","(number)","","","","","AAGAB"]]
	["no_repeat",0.25,4,["(number)","(number)","JUNK","AAGAB"]]
	["cut_at_max_list",0,null,["(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)"]]
	["last_place",0.05,20,["(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","(number)","AAGAB"]]
	["only_numbers",0,null,["(number)","(number)"]]
	["symbol_objects",0.3333333333333333,3,["KMT2D","(object)","AAGAB"]]
	["in_the_text",0.3333333333333333,3,["(boolean)","(object)","AAGAB"]]
	["text_list_blank_item",1,1,["AAGAB","KMT2D"]]
	EOF
	test_cmp want batch && test_cmp want served
'
if command -v python3 > /dev/null 2>&1; then
test_expect_success 'D19: the exported python grader gives the same rewards' '
	rft-grade --export-openai exported.json --dataset d19.jsonl &&
	rft-grade d19.jsonl | jq -c "[.id, .grade.reward]" > c.rewards &&
	python3 - exported.json d19.jsonl > py.rewards <<-\PY &&
	import json, sys
	ns = {}
	exec(json.load(open(sys.argv[1]))["source"], ns)
	for line in open(sys.argv[2], encoding="utf-8"):
	    row = json.loads(line)
	    v = ns["grade"](row.pop("sample"), row)
	    print(json.dumps([row["id"], int(v) if v == int(v) else v], separators=(",", ":")))
	PY
	test_cmp c.rewards py.rewards
'
else
	test_skip 'D19: exported python grader' 'no python3'
fi
