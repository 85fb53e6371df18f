"""Lesson 07's evidence at full size: does a subnet of a progressively shrunk Once-for-All
network match the same architecture trained alone, and which of the paper's mechanisms
matter? Resumable: one JSON line per finished (part, variant, seed), skipped when already in
the file; supernet weights are kept under --work so that a restart does not retrain them.

    python benchmarks/ofa.py [--part supernet scratch] [--seeds 3 | --seed-list 1 2] [--scale 1.0]
                             [--out PATH] [--work DIR]

* `supernet`: for every variant — `ps` (the paper's progressive shrinking), `no-transform`
  (no kernel transformation matrices), `no-sort` (no channel sorting), `no-kd` (no
  distillation), `no-phases` (all dimensions elastic at once after the largest network, as the
  article's `OFATrainer` lumps them) — and seed: train on MNIST-1D with `PHASE_EPOCHS` ×
  `--scale` epochs per phase; then, for each of the `SUBNETS` spanning the latency range, the
  inherited accuracy after BatchNorm recalibration (validation and test), without
  recalibration, and after fine-tuning the extracted subnet for `FINETUNE` epochs.
* `scratch`: every subnet of `SUBNETS` trained alone from random initialisation for as many
  epochs as the whole progressive shrinking took (`sum(PHASE_EPOCHS)` × `--scale`): a strong
  per-subnet budget.

One thread throughout. The `ps` seed-0 weights are also written, as float16, to
`nas_lessons/assets/ofa_mnist1d.pt` with their SHA-256 in the record, for lesson 07 to load
with `torch.load(weights_only=True)`.
"""

import argparse
import hashlib
import json
import time
from pathlib import Path

import torch

from nas_lessons.data import load_dataset
from nas_lessons.ofa import (
    FULL_SCALE,
    RUNS_ASSET,
    WEIGHTS_ASSET,
    ElasticSpace,
    OFANetwork,
    SubnetConfig,
    evaluate_subnet,
    progressive_shrinking,
    shrinking_phases,
)
from nas_lessons.training import train
from nas_lessons.utils import seed_everything

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "nas_lessons" / "assets" / RUNS_ASSET
ASSET_WEIGHTS = ROOT / "nas_lessons" / "assets" / WEIGHTS_ASSET
#: epochs per phase: largest, kernel, depth-1, depth-2, width-1, width-2
PHASE_EPOCHS = (30, 10, 5, 10, 5, 10)
FINETUNE = 2
VARIANTS = ("ps", "no-transform", "no-sort", "no-kd", "no-phases")
SEEDS = 3


def subnets(space: ElasticSpace) -> dict[str, SubnetConfig]:
    """Five uniform subnets from the smallest to the largest (depth, kernel, expand)."""
    def uniform(d: int, k: int, e: int) -> SubnetConfig:
        return SubnetConfig((d,) * space.n_stages, (k,) * space.slots, (e,) * space.slots)

    return {f"d{d}k{k}e{e}": uniform(d, k, e)
            for d, k, e in [(2, 3, 3), (2, 5, 4), (3, 5, 4), (3, 7, 6), (4, 7, 6)]}


def _epochs(scale: float) -> list[int]:
    return [max(1, round(n * scale)) for n in PHASE_EPOCHS]


def _network(variant: str, seed: int, data) -> OFANetwork:
    seed_everything(seed, threads=1)
    return OFANetwork(data.input_shape, data.num_classes,
                      kernel_transform=variant != "no-transform", **FULL_SCALE)


def _phases(variant: str, space: ElasticSpace, epochs: list[int]):
    phases = shrinking_phases(space)
    if variant != "no-phases":
        return phases, epochs
    # the largest network first, then everything elastic for the same remaining epochs
    return [phases[0], ("all", {})], [epochs[0], sum(epochs[1:])]


def supernet_row(variant: str, seed: int, *, scale: float, work: Path) -> dict:
    data = load_dataset("mnist1d", seed=0)
    net = _network(variant, seed, data)
    phases, epochs = _phases(variant, net.space, _epochs(scale))
    path = work / f"{variant}_s{seed}_x{scale:g}.pt"
    if path.exists():
        net.load_state_dict(torch.load(path, weights_only=True))
        history = None
    else:
        history = progressive_shrinking(net, data, epochs=epochs, phases=phases, seed=seed,
                                        kd=0.0 if variant == "no-kd" else 1.0,
                                        sort_channels=variant != "no-sort")
        torch.save(net.state_dict(), path)
    rows = {}
    for name, config in subnets(net.space).items():
        val = evaluate_subnet(net, config, data, seed=seed)
        test = evaluate_subnet(net, config, data, split="test", seed=seed)
        raw = evaluate_subnet(net, config, data, recalibrate=False, seed=seed)
        sub = net.extract(config)
        seed_everything(seed, threads=1)
        tuned = train(sub, data, epochs=FINETUNE, lr=0.01, optimizer="sgd", batch_size=128,
                      weight_decay=5e-5, seed=seed)
        rows[name] = {"val": val, "test": test, "val_without_recalibration": raw,
                      "finetuned_val": tuned.val_acc[-1], "finetuned_test": tuned.test_acc,
                      "params": sum(p.numel() for p in sub.parameters())}
    row = {"part": "supernet", "variant": variant, "seed": seed, "scale": scale,
           "epochs": epochs, "phases": [p for p, _ in phases], "history": history,
           "subnets": rows}
    if variant == "ps" and seed == 0 and scale == 1.0:
        half = {k: v.half() if v.is_floating_point() else v for k, v in net.state_dict().items()}
        torch.save(half, ASSET_WEIGHTS)
        row["weights_sha256"] = hashlib.sha256(ASSET_WEIGHTS.read_bytes()).hexdigest()
    return row


def scratch_row(variant: str, seed: int, *, scale: float, work: Path) -> dict:
    data = load_dataset("mnist1d", seed=0)
    budget = sum(_epochs(scale))
    rows = {}
    for name, config in subnets(ElasticSpace()).items():
        model = _network("ps", seed, data).extract(config)  # a fresh random initialisation
        seed_everything(seed, threads=1)
        h = train(model, data, epochs=budget, lr=0.05, optimizer="sgd", batch_size=128,
                  weight_decay=5e-5, seed=seed)
        rows[name] = {"val": h.val_acc[-1], "test": h.test_acc, "seconds": h.seconds[-1]}
    return {"part": "scratch", "variant": variant, "seed": seed, "scale": scale,
            "epochs": budget, "subnets": rows}


ROWS = {"supernet": supernet_row, "scratch": scratch_row}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", nargs="+", choices=list(ROWS), default=list(ROWS))
    ap.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    ap.add_argument("--seeds", type=int, default=SEEDS)
    ap.add_argument("--seed-list", type=int, nargs="+",
                    help="run only these seeds (to split a run over processes)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every epoch count (a quick check: 0.1)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--work", type=Path, default=ROOT / "bench_build" / "ofa")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    done = set()
    if args.out.exists():
        done = {(r["part"], r["variant"], r["seed"], r["scale"])
                for r in map(json.loads, args.out.read_text().splitlines())}
    for part in args.part:
        for variant in (args.variants if part == "supernet" else ["scratch"]):
            for seed in args.seed_list or range(args.seeds):
                if (part, variant, seed, args.scale) in done:
                    continue
                t0 = time.perf_counter()
                row = ROWS[part](variant, seed, scale=args.scale, work=args.work)
                with args.out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
                print(f"{part} {variant} seed {seed}: {time.perf_counter() - t0:.0f} s",
                      flush=True)


if __name__ == "__main__":
    main()
