"""The held-out digits that are not MNIST (bench/heldout/) and the judge that reads them (bench/digit_classifier.py):
the committed set is what its README promises, the committed classifier reads it, the generator is reproducible."""
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from bench.digit_classifier import DigitClassifier, classify, load_classifier
from bench.heldout.dataset import DATA_FILE, SPLITS, STROKES, heldout_metadata, load_heldout, load_heldout_digits
from bench.heldout.fonts import Font
from bench.heldout.make_font_digits import CANVAS, generate
from bench.heldout.strokes import TEMPLATES

REPORTING_ACCURACY = 0.93
"""The committed classifier's grey accuracy on the reporting half, 0.957 (bench/README.md), less a margin."""


@pytest.fixture(scope="module")
def columns() -> dict[str, np.ndarray]:
    """Every column of the committed file, read without pickles."""
    with np.load(DATA_FILE, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def test_the_set_is_small_canvas_level_ink_balanced_over_classes_and_halves(columns):
    per_class = heldout_metadata()["per_class"]
    assert DATA_FILE.stat().st_size < 5_000_000
    assert columns["ink"].shape == (20 * per_class, CANVAS, CANVAS) and columns["ink"].dtype == np.uint8
    for split in SPLITS:
        ink, labels, sources = load_heldout(split)
        assert ink.dtype == np.float32 and 0 <= ink.min() and ink.max() == 1
        assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
        assert len(sources) == len(labels) and np.char.startswith(sources, STROKES).any()


def test_the_halves_share_no_font_package_font_or_stroke_template(columns):
    def used(split: str, column: str) -> set[str]:
        return set(columns[column][columns["split"] == split].tolist())
    tuning_packages, reporting_packages = used("tuning", "package"), used("reporting", "package")
    assert tuning_packages & reporting_packages == {STROKES}
    assert len(tuning_packages) > 10 and len(reporting_packages) > 10
    assert used("tuning", "source").isdisjoint(used("reporting", "source"))


def test_the_metadata_records_how_to_make_it_again():
    metadata = heldout_metadata()
    assert isinstance(metadata["seed"], int) and metadata["canvas"] == CANVAS
    assert any(version for version in metadata["packages"].values())
    assert "make_font_digits.py" in metadata["command"]


def test_the_committed_classifier_reads_the_reporting_half_after_the_apps_preprocessing():
    digits, labels, _ = load_heldout_digits("reporting")
    model = load_classifier()
    predicted, probabilities = classify(digits, model)
    assert probabilities.shape == (len(labels), 10) and np.allclose(probabilities.sum(1), 1, atol=1e-5)
    assert (predicted == labels).mean() > REPORTING_ACCURACY
    assert (classify(digits, DigitClassifier().eval())[0] == labels).mean() < 0.5  # untrained weights cannot pass


def test_the_generator_is_deterministic_for_a_seed():
    fonts_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    fonts = [Font("sans", "DejaVu Sans", "Book", str(fonts_dir / "DejaVuSans.ttf")),
             Font("serif", "DejaVu Serif", "Book", str(fonts_dir / "DejaVuSerif.ttf"))]
    first, again, other = generate(5, 7, fonts), generate(5, 7, fonts), generate(5, 7 + 1, fonts)
    assert first["ink"].shape == (100, CANVAS, CANVAS)
    assert all(np.array_equal(first[name], again[name]) for name in first)
    assert not np.array_equal(first["ink"], other["ink"])
    assert set(first["package"].tolist()) == {"sans", "serif", STROKES}


def test_every_digit_has_two_stroke_templates():
    assert sorted(TEMPLATES) == list(range(10))
    assert all(sorted(variants) == ["a", "b"] for variants in TEMPLATES.values())
