# rft-report's published figures: gene-cluster intervals on every headline
# figure, seeds that depend only on the run itself, the sign-flip test over
# genes, full-precision JSON, repeated cases, dominant genes, tie rules.
. "$T/lib.sh"
R="$TD/report"

# graded CASE GENE RANK|null MODEL [TIE]: one made-up graded line
graded() {
	if [ "$3" = null ]; then list='["Z"]'; rew=0; else list='["A"'; j=2; while [ $j -le "$3" ]; do list="$list,\"A$j\""; j=$((j + 1)); done; list="$list]"; rew=1; fi
	tie=; [ -n "${5:-}" ] && tie=",\"tie_rule\":\"$5\""
	printf '{"id":"%s","split":"valid","reference":{"hgnc":"%s"},"sample":{"model":"%s"},"grade":{"name":"t","reward":%s,"rank":%s,"predicted":%s,"max_list":20%s}}\n' \
		"$1" "$2" "$4" "$rew" "$3" "$list" "$tie"
}

# one_way N NAME: NAME-a misses N cases of 50 genes that NAME-b finds first
# (every discordant pair one way: McNemar's smallest p for N)
one_way() {
	awk -v n="$1" "BEGIN { for (i = 1; i <= n; i++) {
		printf \"{\\\"id\\\":\\\"C%d\\\",\\\"reference\\\":{\\\"hgnc\\\":\\\"HGNC:%d\\\"},\\\"sample\\\":{\\\"model\\\":\\\"a\\\"},\\\"grade\\\":{\\\"reward\\\":0,\\\"rank\\\":null,\\\"predicted\\\":[]}}\\n\", i, i % 50 } }" > "$2-a" &&
	sed "s/\"model\":\"a\"/\"model\":\"b\"/; s/\"reward\":0,\"rank\":null,\"predicted\":\[\]/\"reward\":1,\"rank\":1,\"predicted\":[\"X\"]/" "$2-a" > "$2-b"
}

test_expect_success 'adding a file (or reordering lines) never moves a run'"'"'s intervals' '
	rft-report --json "$R/base.jsonl" > one.json &&
	rft-report --json "$R/base.jsonl" "$R/tuned.jsonl" > two.json &&
	rft-report --json --unpaired "$R/base.jsonl" "$R/other-cases.jsonl" > three.json &&
	tac "$R/base.jsonl" > rev.jsonl && rft-report --json rev.jsonl > rev.json &&
	f="[.groups[0] | .top1, .top3, .top5, .top10, .topmax, .mrr, .reward, (.macro_intervals | .[] | objects) | [.lo, .hi]]" &&
	a=$(jq -c "$f" one.json) &&
	test "$a" = "$(jq -c "$f" two.json)" && test "$a" = "$(jq -c "$f" three.json)" &&
	test "$a" = "$(jq -c "$f" rev.json)"
'
test_expect_success 'every headline interval is a gene-cluster bootstrap around the point; Wilson is named' '
	jq -e ".groups[0] | [.top1, .top3, .top5, .top10, .topmax, .mrr, .reward] |
		all(.interval == \"gene-cluster bootstrap (percentile, B=1000)\" and .lo <= .value and .value <= .hi)" one.json &&
	jq -e ".groups[0] | [.top1, .top3, .top5, .top10, .topmax] | all(.value == .hits / 10 and .wilson.lo < .wilson.hi)" one.json &&
	jq -e ".groups[0] | .macro_intervals as \$m | .macro | to_entries |
		all(.value as \$v | \$m[.key] | .value == \$v and .lo <= \$v and \$v <= .hi)" one.json &&
	rft-report "$R/base.jsonl" > t.txt && grep -q "gene-cluster bootstrap (percentile, B=1000)" t.txt &&
	grep -q "Wilson score intervals (secondary" t.txt
'
test_expect_success 'a run dominated by one gene: its interval is several times the Wilson width, and it is reported' '
	: > dom && i=1 && while [ $i -le 50 ]; do graded D$i HGNC:1 1 m >> dom; graded E$i HGNC:$((i + 1)) null m >> dom; i=$((i + 1)); done &&
	rft-report --json dom > dom.json &&
	jq -e ".groups[0].top1 | .value == 0.5 and (.hi - .lo) > 3 * (.wilson.hi - .wilson.lo)" dom.json &&
	jq -e ".groups[0].dominant_gene | .gene == \"HGNC:1\" and .cases == 50 and .share == 0.5 and .top1_of_gene == 1 and
		.without.n == 50 and .without.top1.value == 0 and .without.mrr.value == 0" dom.json &&
	rft-report dom > dom.txt && grep -q "^Dominant genes: one gene holds more than a fifth" dom.txt &&
	grep -q "| HGNC:1 | 50 *| 50.0 *| 50 " dom.txt &&
	jq -e ".groups[0].dominant_gene == null" one.json | grep -q false
'
test_expect_success 'sign-flip test over genes: a consistent gain over 30 genes gives p = 1/(B+1); McNemar in full precision' '
	: > a && : > b && i=1 && while [ $i -le 30 ]; do graded C$i HGNC:$i null a >> a; graded C$i HGNC:$i 1 b >> b; i=$((i + 1)); done &&
	rft-report --json --bootstrap 999 a b > ab.json &&
	jq -e ".comparisons[0] | [.top1, .top5, .topmax, .mrr, .reward] | all(.p == 0.001 and .test == \"sign-flip permutation over genes (B=999)\")" ab.json &&
	jq -e ".comparisons[0].mcnemar_top1 | .p == 1.862645149230957e-09 and .test == \"McNemar exact (cases)\"" ab.json &&
	grep -q "\"p\":1.862645149230957e-09" ab.json &&
	rft-report --bootstrap 999 a b > ab.txt && grep -q "| 1.86e-09 *| 0.001 " ab.txt && ! grep -q "0\.0000" ab.txt
'
test_expect_success 'a McNemar p far below 1e-200 is written in scientific notation, never 0' '
	one_way 700 big &&
	rft-report --json --bootstrap 50 big-a big-b > big.json &&
	jq -e ".comparisons[0].mcnemar_top1 | .lost == 0 and .gained == 700 and .p > 0 and .p < 1e-200" big.json &&
	grep -Fq "\"p\":3.80218313259032e-211" big.json &&
	rft-report --bootstrap 50 big-a big-b | grep -Fq "| 3.80e-211 "
'
test_expect_success 'a McNemar p below the smallest double keeps its exponent in the text (never 0) and log10_p' '
	one_way 1914 huge &&
	rft-report --json --bootstrap 50 huge-a huge-b > huge.json &&
	grep -Fq "\"p\":1.347778e-576,\"log10_p\":-575.87038170519" huge.json &&
	jq -e ".comparisons[0].mcnemar_top1 | .gained == 1914 and .lost == 0 and (.log10_p | . < -575.87 and . > -575.88)" huge.json &&
	rft-report --bootstrap 50 huge-a huge-b | grep -Fq "| 1.35e-576 "
'
test_expect_success 'JSON numbers are the shortest text that reads back the same double' '
	: > thirds && for i in 1 2 3; do graded C$i HGNC:$i $([ $i = 1 ] && echo 1 || echo null) m >> thirds; done &&
	rft-report --json thirds > thirds.json &&
	grep -q "\"top1\":{\"hits\":1,\"value\":0.3333333333333333," thirds.json
'
test_expect_success 'a case twice in a run is an error naming both places (65); --allow-repeats pools' '
	sed "s/\"model\":\"base\"/\"model\":\"base\"/" "$R/base.jsonl" > aw0.jsonl &&
	test_must_fail 65 rft-report --by model "$R/base.jsonl" aw0.jsonl > out 2> err &&
	grep_err "case C01 appears twice in run '"'"'base'"'"': $R/base.jsonl:1 and aw0.jsonl:1" err &&
	grep_err "--allow-repeats" err && ! test -s out &&
	rft-report --json --by model --allow-repeats "$R/base.jsonl" aw0.jsonl > pooled.json &&
	jq -e ".groups | length == 1 and .[0].n == 20" pooled.json
'
test_expect_success 'the tie rules a grader recorded are shown per run; none recorded is "list order"' '
	{ graded C1 HGNC:1 1 m "lower HGNC number"; graded C2 HGNC:2 null m; graded C3 HGNC:3 2 m "lower HGNC number"; } > ties &&
	rft-report --json ties > ties.json &&
	jq -e ".groups[0].provenance[\"tie rule\"] == \"lower HGNC number, list order\"" ties.json &&
	jq -e ".groups[0].provenance[\"tie rule\"] == \"list order\"" one.json &&
	rft-report ties | grep -q "| m/valid | lower HGNC number, list order |"
'
