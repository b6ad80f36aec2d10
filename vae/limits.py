"""Caps on every size a user (UI or API) controls, checked server-side, all in one place."""

LATENT_SLIDER_RANGE = 3.0
"""Latent sliders go from -3 to 3 (three prior standard deviations)."""
MAX_LATENT_ABS = 10.0
"""API latent values beyond ±10 (or NaN/inf) are refused."""

DEFAULT_GRID_ROWS, DEFAULT_GRID_COLUMNS = 10, 20
MAX_GRID_ROWS, MAX_GRID_COLUMNS = 32, 32
MAX_TEMPERATURE = 3.0
"""Largest prior standard-deviation scale; temperatures must also be > 0."""
MAX_INTERPOLATION_FRAMES = 32
MAX_GENERATED_DIGITS = 64
MANIFOLD_STEPS = 15
MAX_MANIFOLD_STEPS = 32
"""Decodes per side of the 2-D latent manifold picture."""
MAX_UPSCALE_FACTOR = 16
MAX_DISPLAY_PIXELS = 16_000_000
"""Largest upscaled picture, in pixels."""
MAX_SEED = 2**32 - 1

APP_IWAE_K = 100
MAX_IWAE_K = 1000
POSTERIOR_SAMPLES = 8
MAX_POSTERIOR_SAMPLES = 64
MAX_REFINE_STEPS = 500
"""Gradient steps on one drawing's q(z|x) (vae/refine.py), about 1 ms each."""

MAX_UPLOAD_PIXELS = 25_000_000
"""Larger uploads are refused before decoding; a 4000×4000 upload is accepted (and downscaled)."""
MAX_UPLOAD_BYTES = 64 * 1024**2
"""Larger files are refused by the server as they arrive (a 4000×4000 picture fits even as an uncompressed BMP)."""
MIN_LINE_IN_STROKES = 1.5
"""The ink's centre lines must span this many of its stroke widths, else it is a dot, not a digit (a click on the
pad paints one disc: its centre line is a point; a dab with the pen: about 1 width; a small 1: 3 or more)."""
MIN_INK_EXTENT = 0.1
"""...and this fraction of the picture's longer side, else it is a speck (the pad's pen alone makes any digit span
more: 2.5 pen widths are 18% of the pad)."""
MAX_INK_FRACTION = 0.9
"""Ink on more than this fraction of the canvas has no digit shape."""
