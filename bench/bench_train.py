"""Training speed: our loop vs a faithful reference loop, to the same test NELBO, in one run, on one device.

Reference (CS236 / pytorch-examples style): torchvision MNIST through a per-batch DataLoader with
ToTensor, torch.bernoulli per batch, batch 100, Adam 1e-3, 784-300-300 model, eager steps. Ours: the
whole set as one tensor on the device, epoch-wise binarisation there (vae.data.training_batches), and
train.py's step (vae.training: one CUDA graph per step on CUDA), run twice: with the reference
hyper-parameters (ours-ref: the it/s to compare) and with the fast recipe below (ours-fast: bf16
autocast matrix products on the CPU, float32 on GPUs; bounds and evaluation float32 everywhere).
Each loop is stopped when the full 10k test set's NELBO reaches --target (evaluation time excluded
from the clock, and so is the CUDA graph's warm-up and capture, printed apart); the reference loops
after at most --max-iterations, ours-fast at the end of its cosine schedule.

    python bench/bench_train.py --data-dir ../shared/data [--device cuda] [--loops ours-ref ours-fast]
"""
import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vae.data import fixed_binarization, load_mnist, training_batches  # noqa: E402
from vae.device import DEVICE_CHOICES, DeviceNotFoundError, device_name, pick_device  # noqa: E402
from vae.evaluate import evaluate  # noqa: E402
from vae.model import VAE  # noqa: E402
from vae.training import Step, make_optimizer, make_step, set_learning_rate, training_step  # noqa: E402

LOOPS = ("reference", "ours-ref", "ours-fast")


class Recipe(NamedTuple):
    """What one timed loop trains: its description, hidden widths, batch size, lr schedule, precision, length cap."""
    description: str
    hidden: list[int]
    batch: int
    lr_at: Callable[[int], float]
    bf16: bool
    max_iterations: int


def reference_batches(data_dir: str, device: torch.device) -> Iterator[torch.Tensor]:
    """The classic input pipeline: PIL → ToTensor per image, collated by a DataLoader, binarised per batch."""
    dataset = MNIST(data_dir, train=True, download=False, transform=transforms.ToTensor())
    while True:
        for images, _ in DataLoader(dataset, batch_size=100, shuffle=True):
            yield torch.bernoulli(images.view(-1, 784).to(device))


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on a GPU, so that the clock measures it (CUDA and MPS run asynchronously)."""
    if device.type != "cpu":
        torch.get_device_module(device.type).synchronize()


def time_to_target(name: str, model: VAE, optimizer: torch.optim.Optimizer, step: Step,
                   batches: Iterator[torch.Tensor], lr_at: Callable[[int], float], test_x: torch.Tensor,
                   target: float, max_iterations: int, eval_every: int) -> dict:
    """Train until the test NELBO ≤ target; return iterations, training and capture seconds, last test NELBO."""
    device = test_x.device
    done, trained_s, nelbo = 0, 0.0, float("inf")
    while done < max_iterations and nelbo > target:
        synchronize(device)
        began = time.perf_counter()
        for iteration in range(done, min(done + eval_every, max_iterations)):
            set_learning_rate(optimizer, lr_at(iteration))
            step(next(batches))
        synchronize(device)
        trained_s += time.perf_counter() - began
        done = iteration + 1
        nelbo = evaluate(model.eval(), test_x, iwae_k=0, progress=False)[0]["nelbo"]
        model.train()
        print(f"  {name}: {done:6d} it  {trained_s:7.1f} s  test NELBO {nelbo:.2f}", flush=True)
    capture_s = getattr(step, "capture_s", 0.0)
    trained_s -= capture_s
    return {"iterations": done, "seconds": trained_s, "capture_s": capture_s, "nelbo": nelbo,
            "it_per_s": done / trained_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="auto: CUDA, then MPS, then the CPU")
    parser.add_argument("--loops", nargs="+", choices=LOOPS, default=list(LOOPS), help="which loops to time")
    parser.add_argument("--target", type=float, default=99.5, help="test NELBO to reach (nats)")
    parser.add_argument("--max-iterations", type=int, default=40_000, help="of the reference-recipe loops")
    parser.add_argument("--eval-every", type=int, default=500, help="iterations of batch 100 between evaluations")
    parser.add_argument("--fast-batch", type=int, default=128)
    parser.add_argument("--fast-lr", type=float, default=2.5e-3)
    parser.add_argument("--fast-epochs", type=float, default=18, help="cosine horizon (and length) of the fast recipe")
    parser.add_argument("--fast-hidden", type=int, nargs="+", default=[300, 300])
    parser.add_argument("--fast-precision", choices=["auto", "bf16", "fp32"], default="auto",
                        help="of ours-fast's matrix products; auto: bf16 on the CPU, fp32 on GPUs (launch-bound there)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except DeviceNotFoundError as error:
        sys.exit(f"error: {error}")
    fast_bf16 = args.fast_precision == "bf16" or (args.fast_precision == "auto" and device.type == "cpu")

    train_images = load_mnist(args.data_dir, train=True, download=False)[0].to(device)
    test_x = fixed_binarization(load_mnist(args.data_dir, train=False, download=False)[0]).to(device)
    horizon = math.ceil(args.fast_epochs * len(train_images) / args.fast_batch)
    reference = Recipe("batch 100, Adam 1e-3 constant, hidden [300, 300], fp32", [300, 300], 100, lambda i: 1e-3,
                       False, args.max_iterations)
    recipes = {
        "reference": reference._replace(description=f"DataLoader, eager steps, {reference.description}"),
        "ours-ref": reference,
        "ours-fast": Recipe(f"batch {args.fast_batch}, Adam {args.fast_lr} cosine/{args.fast_epochs} ep, hidden "
                            f"{args.fast_hidden}, {'bf16 autocast' if fast_bf16 else 'fp32'}", args.fast_hidden,
                            args.fast_batch, lambda i: 0.5 * args.fast_lr * (1 + math.cos(math.pi * i / horizon)),
                            fast_bf16, horizon),
    }
    rows = []
    for name in args.loops:
        recipe = recipes[name]
        torch.manual_seed(0)
        model = VAE(10, recipe.hidden).to(device)
        if name == "reference":
            optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr_at(0))
            step, batches = partial(training_step, model, optimizer, False), reference_batches(args.data_dir, device)
        else:
            optimizer = make_optimizer(model, recipe.lr_at(0), device)
            step = make_step(model, optimizer, recipe.bf16, device)
            batches = training_batches(train_images, recipe.batch, seed=0)
        result = time_to_target(name, model, optimizer, step, batches, recipe.lr_at, test_x, args.target,
                                recipe.max_iterations, max(1, args.eval_every * 100 // recipe.batch))
        rows.append((name, recipe.batch, recipe.description, result))

    print(f"\ntime to test NELBO <= {args.target} on {device_name(device)}"
          f"{f', {torch.get_num_threads()} threads' if device.type == 'cpu' else ''} "
          "(training time only; CUDA graph warm-up + capture apart)")
    print(f"{'loop':10s} {'it/s':>7s} {'samples/s':>10s} {'iterations':>10s} {'seconds':>8s} {'capture':>8s} "
          f"{'NELBO':>7s}  recipe")
    for name, batch, recipe, r in rows:
        reached = "" if r["nelbo"] <= args.target else " (not reached)"
        print(f"{name:10s} {r['it_per_s']:7.1f} {r['it_per_s'] * batch:10.0f} {r['iterations']:10d} "
              f"{r['seconds']:8.2f} {r['capture_s']:8.2f} {r['nelbo']:7.2f}  {recipe}{reached}")
    seconds = {name: r["seconds"] for name, _, _, r in rows}
    for ours in ("ours-ref", "ours-fast"):
        if "reference" in seconds and ours in seconds:
            print(f"speed-up to target, {ours} vs reference: {seconds['reference'] / seconds[ours]:.1f}x")


if __name__ == "__main__":
    main()
