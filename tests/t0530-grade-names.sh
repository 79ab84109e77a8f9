# gene_rank: its name rule and tie rule. The name rule: the C grader and the python it exports read every
# name form alike (man/rft-grade.1, NAME MATCHING), and a grader exported for
# one dataset credits the right answer on another's lines.
. "$T/lib.sh"

H="$TD/hgnc/hgnc_complete_set-2024-10.txt.gz"

test_expect_success 'differential: 20,000 generated adversarial answers, C == exported python on every line' '
	python3 "$T/grade-names-diff.py" --hgnc "$H" --n 20000 --seed 11 nd > diff.out 2> diff.err ||
	  { cat diff.out diff.err >&2; exit 1; } &&
	grep -q "^20000 lines, 0 disagreements, 0 right-first answers below 1$" diff.out &&
	grep -q "^another dataset: \([0-9]*\)/\1 right-first answers scored 1" diff.out &&
	test "$(grep -c "^[a-z_]* *[0-9]" diff.out)" -ge 11
'
test_expect_success 'name forms: Unicode space, markdown, A (B), A/B, HGNC ids in lists, case' '
	python3 - > forms.jsonl <<-\EOF &&
	import json
	ref = {"genes": [{"symbol": "KMT2D", "hgnc": "HGNC:7133"}]}
	for a in ["\u00a0KMT2D\u3000", "__kmt2d__", "MLL2 (KMT2D)", "NOTAGENE (KMT2D)", "MLL2/KMT2D",
	          "\"KMT2D\",", "HGNC:7133", "\u200bKmt2d\ufeff"]:
	    print(json.dumps({"reference": ref, "sample": {"output_json": {"genes": [a]}}}))
	for a in ["1. HGNC:7133", "1. NOTAGENE (KMT2D)", "1. x1/KMT2D", "1) \"KMT2D\"", "- __KMT2D__",
	          "2. \u00a0**KMT2D**"]:
	    print(json.dumps({"reference": ref, "sample": {"output_text": "junk\n" + a + "\n"}}))
	EOF
	test "$(wc -l < forms.jsonl)" = 14 &&
	rft-grade forms.jsonl | jq -r .grade.reward | sort -u > got &&
	test "$(cat got)" = 1 &&
	jq -c "{item: del(.sample), sample}" forms.jsonl | rft-grade --serve | jq -r .reward | sort -u > got2 &&
	test "$(cat got2)" = 1
'
test_expect_success 'a reference gene is recognised by its own names first, before any table' '
	printf "%s\n" "{\"reference\":{\"genes\":[{\"symbol\":\"KMT2D\",\"hgnc\":\"HGNC:7133\",\"names\":[\"ZZNOTINHGNC9\"]}]},\"sample\":{\"output_json\":{\"genes\":[\"X1\",\" zznotinhgnc9 \"]}}}" > nh.jsonl &&
	test "$(rft-grade nh.jsonl | jq -c "[.grade.rank, .grade.predicted]")" = "[2,[\"X1\",\"KMT2D\"]]" &&
	rft-grade --export-openai nh-grader.json --dataset nh.jsonl < /dev/null &&
	python3 -c "
import json, sys
ns = {}
exec(json.load(open(\"nh-grader.json\"))[\"source\"], ns)
l = json.loads(open(\"nh.jsonl\").readline())
s = l.pop(\"sample\")
sys.exit(0 if ns[\"grade\"](s, l) == 0.5 else 1)"
'
test_expect_success 'rewards keep full precision (1/3 is not 0.333333)' '
	printf "%s\n" "{\"reference\":{\"genes\":[\"KMT2D\"]},\"sample\":{\"output_json\":{\"genes\":[\"A1\",\"A2\",\"KMT2D\"]}}}" > p.jsonl &&
	test "$(rft-grade p.jsonl | grep -o "\"reward\":[0-9.]*")" = "\"reward\":0.3333333333333333" &&
	test "$(jq -c "{item: del(.sample), sample}" p.jsonl | rft-grade --serve | jq -r .reward)" = 0.3333333333333333
'
test_expect_success 'ties: genes a sample scores equally share the worst rank (PhEval), --ties list keeps list order; recorded' '
	python3 - > ties.jsonl <<-\EOF &&
	import json
	ref = {"genes": [{"symbol": "KMT2D", "hgnc": "HGNC:7133"}]}
	def line(i, genes, scores):
	    return json.dumps({"id": i, "reference": ref, "sample": {"output_json": {"genes": genes},
	        "ranking": [{"symbol": g, "score": s} for g, s in zip(genes, scores)]}})
	print(line("tie3", ["KMT2D", "KDM6A", "CHD7", "FBN1"], [2.0, 2.0, 2.0, 1.0]))
	print(line("notie", ["KMT2D", "KDM6A", "CHD7"], [3.0, 2.0, 1.0]))
	print(line("tie_after", ["FBN1", "KMT2D", "CHD7"], [3.0, 2.0, 2]))
	print(line("short_ranking", ["KMT2D", "KDM6A"], [2.0]))
	print(json.dumps({"id": "noscores", "reference": ref, "sample": {"output_json": {"genes": ["KMT2D", "CHD7"]}}}))
	EOF
	rft-grade ties.jsonl | jq -c "[.id, .grade.rank, .grade.tie_rule]" > worst &&
	printf "%s\n" "[\"tie3\",3,\"worst\"]" "[\"notie\",1,\"worst\"]" "[\"tie_after\",3,\"worst\"]" \
	  "[\"short_ranking\",1,null]" "[\"noscores\",1,null]" > want && test_cmp want worst &&
	jq -c "{item: del(.sample), sample}" ties.jsonl | rft-grade --serve | jq -c "[.grade.rank, .grade.tie_rule]" > served &&
	jq -c ".[1:]" worst > want2 && test_cmp want2 served &&
	rft-grade --ties list ties.jsonl | jq -c "[.id, .grade.rank, .grade.tie_rule]" > list &&
	printf "%s\n" "[\"tie3\",1,\"list\"]" "[\"notie\",1,\"list\"]" "[\"tie_after\",2,\"list\"]" \
	  "[\"short_ranking\",1,null]" "[\"noscores\",1,null]" > want3 && test_cmp want3 list &&
	echo "{\"type\":\"gene_rank\",\"name\":\"g\",\"ties\":\"list\"}" > tl.json &&
	test "$(rft-grade -g tl.json ties.jsonl | jq -r "select(.id == \"tie3\") | .grade.rank")" = 1 &&
	echo "{\"type\":\"gene_rank\",\"name\":\"g\",\"ties\":\"best\"}" > tb.json &&
	test_must_fail 78 rft-grade --validate -g tb.json 2> tb.err && grep_err "unknown \"ties\" rule" tb.err &&
	test_must_fail 64 rft-grade --ties average ties.jsonl 2> ta.err
'
test_expect_success 'a reference shown by its key (no symbol) is read whole, also in --serve (ASan: no use after free)' '
	printf "%s\n" "{\"reference\":{\"genes\":[{\"hgnc\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"}]},\"sample\":{\"output_json\":{\"genes\":[\"X1\",\"abcdefghijklmnopqrstuvwxyz0123456789\"]}}}" > uaf.jsonl &&
	test "$(rft-grade uaf.jsonl | jq -c "[.grade.rank, .grade.predicted]")" = "[2,[\"X1\",\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"]]" &&
	test "$(jq -c "{item: del(.sample), sample}" uaf.jsonl | rft-grade --serve | jq -c .grade.rank)" = 2
'
