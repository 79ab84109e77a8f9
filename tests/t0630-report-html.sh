# rft-report --html in headless Chromium at 1,400 px: real tables (MRR,
# reward and the comparison visible), the comparison's cases, Top-k curves
# with bands and ticks, history markers, data versions as a table, and no
# element wider than the window.
. "$T/lib.sh"
R="$TD/report"

chrome=
for c in chromium chromium-browser; do command -v $c > /dev/null 2>&1 && { chrome=$c; break; }; done

test_expect_success 'the page holds the summary as HTML tables and the comparison section' '
	rft-report --history h.db --date 2025-01-01 --by model "$R/base.jsonl" > /dev/null &&
	rft-report --history h.db --date 2025-02-01 --html p.html "$R/base.jsonl" "$R/tuned.jsonl" > /dev/null &&
	! grep -q "<pre>" p.html && ! grep -qi "<script" p.html &&
	grep -q "<th>MRR</th>" p.html && grep -q "<th>reward</th>" p.html &&
	grep -q "<td>0.312 \[0.057, 0.567\]</td>" p.html &&
	grep -q "<th>sign-flip Top-1</th>" p.html && grep -q "<td>0.375</td>" p.html &&
	grep -q "<h2>Cases gained and lost at Top-1" p.html &&
	grep -q "<tr><td>C04</td><td>HGNC:1</td><td>lost</td></tr>" p.html &&
	grep -q "gene-cluster bootstrap (percentile, B=1000)" p.html &&
	grep -q "<h2>Dominant genes" p.html &&
	grep -q "<h2>Data versions</h2>" p.html && grep -q "<tr><td>corpus</td><td>made-up-1</td><td>made-up-1</td></tr>" p.html &&
	test "$(grep -c "<path class=\"band\"" p.html)" = 2 &&
	test "$(grep -c "<text class=\"tick\"" p.html)" -ge 4 &&
	test "$(grep -c "<circle class=\"point\"" p.html)" = 3
'
if [ -z "$chrome" ]; then
	test_skip 'the page renders at 1,400 px with nothing wider than the window' 'chromium is not installed (apt-get install chromium)'
else
	test_expect_success 'the page renders at 1,400 px with nothing wider than the window' '
		run_chrome() {
			ud=$(mktemp -d "${TMPDIR:-/tmp}/rft-chrome.XXXXXX") &&
			timeout 120 $chrome --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
				--disable-background-networking --disable-component-update --disable-sync \
				--user-data-dir="$ud" --window-size=1400,2000 "$@" 2> /dev/null
			st=$?; rm -rf "$ud"; return $st
		} &&
		run_chrome --dump-dom "file://$PWD/p.html" > dom.html &&
		grep -q "<svg id=\"topk\"" dom.html && grep -q "<svg id=\"trend\"" dom.html &&
		test "$(grep -o "<path class=\"band\"[^>]* d=\"M[^\"]*Z\"" dom.html | wc -l)" = 2 &&
		# a copy of the page (rft-report writes no script) that records, on
		# load, the widest extent of any element
		sed "s|</body>|<script>var m=document.documentElement.scrollWidth;document.querySelectorAll(\"*\").forEach(function(e){m=Math.max(m,Math.ceil(e.getBoundingClientRect().right))});document.body.setAttribute(\"data-maxright\",m);document.body.setAttribute(\"data-vw\",window.innerWidth)</script></body>|" p.html > probe.html &&
		run_chrome --dump-dom "file://$PWD/probe.html" > probe.dom &&
		w=$(sed -n "s/.*data-maxright=\"\([0-9]*\)\".*/\1/p" probe.dom) &&
		vw=$(sed -n "s/.*data-vw=\"\([0-9]*\)\".*/\1/p" probe.dom) &&
		test -n "$w" && test -n "$vw" && test "$vw" -ge 1000 &&
		{ test "$w" -le "$vw" || { echo "an element reaches $w px in a $vw px window" >&2; false; }; } &&
		printf "<!DOCTYPE html><html><body></body></html>\n" > blank.html &&
		run_chrome --screenshot="$PWD/blank.png" "file://$PWD/blank.html" &&
		run_chrome --screenshot="$PWD/page.png" "file://$PWD/p.html" &&
		test -s page.png && test "$(wc -c < page.png)" -gt $(( $(wc -c < blank.png) * 5 ))
	'
fi
