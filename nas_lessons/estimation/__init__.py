"""Performance estimation: how good is an architecture, short of training it fully?

The third component of NAS (Elsken, Metzen & Hutter, JMLR 2019, Sec. 5), one module each:

* `fidelity`  fewer epochs: rank correlation by epoch, successive halving, Hyperband
* `curves`    learning-curve extrapolation and early stopping (Domhan et al. 2015)
* `supernet`  weight sharing: a one-shot supernet, inherited weights, BatchNorm recalibration
* `proxies`   zero-cost proxies computed at initialisation from one mini-batch
* `proxy_table` every proxy for every network of the benchmark, computed once and shipped

Every estimator is scored against the mnist1d-201 benchmark, whose ground truth covers the
whole space.
"""

from .curves import FAMILIES, early_stopping_search, extrapolate, extrapolation_error, fit_curve
from .fidelity import (
    Run,
    epoch_rank_correlation,
    hyperband,
    incumbent_scores,
    random_search_seconds,
    rungs,
    successive_halving,
)
from .proxies import PROXIES, score, score_all, weight_layers
from .proxy_table import BUNDLED_PROXIES, PROXY_BATCH, ProxyTable, compute_proxies, pack_proxies
from .supernet import (
    Supernet,
    SupernetCell,
    evaluate_subnet,
    ranking_quality,
    recalibrate_bn,
    train_supernet,
)

__all__ = ["FAMILIES", "fit_curve", "extrapolate", "extrapolation_error",
           "early_stopping_search", "Run", "epoch_rank_correlation", "rungs",
           "successive_halving", "hyperband", "incumbent_scores", "random_search_seconds",
           "PROXIES", "score", "score_all", "weight_layers", "PROXY_BATCH", "BUNDLED_PROXIES",
           "compute_proxies", "pack_proxies", "ProxyTable", "Supernet", "SupernetCell",
           "train_supernet", "recalibrate_bn", "evaluate_subnet", "ranking_quality"]
