"""Slider input → digit redrawn, in headless Chromium: what a person dragging a latent slider waits for.

The page decodes the sliders itself (static/decoder.js). Chromium drags the z1 slider of the Latent sliders tab with the
mouse, back and forth, one move at a time, and the page measures on its performance.now() clock, from each `input`
event of the slider (its timeStamp) to the next animation frame after the page decoder drew the digit (its "decoded"
event). Prints the median and p90 of that, the page's decode + draw alone (the decoder called directly), the events
the app was asked to run while dragging, and the load.

    /work/bin/heavy python bench/bench_sliders.py [--steps 200] [--model vae-z32] [--url http://127.0.0.1:7860/]
"""
import argparse
import contextlib
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ui.components import PAGE_DECODER_ID  # noqa: E402
from tests.app_server import running_app  # noqa: E402
from tests.browser import is_server_call, launch, new_tab  # noqa: E402

SLIDER = "#slider-z1 input[type='range']"
CANVAS = f"#{PAGE_DECODER_ID} canvas"
MOVES_PER_SWEEP = 40
"""Mouse moves from one end of the slider to the other."""
DIRECT_DECODES = 200
TIMER = """([slider, canvas]) => {
  const timer = window.sliderTimer = {input: null, inputs: 0, times: []};
  const range = document.querySelector(slider);
  window.addEventListener('input', (event) => {  // window capture: before the page decoder sees the event
    if (event.target !== range) return;
    timer.input = event.timeStamp;
    timer.inputs += 1;
  }, true);
  document.querySelector(canvas).addEventListener('decoded', () => {
    const start = timer.input;
    timer.input = null;
    if (start !== null) requestAnimationFrame(() => timer.times.push(performance.now() - start));
  });
}"""
SETTLED = "() => window.sliderTimer.times.length === window.sliderTimer.inputs"
"""Every slider input so far has been drawn and its frame timed."""
DIRECT = """([canvas, count]) => {
  const decoder = document.querySelector(canvas), {model, latent} = decoder.decoded;
  const start = performance.now();
  for (let i = 0; i < count; i++) decoder.show(latent.map((value) => value + 0.01 * i), model);
  return (performance.now() - start) / count;
}"""


def timed_drag(url: str, steps: int, model: str) -> tuple[list[float], float, int, str]:
    """(input → frame after the draw, in ms, for each slider input while dragging; decode + draw alone in ms; server
    calls (queue joins) while dragging; the browser's version)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = new_tab(browser)
        page.goto(url)
        if model:
            page.locator("#model-choice input").click()
            page.get_by_role("option", name=model).click()
        page.get_by_role("tab", name="Latent sliders", exact=True).click()
        slider = page.locator(SLIDER)
        slider.press("ArrowRight")  # the page draws once its decoder's weights are in
        page.wait_for_function("(canvas) => document.querySelector(canvas).decoded", arg=CANVAS)
        page.evaluate(TIMER, [SLIDER, CANVAS])
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 0.05 * box["width"], y)
        page.mouse.down()
        for step in range(steps):
            page.wait_for_function(SETTLED)  # one input at a time, as a person drags at a frame per step
            sweep, move = divmod(step, MOVES_PER_SWEEP)
            fraction = (move + 1) / MOVES_PER_SWEEP
            page.mouse.move(box["x"] + (0.05 + 0.9 * (fraction if sweep % 2 == 0 else 1 - fraction)) * box["width"], y)
        page.wait_for_function(SETTLED)
        page.mouse.up()
        sent = sum(map(is_server_call, requests))
        times = page.evaluate("() => window.sliderTimer.times")
        direct = page.evaluate(DIRECT, [CANVAS, DIRECT_DECODES])
        version = browser.version
        browser.close()
    return times, direct, sent, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="mouse moves while dragging")
    parser.add_argument("--model", default="", help="the model to choose first (default: the app's default)")
    parser.add_argument("--url", help="time this running app instead of starting one from this checkout")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with contextlib.nullcontext(args.url) if args.url else running_app() as url:
        times, direct, calls, version = timed_drag(url, args.steps, args.model)
    print(f"{len(times)} slider inputs from {args.steps} mouse moves on {url} (Chromium {version}, headless); "
          f"1-min load average before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"slider input → next frame after the draw (ms)   median {statistics.median(times):6.2f}   "
          f"p90 {statistics.quantiles(times, n=10)[-1]:6.2f}")
    print(f"decode + draw alone (ms, mean of {DIRECT_DECODES})      {direct:6.2f}")
    print(f"server calls while dragging (queue joins)      {calls}")


if __name__ == "__main__":
    main()
