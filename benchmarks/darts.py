"""Seconds per DARTS search epoch on this machine, NAS-Bench-201 space and DARTS space.

    python benchmarks/darts.py [--epochs 1]

MNIST-1D (3,200 training signals split 50/50 into weight and architecture halves), batch 64,
one thread, first and second order.
"""

import argparse
import time

import torch

from nas_lessons.darts import DARTSSearchNetwork, NB201SearchNetwork, darts_search
from nas_lessons.data import load_dataset
from nas_lessons.utils import seed_everything


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    data = load_dataset("mnist1d")
    for space, make in [("NB201 (C=8, N=1)", lambda: NB201SearchNetwork(C=8, N=1, num_classes=10,
                                                                       in_channels=1, rank=1)),
                        ("DARTS (C=8, 5 cells)",
                         lambda: DARTSSearchNetwork(C=8, layers=5, num_classes=10,
                                                    in_channels=1, rank=1))]:
        for order in (1, 2):
            seed_everything(0)
            net = make()
            t = time.perf_counter()
            h = darts_search(net, data, epochs=args.epochs, order=order)
            dt = (time.perf_counter() - t) / args.epochs
            print(f"{space:22s} order {order}: {dt:6.1f} s/epoch "
                  f"(val {h['val_acc'][-1]:.1f}%, {torch.get_num_threads()} thread)")


if __name__ == "__main__":
    main()
