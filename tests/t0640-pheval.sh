# rft-pheval: sample lines -> PhEval result files, one per phenopacket file,
# read back by an independent reader (tests/pheval-reader.py).
. "$T/lib.sh"

P="$TD/pheval"
R="$T/pheval-reader.py"

test_expect_success 'golden: gene and disease files, manifest, announcements' '
	rft-pheval --stats -o out "$P/samples.jsonl" 2> err &&
	(cd out && find . -name "*.tsv" | sort) > got_files &&
	(cd "$P/expected" && find . -name "*.tsv" | sort) > want_files &&
	test_cmp want_files got_files &&
	for f in $(cat want_files); do test_cmp "$P/expected/$f" "out/$f" || exit 1; done &&
	jq -c "del(.version, .hgnc, .inputs) | .cases[].line |= sub(\".*/\"; \"\")" out/rft-pheval.json > manifest &&
	test_cmp "$P/expected/manifest.json" manifest &&
	grep_err "1 case had a list of names without scores: each score is n - i" err &&
	grep_err "1 gene name resolved to no HGNC id: written with an empty gene_identifier" err &&
	grep_err "1 repeated name of a gene already listed dropped" err &&
	grep_err "1 case with an error line and 1 with no list: written as empty result files" err &&
	grep_err "4 cases -> out: 4 gene files (8 rows), 1 disease files (4 rows)" err
'
test_expect_success 'ties share the worst rank (PhEval), checked by the reader on a real LIRICAL phenopacket' '
	rft-pheval -o t2 "$P/samples.jsonl" 2> /dev/null &&
	cut -f1,3 t2/pheval_gene_results/Janssen-2009-BSND-family-A-III3-gene_result.tsv | tr "\t\n" ": " > got &&
	test "$(cat got)" = "rank:gene_symbol 1:BSND 4:CLCNKB 4:CLCNKA 4:KCNJ1 5:SLC12A1 " &&
	python3 "$R" t2 "$P/phenopackets" > top &&
	jq -e ".n == 1 and .top1 == 1 and .mrr == 1" top > /dev/null &&
	# the causal gene in a tie: rank 4 of three equal scores, not 2
	jq -c "select(.id == \"Janssen-2009-BSND-family-A-III3\") | .sample.ranking[0].score = 3.5" \
	  "$P/samples.jsonl" > tie.jsonl &&
	rft-pheval -o tie tie.jsonl &&
	head -3 tie/pheval_gene_results/Janssen-2009-BSND-family-A-III3-gene_result.tsv | tail -2 > t &&
	printf "4\t3.5\tBSND\tHGNC:16512\n4\t3.5\tCLCNKB\tHGNC:2027\n" > want && test_cmp want t &&
	python3 "$R" tie "$P/phenopackets" > top &&
	jq -e ".top1 == 0 and .top3 == 0 and .top5 == 1 and .mrr == 0.25" top > /dev/null
'
test_expect_success 'the reader refuses a file whose ranks break the worst-rank rule' '
	rft-pheval -o t3 "$P/samples.jsonl" 2> /dev/null &&
	sed -i "s/^4\t3.5\tCLCNKB/2\t3.5\tCLCNKB/" t3/pheval_gene_results/Janssen-2009-BSND-family-A-III3-gene_result.tsv &&
	test_must_fail 1 python3 "$R" t3 "$P/phenopackets" 2> err &&
	grep_err "CLCNKB has rank 2, worst rank of its score is 4" err
'
test_expect_success 'two cases of one phenopacket file: 65 naming both lines, nothing written' '
	head -1 "$P/samples.jsonl" > two.jsonl &&
	jq -c ".id = \"other\" | .source = \"elsewhere/Janssen-2009-BSND-family-A-III3.json\"" two.jsonl >> two.jsonl &&
	test_must_fail 65 rft-pheval -o t4 two.jsonl 2> err &&
	grep_err "two.jsonl:2: stem '"'"'Janssen-2009-BSND-family-A-III3'"'"' (source \"elsewhere/Janssen-2009-BSND-family-A-III3.json\") was already given by two.jsonl:1" err &&
	test ! -e t4
'
test_expect_success 'a folder with result files: 64 without --force; --force replaces and removes stale files' '
	rft-pheval -o t5 "$P/samples.jsonl" 2> /dev/null &&
	test_must_fail 64 rft-pheval -o t5 "$P/samples.jsonl" 2> err &&
	grep_err "already holds 5 result files: give --force" err &&
	head -1 "$P/samples.jsonl" > one.jsonl &&
	rft-pheval --force -o t5 one.jsonl 2> err &&
	grep_err "--force: removed 3 result files of phenopackets not in this input" err &&
	ls t5/pheval_gene_results > got && echo Janssen-2009-BSND-family-A-III3-gene_result.tsv > want &&
	test_cmp want got
'
test_expect_success 'bad input: 65 with file:line; --skip-bad counts and keeps it' '
	printf "%s\n" "{\"id\":\"a\",\"sample\":{\"ranking\":[]}}" > nosrc.jsonl &&
	test_must_fail 65 rft-pheval -o o1 nosrc.jsonl 2> err &&
	grep_err "nosrc.jsonl:1: no \"source\" string" err &&
	printf "%s\n" "{\"source\":\"a.json\",\"sample\":{\"ranking\":{}}}" > r1.jsonl &&
	test_must_fail 65 rft-pheval -o o2 r1.jsonl 2> err && grep_err "r1.jsonl:1: sample.ranking is an object, not an array" err &&
	printf "%s\n" "{\"source\":\"a.json\",\"sample\":{\"ranking\":[{\"symbol\":\"BSND\",\"hgnc\":\"HGNC:16512\",\"score\":\"9\"}]}}" > r2.jsonl &&
	test_must_fail 65 rft-pheval -o o3 r2.jsonl 2> err && grep_err "r2.jsonl:1: sample.ranking[0].score is not a number" err &&
	printf "%s\n" "{\"source\":\"a.json\",\"sample\":{\"output_json\":{\"genes\":[\"BSND\",7]}}}" > r3.jsonl &&
	test_must_fail 65 rft-pheval -o o4 r3.jsonl 2> err && grep_err "r3.jsonl:1: sample.output_json.genes[1] is not a string" err &&
	printf "%s\n" "{\"source\":\"a.json\"}" > r4.jsonl &&
	test_must_fail 65 rft-pheval -o o5 r4.jsonl 2> err && grep_err "r4.jsonl:1: no \"sample\" object" err &&
	test ! -e o1 && test ! -e o5 &&
	cat nosrc.jsonl "$P/samples.jsonl" > mixed.jsonl &&
	rft-pheval --skip-bad --rejects rej.jsonl --stats -o o6 mixed.jsonl 2> err &&
	grep_err "bad lines skipped 1" err && jq -e ".where == \"mixed.jsonl:1\"" rej.jsonl > /dev/null &&
	test "$(ls o6/pheval_gene_results | wc -l)" -eq 4
'
test_expect_success 'rft-rank -m gene lines (via null): gene results only, no empty disease files' '
	jq -c "select(.sample.ranking) | .sample.ranking[] |= (.via = null | .via_label = null)" "$P/samples.jsonl" > gene.jsonl &&
	rft-pheval -o t8 gene.jsonl &&
	test -s t8/pheval_gene_results/Janssen-2009-BSND-family-A-III3-gene_result.tsv &&
	test ! -e t8/pheval_disease_results
'
test_expect_success 'usage and missing input: 64 without -o, 66 for a missing file' '
	test_must_fail 64 rft-pheval "$P/samples.jsonl" 2> err && grep_err "give -o DIR" err &&
	test_must_fail 66 rft-pheval -o o nothere.jsonl 2> /dev/null &&
	rft pheval --help | grep -q "Tied scores share the worst rank"
'
if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'end to end: rft-extract -> rft-rank -> rft-pheval -> reader' 'rft-rank loads the real ontology: minutes under valgrind'
	exit 0
fi
test_expect_success 'end to end: rft-extract -> rft-rank -> rft-pheval -> reader = rft-grade --ties worst + rft-report' '
	rft-extract "$TD/phenopacket-store/all_phenopackets-sample.zip" | awk "NR % 15 == 1" > cases.jsonl &&
	test "$(wc -l < cases.jsonl)" -eq 20 &&
	# -k 20: rft-grade counts the first max_list (20) names, PhEval the whole file (MRR differs past it)
	rft-rank -k 20 cases.jsonl > samples.jsonl &&
	rft-pheval -o run samples.jsonl &&
	mkdir pp && jq -r .source cases.jsonl > names &&
	(cd pp && unzip -q -j "$TD/phenopacket-store/all_phenopackets-sample.zip" $(cat ../names)) &&
	python3 "$R" run pp | jq -c "{n, top1, top3, top5, top10, mrr}" > reader &&
	rft-grade --ties worst samples.jsonl > graded.jsonl &&
	rft-report --json graded.jsonl |
	  jq -c ".groups[0] | {n, top1: .top1.value, top3: .top3.value, top5: .top5.value, top10: .top10.value, mrr: .mrr.value}" |
	  jq -c "with_entries(.value |= (. * 1000000 | round / 1000000))" > report &&
	cat reader report &&
	test_cmp report reader &&
	# not a trivial agreement: the ranker ties some genes and misses some cases
	jq -e ".top1 < .top10 and .top10 < 1" reader > /dev/null &&
	grep -q "^[0-9]*	" run/pheval_gene_results/*.tsv
'
