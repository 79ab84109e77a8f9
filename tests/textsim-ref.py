#!/usr/bin/env python3
"""Reference values of text_similarity's n-gram metrics for text pairs.

    textsim-ref.py PAIRS.jsonl > GOLDEN.jsonl

PAIRS is tests/textsim-pairs.py's output.  Each output line is
    {"id": ID, "bleu": B, "gleu": G[, "rouge_1": ..., "rouge_l": ...]}
with the floats as python writes them (repr, which reads back exactly).

BLEU and GLEU are NLTK's, called as rft-grade's text_similarity computes
them (filters/common/grader/textsim.c):
    sentence_bleu([ref.split()], hyp.split())   weights (0.25,)*4, no smoothing
    sentence_gleu([ref.split()], hyp.split())   min_len 1, max_len 4
ROUGE is Google's rouge-score, F-measure of
    RougeScorer([rouge1 .. rouge5, rougeL], use_stemmer=False).score(ref, hyp)
and only when it can be imported: put the directory that holds its
"rouge" package in RFT_ROUGE_SRC (or have rouge_score installed).  Without
it the ROUGE fields are left out and a note goes to stderr.
"""
import json
import os
import sys
import warnings


def rouge_scorer_module():
    src = os.environ.get("RFT_ROUGE_SRC")
    if src:
        sys.path.insert(0, src)
        try:
            from rouge import rouge_scorer  # the google-research tree
            return rouge_scorer
        except ImportError as e:
            print("textsim-ref.py: RFT_ROUGE_SRC=%s: %s" % (src, e), file=sys.stderr)
    try:
        from rouge_score import rouge_scorer  # the PyPI package
        return rouge_scorer
    except ImportError:
        return None


def main():
    if len(sys.argv) != 2:
        print("usage: textsim-ref.py PAIRS.jsonl", file=sys.stderr)
        return 64
    from nltk.translate.bleu_score import sentence_bleu
    from nltk.translate.gleu_score import sentence_gleu

    # method0 warns on every order with no match; the value is what counts
    warnings.filterwarnings("ignore", module="nltk")
    rs = rouge_scorer_module()
    scorer = None
    if rs is None:
        print("textsim-ref.py: rouge-score not importable: ROUGE left out", file=sys.stderr)
    else:
        scorer = rs.RougeScorer(["rouge1", "rouge2", "rouge3", "rouge4", "rouge5", "rougeL"], use_stemmer=False)
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            ref, hyp = p["ref"], p["sample"]["output_text"]
            out = {"id": p["id"],
                   "bleu": float(sentence_bleu([ref.split()], hyp.split())),
                   "gleu": float(sentence_gleu([ref.split()], hyp.split()))}
            if scorer is not None:
                s = scorer.score(ref, hyp)
                for n in range(1, 6):
                    out["rouge_%d" % n] = s["rouge%d" % n].fmeasure
                out["rouge_l"] = s["rougeL"].fmeasure
            print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
