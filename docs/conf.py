"""Sphinx configuration of the course site. Build it with `nas-lessons site build`, which
stages these pages with the committed notebooks and the generated API pages (see
`nas_lessons.site`); the notebooks are rendered from their stored outputs, never executed."""

project = "nas_lessons"
author = "the nas_lessons authors"
copyright = "the nas_lessons authors, MIT licence"
html_title = "nas_lessons — AutoML and NAS, hands on"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
root_doc = "index"
exclude_patterns = ["_build", "README.md", "bundled_benchmark.md"]  # included, not pages

nb_execution_mode = "off"  # the committed outputs are the pages
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "description"
# optional extras: the API pages are built without them
autodoc_mock_imports = ["psycopg", "hyperopt", "flaml", "smac", "ConfigSpace"]

html_theme = "sphinx_book_theme"
html_theme_options = {"show_toc_level": 2, "use_download_button": True}
html_static_path: list[str] = []
