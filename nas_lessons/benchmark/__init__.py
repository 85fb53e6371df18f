"""mnist1d-201: a tabular NAS benchmark of the NAS-Bench-201 cell space on MNIST-1D.

Like NAS-Bench-201 (Dong & Yang, ICLR 2020) and NAS-Bench-101 (Ying et al., ICML 2019), every
cell of the space is trained once with one fixed recipe and the results are stored, so a
search strategy "trains" an architecture by looking it up, and strategies can be compared at
equal *simulated* training time (NAS-Bench-201's protocol) in seconds on a laptop.

Here the space is NAS-Bench-201's (15,625 cells); the data is MNIST-1D (Greydanus & Kobak,
2024); the network is `NB201Network` with `SETTINGS`. One representative of each of the 7,005
classes of cells that build the same network (`NB201Space.unique_key`) is trained; every
other arch resolves to its class's record. (NATS-Bench's count of 6,466 "unique" cells merges
networks of different sizes, see `NB201Space.unique_key`, so it is not used here.)

The package reads top to bottom:

* `recipe`   the training recipe (`BenchSettings`), training one cell, the pilot that chose it
* `build`    the resumable build: jobs, worker processes, results files, latency re-measurement
* `pack`     the shipped file: packing, format version, checksum
* `query`    `Benchmark` (load and query), `verify` (retrain cells and compare),
             `stored_results` (a shipped result file made on this benchmark)
* `analysis` what the table says: op frequencies, seed noise, selection bias
"""

from .analysis import (
    describe,
    noise_report,
    op_frequencies,
    seed_noise,
    seed_rank_correlation,
    seed_table,
    selection_bias,
)
from .build import (
    build,
    build_jobs,
    read_pilot,
    read_results,
    read_train_time,
    remeasure_latency,
    remeasure_train_seconds,
    run_pilot,
    snapshot,
)
from .pack import BUNDLED, FORMAT_VERSION, pack
from .query import Benchmark, NotInBenchmark, stored_results, verify
from .recipe import (
    PILOT_RECIPES,
    SETTINGS,
    V2_SETTINGS,
    V3_SETTINGS,
    BenchSettings,
    pilot_cells,
    pilot_jobs,
    pilot_report,
    train_cell,
)

__all__ = ["BenchSettings", "V2_SETTINGS", "V3_SETTINGS", "SETTINGS", "train_cell", "PILOT_RECIPES",
           "pilot_cells", "pilot_jobs", "run_pilot", "read_pilot", "pilot_report", "build",
           "build_jobs", "read_results", "snapshot", "remeasure_latency",
           "remeasure_train_seconds", "read_train_time", "pack", "FORMAT_VERSION",
           "BUNDLED", "Benchmark", "NotInBenchmark", "verify", "stored_results", "op_frequencies",
           "seed_table", "seed_noise", "seed_rank_correlation", "selection_bias", "noise_report",
           "describe"]
