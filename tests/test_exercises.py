"""The exercise machinery: generator, markers, checks, and the generated notebooks."""

from pathlib import Path

import nbformat
import pytest

from nas_lessons.checks import CheckFailed, check_count_params
from nas_lessons.exercises import MarkerError, build_all, build_exercise, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
SOLVED = """def f(x):
    # BEGIN SOLUTION 1.2: double x
    y = 2 * x
    return y
    # END SOLUTION
"""


def test_strip_solutions_stub():
    out = strip_solutions(SOLVED)
    assert "2 * x" not in out
    assert "    raise NotImplementedError('Exercise 1.2: double x')" in out
    ns: dict = {}
    exec(out, ns)
    with pytest.raises(NotImplementedError, match="Exercise 1.2: double x"):
        ns["f"](1)


@pytest.mark.parametrize("src,msg", [
    ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION", "N.k: what to do"),
    ("# BEGIN SOLUTION 1.1: a\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION", "without a"),
    ("# BEGIN SOLUTION 1.1: a\n# BEGIN SOLUTION 1.2: b\n# END SOLUTION", "inside another"),
])
def test_malformed_markers(src, msg):
    with pytest.raises(MarkerError, match=msg):
        strip_solutions(src, "nb.ipynb, cell 3")


def test_check_count_params_accepts_and_rejects(capsys):
    check_count_params(lambda m: sum(p.numel() for p in m.parameters() if p.requires_grad))
    assert "all 4 cases passed" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="Exercise 0.1"):
        check_count_params(lambda m: sum(p.numel() for p in m.parameters()))
    assert "✗ a frozen weight" in capsys.readouterr().out

    def stub(m):
        raise NotImplementedError("Exercise 0.1: count")

    with pytest.raises(NotImplementedError, match="Exercise 0.1"):
        check_count_params(stub)


def test_check_count_params_rejects_counting_buffers(capsys):
    """A plausible wrong answer: BatchNorm's running statistics are state, not parameters."""
    with_buffers = lambda m: (sum(p.numel() for p in m.parameters() if p.requires_grad)  # noqa: E731
                              + sum(b.numel() for b in m.buffers()))
    with pytest.raises(CheckFailed):
        check_count_params(with_buffers)
    out = capsys.readouterr().out
    assert "✗ Conv1d(1, 8, 3) + BatchNorm1d(8)" in out and "✓ Linear(10, 5)" in out


def test_exercises_match_generator(tmp_path):
    assert build_all(ROOT / "solutions", ROOT / "exercises", check=True) == [], (
        "exercises/ is out of date: run `nas-lessons exercises build`")


def test_generator_clears_outputs_and_tags_checks():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = build_exercise(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
                assert "BEGIN SOLUTION" not in cell.source
                if "check_" in cell.source and "import" not in cell.source.split("check_")[0][-30:]:
                    assert "raises-exception" in cell.metadata.get("tags", [])


def _run(path: Path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_unsolved_exercises_fail_with_their_message(path):
    """Every check cell of the generated exercise fails with its exercise's message, and
    no other cell fails. (The solution notebooks themselves run under nbval.)"""
    nb = _run(ROOT / "exercises" / path.name)
    n_checks = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            n_checks += 1
            assert errors, f"check cell did not fail:\n{cell.source}"
            assert errors[0].ename == "NotImplementedError"
            assert errors[0].evalue.startswith("Exercise "), errors[0].evalue
        else:
            assert not errors, f"cell failed:\n{cell.source}\n{errors[0].evalue}"
    assert n_checks >= 1


def test_predictions_become_blank_and_answers_become_the_students():
    src = "GUESS = 0.4  # PREDICTION 4.4: your guess of rho\nx = 1"
    assert strip_solutions(src) == "GUESS = None  # PREDICTION 4.4: your guess of rho\nx = 1"
    from nas_lessons.exercises import strip_answers

    md = "Why?\n\n<!-- BEGIN ANSWER 4.4 -->\n*Model answer.* Because.\n<!-- END ANSWER -->\n"
    out = strip_answers(md)
    assert "Because" not in out and "*Your answer (4.4):*" in out and out.startswith("Why?")
    with pytest.raises(MarkerError, match="BEGIN ANSWER N.k"):
        strip_answers("<!-- BEGIN ANSWER -->\nx\n<!-- END ANSWER -->")


def test_hints_are_progressive_and_opt_in(capsys):
    from nas_lessons.hints import HINTS, hint, reset_hints

    reset_hints()
    first, second = hint("4.2"), hint("4.2")
    assert first.startswith("Hint 4.2 (1/3)") and second.startswith("Hint 4.2 (2/3)")
    assert hint("4.2", level=1) == first and hint("4.2").startswith("Hint 4.2 (3/3)")
    assert hint("4.2").startswith("Hint 4.2 (3/3)")  # the last level stays
    with pytest.raises(ValueError, match="no hints for exercise '7.7'; exercises with hints"):
        hint("7.7")
    with pytest.raises(ValueError, match="levels 1..3"):
        hint("4.2", level=4)
    assert all(len(levels) >= 3 for levels in HINTS.values())
    reset_hints()


GIVEAWAYS = {"09_benchmarks_research.ipynb": ("rng.integers(0, len(x)", "0.5 * (x == y)",
                                              "del self.population[worst]",
                                              "alternative=\"less\") for n in",
                                              "Model answer"),
             "08_optuna_hpo.ipynb": ("if model == \"svm\":", "raise optuna.TrialPruned()",
                                     "reverse=True)[k - 1]", "zip(trials, evaluate_batch(trials))",
                                     "gains.append(best[0] - best[1])", "Model answer"),
             "06_hardware_aware_nas.ipynb": ("& ((p[:, 0] > p[i, 0])", "max(c, 0.0)",
                                              "prev - l", "return 0.0, params",
                                              "(got[0] - got[1]) / true", "Model answer"),
             "07_once_for_all.ipynb": ("F.linear(w.reshape", "descending=True, stable=True",
                                        "m.momentum = None", "recalibrate=False, n_val=400))",
                                        "Model answer"),
             "01_automl_levels.ipynb": ("cross_val_score(pipe", "norm.cdf(z)",
                                         "gaussian_kde(x[good])", "fit_transform(X, y)",
                                         "Model answer"),
             "04_performance_estimation.ipynb": ("slogdet", "c @ c.T", "len(scored) // eta",
                                                 "p.abs_()", "Model answer"),
             "03_search_strategies.ipynb": ("popleft", "maximum.accumulate", "rng.choices(",
                                            "argsort(-a[:, 0]", "Model answer"),
             "00_welcome.ipynb": ("p.requires_grad)", "// stride + 1", "flatten(2)[..., perm]",
                                  "acc[0] - acc[1]", "Model answer"),
             "02_search_spaces.ipynb": ("reached.add", "rng.sample(range", "tobytes()",
                                        "arch[:e] + (op,)", "Model answer"),
             "05_darts.ipynb": ("float(\"inf\")", "F.one_hot", "y.detach()", "autograd.grad(",
                                "Model answer")}


@pytest.mark.parametrize("name", sorted(GIVEAWAYS))
def test_the_exercise_text_does_not_give_away_the_solution(name):
    """The stubs state the contract; the solution code is not in the exercise."""
    nb = nbformat.read(ROOT / "exercises" / name, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    for giveaway in GIVEAWAYS[name]:
        assert giveaway not in text, giveaway
    assert "PREDICTION = None" in text.replace("PREDICTION = None  #", "PREDICTION = None")
