#!/usr/bin/env python3
"""fuse-ref.py - an independent reference of rft-fuse's rrf and borda rules
(common/fuse.h) for the hybrid pipeline's test (t0836).

    fuse-ref.py RULE K RUN=WEIGHT:FILE...

Reads each FILE's sample lines (several lines of a case in one run are each
a list of it, sharing the run's weight: w/m each), cuts each list (names
trimmed of ASCII white space, keyed upper-cased, repeats dropped), scores

    rrf    sum of w / (K + r)
    borda  sum of w * (D - r + 1), D the longest cut list of the case

and orders by score, then best rank, then more lists, then the key's bytes.
Writes one line per case, in the first run's order: [id, [genes...]].
"""
import json
import sys


def cut(genes):
    seen, out = set(), []
    for g in genes:
        if not isinstance(g, str):
            g = g.get("symbol") if isinstance(g, dict) else None
            if not isinstance(g, str):
                continue
        name = g.strip(" \t\n\r\f\v")
        if not name:
            continue
        key = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in name)
        if key in seen:
            continue
        seen.add(key)
        out.append((key, name))
    return out


def main():
    rule, k = sys.argv[1], float(sys.argv[2])
    runs = []   # (weight, {id: [lists]}), order of ids of the first run
    order = []
    for arg in sys.argv[3:]:
        name, rest = arg.split("=", 1)
        w, path = rest.split(":", 1)
        by = {}
        for line in open(path):
            o = json.loads(line)
            if o["id"] not in by and not runs:
                order.append(o["id"])
            by.setdefault(o["id"], []).append(cut(o["sample"]["output_json"]["genes"]))
        runs.append((float(w), by))
    for cid in order:
        lists = []
        for w, by in runs:
            ls = by[cid]
            for l in ls:
                lists.append((w / len(ls), l))
        D = max(len(l) for _, l in lists)
        score, best, nl, spell = {}, {}, {}, {}
        for w, l in lists:
            for i, (key, name) in enumerate(l):
                r = i + 1
                v = w / (k + r) if rule == "rrf" else w * (D - r + 1)
                score[key] = score.get(key, 0.0) + v
                best[key] = min(best.get(key, r), r)
                nl[key] = nl.get(key, 0) + 1
                spell.setdefault(key, name)
        keys = sorted(score, key=lambda g: (-score[g], best[g], -nl[g], g.encode()))
        print(json.dumps([cid, [spell[g] for g in keys]], separators=(",", ":")))


if __name__ == "__main__":
    main()
