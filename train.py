"""Train a VAE on binarised MNIST, evaluate it on the test set, save it (and optionally publish it).

Reference setup (CS236):  python train.py --data-dir ../shared/data --out runs/reference
Shipped z=10 model:       see README.md ("Training") for the exact recipe.
On a GPU:                 python train.py ... --device cuda   (the default, auto, takes CUDA, then MPS, then the CPU)
Ten seeds of the reference setup and their table: replicate.py.
"""
import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch
from safetensors import SafetensorError
from tqdm.auto import tqdm

from vae.checkpoint import CHECKPOINT_NAME, load_checkpoint, load_progress, save_checkpoint
from vae.data import DatasetNotFoundError, fixed_binarization, load_mnist, training_batches
from vae.device import DEVICE_CHOICES, DeviceNotFoundError, device_name, pick_device
from vae.evaluate import evaluate
from vae.hub import PushError, push_folder
from vae.latent_stats import class_statistics, order_by_kl, posterior_means, save_class_statistics, save_test_latents
from vae.mixture import fit_mixture, save_mixture
from vae.model import VAE
from vae.report import CURVE_NAME, SAMPLES_NAME, save_metrics, save_model_card, save_sample_grid, save_training_curve
from vae.training import make_optimizer, make_step, set_learning_rate

TRAIN_SET_SIZE = 60_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="data", help="folder holding MNIST/raw (downloaded there if missing)")
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading a missing MNIST")
    parser.add_argument("--out", type=Path, default=Path("weights/vae-z10"), help="output folder (weights/<name>)")
    parser.add_argument("--z-dim", type=int, default=10, help="latent dimensions")
    parser.add_argument("--hidden", type=int, nargs="+", default=[300, 300], help="hidden layer widths")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--iterations", type=int, default=20_000, help="optimizer steps")
    length.add_argument("--epochs", type=float, help="passes over the training set (sets --iterations)")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (peak for cosine)")
    parser.add_argument("--lr-schedule", choices=["constant", "cosine"], default="constant",
                        help="cosine decays the rate to zero over the run")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto",
                        help="where to train and evaluate: auto picks CUDA, then MPS, then the CPU")
    parser.add_argument("--bf16", action="store_true",
                        help="bfloat16 matrix products in training steps, on any device (about 2x faster on CPUs "
                             "with AVX512-BF16 or AMX; off by default on GPUs too, where this small model is bound by "
                             "kernel launches, not arithmetic); weights, bounds and evaluation stay float32")
    parser.add_argument("--seed", type=int, default=0, help="seeds data order, noise and samples.png")
    parser.add_argument("--resume", action="store_true", help=f"continue from <out>/{CHECKPOINT_NAME}")
    parser.add_argument("--checkpoint-every", type=int, default=1000, help="iterations between checkpoints")
    parser.add_argument("--eval-every", type=int, default=1000, help="iterations between test-NELBO points")
    parser.add_argument("--iwae-k", type=int, default=1000, help="importance samples of the final NLL estimate")
    parser.add_argument("--latent-mixture", action=argparse.BooleanOptionalAction, default=True,
                        help="fit the learned latent distribution the app samples from (minutes for wide latents)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--push-to-hub", metavar="REPO_ID", help="upload the finished folder to this Hub repo")
    parser.add_argument("--private", action="store_true", help="create the Hub repo as private")
    parser.add_argument("--push-only", type=Path, metavar="DIR",
                        help="skip training: upload an existing finished folder (needs --push-to-hub)")
    args = parser.parse_args(argv)
    if args.epochs is not None:
        args.iterations = math.ceil(args.epochs * TRAIN_SET_SIZE / args.batch_size)
    if args.push_only and not args.push_to_hub:
        parser.error("--push-only needs --push-to-hub REPO_ID")
    return args


def learning_rate(args: argparse.Namespace, iteration: int) -> float:
    """The learning rate at an iteration: constant, or cosine decay from args.lr to zero."""
    if args.lr_schedule == "constant":
        return args.lr
    return 0.5 * args.lr * (1 + math.cos(math.pi * iteration / args.iterations))


def train(args: argparse.Namespace, model: VAE, train_images: torch.Tensor, test_x: torch.Tensor) -> dict:
    """The optimisation loop with checkpoints, on the device of the data and model (binary test_x
    `(n, 784)`, grey train_images `(60000, 784)`); returns the progress dict (iteration, history, ...)."""
    device = train_images.device
    optimizer = make_optimizer(model, args.lr, device)
    checkpoint = args.out / CHECKPOINT_NAME
    progress = {"iteration": 0, "elapsed_s": 0.0, "history": [], "evaluations": [], "config": model.config}
    if args.resume and checkpoint.exists():
        saved_config = load_progress(checkpoint)["config"]
        if saved_config != model.config:
            sys.exit(f"error: {checkpoint} was trained with {saved_config}, not {model.config}; "
                     "pass the same --z-dim/--hidden or a new --out.")
        progress = load_checkpoint(checkpoint, model, optimizer, map_location=device)
    elif checkpoint.exists():
        sys.exit(f"error: {checkpoint} exists; pass --resume to continue it, or choose another --out.")

    start = progress["iteration"]
    step = make_step(model, optimizer, args.bf16, device)
    batches = training_batches(train_images, args.batch_size, args.seed, start)
    began = time.perf_counter() - progress["elapsed_s"]
    running, summed = torch.zeros(3, device=device), 0  # training NELBO/KL/Rec summed since the last history point
    bar = tqdm(range(start, args.iterations), initial=start, total=args.iterations, desc="train", unit="it")
    for iteration in bar:
        set_learning_rate(optimizer, learning_rate(args, iteration))
        running += step(next(batches))
        summed += 1

        done = iteration + 1
        if done % 100 == 0 or done == args.iterations:
            nelbo_avg, kl_avg, rec_avg = (running / summed).tolist()
            running, summed = torch.zeros(3, device=device), 0
            progress["history"].append({"iteration": done, "nelbo": nelbo_avg, "kl": kl_avg, "rec": rec_avg})
            bar.set_postfix(NELBO=f"{nelbo_avg:.1f}", KL=f"{kl_avg:.1f}", Rec=f"{rec_avg:.1f}")
        if done % args.eval_every == 0 or done == args.iterations:
            model.eval()
            test, _ = evaluate(model, test_x, iwae_k=0, progress=False)
            model.train()
            progress["evaluations"].append({"iteration": done, "elapsed_s": time.perf_counter() - began,
                                            "nelbo": test["nelbo"], "kl": test["kl"], "rec": test["rec"]})
        if done % args.checkpoint_every == 0 or done == args.iterations:
            progress.update(iteration=done, elapsed_s=time.perf_counter() - began)
            save_checkpoint(checkpoint, model, optimizer, progress)
    bar.close()
    return progress


def write_outputs(args: argparse.Namespace, model: VAE, progress: dict, train: tuple, test: tuple) -> dict:
    """Evaluate the final model on (binary images, labels) of the test set on its training device, then move it to
    the CPU, number its latent dimensions by KL, and write weights, metrics, pictures, latent statistics, the learned
    latent distribution and model card."""
    (train_images, train_labels), (test_x, test_labels) = train, test
    device = next(model.parameters()).device
    model.eval()
    test_on_device = test_x.to(device)
    kl_per_dimension = order_by_kl(model, test_on_device)  # an exact renumbering: z1 carries the most
    figures, per_digit_nll = evaluate(model, test_on_device, iwae_k=args.iwae_k)
    figures["kl_per_dimension"] = kl_per_dimension
    model.cpu()  # samples.png (a CPU generator), latent statistics and the published files are made on the CPU
    train_means = posterior_means(model, fixed_binarization(train_images))
    metrics = {
        "test": figures,
        "iwae_k": args.iwae_k,
        "iterations": progress["iteration"],
        "wall_time_s": progress["elapsed_s"],
        "seed": args.seed,
        "device": device_name(device),
        "config": model.config,
        "recipe": {"batch_size": args.batch_size, "lr": args.lr, "lr_schedule": args.lr_schedule, "bf16": args.bf16,
                   "optimizer": "Adam", "binarisation": "dynamic (train), fixed seed (test)"},
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    model.save_pretrained(args.out)
    save_metrics(metrics, args.out)
    save_sample_grid(model, args.out / SAMPLES_NAME, args.seed)
    save_training_curve(progress["history"], progress["evaluations"], args.out / CURVE_NAME)
    save_class_statistics(class_statistics(train_means, train_labels), args.out)
    save_test_latents(model, test_x, test_labels, per_digit_nll, args.out)
    if args.latent_mixture:
        save_mixture(fit_mixture(train_means.numpy(), train_labels.numpy(), args.seed), args.out)
    save_model_card(args.out, metrics, args.push_to_hub)
    return metrics


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        if not args.push_only:
            device = pick_device(args.device)
            train_images, train_labels = load_mnist(args.data_dir, train=True, download=not args.no_download)
            test_images, test_labels = load_mnist(args.data_dir, train=False, download=not args.no_download)
            test_x = fixed_binarization(test_images)
            args.out.mkdir(parents=True, exist_ok=True)
            torch.manual_seed(args.seed)  # initial weights, then training noise (a resume restores its RNG)
            model = VAE(z_dim=args.z_dim, hidden_dims=args.hidden).to(device)  # the same start on every device
            progress = train(args, model, train_images.to(device), test_x.to(device))
            metrics = write_outputs(args, model, progress, (train_images, train_labels), (test_x, test_labels))
            print(json.dumps(metrics["test"], indent=2))
            print(f"saved to {args.out}")
        if args.push_to_hub:
            url = push_folder(args.push_only or args.out, args.push_to_hub, private=args.private)
            print(f"pushed to {url}")
    except (DatasetNotFoundError, DeviceNotFoundError, PushError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: cannot write {error.filename or args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    except SafetensorError as error:  # how safetensors reports its own I/O failures (a full disk) and corrupt files
        print(f"error: cannot write or read a .safetensors file in {args.out}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
