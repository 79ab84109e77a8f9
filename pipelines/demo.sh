#!/bin/sh
# The main job on the bundled sample, for now: extract the real phenopackets
# in testdata/ into cases and print what they hold.  (Later stages - split,
# prompt, rank, grade, report - join this as they land; then it becomes
# pipelines/demo.yaml run by rft-run.)
#
#   sh pipelines/demo.sh [DUMP]     default: the bundled sample ZIP
# Writes build/demo/cases.jsonl and build/demo/rejects.jsonl.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/bin:$PATH"
dump="${1:-$top/testdata/phenopacket-store/all_phenopackets-sample.zip}"
out="$top/build/demo"
mkdir -p "$out"

rft extract --stats --rejects "$out/rejects.jsonl" -o "$out/cases.jsonl" "$dump" 2> "$out/extract.log" || {
	cat "$out/extract.log" >&2
	exit 1
}

echo "rftkit demo: $(basename "$dump") -> $out/cases.jsonl"
sed 's/^rft-extract: /  /' "$out/extract.log"
jq -rs '
  def pct(a; b): if b == 0 then "-" else ((1000 * a / b | round) / 10 | tostring) + "%" end;
  def row(k; v): "  \(k)\(" " * (34 - (k | length)))\(v)";
  length as $n
  | ([.[].genes[].hgnc] | unique | length) as $genes
  | row("cases"; $n),
    row("distinct causal genes (HGNC)"; $genes),
    row("cohorts"; [.[].cohort] | unique | length),
    row("publications (PMID)"; [.[].pmid | select(.)] | unique | length),
    row("cases with more than one gene"; [.[] | select(.genes | length > 1)] | length),
    row("present terms per case (mean)"; ([.[].present | length] | add / $n * 10 | round / 10)),
    row("absent terms per case (mean)"; ([.[].absent | length] | add / $n * 10 | round / 10)),
    row("cases with absent terms"; pct([.[] | select(.absent | length > 0)] | length; $n)),
    row("age in years known"; pct([.[] | select(.age.years != null)] | length; $n)),
    row("prenatal (gestational age)"; [.[] | select(.age.gestational)] | length),
    row("sex F / M / unknown"; ([.[] | select(.sex == "FEMALE")] | length | tostring) + " / "
        + ([.[] | select(.sex == "MALE")] | length | tostring) + " / "
        + ([.[] | select(.sex != "FEMALE" and .sex != "MALE")] | length | tostring)),
    "",
    "  genes with most cases:",
    ([.[].genes[0].symbol] | group_by(.) | map({g: .[0], n: length}) | sort_by(-.n, .g)[:5][]
     | "    \(.g)\(" " * (12 - (.g | length)))\(.n)")
' "$out/cases.jsonl"
