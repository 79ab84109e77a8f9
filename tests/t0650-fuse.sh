# rft-fuse: every rule against an independent python reference (tests/fuse-ref.py)
# on generated runs, hand-computed golden cases, provenance, --sorted, bad input.
. "$T/lib.sh"

# three runs of one case x (and y), small enough to fuse by hand:
#   a: A B C (scores 3 2 1)   b: B D A (no scores)   c: D C
line() {  # line ID MODEL GENES-JSON [RANKING-JSON]
	printf '{"id":"%s","reference":{"gene":"A","genes":[{"symbol":"A"}]},"sample":{"model":"%s","output_json":{"genes":%s}%s}}\n' \
		"$1" "$2" "$3" "${4:+,\"ranking\":$4}"
}
line x ma '["A","B","C"]' '[{"symbol":"A","hgnc":"HGNC:1","score":3},{"symbol":"B","score":2},{"symbol":"C","score":1}]' > a.jsonl
line y ma '["A"]' >> a.jsonl
line x mb '["B","D","A"]' > b.jsonl
line y mb '["A"]' >> b.jsonl
line x mc '["D","C"]' > c.jsonl
line y mc '["A"]' >> c.jsonl

# genes RULE ARGS...: the fused list of case x, comma-separated
genes() {
	rft-fuse "$@" a.jsonl b.jsonl c.jsonl > fused.jsonl &&
	jq -r 'select(.id == "x") | .sample.output_json.genes | join(",")' fused.jsonl
}

test_expect_success 'golden: rrf (k 60) ranks B,D,A,C; B and D tie on score, B first by key' '
	test "$(genes --rule rrf)" = "B,D,A,C" &&
	jq -c "select(.id == \"x\")" fused.jsonl > x.json &&
	jq -e ".sample.ranking[0].fused_score == (1/62 + 1/61) and .sample.ranking[1].fused_score == .sample.ranking[0].fused_score" x.json > /dev/null &&
	test "$(jq -r "select(.id == \"x\") | .sample.ranking[] | select(.symbol == \"A\") | .hgnc" fused.jsonl)" = HGNC:1
'
test_expect_success 'the fused score is no "score": rft-grade keeps the fused order (no tie rule applied)' '
	rft-grade fused.jsonl > graded.jsonl &&
	test "$(jq -c "select(.id == \"x\") | [.grade.rank, (.grade | has(\"tie_rule\"))]" graded.jsonl)" = "[3,false]"
'
test_expect_success 'golden: borda (D = 3) B 5, D 5, A 4, C 3' '
	test "$(genes --rule borda)" = "B,D,A,C" &&
	test "$(jq -c "select(.id == \"x\") | [.sample.ranking[].fused_score]" fused.jsonl)" = "[5,5,4,3]"
'
test_expect_success 'golden: borda with a weighted 3: A 10, B 9, C 5, D 5' '
	test "$(genes --rule borda --weight a=3)" = "A,B,D,C" &&
	test "$(jq -c "select(.id == \"x\") | [.sample.ranking[].fused_score]" fused.jsonl)" = "[10,9,5,5]"
'
test_expect_success 'golden: score normalises a (1, .5, 0) and ranks b, c by place; 2 lists unscored' '
	test "$(genes --rule score 2> err)" = "B,D,A,C" &&
	test "$(jq -c "select(.id == \"x\") | [.sample.ranking[].fused_score]" fused.jsonl)" = "[1.5,1.5,1,0]" &&
	test "$(jq -c "select(.id == \"x\") | .sample.fuse.unscored" fused.jsonl)" = 2 &&
	grep_err "lists had no scores" err
'
test_expect_success 'golden: ranked pairs locks A>C B>D B>C D>A D>C: B,D,A,C (tie order alone: A,B,D,C)' '
	test "$(genes --rule rankedpairs)" = "B,D,A,C" &&
	jq -c "select(.id == \"x\")" fused.jsonl > x.json &&
	jq -e ".sample.ranking | all(has(\"fused_score\") | not)" x.json > /dev/null
'
test_expect_success 'golden: --depth 1 keeps each first gene: A,B,D tie, broken by key' '
	test "$(genes --rule rrf --depth 1)" = "A,B,D" &&
	test "$(jq -r "select(.id == \"x\") | .sample.fuse.depth" fused.jsonl)" = 1
'
test_expect_success 'weight 0 leaves a run out; the remaining runs decide' '
	test "$(genes --rule rrf --weight b=0 --weight c=0)" = "A,B,C" &&
	test "$(jq -c "select(.id == \"x\") | .sample.fuse.lists" fused.jsonl)" = 1
'
test_expect_success 'several completions of a run share its weight (w/m each), errors lose their share' '
	{ cat a.jsonl; line x ma2 "[\"C\"]"; printf "{\"id\":\"x\",\"reference\":{},\"error\":{\"message\":\"e\"}}\n"; } > a3.jsonl &&
	rft-fuse --rule rrf --k 0 a3.jsonl > f3.jsonl 2> err &&
	test "$(jq -c "select(.id == \"x\") | [.sample.ranking[] | [.symbol, .fused_score]]" f3.jsonl)" = \
	     "[[\"C\",0.4444444444444444],[\"A\",0.3333333333333333],[\"B\",0.16666666666666666]]" &&
	test "$(jq -r "select(.id == \"x\") | .sample.output_json.genes | join(\",\")" f3.jsonl)" = "C,A,B" &&
	test "$(jq -c "select(.id == \"x\") | .sample.fuse.runs[0] | [.lines, .lists, .errors, .models]" f3.jsonl)" = "[3,2,1,[\"ma\",\"ma2\"]]" &&
	grep_err "1 error lines, each counted as a missing list" err
'
test_expect_success 'provenance: rule, k, runs with name, file, models, weight; fields of the first run kept' '
	rft-fuse --rule rrf --k 10 first=a.jsonl b.jsonl --weight b=0.5 > p.jsonl &&
	test "$(jq -c "select(.id == \"x\") | .sample.fuse | [.rule, .k, .depth, .lists, .missing]" p.jsonl)" = "[\"rrf\",10,null,2,[]]" &&
	test "$(jq -c "select(.id == \"x\") | [.sample.fuse.runs[] | [.name, .file, .models, .weight]]" p.jsonl)" = \
	     "[[\"first\",\"a.jsonl\",[\"ma\"],1],[\"b\",\"b.jsonl\",[\"mb\"],0.5]]" &&
	test "$(jq -c "select(.id == \"x\") | del(.sample)" p.jsonl)" = "$(head -1 a.jsonl | jq -c "del(.sample)")" &&
	test "$(jq -r .sample.model p.jsonl | sort -u)" = rft-fuse/rrf &&
	jq -e "(.sample.output_text | fromjson) == .sample.output_json" p.jsonl > /dev/null
'
test_expect_success 'output order is the first run'"'"'s; reruns and argument order of options give the same bytes' '
	{ tail -1 a.jsonl; head -1 a.jsonl; } > a-yx.jsonl &&
	rft-fuse --rule borda a=a-yx.jsonl b.jsonl c.jsonl > o1 &&
	rft-fuse c.jsonl --rule borda b.jsonl > /dev/null &&
	rft-fuse a=a-yx.jsonl --rule borda b.jsonl c.jsonl > o2 &&
	test_cmp o1 o2 && test "$(jq -r .id o1 | tr "\n" ,)" = "y,x,"
'
test_expect_success 'a case missing from a run is an error naming it (65), no output file left' '
	head -1 b.jsonl > b1.jsonl &&
	test_must_fail 65 rft-fuse -o out.jsonl a.jsonl b1.jsonl 2> err &&
	grep_err "case '"'"'y'"'"' is missing from run '"'"'b1'"'"' (b1.jsonl)" err && ! test -e out.jsonl
'
test_expect_success '--allow-missing fuses without it, says so on stderr and in sample.fuse.missing' '
	rft-fuse --allow-missing a.jsonl b1.jsonl > m.jsonl 2> err &&
	grep_err "run '"'"'b1'"'"' (b1.jsonl): 1 of 2 cases missing" err &&
	test "$(jq -c "select(.id == \"y\") | [.sample.fuse.missing, .sample.fuse.runs[1].lines]" m.jsonl)" = "[[\"b1\"],0]"
'
test_expect_success 'a case only in a later run comes after the first run'"'"'s cases' '
	rft-fuse --allow-missing b1.jsonl a.jsonl > m2.jsonl 2> /dev/null &&
	test "$(jq -r .id m2.jsonl | tr "\n" ,)" = "x,y," &&
	test "$(jq -c "select(.id == \"y\") | .sample.fuse.missing" m2.jsonl)" = "[\"b1\"]"
'
test_expect_success '--sorted streams sorted runs to the same bytes; unsorted input is 65 naming FILE:LINE' '
	rft-fuse --rule rankedpairs a.jsonl b.jsonl c.jsonl > s0 &&
	rft-fuse --sorted --rule rankedpairs a.jsonl b.jsonl c.jsonl > s1 && test_cmp s0 s1 &&
	test_must_fail 65 rft-fuse --sorted a-yx.jsonl 2> err &&
	grep_err "a-yx.jsonl:2: case '"'"'x'"'"' comes after '"'"'y'"'"'" err
'
test_expect_success 'bad input: malformed JSON, no id, neither sample nor error: 65 with FILE:LINE' '
	{ head -1 a.jsonl; echo "{\"id\":\"y\",\"sample\":"; } > bad1.jsonl &&
	test_must_fail 65 rft-fuse bad1.jsonl 2> err && grep_err "bad1.jsonl:2: invalid JSON" err &&
	{ head -1 a.jsonl; echo "{\"sample\":{}}"; } > bad2.jsonl &&
	test_must_fail 65 rft-fuse bad2.jsonl 2> err && grep_err "bad2.jsonl:2: no string \"id\"" err &&
	echo "{\"id\":\"q\"}" > bad3.jsonl &&
	test_must_fail 65 rft-fuse bad3.jsonl 2> err && grep_err "bad3.jsonl:1: neither \"sample\" nor \"error\"" err &&
	echo "{\"id\":\"q\",\"sample\":[]}" > bad4.jsonl &&
	test_must_fail 65 rft-fuse bad4.jsonl 2> err && grep_err "bad4.jsonl:1: \"sample\" is an array" err
'
test_expect_success 'bad usage: weight, unknown run, rule, k, two runs of one name, none: 64' '
	test_must_fail 64 rft-fuse --weight a=-1 a.jsonl 2> err && grep_err "needs a number >= 0" err &&
	test_must_fail 64 rft-fuse --weight a=x a.jsonl 2> /dev/null &&
	test_must_fail 64 rft-fuse --weight zz=1 a.jsonl 2> err && grep_err "run '"'"'zz'"'"', which is not given" err &&
	test_must_fail 64 rft-fuse --rule best a.jsonl 2> /dev/null &&
	test_must_fail 64 rft-fuse --k -1 a.jsonl 2> /dev/null &&
	test_must_fail 64 rft-fuse a.jsonl a.jsonl 2> err && grep_err "two runs are named '"'"'a'"'"'" err &&
	test_must_fail 64 rft-fuse 2> /dev/null &&
	test_must_fail 66 rft-fuse nosuch.jsonl 2> /dev/null
'
test_expect_success '--spec sets rule, k, depth and weights; options override it; a bad spec is 78' '
	echo "{\"rule\":\"borda\",\"depth\":2,\"weights\":{\"a\":3},\"fit\":{\"folds\":3}}" > spec.json &&
	rft-fuse --spec spec.json a.jsonl b.jsonl c.jsonl > sp1 &&
	rft-fuse --rule borda --depth 2 --weight a=3 a.jsonl b.jsonl c.jsonl > sp2 && test_cmp sp1 sp2 &&
	rft-fuse --spec spec.json --weight a=1 --rule rrf a.jsonl b.jsonl c.jsonl > sp3 &&
	rft-fuse --depth 2 a.jsonl b.jsonl c.jsonl > sp4 && test_cmp sp3 sp4 &&
	echo "{\"rule\":\"vote\"}" > bad.json && test_must_fail 78 rft-fuse --spec bad.json a.jsonl 2> /dev/null &&
	echo "{\"weights\":{\"zz\":1}}" > bad2.json && test_must_fail 78 rft-fuse --spec bad2.json a.jsonl 2> err &&
	grep_err "name run '"'"'zz'"'"'" err
'

# generated runs: every rule, weights, depth, k, ties, repeats, blank and
# non-name entries, several completions, error lines, unparsed samples,
# missing cases; the C output projected must equal the reference's exactly
nseeds=150
[ "${RFT_VALGRIND:-0}" = 1 ] && nseeds=15
compare_seeds() {  # compare_seeds FIRST LAST [--sorted]
	s=$1; last=$2; srt=${3:-}; bad=0
	while [ "$s" -le "$last" ]; do
		rm -rf g && mkdir g &&
		python3 "$T/fuse-ref.py" gen "$s" g $srt > g/args || return 1
		set --; while IFS= read -r a; do set -- "$@" "$a"; done < g/args
		rft-fuse $srt "$@" > g/c.jsonl 2> g/c.err; rc=$?
		python3 "$T/fuse-ref.py" fuse "$@" > g/ref 2> /dev/null; rr=$?
		if [ "$rc" != "$rr" ]; then echo "seed $s: exit $rc, the reference $rr: $*"; cat g/c.err; bad=$((bad + 1))
		elif [ "$rc" = 0 ]; then
			python3 "$T/fuse-ref.py" project g/c.jsonl > g/proj || return 1
			if ! cmp -s g/proj g/ref; then echo "seed $s differs: $*"; diff g/proj g/ref | head -6; bad=$((bad + 1)); fi
			cat g/ref >> compared
		fi
		s=$((s + 1))
	done
	return $bad
}
test_expect_success "generated runs: rft-fuse equals the python reference on $nseeds seeds" '
	: > compared && compare_seeds 1 $nseeds && test "$(wc -l < compared)" -ge $((nseeds * 4))
'
test_expect_success "generated sorted runs: --sorted equals the reference too" '
	compare_seeds 1001 $((1000 + nseeds / 3)) --sorted
'
test_expect_success 'the generated runs cover every rule, depth, weights, missing cases, several completions' '
	s=1; : > all.args; while [ $s -le $nseeds ]; do python3 "$T/fuse-ref.py" gen $s g >> all.args; s=$((s + 1)); done &&
	for w in rrf borda score rankedpairs --depth --weight --allow-missing --k; do grep -qx -- "$w" all.args || { echo "no $w"; exit 1; }; done
'
test_expect_success 'fusing real rft-rank samples: each rule, both methods, same gene set as the union' '
	rft-extract "$TD/phenopacket-store/all_phenopackets-sample.zip" 2> /dev/null | head -8 > cases.jsonl &&
	rft-rank -k 10 cases.jsonl > d.jsonl && rft-rank -k 10 -m gene cases.jsonl > gn.jsonl &&
	for r in rrf borda score rankedpairs; do
		rft-fuse --rule $r d.jsonl gn.jsonl > real-$r.jsonl || exit 1
		python3 "$T/fuse-ref.py" fuse --rule $r d.jsonl gn.jsonl > ref-$r || exit 1
		python3 "$T/fuse-ref.py" project real-$r.jsonl > proj-$r || exit 1
		test_cmp ref-$r proj-$r || exit 1
	done &&
	test "$(wc -l < real-rrf.jsonl)" -eq 8 &&
	jq -e ".sample.fuse.unscored == 0" real-score.jsonl > /dev/null
'
