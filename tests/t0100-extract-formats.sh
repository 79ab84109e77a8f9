# rft-extract reads every published layout alike: the same phenopackets as
# release ZIP, TGZ, folder, JSONL.gz and stdin give the same case stream.
. "$T/lib.sh"

sample="$TD/phenopacket-store/all_phenopackets-sample.zip"
dev="$SHARED/data/phenopacket-store/all_phenopackets-dev.zip"

# repack ZIP -> folder, TGZ (sorted, with ./ prefixes and directory entries),
# JSONL.gz (one compact phenopacket per line, archive order)
repack() {  # repack ZIP DIR
	mkdir -p "$2/tree" &&
	(cd "$2/tree" && unzip -q "$1") &&
	tar -C "$2/tree" --sort=name -czf "$2/dump.tgz" . &&
	unzip -Z1 "$1" > "$2/names" &&
	unzip -p "$1" | jq -c . | gzip -c > "$2/dump.jsonl.gz" &&
	test "$(gzip -dc "$2/dump.jsonl.gz" | wc -l)" -eq "$(wc -l < "$2/names")"
}

# JSONL has no member paths: compare everything but source and cohort
strip() { jq -c 'del(.source, .cohort)'; }

test_expect_success 'repack the sample as folder, TGZ and JSONL.gz' '
	repack "$sample" s
'
test_expect_success 'ZIP and folder give byte-identical cases' '
	rft-extract "$sample" > zip.jsonl &&
	rft-extract s/tree > dir.jsonl &&
	test_cmp zip.jsonl dir.jsonl
'
test_expect_success 'ZIP and TGZ give byte-identical cases' '
	rft-extract s/dump.tgz > tgz.jsonl &&
	test_cmp zip.jsonl tgz.jsonl
'
test_expect_success 'ZIP and TGZ on stdin give byte-identical cases' '
	rft-extract < "$sample" > zip-stdin.jsonl &&
	test_cmp zip.jsonl zip-stdin.jsonl &&
	rft-extract - < s/dump.tgz > tgz-stdin.jsonl &&
	test_cmp zip.jsonl tgz-stdin.jsonl
'
test_expect_success 'JSONL.gz gives the same cases (source is file:line, cohort null)' '
	rft-extract s/dump.jsonl.gz > jsonl.jsonl &&
	strip < zip.jsonl > a && strip < jsonl.jsonl > b && test_cmp a b &&
	test "$(jq -r .source jsonl.jsonl | head -1)" = "s/dump.jsonl.gz:4" &&
	test "$(jq -r .cohort jsonl.jsonl | sort -u)" = "null"
'
test_expect_success 'plain JSONL on stdin is recognised by its first line' '
	gzip -dc s/dump.jsonl.gz | rft-extract > jsonl-stdin.jsonl &&
	strip < jsonl-stdin.jsonl > c && test_cmp a c
'
test_expect_success 'a mix of inputs is read in the order given' '
	rft-extract --duplicates keep "$sample" s/dump.tgz > mix.jsonl &&
	cat zip.jsonl zip.jsonl > twice.jsonl &&
	test_cmp twice.jsonl mix.jsonl
'
test_expect_success 'non-phenopacket files and macOS litter are skipped and counted (hidden folders are not walked)' '
	cp -r s/tree litter &&
	echo "cohort notes" > litter/README.md &&
	printf "a\tb\n" > litter/dev-b694d17e/ZSWIM6/variants.tsv &&
	mkdir -p litter/__MACOSX/dev-b694d17e && printf "\0\5\26\7" > litter/__MACOSX/dev-b694d17e/._x.json &&
	printf "\0\5\26\7" > litter/dev-b694d17e/ZSWIM6/._PMID_1.json &&
	rft-extract --stats litter > litter.jsonl 2> err &&
	test_cmp zip.jsonl litter.jsonl &&
	grep_err "3 non-phenopacket files skipped" err &&
	(cd litter && zip -qr ../litter.zip .) &&
	rft-extract --stats litter.zip > litter-zip.jsonl 2> err2 &&
	sort zip.jsonl > zip.sorted && sort litter-zip.jsonl > litter-zip.sorted &&
	test_cmp zip.sorted litter-zip.sorted &&
	grep_err "4 non-phenopacket files skipped" err2
'
test_expect_success 'output is byte-identical across runs and thread counts' '
	rft-extract -j1 "$sample" > j1.jsonl &&
	rft-extract -j2 "$sample" > j2.jsonl &&
	rft-extract -j5 "$sample" > j5.jsonl &&
	test_cmp zip.jsonl j1.jsonl && test_cmp zip.jsonl j2.jsonl && test_cmp zip.jsonl j5.jsonl
'

# The real dev corpus (7,763 phenopackets), when ../shared is there; not under
# valgrind, where it takes minutes and exercises no code the sample does not.
if [ -f "$dev" ] && [ "${RFT_VALGRIND:-0}" != 1 ]; then
	test_expect_success 'dev ZIP: 7763 read, 69 without a gene, 7694 cases, each with an HGNC gene' '
		rft-extract --stats --rejects dev-rej.jsonl "$dev" > dev.jsonl 2> dev.err &&
		grep_err "7763 phenopackets read, 7694 cases written, 69 rejected (no_gene 69)" dev.err &&
		test "$(wc -l < dev.jsonl)" -eq 7694 &&
		test "$(wc -l < dev-rej.jsonl)" -eq 69 &&
		test "$(jq -c "select([.genes[] | select(.hgnc | test(\"^HGNC:[0-9]+$\"))] | length == 0)" dev.jsonl | wc -l)" -eq 0
	'
	test_expect_success 'dev ZIP: every case has id, source, cohort and pmid; ages mapped' '
		test "$(jq -c "select(.id == null or .source == null or .cohort == null or .pmid == null)" dev.jsonl | wc -l)" -eq 0 &&
		test "$(jq -c "select(.age.gestational)" dev.jsonl | wc -l)" -gt 0 &&
		test "$(jq -c "select(.age.onset)" dev.jsonl | wc -l)" -gt 0 &&
		test "$(jq -c "select(.age.iso8601 != null and .age.years == null)" dev.jsonl | wc -l)" -eq 0
	'
	test_expect_success 'dev ZIP repacked as folder, TGZ and JSONL.gz gives the same cases' '
		repack "$dev" d &&
		rft-extract d/tree > dev-dir.jsonl && test_cmp dev.jsonl dev-dir.jsonl &&
		rft-extract d/dump.tgz > dev-tgz.jsonl && test_cmp dev.jsonl dev-tgz.jsonl &&
		rft-extract d/dump.jsonl.gz | strip > dev-jsonl.s &&
		strip < dev.jsonl > dev.s && test_cmp dev.s dev-jsonl.s
	'
else
	test_skip 'dev ZIP checks' "no $dev, or under valgrind"
fi
