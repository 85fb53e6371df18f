"""Widget logic, tested without a browser."""

import matplotlib

from nas_lessons.hardware import op_costs
from nas_lessons.widgets import CellBuilder, cell_summary

matplotlib.use("Agg")


def test_cell_summary():
    s = cell_summary(("nor_conv_3x3",) * 6)
    assert s["has_path"] and s["is_canonical"] and s["params"] > 0 and s["flops"] > 0
    dead = cell_summary("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert not dead["has_path"] and not dead["is_canonical"]
    assert dead["canonical"] == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert s["params"] > cell_summary(("skip_connect",) * 6)["params"]


def test_cell_builder_updates_on_dropdown_change():
    b = CellBuilder(("skip_connect",) * 6)
    before = b.summary["params"]
    b.dropdowns[0].value = "nor_conv_3x3"  # fires the observer
    assert b.arch[0] == "nor_conv_3x3" and b.summary["params"] > before
    assert "params:" in b.info.value
    for d in b.dropdowns:
        d.value = "none"
    assert "no input→output path" in b.info.value


def test_op_costs():
    rows = {r["op"]: r for r in op_costs(["none", "nor_conv_3x3", "sep_conv_3x3"], C=8,
                                            input_shape=(40,))}
    assert rows["none"]["params"] == 0 and rows["nor_conv_3x3"]["params"] == 8 * 8 * 3 + 16
    assert rows["nor_conv_3x3"]["flops"] == 2 * 8 * 8 * 3 * 40
    assert all(r["out_shape"] == (8, 40) for r in rows.values())
    assert op_costs(["nor_conv_1x1"], C=8, input_shape=(40,), stride=2)[0]["out_shape"] == (8, 20)


def _metrics():
    import numpy as np

    acc = np.array([90.0, 95.0, 80.0, np.nan, 97.0])
    return {"accuracy": acc, "latency_ms": np.array([1.0, 2.0, 0.5, 0.7, 3.0]),
            "params": np.array([1e4, 2e4, 5e3, 1e3, 4e4]),
            "flops": np.array([1e6, 2e6, 5e5, 1e5, 4e6])}


def test_explore_picks_best_feasible_and_front():
    from nas_lessons.hardware import HardwareConstraints
    from nas_lessons.widgets import explore

    r = explore(_metrics(), HardwareConstraints())
    assert r["best"] == 4 and r["n_feasible"] == 4  # the NaN arch is never feasible
    assert sorted(r["front"].tolist()) == [0, 1, 2, 4]
    r = explore(_metrics(), HardwareConstraints(max_latency_ms=2.0, max_params_m=0.015))
    assert r["best"] == 0 and r["n_feasible"] == 2 and "2 of 4" in r["message"]
    r = explore(_metrics(), HardwareConstraints(max_latency_ms=0.1))
    assert r["best"] is None and r["n_feasible"] == 0 and "relax" in r["message"]


def test_explore_front_is_the_feasible_front_and_follows_each_limit():
    import pytest

    from nas_lessons.hardware import HardwareConstraints
    from nas_lessons.widgets import explore

    m, C = _metrics(), HardwareConstraints
    # unconstrained front over (accuracy, latency): 2, 0, 1, 4 (3 has no accuracy)
    assert sorted(explore(m, C())["front"].tolist()) == [0, 1, 2, 4]
    # latency <= 2: 4 leaves the front, and the front is only feasible cells
    assert sorted(explore(m, C(max_latency_ms=2.0))["front"].tolist()) == [0, 1, 2]
    # params <= 15k: 1 (20k) and 4 (40k) go
    assert sorted(explore(m, C(max_params_m=0.015))["front"].tolist()) == [0, 2]
    # FLOPs <= 1.5 M: the same two
    assert sorted(explore(m, C(max_flops_m=1.5))["front"].tolist()) == [0, 2]
    # memory limit, when memory is given
    mm = dict(m, memory_mb=[1.0, 5.0, 1.0, 1.0, 1.0])
    assert sorted(explore(mm, C(max_memory_mb=2.0))["front"].tolist()) == [0, 2, 4]
    # accuracy floor 85%: 2 (80%) goes
    r = explore(m, C(), min_accuracy=85.0)
    assert sorted(r["front"].tolist()) == [0, 1, 4] and r["n_feasible"] == 3
    assert "min_accuracy" in explore(m, C(), min_accuracy=99.0)["message"]
    # another cost axis: against params, 0 (90%, 10k) and 2 (80%, 5k) and 1, 4 stay
    assert sorted(explore(m, C(), x="params")["front"].tolist()) == [0, 1, 2, 4]
    with pytest.raises(ValueError, match="x must be one of the metrics given"):
        explore(m, C(), x="memory_mb")


def test_feasibility_disagreement():
    import numpy as np

    from nas_lessons.widgets import feasibility_disagreement

    got = feasibility_disagreement([0.5, 1.5, 0.9, np.nan], [0.7, 0.9, 1.2, 0.1], 1.0)
    assert got.tolist() == [False, True, True, False]


def test_search_under_constraints_respects_every_limit():
    import numpy as np

    from nas_lessons.hardware import HardwareConstraints
    from nas_lessons.spaces import NB201Space
    from nas_lessons.widgets import explore, search_under_constraints

    space = NB201Space()
    archs = space.unique_archs()[:400]
    convs = np.array([a.count("nor_conv_3x3") + a.count("nor_conv_1x1") for a in archs], float)
    m = {"accuracy": 80 + 3 * convs - 0.1 * np.arange(len(archs)) % 1,
         "latency_ms": 0.5 + 0.1 * convs, "params": 1e4 * (1 + convs),
         "flops": 1e6 * (1 + convs)}
    limits = HardwareConstraints(max_latency_ms=0.75, max_params_m=0.04)
    out = search_under_constraints(archs, m, limits, min_accuracy=85.0, budget=40, seed=0)
    ok = explore(m, limits, min_accuracy=85.0)["feasible"]
    assert out["oracle"] is not None and ok[out["oracle"]]
    for name in ("RE, rejection", "NSGA-II"):
        b = out[name]["best"]
        assert b is None or (ok[b] and m["accuracy"][b] <= m["accuracy"][out["oracle"]])
    assert out["RE, rejection"]["rejected"] > 0


def test_constraint_explorer_sliders():
    import numpy as np

    from nas_lessons.spaces import NB201Space
    from nas_lessons.widgets import ConstraintExplorer

    m = _metrics()
    archs = [NB201Space().sample(i) for i in range(5)]
    ex = ConstraintExplorer(archs, m["accuracy"], {"benchmark": m["latency_ms"],
                                                   "my machine": m["latency_ms"] * 2},
                            m["params"], m["flops"])
    assert ex.result["best"] == 4
    ex.latency.value = 2.0  # slider change -> update
    assert ex.result["best"] == 1 and ex.best_arch == NB201Space().format(archs[1])
    ex.latency.value = ex.latency.min  # 0.5 ms: only arch 2, which has 5,000 params
    assert ex.result["n_feasible"] == 1 and ex.result["best"] == 2
    ex.max_params.value = ex.max_params.min  # 1,000 params: only arch 3, of unknown accuracy
    assert ex.result["n_feasible"] == 0 and "relax" in ex.info.value
    ex.source.value = "my machine"  # rescales the latency slider to the new source
    assert np.isclose(ex.latency.max, 6.0)


def test_constraint_explorer_switches_between_sources_that_do_not_overlap():
    """A source whose whole range lies below (or above) the current one: no TraitError, and
    the slider still filters afterwards."""
    import numpy as np

    from nas_lessons.spaces import NB201Space
    from nas_lessons.widgets import ConstraintExplorer

    m = _metrics()
    archs = [NB201Space().sample(i) for i in range(5)]
    lat = np.asarray(m["latency_ms"], dtype=float)
    ex = ConstraintExplorer(archs, m["accuracy"], {"slow": lat * 100, "fast": lat / 100},
                            m["params"], m["flops"])
    for name, scale in [("fast", 1 / 100), ("slow", 100), ("fast", 1 / 100)]:
        ex.source.value = name
        assert np.isclose(ex.latency.min, lat.min() * scale)
        assert np.isclose(ex.latency.max, lat.max() * scale)
        ex.latency.value = ex.latency.min
        assert ex.result["n_feasible"] == int(np.sum(lat <= lat.min()))


def _ofa_setup():
    import torch

    from nas_lessons.data import load_dataset
    from nas_lessons.ofa import OFANetwork

    class Table:  # latency without timing: a cost per active block, one scale per device
        def __init__(self, scale):
            self.scale = scale

        def predict(self, config):
            return self.scale * (1 + sum(k * e for *_, k, e in config.active(4)) / 100)

        def measure(self, config):
            return self.predict(config)

    torch.manual_seed(0)
    net = OFANetwork((1, 40), 10).eval()
    tables = {"fast": Table(0.01), "slow": Table(100.0)}  # ranges that do not overlap
    return net, load_dataset("mnist1d", seed=0), tables


def test_ofa_deploy_searches_under_the_target_and_explains_bad_input():
    import pytest

    from nas_lessons.widgets import ofa_deploy

    net, data, tables = _ofa_setup()
    acc = lambda c: float(sum(c.expands))  # noqa: E731
    lo = tables["slow"].predict(net.space.min_config())
    hi = tables["slow"].predict(net.space.max_config())
    r = ofa_deploy(net, data, accuracy=acc, tables=tables, device="slow",
                   target=(lo + hi) / 2)
    assert r["predicted_ms"] <= (lo + hi) / 2 and "slow" in r["message"]
    r_hi = ofa_deploy(net, data, accuracy=acc, tables=tables, device="slow", target=hi)
    assert r_hi["predicted_accuracy"] >= r["predicted_accuracy"]  # a looser target never hurts
    low = ofa_deploy(net, data, accuracy=acc, tables=tables, device="slow", target=lo / 2)
    assert low["config"] is None and "below the smallest subnet" in low["message"]
    with pytest.raises(ValueError, match="devices: 'fast', 'slow'"):
        ofa_deploy(net, data, accuracy=acc, tables=tables, device="phone", target=1.0)


def test_ofa_deployer_switches_devices_and_follows_the_slider():
    from nas_lessons.widgets import OFADeployer

    net, data, tables = _ofa_setup()
    w = OFADeployer(net, data, accuracy=lambda c: float(sum(c.expands)), tables=tables)
    for device in ("slow", "fast", "slow"):
        w.device.value = device
        table = tables[device]
        assert w.target.min == table.predict(net.space.min_config())
        assert w.target.max == table.predict(net.space.max_config())
        assert w.result["device"] == device and w.result["predicted_ms"] <= w.target.value
    w.target.value = w.target.min  # only the smallest subnet fits: sampling cannot find it
    assert w.result["config"] is None and "raise the target" in w.result["message"]


def test_constraint_explorer_search_button_and_axis():
    import numpy as np

    from nas_lessons.spaces import NB201Space
    from nas_lessons.widgets import ConstraintExplorer

    space = NB201Space()
    archs = space.unique_archs()[:200]
    convs = np.array([a.count("nor_conv_3x3") for a in archs], float)
    lat = 0.5 + 0.1 * convs
    ex = ConstraintExplorer(archs, 80 + 3 * convs, {"benchmark": lat, "table": lat * 1.1},
                            1e4 * (1 + convs), 1e6 * (1 + convs), budget=30)
    ex.latency.value = 0.75
    assert ex.result["n_feasible"] == int(np.sum(lat <= 0.75))
    assert "feasible by one latency source" in ex.info.value
    assert ex.disagreement().sum() == int(np.sum((lat <= 0.75) != (lat * 1.1 <= 0.75)))
    ex.axis.value = "params"
    assert ex.result["n_feasible"] == int(np.sum(lat <= 0.75))
    ex.min_acc.value = 85.0
    assert ex.result["n_feasible"] == int(np.sum((lat <= 0.75) & (80 + 3 * convs >= 85)))
    found = ex.search()
    assert found["oracle"] == ex.result["best"]


def test_a_widget_outside_jupyter_says_what_to_do_not_its_repr():
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(CellBuilder(("skip_connect",) * 6))
    assert "application/vnd.jupyter.widget-view+json" in data   # the live widget
    assert data["text/plain"].startswith("Cell builder (lesson 02): run this cell")
    assert "VBox" not in data["text/plain"] and "HBox" not in data["text/plain"]
