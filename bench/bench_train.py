"""Training speed: our loop vs a faithful reference loop, to the same test NELBO, in one run.

Reference (CS236 / pytorch-examples style): torchvision MNIST through a per-batch DataLoader with
ToTensor, torch.bernoulli per batch, batch 100, Adam 1e-3, 784-300-300 model. Ours: the whole set as
one tensor, epoch-wise binarisation (vae.data.training_batches), bfloat16 matrix products (autocast;
bounds and evaluation in float32) and the fast recipe below.
Both are stopped when the full 10k test set's NELBO reaches --target (evaluation time excluded from
the clock); the reference after at most --max-iterations, ours at the end of its cosine schedule.

    python bench/bench_train.py --data-dir ../shared/data
"""
import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from torchvision import transforms
from torchvision.datasets import MNIST

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from vae.data import fixed_binarization, load_mnist, training_batches  # noqa: E402
from vae.evaluate import evaluate  # noqa: E402
from vae.model import VAE  # noqa: E402


def reference_batches(data_dir: str) -> Iterator[torch.Tensor]:
    """The classic input pipeline: PIL → ToTensor per image, collated by a DataLoader, binarised per batch."""
    dataset = MNIST(data_dir, train=True, download=False, transform=transforms.ToTensor())
    while True:
        for images, _ in DataLoader(dataset, batch_size=100, shuffle=True):
            yield torch.bernoulli(images.view(-1, 784))


def time_to_target(name: str, model: VAE, batches: Iterator[torch.Tensor], lr_at: Callable[[int], float],
                   test_x: torch.Tensor, target: float, max_iterations: int, eval_every: int,
                   bf16: bool = False) -> dict:
    """Train until the test NELBO ≤ target; return iterations, training seconds and last test NELBO."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr_at(0))
    trained_s, nelbo = 0.0, float("inf")
    for iteration in range(1, max_iterations + 1):
        start = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = lr_at(iteration - 1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model.negative_elbo_bound(next(batches))[0]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        trained_s += time.perf_counter() - start
        if iteration % eval_every == 0:
            nelbo = evaluate(model.eval(), test_x, iwae_k=0, progress=False)[0]["nelbo"]
            model.train()
            print(f"  {name}: {iteration:6d} it  {trained_s:7.1f} s  test NELBO {nelbo:.2f}", flush=True)
            if nelbo <= target:
                break
    return {"iterations": iteration, "seconds": trained_s, "nelbo": nelbo, "it_per_s": iteration / trained_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--target", type=float, default=99.5, help="test NELBO to reach (nats)")
    parser.add_argument("--max-iterations", type=int, default=40_000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--fast-batch", type=int, default=128)
    parser.add_argument("--fast-lr", type=float, default=2.5e-3)
    parser.add_argument("--fast-epochs", type=float, default=18, help="cosine horizon (and length) of the fast recipe")
    parser.add_argument("--fast-hidden", type=int, nargs="+", default=[300, 300])
    parser.add_argument("--fast-fp32", action="store_true", help="train ours in float32 (default: bf16 autocast)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train_images, _ = load_mnist(args.data_dir, train=True, download=False)
    test_x = fixed_binarization(load_mnist(args.data_dir, train=False, download=False)[0])
    horizon = math.ceil(args.fast_epochs * len(train_images) / args.fast_batch)

    torch.manual_seed(0)
    ours = time_to_target(
        "ours", VAE(10, args.fast_hidden), training_batches(train_images, args.fast_batch, seed=0),
        lambda i: 0.5 * args.fast_lr * (1 + math.cos(math.pi * min(i, horizon) / horizon)),
        test_x, args.target, horizon, args.eval_every * 100 // args.fast_batch, bf16=not args.fast_fp32)
    rows = [("ours", f"batch {args.fast_batch}, Adam {args.fast_lr} cosine/{args.fast_epochs} ep, "
                     f"hidden {args.fast_hidden}, {'fp32' if args.fast_fp32 else 'bf16 autocast'}", ours)]
    if not args.skip_reference:
        torch.manual_seed(0)
        reference = time_to_target("reference", VAE(10, [300, 300]), reference_batches(args.data_dir),
                                   lambda i: 1e-3, test_x, args.target, args.max_iterations, args.eval_every)
        rows.insert(0, ("reference", "DataLoader, batch 100, Adam 1e-3 constant, hidden [300, 300]", reference))

    print(f"\ntime to test NELBO <= {args.target} on {torch.get_num_threads()} threads (training time only)")
    print(f"{'loop':10s} {'it/s':>7s} {'samples/s':>10s} {'iterations':>10s} {'seconds':>8s} {'NELBO':>7s}  recipe")
    for name, recipe, r in rows:
        batch = 100 if name == "reference" else args.fast_batch
        reached = "" if r["nelbo"] <= args.target else " (not reached)"
        print(f"{name:10s} {r['it_per_s']:7.1f} {r['it_per_s'] * batch:10.0f} {r['iterations']:10d} "
              f"{r['seconds']:8.1f} {r['nelbo']:7.2f}  {recipe}{reached}")
    if len(rows) == 2:
        print(f"speed-up to target: {rows[0][2]['seconds'] / rows[1][2]['seconds']:.1f}x")


if __name__ == "__main__":
    main()
