"""Derive the face that draws Latin runs inside Arabic text in the PDF from the vendored Noto Serif.

Noto Naskh Arabic has no Latin letters, parentheses or dashes, so an acronym such as "(SNHR)" in
an Arabic paragraph is drawn by the next font of the stack. At the Arabic section's size any
Latin face stands out: Naskh's letters are small for their nominal size (its bowls reach about
0.41 em, a Latin x-height about 0.54 em). CSS would say ``size-adjust`` in the @font-face rule,
but WeasyPrint 70 ignores that descriptor, so the scale is baked into the font instead: the same
outlines with a larger units-per-em draw ``SCALE`` times smaller. The derived face also has a
family name of its own, so the PDF embeds it apart from the English text's Noto Serif: its
mirrored parentheses then keep a text layer of their own (a glyph shared with left-to-right
text would get one Unicode mapping for both directions, and "(SNHR)" would extract as ")SNHR(").

Run from the repository root when a vendored Noto Serif file changes:
``.venv/bin/python scripts/derive_latin_in_arabic_fonts.py``. Only fontTools (WeasyPrint's own
dependency) is needed. The output is committed: nothing is derived at run time.
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parent.parent / "letterhub" / "static" / "fonts"
FAMILY = "Noto Serif Latin in Arabic"
# Latin letters drawn this much smaller than the Arabic section's nominal size sit with Naskh.
SCALE = 0.8
# Basic Latin, Latin-1, Latin Extended-A/B, combining marks, general punctuation, currency,
# letterlike symbols (№, ™): what a Latin run in an Arabic letter holds. Anything else falls
# through to the next font of the stack, as before.
UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    *range(0x20A0, 0x20C1),
    *range(0x2100, 0x2150),
]
STYLES = {"Regular": "NotoSerif-Regular.ttf", "Bold": "NotoSerif-Bold.ttf"}


def derive(style: str, source: Path, target: Path) -> None:
    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)

    head = font["head"]
    head.unitsPerEm = round(head.unitsPerEm / SCALE)

    postscript = FAMILY.replace(" ", "") + "-" + style
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
            names.setName(full, 4, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(postscript, 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 3:
            names.setName(f"{postscript};derived", 3, record.platformID, record.platEncID, record.langID)
    font.save(target)


def main() -> None:
    for style, source in STYLES.items():
        target = FONTS / f"NotoSerifLatinInArabic-{style}.ttf"
        derive(style, FONTS / source, target)
        print(f"{target.name}: {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
