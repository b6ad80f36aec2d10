"""Digit glyphs from the installed Debian font packages: which fonts to use, and one digit rendered as ink.

Fonts are found through dpkg's file lists of FONT_PACKAGES (so the set names the packages it came from).
A font file is used only when it has all ten digit glyphs, and for 0 only when its 0 is a plain ring;
EXCLUDED_FAMILIES are fonts whose digits do not look like digits a person writes (checked by eye on a contact
sheet of every family).
"""
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HANDWRITING_PACKAGES = (
    "fonts-breip", "fonts-bwht", "fonts-comic-neue", "fonts-dancingscript", "fonts-dkg-handwriting", "fonts-dustin",
    "fonts-ecolier-court", "fonts-havana", "fonts-humor-sans", "fonts-kaushanscript", "fonts-kiloji", "fonts-klee",
    "fonts-kristi", "fonts-leckerli-one", "fonts-lobster", "fonts-rufscript", "fonts-seto", "fonts-staypuft",
    "fonts-tlwg-purisa-ttf",
)
"""Handwriting, script and casual fonts: the closest to what people draw, so sampled as often as all others."""
TYPESET_PACKAGES = (
    "fonts-adf-accanthis", "fonts-adf-gillius", "fonts-adf-mekanus", "fonts-adf-universalis", "fonts-adf-verana",
    "fonts-agave", "fonts-averia-sans-gwf", "fonts-bebas-neue", "fonts-beteckna", "fonts-cabin", "fonts-cantarell",
    "fonts-clear-sans", "fonts-crosextra-caladea", "fonts-crosextra-carlito", "fonts-dejavu-core",
    "fonts-dosis", "fonts-ebgaramond", "fonts-eurofurence", "fonts-fantasque-sans", "fonts-firacode",
    "fonts-go", "fonts-hack", "fonts-inconsolata", "fonts-inter", "fonts-jetbrains-mono",
    "fonts-junction", "fonts-jura", "fonts-karla", "fonts-lato", "fonts-league-spartan", "fonts-liberation",
    "fonts-linuxlibertine", "fonts-lmodern", "fonts-manrope", "fonts-mplus", "fonts-noto-core", "fonts-oldstandard",
    "fonts-open-sans", "fonts-opendyslexic", "fonts-roboto-slab", "fonts-roboto-unhinted", "fonts-sil-andika",
    "fonts-sil-charis", "fonts-sil-gentiumplus", "fonts-urw-base35",
)
"""Book, screen and code typefaces. Left out so that splitting the set by package also splits it by design:
fonts-texgyre and fonts-freefont-ttf (URW's faces of fonts-urw-base35 again), fonts-dejavu-extra (fonts-dejavu-core's)."""
FONT_PACKAGES = HANDWRITING_PACKAGES + TYPESET_PACKAGES
NOTO_LATIN = re.compile(r"Noto(Sans|Serif)(Display)?-")
"""fonts-noto-core is mostly other scripts' fonts with the same Latin digits: only the Latin families are kept."""
EXCLUDED_FAMILIES = {
    "CabinSketch", "Cabin Sketch",  # hatched fill
    "D050000L",                     # dingbats
    "Joscelyn",                     # secretary hand: flourishes cross neighbouring digits
    "Linux Biolinum Keyboard O",    # digits drawn on key caps
    "Linux Libertine Initials O",   # outlined capitals' digits
    "Wargames",                     # digits made of squares
}
DPKG_INFO = Path("/var/lib/dpkg/info")
GLYPH_SIZE = 160
"""Font size (pixels per em) at which glyphs are rendered before any scaling: digits about 115 pixels tall."""
CHECK_SIZE = 64
"""Font size for the shape check of 0 (flood fills in Python are slow on large glyphs)."""
MISSING = "\U0010fffd"
"""A private-use character no font here has: what a missing glyph (.notdef box) looks like in that font."""


@dataclass(frozen=True)
class Font:
    """One font file, named by the Debian package that installed it and its family and style."""
    package: str
    family: str
    style: str
    path: str
    digits: tuple[int, ...] = tuple(range(10))
    """The digits drawn with it: all but 0 when its 0 is dotted or slashed."""

    @property
    def name(self) -> str:
        """'Family Style', the source recorded for each digit rendered with it."""
        return f"{self.family} {self.style}"


def package_files(package: str) -> list[str]:
    """The .ttf and .otf files dpkg lists for an installed package, sorted; [] when it is not installed."""
    lists = sorted(DPKG_INFO.glob(f"{package}.list")) + sorted(DPKG_INFO.glob(f"{package}:*.list"))
    files = (line.strip() for listing in lists for line in listing.read_text().splitlines())
    return sorted(f for f in files if f.lower().endswith((".ttf", ".otf")) and Path(f).is_file())


def discover_fonts(packages: tuple[str, ...] = FONT_PACKAGES) -> list[Font]:
    """Every usable font file of the installed packages, in a fixed order: package, then path."""
    fonts = []
    for package in packages:
        for path in package_files(package):
            if package == "fonts-noto-core" and not NOTO_LATIN.match(Path(path).name):
                continue
            font = load_font(package, path)
            if font and font.family not in EXCLUDED_FAMILIES and has_all_digits(font):
                fonts.append(font if plain_zero(font) else replace(font, digits=tuple(range(1, 10))))
    return fonts


def load_font(package: str, path: str) -> Font | None:
    """The Font of a file, or None when FreeType cannot read it."""
    try:
        family, style = ImageFont.truetype(path, GLYPH_SIZE).getname()
    except OSError:
        return None
    return Font(package, family, style, path)


def has_all_digits(font: Font) -> bool:
    """Whether each of 0–9 renders as ink that differs from the font's missing-glyph box."""
    missing = _render(font, MISSING)
    glyphs = [_render(font, str(digit)) for digit in range(10)]
    return all(glyph.any() and not np.array_equal(glyph, missing) for glyph in glyphs)


def glyph_ink(font: Font, digit: int, rng: np.random.Generator) -> np.ndarray:
    """The digit in this font as ink `(h, w)` float32 in [0, 1], cropped; half of them with strokes thickened by
    up to 5% of the digit's height on each side (a felt pen). Never thinned: that erases serif fonts' hairlines."""
    image = Image.fromarray(_render(font, str(digit)))
    if rng.random() < 0.5:
        radius = int(rng.integers(1, max(2, round(0.05 * image.height)) + 1))
        padded = Image.new("L", (image.width + 2 * radius, image.height + 2 * radius))
        padded.paste(image, (radius, radius))
        image = padded.filter(ImageFilter.MaxFilter(2 * radius + 1))
    return np.asarray(image, dtype=np.float32) / 255


def plain_zero(font: Font) -> bool:
    """Whether the font's 0 is unmarked: not slashed (which splits its hole in two) nor dotted (ink inside the hole)
    as in code fonts. An open or broken ring (no hole) counts as plain."""
    ink = np.pad(_render(font, "0", CHECK_SIZE) > 31, 1)
    holes = _pieces(~ink) - 1  # less the paper outside
    return holes < 2 and not (holes == 1 and _pieces(ink) > 1)


def _pieces(mask: np.ndarray) -> int:
    """Number of 4-connected regions of True in a boolean `(h, w)` mask (flood-filled one by one)."""
    image, count = Image.fromarray(mask.astype(np.uint8) * 255).copy(), 0  # a copy: fills are lost on array-backed images
    while (seeds := np.argwhere(np.asarray(image) == 255)).size:
        ImageDraw.floodfill(image, (int(seeds[0][1]), int(seeds[0][0])), 0)
        count += 1
    return count


def _render(font: Font, text: str, size: int = GLYPH_SIZE) -> np.ndarray:
    """Text drawn white on black at size pixels per em, cropped to its ink: `(h, w)` uint8 (`(0, 0)` when there is none)."""
    face = ImageFont.truetype(font.path, size)
    image = Image.new("L", (4 * size, 4 * size))
    ImageDraw.Draw(image).text((2 * size, 2 * size), text, fill=255, font=face, anchor="mm")
    box = image.getbbox()
    return np.asarray(image.crop(box)) if box else np.zeros((0, 0), dtype=np.uint8)
