"""Make the held-out digits that are not MNIST: font glyphs and pen-stroke templates, as canvas-level ink.

Each digit is drawn like a person on the app's pad would: slanted, turned a few degrees, at a random size and
place on a CANVAS×CANVAS canvas, so that evaluation passes it through the app's own preprocessing
(vae.drawing.center_like_mnist). The set is split into a "tuning" and a "reporting" half by font package
(handwriting and typeset packages each dealt alternately to the halves in a seeded order) and by stroke
template (variant 'a' tuning, 'b' reporting): the reporting half holds fonts and templates the tuning half never saw.

    python bench/heldout/make_font_digits.py [--seed 0] [--per-class 150] [--sheet /tmp/sheet.png]

The same seed and the same installed font packages (versions recorded in the file's metadata) give the same set.
"""
import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.heldout.dataset import DATA_FILE, SPLITS, STROKES, load_heldout_digits  # noqa: E402
from bench.heldout.fonts import FONT_PACKAGES, HANDWRITING_PACKAGES, Font, discover_fonts, glyph_ink  # noqa: E402
from bench.heldout.strokes import TEMPLATES, stroke_ink  # noqa: E402

CANVAS = 140
"""Side of the stored ink pictures: half the app's 280-pixel pad."""
HEIGHT_FRACTION = (0.35, 0.85)
"""The digit's height on the canvas, as a fraction of its side."""
MAX_WIDTH_FRACTION = 0.95
INK_LEVELS = 16
"""Grey levels stored (multiples of 17): about a third of the file size of 256 levels. On 75 glyphs the 28×28 digits
differed from 256-level ones by 0.02 at their largest pixel on average; where a faint edge pixel crosses the
preprocessing's ink threshold, the crop and so the digit move by a pixel."""
SLANT = (-0.1, 0.3)
"""Horizontal shift per unit of height, rightward lean positive: people lean right more often than left."""
MAX_ROTATION = 8.0
"""Degrees, either way."""
STROKE_SHARE = 0.2
"""Fraction of each class drawn from stroke templates rather than fonts."""
TEMPLATE_SPLIT = {"a": "tuning", "b": "reporting"}


def split_packages(packages: list[str], rng: np.random.Generator) -> dict[str, list[str]]:
    """Split name → its font packages: handwriting and typeset packages each shuffled, then dealt alternately."""
    halves = {split: [] for split in SPLITS}
    for group in ([p for p in packages if p in HANDWRITING_PACKAGES], [p for p in packages if p not in HANDWRITING_PACKAGES]):
        for index, package in enumerate(rng.permutation(sorted(group))):
            halves[SPLITS[index % 2]].append(str(package))
    return halves


def pick_font(fonts: list[Font], rng: np.random.Generator) -> Font:
    """One of the fonts: handwriting or typeset (even odds, when both are there), then a package, then a file."""
    handwriting = [font for font in fonts if font.package in HANDWRITING_PACKAGES]
    typeset = [font for font in fonts if font.package not in HANDWRITING_PACKAGES]
    group = handwriting if handwriting and (not typeset or rng.random() < 0.5) else typeset
    packages = sorted({font.package for font in group})
    package = packages[rng.integers(len(packages))]
    choices = [font for font in group if font.package == package]
    return choices[rng.integers(len(choices))]


def place_on_canvas(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ink `(h, w)` slanted, turned, scaled and put somewhere on the canvas: `(CANVAS, CANVAS)` uint8 ink in INK_LEVELS levels."""
    glyph = _slanted_and_turned(glyph, rng.uniform(*SLANT), math.radians(rng.uniform(-MAX_ROTATION, MAX_ROTATION)))
    height, width = glyph.shape
    scale = min(rng.uniform(*HEIGHT_FRACTION) * CANVAS / height, MAX_WIDTH_FRACTION * CANVAS / width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(Image.fromarray(glyph).resize(size, Image.Resampling.LANCZOS))
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.float32)
    top, left = rng.integers(0, CANVAS - size[1] + 1), rng.integers(0, CANVAS - size[0] + 1)
    canvas[top:top + size[1], left:left + size[0]] = small
    return ink_levels(canvas)


def ink_levels(ink: np.ndarray) -> np.ndarray:
    """Ink `(h, w)` in [0, 1] as uint8 in INK_LEVELS levels, the form the held-out set stores."""
    return (np.round((INK_LEVELS - 1) * np.clip(ink, 0, 1)) * (255 // (INK_LEVELS - 1))).astype(np.uint8)


def _slanted_and_turned(glyph: np.ndarray, slant: float, angle: float) -> np.ndarray:
    """Ink `(h, w)` sheared (top to the right by slant × height) and rotated by angle about its centre, cropped."""
    side = 2 * max(glyph.shape)
    padded = np.zeros((side, side), dtype=np.float32)
    top, left = (side - glyph.shape[0]) // 2, (side - glyph.shape[1]) // 2
    padded[top:top + glyph.shape[0], left:left + glyph.shape[1]] = glyph
    cos, sin = math.cos(angle), math.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, -slant], [0.0, 1.0]])  # y points down
    inverse = np.linalg.inv(forward)
    centre = np.array([side / 2, side / 2])
    offset = centre - inverse @ centre
    data = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    image = Image.fromarray(padded).transform((side, side), Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
    return np.asarray(image.crop(image.getbbox()))


def generate(per_class: int, seed: int, fonts: list[Font]) -> dict[str, np.ndarray]:
    """The set as arrays: ink `(n, CANVAS, CANVAS)` uint8, label `(n,)` uint8, source, package and split `(n,)` str.

    per_class digits of each class in each half, STROKE_SHARE of them from stroke templates.
    """
    rng = np.random.default_rng(seed)
    halves = split_packages(sorted({font.package for font in fonts}), rng)
    rows, strokes = [], round(STROKE_SHARE * per_class)
    for split in SPLITS:
        variants = [v for v, s in TEMPLATE_SPLIT.items() if s == split]
        for label in range(10):
            for index in range(per_class):
                if index < strokes:
                    variant = variants[index % len(variants)]
                    ink = place_on_canvas(stroke_ink(TEMPLATES[label][variant], rng), rng)
                    rows.append((ink, label, f"{STROKES}:{label}{variant}", STROKES, split))
                else:
                    font = pick_font([f for f in fonts if f.package in halves[split] and label in f.digits], rng)
                    rows.append((place_on_canvas(glyph_ink(font, label, rng), rng), label, font.name, font.package, split))
    inks, labels, sources, packages, splits = zip(*rows)
    return {"ink": np.stack(inks), "label": np.array(labels, dtype=np.uint8),
            "source": np.array(sources), "package": np.array(packages), "split": np.array(splits)}


def package_versions(packages: tuple[str, ...]) -> dict[str, str]:
    """Installed Debian version of each package ('' when not installed): what reproducing the set needs."""
    versions = {}
    for package in packages:
        query = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
        versions[package] = query.stdout.strip() if query.returncode == 0 else ""
    return versions


def save_sheet(digits: np.ndarray, path: str, columns: int = 50) -> None:
    """A contact sheet PNG of MNIST-style digits `(n, 28, 28)`, columns per row, white ink on black."""
    rows = -(-len(digits) // columns)
    padded = np.zeros((rows * columns, 28, 28), dtype=np.float32)
    padded[:len(digits)] = digits
    sheet = padded.reshape(rows, columns, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, columns * 28)
    Image.fromarray(np.round(255 * sheet).astype(np.uint8)).save(path)


def main() -> None:
    """Generate, save the compressed .npz with its metadata, optionally write a contact sheet of the preprocessed set."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-class", type=int, default=150, help="digits of each class in each half")
    parser.add_argument("--out", default=str(DATA_FILE))
    parser.add_argument("--sheet", help="also write a contact sheet PNG of the set after the app's preprocessing")
    args = parser.parse_args()
    fonts = discover_fonts()
    data = generate(args.per_class, args.seed, fonts)
    metadata = {"seed": args.seed, "per_class": args.per_class, "canvas": CANVAS, "font_files": len(fonts),
                "packages": package_versions(FONT_PACKAGES), "command": " ".join(["python", *sys.argv])}
    np.savez_compressed(args.out, **data, metadata=np.array(json.dumps(metadata)))
    print(f"wrote {args.out}: {len(data['label'])} digits from {len(fonts)} font files and {len(TEMPLATES)}×2 templates")
    if args.sheet:
        save_sheet(np.concatenate([load_heldout_digits(split, args.out)[0] for split in SPLITS]), args.sheet)


if __name__ == "__main__":
    main()
