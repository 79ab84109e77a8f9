# rft-train --fuse: fitting rft-fuse's weights, depth and k by the grader on
# gene-disjoint folds.  Synthetic runs of known worth: "good" names the causal
# gene first in 70% of cases (else 6th), "fair" somewhere in its top 8,
# "noise" never (20 random other genes); the fit must give noise weight 0,
# and the spec must give the same reward through rft-fuse and rft-grade.
. "$T/lib.sh"

M="$TD/hpo/micro"
python3 - <<'PY'
import json, random
rnd = random.Random(11)
pool = ["GENE%d" % i for i in range(60)]
runs = {"good": [], "fair": [], "noise": []}
for i in range(120):
    ref = pool[i % 24]                     # 24 genes, 5 cases each
    base = {"id": "case%03d" % i, "reference": {"gene": ref, "genes": [{"symbol": ref}]}}
    others = [g for g in pool if g != ref]
    good = rnd.sample(others, 9)
    good.insert(0 if rnd.random() < 0.7 else 5, ref)
    fair = rnd.sample(others, 9)
    fair.insert(rnd.randrange(8), ref)
    for name, genes in (("good", good), ("fair", fair), ("noise", rnd.sample(others, 20))):
        d = dict(base)
        d["sample"] = {"model": name, "output_json": {"genes": genes}}
        runs[name].append(json.dumps(d))
for name, lines in runs.items():
    with open(name + ".jsonl", "w") as f:
        f.write("\n".join(lines) + "\n")
PY
FIT="--hgnc $M/hgnc-micro.txt --fuse"

test_expect_success 'a run of pure noise gets weight 0, in the spec and in every fold' '
	rft-train $FIT good.jsonl fair.jsonl noise.jsonl -o spec.json 2> err &&
	jq -e ".weights.noise == 0 and .weights.good > 0" spec.json > /dev/null &&
	jq -e "[.fit.per_fold[].weights.noise] | all(. == 0)" spec.json > /dev/null &&
	test "$(jq ".fit.per_fold | length" spec.json)" = 5 &&
	grep_err "held out over 5 gene-disjoint folds" err
'
test_expect_success 'the fit beats equal weights held out, and the folds share no gene' '
	jq -e ".fit.cv_held_out > .fit.cv_default_held_out and .fit.all >= .fit.default_all" spec.json > /dev/null &&
	jq -e "[.fit.per_fold[].cases] | add == 120" spec.json > /dev/null &&
	jq -e "[.fit.per_fold[].genes] | add == 24" spec.json > /dev/null
'
test_expect_success 'the spec reproduces: rft-fuse --spec, then rft-grade, give the fitted mean reward' '
	rft-fuse --spec spec.json good.jsonl fair.jsonl noise.jsonl > fused.jsonl &&
	rft-grade --hgnc "$M/hgnc-micro.txt" fused.jsonl > graded.jsonl &&
	jq -s -e --slurpfile s spec.json "(map(.grade.reward) | add / length) == \$s[0].fit.all" graded.jsonl > /dev/null &&
	test "$(jq -r .sample.fuse.runs[2].weight fused.jsonl | sort -u)" = 0
'
test_expect_success 'the fit is the same bytes on a rerun and on one thread' '
	rft-train $FIT -j 1 good.jsonl fair.jsonl noise.jsonl -o spec1.json 2> /dev/null &&
	test_cmp spec.json spec1.json
'
test_expect_success 'other rules: borda and rankedpairs fit without k, weight noise 0' '
	rft-train $FIT --fuse-rule borda --folds 3 good.jsonl fair.jsonl noise.jsonl -o b.json 2> /dev/null &&
	jq -e "(has(\"k\") | not) and .rule == \"borda\" and .weights.noise == 0 and .fit.folds == 3" b.json > /dev/null &&
	rft-train $FIT --fuse-rule rankedpairs --folds 2 good.jsonl noise.jsonl -o r.json 2> /dev/null &&
	jq -e ".weights.noise == 0" r.json > /dev/null &&
	rft-fuse --spec b.json good.jsonl fair.jsonl noise.jsonl | rft-grade --hgnc "$M/hgnc-micro.txt" > gb.jsonl &&
	jq -s -e --slurpfile s b.json "(map(.grade.reward) | add / length) == \$s[0].fit.all" gb.jsonl > /dev/null
'
test_expect_success 'errors: no runs, --train with --fuse, a bad rule (64); a case missing from a run (65)' '
	test_must_fail 64 rft-train $FIT 2> err && grep_err "needs the runs" err &&
	test_must_fail 64 rft-train $FIT --train good.jsonl fair.jsonl 2> /dev/null &&
	test_must_fail 64 rft-train $FIT --fuse-rule vote good.jsonl 2> /dev/null &&
	head -5 fair.jsonl > fair5.jsonl &&
	test_must_fail 65 rft-train $FIT good.jsonl fair5.jsonl 2> err &&
	grep_err "case '"'"'case005'"'"' is missing from run '"'"'fair5'"'"'" err
'
