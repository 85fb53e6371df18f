"""Auto-checks for the exercises: run a student's function on several cases.

Each `check_*` function compares the student's implementation with the package's reference
behaviour on a handful of cases, prints one line per case (✓ or ✗ with a hint) and raises
`CheckFailed` if any case failed. A stub that still raises `NotImplementedError` makes the
check raise that error unchanged, so the student sees which exercise is still open.

One module per lesson's exercise (`lesson03.py`, ...); `core.py` holds what they share.
"""

from .core import CheckFailed, check_lab, run_cases
from .lesson00 import (
    check_conv_flops,
    check_count_params,
    check_shuffle_lab,
    check_shuffle_positions,
)
from .lesson01 import (
    check_expected_improvement,
    check_leak_free_cv,
    check_leakage_lab,
    check_tpe_next,
)
from .lesson02 import (
    check_has_path,
    check_neighbours,
    check_path_codes,
    check_path_collision,
    check_sample_cell,
)
from .lesson03 import (
    check_ageing_step,
    check_holm,
    check_reinforce_loss,
    check_tournament,
    check_winners_curse,
)
from .lesson04 import check_early_ranking, check_naswot, check_successive_halving, check_synflow
from .lesson05 import (
    check_derive_edges,
    check_first_order_step,
    check_gumbel_straight_through,
    check_mixed_op,
    check_none_exclusion,
)
from .lesson06 import (
    check_constrained_dominates,
    check_hypervolume,
    check_lut_predict,
    check_pareto_2d,
    check_reference_point_lab,
    check_skip_infeasible,
)
from .lesson07 import (
    check_importance_order,
    check_recalibrate,
    check_recalibration_lab,
    check_transformed_kernel,
)
from .lesson08 import (
    check_batched,
    check_conditional_space,
    check_promotable,
    check_pruned_objective,
    check_pruning_lab,
)
from .lesson09 import check_a12, check_bootstrap_ci, check_non_aging, check_seeds_lab

__all__ = ["CheckFailed", "run_cases", "check_count_params", "check_conv_flops",
           "check_shuffle_positions", "check_shuffle_lab", "check_has_path",
           "check_path_collision", "check_path_codes",
           "check_sample_cell", "check_neighbours", "check_leak_free_cv",
           "check_expected_improvement", "check_tpe_next", "check_leakage_lab",
           "check_conditional_space",
           "check_pruned_objective", "check_tournament", "check_ageing_step",
           "check_reinforce_loss", "check_holm", "check_winners_curse",
           "check_mixed_op", "check_derive_edges", "check_first_order_step",
           "check_gumbel_straight_through", "check_none_exclusion", "check_pareto_2d",
           "check_hypervolume", "check_lut_predict", "check_lab", "check_constrained_dominates",
           "check_skip_infeasible", "check_reference_point_lab", "check_promotable",
           "check_batched", "check_pruning_lab",
           "check_successive_halving", "check_synflow", "check_naswot",
           "check_early_ranking", "check_transformed_kernel", "check_importance_order",
           "check_recalibrate", "check_recalibration_lab",
           "check_bootstrap_ci", "check_a12", "check_non_aging", "check_seeds_lab"]
