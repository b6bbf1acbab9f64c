"""Every sentence a student reads about a graded answer has a test that checks it (the spec audit,
tests/helpers/spec_audit.py), and the audit's tables are up to date."""
import pytest

from tests.helpers import spec_audit
from tests.helpers.assignment_harness import ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_spec_sentence_is_tested_or_declared_prose(assignment):
    found = spec_audit.problems(assignment)
    assert not found, f"{len(found)} gaps in the spec audit:\n" + "\n".join(found)


def test_the_audit_tables_are_up_to_date():
    assert spec_audit.AUDIT_TABLE.read_text() == spec_audit.document(), \
        "run `python -m tests.helpers.spec_audit` and commit tests/helpers/assignment_variants/AUDIT.md"


def test_sentences_split_items_and_sentences_and_drop_what_is_not_spec():
    markdown = """## 1 — Heading (3 points)

Implement `f(x)`. It must

* return an array of the same shape;
* leave `x` unchanged. Zero input gives zero.

| part | points |
|---|---|

```
not spec
```
### BEGIN MARK SCHEME
instructor only.
### END MARK SCHEME
*Write your answer here (double-click to edit).*
"""
    assert spec_audit.sentences(markdown) == [
        "Implement `f(x)`.", "It must", "return an array of the same shape;", "leave `x` unchanged.",
        "Zero input gives zero."]


def test_an_untested_sentence_is_reported(monkeypatch):
    assignment = ASSIGNMENTS[0]
    module = spec_audit.variants(assignment)
    name = next(n for n in module.SPEC if n != spec_audit.INTRO and not n.startswith("answer_"))
    monkeypatch.setitem(module.SPEC, name, module.SPEC[name][1:])
    monkeypatch.setitem(module.PROSE, name, [])
    assert any("no test and no PROSE entry" in p for p in spec_audit.problems(assignment))
    monkeypatch.setitem(module.SPEC, name, [("no such sentence", "test_nothing", "x")])
    found = spec_audit.problems(assignment)
    assert any("is not in its spec" in p for p in found) and any("no test cell" in p for p in found)
