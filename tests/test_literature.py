from nas_lessons import literature


def test_every_number_has_a_source():
    rows = literature.results()
    assert len(rows) >= 15
    for r in rows:
        assert r["source"] and r["paper"] and r["venue_year"], r["model"]
        assert isinstance(r["verified"], bool) and r["evidence"]
        if r["search_gpu_days"] is not None:
            assert r["search_cost_as_reported"], r["model"]
        for key, lo, hi in [("top1", 50, 90), ("params_m", 1, 500), ("mult_adds_m", 100, 2e5)]:
            assert r[key] is None or lo <= r[key] <= hi, (r["model"], key, r[key])


def test_known_values_from_the_papers():
    by = {r["model"]: r for r in literature.results()}
    large = next(r for m, r in by.items() if m.startswith("NASNet-A large"))
    mobile = next(r for m, r in by.items() if m.startswith("NASNet-A mobile"))
    assert (large["top1"], large["params_m"]) == (82.7, 88.9)  # the article's "NASNet-A"
    assert (mobile["top1"], mobile["params_m"]) == (74.0, 5.3)
    darts = next(r for m, r in by.items() if m.startswith("DARTS - ImageNet"))
    assert (darts["top1"], darts["params_m"], darts["search_gpu_days"]) == (73.3, 4.7, 4)


def test_article_rows_are_all_corrected_with_sources():
    rows = literature.article_table()
    assert [r["row"] for r in rows] == ["ResNet-50 (manual)", "NASNet-A (RL)",
                                        "DARTS (gradient)", "EfficientNet-B0 (NAS)",
                                        "Once-for-All"]
    for r in rows:
        assert r["correction"] and r["source"] and r["verdict"]


def test_markdown_table_marks_unverified_rows():
    table = literature.markdown_table()
    lines = table.strip().splitlines()
    assert len(lines) == 2 + len(literature.results())
    unverified = [r["model"] for r in literature.results() if not r["verified"]]
    assert all(f"| {m} * |" in table for m in unverified)
