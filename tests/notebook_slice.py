"""Which cells of a notebook a given cell needs: the cells that assign, import or define the
names it reads, and recursively theirs (a backward slice over top-level names). The browser
tests run a widget's cell after only these, so a student's view of a widget is checked in
seconds rather than after the whole lesson."""

from __future__ import annotations

import ast


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell reads without binding them itself, names it binds), at any depth;
    IPython magics are skipped. A name a cell both reads and binds counts as its own (loop
    variables, comprehensions, `x = f(); g(x)`): a cell that reads a name *before* binding
    it (`n = n + 1`) would be missed, and the lessons do not do that."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    tree = ast.parse(code)
    reads, binds = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (binds if isinstance(node.ctx, ast.Store) else reads).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            binds.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            binds.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name):  # `net.x = ...` changes `net`
                binds.add(node.value.id)
    return reads - binds, binds


def needed_cells(cells: list[str], index: int) -> list[int]:
    """Indices (ascending) of the code cells among `cells` (their sources, in order) that
    cell `index` depends on, plus `index` itself. A cell that binds a needed name is needed,
    and so are the names it reads; a cell that only mutates a name through a method call is
    not seen (keep such state changes in the cell that creates the object)."""
    parsed = [_names(src) for src in cells]
    needed, wanted = {index}, set(parsed[index][0])
    for i in range(index - 1, -1, -1):
        reads, binds = parsed[i]
        if binds & wanted:
            needed.add(i)
            wanted |= reads
    return sorted(needed)
