"""fit_latents.py on tiny IDX data: it adds to an existing model folder what the app reads of its latent space."""
import json

import torch
from test_registry import write_folder
from tiny_mnist import write_tiny_mnist

import fit_latents
from vae.data import fixed_binarization, load_mnist
from vae.latent_stats import kl_per_dimension
from vae.mixture import COMPONENT_CHOICES, load_mixture
from vae.model import VAE


def test_an_existing_folder_gets_the_kl_of_each_dimension_and_a_learned_distribution(tmp_path, capsys):
    write_tiny_mnist(tmp_path / "data")
    write_folder(tmp_path / "vae", z_dim=3)
    before = json.loads((tmp_path / "vae" / "metrics.json").read_text())
    assert fit_latents.main([str(tmp_path / "vae"), "--data-dir", str(tmp_path / "data"), "--no-download"]) == 0
    after = json.loads((tmp_path / "vae" / "metrics.json").read_text())
    test_x = fixed_binarization(load_mnist(tmp_path / "data", train=False, download=False)[0])
    expected = kl_per_dimension(VAE.from_pretrained(tmp_path / "vae"), test_x)
    torch.testing.assert_close(torch.tensor(after["test"].pop("kl_per_dimension")), expected)
    assert after == before
    mixture = load_mixture(tmp_path / "vae")
    assert mixture.means.shape[1] == 3 and mixture.report["components"] in COMPONENT_CHOICES
    assert mixture.report["fitted_on"] == 200  # the tiny training set's posterior means
    assert "KL per dimension" in capsys.readouterr().out


def test_missing_data_is_one_line(tmp_path, capsys):
    write_folder(tmp_path / "vae", z_dim=3)
    assert fit_latents.main([str(tmp_path / "vae"), "--data-dir", str(tmp_path / "none"), "--no-download"]) == 1
    assert capsys.readouterr().err.startswith("error: MNIST not found")
