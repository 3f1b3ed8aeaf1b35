"""An animated GIF written one frame at a time, in bounded memory.

Pillow's own GIF writer wants every frame at save time (and keeps them all to
optimise), which for a pass of a thousand steps is gigabytes. GIF89a is simple: a
header with one global colour table, a loop extension, then per frame a graphic
control extension (delay, disposal) and an image block (a rectangle of palette
indices, LZW-compressed). Here Pillow still does the LZW (its C encoder, through its
public `save`); this module writes the blocks around it and sends only the
rectangle that changed since the previous frame (disposal 1: keep what is there),
its unchanged pixels transparent (long runs of one index: a few bytes of LZW).

No Qt: frames come in as numpy arrays of palette indices (see `Quantizer`).
"""
from __future__ import annotations

import io
import struct

import numpy as np

_DISPOSAL_KEEP = 1          # "do not dispose": the next frame draws over this one
CLEAR = 255                 # the palette index left transparent: "as in the last frame"


class GifStream:
    """`fp` (binary, writable) receives a looping GIF of frames `width`×`height`
    drawn with `palette` (768 bytes: 256 RGB triples; frames never use index CLEAR)."""

    def __init__(self, fp, width: int, height: int, palette: bytes, loop: int = 0):
        if len(palette) != 768:
            raise ValueError("a GIF palette is 256 RGB triples (768 bytes)")
        self._fp, self._size, self._prev = fp, (width, height), None
        self._palette = palette
        fp.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF7, 0, 0) + palette)
        fp.write(b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\x00")
        self.frames = 0

    def add(self, indices: np.ndarray, duration_ms: int) -> None:
        """One frame: `indices` (height×width uint8); shown for `duration_ms`."""
        if indices.shape != (self._size[1], self._size[0]):
            raise ValueError(f"frame {indices.shape[::-1]} is not {self._size}")
        x0, y0, x1, y1 = self._changed_box(indices)
        block = indices[y0:y1, x0:x1]
        flags = _DISPOSAL_KEEP << 2
        if self._prev is not None:
            block = np.where(block == self._prev[y0:y1, x0:x1], np.uint8(CLEAR), block)
            flags |= 1                                  # CLEAR is transparent
        delay = max(0, min(0xFFFF, round(duration_ms / 10)))
        self._fp.write(b"!\xf9\x04" + struct.pack("<BHBB", flags, delay, CLEAR, 0))
        self._fp.write(_image_block(block, x0, y0, self._palette))
        self._prev = indices.copy()
        self.frames += 1

    def close(self) -> None:
        self._fp.write(b";")

    def _changed_box(self, indices: np.ndarray) -> tuple[int, int, int, int]:
        """The smallest rectangle holding every pixel that differs from the last frame."""
        h, w = indices.shape
        if self._prev is None:
            return 0, 0, w, h
        diff = indices != self._prev
        rows, cols = np.flatnonzero(diff.any(axis=1)), np.flatnonzero(diff.any(axis=0))
        if len(rows) == 0:
            return 0, 0, 1, 1                      # nothing changed: one pixel, as it was
        return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _image_block(indices: np.ndarray, x: int, y: int, palette: bytes) -> bytes:
    """The image descriptor and LZW data of `indices`, placed at (`x`, `y`)."""
    from PIL import Image
    im = Image.fromarray(np.ascontiguousarray(indices), "P")
    im.putpalette(palette)
    buf = io.BytesIO()
    im.save(buf, "GIF", optimize=False)
    block = _first_image(buf.getvalue())
    return block[:1] + struct.pack("<HH", x, y) + block[5:]


def _first_image(gif: bytes) -> bytes:
    """The first image block of a GIF file: from its ',' through its data sub-blocks."""
    pos = 13 + (3 << ((gif[10] & 7) + 1) if gif[10] & 0x80 else 0)
    while gif[pos:pos + 1] == b"!":               # extensions: label, then sub-blocks
        pos = _skip_blocks(gif, pos + 2)
    if gif[pos:pos + 1] != b",":
        raise ValueError("no image in Pillow's GIF")
    start, flags = pos, gif[pos + 9]
    pos += 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    return gif[start:_skip_blocks(gif, pos + 1)]   # +1: the LZW minimum code size


def _skip_blocks(data: bytes, pos: int) -> int:
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


class Quantizer:
    """RGB frames to indices of one fixed palette: the theme's colours exactly (a thin
    green ✓ stays green), the rest from sample frames' antialiasing shades."""

    EXACT = 64

    def __init__(self, samples, theme_colours):
        from PIL import Image
        exact = list(dict.fromkeys(theme_colours))[:self.EXACT]
        width = max(im.width for im in samples)
        sheet = Image.new("RGB", (width, sum(im.height for im in samples)))
        y = 0
        for im in samples:
            sheet.paste(im, (0, y))
            y += im.height
        n = CLEAR - len(exact)
        shades = sheet.quantize(colors=n, method=Image.Quantize.MEDIANCUT,
                                dither=Image.Dither.NONE).getpalette()[:3 * n]
        flat = [c for rgb in exact for c in rgb] + shades
        flat += flat[:3] * (256 - len(flat) // 3)          # spares (and CLEAR): colour 0 again
        self.palette = bytes(flat)
        self._image = Image.new("P", (1, 1))
        self._image.putpalette(self.palette)

    def indices(self, rgb) -> np.ndarray:
        """A PIL RGB image as palette indices (nearest colour, no dithering), never CLEAR."""
        from PIL import Image
        out = np.array(rgb.quantize(palette=self._image, dither=Image.Dither.NONE))
        np.putmask(out, out == CLEAR, 0)
        return out
