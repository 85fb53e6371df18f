"""Running the course on Google Colab, where a notebook opens without the repository.

In every lesson, exercise and solution notebook the first code cell (after the title) is
`CELL`: on Colab it installs this
package (with its data: the benchmark, the trained supernet and the other assets ship inside
it, read through `importlib.resources`), anywhere else it does nothing. `add_cell` puts it before a
notebook's first code cell, or brings an older copy up to date; a test keeps every notebook's
first code cell equal to it.
"""

from __future__ import annotations

__all__ = ["SOURCE", "CELL", "CELL_ID", "add_cell"]

#: what pip installs on Colab: the package index name (or a `git+https://...` URL of a fork)
SOURCE = "nas-lessons"
CELL_ID = "colab-install"
CELL = f"""\
# On Google Colab: install the course's package. Anywhere else this cell does nothing.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "{SOURCE}"], check=True)"""


def add_cell(nb) -> bool:
    """Make `CELL` the first code cell of notebook `nb` (an `nbformat` notebook), replacing
    an earlier version of it; True if `nb` changed."""
    import nbformat

    marker = CELL.splitlines()[0]  # generated notebooks (exercises) renumber the ids
    for cell in nb.cells:
        if cell.get("id") == CELL_ID or cell.source.startswith(marker):
            if cell.source == CELL:
                return False
            cell.source = CELL
            return True
    cell = nbformat.v4.new_code_cell(CELL)
    cell.id = CELL_ID
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"),
                      len(nb.cells))
    nb.cells.insert(first_code, cell)
    return True
