"""Debian's Chromium driven by playwright, for the browser tests, bench/bench_pad.py, bench_sliders.py and
bench/heldout/draw_through_pad.py: how to launch it, and how a person draws on one of the app's pads (a mouse stroke,
no tool chosen first)."""
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
WAIT_MS = 30_000
"""Longest wait for one answer from the app (a busy two-core machine)."""
STROKE_STEPS = 8
"""Mouse moves between two points of a stroke."""


def launch(playwright):
    """Debian's Chromium, headless, from a playwright instance."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_tab(browser):
    """A new tab of the browser, of VIEWPORT's size, waiting up to WAIT_MS for what it awaits."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(WAIT_MS)
    return page


def pad_point(page, pad_id: str, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of (x, y), in units of 0.3 × the side of pad #pad_id's canvas, around its centre."""
    box = page.locator(f"#{pad_id} canvas").first.bounding_box()
    radius = 0.3 * min(box["width"], box["height"])
    return box["x"] + box["width"] / 2 + x * radius, box["y"] + box["height"] / 2 + y * radius


def draw(page, pad_id: str, stroke) -> None:
    """One mouse stroke through the points (see pad_point) on pad #pad_id, from pen down to pen up."""
    mouse_stroke(page, [pad_point(page, pad_id, x, y) for x, y in stroke])


def mouse_stroke(page, points) -> None:
    """One mouse stroke through points in page coordinates, from pen down to pen up."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y, steps=STROKE_STEPS)
    page.mouse.up()


def is_server_call(url: str) -> bool:
    """Whether a request asks the app to run an event: a page's queue join, or an API client's call (not the pictures
    or files an earlier answer points to)."""
    return "/gradio_api/queue/join" in url or "/gradio_api/call/" in url
