"""Markdown the app shows beside its pictures: a model's card line and a drawing's scores, in nats."""
from pathlib import Path

from vae.inference import Reconstruction
from vae.registry import ModelBundle
from vae.typicality import LatentReading


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


def reconstruction_summary(result: Reconstruction, reading: LatentReading | None, test_metrics: dict | None,
                           encoded: Reconstruction | None = None) -> str:
    """A plain-language line on where the drawing sits in latent space, then its NELBO, KL, Rec and IWAE-k NLL beside
    the test set's averages, folded under "details"; for a refined result, the encoder's own scores beside."""
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
    note = ("Lower nats mean the model finds the picture more probable, which is not the same as digit-like: "
            "simple shapes such as a filled disc score well too.")
    details = "\n".join(rows) + f"\n\n{note}"
    if encoded is not None:
        details += (f"\n\nRefined: q(z | x) took {result.refine_steps} gradient steps on this drawing's negative ELBO "
                    f"after the encoder (the encoder's q alone: NELBO {encoded.nelbo:.1f}, IWAE-{encoded.iwae_k} "
                    f"{encoded.iwae_nll:.1f}). The line above reads the encoder's q, on which its thresholds were set.")
    return f"{reading_line(reading)}\n\n<details><summary>details (nats)</summary>\n\n{details}\n\n</details>"


def reading_line(reading: LatentReading | None) -> str:
    """Which digit the drawing sits among in latent space, and whether it is typical of real digits there."""
    if reading is None:
        return "This model ships no digit statistics, so it cannot say which digit the drawing is near."
    where = f"In latent space your drawing sits among the **{reading.digit}s**"
    if reading.typical:
        return f"✅ {where}, and it is typical of real digits."
    reasons = []
    if not reading.near_a_digit:
        reasons.append(f"it lies farther from any digit's cluster than {_share(reading.distance_percentile)}")
    if reading.surprising:
        reasons.append(f"the model finds it less probable than {_share(reading.nll_percentile)}")
    return f"⚠️ {where}, but it is unlike real digits: {' and '.join(reasons)}."


def _share(percentile: float) -> str:
    """'97.3% of real test digits', or 'every real test digit' when none is beyond."""
    return "every real test digit" if percentile >= 100 else f"{percentile:.1f}% of real test digits"
