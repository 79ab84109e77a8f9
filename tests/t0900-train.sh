# rft-train on synthetic candidate pools (known best parameters), on the
# micro ontology, and its files: reproducibility, resume, rft-rank --model,
# events, and errors.  Fast enough for valgrind; the real-data runs are
# t0901-train-real.sh.
. "$T/lib.sh"

M="$TD/hpo/micro"
MDATA="--hpo-dir $M --hgnc $M/hgnc-micro.txt"
# synthetic pools: feature "exact" is 1 for the causal gene and 0 for the 29
# others; every other feature is noise (tests/train/synthetic.awk)
awk -v n=60 -v c=30 -v seed=7 -v tag=T -f "$T/train/synthetic.awk" > syn-train.jsonl
awk -v n=30 -v c=30 -v seed=99 -v tag=V -f "$T/train/synthetic.awk" > syn-valid.jsonl
SYN="--features --hgnc $M/hgnc-micro.txt --train syn-train.jsonl --valid syn-valid.jsonl --epochs 15 --batch 16 --group 8 --lr 0.1 --eval-interval 5"

test_expect_success 'synthetic: training finds the one feature that names the causal gene' '
	rft-train $SYN -o syn.json --events ev.jsonl &&
	jq -e ".provenance.valid.base.top1 < 0.2 and .provenance.valid.tuned.top1 == 1" syn.json &&
	jq -e ".weights.exact > 2 and ([.weights | to_entries[] | select(.key != \"exact\") | .value | fabs] | max) < .weights.exact / 3" syn.json
'
test_expect_success 'synthetic: held-out Top-1 is reached from the base weights (one event a step)' '
	test "$(wc -l < ev.jsonl)" = 60 &&
	jq -s -e "map(.object == \"fine_tuning.job.event\" and .type == \"metrics\") | all" ev.jsonl &&
	jq -s -e "[.[] | .data | select(.valid_top1 != null) | .step] == [5,10,15,20,25,30,35,40,45,50,55,60]" ev.jsonl &&
	jq -s -e "(.[-1].data | .valid_top1 == 1 and .total_steps == 60 and (.train_reward_mean | type) == \"number\" and (.step_time_ms | type) == \"number\")" ev.jsonl
'
test_expect_success 'same seed, same model file byte for byte, on 1 and 2 threads' '
	rft-train $SYN -j 1 -o a.json 2> /dev/null &&
	rft-train $SYN -j 2 -o b.json 2> /dev/null &&
	test_cmp a.json b.json && test_cmp syn.json a.json
'
test_expect_success 'another seed, another model' '
	rft-train $SYN --seed 2 -o c.json 2> /dev/null &&
	! cmp -s a.json c.json
'
test_expect_success 'resumed from a checkpoint it ends as the uninterrupted run' '
	rft-train $SYN --checkpoint ck.json --stop-after 23 -o r.json 2> /dev/null &&
	test ! -e r.json &&
	jq -e ".step == 23 and .format == \"rftkit-train-checkpoint/1\"" ck.json &&
	rft-train $SYN -j 2 --checkpoint ck.json --resume ck.json -o r.json 2> /dev/null &&
	test_cmp a.json r.json
'
test_expect_success 'a checkpoint of another run is refused (64)' '
	test_must_fail 64 rft-train $SYN --lr 0.2 --resume ck.json -o x.json 2> err &&
	grep_err "the checkpoint is of another run" err && test ! -e x.json
'
test_expect_success 'the model file records provenance and the meaning of each weight' '
	jq -e ".format == \"rftkit-rank-model/1\" and .method == \"disease\" and
		(.weights | keys_unsorted) == [\"match\",\"breadth\",\"absent\",\"exact\",\"specific\",\"size\",\"genes\",\"cover\"] and
		.base_weights.match == 1 and .base_weights.breadth == -0.75 and .base_weights.absent == 0.25 and
		(.meaning.absent.feature | test(\"excluded\")) and (.meaning.exact.learned | test(\"positive\")) and
		.provenance.hyperparameters.seed == 1 and .provenance.hyperparameters.group == 8 and
		.provenance.grader.type == \"gene_rank\" and .provenance.train.cases == 60 and
		.provenance.split_seed == null and .provenance.best_step > 0" syn.json &&
	rft-train $SYN --split-seed 42 -o s.json 2> /dev/null && jq -e ".provenance.split_seed == 42" s.json
'
test_expect_success '--explain reports the weights and their meaning' '
	rft-train --explain syn.json > out &&
	grep -q "^exact .* 0.0000 .*share of present terms" out &&
	grep -q "positive: more of it, higher rank" out
'
test_expect_success 'a grader file is used for the reward (linear curve changes the model)' '
	echo "{\"type\":\"gene_rank\",\"name\":\"lin\",\"curve\":\"linear\",\"max_list\":20}" > lin.json &&
	rft-train $SYN -g lin.json -o lin-model.json 2> /dev/null &&
	jq -e ".provenance.grader.curve == \"linear\"" lin-model.json && ! cmp -s lin-model.json a.json
'
test_expect_success 'micro ontology: trains from cases and records the data versions' '
	rft-train $MDATA --train "$M/cases.jsonl" --valid "$M/cases.jsonl" --epochs 3 --batch 2 -o micro.json --events micro-ev.jsonl &&
	jq -e ".provenance.data.ontology == \"hp-micro.json\" and .provenance.train.cases == 4 and
		(.provenance.data.annotations | length) == 2" micro.json
'
test_expect_success 'micro ontology: --dump-features writes the pools --features reads' '
	rft-train $MDATA --train "$M/cases.jsonl" --dump-features pools.jsonl &&
	test "$(wc -l < pools.jsonl)" = 4 &&
	jq -s -e "map(select(.id == \"made-up-1\"))[0] | (.candidates | length) == 4 and (.candidates[0].units[0] | length) == 8" pools.jsonl &&
	rft-train --features --hgnc "$M/hgnc-micro.txt" --train pools.jsonl --valid pools.jsonl --epochs 3 --batch 2 -o dumped.json --events dumped-ev.jsonl &&
	test "$(jq -c .weights dumped.json)" = "$(jq -c .weights micro.json)" &&
	jq -c .data.weights micro-ev.jsonl > want && jq -c .data.weights dumped-ev.jsonl > got &&
	test "$(wc -l < got)" = 6 && test_cmp want got
'
test_expect_success 'rft-rank --model with the base weights ranks as rft-rank does' '
	printf "{\"format\":\"rftkit-rank-model/1\",\"method\":\"disease\",\"weights\":{\"match\":1,\"breadth\":-0.75,\"absent\":0.25}}\n" > base.json &&
	rft-rank $MDATA "$M/cases.jsonl" | jq -c "[.sample.output_json.genes]" > want &&
	rft-rank $MDATA --model base.json "$M/cases.jsonl" | jq -c "[.sample.output_json.genes]" > got &&
	test_cmp want got
'
test_expect_success 'rft-rank --model uses the weights, names the model and records them' '
	printf "{\"format\":\"rftkit-rank-model/1\",\"method\":\"disease\",\"weights\":{\"match\":1,\"absent\":-5}}\n" > neg.json &&
	printf "{\"format\":\"rftkit-rank-model/1\",\"method\":\"disease\",\"weights\":{\"match\":1,\"absent\":5}}\n" > pos.json &&
	rft-rank $MDATA --model neg.json "$M/cases.jsonl" | jq -r "select(.id == \"made-up-2\") | .sample.output_json.genes | join(\" \")" > neg &&
	rft-rank $MDATA --model pos.json "$M/cases.jsonl" | jq -r "select(.id == \"made-up-2\") | .sample.output_json.genes[0]" > pos &&
	test "$(cat neg)" = "GENEC GENEA GENED GENEB" && test "$(cat pos)" = GENEB &&
	rft-rank $MDATA --model pos.json "$M/cases.jsonl" | jq -e -s "map(select(.sample)) | map((.sample.model | test(\"^rft-rank/disease\\\\+pos@[0-9a-f]{12}$\")) and .sample.params.weights.absent == 5 and .sample.params.model == \"pos.json\") | all" &&
	rft-rank $MDATA --model pos.json "$M/cases.jsonl" | jq -r "select(.id == \"made-up-2\") | .sample.output_json.explanation" | grep -q "model match +[0-9.]* absent +"
'
test_expect_success 'rft-rank --model with a trained model file' '
	rft-rank $MDATA --model micro.json "$M/cases.jsonl" > out.jsonl &&
	test "$(wc -l < out.jsonl)" = 4 &&
	jq -e -s "map(select(.sample) | .sample.model) | (unique | length == 1) and (.[0] | startswith(\"rft-rank/disease+micro@\"))" out.jsonl
'
test_expect_success 'bad model files: FILE:LINE and exit 78; missing 66; method mismatch 64' '
	printf "{\n  \"format\": \"rftkit-rank-model/1\",\n  \"method\": \"disease\",\n  \"weights\": {\n    \"match\": 1,\n    \"bogus\": 2\n  }\n}\n" > unk.json &&
	test_must_fail 78 rft-rank $MDATA --model unk.json "$M/cases.jsonl" 2> err &&
	grep_err "unk.json:6: unknown feature '"'"'bogus'"'"'" err &&
	printf "{\n  \"format\": \"rftkit-rank-model/1\",\n  \"weights\": {\"match\": 1,,}\n}\n" > broken.json &&
	test_must_fail 78 rft-rank $MDATA --model broken.json "$M/cases.jsonl" 2> err &&
	grep_err "broken.json:3: not a model file: invalid JSON" err &&
	printf "{\"format\":\"rftkit-rank-model/1\",\"method\":\"disease\",\"weights\":{\"match\":\"x\"}}\n" > str.json &&
	test_must_fail 78 rft-rank $MDATA --model str.json "$M/cases.jsonl" 2> err &&
	grep_err "str.json:1: the weight of '"'"'match'"'"' is not a finite number" err &&
	printf "{\"format\":\"other\"}\n" > fmt.json &&
	test_must_fail 78 rft-train --explain fmt.json 2> err && grep_err "fmt.json:1: not a model file" err &&
	test_must_fail 66 rft-rank $MDATA --model nope.json "$M/cases.jsonl" 2> err &&
	test_must_fail 64 rft-rank $MDATA -m gene --model base.json "$M/cases.jsonl" 2> err &&
	grep_err "trained with --method disease" err
'
test_expect_success 'bad input lines stop with FILE:LINE and 65' '
	{ head -2 syn-train.jsonl; echo "{\"id\":\"x\",\"reference\":{},\"candidates\":[{\"symbol\":\"A\",\"units\":[[1,2,3]]}]}"; } > bad.jsonl &&
	test_must_fail 65 rft-train --features --train bad.jsonl -o x.json 2> err &&
	grep_err "bad.jsonl:3: candidates[0].units[0] is not an array of 8 numbers" err && test ! -e x.json &&
	{ head -1 "$M/cases.jsonl"; echo "{\"id\":\"y\",\"present\":5,\"genes\":[{\"symbol\":\"GENEA\",\"hgnc\":\"HGNC:90001\"}]}"; } > badcase.jsonl &&
	test_must_fail 65 rft-train $MDATA --train badcase.jsonl -o x.json 2> err &&
	grep_err "badcase.jsonl:2: present is a number, not an array" err &&
	echo "not json" > nj.jsonl &&
	test_must_fail 65 rft-train --features --train nj.jsonl -o x.json 2> err && grep_err "nj.jsonl:1:" err
'
test_expect_success 'usage errors are 64, a missing input 66' '
	test_must_fail 64 rft-train -o x.json 2> err && grep_err "--train FILE is required" err &&
	test_must_fail 64 rft-train $SYN --stop-after 3 -o x.json 2> err && grep_err "needs --checkpoint" err &&
	test_must_fail 64 rft-train $SYN --group 1 -o x.json 2> err &&
	test_must_fail 64 rft-train $SYN --lr x -o x.json 2> err &&
	test_must_fail 66 rft-train --features --train nope.jsonl -o x.json 2> err &&
	test_must_fail 78 rft-train $SYN -g nope-grader.json -o x.json 2> err || test_must_fail 66 rft-train $SYN -g nope-grader.json -o x.json 2> err
'

# selection by cross-validation (--folds): synthetic pools whose causal genes
# repeat (GENE0..GENE12, case i has GENE(i mod 13); case 1 also names GENE2,
# which joins GENE1's and GENE2's cases into one group)
jq -c -s 'to_entries | map(.key as $i | .value | .reference.genes[0].symbol as $c |
	.candidates |= map(if .symbol == $c then .symbol = "GENE\($i % 13)" else . end) |
	.reference.genes = ([{"symbol": "GENE\($i % 13)", "hgnc": null}] +
		(if $i == 1 then [{"symbol": "GENE2", "hgnc": null}] else [] end))) | .[]' syn-train.jsonl > cv-train.jsonl
CV="--features --hgnc $M/hgnc-micro.txt --train cv-train.jsonl --valid syn-valid.jsonl --epochs 10 --batch 16 --group 8 --eval-interval 5 --folds 3 --grid-lr 0.05,0.1 --grid-l2 0,1"

test_expect_success 'CV folds are gene-disjoint and every training gene validates once' '
	rft-train $CV -o cv.json --events cv-ev.jsonl 2> /dev/null &&
	jq -s -e "map(select(.type == \"cv\" and .data.setting == 0) | .data) |
		length == 3 and (map(.fold) == [0,1,2]) and (map(.fold_cases) | add) == 60 and
		(map(.genes | length) | add) == 13 and ([.[].genes[]] | unique | length) == 13 and
		(map(select(.genes | index(\"symbol:GENE1\"))) | length == 1 and (.[0].genes | index(\"symbol:GENE2\")) != null)" cv-ev.jsonl &&
	jq -e ".provenance.selection.by == \"cross-validation\" and .provenance.selection.folds == 3 and
		(.provenance.selection.fold_cases | add) == 60 and (.provenance.selection.fold_genes | add) == 13 and
		(.provenance.selection.grid | length) == 4 and .provenance.selection.valid_used == false and
		.provenance.valid.used_for_selection == false and
		(.provenance.selection.selected.per_fold | length) == 3 and
		.provenance.selection.selected.cv_mean >= .provenance.selection.base.cv_mean and
		.provenance.steps == .provenance.selection.selected.step" cv.json &&
	test "$(jq -s "map(select(.type == \"cv\")) | length" cv-ev.jsonl)" = 12 &&
	test "$(jq -s "map(select(.type == \"metrics\")) | length" cv-ev.jsonl)" = "$(jq .provenance.steps cv.json)"
'
test_expect_success 'CV: the selected setting is retrained on all training genes (same as a plain run with it)' '
	lr=$(jq .provenance.selection.selected.lr cv.json) && l2=$(jq .provenance.selection.selected.l2 cv.json) &&
	steps=$(jq .provenance.steps cv.json) &&
	rft-train --features --hgnc $M/hgnc-micro.txt --train cv-train.jsonl --epochs 10 --batch 16 --group 8 \
		--lr $lr --l2 $l2 --stop-after $steps --checkpoint plain-ck.json -o /dev/null 2> /dev/null &&
	jq -c ".w" plain-ck.json > want && jq -c "[.weights[]]" cv.json > got && test_cmp want got
'
test_expect_success 'CV: same seed, same model byte for byte on 1 and 2 threads' '
	rft-train $CV -j 1 -o cv1.json 2> /dev/null && rft-train $CV -j 2 -o cv2.json 2> /dev/null &&
	test_cmp cv1.json cv2.json && test_cmp cv.json cv1.json
'
test_expect_success 'CV: the fold seed (--split-seed) makes other folds' '
	rft-train $CV --split-seed 5 -o cvs.json 2> /dev/null &&
	jq -e ".provenance.selection.fold_seed == 5" cvs.json &&
	test "$(jq -c .provenance.selection.fold_cases cvs.json)" != "" &&
	! cmp -s cv.json cvs.json
'
test_expect_success 'CV: the untouched split is never read in selection (a corrupted reference changes nothing but its own figures)' '
	jq -c "if .id == \"V1\" then .reference.genes = [{\"symbol\": \"NOSUCHGENE\", \"hgnc\": null}] else . end" syn-valid.jsonl > bad-valid.jsonl &&
	! cmp -s syn-valid.jsonl bad-valid.jsonl &&
	rft-train $CV --valid bad-valid.jsonl -o cvb.json 2> /dev/null &&
	test "$(jq -c "[.weights, .provenance.selection, .provenance.steps]" cv.json)" = "$(jq -c "[.weights, .provenance.selection, .provenance.steps]" cvb.json)" &&
	test "$(jq -c .provenance.valid.tuned cv.json)" != "$(jq -c .provenance.valid.tuned cvb.json)"
'
test_expect_success 'CV: --explain reports the CV reward, its spread and the folds' '
	rft-train --explain cv.json > out &&
	grep -q "^Selection: cross-validation over 3 gene-disjoint folds" out &&
	grep -q "^  base weights .* CV [0-9.]* +- [0-9.]* (sd over folds)  per fold: [0-9.]* [0-9.]* [0-9.]*$" out &&
	grep -q "^  SELECTED lr " out && grep -q "^Untouched split (syn-valid.jsonl, 30 cases)" out &&
	grep -q "^  gain over the base  *+[0-9.]* +- [0-9.]* (sd over folds)  per fold: [-+][0-9.]* [-+][0-9.]* [-+][0-9.]*$" out &&
	jq -e ".provenance.selection.selected | (.gain_per_fold | length) == 3 and (.gain_mean - (.cv_mean - $(jq .provenance.selection.base.cv_mean cv.json)) | fabs) < 1e-5" cv.json
'
test_expect_success 'the regulariser at a huge --l2 keeps the base weights' '
	rft-train $SYN --l2 1e12 -o reg.json 2> /dev/null &&
	jq -e "[.weights[]] as \$w | [.base_weights[]] as \$b | [range(8) | (\$w[.] - \$b[.]) | fabs] | max < 1e-9" reg.json &&
	rft-train $SYN --l2 1 -o reg1.json 2> /dev/null &&
	jq -e "[.weights[]] as \$w | [.base_weights[]] as \$b | [range(8) | (\$w[.] - \$b[.]) | fabs] | max > 0.05 and max < 1" reg1.json &&
	jq -e ".weights.exact > 0.3" reg1.json
'
test_expect_success '--objective top1 and mrr change the model and are recorded' '
	rft-train $SYN --objective top1 -o top1.json 2> /dev/null &&
	rft-train $SYN --objective mrr -o mrr.json 2> /dev/null &&
	! cmp -s top1.json a.json && ! cmp -s mrr.json a.json && ! cmp -s mrr.json top1.json &&
	jq -e ".provenance.hyperparameters.objective == \"top1\" and .weights.exact > 1" top1.json &&
	test_must_fail 64 rft-train $SYN --objective best -o x.json 2> err && grep_err "--objective must be reward, top1 or mrr" err
'
test_expect_success '--steps N trains N steps (0: the base weights)' '
	rft-train --features --hgnc $M/hgnc-micro.txt --train cv-train.jsonl --steps 0 -o s0.json 2> /dev/null &&
	test "$(jq -c "[.weights[]]" s0.json)" = "$(jq -c "[.base_weights[]]" s0.json)" &&
	rft-train --features --hgnc $M/hgnc-micro.txt --train cv-train.jsonl --epochs 10 --batch 16 --group 8 \
		--steps 7 --events s7.jsonl -o s7.json 2> /dev/null &&
	test "$(wc -l < s7.jsonl)" = 7 && jq -e ".provenance.steps == 7 and .provenance.hyperparameters.steps == 7" s7.json
'
test_expect_success '--drop holds a feature at 0 (also in the base it starts from)' '
	rft-train $SYN --drop exact,absent -o drop.json 2> /dev/null &&
	jq -e ".weights.exact == 0 and .weights.absent == 0 and .provenance.hyperparameters.drop == [\"absent\",\"exact\"]" drop.json &&
	test_must_fail 64 rft-train $SYN --drop nosuch -o x.json 2> err && grep_err "unknown feature" err
'
test_expect_success 'CV usage errors are 64' '
	test_must_fail 64 rft-train $SYN --folds 1 -o x.json 2> err &&
	test_must_fail 64 rft-train $SYN --folds 65 -o x.json 2> err &&
	test_must_fail 64 rft-train $SYN --grid-lr 0.1 -o x.json 2> err && grep_err "need --folds" err &&
	test_must_fail 64 rft-train $SYN --folds 3 --grid-lr 0.1,x -o x.json 2> err &&
	test_must_fail 64 rft-train $SYN --folds 3 --checkpoint c.json -o x.json 2> err && grep_err "cannot be combined" err &&
	test_must_fail 64 rft-train $SYN --folds 3 --steps 4 -o x.json 2> err && grep_err "cannot be combined" err &&
	test_must_fail 64 rft-train $SYN --steps -1 -o x.json 2> err &&
	test ! -e x.json
'
