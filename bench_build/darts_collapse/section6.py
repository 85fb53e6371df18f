"""Draft of lesson 05's section 6 on the 8-seed collapse runs: replaces cells 33-39 of
notebooks/05_darts.ipynb (the old 3-seed section). Run from the repository root once the
records are complete; then write the "What we measured" cell from the printed numbers."""

import nbformat

INTRO = """## 6. Collapse: does searching longer make the cell worse?
On NAS-Bench-201, DARTS run for its full schedule derives the all-`skip_connect` cell on
CIFAR-10, 54.30% test accuracy (Dong & Yang, ICLR 2020, Table 5); Zela et al. (ICLR 2020)
relate such failures to sharp minima of the validation loss, and Wang et al. (ICLR 2021)
show that the size of α does not measure how much an op helps the *discrete* cell. α
rewards what makes the *supernet* fit fast; on CIFAR-10 that is the parameter-free skip.
Published remedies include stopping early (DARTS+, Liang et al., 2019; DARTS-ES, Zela et
al., ICLR 2020, which stops when the dominant Hessian eigenvalue grows fast), an auxiliary
skip on every edge that takes away the skip's advantage and is decayed to zero (DARTS-, Chu
et al., ICLR 2021), and sampling one op per edge with Gumbel-softmax (GDAS, Dong & Yang,
CVPR 2019).

`benchmarks/darts_collapse.py` runs six variants, each with the same 8 seeds (so every
comparison is paired by seed):

| variant | epochs | α learning rate | what it tests |
|---|---|---|---|
| `darts` | 60 | 1e-2 (this lesson's) | the baseline |
| `darts-long` | 120 | 1e-2 | searching longer — which also moves α twice as far |
| `darts-long-half` | 120 | 5e-3 | as long, with about the α travel of `darts`: separates the two |
| `darts-paper-lr` | 60 | 3e-4 (the paper's) | α that hardly moves (section 4) |
| `darts-` | 60 | 1e-2 | the auxiliary skip, decayed to exactly 0 at the last step |
| `gdas` | 60 | 1e-2 | one sampled op per edge, temperature 10 → 0.1 over the whole search |

Every record holds each epoch's α, the cell both derivation rules give (section 5) and,
every 5 epochs, the dominant Hessian eigenvalue (section 4). Every derived cell is scored by
benchmark lookup: its test accuracy in the table, the mean over the seeds the benchmark
trained it with — the discrete cell the search would ship, judged on held-out data. The 48
searches take about four hours of one CPU core (one thread each); the package ships their
records, and `RERUN_LONG = True` recomputes them here."""

LOAD = """results_file = Path(nas_lessons.__file__).parent / "assets" / "darts_collapse_seeds.jsonl"
if RERUN_LONG:
    results_file = Path("darts_collapse_seeds.jsonl")
    subprocess.run([sys.executable, str(Path("..") / "benchmarks" / "darts_collapse.py"),
                    "--epochs", str(LONG_EPOCHS), "--seeds", *map(str, LONG_SEEDS),
                    "--out", str(results_file)], check=True)
runs = load_runs(results_file)
variants = list(dict.fromkeys(r["variant"] for r in runs))
show_source(summarize)
for rule in ("darts", "argmax"):
    print(f"final cells, {'none excluded (DARTS)' if rule == 'darts' else 'plain argmax (NB201)'}:")
    for row in summarize(runs, bench, rule=rule):
        print(f"  {row['variant']:16s} {row['n']} seeds, {row['epochs']:4.0f} epochs: test "
              f"{row['mean']:6.2f}% [{row['ci'][0]:6.2f}, {row['ci'][1]:6.2f}], "
              f"skips {row['skips']:.2f} of 6")
all_cells = bench.array("test_acc", seed="mean")   # every cell of the space, for scale
print(f"for scale, a uniformly random cell: median {np.nanmedian(all_cells):.2f}%, "
      f"90th percentile {np.nanpercentile(all_cells, 90):.2f}%, best {np.nanmax(all_cells):.2f}%")
fig = plot_collapse(runs, bench)
plt.show()"""

COMPARE = """PAIRS = [("darts-long", "darts"),             # search longer (and move alpha further)
         ("darts-long-half", "darts"),        # longer, about the same alpha travel
         ("darts-long", "darts-long-half"),   # same length, twice the alpha travel
         ("darts-", "darts"), ("gdas", "darts"), ("darts-paper-lr", "darts")]
tests = compare(runs, bench, PAIRS)
print(f"{'a - b (pp, final derived cell, test)':40s} {'mean':>6s} {'95% CI':>17s} "
      f"{'p':>6s} {'p Holm':>6s}")
for t in tests:
    print(f"{t['a'] + ' - ' + t['b']:40s} {t['mean']:+6.2f} [{t['ci'][0]:+6.2f}, "
          f"{t['ci'][1]:+6.2f}] {t['p']:6.3f} {t['p_holm']:6.3f}")"""

STOPS = """long = [r for r in runs if r["variant"] == "darts-long"]
cut = ([stopped(r, darts_plus_stop(r, after=10), variant="DARTS+ stop") for r in long]
       + [stopped(r, eigenvalue_stop(r), variant="DARTS-ES stop") for r in long])
for row in summarize(long + cut, bench):
    print(f"{row['variant']:14s} stops after {row['epochs']:5.1f} epochs on average: test "
          f"{row['mean']:6.2f}% [{row['ci'][0]:6.2f}, {row['ci'][1]:6.2f}]")
stop_tests = compare(long + cut, bench, [("DARTS+ stop", "darts-long"),
                                          ("DARTS-ES stop", "darts-long")])
for t in stop_tests:
    print(f"{t['a']} - full search: {t['mean']:+.2f} pp [{t['ci'][0]:+.2f}, {t['ci'][1]:+.2f}], "
          f"Holm p {t['p_holm']:.3f}")"""


def apply(path="notebooks/05_darts.ipynb"):
    nb = nbformat.read(path, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## 6. Collapse"))
    end = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## 7. DARTS on"))
    new = [nbformat.v4.new_markdown_cell(INTRO), nbformat.v4.new_code_cell(LOAD),
           nbformat.v4.new_code_cell(COMPARE), nbformat.v4.new_code_cell(STOPS)]
    nb.cells[start:end] = new
    imports = nb.cells[3]
    imports.source = imports.source.replace(
        "from nas_lessons.benchmark import SETTINGS, Benchmark\n",
        "from nas_lessons.benchmark import SETTINGS, Benchmark\n"
        "from nas_lessons.collapse import (compare, darts_plus_stop, eigenvalue_stop, load_runs,\n"
        "                                  plot_collapse, stopped, summarize)\n")
    params = nb.cells[2]
    params.source = (params.source
                     .replace("RERUN_LONG = False  # True: rerun the long searches of section 6 here (about 1 h)",
                              "RERUN_LONG = False  # True: rerun section 6's 48 searches here (about 4 h)")
                     .replace("LONG_SEEDS = [0, 1, 2]", "LONG_SEEDS = list(range(8))"))
    nbformat.write(nb, path)


if __name__ == "__main__":
    apply()

#: Ukrainian translations of INTRO's blocks, for i18n/uk/notebooks/05_darts.po after
#: `nas-lessons i18n update` (check each against the final English text)
UK_INTRO = [
    """## 6. Колапс: чи погіршує довший пошук комірку?
На NAS-Bench-201 DARTS, запущений за повним розкладом, виводить комірку з самих `skip_connect` на
CIFAR-10 з тестовою точністю 54.30% (Dong & Yang, ICLR 2020, табл. 5); Zela et al. (ICLR 2020)
пов'язують такі невдачі з гострими мінімумами валідаційної функції втрат, а Wang et al. (ICLR 2021)
показують, що величина α не вимірює, наскільки операція допомагає *дискретній* комірці. α
винагороджує те, що дає *супермережі* швидко підлаштуватися під дані; на CIFAR-10 це skip без
параметрів. Серед опублікованих засобів — рання зупинка (DARTS+, Liang et al., 2019; DARTS-ES,
Zela et al., ICLR 2020, що зупиняє пошук, коли домінантне власне значення гессіана швидко
зростає), допоміжне skip-з'єднання на кожному ребрі, яке позбавляє skip переваги й згасає до нуля
(DARTS-, Chu et al., ICLR 2021), і семплювання однієї операції на ребро за допомогою
Gumbel-softmax (GDAS, Dong & Yang, CVPR 2019).""",
    """`benchmarks/darts_collapse.py` запускає шість варіантів, кожен з тими самими 8 зернами (тож
кожне порівняння парне за зерном):""",
    """| варіант | епохи | швидкість навчання α | що перевіряє |
|---|---|---|---|
| `darts` | 60 | 1e-2 (як у цьому уроці) | базовий варіант |
| `darts-long` | 120 | 1e-2 | довший пошук — який ще й зсуває α вдвічі далі |
| `darts-long-half` | 120 | 5e-3 | так само довго, але α проходить приблизно стільки ж, скільки в `darts`: розділяє два ефекти |
| `darts-paper-lr` | 60 | 3e-4 (як у статті) | α, що майже не рухається (розділ 4) |
| `darts-` | 60 | 1e-2 | допоміжне skip-з'єднання, що згасає точно до 0 на останньому кроці |
| `gdas` | 60 | 1e-2 | одна семпльована операція на ребро, температура 10 → 0.1 протягом усього пошуку |""",
    """Кожен запис містить α кожної епохи, комірку, яку дає кожне з двох правил виведення (розділ 5),
і, кожні 5 епох, домінантне власне значення гессіана (розділ 4). Кожну виведену комірку оцінено
звертанням до бенчмарку: її тестова точність у таблиці, усереднена за зернами, з якими бенчмарк
її навчав, — тобто дискретна комірка, яку пошук видав би, оцінена на відкладених даних. 48
пошуків займають близько чотирьох годин одного ядра процесора (по одному потоку); пакет
постачається з їхніми записами, а `RERUN_LONG = True` обчислює їх тут заново.""",
]
