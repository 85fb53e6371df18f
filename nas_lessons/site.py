"""The course website: the executed lesson notebooks, the exercise notebooks, the benchmark's
data sheet and the API reference, built with Sphinx + MyST-NB + sphinx-book-theme, offline.

`build` stages the pages in one folder — `docs/` (configuration, landing page, data sheet),
the README (for the lesson map and the benchmark section it shares with the site), the
committed notebooks as they are (their stored outputs are the pages: nothing is executed), one
API page per module generated from the docstrings, and the bundled benchmark's description —
then runs Sphinx with warnings as errors. `broken_links` checks every internal link of the
result: each relative `href`/`src` must name a file that exists, and each `#fragment` an `id`
in it.

    nas-lessons site build [--out _site]       then open _site/html/index.html
"""

from __future__ import annotations

import pkgutil
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["build", "stage", "api_modules", "broken_links"]

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


def stage(root: Path, src: Path) -> Path:
    """Copy everything the site is built from into `src` (emptied first) and return it.
    `root` is a checkout of the course: it must hold docs/, notebooks/, exercises/ and the
    README."""
    root = Path(root)
    missing = [p for p in ("docs/conf.py", "docs/index.md", "notebooks", "exercises",
                           "README.md") if not (root / p).exists()]
    if missing:
        raise FileNotFoundError(f"{root} is not a checkout of the course: missing "
                                f"{', '.join(missing)} (run from the repository's root)")
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(root / "docs", src)
    shutil.copy(root / "README.md", src / "README.md")
    for folder, target in (("notebooks", "lessons"), ("exercises", "exercises")):
        (src / target).mkdir()
        for nb in sorted((root / folder).glob("[0-9][0-9]_*.ipynb")):
            shutil.copy(nb, src / target / nb.name)
    api = src / "api"
    api.mkdir()
    modules = api_modules()
    for name in modules:  # autodoc writes reStructuredText, so these pages are .rst
        # a package's page is its docstring: what it re-exports is documented where defined
        members = "" if _is_package(name) else "   :members:\n   :show-inheritance:\n"
        (api / f"{name}.rst").write_text(
            f"{name}\n{'=' * len(name)}\n\n.. automodule:: {name}\n{members}")
    toc = "\n".join(modules)
    (api / "index.md").write_text(
        "# API reference\n\nThe package's modules, generated from their docstrings. "
        "Each names the paper and equation it implements.\n\n"
        f"```{{toctree}}\n:maxdepth: 1\n\n{toc}\n```\n")
    (src / "bundled_benchmark.md").write_text(_bundled_benchmark())
    return src


def build(*, root: Path | str = ".", out: Path | str = "_site", strict: bool = True) -> Path:
    """Stage and build the site into `out/html` (Sphinx's cache in `out/doctrees`); with
    `strict`, any Sphinx warning fails the build. Returns the folder of the HTML pages."""
    from sphinx.cmd.build import build_main

    out = Path(out).resolve()
    src = stage(Path(root), out / "source")
    html = out / "html"
    for old in (html, out / "doctrees"):  # a page left from an earlier build is not this one
        if old.exists():
            shutil.rmtree(old)
    args = ["-b", "html", "-q", "-d", str(out / "doctrees"), str(src), str(html)]
    if strict:
        args[:0] = ["-W", "--keep-going"]
    if build_main(args) != 0:
        raise RuntimeError("the site did not build; Sphinx printed why above")
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
