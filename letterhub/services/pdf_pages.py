"""How many pages a PDF has, read from its page tree (no third-party parser at run time).

WeasyPrint (through pydyf) writes PDF 1.7 with *object streams*: the page tree's objects sit
inside zlib-compressed streams, so searching the file's bytes for ``/Type /Page`` finds
nothing. This reads the document catalogue's root ``/Pages`` object, in the file or inside an
object stream, and returns its ``/Count``: what every PDF reader shows as the page count.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(?<![0-9])(\d+)\s+(\d+)\s+obj\b")
_STREAM = re.compile(rb"stream\r?\n")
_ROOT = re.compile(rb"/Root\s+(\d+)\s+\d+\s+R")
_PAGES_REF = re.compile(rb"/Pages\s+(\d+)\s+\d+\s+R")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_FIRST = re.compile(rb"/First\s+(\d+)")
_N = re.compile(rb"/N\s+(\d+)")


class PageCountError(ValueError):
    """The bytes are not a PDF whose page tree can be read."""


def count_pages(pdf: bytes) -> int:
    objects = _objects(pdf)
    roots = _ROOT.findall(pdf)
    if not roots:
        raise PageCountError("no /Root in the trailer")
    catalogue = objects.get(int(roots[-1]))
    if catalogue is None:
        raise PageCountError("the catalogue object is missing")
    pages_ref = _PAGES_REF.search(catalogue)
    if pages_ref is None:
        raise PageCountError("the catalogue has no /Pages")
    pages = objects.get(int(pages_ref.group(1)))
    count = _COUNT.search(pages or b"")
    if count is None:
        raise PageCountError("the page tree has no /Count")
    return int(count.group(1))


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Object number -> its source text: direct objects, then the members of object streams."""
    objects: dict[int, bytes] = {}
    starts = list(_OBJECT.finditer(pdf))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(pdf)
        body = pdf[match.end() : end]
        objects[int(match.group(1))] = body.split(b"endobj", 1)[0]
    for body in list(objects.values()):
        head, _, rest = body.partition(b"stream")
        if b"/ObjStm" not in head or not rest:
            continue
        data = _STREAM.match(b"stream" + rest)
        if data is None:
            continue
        raw = rest[data.end() - len(b"stream") :]
        raw = raw.rsplit(b"endstream", 1)[0]
        try:
            content = zlib.decompressobj().decompress(raw) if b"/FlateDecode" in head else raw
        except zlib.error:
            continue
        first, count = _FIRST.search(head), _N.search(head)
        if first is None or count is None:
            continue
        numbers = content[: int(first.group(1))].split()
        pairs = [
            (int(numbers[i]), int(numbers[i + 1]))
            for i in range(0, min(len(numbers), 2 * int(count.group(1))), 2)
        ]
        offset = int(first.group(1))
        for position, (number, start) in enumerate(pairs):
            stop = pairs[position + 1][1] if position + 1 < len(pairs) else len(content) - offset
            objects.setdefault(number, content[offset + start : offset + stop])
    return objects
