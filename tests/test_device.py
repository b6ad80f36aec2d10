"""--device: auto's choice of CUDA, MPS or the CPU, and the one-sentence refusal of a device that is absent."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vae.device import DeviceNotFoundError, device_name, pick_device

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def devices(monkeypatch):
    """Set which accelerators torch reports: devices(cuda=..., mps=...)."""
    def present(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    return present


@pytest.mark.parametrize("cuda, mps, chosen", [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"),
                                               (False, False, "cpu")])
def test_auto_picks_cuda_then_mps_then_the_cpu(devices, cuda, mps, chosen):
    devices(cuda=cuda, mps=mps)
    assert pick_device("auto") == torch.device(chosen)


@pytest.mark.parametrize("choice", ["cuda", "mps", "cpu"])
def test_a_present_device_is_taken_as_asked(devices, choice):
    devices(cuda=True, mps=True)
    assert pick_device(choice) == torch.device(choice)


@pytest.mark.parametrize("choice", ["cuda", "mps"])
def test_an_absent_device_is_one_sentence_with_the_way_out(devices, choice):
    devices(cuda=False, mps=False)
    with pytest.raises(DeviceNotFoundError) as raised:
        pick_device(choice)
    message = str(raised.value)
    assert message.startswith(f"--device {choice} was asked for, but ") and "--device auto" in message
    assert "\n" not in message and message.endswith(".") and ". " not in message


def test_the_cpu_is_named_cpu_in_the_metrics():
    assert device_name(torch.device("cpu")) == "cpu"


def test_training_on_an_absent_gpu_exits_1_with_one_error_line_before_reading_data(tmp_path):
    no_gpu = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "train.py", "--device", "cuda", "--data-dir", str(tmp_path / "nothing"),
                             "--no-download", "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=no_gpu)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --device cuda was asked for, but ") and "--device auto" in line
    assert not (tmp_path / "out").exists()
