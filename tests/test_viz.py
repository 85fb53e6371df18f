"""Cell drawings: every label readable (no two text boxes overlap), indices as in genotypes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nas_lessons.spaces import DARTS_V2, DARTSSpace, NB201Space  # noqa: E402
from nas_lessons.viz import draw_darts_cell, draw_nb201_cell  # noqa: E402


def _overlapping_labels(ax) -> int:
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().strip()]
    return sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("cell", [DARTS_V2.normal, DARTS_V2.reduce,
                                  *[DARTSSpace().sample(s) for s in range(12)]])
def test_darts_cell_labels_do_not_overlap(cell):
    fig, ax = plt.subplots(figsize=(9, 4))
    draw_darts_cell(cell, ax=ax)
    assert _overlapping_labels(ax) == 0
    plt.close(fig)


def test_nb201_cell_labels_do_not_overlap_and_the_title_is_the_arch():
    space = NB201Space()
    for seed in range(20):
        arch = space.sample(seed)
        fig, ax = plt.subplots(figsize=(7, 3))
        draw_nb201_cell(arch, ax=ax)
        assert _overlapping_labels(ax) == 0, space.format(arch)
        assert ax.get_title().replace("\n", "+") == space.format(arch)
        plt.close(fig)


def test_darts_node_labels_are_the_genotype_indices():
    fig, ax = plt.subplots()
    draw_darts_cell(DARTS_V2.normal, ax=ax)
    labels = [t.get_text() for t in ax.texts]
    assert {"2", "3", "4", "5"} <= set(labels)
    assert any(t.startswith("0\n") and "k-2" in t for t in labels)
    assert any(t.startswith("1\n") and "k-1" in t for t in labels)
    plt.close(fig)
