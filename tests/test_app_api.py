"""Every endpoint of `python app.py` through gradio_client (and raw HTTP where the client cannot send the input):
real answers for good input, the one-sentence message for bad input, and a server that keeps answering.

The app is started with VAE_MODEL_ID naming a Hub repo it cannot reach, so it must say so and serve the
bundled models.
"""
import base64
import json
import math
import shutil
from pathlib import Path

import httpx
import numpy as np
import pytest
import safetensors.torch
import torch
from app_server import ROOT, call, latent_slider_count, running_app
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image, ImageDraw

from vae.drawing import BLANK, DOT, FULL, NO_DRAWING
from vae.limits import MAX_GRID_ROWS, MAX_LATENT_ABS
from vae.model import VAE
from vae.studio import FROM_LEARNED, FROM_PRIOR

UNREACHABLE_REPO = "nobody-here/missing-vae"
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
"""A digit 7 as one polyline, in fractions of the picture's side."""
ONE = [(0.5, 0.15), (0.5, 0.85)]
STROKE = 0.08
"""Stroke width as a fraction of the picture's side (a thick pen)."""
TRANSPARENT, BLACK, WHITE = (0, 0, 0, 0), (0, 0, 0, 255), (255, 255, 255, 255)


@pytest.fixture(scope="module")
def app_url():
    """The URL of `python app.py`, started with an unreachable VAE_MODEL_ID."""
    with running_app({"VAE_MODEL_ID": UNREACHABLE_REPO}) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def picture(stroke: list[tuple[float, float]], size: int = 280, paper=TRANSPARENT, ink=BLACK) -> Image.Image:
    """An RGBA picture of one polyline on plain paper."""
    image = Image.new("RGBA", (size, size), paper)
    ImageDraw.Draw(image).line([(x * size, y * size) for x, y in stroke], fill=ink, width=round(STROKE * size))
    return image


def save(image: Image.Image, path) -> str:
    image.save(path)
    return str(path)


def sketch(path) -> dict:
    """The Sketchpad value gradio_client sends: the drawing as the composite."""
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def pixels(path) -> np.ndarray:
    """A returned picture as a float array in [0, 1], (H, W)."""
    return np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255


def assert_refused(client: Client, sentence: str, *args, api_name: str, **kwargs) -> None:
    """The call fails with a message containing sentence, and the server answers the next request."""
    with pytest.raises(AppError) as refusal:
        client.predict(*args, api_name=api_name, **kwargs)
    assert sentence in str(refusal.value)
    assert pixels(client.predict(api_name="/decode")).shape == (224, 224)


@pytest.fixture(scope="module")
def seven(tmp_path_factory) -> str:
    return save(picture(SEVEN), tmp_path_factory.mktemp("drawings") / "seven.png")


def test_unreachable_hub_model_is_reported_and_bundled_models_served(app_url):
    config = httpx.get(f"{app_url}config", timeout=30).json()
    props = [component.get("props", {}) for component in config["components"]]
    (dropdown,) = [p for p in props if p.get("label") == "model"]
    assert [value for _, value in dropdown["choices"]] == ["vae-z32", "vae-z10", "vae-z2"]
    (banner,) = [p for p in props if UNREACHABLE_REPO in str(p.get("value"))]
    assert banner["visible"] and "bundled" in banner["value"]


def test_every_main_endpoint_is_named(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/reconstruct", "/decode", "/sample_grid", "/interpolate", "/generate_digit", "/latent_map"} <= set(endpoints)
    decode_parameters = [p["parameter_name"] for p in endpoints["/decode"]["parameters"]]
    assert decode_parameters == [f"z{i}" for i in range(1, latent_slider_count() + 1)] + ["model"]


def test_reconstruct_returns_model_input_reconstruction_samples_chart_and_scores(client, seven):
    model_input, reconstruction, samples, chart, scores = client.predict(sketch(seven), api_name="/reconstruct")
    seen, rebuilt = pixels(model_input), pixels(reconstruction)
    assert seen.shape == rebuilt.shape == (224, 224)
    assert np.corrcoef(seen.ravel(), rebuilt.ravel())[0, 1] > 0.5  # the reconstruction looks like the input
    assert pixels(samples).shape[1] > 4 * pixels(samples).shape[0]  # a strip of posterior samples
    assert chart.startswith("<svg") and chart.count('class="bar"') == 32  # one bar per latent dimension
    for score in ("In latent space your drawing sits among the", "Negative ELBO", "KL", "Reconstruction", "IWAE-100"):
        assert score in scores


def test_reconstruct_with_the_two_dimensional_model(client, seven):
    *_, scores = client.predict(sketch(seven), "vae-z2", api_name="/reconstruct")
    assert "Negative ELBO" in scores


def test_a_refined_reconstruction_is_asked_for_by_name(client, seven):
    _, plain, *_ = client.predict(sketch(seven), api_name="/reconstruct")
    _, refined, *_, scores = client.predict(sketch(seven), refine=True, api_name="/reconstruct")
    assert "Refined: q(z | x) took" in scores and not np.array_equal(pixels(plain), pixels(refined))


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "RGB", "P", "1"])
def test_uploads_in_any_mode_give_the_same_model_input(client, tmp_path, mode):
    reference = pixels(client.predict(handle_file(save(picture(ONE, paper=WHITE), tmp_path / "ref.png")),
                                      api_name="/reconstruct_upload")[0])
    upload = save(picture(ONE, paper=WHITE).convert(mode), tmp_path / f"one-{mode}.png")
    model_input = pixels(client.predict(handle_file(upload), api_name="/reconstruct_upload")[0])
    assert np.abs(model_input - reference).mean() < 0.02


def test_inverted_and_huge_uploads_are_understood(client, tmp_path):
    reference = pixels(client.predict(handle_file(save(picture(ONE, paper=WHITE), tmp_path / "ref.png")),
                                      api_name="/reconstruct_upload")[0])
    inverted = save(picture(ONE, paper=BLACK, ink=WHITE).convert("L"), tmp_path / "inverted.png")
    huge = save(picture(ONE, size=4000, paper=WHITE).convert("L"), tmp_path / "huge.png")
    for upload in (inverted, huge):
        model_input = pixels(client.predict(handle_file(upload), api_name="/reconstruct_upload")[0])
        assert np.abs(model_input - reference).mean() < 0.05


def test_bad_drawings_are_refused_with_their_sentence(client, tmp_path):
    blank = save(Image.new("RGBA", (280, 280), TRANSPARENT), tmp_path / "blank.png")
    dot = save(picture([(0.5, 0.5), (0.51, 0.5)]), tmp_path / "dot.png")
    full = save(Image.new("RGBA", (280, 280), BLACK), tmp_path / "full.png")
    for drawing, sentence in ((blank, BLANK), (dot, DOT), (full, FULL)):
        assert_refused(client, sentence, sketch(drawing), api_name="/reconstruct")
    assert_refused(client, NO_DRAWING, {"background": None, "layers": [], "composite": None}, api_name="/reconstruct")


def test_non_image_upload_is_refused(client, tmp_path):
    notes = tmp_path / "notes.png"
    notes.write_text("these are not pixels")
    assert_refused(client, "is not an image that can be read", handle_file(str(notes)), api_name="/reconstruct_upload")


def test_decode_depends_on_the_latent_only(client):
    origin = pixels(client.predict(api_name="/decode"))
    moved = pixels(client.predict(z1=2.0, z2=-1.5, api_name="/decode"))
    again = pixels(client.predict(z1=2.0, z2=-1.5, api_name="/decode"))
    np.testing.assert_array_equal(moved, again)
    assert np.abs(moved - origin).mean() > 0.01
    assert pixels(client.predict(z1=1.0, model="vae-z2", api_name="/decode")).shape == (224, 224)


def test_decode_ignores_sliders_beyond_the_models_dimensions(client):
    plain = pixels(client.predict(z1=1.0, model="vae-z2", api_name="/decode"))
    extra = pixels(client.predict(z1=1.0, z5=2.5, model="vae-z2", api_name="/decode"))
    np.testing.assert_array_equal(plain, extra)


def test_the_page_downloads_each_served_models_decoder_and_nothing_else(app_url):
    for name in ("vae-z32", "vae-z10", "vae-z2"):
        answer = httpx.get(f"{app_url}gradio_api/decoder/{name}", timeout=60)
        assert answer.status_code == 200, name
        served, decoder = safetensors.torch.load(answer.content), VAE.from_pretrained(ROOT / "weights" / name).decoder
        assert all(torch.equal(served[key], array) for key, array in decoder.state_dict().items())
    for path in ("no-such-model", UNREACHABLE_REPO, "vae-z2/model.safetensors", "%2E%2E/app.py"):
        assert httpx.get(f"{app_url}gradio_api/decoder/{path}", timeout=60).status_code == 404, path


def test_out_of_range_and_nan_latents_are_refused(client, app_url):
    assert_refused(client, f"latent value 1 is 50; values must lie between -{MAX_LATENT_ABS:g} and {MAX_LATENT_ABS:g}",
                   z1=50.0, api_name="/decode")
    assert_refused(client, "latent values must be a list of 32 numbers", z2="two", api_name="/decode")
    for bad, sentence in ((math.nan, "latent value 3 is NaN"), (math.inf, "latent value 3 is inf")):
        values = [0.0] * latent_slider_count()
        values[2] = bad
        with httpx.Client(base_url=app_url, timeout=60) as http:
            event, data = call(http, "decode", json.dumps({"data": [*values, "vae-z32"]}))
        assert event == "error" and sentence in data["error"]
    assert pixels(client.predict(api_name="/decode")).shape == (224, 224)


@pytest.mark.parametrize("api_name, inputs, sentence", [
    ("sample_grid", ["abc", 20, 0, 1.0, False, FROM_PRIOR, "vae-z10"], "rows must be a whole number, got 'abc'"),
    ("sample_grid", [10, 20, 0, 1.0, False, FROM_PRIOR], "didn't receive enough input values (needed: 7, got: 6)"),
    ("reconstruct", ["just a string", "vae-z10", False], "Expected the drawing as a PNG data URL"),
    ("reconstruct", ["data:image/png;base64,???", "vae-z10", False], "The drawing's data URL is not valid base64"),
    ("reconstruct", ["data:image/png;base64,", "vae-z10", "yes"], "refine must be true or false, got 'yes'"),
    ("reconstruct_upload", [{"path": "x.png"}, "vae-z10", False], "Only files uploaded to this app can be read"),
], ids=["word for a number", "too few inputs", "string for a drawing", "bad data URL", "refine not a bool",
        "file record without meta"])
def test_malformed_api_calls_are_answered_with_what_is_wrong(app_url, api_name, inputs, sentence):
    with httpx.Client(base_url=app_url, timeout=60) as http:
        event, data = call(http, api_name, json.dumps({"data": inputs}))
    assert event == "error" and sentence in data["error"]


def test_unknown_model_is_refused(client):
    assert_refused(client, "There is no model called 'no-such-model': choose one of vae-z32, vae-z10, vae-z2.",
                   model="no-such-model", api_name="/decode")
    assert_refused(client, "There is no model called 'no-such-model'", model="no-such-model", api_name="/sample_grid")


def test_sample_grid_is_fixed_by_its_seed(client):
    first = pixels(client.predict(rows=3, columns=4, seed=7, api_name="/sample_grid"))
    again = pixels(client.predict(rows=3, columns=4, seed=7, api_name="/sample_grid"))
    other = pixels(client.predict(rows=3, columns=4, seed=8, api_name="/sample_grid"))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == (2 * (3 * 30 + 2), 2 * (4 * 30 + 2))  # 28 px digits, 2 px lines, shown at 2×


def test_the_grid_samples_the_prior_or_the_learned_distribution(client):
    prior = client.predict(rows=2, columns=3, seed=4, api_name="/sample_grid")
    learned = client.predict(rows=2, columns=3, seed=4, sample_from=FROM_LEARNED, api_name="/sample_grid")
    assert Path(prior).name == "vae-z32-grid-seed4.png" and Path(learned).name == "vae-z32-grid-seed4-learned.png"
    assert pixels(prior).shape == pixels(learned).shape and not np.array_equal(pixels(prior), pixels(learned))
    np.testing.assert_array_equal(pixels(learned), pixels(client.predict(rows=2, columns=3, seed=4,
                                                                         sample_from=FROM_LEARNED,
                                                                         api_name="/sample_grid")))
    assert_refused(client, "sample_from must be one of", sample_from="thin air", api_name="/sample_grid")


def test_binary_samples_are_black_and_white(client):
    grid = pixels(client.predict(rows=2, columns=2, binary=True, api_name="/sample_grid"))
    assert set(np.unique(grid)) <= {0.0, 1.0}


def test_huge_grid_and_zero_temperature_are_refused(client):
    assert_refused(client, f"rows must be between 1 and {MAX_GRID_ROWS}", rows=10_000, api_name="/sample_grid")
    assert_refused(client, "temperature must be a number greater than 0", temperature=0.0, api_name="/sample_grid")


def test_interpolation_between_two_drawings_starts_and_ends_near_them(client, seven, tmp_path):
    one = save(picture(ONE), tmp_path / "one.png")
    strip = pixels(client.predict(sketch(seven), sketch(one), "my two drawings", frames=5, api_name="/interpolate"))
    assert strip.shape == (4 * (30 + 2), 4 * (5 * 30 + 2))
    cell = 4 * 30
    first, last = strip[8:8 + 112, 8:8 + 112], strip[8:8 + 112, 8 + 4 * cell:8 + 4 * cell + 112]
    seven_decoded = pixels(client.predict(sketch(seven), api_name="/reconstruct")[1])[::2, ::2]
    assert np.abs(first - seven_decoded).mean() < np.abs(last - seven_decoded).mean()


def test_interpolation_between_random_digits_needs_no_drawing(client):
    strip = pixels(client.predict(None, None, "two random digits", 3, 5, api_name="/interpolate"))
    assert strip.shape == (4 * (30 + 2), 4 * (3 * 30 + 2))
    assert_refused(client, "The start digit's pad is empty", None, None, "my two drawings", api_name="/interpolate")


def data_url(path) -> str:
    """The drawing pad's form of a drawing: its canvas as a PNG data URL."""
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()


def test_the_pads_data_url_is_accepted_like_the_sketchpad_form(client, seven, tmp_path):
    as_sketch, as_data_url = (pixels(client.predict(value, api_name="/reconstruct")[1])
                              for value in (sketch(seven), data_url(seven)))
    np.testing.assert_array_equal(as_data_url, as_sketch)
    one = data_url(save(picture(ONE), tmp_path / "one.png"))
    assert pixels(client.predict(data_url(seven), one, "my two drawings", frames=3,
                                 api_name="/interpolate")).shape == (128, 4 * (3 * 30 + 2))


def test_a_drawing_sent_as_a_layer_is_reconstructed_like_the_composite(client, seven):
    as_layer = {"background": None, "layers": [handle_file(str(seven))], "composite": None}
    from_layer, from_composite = (client.predict(value, api_name="/reconstruct")[1] for value in (as_layer, sketch(seven)))
    np.testing.assert_array_equal(pixels(from_layer), pixels(from_composite))


def test_generate_digit(client):
    grid = pixels(client.predict(3, 16, 0, api_name="/generate_digit"))
    assert grid.shape == (4 * (2 * 30 + 2), 4 * (8 * 30 + 2))
    assert grid.mean() > 0.05
    assert_refused(client, "digit must be between 0 and 9", 12, api_name="/generate_digit")


def test_latent_map_uses_the_two_dimensional_model(client):
    picture, decoded = client.predict(1.0, -1.0, "vae-z10", api_name="/latent_map")
    moved, _ = client.predict(-1.0, 1.0, "vae-z10", api_name="/latent_map")
    assert pixels(picture).shape == pixels(moved).shape and pixels(picture).shape[1] > 224
    assert (pixels(picture) != pixels(moved)).any()  # the star moved
    np.testing.assert_array_equal(pixels(decoded), pixels(client.predict(z1=1.0, z2=-1.0, model="vae-z2",
                                                                          api_name="/decode")))
    manifold = pixels(client.predict(api_name="/latent_manifold"))
    assert manifold.shape[0] == manifold.shape[1] > 224


def test_readme_api_example_runs(app_url, seven, tmp_path, monkeypatch):
    section = (ROOT / "README.md").read_text().split("## API (gradio_client)")[1].split("\n## ")[0]
    example = section.split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    shutil.copy(seven, "seven.png")
    namespace = {}
    exec(example.replace("http://127.0.0.1:7860/", app_url), namespace)
    assert "Negative ELBO" in namespace["scores"] and namespace["manifold"].endswith(".png")
