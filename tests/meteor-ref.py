#!/usr/bin/env python3
"""meteor-ref.py - NLTK's METEOR and Porter stemmer, the reference t0545 checks rft-grade against.

  meteor-ref.py pairs            the generated text pairs, as rft-grade sample lines (deterministic)
  meteor-ref.py golden < PAIRS   "id<TAB>score" by nltk.translate.meteor_score.single_meteor_score
  meteor-ref.py porter < WORDS   "word<TAB>stem" by nltk.stem.porter.PorterStemmer()
  meteor-ref.py wnpairs N        N pairs drawn from WordNet itself (live check of morphy,
                                 the exception lists and the synonym sets; needs nltk)
  meteor-ref.py words            the word list for the Porter check: every word of the pairs
                                 and every single-word lemma of the WordNet index

WordNet comes from the dict folder $RFT_WORDNET_DIR (else /usr/share/wordnet, Debian's
wordnet-base).  NLTK's reader also wants a "lexnames" file, which Debian does not ship: it is
written into a scratch copy of the folder from the table in wordnet-base's lexnames(5WN) page.
Exit 77 when nltk or the WordNet files are missing (the caller skips).
"""
import gzip
import json
import os
import random
import re
import shutil
import sys
import tempfile
import warnings

WN = os.environ.get("RFT_WORDNET_DIR") or "/usr/share/wordnet"
LEXNAMES_MAN = "/usr/share/man/man5/lexnames.5WN.gz"


def wordnet():
    try:
        from nltk.corpus.reader.wordnet import WordNetCorpusReader
    except ImportError:
        sys.stderr.write("meteor-ref.py: python3-nltk is not installed\n")
        sys.exit(77)
    if not os.path.exists(os.path.join(WN, "data.noun")) or not os.path.exists(LEXNAMES_MAN):
        sys.stderr.write("meteor-ref.py: no WordNet at %s (wordnet-base)\n" % WN)
        sys.exit(77)
    root = tempfile.mkdtemp(prefix="meteor-wn.")
    for f in os.listdir(WN):
        if os.path.isfile(os.path.join(WN, f)):
            os.symlink(os.path.join(WN, f), os.path.join(root, f))
    cat = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
    rows = []
    with gzip.open(LEXNAMES_MAN, "rt") as man:
        for line in man:
            m = re.match(r"^(\d\d)\t(\w+)\.(\w+) *\t", line)
            if m:
                rows.append("%s\t%s.%s\t%d\n" % (m.group(1), m.group(2), m.group(3), cat[m.group(2)]))
    if not os.path.exists(os.path.join(root, "lexnames")):
        with open(os.path.join(root, "lexnames"), "w") as f:
            f.writelines(rows)
    warnings.simplefilter("ignore")
    reader = WordNetCorpusReader(root, None)
    return reader, root


# word groups the pairs draw on: synonyms, inflections, plurals, comparatives
SYN = [("big", "large"), ("small", "little"), ("quick", "fast"), ("begin", "start"),
       ("car", "automobile"), ("buy", "purchase"), ("help", "assist"), ("end", "finish"),
       ("happy", "glad"), ("sick", "ill"), ("house", "home"), ("child", "kid"),
       ("answer", "reply"), ("smart", "intelligent"), ("shut", "close"), ("rich", "wealthy"),
       ("movie", "film"), ("stone", "rock"), ("sofa", "couch"), ("gift", "present"),
       ("heed", "obey"), ("forever", "always"), ("guide", "usher"), ("party", "company")]
INFL = [("running", "ran", "runs", "run"), ("went", "go", "goes", "gone"),
        ("mice", "mouse"), ("geese", "goose"), ("children", "child"), ("better", "good", "best"),
        ("studies", "studied", "study", "studying"), ("happier", "happiest", "happy"),
        ("dying", "die", "died"), ("lying", "lie", "lies"), ("skies", "sky"),
        ("wolves", "wolf"), ("boxes", "box"), ("churches", "church"), ("women", "woman"),
        ("stopped", "stop", "stopping"), ("generalization", "generalize", "general"),
        ("relational", "relate", "relation"), ("hopefulness", "hopeful", "hope"),
        ("conditional", "condition"), ("agreed", "agree", "agreement"), ("caresses", "caress"),
        ("ponies", "pony"), ("ties", "tie"), ("feed", "fed", "feeding"), ("matting", "mat"),
        ("filing", "file", "filed"), ("controlling", "control", "controlled"),
        ("electrical", "electric", "electricity"), ("analogously", "analogous"),
        ("news", "new"), ("innings", "inning"), ("proceed", "proceeding"), ("axes", "axe", "axis")]
COMMON = ("the a an of to in on at is was were be been and or but with for from by as it this "
          "that these those he she they we you i my his her their our cat dog man woman city "
          "river house tree book table water light day night time year world people hand eye "
          "said says saying walked walks walking quickly slowly very really well good bad new "
          "old red green blue make made makes making take took taken give gave given see saw "
          "seen know knew known think thought").split()


def gen_pairs():
    rnd = random.Random(19)
    pairs = []

    def add(h, r):
        pairs.append((h, r))

    # fixed corner cases
    for h, r in [("", ""), ("", "the cat"), ("the cat", ""), ("   ", "a"), ("cat", "cat"),
                 ("Cat", "cAT"), ("cats", "cat"), ("running", "ran"), ("ran", "running"),
                 ("runs", "run"), ("big", "large"), ("large", "big"), ("the the the", "the"),
                 ("the", "the the the"), ("a b c d", "d c b a"), ("x", "y"),
                 ("It is a guide to action which ensures that the military always obeys the "
                  "commands of the party",
                  "It is a guide to action that ensures that the military will forever heed "
                  "Party commands"),
                 ("non matching hypothesis", "this is a cat"), ("Café crème", "café CRÈME"),
                 ("ΑΘΗΝΑ", "αθηνα"), ("tab\tsep\nnew line", "tab sep new line"),
                 ("one\u00a0two", "one two"), ("self-driving cars", "self-driving car"),
                 ("don't stop", "do not stop"), ("U.S.A.", "u.s.a."), ("rock'n'roll", "rock")]:
        add(h, r)
    for group in SYN + INFL:
        for a in group:
            for b in group:
                if a != b:
                    add(a, b)
    words_pool = COMMON + [w for g in SYN + INFL for w in g]
    for k in range(260):
        n = rnd.randint(1, 14)
        ref = [rnd.choice(words_pool) for _ in range(n)]
        hyp = list(ref)
        for _ in range(rnd.randint(0, 4)):
            op = rnd.randrange(6)
            if not hyp:
                hyp.append(rnd.choice(words_pool))
                continue
            i = rnd.randrange(len(hyp))
            if op == 0:
                hyp[i] = rnd.choice(words_pool)
            elif op == 1:
                del hyp[i]
            elif op == 2:
                hyp.insert(i, rnd.choice(words_pool))
            elif op == 3:
                j = rnd.randrange(len(hyp))
                hyp[i], hyp[j] = hyp[j], hyp[i]
            elif op == 4:
                for g in SYN + INFL:
                    if hyp[i] in g:
                        hyp[i] = rnd.choice(g)
                        break
            else:
                hyp[i] = hyp[i].upper() if rnd.random() < 0.5 else hyp[i].capitalize()
        if k % 7 == 0:
            hyp = hyp + hyp[: rnd.randint(0, len(hyp))]       # repeated words
        if k % 11 == 0:
            hyp = list(reversed(hyp))                           # word order
        sep = " " if k % 5 else "  "
        add(sep.join(hyp), " ".join(ref))
    return pairs


def gen_wnpairs(n):
    """pairs whose words come from WordNet: a lemma inflected (or an exception list's
    inflected form) against lemma names of its synsets, stems and unrelated words"""
    reader, root = wordnet()
    rnd = random.Random(1919)
    lemmas = {}
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(WN, "index." + pos), encoding="utf-8") as f:
            lemmas[pos] = [l.split(" ", 1)[0] for l in f if not l.startswith(" ") and "_" not in l.split(" ", 1)[0]]
    exc = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(WN, pos + ".exc"), encoding="utf-8") as f:
            exc += [l.split()[0] for l in f if l.split()]
    ends = ["", "s", "es", "ed", "ing", "er", "est", "ies", "men", "ly", "ness"]
    pairs = []
    for _ in range(n):
        hyp, ref = [], []
        for _ in range(rnd.randint(1, 6)):
            pos = rnd.choice(("noun", "verb", "adj", "adv"))
            w = rnd.choice(lemmas[pos])
            r = rnd.random()
            h = rnd.choice(exc) if r < 0.2 else (w + rnd.choice(ends) if r < 0.7 else w)
            names = [l.name() for s in reader.synsets(w) for l in s.lemmas() if "_" not in l.name()]
            t = rnd.random()
            if names and t < 0.6:
                o = rnd.choice(names)
            elif t < 0.8:
                o = w
            else:
                o = rnd.choice(lemmas[rnd.choice(("noun", "verb"))])
            hyp.append(h)
            ref.append(o)
        if rnd.random() < 0.3:
            rnd.shuffle(hyp)
        pairs.append((" ".join(hyp), " ".join(ref)))
    shutil.rmtree(root)
    return pairs


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "pairs":
        for i, (h, r) in enumerate(gen_pairs()):
            print(json.dumps({"id": "p%04d" % i, "reference": r, "sample": {"output_text": h}},
                             ensure_ascii=False))
    elif what == "wnpairs":
        for i, (h, r) in enumerate(gen_wnpairs(int(sys.argv[2]))):
            print(json.dumps({"id": "w%05d" % i, "reference": r, "sample": {"output_text": h}},
                             ensure_ascii=False))
    elif what == "golden":
        reader, root = wordnet()
        from nltk.translate.meteor_score import single_meteor_score
        for line in sys.stdin:
            o = json.loads(line)
            s = single_meteor_score(o["reference"].split(), o["sample"]["output_text"].split(),
                                    wordnet=reader)
            print("%s\t%r" % (o["id"], float(s)))
        shutil.rmtree(root)
    elif what == "porter":
        try:
            from nltk.stem.porter import PorterStemmer
        except ImportError:
            sys.exit(77)
        st = PorterStemmer()
        for line in sys.stdin:
            w = line.rstrip("\n")
            print("%s\t%s" % (w, st.stem(w)))
    elif what == "words":
        seen = set()
        for h, r in gen_pairs():
            for w in (h + " " + r).lower().split():
                seen.add(w)
        for pos in ("noun", "verb", "adj", "adv"):
            path = os.path.join(WN, "index." + pos)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        if not line.startswith(" "):
                            w = line.split(" ", 1)[0]
                            if "_" not in w:
                                seen.add(w)
        for w in sorted(seen):
            print(w)
    else:
        sys.stderr.write(__doc__)
        sys.exit(64)


if __name__ == "__main__":
    main()
