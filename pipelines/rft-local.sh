#!/bin/sh
# pipelines/rft-local.yaml's stages from the shell (until rft-run lands):
# extract -> split (balanced, gene-disjoint) -> train -> rank valid with the
# base and the tuned model -> grade -> paired report.
#
#   sh pipelines/rft-local.sh [DUMP]      default: the bundled sample ZIP
# Environment: out (default build/rft-local), sizes (train=1100,valid=200 on
# a full release, 4/5 and 1/5 of the cases otherwise), seed (1), epochs (20).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"
dump="${1:-$top/testdata/phenopacket-store/all_phenopackets-sample.zip}"
out="${out:-$top/build/rft-local}"
seed="${seed:-1}"
epochs="${epochs:-20}"
mkdir -p "$out"

step() {  # step NAME CMD...: run, keep stderr in NAME.log, show it on failure
	name=$1; shift
	"$@" 2> "$out/$name.log" || {
		st=$?
		echo "rft-local: step '$name' failed (exit $st):" >&2
		cat "$out/$name.log" >&2
		exit "$st"
	}
}

step extract rft-extract --stats -o "$out/cases.jsonl" "$dump"
n=$(wc -l < "$out/cases.jsonl")
if [ -z "${sizes:-}" ]; then
	if [ "$n" -ge 2000 ]; then sizes=train=1100,valid=200; else sizes=train=$((n * 4 / 5)),valid=$((n / 5)); fi
fi
step split rft-split -m balanced --sizes "$sizes" --rest unused --max-per-gene 50 \
	-o train="$out/train.jsonl" -o valid="$out/valid.jsonl" -o unused="$out/unused.jsonl" "$out/cases.jsonl"
step check rft-split --check "$out/train.jsonl" "$out/valid.jsonl"
step train rft-train --train "$out/train.jsonl" --valid "$out/valid.jsonl" --seed "$seed" \
	--epochs "$epochs" --split-seed 0 --events "$out/events.jsonl" \
	--checkpoint "$out/checkpoint.json" -o "$out/tuned.json"
step rank-base rft-rank -o "$out/samples-base.jsonl" "$out/valid.jsonl"
step rank-tuned rft-rank --model "$out/tuned.json" -o "$out/samples-tuned.jsonl" "$out/valid.jsonl"
step grade-base rft-grade -o "$out/graded-base.jsonl" "$out/samples-base.jsonl"
step grade-tuned rft-grade -o "$out/graded-tuned.jsonl" "$out/samples-tuned.jsonl"
step report rft-report --by model -o "$out/report.txt" --html "$out/report.html" \
	"$out/graded-base.jsonl" "$out/graded-tuned.jsonl"
cat "$out/report.txt"
