import random

import numpy as np
import pytest
import torch

from nas_lessons.utils import get_device, seed_everything, show_source


def test_seed_everything_reproducible():
    g = seed_everything(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g))
    g = seed_everything(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item(), torch.rand(1, generator=g))
    assert a == b
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_everything_rejects_bad_seed(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_show_source_plain_text():
    src = show_source(seed_everything)
    assert src.startswith("def seed_everything")
    with pytest.raises(TypeError, match="cannot show the source"):
        show_source(42)


def test_get_device():
    assert get_device("cpu").type == "cpu"
    with pytest.raises(ValueError, match="allowed: cpu, cuda"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU.*DEVICE='cpu'"):
            get_device("cuda")
        assert get_device("auto").type == "cpu"
