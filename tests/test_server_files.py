"""No event reads a server file that a caller names: an image input given an untagged file record ({"path": ...}
without Gradio's `meta`, which Gradio's own upload-folder check skips) answers the same for a real server picture
as for a path that does not exist, and never computes a picture from it."""
import json
import re
import uuid

import httpx

from tests.app_server import ROOT, fn_indices, queue_event
from vae.studio import ENDPOINTS_DRAWINGS
from vae.validation import NOT_UPLOADED

SERVER_PICTURE = ROOT / "weights" / "vae-z10" / "samples.png"
MISSING_PICTURE = ROOT / "weights" / "no-such-picture.png"
IMAGE_TYPES = {"image", "html"}
"""Inputs that take pictures: the upload (gr.Image) and the drawing pads (gr.HTML: the pad's data URL, or the
Sketchpad form of API clients). gr.HTML is an input nowhere else."""


def events_with_image_inputs(config: dict) -> list[tuple[int, list[dict]]]:
    """(fn_index, its input components' configs) of every event that takes a picture."""
    components = {component["id"]: component for component in config["components"]}
    events = [(dependency["id"], [components[i] for i in dependency["inputs"]]) for dependency in config["dependencies"]]
    return [(index, inputs) for index, inputs in events if IMAGE_TYPES & {c["type"] for c in inputs}]


def untagged_record(path, input_type: str) -> dict:
    record = {"path": str(path)}
    return {"background": None, "layers": [], "composite": record} if input_type != "image" else record


def default(component: dict) -> object:
    """A component's starting value, but Interpolate's ends set to the drawings, so that the pads are read."""
    return ENDPOINTS_DRAWINGS if component["props"].get("elem_id") == "endpoints" else component["props"].get("value")


def outcome(http: httpx.Client, fn_index: int, inputs: list[dict], path) -> tuple[bool, str]:
    """Success and error message (or output, on success) of the event with every picture input pointing at path,
    other inputs at their defaults (so that nothing else makes the event fail)."""
    data = [untagged_record(path, c["type"]) if c["type"] in IMAGE_TYPES else default(c) for c in inputs]
    success, output = queue_event(http, str(uuid.uuid4()), fn_index, data)
    answer = json.dumps(output["data"]) if success else str(output.get("error"))
    answer = re.sub(r"input_value=.*?, input_type", "input_value=…, input_type", answer)
    return success, answer.replace(str(path), "PATH")  # pydantic echoes the input, cut short


def test_untagged_server_paths_are_never_read(http):
    assert SERVER_PICTURE.is_file() and not MISSING_PICTURE.exists()
    events = events_with_image_inputs(http.get("config").json())
    assert events  # the upload, the drawing canvases
    for fn_index, inputs in events:
        real, missing = outcome(http, fn_index, inputs, SERVER_PICTURE), outcome(http, fn_index, inputs, MISSING_PICTURE)
        assert real == missing, (fn_index, inputs, real, missing)
        assert not real[0] or '"path"' not in real[1]  # a success (a live hint, a kept strip) shows no picture


def test_the_upload_endpoint_says_why(http):
    fn_index = fn_indices(http)["reconstruct_upload"]
    success, output = queue_event(http, str(uuid.uuid4()), fn_index, [{"path": str(SERVER_PICTURE)}, "vae-z10", False])
    assert not success and output["error"] == NOT_UPLOADED
