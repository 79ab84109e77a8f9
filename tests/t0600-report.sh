# rft-report: figures against the hand-computed values in testdata/report/README.md,
# interval code against known values, comparisons, --fail-below, history, HTML in Chromium.
. "$T/lib.sh"
R="$TD/report"

# near FILE JQ-EXPR VALUE: the number at EXPR equals VALUE to 1e-6
near() {
	jq -e --argjson want "$3" "($2) as \$v | (\$v - \$want) | fabs < 1e-6" "$1" > /dev/null && return 0
	echo "$2 is $(jq -c "$2" "$1"), expected $3" >&2
	return 1
}

# graded LINE: a made-up graded line for case $1, gene $2, rank $3 (or null), model $4
graded() {
	if [ "$3" = null ]; then list='["Z"]'; rew=0; else list='["A"'; j=2; while [ $j -le "$3" ]; do list="$list,\"A$j\""; j=$((j + 1)); done; list="$list]"; rew=1; fi
	printf '{"id":"%s","split":"valid","reference":{"hgnc":"%s"},"sample":{"model":"%s"},"grade":{"name":"t","reward":%s,"rank":%s,"predicted":%s,"max_list":20}}\n' \
		"$1" "$2" "$4" "$rew" "$3" "$list"
}

test_expect_success 'case-level figures of the base run match the hand computation' '
	rft-report --json "$R/base.jsonl" > base.json &&
	g=".groups[0]" &&
	near base.json "$g.n" 10 && near base.json "$g.top1.value" 0.2 && near base.json "$g.top3.value" 0.4 &&
	near base.json "$g.top5.value" 0.5 && near base.json "$g.top10.value" 0.5 &&
	near base.json "$g.topmax.value" 0.6 && near base.json "$g.mrr.value" 0.311667 &&
	near base.json "$g.reward.value" 0.325 && near base.json "$g.parse_errors.hits" 1 &&
	near base.json "$g.call_errors.hits" 1 && near base.json "$g.no_answer" 1 &&
	near base.json "$g.mean_list_length" 3.3 && near base.json "$g.genes" 4 &&
	test "$(jq -c "$g.ranks" base.json)" = "{\"1\":2,\"2-3\":2,\"4-5\":1,\"6-10\":0,\">10\":1,\"missed\":4}" &&
	near base.json "$g.topk[0]" 0.2 && near base.json "$g.topk[11]" 0.6 && near base.json "$g.topk | length" 20
'
test_expect_success 'macro (gene-level) figures match the hand computation' '
	g=".groups[0].macro" &&
	near base.json "$g.top1" 0.125 && near base.json "$g.top5" 0.520833 &&
	near base.json "$g.topmax" 0.645833 && near base.json "$g.mrr" 0.266667 &&
	near base.json "$g.reward" 0.289583
'
test_expect_success 'Wilson intervals: 2/10 and 5/10 of the fixtures, 5/20, 0/10 and 10/10' '
	near base.json ".groups[0].top1.wilson.lo" 0.056682 && near base.json ".groups[0].top1.wilson.hi" 0.509838 &&
	: > w20 && i=1 && while [ $i -le 20 ]; do
		if [ $i -le 5 ]; then graded C$i HGNC:$i 1 m >> w20; else graded C$i HGNC:$i null m >> w20; fi
		i=$((i + 1)); done &&
	rft-report --json w20 > w20.json &&
	jq -e ".groups[0].top1.wilson | (.lo * 10000 | round) == 1119 and (.hi * 10000 | round) == 4687" w20.json &&
	jq -e ".groups[0].topmax.wilson | .lo == 0.111862 or ((.lo * 10000 | round) == 1119)" w20.json &&
	: > w10 && i=1 && while [ $i -le 10 ]; do graded C$i HGNC:1 null m >> w10; i=$((i + 1)); done &&
	rft-report --json w10 > w10.json &&
	jq -e ".groups[0].top1.wilson | .lo == 0 and ((.hi * 10000 | round) == 2775)" w10.json &&
	sed "s/\"rank\":null,\"predicted\":\[\"Z\"\]/\"rank\":1,\"predicted\":[\"Z\"]/" w10 > h10 &&
	rft-report --json h10 > h10.json &&
	jq -e ".groups[0].top1.wilson | .hi == 1 and ((.lo * 10000 | round) == 7225)" h10.json
'
test_expect_success 'paired comparison: differences, cases gained and lost, McNemar 4 vs 1 = 0.375' '
	rft-report --json "$R/base.jsonl" "$R/tuned.jsonl" > cmp.json &&
	c=".comparisons[0]" && near cmp.json "$c.cases" 10 &&
	near cmp.json "$c.top1.diff" 0.3 && near cmp.json "$c.top5.diff" 0.3 &&
	near cmp.json "$c.topmax.diff" 0.2 && near cmp.json "$c.mrr.diff" 0.305 &&
	near cmp.json "$c.reward.diff" 0.291667 &&
	test "$(jq -c "[$c.gained, $c.lost]" cmp.json)" = "[[\"C02\",\"C03\",\"C05\",\"C08\"],[\"C04\"]]" &&
	near cmp.json "$c.mcnemar_top1.p" 0.375 && jq -e "$c.paired" cmp.json &&
	jq -e "$c.top1 | .lo <= .diff and .diff <= .hi" cmp.json
'
test_expect_success 'McNemar exact test: 1 lost and 9 gained gives p = 0.021484' '
	: > a && : > b && i=1 && while [ $i -le 10 ]; do
		if [ $i = 1 ]; then graded C$i HGNC:$i 1 a >> a; graded C$i HGNC:$i 2 b >> b
		else graded C$i HGNC:$i null a >> a; graded C$i HGNC:$i 1 b >> b; fi
		i=$((i + 1)); done &&
	rft-report --json a b > ab.json &&
	near ab.json ".comparisons[0].mcnemar_top1.p" 0.021484 &&
	near ab.json ".comparisons[0].mcnemar_top1.lost" 1 && near ab.json ".comparisons[0].mcnemar_top1.gained" 9
'
test_expect_success 'runs over different cases are refused unless --unpaired' '
	test_must_fail 65 rft-report "$R/base.jsonl" "$R/other-cases.jsonl" > out 2> err &&
	grep_err "not over the same cases" err && grep_err "--unpaired" err && ! test -s out &&
	rft-report --unpaired --json "$R/base.jsonl" "$R/other-cases.jsonl" > un.json &&
	jq -e ".comparisons[0] | (.paired | not) and (has(\"mcnemar_top1\") | not) and .top1.lo < .top1.hi" un.json
'
test_expect_success 'the bootstrap is deterministic for a seed and moves with it' '
	rft-report --json --date d --seed 5 "$R/base.jsonl" "$R/tuned.jsonl" > s5a &&
	rft-report --json --date d --seed 5 "$R/base.jsonl" "$R/tuned.jsonl" > s5b &&
	rft-report --json --date d --seed 6 "$R/base.jsonl" "$R/tuned.jsonl" > s6 &&
	test_cmp s5a s5b && ! cmp -s s5a s6 &&
	jq -e ".groups[0].mrr | .lo <= .value and .value <= .hi" s5a &&
	rft-report --json --bootstrap 0 "$R/base.jsonl" > b0.json &&
	jq -e ".groups[0].mrr.lo == null" b0.json
'
test_expect_success 'a run interval does not depend on the other runs in the input' '
	rft-report --json --by model "$R/base.jsonl" > one.json &&
	cat "$R/base.jsonl" "$R/tuned.jsonl" | rft-report --json --by model > two.json &&
	test "$(jq -c ".groups[0].mrr" one.json)" = "$(jq -c ".groups[0].mrr" two.json)"
'
test_expect_success '--by takes dotted paths (an ablation field) and @file' '
	jq -c ".prompt = {\"variant\": \"no-absent\"}" "$R/base.jsonl" > v1 &&
	jq -c ".prompt = {\"variant\": \"absent\"}" "$R/tuned.jsonl" > v2 &&
	cat v1 v2 | rft-report --json --by prompt.variant > v.json &&
	test "$(jq -c "[.groups[].by[\"prompt.variant\"]]" v.json)" = "[\"no-absent\",\"absent\"]" &&
	rft-report --json --by @file v1 v2 > f.json &&
	test "$(jq -c "[.groups[].by[\"@file\"]]" f.json)" = "[\"v1\",\"v2\"]"
'
test_expect_success 'a failed call counts in the run its error names (rft-rank error lines)' '
	printf "%s\n" "{\"id\":\"c1\",\"sample\":{\"model\":\"m\"},\"grade\":{\"reward\":1,\"rank\":1,\"predicted\":[\"A\"]}}" \
		"{\"id\":\"c2\",\"error\":{\"model\":\"m\",\"message\":\"no term\"},\"grade\":{\"reward\":0,\"rank\":null,\"predicted\":[]}}" > err.jsonl &&
	rft-report --by model --json err.jsonl > err.json &&
	jq -e ".groups | length == 1" err.json && jq -e ".groups[0].n == 2 and .groups[0].call_errors.hits == 1" err.json
'
test_expect_success '--fail-below exits 1 naming the figure, after writing the report' '
	test_must_fail 1 rft-report -o rep.txt --fail-below top1=0.25,mrr=0.3 "$R/base.jsonl" 2> err &&
	grep_err "base/valid: top1 0.2000 is below 0.25" err && ! grep -q mrr err && test -s rep.txt &&
	rft-report -o rep2.txt --fail-below top1=0.2,macro_top1=0.1 "$R/base.jsonl" 2> err &&
	! test -s err
'
test_expect_success '--tsv: PhEval gene-result columns, one row per predicted gene' '
	rft-report --tsv "$R/base.jsonl" > t.tsv &&
	test "$(head -1 t.tsv)" = "$(printf "rank\tscore\tgene_symbol\tgene_identifier\ttrue_positive\tcase_id\trun")" &&
	test "$(sed 1d t.tsv | wc -l)" = 33 &&
	test "$(awk -F"\t" "\$5 == \"True\"" t.tsv | wc -l)" = 6 &&
	awk -F"\t" "\$6 == \"C08\" && \$1 == 12 && \$3 == \"GC\" && \$4 == \"HGNC:3\" && \$5 == \"True\"" t.tsv | grep -q .
'
test_expect_success '--history appends every run; the page shows the trend' '
	rft-report --history h.db --date 2025-01-01 --by model "$R/base.jsonl" > /dev/null &&
	rft-report --history h.db --date 2025-02-01 --by model --html page.html "$R/tuned.jsonl" "$R/base.jsonl" > /dev/null &&
	if command -v sqlite3 > /dev/null; then
		test "$(sqlite3 h.db "select count(*) from report_runs")" = 3 &&
		test "$(sqlite3 h.db "select run || \" \" || round(top1, 2) from report_runs order by rowid" | tr "\n" ,)" = "base 0.2,tuned 0.5,base 0.2,"
	fi &&
	test "$(grep -c "<path class=\"trend\"" page.html)" = 2 &&
	grep -q "2025-01-01" page.html
'
test_expect_success 'the page is self-contained: no script, no external reference' '
	rft-report --html p.html --date 2025-03-01 "$R/base.jsonl" "$R/tuned.jsonl" > /dev/null &&
	! grep -qi "<script" p.html && ! grep -Eqi "(src|href)=" p.html &&
	test "$(grep -c "<path class=\"curve\"" p.html)" = 2 &&
	grep -q "gene_rank" p.html && grep -q "not recorded" p.html && grep -q "made-up-1" p.html
'
chrome=
for c in chromium chromium-browser; do command -v $c > /dev/null 2>&1 && { chrome=$c; break; }; done
if [ -z "$chrome" ]; then
	test_skip 'the HTML renders its SVG charts in headless Chromium' 'chromium is not installed (apt-get install chromium)'
else
	test_expect_success 'the HTML renders its SVG charts in headless Chromium' '
		run_chrome() {
			ud=$(mktemp -d "${TMPDIR:-/tmp}/rft-chrome.XXXXXX") &&
			timeout 120 $chrome --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
				--disable-background-networking --disable-component-update --disable-sync \
				--user-data-dir="$ud" "$@" 2> /dev/null
			st=$?; rm -rf "$ud"; return $st
		} &&
		run_chrome --dump-dom "file://$PWD/p.html" > dom.html &&
		test "$(grep -o "<path class=\"curve\"[^>]* d=\"M[^\"]*\"" dom.html | wc -l)" = 2 &&
		test "$(grep -o "<rect class=\"bucket\"" dom.html | wc -l)" -ge 8 &&
		grep -q "<svg id=\"topk\"" dom.html &&
		printf "<!DOCTYPE html><html><body></body></html>\n" > blank.html &&
		run_chrome --window-size=800,600 --screenshot="$PWD/blank.png" "file://$PWD/blank.html" &&
		run_chrome --window-size=800,600 --screenshot="$PWD/page.png" "file://$PWD/p.html" &&
		test -s page.png && test "$(wc -c < page.png)" -gt $(( $(wc -c < blank.png) * 5 ))
	'
fi
