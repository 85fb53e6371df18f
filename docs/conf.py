"""Sphinx configuration of the course site. Build it with `nas-lessons site build`, which
stages these pages with the committed notebooks and the generated API pages (see
`nas_lessons.site`); the notebooks are rendered from their stored outputs, never executed.

One configuration serves every edition: `edition.json`, written by the staging, names the
edition's language and where the others are; the title is the landing page's heading, so it
is translated with the page."""

import json
from pathlib import Path

HERE = Path(__file__).parent
EDITION = json.loads((HERE / "edition.json").read_text(encoding="utf-8"))

project = "nas_lessons"
author = "the nas_lessons authors"
copyright = "the nas_lessons authors, MIT licence"
language = EDITION["language"]
html_title = (HERE / "index.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")

extensions = ["myst_nb", "sphinx.ext.autodoc"]
root_doc = "index"
# included in pages, not pages; the edition's settings
exclude_patterns = ["_build", "README.md", "bundled_benchmark.md", "edition.json"]

nb_execution_mode = "off"  # the committed outputs are the pages
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# the docstrings write `name` for code, as Markdown does
default_role = "code"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# optional extras: the API pages are built without them
autodoc_mock_imports = ["psycopg", "hyperopt", "flaml", "smac", "ConfigSpace"]


html_theme = "sphinx_book_theme"
html_theme_options = {"show_toc_level": 2, "use_download_button": True}
html_context = {"default_mode": "light"}  # an unset mode is reported as an error in the console
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # a cell: two nodes, three edges
templates_path = ["_templates"]
# the language switch under the logo: the same page in every edition
html_sidebars = {"**": ["navbar-logo.html", "language-switch.html", "icon-links.html",
                        "search-button-field.html",
                        "sbt-sidebar-nav.html"]}
html_context.update(edition=EDITION["edition"], editions=EDITION["editions"])
html_css_files = ["language-switch.css"]

