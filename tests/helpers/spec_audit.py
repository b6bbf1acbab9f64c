"""The spec audit: every sentence a student reads about a graded answer, and the test that checks it.

Each assignment's variants module (``tests/helpers/assignment_variants/<id>.py``) declares

* ``SPEC = {answer: [(quote, test cell, line), ...]}``: ``quote`` is a fragment of one sentence of
  that answer's spec, ``test cell`` the grade_id of a test cell of the same answer, and ``line`` a
  fragment of that cell's source (visible or hidden) that checks what the sentence promises.
  The key ``"intro"`` holds the assignment-wide promises (dtype, precision, not modifying inputs):
  their quotes are found in the introduction, their tests may belong to any answer.
* ``PROSE = {answer: [fragment, ...]}``: the sentences that explain or motivate and promise
  nothing a test could check (a hint, why a convention is chosen).

An answer's spec is what a student reads before filling it in: the markdown cells since the
previous graded cell (without the instructor's mark scheme) and the answer cell's own text outside
its solution (the signature's docstring and comments). ``tests/course/test_spec_audit.py`` holds
every graded *function* to the audit: each of its spec sentences is covered by a quote or declared
prose, and each quote's test line exists in a test cell of that function. A multiple-choice answer
needs its entries too (the format of the letter, the letter accepted), but its options are not
sentences to test one by one.

``python -m tests.helpers.spec_audit`` rewrites ``tests/helpers/assignment_variants/AUDIT.md``,
the audit as tables; a test fails when that file is out of date.
"""
import importlib
import re
from pathlib import Path

from autograder.model import choice_question
from tests.helpers.assignment_harness import ASSIGNMENTS, nbgrader_meta, question, source_notebook

AUDIT_TABLE = Path(__file__).parent / "assignment_variants" / "AUDIT.md"
INTRO = "intro"

_SOLUTION = re.compile(r"### BEGIN SOLUTION.*?### END SOLUTION", re.S)
_MARK_SCHEME = re.compile(r"### BEGIN MARK SCHEME.*?### END MARK SCHEME", re.S)
_FENCE = re.compile(r"```.*?```", re.S)
# A sentence ends at . ; ! or ? before a capital, code, math or a parenthesis; not after "et al."
_SENTENCE_END = re.compile(r"(?<=[.;!?])(?<!et al\.)(?<!e\.g\.)(?<!i\.e\.)\s+(?=[A-Z`*$(_\"'])")
_ITEM = re.compile(r"^\s*(?:[*-]|\d+\.)\s+")


def variants(assignment):
    return importlib.import_module(f"tests.helpers.assignment_variants.{assignment}")


def normal(text):
    """Whitespace collapsed, so a quote may wrap differently from the notebook's lines."""
    return " ".join(text.split())


def sentences(markdown):
    """The sentences of a markdown spec: list items and sentences split apart; headings, tables,
    code blocks, the mark scheme and answer placeholders left out."""
    text = _FENCE.sub("", _MARK_SCHEME.sub("", markdown))
    chunks, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        starts_item = bool(_ITEM.match(line))
        if not stripped or stripped.startswith(("#", "|")) or starts_item:
            if current:
                chunks.append(" ".join(current))
            current = []
            if starts_item:
                current = [_ITEM.sub("", line).strip()]
            continue
        current.append(stripped)
    if current:
        chunks.append(" ".join(current))
    found = []
    for chunk in chunks:
        found += [s.strip() for s in _SENTENCE_END.split(chunk) if s.strip()]
    return [s for s in found if not (s.startswith("*") and s.endswith("*") and "here" in s)]


def _answer_text(source):
    """The part of an answer cell a student sees besides the placeholder: signature, docstring,
    comments outside the solution."""
    lines = []
    for line in _SOLUTION.sub("", source).splitlines():
        line = line.strip()
        if line.startswith("#"):
            lines.append(line.lstrip("#").strip())
        elif line.startswith(('"""', "'''")):
            lines.append(line.strip("\"'").strip())
    return "\n".join(line for line in lines if line)


def specs(assignment):
    """{answer grade_id: [sentence, ...]} plus ``INTRO``: the assignment's spec, as students read it."""
    notebook = source_notebook(assignment)
    found, pending = {}, []
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "markdown":
            if meta.get("grade_id") == INTRO:
                found[INTRO] = sentences(cell.source)
            elif not meta.get("task"):
                pending.append(cell.source)
            continue
        if meta.get("solution"):
            name = meta["grade_id"]
            found[name] = [s for text in pending for s in sentences(text)] + sentences(_answer_text(cell.source))
            pending = []
        elif meta.get("grade"):
            pending = []
    return found


def test_sources(assignment):
    """{test grade_id: source} of the autograded test cells."""
    return {nbgrader_meta(c)["grade_id"]: c.source for c in source_notebook(assignment).cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}


def problems(assignment):
    """Every way the audit of ``assignment`` is incomplete or wrong, as sentences (empty when sound)."""
    module = variants(assignment)
    audit, prose = getattr(module, "SPEC", {}), getattr(module, "PROSE", {})
    spec, tests, found = specs(assignment), test_sources(assignment), []
    for name in spec:
        if name != INTRO and name not in audit:
            found.append(f"{assignment}: {name} has no SPEC entry")
    for name, entries in audit.items():
        if name not in spec:
            found.append(f"{assignment}: SPEC names {name!r}, which is not an answer cell")
            continue
        text = [normal(s) for s in spec[name] + (spec.get(INTRO, []) if name != INTRO else [])]
        for quote, test_id, line in entries:
            if not any(normal(quote) in s for s in text):
                found.append(f"{assignment}:{name}: the quote {quote!r} is not in its spec")
            if test_id not in tests:
                found.append(f"{assignment}:{name}: no test cell {test_id!r}")
            elif name != INTRO and question(assignment, test_id) != name:
                found.append(f"{assignment}:{name}: {test_id} tests another answer")
            elif normal(line) not in normal(tests[test_id]):
                found.append(f"{assignment}:{name}: {test_id} has no line {line!r}")
    for name, text in spec.items():
        if name == INTRO or choice_question(name):
            continue
        covering = [normal(q) for q, _, _ in audit.get(name, [])] + [normal(p) for p in prose.get(name, [])]
        for sentence in text:
            if not any(fragment in normal(sentence) for fragment in covering):
                found.append(f"{assignment}:{name}: no test and no PROSE entry for: {sentence!r}")
    for name, fragments in prose.items():
        for fragment in fragments:
            if not any(normal(fragment) in normal(s) for s in spec.get(name, [])):
                found.append(f"{assignment}:{name}: the PROSE {fragment!r} is not in its spec")
    return found


def _cell(text):
    return normal(text).replace("|", "\\|")


def table(assignment):
    """The audit of one assignment as markdown tables, one per answer."""
    module = variants(assignment)
    audit, prose = getattr(module, "SPEC", {}), getattr(module, "PROSE", {})
    correct, wrong = getattr(module, "CORRECT", {}), getattr(module, "WRONG", {})
    lines = [f"## {assignment}", ""]
    for name in [INTRO] + [n for n in specs(assignment) if n != INTRO]:
        if name not in audit and name not in prose:
            continue
        heading = "assignment-wide promises" if name == INTRO else f"`{name}`"
        counts = "" if name == INTRO else \
            f" ({len(correct.get(name, {}))} correct variants, {len(wrong.get(name, {}))} misconceptions)"
        lines += [f"### {heading}{counts}", "", "| spec sentence (fragment) | test cell | checked by |", "|---|---|---|"]
        lines += [f"| {_cell(q)} | `{t}` | `{_cell(line)}` |" for q, t, line in audit.get(name, [])]
        lines += [f"| {_cell(p)} | (explanation) | |" for p in prose.get(name, [])]
        lines.append("")
    return "\n".join(lines)


def document():
    header = ("# Spec audit\n\nGenerated by `python -m tests.helpers.spec_audit` from the `SPEC` and `PROSE` "
              "tables of each\nvariants module; `tests/course/test_spec_audit.py` checks that every sentence "
              "a student reads\nabout a graded answer is here, and that each test line exists.\n\n")
    return header + "\n".join(table(a) for a in ASSIGNMENTS)


def counts(assignment):
    """(spec sentences of graded answers, test cells, correct variants, misconceptions)."""
    module = variants(assignment)
    spec = specs(assignment)
    return (sum(len(v) for k, v in spec.items() if k != INTRO and not choice_question(k)),
            len(test_sources(assignment)),
            sum(len(v) for v in getattr(module, "CORRECT", {}).values()),
            sum(len(v) for v in getattr(module, "WRONG", {}).values()))


if __name__ == "__main__":
    AUDIT_TABLE.write_text(document())
    for assignment in ASSIGNMENTS:
        sentences_, tests_, right, wrong_ = counts(assignment)
        print(f"{assignment}: {sentences_} spec sentences, {tests_} test cells, {right} correct variants, "
              f"{wrong_} misconceptions")
