#!/usr/bin/env python3
"""Text pairs for text_similarity's n-gram metrics (tests/t0540-grade-textsim.sh).

Writes JSONL to stdout, one pair a line:
    {"id": "p0001", "kind": "...", "ref": REFERENCE, "sample": {"output_text": HYPOTHESIS}}
so that a grader with "input": "{{sample.output_text}}" and
"reference": "{{item.ref}}" grades it.  Deterministic (seed 19): the
committed testdata/textsim/pairs.jsonl is this script's output, and
regenerating it must give the same bytes.

Kinds: empty strings, white space only, identical texts, no overlap, very
short hypotheses (under 4 tokens), repeats, case, punctuation, numbers,
unicode letters and unicode white space, the two characters python lowers
to ASCII letters (U+0130, U+212A), long lines, and edited sentences (words
dropped, swapped, replaced, inserted, re-cased, punctuated).
"""
import json
import random
import sys

SEED = 19

WORDS = ("the a an of to in on for with by from at as is was are be been has have had "
         "gene variant patient mutation protein cell disease phenotype syndrome heart "
         "kidney brain liver muscle blood seizure delay growth onset loss gain function "
         "cat dog fox jumps over lazy quick brown red blue green small large early late "
         "report shows found rare common severe mild novel known likely causes").split()
UNICODE = ["café", "naïve", "Straße", "straße", "ÉCOLE", "école", "Москва", "москва", "東京",
           "日本語", "Ελλάδα", "ελλάδα", "İstanbul", "istanbul", "\u212aelvin", "kelvin",
           "KMT2D", "résumé", "Ærø", "ǅemal", "ﬁne", "fine", "Σίσυφος", "ΣΊΣΥΦΟΣ", "😀", "a😀b",
           "x\u0301", "ÀÉÎÕÜ", "ß", "ẞ", "ŉ", "İ", "\u212a"]
SPACES = [" ", "  ", "\t", "\n", "\u00a0", "\u3000", "\u2003", "\u2028", "\u0085", "\u001c",
          "\u200b", "\u180e", "\u202f", " \t\n "]
PUNCT = list(".,;:!?'\"()[]{}-–—/\\@#$%&*+=<>|~`^_…«»¿¡")


def sentence(rng, lo=3, hi=14, pool=WORDS):
    return [rng.choice(pool) for _ in range(rng.randint(lo, hi))]


def edit(rng, toks):
    t = list(toks)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(7)
        i = rng.randrange(len(t)) if t else 0
        if op == 0 and t:
            del t[i]
        elif op == 1 and len(t) > 1:
            j = rng.randrange(len(t))
            t[i], t[j] = t[j], t[i]
        elif op == 2 and t:
            t[i] = rng.choice(WORDS)
        elif op == 3:
            t.insert(i, rng.choice(WORDS))
        elif op == 4 and t:
            t[i] = t[i].upper() if rng.random() < 0.5 else t[i].capitalize()
        elif op == 5 and t:
            t[i] = t[i] + rng.choice(PUNCT)
        elif op == 6 and t:
            t.insert(i, t[i])
    return t


def join(rng, toks, spaces=(" ",)):
    out = ""
    for k, w in enumerate(toks):
        out += (rng.choice(spaces) if k else "") + w
    return out


def pairs(rng):
    fixed = [
        ("empty", "", ""),
        ("empty", "", "the cat"),
        ("empty", "the cat", ""),
        ("empty", " ", " "),
        ("empty", "\t\n", "a"),
        ("empty", "a", " \u3000 "),
        ("empty", "...", "..."),
        ("empty", "!!!", "?"),
        ("identical", "the cat sat on the mat", "the cat sat on the mat"),
        ("identical", "a", "a"),
        ("identical", "a b", "a b"),
        ("identical", "a b c", "a b c"),
        ("identical", "a b c d", "a b c d"),
        ("identical", "a b c d e", "a b c d e"),
        ("identical", "Hello, World!", "Hello, World!"),
        ("no_overlap", "alpha beta gamma", "delta epsilon zeta eta"),
        ("no_overlap", "one", "two"),
        ("no_overlap", "x y z w v", "p q r s t"),
        ("short", "the", "the cat sat on the mat"),
        ("short", "the cat", "the cat sat on the mat"),
        ("short", "cat the", "the cat sat on the mat"),
        ("short", "sat on mat", "the cat sat on the mat"),
        ("short", "the cat sat on the mat", "the"),
        ("short", "the cat sat on the mat", "the cat"),
        ("repeat", "the the the the the the the", "the cat is on the mat"),
        ("repeat", "the cat is on the mat", "the the the the the the the"),
        ("repeat", "a a a a", "a a"),
        ("repeat", "a a", "a a a a"),
        ("repeat", "a b a b a b", "a b a b"),
        ("repeat", "to be or not to be", "to be or not to be that is the question"),
        ("case", "The Cat", "the cat"),
        ("case", "THE CAT SAT", "the cat sat"),
        ("case", "KMT2D", "kmt2d"),
        ("punct", "Hello, world!", "Hello world"),
        ("punct", "Hello , world !", "Hello, world!"),
        ("punct", "it's a dog's life", "it is a dog s life"),
        ("punct", "e-mail", "e mail"),
        ("punct", "a.b.c", "a b c"),
        ("punct", "(KMT2D)", "KMT2D"),
        ("punct", "--", "- -"),
        ("numbers", "3.14159 is pi", "pi is 3.14159"),
        ("numbers", "1,000 cells", "1000 cells"),
        ("numbers", "chr1:12345 A>G", "chr1 12345 A G"),
        ("numbers", "42", "42"),
        ("numbers", "0x1F 1e-3 -7", "0x1f 1e 3 7"),
        ("unicode", "café naïve", "cafe naive"),
        ("unicode", "Straße", "strasse"),
        ("unicode", "İstanbul", "istanbul"),
        ("unicode", "İİİ", "i i i"),
        ("unicode", "aİb", "ai b"),
        ("unicode", "\u212aelvin", "kelvin"),
        ("unicode", "\u212a", "k"),
        ("unicode", "Москва москва", "москва"),
        ("unicode", "東京 日本語", "東京"),
        ("unicode", "x\u0301y", "xy"),
        ("unicode", "ﬁne", "fine"),
        ("unicode", "😀 a😀b", "a b"),
        ("unispace", "a\u00a0b", "a b"),
        ("unispace", "a\u3000b\u2003c", "a b c"),
        ("unispace", "a\u200bb", "a b"),
        ("unispace", "a\u180eb", "a b"),
        ("unispace", "a\u001cb\u0085c", "a b c"),
        ("unispace", "a\u2028b\u2029c", "a b c"),
        ("unispace", "a\u202fb\u205fc\u1680d", "a b c d"),
    ]
    for kind, h, r in fixed:
        yield kind, r, h
    # short hypotheses against sentences
    for _ in range(30):
        r = sentence(rng, 4, 12)
        h = rng.sample(r, rng.randint(1, 3)) if rng.random() < 0.7 else sentence(rng, 1, 3)
        yield "short", join(rng, r), join(rng, h)
    # repeats
    for _ in range(15):
        w = sentence(rng, 1, 3)
        yield "repeat", join(rng, sentence(rng, 3, 8) + w * rng.randint(1, 4)), join(rng, w * rng.randint(2, 6))
    # unicode words and white space
    for _ in range(40):
        pool = WORDS[:30] + UNICODE
        r = sentence(rng, 2, 10, pool)
        h = edit(rng, r) if rng.random() < 0.8 else sentence(rng, 1, 8, pool)
        yield "unicode", join(rng, r, SPACES), join(rng, h, SPACES)
    # punctuation glued to and standing between words
    for _ in range(30):
        r = sentence(rng)
        h = []
        for w in edit(rng, r):
            x = rng.random()
            h.append(w + rng.choice(PUNCT) if x < 0.3 else rng.choice(PUNCT) + w if x < 0.4 else w)
            if rng.random() < 0.15:
                h.append(rng.choice(PUNCT))
        yield "punct", join(rng, r), join(rng, h)
    # numbers
    for _ in range(15):
        r = [str(rng.randint(0, 120)) if rng.random() < 0.4 else rng.choice(WORDS) for _ in range(rng.randint(2, 10))]
        yield "numbers", join(rng, r), join(rng, edit(rng, r))
    # edited sentences, some identical, some with no overlap
    for _ in range(110):
        r = sentence(rng, 1, 25)
        x = rng.random()
        if x < 0.05:
            h = list(r)
        elif x < 0.1:
            h = ["zz%d" % rng.randint(0, 99) for _ in range(rng.randint(1, 8))]
        else:
            h = edit(rng, r)
        yield "edit", join(rng, r), join(rng, h)
    # long lines
    for _ in range(6):
        r = sentence(rng, 150, 400)
        yield "long", join(rng, r), join(rng, edit(rng, edit(rng, r)))


def main():
    rng = random.Random(SEED)
    out = sys.stdout
    for k, (kind, ref, hyp) in enumerate(pairs(rng), 1):
        out.write(json.dumps({"id": "p%04d" % k, "kind": kind, "ref": ref, "sample": {"output_text": hyp}},
                             ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
