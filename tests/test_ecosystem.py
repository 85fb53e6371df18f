"""Lesson 09's ecosystem examples: the same SVM problem in Optuna, Hyperopt, FLAML, SMAC3."""

import pytest

from nas_lessons import ecosystem

MISSING = [lib for lib, ok in ecosystem.available().items() if not ok]


@pytest.mark.skipif(bool(MISSING), reason=f"not installed: {MISSING}; "
                    "pip install -e \".[ecosystem]\"")
@pytest.mark.parametrize("library", ecosystem.LIBRARIES)
def test_each_library_tunes_the_same_problem_repeatably(library):
    values = ecosystem.tune(library, 6, seed=1)
    assert len(values) == 6 and all(0 < v <= 100 for v in values)
    assert ecosystem.tune(library, 6, seed=1) == values
    assert max(values) > 80  # the space holds good SVMs; six tries find one


def test_errors_name_the_library_and_the_extra(monkeypatch):
    with pytest.raises(ValueError, match="allowed: optuna, hyperopt, flaml, smac"):
        ecosystem.tune("ray", 3)
    monkeypatch.setattr(ecosystem, "available", lambda: {lib: False for lib in
                                                          ecosystem.LIBRARIES})
    with pytest.raises(ImportError, match=r"pip install -e \".\[ecosystem\]\""):
        ecosystem.tune("hyperopt", 3)
