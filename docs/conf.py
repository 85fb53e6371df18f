"""Sphinx configuration of the course site. Build it with `nas-lessons site build`, which
stages these pages with the committed notebooks and the generated API pages (see
`nas_lessons.site`); the notebooks are rendered from their stored outputs, never executed."""

project = "nas_lessons"
author = "the nas_lessons authors"
copyright = "the nas_lessons authors, MIT licence"
html_title = "nas_lessons — AutoML and NAS, hands on"

extensions = ["myst_nb", "sphinx.ext.autodoc"]
root_doc = "index"
exclude_patterns = ["_build", "README.md", "bundled_benchmark.md"]  # included, not pages

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

