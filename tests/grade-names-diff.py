#!/usr/bin/env python3
"""grade-names-diff.py - the differential test of gene_rank's name rule:
the C grader (rft-grade) and the python grader it exports must give the same
reward to every answer.

    python3 tests/grade-names-diff.py --hgnc HGNC.txt.gz --n 20000 --seed 1 DIR

It writes DIR/lines.jsonl (graded lines: a reference gene, with or without
its "names", and an answer naming genes in adversarial forms), exports the
grader for those lines (rft-grade --export-openai), grades them with
rft-grade and with the exported python (loaded as an RFT job would: its
grade(sample, item)), and prints one line per name class:

    CLASS  LINES  AGREE  RIGHT_FIRST_SCORED_1

then "N lines, N disagreements" and exits 1 on any disagreement (the first
few are printed) or when a right answer in first place scored below 1.
Standard library only; rft-grade is taken from PATH.
"""
import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys

WORD_RE = re.compile(r'[A-Za-z0-9._-]+')

# the whitespace of the name rule (man/rft-grade.1, NAME MATCHING)
WS = "\t\n\v\f\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200b)) + \
     "\u2028\u2029\u202f\u205f\u3000\u200b\ufeff"


def load_hgnc(path):
    op = gzip.open if path.endswith(".gz") else open
    genes = []
    with op(path, "rt", encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        col = {n: i for i, n in enumerate(head)}
        for line in f:
            c = line.rstrip("\n").split("\t")
            if c[col["status"]] != "Approved":
                continue
            prev = [p for p in c[col["prev_symbol"]].strip('"').split("|") if p]
            alias = [a for a in c[col["alias_symbol"]].strip('"').split("|") if a]
            genes.append((c[col["hgnc_id"]], c[col["symbol"]], prev, alias))
    # names that belong to one gene only (prev or alias), and no approved symbol
    approved = {s.upper() for _, s, _, _ in genes}
    count = {}
    for _, _, prev, alias in genes:
        for n in set(x.upper() for x in prev + alias):
            count[n] = count.get(n, 0) + 1
    out = []
    for hid, sym, prev, alias in genes:
        uniq = [n for n in prev + alias if count.get(n.upper()) == 1 and n.upper() not in approved]
        # names the rule cannot take apart from their decoration are left out of
        # the generated answers (documented): "IGHV(III)-76-1", "H4/l", "FRβ"
        if WORD_RE.fullmatch(sym):
            out.append((hid, sym, [n for n in uniq if WORD_RE.fullmatch(n)]))
    return out


def ws(rng):
    # (not a newline: that would cut a list item in two, in both graders)
    return rng.choice(WS.replace("\n", ""))


# each class: a function (rng, gene) -> the name as written
def cls_symbol(rng, g):
    return g[1]


def cls_lower(rng, g):
    return g[1].lower()


def cls_mixed(rng, g):
    return "".join(ch.lower() if rng.random() < 0.5 else ch.upper() for ch in g[1])


def cls_unicode_space(rng, g):
    return ws(rng) + g[1] + ws(rng) + ws(rng)


def cls_markdown(rng, g):
    return rng.choice(["**%s**", "*%s*", "`%s`", "__%s__", "'%s'", "\"%s\"", "%s.", "%s,", "**%s**:"]) % g[1]


def cls_paren(rng, g):
    other = rng.choice(g[2]) if g[2] else "XYZ%d" % rng.randrange(100)
    return rng.choice(["%s (%s)", "%s(%s)", "%s" + ws(rng) + "(%s)", "%s (%s"]) % (g[1], other)


def cls_paren_inside(rng, g):
    return rng.choice(["NOTAGENE%d (%s)", "zz%d(%s)"]) % (rng.randrange(1000), g[1])


def cls_slash(rng, g):
    other = rng.choice(g[2]) if g[2] else "XYZ%d" % rng.randrange(100)
    return rng.choice(["%s/%s", "%s / %s", "%s/%s"]) % ((g[1], other) if rng.random() < 0.5 else (other, g[1]))


def cls_previous_or_alias(rng, g):
    return rng.choice(g[2]) if g[2] else g[1]


def cls_hgnc_id(rng, g):
    return g[0]


def cls_junk_unicode(rng, g):
    # not the gene: a look-alike the rule must not take for it
    return rng.choice([g[1] + "\u00df", "\uff21" + g[1], g[1] + "-AS1", g[1] + " gene", "\u0130" + g[1]])


CLASSES = [cls_symbol, cls_lower, cls_mixed, cls_unicode_space, cls_markdown, cls_paren,
           cls_paren_inside, cls_slash, cls_previous_or_alias, cls_hgnc_id, cls_junk_unicode]


def make_lines(dataset, n, rng, names_always=False):
    lines = []
    for i in range(n):
        g = rng.choice(dataset)
        cls = CLASSES[i % len(CLASSES)]
        right = cls(rng, g)
        others = []
        for _ in range(rng.randrange(0, 5)):
            o = rng.choice(dataset)
            if o is g:
                continue
            others.append(rng.choice(CLASSES[:6])(rng, o) if rng.random() < 0.7 else "JUNK%d" % rng.randrange(50))
        pos = rng.randrange(len(others) + 1)
        answer = others[:pos] + [right] + others[pos:]
        ref = {"symbol": g[1], "hgnc": g[0]}
        if names_always or rng.random() < 0.5:
            ref["names"] = [g[1], g[0]] + g[2]
        as_text = rng.random() < 0.3
        sample = {"output_text": "\n".join("%d. %s" % (k + 1, a) for k, a in enumerate(answer)) if as_text
                  else json.dumps({"genes": answer}, ensure_ascii=False)}
        if not as_text:
            sample["output_json"] = {"genes": answer}
        lines.append({"id": "n%d" % i, "class": cls.__name__[4:], "right_at": pos + 1,
                      "reference": {"gene": g[1], "hgnc": g[0], "genes": [ref]}, "sample": sample})
    return lines


def run_c(path, hgnc, env):
    out = subprocess.run(["rft-grade", "--hgnc", hgnc, path], check=True, capture_output=True, env=env).stdout
    return [json.loads(l)["grade"]["reward"] for l in out.decode().split("\n") if l]


def load_python(grader):
    src = json.load(open(grader, encoding="utf-8"))["source"]
    ns = {}
    exec(compile(src, "grader.py", "exec"), ns)
    return ns["grade"]


def write(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hgnc", required=True)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("dir")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    genes = load_hgnc(a.hgnc)
    pool = [g for g in genes if g[2]][:4000] + rng.sample(genes, 2000)
    rng.shuffle(pool)
    set_a, set_b = pool[:300], pool[300:600]
    os.makedirs(a.dir, exist_ok=True)
    env = dict(os.environ)
    failed = 0

    # 1. one dataset: the C grader and its export agree on every line
    lines = make_lines(set_a, a.n, rng)
    path = os.path.join(a.dir, "lines.jsonl")
    write(path, lines)
    grader = os.path.join(a.dir, "grader.json")
    subprocess.run(["rft-grade", "--hgnc", a.hgnc, "--export-openai", grader, "--dataset", path],
                   check=True, stdin=subprocess.DEVNULL, env=env)
    c_rewards = run_c(path, a.hgnc, env)
    grade = load_python(grader)
    stats, bad = {}, []
    for l, rc in zip(lines, c_rewards):
        item = {k: v for k, v in l.items() if k != "sample"}
        rp = grade(l["sample"], item)
        s = stats.setdefault(l["class"], [0, 0, 0, 0])
        s[0] += 1
        if abs(rp - rc) <= 1e-12:
            s[1] += 1
        else:
            bad.append((l, rc, rp))
        if l["right_at"] == 1 and l["class"] != "junk_unicode":
            s[2] += 1
            s[3] += rc == 1 and rp == 1
    print("# one dataset: class, lines, C == python, right answer first scored 1 (C and python)")
    for k, s in sorted(stats.items()):
        print("%-20s %6d %6d %6d/%d" % (k, s[0], s[1], s[3], s[2]))
    for l, rc, rp in bad[:8]:
        print("DIFF %s C=%r python=%r answer=%r" % (l["id"], rc, rp,
              l["sample"].get("output_json", l["sample"]["output_text"])), file=sys.stderr)
    first_bad = sum(s[2] - s[3] for s in stats.values())
    print("%d lines, %d disagreements, %d right-first answers below 1" % (len(lines), len(bad), first_bad))
    failed += len(bad) + first_bad

    # 2. another dataset (other genes), its references carrying their names:
    # the grader exported for the first still credits every right answer
    other = make_lines(set_b, a.n // 4, rng, names_always=True)
    grade_b = 0
    first = [l for l in other if l["right_at"] == 1 and l["class"] != "junk_unicode"]
    for l in first:
        item = {k: v for k, v in l.items() if k != "sample"}
        if grade(l["sample"], item) == 1:
            grade_b += 1
        elif grade_b >= 0 and not failed:
            print("CROSS %s answer=%r" % (l["id"], l["sample"].get("output_json", l["sample"]["output_text"])),
                  file=sys.stderr)
    print("another dataset: %d/%d right-first answers scored 1 by the grader exported for the first"
          % (grade_b, len(first)))
    failed += len(first) - grade_b
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
