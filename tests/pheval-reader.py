#!/usr/bin/env python3
"""An independent reader of PhEval gene results (tests/t0640-pheval.sh).

usage: pheval-reader.py RESULTS_DIR PHENOPACKETS...

RESULTS_DIR holds pheval_gene_results/STEM-gene_result.tsv (rank, score,
gene_symbol, gene_identifier).  PHENOPACKETS are phenopacket JSON files or
folders of them.  The causal genes come from the phenopackets themselves
(not from rft-extract): the HGNC ids of every genomic interpretation that is
not REJECTED (v2: gene / variantInterpretation.variationDescriptor.geneContext,
valueId or alternateIds; v1: the same, and top-level genes[].id).

Ranks are checked, not trusted: the file must be sorted by score (higher
first) with tied scores sharing the worst rank (PhEval's rule).  A case's
rank is the best rank of a row whose gene_identifier is a causal gene; a
phenopacket without a result file, or whose causal gene is not listed, is a
miss.  Prints one JSON object: n, top1, top3, top5, top10 (fractions), mrr,
and the counts behind them.  Exit 1 on a malformed result file.
"""
import json
import os
import sys


def hgnc_ids(desc):
    out = set()
    if not isinstance(desc, dict):
        return out
    for v in [desc.get("valueId"), desc.get("id")] + list(desc.get("alternateIds") or []):
        if isinstance(v, str):
            v = v.strip()
            if v.upper().startswith("HGNC:"):
                out.add("HGNC:" + v[5:].strip())
    return out


def causal(pp):
    genes = set()
    for interp in pp.get("interpretations") or []:
        diag = interp.get("diagnosis") or {}
        for gi in diag.get("genomicInterpretations") or []:
            if gi.get("interpretationStatus") == "REJECTED":
                continue
            genes |= hgnc_ids(gi.get("gene"))
            vi = gi.get("variantInterpretation") or {}
            genes |= hgnc_ids((vi.get("variationDescriptor") or {}).get("geneContext"))
            genes |= hgnc_ids((gi.get("variant") or {}).get("gene"))
    for g in pp.get("genes") or []:        # v1
        genes |= hgnc_ids(g)
    return genes


def phenopackets(args):
    for a in args:
        if os.path.isdir(a):
            for root, _, files in sorted(os.walk(a)):
                for f in sorted(files):
                    if f.endswith(".json"):
                        yield os.path.join(root, f)
        else:
            yield a


def read_result(path):
    with open(path, encoding="utf-8") as fp:
        lines = fp.read().split("\n")
    if lines[0] != "rank\tscore\tgene_symbol\tgene_identifier":
        raise ValueError(f"{path}:1: not PhEval's gene result header")
    rows = []
    for i, line in enumerate(lines[1:], 2):
        if line == "":
            continue
        f = line.split("\t")
        if len(f) != 4:
            raise ValueError(f"{path}:{i}: {len(f)} fields, not 4")
        rows.append((int(f[0]), float(f[1]), f[2], f[3]))
    scores = [r[1] for r in rows]
    if scores != sorted(scores, reverse=True):
        raise ValueError(f"{path}: rows not sorted by score, higher first")
    for r in rows:
        worst = sum(1 for s in scores if s >= r[1])
        if r[0] != worst:
            raise ValueError(f"{path}: {r[2]} has rank {r[0]}, worst rank of its score is {worst}")
    return rows


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 64
    rdir = os.path.join(argv[1], "pheval_gene_results")
    n = nogene = nofile = 0
    ranks = []
    for path in phenopackets(argv[2:]):
        with open(path, encoding="utf-8") as fp:
            pp = json.load(fp)
        genes = causal(pp)
        if not genes:
            nogene += 1
            continue
        n += 1
        stem = os.path.basename(path)
        stem = stem[:-5] if stem.endswith(".json") else stem
        rpath = os.path.join(rdir, stem + "-gene_result.tsv")
        if not os.path.exists(rpath):
            nofile += 1
            ranks.append(None)
            continue
        try:
            rows = read_result(rpath)
        except ValueError as e:
            sys.stderr.write(f"pheval-reader: {e}\n")
            return 1
        hit = [r[0] for r in rows if r[3] in genes]
        ranks.append(min(hit) if hit else None)
    out = {"n": n}
    for k in (1, 3, 5, 10):
        hits = sum(1 for r in ranks if r is not None and r <= k)
        out[f"top{k}"] = round(hits / n, 6) if n else 0
        out[f"top{k}_hits"] = hits
    out["mrr"] = round(sum(1 / r for r in ranks if r) / n, 6) if n else 0
    out["no_result_file"] = nofile
    out["no_causal_gene"] = nogene
    print(json.dumps(out, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
