#!/usr/bin/env python3
"""An independent reference of rft-fuse's rules (see rft-fuse(1)), for tests.

  fuse-ref.py fuse [--rule R] [--k K] [--depth N] [--weight NAME=W]... [--allow-missing] RUN...
      fuse as rft-fuse does; print one projection line per case
  fuse-ref.py project FILE
      the same projection of rft-fuse's output lines
  fuse-ref.py gen SEED DIR [--sorted]
      write random runs into DIR (lists with ties, repeats, blanks, non-names,
      several completions, error lines, unparsed samples, missing cases) and
      print the rft-fuse arguments that go with them, one a line

The projection: {"id","base","genes","ranking":[[symbol,hgnc,score,best,lists]],
"fuse":{rule,k,depth,lists,unscored,runs:[[name,file,models,weight,lines,lists,
errors,unparsed]],missing}}, with scores as floats, keys sorted.
"""
import json
import math
import os
import random
import sys

TRIM = " \t\n\v\f\r"
RULES = ("rrf", "borda", "score", "rankedpairs")


def key_of(name):
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in name)


def num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def read_line(d):
    """(error, unparsed, genes, hgnc, scores, model)"""
    s = d.get("sample")
    if s is None:
        if "error" not in d:
            raise ValueError("neither sample nor error")
        return (True, False, [], [], None, None)
    model = s.get("model") if isinstance(s.get("model"), str) else None
    oj = s.get("output_json")
    genes = oj.get("genes") if isinstance(oj, dict) else None
    if not isinstance(genes, list):
        return (False, True, [], [], None, model)
    names = []
    for e in genes:
        if isinstance(e, str):
            names.append(e)
        elif isinstance(e, dict) and isinstance(e.get("symbol"), str):
            names.append(e["symbol"])
        else:
            names.append(None)
    hg = [None] * len(names)
    rk = s.get("ranking")
    if not isinstance(rk, list):
        return (False, False, names, hg, None, model)
    scores = [math.nan] * len(names)
    for i, g in enumerate(names):
        if g is None:
            continue
        for e in rk:
            if isinstance(e, dict) and e.get("symbol") == g:
                if num(e.get("score")):
                    scores[i] = float(e["score"])
                if isinstance(e.get("hgnc"), str):
                    hg[i] = e["hgnc"]
                break
    return (False, False, names, hg, scores, model)


def fuse(lists, rule, k, depth):
    """lists: [(names, hgnc, scores, weight)] -> (items, used, unscored);
    items [(symbol, hgnc, score or None, best, nlists)] best first"""
    genes = {}          # key -> dict
    order = []
    cuts = []
    used = 0
    for names, hg, scores, w in lists:
        if not (w > 0):
            continue
        used += 1
        cut = []        # (key, original index)
        seen = set()
        for i, s in enumerate(names):
            if depth and len(cut) >= depth:
                break
            if s is None:
                continue
            t = s.strip(TRIM)
            if not t:
                continue
            kk = key_of(t)
            if kk not in genes:
                genes[kk] = {"sym": t, "hgnc": None, "score": 0.0, "best": None, "n": 0}
                order.append(kk)
            if kk in seen:
                continue
            seen.add(kk)
            if genes[kk]["hgnc"] is None and hg[i]:
                genes[kk]["hgnc"] = hg[i]
            cut.append((kk, i))
        cuts.append((cut, scores, w))
    for cut, _, _ in cuts:
        for r, (kk, _) in enumerate(cut, 1):
            g = genes[kk]
            g["best"] = r if g["best"] is None else min(g["best"], r)
            g["n"] += 1

    def tie(kk):
        return (genes[kk]["best"], -genes[kk]["n"], kk.encode("utf-8"))

    unscored = 0
    if rule == "rankedpairs":
        cand = sorted(order, key=tie)
        place = {kk: p for p, kk in enumerate(cand)}
        d = {}
        for cut, _, w in cuts:
            inl = [kk for kk, _ in cut]
            ins = set(inl)
            for i, a in enumerate(inl):
                for b in inl[i + 1:]:
                    d[a, b] = d.get((a, b), 0.0) + w
                for b in cand:
                    if b not in ins:
                        d[a, b] = d.get((a, b), 0.0) + w
        pairs = []
        for i, a in enumerate(cand):
            for b in cand[i + 1:]:
                m = d.get((a, b), 0.0) - d.get((b, a), 0.0)
                if m > 0:
                    pairs.append((m, a, b))
                elif m < 0:
                    pairs.append((-m, b, a))
        pairs.sort(key=lambda x: (-x[0], place[x[1]], place[x[2]]))
        out_edges = {kk: set() for kk in cand}

        def reaches(x, y):
            stack, seen = [x], {x}
            while stack:
                u = stack.pop()
                if u == y:
                    return True
                for v in out_edges[u]:
                    if v not in seen:
                        seen.add(v)
                        stack.append(v)
            return False

        for m, a, b in pairs:
            if not reaches(b, a):
                out_edges[a].add(b)
        left = list(cand)
        ranked = []
        while left:
            for x in left:
                if not any(x in out_edges[y] for y in left if y != x):
                    break
            left.remove(x)
            ranked.append(x)
        items = [(genes[kk]["sym"], genes[kk]["hgnc"], None, genes[kk]["best"], genes[kk]["n"]) for kk in ranked]
        return items, used, 0
    D = depth if depth else max([len(c) for c, _, _ in cuts] + [0])
    for cut, scores, w in cuts:
        n = len(cut)
        if not n:
            continue
        if rule == "score":
            scored = scores is not None and all(math.isfinite(scores[i]) for _, i in cut)
            if not scored:
                unscored += 1
            vals = [scores[i] if scored else float(n - r) for r, (_, i) in enumerate(cut)]
            mn, mx = min(vals), max(vals)
        for r, (kk, i) in enumerate(cut, 1):
            if rule == "rrf":
                v = w / (k + r)
            elif rule == "borda":
                v = w * float(D - r + 1)
            else:
                s = vals[r - 1]
                v = w * 1.0 if mx == mn else w * ((s - mn) / (mx - mn))
            genes[kk]["score"] += v
    ranked = sorted(order, key=lambda kk: (-genes[kk]["score"],) + tie(kk))
    items = [(genes[kk]["sym"], genes[kk]["hgnc"], genes[kk]["score"], genes[kk]["best"], genes[kk]["n"])
             for kk in ranked]
    return items, used, unscored


def run_name(arg):
    if "=" in arg:
        n, f = arg.split("=", 1)
        if n and all(c.isascii() and (c.isalnum() or c in "_-.") for c in n) and f:
            return n, f
    b = os.path.basename(arg)
    if len(b) > 3 and b.endswith(".gz"):
        b = b[:-3]
    if len(b) > 6 and b.endswith(".jsonl"):
        b = b[:-6]
    elif len(b) > 5 and b.endswith(".json"):
        b = b[:-5]
    return b, arg


def cmd_fuse(argv):
    rule, k, depth, wts, allow, runs = "rrf", 60.0, 0, {}, False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--rule", "--k", "--depth", "--weight"):
            v = argv[i + 1]
            i += 1
            if a == "--rule":
                rule = v
            elif a == "--k":
                k = float(v)
            elif a == "--depth":
                depth = int(v)
            else:
                n, w = v.rsplit("=", 1)
                wts[n] = float(w)
        elif a == "--allow-missing":
            allow = True
        else:
            runs.append(run_name(a))
        i += 1
    cases, corder = {}, []
    for ri, (name, path) in enumerate(runs):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip(" \t\r\n"):
                    continue
                d = json.loads(line)
                cid = d["id"]
                if cid not in cases:
                    base = {kk: v for kk, v in d.items() if kk not in ("sample", "error", "grade")}
                    cases[cid] = {"base": base, "runs": [[] for _ in runs]}
                    corder.append(cid)
                cases[cid]["runs"][ri].append(read_line(d))
    weights = [wts.get(n, 1.0) for n, _ in runs]
    for cid in corder:
        c = cases[cid]
        lists = []
        for ri, lines in enumerate(c["runs"]):
            for err, unp, names, hg, scores, model in lines:
                if not err:
                    lists.append((names, hg, scores, weights[ri] / len(lines)))
        items, used, unscored = fuse(lists, rule, k, depth)
        missing = [runs[ri][0] for ri, lines in enumerate(c["runs"]) if not lines]
        if missing and not allow:
            print("missing", cid, missing[0], file=sys.stderr)
            sys.exit(65)
        rr = []
        for ri, lines in enumerate(c["runs"]):
            models = []
            for ln in lines:
                if ln[5] is not None and ln[5] not in models:
                    models.append(ln[5])
            errs = sum(1 for ln in lines if ln[0])
            rr.append([runs[ri][0], runs[ri][1], models, weights[ri], len(lines), len(lines) - errs,
                       errs, sum(1 for ln in lines if ln[1])])
        fz = {"rule": rule, "k": k if rule == "rrf" else None, "depth": depth or None, "lists": used,
              "unscored": unscored if rule == "score" else None, "runs": rr, "missing": missing}
        print(json.dumps({"id": cid, "base": c["base"], "genes": [it[0] for it in items],
                          "ranking": [list(it) for it in items], "fuse": fz},
                         sort_keys=True, ensure_ascii=False))


def cmd_project(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            s = d.pop("sample")
            assert json.loads(s["output_text"]) == {"genes": s["output_json"]["genes"]}
            assert s["model"] == "rft-fuse/" + s["fuse"]["rule"]
            rk = [[e["symbol"], e.get("hgnc"), float(e["fused_score"]) if "fused_score" in e else None, e["best"], e["lists"]]
                  for e in s["ranking"]]
            fz = s["fuse"]
            f2 = {"rule": fz["rule"], "k": float(fz["k"]) if "k" in fz else None, "depth": fz["depth"],
                  "lists": fz["lists"], "unscored": fz.get("unscored"),
                  "runs": [[r["name"], r["file"], r["models"], float(r["weight"]), r["lines"], r["lists"],
                            r["errors"], r["unparsed"]] for r in fz["runs"]],
                  "missing": fz["missing"]}
            print(json.dumps({"id": d["id"], "base": d, "genes": s["output_json"]["genes"], "ranking": rk,
                              "fuse": f2}, sort_keys=True, ensure_ascii=False))


POOL = ["KMT2D", "kmt2d", " KDM6A", "CHD7 ", "FBN1", "TP63", "SOX9", "PAX6", "GLI3", "NIPBL",
        "SMC1A", "RAD21", "HDAC8", "ARID1B", "SMARCA4", "Éclat", "ZEB2", "MECP2", "\tCDKL5", "FOXG1"]


def cmd_gen(seed, outdir, sorted_runs):
    rnd = random.Random(seed)
    nruns = rnd.randint(1, 4)
    ncases = rnd.randint(1, 12)
    ids = ["case%03d" % i for i in range(ncases)]
    args = []
    rule = rnd.choice(RULES)
    args += ["--rule", rule]
    if rule == "rrf" and rnd.random() < 0.6:
        args += ["--k", rnd.choice(["0", "1", "2.5", "60"])]
    if rnd.random() < 0.5:
        args += ["--depth", str(rnd.randint(1, 6))]
    missing_any = False
    for r in range(nruns):
        name = "run%d" % r
        path = os.path.join(outdir, name + ".jsonl")
        order = list(ids)
        if not sorted_runs:
            rnd.shuffle(order)
        with open(path, "w", encoding="utf-8") as f:
            for cid in order:
                if (r > 0 or not sorted_runs) and rnd.random() < 0.1:
                    missing_any = True
                    continue
                for c in range(rnd.choice([1, 1, 1, 2, 3])):
                    d = {"id": cid, "run": r, "reference": {"gene": "KMT2D"}}
                    if rnd.random() < 0.08:
                        d["error"] = {"message": "boom"}
                    elif rnd.random() < 0.06:
                        d["sample"] = {"model": "m%d" % r, "output_json": None}
                    else:
                        n = rnd.randint(0, 9)
                        genes = []
                        for _ in range(n):
                            x = rnd.random()
                            g = rnd.choice(POOL)
                            if x < 0.05:
                                genes.append(rnd.choice([None, 7, "", "  ", ["x"]]))
                            elif x < 0.12:
                                genes.append({"symbol": g})
                            else:
                                genes.append(g)
                        s = {"model": "m%d-%d" % (r, rnd.randint(0, 1)), "output_json": {"genes": genes}}
                        if rnd.random() < 0.6:
                            rk = []
                            for g in genes:
                                sym = g["symbol"] if isinstance(g, dict) else g
                                if not isinstance(sym, str) or rnd.random() < 0.05:
                                    continue
                                e = {"symbol": sym, "score": rnd.choice([1, 2, 2.5, 3, 0.125, -1, 10])}
                                if rnd.random() < 0.5:
                                    e["hgnc"] = "HGNC:%d" % (len(sym) * 7)
                                rk.append(e)
                            s["ranking"] = rk
                        if rnd.random() < 0.3:
                            s["index"] = c
                        d["sample"] = s
                    if rnd.random() < 0.1:
                        d["grade"] = {"reward": 0.5}
                    f.write(json.dumps(d, ensure_ascii=False) + "\n")
        if rnd.random() < 0.5:
            args += ["--weight", "%s=%s" % (name, rnd.choice(["0", "0.5", "1", "1.5", "2", "3", "0.1"]))]
        args.append("%s=%s" % (name, path) if rnd.random() < 0.5 else path)
    if missing_any:
        args.append("--allow-missing")
    print("\n".join(args))


def main():
    if sys.argv[1] == "fuse":
        cmd_fuse(sys.argv[2:])
    elif sys.argv[1] == "project":
        cmd_project(sys.argv[2])
    elif sys.argv[1] == "gen":
        cmd_gen(int(sys.argv[2]), sys.argv[3], "--sorted" in sys.argv[4:])
    else:
        sys.exit("usage: fuse-ref.py fuse|project|gen ...")


if __name__ == "__main__":
    main()
