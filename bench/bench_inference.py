"""Server-side latency of what the app computes per click, on a shipped model (the app's default unless --model).

Medians (and 90th percentiles) of many repeats after a warm-up, in milliseconds, against the targets
the app's responsiveness needs. Preprocessing of the pad's drawing and of a large upload, the posterior chart, the
latent map (rendered once per model, then marked per slider step), and the whole studio action of each click
(checks, model, pictures, text) are listed for reference.

    OMP_NUM_THREADS=1 python bench/bench_inference.py [--repeats 200] [--threads 1]
"""
import argparse
import base64
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vae import figures, studio  # noqa: E402
from vae.drawing import PAD_SIZE, PEN_WIDTH, preprocess_drawing, preprocess_upload  # noqa: E402
from vae.inference import decode, latent_manifold, reconstruct, sample_grid  # noqa: E402
from vae.limits import APP_IWAE_K, LATENT_SLIDER_RANGE, MANIFOLD_STEPS  # noqa: E402
from vae.registry import load_registry  # noqa: E402

WARMUP = 5


def time_ms(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and 90th percentile of call()'s wall time in milliseconds, after WARMUP untimed calls."""
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), statistics.quantiles(times, n=10)[-1]


def seven(size: int, width: int) -> Image.Image:
    """A '7' drawn in black on white paper, size × size pixels."""
    image = Image.new("L", (size, size), 255)
    points = [(0.25 * size, 0.15 * size), (0.75 * size, 0.15 * size), (0.4 * size, 0.85 * size)]
    ImageDraw.Draw(image).line(points, fill=0, width=width)
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a model of weights/ by name (default: the app's default model)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    registry = load_registry()
    bundle = registry.get(args.model or registry.default.name)
    model = bundle.model
    canvas = Image.new("RGBA", (PAD_SIZE, PAD_SIZE))
    canvas.putalpha(Image.eval(seven(PAD_SIZE, PEN_WIDTH), lambda grey: 255 - grey))
    png = io.BytesIO()
    canvas.save(png, "PNG")
    drawn = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()  # what the pad sends
    digit = preprocess_drawing(drawn)
    z = np.zeros(model.z_dim, dtype=np.float32)
    upload = seven(4000, 3)
    map_model = registry.for_map(bundle.name)

    def map_layers() -> Figure:
        """The 2-D model's latent map without marks, as the app renders it once."""
        test = map_model.test_latents
        manifold = latent_manifold(map_model.model, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)
        return figures.latent_map(test["posterior_mean"], test["label"], manifold)

    map_picture = figures.render(map_layers())
    mean, std = np.zeros(model.z_dim), np.full(model.z_dim, 0.5)
    cases = [  # (what, call, target ms or None, repeats)
        ("decode one z", lambda: decode(model, z), 2.0, args.repeats),
        (f"reconstruct, IWAE-{APP_IWAE_K}", lambda: reconstruct(model, digit), 40.0, args.repeats),
        ("20×20 sample grid", lambda: sample_grid(model, 20, 20, seed=0), 60.0, args.repeats),
        ("preprocess the pad's drawing", lambda: preprocess_drawing(drawn), None, args.repeats),
        ("preprocess 4000² upload", lambda: preprocess_upload(upload), None, max(3, args.repeats // 20)),
        ("posterior chart (SVG)", lambda: figures.posterior_chart(mean, std), None, args.repeats),
        ("latent map, render once", lambda: figures.render(map_layers()), None, max(3, args.repeats // 20)),
        ("latent map, marks per step", lambda: figures.mark_latent_map(map_picture, np.ones(2), np.zeros(2), np.ones(2)),
         None, args.repeats),
        ("studio: slider step", lambda: studio.decode(registry, z, bundle.name), None, args.repeats),
        ("studio: reconstruct", lambda: studio.reconstruct_digit(registry, digit, bundle.name), None, args.repeats),
        ("studio: reconstruct, refined", lambda: studio.reconstruct_digit(registry, digit, bundle.name, refine=True),
         300.0, max(3, args.repeats // 10)),
        ("studio: 10×20 grid", lambda: studio.sample_grid(registry, model=bundle.name), None, args.repeats),
    ]
    print(f"model {bundle.name} (z_dim {model.z_dim}), torch threads {torch.get_num_threads()}, "
          f"{args.repeats} repeats")
    print(f"{'operation':<30}{'median ms':>10}{'p90 ms':>9}{'target ms':>11}  verdict")
    for what, call, target, repeats in cases:
        median, p90 = time_ms(call, repeats)
        verdict = "" if target is None else ("ok" if median <= target else "SLOW")
        print(f"{what:<30}{median:>10.2f}{p90:>9.2f}{'' if target is None else f'{target:.0f}':>11}  {verdict}")


if __name__ == "__main__":
    main()
