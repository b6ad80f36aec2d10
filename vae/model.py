"""The variational autoencoder: MLP encoder q(z|x), MLP Bernoulli decoder p(x|z), N(0, I) prior.

Reference architecture (Stanford CS236 HW2): 784-300-300-2z ELU encoder with softplus variance,
z-300-300-784 ELU decoder emitting logits. Constructor arguments are the config (config.json);
weights are model.safetensors, via Hugging Face's PyTorchModelHubMixin.
"""
import os
from pathlib import Path

import safetensors.torch
import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin, constants, hf_hub_download
from torch import nn

from vae.bounds import kl_normal, log_bernoulli_with_logits, log_normal, negative_iwae, sample_gaussian

CONFIG_FILE, WEIGHTS_FILE = constants.CONFIG_NAME, constants.SAFETENSORS_SINGLE_FILE
IWAE_CHUNK_ELEMENTS = 64_000
"""Importance samples × batch rows decoded at once by the IWAE bound: bounds memory for k = 1000."""


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the missing or corrupt file, or the unreachable repo."""


def first_line(error: Exception) -> str:
    """An error's message on one line, for one-sentence reports: its first line, with the next when that ends in ':'."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()] or ["no details"]
    return " ".join(lines[:2]) if lines[0].endswith(":") else lines[0]


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of the given widths with ELU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(nn.ELU())
        layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class VAE(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="vae-digit-studio",
    tags=["vae", "mnist", "generative", "pytorch"],
    license="mit",
):
    """Gaussian-latent VAE over binarised 28×28 digits."""

    def __init__(self, z_dim: int = 10, hidden_dims: list[int] = (300, 300), x_dim: int = 784):
        super().__init__()
        self.z_dim, self.x_dim, self.hidden_dims = z_dim, x_dim, list(hidden_dims)
        self.encoder = mlp([x_dim, *self.hidden_dims, 2 * z_dim])
        self.decoder = mlp([z_dim, *reversed(self.hidden_dims), x_dim])
        self.register_buffer("prior_mean", torch.zeros(z_dim), persistent=False)
        self.register_buffer("prior_var", torch.ones(z_dim), persistent=False)

    @property
    def config(self) -> dict:
        """The constructor arguments (what config.json holds), JSON-ready."""
        return {"z_dim": self.z_dim, "hidden_dims": list(self.hidden_dims), "x_dim": self.x_dim}

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | Path, **kwargs) -> "VAE":
        """The VAE in a folder or a Hub repo (pinned by revision=... when given), via the mixin's loader;
        any failure is one ModelLoadError naming the file (config.json or model.safetensors) or the repo."""
        source = str(pretrained_model_name_or_path)
        if os.path.isdir(source) and not os.path.isfile(os.path.join(source, CONFIG_FILE)):
            raise ModelLoadError(f"The model folder {source} has no {CONFIG_FILE}.")  # else the mixin guesses one
        try:
            return super().from_pretrained(pretrained_model_name_or_path, **kwargs)
        except ModelLoadError:
            raise
        except Exception as error:  # config.json: not downloadable, not JSON, or values the constructor refuses
            where = source if os.path.isdir(source) else f"the Hub repo '{source}'{_at(kwargs.get('revision'))}"
            raise ModelLoadError(f"Could not load a VAE config from {CONFIG_FILE} of {where} "
                                 f"({type(error).__name__}: {first_line(error)}).") from None

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision: str | None, cache_dir, force_download: bool,
                         local_files_only: bool, token, map_location: str = "cpu", strict: bool = True,
                         **model_kwargs) -> "VAE":
        """Load model.safetensors from a folder or a Hub repo: safetensors only (never a pickle), strict."""
        model = cls(**model_kwargs)
        if os.path.isdir(model_id):
            model_file = os.path.join(model_id, WEIGHTS_FILE)
            if not os.path.isfile(model_file):
                raise ModelLoadError(f"The model folder {model_id} has no {WEIGHTS_FILE}.")
        else:
            try:
                model_file = hf_hub_download(
                    repo_id=model_id, filename=WEIGHTS_FILE, revision=revision, cache_dir=cache_dir,
                    force_download=force_download, token=token, local_files_only=local_files_only,
                )
            except Exception as error:  # offline, missing, private, network: the same outcome for the caller
                raise ModelLoadError(f"Could not fetch {WEIGHTS_FILE} of the Hub repo '{model_id}'{_at(revision)} "
                                     f"({type(error).__name__}: {first_line(error)}).") from None
        try:
            safetensors.torch.load_model(model, model_file, strict=strict, device=map_location)
        except Exception as error:  # safetensors header, truncation, shape or key mismatch
            raise ModelLoadError(f"{model_file} is truncated or does not match {CONFIG_FILE} "
                                 f"({type(error).__name__}: {first_line(error)}).") from None
        return model.eval()

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x) for x `(batch, 784)` in [0, 1]: mean and variance, both `(batch, z_dim)`, float32.

        Under bfloat16 autocast only the matrix products run in bf16; the heads and bounds stay float32.
        """
        mean, h = self.encoder(x).float().chunk(2, dim=-1)
        return mean, F.softplus(h) + 1e-8

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits of p(x|z), `(..., 784)` float32, for z `(..., z_dim)`."""
        return self.decoder(z).float()

    def negative_elbo_bound(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One-sample negative ELBO of binary x `(batch, 784)`: (nelbo, kl, rec), batch means in nats."""
        mean, var = self.encode(x)
        z = sample_gaussian(mean, var)
        rec = -log_bernoulli_with_logits(x, self.decode(z)).mean()
        kl = kl_normal(mean, var, self.prior_mean, self.prior_var).mean()
        return kl + rec, kl, rec

    def importance_terms(self, x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """log p(x|z_i) and log q(z_i|x) − log p(z_i), each `(k, batch)`, for z_i ~ q(z|x).

        Samples are decoded in chunks of about IWAE_CHUNK_ELEMENTS rows so k = 1000 fits in memory.
        """
        mean, var = self.encode(x)
        chunk = max(1, IWAE_CHUNK_ELEMENTS // x.shape[0])
        log_px_z, log_q_minus_p = [], []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            z = sample_gaussian(mean.expand(n, *mean.shape), var.expand(n, *var.shape))  # (n, batch, z)
            terms = self.log_weight_terms(x, z, self.decode(z), mean, var)
            log_px_z.append(terms[0])
            log_q_minus_p.append(terms[1])
        return torch.cat(log_px_z), torch.cat(log_q_minus_p)

    def log_weight_terms(self, x: torch.Tensor, z: torch.Tensor, logits: torch.Tensor, mean: torch.Tensor,
                         var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log p(x|z) and log q(z|x) − log p(z), each `(k, batch)`, for draws z `(k, batch, z_dim)` from
        q = N(mean, var) `(batch, z_dim)` decoded to logits `(k, batch, 784)`: the two parts of log p(x, z)/q(z|x).
        """
        log_q_minus_p = log_normal(z, mean, var) - log_normal(z, self.prior_mean, self.prior_var)
        return log_bernoulli_with_logits(x, logits), log_q_minus_p

    def negative_iwae_bound(self, x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """k-sample importance-weighted bound −log 1/k Σ p(x, z_i)/q(z_i|x) (Burda et al. 2016, eq. 8).

        Returns (niwae, kl, rec) as batch means; kl and rec are the ELBO's terms averaged over the k samples.
        """
        log_px_z, log_q_minus_p = self.importance_terms(x, k)
        niwae = negative_iwae(log_px_z, log_q_minus_p).mean()
        return niwae, log_q_minus_p.mean(), -log_px_z.mean()

    @torch.no_grad()
    def permute_latents(self, order: list[int]) -> None:
        """Renumber the latent dimensions in place, new dimension i being old dimension order[i]: an exact
        reparameterisation (the prior N(0, I) and the diagonal q are unchanged by it), used to list them by KL."""
        if sorted(order) != list(range(self.z_dim)):
            raise ValueError(f"order must be a permutation of range({self.z_dim}), got {order}")
        head, first = self.encoder[-1], self.decoder[0]  # emits (mean, raw variance); reads z
        rows = torch.tensor([*order, *(self.z_dim + i for i in order)], device=head.weight.device)
        head.weight.copy_(head.weight[rows])
        head.bias.copy_(head.bias[rows])
        first.weight.copy_(first.weight[:, order])

    def sample_z(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """n draws `(n, z_dim)` from the prior N(0, temperature² I)."""
        device = self.prior_mean.device
        return temperature * torch.randn(n, self.z_dim, generator=generator, device=device)

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Bernoulli means `(n, 784)` of p(x|z) for n prior draws z (the usual 'sample' picture)."""
        return torch.sigmoid(self.decode(self.sample_z(n, temperature, generator)))

    @torch.no_grad()
    def sample_binary(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Binary images `(n, 784)`: true samples x ~ p(x|z), z ~ prior."""
        return torch.bernoulli(self.sample(n, temperature, generator), generator=generator)


def _at(revision: str | None) -> str:
    """' at revision ...' for messages about a pinned Hub load, '' otherwise."""
    return f" at revision '{revision}'" if revision else ""
