import pytest
from torch import nn

from nas_lessons.training import History, evaluate, train
from nas_lessons.utils import seed_everything


def small_cnn():
    return nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(4),
                         nn.Flatten(), nn.Linear(32, 10))


def test_train_learns_and_records_history(mnist1d):
    seed_everything(0)
    h = train(small_cnn(), mnist1d, epochs=3, lr=0.1, batch_size=128)
    assert isinstance(h, History) and h.epochs == 3 and not h.interrupted
    assert h.val_acc[-1] > 30.0  # chance is 10%
    assert h.train_loss[-1] < h.train_loss[0]
    assert h.seconds == sorted(h.seconds) and h.test_acc is not None


def test_interrupt_returns_partial_history(mnist1d):
    def stop(epoch, hist):
        if epoch == 1:
            raise KeyboardInterrupt

    seed_everything(0)
    h = train(small_cnn(), mnist1d, epochs=5, on_epoch=stop)
    assert h.interrupted and h.epochs == 2 and h.test_acc is None


@pytest.mark.parametrize("kw,msg", [({"optimizer": "rmsprop"}, "allowed: sgd, adam, adamw"),
                                    ({"schedule": "step"}, "allowed: cosine, constant"),
                                    ({"lr": 0.0}, "lr must be positive"),
                                    ({"epochs": -1}, "epochs")])
def test_bad_arguments(mnist1d, kw, msg):
    with pytest.raises(ValueError, match=msg):
        train(small_cnn(), mnist1d, **kw)


def test_evaluate_accuracy_range(mnist1d):
    loss, acc = evaluate(small_cnn(), mnist1d.loader("val"))
    assert loss > 0 and 0 <= acc <= 100


CODE = """
import hashlib, torch
from nas_lessons.data import load_dataset
from nas_lessons.models import NB201Network
from nas_lessons.training import train
from nas_lessons.utils import seed_everything
d = load_dataset('mnist1d', n_samples=1000)
seed_everything(7)
m = NB201Network('|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|"""\
"""nor_conv_3x3~2|', C=4, N=1, num_classes=10, in_channels=1, rank=1, reduction='cheap')
train(m, d, epochs=2, seed=7)
h = hashlib.sha256(b''.join(p.detach().numpy().tobytes() for p in m.state_dict().values()))
print(h.hexdigest())
"""


def test_bit_identical_across_processes(run_python):
    assert run_python(CODE) == run_python(CODE)
