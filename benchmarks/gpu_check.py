"""The DEVICE='cuda' path, end to end, on a machine with an NVIDIA GPU.

    python benchmarks/gpu_check.py

Checks and prints: the device chosen; MNIST-1D training of the lesson-00 CNN on the GPU
(seconds per epoch, accuracy); NAS-Bench-201's full TinyNetwork (C=16, N=5) trained for one
epoch on CIFAR-shaped images read through the real CIFAR-10 loader from a small fake tree;
a DARTS network's forward/backward; batch-1 and batch-256 latency on the GPU; and, where
torchvision is installed but the machine is offline, the one-line CIFAR-10 download error.
"""

import pickle
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nas_lessons import get_device, load_dataset, seed_everything
from nas_lessons.hardware import count_params, measure_latency
from nas_lessons.models import DARTSNetwork, NB201Network, make_baseline
from nas_lessons.spaces import DARTS_V2
from nas_lessons.training import train


def fake_cifar(root: Path, n: int = 2000) -> None:
    base = root / "cifar-10-batches-py"
    base.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, n)
        # class-dependent mean colour, so that the task is learnable
        data = rng.integers(0, 128, (n, 3072)) + (labels[:, None] * 12)
        with open(base / name, "wb") as fh:
            pickle.dump({b"data": data.astype(np.uint8), b"labels": labels.tolist()}, fh)


def main() -> None:
    dev = get_device("cuda")
    print("device:", dev, torch.cuda.get_device_name(dev), "| torch", torch.__version__)
    seed_everything(0)
    mnist = load_dataset("mnist1d")
    model = make_baseline("cnn", mnist.input_shape, mnist.num_classes)
    h = train(model, mnist, epochs=10, lr=1e-2, optimizer="adam", weight_decay=0.0,
              batch_size=128, device=dev)
    per_epoch = h.seconds[-1] / h.epochs
    print(f"MNIST-1D CNN on {dev}: {per_epoch:.3f} s/epoch, val {h.val_acc[-1]:.1f}%, "
          f"test {h.test_acc:.1f}%")
    assert h.val_acc[-1] > 60, h.val_acc

    with tempfile.TemporaryDirectory() as tmp:
        fake_cifar(Path(tmp))
        cifar = load_dataset("cifar10", root=tmp, download=False)
    print(cifar)
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|" \
           "nor_conv_3x3~2|"
    net = NB201Network(arch, C=16, N=5, num_classes=10, in_channels=3, rank=2)
    t = time.perf_counter()
    h = train(net, cifar, epochs=2, lr=0.1, batch_size=256, device=dev)
    print(f"NB201 TinyNetwork ({count_params(net):,} params) 2 epochs on {len(cifar.y_train)} "
          f"CIFAR-shaped images: {time.perf_counter() - t:.2f} s, val {h.val_acc[-1]:.1f}%")
    assert h.val_acc[-1] > 15, h.val_acc
    for bs in (1, 256):
        lat = measure_latency(net, (3, 32, 32), batch_size=bs)
        print(f"  latency batch {bs}: {lat['median_ms']:.3f} ms (IQR {lat['iqr_ms']:.3f})")

    dnet = DARTSNetwork(DARTS_V2, C=16, layers=8, num_classes=10).to(dev)
    x = torch.randn(64, 3, 32, 32, device=dev)
    loss = dnet(x).logsumexp(1).mean()
    loss.backward()
    assert all(p.grad is not None for p in dnet.parameters())
    print(f"DARTS V2 (C=16, 8 cells, {count_params(dnet):,} params) forward/backward on {dev}: ok")

    try:
        import torchvision  # noqa: F401
    except ImportError:
        print("torchvision not installed: CIFAR-10 download path not exercised")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                load_dataset("cifar10", root=tmp, download=True)
                print("CIFAR-10 downloaded (the machine is online)")
            except ValueError as e:
                print("offline CIFAR-10 error:", e)
                assert "offline" in str(e) and "mnist1d" in str(e)
    print("GPU check passed")


if __name__ == "__main__":
    main()
