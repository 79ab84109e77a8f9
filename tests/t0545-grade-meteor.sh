# rft-grade: text_similarity "meteor" equals NLTK's METEOR (nltk.translate.meteor_score)
. "$T/lib.sh"

M="$TD/meteor"
cat > meteor.json <<'G'
{"type": "text_similarity", "name": "meteor", "input": "{{sample.output_text}}",
 "reference": "{{item.reference}}", "evaluation_metric": "meteor", "pass_threshold": 0.5}
G
# compare "id<TAB>score" files: the same ids, every score within 1e-9
close() {
	awk -F'\t' 'NR == FNR { want[$1] = $2; n++; next }
		    !($1 in want) { print "unexpected id " $1; bad++; next }
		    { d = $2 - want[$1]; if (d < 0) d = -d; if (d > max) max = d;
		      if (d > 1e-9) { print $1 ": want " want[$1] ", got " $2; bad++ } seen++ }
		    END { printf "%d pairs, max abs difference %.3g\n", seen, max;
			  exit (bad || seen != n || n < 300) }' "$1" "$2"
}

test_expect_success 'meteor: rft-grade equals the NLTK golden values on 488 pairs (1e-9)' '
	rft-grade -g meteor.json "$M/pairs.jsonl" | jq -r "[.id, .grade.reward] | @tsv" > got &&
	close "$M/golden.tsv" got &&
	test "$(awk -F"\t" "\$2 > 0" got | wc -l)" -ge 300
'
test_expect_success 'meteor: on 4 threads as on one; --serve as batch mode' '
	rft-grade -g meteor.json -j 4 "$M/pairs.jsonl" | jq -r "[.id, .grade.reward] | @tsv" > got4 &&
	rft-grade -g meteor.json -j 1 "$M/pairs.jsonl" | jq -r "[.id, .grade.reward] | @tsv" > got1 &&
	test_cmp got1 got4 &&
	jq -c "{item: del(.sample), sample: .sample}" "$M/pairs.jsonl" | rft-grade -g meteor.json --serve |
	  jq -r .reward > served &&
	cut -f2 got1 > batch && test_cmp batch served
'
test_expect_success 'meteor: no WordNet refuses the grader at load (78), naming the path tried' '
	RFT_WORDNET_DIR="$PWD/no-such-wordnet" test_must_fail 78 rft-grade -g meteor.json --validate 2> err &&
	grep_err "no-such-wordnet/data.noun" err &&
	grep_err "meteor" err &&
	printf "%s\n" "{\"reference\":\"a\",\"sample\":{\"output_text\":\"a\"}}" > one &&
	RFT_WORDNET_DIR="$PWD/no-such-wordnet" test_must_fail 78 rft-grade -g meteor.json one > out 2> err &&
	test ! -s out
'
test_expect_success 'meteor: a pair over 2^26 word pairs scores 0 with other_error, the next line is graded' '
	words=$(yes w | head -n 8193 | tr "\n" " ") &&
	jq -nc --arg t "$words" "{reference: \$t, sample: {output_text: \$t}}" > long &&
	echo "{\"reference\":\"a cat\",\"sample\":{\"output_text\":\"a cat\"}}" >> long &&
	rft-grade -g meteor.json long | jq -c "[.grade.reward, .grade.errors.other_error, (.grade.message // \"\")]" > got &&
	sed -n 1p got | grep -q "^\[0,true,\"meteor: the texts are too long" &&
	test "$(sed -n 2p got)" = "[0.9375,false,\"\"]"
'
if [ -f /usr/share/wordnet/index.noun ]; then
	test_expect_success 'meteor: a damaged WordNet index is refused at load with its file:line' '
		mkdir wn && for f in /usr/share/wordnet/*.*; do ln -s "$f" wn/; done &&
		rm wn/index.verb && sed "40s/ 0[0-9]* *\$/ 99999999 /" /usr/share/wordnet/index.verb > wn/index.verb &&
		RFT_WORDNET_DIR="$PWD/wn" test_must_fail 78 rft-grade -g meteor.json --validate 2> err &&
		grep_err "wn/index.verb:" err
	'
else
	test_skip 'meteor: a damaged WordNet index is refused' 'no /usr/share/wordnet (wordnet-base)'
fi

# the Porter stemmer alone: a driver linked with porter.c
cc_ok=0
if command -v "${CC:-cc}" > /dev/null 2>&1 &&
   "${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$top/filters" -o porter \
	"$T/meteor-porter.c" "$top/filters/common/grader/porter.c" "$top/filters/common/util.c" -pthread; then
	cc_ok=1
fi
if [ $cc_ok = 1 ]; then
	test_expect_success 'porter: every word of the pairs stems as NLTK stems it (stored)' '
		cut -f1 "$M/porter.tsv" | ./porter > got &&
		test "$(wc -l < got)" -ge 200 &&
		test_cmp "$M/porter.tsv" got
	'
else
	test_skip 'porter: every word of the pairs stems as NLTK stems it' 'no C compiler'
fi

# live: NLTK and WordNet here (Debian: python3-nltk, wordnet-base)
PY=python3
if ! $PY -c "import nltk" 2> /dev/null && /usr/bin/python3 -c "import nltk" 2> /dev/null; then
	PY=/usr/bin/python3
fi
if $PY -c "import nltk" 2> /dev/null && [ -f "${RFT_WORDNET_DIR:-/usr/share/wordnet}/data.noun" ]; then
	test_expect_success 'meteor live: the pairs regenerate the same, NLTK recomputes the golden values' '
		$PY "$T/meteor-ref.py" pairs > pairs &&
		test_cmp "$M/pairs.jsonl" pairs &&
		$PY "$T/meteor-ref.py" golden < pairs > golden &&
		close golden "$M/golden.tsv"
	'
	test_expect_success 'meteor live: 1,000 pairs drawn from WordNet (inflections, exception lists, synonyms) equal NLTK' '
		$PY "$T/meteor-ref.py" wnpairs 1000 > wp &&
		$PY "$T/meteor-ref.py" golden < wp > want &&
		rft-grade -g meteor.json wp | jq -r "[.id, .grade.reward] | @tsv" > got &&
		close want got
	'
	if [ $cc_ok = 1 ]; then
		test_expect_success 'porter live: the words of the pairs and every one-word WordNet lemma stem as in NLTK' '
			$PY "$T/meteor-ref.py" words > words &&
			test "$(wc -l < words)" -ge 80000 &&
			$PY "$T/meteor-ref.py" porter < words > want &&
			./porter < words > got &&
			test_cmp want got
		'
	fi
else
	test_skip 'meteor live: NLTK recomputes the golden values' 'needs python3-nltk and wordnet-base'
fi
