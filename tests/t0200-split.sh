# rft-split: gene-disjoint splits that stay put as the corpus grows.
. "$T/lib.sh"

dev="$SHARED/data/phenopacket-store/all_phenopackets-dev.zip"
if [ -f "$dev" ] && [ "${RFT_VALGRIND:-0}" != 1 ]; then
	rft-extract "$dev" > cases.jsonl
	what="dev corpus"
else
	rft-extract "$TD/phenopacket-store/all_phenopackets-sample.zip" > cases.jsonl
	what="sample"
fi
n=$(wc -l < cases.jsonl)

test_expect_success "$what: balanced --sizes train=1100,valid=200 gives those sizes within one gene group, --check proves no gene overlap" '
	if [ $n -gt 2000 ]; then sizes="train=1100,valid=200"; tr=1100; va=200; else sizes="train=150,valid=40"; tr=150; va=40; fi &&
	rft-split -m balanced --sizes $sizes --rest unused -o train=train.jsonl -o valid=valid.jsonl -o unused=unused.jsonl cases.jsonl &&
	# "as closely as whole gene groups allow": off by less than the largest group
	big=$(jq -r "[.genes[].hgnc] | sort | join(\",\")" cases.jsonl | sort | uniq -c | sort -rn | awk "NR==1{print \$1}") &&
	within() { d=$(($1 - $2)); [ ${d#-} -lt "$big" ]; } &&
	within "$(wc -l < train.jsonl)" $tr && within "$(wc -l < valid.jsonl)" $va &&
	test $(( $(wc -l < train.jsonl) + $(wc -l < valid.jsonl) + $(wc -l < unused.jsonl) )) -eq $n &&
	rft-split --check --stats train.jsonl valid.jsonl 2> err && grep_err "no gene is in two splits" err &&
	test -z "$(jq -r ".genes[].hgnc" train.jsonl | sort -u | comm -12 - "$(jq -r ".genes[].hgnc" valid.jsonl | sort -u > v.genes; echo v.genes)")"
'
test_expect_success "$what: a --check of the files without the split field uses the file names" '
	jq -c "del(.split)" train.jsonl > a-train.jsonl && jq -c "del(.split)" valid.jsonl > a-valid.jsonl &&
	rft-split --check --stats a-train.jsonl a-valid.jsonl 2> err &&
	grep_err "a-train: " err && grep_err "a-valid: " err
'
test_expect_success "$what: --check finds a gene moved into another split" '
	g=$(head -1 train.jsonl | jq -c .genes) &&
	head -1 valid.jsonl | jq -c ".genes = $g" > moved.jsonl &&
	cat valid.jsonl moved.jsonl > valid2.jsonl &&
	test_must_fail 65 rft-split --check train.jsonl valid2.jsonl 2> err &&
	grep_err "gene $(echo "$g" | jq -r ".[0].hgnc") is in splits train,valid" err
'
test_expect_success "$what: hash keeps every case's split when new cases are appended" '
	half=$((n / 2)) &&
	head -n $half cases.jsonl > old.jsonl &&
	rft-split old.jsonl | jq -r "[.id, .source, .split] | @tsv" > before &&
	rft-split cases.jsonl | jq -r "[.id, .source, .split] | @tsv" | head -n $half > after &&
	test_cmp before after
'
test_expect_success "$what: hash splits are gene-disjoint and near the fractions" '
	rft-split --stats cases.jsonl > hashed.jsonl 2> err &&
	rft-split --check hashed.jsonl &&
	test "$(jq -r .split hashed.jsonl | sort -u | tr "\n" " ")" = "test train valid "
'
test_expect_success "$what: a different seed gives a different split, the same seed the same" '
	rft-split --seed 1 cases.jsonl > s1a && rft-split --seed 1 cases.jsonl > s1b && rft-split --seed 2 cases.jsonl > s2 &&
	test_cmp s1a s1b && ! cmp -s s1a s2
'
test_expect_success "$what: grouped folds are gene-disjoint and balanced" '
	rft-split -m balanced --folds 5 cases.jsonl > folds.jsonl &&
	rft-split --check folds.jsonl &&
	jq -r .fold folds.jsonl | sort | uniq -c | awk "{print \$1}" | sort -n > sizes &&
	test $(( $(tail -1 sizes) - $(head -1 sizes) )) -lt $((n / 5))
'
test_expect_success "$what: --max-per-gene keeps the first N cases of each gene" '
	rft-split --max-per-gene 3 --rejects capped.jsonl cases.jsonl > kept.jsonl &&
	test "$(jq -r ".genes[0].hgnc" kept.jsonl | sort | uniq -c | sort -rn | head -1 | awk "{print \$1}")" -le 3 &&
	test $(( $(wc -l < kept.jsonl) + $(wc -l < capped.jsonl) )) -eq $n &&
	test "$(jq -r .reason capped.jsonl | sort -u)" = "max_per_gene" &&
	first=$(jq -r "select(.genes[0].hgnc == \"$(head -1 capped.jsonl | jq -r ".case.genes[0].hgnc")\") | .id" cases.jsonl | head -3 | tr "\n" " ") &&
	kept3=$(jq -r "select(.genes[0].hgnc == \"$(head -1 capped.jsonl | jq -r ".case.genes[0].hgnc")\") | .id" kept.jsonl | tr "\n" " ") &&
	test "$first" = "$kept3"
'
test_expect_success 'per-split output files are written atomically; nothing is left on failure' '
	{ head -3 cases.jsonl; echo "{\"id\":\"bad\"}"; } > withbad.jsonl &&
	test_must_fail 65 rft-split --fractions train=0.5,valid=0.5 -o train=t.jsonl -o valid=v.jsonl withbad.jsonl 2> err &&
	grep_err "withbad.jsonl:4: genes is missing" err &&
	! test -e t.jsonl && ! test -e v.jsonl && test -z "$(ls -A | grep "^\.[tv]\.jsonl" || true)"
'
