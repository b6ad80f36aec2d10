"""MNIST loading from tiny IDX files, the binarisations, and resumable training batches."""
import itertools

import pytest
import torch

import vae.data
from tiny_mnist import write_tiny_mnist
from vae.data import DatasetNotFoundError, binarize, fixed_binarization, load_mnist, training_batches

N_TRAIN, N_TEST = 60, 30


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """(root folder, {split: (images uint8 (n, 28, 28), labels (n,))}) of a tiny MNIST on disk."""
    root = tmp_path_factory.mktemp("mnist")
    return root, write_tiny_mnist(root, N_TRAIN, N_TEST)


@pytest.fixture(scope="module")
def grey_images(tiny_mnist) -> torch.Tensor:
    return load_mnist(tiny_mnist[0], train=True, download=False)[0]


@pytest.mark.parametrize("train, split, n", [(True, "train", N_TRAIN), (False, "t10k", N_TEST)])
def test_load_mnist_reads_idx_files_as_flat_unit_interval_images(tiny_mnist, train, split, n):
    root, written = tiny_mnist
    images, labels = load_mnist(root, train=train, download=False)
    assert images.shape == (n, 784) and images.dtype == torch.float32
    assert labels.shape == (n,) and labels.dtype == torch.int64
    assert images.min() >= 0 and images.max() <= 1
    expected_images, expected_labels = (torch.from_numpy(array) for array in written[split])
    torch.testing.assert_close(images, expected_images.reshape(n, 784).float() / 255)
    assert torch.equal(labels, expected_labels.long())


def test_missing_mnist_raises_an_error_that_names_the_folder_and_the_fix(tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        load_mnist(tmp_path, train=True, download=False)
    message = str(raised.value)
    assert str(tmp_path.resolve() / "MNIST" / "raw") in message
    assert "--data-dir" in message
    assert "\n" not in message


def test_a_failed_download_is_reported_on_one_line(tmp_path, monkeypatch):
    def offline_mnist(root, train, download):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://example.org/, got:\n"
                           "<urlopen error [Errno -2] Name or service not known>\n")

    monkeypatch.setattr(vae.data, "MNIST", offline_mnist)
    with pytest.raises(DatasetNotFoundError) as raised:
        load_mnist(tmp_path, train=True)
    message = str(raised.value)
    assert "\n" not in message
    assert "Name or service not known" in message and "--data-dir" in message


def test_fixed_binarization_is_deterministic_and_binary(grey_images):
    first, second = fixed_binarization(grey_images), fixed_binarization(grey_images)
    assert torch.equal(first, second)
    assert set(first.unique().tolist()) == {0.0, 1.0}
    assert first.shape == grey_images.shape
    assert abs(first.mean().item() - grey_images.mean().item()) < 0.01  # Bernoulli(grey level)
    assert torch.all(first[grey_images == 0] == 0) and torch.all(first[grey_images == 1] == 1)


def test_dynamic_binarization_differs_between_draws(grey_images):
    generator = torch.Generator().manual_seed(0)
    assert not torch.equal(binarize(grey_images, generator), binarize(grey_images, generator))


def test_training_batches_are_binary_full_batches(grey_images):
    batches = list(itertools.islice(training_batches(grey_images, 25, seed=0), 6))
    assert all(batch.shape == (25, 784) for batch in batches)
    assert all(set(batch.unique().tolist()) <= {0.0, 1.0} for batch in batches)
    assert not torch.equal(torch.cat(batches[:2]), torch.cat(batches[2:4]))  # reshuffled, re-binarised


def test_each_epoch_draws_distinct_images_and_drops_the_partial_batch():
    n, batch_size = 60, 25  # two full batches per epoch, the last 10 images dropped
    images = torch.eye(n, 784)  # binary already, so binarisation keeps each image recognisable
    batches = list(itertools.islice(training_batches(images, batch_size, seed=0), 4))
    assert all(len(batch) == batch_size for batch in batches)
    for epoch in (batches[:2], batches[2:]):
        drawn = torch.cat(epoch).argmax(1).tolist()
        assert len(set(drawn)) == 2 * batch_size
    assert torch.cat(batches[:2]).argmax(1).tolist() != torch.cat(batches[2:]).argmax(1).tolist()


def test_training_batches_differ_between_seeds(grey_images):
    first = next(training_batches(grey_images, 20, seed=0))
    other = next(training_batches(grey_images, 20, seed=1))
    assert not torch.equal(first, other)


@pytest.mark.parametrize("start", [1, 2, 3, 7])
def test_training_batches_resume_where_a_run_from_zero_continues(grey_images, start):
    batch_size, count = 20, 8  # 3 batches per epoch, so starts fall inside and on epoch edges
    from_zero = list(itertools.islice(training_batches(grey_images, batch_size, seed=5), start + count))
    resumed = list(itertools.islice(training_batches(grey_images, batch_size, seed=5, start=start), count))
    assert all(torch.equal(a, b) for a, b in zip(from_zero[start:], resumed))
