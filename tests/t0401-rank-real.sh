# rft-rank on real data: the bundled HPO 2023-01-27 release and HGNC set
# (testdata/hpo, testdata/hgnc, the defaults) against a few real cases of the
# sample.  Skipped under valgrind (loading the real ontology takes minutes there;
# the micro tests of t0400 cover the same code paths).
. "$T/lib.sh"

if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'golden ranking of real cases' 'slow under valgrind'
	test_skip 'real data: every case ranked, data versions recorded' 'slow under valgrind'
	exit 0
fi
test_expect_success 'golden ranking of real cases' '
	rft-extract "$TD/phenopacket-store/all_phenopackets-sample.zip" | awk "NR % 60 == 1" > five.jsonl &&
	rft-rank --explain 2 -k 5 five.jsonl | jq -c "{id, reference, sample: (.sample | del(.latency_ms))}" > got &&
	test_cmp "$T/expected/rank/real-five.jsonl" got
'
test_expect_success 'real data: every case ranked, data versions recorded' '
	rft-extract "$TD/phenopacket-store/all_phenopackets-sample.zip" > all.jsonl &&
	rft-rank --stats -k 10 -o out.jsonl all.jsonl 2> err &&
	grep_err "289 cases read, 288 ranked, 1 errors (no_known_terms 1)" err &&
	jq -s -e "map((.sample // .error).data == {\"hpo\":\"2023-01-27\",\"ontology\":\"hp-2023-01-27.json.gz\",\"annotations\":[{\"file\":\"phenotype-2023-01-27.hpoa.gz\",\"version\":\"2023-01-27\"},{\"file\":\"genes_to_phenotype-2023-01-27.txt.gz\",\"version\":\"2023-01-27\"}],\"hgnc\":\"hgnc_complete_set-2024-10.txt.gz\"}) | all" out.jsonl > /dev/null
'
