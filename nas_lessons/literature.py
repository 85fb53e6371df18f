"""The field's published results, with their sources, for lesson 09.

`results()` reads `assets/literature.json`: ImageNet top-1, parameters, mult-adds and search
cost of the classic NAS results and their baselines (Zoph et al. 2018; Real et al. 2019;
Liu et al. 2018 and 2019; Pham et al. 2018; Cai et al. 2019 and 2020; Tan et al. 2019; Tan &
Le 2019; He et al. 2016), each with the table or section it comes from and whether it was
checked against the paper's own text. Search costs are given as reported and converted to
GPU-days where the paper allows (TPU time and per-run vs all-repeats noted). `article_table()`
is the popular article's results table, row by row, with what is wrong and the correction.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

__all__ = ["results", "article_table", "markdown_table"]


@cache
def _data() -> dict:
    with files("nas_lessons.assets").joinpath("literature.json").open(encoding="utf-8") as f:
        return json.load(f)


def results() -> list[dict]:
    """One record per model: model, paper, venue_year, top1 (%), params_m, mult_adds_m,
    search_cost_as_reported, search_gpu_days, cost_note, source, verified, evidence."""
    return [dict(r) for r in _data()["models"]]


def article_table() -> list[dict]:
    """The article's rows: row, claimed (top1, cost, size as printed), verdict, correction,
    source."""
    return [dict(r) for r in _data()["article_table"]]


def _fmt(x, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def markdown_table(rows: list[dict] | None = None) -> str:
    """The results as a Markdown table; unverified numbers are marked with an asterisk."""
    rows = results() if rows is None else rows
    lines = ["| model | top-1 (%) | params (M) | mult-adds (M) | search (GPU-days) | "
             "source |", "|---|---|---|---|---|---|"]
    for r in rows:
        star = "" if r["verified"] else " *"
        lines.append(f"| {r['model']}{star} | {_fmt(r['top1'], '.1f')} | "
                     f"{_fmt(r['params_m'], '.1f')} | {_fmt(r['mult_adds_m'], ',.0f')} | "
                     f"{_fmt(r['search_gpu_days'], ',.4g')} | {r['source']} |")
    return "\n".join(lines) + "\n"
