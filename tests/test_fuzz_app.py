"""Property tests of the app's handlers (ui/handlers.py) with what Gradio hands them unchecked: the decode endpoint
(wired with preprocess=False) gets any JSON values, the upload endpoint any file record. Each answers with a picture
or a gr.Error sentence, never another exception; the upload endpoint never reads a file outside Gradio's upload folder.
"""
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from tests.test_fuzz import FUZZ, anything, either
from vae.drawing import NO_IMAGE
from vae.registry import WEIGHTS_DIR, load_registry
from vae.studio import DIGIT_SCALE
from vae.validation import NOT_UPLOADED

handlers = pytest.importorskip("ui.handlers")
UPLOAD_FOLDER = Path(gr.utils.get_upload_folder()).resolve()
on = handlers.Handlers(load_registry(WEIGHTS_DIR, {}), UPLOAD_FOLDER)  # the shipped models, whatever VAE_MODEL_ID says

json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=6),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                        max_size=2), max_leaves=5)
"""Whatever a JSON body can carry."""
SERVER_FILES = [WEIGHTS_DIR / "vae-z10" / "samples.png", Path("/etc/passwd"),
                Path("weights/vae-z2/samples.png")]


@FUZZ
@given(st.fixed_dictionaries({name: either(json_values, st.floats(-4, 4)) for name in on.latent_names}),
       either(json_values, st.sampled_from(on.registry.names)))
def test_decode_takes_any_json_values(latent, model):
    try:
        path = on.decode(model=model, **latent)
    except gr.Error:
        return
    picture = np.asarray(Image.open(path))
    assert picture.dtype == np.uint8 and picture.shape == (28 * DIGIT_SCALE,) * 2 and path.endswith("-decoded.png")


@pytest.fixture(scope="module")
def uploaded_one() -> Path:
    """A drawn 1 in Gradio's upload folder, where an upload leaves it."""
    folder = UPLOAD_FOLDER / "fuzz-tests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "one.png"
    image = Image.new("L", (56, 56), 255)
    ImageDraw.Draw(image).line([(28, 8), (28, 48)], fill=0, width=5)
    image.save(path)
    yield path
    path.unlink()


def test_a_picture_in_the_upload_folder_is_read(uploaded_one):
    model_input, *_ = on.reconstruct_upload({"path": str(uploaded_one)}, on.registry.default.name)
    pixels = np.asarray(Image.open(model_input))
    assert pixels.shape == (28 * DIGIT_SCALE,) * 2 and pixels.max() > 0


def escapes(upload: Path) -> st.SearchStrategy:
    """Paths of server files outside the upload folder, some dressed as paths into it."""
    return st.one_of(st.sampled_from([str(p) for p in SERVER_FILES]), st.text(max_size=12),
                     st.sampled_from(["..", "../..", "/", ""]).map(lambda up: f"{upload.parent}/{up}/etc/passwd"),
                     st.sampled_from([str(p) for p in SERVER_FILES]).map(lambda p: f"{upload.parent}/../../..{p}"))


def in_upload_folder(path: str) -> bool:
    return "\0" not in path and Path(path).resolve().is_relative_to(UPLOAD_FOLDER)


@FUZZ
@given(data=st.data())
def test_upload_reads_nothing_outside_the_upload_folder(uploaded_one, data):
    path = data.draw(either(escapes(uploaded_one), anything))
    record = data.draw(st.sampled_from([{"path": path}, {"path": path, "url": "http://127.0.0.1:1/x.png"}]))
    with pytest.raises(gr.Error) as refused:
        on.reconstruct_upload(record, on.registry.default.name)
    if path is None:
        assert refused.value.message == NO_IMAGE
    elif not (isinstance(path, str) and in_upload_folder(path)):
        assert refused.value.message == NOT_UPLOADED
