#!/usr/bin/env python3
"""Benchmark peer of rft-extract, Python 3 standard library only.

    python3 extract_peer.py ARCHIVE.zip > cases.jsonl

Reads every phenopacket (*.json member) of a phenopacket-store release ZIP in
archive order and writes one compact JSON case per line, the same bytes as
`rft-extract ARCHIVE.zip`.  Phenopackets with no HGNC-identified gene are only
counted.  A summary goes to stderr.
"""

import json
import re
import sys
import zipfile

_NUM = r"(\d+(?:[.,]\d+)?)"  # ISO 8601 allows a decimal comma
ISO_DURATION = re.compile(
    "P(?:%sY)?(?:%sM)?(?:%sW)?(?:%sD)?(?:T(?:%sH)?(?:%sM)?(?:%sS)?)?" % ((_NUM,) * 7),
    re.ASCII,
)


def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def duration_years(text):
    """Years in an ISO 8601 duration PnYnMnWnDTnHnMnS, or None if it does not parse."""
    if not isinstance(text, str):
        return None
    m = ISO_DURATION.fullmatch(text)
    # "P" alone, or a "T" with no time part after it, is not a duration
    if m is None or text == "P" or text.endswith("T"):
        return None
    y, mo, w, d, h, mi, s = (float(g.replace(",", ".")) if g is not None else 0.0 for g in m.groups())
    return y + mo / 12 + w * 7 / 365.25 + d / 365.25 + (h + mi / 60 + s / 3600) / 8766


def years_json(years):
    """C printf "%.3f", then trailing zeros and a trailing '.' stripped."""
    if years is None:
        return "null"
    text = "%.3f" % years
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def get(obj, *keys):
    """obj[k1][k2]... or None when a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def age_json(tale):
    if tale is None:
        return "null"
    iso = None
    years = None
    extra = ""
    if "age" in tale:
        iso = get(tale, "age", "iso8601duration")
        years = duration_years(iso)
    elif "gestationalAge" in tale:
        ga = tale["gestationalAge"] or {}
        extra = ',"gestational":' + dumps({"weeks": ga.get("weeks"), "days": ga.get("days") or 0})
    elif "ontologyClass" in tale:
        oc = tale["ontologyClass"] or {}
        extra = ',"onset":' + dumps({"id": oc.get("id"), "label": oc.get("label")})
    elif "ageRange" in tale:
        extra = ',"range":' + dumps({
            "start": get(tale, "ageRange", "start", "iso8601duration"),
            "end": get(tale, "ageRange", "end", "iso8601duration"),
        })
    elif "timestamp" in tale:
        extra = ',"timestamp":' + dumps(tale["timestamp"])
    elif "interval" in tale:
        extra = ',"interval":' + dumps({
            "start": get(tale, "interval", "start"),
            "end": get(tale, "interval", "end"),
        })
    return '{"iso8601":%s,"years":%s%s}' % (dumps(iso), years_json(years), extra)


def features(pp):
    present, absent = [], []
    seen_present, seen_absent = set(), set()
    for feature in pp.get("phenotypicFeatures") or []:
        term = feature.get("type") or {}
        fid = term.get("id")
        if feature.get("excluded") is True:
            out, seen = absent, seen_absent
        else:
            out, seen = present, seen_present
        if fid in seen:
            continue
        seen.add(fid)
        out.append({"id": fid, "label": term.get("label")})
    return present, absent


def genes(pp):
    out, seen = [], set()
    for interpretation in pp.get("interpretations") or []:
        for gi in get(interpretation, "diagnosis", "genomicInterpretations") or []:
            if gi.get("interpretationStatus") == "REJECTED":
                continue
            gene = get(gi, "variantInterpretation", "variationDescriptor", "geneContext")
            if gene is None:
                gene = gi.get("gene")
            if gene is None:
                continue
            symbol = gene.get("symbol")
            value_id = gene.get("valueId")
            hgnc = value_id if isinstance(value_id, str) and value_id.startswith("HGNC:") else None
            key = ("hgnc", hgnc) if hgnc is not None else ("symbol", symbol)
            if key in seen or (symbol is None and hgnc is None):
                continue
            seen.add(key)
            out.append({"symbol": symbol, "hgnc": hgnc})
    return out


def diseases(pp):
    terms = [d.get("term") for d in pp.get("diseases") or [] if d.get("excluded") is not True]
    terms += [get(i, "diagnosis", "disease") for i in pp.get("interpretations") or []]
    out, seen = [], set()
    for term in terms:
        if term is None or term.get("id") in seen:
            continue
        seen.add(term.get("id"))
        out.append({"id": term.get("id"), "label": term.get("label")})
    return out


def case_line(pp, source):
    """The JSONL line of one phenopacket, or None when it names no HGNC gene."""
    gene_list = genes(pp)
    if not any(g["hgnc"] is not None for g in gene_list):
        return None
    cohort = source.rsplit("/", 2)[-2] if "/" in source else None
    pmid = None
    for ref in get(pp, "metaData", "externalReferences") or []:
        rid = ref.get("id")
        if isinstance(rid, str) and rid.startswith("PMID:"):
            pmid = rid
            break
    subject = pp.get("subject") or {}
    sex = subject.get("sex")
    present, absent = features(pp)
    return (
        '{"id":' + dumps(pp.get("id"))
        + ',"source":' + dumps(source)
        + ',"cohort":' + dumps(cohort)
        + ',"pmid":' + dumps(pmid)
        + ',"sex":' + dumps("UNKNOWN_SEX" if sex is None else sex)
        + ',"age":' + age_json(subject.get("timeAtLastEncounter"))
        + ',"present":' + dumps(present)
        + ',"absent":' + dumps(absent)
        + ',"genes":' + dumps(gene_list)
        + ',"diseases":' + dumps(diseases(pp))
        + "}\n"
    )


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: extract_peer.py ARCHIVE.zip > cases.jsonl\n")
        return 64
    read = written = 0
    out = sys.stdout.buffer
    with zipfile.ZipFile(argv[1]) as archive:
        for info in archive.infolist():
            if info.is_dir() or not info.filename.endswith(".json"):
                continue
            pp = json.loads(archive.read(info))
            read += 1
            line = case_line(pp, info.filename)
            if line is not None:
                out.write(line.encode("utf-8", "surrogatepass"))
                written += 1
    out.flush()
    sys.stderr.write("extract_peer.py: %d read, %d written, %d without an HGNC gene\n"
                     % (read, written, read - written))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
