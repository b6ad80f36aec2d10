"""train.py under faults: killed mid-run and resumed, a full disk, an output folder it cannot create.

A killed run must leave a loadable checkpoint, and --resume must finish it into the same model an
uninterrupted run gives; a full disk or an unusable --out must end in one error line, never a traceback.
"""
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import safetensors.torch
import torch
from huggingface_hub import metadata_load
from PIL import Image
from safetensors import SafetensorError

import train
from tiny_mnist import write_tiny_mnist
from vae.checkpoint import CHECKPOINT_NAME, load_checkpoint, load_progress
from vae.hub import PUBLISHED_FILES
from vae.registry import load_bundle
from vae.model import VAE

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT_EVERY = 7
KILL_AFTER_CHECKPOINTS = 3
"""The run is killed once its checkpoint has reached this many saves."""
EXTRA_ITERATIONS = 12
"""The resumed run's target is this far past the checkpoint it resumes (not a multiple of the checkpoint interval)."""
LONG_RUN = 1_000_000
"""Iterations of the run that gets killed: far more than it can reach before the kill."""
KILL_TIMEOUT_S = 90
TINY_RUN = ["--device", "cpu", "--z-dim", "2", "--hidden", "32", "--batch-size", "50", "--iwae-k", "5",
            "--threads", "1", "--eval-every", str(CHECKPOINT_EVERY), "--checkpoint-every", str(CHECKPOINT_EVERY),
            "--no-download"]
NO_SPACE = os.strerror(errno.ENOSPC)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("mnist")
    write_tiny_mnist(root)
    return root


def train_args(data_dir: Path, out: Path, iterations: int, *extra: str) -> list[str]:
    return ["--data-dir", str(data_dir), "--out", str(out), "--iterations", str(iterations), *TINY_RUN, *extra]


def checkpoint_iteration(folder: Path) -> int:
    """The iteration of the folder's checkpoint, 0 while there is none."""
    try:
        return load_progress(folder / CHECKPOINT_NAME)["iteration"]
    except (FileNotFoundError, SafetensorError):
        return 0


def killed_run(data_dir: Path, out: Path) -> None:
    """Start train.py on a long run and SIGKILL it as soon as its checkpoint has been saved a few times."""
    process = subprocess.Popen([sys.executable, "train.py", *train_args(data_dir, out, LONG_RUN)], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while checkpoint_iteration(out) < KILL_AFTER_CHECKPOINTS * CHECKPOINT_EVERY:
            assert process.poll() is None, "train.py ended before it could be killed"
            assert time.monotonic() < deadline, "train.py saved no checkpoint in time"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL


def assert_every_file_is_whole(folder: Path) -> None:
    """No temporary files, and each file parses in full as what its name says."""
    names = {path.name for path in folder.iterdir()}
    assert names == set(PUBLISHED_FILES) | {CHECKPOINT_NAME}, names
    for path in folder.iterdir():
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".safetensors":
            assert safetensors.torch.load_file(str(path))
        elif path.suffix == ".png":
            with Image.open(path) as image:
                image.load()
        else:
            assert metadata_load(path)["library_name"] == "vae-digit-studio"


def test_a_killed_run_resumes_into_the_model_of_an_uninterrupted_run(data_dir, tmp_path):
    out = tmp_path / "killed"
    killed_run(data_dir, out)
    saved = load_progress(out / CHECKPOINT_NAME)
    model = VAE(z_dim=2, hidden_dims=[32])
    load_checkpoint(out / CHECKPOINT_NAME, model, torch.optim.Adam(model.parameters()))  # whole, not half-written
    target = saved["iteration"] + EXTRA_ITERATIONS

    assert train.main(train_args(data_dir, out, target, "--resume")) == 0
    assert_every_file_is_whole(out)
    assert json.loads((out / "metrics.json").read_text())["iterations"] == target
    resumed = load_progress(out / CHECKPOINT_NAME)
    assert resumed["iteration"] == target
    for key in ("history", "evaluations"):
        assert resumed[key][:len(saved[key])] == saved[key]
    evaluated_at = [e["iteration"] for e in resumed["evaluations"]]
    assert evaluated_at == sorted(set(evaluated_at)) and evaluated_at[-1] == target
    assert load_bundle(out).model.config == {"z_dim": 2, "hidden_dims": [32], "x_dim": 784}

    uninterrupted = tmp_path / "uninterrupted"
    assert train.main(train_args(data_dir, uninterrupted, target)) == 0
    resumed_weights = safetensors.torch.load_file(str(out / "model.safetensors"))
    reference_weights = safetensors.torch.load_file(str(uninterrupted / "model.safetensors"))
    assert all(torch.equal(resumed_weights[name], reference_weights[name]) for name in reference_weights)


def one_error_line(capsys) -> str:
    """The single line train.py printed to stderr (tqdm's bar aside), checked to hold no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_a_full_disk_while_checkpointing_keeps_the_last_checkpoint_and_resumes(data_dir, tmp_path, monkeypatch,
                                                                                capsys):
    out = tmp_path / "run"
    assert train.main(train_args(data_dir, out, CHECKPOINT_EVERY)) == 0
    real_save_file = safetensors.torch.save_file

    def disk_full(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"\0" * 100)  # the disk filled up part-way through the file
        raise SafetensorError(f"Error while serializing: I/O error: {NO_SPACE} (os error {errno.ENOSPC})")

    monkeypatch.setattr(safetensors.torch, "save_file", disk_full)
    assert train.main(train_args(data_dir, out, 3 * CHECKPOINT_EVERY, "--resume")) == 1
    line = one_error_line(capsys)
    assert str(out) in line and NO_SPACE in line
    assert sorted(path.name for path in out.iterdir()) == sorted([*PUBLISHED_FILES, CHECKPOINT_NAME])
    assert checkpoint_iteration(out) == CHECKPOINT_EVERY  # the old checkpoint, intact

    monkeypatch.setattr(safetensors.torch, "save_file", real_save_file)  # space freed
    assert train.main(train_args(data_dir, out, 3 * CHECKPOINT_EVERY, "--resume")) == 0
    assert_every_file_is_whole(out)
    assert json.loads((out / "metrics.json").read_text())["iterations"] == 3 * CHECKPOINT_EVERY


def test_a_full_disk_while_writing_the_results_is_one_line(data_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"

    def disk_full(metrics, folder):
        raise OSError(errno.ENOSPC, NO_SPACE)

    monkeypatch.setattr(train, "save_metrics", disk_full)
    assert train.main(train_args(data_dir, out, CHECKPOINT_EVERY)) == 1
    assert one_error_line(capsys) == f"error: cannot write {out}: {NO_SPACE}"
    assert checkpoint_iteration(out) == CHECKPOINT_EVERY


@pytest.mark.parametrize("out_under_file", [False, True], ids=["out-is-a-file", "out-inside-a-file"])
def test_an_output_folder_that_cannot_be_created_is_one_line(data_dir, tmp_path, capsys, out_under_file):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "run" if out_under_file else blocker
    assert train.main(train_args(data_dir, out, CHECKPOINT_EVERY)) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"error: cannot write {out}") and ("Not a directory" in line or "File exists" in line)
    assert blocker.read_text() == "not a folder"


def test_an_output_folder_that_cannot_be_created_fails_in_the_cli_without_a_traceback(data_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run([sys.executable, "train.py", *train_args(data_dir, blocker / "run", CHECKPOINT_EVERY)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"error: cannot write {blocker / 'run'}: Not a directory"]
