"""VAE Digit Studio: draw a digit, see what a VAE makes of it, and explore its latent space.

Gradio layout and wiring only: `build_demo(registry)` lays out the page and wires each event to a vae.studio action;
the handlers below only bind the registry and turn an InputError into a gr.Error, so bad input shows its one-sentence
message (in the UI and through the API) and never a traceback. Importing this file loads no model and starts no
server; `python app.py` does both, on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (Gradio reads both), also as a Space.
"""
import dataclasses
import functools
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import fastapi
import gradio as gr
import torch
from fastapi.routing import APIRoute
from gradio.context import LocalContext
from PIL import Image

from vae import captions, page_decoder, pictures, studio
from vae.drawing import PAD_SIZE, PEN_WIDTH
from vae.limits import (
    DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS, LATENT_SLIDER_RANGE, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS,
    MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES, MAX_SEED, MAX_TEMPERATURE, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS,
    POSTERIOR_SAMPLES,
)
from vae.registry import Registry, load_registry
from vae.validation import MNIST_SIZE, InputError

STATIC = Path(__file__).resolve().parent / "static"
"""The page's own HTML, CSS and JavaScript, read when the page is built: the drawing pad (pad.*) and the page decoder
(decoder.*, decode_in_page.js)."""
DECODER_ROUTE = "gradio_api/decoder"
"""GET <app>/gradio_api/decoder/<model id>: a served model's decoder weights, for the page to decode the sliders itself
(under gradio_api/ because a server-side-rendered Gradio app, as on Spaces, forwards only that prefix to Python)."""
PAGE_DECODER_ID = "page-decoder"
"""The page decoder's elem_id, by which its sliders' listener finds it (static/decode_in_page.js)."""
PAD_HINT = "Draw a digit here"
SCORES_HINT = "Draw a digit to see its scores."
SLIDER_STEP = 0.05
CONCURRENCY_LIMIT = 1
"""Requests of one light event (slider presets, a model switch) computed at once; each has its own queue."""
HEAVY = {"concurrency_id": "pictures", "concurrency_limit": 1, "preprocess": False}
"""Reconstructions, grids, maps, interpolations and generated digits share one queue and one worker (Python runs
one request at a time anyway), so that slider decodes, in their own queue, never wait behind them
(bench/load_test.py, 50 clients, after the opening burst: decode p95 22 ms like this, 126 ms with two workers).
Their inputs reach vae.studio raw, which checks every value itself: Gradio's own range checks would answer first,
in its words, as an error that wipes the outputs."""
DECODE_CONCURRENCY_LIMIT = 2
"""Slider decodes (milliseconds each) computed at once, so that dragging stays live under load."""
QUEUE_SIZE = 128
"""Requests waiting at most, all events together: 50 busy visitors with a couple of events each."""
STATUS_UPDATE_S = 1.0
"""Queue positions reach waiting visitors once a second, not after every request (that is waiting² messages)."""
log = logging.getLogger("vae-digit-studio")
THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate")
CSS = """
.digit img, .strip img { image-rendering: pixelated; }
.digit .image-container, .strip .image-container, #grid .image-container, #map-plot .image-container {
  padding-top: 36px;  /* the label and the download/fullscreen buttons sit above the picture, not on its digits */
}
#latent-sliders { display: block !important; }
#latent-sliders > .form { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));
                         background: none; }
#warnings { border-left: 4px solid #f59e0b; padding-left: 12px; }
"""


def user_errors(fn: Callable) -> Callable:
    """Run fn; a person's mistake (an InputError) is logged on one line and answered with its one sentence: on the
    page as a warning beside the controls, every control and output kept as it was; to an API caller as a gr.Error."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as error:
            log.info("refused %s: %s", fn.__name__, error)
            if from_the_page():
                gr.Warning(str(error))
                return gr.skip()
            raise gr.Error(str(error), print_exception=False) from None
    return wrapper


def from_the_page() -> bool:
    """Whether the running event was sent by the app's own page: Gradio's front end marks its requests with the
    header x-gradio-user: app (its clients send "api")."""
    request = LocalContext.request.get(None)  # the event's request, as Gradio passes it to gr.Request parameters
    return request is not None and request.headers.get("x-gradio-user") == "app"


class Handlers:
    """The app's event handlers: vae.studio's actions bound to a registry. Their parameter names are the API's."""

    def __init__(self, registry: Registry, upload_folder: Path):
        self.registry, self.upload_folder = registry, upload_folder
        self.latent_names = [f"z{i}" for i in range(1, registry.largest_z_dim + 1)]
        self.downloads = Path(tempfile.mkdtemp(prefix="vae-digit-studio-"))

    def file(self, picture: studio.Picture) -> str:
        """The picture as a PNG file under its own name, so that a download is named for what it shows."""
        return str(pictures.save_png(picture.pixels, picture.name, self.downloads))

    def shown(self, view: studio.ReconstructionView) -> tuple:
        """A reconstruction as the Draw tab's outputs, in the order of ReconstructionView's fields."""
        values = (getattr(view, field.name) for field in dataclasses.fields(view))
        return tuple(self.file(value) if isinstance(value, studio.Picture) else value for value in values)

    @user_errors
    def reconstruct(self, sketch: str | dict | None, model: str) -> tuple:
        """A drawing → what the model sees, reconstructs and scores: the pad's PNG data URL, or the Sketchpad form
        {background, layers, composite} of API clients (pictures sent with handle_file, or as data URLs)."""
        return self.shown(studio.reconstruct_drawing(self.registry, sketch, model, self.upload_folder))

    def reconstruct_live(self, sketch: str | None, model: str) -> tuple:
        """Pen up on the Draw pad: the reconstruction. A cleared pad empties the outputs; a drawing not yet usable
        (a dot) keeps them and says why."""
        if not sketch:
            return None, None, None, "", SCORES_HINT, None
        try:
            return self.shown(studio.reconstruct_drawing(self.registry, sketch, model, self.upload_folder))
        except InputError as error:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"✏️ {error}", gr.skip()

    @user_errors
    def reconstruct_upload(self, upload: dict | None, model: str) -> tuple:
        """An uploaded photo or scan (any image file) → what the model sees, reconstructs and scores."""
        return self.shown(studio.reconstruct_upload(self.registry, upload, self.upload_folder, model))

    @user_errors
    def reconstruct_again(self, digit, model: str) -> tuple:
        """After a model switch, the kept drawing through the new model (nothing to do without a drawing)."""
        return (gr.skip(),) * 6 if digit is None else self.shown(studio.reconstruct_digit(self.registry, digit, model))

    @user_errors
    def decode(self, *, model: str, **latent: float):
        """The digit decoded from the sliders z1..zN (wired with preprocess=False: studio checks the raw values)."""
        return self.file(studio.decode(self.registry, [latent[name] for name in self.latent_names], model))

    def sliders_at(self, z) -> list[float]:
        """One value per slider: z `(z_dim,)`, then zeros for the sliders past the model's z_dim."""
        return [float(value) for value in z] + [0.0] * (len(self.latent_names) - len(z))

    @user_errors
    def random_sliders(self, model: str) -> list[float]:
        return self.sliders_at(studio.random_latent(self.registry, model))

    def zero_sliders(self) -> list[float]:
        return self.sliders_at([])

    @user_errors
    def drawing_sliders(self, digit, model: str) -> list[float]:
        return self.sliders_at(studio.drawing_latent(self.registry, digit, model))

    def slider_settings(self, model: str, show_unused: bool) -> list[dict]:
        """Per slider: shown for each of the model's dimensions that carries information (all with show_unused),
        labelled with what it carries; the sliders past the model's z_dim hidden."""
        dimensions = studio.latent_dimensions(self.registry, model)
        return [{"visible": i < len(dimensions) and (dimensions[i].active or show_unused), "label": name,
                 "info": dimensions[i].info if i < len(dimensions) else ""} for i, name in enumerate(self.latent_names)]

    def unused_toggle(self, model: str) -> dict:
        """The "show unused dimensions" box: shown only for a model with unused dimensions."""
        unused = sum(not dimension.active for dimension in studio.latent_dimensions(self.registry, model))
        return {"visible": unused > 0, "label": f"show the {unused} unused dimensions (the decoder ignores them)"}

    @user_errors
    def switch_model(self, model: str, show_unused: bool) -> list:
        """The model's card line, its sliders shown and labelled, all back at zero, and the unused-dimensions box."""
        return [captions.model_summary(self.registry.get(model)), gr.Checkbox(**self.unused_toggle(model)),
                *[gr.Slider(value=0.0, **settings) for settings in self.slider_settings(model, show_unused)]]

    @user_errors
    def show_sliders(self, model: str, show_unused: bool) -> list:
        """The sliders shown with or without the model's unused dimensions."""
        return [gr.Slider(visible=settings["visible"]) for settings in self.slider_settings(model, show_unused)]

    @user_errors
    def sample_grid(self, rows: int, columns: int, seed: int, temperature: float, binary: bool, sample_from: str,
                    model: str):
        """rows × columns samples (Bernoulli means, or binary samples) from the prior or the learned latent
        distribution, the same grid for the same seed."""
        return self.file(studio.sample_grid(self.registry, rows, columns, seed, temperature, binary, sample_from,
                                            model))

    @user_errors
    def latent_manifold(self, model: str):
        """The 2-D model's decodes over the latent square (click it to move the point)."""
        return self.file(studio.latent_manifold(self.registry, model))

    @user_errors
    def latent_map(self, z1: float, z2: float, model: str, drawing=None) -> tuple:
        """The latent plane (test digits, manifold, the point, the drawing's posterior) and the point's decode."""
        view = studio.latent_map(self.registry, z1, z2, model, drawing)
        return self.file(view.plane), self.file(view.decoded)

    @user_errors
    def manifold_click(self, event: gr.SelectData) -> list[float]:
        """The map sliders moved to the latent under the clicked pixel of the manifold picture (its size is fixed, so
        the picture is not an input: Gradio would read an input image from any server path an API caller names)."""
        return [float(value) for value in studio.manifold_click(*event.index)]

    @user_errors
    def plane_click(self, model: str, event: gr.SelectData) -> list[float]:
        """The map sliders moved to the latent under the clicked pixel of the latent plane."""
        return [float(value) for value in studio.plane_click(self.registry, *event.index, model)]

    @user_errors
    def interpolate(self, start: str | dict | None, end: str | dict | None, endpoints: str, frames: int, seed: int,
                    model: str):
        """A strip of decodes along the line between two drawings' posterior means (or two random latents)."""
        return self.file(studio.interpolate(self.registry, start, end, endpoints, frames, seed, model,
                                            self.upload_folder))

    @staticmethod
    def after_pad_change(drawing: str | None) -> tuple:
        """A cleared Interpolate pad empties the strip drawn from it; strokes on a pad choose "my two drawings"."""
        return (None, gr.skip()) if not drawing else (gr.skip(), studio.ENDPOINTS_DRAWINGS)

    @user_errors
    def generate_digit(self, digit: int, count: int, seed: int, temperature: float, model: str):
        """count decodes of latents drawn from the digit's latent Gaussian (class_stats.json)."""
        return self.file(studio.generate_digit(self.registry, digit, count, seed, temperature, model))


def digit_image(label: str, **kwargs) -> gr.Image:
    """An output picture of digits: PNG, crisp pixels, downloadable."""
    return gr.Image(label=label, format="png", interactive=False, buttons=["download", "fullscreen"], **kwargs)


def drawing_pad(label: str, **kwargs) -> gr.HTML:
    """A square canvas that draws from the first touch (mouse, pen or finger), with Undo and Clear; on pen up its
    value becomes the drawing as a PNG data URL (None once cleared), which fires its change event."""
    return gr.HTML(None, label=label, show_label=False, container=True, apply_default_css=False,
                   html_template=(STATIC / "pad.html").read_text(), css_template=(STATIC / "pad.css").read_text(),
                   js_on_load=(STATIC / "pad.js").read_text(), size=PAD_SIZE, pen_width=PEN_WIDTH, hint=PAD_HINT,
                   **kwargs)


def decoded_digit(label: str, model: str, sliders: list[gr.Slider]) -> gr.HTML:
    """The sliders' digit, decoded by the page from the model's decoder weights (static/decoder.*) onto a canvas; its
    child, the server's picture (`with decoded_digit(...): gr.Image(...)`), is shown while the page cannot decode. A drag
    of one of the latent sliders (in latent order) is drawn from the slider's own input event."""
    return gr.HTML(None, label=label, apply_default_css=False, elem_id=PAGE_DECODER_ID,
                   html_template=(STATIC / "decoder.html").read_text(),
                   css_template=(STATIC / "decoder.css").read_text(), js_on_load=(STATIC / "decoder.js").read_text(),
                   route=DECODER_ROUTE, model=model, sliders=[slider.elem_id for slider in sliders], side=MNIST_SIZE,
                   zoom=studio.DIGIT_SCALE)


def decoder_route(registry: Registry) -> APIRoute:
    """GET /DECODER_ROUTE/<model id>: the served model's decoder weights (vae/page_decoder.py), from memory; any other
    id is 404, so nothing else on the server becomes reachable. Browsers keep a copy and ask again with its ETag."""
    def decoder_weights(model: str, request: fastapi.Request) -> fastapi.Response:
        if model not in registry.models:
            raise fastapi.HTTPException(404, f"There is no model called {model!r}.")
        weights = page_decoder.decoder_file(registry.models[model].model)
        headers = {"ETag": weights.etag, "Cache-Control": "no-cache"}
        if request.headers.get("If-None-Match") == weights.etag:
            return fastapi.Response(status_code=304, headers=headers)
        return fastapi.Response(weights.data, media_type="application/octet-stream", headers=headers)
    return APIRoute(f"/{DECODER_ROUTE}/{{model:path}}", decoder_weights, methods=["GET"])


def seed_box(**kwargs) -> gr.Number:
    """A whole-number seed: the same seed gives the same picture."""
    return gr.Number(label="seed", value=0, precision=0, minimum=0, maximum=MAX_SEED, **kwargs)


def latent_slider(**kwargs) -> gr.Slider:
    """One latent coordinate, from -LATENT_SLIDER_RANGE to +LATENT_SLIDER_RANGE."""
    return gr.Slider(-LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE, value=0.0, step=SLIDER_STEP, precision=2, **kwargs)


def temperature_slider(value: float = 1.0) -> gr.Slider:
    """The scale of the latent distribution's standard deviation."""
    return gr.Slider(0.1, MAX_TEMPERATURE, value=value, step=0.05, label="temperature (prior std scale)")


def build_demo(registry: Registry, upload_folder: Path | None = None) -> gr.Blocks:
    """The app's page for the registry's models: layout, then the events wired to Handlers."""
    on = Handlers(registry, Path(upload_folder or gr.utils.get_upload_folder()).resolve())
    default = registry.default
    with gr.Blocks(title="VAE Digit Studio") as demo:
        gr.Markdown("# ✍️ VAE Digit Studio\nDraw a digit and watch a variational autoencoder encode, reconstruct "
                    "and score it; then walk its latent space.")
        gr.Markdown(captions.load_warnings(registry.warnings), visible=bool(registry.warnings), elem_id="warnings")
        with gr.Row(equal_height=True):
            model_choice = gr.Dropdown(registry.names, value=default.name, label="model", scale=1,
                                       elem_id="model-choice")
            model_card = gr.Markdown(captions.model_summary(default), elem_id="model-card")
        drawing = gr.State(None)

        with gr.Tab("Draw & reconstruct", id="draw"):
            with gr.Row():
                with gr.Column(scale=1, min_width=320):
                    with gr.Tab("Draw"):
                        gr.Markdown("Draw one digit with the mouse, a pen or a finger: it is reconstructed each time "
                                    "you lift the pen.")
                        sketch = drawing_pad("your digit", elem_id="sketch")
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
                scores = gr.Markdown(SCORES_HINT, elem_id="scores")
                posterior_plot = gr.HTML(label="posterior mean ± std per latent dimension", elem_id="posterior-plot")

        with gr.Tab("Latent sliders", id="sliders"):
            with gr.Row():
                with gr.Column(scale=3):
                    gr.Markdown("One slider per latent dimension; under each, the information it carries about a "
                                "digit (its KL on the test digits, in nats).")
                    with gr.Row(elem_id="latent-sliders"):
                        sliders = [latent_slider(elem_id=f"slider-{name}", **settings) for name, settings
                                   in zip(on.latent_names, on.slider_settings(default.name, show_unused=False))]
                    show_unused = gr.Checkbox(value=False, elem_id="show-unused", **on.unused_toggle(default.name))
                with gr.Column(scale=1, min_width=260):
                    with decoded_digit("decoded digit", default.name, sliders):
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
                    sample_from = gr.Radio(studio.SAMPLE_SOURCES, value=studio.FROM_PRIOR, label="sample z from",
                                           info="the prior is the model's own generative story; the learned "
                                                "distribution is fitted to where real digits' codes lie",
                                           elem_id="sample-from")
                    binary = gr.Checkbox(label="binary samples x ~ p(x|z) instead of Bernoulli means")
                    grid_button = gr.Button("Sample", variant="primary")
                with gr.Column(scale=3):
                    gr.Markdown("**Samples**: download the grid as PNG with the button at its top right.")
                    grid = digit_image("sample grid", show_label=False, elem_id="grid")

        with gr.Tab("Latent map", id="map") as map_tab:
            gr.Markdown("**The 2-D model's latent plane.** Left: its decodes over the square (click one to move the "
                        "★). Right: where real test digits land; your drawing is the ✕ with its 1-σ ellipse.")
            with gr.Row():
                manifold = gr.Image(label="decoded manifold", show_label=False, format="png", interactive=False,
                                    type="numpy", buttons=["fullscreen"], elem_classes="strip", elem_id="manifold")
                with gr.Column():
                    map_plot = digit_image("latent map", show_label=False, elem_id="map-plot")
                    with gr.Row(equal_height=True):
                        with gr.Column(scale=2):
                            map_z1 = latent_slider(label="z₁", elem_id="map-z1")
                            map_z2 = latent_slider(label="z₂", elem_id="map-z2")
                        map_decoded = digit_image("decoded point", elem_classes="digit", elem_id="map-decoded")

        with gr.Tab("Interpolate", id="interpolate"):
            with gr.Row():
                start_sketch = drawing_pad("start digit", elem_id="start-sketch")
                end_sketch = drawing_pad("end digit", elem_id="end-sketch")
                with gr.Column(min_width=260):
                    endpoints = gr.Radio(studio.ENDPOINTS, value=studio.ENDPOINTS_RANDOM,
                                         label="interpolate between", elem_id="endpoints")
                    frames = gr.Slider(2, MAX_INTERPOLATION_FRAMES, value=studio.DEFAULT_FRAMES, step=1, precision=0,
                                       label="frames")
                    interpolation_seed = seed_box(info="for random digits")
                    interpolate_button = gr.Button("Interpolate", variant="primary")
            gr.Markdown("**Decodes along the straight line in latent space between the two ends**: your drawings' "
                        "posterior means, or two latents drawn from the prior (the seed picks them).")
            strip = digit_image("interpolation", show_label=False, elem_classes="strip", elem_id="strip")

        with gr.Tab("Generate a digit", id="generate"):
            with gr.Row():
                with gr.Column(scale=1, min_width=260):
                    digit = gr.Radio(list(studio.DIGITS), value=0, label="digit")
                    count = gr.Slider(1, MAX_GENERATED_DIGITS, value=studio.DEFAULT_GENERATED, step=1, precision=0,
                                      label="how many")
                    generate_seed = seed_box(elem_id="generate-seed")
                    generate_temperature = temperature_slider(studio.GENERATE_TEMPERATURE)
                    generate_button = gr.Button("Generate", variant="primary")
                with gr.Column(scale=2):
                    gr.Markdown("**Decodes of latents drawn from the digit's Gaussian fit** (class_stats.json, "
                                "shipped with the weights)")
                    generated = digit_image("generated digits", show_label=False, elem_classes="strip",
                                            elem_id="generated")

        # in the order of studio.ReconstructionView's fields (see shown)
        reconstruction_outputs = [model_input, reconstruction, posterior_samples, posterior_plot, scores, drawing]
        decode_wiring = {"fn": on.decode, "inputs_kwargs": {**dict(zip(on.latent_names, sliders)), "model": model_choice},
                         "outputs": decoded, "preprocess": False, "show_progress": "hidden",
                         "concurrency_limit": DECODE_CONCURRENCY_LIMIT, "trigger_mode": "always_last"}
        decode_event = {**decode_wiring, "api_visibility": "private"}
        # the page decodes the sliders itself; when it cannot, the listener throws and .failure() asks the server
        page_decode = {"fn": None, "js": (STATIC / "decode_in_page.js").read_text(), "inputs": [*sliders, model_choice]}
        map_inputs = [map_z1, map_z2, model_choice, drawing]
        grid_inputs = [rows, columns, grid_seed, grid_temperature, binary, sample_from, model_choice]

        reconstruct_button.click(on.reconstruct, [sketch, model_choice], reconstruction_outputs,
                                 api_name="reconstruct", **HEAVY)
        sketch.change(on.reconstruct_live, [sketch, model_choice], reconstruction_outputs, trigger_mode="always_last",
                      show_progress="hidden", api_visibility="private", **HEAVY)
        upload.upload(on.reconstruct_upload, [upload, model_choice], reconstruction_outputs,
                      api_name="reconstruct_upload", **HEAVY)

        gr.on([slider.input for slider in sliders], **page_decode).failure(**decode_wiring, api_name="decode")
        random_button.click(on.random_sliders, model_choice, sliders, api_visibility="private").then(
            **page_decode).failure(**decode_event)
        zeros_button.click(on.zero_sliders, None, sliders, api_visibility="private").then(
            **page_decode).failure(**decode_event)
        use_drawing_button.click(on.drawing_sliders, [drawing, model_choice], sliders,
                                 api_visibility="private").then(**page_decode).failure(**decode_event)

        grid_button.click(on.sample_grid, grid_inputs, grid, api_name="sample_grid", **HEAVY)

        gr.on([map_z1.input, map_z2.input], on.latent_map, map_inputs, [map_plot, map_decoded],
              trigger_mode="always_last", show_progress="hidden", api_name="latent_map", **HEAVY)
        for click in (manifold.select(on.manifold_click, None, [map_z1, map_z2], api_visibility="private"),
                      map_plot.select(on.plane_click, model_choice, [map_z1, map_z2], api_visibility="private")):
            click.then(on.latent_map, map_inputs, [map_plot, map_decoded], show_progress="hidden",
                       api_visibility="private", **HEAVY)

        interpolation_inputs = [start_sketch, end_sketch, endpoints, frames, interpolation_seed, model_choice]
        interpolate_button.click(on.interpolate, interpolation_inputs, strip, api_name="interpolate", **HEAVY)
        for pad in (start_sketch, end_sketch):
            pad.change(on.after_pad_change, pad, [strip, endpoints], show_progress="hidden", api_visibility="private")
        generate_inputs = [digit, count, generate_seed, generate_temperature, model_choice]
        generate_button.click(on.generate_digit, generate_inputs, generated, api_name="generate_digit", **HEAVY)

        model_change = model_choice.change(on.switch_model, [model_choice, show_unused],
                                           [model_card, show_unused, *sliders], api_visibility="private")
        show_unused.input(on.show_sliders, [model_choice, show_unused], sliders, api_visibility="private")
        model_change.then(**page_decode).failure(**decode_event)
        model_change.then(on.reconstruct_again, [drawing, model_choice], reconstruction_outputs,
                          api_visibility="private", **HEAVY)
        model_change.then(on.sample_grid, grid_inputs, grid, api_visibility="private", **HEAVY)
        gr.on([demo.load, model_choice.change], on.latent_manifold, model_choice, manifold,
              api_name="latent_manifold", **HEAVY)
        gr.on([demo.load, map_tab.select], on.latent_map, map_inputs, [map_plot, map_decoded],
              api_visibility="private", **HEAVY)
        demo.load(on.sample_grid, grid_inputs, grid, api_visibility="private", **HEAVY)
        demo.load(on.interpolate, interpolation_inputs, strip, api_visibility="private", **HEAVY)
        demo.load(on.generate_digit, generate_inputs, generated, api_visibility="private", **HEAVY)
        demo.load(**page_decode).failure(**decode_event)

    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE, status_update_rate=STATUS_UPDATE_S)
    return demo


def configure_server() -> None:
    """Process-wide settings for serving: one torch thread per request, picture caps, Gradio's analytics summary,
    the refusals log (one line each)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    torch.set_num_threads(1)  # tiny MLPs: one thread per request answers fastest and lets requests run side by side
    # Gradio decodes canvases before vae.drawing can check them: with these, PIL refuses any picture past the upload
    # cap as it opens it, before decoding (by default a 0.5 MB PNG of 144 MP cost 1.6 GB before vae.drawing refused it).
    Image.MAX_IMAGE_PIXELS = MAX_UPLOAD_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)  # PIL only warns between 1× and 2× the limit
    # Gradio's queue summarises its log of up to 10000 events with pandas after every event, for its /monitoring
    # page: under load that was 6% of the server's Python time. The page is off (see launch), so never compute it.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))


if __name__ == "__main__":
    configure_server()
    served = load_registry()
    # show_error: a malformed API call (a word for a number, too few inputs) fails in Gradio's own checks before our
    # code; with this the caller reads Gradio's sentence ("didn't receive enough input values") instead of null.
    build_demo(served).launch(theme=THEME, css=CSS, max_file_size=MAX_UPLOAD_BYTES, enable_monitoring=False,
                              show_error=True, app_kwargs={"routes": [decoder_route(served)]})
