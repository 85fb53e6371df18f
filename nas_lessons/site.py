"""The course website: the executed lesson notebooks, the exercise notebooks, the benchmark's
data sheet and the API reference, built with Sphinx + MyST-NB + sphinx-book-theme, offline.

`build` stages the pages in one folder — `docs/` (configuration, landing page, data sheet),
the README (for the lesson map and the benchmark section it shares with the site), the
committed notebooks as they are (their stored outputs are the pages: nothing is executed), one
API page per module generated from the docstrings, and the bundled benchmark's description —
then runs Sphinx with warnings as errors. `broken_links` checks every internal link of the
result: each relative `href`/`src` must name a file that exists, and each `#fragment` an `id`
in it.

Every edition of the course is built the same way from its own files: English at the site's
root, each translation (`nas_lessons.i18n`) in a folder of its language code, staged from the
generated `<lang>/notebooks`, `<lang>/exercises`, `<lang>/docs` and `README.<lang>.md`. Every
page has a switch to the same page in the other editions.

    nas-lessons site build [--out _site]       then open _site/html/index.html (uk/index.html)
"""

from __future__ import annotations

import json
import pkgutil
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["build", "stage", "api_modules", "broken_links", "EDITIONS"]

#: the site's editions, English first: language code -> (its name, Sphinx's language). Sphinx's
#: own Ukrainian messages are catalogued as uk_UA, the theme's as uk; uk_UA finds both
EDITIONS = {"en": ("English", "en"), "uk": ("Українська", "uk_UA")}

#: modules kept out of the API pages: the exercise checks hold the model solutions
PRIVATE = re.compile(r"nas_lessons\.(checks\.lesson\d\d|hints|cli)$")


def api_modules() -> list[str]:
    """Every module of the package that the API reference documents, in import order."""
    import nas_lessons

    names = [m.name for m in pkgutil.walk_packages(nas_lessons.__path__, "nas_lessons.")]
    return [n for n in names if not PRIVATE.match(n)]


def _is_package(name: str) -> bool:
    import importlib

    return hasattr(importlib.import_module(name), "__path__")


def _bundled_benchmark() -> str:
    from .benchmark import Benchmark, describe

    rows = "\n".join(f"| {label} | `{text}` |" for label, text in
                     describe(Benchmark.load()).items())
    return f"| | |\n|---|---|\n{rows}\n"


def _edition_files(root: Path, lang: str) -> dict[str, Path]:
    """Where an edition's pages come from: the English files, or the generated translation."""
    if lang == "en":
        return {"docs": root / "docs", "README.md": root / "README.md",
                "lessons": root / "notebooks", "exercises": root / "exercises"}
    return {"docs": root / lang / "docs", "README.md": root / f"README.{lang}.md",
            "lessons": root / lang / "notebooks", "exercises": root / lang / "exercises"}


def stage(root: Path, src: Path, *, lang: str = "en") -> Path:
    """Copy everything the `lang` edition of the site is built from into `src` (emptied
    first) and return it. `root` is a checkout of the course: it must hold docs/, notebooks/,
    exercises/ and the README, and for a translation its generated files (`nas-lessons i18n
    build`)."""
    if lang not in EDITIONS:
        raise ValueError(f"no edition {lang!r} of the site; editions: {', '.join(EDITIONS)}")
    root = Path(root)
    files = _edition_files(root, lang)
    missing = [p for p in ("docs/conf.py", "docs/index.md", "notebooks", "exercises",
                           "README.md") if not (root / p).exists()]
    missing += [str(p.relative_to(root)) for p in files.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{root} is not a checkout of the course: missing "
                                f"{', '.join(dict.fromkeys(missing))} (run from the "
                                "repository's root; a translation needs `nas-lessons i18n "
                                "build`)")
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(root / "docs", src)  # configuration, templates and static files
    for page in files["docs"].rglob("*.md"):  # the edition's own pages
        shutil.copy(page, src / page.relative_to(files["docs"]))
    shutil.copy(files["README.md"], src / "README.md")
    for target in ("lessons", "exercises"):
        (src / target).mkdir()
        for nb in sorted(files[target].glob("[0-9][0-9]_*.ipynb")):
            shutil.copy(nb, src / target / nb.name)
    api = src / "api"  # docs/api/index.md says what the reference is; the modules follow
    modules = api_modules()
    for name in modules:  # autodoc writes reStructuredText, so these pages are .rst
        # a package's page is its docstring: what it re-exports is documented where defined
        members = "" if _is_package(name) else "   :members:\n   :show-inheritance:\n"
        (api / f"{name}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. automodule:: {name}\n{members}")
    toc = "\n".join(modules)
    with (api / "index.md").open("a", encoding="utf-8") as f:
        f.write(f"\n```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n")
    (src / "bundled_benchmark.md").write_text(_bundled_benchmark())
    up = "" if lang == "en" else "../"  # from this edition's folder to the site's root
    editions = [(code, name, up + ("" if code == "en" else f"{code}/"))
                for code, (name, _) in EDITIONS.items()]
    (src / "edition.json").write_text(json.dumps(
        {"edition": lang, "language": EDITIONS[lang][1], "editions": editions}, ensure_ascii=False))
    return src


def build(*, root: Path | str = ".", out: Path | str = "_site", strict: bool = True,
          editions: tuple[str, ...] = tuple(EDITIONS)) -> Path:
    """Stage and build the site into `out/html` — English there, each other edition in
    `out/html/<lang>` (Sphinx's sources and caches in `out/<lang>`); with `strict`, any
    Sphinx warning fails the build. Returns the folder of the HTML pages."""
    from sphinx.cmd.build import build_main

    out = Path(out).resolve()
    html = out / "html"
    unknown = [e for e in editions if e not in EDITIONS]
    if unknown or "en" not in editions:
        raise ValueError(f"editions must include 'en' and be among {', '.join(EDITIONS)}; "
                         f"got {', '.join(editions)}")
    for old in (html, out / "source", out / "doctrees"):  # pages left from an earlier build
        if old.exists():
            shutil.rmtree(old)
    for lang in editions:  # English first: it empties nothing the others write
        work = out / lang
        if work.exists():
            shutil.rmtree(work)
        src = stage(Path(root), work / "source", lang=lang)
        target = html if lang == "en" else html / lang
        args = ["-b", "html", "-q", "-d", str(work / "doctrees"), str(src), str(target)]
        if strict:
            args[:0] = ["-W", "--keep-going"]
        if build_main(args) != 0:
            raise RuntimeError(f"the {lang} site did not build; Sphinx printed why above")
    bad = broken_links(html)
    if bad:
        listing = "\n  ".join(bad[:20])
        raise RuntimeError(f"{len(bad)} broken internal link(s):\n  {listing}")
    return html


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)
            if key in ("href", "src") and value and tag != "base":
                self.links.append(value)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def broken_links(html: Path) -> list[str]:
    """Every internal link of the built site that points nowhere, as 'page -> link': a
    relative link to a missing file, or a fragment with no element of that id. External
    links (with a scheme, or protocol-relative) are not followed: the build is offline."""
    html = Path(html)
    pages = {p: _parse(p) for p in html.rglob("*.html")
             if "_static" not in p.relative_to(html).parts}  # the theme's template macros
    bad = []
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:", "javascript:")):
                continue
            target = page if not parts.path else (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                bad.append(f"{page.relative_to(html)} -> {link}")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if fragment not in ids:
                    bad.append(f"{page.relative_to(html)} -> {link}")
    return sorted(set(bad))
