"""The models the app serves: every model folder in weights/, plus an optional Hub repo named by VAE_MODEL_ID.

A model folder holds config.json and model.safetensors (required; its name is the model's id) and
class_stats.json, test_latents.safetensors, latent_mixture.safetensors, metrics.json (optional: features that need
them are switched off).
An optional sidecar, studio.json, gives the app's view of the model: {"roles": ["default" | "map"],
"description": "one line"}. Adding a model is adding a folder.

Roles: "default" is the model the menu and every endpoint start with, "map" the 2-D model of the latent map.
When several folders claim a role, the first by folder name takes it (a warning is logged); when none does,
the default is the first model in name order and the map model is the first 2-D one. A Hub model named by
VAE_MODEL_ID takes the default role.
"""
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from huggingface_hub import constants, snapshot_download
from huggingface_hub.errors import (
    HFValidationError, LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError,
)
from huggingface_hub.utils import validate_repo_id

from vae.latent_stats import CLASS_STATS_NAME, TEST_LATENTS_NAME, load_class_statistics, load_test_latents
from vae.mixture import MIXTURE_NAME, LatentMixture, load_mixture
from vae.model import VAE, ModelLoadError, first_line
from vae.report import METRICS_NAME
from vae.validation import MNIST_SIZE, InputError

SIDECAR_NAME = "studio.json"
ROLES = ("default", "map")
MODEL_FILES = [constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE, CLASS_STATS_NAME, TEST_LATENTS_NAME,
               METRICS_NAME, MIXTURE_NAME, SIDECAR_NAME]
"""What the app downloads from a Hub repo (never the checkpoint or pictures)."""
WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"
NO_TWO_DIMENSIONAL_MODEL = "The latent map needs a model with 2 latent dimensions, and none is loaded."
log = logging.getLogger(__name__)


@dataclass(eq=False)  # hashed by identity: pictures rendered once per model are cached by bundle
class ModelBundle:
    """A loaded model and what the app knows of it and of its latent space."""

    name: str
    source: str
    model: VAE
    class_stats: dict | None  # class_stats.json
    test_latents: dict[str, np.ndarray] | None  # posterior_mean (n, z_dim), label (n,), iwae_nll (n,)
    metrics: dict | None  # metrics.json
    latent_mixture: LatentMixture | None = None  # latent_mixture.safetensors
    description: str = ""  # studio.json
    roles: list[str] = field(default_factory=list)  # studio.json


@dataclass
class Registry:
    """The served models in menu order (the default first), the map's model, and the load warnings to show."""

    models: dict[str, ModelBundle]
    map_name: str | None
    warnings: list[str]

    @property
    def default(self) -> ModelBundle:
        return next(iter(self.models.values()))

    @property
    def names(self) -> list[str]:
        return list(self.models)

    @property
    def largest_z_dim(self) -> int:
        return max(bundle.model.z_dim for bundle in self.models.values())

    def get(self, name: object) -> ModelBundle:
        """The served model called name, else InputError listing the served ones (API callers send anything)."""
        if not isinstance(name, str) or name not in self.models:
            raise InputError(f"There is no model called {name!r}: choose one of {', '.join(self.models)}.")
        return self.models[name]

    def for_map(self, name: object) -> ModelBundle:
        """The chosen model when its latent space is 2-D, else the map's model (the latent map needs one)."""
        bundle = self.get(name)
        if bundle.model.z_dim == 2:
            return bundle
        if self.map_name is None:
            raise InputError(NO_TWO_DIMENSIONAL_MODEL)
        return self.models[self.map_name]


def load_registry(weights_dir: Path = WEIGHTS_DIR, environ: Mapping[str, str] = os.environ) -> Registry:
    """Load every model folder of weights_dir and the VAE_MODEL_ID repo (pinned by VAE_MODEL_REVISION when set).

    A model that fails to load becomes a warning sentence; ModelLoadError only when nothing at all loaded.
    """
    bundles: list[ModelBundle] = []
    warnings: list[str] = []
    repo_id = environ.get("VAE_MODEL_ID", "").strip()
    if repo_id:
        try:
            hub = load_bundle(repo_id, revision=environ.get("VAE_MODEL_REVISION", "").strip() or None)
            bundles.append(hub)
            hub.roles = ["default", *(role for role in hub.roles if role != "default")]
        except ModelLoadError as error:
            warnings.append(f"{error} Serving the bundled models instead.")
    for folder in model_folders(weights_dir):
        if folder.name in {bundle.name for bundle in bundles}:
            continue
        try:
            bundles.append(load_bundle(folder))
        except ModelLoadError as error:
            warnings.append(str(error))
    if not bundles:
        raise ModelLoadError(f"No model could be loaded. {' '.join(warnings)}")
    default = _holder("default", bundles) or bundles[0]
    map_model = _holder("map", bundles) or next((b for b in bundles if b.model.z_dim == 2), None)
    models = {bundle.name: bundle for bundle in [default, *(b for b in bundles if b is not default)]}
    return Registry(models, map_model.name if map_model else None, warnings)


def model_folders(weights_dir: Path) -> list[Path]:
    """The folders of weights_dir that hold a model's config.json or weights, by name."""
    if not Path(weights_dir).is_dir():
        return []
    return sorted(folder for folder in Path(weights_dir).iterdir() if folder.is_dir() and any(
        (folder / name).is_file() for name in (constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE)))


def load_bundle(source: str | Path, revision: str | None = None) -> ModelBundle:
    """Load a model folder, or a Hub repo id (pinned to revision when given), with its optional files."""
    folder = _model_folder(source, revision)
    model = _load_model(folder)
    sidecar = _optional(folder, SIDECAR_NAME, lambda: _checked_sidecar(json.loads((folder / SIDECAR_NAME).read_text())))
    return ModelBundle(
        name=Path(source).name if Path(source).is_dir() else str(source),
        source=str(source) if revision is None else f"{source}@{revision}",
        model=model,
        class_stats=_optional(folder, CLASS_STATS_NAME, lambda: _checked_class_stats(load_class_statistics(folder), model)),
        test_latents=_optional(folder, TEST_LATENTS_NAME, lambda: _checked_test_latents(load_test_latents(folder), model)),
        metrics=_optional(folder, METRICS_NAME, lambda: json.loads((folder / METRICS_NAME).read_text())),
        latent_mixture=_optional(folder, MIXTURE_NAME, lambda: _checked_mixture(load_mixture(folder), model)),
        **(sidecar or {}),
    )


def _holder(role: str, bundles: list[ModelBundle]) -> ModelBundle | None:
    """The bundle that takes role: the first that claims it (the Hub model, then folders by name)."""
    claims = [bundle for bundle in bundles if role in bundle.roles]
    if len(claims) > 1:
        log.warning("%s claim the %r role; %s takes it.", ", ".join(b.name for b in claims), role, claims[0].name)
    if role == "map" and claims and claims[0].model.z_dim != 2:
        log.warning("%s claims the 'map' role but is not 2-D; ignored.", claims[0].name)
        return None
    return claims[0] if claims else None


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
    for required in (constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE):
        if not (folder / required).is_file():
            raise ModelLoadError(f"The model folder {folder} has no {required}.")
    model = VAE.from_pretrained(folder)  # ModelLoadError naming the file when unreadable, truncated or mismatched
    if model.x_dim != MNIST_SIZE**2:
        raise ModelLoadError(f"{folder / constants.CONFIG_NAME} is not a VAE for 28×28 digits "
                             f"(x_dim is {model.x_dim}, not {MNIST_SIZE**2}).")
    return model


def _optional(folder: Path, filename: str, read: Callable[[], Any]) -> Any:
    """read() when folder holds filename, None when it does not; ModelLoadError naming the file when unreadable."""
    if not (folder / filename).is_file():
        return None
    try:
        return read()
    except Exception as error:  # JSON, safetensors or content errors all mean the same: the file is unusable
        raise ModelLoadError(f"{folder / filename} is unreadable ({type(error).__name__}: {first_line(error)}).") from None


def _checked_sidecar(sidecar: dict) -> dict:
    """studio.json as ModelBundle fields: roles among ROLES and a one-line description."""
    roles, description = sidecar.get("roles", []), sidecar.get("description", "")
    if not isinstance(roles, list) or not set(roles) <= set(ROLES):
        raise ValueError(f"roles must be a list drawn from {list(ROLES)}, got {roles!r}")
    if not isinstance(description, str) or "\n" in description:
        raise ValueError("description must be one line of text")
    return {"roles": roles, "description": description}


def _checked_class_stats(stats: dict, model: VAE) -> dict:
    """class_stats.json contents if every digit has a mean `(z_dim,)` and covariance `(z_dim, z_dim)`."""
    for digit, entry in stats["classes"].items():
        if np.shape(entry["mean"]) != (model.z_dim,) or np.shape(entry["cov"]) != (model.z_dim, model.z_dim):
            raise ValueError(f"digit {digit}'s mean or covariance does not match z_dim {model.z_dim}")
    return stats


def _checked_mixture(mixture: LatentMixture, model: VAE) -> LatentMixture:
    """latent_mixture.safetensors if its K components have weights `(K,)` summing to 1, means `(K, z_dim)` and
    Cholesky factors `(K, z_dim, z_dim)`."""
    k = len(mixture.weights)
    if mixture.means.shape != (k, model.z_dim) or mixture.scale_trils.shape != (k, model.z_dim, model.z_dim) \
            or not abs(float(mixture.weights.sum()) - 1) < 1e-4 or bool((mixture.weights < 0).any()):
        raise ValueError(f"expected weights (K,) summing to 1, means (K, {model.z_dim}), scale_trils (K, {model.z_dim}, "
                         f"{model.z_dim})")
    return mixture


def _checked_test_latents(tensors: dict, model: VAE) -> dict[str, np.ndarray]:
    """test_latents as numpy arrays if posterior_mean is `(n, z_dim)` and label, iwae_nll are `(n,)`."""
    latents = {key: tensors[key].numpy() for key in ("posterior_mean", "label", "iwae_nll")}
    n = len(latents["posterior_mean"])
    if latents["posterior_mean"].shape != (n, model.z_dim) or latents["label"].shape != (n,) \
            or latents["iwae_nll"].shape != (n,):
        raise ValueError(f"expected posterior_mean (n, {model.z_dim}), label (n,), iwae_nll (n,)")
    return latents
