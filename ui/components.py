"""The page's own components: the drawing pad and the page decoder (gr.HTML with the HTML, CSS and JavaScript in
static/), the route serving the page decoder its weights, and the app's recurring inputs and pictures."""
from pathlib import Path

import fastapi
import gradio as gr
from fastapi.routing import APIRoute

from vae import page_decoder, studio
from vae.drawing import PAD_SIZE, PEN_WIDTH
from vae.limits import LATENT_SLIDER_RANGE, MAX_SEED, MAX_TEMPERATURE
from vae.registry import Registry
from vae.validation import MNIST_SIZE

STATIC = Path(__file__).resolve().parents[1] / "static"
"""The page's own HTML, CSS and JavaScript: the drawing pad (pad.*) and the page decoder (decoder.*, decode_in_page.js)."""
DECODER_ROUTE = "gradio_api/decoder"
"""GET <app>/gradio_api/decoder/<model id>: a served model's decoder weights, for the page to decode the sliders itself
(under gradio_api/ because a server-side-rendered Gradio app, as on Spaces, forwards only that prefix to Python)."""
PAGE_DECODER_ID = "page-decoder"
"""The page decoder's elem_id, by which its sliders' listener finds it (static/decode_in_page.js)."""
PAD_HINT = "Draw a digit here"
SLIDER_STEP = 0.05


def static_text(name: str) -> str:
    """static/<name>, read when the page is built (so an edited file shows on the next start)."""
    return (STATIC / name).read_text()


def digit_image(label: str, **kwargs) -> gr.Image:
    """An output picture of digits: PNG, crisp pixels, downloadable."""
    return gr.Image(label=label, format="png", interactive=False, buttons=["download", "fullscreen"], **kwargs)


def drawing_pad(label: str, **kwargs) -> gr.HTML:
    """A square canvas that draws from the first touch (mouse, pen or finger), with Undo and Clear; on pen up its
    value becomes the drawing as a PNG data URL (None once cleared), which fires its change event."""
    return gr.HTML(None, label=label, show_label=False, container=True, apply_default_css=False,
                   html_template=static_text("pad.html"), css_template=static_text("pad.css"),
                   js_on_load=static_text("pad.js"), size=PAD_SIZE, pen_width=PEN_WIDTH, hint=PAD_HINT,
                   **kwargs)


def decoded_digit(label: str, model: str, sliders: list[gr.Slider]) -> gr.HTML:
    """The sliders' digit, decoded by the page from the model's decoder weights (static/decoder.*) onto a canvas; its
    child, the server's picture (`with decoded_digit(...): gr.Image(...)`), is shown while the page cannot decode. A drag
    of one of the latent sliders (in latent order) is drawn from the slider's own input event."""
    return gr.HTML(None, label=label, apply_default_css=False, elem_id=PAGE_DECODER_ID,
                   html_template=static_text("decoder.html"),
                   css_template=static_text("decoder.css"), js_on_load=static_text("decoder.js"),
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
