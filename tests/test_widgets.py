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
    rows = {r["op"]: r for r in op_costs(["none", "nor_conv_3x3", "sep_conv_3x3"], 8, (40,))}
    assert rows["none"]["params"] == 0 and rows["nor_conv_3x3"]["params"] == 8 * 8 * 3 + 16
    assert rows["nor_conv_3x3"]["flops"] == 2 * 8 * 8 * 3 * 40
    assert all(r["out_shape"] == (8, 40) for r in rows.values())
    assert op_costs(["nor_conv_1x1"], 8, (40,), stride=2)[0]["out_shape"] == (8, 20)
