"""The app's event handlers: vae.studio's actions bound to a model registry, their results turned into what Gradio
shows (pictures become PNG files), a person's mistake (an InputError) into its one sentence."""
import dataclasses
import functools
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr
from gradio.context import LocalContext

from vae import captions, pictures, studio
from vae.registry import Registry
from vae.validation import InputError

SCORES_HINT = "Draw a digit to see its scores."
log = logging.getLogger("vae-digit-studio")
"""One line per refused request (app.configure_server sends it to stderr)."""


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
    def reconstruct(self, sketch: str | dict | None, model: str, refine: bool = False) -> tuple:
        """A drawing → what the model sees, reconstructs and scores: the pad's PNG data URL, or the Sketchpad form
        {background, layers, composite} of API clients (pictures sent with handle_file, or as data URLs); refine:
        q(z|x) refined for this drawing by gradient steps."""
        return self.shown(studio.reconstruct_drawing(self.registry, sketch, model, self.upload_folder, refine))

    def reconstruct_live(self, sketch: str | None, model: str, refine: bool) -> tuple:
        """Pen up on the Draw pad: the reconstruction. A cleared pad empties the outputs; a drawing not yet usable
        (a dot) keeps them and says why."""
        if not sketch:
            return None, None, None, "", SCORES_HINT, None
        try:
            return self.shown(studio.reconstruct_drawing(self.registry, sketch, model, self.upload_folder, refine))
        except InputError as error:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"✏️ {error}", gr.skip()

    @user_errors
    def reconstruct_upload(self, upload: dict | None, model: str, refine: bool = False) -> tuple:
        """An uploaded photo or scan (any image file) → what the model sees, reconstructs and scores."""
        return self.shown(studio.reconstruct_upload(self.registry, upload, self.upload_folder, model, refine))

    @user_errors
    def reconstruct_again(self, digit, model: str, refine: bool) -> tuple:
        """The kept drawing again, after a switch of model or of refinement (nothing to do without a drawing)."""
        if digit is None:
            return (gr.skip(),) * 6
        return self.shown(studio.reconstruct_digit(self.registry, digit, model, refine))

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
