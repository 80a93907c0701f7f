"""Hostile inputs (issue 16), built on the fly: deep nesting, entities, long ids, zip bombs.

Used by test_io_hostile.py (one test per kind) and test_io_hostile_fuzz.py (random
cases, each run through the CLI in a child process under a memory and time bound).
Run as a script it builds the corpus and prints the figures docs/importers.md records:

    PYTHONPATH=. .venv/bin/python tests/io/hostile.py --cases 200 --seed 1
    PYTHONPATH=. .venv/bin/python tests/io/hostile.py --cases 100 --seed 1 --root ../before  # another checkout
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORE = "http://www.sbml.org/sbml/level3/version1/core"
QUAL = "http://www.sbml.org/sbml/level3/version1/qual/version1"
MATHML = "http://www.w3.org/1998/Math/MathML"
SPECIES = ('<listOfCompartments><compartment id="c" constant="true"/></listOfCompartments><listOfSpecies>'
           '<species id="A" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" '
           'constant="false" initialAmount="1"/></listOfSpecies>')


def sbml(body: str = SPECIES, *, model_id: str = "m", prolog: str = "", model_attrs: str = "",
         root_attrs: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<sbml xmlns="{CORE}" xmlns:qual="{QUAL}" '
            f'qual:required="true" level="3" version="1"{root_attrs}><model id="{model_id}"{model_attrs}>'
            f'{body}</model></sbml>')


def nested_kinetic_law(depth: int) -> str:
    """``depth`` nested ``<apply><plus/>`` in a kinetic law (libsbml's recursion: segfault)."""
    math = "<apply><plus/>" * depth + "<ci>A</ci>" + "<cn>1</cn></apply>" * depth
    return sbml(SPECIES + '<listOfReactions><reaction id="r" reversible="false"><listOfReactants>'
                '<speciesReference species="A" stoichiometry="1" constant="true"/></listOfReactants>'
                f'<kineticLaw><math xmlns="{MATHML}">{math}</math></kineticLaw></reaction></listOfReactions>')


def nested_annotation(depth: int) -> str:
    inner = "<x:a>" * depth + "</x:a>" * depth
    return sbml(f'<annotation><x:n xmlns:x="urn:x">{inner}</x:n></annotation>' + SPECIES,
                model_attrs=' metaid="mm"')


def nested_function_term(depth: int) -> str:
    """A qual function term of ``depth`` nested ``<not>``."""
    math = "<apply><not/>" * depth + "<ci>A</ci>" + "</apply>" * depth
    qual = (f'<qual:listOfQualitativeSpecies><qual:qualitativeSpecies qual:id="A" qual:compartment="c" '
            f'qual:constant="false" qual:maxLevel="1"/></qual:listOfQualitativeSpecies>'
            f'<qual:listOfTransitions><qual:transition qual:id="t"><qual:listOfInputs><qual:input '
            f'qual:qualitativeSpecies="A" qual:transitionEffect="none"/></qual:listOfInputs><qual:listOfOutputs>'
            f'<qual:output qual:qualitativeSpecies="A" qual:transitionEffect="assignmentLevel"/>'
            f'</qual:listOfOutputs><qual:listOfFunctionTerms><qual:defaultTerm qual:resultLevel="0"/>'
            f'<qual:functionTerm qual:resultLevel="1"><math xmlns="{MATHML}">{math}</math></qual:functionTerm>'
            f'</qual:listOfFunctionTerms></qual:transition></qual:listOfTransitions>')
    return sbml('<listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>' + qual)


def entity_expansion(copies: int = 10, levels: int = 3, where: str = "id") -> str:
    """An internal DTD whose entities expand ``copies ** levels`` times (billion laughs, small)."""
    decls = ['<!ENTITY e0 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">']
    for k in range(1, levels + 1):
        decls.append(f'<!ENTITY e{k} "{f"&e{k - 1};" * copies}">')
    prolog = f"<!DOCTYPE sbml [{''.join(decls)}]>\n"
    ref = f"&e{levels};"
    if where == "id":
        return sbml(model_id=f"m{ref}", prolog=prolog)
    notes = f'<notes><body xmlns="http://www.w3.org/1999/xhtml"><p>{ref}</p></body></notes>'
    return sbml(SPECIES.replace('initialAmount="1"/>', f'initialAmount="1">{notes}</species>'), prolog=prolog)


def external_entity() -> str:
    return sbml(model_id="m&x;", prolog='<!DOCTYPE sbml [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n')


def long_model_id(chars: int, species: int = 3) -> str:
    body = ('<listOfCompartments><compartment id="c" constant="true"/></listOfCompartments><listOfSpecies>'
            + "".join(f'<species id="S{i}" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" '
                      f'constant="false"/>' for i in range(species)) + "</listOfSpecies>")
    return sbml(body, model_id="x" * chars)


def long_species_name(chars: int) -> str:
    return sbml(SPECIES.replace('id="A"', f'id="A" name="{"n" * chars}"'))


def duplicated_attribute() -> str:
    return sbml(root_attrs=' level="3"')


def duplicate_qual_species() -> str:
    qs = ('<qual:qualitativeSpecies qual:id="A" qual:compartment="c" qual:constant="false" qual:maxLevel="1"/>')
    return sbml('<listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>'
                f'<qual:listOfQualitativeSpecies>{qs}{qs}</qual:listOfQualitativeSpecies>')


def control_character_id() -> str:
    return sbml(model_id="m&#x202E;x")  # right-to-left override: looks like another id


# ---- workbooks -----------------------------------------------------------------------------------

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  'spreadsheetml.sheet.main+xml"/>'
                  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.spreadsheetml.worksheet+xml"/>'
                  '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.spreadsheetml.worksheet+xml"/>'
                  '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                  'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.'
         'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.'
             'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships"><sheets><sheet name="species" sheetId="1" r:id="rId1"/><sheet name="reactions" '
             'sheetId="2" r:id="rId2"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
                  'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                  'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'relationships/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" '
                  'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                  'Target="sharedStrings.xml"/></Relationships>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.'
               'openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def _inline_row(number: int, values: list[str]) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


_SPECIES_ROWS = [["Species"], ["module", "ID", "name", "Yinit", "Ymax", "tau", "type"],
                 ["m", "A", "a", "0", "1", "1", "protein"], ["m", "B", "b", "0", "1", "1", "protein"]]
_REACTION_ROWS = [["Reactions"], ["module", "ID", "Rule", "Weight", "n", "EC50"], ["m", "r1", "=&gt; A", "1", "1.4", "0.5"],
                  ["m", "r2", "A =&gt; B", "1", "1.4", "0.5"]]


def workbook(path: Path, *, extra_rows: int = 0, dimension: str = "", shared_strings_bytes: int = 0,
             sheet_prolog: str = "") -> Path:
    """A minimal Netflux workbook written part by part (so the bombs need no openpyxl).

    ``extra_rows`` empty rows appended to the species sheet, streamed into the zip;
    ``dimension``: a declared ``<dimension ref=...>``; ``shared_strings_bytes``: a
    shared-strings table of that size; ``sheet_prolog``: text put before the species
    sheet's root (a DOCTYPE)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9 if extra_rows or shared_strings_bytes else 6) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        dim = f'<dimension ref="{dimension}"/>' if dimension else ""
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            head = _SHEET_HEAD.format(dimension=dim)
            if sheet_prolog:
                head = head.replace("?>", "?>" + sheet_prolog, 1)
            out.write(head.encode())
            out.write("".join(_inline_row(i + 1, r) for i, r in enumerate(_SPECIES_ROWS)).encode())
            start, block = len(_SPECIES_ROWS) + 1, 50_000
            for first in range(start, start + extra_rows, block):
                last = min(first + block, start + extra_rows)
                out.write("".join(f'<row r="{n}"/>' for n in range(first, last)).encode())
            out.write(_SHEET_TAIL.encode())
        zf.writestr("xl/worksheets/sheet2.xml", _SHEET_HEAD.format(dimension="")
                    + "".join(_inline_row(i + 1, r) for i, r in enumerate(_REACTION_ROWS)) + _SHEET_TAIL)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.'
                      b'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')
            chunk = b"x" * (1 << 20)
            left = shared_strings_bytes
            while left > 0:
                out.write(chunk[:left])
                left -= len(chunk)
            out.write(b"</t></si></sst>")
    return path


# ---- running a case in a bounded child process ------------------------------------------------------

MEMORY_BYTES = 2 << 30  # address space of one case's child process
SECONDS = 60


def _limit_memory(memory: int):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    return limit


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(args: list[str], memory: int, seconds: float, env: dict[str, str] | None,
           address_space: bool = True) -> tuple[object, str, str, float]:
    """Run ``python ARGS`` bounded by ``seconds`` and ``memory``: address space (RLIMIT_AS)
    or, for the CLI (the store reserves terabytes of address space it never touches),
    resident memory polled every 20 ms (over it: killed, reported as ``memory``)."""
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, cwd=ROOT, text=True,
                                preexec_fn=_limit_memory(memory) if address_space else None,
                                env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        code: object = None
        while code is None:
            try:
                code = proc.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                if time.perf_counter() - started > seconds:
                    code = "timeout"
                elif not address_space and _rss(proc.pid) > memory:
                    code = "memory"
                if code is not None:
                    proc.kill()
                    proc.wait()
        out.seek(0)
        err.seek(0)
        return code, out.read(), err.read(), time.perf_counter() - started


def run_import(path: Path, *, memory: int = MEMORY_BYTES, seconds: float = SECONDS,
               env: dict[str, str] | None = None) -> dict:
    """``hmlm import FILE`` into a fresh store in a child process bounded to ``memory``
    bytes resident and ``seconds`` of wall time: its exit code, stderr, time."""
    store = path.with_suffix(path.suffix + ".lbdb")
    code, _, stderr, seconds_taken = _child(["-m", "hmlm_sb.cli.main", "--db", str(store), "import", str(path)],
                                            memory, seconds, env, address_space=False)
    return {"code": code, "stderr": stderr, "seconds": seconds_taken, "stored": store.exists()}


def run_read(path: Path, *, memory: int = 1 << 30, seconds: float = 20, env: dict[str, str] | None = None) -> dict:
    """``read_network(FILE)`` alone in a bounded child process (no CLI, no store: faster)."""
    code, stdout, stderr, seconds_taken = _child([__file__, "--read", str(path)], memory, seconds, env)
    result = {"code": code, "stderr": stderr, "seconds": seconds_taken, "stored": False}
    if code == 0 and stdout.strip():
        result.update(json.loads(stdout.strip().splitlines()[-1]))
    return result


def _read_one(path: str) -> None:
    """The --read worker: one JSON line, ``accepted`` or ``refused`` with the message."""
    from hmlm_sb.errors import InputError
    from hmlm_sb.io import read_network

    try:
        net = read_network(path)
        print(json.dumps({"outcome": "accepted", "model_id_chars": len(net.model.id)}))
    except InputError as err:
        if getattr(err, "unexpected", False):
            raise
        print(json.dumps({"outcome": "refused", "message": str(err)}))


def judge(result: dict) -> str:
    """``refused`` (one line, exit 2, nothing stored), ``accepted``, or what went wrong:
    ``timeout``, ``memory``, ``crash`` (a signal: a segfault), ``traceback``."""
    code, stderr = result["code"], result["stderr"].strip()
    if code in ("timeout", "memory"):
        return code
    if code < 0 or code >= 128:
        return "crash"
    if "Traceback" in stderr or "MemoryError" in stderr:
        return "traceback"
    if "outcome" in result:  # the --read worker
        return result["outcome"]
    if code == 0:
        return "accepted"
    if code == 2 and len(stderr.splitlines()) == 1 and not result["stored"]:
        return "refused"
    return f"other (exit {code})"


# ---- the corpus ----------------------------------------------------------------------------------

def corpus_case(rng: random.Random, folder: Path, k: int) -> tuple[str, Path]:
    """One random hostile file: its kind and path."""
    kind = rng.choice(["kinetic_depth", "annotation_depth", "rule_depth", "entity_id", "entity_notes",
                       "external_entity", "long_id", "long_name", "duplicate_attribute", "duplicate_qual",
                       "control_id", "workbook_rows", "workbook_strings", "workbook_dimension",
                       "workbook_doctype"])
    path = folder / f"case{k}_{kind}.{'xlsx' if kind.startswith('workbook') else 'xml'}"
    if kind == "kinetic_depth":
        text = nested_kinetic_law(rng.choice([300, 1000, 10_000, rng.randint(257, 20_000)]))
    elif kind == "annotation_depth":
        text = nested_annotation(rng.choice([300, 10_000, 200_000, rng.randint(257, 200_000)]))
    elif kind == "rule_depth":
        text = nested_function_term(rng.randint(257, 5000))
    elif kind == "entity_id":
        text = entity_expansion(rng.randint(2, 20), rng.randint(1, 5), "id")
    elif kind == "entity_notes":
        text = entity_expansion(rng.randint(2, 20), rng.randint(1, 5), "notes")
    elif kind == "external_entity":
        text = external_entity()
    elif kind == "long_id":
        text = long_model_id(rng.choice([257, 10_000, 500_000]), rng.choice([3, 2000]))
    elif kind == "long_name":
        text = long_species_name(rng.choice([4097, 100_000]))
    elif kind == "duplicate_attribute":
        text = duplicated_attribute()
    elif kind == "duplicate_qual":
        text = duplicate_qual_species()
    elif kind == "control_id":
        text = control_character_id()
    elif kind == "workbook_rows":
        return kind, workbook(path, extra_rows=rng.choice([3_000_000, 5_000_000]))
    elif kind == "workbook_strings":
        return kind, workbook(path, shared_strings_bytes=rng.choice([40 << 20, 200 << 20]))
    elif kind == "workbook_dimension":
        return kind, workbook(path, dimension=f"A1:G{rng.randint(20_001, 5_000_000)}")
    else:
        return kind, workbook(path, sheet_prolog='<!DOCTYPE worksheet [<!ENTITY a "aaaa">]>')
    path.write_text(text)
    return kind, path


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--read", help="worker: read one file, print the outcome as JSON")
    parser.add_argument("--root", type=Path, help="run another checkout's hmlm (a before/after comparison)")
    args = parser.parse_args()
    if args.root:
        global ROOT
        ROOT = args.root.resolve()
    if args.read:
        _read_one(args.read)
        return
    rng = random.Random(args.seed)
    outcomes: Counter = Counter()
    by_kind: dict[str, Counter] = {}
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.cases):
            kind, path = corpus_case(rng, Path(tmp), k)
            result = run_import(path)
            verdict = judge(result)
            outcomes[verdict] += 1
            by_kind.setdefault(kind, Counter())[verdict] += 1
            worst = max(worst, result["seconds"])
            path.unlink()
    print(json.dumps({"cases": args.cases, "seed": args.seed, "outcomes": dict(outcomes),
                      "by_kind": {k: dict(v) for k, v in sorted(by_kind.items())},
                      "slowest_case_s": round(worst, 2)}, indent=1))


if __name__ == "__main__":
    main()
