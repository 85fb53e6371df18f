"""Generate student notebooks (`exercises/`) from solved ones (`solutions/`).

In a solution notebook, solution code sits between two marker comments::

    def count_parameters(model):
        # BEGIN SOLUTION 0.1: sum the sizes of the trainable parameters
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
        # END SOLUTION

The generator replaces each block by `raise NotImplementedError("Exercise 0.1: ...")` at the
marker's indentation, clears all outputs, and tags every cell that calls a
`nas_lessons.checks.check_*` function with `raises-exception` (an unsolved exercise must fail
its check). The exercises are thus always exactly what the solutions imply.

A lab asks for a prediction before the experiment: a line `GUESS = 0.4  # PREDICTION 4.4:
what to predict` becomes `GUESS = None  # PREDICTION 4.4: ...` (the lab's check refuses to
run without one). A written answer in a markdown cell sits between
`<!-- BEGIN ANSWER 4.4 -->` and `<!-- END ANSWER -->`; the exercise keeps a line for the
student's own answer instead.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["strip_solutions", "strip_answers", "build_exercise", "build_all", "MarkerError"]

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?P<rest>.*)$")
END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
EXERCISE_ID = re.compile(r"^\s+(?P<id>\d+\.\d+)\s*:\s*(?P<title>\S.*?)\s*$")
CHECK_CALL = re.compile(r"\bcheck_\w+\(")
PREDICTION = re.compile(r"^(?P<head>[ \t]*\w+\s*=\s*)\S.*?"
                        r"(?P<tail>#\s*PREDICTION\s+\d+\.\d+\s*:.*)$")
ANSWER = re.compile(r"<!--\s*BEGIN ANSWER\s+(?P<id>\d+\.\d+)\s*-->.*?<!--\s*END ANSWER\s*-->",
                    re.S)


class MarkerError(ValueError):
    """A malformed `# BEGIN SOLUTION` / `# END SOLUTION` pair."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every solution block in `source` by its NotImplementedError stub."""
    out: list[str] = []
    inside: tuple[str, str, int] | None = None
    for lineno, line in enumerate(source.split("\n"), start=1):
        m = BEGIN.match(line)
        if m:
            if inside is not None:
                raise MarkerError(f"{where}, line {lineno}: '# BEGIN SOLUTION' inside another "
                                  f"solution block (opened on line {inside[2]}); close it "
                                  "with '# END SOLUTION' first")
            ex = EXERCISE_ID.match(m["rest"])
            if ex is None:
                raise MarkerError(f"{where}, line {lineno}: write the marker as "
                                  "'# BEGIN SOLUTION N.k: what to do', got "
                                  f"{line.strip()!r}")
            inside = (m["indent"], f"Exercise {ex['id']}: {ex['title']}", lineno)
            continue
        if END.match(line):
            if inside is None:
                raise MarkerError(f"{where}, line {lineno}: '# END SOLUTION' without a "
                                  "'# BEGIN SOLUTION N.k: ...' before it")
            indent, msg, _ = inside
            out.append(f"{indent}# TODO {msg}")
            out.append(f"{indent}raise NotImplementedError({msg!r})")
            inside = None
            continue
        if inside is None:
            p = PREDICTION.match(line)
            out.append(f"{p['head']}None  {p['tail']}" if p else line)
    if inside is not None:
        raise MarkerError(f"{where}, line {inside[2]}: '# BEGIN SOLUTION' is never closed; "
                          "add '# END SOLUTION' after the solution code")
    return "\n".join(out)


def strip_answers(markdown: str, where: str = "cell") -> str:
    """Replace every written model answer in a markdown cell by a line for the student's."""
    if "BEGIN ANSWER" in markdown and not ANSWER.search(markdown):
        raise MarkerError(f"{where}: write an answer as '<!-- BEGIN ANSWER N.k -->' ... "
                          "'<!-- END ANSWER -->'")
    return ANSWER.sub(lambda m: f"*Your answer ({m['id']}):* …", markdown)


def build_exercise(solution_path: str | Path):
    """The exercise notebook (an nbformat node) generated from one solution notebook."""
    import nbformat

    path = Path(solution_path)
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.pop("id", None)
        if cell.cell_type == "markdown":
            cell.source = strip_answers(cell.source, f"{path.name}, cell {i}")
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, f"{path.name}, cell {i}")
        cell.outputs = []
        cell.execution_count = None
        cell.metadata = {k: v for k, v in cell.metadata.items() if k == "tags"}
        tags = [t for t in cell.metadata.get("tags", []) if t != "raises-exception"]
        if CHECK_CALL.search(cell.source):
            tags.append("raises-exception")
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    nb.nbformat_minor = 5
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def build_all(src: str | Path = "solutions", dst: str | Path = "exercises",
              check: bool = False) -> list[Path]:
    """Write dst/NAME.ipynb for every src/NAME.ipynb. With `check`, write nothing and return
    the exercises that differ from (or are missing against) what would be written."""
    import nbformat

    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise ValueError(f"solutions folder {src} not found; run from the repository root")
    changed = []
    for path in sorted(src.glob("*.ipynb")):
        text = nbformat.writes(build_exercise(path)) + "\n"
        target = dst / path.name
        if not target.exists() or target.read_text() != text:
            changed.append(target)
            if not check:
                dst.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
    if check:
        wanted = {p.name for p in src.glob("*.ipynb")}
        changed += [p for p in sorted(dst.glob("*.ipynb")) if p.name not in wanted]
    return changed
