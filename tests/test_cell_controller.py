import pytest
import torch

from nas_lessons.cell_controller import CellController, cell_similarity, is_valid_cell
from nas_lessons.spaces import DARTSSpace

SPACE = DARTSSpace()


def test_the_fixed_controller_samples_only_valid_cells():
    ctrl = CellController(seed=0)
    cells = [ctrl.ask() for _ in range(200)]
    assert all(is_valid_cell(c, SPACE) for c in cells)
    assert len({SPACE.normalize(c) for c in cells}) > 150  # and explores
    inputs = {j for c in cells for _, j in c[6:]}
    assert inputs == {0, 1, 2, 3, 4}  # the last node may read any of its 5 earlier nodes


def test_the_sketch_samples_invalid_cells():
    sketch = CellController.sketch(seed=0)
    cells = [sketch.ask() for _ in range(200)]
    assert sum(not is_valid_cell(c, SPACE) for c in cells) > 20  # the same input twice


def test_log_prob_of_a_given_cell_matches_sampling_and_has_gradients():
    ctrl = CellController(seed=1)
    cell, logp, _ = ctrl()
    _, again, ent = ctrl(cell)
    assert again.item() == pytest.approx(logp.item(), abs=1e-6)
    again.backward()
    assert ctrl.op_embedding.weight.grad.abs().sum() > 0  # the previous decision is fed back
    assert ctrl.input_embedding.weight.grad.abs().sum() > 0
    assert ent.item() > 0


def test_the_sketch_never_feeds_its_decisions_back():
    sketch = CellController.sketch(seed=1)
    _, logp, _ = sketch()
    logp.backward()
    assert sketch.op_embedding.weight.grad is None  # unused, as in the article


def test_the_fixed_controller_learns_a_hidden_cell():
    space = DARTSSpace(n_nodes=2, operations=["sep_conv_3x3", "skip_connect", "max_pool_3x3"])
    target = space.sample(7)
    torch.manual_seed(0)
    ctrl = CellController(space=space, lr=0.05, seed=0)
    rewards = []
    for _ in range(150):
        cell = ctrl.ask()
        r = cell_similarity(cell, target, space)
        ctrl.tell(cell, 100 * r)
        rewards.append(r)
    assert sum(rewards[-30:]) / 30 > sum(rewards[:30]) / 30 + 0.2
    assert cell_similarity(ctrl.greedy(), target, space) >= 0.75


def test_cell_similarity():
    a = SPACE.sample(0)
    assert cell_similarity(a, a, SPACE) == 1.0
    swapped = tuple(p for i in range(4) for p in (a[2 * i + 1], a[2 * i]))
    assert cell_similarity(swapped, a, SPACE) == 1.0  # the pair is unordered
    bad = ((a[0][0], 0), (a[1][0], 0)) + a[2:]
    assert cell_similarity(bad, a, SPACE) == 0.0  # invalid: input 0 twice


def test_tell_updates_only_what_the_switches_allow():
    sketch = CellController.sketch(seed=0)
    for s in (50.0, 80.0, 20.0):
        sketch.tell(sketch.ask(), s)
    assert sketch.baseline == pytest.approx(0.5)  # set once, never updated
    fixed = CellController(seed=0)
    for s in (50.0, 80.0, 20.0):
        fixed.tell(fixed.ask(), s)
    assert fixed.baseline == pytest.approx(0.9 * (0.9 * 0.5 + 0.1 * 0.8) + 0.1 * 0.2)


def test_a_cell_trains_for_real_on_digits():
    from nas_lessons.cell_controller import CellTrainingObjective
    from nas_lessons.data import load_dataset

    objective = CellTrainingObjective(load_dataset("digits"), epochs=1)
    cell = CellController(seed=0).ask()
    r = objective(cell)
    assert 10 < r["score"] <= 100 and r["cost"] > 0
    assert objective(cell)["score"] == r["score"]  # seeded: the same cell, the same score
    with pytest.raises(ValueError, match=">= 1"):
        CellTrainingObjective(None, epochs=0)
