"""VAE Digit Studio: draw a digit, see what a VAE makes of it, and explore its latent space.

Gradio layout and wiring only: every computation lives in vae/. The wrappers here pick the model the
person chose, call vae/, and turn an InputError into a gr.Error, so bad input shows its one-sentence
message (in the UI and through the API) and never a traceback. `python app.py` serves on
GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (Gradio reads both); the same file runs as a Hugging Face Space.
"""
import functools
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image

from vae import captions, figures, inference
from vae.drawing import InputError, preprocess_sketch, preprocess_upload
from vae.limits import (
    DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS, LATENT_SLIDER_RANGE, MANIFOLD_STEPS, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS,
    MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES, MAX_LATENT_SLIDERS, MAX_SEED, MAX_TEMPERATURE, MAX_UPLOAD_BYTES,
    MAX_UPLOAD_PIXELS, POSTERIOR_SAMPLES,
)
from vae.loading import ModelBundle, load_app_models

# Gradio's queue summarises its log of up to 10000 events with pandas after every event, for its /monitoring page:
# under load that was 6% of the server's Python time, growing with the log. The page is off (see launch below), so
# the summary is never computed.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))
torch.set_num_threads(1)  # tiny MLPs: one thread per request answers fastest and lets requests run side by side
# Gradio decodes canvases before vae.drawing can check them: with these, PIL refuses any picture past the upload
# cap as it opens it, before decoding (by default a 0.5 MB PNG of 144 MP cost 1.6 GB before vae.drawing refused it).
Image.MAX_IMAGE_PIXELS = MAX_UPLOAD_PIXELS
warnings.simplefilter("error", Image.DecompressionBombWarning)  # PIL only warns between 1× and 2× the limit

MODELS, LOAD_WARNINGS = load_app_models()
DEFAULT_MODEL = next(iter(MODELS))
LATENT_NAMES = [f"z{i}" for i in range(1, MAX_LATENT_SLIDERS + 1)]

CANVAS_SIZE = 280
BRUSH_SIZE = 22
"""Brush width in canvas pixels: about 2 MNIST pixels once the drawing is fitted into 20×20."""
DIGIT_SCALE = 8
"""One 28×28 digit is shown at 224×224, each pixel a crisp block."""
STRIP_SCALE = 4
GRID_SCALE = 2
GENERATED_COLUMNS = 8
DEFAULT_FRAMES, DEFAULT_GENERATED = 10, 16
SLIDER_STEP = 0.05
CONCURRENCY_LIMIT = 1
"""Requests of one light event (slider presets, a model switch) computed at once; each has its own queue."""
HEAVY_QUEUE, HEAVY_CONCURRENCY_LIMIT = "pictures", 1
"""Reconstructions, grids, maps, interpolations and generated digits share one queue and one worker (Python runs
one request at a time anyway), so that slider decodes, in their own queue, never wait behind them
(bench/load_test.py, 50 clients, after the opening burst: decode p95 22 ms like this, 126 ms with two workers)."""
DECODE_CONCURRENCY_LIMIT = 2
"""Slider decodes (milliseconds each) computed at once, so that dragging stays live under load."""
QUEUE_SIZE = 128
"""Requests waiting at most, all events together: 50 busy visitors with a couple of events each."""
STATUS_UPDATE_S = 1.0
"""Queue positions reach waiting visitors once a second, not after every request (that is waiting² messages)."""
MANIFOLD_SHAPE = tuple(GRID_SCALE * side for side in inference.tiled_shape(MANIFOLD_STEPS, MANIFOLD_STEPS))
"""(H, W) of the manifold picture shown on the latent map tab."""
UPLOAD_FOLDER = Path(gr.utils.get_upload_folder()).resolve()
"""Where Gradio keeps the files people upload: the only files the app reads on a caller's behalf."""
ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM = "my two drawings", "two random digits"
THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate")
CSS = """
.digit img, .strip img { image-rendering: pixelated; }
#warnings { border-left: 4px solid #f59e0b; padding-left: 12px; }
"""


def user_errors(fn: Callable) -> Callable:
    """Run fn, turning an InputError into a gr.Error that shows its sentence in the UI and the API."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as error:
            raise gr.Error(str(error)) from None
    return wrapper


def model_named(name: str) -> ModelBundle:
    """The served model called name (the decode endpoint takes names unchecked, for speed)."""
    if not isinstance(name, str) or name not in MODELS:  # decode's raw JSON may be a list, unhashable
        raise gr.Error(captions.unknown_model(name, list(MODELS)))
    return MODELS[name]


def two_dimensional(model: str) -> ModelBundle:
    """The chosen model when its latent space is 2-D, else the first 2-D model served (the latent map needs one)."""
    for bundle in (model_named(model), *MODELS.values()):
        if bundle.model.z_dim == 2:
            return bundle
    raise gr.Error(captions.NO_TWO_DIMENSIONAL_MODEL)


def reference_nll(bundle: ModelBundle) -> np.ndarray | None:
    """The test digits' IWAE NLLs `(n,)` shipped with the model, to rank a drawing against."""
    return bundle.test_latents["iwae_nll"] if bundle.test_latents else None


def show_reconstruction(bundle: ModelBundle, image28: np.ndarray) -> tuple:
    """Model input, reconstruction, posterior samples, posterior chart, scores, and the input kept for later tabs."""
    result = inference.reconstruct(bundle.model, image28, reference_nll=reference_nll(bundle))
    samples = inference.tile(result.posterior_samples, POSTERIOR_SAMPLES)
    return (inference.upscale(result.model_input, DIGIT_SCALE), inference.upscale(result.reconstruction, DIGIT_SCALE),
            inference.upscale(samples, STRIP_SCALE), figures.posterior_chart(result.posterior_mean, result.posterior_std),
            captions.reconstruction_summary(result, (bundle.metrics or {}).get("test")), image28)


@user_errors
def reconstruct(sketch: dict | None, model: str = DEFAULT_MODEL) -> tuple:
    """A Sketchpad drawing {background, layers, composite} → what the model sees, reconstructs and scores."""
    return show_reconstruction(model_named(model), preprocess_sketch(sketch))


def uploaded_path(upload: dict | None) -> str | None:
    """The server path of an uploaded file's record, refused unless it lies in Gradio's upload folder.

    The upload event is wired with preprocess=False (vae.drawing checks a picture's size before decoding it), and
    Gradio checks only records tagged with its `meta`: an untagged {"path": "/any/file.png"} reaches this function.
    """
    path = upload.get("path") if isinstance(upload, dict) else upload
    if path is None:
        return None
    if not isinstance(path, str) or "\0" in path:
        raise gr.Error(captions.NOT_UPLOADED)
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(UPLOAD_FOLDER):
        raise gr.Error(captions.NOT_UPLOADED)
    return str(resolved)


@user_errors
def reconstruct_upload(upload: dict | None, model: str = DEFAULT_MODEL) -> tuple:
    """An uploaded photo or scan (any image file) → what the model sees, reconstructs and scores."""
    return show_reconstruction(model_named(model), preprocess_upload(uploaded_path(upload)))


def reconstruct_live(sketch: dict | None, model: str) -> tuple:
    """Stroke-end reconstruction: a drawing not yet usable (blank, a dot) keeps the outputs and shows a hint."""
    try:
        return reconstruct.__wrapped__(sketch, model)
    except InputError as error:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"✏️ {error}", gr.skip()


def reconstruct_again(image28: np.ndarray | None, model: str) -> tuple:
    """After a model switch, show the kept drawing through the new model (nothing to do without a drawing)."""
    if image28 is None:
        return (gr.skip(),) * 6
    return show_reconstruction(model_named(model), image28)


@user_errors
def decode(*, model: str = DEFAULT_MODEL, **latent: float) -> np.ndarray:
    """The digit `(224, 224)` decoded from z1..z_dim (values for sliders beyond the model's z_dim are ignored).

    Wired with preprocess=False (sliders answer faster): vae.inference.validate_latent checks the raw values.
    """
    bundle = model_named(model)
    z = [latent[name] for name in LATENT_NAMES[:bundle.model.z_dim]]
    return inference.upscale(inference.decode_latent(bundle.model, z), DIGIT_SCALE)


def slider_values(z: np.ndarray) -> list[float]:
    """One value per slider: z `(z_dim,)` then zeros for the hidden sliders."""
    return [float(value) for value in z] + [0.0] * (MAX_LATENT_SLIDERS - len(z))


def random_sliders(model: str) -> list[float]:
    """Sliders at a fresh prior draw."""
    return slider_values(inference.random_latent(model_named(model).model, seed=None))


def zero_sliders() -> list[float]:
    """Sliders at the prior mean z = 0."""
    return slider_values([])


@user_errors
def drawing_sliders(image28: np.ndarray | None, model: str) -> list[float]:
    """Sliders at the drawing's posterior mean (within the sliders' range)."""
    if image28 is None:
        raise gr.Error(captions.NO_DRAWING)
    bundle = model_named(model)
    return slider_values(inference.slider_latent(inference.posterior_mean(bundle.model, image28)))


def switch_model(model: str) -> list:
    """The model's card line, and exactly z_dim sliders shown, all back at zero."""
    bundle = model_named(model)
    return [captions.model_summary(bundle),
            *[gr.Slider(visible=i < bundle.model.z_dim, value=0.0) for i in range(MAX_LATENT_SLIDERS)]]


@user_errors
def sample_grid(rows: int = DEFAULT_GRID_ROWS, columns: int = DEFAULT_GRID_COLUMNS, seed: int = 0,
                temperature: float = 1.0, binary: bool = False, model: str = DEFAULT_MODEL) -> np.ndarray:
    """rows × columns prior samples (Bernoulli means, or binary samples), the same grid for the same seed."""
    grid = inference.sample_grid(model_named(model).model, rows, columns, seed, temperature, binary)
    return inference.upscale(grid, GRID_SCALE)


@user_errors
def latent_manifold(model: str = DEFAULT_MODEL) -> np.ndarray:
    """The 2-D model's decodes over the latent square (click it to move the point)."""
    return inference.upscale(inference.latent_manifold(two_dimensional(model).model), GRID_SCALE)


@functools.cache
def unmarked_map(model: str) -> figures.MapPicture:
    """The 2-D model's latent map (test digits over its manifold), rendered once: slider steps only add marks."""
    bundle = MODELS[model]
    test = bundle.test_latents or {}
    return figures.render(figures.latent_map(test.get("posterior_mean"), test.get("label"),
                                             inference.latent_manifold(bundle.model)))


@user_errors
def latent_map(z1: float = 0.0, z2: float = 0.0, model: str = DEFAULT_MODEL,
               drawing: np.ndarray | None = None) -> tuple:
    """The latent plane (test digits, manifold, the point (z1, z2), the drawing's posterior) and the point's decode."""
    bundle = two_dimensional(model)
    decoded = inference.upscale(inference.decode_latent(bundle.model, [z1, z2]), DIGIT_SCALE)  # checks z1, z2
    drawing_mean, drawing_std = inference.posterior(bundle.model, drawing) if drawing is not None else (None, None)
    picture = figures.mark_latent_map(unmarked_map(bundle.name), np.array([z1, z2]), drawing_mean, drawing_std)
    return picture, decoded


def map_click(event: gr.SelectData) -> list[float]:
    """The map sliders moved to the latent under the clicked pixel of the manifold picture.

    The picture's size is fixed, so the picture is not an input: Gradio reads an input image from any server path
    an API caller names in a file record without its `meta` tag.
    """
    x, y = event.index
    return [float(v) for v in inference.manifold_point(x, y, MANIFOLD_SHAPE)]


@user_errors
def interpolate(start: dict | None = None, end: dict | None = None, endpoints: str = ENDPOINTS_DRAWINGS,
                frames: int = DEFAULT_FRAMES, seed: int = 0, model: str = DEFAULT_MODEL) -> np.ndarray:
    """A strip of decodes along the line between two drawings' posterior means (or two random latents)."""
    vae = model_named(model).model
    if endpoints == ENDPOINTS_RANDOM:
        ends = inference.random_latents(vae, 2, seed)
    else:
        ends = [inference.posterior_mean(vae, preprocess_sketch(sketch)) for sketch in (start, end)]
    strip = inference.interpolate(vae, *ends, frames)
    return inference.upscale(inference.tile(strip, len(strip)), STRIP_SCALE)


@user_errors
def generate_digit(digit: int = 0, count: int = DEFAULT_GENERATED, seed: int = 0, temperature: float = 1.0,
                   model: str = DEFAULT_MODEL) -> np.ndarray:
    """count decodes of latents drawn from digit's latent Gaussian (class_stats.json shipped with the weights)."""
    bundle = model_named(model)
    images = inference.generate_digit(bundle.model, bundle.class_stats, digit, count, seed, temperature)
    return inference.upscale(inference.tile(images, min(len(images), GENERATED_COLUMNS)), STRIP_SCALE)


def digit_image(label: str, **kwargs) -> gr.Image:
    """An output picture of digits: PNG, crisp pixels, downloadable."""
    return gr.Image(label=label, format="png", interactive=False, buttons=["download", "fullscreen"], **kwargs)


def sketchpad(label: str, **kwargs) -> gr.Sketchpad:
    """A square canvas with a thick black brush, ready to draw on."""
    return gr.Sketchpad(
        label=label, canvas_size=(CANVAS_SIZE, CANVAS_SIZE), fixed_canvas=True, image_mode="RGBA", type="numpy",
        layers=False, brush=gr.Brush(colors=["#000000"], default_size=BRUSH_SIZE, color_mode="fixed"), transforms=(),
        **kwargs,
    )


def seed_box(**kwargs) -> gr.Number:
    """A whole-number seed: the same seed gives the same picture."""
    return gr.Number(label="seed", value=0, precision=0, minimum=0, maximum=MAX_SEED, **kwargs)


def latent_slider(label: str, **kwargs) -> gr.Slider:
    """One latent coordinate, from -LATENT_SLIDER_RANGE to +LATENT_SLIDER_RANGE."""
    return gr.Slider(-LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE, value=0.0, step=SLIDER_STEP, precision=2, label=label,
                     **kwargs)


def temperature_slider() -> gr.Slider:
    """The prior's standard-deviation scale."""
    return gr.Slider(0.1, MAX_TEMPERATURE, value=1.0, step=0.05, label="temperature (prior std scale)")


with gr.Blocks(title="VAE Digit Studio") as demo:
    gr.Markdown("# ✍️ VAE Digit Studio\nDraw a digit and watch a variational autoencoder encode, reconstruct and "
                "score it; then walk its latent space.")
    gr.Markdown(captions.load_warnings(LOAD_WARNINGS), visible=bool(LOAD_WARNINGS), elem_id="warnings")
    with gr.Row(equal_height=True):
        model_choice = gr.Dropdown(list(MODELS), value=DEFAULT_MODEL, label="model", scale=1, elem_id="model-choice")
        model_card = gr.Markdown(captions.model_summary(MODELS[DEFAULT_MODEL]), elem_id="model-card")
    drawing = gr.State(None)

    with gr.Tab("Draw & reconstruct", id="draw"):
        with gr.Row():
            with gr.Column(scale=1, min_width=320):
                with gr.Tab("Draw"):
                    gr.Markdown("Draw one digit, large and centred: it is reconstructed each time you lift the pen.")
                    sketch = sketchpad("your digit", elem_id="sketch")
                    reconstruct_button = gr.Button("Reconstruct", variant="primary")
                with gr.Tab("Upload"):
                    upload = gr.Image(label="photo or scan of a digit", sources=["upload", "clipboard"],
                                      type="filepath", image_mode=None, elem_id="upload")
            with gr.Column(scale=2):
                with gr.Row():
                    model_input = digit_image("model input (28×28)", elem_classes="digit", elem_id="model-input")
                    reconstruction = digit_image("reconstruction", elem_classes="digit", elem_id="reconstruction")
                gr.Markdown(f"**{POSTERIOR_SAMPLES} decodes of posterior samples z ~ q(z | x)**")
                posterior_samples = digit_image(f"{POSTERIOR_SAMPLES} decodes of z ~ q(z|x)", show_label=False,
                                                elem_classes="strip", elem_id="posterior-samples")
        with gr.Row():
            scores = gr.Markdown("Draw a digit to see its scores.", elem_id="scores")
            posterior_plot = gr.HTML(label="posterior mean ± std per latent dimension", elem_id="posterior-plot")

    with gr.Tab("Latent sliders", id="sliders"):
        with gr.Row():
            with gr.Column(scale=2):
                z_dim = MODELS[DEFAULT_MODEL].model.z_dim
                with gr.Row():
                    sliders = [latent_slider(name, visible=i < z_dim, min_width=200, elem_id=f"slider-{name}")
                               for i, name in enumerate(LATENT_NAMES)]
            with gr.Column(scale=1, min_width=260):
                decoded = digit_image("decoded digit", elem_classes="digit", elem_id="decoded")
                random_button = gr.Button("random z")
                zeros_button = gr.Button("all zeros")
                use_drawing_button = gr.Button("use my drawing", variant="primary")

    with gr.Tab("Sample grid", id="grid"):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                rows = gr.Slider(1, MAX_GRID_ROWS, value=DEFAULT_GRID_ROWS, step=1, precision=0, label="rows")
                columns = gr.Slider(1, MAX_GRID_COLUMNS, value=DEFAULT_GRID_COLUMNS, step=1, precision=0,
                                    label="columns")
                grid_seed = seed_box(elem_id="grid-seed")
                grid_temperature = temperature_slider()
                binary = gr.Checkbox(label="binary samples x ~ p(x|z) instead of Bernoulli means")
                grid_button = gr.Button("Sample", variant="primary")
            with gr.Column(scale=3):
                gr.Markdown("**Prior samples**: download the grid as PNG with the button at its top right.")
                grid = digit_image("sample grid", show_label=False, elem_id="grid")

    with gr.Tab("Latent map", id="map") as map_tab:
        gr.Markdown("**The 2-D model's latent plane.** Left: its decodes over the square (click one to move the ★). "
                    "Right: where real test digits land; your drawing is the ✕ with its 1-σ ellipse.")
        with gr.Row():
            manifold = gr.Image(label="decoded manifold", show_label=False, format="png", interactive=False,
                                type="numpy", buttons=["fullscreen"], elem_classes="strip", elem_id="manifold")
            with gr.Column():
                map_plot = digit_image("latent map", show_label=False, elem_id="map-plot")
                with gr.Row(equal_height=True):
                    with gr.Column(scale=2):
                        map_z1 = latent_slider("z₁", elem_id="map-z1")
                        map_z2 = latent_slider("z₂", elem_id="map-z2")
                    map_decoded = digit_image("decoded point", elem_classes="digit", elem_id="map-decoded")

    with gr.Tab("Interpolate", id="interpolate"):
        with gr.Row():
            start_sketch = sketchpad("start digit", elem_id="start-sketch")
            end_sketch = sketchpad("end digit", elem_id="end-sketch")
            with gr.Column(min_width=260):
                endpoints = gr.Radio([ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM], value=ENDPOINTS_DRAWINGS,
                                     label="interpolate between")
                frames = gr.Slider(2, MAX_INTERPOLATION_FRAMES, value=DEFAULT_FRAMES, step=1, precision=0,
                                   label="frames")
                interpolation_seed = seed_box(info="for random digits")
                interpolate_button = gr.Button("Interpolate", variant="primary")
        gr.Markdown("**Decodes along the straight line between the two posterior means in latent space**")
        strip = digit_image("interpolation", show_label=False, elem_classes="strip", elem_id="strip")

    with gr.Tab("Generate a digit", id="generate"):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                digit = gr.Radio(list(range(10)), value=0, label="digit")
                count = gr.Slider(1, MAX_GENERATED_DIGITS, value=DEFAULT_GENERATED, step=1, precision=0,
                                  label="how many")
                generate_seed = seed_box()
                generate_temperature = temperature_slider()
                generate_button = gr.Button("Generate", variant="primary")
            with gr.Column(scale=2):
                gr.Markdown("**Decodes of latents drawn from the digit's Gaussian fit** (class_stats.json, shipped "
                            "with the weights)")
                generated = digit_image("generated digits", show_label=False, elem_classes="strip", elem_id="generated")

    reconstruction_outputs = [model_input, reconstruction, posterior_samples, posterior_plot, scores, drawing]
    latents = {**dict(zip(LATENT_NAMES, sliders)), "model": model_choice}
    decode_wiring = {"fn": decode, "inputs_kwargs": latents, "outputs": decoded, "preprocess": False,
                     "show_progress": "hidden", "concurrency_limit": DECODE_CONCURRENCY_LIMIT}
    decode_event = {**decode_wiring, "api_visibility": "private"}
    map_inputs = [map_z1, map_z2, model_choice, drawing]
    heavy = {"concurrency_id": HEAVY_QUEUE, "concurrency_limit": HEAVY_CONCURRENCY_LIMIT}

    reconstruct_button.click(reconstruct, [sketch, model_choice], reconstruction_outputs, api_name="reconstruct",
                             **heavy)
    sketch.change(reconstruct_live, [sketch, model_choice], reconstruction_outputs, trigger_mode="always_last",
                 show_progress="hidden", api_visibility="private", **heavy)
    upload.upload(reconstruct_upload, [upload, model_choice], reconstruction_outputs, preprocess=False,
                  api_name="reconstruct_upload", **heavy)

    gr.on([slider.input for slider in sliders], **decode_wiring, trigger_mode="always_last", api_name="decode")
    random_button.click(random_sliders, model_choice, sliders, api_visibility="private").then(**decode_event)
    zeros_button.click(zero_sliders, None, sliders, api_visibility="private").then(**decode_event)
    use_drawing_button.click(drawing_sliders, [drawing, model_choice], sliders,
                             api_visibility="private").then(**decode_event)

    grid_inputs = [rows, columns, grid_seed, grid_temperature, binary, model_choice]
    grid_button.click(sample_grid, grid_inputs, grid, api_name="sample_grid", **heavy)

    gr.on([map_z1.input, map_z2.input], latent_map, map_inputs, [map_plot, map_decoded], trigger_mode="always_last",
          show_progress="hidden", api_name="latent_map", **heavy)
    manifold.select(map_click, None, [map_z1, map_z2], api_visibility="private").then(
        latent_map, map_inputs, [map_plot, map_decoded], show_progress="hidden", api_visibility="private", **heavy)

    interpolate_button.click(interpolate, [start_sketch, end_sketch, endpoints, frames, interpolation_seed,
                                           model_choice], strip, api_name="interpolate", **heavy)
    generate_button.click(generate_digit, [digit, count, generate_seed, generate_temperature, model_choice],
                          generated, api_name="generate_digit", **heavy)

    model_change = model_choice.change(switch_model, model_choice, [model_card, *sliders], api_visibility="private")
    for after_switch in (decode_event,
                         {"fn": reconstruct_again, "inputs": [drawing, model_choice],
                          "outputs": reconstruction_outputs, "api_visibility": "private", **heavy},
                         {"fn": sample_grid, "inputs": grid_inputs, "outputs": grid, "api_visibility": "private",
                          **heavy}):
        model_change.then(**after_switch)
    gr.on([demo.load, model_choice.change], latent_manifold, model_choice, manifold, api_name="latent_manifold",
          **heavy)
    gr.on([demo.load, map_tab.select], latent_map, map_inputs, [map_plot, map_decoded], api_visibility="private",
          **heavy)
    demo.load(sample_grid, grid_inputs, grid, api_visibility="private", **heavy)
    demo.load(**decode_event)

demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE, status_update_rate=STATUS_UPDATE_S)

if __name__ == "__main__":
    # show_error: a malformed API call (a word for a number, too few inputs) fails in Gradio's own checks before our
    # code; with this the caller reads Gradio's sentence ("didn't receive enough input values") instead of null.
    demo.launch(theme=THEME, css=CSS, max_file_size=MAX_UPLOAD_BYTES, enable_monitoring=False, show_error=True)
