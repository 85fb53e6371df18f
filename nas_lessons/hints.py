"""Opt-in, progressive hints for the exercises.

`hint("4.2")` prints the next level of help for exercise 4.2 — first the idea, then the
method, then something close to code — so a student decides how much help to take;
`hint("4.2", level=1)` prints a given level again. The exercise text states only the contract
(what the function takes and returns, the paper and equation); how to get there lives here.
"""

from __future__ import annotations

__all__ = ["HINTS", "hint", "reset_hints"]

#: exercise id -> hints from the idea to near-code
HINTS: dict[str, tuple[str, ...]] = {
    "0.1": (
        "A model's size is the number of numbers the optimizer can change.",
        "Go through model.parameters(); count the entries (numel) of those that require a "
        "gradient. Buffers such as BatchNorm's running statistics are not parameters.",
        "sum(p.numel() for p in model.parameters() if p.requires_grad)",
    ),
    "0.2": (
        "Every output value of a convolution is one dot product between the kernel and a "
        "window of the input; count the dot products and their length.",
        "Output length = floor((length + 2 * padding - kernel) / stride) + 1. Each of the "
        "c_out x output-length values sums (c_in / groups) x kernel products: one multiply-add "
        "each, which FlopCounterMode counts as 2 FLOPs.",
        "out = (length + 2 * padding - kernel) // stride + 1; "
        "return 2 * (c_in // groups) * c_out * kernel * out",
    ),
    "0.3": (
        "Only the positions move: every example and every channel gets the same reordering.",
        "Flatten the spatial axes into one (shape examples x channels x positions), index that "
        "last axis with perm, and reshape back. Indexing makes a new tensor; do not write into "
        "x.",
        "return x.flatten(2)[..., perm].reshape(x.shape)",
    ),
    "0.4": (
        "Run the lesson's control yourself, with the lab's settings.",
        "Train make_baseline('cnn', ...) for 10 epochs (Adam, lr 1e-2, batch 128, seed 0, "
        "seed_everything(0) before each run) on the data and on permute_positions(data, "
        "seed=0); subtract the two test accuracies.",
        "acc = [train(make_baseline('cnn', d.input_shape, 10), d, epochs=10, lr=1e-2, "
        "optimizer='adam', weight_decay=0.0, batch_size=128, seed=0).test_acc for d in (data, "
        "shuffled)] — with seed_everything(0) before each",
    ),
    "1.1": (
        "Cross-validation must treat every preprocessing step as part of the model: whatever "
        "is learnt from data (a mean, a feature ranking) may only be learnt from the training "
        "part of each fold.",
        "Chain the three steps in one sklearn Pipeline and give the pipeline to "
        "cross_val_score with the StratifiedKFold the instructions name; cross_val_score "
        "refits the whole pipeline on each training part.",
        "pipe = Pipeline([('scaler', StandardScaler()), ('features', SelectKBest(f_classif, "
        "k=k)), ('model', LogisticRegression(max_iter=500))]); cv = StratifiedKFold(folds, "
        "shuffle=True, random_state=seed); return 100 * mean(cross_val_score(pipe, X, y, cv=cv))",
    ),
    "1.2": (
        "Write the improvement as I = max(f - best - xi, 0) with f Gaussian, and integrate: "
        "the part of the Gaussian above best + xi contributes, the rest contributes 0.",
        "With gain = mu - best - xi and z = gain / sigma the integral is gain * Phi(z) + "
        "sigma * phi(z) (Phi, phi: the standard normal cdf and pdf, scipy.stats.norm). Handle "
        "sigma = 0 separately: divide only where sigma > 0.",
        "z = np.divide(gain, sigma, out=np.zeros_like(gain), where=sigma > 0); "
        "np.where(sigma > 0, gain * norm.cdf(z) + sigma * norm.pdf(z), np.maximum(gain, 0))",
    ),
    "1.3": (
        "Three steps: decide which trials are good, estimate where the good and the bad trials "
        "lie, prefer candidates where good trials are dense relative to bad ones.",
        "Sort the trials by y, largest first (a stable sort keeps ties in trial order); the "
        "first ceil(gamma * n) are good. gaussian_kde(points) returns a density you can call "
        "on the candidates.",
        "good = zeros(n, bool); good[argsort(-y, kind='stable')[:ceil(gamma * n)]] = True; "
        "ratio = gaussian_kde(x[good])(candidates) / gaussian_kde(x[~good])(candidates); "
        "return candidates[argmax(ratio)]",
    ),
    "1.4": (
        "The leaky version does the feature selection once, before the cross-validation, "
        "instead of inside each fold.",
        "Fit SelectKBest(f_classif, k) on all of X, y and keep the transformed columns; then "
        "cross-validate a pipeline of StandardScaler and LogisticRegression(max_iter=500) on "
        "those columns with the same StratifiedKFold. Subtract the leak-free estimate of 1.1.",
        "Xk = SelectKBest(f_classif, k=k).fit_transform(X, y); "
        "cross_val_score(Pipeline([...scaler, model]), Xk, y, cv=StratifiedKFold(folds, "
        "shuffle=True, random_state=seed))",
    ),
    "6.1": (
        "A point is on the front unless some other point is at least as good in both "
        "objectives and strictly better in at least one.",
        "For each point i, look for any j with accuracy[j] >= accuracy[i] and latency[j] <= "
        "latency[i], and at least one of the two strictly. Equal points do not dominate each "
        "other, so duplicates both stay.",
        "dominated = np.any((p[:, 0] >= p[i, 0]) & (p[:, 1] <= p[i, 1]) & "
        "((p[:, 0] > p[i, 0]) | (p[:, 1] < p[i, 1])))",
    ),
    "6.2": (
        "Feasibility comes first; objectives only decide between two feasible solutions.",
        "Total violation = the sum of max(c, 0) over a solution's constraint values (0 means "
        "feasible). If either solution violates anything, a dominates b exactly when its "
        "violation is smaller. Otherwise flip the sign of every 'min' objective and test "
        "Pareto dominance: never worse, better at least once.",
        "va = sum(max(c, 0.0) for c in ca); ...; if va > 0 or vb > 0: return va < vb",
    ),
    "6.3": (
        "The dominated region is a staircase: a union of rectangles, one per front point, "
        "each reaching to the reference point.",
        "Drop points that do not beat ref in both objectives. Visit the rest from the most "
        "accurate down; keep the lowest latency seen so far, and each point that lowers it adds "
        "a strip (accuracy - ref[0]) x (previous latency - its latency). Dominated points and "
        "duplicates then add nothing.",
        "for a, l in sorted(pts, key=lambda p: (-p[0], p[1])): if l < prev: hv += (a - ref[0]) "
        "* (prev - l); prev = l",
    ),
    "6.4": (
        "Anything you can compute before training can decide whether to train at all.",
        "Suggest both parameters, compute params, call trial.set_constraint('params', params - "
        "max_params) in every trial, and only then branch: over the limit, return a placeholder "
        "accuracy without training; otherwise train.",
        "trial.set_constraint('params', params - max_params); if params > max_params: return "
        "0.0, params",
    ),
    "6.5": (
        "The table gives one op in one cell of one stage; a network repeats the cell N times "
        "in each of the three stages.",
        "Sum table[(op, stage)] over the 6 ops of arch and the stages 0, 1, 2, multiply by N, "
        "then apply the fitted line: overhead + scale * total.",
        "total = N * sum(table[(op, stage)] for stage in range(3) for op in arch)",
    ),
    "6.6": (
        "The lesson computes the same quantity for 500 trials and 10 seeds; here it is 100 "
        "trials and 5 seeds, live.",
        "Take one entry per different network (NB201Space().unique_archs(), index them with "
        "space.index) from bench.array('val_acc') and bench.array('latency_ms'); the reference "
        "is (90.0, median latency); the true hypervolume is that of their Pareto front. For "
        "each seed and sampler, stack the completed trials' values and take their hypervolume.",
        "hypervolume(np.array([t.values for t in study.trials if t.values]), ref, ('max', "
        "'min')); lead = (nsga2 - random) / true, averaged over seeds 0..4",
    ),
    "9.1": (
        "The bootstrap treats the sample as the population: resample it, recompute the "
        "statistic, and read the interval off the spread of the recomputed values.",
        "Draw an (n_resamples, len(x)) array of indices with replacement from rng, take the "
        "mean of each row, and return the quantiles at (1 - level) / 2 and (1 + level) / 2.",
        "idx = rng.integers(0, len(x), size=(n_resamples, len(x))); np.quantile(x[idx]"
        ".mean(axis=1), [(1 - level) / 2, (1 + level) / 2])",
    ),
    "9.2": (
        "Compare every value of x with every value of y: that is len(x) * len(y) pairs.",
        "Broadcast x as a column against y as a row; a pair where x is larger counts 1, an "
        "equal pair counts 0.5; the mean over all pairs is A12.",
        "x[:, None] > y[None, :] gives the wins, x[:, None] == y[None, :] the ties; "
        "(wins + 0.5 * ties).mean()",
    ),
    "9.3": (
        "The only difference from regularized evolution is which member leaves the "
        "population: the worst instead of the oldest.",
        "ask(): count the tells; before population_size of them, self.space.sample(self.rng). "
        "Afterwards self.rng.choices(self.population, k=self.sample_size), the member with the "
        "highest score is the parent, and self.space.mutate(parent, self.rng) the child. "
        "tell(): append, then if too many, delete the index of the lowest score (min() "
        "returns the first of equals, which is the oldest).",
        "worst = min(range(len(self.population)), key=lambda i: self.population[i][1]); "
        "del self.population[worst]",
    ),
    "9.4": (
        "Run the 40 seeds once and test their first n: the smaller samples are then prefixes "
        "of the same experiment.",
        "runs = compare_strategies(['re', 'rs'], BenchmarkObjective(Benchmark.load()), 100, "
        "seeds=range(40)); for each n take runs[name]['regret'][:n, -1] and call "
        "mann_whitney(re, rs, alternative='less').",
        "{n: mann_whitney(runs['re']['regret'][:n, -1], runs['rs']['regret'][:n, -1], "
        "alternative='less') for n in (5, 10, 20, 40)}",
    ),
    "8.1": (
        "Define-by-run: the objective asks for a value only when the code reaches that line.",
        "Suggest the model first; then, inside an if on its value, suggest only that model's "
        "parameter — a log-uniform float for C, an integer for n_neighbors.",
        "model = trial.suggest_categorical('model', ['svm', 'knn']); if model == 'svm': "
        "trial.suggest_float('C', 1e-2, 1e2, log=True)",
    ),
    "8.2": (
        "A pruner can only act on what the trial has reported, and only when the trial asks.",
        "Loop over the curve with its index as the step; report each value, then ask "
        "should_prune() and raise optuna.TrialPruned() if it says so. After the loop, the "
        "trial's value is the last epoch's — not the best.",
        "for step, value in enumerate(values): trial.report(value, step); if "
        "trial.should_prune(): raise optuna.TrialPruned()",
    ),
    "8.3": (
        "Count how many trials at this rung may go on, then compare with the value at that "
        "position.",
        "n values at the rung, eta the reduction factor: k = n // eta trials continue, but at "
        "least 1 (the first trials at a rung have nothing to compare with). Sort the values "
        "from best to worst; the trial continues if its value is at least the k-th best.",
        "k = max(1, len(rung_values) // eta); return value >= sorted(rung_values, "
        "reverse=True)[k - 1]",
    ),
    "8.4": (
        "Ask-and-tell separates proposing from evaluating: ask as many trials as you like "
        "before you tell any of them.",
        "Per round: trials = [study.ask() for ...]; let each suggest x; one call "
        "evaluate_batch(trials); then study.tell(trial, value) — or, for None, "
        "study.tell(trial, state=optuna.trial.TrialState.FAIL).",
        "for t, v in zip(trials, evaluate_batch(trials)): study.tell(t, state=FAIL) if v is "
        "None else study.tell(t, v)",
    ),
    "8.5": (
        "Equal compute means equal epochs, not equal trials: hpo.run_with_epoch_budget stops "
        "when the epochs are spent.",
        "bench = Benchmark.load(); objective = hpo.benchmark_objective(bench); for each seed "
        "run it twice with the same RandomSampler seed and epochs=30 * bench.epochs, with the "
        "pruner and with pruner=None; subtract the two best_value.",
        "np.mean([run(SuccessiveHalvingPruner(reduction_factor=3)).best_value - "
        "run(None).best_value for each seed])",
    ),
    "7.1": (
        "Work from the largest kernel down: 7 to 5, then 5 to 3, each step with its own matrix.",
        "At each step keep the centre (the middle `smaller` positions of every spatial axis), "
        "reshape it to (channels, smaller**rank), multiply by the step's matrix as F.linear "
        "does (x @ M.T), and reshape back; stop when the width equals `size`.",
        "w = w[..., 1:1 + smaller] (and the same on the other axis for images); "
        "w = F.linear(w.reshape(-1, smaller**rank), matrices[f'{current}to{smaller}'])"
        ".reshape(w.shape)",
    ),
    "7.2": (
        "A channel whose outgoing weights are all small hardly changes the block's output.",
        "Take absolute values of project_weight and sum over every axis except the input "
        "channel axis (dim 1); sort those sums, largest first, stably.",
        "imp = project_weight.abs().sum(dim=(0, *range(2, project_weight.dim()))); "
        "torch.argsort(imp, descending=True, stable=True).tolist()",
    ),
    "7.3": (
        "BatchNorm updates its running statistics only in train mode; with momentum None it "
        "keeps the exact average over all batches since the last reset.",
        "For every BatchNorm: remember its momentum, reset_running_stats(), set momentum None. "
        "Run the batches through the model in train mode under torch.no_grad(). Put the "
        "momenta back and return model.eval().",
        "bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]; "
        "saved = [m.momentum for m in bns]; ...; model.train(); with torch.no_grad(): "
        "for x in batches: model(x)",
    ),
    "7.4": (
        "Follow the lab's recipe exactly: the number is compared with the check's own run.",
        "Seed, build and train the tiny supernet as described; evaluate_subnet(net, "
        "net.space.min_config(), data, batches=4, n_val=400) once with recalibration and once "
        "with recalibrate=False.",
        "return evaluate_subnet(..., batches=4, n_val=400) - evaluate_subnet(..., "
        "recalibrate=False, n_val=400)",
    ),
    "2.1": (
        "A cell outputs zeros when no chain of non-`none` edges leads from node 0 to node 3.",
        "Walk forward: node 0 is reached; the edges are listed in the order of their target "
        "node, so one pass suffices — a node is reached if a non-`none` edge comes into it "
        "from a reached node.",
        "reached = {0}; for (j, i), op in zip(EDGES, arch): if op != 'none' and i in reached: "
        "reached.add(j); return 3 in reached",
    ),
    "2.2": (
        "Uniform over *distinct* cells: every unordered pair of distinct inputs must be equally "
        "likely for each node, and every op on every edge.",
        "Drawing two different inputs at once with the rng (without replacement) gives every "
        "unordered pair the same chance; drawing the second input from those after the first "
        "does not.",
        "j1, j2 = rng.sample(range(i + 2), 2); cell += [(rng.choice(ops), j1), "
        "(rng.choice(ops), j2)]",
    ),
    "2.3": (
        "Local search and evolution's mutation move along single-edge changes.",
        "For each of the 6 edges, and each op other than the current one, copy the tuple with "
        "that one entry replaced: 6 x 4 = 24 neighbours.",
        "[arch[:e] + (op,) + arch[e + 1:] for e in range(6) for op in NB201_OPS "
        "if op != arch[e]]",
    ),
    "2.4": (
        "Two networks share a path encoding when they have the same set of op sequences from "
        "input to output, however the paths share layers.",
        "Go through space.unique_archs() (each network once), keep a dict from the encoding's "
        "bytes to the first arch that had it, and stop at the first repeat.",
        "code = space.path_encoding(a).tobytes(); if code in seen: return seen[code], a",
    ),
    "2.5": (
        "Count, don't guess twice: the space has 7,005 networks.",
        "Encode each of space.unique_archs() and count the distinct encodings (NumPy arrays "
        "are not hashable; their bytes are).",
        "len({space.path_encoding(a).tobytes() for a in space.unique_archs()})",
    ),
    "5.1": (
        "The relaxation replaces 'pick one op' by 'run every op and mix the outputs'.",
        "Run each candidate op on the same input and weight its output by that op's weight; "
        "the weights are already a softmax, do not normalise again.",
        "return sum(w * op(x) for w, op in zip(weights, ops))",
    ),
    "5.2": (
        "The zero op must be impossible to choose, whatever the alphas: mask it so that it is "
        "below every other op.",
        "On alpha itself only -inf is low enough (alphas can be negative); after a softmax, "
        "every weight is positive and 0 would do. Work on a copy, and keep the column indices "
        "of NB201_OPS.",
        "a = alpha.clone(); a[:, NB201_OPS.index('none')] = -float('inf'); "
        "return tuple(NB201_OPS[int(i)] for i in a.argmax(dim=1))",
    ),
    "5.3": (
        "The architecture step sees only the validation loss and moves only alpha; the "
        "weights, and their gradients, belong to the weight step.",
        "Compute the gradient of model.loss(x_val, y_val) with respect to "
        "model.arch_parameters() only — torch.autograd.grad does exactly that — and put it in "
        "alpha's .grad, replacing (not adding to) what was there.",
        "grads = torch.autograd.grad(model.loss(x_val, y_val), alphas); for a, g in "
        "zip(alphas, grads): a.grad = g; arch_optimizer.step()",
    ),
    "5.4": (
        "Gumbel-max: adding Gumbel noise to the logits and taking the argmax samples from the "
        "softmax; GDAS runs only the sampled op but needs a gradient for every alpha.",
        "Noise g = -log(-log u); soft sample y = softmax((alpha + g) / tau) per row; the hard "
        "sample is the one-hot of its argmax. Straight-through: forward the hard value, "
        "backward the gradient of y.",
        "y = F.softmax((alpha - torch.log(-torch.log(u))) / tau, dim=-1); idx = y.argmax(-1); "
        "return F.one_hot(idx, y.shape[-1]).to(y) - y.detach() + y, idx",
    ),
    "5.5": (
        "Each shipped record holds the cell derived without `none` ('cell') and the plain "
        "argmax cell ('naive'); the benchmark knows how good both are.",
        "Read the 16 records from nas_lessons/assets/darts_live_seeds.jsonl, look both cells "
        "up with bench.query(...)['val_acc'] and average the differences.",
        "np.mean([bench.query(r['cell'])['val_acc'] - bench.query(r['naive'])['val_acc'] "
        "for r in runs])",
    ),
    "3.1": (
        "A tournament compares a few random members, not the whole population: the larger "
        "sample_size, the greedier the selection.",
        "Draw sample_size members with the rng you are given — Real et al.'s Algorithm 1 draws "
        "with replacement (rng.choices), rng.sample draws distinct ones; both are accepted.",
        "return max(rng.choices(population, k=sample_size), key=lambda m: m[1])[0]",
    ),
    "3.2": (
        "One cycle of Algorithm 1: select a parent by tournament, mutate it, evaluate the child "
        "once, add it to the population, and let the oldest member die.",
        "The population is a deque, oldest on the left: append the child on the right; while "
        "it holds more than population_size members, popleft(). The winner's score does not "
        "protect it from dying.",
        "parent = max(rng.choices(list(population), k=sample_size), key=lambda m: m[1])[0]; "
        "child = mutate(parent, rng); score = evaluate(child); population.append((child, "
        "score)); then popleft while too large; return child, score",
    ),
    "3.3": (
        "REINFORCE raises the log-probability of decisions that did better than expected; the "
        "baseline is what was expected, the entropy bonus keeps the policy from collapsing.",
        "Keep everything a tensor so the gradient reaches log_prob: no .item() or float() on "
        "it. The baseline is a plain number updated as an exponential moving average.",
        "loss = -(reward - baseline) * log_prob - entropy_weight * entropy; new_baseline = "
        "decay * baseline + (1 - decay) * reward",
    ),
    "3.4": (
        "Bonferroni multiplies every p by m; Holm is less conservative: only the smallest p "
        "is multiplied by m, the next by m - 1, and so on.",
        "Sort the p-values; multiply the i-th smallest (0-based) by m - i; adjusted values must "
        "not decrease along the sorted order (a running maximum); cap at 1; put them back in "
        "the input's order.",
        "order = np.argsort(p); adj = np.minimum(1, np.maximum.accumulate(p[order] * (m - "
        "np.arange(m)))); out = np.empty(m); out[order] = adj",
    ),
    "3.5": (
        "The benchmark's three-seed subset lets you re-evaluate a selection on seeds it did not "
        "see.",
        "seed_table(bench, 'val_acc') gives a [cell, seed] array for the cells with every seed; "
        "seed 0 is column 0. Sort by column 0, take the best 5 rows, compare their column-0 "
        "mean with their mean over the other columns.",
        "a = seed_table(bench); top = a[np.argsort(-a[:, 0], kind='stable')[:5]]; "
        "top[:, 0].mean() - top[:, 1:].mean()",
    ),
    "4.1": (
        "Each rung trains the survivors of the previous rung a little longer; only the best "
        "1/eta of a rung go on, and a network continued from r to r' epochs pays only for the "
        "epochs it adds.",
        "Keep a list of (arch, epochs trained so far). For each rung: for every survivor add "
        "cost(arch, trained, rung) to the total, read its score after `rung` epochs, then sort "
        "by that score and keep max(1, len // eta) of them (all of them after the last rung).",
        "for i, r in enumerate(rungs): scored = [(curve(a)[r - 1], a) for a, _ in alive]; "
        "spent += sum(cost(a, done, r) for a, done in alive); scored.sort(key=lambda t: -t[0]); "
        "alive = [(a, r) for _, a in scored[:keep]] — and the incumbent is the best of the "
        "last rung.",
    ),
    "4.2": (
        "synflow asks how much 'signal' passes through a network whose weights are all "
        "positive, on an input of ones, with BatchNorm switched off; the score sums "
        "|theta * dR/dtheta| over the weights of every conv and linear layer.",
        "Work on a deep copy (the contract: the caller's model is unchanged). In the copy: "
        "float64, every BatchNorm's forward replaced by the identity, every entry of the "
        "state dict replaced by its absolute value. R = model(ones(1, *input_shape)).sum().",
        "weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d, "
        "nn.Linear))]; grads = torch.autograd.grad(R, weights); "
        "return float(sum((w * g).abs().sum() for w, g in zip(weights, grads)))",
    ),
    "4.3": (
        "Each input gets a binary code: which ReLU inputs are positive. Two inputs are similar "
        "if their codes agree in many places; the score is large when the batch's codes are "
        "all different.",
        "Register a forward hook on every nn.ReLU that reads its input, flattens it per "
        "example and compares with 0. Accumulate K += c c^T + (1 - c)(1 - c)^T over the "
        "ReLUs: K_ij counts the units where i and j agree (N_A minus the Hamming distance).",
        "after one forward pass under torch.no_grad(), remove the hooks and return "
        "np.linalg.slogdet(K)[1] (the log of |det K|, stable where det K itself overflows).",
    ),
    "4.4": (
        "Measure, don't guess twice: the benchmark stores every network's accuracy after each "
        "epoch.",
        "Keep the 7,005 networks (one per class: `space.unique_archs()`), and among them the "
        "better half by final validation accuracy; compare the ranking after 2 epochs with the "
        "final one.",
        "spearmanr(bench.array('val_acc', epoch=2)[rows][better], final[better])[0]",
    ),
}

_level: dict[str, int] = {}


def hint(exercise: str, level: int | None = None) -> str:
    """Print (and return) the next hint for `exercise`, or hint number `level` (1-based)."""
    if exercise not in HINTS:
        raise ValueError(f"no hints for exercise {exercise!r}; exercises with hints: "
                         f"{', '.join(sorted(HINTS))}")
    levels = HINTS[exercise]
    if level is None:
        level = min(_level.get(exercise, 0) + 1, len(levels))
    if not isinstance(level, int) or not 1 <= level <= len(levels):
        raise ValueError(f"exercise {exercise} has hint levels 1..{len(levels)}, got {level!r}")
    _level[exercise] = max(_level.get(exercise, 0), level)
    text = f"Hint {exercise} ({level}/{len(levels)}): {levels[level - 1]}"
    print(text)
    return text


def reset_hints() -> None:
    """Start every exercise's hints from the first level again."""
    _level.clear()
