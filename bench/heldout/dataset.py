"""The held-out digits that are not MNIST (font glyphs and pen strokes), as committed in font_digits.npz.

Ink pictures at canvas level, as the app's pad would send them: pass them through
vae.drawing.center_like_mnist to get MNIST-style digits. Two halves: "tuning" (choose settings on it) and
"reporting" (quote figures from it); they share no font package and no stroke template. Made by
make_font_digits.py; see README.md beside it.
"""
import json
from pathlib import Path

import numpy as np

from vae.drawing import center_like_mnist

DATA_FILE = Path(__file__).resolve().with_name("font_digits.npz")
PAD_FILE = Path(__file__).resolve().with_name("pad_digits.npz")
"""The stroke templates traced through the app's pad in a browser (draw_through_pad.py), in the same layout."""
SPLITS = ("tuning", "reporting")
STROKES = "strokes"
"""The package (and source prefix) of digits drawn from stroke templates rather than a font."""


def load_heldout(split: str, path: str | Path = DATA_FILE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One half: ink `(n, H, W)` float32 in [0, 1], labels `(n,)` int64, sources `(n,)` str ('Family Style' or 'strokes:7a')."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    with np.load(path, allow_pickle=False) as data:
        rows = data["split"] == split
        return data["ink"][rows].astype(np.float32) / 255, data["label"][rows].astype(np.int64), data["source"][rows]


def load_heldout_digits(split: str, path: str | Path = DATA_FILE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One half through the app's preprocessing: MNIST-style digits `(n, 28, 28)` float32, labels `(n,)`, sources `(n,)`."""
    ink, labels, sources = load_heldout(split, path)
    return np.stack([center_like_mnist(picture) for picture in ink]), labels, sources


def heldout_metadata(path: str | Path = DATA_FILE) -> dict:
    """How the file was made: seed, digits per class and half, canvas size, font packages and their versions, command."""
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["metadata"]))
