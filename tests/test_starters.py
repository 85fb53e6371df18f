"""Lesson 09's thesis starters: the registry, the range checks, classical MDS, the CLI.
(The notebook runs every starter at the lesson scale and asserts its ranges.)"""

import numpy as np
import pytest

from nas_lessons import starters
from nas_lessons.cli import main
from nas_lessons.starters import STARTERS, Starter, StarterResult, classical_mds


def test_every_starter_is_complete():
    assert {s.level for s in STARTERS.values()} == {"bachelor", "master"}
    for s in STARTERS.values():
        assert s.question and s.method and s.thesis and s.reading and s.expected
        for lo, hi in s.expected.values():
            assert lo < hi


def _fake(value: float) -> Starter:
    return Starter("fake", "bachelor", "q?", "m", "t", ("r",),
                   lambda *, scale, seed: StarterResult({"x": value + seed, "y": 1.0}, ["line"]),
                   {"x": (0.0, 1.0)})


def test_values_outside_their_range_are_reported_and_flagged():
    inside, outside = _fake(0.5).run(), _fake(0.5).run(seed=2)
    assert inside.outside == {} and outside.outside == {"x": 2.5}
    card = _fake(0.5).card(outside)
    assert "outside the expected range" in card and "y = 1" in card   # y: reported only
    assert "outside" not in _fake(0.5).card(inside)


def test_a_run_that_cannot_be_judged_says_why_and_flags_nothing():
    busy = Starter("fake", "bachelor", "q?", "m", "t", ("r",),
                   lambda *, scale, seed: StarterResult({"x": 9.0}, ["line"],
                                                        not_judged="the CPU was busy"),
                   {"x": (0.0, 1.0)})
    r = busy.run()
    assert r.outside == {}
    card = busy.card(r)
    assert "not judged against the expected ranges: the CPU was busy" in card
    assert "outside the expected range" not in card


def test_device_latency_is_judged_only_when_the_cpu_was_idle(monkeypatch):
    from nas_lessons import hardware

    monkeypatch.setattr(hardware.CPUContention, "IDLE_BELOW", -1.0)  # every load counts as busy
    r = STARTERS["device-latency"].run(scale="lesson")
    assert r.outside == {} and "other programs used" in r.not_judged


def test_bad_scale_and_key_say_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: lesson, minimal"):
        _fake(0.5).run(scale="huge")
    with pytest.raises(ValueError, match="allowed: hpo-methods"):
        starters.get("nope")


def test_classical_mds_recovers_planar_distances():
    pts = np.random.default_rng(0).normal(size=(12, 2))
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    xy = classical_mds(d)
    assert np.allclose(np.linalg.norm(xy[:, None] - xy[None], axis=-1), d, atol=1e-8)


def test_search_trajectory_measures_what_random_search_predicts():
    r = STARTERS["search-trajectory"].run(scale="lesson", seed=1)
    assert abs(r.metrics["rs_distance"] - 4.8) < 0.3      # 6 edges x 4/5
    assert r.metrics["re_distance"] < r.metrics["rs_distance"]
    assert set(r.figure_data) == {"rs", "re"} and r.figure_data["rs"]["xy"].shape == (60, 2)


def test_cli_lists_and_rejects(capsys):
    assert main(["starter", "list"]) == 0
    assert "transfer" in capsys.readouterr().out
    assert main(["starter", "run", "nope"]) == 2
    assert "unknown starter" in capsys.readouterr().err
