"""Reading an upstream body without trusting its size: a cap on the decompressed bytes, checked as they come.

httpx would inflate a gzip body in whatever pieces zlib returns (a 64 KiB chunk of a gzip bomb inflates to
~64 MiB at once), so the raw bytes are read here and inflated at most `_PIECE` bytes at a time.
"""

import zlib
from collections.abc import Iterator

import httpx

# The most one inflate step may return: the cap is checked after every piece.
_PIECE = 256 * 1024


class BodyTooLarge(Exception):
    """The body holds more than the cap allows (after decompression)."""


class BodyUnreadable(Exception):
    """The body is encoded in a way we cannot decode; `str()` says how, in our own words."""


class _Inflater:
    def __init__(self, encoding: str) -> None:
        # gzip, or zlib-wrapped deflate; raw deflate (which some servers send as "deflate") on a retry.
        self._wbits = zlib.MAX_WBITS | 32 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._zlib = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The inflated pieces of `data`, one at a time: 64 KiB of a bomb is ~64 MiB, never held at once."""
        while True:
            try:
                piece = self._zlib.decompress(data, _PIECE)
            except zlib.error:
                if self._started or self._wbits != zlib.MAX_WBITS:
                    raise BodyUnreadable("its compressed data is corrupt") from None
                self._wbits = -zlib.MAX_WBITS
                self._zlib = zlib.decompressobj(self._wbits)
                continue
            self._started = True
            data = self._zlib.unconsumed_tail
            if piece:
                yield piece
            # A full piece may leave output pending inside zlib even with no input left: go round again.
            if self._zlib.eof or (not data and len(piece) < _PIECE):
                return


async def read_capped(response: httpx.Response, cap: int) -> bytearray:
    """The whole decoded body, never holding more than `cap` bytes of it; raises `BodyTooLarge` past that.

    Transport errors while reading (a connection closed mid-body) propagate as httpx raises them.
    """
    if response.is_stream_consumed:
        # Already in memory, decoded: a transport that builds whole responses in-process (httpx's
        # MockTransport does) hands them over read. The network never does.
        if len(response.content) > cap:
            raise BodyTooLarge
        return bytearray(response.content)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    inflater: _Inflater | None = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater(encoding)
    elif encoding not in ("", "identity"):
        raise BodyUnreadable("it is compressed in a way catena-mcp does not read")
    else:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge
    body = bytearray()
    async for chunk in response.aiter_raw():
        for piece in inflater.feed(chunk) if inflater is not None else (chunk,):
            if len(body) + len(piece) > cap:
                raise BodyTooLarge
            body += piece
    return body
