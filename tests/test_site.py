"""The course website: it builds offline from the committed notebooks with no Sphinx warning,
in English and in every translated edition, every internal link resolves (the language
switch's included), and a browser finds the landing page, a lesson, the API reference, search
and the switch between editions working."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas_lessons.i18n import LANGUAGES
from nas_lessons.site import EDITIONS, api_modules, broken_links, stage

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("myst_nb", reason="the site needs the [site] extra")
    pytest.importorskip("sphinx_book_theme", reason="the site needs the [site] extra")
    from nas_lessons.site import build

    return build(root=ROOT, out=tmp_path_factory.mktemp("site"))  # strict: warnings fail


def test_every_lesson_exercise_and_module_has_a_page(site):
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(lessons) == 10
    for name in lessons:
        assert (site / "lessons" / f"{name}.html").exists()
        assert (site / "exercises" / f"{name}.html").exists()
    for module in api_modules():
        assert (site / "api" / f"{module}.html").exists(), module
    assert (site / "searchindex.js").exists() and (site / "benchmark.html").exists()
    sheet = (site / "benchmark.html").read_text()
    assert "mnist1d-201" in sheet and "seed noise" in sheet and "Rebuild it yourself" in sheet


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_translated_edition_has_every_page_in_its_language(site, lang):
    edition = site / lang
    english = sorted(p.relative_to(site) for p in site.rglob("*.html")
                     if p.relative_to(site).parts[0] not in (*LANGUAGES, "_static"))
    assert english and [p for p in english if not (edition / p).exists()] == []
    lesson = (edition / "lessons" / "07_once_for_all.html").read_text()
    assert f'<html lang="{EDITIONS[lang][1].replace("_", "-")}"' in lesson
    translated = (ROOT / lang / "notebooks" / "07_once_for_all.ipynb").read_text()
    import json

    first = next(c for c in json.loads(translated)["cells"] if c["cell_type"] == "markdown")
    heading = first["source"][0].lstrip("# ").strip()
    assert heading.startswith("Урок 07") and heading in lesson  # its own heading
    assert "max |subnet - supernet| over 5 random subnets" in lesson  # the same outputs


def test_the_language_switch_links_each_page_to_itself_in_the_other_editions(site):
    import re

    for page in ("index.html", "lessons/03_search_strategies.html", "api/nas_lessons.ofa.html"):
        for lang in EDITIONS:
            path = site / page if lang == "en" else site / lang / page
            switch = re.search(r'<nav class="language-switch".*?</nav>', path.read_text(),
                               re.S).group(0)
            links = dict(re.findall(r'href="([^"]+)" hreflang="(\w+)"', switch))
            assert sorted(links.values()) == sorted(set(EDITIONS) - {lang})  # not itself
            for href, other in links.items():
                target = (path.parent / href).resolve()
                expected = site / page if other == "en" else site / other / page
                assert target == expected.resolve(), (page, lang, href)


def test_stage_refuses_an_unknown_edition(tmp_path):
    with pytest.raises(ValueError, match="no edition 'xx' of the site; editions: en, uk"):
        stage(ROOT, tmp_path / "src", lang="xx")


def test_the_exercise_checks_model_solutions_stay_off_the_site():
    assert not [m for m in api_modules() if m.startswith("nas_lessons.checks.lesson")]
    assert "nas_lessons.checks.core" in api_modules() and "nas_lessons.ofa" in api_modules()


def test_lesson_pages_show_the_stored_outputs(site):
    page = (site / "lessons" / "07_once_for_all.html").read_text()
    assert "max |subnet - supernet| over 5 random subnets" in page  # a printed output
    assert "<img" in page  # a figure


def test_broken_links_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a><a href="sub/page.html#gone">anchor</a>'
        '<a href="missing.html">file</a><a href="https://example.org/x">external</a>'
        '<a href="#top">same page</a><img src="_images/none.png"><p id="top"></p>')
    (tmp_path / "sub" / "page.html").write_text(
        '<h1 id="here">x</h1><a href="../index.html">up</a>')
    assert broken_links(tmp_path) == ["index.html -> _images/none.png",
                                      "index.html -> missing.html",
                                      "index.html -> sub/page.html#gone"]


def test_stage_needs_a_checkout(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a checkout of the course: missing"):
        stage(tmp_path, tmp_path / "src")


def test_a_warning_fails_the_build(tmp_path):
    """A lesson with a link to a page that does not exist: the strict build stops."""
    pytest.importorskip("myst_nb", reason="the site needs the [site] extra")
    import shutil

    import nbformat

    from nas_lessons.site import build

    root = tmp_path / "course"
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copy(ROOT / "README.md", root / "README.md")
    (root / "exercises").mkdir()
    (root / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson 00\n\nSee [the lesson](no_such_page.md).")]
    nbformat.write(nb, root / "notebooks" / "00_x.ipynb")
    with pytest.raises(RuntimeError, match="did not build"):
        build(root=root, out=tmp_path / "out", editions=("en",))


@pytest.fixture(scope="module")
def served(site):
    """The built site over HTTP on 127.0.0.1, as a host serves it (search fetches pages,
    which a browser refuses over file://)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_site_in_a_browser(served, browser):
    from selenium.webdriver.common.by import By

    def page(path: str) -> tuple[str, list[str]]:
        browser.get(f"{served}/{path}")
        return browser.title, [h.text for h in browser.find_elements(By.TAG_NAME, "h1")]

    browser.get_log("browser")
    title, h1 = page("index.html")
    assert "nas_lessons" in title
    assert any("AutoML and Neural Architecture Search" in h for h in h1)
    lessons = browser.find_elements(By.CSS_SELECTOR, "nav a[href*='lessons/']")
    assert len({a.get_attribute("href") for a in lessons}) == 10  # the lesson map's links
    title, h1 = page("lessons/07_once_for_all.html")
    assert any(h.startswith("Lesson 07 — Once-for-All") for h in h1), h1
    title, h1 = page("api/nas_lessons.ofa.html")
    assert any("nas_lessons.ofa" in h for h in h1)
    assert browser.find_elements(By.ID, "nas_lessons.ofa.OFANetwork")  # a documented class
    browser.get(f"{served}/search.html?q=progressive+shrinking")
    browser.implicitly_wait(10)
    hits = browser.find_elements(By.CSS_SELECTOR, "#search-results a[href*='07_once_for_all']")
    browser.implicitly_wait(0)
    assert hits, "search finds lesson 07 for 'progressive shrinking'"
    # the switch: to the Ukrainian page and back, and search in Ukrainian
    browser.get(f"{served}/lessons/07_once_for_all.html")
    browser.find_element(By.CSS_SELECTOR, ".language-switch a[hreflang='uk']").click()
    assert browser.current_url == f"{served}/uk/lessons/07_once_for_all.html"
    assert any(h.text.startswith("Урок 07") for h in browser.find_elements(By.TAG_NAME, "h1"))
    browser.find_element(By.CSS_SELECTOR, ".language-switch a[hreflang='en']").click()
    assert browser.current_url == f"{served}/lessons/07_once_for_all.html"
    browser.get(f"{served}/uk/search.html?q=звуження")
    browser.implicitly_wait(10)
    hits = browser.find_elements(By.CSS_SELECTOR, "#search-results a[href*='07_once_for_all']")
    browser.implicitly_wait(0)
    assert hits, "the Ukrainian search finds lesson 07 for 'звуження' (shrinking)"
    # this machine is offline: MathJax and the widget renderer, which the pages load from
    # their CDNs when read online, fail to load here and only those may fail
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"
              and not e["message"].startswith("https://")]
    assert severe == []
