# rft-train on real data: pipelines/rft-local.yaml, run by rft-run, on the
# bundled sample with the bundled HPO 2023 release.  Skipped under valgrind (loading the real ontology takes minutes
# there; t0900 covers the same code on the micro ontology and synthetic pools).
. "$T/lib.sh"

if [ "${RFT_VALGRIND:-0}" = 1 ]; then
	test_skip 'rft-local.yaml on the bundled sample: base and tuned, paired report; a second run runs nothing' 'slow under valgrind'
	test_skip 'real data: the tuned model ranks with rft-rank --model as training measured it' 'slow under valgrind'
	exit 0
fi
test_expect_success 'rft-local.yaml on the bundled sample: base and tuned, paired report; a second run runs nothing' '
	OUT="$PWD/local" EPOCHS=4 rft-run "$top/pipelines/rft-local.yaml" > out.txt 2>&1 &&
	test ! -s out.txt && cp local/report.txt report.txt &&
	test "$(wc -l < local/logs/run.jsonl)" = 9 &&
	OUT="$PWD/local" EPOCHS=4 rft-run "$top/pipelines/rft-local.yaml" > out.txt 2>&1 &&
	test ! -s out.txt && test "$(wc -l < local/logs/run.jsonl)" = 9 &&
	grep -q "^| rft-rank/disease *| rft-rank/disease+tuned@[0-9a-f]* *| 57 " report.txt &&
	jq -e ".provenance.data.hpo == \"2023-01-27\" and .provenance.train.cases == 229 and
		.provenance.valid.cases == 57 and .provenance.split_seed == 0 and
		.provenance.hyperparameters.epochs == 4" local/tuned.json &&
	test "$(wc -l < local/events.jsonl)" = 16 &&
	rft-split --check local/train.jsonl local/valid.jsonl
'
# (the recorded figures rank every gene, as rft-rank --model does, and are graded with the
# grader's tie rule (worst): rft-train grades its lists with their scores as rft-rank writes
# them, so its figures are what rft-grade gives rft-rank's output, to the last case)
test_expect_success 'real data: the tuned model ranks with rft-rank --model as training measured it' '
	rft-train --train local/train.jsonl --valid local/train.jsonl --epochs 3 -o m.json 2> /dev/null &&
	jq -e ".provenance.best_step > 0" m.json &&
	rft-rank --model m.json local/train.jsonl | rft-grade > g.jsonl &&
	jq -s -e --slurpfile m m.json "(map(select(.grade.rank == 1)) | length) / length - \$m[0].provenance.valid.tuned.top1 | fabs < 1e-6" g.jsonl &&
	jq -s -e --slurpfile m m.json "(map(.grade.reward) | add) / length - \$m[0].provenance.valid.tuned.reward_mean | fabs < 1e-6" g.jsonl &&
	rft-rank local/train.jsonl | rft-grade > gb.jsonl &&
	jq -s -e --slurpfile m m.json "(map(.grade.reward) | add) / length - \$m[0].provenance.valid.base.reward_mean | fabs < 1e-6" gb.jsonl
'
