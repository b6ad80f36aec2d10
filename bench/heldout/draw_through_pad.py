"""Make the held-out digits drawn through the app's own pad: the stroke templates of strokes.py traced with the mouse
in Chromium on a running `python app.py`, at a random size and place, each stroke bent by a random wobble; what the
pad painted is read back from its canvas and stored like font_digits.npz (canvas-level ink, 140×140, 16 levels).

Template 'a' of each digit makes the tuning half, 'b' the reporting half, as in font_digits.npz.

    python bench/heldout/draw_through_pad.py [--per-template 10] [--seed 0]
"""
import argparse
import base64
import io
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.heldout.dataset import PAD_FILE  # noqa: E402
from bench.heldout.make_font_digits import CANVAS, TEMPLATE_SPLIT, ink_levels  # noqa: E402
from bench.heldout.strokes import TEMPLATES, wobbled  # noqa: E402
from tests.app_server import running_app  # noqa: E402
from tests.browser import launch, mouse_stroke, new_tab  # noqa: E402

PAD = "sketch"
HEIGHT_FRACTION = (0.35, 0.8)
"""The digit's height on the pad, as a fraction of its side."""
PAD_SOURCE = "pad"


def trace(page, strokes: list[list[tuple[float, float]]], rng: np.random.Generator) -> None:
    """Draw a template's strokes (unit box, y down) on the Draw pad with the mouse, at a random size and place."""
    box = page.locator(f"#{PAD} canvas").first.bounding_box()
    side = min(box["width"], box["height"])
    height = rng.uniform(*HEIGHT_FRACTION) * side
    left = box["x"] + rng.uniform(0.05 * side, side - 0.95 * height)
    top = box["y"] + rng.uniform(0.05 * side, 0.95 * side - height)
    for stroke in strokes:
        mouse_stroke(page, wobbled(np.array(stroke), rng) * height + [left, top])


def painted_ink(page) -> np.ndarray:
    """What the Draw pad shows, as canvas ink `(CANVAS, CANVAS)` uint8 in the set's ink levels (its alpha, halved)."""
    url = page.evaluate(f"() => document.querySelector('#{PAD} canvas').toDataURL('image/png')")
    image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).getchannel("A")
    ink = np.asarray(image.resize((CANVAS, CANVAS), Image.Resampling.BOX), dtype=np.float32) / 255
    return ink_levels(ink)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-template", type=int, default=10, help="drawings of each template of each digit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(PAD_FILE))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(args.seed)
    rows = []
    with running_app() as url, sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_tab(browser)
        page.goto(url)
        page.locator(f"#{PAD} canvas").first.wait_for()
        for label, templates in TEMPLATES.items():
            for variant, strokes in templates.items():
                for _ in range(args.per_template):
                    trace(page, strokes, rng)
                    rows.append((painted_ink(page), label, f"{PAD_SOURCE}:{label}{variant}", TEMPLATE_SPLIT[variant]))
                    page.locator(f"#{PAD}").get_by_role("button", name="Clear").click()
        browser.close()
    inks, labels, sources, splits = zip(*rows)
    metadata = {"seed": args.seed, "per_template": args.per_template, "canvas": CANVAS,
                "command": " ".join(["python", *sys.argv])}
    np.savez_compressed(args.out, ink=np.stack(inks), label=np.array(labels, dtype=np.uint8), source=np.array(sources),
                        package=np.array([PAD_SOURCE] * len(rows)), split=np.array(splits),
                        metadata=np.array(json.dumps(metadata)))
    print(f"wrote {args.out}: {len(rows)} digits drawn through the pad")


if __name__ == "__main__":
    main()
