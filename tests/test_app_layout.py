"""app.py as a layout: importing it loads no model and starts no server; the page is built from whatever registry it
is given, so a model folder copied into weights/ appears in the menu with no code change."""
import shutil
import subprocess
import sys

import gradio as gr
import pytest

from vae import studio
from vae.registry import WEIGHTS_DIR, load_registry

app = pytest.importorskip("app")

IMPORT_ONLY = """
import threading
import vae.model
loads = []
original = vae.model.VAE.from_pretrained.__func__
vae.model.VAE.from_pretrained = classmethod(lambda cls, *a, **k: loads.append(a) or original(cls, *a, **k))
import app
print(len(loads), threading.active_count())
"""


def test_importing_app_loads_no_model_and_starts_no_server():
    run = subprocess.run([sys.executable, "-c", IMPORT_ONLY], cwd=WEIGHTS_DIR.parent, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0", "1"]  # no model loaded, no thread besides the main one (no server)


def dropdown_choices(demo: gr.Blocks) -> list[str]:
    (dropdown,) = [block for block in demo.blocks.values() if isinstance(block, gr.Dropdown)]
    return [value for _, value in dropdown.choices]


def test_a_copied_model_folder_appears_in_the_model_menu(tmp_path):
    weights = tmp_path / "weights"
    shipped = load_registry(WEIGHTS_DIR, {}).names
    shutil.copytree(WEIGHTS_DIR, weights)
    shutil.copytree(WEIGHTS_DIR / "vae-z10", weights / "vae-other")
    (weights / "vae-other" / "studio.json").unlink()  # a folder without a sidecar: served under its name, no role
    demo = app.build_demo(load_registry(weights, {}))
    assert dropdown_choices(demo) == [shipped[0], "vae-other", *shipped[1:]]


def test_the_sliders_follow_the_largest_served_model():
    registry = load_registry(WEIGHTS_DIR, {})
    sliders = [block for block in app.build_demo(registry).blocks.values()
               if isinstance(block, gr.Slider) and block.elem_id and block.elem_id.startswith("slider-z")]
    assert len(sliders) == registry.largest_z_dim
    active = [d.active for d in studio.latent_dimensions(registry, registry.default.name)]
    assert [slider.visible for slider in sliders] == active  # the default model's unused dimensions start hidden
