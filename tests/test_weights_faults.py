"""Broken weights: VAE.from_pretrained, load_registry and `python app.py` each name the file that is missing,
truncated or of the wrong shape, in one ModelLoadError sentence; Hub loads pass a pinned revision through.

(tests/test_registry.py covers load_bundle on broken folders and offline Hub caches; this file covers the
model class itself, the VAE_MODEL_ID path and the running app.)
"""
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import torch
from app_server import call, running_app
from huggingface_hub import constants, hub_mixin

from test_registry import write_folder
from vae import model as model_module
from vae.model import VAE, ModelLoadError
from vae.registry import WEIGHTS_DIR, load_registry

REPO_ID, REVISION = "someone/vae", "0123456789abcdef0123456789abcdef01234567"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


BREAKAGES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (how the folder is broken, the file the message must name, words it must contain)
    "no config.json": (lambda f: (f / "config.json").unlink(), "config.json", "has no config.json"),
    "no model.safetensors": (lambda f: (f / "model.safetensors").unlink(), "model.safetensors",
                             "has no model.safetensors"),
    "truncated weights": (lambda f: truncate(f / "model.safetensors"), "model.safetensors", "truncated"),
    "empty weights": (lambda f: (f / "model.safetensors").write_bytes(b""), "model.safetensors", "truncated"),
    "weights of another shape": (lambda f: (f / "config.json").write_text(json.dumps({"z_dim": 2, "hidden_dims": [8]})),
                                 "model.safetensors", "does not match config.json"),
    "config not JSON": (lambda f: (f / "config.json").write_text("{oops"), "config.json", "JSONDecodeError"),
    "config values not numbers": (lambda f: (f / "config.json").write_text(json.dumps({"z_dim": "two"})),
                                  "config.json", "config"),
}


@pytest.fixture(params=list(BREAKAGES))
def broken(request, tmp_path) -> tuple[Path, str, str]:
    """A model folder broken one way; with the file its message must name and words it must contain."""
    folder = tmp_path / "broken-vae"
    write_folder(folder, z_dim=2)
    breakage, filename, words = BREAKAGES[request.param]
    breakage(folder)
    return folder, filename, words


def test_from_pretrained_names_the_broken_file(broken):
    folder, filename, words = broken
    with pytest.raises(ModelLoadError) as raised:
        VAE.from_pretrained(folder)
    message = str(raised.value)
    assert filename in message and words in message and str(folder) in message
    assert "\n" not in message


def test_a_folder_without_config_is_refused_even_when_default_shaped_weights_would_load(tmp_path):
    VAE().save_pretrained(tmp_path)  # the constructor's defaults: the mixin would rebuild this without config.json
    (tmp_path / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="has no config.json"):
        VAE.from_pretrained(tmp_path)


def test_from_pretrained_never_unpickles(tmp_path, monkeypatch):
    saved = write_folder(tmp_path, z_dim=2)

    def refuse(*args, **kwargs):
        raise AssertionError("torch.load (pickle) was called")

    monkeypatch.setattr(torch, "load", refuse)
    loaded = VAE.from_pretrained(tmp_path)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), saved.state_dict().values()))


class RecordingDownloads:
    """Stands in for hf_hub_download: serves files from a local folder and records each request."""

    def __init__(self, folder: Path):
        self.folder, self.calls = folder, []

    def __call__(self, repo_id: str, filename: str, **kwargs) -> str:
        self.calls.append({"repo_id": repo_id, "filename": filename, **kwargs})
        return str(self.folder / filename)


@pytest.mark.parametrize("revision", [REVISION, None])
def test_hub_loads_pass_the_pinned_revision_to_huggingface_hub(tmp_path, monkeypatch, revision):
    saved = write_folder(tmp_path, z_dim=2)
    downloads = RecordingDownloads(tmp_path)
    monkeypatch.setattr(hub_mixin, "hf_hub_download", downloads)  # config.json, fetched by the mixin
    monkeypatch.setattr(model_module, "hf_hub_download", downloads)  # model.safetensors, fetched by our loader
    loaded = VAE.from_pretrained(REPO_ID, revision=revision)
    assert sorted(call["filename"] for call in downloads.calls) == ["config.json", "model.safetensors"]
    assert all(call["repo_id"] == REPO_ID and call["revision"] == revision for call in downloads.calls)
    assert loaded.config == saved.config


def test_an_unreachable_hub_repo_names_the_repo_and_revision(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match=f"config.json of the Hub repo '{REPO_ID}' at revision '{REVISION}'"):
        VAE.from_pretrained(REPO_ID, revision=REVISION)


def test_weights_that_cannot_be_fetched_name_the_file_and_repo(tmp_path, monkeypatch):
    write_folder(tmp_path, z_dim=2)
    monkeypatch.setattr(hub_mixin, "hf_hub_download", RecordingDownloads(tmp_path))

    def offline(**kwargs):
        raise OSError("the Hub cannot be reached")

    monkeypatch.setattr(model_module, "hf_hub_download", offline)
    with pytest.raises(ModelLoadError, match=f"Could not fetch model.safetensors of the Hub repo '{REPO_ID}' "
                                             f"at revision '{REVISION}'"):
        VAE.from_pretrained(REPO_ID, revision=REVISION)


def test_a_broken_vae_model_id_folder_leaves_a_warning_and_the_bundled_models(broken, tmp_path, monkeypatch):
    folder, filename, words = broken
    write_folder(tmp_path / "weights" / "vae-z2", z_dim=2)
    registry = load_registry(tmp_path / "weights", {"VAE_MODEL_ID": str(folder)})
    assert registry.names == ["vae-z2"]
    (warning,) = registry.warnings
    assert filename in warning and str(folder) in warning and "bundled models" in warning


@pytest.fixture(scope="module")
def truncated_copy(tmp_path_factory) -> Path:
    """A copy of the shipped z=2 model whose model.safetensors lost its last 100 bytes."""
    folder = tmp_path_factory.mktemp("weights") / "vae-z2-truncated"
    shutil.copytree(WEIGHTS_DIR / "vae-z2", folder)
    truncate(folder / "model.safetensors")
    return folder


def test_the_app_comes_up_on_the_bundled_models_and_names_the_broken_file(truncated_copy):
    with running_app({"VAE_MODEL_ID": str(truncated_copy)}) as url, httpx.Client(base_url=url, timeout=60) as http:
        props = [component.get("props", {}) for component in http.get("config").json()["components"]]
        (dropdown,) = [p for p in props if p.get("label") == "model"]
        shipped = load_registry(WEIGHTS_DIR, {})
        assert [value for _, value in dropdown["choices"]] == shipped.names
        (banner,) = [p for p in props if str(truncated_copy / "model.safetensors") in str(p.get("value"))]
        assert banner["visible"] and "truncated" in banner["value"] and "bundled models" in banner["value"]
        event, data = call(http, "decode", json.dumps({"data": [0.5] * shipped.largest_z_dim + ["vae-z2"]}))
        assert event == "complete" and data[0]["path"].endswith(".png")
