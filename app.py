"""VAE Digit Studio: draw a digit, see what a VAE makes of it, and explore its latent space.

Gradio layout and wiring only: `build_demo(registry)` lays out the page and wires each event to a handler (ui/handlers.py:
a vae.studio action bound to the registry, a mistake answered with its one sentence, never a traceback). Importing this
file loads no model and starts no server; `python app.py` does both, on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (Gradio
reads both), also as a Space.
"""
import logging
import os
import warnings
from pathlib import Path

import gradio as gr
import torch
from PIL import Image

from ui.components import (
    decoded_digit, decoder_route, digit_image, drawing_pad, latent_slider, seed_box, static_text,
    temperature_slider,
)
from ui.handlers import SCORES_HINT, Handlers, log
from vae import captions, studio
from vae.limits import (
    DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS, MAX_GRID_ROWS,
    MAX_INTERPOLATION_FRAMES, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, POSTERIOR_SAMPLES,
)
from vae.refine import REFINE_STEPS
from vae.registry import Registry, load_registry

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
                    refine = gr.Checkbox(False, label="refine for this drawing", elem_id="refine",
                                         info=f"{REFINE_STEPS} gradient steps on q(z|x) after the encoder: a "
                                              "reconstruction closer to what you drew, a little slower")
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
        page_decode = {"fn": None, "js": static_text("decode_in_page.js"), "inputs": [*sliders, model_choice]}
        map_inputs = [map_z1, map_z2, model_choice, drawing]
        grid_inputs = [rows, columns, grid_seed, grid_temperature, binary, sample_from, model_choice]

        reconstruct_button.click(on.reconstruct, [sketch, model_choice, refine], reconstruction_outputs,
                                 api_name="reconstruct", **HEAVY)
        sketch.change(on.reconstruct_live, [sketch, model_choice, refine], reconstruction_outputs,
                      trigger_mode="always_last", show_progress="hidden", api_visibility="private", **HEAVY)
        upload.upload(on.reconstruct_upload, [upload, model_choice, refine], reconstruction_outputs,
                      api_name="reconstruct_upload", **HEAVY)
        refine.input(on.reconstruct_again, [drawing, model_choice, refine], reconstruction_outputs,
                     api_visibility="private", **HEAVY)

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
        model_change.then(on.reconstruct_again, [drawing, model_choice, refine], reconstruction_outputs,
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
