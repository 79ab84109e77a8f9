#!/bin/sh
# The main job on the bundled sample, with the built-in ranker as the model
# (no API key): extract the real phenopackets in testdata/ into cases, split
# them with no causal gene in two splits, write the RFT prompt files, rank the
# validation cases, grade the answers and report Top-1/Top-5/Top-Max.
# (Issue 8 turns this into pipelines/demo.yaml run by rft-run.)
#
#   sh pipelines/demo.sh [DUMP]     default: the bundled sample ZIP
# Writes build/demo/: cases.jsonl rejects.jsonl train.jsonl valid.jsonl
# prompts-train.jsonl prompts-valid.jsonl samples.jsonl graded.jsonl
# report.txt report.html
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"
dump="${1:-$top/testdata/phenopacket-store/all_phenopackets-sample.zip}"
out="$top/build/demo"
mkdir -p "$out"

step() {  # step NAME CMD...: run, keep stderr in NAME.log, show it on failure
	name=$1; shift
	"$@" 2> "$out/$name.log" || {
		st=$?
		echo "rftkit demo: step '$name' failed (exit $st):" >&2
		cat "$out/$name.log" >&2
		exit "$st"
	}
}

step extract rft extract --stats --rejects "$out/rejects.jsonl" -o "$out/cases.jsonl" "$dump"
n=$(wc -l < "$out/cases.jsonl")
# the published demo's scale on a full release; a fifth for validation on the sample
if [ "$n" -ge 2000 ]; then sizes=train=1100,valid=200; else sizes=train=$((n * 4 / 5)),valid=$((n / 5)); fi
step split rft split -m balanced --sizes "$sizes" --rest unused --max-per-gene 50 --stats \
	-o train="$out/train.jsonl" -o valid="$out/valid.jsonl" -o unused="$out/unused.jsonl" "$out/cases.jsonl"
step check rft split --check --stats "$out/train.jsonl" "$out/valid.jsonl"
step prompt-train rft prompt -o "$out/prompts-train.jsonl" "$out/train.jsonl"
step prompt-valid rft prompt -o "$out/prompts-valid.jsonl" "$out/valid.jsonl"
step lint rft prompt --lint "$out/prompts-train.jsonl" "$out/prompts-valid.jsonl"
step rank rft rank -o "$out/samples.jsonl" "$out/valid.jsonl"
step grade rft grade -o "$out/graded.jsonl" "$out/samples.jsonl"
step report rft report --by model,split --html "$out/report.html" -o "$out/report.txt" "$out/graded.jsonl"

echo "rftkit demo: $(basename "$dump") -> $out/"
sed 's/^rft-extract: /  /' "$out/extract.log"
sed 's/^rft-split: /  /' "$out/check.log"
echo "  RFT files: prompts-train.jsonl ($(wc -l < "$out/prompts-train.jsonl") lines)," \
	"prompts-valid.jsonl ($(wc -l < "$out/prompts-valid.jsonl") lines), lint clean"
echo
echo "built-in ranker (rft-rank) on the validation split, graded by gene_rank:"
cat "$out/report.txt"
echo
echo "  HTML report: $out/report.html"
