"""Helpers for the picture tests: the pixel size of a PNG, read from its header."""

import struct

import pytest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) of a PNG file; fails unless the file starts like a valid PNG."""
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert header[12:16] == b"IHDR"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def assert_png():
    """``assert_png(path, figsize)``: a valid PNG of figsize × DPI pixels."""
    from chainrule.viz.figure import DPI

    def check(path, figsize):
        width, height = png_size(path)
        assert (width, height) == (round(figsize[0] * DPI), round(figsize[1] * DPI))
    return check
