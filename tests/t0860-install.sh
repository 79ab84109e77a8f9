# make install PREFIX=DIR after a plain make (the tree's programs were built
# with the default PREFIX compiled in), then the installed commands used from
# another directory with only the installed bin/ and the system's on PATH:
# the demo pipeline gives the in-tree demo's summary, rft-rank, rft-grade and
# --export-openai find their data beside bin/, a missing folder is reported
# with every place looked, DESTDIR stages, make uninstall leaves nothing.
# The install copies what is built (RFT_BIN's programs); it never rebuilds.
. "$T/lib.sh"

bindir=${RFT_BIN:-bin}
P=$PWD/p
sysPATH=/usr/bin:/bin
vg=
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	vg="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect"
fi
# run CMD... as a new user would: installed bin/ and the system's, nothing else
inst() { env -u RFT_HPO_DIR -u RFT_HGNC -u RFT_DATADIR PATH="$P/bin:$sysPATH" "$@"; }
mk() { make -s -C "$top" BINDIR="$bindir" "$@"; }
tree() { (cd "$1" && find . | LC_ALL=C sort); }
# same_samples A B: equal but for the time each answer took
same_samples() {
	jq -c "del(.sample.latency_ms)" "$1" > "$1.nolat" && jq -c "del(.sample.latency_ms)" "$2" > "$2.nolat" &&
	test_cmp "$1.nolat" "$2.nolat"
}

test_expect_success 'the tree is built: make install has nothing to rebuild' '
	mk -q all
'
test_expect_success 'make install PREFIX=DIR: programs, man pages, data, pipelines, sample; MANIFEST lists them' '
	mk install PREFIX="$P" > out 2>&1 && ! test -s out &&
	for f in "$top/$bindir"/rft "$top/$bindir"/rft-*; do
		test -x "$P/bin/$(basename "$f")" || return 1
	done &&
	for f in "$top"/man/*.1; do cmp "$f" "$P/share/man/man1/$(basename "$f")" || return 1; done &&
	for f in "$top"/pipelines/*.yaml "$top"/pipelines/templates/*.tmpl; do
		cmp "$f" "$P/share/rftkit/${f#$top/}" || return 1
	done &&
	D="$P/share/rftkit" &&
	cmp "$TD/phenopacket-store/all_phenopackets-sample.zip" "$D/phenopacket-store/all_phenopackets-sample.zip" &&
	test -f "$D/phenopacket-store/LICENSE" && test -f "$D/hpo/README.md" && test -f "$D/hgnc/README.md" &&
	cmp "$TD/hpo/hp-2023-01-27.json.gz" "$D/hpo/hp-2023-01-27.json.gz" &&
	cmp "$TD/hgnc/hgnc_complete_set-2024-10.txt.gz" "$D/hgnc/hgnc_complete_set-2024-10.txt.gz" &&
	sed -n "s|^f ||p" "$D/MANIFEST" | LC_ALL=C sort > listed &&
	find "$P" -type f ! -path "$D/MANIFEST" | LC_ALL=C sort > present &&
	test_cmp listed present &&
	grep -qx "d $P" "$D/MANIFEST" && grep -qx "d $D/pipelines/templates" "$D/MANIFEST"
'
tree "$P" > installed 2> /dev/null

mkdir -p elsewhere intree
test_expect_success 'the installed demo pipeline runs from another directory, as the in-tree one does' '
	(cd intree && rft-run "$top/pipelines/demo.yaml") &&
	(cd elsewhere && inst rft-run "$P/share/rftkit/pipelines/demo.yaml") &&
	test -s elsewhere/build/demo/summary.txt &&
	grep -qx "  $P/share/rftkit/phenopacket-store/all_phenopackets-sample.zip: 292 phenopackets read, 289 cases written, 3 rejected (no_gene 3), 0 non-phenopacket files skipped" \
		elsewhere/build/demo/summary.txt &&
	sed "s|^  $TD/phenopacket-store/|  DUMP/|" intree/build/demo/summary.txt > want &&
	sed "s|^  $P/share/rftkit/phenopacket-store/|  DUMP/|" elsewhere/build/demo/summary.txt > got &&
	test_cmp want got &&
	test_cmp intree/build/demo/cases.jsonl elsewhere/build/demo/cases.jsonl &&
	test_cmp intree/build/demo/report.txt elsewhere/build/demo/report.txt &&
	same_samples intree/build/demo/samples.jsonl elsewhere/build/demo/samples.jsonl &&
	same_samples intree/build/demo/graded.jsonl elsewhere/build/demo/graded.jsonl &&
	tree "$P" > after && test_cmp installed after
'
V=$PWD/elsewhere/build/demo/valid.jsonl
test_expect_success 'installed rft-rank and rft-grade find HPO and HGNC beside bin/ (no warning)' '
	cd elsewhere &&
	inst $vg rft-rank "$V" > samples.jsonl 2> err && ! test -s err &&
	same_samples build/demo/samples.jsonl samples.jsonl &&
	inst $vg rft-grade samples.jsonl > graded.jsonl 2> err && ! test -s err &&
	same_samples build/demo/graded.jsonl graded.jsonl &&
	inst rft rank "$V" > front.jsonl && same_samples front.jsonl samples.jsonl
'
test_expect_success 'installed rft-grade --export-openai finds HGNC (the in-tree export, byte for byte)' '
	cd elsewhere &&
	rft-grade --export-openai tree.json --dataset build/demo/prompts-valid.jsonl &&
	inst $vg rft-grade --export-openai inst.json --dataset build/demo/prompts-valid.jsonl 2> err &&
	! test -s err && test_cmp tree.json inst.json
'
test_expect_success 'data moved away: rft-rank stops (66) listing each place looked and what sets it' '
	cd elsewhere && D="$P/share/rftkit" &&
	mv "$D/hpo" "$D/hpo.away" &&
	test_must_fail 66 inst $vg rft-rank "$V" > /dev/null 2> err
	status=$?
	mv "$D/hpo.away" "$D/hpo" && test $status = 0 &&
	grep_err "rft-rank: no HPO data found: give --hpo-dir DIR (or --ontology and --annotations), or set RFT_HPO_DIR or RFT_DATADIR (the folder holding hpo/); looked in:" err &&
	grep_err "  --hpo-dir DIR (or --ontology and --annotations): not given" err &&
	grep_err "  \$RFT_HPO_DIR: not set" err &&
	grep_err "  \$RFT_DATADIR: not set" err &&
	grep_err "  $D/hpo: No such file or directory (installed: share/rftkit beside the program'"'"'s bin/)" err &&
	grep_err "  $P/testdata/hpo: No such file or directory (a source tree: testdata/ above the program'"'"'s bin/)" err &&
	grep_err "(compiled in: make'"'"'s DATADIR)" err
'
test_expect_success 'RFT_HPO_DIR and RFT_DATADIR name the data; RFT_DATADIR is then the only place looked' '
	cd elsewhere && D="$P/share/rftkit" &&
	mkdir -p alt && cp -R "$D/hpo" "$D/hgnc" alt/ &&
	inst env RFT_DATADIR="$PWD/alt" rft-rank "$V" > a.jsonl && same_samples a.jsonl samples.jsonl &&
	inst env RFT_HPO_DIR="$PWD/alt/hpo" RFT_DATADIR=/nonexistent rft-rank --hgnc alt/hgnc "$V" > b.jsonl &&
	same_samples b.jsonl samples.jsonl &&
	test_must_fail 66 inst env RFT_DATADIR=/nonexistent rft-rank "$V" 2> err > /dev/null &&
	grep_err "  /nonexistent/hpo: No such file or directory (\$RFT_DATADIR)" err &&
	! grep -q "share/rftkit" err &&
	test_must_fail 78 inst env RFT_DATADIR=/nonexistent rft-run -n "$D/pipelines/demo.yaml" 2> err &&
	grep_err "no rftkit data folder for \${data_dir}: set RFT_DATADIR, or --set data_dir=DIR; looked in:" err
'
test_expect_success 'HGNC moved away: rft-grade says where it looked; --export-openai stops (78)' '
	cd elsewhere && D="$P/share/rftkit" &&
	mv "$D/hgnc" "$D/hgnc.away" &&
	inst rft-grade samples.jsonl > /dev/null 2> err1
	s1=$?
	inst rft-grade --export-openai x.json --dataset build/demo/prompts-valid.jsonl 2> err2
	s2=$?
	mv "$D/hgnc.away" "$D/hgnc" && test $s1 = 0 && test $s2 = 78 && ! test -e x.json &&
	grep_err "warning: no HGNC file found (--hgnc, RFT_HGNC, RFT_DATADIR): gene names are compared as written, case-insensitively; looked in:" err1 &&
	grep_err "  $D/hgnc: No such file or directory (installed" err1 &&
	grep_err "  \$RFT_HGNC: not set" err2
'
test_expect_success 'make uninstall removes exactly what install put, and the folders it made' '
	mk uninstall PREFIX="$P" && ! test -e "$P"
'
test_expect_success 'folders that were there before, and files install did not put, stay' '
	mkdir -p q/bin q/share/man && echo mine > q/bin/mine && tree q > before &&
	mk install PREFIX="$PWD/q" && mk install PREFIX="$PWD/q" &&
	mk uninstall PREFIX="$PWD/q" 2> err && ! test -s err &&
	tree q > after && test_cmp before after
'
test_expect_success 'DESTDIR stages: files under it, MANIFEST without it, staged programs find their data' '
	mkdir stage &&
	mk install PREFIX=/opt/rftkit-t0860 DESTDIR="$PWD/stage" &&
	! test -e /opt/rftkit-t0860 &&
	S="$PWD/stage/opt/rftkit-t0860" &&
	grep -qx "f /opt/rftkit-t0860/bin/rft-rank" "$S/share/rftkit/MANIFEST" &&
	! grep -q "$PWD/stage" "$S/share/rftkit/MANIFEST" &&
	env -u RFT_HPO_DIR -u RFT_HGNC -u RFT_DATADIR "$S/bin/rft-rank" "$V" > staged.jsonl &&
	same_samples staged.jsonl elsewhere/samples.jsonl &&
	mk uninstall PREFIX=/opt/rftkit-t0860 DESTDIR="$PWD/stage" &&
	test -z "$(ls -A stage)"
'
test_expect_success 'a relative PREFIX, or uninstall where nothing was installed, is refused' '
	test_must_fail 2 mk install PREFIX=relative 2> err &&
	grep_err "is not an absolute path (give PREFIX=/absolute/path)" err &&
	! test -e "$top/relative" &&
	test_must_fail 2 mk uninstall PREFIX="$PWD/none" 2> err &&
	grep_err "nothing was installed there" err
'
