"""The VAE's shapes, bounds, samplers, a few training steps and the save/load round trip."""
import json
import math

import pytest
import torch

import vae.model
from tiny_mnist import digit_like_images
from vae.data import fixed_binarization
from vae.model import VAE

Z_DIM, HIDDEN = 4, [64]


@pytest.fixture
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(z_dim=Z_DIM, hidden_dims=HIDDEN)


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    """300 binary digit-like images `(300, 784)`."""
    images, _ = digit_like_images(300, seed=0)
    return fixed_binarization(torch.from_numpy(images).reshape(300, -1).float() / 255)


def repeated(bound, times: int) -> torch.Tensor:
    """`times` independent evaluations `(times,)` of a stochastic scalar bound, seeded for reproducibility."""
    torch.manual_seed(1)
    with torch.no_grad():
        return torch.stack([bound() for _ in range(times)])


def test_encode_and_decode_shapes_and_positive_variance(model, digits):
    mean, var = model.encode(digits[:7])
    assert mean.shape == var.shape == (7, Z_DIM)
    assert torch.all(var > 0)
    assert model.decode(mean).shape == (7, 784)
    assert model.decode(torch.zeros(3, 5, Z_DIM)).shape == (3, 5, 784)


def test_variance_stays_positive_when_the_encoder_saturates(model, digits):
    with torch.no_grad():
        model.encoder[-1].bias[Z_DIM:] = -1e4  # softplus underflows to exactly 0
    _, var = model.encode(digits[:3])
    assert torch.all(var > 0) and torch.all(torch.isfinite(var.log()))


def test_negative_elbo_is_kl_plus_reconstruction(model, digits):
    nelbo, kl, rec = model.negative_elbo_bound(digits[:50])
    assert nelbo.shape == kl.shape == rec.shape == ()
    torch.testing.assert_close(nelbo, kl + rec)
    assert kl.item() > 0 and rec.item() > 0


def test_iwae_is_below_the_negative_elbo_and_non_increasing_in_k(model, digits):
    ks, times = [1, 4, 16, 64], 5
    nelbo = repeated(lambda: model.negative_elbo_bound(digits)[0], times).mean().item()
    niwae = [repeated(lambda: model.negative_iwae_bound(digits, k)[0], times).mean().item() for k in ks]
    tolerance = 0.5  # nats per digit, well above the Monte Carlo error of 5 × 300 digits
    assert all(bound < nelbo + tolerance for bound in niwae)
    assert all(later <= earlier + tolerance for earlier, later in zip(niwae, niwae[1:]))
    assert niwae[-1] < niwae[0] - 1  # the bound really tightens on an untrained model


def test_iwae_with_one_sample_equals_the_elbo_in_expectation(model, digits):
    times = 40
    nelbo = repeated(lambda: model.negative_elbo_bound(digits)[0], times)
    niwae = repeated(lambda: model.negative_iwae_bound(digits, 1)[0], times)
    standard_error = math.sqrt((nelbo.var() + niwae.var()).item() / times)
    assert abs(nelbo.mean() - niwae.mean()).item() < 4 * standard_error


def test_iwae_terms_have_k_rows_and_kl_rec_match_the_bound(model, digits):
    log_px_z, log_q_minus_p = model.importance_terms(digits[:10], 6)
    assert log_px_z.shape == log_q_minus_p.shape == (6, 10)
    niwae, kl, rec = model.negative_iwae_bound(digits[:10], 6)
    assert niwae.shape == kl.shape == rec.shape == ()


def test_iwae_with_k_1000_decodes_in_bounded_chunks(model, digits, monkeypatch):
    batch, k = digits[:200], 1000
    decoded_rows = []
    decode = model.decode

    def recording_decode(z):
        decoded_rows.append(z.shape[0] * z.shape[1])
        return decode(z)

    monkeypatch.setattr(model, "decode", recording_decode)
    with torch.no_grad():
        niwae, _, _ = model.negative_iwae_bound(batch, k)
    assert math.isfinite(niwae.item())
    assert sum(decoded_rows) == k * len(batch)
    assert len(decoded_rows) > 1 and max(decoded_rows) <= vae.model.IWAE_CHUNK_ELEMENTS


def test_sample_returns_probabilities(model):
    images = model.sample(12)
    assert images.shape == (12, 784)
    assert images.min() >= 0 and images.max() <= 1
    assert not images.requires_grad


def test_sample_binary_returns_zeros_and_ones(model):
    images = model.sample_binary(12)
    assert images.shape == (12, 784)
    assert set(images.unique().tolist()) == {0.0, 1.0}


def test_a_seeded_generator_makes_samples_reproducible(model):
    def draw(seed: int, sampler):
        return sampler(8, generator=torch.Generator().manual_seed(seed))

    for sampler in (model.sample, model.sample_binary, model.sample_z):
        assert torch.equal(draw(3, sampler), draw(3, sampler))
        assert not torch.equal(draw(3, sampler), draw(4, sampler))


def test_temperature_zero_gives_the_decoded_prior_mean(model):
    expected = torch.sigmoid(model.decode(torch.zeros(1, Z_DIM))).detach()
    torch.testing.assert_close(model.sample(5, temperature=0.0), expected.expand(5, 784))
    assert model.sample_z(100, temperature=0.5).std().item() == pytest.approx(0.5, rel=0.2)


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bf16-autocast"])
def test_a_few_training_steps_lower_the_negative_elbo(model, digits, bf16):
    def held_out_nelbo() -> float:
        return repeated(lambda: model.negative_elbo_bound(digits)[0], 5).mean().item()

    before = held_out_nelbo()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    torch.manual_seed(2)
    for step in range(60):
        batch = digits[torch.randint(len(digits), (50,))]
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            nelbo, kl, rec = model.negative_elbo_bound(batch)
        assert nelbo.dtype == kl.dtype == rec.dtype == torch.float32  # bounds stay float32 under autocast
        nelbo.backward()
        optimizer.step()
    assert held_out_nelbo() < before - 50


@pytest.mark.parametrize("config", [{}, {"z_dim": 2, "hidden_dims": [64, 32]}])
def test_save_and_load_pretrained_round_trip_is_exact(tmp_path, config):
    torch.manual_seed(0)
    original = VAE(**config)
    original.save_pretrained(tmp_path)
    names = {path.name for path in tmp_path.iterdir()}
    assert {"config.json", "model.safetensors"} <= names
    assert not any(name.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt")) for name in names)
    assert json.loads((tmp_path / "config.json").read_text()) == original.config
    loaded = VAE.from_pretrained(tmp_path)
    assert loaded.config == original.config
    assert not loaded.training
    original_state, loaded_state = original.state_dict(), loaded.state_dict()
    assert original_state.keys() == loaded_state.keys()
    assert all(torch.equal(original_state[name], loaded_state[name]) for name in original_state)
    z = torch.randn(4, original.z_dim)
    assert torch.equal(original.decode(z), loaded.decode(z))


def test_permuting_the_latents_is_an_exact_reparameterisation():
    torch.manual_seed(0)
    model = VAE(z_dim=4, hidden_dims=[16]).eval()
    x = torch.bernoulli(torch.rand(8, 784))
    mean, var = model.encode(x)
    z = torch.randn(8, 4)
    logits = model.decode(z)
    order = [2, 0, 3, 1]
    model.permute_latents(order)
    new_mean, new_var = model.encode(x)
    torch.testing.assert_close(new_mean, mean[:, order])
    torch.testing.assert_close(new_var, var[:, order])
    torch.testing.assert_close(model.decode(z[:, order]), logits)
    with pytest.raises(ValueError, match="permutation"):
        model.permute_latents([0, 0, 1, 2])
