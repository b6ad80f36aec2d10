"""train.py end to end on tiny IDX data: the folder it leaves, resuming, refusals and the CLI's errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch
from huggingface_hub import metadata_load
from PIL import Image

import train
from tiny_mnist import write_tiny_mnist
from vae.checkpoint import CHECKPOINT_NAME, load_progress
from vae.data import fixed_binarization, load_mnist
from vae.evaluate import evaluate
from vae.hub import PUBLISHED_FILES
from vae.model import VAE
from vae.limits import DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS

ROOT = Path(__file__).resolve().parents[1]
N_TRAIN, N_TEST, ITERATIONS, EVAL_EVERY = 200, 100, 30, 10
TINY_RUN = ["--device", "cpu", "--z-dim", "2", "--hidden", "32", "--batch-size", "50", "--iwae-k", "5",
            "--eval-every", str(EVAL_EVERY), "--checkpoint-every", str(EVAL_EVERY), "--no-download"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mnist")
    write_tiny_mnist(root, N_TRAIN, N_TEST)
    return root


def run_train(data_dir: Path, out: Path, iterations: int, *extra: str) -> None:
    """train.main on the tiny data; fails the test unless it succeeds."""
    assert train.main(["--data-dir", str(data_dir), "--out", str(out), "--iterations", str(iterations),
                       *TINY_RUN, *extra]) == 0


@pytest.fixture(scope="module")
def finished_run(data_dir, tmp_path_factory) -> Path:
    """The folder of an uninterrupted ITERATIONS-iteration run."""
    out = tmp_path_factory.mktemp("runs") / "uninterrupted"
    run_train(data_dir, out, ITERATIONS)
    return out


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def weights(folder: Path) -> dict[str, torch.Tensor]:
    return safetensors.torch.load_file(str(folder / "model.safetensors"))


def test_a_run_leaves_every_published_file_and_a_checkpoint(finished_run):
    names = {path.name for path in finished_run.iterdir()}
    assert set(PUBLISHED_FILES) | {CHECKPOINT_NAME} <= names
    assert not any(name.endswith((".bin", ".pt", ".pth", ".pkl", ".tmp")) for name in names)


def test_metrics_hold_test_figures_and_provenance(finished_run):
    metrics = read_json(finished_run / "metrics.json")
    kl_per_dimension = metrics["test"].pop("kl_per_dimension")
    assert set(metrics["test"]) == {"nelbo", "kl", "rec", "iwae_nll"}
    assert all(0 < value < 784 for value in metrics["test"].values())  # finite nats, below 1 nat per pixel
    assert len(kl_per_dimension) == 2 and kl_per_dimension == sorted(kl_per_dimension, reverse=True)  # z1 first
    assert sum(kl_per_dimension) == pytest.approx(metrics["test"]["kl"], rel=0.05)
    assert metrics["test"]["nelbo"] == pytest.approx(metrics["test"]["kl"] + metrics["test"]["rec"])
    assert metrics["iterations"] == ITERATIONS and metrics["iwae_k"] == 5 and metrics["seed"] == 0
    assert metrics["device"] == "cpu"
    assert metrics["wall_time_s"] > 0
    assert metrics["versions"]["torch"] == torch.__version__
    assert metrics["config"] == {"z_dim": 2, "hidden_dims": [32], "x_dim": 784}


def test_the_saved_model_loads_and_its_figures_reproduce(finished_run, data_dir):
    model = VAE.from_pretrained(finished_run)
    assert model.config == read_json(finished_run / "config.json") == {"z_dim": 2, "hidden_dims": [32], "x_dim": 784}
    test_images, _ = load_mnist(data_dir, train=False, download=False)
    figures, _ = evaluate(model, fixed_binarization(test_images), iwae_k=5, progress=False)
    saved = read_json(finished_run / "metrics.json")["test"]
    saved.pop("kl_per_dimension")
    assert figures == pytest.approx(saved)


def test_the_sample_grid_is_10_by_20_digits_with_2px_padding(finished_run):
    padding, side = 2, 28
    with Image.open(finished_run / "samples.png") as image:
        assert image.size == (DEFAULT_GRID_COLUMNS * (side + padding) + padding,
                              DEFAULT_GRID_ROWS * (side + padding) + padding)
    assert (DEFAULT_GRID_ROWS, DEFAULT_GRID_COLUMNS) == (10, 20)
    with Image.open(finished_run / "training_curve.png") as curve:
        assert curve.format == "PNG" and min(curve.size) > 100


def test_latent_statistics_cover_every_digit(finished_run):
    stats = read_json(finished_run / "class_stats.json")
    assert stats["z_dim"] == 2 and sorted(stats["classes"], key=int) == [str(d) for d in range(10)]
    assert sum(entry["count"] for entry in stats["classes"].values()) == N_TRAIN
    assert all(len(entry["mean"]) == 2 and len(entry["cov"]) == 2 for entry in stats["classes"].values())
    latents = safetensors.torch.load_file(str(finished_run / "test_latents.safetensors"))
    assert latents["posterior_mean"].shape == (N_TEST, 2)
    assert torch.equal(latents["label"], torch.arange(N_TEST) % 10)
    assert latents["iwae_nll"].shape == (N_TEST,) and torch.isfinite(latents["iwae_nll"]).all()
    metrics = read_json(finished_run / "metrics.json")
    assert latents["iwae_nll"].mean().item() == pytest.approx(metrics["test"]["iwae_nll"], rel=1e-5)


def test_the_model_card_carries_hub_metadata(finished_run):
    metadata = metadata_load(finished_run / "README.md")
    metrics = read_json(finished_run / "metrics.json")
    assert metadata["library_name"] == "vae-digit-studio" and metadata["license"] == "mit"
    assert "mnist" in metadata["datasets"] and "vae" in metadata["tags"]
    reported = {m["type"]: m["value"] for m in metadata["model-index"][0]["results"][0]["metrics"]}
    assert reported["nelbo"] == pytest.approx(metrics["test"]["nelbo"], abs=0.005)
    assert reported["nll"] == pytest.approx(metrics["test"]["iwae_nll"], abs=0.005)


def test_a_resumed_run_continues_and_matches_an_uninterrupted_one(data_dir, finished_run, tmp_path):
    interrupted_at = 25  # between evaluations and checkpoints, to catch RNG or averaging drift
    out = tmp_path / "resumed"
    run_train(data_dir, out, interrupted_at)
    assert read_json(out / "metrics.json")["iterations"] == interrupted_at
    run_train(data_dir, out, ITERATIONS, "--resume")
    assert read_json(out / "metrics.json")["iterations"] == ITERATIONS
    resumed_weights, uninterrupted_weights = weights(out), weights(finished_run)
    assert resumed_weights.keys() == uninterrupted_weights.keys()
    assert all(torch.equal(resumed_weights[name], uninterrupted_weights[name]) for name in resumed_weights)
    assert read_json(out / "metrics.json")["test"] == read_json(finished_run / "metrics.json")["test"]


def test_resuming_extends_the_history_and_evaluations(data_dir, tmp_path):
    out = tmp_path / "resumed"
    run_train(data_dir, out, 2 * EVAL_EVERY)
    before = load_progress(out / CHECKPOINT_NAME)
    run_train(data_dir, out, ITERATIONS, "--resume")
    after = load_progress(out / CHECKPOINT_NAME)
    assert after["iteration"] == ITERATIONS and after["elapsed_s"] >= before["elapsed_s"]
    assert after["history"][:len(before["history"])] == before["history"]
    assert [h["iteration"] for h in after["history"]] == [2 * EVAL_EVERY, ITERATIONS]
    assert [e["iteration"] for e in after["evaluations"]] == [EVAL_EVERY, 2 * EVAL_EVERY, ITERATIONS]
    # the resumed window averages its own 10 iterations: close to the test NELBO, not a fraction of it
    assert after["history"][-1]["nelbo"] == pytest.approx(after["evaluations"][-1]["nelbo"], rel=0.2)


def test_a_different_seed_gives_different_weights(data_dir, finished_run, tmp_path):
    out = tmp_path / "seed1"
    run_train(data_dir, out, ITERATIONS, "--seed", "1")
    other, reference = weights(out), weights(finished_run)
    assert not any(torch.equal(other[name], reference[name]) for name in reference)


def test_training_again_without_resume_refuses_and_keeps_the_folder(data_dir, finished_run):
    before = {path.name: path.read_bytes() for path in finished_run.iterdir()}
    with pytest.raises(SystemExit) as raised:
        run_train(data_dir, finished_run, ITERATIONS)
    message = str(raised.value.code)
    assert message.startswith("error: ") and str(finished_run / CHECKPOINT_NAME) in message
    assert "--resume" in message and "--out" in message
    assert {path.name: path.read_bytes() for path in finished_run.iterdir()} == before


def test_resuming_with_another_architecture_refuses(data_dir, tmp_path):
    out = tmp_path / "run"
    run_train(data_dir, out, EVAL_EVERY)
    with pytest.raises(SystemExit) as raised:
        run_train(data_dir, out, ITERATIONS, "--resume", "--z-dim", "3")
    assert "--z-dim" in str(raised.value.code) and "'z_dim': 2" in str(raised.value.code)


def test_evaluation_leaves_the_callers_random_state_alone():
    torch.manual_seed(0)
    model, x = VAE(z_dim=2, hidden_dims=[16]), torch.bernoulli(torch.full((20, 784), 0.3))
    state = torch.get_rng_state()
    first, _ = evaluate(model, x, iwae_k=3, progress=False)
    assert torch.equal(torch.get_rng_state(), state)
    second, _ = evaluate(model, x, iwae_k=3, progress=False)
    assert first == second


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """python train.py ARGS in a subprocess from the repository root."""
    return subprocess.run([sys.executable, "train.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_help_lists_the_publishing_resuming_and_data_options():
    result = run_cli("--help")
    assert result.returncode == 0
    for option in ("--push-to-hub", "--push-only", "--resume", "--data-dir", "--no-download", "--device"):
        assert option in result.stdout


def test_missing_data_prints_one_error_line_and_exits_non_zero(tmp_path):
    result = run_cli("--data-dir", str(tmp_path), "--no-download", "--out", str(tmp_path / "out"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert str(tmp_path.resolve() / "MNIST" / "raw") in lines[0] and "--data-dir" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_learned_latent_distribution_can_be_left_out(data_dir, tmp_path):
    run_train(data_dir, tmp_path / "run", 20, "--no-latent-mixture")
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert not (tmp_path / "run" / "latent_mixture.safetensors").exists()
