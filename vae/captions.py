"""Markdown the app shows beside its pictures: a model's card line and a drawing's scores, in nats."""
from pathlib import Path

from vae.inference import Reconstruction
from vae.registry import ModelBundle


def model_summary(bundle: ModelBundle) -> str:
    """One line: the model's name, description, latent size, source and test-set scores from metrics.json."""
    source = f"bundled folder `{Path(bundle.source).name}`" if Path(bundle.source).is_dir() else f"`{bundle.source}`"
    described = f" · {bundle.description}" if bundle.description else ""
    line = f"**{bundle.name}**{described} · {bundle.model.z_dim} latent dimensions · {source}"
    test = (bundle.metrics or {}).get("test")
    if test:
        line += (f" · test NELBO {test['nelbo']:.1f} nats, IWAE-{bundle.metrics.get('iwae_k', '?')} NLL "
                 f"{test['iwae_nll']:.1f} nats")
    return line


def load_warnings(warnings: list[str]) -> str:
    """The model-loading warnings (e.g. an unreachable Hub repo) as a banner; empty when all loaded."""
    return "\n".join(f"⚠️ {warning}" for warning in warnings)


def reconstruction_summary(result: Reconstruction, test_metrics: dict | None) -> str:
    """A drawing's NELBO, KL, Rec and IWAE-k NLL beside the test set's averages, and its NLL percentile."""
    test = test_metrics or {}

    def row(name: str, key: str, value: float) -> str:
        reference = f"{test[key]:.1f}" if key in test else "–"
        return f"| {name} | {value:.1f} | {reference} |"

    rows = [
        "| | your drawing (nats) | test digits, mean (nats) |",
        "|---|---:|---:|",
        row("Negative ELBO", "nelbo", result.nelbo),
        row("KL(q(z \\| x) ‖ p(z))", "kl", result.kl),
        row("Reconstruction −log p(x \\| z)", "rec", result.rec),
        row(f"IWAE-{result.iwae_k} estimate of −log p(x)", "iwae_nll", result.iwae_nll),
    ]
    if result.percentile is None:
        verdict = "This model ships no per-digit test scores, so the drawing cannot be ranked."
    else:
        verdict = (f"Your drawing is more likely under the model than **{result.percentile:.0f}%** of real "
                   f"test digits (by IWAE NLL; lower NLL = more digit-like).")
    return "\n".join(rows) + "\n\n" + verdict
