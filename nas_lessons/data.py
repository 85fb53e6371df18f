"""Datasets of the course: MNIST-1D, digits, CIFAR-10 and sklearn's tabular sets.

* **MNIST-1D** (Greydanus & Kobak, "Scaling down deep learning with MNIST-1D", ICML 2024):
  40-sample 1-D signals of the ten digits, generated procedurally in about a second
  (`mnist1d.data.make_dataset`, never the downloading `get_dataset`). The authors report
  linear ~32%, MLP ~63%, small CNN ~93% test accuracy, so architectures really differ.
* **digits**: sklearn's bundled 8x8 handwritten digits (1,797 images), for 2-D demos.
* **CIFAR-10** (Krizhevsky 2009): read from the official python pickles; downloaded through
  torchvision only when it is installed and the machine is online.
* **tabular**: iris, wine, breast_cancer, digits_flat, and `make_task_family` for
  meta-learning.

Every split is deterministic given `seed`. Batches come from `TensorLoader`, a DataLoader for
in-memory tensors whose shuffling is driven by an explicit `torch.Generator`.
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "Dataset",
    "permute_positions",
    "mnist1d_templates",
    "TabularTask",
    "TensorLoader",
    "load_dataset",
    "make_task_family",
    "DATASETS",
    "OFFLINE_DATASETS",
]

IMAGE_DATASETS = ("mnist1d", "digits", "cifar10")
TABULAR_DATASETS = ("iris", "wine", "breast_cancer", "digits_flat")
DATASETS = IMAGE_DATASETS + TABULAR_DATASETS
OFFLINE_DATASETS = tuple(d for d in DATASETS if d != "cifar10")


@dataclass
class Dataset:
    """Train/val/test tensors plus what a model builder needs to know about them."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    classes: list[str] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example: (channels, length) for signals, (C, H, W) for images."""
        return tuple(self.x_train.shape[1:])

    @property
    def rank(self) -> int:
        """Spatial rank: 1 for signals, 2 for images, 0 for feature vectors."""
        return len(self.input_shape) - 1 if len(self.input_shape) > 1 else 0

    @property
    def in_channels(self) -> int:
        return self.input_shape[0]

    def loader(
        self, split: str, batch_size: int = 256, shuffle: bool | None = None,
        generator: torch.Generator | None = None,
    ) -> TensorLoader:
        """A batch iterator over 'train', 'val' or 'test' (train is shuffled by default)."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"unknown split {split!r}; allowed: train, val, test")
        x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
        shuffle = split == "train" if shuffle is None else shuffle
        return TensorLoader(x, y, batch_size, shuffle=shuffle, generator=generator)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.y_train)}, val={len(self.y_val)}, "
            f"test={len(self.y_test)}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes})"
        )


class TensorLoader:
    """Mini-batches of in-memory tensors, shuffled by an explicit generator.

    `torch.utils.data.DataLoader` collates example by example, which costs more than the
    forward pass of the tiny networks this course trains; slicing whole tensors gives the
    same batches (same permutation for the same generator state) an order of magnitude faster.
    """

    def __init__(
        self, x: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool = False,
        generator: torch.Generator | None = None, drop_last: bool = False,
    ) -> None:
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.x, self.y, self.batch_size = x, y, batch_size
        self.shuffle, self.generator, self.drop_last = shuffle, generator, drop_last

    def __len__(self) -> int:
        n = len(self.y)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for i in range(len(self)):
            sl = slice(i * self.batch_size, min(n, (i + 1) * self.batch_size))
            if order is None:
                yield self.x[sl], self.y[sl]
            else:
                idx = order[sl]
                yield self.x[idx], self.y[idx]


def _split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Stratified, seeded split; returns (x_a, y_a, x_b, y_b) with b holding `fraction`."""
    from sklearn.model_selection import train_test_split

    xa, xb, ya, yb = train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y)
    return xa, ya, xb, yb


def _as_dataset(name, xtr, ytr, xva, yva, xte, yte, classes) -> Dataset:
    f = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731  (copies)
    i = lambda a: torch.tensor(np.asarray(a), dtype=torch.long)  # noqa: E731
    return Dataset(name, f(xtr), i(ytr), f(xva), i(yva), f(xte), i(yte), len(classes),
                   list(classes))


@functools.lru_cache(maxsize=4)
def _mnist1d_raw(n_samples: int) -> dict:
    """MNIST-1D generated procedurally (about 3 s for 5,000 signals; cached per process)."""
    import random as _random

    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = n_samples
    args.seed = 42  # the data set itself is fixed; `seed` only picks the val split
    state = np.random.get_state(), _random.getstate()
    try:
        return make_dataset(args)  # seeds the global RNGs; restore them afterwards
    finally:
        np.random.set_state(state[0])
        _random.setstate(state[1])


def mnist1d_templates() -> dict:
    """The ten hand-drawn class templates MNIST-1D is generated from (Greydanus & Kobak, 2024):
    `x` (10 classes x 12 points), their positions `t` and labels `y`."""
    return _mnist1d_raw(5000)["templates"]


def _mnist1d(seed: int, n_samples: int, val_fraction: float) -> Dataset:
    if not isinstance(n_samples, int) or n_samples < 100:
        raise ValueError(f"n_samples must be an int >= 100, got {n_samples!r}")
    data = _mnist1d_raw(n_samples)
    xtr, ytr, xva, yva = _split(data["x"], data["y"], val_fraction, seed)
    # per-signal scale is already ~unit; add the channel axis: (N, 1, 40)
    return _as_dataset(
        "mnist1d", xtr[:, None], ytr, xva[:, None], yva, data["x_test"][:, None],
        data["y_test"], [str(d) for d in range(10)],
    )


def _digits(seed: int, val_fraction: float, flat: bool) -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.data.astype(np.float32) / 16.0
    x = (x - 0.5) / 0.5 if not flat else x
    y = d.target
    xr, yr, xte, yte = _split(x, y, 0.2, 0)  # fixed test set
    xtr, ytr, xva, yva = _split(xr, yr, val_fraction, seed)
    if not flat:
        xtr, xva, xte = (a.reshape(-1, 1, 8, 8) for a in (xtr, xva, xte))
    return _as_dataset("digits_flat" if flat else "digits", xtr, ytr, xva, yva, xte, yte,
                       [str(c) for c in d.target_names])


def _tabular(name: str, seed: int, val_fraction: float) -> Dataset:
    import sklearn.datasets as skd

    d = {"iris": skd.load_iris, "wine": skd.load_wine,
         "breast_cancer": skd.load_breast_cancer}[name]()
    x, y = d.data.astype(np.float32), d.target
    xr, yr, xte, yte = _split(x, y, 0.2, 0)
    xtr, ytr, xva, yva = _split(xr, yr, val_fraction, seed)
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-8  # standardise with training statistics only
    return _as_dataset(name, (xtr - mu) / sd, ytr, (xva - mu) / sd, yva, (xte - mu) / sd, yte,
                       [str(c) for c in d.target_names])


CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def read_cifar10(root: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read the official `cifar-10-batches-py` pickles under `root` (uint8 NCHW, labels)."""
    base = Path(root) / "cifar-10-batches-py"

    def read(name: str):
        with open(base / name, "rb") as fh:
            d = pickle.load(fh, encoding="bytes")
        return np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32), np.asarray(d[b"labels"])

    parts = [read(f"data_batch_{i}") for i in range(1, 6)]
    xte, yte = read("test_batch")
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            xte, yte)


def _cifar10(seed: int, val_fraction: float, root: str | Path, download: bool) -> Dataset:
    base = Path(root) / "cifar-10-batches-py"
    if not (base / "test_batch").exists():
        if not download:
            raise ValueError(f"CIFAR-10 not found under {root!s} and download=False; "
                             f"offline datasets: {', '.join(OFFLINE_DATASETS)}")
        try:
            import torchvision
        except ImportError:
            raise ValueError(
                "cifar10 needs torchvision to download it (pip install torchvision) and a "
                f"network connection; offline datasets: {', '.join(OFFLINE_DATASETS)}"
            ) from None
        try:
            torchvision.datasets.CIFAR10(str(root), train=True, download=True)
        except Exception as e:  # URLError, socket errors, ... all mean "no network"
            raise ValueError(
                f"cifar10 could not be downloaded ({type(e).__name__}: {e}); the machine "
                f"seems offline. Offline datasets: {', '.join(OFFLINE_DATASETS)}"
            ) from None
    x, y, xte, yte = read_cifar10(root)
    mean = np.array(CIFAR10_MEAN, np.float32)[:, None, None]
    std = np.array(CIFAR10_STD, np.float32)[:, None, None]
    norm = lambda a: (a.astype(np.float32) / 255.0 - mean) / std  # noqa: E731
    xtr, ytr, xva, yva = _split(x, y, val_fraction, seed)
    return _as_dataset("cifar10", norm(xtr), ytr, norm(xva), yva, norm(xte), yte,
                       CIFAR10_CLASSES)


def permute_positions(data: Dataset, *, seed: int) -> Dataset:
    """The same data with the positions of every signal (or pixel) shuffled by one fixed
    random permutation, the same for every example of every split: the spatial-shuffle
    control of Zhang et al. (ICLR 2017) that Greydanus & Kobak (2024) apply to MNIST-1D. A
    model without a notion of position (a linear layer, an MLP) is unaffected in principle;
    a CNN, whose local shared filters assume neighbouring positions belong together, is not."""
    if data.rank < 1:
        raise ValueError(f"{data.name} has no spatial axes to permute (input shape "
                         f"{data.input_shape}); use a signal or image dataset")
    spatial = data.input_shape[1:]
    n = int(np.prod(spatial))
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))

    def shuffled(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(*x.shape[:2], n)[..., perm].reshape(x.shape)

    return replace(data, name=f"{data.name} (positions permuted)",
                   x_train=shuffled(data.x_train), x_val=shuffled(data.x_val),
                   x_test=shuffled(data.x_test))


def load_dataset(
    name: str, *, seed: int = 0, val_fraction: float = 0.2, n_samples: int = 5000,
    root: str | Path = "data", download: bool = True,
) -> Dataset:
    """Load a dataset of the course by name, split into train/val/test tensors.

    `seed` picks the train/val split (the test set is always the same). For mnist1d,
    `n_samples` is the size before the 80/20 train/test split of MNIST-1D itself.
    `root` and `download` only matter for cifar10.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    if name == "mnist1d":
        return _mnist1d(seed, n_samples, val_fraction)
    if name in ("digits", "digits_flat"):
        return _digits(seed, val_fraction, flat=name == "digits_flat")
    if name == "cifar10":
        return _cifar10(seed, val_fraction, root, download)
    return _tabular(name, seed, val_fraction)


@dataclass
class TabularTask:
    """One classification task of a meta-learning family (numpy arrays for sklearn)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    params: dict


def make_task_family(n_tasks: int, *, seed: int = 0) -> list[TabularTask]:
    """Varied `sklearn.datasets.make_classification` tasks for algorithm selection.

    Size, dimensionality, informative share, number of classes, class separation, label noise
    and class imbalance vary from task to task, so that different algorithms win on
    different tasks — the premise of meta-learning (Brazdil et al., "Metalearning", 2022).
    """
    from sklearn.datasets import make_classification

    if not isinstance(n_tasks, int) or n_tasks < 1:
        raise ValueError(f"n_tasks must be a positive int, got {n_tasks!r}")
    rng = np.random.default_rng(seed)
    tasks = []
    for t in range(n_tasks):
        n_classes = int(rng.integers(2, 5))
        n_features = int(rng.integers(4, 41))
        n_informative = int(rng.integers(2, max(3, n_features // 2) + 1))
        n_informative = max(n_informative, int(np.ceil(np.log2(n_classes * 2))))
        n_features = max(n_features, n_informative)
        imbalance = float(rng.uniform(0.0, 0.6))
        weights = None
        if n_classes == 2 and imbalance > 0.3:
            weights = [1 - imbalance / 1.2, imbalance / 1.2]
        params = dict(
            n_samples=int(rng.integers(150, 800)), n_features=n_features,
            n_informative=n_informative,
            n_redundant=int(rng.integers(0, n_features - n_informative + 1)),
            n_classes=n_classes, n_clusters_per_class=int(rng.integers(1, 3)),
            class_sep=float(rng.uniform(0.4, 2.0)), flip_y=float(rng.uniform(0.0, 0.1)),
            weights=weights, random_state=int(rng.integers(0, 2**31 - 1)),
        )
        if params["n_informative"] + params["n_redundant"] > n_features:
            params["n_redundant"] = n_features - params["n_informative"]
        if n_classes * params["n_clusters_per_class"] > 2 ** params["n_informative"]:
            params["n_clusters_per_class"] = 1
        X, y = make_classification(**params)
        tasks.append(TabularTask(f"task{t:03d}", X.astype(np.float32), y, params))
    return tasks
