#!/usr/bin/env python3
"""Rebuild NotoSansCJKsc-subset.otf from Debian's fonts-noto-cjk.

Keeps GB2312 (every hanzi a county bureau's text uses), ASCII/Latin-1, the punctuation,
arrows, symbols and fullwidth forms the UI draws, plus every character found in the
project's assets, so that station, township and signal names always render.

    apt-get install fonts-noto-cjk && pip install fonttools
    python3 assets/fonts/subset.py            # from the repository root
"""
import pathlib
import subprocess

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE_SC = 2  # face index of "Noto Sans CJK SC" inside the collection
ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "assets/fonts/NotoSansCJKsc-subset.otf"

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 (°, ±, ², ×, ·)
    (0x0391, 0x03C9),  # Greek (Δ, μ)
    (0x2010, 0x206F),  # general punctuation (— … ‰ ′ ″)
    (0x2070, 0x209F),  # super/subscripts
    (0x2100, 0x214F),  # letterlike (℃ №)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅱ Ⅲ Ⅳ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # maths operators (≤ ≥ ≈)
    (0x2460, 0x24FF),  # enclosed numbers
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes (● ▲ ■ ◆)
    (0x2600, 0x26FF),  # misc symbols (⚠ ☀ ☁)
    (0x3000, 0x303F),  # CJK punctuation (、。「」【】)
    (0x3200, 0x32FF),  # enclosed CJK
    (0xFF00, 0xFFEF),  # fullwidth forms (，：（）)
]


def gb2312_chars():
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def asset_chars():
    chars = set()
    for path in (ROOT / "assets").rglob("*"):
        if path.suffix in {".csv", ".json", ".geojson", ".md", ".toml"}:
            chars.update(path.read_text(encoding="utf-8"))
    return chars


def main():
    codepoints = {ord(c) for c in gb2312_chars() | asset_chars() if ord(c) >= 0x20}
    for lo, hi in RANGES:
        codepoints.update(range(lo, hi + 1))
    unicodes = ",".join(f"U+{cp:04X}" for cp in sorted(codepoints))
    subprocess.run(
        [
            "pyftsubset", SOURCE, f"--font-number={FACE_SC}", f"--unicodes={unicodes}",
            "--layout-features=*", "--no-hinting", "--desubroutinize", f"--output-file={OUT}",
        ],
        check=True,
    )
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(codepoints)} code points requested")


if __name__ == "__main__":
    main()
