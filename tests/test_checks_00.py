"""The checks of exercise 00 accept the correct variants and reject plausible wrong ones."""

import pytest
import torch

from nas_lessons.checks import (
    CheckFailed,
    check_conv_flops,
    check_shuffle_lab,
    check_shuffle_positions,
)


# ---- 0.2 conv FLOPs ---------------------------------------------------------------------------
def conv_flops(c_in, c_out, kernel, stride, padding, length, groups):
    out = (length + 2 * padding - kernel) // stride + 1
    return 2 * (c_in // groups) * c_out * kernel * out


def conv_macs(c_in, c_out, kernel, stride, padding, length, groups):
    return conv_flops(c_in, c_out, kernel, stride, padding, length, groups) // 2


def conv_flops_ignoring_stride(c_in, c_out, kernel, stride, padding, length, groups):
    return 2 * (c_in // groups) * c_out * kernel * (length + 2 * padding - kernel + 1)


def conv_flops_ignoring_groups(c_in, c_out, kernel, stride, padding, length, groups):
    return conv_flops(c_in, c_out, kernel, stride, padding, length, 1)


def test_conv_flops_accepts():
    check_conv_flops(conv_flops)


@pytest.mark.parametrize("fn", [conv_macs, conv_flops_ignoring_stride,
                                conv_flops_ignoring_groups])
def test_conv_flops_rejects(fn):
    with pytest.raises(CheckFailed):
        check_conv_flops(fn)


# ---- 0.3 shuffle positions --------------------------------------------------------------------
def shuffle(x, perm):
    return x.flatten(2)[..., perm].reshape(x.shape)


def shuffle_index_select(x, perm):
    return torch.index_select(x.reshape(*x.shape[:2], -1), 2, perm).view_as(x)


def shuffle_examples(x, perm):
    return x[torch.randperm(len(x))]


def shuffle_last_axis_only(x, perm):
    return x[..., perm[: x.shape[-1]] % x.shape[-1]]


def shuffle_in_place(x, perm):
    x.copy_(x.flatten(2)[..., perm].reshape(x.shape))
    return x


@pytest.mark.parametrize("fn", [shuffle, shuffle_index_select])
def test_shuffle_accepts(fn):
    check_shuffle_positions(fn)


@pytest.mark.parametrize("fn", [shuffle_examples, shuffle_last_axis_only, shuffle_in_place])
def test_shuffle_rejects(fn):
    with pytest.raises(CheckFailed):
        check_shuffle_positions(fn)


# ---- 0.4 lab ----------------------------------------------------------------------------------
def test_shuffle_lab_rejects_a_wrong_number_and_a_missing_prediction():
    with pytest.raises(CheckFailed):
        check_shuffle_lab(10.0, -50.0, epochs=1)
    with pytest.raises(NotImplementedError, match="prediction"):
        check_shuffle_lab(None, 0.0, epochs=1)
