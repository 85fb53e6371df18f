import pickle

import numpy as np
import pytest
import torch

from nas_lessons.data import DATASETS, TensorLoader, load_dataset, make_task_family


def test_mnist1d_shapes_and_determinism(mnist1d):
    d = mnist1d
    assert d.input_shape == (1, 40) and d.rank == 1 and d.num_classes == 10
    assert len(d.y_train) + len(d.y_val) == 4000 and len(d.y_test) == 1000
    d2 = load_dataset("mnist1d")
    assert torch.equal(d.x_train, d2.x_train) and torch.equal(d.y_val, d2.y_val)
    d3 = load_dataset("mnist1d", seed=1)
    assert not torch.equal(d.y_val, d3.y_val)  # another split
    assert torch.equal(d.x_test, d3.x_test)  # same test set


def test_mnist1d_does_not_download(monkeypatch):
    import mnist1d.data

    monkeypatch.setattr(mnist1d.data, "get_dataset", lambda *a, **k: pytest.fail("download"))
    load_dataset("mnist1d", n_samples=500)


@pytest.mark.parametrize("name,shape,classes", [
    ("digits", (1, 8, 8), 10), ("digits_flat", (64,), 10), ("iris", (4,), 3),
    ("wine", (13,), 3), ("breast_cancer", (30,), 2)])
def test_offline_datasets(name, shape, classes):
    d = load_dataset(name)
    assert d.input_shape == shape and d.num_classes == classes
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.long
    assert set(d.y_test.tolist()) <= set(range(classes))


def test_unknown_dataset_lists_known():
    with pytest.raises(ValueError, match="unknown dataset 'mnist'; known: " + ", ".join(DATASETS)):
        load_dataset("mnist")


def test_cifar10_offline_error(tmp_path):
    with pytest.raises(ValueError, match="offline datasets: mnist1d"):
        load_dataset("cifar10", root=tmp_path, download=False)


def test_cifar10_offline_download_error(tmp_path, monkeypatch):
    import socket

    def no_network(*a, **k):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(ValueError, match="(torchvision|offline).*mnist1d"):
        load_dataset("cifar10", root=tmp_path, download=True)


def test_cifar10_reads_fake_tree(tmp_path):
    base = tmp_path / "cifar-10-batches-py"
    base.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = list(range(10)) * 2
        with open(base / name, "wb") as fh:
            pickle.dump({b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8),
                         b"labels": labels}, fh)
    d = load_dataset("cifar10", root=tmp_path, download=False)
    assert d.input_shape == (3, 32, 32) and d.num_classes == 10 and d.rank == 2
    assert len(d.y_train) + len(d.y_val) == 100 and len(d.y_test) == 20
    assert abs(float(d.x_train.mean())) < 1.0  # normalised


def test_loader_is_seeded(mnist1d):
    order = lambda s: torch.cat([y for _, y in mnist1d.loader(  # noqa: E731
        "train", 512, generator=torch.Generator().manual_seed(s))])
    assert torch.equal(order(0), order(0)) and not torch.equal(order(0), order(1))
    assert len(mnist1d.loader("val", 300)) == -(-len(mnist1d.y_val) // 300)
    with pytest.raises(ValueError, match="split"):
        mnist1d.loader("dev")
    with pytest.raises(ValueError, match="batch_size"):
        TensorLoader(mnist1d.x_val, mnist1d.y_val, 0)


def test_task_family_varied_and_seeded():
    a, b = make_task_family(8, seed=1), make_task_family(8, seed=1)
    assert all(np.array_equal(x.X, y.X) for x, y in zip(a, b))
    assert len({t.X.shape[1] for t in a}) > 3 and len({len(np.unique(t.y)) for t in a}) > 1
    with pytest.raises(ValueError, match="n_tasks"):
        make_task_family(0)


def test_permute_positions_is_one_fixed_permutation_for_every_split():
    import torch

    from nas_lessons.data import load_dataset, permute_positions

    data = load_dataset("digits")
    sh = permute_positions(data, seed=3)
    flat, flat_sh = data.x_train.flatten(1), sh.x_train.flatten(1)
    assert sorted(flat_sh[0].tolist()) == sorted(flat[0].tolist())  # the same values, moved
    order = torch.randperm(64, generator=torch.Generator().manual_seed(3))
    for split in ("train", "val", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(sh, f"x_{split}")
        assert torch.equal(y.flatten(1), x.flatten(1)[:, order])
    assert torch.equal(sh.y_train, data.y_train) and not torch.equal(sh.x_train, data.x_train)
    assert torch.equal(permute_positions(data, seed=3).x_val, sh.x_val)
    with pytest.raises(ValueError, match="no spatial axes"):
        permute_positions(load_dataset("digits_flat"), seed=0)
