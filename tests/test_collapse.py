"""Reading long DARTS searches (`nas_lessons.collapse`): scores by lookup, the two stopping
rules, and the paired comparison with Holm's correction, on records whose answers are known."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nas_lessons import collapse
from nas_lessons.spaces import NB201Space

SPACE = NB201Space()
CONV = SPACE.format(("nor_conv_3x3",) * 6)
ONE_SKIP = SPACE.format(("skip_connect",) + ("nor_conv_3x3",) * 5)
TWO_SKIPS = SPACE.format(("skip_connect",) * 2 + ("nor_conv_3x3",) * 4)


class Table:
    """A benchmark that knows three cells."""

    acc = {CONV: 97.0, ONE_SKIP: 95.0, TWO_SKIPS: 90.0}

    def query(self, cell, *, seed="mean"):
        return {"test_acc": self.acc[cell]}


def run(variant: str, seed: int, cells: list[str], eigen: dict | None = None) -> dict:
    alpha = [[[0.2] * 5] * 6 for _ in cells]
    return {"variant": variant, "seed": seed, "derived": cells, "argmax": cells,
            "epochs": len(cells),
            "alpha": alpha, "eigenvalue": {str(k): v for k, v in (eigen or {}).items()}}


def test_counts_and_darts_plus_stop():
    r = run("darts", 0, [CONV, ONE_SKIP, TWO_SKIPS, TWO_SKIPS])
    assert collapse.op_count(r, "skip_connect").tolist() == [0, 1, 2, 2]
    assert collapse.darts_plus_stop(r) == 3  # the first epoch with two skips
    assert collapse.darts_plus_stop(r, after=3) == 4  # not before epoch 4
    assert collapse.darts_plus_stop(r, skips=3) == 4  # never: the last epoch
    cut = collapse.stopped(r, 2, variant="darts, stopped")
    assert cut["derived"] == [CONV, ONE_SKIP] and cut["epochs"] == 2 and r["epochs"] != 2
    with pytest.raises(ValueError, match="epoch must be in 1..4"):
        collapse.stopped(r, 5, variant="x")
    assert collapse.cell_scores(r, Table()).tolist() == [97.0, 95.0, 90.0, 90.0]
    assert collapse.op_weight(r, "skip_connect").tolist() == pytest.approx([0.2] * 4)
    with pytest.raises(ValueError, match="rule must be one of darts, argmax"):
        collapse.op_count(r, "skip_connect", rule="max")
    with pytest.raises(ValueError, match="op must be one of"):
        collapse.op_weight(r, "conv_9x9")


def test_eigenvalues_are_in_epoch_order_not_key_order():
    cells = [CONV] * 20
    epochs, lam = collapse.eigenvalues(run("d", 0, cells, {20: 4.0, 5: 1.0, 15: 3.0, 10: 2.0}))
    assert epochs.tolist() == [5, 10, 15, 20] and lam.tolist() == [1.0, 2.0, 3.0, 4.0]
    epochs, lam = collapse.eigenvalues(run("gdas", 0, cells))
    assert len(epochs) == len(lam) == 0


def test_eigenvalue_stop_returns_the_epoch_before_the_jump():
    cells = [CONV] * 20
    assert collapse.eigenvalue_stop(run("d", 0, cells, {5: 1.0, 10: 1.1, 15: 2.0, 20: 3.0})) == 10
    assert collapse.eigenvalue_stop(run("d", 0, cells, {5: 1.0, 10: 1.2, 15: 1.4, 20: 1.6})) == 20
    with pytest.raises(ValueError, match="DARTS-ES needs at least 2"):
        collapse.eigenvalue_stop(run("gdas", 0, cells))


def test_summarize_and_compare_pair_by_seed_and_correct_with_holm():
    runs = [run("darts", s, [CONV, TWO_SKIPS]) for s in range(6)]
    runs += [run("fix", s, [CONV, CONV if s < 5 else ONE_SKIP]) for s in range(6)]
    rows = {r["variant"]: r for r in collapse.summarize(runs, Table())}
    assert rows["darts"]["mean"] == 90.0 and rows["darts"]["skips"] == 2.0
    assert rows["fix"]["ci"][0] <= rows["fix"]["mean"] <= rows["fix"]["ci"][1] <= 97.0
    cut = [collapse.stopped(r, collapse.darts_plus_stop(r), variant=r["variant"] + "+")
           for r in runs]
    stop = {r["variant"]: r for r in collapse.summarize(cut, Table())}
    assert stop["darts+"]["epochs"] == 2.0 and stop["fix+"]["mean"] == rows["fix"]["mean"]
    (one,) = collapse.compare(runs, Table(), [("fix", "darts")])
    assert one["n"] == 6 and one["mean"] == pytest.approx((5 * 7 + 5) / 6)
    assert one["ci"][0] > 0 and one["p"] < 0.05 and one["p_holm"] == one["p"]
    two = collapse.compare(runs, Table(), [("fix", "darts"), ("darts", "fix")])
    assert all(r["p_holm"] >= r["p"] for r in two)
    with pytest.raises(ValueError, match="share 0 seeds"):
        collapse.compare(runs, Table(), [("fix", "gdas")])


def test_the_shipped_records_are_complete_searches(tmp_path):
    """Every shipped record has a cell for every epoch, by both rules, valid in the space."""
    from nas_lessons.benchmark import Benchmark

    path = collapse.Path(collapse.__file__).parent / "assets" / "darts_collapse_seeds.jsonl"
    if not path.exists():
        pytest.skip("the long DARTS runs are not shipped yet")
    runs = collapse.load_runs(path)
    bench = Benchmark.load()
    for r in runs:
        assert len(r["derived"]) == len(r["argmax"]) == len(r["alpha"]) == r["epochs"]
        assert "none" not in "".join(r["derived"])
        assert np.isfinite(collapse.cell_scores(r, bench)).all()
    (tmp_path / "x.jsonl").write_text(json.dumps(runs[0]) + "\n\n")
    assert collapse.load_runs(tmp_path / "x.jsonl") == runs[:1]


def test_plot_collapse_draws_one_line_per_variant_in_each_panel():
    import matplotlib

    matplotlib.use("Agg")
    eig = {5: 1.0, 10: 2.0}
    runs = [run(v, s, [CONV] * 10, eig if v == "darts" else None)
            for v in ("darts", "gdas") for s in range(3)]
    fig = collapse.plot_collapse(runs, Table())
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 2, 2, 1]  # gdas has no eigenvalue
    assert fig.axes[2].get_lines()[0].get_ydata().tolist() == [97.0] * 10
