# One strict JSON rule for every reader, and the tokener's state not
# carried from a bad record to the next (filters/common/json.c); templates
# of valid UTF-8, parsed in linear time (filters/common/template.c).
. "$T/lib.sh"

R="$TD/robustness"

# refused CODE MESSAGE cmd args...: exit CODE, MESSAGE on stderr, and no
# sanitizer report (the ASan build's LeakSanitizer exits 1 on its own, but
# a report after a die() with the right code must fail too)
refused() {
	_code=$1 _msg=$2; shift 2
	test_must_fail "$_code" "$@" > out 2> err &&
	grep_err "$_msg" err &&
	! grep -q "Sanitizer" err
}

test_expect_success 'D1: rft-grade --serve answers a request the same before and after a bad one ending in half a surrogate escape' '
	rft-grade --serve < "$R/tokener-poison-serve.jsonl" > answers &&
	test "$(wc -l < answers)" -eq 3 &&
	grep -q "invalid JSON at column 15: unexpected end of data" answers &&
	sed -n 1p answers > first && sed -n 3p answers > third &&
	test_cmp first third &&
	test "$(jq -c "[.reward, .grade.predicted]" third)" = "[1,[\"AAGAB\"]]"
'

test_expect_success 'D1: rft-extract --skip-bad decodes the next record'"'"'s escapes as they are' '
	rft-extract -j 1 --skip-bad "$R/tokener-poison-extract.jsonl" > out 2> err &&
	grep_err "tokener-poison-extract.jsonl:1: invalid JSON" err &&
	test "$(jq -r .id out)" = "café-PMID_24573067_CASE_REPORT"
'

test_expect_success 'D2: a UTF-8-encoded surrogate in a genes list is refused by the span fast path and the tree path alike' '
	refused 65 "grade-surrogate-in-genes.jsonl:1: invalid JSON at column 953: invalid UTF-8" \
	  rft-grade "$R/grade-surrogate-in-genes.jsonl" &&
	cp err fast &&
	refused 65 "grade-surrogate-in-genes.jsonl:1: invalid JSON at column 953: invalid UTF-8" \
	  rft-grade -g "$R/grader-multi-rank-treepath.json" "$R/grade-surrogate-in-genes.jsonl" &&
	test_cmp fast err &&
	rft-grade "$R/grade-plain-genes-control.jsonl" | jq -c "[.grade.rank, .grade.reward]" > a &&
	rft-grade -g "$R/grader-multi-rank-treepath.json" "$R/grade-plain-genes-control.jsonl" |
	  jq -c "[.grade.rank, .grade.reward]" > b &&
	echo "[3,0.3333333333333333]" > want && test_cmp want a && test_cmp want b
'

test_expect_success 'D3: overlong UTF-8, an encoded surrogate and a raw control character are refused by rft-extract' '
	refused 65 "extract-overlong-utf8.jsonl:1: invalid JSON at column 8: invalid UTF-8" \
	  rft-extract "$R/extract-overlong-utf8.jsonl" &&
	refused 65 "extract-surrogate-utf8.jsonl:1: invalid JSON at column 8: invalid UTF-8" \
	  rft-extract "$R/extract-surrogate-utf8.jsonl" &&
	refused 65 "extract-raw-control-char.jsonl:1: invalid JSON at column 9: control character in a string" \
	  rft-extract "$R/extract-raw-control-char.jsonl"
'

# one line per case: file name, the line, the message after "FILE:1: "
cat > cases <<'EOF'
overlong	{"id":"a\0300\0257b"}	invalid JSON at column 9: invalid UTF-8
surrogate	{"id":"a\0355\0240\0200b"}	invalid JSON at column 9: invalid UTF-8
past10ffff	{"id":"a\0364\0220\0200\0200b"}	invalid JSON at column 9: invalid UTF-8
f5	{"id":"a\0365\0200\0200\0200b"}	invalid JSON at column 9: invalid UTF-8
ctrl	{"id":"a\0001b"}	invalid JSON at column 9: control character in a string
nul	{"id":"a\0000b"}	invalid JSON at column 9: control character in a string
nan	{"id":"x","n":NaN}	invalid JSON at column 15: NaN and Infinity are not JSON numbers
inf	{"id":"x","n":Infinity}	invalid JSON at column 15: NaN and Infinity are not JSON numbers
neginf	{"id":"x","n":-Infinity}	invalid JSON at column 15: NaN and Infinity are not JSON numbers
zero0	{"id":"x","n":00}	invalid JSON at column 16: number with a leading zero
negzero0	{"id":"x","n":-00}	invalid JSON at column 17: number with a leading zero
dot	{"id":"x","n":1.}	invalid JSON at column 17: number expected
lone	{"id":"\\ud800x"}	invalid JSON at column 8: unpaired surrogate escape
lowalone	{"id":"\\udc00"}	invalid JSON at column 8: unpaired surrogate escape
hugeint	{"id":"x","n":123456789012345678901}	invalid JSON at column 15: integer out of the 64-bit range
EOF

test_expect_success 'D3: one rule, one message through split, prompt, grade, report and call' '
	ok=1 &&
	while IFS="	" read -r name line msg; do
		printf "%b\n" "$line" > "$name.jsonl" &&
		for cmd in rft-split rft-prompt rft-grade rft-report "rft-call --dry-run"; do
			if ! refused 65 "$name.jsonl:1: $msg" $cmd "$name.jsonl"; then
				echo "$cmd $name: wrong" >&2; ok=0
			fi
		done
	done < cases &&
	test $ok = 1
'

test_expect_success 'D3: what the rule still accepts (escaped control characters, a surrogate pair, -0, 1.5e5, 2^64-1, -2^63)' '
	cat > good.jsonl <<-\EOF &&
	{"id":"a\u0001\ud83d\ude00 \u00e9","n":-0,"m":1.5e5,"k":18446744073709551615,"j":-9223372036854775808,"reference":{"genes":[{"symbol":"AAGAB","hgnc":"HGNC:25662"}]},"sample":{"output_text":"AAGAB"}}
	EOF
	rft-grade good.jsonl > out &&
	grep -qF "\"n\":-0,\"m\":1.5e5,\"k\":18446744073709551615,\"j\":-9223372036854775808," out &&
	test "$(jq -r "[.id, .grade.reward] | @json" out)" = "$(printf "[\"a\\\\u0001\360\237\230\200 \303\251\",1]")"
'

test_expect_success 'D4: a NaN or -Infinity reward is refused by rft-report, as 1e999 is' '
	refused 65 "report-nan-reward.jsonl:1: invalid JSON at column 193: NaN and Infinity are not JSON numbers" \
	  rft-report --json "$R/report-nan-reward.jsonl" &&
	refused 65 "report-neginf-reward.jsonl:1: invalid JSON at column 193: NaN and Infinity are not JSON numbers" \
	  rft-report --json "$R/report-neginf-reward.jsonl" &&
	refused 65 "report-1e999-reward-control.jsonl:1: grade.reward 1e999 is not finite" \
	  rft-report --json "$R/report-1e999-reward-control.jsonl"
'

test_expect_success 'D5: a NUL after the document is refused, nothing leaks' '
	for cmd in rft-grade rft-extract rft-report; do
		refused 65 "nul-after-document.jsonl:1: invalid JSON at column 11: unexpected data after the JSON value" \
		  $cmd "$R/nul-after-document.jsonl" || return 1
	done
'

test_expect_success 'D15: a template with invalid UTF-8 is refused with FILE:LINE:COL' '
	refused 78 "template-invalid-utf8.tmpl:1:4: invalid UTF-8" \
	  rft-prompt -t "$R/template-invalid-utf8.tmpl" "$R/case-1.jsonl" &&
	printf "ok {{case.id}}\nthen \300\257\n" > overlong.tmpl &&
	refused 78 "overlong.tmpl:2:6: invalid UTF-8" rft-prompt -t overlong.tmpl "$R/case-1.jsonl"
'

test_expect_success 'D14: a template of 200,000 tags parses in linear time (minutes before; bound 20 s)' '
	python3 "$R/make-template-quadratic.py" 200000 &&
	timeout 20 rft-prompt -t template-many-tags.tmpl "$R/case-1.jsonl" > out &&
	test "$(jq -r ".messages[0].content | length" out)" -eq $((200000 * $(jq -r ".id | length" "$R/case-1.jsonl")))
'
