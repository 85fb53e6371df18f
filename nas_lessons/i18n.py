"""Translated editions of the course with gettext catalogues (the format Sphinx, Weblate and
Poedit read), without a second copy of any code.

The translatable text is the prose of the notebooks' markdown cells, of the README and of
the website's own pages (`docs/*.md`), cut into *blocks*: runs of lines separated by blank
lines, a fenced code block or a `$$` display kept whole. A block that is only code, only an
HTML comment (the exercise markers) or has no letters is not translated; of a MyST directive
(a fenced block that names a directive, such as a toctree), only its caption is. Each
source file has one catalogue per language:

    i18n/<lang>/notebooks/NN_topic.po     the lesson notebooks
    i18n/<lang>/solutions/NN_topic.po     the solved exercises (the exercises are generated)
    i18n/<lang>/README.po                 the README
    i18n/<lang>/docs/<page>.po            the website's pages (the site builds each edition)

`update` extracts the current English blocks and merges them into the catalogue the way
`msgmerge` does (Babel's `Catalog.update`): a new block is added untranslated, a changed block
keeps its old translation marked *fuzzy*, a removed block is dropped. `build` writes the
translated edition — `<lang>/notebooks`, `<lang>/solutions`, `<lang>/exercises` (from the
translated solutions, by the exercise generator), `<lang>/docs` and `README.<lang>.md` —
replacing each block
by its translation and copying code cells and their stored outputs unchanged, so a translated
lesson needs no execution of its own. A block without a current translation stops the build
and says which.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

__all__ = ["LANGUAGES", "blocks", "translatable", "template", "update", "catalogue_path",
           "verbatim_mismatch", "translate_markdown", "translate_notebook", "build", "status",
           "Untranslated"]

#: the editions, with the name each language calls itself
LANGUAGES = {"uk": "Українська"}
#: folders of English notebooks that are translated (exercises/ is generated from solutions/)
SOURCES = ("notebooks", "solutions")
HEADER = {"project": "nas_lessons", "version": "course", "fuzzy": False,
          "copyright_holder": "the nas_lessons authors", "msgid_bugs_address": "",
          "header_comment": "# Translations of the nas_lessons course (MIT licence).\n"
                            "# Edit the msgstr entries; `nas-lessons i18n update` merges new "
                            "English text in."}
FENCE = re.compile(r"^\s*(```|~~~|\$\$)")
#: a block of HTML comments only (a comment may span lines, but never past its own `-->`)
COMMENT_ONLY = re.compile(r"^(\s*<!--(?:(?!-->).)*-->\s*)+$", re.S)
#: the caption of a MyST directive such as a toctree: the one line of prose in a directive
CAPTION = re.compile(r"^(:caption:[ \t]*)(.+)$", re.M)


class Untranslated(ValueError):
    """A block of English text has no current (translated, not fuzzy) translation."""


def blocks(markdown: str) -> list[str]:
    """`markdown` cut at blank lines, with fenced code and `$$` displays kept whole;
    `"\\n\\n".join(blocks(md))` gives `md` back up to runs of blank lines."""
    out, current, fence = [], [], None
    for line in markdown.splitlines():
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            if line.strip() != fence and line.strip().endswith("$$") and fence == "$$":
                fence = None  # a one-line $$ ... $$
        elif fence is not None and m and m.group(1) == fence:
            fence = None
        elif fence is None and not line.strip():
            if current:
                out.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out


def translatable(block: str) -> bool:
    """Whether a block is prose to translate (not only code, a marker comment or symbols)."""
    text = block.strip()
    if COMMENT_ONLY.match(text) or not re.search(r"[^\W\d_]", text):
        return False
    return not (FENCE.match(text) and text.startswith(("```", "~~~")))


def _directive(block: str) -> bool:
    return block.lstrip().startswith(("```{", "~~~{"))


def _messages(block: str) -> list[str]:
    """What of a block is translated: the block, a directive's captions, or nothing."""
    if _directive(block):
        return [m.group(2).strip() for m in CAPTION.finditer(block)]
    return [block] if translatable(block) else []


def _sources(root: Path) -> list[tuple[Path, str]]:
    """(English file, its catalogue's name relative to i18n/<lang>) for everything translated."""
    files = [(p, f"{folder}/{p.stem}") for folder in SOURCES
             for p in sorted((root / folder).glob("[0-9][0-9]_*.ipynb"))]
    pages = [(p, f"docs/{p.relative_to(root / 'docs').with_suffix('').as_posix()}")
             for p in sorted((root / "docs").rglob("*.md"))]
    return files + [(root / "README.md", "README")] + pages


def _markdown_of(path: Path) -> list[tuple[tuple[str, int], str]]:
    """((file, cell index), markdown) of every markdown cell of a notebook, or of a
    Markdown file (cell 0)."""
    if path.suffix != ".ipynb":
        return [((path.name, 0), path.read_text(encoding="utf-8"))]
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [((path.name, i), c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown"]


def template(path: Path):
    """The gettext template (a Babel `Catalog`) of the English text of `path`."""
    from babel.messages.catalog import Catalog

    cat = Catalog(**HEADER)
    for where, md in _markdown_of(Path(path)):
        for b in blocks(md):
            for text in _messages(b):
                cat.add(text, locations=[where])
    return cat


def catalogue_path(root: Path, lang: str, name: str) -> Path:
    return Path(root) / "i18n" / lang / f"{name}.po"


def _read(path: Path, lang: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.exists():
        return Catalog(locale=lang, **HEADER)
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _po_text(cat) -> bytes:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, cat, width=100, omit_header=False, ignore_obsolete=True,
             include_previous=True, sort_output=False)
    return buf.getvalue()


def _state(cat) -> list[tuple]:
    """What a catalogue says (its locations are only hints for translators)."""
    return [(m.id, m.string, m.fuzzy) for m in cat if m.id]


def update(root: Path | str = ".", lang: str = "uk", *, check: bool = False) -> list[Path]:
    """Merge the current English text into every catalogue of `lang` (creating missing
    ones); return the catalogues that changed (with `check`: that would change; nothing is
    written)."""
    _check(lang)
    root, changed = Path(root), []
    for source, name in _sources(root):
        path = catalogue_path(root, lang, name)
        cat = _read(path, lang)
        before = _state(cat)
        cat.update(template(source), no_fuzzy_matching=False, update_header_comment=False)
        cat.obsolete.clear()
        if _state(cat) != before or not path.exists():
            changed.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_po_text(cat))
    return changed


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"no edition {lang!r}; languages: {', '.join(LANGUAGES)}")


#: what a translation keeps exactly: inline code and maths (either may wrap onto the next
#: line), HTML comments (the exercise markers) and link targets
VERBATIM = re.compile(r"`[^`]+`|<!--.*?-->|\$\$.+?\$\$|\$[^$]+\$|\]\([^)\s]+\)", re.S)


def verbatim_mismatch(english: str, translation: str) -> list[str]:
    """What the translation of a block changed that it must keep: code spans, comments,
    inline maths, link targets (as multisets)."""
    from collections import Counter

    a, b = Counter(VERBATIM.findall(english)), Counter(VERBATIM.findall(translation))
    return sorted((a - b).elements()) + [f"(added) {x}" for x in sorted((b - a).elements())]


def _translation(text: str, cat, where: str) -> str:
    m = cat.get(text)
    if m is None or not m.string or m.fuzzy:
        state = "missing" if m is None or not m.string else "fuzzy"
        raise Untranslated(f"{where}: the translation of this block is {state} "
                           f"(run `nas-lessons i18n update` and translate it):\n{text[:300]}")
    lost = verbatim_mismatch(text, m.string)
    if lost:
        raise Untranslated(f"{where}: the translation changes what it must keep "
                           f"verbatim: {lost[:5]}\n{text[:200]}")
    return m.string


def translate_markdown(markdown: str, cat, where: str = "") -> str:
    """`markdown` with every translatable block (and directive caption) replaced by its
    translation in `cat`."""
    out = []
    for b in blocks(markdown):
        if _directive(b):
            b = CAPTION.sub(lambda m: m.group(1) + _translation(m.group(2).strip(), cat, where),
                            b)
        elif translatable(b):
            b = _translation(b, cat, where)
        out.append(b)
    return "\n\n".join(out)


def translate_notebook(path: Path, cat):
    """The translated notebook (an nbformat node): markdown translated, everything else —
    code, outputs, metadata, cell ids — as in the English one."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, cat, f"{path.name}, cell {i}")
    return nb


def build(root: Path | str = ".", lang: str = "uk", *, check: bool = False,
          only_complete: bool = False) -> list[Path]:
    """Write the `lang` edition from the English files and the catalogues (see the module
    docstring); return the files written (with `check`: those that would change). With
    `only_complete`, a file whose catalogue is missing or incomplete is skipped instead of
    stopping the build (an edition in progress)."""
    import tempfile

    import nbformat

    from .exercises import build_exercise

    _check(lang)
    root, written = Path(root), []

    def emit(target: Path, text: str) -> None:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            written.append(target)
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")

    for source, name in _sources(root):
        cat = _read(catalogue_path(root, lang, name), lang)
        try:
            if source.suffix == ".ipynb":
                nb = translate_notebook(source, cat)
                folder = root / lang / source.parent.name
                emit(folder / source.name, nbformat.writes(nb) + "\n")
                if source.parent.name == "solutions":  # the generator reads a file
                    with tempfile.TemporaryDirectory() as tmp:
                        nbformat.write(nb, Path(tmp) / source.name)
                        exercise = build_exercise(Path(tmp) / source.name)
                    emit(root / lang / "exercises" / source.name,
                         nbformat.writes(exercise) + "\n")
            else:
                text = translate_markdown(source.read_text(encoding="utf-8"), cat, name)
                target = (root / f"README.{lang}.md" if name == "README"
                          else root / lang / f"{name}.md")
                emit(target, text.rstrip("\n") + "\n")
        except Untranslated:
            if not only_complete:
                raise
    return written


def status(root: Path | str = ".", lang: str = "uk") -> list[dict]:
    """Per English file: its blocks, and how many have a current translation, a fuzzy one,
    or none (against the current English text, whether or not `update` ran)."""
    _check(lang)
    rows = []
    for source, name in _sources(Path(root)):
        cat = _read(catalogue_path(root, lang, name), lang)
        ids = [m.id for m in template(source) if m.id]
        got = [cat.get(i) for i in ids]
        done = sum(1 for m in got if m is not None and m.string and not m.fuzzy)
        fuzzy = sum(1 for m in got if m is not None and m.string and m.fuzzy)
        rows.append({"file": name, "blocks": len(ids), "translated": done, "fuzzy": fuzzy,
                     "missing": len(ids) - done - fuzzy})
    return rows
