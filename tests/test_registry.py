"""The model registry: bundles loaded from folders and (offline) Hub repos, discovery of weights/ folders, roles,
and the errors that name what is wrong."""
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from huggingface_hub import constants

from vae.latent_stats import save_class_statistics
from vae.model import VAE
from vae.registry import SIDECAR_NAME, WEIGHTS_DIR, ModelLoadError, load_bundle, load_registry, model_folders
from vae.validation import InputError

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TEST_DIGITS = 12


def fake_class_stats(z_dim: int) -> dict:
    return {"z_dim": z_dim, "classes": {str(d): {"count": 5, "mean": [float(d)] * z_dim,
                                                 "cov": np.eye(z_dim).tolist()} for d in range(10)}}


def write_folder(folder: Path, z_dim: int = 2, optional: bool = True, roles: list[str] | None = None) -> VAE:
    """A model folder as train.py leaves it (random small VAE), with a studio.json giving roles when asked;
    returns the saved model."""
    torch.manual_seed(z_dim)
    model = VAE(z_dim=z_dim, hidden_dims=[32]).eval()
    model.save_pretrained(folder)
    if optional:
        save_class_statistics(fake_class_stats(z_dim), folder)
        write_test_latents(folder, z_dim)
        (folder / "metrics.json").write_text(json.dumps({"test": {"iwae_nll": 99.5}, "iwae_k": 1000}))
    if roles is not None:
        (folder / SIDECAR_NAME).write_text(json.dumps({"roles": roles, "description": f"a {z_dim}-D test model"}))
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
    assert bundle.roles == [] and bundle.description == ""


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
                                    json.dumps({"z_dim": 2, "hidden_dims": [-32]})])
def test_an_unusable_config_is_named(tmp_path, config):
    write_folder(tmp_path)
    (tmp_path / "config.json").write_text(config)
    with pytest.raises(ModelLoadError, match="config.json"):
        load_bundle(tmp_path)


def test_a_model_for_pictures_of_another_size_is_refused(tmp_path):
    VAE(z_dim=2, hidden_dims=[8], x_dim=100).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="not a VAE for 28×28 digits"):
        load_bundle(tmp_path)


@pytest.mark.parametrize("filename, content", [
    ("class_stats.json", "{oops"),
    ("class_stats.json", json.dumps(fake_class_stats(3))),  # statistics of a 3-D latent space, model has 2
    ("metrics.json", "\x00\x01"),
    ("test_latents.safetensors", "not safetensors"),
    (SIDECAR_NAME, json.dumps({"roles": ["favourite"]})),
    (SIDECAR_NAME, json.dumps({"description": "two\nlines"})),
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
def weights(tmp_path) -> Path:
    """A weights/ folder as shipped: a 10-D default model and a 2-D map model, each claiming its role."""
    weights = tmp_path / "weights"
    write_folder(weights / "vae-z10", z_dim=10, roles=["default"])
    write_folder(weights / "vae-z2", z_dim=2, roles=["map"])
    return weights


def test_app_models_are_the_weights_folders_default_first(weights):
    registry = load_registry(weights, {})
    assert registry.names == ["vae-z10", "vae-z2"] and registry.warnings == []
    assert registry.default.name == "vae-z10" and registry.map_name == "vae-z2"
    assert registry.get("vae-z2").model.z_dim == 2 and registry.get("vae-z2").description == "a 2-D test model"
    assert registry.largest_z_dim == 10


def test_adding_a_folder_adds_a_model_and_its_id_is_the_folder_name(weights):
    write_folder(weights / "another", z_dim=20)
    (weights / "notes").mkdir()  # a folder without a model is not one
    registry = load_registry(weights, {})
    assert registry.names == ["vae-z10", "another", "vae-z2"]
    assert registry.get("another").roles == [] and registry.largest_z_dim == 20


def test_without_roles_the_first_folder_is_the_default_and_the_first_2d_one_the_map(tmp_path):
    write_folder(tmp_path / "b-plane", z_dim=2)
    write_folder(tmp_path / "a-ten", z_dim=10)
    write_folder(tmp_path / "c-plane", z_dim=2)
    registry = load_registry(tmp_path, {})
    assert registry.names == ["a-ten", "b-plane", "c-plane"] and registry.map_name == "b-plane"


def test_a_role_claimed_twice_goes_to_the_first_folder_by_name(weights, caplog):
    write_folder(weights / "vae-a", z_dim=3, roles=["default"])
    write_folder(weights / "vae-b", z_dim=2, roles=["map"])
    registry = load_registry(weights, {})
    assert registry.default.name == "vae-a" and registry.map_name == "vae-b"
    assert "vae-a, vae-z10 claim the 'default' role; vae-a takes it." in caplog.text


def test_a_map_role_on_a_model_that_is_not_2d_is_ignored(tmp_path, caplog):
    write_folder(tmp_path / "wide", z_dim=3, roles=["map"])
    write_folder(tmp_path / "zplane", z_dim=2)
    assert load_registry(tmp_path, {}).map_name == "zplane"
    assert "wide claims the 'map' role but is not 2-D" in caplog.text


def test_unknown_models_and_a_missing_map_model_are_one_sentence(tmp_path):
    write_folder(tmp_path / "only", z_dim=3)
    registry = load_registry(tmp_path, {})
    with pytest.raises(InputError, match="There is no model called 'other': choose one of only."):
        registry.get("other")
    with pytest.raises(InputError, match="There is no model called \\[1\\]"):
        registry.get([1])
    with pytest.raises(InputError, match="needs a model with 2 latent dimensions"):
        registry.for_map("only")


def test_the_map_uses_the_chosen_model_when_it_is_2d(weights):
    write_folder(weights / "vae-other-plane", z_dim=2)
    registry = load_registry(weights, {})
    assert registry.for_map("vae-other-plane").name == "vae-other-plane"
    assert registry.for_map("vae-z10").name == "vae-z2"


def test_the_configured_hub_model_comes_first_and_is_the_default(weights, offline_hub):
    write_folder(cache_repo(offline_hub, "someone/vae"), z_dim=10)
    registry = load_registry(weights, {"VAE_MODEL_ID": "someone/vae", "VAE_MODEL_REVISION": COMMIT})
    assert registry.names == ["someone/vae", "vae-z10", "vae-z2"] and registry.warnings == []
    assert registry.default.name == "someone/vae"


def test_an_unreachable_hub_model_leaves_a_warning_and_the_bundled_models(weights, offline_hub):
    registry = load_registry(weights, {"VAE_MODEL_ID": "someone/elsewhere"})
    assert registry.names == ["vae-z10", "vae-z2"]
    assert len(registry.warnings) == 1 and "someone/elsewhere" in registry.warnings[0]
    assert "bundled models" in registry.warnings[0]


def test_a_broken_bundled_model_is_skipped_with_a_warning(weights):
    (weights / "vae-z2" / "model.safetensors").unlink()
    registry = load_registry(weights, {})
    assert registry.names == ["vae-z10"] and registry.map_name is None
    assert registry.warnings == [f"The model folder {weights / 'vae-z2'} has no model.safetensors."]


def test_no_loadable_model_at_all_is_an_error(weights):
    for folder in model_folders(weights):
        (folder / "config.json").unlink()
    with pytest.raises(ModelLoadError, match="No model could be loaded.*config.json"):
        load_registry(weights, {})


@pytest.mark.parametrize("folder", model_folders(WEIGHTS_DIR), ids=lambda folder: folder.name)
def test_the_shipped_weights_are_complete_and_consistent(folder):
    bundle = load_bundle(folder)
    assert f"z{bundle.model.z_dim}" in folder.name
    assert bundle.class_stats is not None and bundle.metrics is not None and bundle.description
    assert len(bundle.test_latents["iwae_nll"]) == len(bundle.test_latents["label"]) > 0


def test_the_shipped_roles():
    registry = load_registry(WEIGHTS_DIR, {})
    assert registry.names == ["vae-z32", "vae-z10", "vae-z2"] and registry.map_name == "vae-z2"
