#!/bin/bash
# Benchmark peer of rft-extract built from unzip and jq (1.6 or later):
#
#     bash extract_peer.sh ARCHIVE.zip > cases.jsonl
#
# `unzip -Z1` lists the *.json members in archive order, `unzip -p` streams
# their documents in that same order into one jq process, which pairs the
# n-th document with the n-th name and writes the case line of rft-extract.
#
# jq writes DEL (0x7f) inside strings as \u007f where rft-extract writes the raw
# byte, so a sed pass puts it back (it only changes lines holding \u007f).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: extract_peer.sh ARCHIVE.zip > cases.jsonl" >&2
	exit 64
fi
archive=$1
[ -r "$archive" ] || { echo "extract_peer.sh: cannot read $archive" >&2; exit 66; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extract-peer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# member names: files (not directories) ending in .json, in archive order
unzip -Z1 "$archive" | grep '\.json$' > "$tmp/names" || true

# shellcheck disable=SC2016  # the jq program is single-quoted on purpose
unzip -p "$archive" '*.json' | jq -c -n --rawfile names "$tmp/names" '
  # years in an ISO 8601 duration PnYnMnWnDTnHnMnS, null when it does not parse
  def duration_years:
    if type != "string" or . == "P" or endswith("T") then null
    else
      (capture("^P(?:(?<y>[0-9]+(?:[.,][0-9]+)?)Y)?(?:(?<mo>[0-9]+(?:[.,][0-9]+)?)M)?"
               + "(?:(?<w>[0-9]+(?:[.,][0-9]+)?)W)?(?:(?<d>[0-9]+(?:[.,][0-9]+)?)D)?"
               + "(?:T(?:(?<h>[0-9]+(?:[.,][0-9]+)?)H)?(?:(?<mi>[0-9]+(?:[.,][0-9]+)?)M)?"
               + "(?:(?<s>[0-9]+(?:[.,][0-9]+)?)S)?)?$")
       | map_values(if . == null or . == "" then 0 else sub(","; ".") | tonumber end)
       | .y + .mo / 12 + .w * 7 / 365.25 + .d / 365.25 + (.h + .mi / 60 + .s / 3600) / 8766
       | (. * 1000 | round) / 1000)
      // null
    end;

  def term: {id: .id, label: .label};

  # first of each key (given by f) kept, order kept
  def distinct_by(f):
    reduce .[] as $x ({seen: {}, out: []};
      ($x | f | tojson) as $k
      | if .seen[$k] then . else .seen[$k] = true | .out += [$x] end)
    | .out;

  def age:
    if . == null then null
    elif has("age") then
      {iso8601: .age.iso8601duration, years: (.age.iso8601duration | duration_years)}
    else {iso8601: null, years: null}
      + if has("gestationalAge") then
          {gestational: {weeks: .gestationalAge.weeks, days: (.gestationalAge.days // 0)}}
        elif has("ontologyClass") then {onset: (.ontologyClass | term)}
        elif has("ageRange") then
          {range: {start: .ageRange.start.iso8601duration, end: .ageRange.end.iso8601duration}}
        elif has("timestamp") then {timestamp: .timestamp}
        elif has("interval") then {interval: {start: .interval.start, end: .interval.end}}
        else {} end
    end;

  def genes:
    [.interpretations[]?.diagnosis.genomicInterpretations[]?
     | select(.interpretationStatus != "REJECTED")
     | (.variantInterpretation.variationDescriptor.geneContext // .gene) // empty
     | {symbol: .symbol,
        hgnc: (.valueId | if type == "string" and startswith("HGNC:") then . else null end)}
     | select(.symbol != null or .hgnc != null)]
    | distinct_by(if .hgnc != null then ["hgnc", .hgnc] else ["symbol", .symbol] end);

  def features(absent):
    [.phenotypicFeatures[]? | select((.excluded == true) == absent) | .type | term]
    | distinct_by(.id);

  def diseases:
    [(.diseases[]? | select(.excluded != true) | .term),
     (.interpretations[]?.diagnosis.disease)
     | values | term]
    | distinct_by(.id);

  def case($source):
    genes as $genes
    | select(any($genes[]; .hgnc != null))
    | {id: .id,
       source: $source,
       cohort: ($source | split("/") | if length > 1 then .[-2] else null end),
       pmid: (first(.metaData.externalReferences[]?.id
                    | select(type == "string" and startswith("PMID:"))) // null),
       sex: (.subject.sex // "UNKNOWN_SEX"),
       age: (.subject.timeAtLastEncounter | age),
       present: features(false),
       absent: features(true),
       genes: $genes,
       diseases: diseases};

  ($names | split("\n")) as $n
  | foreach inputs as $doc (-1; . + 1; . as $i | $doc | case($n[$i]))
' | LC_ALL=C sed -e ':a' -e 's/\(^\|[^\\]\)\(\(\\\\\)*\)\\u007f/\1\2\x7f/' -e 'ta'
