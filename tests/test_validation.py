"""Checks of untrusted values: the clean value back, or one sentence naming what is wrong."""
import math

import numpy as np
import pytest
import torch

from vae import validation
from vae.limits import MAX_LATENT_ABS
from vae.validation import NOT_UPLOADED, InputError


def test_latent_accepts_lists_tuples_arrays_and_tensors():
    z = [MAX_LATENT_ABS, -MAX_LATENT_ABS, 0, 1, 2, 3, 4, 5, 6, 7]
    for value in (z, tuple(z), np.array(z, dtype=np.int64), torch.tensor(z, dtype=torch.float64)):
        checked = validation.latent(value, 10)
        assert checked.dtype == np.float32 and checked.shape == (10,)
        assert checked.tolist() == pytest.approx(z)


@pytest.mark.parametrize("z, message", [
    ([0.0] * 3, "expected 10 latent values, got 3"),
    ([0.0] * 11, "expected 10 latent values, got 11"),
    ([0.0, 0.0, math.nan] + [0.0] * 7, "latent value 3 is NaN"),
    ([math.inf] + [0.0] * 9, "latent value 1 is inf"),
    ([0.0] * 9 + [MAX_LATENT_ABS + 0.5], "latent value 10 is 10.5"),
    (["a"] * 10, "must be a list of 10 numbers"),
    ([None] * 10, "must be a list of 10 numbers"),
    ([[0.0], [0.0, 1.0]], "must be a list of 10 numbers"),
])
def test_latent_refuses_with_a_sentence(z, message):
    with pytest.raises(InputError, match=message):
        validation.latent(z, 10)


@pytest.mark.parametrize("value, expected", [(3, 3), (3.0, 3), (np.int64(0), 0), (np.float32(32), 32)])
def test_bounded_int_takes_whole_numbers_in_range(value, expected):
    assert validation.bounded_int(value, "rows", 0, 32) == expected


@pytest.mark.parametrize("value, message", [(2.5, "whole number"), (True, "whole number"), ("3", "whole number"),
                                            (math.nan, "whole number"), (33, "between 0 and 32"), (-1, "between")])
def test_bounded_int_refuses_with_the_fields_name(value, message):
    with pytest.raises(InputError, match=f"rows must be .*{message}"):
        validation.bounded_int(value, "rows", 0, 32)


@pytest.mark.parametrize("value", [0, -1, 3.5, math.nan, "1", True, None])
def test_positive_float_refuses_outside_zero_to_high(value):
    with pytest.raises(InputError, match="temperature must be a number greater than 0 and at most 3"):
        validation.positive_float(value, "temperature", 3.0)


def test_boolean_and_choice():
    assert validation.boolean(np.bool_(True), "binary") is True
    for value in (0, "false", None):
        with pytest.raises(InputError, match="binary must be true or false"):
            validation.boolean(value, "binary")
    assert validation.choice("b", "mode", ["a", "b"]) == "b"
    with pytest.raises(InputError, match="mode must be one of 'a', 'b', got 'c'"):
        validation.choice("c", "mode", ["a", "b"])


@pytest.mark.parametrize("image", [np.zeros((20, 20)), np.full((28, 28), np.nan), "digit"])
def test_digit_image_refuses_what_is_not_a_finite_28x28_picture(image):
    with pytest.raises(InputError):
        validation.digit_image(image)


def test_digit_image_clips_to_unit_range():
    assert validation.digit_image(np.full((28, 28), 1e300)).max() == 1.0


def test_only_paths_inside_the_upload_folder_are_read(tmp_path):
    inside = tmp_path / "uploads" / "a.png"
    assert validation.uploaded_path({"path": str(inside)}, tmp_path / "uploads") == str(inside)
    assert validation.uploaded_path(None, tmp_path) is None
    for outside in ({"path": "/etc/passwd"}, str(tmp_path / "uploads" / ".." / "x.png"), {"path": "a\0b"}, {"path": 3}):
        with pytest.raises(InputError, match=NOT_UPLOADED.split(":")[0]):
            validation.uploaded_path(outside, tmp_path / "uploads")
