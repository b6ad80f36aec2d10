"""Pen up → reconstruction on screen, in headless Chromium: what a person drawing on the Draw pad waits for.

For each drawing (one stroke, a different digit each time, on a cleared pad) the page itself measures, on its
performance.now() clock, from the pointerup event on the pad's canvas to the reconstruction <img> showing a new
picture (its src changed, the picture decoded, the next frame painted), and to the first request the page sends
after pointerup (the time the pad takes to hand its picture over). Prints median and p90 of both, and the load.

    /work/bin/heavy python bench/bench_pad.py [--drawings 20] [--url http://127.0.0.1:7860/ [--select-brush]]

--url times an app that is already running; --select-brush clicks gr.Sketchpad's Brush tool before each drawing,
to time a checkout whose Draw tab still has a gr.Sketchpad (there, Clear is the editor's trash button).
"""
import argparse
import contextlib
import os
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.app_server import running_app  # noqa: E402
from tests.browser import draw, launch, new_tab  # noqa: E402

WARMUP = 3
"""Drawings not timed: the first waits behind the pictures the page asks for as it loads."""
JITTER = 0.04
"""Standard deviation of the noise added to each point of a stroke (units of tests.browser.pad_point)."""
DIGITS = {
    "2": [(-0.55, -0.55), (-0.1, -0.85), (0.5, -0.6), (0.45, -0.1), (-0.55, 0.8), (0.65, 0.8)],
    "7": [(-0.6, -0.8), (0.6, -0.8), (-0.1, 0.9)],
    "1": [(-0.2, -0.6), (0.05, -0.9), (0.05, 0.9)],
    "0": [(0.5 * np.sin(a), -0.85 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 16)],
    "3": [(-0.5, -0.8), (0.4, -0.7), (-0.1, -0.05), (0.5, 0.4), (-0.5, 0.85)],
}
"""Digits as one stroke each, in the units of tests.browser.pad_point."""
TIMER = """(padId) => {
  const pad = document.querySelector(`#${padId}`), shown = document.querySelector('#reconstruction');
  const timer = window.padTimer = {up: null, before: null, shown: null, request: null};
  const source = () => shown.querySelector('img')?.src ?? null;
  document.addEventListener('pointerup', (event) => {
    if (!pad.contains(event.target) || event.target.closest('button')) return;  // a stroke, not a tool
    Object.assign(timer, {up: performance.now(), before: source(), shown: null, request: null});
  }, true);
  new MutationObserver(() => {
    const img = shown.querySelector('img'), up = timer.up;
    if (up === null || timer.shown !== null || !img?.src || img.src === timer.before) return;
    timer.shown = -1;  // taken: the picture is being decoded
    img.decode().then(() => requestAnimationFrame(() => { timer.shown = performance.now() - up; }));
  }).observe(shown, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  new PerformanceObserver((entries) => {
    for (const entry of entries.getEntries()) {
      if (timer.up !== null && timer.request === null && entry.startTime > timer.up) {
        timer.request = entry.startTime - timer.up;
      }
    }
  }).observe({type: 'resource'});
}"""


def clear(page, pad_id: str, select_brush: bool) -> None:
    """Empty the pad and wait until the reconstruction has gone; for gr.Sketchpad (whose trash button leaves the
    outputs as they are), pick its brush again instead."""
    page.locator(f"#{pad_id} button").filter(has_text="Clear").or_(
        page.locator(f"#{pad_id} button[aria-label='Clear canvas']")).first.click()
    if select_brush:
        page.locator(f"#{pad_id} button[aria-label='Brush']").click()
    else:
        page.wait_for_function("() => !document.querySelector('#reconstruction img')")


def timed_drawings(url: str, count: int, select_brush: bool) -> tuple[list[float], list[float]]:
    """(pen up → reconstruction shown, pen up → first request) in ms for count drawings after WARMUP."""
    from playwright.sync_api import sync_playwright
    shown, requests = [], []
    rng = np.random.default_rng(0)
    digits = list(DIGITS.values())
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_tab(browser)
        page.goto(url)
        page.locator("#sketch canvas").first.wait_for()
        page.evaluate(TIMER, "sketch")
        for index in range(WARMUP + count):
            clear(page, "sketch", select_brush)
            stroke = np.asarray(digits[index % len(digits)])
            draw(page, "sketch", stroke + rng.normal(0, JITTER, stroke.shape))  # every drawing is a new picture
            page.wait_for_function("() => window.padTimer.shown > 0")
            timer = page.evaluate("() => window.padTimer")
            if index >= WARMUP:
                shown.append(timer["shown"])
                requests.append(timer["request"])
        browser.close()
    return shown, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drawings", type=int, default=20)
    parser.add_argument("--url", help="time this running app instead of starting one from this checkout")
    parser.add_argument("--select-brush", action="store_true", help="click gr.Sketchpad's Brush before drawing")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with contextlib.nullcontext(args.url) if args.url else running_app() as url:
        shown, requests = timed_drawings(url, args.drawings, args.select_brush)
    print(f"{args.drawings} drawings on {url}; 1-min load average before {load_before:.2f}, after "
          f"{os.getloadavg()[0]:.2f}")
    for name, times in (("pen up → reconstruction shown (ms)", shown),
                        ("pen up → first request sent (ms)", requests)):
        print(f"{name:<38} median {statistics.median(times):7.1f}   p90 {statistics.quantiles(times, n=10)[-1]:7.1f}")


if __name__ == "__main__":
    main()
