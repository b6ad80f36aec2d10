"""Loading model bundles from folders and (offline) Hub repos, and the errors that name what is wrong."""
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from huggingface_hub import constants

from vae import loading
from vae.latent_stats import save_class_statistics
from vae.limits import MAX_LATENT_SLIDERS
from vae.loading import BUNDLED_MODELS, ModelLoadError, load_app_models, load_bundle
from vae.model import VAE

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TEST_DIGITS = 12


def fake_class_stats(z_dim: int) -> dict:
    return {"z_dim": z_dim, "classes": {str(d): {"count": 5, "mean": [float(d)] * z_dim,
                                                 "cov": np.eye(z_dim).tolist()} for d in range(10)}}


def write_folder(folder: Path, z_dim: int = 2, optional: bool = True) -> VAE:
    """A model folder as train.py leaves it (random small VAE); returns the saved model."""
    torch.manual_seed(z_dim)
    model = VAE(z_dim=z_dim, hidden_dims=[32]).eval()
    model.save_pretrained(folder)
    if optional:
        save_class_statistics(fake_class_stats(z_dim), folder)
        write_test_latents(folder, z_dim)
        (folder / "metrics.json").write_text(json.dumps({"test": {"iwae_nll": 99.5}, "iwae_k": 1000}))
    return model


def write_test_latents(folder: Path, z_dim: int) -> None:
    tensors = {"posterior_mean": torch.randn(TEST_DIGITS, z_dim), "label": torch.arange(TEST_DIGITS) % 10,
               "iwae_nll": torch.linspace(80, 120, TEST_DIGITS)}
    safetensors.torch.save_file(tensors, str(folder / "test_latents.safetensors"))


def same_weights(a: VAE, b: VAE) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.fixture
def offline_hub(tmp_path, monkeypatch) -> Path:
    """An empty Hub cache in tmp_path with offline mode on: nothing is ever fetched from the network."""
    cache = tmp_path / "hub-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_a_full_folder_loads_everything(tmp_path):
    folder = tmp_path / "my-vae"
    saved = write_folder(folder, z_dim=2)
    bundle = load_bundle(folder)
    assert bundle.name == "my-vae" and bundle.source == str(folder)
    assert same_weights(bundle.model, saved) and not bundle.model.training
    assert bundle.class_stats == fake_class_stats(2)
    assert bundle.test_latents["posterior_mean"].shape == (TEST_DIGITS, 2)
    assert isinstance(bundle.test_latents["iwae_nll"], np.ndarray)
    assert bundle.metrics["test"]["iwae_nll"] == 99.5
    assert load_bundle(folder, name="shown").name == "shown"


def test_optional_files_may_be_missing(tmp_path):
    write_folder(tmp_path, z_dim=10, optional=False)
    bundle = load_bundle(tmp_path)
    assert bundle.model.z_dim == 10
    assert bundle.class_stats is None and bundle.test_latents is None and bundle.metrics is None


@pytest.mark.parametrize("filename", ["config.json", "model.safetensors"])
def test_a_missing_required_file_is_named(tmp_path, filename):
    write_folder(tmp_path)
    (tmp_path / filename).unlink()
    with pytest.raises(ModelLoadError, match=f"has no {filename}"):
        load_bundle(tmp_path)


def test_truncated_weights_are_named(tmp_path):
    write_folder(tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-100])
    with pytest.raises(ModelLoadError, match="model.safetensors is truncated or does not match config.json"):
        load_bundle(tmp_path)


def test_weights_of_another_shape_are_named(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"z_dim": 2, "hidden_dims": [16], "x_dim": 784}))
    with pytest.raises(ModelLoadError, match="model.safetensors .*does not match config.json"):
        load_bundle(tmp_path)


@pytest.mark.parametrize("config", ["{not json", json.dumps({"z_dim": 2, "hidden_dims": [32], "x_dim": 100}),
                                    json.dumps({"z_dim": "two"}), json.dumps([1, 2]),
                                    json.dumps({"z_dim": MAX_LATENT_SLIDERS + 1, "hidden_dims": [32]})])
def test_an_unusable_config_is_named(tmp_path, config):
    write_folder(tmp_path)
    (tmp_path / "config.json").write_text(config)
    with pytest.raises(ModelLoadError, match="config.json is not a readable VAE config"):
        load_bundle(tmp_path)


@pytest.mark.parametrize("filename, content", [
    ("class_stats.json", "{oops"),
    ("class_stats.json", json.dumps(fake_class_stats(3))),  # statistics of a 3-D latent space, model has 2
    ("metrics.json", "\x00\x01"),
    ("test_latents.safetensors", "not safetensors"),
])
def test_an_unreadable_optional_file_is_named(tmp_path, filename, content):
    write_folder(tmp_path)
    (tmp_path / filename).write_text(content)
    with pytest.raises(ModelLoadError, match=f"{filename} is unreadable"):
        load_bundle(tmp_path)


def test_test_latents_of_the_wrong_latent_size_are_refused(tmp_path):
    write_folder(tmp_path, z_dim=2)
    write_test_latents(tmp_path, z_dim=3)
    with pytest.raises(ModelLoadError, match="test_latents.safetensors is unreadable"):
        load_bundle(tmp_path)


def test_a_source_that_is_neither_folder_nor_repo_id(tmp_path):
    with pytest.raises(ModelLoadError, match="neither a model folder nor a Hub repo id"):
        load_bundle(str(tmp_path / "missing" / "deep" / "folder"))


def test_an_unreachable_hub_repo_fails_at_once_with_a_sentence(offline_hub):
    with pytest.raises(ModelLoadError, match=r"Could not fetch the Hub repo 'someone/vae' at revision 'v2': "
                                             r"the Hub could not be reached"):
        load_bundle("someone/vae", revision="v2")


def cache_repo(cache: Path, repo_id: str, commit: str = COMMIT) -> Path:
    """Lay out repo_id in the Hub cache as a finished download of `commit` on main would."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    return snapshot


def test_a_cached_hub_repo_loads_offline_at_main_or_a_pinned_revision(offline_hub):
    saved = write_folder(cache_repo(offline_hub, "someone/vae"), z_dim=10)
    latest, pinned = load_bundle("someone/vae"), load_bundle("someone/vae", revision=COMMIT)
    assert latest.name == "someone/vae" and pinned.source == f"someone/vae@{COMMIT}"
    assert same_weights(latest.model, saved) and same_weights(pinned.model, saved)
    assert latest.class_stats == fake_class_stats(10)
    with pytest.raises(ModelLoadError, match="Could not fetch"):
        load_bundle("someone/vae", revision="f" * 40)


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> dict[str, Path]:
    folders = {"vae-z10": tmp_path / "vae-z10", "vae-z2": tmp_path / "vae-z2"}
    write_folder(folders["vae-z10"], z_dim=10)
    write_folder(folders["vae-z2"], z_dim=2)
    monkeypatch.setattr(loading, "BUNDLED_MODELS", folders)
    return folders


def test_app_models_are_the_bundled_ones_by_default(bundled):
    models, warnings = load_app_models({})
    assert list(models) == ["vae-z10", "vae-z2"] and warnings == []
    assert models["vae-z2"].model.z_dim == 2


def test_the_configured_hub_model_comes_first(bundled, offline_hub):
    write_folder(cache_repo(offline_hub, "someone/vae"), z_dim=10)
    models, warnings = load_app_models({"VAE_MODEL_ID": "someone/vae", "VAE_MODEL_REVISION": COMMIT})
    assert list(models) == ["someone/vae", "vae-z10", "vae-z2"] and warnings == []


def test_an_unreachable_hub_model_leaves_a_warning_and_the_bundled_models(bundled, offline_hub):
    models, warnings = load_app_models({"VAE_MODEL_ID": "someone/elsewhere"})
    assert list(models) == ["vae-z10", "vae-z2"]
    assert len(warnings) == 1 and "someone/elsewhere" in warnings[0] and "bundled models" in warnings[0]


def test_a_broken_bundled_model_is_skipped_with_a_warning(bundled):
    (bundled["vae-z2"] / "model.safetensors").unlink()
    models, warnings = load_app_models({})
    assert list(models) == ["vae-z10"]
    assert warnings == [f"The model folder {bundled['vae-z2']} has no model.safetensors."]


def test_no_loadable_model_at_all_is_an_error(bundled):
    for folder in bundled.values():
        (folder / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="No model could be loaded.*config.json"):
        load_app_models({})


@pytest.mark.parametrize("name", list(BUNDLED_MODELS))
def test_the_shipped_weights_are_complete_and_consistent(name):
    if not (BUNDLED_MODELS[name] / "model.safetensors").is_file():
        pytest.skip(f"{name} is not trained yet")
    bundle = load_bundle(BUNDLED_MODELS[name], name=name)
    assert f"z{bundle.model.z_dim}" in name
    assert bundle.class_stats is not None and bundle.metrics is not None
    assert len(bundle.test_latents["iwae_nll"]) == len(bundle.test_latents["label"]) > 0
