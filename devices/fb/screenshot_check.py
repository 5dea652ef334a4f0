#!/usr/bin/env python3
"""Compares a screenshot, pixel by pixel, with a reference image or with text as the
framebuffer console must draw it. Images are PNG (8-bit RGB or RGBA, not interlaced, as
the hosted machine writes them) or binary PPM (P6, as QEMU's screendump writes them),
decoded here with the standard library alone.

usage: screenshot_check.py SHOT --reference IMAGE
       screenshot_check.py SHOT --text FILE --font FONT.psf.gz
         the lines of FILE from the top-left cell, 8x16 cells of FONT's glyphs, light grey
         (0xaaaaaa) on black, the rest of the screen black
       screenshot_check.py SHOT --pattern
         user/tests/fbtest.c's pattern: red x * 255 / (width - 1), green
         y * 255 / (height - 1), blue 255 on the dark squares of an 8x8 checkerboard
--flip X,Y inverts pixel (X, Y) of the screenshot first: a planted difference the
comparison must catch.
Prints "ok - ..." and exits 0 when every pixel matches; names the first differing pixel
and exits 1 otherwise.
"""
import argparse
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import psf_font  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FG, BG = (0xAA, 0xAA, 0xAA), (0, 0, 0)


def fail(msg):
    print(f"not ok - {msg}")
    sys.exit(1)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(raw, width, height, bpp):
    """The rows of pixel bytes of a PNG's decompressed, filtered data."""
    stride, rows, prev, pos = width * bpp, [], bytearray(width * bpp), 0
    for _ in range(height):
        ftype, line = raw[pos], bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype] if ftype <= 4 else None
            if pred is None:
                fail(f"bad PNG filter type {ftype}")
            line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        prev = line
    return rows


def read_png(data):
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if not hdr:
        fail("PNG without IHDR")
    width, height, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail(f"unsupported PNG (depth {depth}, colour type {ctype}, interlace {interlace})")
    bpp = 3 if ctype == 2 else 4
    rows = unfilter(zlib.decompress(idat), width, height, bpp)
    return width, height, [bytes(r[i] for i in range(len(r)) if i % bpp < 3) for r in rows]


def read_ppm(data):
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    width, height, maxval = fields
    if maxval != 255:
        fail(f"unsupported PPM maximum {maxval}")
    pixels = data[pos + 1 :]
    return width, height, [pixels[y * width * 3 : (y + 1) * width * 3] for y in range(height)]


def read_image(path):
    """(width, height, rows of RGB bytes) of a PNG or P6 PPM file."""
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(PNG_MAGIC):
        return read_png(data)
    if data.startswith(b"P6"):
        return read_ppm(data)
    fail(f"{path}: neither PNG nor P6 PPM")


def render_text(lines, font, width, height):
    """The rows of RGB bytes of lines drawn in 8x16 cells of font."""
    rows = [bytearray(bytes(BG) * width) for _ in range(height)]
    for r, line in enumerate(lines):
        for c, ch in enumerate(line.encode("latin-1")):
            if (c + 1) * 8 > width or (r + 1) * 16 > height:
                fail(f"text line {r + 1} does not fit the {width}x{height} screen")
            for y in range(16):
                bits = font[ch][y]
                for x in range(8):
                    px = FG if bits & (0x80 >> x) else BG
                    at = ((c * 8) + x) * 3
                    rows[r * 16 + y][at : at + 3] = bytes(px)
    return rows


def render_pattern(width, height):
    """The rows of RGB bytes of fbtest's pattern."""
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            blue = 255 if ((x // 8) ^ (y // 8)) & 1 else 0
            row += bytes((x * 255 // (width - 1), y * 255 // (height - 1), blue))
        rows.append(bytes(row))
    return rows


def flip(shot, where):
    """shot with the pixel at "X,Y" inverted."""
    width, height, rows = shot
    x, y = (int(v) for v in where.split(","))
    row = bytearray(rows[y])
    row[x * 3 : x * 3 + 3] = bytes(255 - b for b in row[x * 3 : x * 3 + 3])
    return width, height, rows[:y] + [bytes(row)] + rows[y + 1 :]


def compare(shot, expect, what):
    sw, sh, srows = shot
    ew, eh, erows = expect
    if (sw, sh) != (ew, eh):
        fail(f"the screenshot is {sw}x{sh}, {what} is {ew}x{eh}")
    for y in range(sh):
        if srows[y] != erows[y]:
            x = next(i for i in range(len(srows[y])) if srows[y][i] != erows[y][i]) // 3
            got, want = srows[y][x * 3 : x * 3 + 3].hex(), erows[y][x * 3 : x * 3 + 3].hex()
            fail(f"pixel ({x},{y}) is #{got}, {what} has #{want}")
    print(f"ok - the {sw}x{sh} screenshot equals {what} pixel for pixel")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shot")
    ap.add_argument("--reference")
    ap.add_argument("--text")
    ap.add_argument("--font")
    ap.add_argument("--pattern", action="store_true")
    ap.add_argument("--flip")
    args = ap.parse_args()
    shot = read_image(args.shot)
    if args.flip:
        shot = flip(shot, args.flip)
    if args.pattern:
        width, height, _ = shot
        compare(shot, (width, height, render_pattern(width, height)), "fbtest's pattern")
    elif args.reference:
        compare(shot, read_image(args.reference), args.reference)
    elif args.text and args.font:
        with open(args.text, encoding="latin-1") as f:
            lines = f.read().splitlines()
        width, height, _ = shot
        rows = render_text(lines, psf_font.load_latin1(args.font), width, height)
        compare(shot, (width, height, [bytes(r) for r in rows]), f"the text of {args.text}")
    else:
        ap.error("give --reference, or --text and --font")


if __name__ == "__main__":
    main()
