# gene_rank as an OpenAI RFT job runs it: the python grader that
# `rft-grade --export-openai` writes.  rft-grade fills in CONF and ALIASES
# (the %...% holes) and embeds this file at build time (Makefile).
#
# It implements the NAME MATCHING rule of man/rft-grade.1 step for step as
# filters/common/grader.c and hgnc.c do; tests/grade-names-diff.py feeds
# both a large generated set of adversarial answers and requires the same
# reward.  Change the two together.
import json
import re

CONF = json.loads(%CONF%)
ALIASES = json.loads(%ALIASES%)

# the rule's white space (hgnc.h gene_name_ws), and the decoration
# stripped before and after a name
WS = ('\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006'
      '\u2007\u2008\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff')
LEAD = WS + '"\'*`_'
TRAIL = WS + '"\'*`_.,;:'
UPPER = str.maketrans('abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
WORD = re.compile(r'[A-Za-z0-9._-]+')
DIGITS = re.compile(r'[0-9]+')
MARK = re.compile('[0-9]+[.)]|[-*+] |\u2022')


def _path(root, path):
    for part in re.findall(r'[^.\[\]]+', path):
        if isinstance(root, list):
            root = root[int(part)] if part.isdigit() and int(part) < len(root) else None
        elif isinstance(root, dict):
            root = root.get(part)
        else:
            return None
    return root


def _ref(tpl, sample, item):
    m = re.fullmatch(r'\{\{\s*(item|sample)\.?(.*?)\s*\}\}', tpl)
    if not m:
        return None
    return _path(item if m.group(1) == 'item' else sample, m.group(2))


def _clean(t):
    return t.lstrip(LEAD).rstrip(TRAIL)


def _up(t):
    return t.translate(UPPER)


def _lookup(u, refnames):
    # a reference gene's name first, then the table of the dataset's genes
    if u in refnames:
        return refnames[u]
    return ALIASES.get(u)


def _key(name, refnames):
    c = _clean(name)
    u = _up(c)
    if not u:
        return u
    k = _lookup(u, refnames)
    if k is not None:
        return k
    # "A (B)": A, else B up to its ')'; "A/B": A, else B
    if '(' in c:
        a, b = c.split('(', 1)
        b = b.split(')', 1)[0]
    elif '/' in c:
        a, b = c.split('/', 1)
    else:
        return u
    for part in (a, b):
        p = _up(_clean(part))
        if p:
            k = _lookup(p, refnames)
            if k is not None:
                return k
    return u


def _entry(n):
    # an entry of a JSON list: its name, or None when it names no gene
    if isinstance(n, dict):
        n = n.get('symbol')
    return n if isinstance(n, str) and _clean(n) else None


def _skip_ws(line, i):
    while i < len(line) and line[i] in WS:
        i += 1
    return i


def _word(line, i):
    m = WORD.match(line, i)
    if not m:
        return i
    e = m.end()
    while e > i and line[e - 1] == '.':
        e -= 1
    return e


def _item(line):
    # the name of a list item (grader.c list_item), or None
    n = len(line)
    m = MARK.match(line, _skip_ws(line, 0))
    if not m:
        return None
    i = m.end()
    while True:
        i = _skip_ws(line, i)
        if i < n and line[i] in '*`_"\'':
            i += 1
        else:
            break
    e = _word(line, i)
    if e == i:
        return None
    if _up(line[i:e]) == 'HGNC' and e + 1 < n and line[e] == ':':
        d = DIGITS.match(line, e + 1)
        if d:
            e = d.end()
    j = _skip_ws(line, e)
    if j < n and line[j] == '(':
        k = line.find(')', j)
        e = k + 1 if k >= 0 else n
    elif j < n and line[j] == '/':
        b = _skip_ws(line, j + 1)
        e2 = _word(line, b)
        if e2 > b:
            e = e2
    return line[i:e]


def _one_word(t):
    # one word, once what is in parentheses is set aside
    depth = words = 0
    inword = False
    for ch in t:
        if ch == '(':
            depth += 1
        elif ch == ')' and depth:
            depth -= 1
        elif not depth and ch not in WS:
            if not inword:
                words += 1
            inword = True
            continue
        inword = False
    return words == 1


def _text_genes(text):
    for i, ch in enumerate(text):
        if ch == '{':
            try:
                obj, _ = json.JSONDecoder().raw_decode(text[i:])
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get('genes'), list):
                return [_entry(g) for g in obj['genes']]
    items = []
    for line in text.split('\n'):
        w = _item(line)
        if w is not None and _clean(w):
            items.append(w)
    if items:
        return items
    for line in text.split('\n'):
        if ',' in line:
            if ':' in line:
                line = line.split(':', 1)[1]
            return [p for p in line.split(',') if _clean(p)]
    t = text.strip(WS)
    if t and len(t.encode()) < 64 and '\n' not in t and _one_word(t):
        return [t]
    return None


def _references(ref):
    # the keys of the reference genes, and every name of each (first claim wins)
    refs = ref if isinstance(ref, list) else [ref]
    want, names = set(), {}
    for r in refs:
        if isinstance(r, dict):
            s = r.get('hgnc') if isinstance(r.get('hgnc'), str) else r.get('symbol')
        else:
            s = r
        if not isinstance(s, str):
            continue
        u = _up(_clean(s))
        k = u if u.startswith('HGNC:') else _key(s, {})
        want.add(k)
        if isinstance(r, dict):
            extra = r.get('names')
            for n in [r.get('symbol'), r.get('hgnc')] + (extra if isinstance(extra, list) else []):
                if isinstance(n, str):
                    c = _up(_clean(n))
                    if c and c not in names:
                        names[c] = k
    return want, names


def grade(sample, item):
    want, refnames = _references(_ref(CONF['reference'], sample, item))
    if not want:
        return 0.0
    names = _ref(CONF['input'], sample, item)
    if isinstance(names, list):
        names = [_entry(n) for n in names]
    else:
        text = _ref(CONF['text_input'], sample, item)
        if text is not None and not isinstance(text, str):
            text = json.dumps(text, ensure_ascii=False, separators=(',', ':'))
        names = _text_genes(text) if isinstance(text, str) else None
    if not names:
        return 0.0
    seen, kept = set(), 0
    for n in names:
        if n is None:
            # an answer that names no gene: it takes its place and matches nothing
            kept += 1
            if kept > CONF['max_list']:
                break
            continue
        if not _clean(n):
            continue
        k = _key(n, refnames)
        if k in seen:
            continue
        seen.add(k)
        kept += 1
        if kept > CONF['max_list']:
            break
        if k in want:
            if CONF['curve'] == 'linear':
                return (CONF['max_list'] - kept + 1) / CONF['max_list']
            if CONF['curve'] == 'exponential':
                return CONF['decay'] ** (kept - 1)
            return 1.0 / kept
    return 0.0
