# rft-rank on the made-up micro data set (testdata/hpo/micro, hand-checked in
# its README): rankings, the excluded-term weight, alt/obsolete/unknown terms,
# a case with no known term, tie-breaking, and bad data files.
. "$T/lib.sh"

M="$TD/hpo/micro"
DATA="--hpo-dir $M --hgnc $M/hgnc-micro.txt --breadth 0"
# ranked CASE-ID OPTIONS...: "GENE:score ..." of that case
ranked() {
	_id=$1; shift
	rft-rank $DATA "$@" "$M/cases.jsonl" |
	jq -r --arg id "$_id" 'select(.id == $id) | [.sample.ranking[] | "\(.symbol):\(.score)"] | join(" ")'
}

test_expect_success 'hand-checked ranking (Resnik best match, max over diseases)' '
	test "$(ranked made-up-1 --absent-weight 0)" = "GENEC:1.8326 GENEB:1.4271 GENEA:0.9163 GENED:0"
'
test_expect_success 'an excluded term with a negative weight demotes the disease annotated with it' '
	test "$(ranked made-up-2 --absent-weight -1)" = "GENEC:1.8326 GENEA:0.9163 GENED:0 GENEB:-0.1823"
'
test_expect_success 'an excluded term with a positive weight promotes it' '
	test "$(ranked made-up-2 --absent-weight 1)" = "GENEB:3.0366 GENEC:1.8326 GENEA:0.9163 GENED:0"
'
test_expect_success 'weight 0 ignores excluded terms' '
	test "$(ranked made-up-2 --absent-weight 0)" = "$(ranked made-up-1 --absent-weight 0)"
'
test_expect_success 'obsolete and alt ids are mapped, ties go to the lower HGNC number' '
	test "$(ranked made-up-3)" = "GENEA:1.8326 GENEC:0.9163 GENED:0.9163 GENEB:0.5108"
'
test_expect_success 'mapped and unknown terms are reported in the sample' '
	rft-rank $DATA "$M/cases.jsonl" | jq -c "select(.id == \"made-up-3\") | .sample.terms" > got &&
	echo "{\"present\":2,\"absent\":0,\"mapped\":[{\"id\":\"HP:9900007\",\"to\":\"HP:9900002\",\"how\":\"replaced\"},{\"id\":\"HP:9900008\",\"to\":\"HP:9900005\",\"how\":\"alt_id\"}],\"unknown\":[{\"id\":\"HP:9999999\",\"how\":\"unknown\"},{\"id\":\"HP:9900009\",\"how\":\"obsolete\"}]}" > want &&
	test_cmp want got
'
test_expect_success 'a case with no known term gets an error object, the run goes on' '
	rft-rank $DATA "$M/cases.jsonl" > out.jsonl &&
	test "$(wc -l < out.jsonl)" = 4 &&
	jq -s -e "map(select(.id == \"made-up-4\") | .error.code == \"no_known_terms\" and (.sample == null) and .reference.gene == \"GENEA\") == [true]" out.jsonl
'
test_expect_success '--stats counts unknown and mapped terms' '
	rft-rank $DATA --stats -o /dev/null "$M/cases.jsonl" 2> err &&
	grep_err "4 cases read, 3 ranked, 1 errors (no_known_terms 1)" err &&
	grep_err "1 alt ids and 1 obsolete ids mapped, 2 unknown, 2 obsolete without replacement" err
'
test_expect_success 'the explanation names matched terms, their weights and the disease' '
	rft-rank $DATA --absent-weight -1 "$M/cases.jsonl" |
	jq -r "select(.id == \"made-up-2\") | .sample.output_json.explanation" > expl &&
	grep -qF "1. GENEC 1.83 via OMIM:900003 Made-up syndrome three: Made-up big head (HP:9900002) 0.92; Made-up seizure (HP:9900006) 0.92" expl &&
	grep -qF "4. GENEB -0.18 via OMIM:900002 Made-up syndrome two: absent Made-up small head (HP:9900003) -1.61; Made-up seizure (HP:9900006) 0.92; Made-up big head (HP:9900002) as Made-up head finding (HP:9900001) 0.51" expl
'
test_expect_success 'output_text is output_json as text; the sample contract' '
	rft-rank $DATA "$M/cases.jsonl" | jq -s -e "map(select(.sample) | .sample |
		(.output_text | fromjson) == .output_json and .model == \"rft-rank/disease;breadth=0\" and
		.finish_reason == \"stop\" and .attempts == 1 and .cached == false and
		.params.method == \"disease\" and .data.hpo == \"2099-01-01\" and
		.data.annotations[0].version == \"2099-01-01\") | length == 3 and all" > /dev/null
'
test_expect_success '--method gene merges a gene'"'"'s diseases' '
	test "$(ranked made-up-1 --absent-weight 0 --method gene)" = "GENEC:1.8326 GENEB:1.4271 GENEA:0.9163 GENED:0"
'
test_expect_success '-k limits the list; -j does not change the output' '
	test "$(ranked made-up-1 -k 2)" = "GENEC:1.8326 GENEB:1.4271" &&
	rft-rank $DATA -j1 "$M/cases.jsonl" | jq -c "del(.sample.latency_ms)" > j1 &&
	rft-rank $DATA -j3 "$M/cases.jsonl" | jq -c "del(.sample.latency_ms)" > j3 &&
	test_cmp j1 j3
'
test_expect_success 'the breadth correction subtracts B x |Q| x mean random match' '
	# mu(OMIM:900001) = (2*0.9163 [A1] + 2*0.9163 [B1] + 0.5108 [A2 as A] + 0 [C x2]
	#                    + 0.5108 [B]) / 8 = 0.58585; made-up-1: 0.9163 - 1 * 2 * 0.58585
	test "$(ranked made-up-1 --absent-weight 0 --breadth 1 | tr " " "\n" | grep GENEA)" = "GENEA:-0.2554"
'

# bad data files: a clear message and a documented exit code
test_expect_success 'missing data file: 66' '
	test_must_fail 66 rft-rank --ontology nope.json --annotations $M/phenotype-micro.hpoa --annotations $M/genes_to_phenotype-micro.txt --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "nope.json" err
'
test_expect_success 'truncated gzip ontology: 65' '
	gzip -c < $M/hp-micro.json | head -c 300 > hp-cut.json.gz &&
	test_must_fail 65 rft-rank --ontology hp-cut.json.gz --annotations $M/phenotype-micro.hpoa --annotations $M/genes_to_phenotype-micro.txt --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "hp-cut.json.gz" err
'
test_expect_success 'truncated gzip annotations: 65' '
	gzip -c < $M/genes_to_phenotype-micro.txt | head -c 150 > g2p-cut.txt.gz &&
	test_must_fail 65 rft-rank --ontology $M/hp-micro.json --annotations g2p-cut.txt.gz --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "g2p-cut.txt.gz" err
'
test_expect_success 'annotation file with a wrong header: 78' '
	sed "1s/ncbi_gene_id/gene_number/; 1s/disease_id/dx/" $M/genes_to_phenotype-micro.txt > g2p-bad.txt &&
	test_must_fail 78 rft-rank --ontology $M/hp-micro.json --annotations g2p-bad.txt --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "g2p-bad.txt:1: not an HPO annotation file" err
'
test_expect_success 'annotation row with too few fields: 65 with file:line' '
	{ cat $M/genes_to_phenotype-micro.txt; printf "1005\tGENEE\n"; } > g2p-short.txt &&
	test_must_fail 65 rft-rank --ontology $M/hp-micro.json --annotations g2p-short.txt --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "g2p-short.txt:11: 2 fields, the header names 6" err
'
test_expect_success 'an ontology that is not obographs JSON: 78' '
	echo "{\"nodes\":[]}" > notobo.json &&
	test_must_fail 78 rft-rank --ontology notobo.json --annotations $M/genes_to_phenotype-micro.txt --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "notobo.json: not an obographs JSON ontology" err
'
test_expect_success 'an HGNC file without hgnc_id: 78' '
	sed "1s/hgnc_id/id/" $M/hgnc-micro.txt > hgnc-bad.txt &&
	test_must_fail 78 rft-rank --hpo-dir $M --hgnc hgnc-bad.txt $M/cases.jsonl 2> err &&
	grep_err "hgnc-bad.txt:1: not an HGNC complete set" err
'
test_expect_success 'a case without an HGNC gene is a bad record (65, --skip-bad)' '
	{ head -1 $M/cases.jsonl; echo "{\"id\":\"x\",\"present\":[],\"genes\":[]}"; } > two.jsonl &&
	test_must_fail 65 rft-rank $DATA two.jsonl > /dev/null 2> err &&
	grep_err "two.jsonl:2: case has no gene with an HGNC id" err &&
	rft-rank $DATA --skip-bad two.jsonl 2> /dev/null | jq -e -s "length == 1" > /dev/null
'
test_expect_success 'present that is not an array: 65 with file:line' '
	echo "{\"id\":\"x\",\"present\":{},\"genes\":[{\"symbol\":\"GENEA\",\"hgnc\":\"HGNC:90001\"}]}" > shape.jsonl &&
	test_must_fail 65 rft-rank $DATA shape.jsonl 2> err &&
	grep_err "shape.jsonl:1: present is an object, not an array" err
'
test_expect_success 'several ontologies in --hpo-dir: 78, asks for --ontology' '
	mkdir -p two && cp $M/*.txt $M/*.hpoa two/ && cp $M/hp-micro.json two/ && cp $M/hp-micro.json two/hp-other.json &&
	test_must_fail 78 rft-rank --hpo-dir two --hgnc $M/hgnc-micro.txt $M/cases.jsonl 2> err &&
	grep_err "several ontology" err
'
test_expect_success '-o is atomic: nothing left behind on failure' '
	test_must_fail 65 rft-rank $DATA -o out2.jsonl shape.jsonl 2> /dev/null &&
	! test -e out2.jsonl && test -z "$(ls -A | grep "^\.out2" || true)"
'
test_expect_success 'the model name encodes every non-default setting; the defaults keep rft-rank/disease' '
	name() { rft-rank --hpo-dir $M --hgnc $M/hgnc-micro.txt "$@" "$M/cases.jsonl" | jq -r "select(.sample) | .sample.model" | sort -u; } &&
	test "$(name)" = "rft-rank/disease" &&
	test "$(name -k 2)" = "rft-rank/disease;k=2" &&
	test "$(name -m gene --absent-weight -0.5 --breadth 0.25)" = "rft-rank/gene;absent_weight=-0.5;breadth=0.25" &&
	test "$(name --breadth 0.5)" != "$(name --breadth 0.25)"
'
