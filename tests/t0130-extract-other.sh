# rft-extract on phenopackets written by other projects (issue 17): PhEval's
# LIRICAL corpus (Ensembl valueId, HGNC in alternateIds), v1 phenopackets
# and Interpretations, v2 Family and Cohort files, store checkouts, gene id
# spelling, duplicate ids.  Fixtures: testdata/phenopackets-other/ (README).
. "$T/lib.sh"

O="$TD/phenopackets-other"
lir="$SHARED/data/pheval-lirical/lirical-phenopackets.zip"
[ -f "$lir" ] || lir="$top/../../shared/data/pheval-lirical/lirical-phenopackets.zip"
ada="$O/lirical/Hirschhorn-1991-ADA-Patient.json"
v1i="$O/schema-v1/interpretation-miller.json"

test_expect_success 'LIRICAL: Ensembl valueId with the HGNC id in alternateIds gives the HGNC gene' '
	rft-extract "$ada" > ada.jsonl &&
	test "$(jq -c .genes ada.jsonl)" = "[{\"symbol\":\"ADA\",\"hgnc\":\"HGNC:186\"}]" &&
	test "$(jq -r .source ada.jsonl)" = "$ada"
'
test_expect_success 'LIRICAL: Ensembl id alone, NCBI Gene id alone, symbol alone all map through the HGNC table' '
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext |= {valueId, symbol}" "$ada" > ens.json &&
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext |= {valueId: \"ncbigene:100\"}" "$ada" > ncbi.json &&
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext |= {symbol: \"ADA\"}" "$ada" > sym.json &&
	for f in ens ncbi sym; do
		rft-extract --duplicates keep $f.json | jq -c .genes > $f.g &&
		test "$(cat $f.g)" = "[{\"symbol\":\"ADA\",\"hgnc\":\"HGNC:186\"}]" || return 1
	done
'
test_expect_success 'LIRICAL: --no-hgnc takes only written HGNC ids, says so, and rejects the Ensembl-only gene naming its ids' '
	rft-extract --no-hgnc "$ada" > nh.jsonl 2> err && grep_err "no-hgnc: a gene counts only" err &&
	test "$(jq -r ".genes[0].hgnc" nh.jsonl)" = "HGNC:186" &&
	rft-extract --no-hgnc --rejects rej.jsonl ens.json > none.jsonl 2> err && ! test -s none.jsonl &&
	test "$(jq -r .reason rej.jsonl)" = "no_hgnc_gene" &&
	grep -q "ENSG00000196839" rej.jsonl
'
test_expect_success '"HGNC:12873 " (trailing space) and "hgnc:" are normalised to the canonical id' '
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext = {valueId: \"HGNC:12873 \", symbol: \"ZIC2\"}" "$ada" > sp.json &&
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext = {valueId: \" hgnc:12873\"}" "$ada" > lc.json &&
	test "$(rft-extract sp.json | jq -c .genes)" = "[{\"symbol\":\"ZIC2\",\"hgnc\":\"HGNC:12873\"}]" &&
	test "$(rft-extract lc.json | jq -c .genes)" = "[{\"symbol\":\"ZIC2\",\"hgnc\":\"HGNC:12873\"}]"
'
test_expect_success 'an HGNC id not in the table is kept and warned; a symbol contradicting the id loses, warned and counted' '
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext = {valueId: \"HGNC:99999999\", symbol: \"NEWGENE\"}" "$ada" > unk.json &&
	rft-extract --stats unk.json > unk.jsonl 2> err &&
	test "$(jq -c .genes unk.jsonl)" = "[{\"symbol\":\"NEWGENE\",\"hgnc\":\"HGNC:99999999\"}]" &&
	grep_err "HGNC:99999999 is not in the HGNC table" err && grep_err "genes: 1 HGNC ids not in the HGNC table" err &&
	jq -c ".interpretations[0].diagnosis.genomicInterpretations[0].variantInterpretation.variationDescriptor.geneContext = {valueId: \"HGNC:186\", symbol: \"ZIC2\"}" "$ada" > con.json &&
	rft-extract --stats con.json > con.jsonl 2> err &&
	test "$(jq -c .genes con.jsonl)" = "[{\"symbol\":\"ADA\",\"hgnc\":\"HGNC:186\"}]" &&
	grep_err "symbol '\''ZIC2'\'' is HGNC:12873'\''s" err && grep_err "1 symbols contradicting their id" err
'
test_expect_success 'v1 Interpretation (phenopacket-schema 1.0.0 docs): genes and diseases from diagnosis[]' '
	rft-extract --stats "$v1i" > v1i.jsonl 2> err &&
	test "$(jq -c "[.id, .genes, .diseases[0].id, .sex]" v1i.jsonl)" = "[\"SOLVERD:0000234567\",[{\"symbol\":\"DHODH\",\"hgnc\":\"HGNC:2867\"}],\"OMIM:263750\",\"MALE\"]" &&
	grep_err "schema versions: v1 1, v2 0" err
'
test_expect_success 'v1 phenopacket: negated features are absent, top-level genes[] (ENTREZ:) are causal, ageAtCollection read' '
	jq -c ".phenopacket | .phenotypicFeatures[1].negated = true | .genes = [{id: \"ENTREZ:1723\", symbol: \"DHODH\"}] | .subject.ageAtCollection = {age: \"P14Y\"} | .metaData = {phenopacketSchemaVersion: \"1.0.0\"}" "$v1i" > v1.json &&
	rft-extract v1.json > v1.jsonl &&
	test "$(jq -c "[.absent[].id, .genes[0].hgnc, .age.years]" v1.jsonl)" = "[\"HP:0002090\",\"HGNC:2867\",14]" &&
	test "$(jq -c "[.present[].id] | index(\"HP:0002090\")" v1.jsonl)" = "null"
'
test_expect_success 'a schema version neither 1.x nor 2.x is refused by name (unsupported_schema)' '
	jq -c ".metaData.phenopacketSchemaVersion = \"3.0\"" "$ada" > v3.json &&
	rft-extract --stats --rejects rej3.jsonl v3.json > none3.jsonl 2> err && ! test -s none3.jsonl &&
	test "$(jq -r .reason rej3.jsonl)" = "unsupported_schema" &&
	grep -q "phenopacketSchemaVersion \\\\\"3.0\\\\\" is neither 1.x nor 2.x" rej3.jsonl &&
	grep_err "unsupported_schema 1" err
'
test_expect_success 'v2 Family gives its proband and a relative with its own interpretation; Cohort gives each member, in order, -j1 = -j4' '
	jq -n --slurpfile a "$ada" --slurpfile b "$O/lirical/Sandal-2018-CHST14-3-year_old_boy.json" \
		"{id: \"fam1\", proband: \$a[0], relatives: [{id: \"mother\", subject: {id: \"mother\", sex: \"FEMALE\"}}, \$b[0]], metaData: {phenopacketSchemaVersion: \"2.0\"}}" > family.json &&
	jq -n --slurpfile a "$ada" --slurpfile c "$O/lirical/Mazzucchelli-2011-LAMA3-Proband.json" \
		"{id: \"coh1\", members: [\$c[0], \$a[0]], metaData: {phenopacketSchemaVersion: \"2.0\"}}" > cohort.json &&
	rft-extract -j1 --stats family.json cohort.json --duplicates rename > fc.jsonl 2> err &&
	rft-extract -j4 family.json cohort.json --duplicates rename > fc4.jsonl 2>/dev/null && test_cmp fc.jsonl fc4.jsonl &&
	jq -c "[.id, .member.role, .member.of, .member.index, .genes[0].symbol]" fc.jsonl > got &&
	printf "%s\n" "[\"PMID:1680289-Hirschhorn-1991-ADA-Patient\",\"proband\",\"fam1\",0,\"ADA\"]" \
		"[\"PMID:30249733-Sandal-2018-CHST14-3-year_old_boy\",\"relative\",\"fam1\",1,\"CHST14\"]" \
		"[\"PMID:20881434-Mazzucchelli-2011-LAMA3-Proband\",\"member\",\"coh1\",0,\"LAMA3\"]" \
		"[\"PMID:1680289-Hirschhorn-1991-ADA-Patient#2\",\"member\",\"coh1\",1,\"ADA\"]" > want &&
	test_cmp want got &&
	grep_err "1 family relatives without an interpretation of their own not taken" err
'
test_expect_success 'four files sharing one id: default rejects three (duplicate_id, naming the first file); rename; keep warns' '
	mkdir -p dup && for i in 1 2 3 4; do cp "$ada" dup/f$i.json; done &&
	rft-extract --stats --rejects drej.jsonl dup > d.jsonl 2> err &&
	test "$(wc -l < d.jsonl)" -eq 1 && test "$(jq -r .reason drej.jsonl | sort | uniq -c | tr -s " ")" = " 3 duplicate_id" &&
	grep -q "written already, from f1.json" drej.jsonl && grep_err "ids: 3 duplicates (--duplicates reject)" err &&
	rft-extract --duplicates rename dup | jq -r .id | sed "s/.*#/#/" | tr "\\n" " " > ids &&
	test "$(cat ids)" = "PMID:1680289-Hirschhorn-1991-ADA-Patient #2 #3 #4 " &&
	rft-extract --duplicates keep dup 2> err | test "$(wc -l)" -eq 4 && test "$(grep -c "written again" err)" -eq 3 &&
	test_must_fail 64 rft-extract --duplicates maybe dup
'
test_expect_success 'store checkout: GENE/phenopackets/x.json has cohort GENE; *_individuals.json and other JSON are skipped and counted' '
	mkdir -p store/notebooks/ZSWIM6/phenopackets &&
	cp "$TD/phenopackets/dev-b694d17e/ZSWIM6/PMID_33776626_fetus.json" store/notebooks/ZSWIM6/phenopackets/ &&
	printf "{\"cohortType\":\"mendelian\",\"diseaseList\":[],\"hpoHeaders\":[],\"rows\":[]}\n" > store/notebooks/ZSWIM6/ZSWIM6_AFND_individuals.json &&
	echo "[]" > store/notebooks/ZSWIM6/other.json &&
	rft-extract --stats store/notebooks/ > st.jsonl 2> err &&
	test "$(jq -r .cohort st.jsonl)" = "ZSWIM6" &&
	grep_err "2 non-phenopacket files skipped (2 of them JSON" err &&
	test "$(grep -c "skipped: " err)" -eq 1
'
if [ -f "$lir" ] && [ "${RFT_VALGRIND:-0}" != 1 ]; then
	test_expect_success 'the whole LIRICAL ZIP: 385 read, >= 380 cases, each with an HGNC id; per-source stats' '
		rft-extract --stats "$lir" > lir.jsonl 2> err &&
		test "$(wc -l < lir.jsonl)" -ge 380 &&
		test "$(jq -c "select([.genes[] | select(.hgnc | test(\"^HGNC:[0-9]+$\"))] | length == 0)" lir.jsonl | wc -l)" -eq 0 &&
		grep_err "$lir: 385 phenopackets read" err
	'
else
	test_skip 'LIRICAL ZIP' "no $lir, or under valgrind"
fi
