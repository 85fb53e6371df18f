"""Translated editions: gettext catalogues of the English prose, kept in sync with it; the
generated notebooks carry the English code and outputs unchanged."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from nas_lessons import i18n

ROOT = Path(__file__).resolve().parents[1]


def _all_markdown() -> list[str]:
    return [md for folder in ("notebooks", "solutions")
            for p in sorted((ROOT / folder).glob("*.ipynb"))
            for _, md in i18n._markdown_of(p)] + [(ROOT / "README.md").read_text()]


def test_blocks_give_the_text_back():
    import re

    for md in _all_markdown():
        assert "\n\n".join(i18n.blocks(md)) == re.sub(r"\n\s*\n+", "\n\n", md.strip("\n"))


def test_blocks_keep_fences_and_displays_whole():
    md = "Text.\n\n```python\nx = 1\n\ny = 2\n```\n\n$$\na\n\nb\n$$\n\n<!-- END ANSWER -->\n\n42"
    assert i18n.blocks(md) == ["Text.", "```python\nx = 1\n\ny = 2\n```", "$$\na\n\nb\n$$",
                               "<!-- END ANSWER -->", "42"]
    assert [i18n.translatable(b) for b in i18n.blocks(md)] == [True, False, True, False, False]


def test_prose_between_comment_markers_is_translated():
    # a model answer: prose between two marker comments, in one block
    answer = "<!-- BEGIN ANSWER 3.5 -->\n*Model answer.* Luck.\n<!-- END ANSWER -->"
    assert i18n.translatable(answer)
    assert not i18n.translatable("<!-- BEGIN ANSWER 3.5 -->\n<!-- END\nANSWER -->")


def test_of_a_directive_only_its_caption_is_translated():
    from babel.messages.catalog import Catalog

    md = ("# Start\n\n```{toctree}\n:caption: Lessons\n:glob:\n\nlessons/*\n```\n\n"
          "```{include} README.md\n```")
    path = Path("page.md")
    cat = Catalog(locale="uk")
    for b in i18n.blocks(md):
        for text in i18n._messages(b):
            cat.add(text, locations=[(path.name, 0)])
    assert [m.id for m in cat if m.id] == ["# Start", "Lessons"]
    with pytest.raises(i18n.Untranslated, match="missing"):
        i18n.translate_markdown(md, cat)
    cat["# Start"].string, cat["Lessons"].string = "# Початок", "Уроки"
    assert i18n.translate_markdown(md, cat) == md.replace("# Start", "# Початок").replace(
        ":caption: Lessons", ":caption: Уроки")


def test_verbatim_parts_must_survive():
    marker = "<!-- BEGIN ANSWER 1.1 -->"
    en = f"Call `train(model)` (see [the paper](https://x.org/a)), $\\alpha$ {marker}"
    ok = f"Викличте `train(model)` (див. [статтю](https://x.org/a)), $\\alpha$ {marker}"
    assert i18n.verbatim_mismatch(en, ok) == []
    bad = "Викличте `train(модель)` (див. [статтю](https://x.org/b)), $\\alpha$"
    assert i18n.verbatim_mismatch(en, bad) == [
        "<!-- BEGIN ANSWER 1.1 -->", "](https://x.org/a)", "`train(model)`",
        "(added) ](https://x.org/b)", "(added) `train(модель)`"]


@pytest.fixture
def course(tmp_path) -> Path:
    """A course of one lesson, one solution and a README."""
    for folder in ("notebooks", "solutions"):
        nb = nbformat.v4.new_notebook()
        code = nbformat.v4.new_code_cell("print('hello')  # a comment stays English")
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
        code.execution_count = 1
        nb.cells = [nbformat.v4.new_markdown_cell("# Lesson 00\n\nRun `train` twice."), code,
                    nbformat.v4.new_markdown_cell(
                        "Your guess:\n<!-- BEGIN ANSWER 0.1 -->\nIt halves.\n<!-- END ANSWER -->")]
        (tmp_path / folder).mkdir()
        nbformat.write(nb, tmp_path / folder / "00_x.ipynb")
    (tmp_path / "README.md").write_text("# The course\n\n```bash\npytest\n```\n\nRead it.\n")
    return tmp_path


def _translate_all(root: Path, prefix: str = "УКР ") -> None:
    from babel.messages.pofile import read_po, write_po

    for po in (root / "i18n" / "uk").rglob("*.po"):
        cat = read_po(po.open("rb"), locale="uk")
        for m in cat:
            if m.id:
                m.string = prefix + m.id if not m.id.startswith("#") else "# " + prefix + m.id[2:]
                m.flags.discard("fuzzy")
        write_po(po.open("wb"), cat, ignore_obsolete=True)


def test_the_edition_is_generated_and_an_english_edit_makes_it_fuzzy(course):
    assert len(i18n.update(course, "uk")) == 3  # two notebooks and the README
    with pytest.raises(i18n.Untranslated, match="missing"):
        i18n.build(course, "uk")
    _translate_all(course)
    assert all(r["missing"] == 0 and r["fuzzy"] == 0 for r in i18n.status(course, "uk"))
    written = {p.relative_to(course).as_posix() for p in i18n.build(course, "uk")}
    assert written == {"uk/notebooks/00_x.ipynb", "uk/solutions/00_x.ipynb",
                       "uk/exercises/00_x.ipynb", "README.uk.md"}
    assert i18n.build(course, "uk", check=True) == []  # in sync
    en = nbformat.read(course / "notebooks" / "00_x.ipynb", as_version=4)
    uk = nbformat.read(course / "uk" / "notebooks" / "00_x.ipynb", as_version=4)
    assert uk.cells[0].source == "# УКР Lesson 00\n\nУКР Run `train` twice."
    assert uk.cells[1] == en.cells[1]  # code, comment and output unchanged
    exercise = nbformat.read(course / "uk" / "exercises" / "00_x.ipynb", as_version=4)
    assert "It halves" not in exercise.cells[2].source  # the model answer is removed
    assert "```bash\npytest\n```" in (course / "README.uk.md").read_text()
    # the English text changes: its translation turns fuzzy and the edition stops building
    nb = en
    nb.cells[0].source = "# Lesson 00\n\nRun `train` three times."
    nbformat.write(nb, course / "notebooks" / "00_x.ipynb")
    assert i18n.update(course, "uk", check=True) != []
    i18n.update(course, "uk")
    row = next(r for r in i18n.status(course, "uk") if r["file"] == "notebooks/00_x")
    assert row["fuzzy"] == 1
    with pytest.raises(i18n.Untranslated, match="fuzzy"):
        i18n.build(course, "uk")


def test_unknown_language_is_refused(course):
    with pytest.raises(ValueError, match="languages: uk"):
        i18n.build(course, "xx")


def test_the_catalogues_follow_the_english_text():
    """An English edit needs `nas-lessons i18n update` (which marks changed translations
    fuzzy) committed with it."""
    stale = i18n.update(ROOT, "uk", check=True)
    assert stale == [], f"run `nas-lessons i18n update`: {[str(p) for p in stale]}"


def test_the_edition_is_complete_and_current():
    """Every English file — each lesson, solution, the README and the site's pages — is fully
    translated (no fuzzy or missing block), the generated edition equals what the generator
    writes, and its code cells are the English ones."""
    rows = i18n.status(ROOT, "uk")
    unfinished = [r for r in rows if r["fuzzy"] or r["missing"]]
    assert unfinished == [], unfinished
    assert {r["file"].partition("/")[0] for r in rows} == {"notebooks", "solutions", "README",
                                                           "docs"}
    assert i18n.build(ROOT, "uk", check=True) == []
    for r in rows:
        folder, _, stem = r["file"].partition("/")
        if folder in ("notebooks", "solutions"):
            en = nbformat.read(ROOT / folder / f"{stem}.ipynb", as_version=4)
            uk = nbformat.read(ROOT / "uk" / folder / f"{stem}.ipynb", as_version=4)
            assert [c for c in en.cells if c.cell_type == "code"] == \
                   [c for c in uk.cells if c.cell_type == "code"]
