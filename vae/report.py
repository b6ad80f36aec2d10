"""What a training run leaves beside its weights: metrics, sample grid, training curve, model card."""
import json
from pathlib import Path

import numpy as np
from huggingface_hub import constants
from matplotlib.figure import Figure
from PIL import Image

from vae.inference import sample_grid
from vae.limits import DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS
from vae.model import VAE

METRICS_NAME, SAMPLES_NAME, CURVE_NAME = "metrics.json", "samples.png", "training_curve.png"


def save_sample_grid(model: VAE, path: Path, seed: int) -> None:
    """The seed's 10×20 grid of 200 samples (Bernoulli means): the app's default grid for that seed."""
    grid = sample_grid(model, DEFAULT_GRID_ROWS, DEFAULT_GRID_COLUMNS, seed)
    Image.fromarray(np.round(grid * 255).astype(np.uint8)).save(path)


def save_training_curve(history: list[dict], evaluations: list[dict], path: Path) -> None:
    """Training NELBO/KL/Rec against iteration, with test NELBO points where they were measured."""
    fig = Figure(figsize=(7, 4), dpi=110)
    ax = fig.subplots()
    steps = [h["iteration"] for h in history]
    for key, style in (("nelbo", "-"), ("rec", "--"), ("kl", ":")):
        ax.plot(steps, [h[key] for h in history], style, label=f"train {key.upper() if key != 'rec' else 'Rec'}")
    if evaluations:
        ax.plot([e["iteration"] for e in evaluations], [e["nelbo"] for e in evaluations], "o", label="test NELBO")
    ax.set(xlabel="iteration", ylabel="nats per digit", title="Training curve")
    ax.set_ylim(0, min(250, max((h["nelbo"] for h in history), default=250)))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)


def save_metrics(metrics: dict, folder: Path) -> None:
    """metrics.json: the run's test figures and provenance."""
    (Path(folder) / METRICS_NAME).write_text(json.dumps(metrics, indent=2))


def save_model_card(folder: Path, metrics: dict, repo_id: str | None = None) -> None:
    """README.md with Hub metadata (library, tags, dataset, model-index metrics), pictures and usage."""
    name = repo_id or Path(folder).name
    test = metrics["test"]
    config = metrics["config"]
    card = f"""---
library_name: vae-digit-studio
license: mit
tags:
- vae
- mnist
- generative
- pytorch
- pytorch_model_hub_mixin
datasets:
- mnist
model-index:
- name: {name}
  results:
  - task:
      type: image-generation
      name: Density estimation (binarised MNIST)
    dataset:
      type: mnist
      name: MNIST (test set, fixed binarisation)
    metrics:
    - type: nelbo
      name: Negative ELBO (nats)
      value: {test['nelbo']:.2f}
    - type: nll
      name: IWAE-{metrics['iwae_k']} NLL (nats)
      value: {test['iwae_nll']:.2f}
---

# {name}

A variational autoencoder for binarised MNIST digits (VAE Digit Studio): Gaussian latent
z ∈ R^{config['z_dim']}, MLP encoder/decoder with hidden widths {config['hidden_dims']}, Bernoulli decoder.

| test figure (10,000 digits, nats) | value |
| --- | --- |
| negative ELBO | {test['nelbo']:.2f} |
| KL(q‖p) | {test['kl']:.2f} |
| reconstruction −E log p(x\\|z) | {test['rec']:.2f} |
| IWAE-{metrics['iwae_k']} NLL estimate | {test['iwae_nll']:.2f} |

Trained for {metrics['iterations']} iterations (batch {metrics['recipe']['batch_size']}, Adam lr
{metrics['recipe']['lr']}, {metrics['recipe']['lr_schedule']} schedule), seed {metrics['seed']},
{metrics['wall_time_s'] / 60:.1f} minutes on {metrics.get('device', 'cpu')}.

![200 samples]({SAMPLES_NAME})

![training curve]({CURVE_NAME})

## Usage

```python
from vae.model import VAE  # the `vae` package of the VAE Digit Studio repository
model = VAE.from_pretrained("{name}")
images = model.sample(16)  # (16, 784) Bernoulli means
```
"""
    (Path(folder) / constants.REPOCARD_NAME).write_text(card)
