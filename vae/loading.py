"""The models the app serves: the bundled weights folders, plus an optional Hub repo named by VAE_MODEL_ID.

A model folder holds config.json and model.safetensors (required) and class_stats.json,
test_latents.safetensors and metrics.json (optional: features that need them are switched off).
"""
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from huggingface_hub import constants, snapshot_download
from huggingface_hub.errors import (
    HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError,
)
from huggingface_hub.utils import validate_repo_id

from vae.drawing import MNIST_SIZE
from vae.latent_stats import CLASS_STATS_NAME, TEST_LATENTS_NAME, load_class_statistics, load_test_latents
from vae.limits import MAX_LATENT_SLIDERS
from vae.model import VAE, ModelLoadError, first_line
from vae.report import METRICS_NAME

MODEL_FILES = [constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE, CLASS_STATS_NAME, TEST_LATENTS_NAME,
               METRICS_NAME]
"""What the app downloads from a Hub repo (never the checkpoint or pictures)."""
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
BUNDLED_MODELS: dict[str, Path] = {"vae-z10": WEIGHTS_DIR / "vae-z10", "vae-z2": WEIGHTS_DIR / "vae-z2"}


@dataclass
class ModelBundle:
    """A loaded model and what the app knows of its latent space."""

    name: str
    source: str
    model: VAE
    class_stats: dict | None  # class_stats.json
    test_latents: dict[str, np.ndarray] | None  # posterior_mean (n, z_dim), label (n,), iwae_nll (n,)
    metrics: dict | None  # metrics.json


def load_bundle(source: str | Path, revision: str | None = None, name: str | None = None) -> ModelBundle:
    """Load a model folder, or a Hub repo id (pinned to revision when given), with its optional files."""
    folder = _model_folder(source, revision)
    model = _load_model(folder)
    return ModelBundle(
        name=name or (Path(source).name if Path(source).is_dir() else str(source)),
        source=str(source) if revision is None else f"{source}@{revision}",
        model=model,
        class_stats=_optional(folder, CLASS_STATS_NAME, lambda: _checked_class_stats(load_class_statistics(folder), model)),
        test_latents=_optional(folder, TEST_LATENTS_NAME, lambda: _checked_test_latents(load_test_latents(folder), model)),
        metrics=_optional(folder, METRICS_NAME, lambda: json.loads((folder / METRICS_NAME).read_text())),
    )


def load_app_models(environ: Mapping[str, str] = os.environ) -> tuple[dict[str, ModelBundle], list[str]]:
    """The models to serve, default first, and warning sentences for those that failed to load.

    VAE_MODEL_ID (optionally pinned by VAE_MODEL_REVISION) comes first when it loads; the bundled
    models are always offered too. ModelLoadError only when nothing at all could be loaded.
    """
    models: dict[str, ModelBundle] = {}
    warnings: list[str] = []
    repo_id = environ.get("VAE_MODEL_ID", "").strip()
    if repo_id:
        try:
            bundle = load_bundle(repo_id, revision=environ.get("VAE_MODEL_REVISION", "").strip() or None)
            models[bundle.name] = bundle
        except ModelLoadError as error:
            warnings.append(f"{error} Serving the bundled models instead.")
    for name, folder in BUNDLED_MODELS.items():
        try:
            models.setdefault(name, load_bundle(folder, name=name))
        except ModelLoadError as error:
            warnings.append(str(error))
    if not models:
        raise ModelLoadError(f"No model could be loaded. {' '.join(warnings)}")
    return models, warnings


def _model_folder(source: str | Path, revision: str | None) -> Path:
    """The local folder of source: itself when it is a folder, else a snapshot of the Hub repo it names."""
    if Path(source).is_dir():
        return Path(source)
    try:
        validate_repo_id(str(source))
    except HFValidationError:
        raise ModelLoadError(f"'{source}' is neither a model folder nor a Hub repo id.") from None
    at = f" at revision '{revision}'" if revision else ""
    try:
        return Path(snapshot_download(str(source), revision=revision, allow_patterns=MODEL_FILES))
    except RepositoryNotFoundError:
        reason = "it does not exist or is private"
    except RevisionNotFoundError:
        reason = "it has no such revision"
    except LocalEntryNotFoundError:
        reason = "the Hub could not be reached (offline?) and no copy is cached"
    except Exception as error:  # network, HTTP, disk: the same outcome for the person running the app
        reason = f"{type(error).__name__}: {first_line(error)}"
    raise ModelLoadError(f"Could not fetch the Hub repo '{source}'{at}: {reason}.")


def _load_model(folder: Path) -> VAE:
    """VAE from folder's config.json and model.safetensors (strict), for 28×28 digits, in eval mode."""
    config_file = folder / constants.CONFIG_NAME
    weights_file = folder / constants.SAFETENSORS_SINGLE_FILE
    for required in (config_file, weights_file):
        if not required.is_file():
            raise ModelLoadError(f"The model folder {folder} has no {required.name}.")
    try:
        config = json.loads(config_file.read_text())
        if config.get("x_dim", MNIST_SIZE**2) != MNIST_SIZE**2:
            raise ValueError(f"x_dim is {config['x_dim']}, not {MNIST_SIZE**2}")
        if not all(isinstance(width, int) and width > 0 for width in [config.get("z_dim", 1), *config.get("hidden_dims", [])]):
            raise ValueError("z_dim and hidden_dims must be positive whole numbers")
        if config.get("z_dim", 1) > MAX_LATENT_SLIDERS:
            raise ValueError(f"z_dim is {config['z_dim']}; the app shows at most {MAX_LATENT_SLIDERS} latent sliders")
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise ModelLoadError(f"{config_file} is not a readable VAE config ({error}).") from None
    return VAE.from_pretrained(folder)  # ModelLoadError naming the file when it is truncated or does not match


def _optional(folder: Path, filename: str, read: Callable[[], Any]) -> Any:
    """read() when folder holds filename, None when it does not; ModelLoadError naming the file when unreadable."""
    if not (folder / filename).is_file():
        return None
    try:
        return read()
    except Exception as error:  # JSON, safetensors or content errors all mean the same: the file is unusable
        raise ModelLoadError(f"{folder / filename} is unreadable ({type(error).__name__}: {first_line(error)}).") from None


def _checked_class_stats(stats: dict, model: VAE) -> dict:
    """class_stats.json contents if every digit has a mean `(z_dim,)` and covariance `(z_dim, z_dim)`."""
    for digit, entry in stats["classes"].items():
        if np.shape(entry["mean"]) != (model.z_dim,) or np.shape(entry["cov"]) != (model.z_dim, model.z_dim):
            raise ValueError(f"digit {digit}'s mean or covariance does not match z_dim {model.z_dim}")
    return stats


def _checked_test_latents(tensors: dict, model: VAE) -> dict[str, np.ndarray]:
    """test_latents as numpy arrays if posterior_mean is `(n, z_dim)` and label, iwae_nll are `(n,)`."""
    latents = {key: tensors[key].numpy() for key in ("posterior_mean", "label", "iwae_nll")}
    n = len(latents["posterior_mean"])
    if latents["posterior_mean"].shape != (n, model.z_dim) or latents["label"].shape != (n,) \
            or latents["iwae_nll"].shape != (n,):
        raise ValueError(f"expected posterior_mean (n, {model.z_dim}), label (n,), iwae_nll (n,)")
    return latents
