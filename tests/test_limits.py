"""Every size a user controls is capped server-side by the caps in vae/limits.py, in the running app:
its widgets carry them, the API refuses one past each cap with a sentence and serves the cap itself,
and oversized files or decompression bombs are refused before they cost memory.
"""
import io
import json

import httpx
import pytest
from app_server import call, latent_slider_count
from PIL import Image

from vae.limits import (
    LATENT_SLIDER_RANGE, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS, MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES,
    MAX_LATENT_ABS, MAX_SEED, MAX_TEMPERATURE, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS,
)
from vae.studio import FROM_PRIOR

MODEL = "vae-z10"
PRIOR = FROM_PRIOR
RANDOM_ENDS = "two random digits"


@pytest.fixture(scope="module")
def config(http) -> dict:
    return http.get("config").json()


def widgets(config: dict, label: str) -> list[dict]:
    return [c["props"] for c in config["components"] if c.get("props", {}).get("label") == label]


@pytest.mark.parametrize("label, low, high", [
    ("rows", 1, MAX_GRID_ROWS), ("columns", 1, MAX_GRID_COLUMNS), ("frames", 2, MAX_INTERPOLATION_FRAMES),
    ("how many", 1, MAX_GENERATED_DIGITS), ("seed", 0, MAX_SEED), ("z1", -LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE),
])
def test_the_widgets_carry_the_caps(config, label, low, high):
    found = widgets(config, label)
    assert found and all((props["minimum"], props["maximum"]) == (low, high) for props in found)


def test_temperatures_and_uploads_are_capped(config):
    temperatures = widgets(config, "temperature (prior std scale)")
    assert len(temperatures) == 2 and all(props["maximum"] == MAX_TEMPERATURE > props["minimum"] > 0
                                          for props in temperatures)
    assert config["max_file_size"] == MAX_UPLOAD_BYTES


def latents(value: float) -> list:
    return [value] * latent_slider_count() + [MODEL]


CAPPED_CALLS = {
    # what: (api_name, data at the cap, data one step past it)
    "grid rows": ("sample_grid", [MAX_GRID_ROWS, 1, 0, 1.0, False, PRIOR, MODEL], [MAX_GRID_ROWS + 1, 1, 0, 1.0, False, PRIOR, MODEL]),
    "grid columns": ("sample_grid", [1, MAX_GRID_COLUMNS, 0, 1.0, False, PRIOR, MODEL],
                     [1, MAX_GRID_COLUMNS + 1, 0, 1.0, False, PRIOR, MODEL]),
    "grid seed": ("sample_grid", [1, 1, MAX_SEED, 1.0, False, PRIOR, MODEL], [1, 1, MAX_SEED + 1, 1.0, False, PRIOR, MODEL]),
    "negative seed": ("sample_grid", [1, 1, 0, 1.0, False, PRIOR, MODEL], [1, 1, -1, 1.0, False, PRIOR, MODEL]),
    "temperature": ("sample_grid", [1, 1, 0, MAX_TEMPERATURE, False, PRIOR, MODEL], [1, 1, 0, MAX_TEMPERATURE + 0.05, False, PRIOR, MODEL]),
    "zero temperature": ("generate_digit", [3, 1, 0, 0.1, MODEL], [3, 1, 0, 0.0, MODEL]),
    "generated digits": ("generate_digit", [3, MAX_GENERATED_DIGITS, 0, 1.0, MODEL],
                         [3, MAX_GENERATED_DIGITS + 1, 0, 1.0, MODEL]),
    "generate seed": ("generate_digit", [3, 1, MAX_SEED, 1.0, MODEL], [3, 1, MAX_SEED + 1, 1.0, MODEL]),
    "frames": ("interpolate", [None, None, RANDOM_ENDS, MAX_INTERPOLATION_FRAMES, 0, MODEL],
               [None, None, RANDOM_ENDS, MAX_INTERPOLATION_FRAMES + 1, 0, MODEL]),
    "interpolation seed": ("interpolate", [None, None, RANDOM_ENDS, 2, MAX_SEED, MODEL],
                           [None, None, RANDOM_ENDS, 2, MAX_SEED + 1, MODEL]),
    "latent values": ("decode", latents(MAX_LATENT_ABS), latents(MAX_LATENT_ABS + 0.5)),
}


@pytest.mark.parametrize("what", list(CAPPED_CALLS))
def test_the_cap_is_served_and_one_past_it_refused_with_a_sentence(http, what):
    api_name, at_cap, past_cap = CAPPED_CALLS[what]
    event, data = call(http, api_name, json.dumps({"data": at_cap}))
    assert event == "complete", data
    event, data = call(http, api_name, json.dumps({"data": past_cap}))
    assert event == "error" and data["error"] and "\n" not in data["error"]


def upload(http: httpx.Client, name: str, content: bytes) -> httpx.Response:
    return http.post("gradio_api/upload", files={"files": (name, content, "image/png")})


def png(width: int, height: int) -> bytes:
    """A blank greyscale PNG: tiny on disk, width × height pixels once decoded."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_files_beyond_the_byte_cap_are_refused_as_they_arrive(http):
    assert upload(http, "big.png", b"\0" * (MAX_UPLOAD_BYTES + 1)).status_code == 413
    assert upload(http, "small.png", png(28, 28)).status_code == 200


def file_data(http: httpx.Client, content: bytes) -> dict:
    response = upload(http, "upload.png", content)
    response.raise_for_status()
    return {"path": response.json()[0], "meta": {"_type": "gradio.FileData"}}


def test_uploads_beyond_the_pixel_cap_are_refused_with_a_sentence(http):
    over = file_data(http, png(MAX_UPLOAD_PIXELS // 5000 + 1, 5000))
    event, data = call(http, "reconstruct_upload", json.dumps({"data": [over, MODEL, False]}))
    assert event == "error" and "pixels" in data["error"] and f"{MAX_UPLOAD_PIXELS:,}" in data["error"]


def test_canvases_beyond_the_pixel_cap_are_refused_and_the_server_keeps_answering(http):
    for width, height in ((MAX_UPLOAD_PIXELS // 5000 + 1, 5000), (10_000, 10_000)):  # one row past the cap; 100 MP
        canvas = file_data(http, png(width, height))  # a file of a few kB, refused as it is opened, before decoding
        event, data = call(http, "reconstruct", json.dumps({"data": [{"background": None, "layers": [],
                                                                      "composite": canvas}, MODEL, False]}))
        assert event == "error" and "has too many pixels" in data["error"] and f"{MAX_UPLOAD_PIXELS:,}" in data["error"]
    event, _ = call(http, "decode", json.dumps({"data": latents(0.0)}))
    assert event == "complete"
