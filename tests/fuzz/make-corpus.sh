#!/bin/sh
# Rebuild the seed corpora tests/fuzz/corpus/TARGET/ from the project's test
# data (run from the top of the tree; the result is committed).  Seeds are
# named after where they come from; reproducers (tests/fuzz/repro/) are not
# touched here.  Needs jq and unzip.
set -eu
C=tests/fuzz/corpus
rm -rf "$C"
mkdir -p "$C/json_diff" "$C/template" "$C/grader" "$C/input" "$C/pipeline" "$C/phenopacket"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# lines of a file as seeds DIR/PREFIX-N (at most MAX), each without its newline
lines() {  # lines FILE DIR PREFIX MAX [LEAD]
	n=0
	while IFS= read -r l && [ $n -lt "$4" ]; do
		n=$((n + 1))
		printf '%s%s' "${5:-}" "$l" > "$2/$3-$n"
	done < "$1"
}
base() { basename "$1" | sed 's/\.[^.]*$//'; }

# json_diff: record lines of every kind, phenopackets, hand-made edges
for f in $(find testdata tests/expected -name '*.jsonl' | sort); do
	lines "$f" "$C/json_diff" "$(echo "$f" | tr / _ | sed 's/\.jsonl$//')" 8
done
for f in $(find testdata/phenopackets -name '*.json' | sort); do
	cp "$f" "$C/json_diff/pp-$(base "$f")"
done
i=0
for e in '{}' '[]' 'null' '0' '-0' '1e5' '-1.5E-3' '18446744073709551616' '-9223372036854775809' \
	'12345678901234567890123' '"\u00e9\ud83d\ude00"' '"a\"b\\c\/\b\f\n\r\t"' \
	'{"a":{"b":{"c":[1,2,{"d":null}]}},"a":{"b":7}}' '{"a":[true,false,null,"x",[],{}]}' \
	'{"\u0061":1,"a":2}' '{"id":"x","genes":["A","B"],"reward":0.5}' ' { "a" : [ 1 , 2 ] } ' \
	'{"sample":{"output_json":{"genes":["KMT2D"]}},"x":{"y":1}}' '{"":{"":""}}' \
	'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' '{"a":"é€𝄞"}' '"\ud800"' \
	'{"a":1}  ' '{"a":1} x' '{"a":'; do
	i=$((i + 1))
	printf '%s' "$e" > "$C/json_diff/edge-$i"
done

# template: the templates, and a few shapes of tags
for f in testdata/prompt/*.tmpl pipelines/templates/*.tmpl; do
	cp "$f" "$C/template/$(base "$f").tmpl"
done
printf '{{#case.present}}{{@index}}:{{label}}{{^@last}}, {{/@last}}{{/case.present}}' > "$C/template/sections.tmpl"
printf '{{@system}}\nS {{prompt.age|unknown}}\n{{@user}}\nU {{item.a.b}} {{! c }}{{case.age.years|}}\n' > "$C/template/roles.tmpl"
printf '{{item.reference.genes.0.symbol}} {{ item.a }} {{.}}' > "$C/template/refs.tmpl"

# grader: grader files, formulas ('F'), lines for the default grader ('L')
for f in testdata/grade/*.json testdata/prompt/grader*.json; do
	cp "$f" "$C/grader/$(base "$f").json"
done
i=0
for e in 'a' '0.5*a+0.5*b' 'max(0, min(1, a - b ^ 2))' 'abs(floor(c)) + ceil(a) / sqrt(b)' \
	'exp(log(a+1)) - 1' '-(-a)' '(a+b+c)/3' '1e999*a' 'min(a,b,c,1,2)'; do
	i=$((i + 1))
	printf 'F%s' "$e" > "$C/grader/formula-$i"
done
lines testdata/grade/samples.jsonl "$C/grader" line-samples 16 L
lines testdata/grade/edges.jsonl "$C/grader" line-edges 45 L

# input: an option byte (max_record, repeat) and data
i=0
for f in testdata/split/*.jsonl testdata/grade/samples.jsonl testdata/hpo/micro/cases.jsonl; do
	for opt in '\010' '\003' '\024'; do
		i=$((i + 1))
		{ printf "$opt"; cat "$f"; } > "$C/input/file-$i"
	done
done
printf '\010' > "$C/input/empty"
printf '\010no newline at the end' > "$C/input/no-newline"
printf '\001a\n\nbb\r\nccc\n' > "$C/input/short-lines"
printf '\023\n\n\n' > "$C/input/newlines-repeated"

# pipeline: the shipped pipelines and small hand-made ones
for f in pipelines/*.yaml; do
	cp "$f" "$C/pipeline/$(base "$f").yaml"
done
printf 'vars:\n  n: ${N:-3}\nstages:\n  a:\n    cmd: [rft-split, -o, "${out}", "${in}"]\n    in: x.jsonl\n    out: y.jsonl\n  b:\n    jq: .id\n    in: y.jsonl\n    out: z.txt\n' > "$C/pipeline/two-stages.yaml"
printf 'stages:\n  s:\n    cmd: cat ${in[0]} ${in.b} > ${out}\n    in: {a: a.txt, b: b.txt}\n    out: o.txt\n    params: {k: v}\n' > "$C/pipeline/named-files.yaml"
printf 'stages:\n  s:\n    cmd: rft grade\n    in: a.jsonl\n    out: b.jsonl\n    shards: 4\n    hosts: [h1, h2]\n' > "$C/pipeline/shards.yaml"

# phenopacket: single files, the sample archive's members (some), the variety lines
for f in $(find testdata/phenopackets -name '*.json' | sort); do
	cp "$f" "$C/phenopacket/$(base "$f").json"
done
unzip -q -d "$tmp/zip" testdata/phenopacket-store/all_phenopackets-sample.zip
n=0
for f in $(find "$tmp/zip" -name '*.json' | sort | awk 'NR % 8 == 1'); do
	n=$((n + 1))
	cp "$f" "$C/phenopacket/zip-$(base "$f").json"
done
lines testdata/variety/variety.jsonl "$C/phenopacket" variety 20
lines testdata/variety/durations.jsonl "$C/phenopacket" durations 20

for t in "$C"/*; do
	echo "$(basename "$t"): $(ls "$t" | wc -l) files, $(du -sk "$t" | cut -f1) kB"
done
