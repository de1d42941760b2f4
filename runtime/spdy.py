"""SPDY/3.1 framing, without I/O: what kubectl's port-forward speaks inside a WebSocket.

Since Kubernetes 1.31 kubectl tunnels SPDY/3.1 in a WebSocket (subprotocol
``SPDY/3.1+portforward.k8s.io``); the API server passes the bytes through to the kubelet's
SPDY server (moby/spdystream). Only what that needs is here: client streams (odd ids) opened
with SYN_STREAM, SYN_REPLY, DATA with FIN, RST_STREAM, PING answered, GOAWAY; SETTINGS and
WINDOW_UPDATE are read and ignored (spdystream keeps no flow-control windows). Header blocks
are zlib streams with the SPDY/3 dictionary, one compression context per direction for the
whole session, so frames must be sent in the order they were made.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DICTIONARY",
    "Data",
    "GoAway",
    "Reply",
    "Reset",
    "SessionCheckpoint",
    "SpdyError",
    "SpdySession",
]

_VERSION = 3
_SYN_STREAM, _SYN_REPLY, _RST_STREAM, _SETTINGS, _PING, _GOAWAY, _HEADERS, _WINDOW = (
    1, 2, 3, 4, 6, 7, 8, 9,
)  # fmt: skip
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_REFUSED_STREAM, RST_CANCEL = 1, 3, 5
MAX_DATA = 0xFFFFFF  # 24-bit length

# The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): these names and
# values, each behind its 4-byte big-endian length, then the tail as it is.
_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base "
    "content-encoding content-language content-length content-location content-md5 "
    "content-range content-type date etag expect expires from host if-match "
    "if-modified-since if-none-match if-range if-unmodified-since last-modified location "
    "max-forwards pragma proxy-authenticate proxy-authorization range referer retry-after "
    "server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate "
    "method get status"
).split() + ["200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin"]
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
    "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
    "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, "
    "Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(struct.pack(">I", len(w)) + w.encode() for w in _WORDS) + _TAIL.encode()
"""The zlib dictionary of SPDY/3 header blocks (1423 bytes)."""


class SpdyError(Exception):
    """The peer sent something that is not SPDY/3."""


@dataclass(frozen=True)
class Reply:
    """SYN_REPLY: the peer accepted a stream we opened."""

    stream_id: int
    fin: bool


@dataclass(frozen=True)
class Data:
    """DATA on a stream; ``fin`` when the peer will send no more on it."""

    stream_id: int
    data: bytes
    fin: bool


@dataclass(frozen=True)
class Reset:
    """RST_STREAM: the stream is over, ``status`` says why (5: cancel)."""

    stream_id: int
    status: int


@dataclass(frozen=True)
class GoAway:
    """GOAWAY: the peer opens no more streams and ends the session."""

    last_stream_id: int
    status: int


Event = Reply | Data | Reset | GoAway


@dataclass(frozen=True)
class SessionCheckpoint:
    """A session's sending state at one moment (:meth:`SpdySession.checkpoint`)."""

    next_id: int
    compress: Any  # zlib's compressor type has no public name


def _control(frame_type: int, flags: int, payload: bytes) -> bytes:
    if len(payload) > MAX_DATA:
        raise ValueError("control frame too large")
    head = struct.pack(">HHI", 0x8000 | _VERSION, frame_type, (flags << 24) | len(payload))
    return head + payload


class SpdySession:
    """One client side of a SPDY/3.1 session: frames to send, events from bytes received."""

    def __init__(self) -> None:
        self._next_id = 1
        self._compress = zlib.compressobj(
            9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY
        )
        self._decompress = zlib.decompressobj(15, zdict=DICTIONARY)
        self._buffer = bytearray()

    def _header_block(self, headers: Sequence[tuple[str, str]]) -> bytes:
        block = struct.pack(">I", len(headers))
        for name, value in headers:
            n, v = name.lower().encode(), value.encode()
            block += struct.pack(">I", len(n)) + n + struct.pack(">I", len(v)) + v
        return self._compress.compress(block) + self._compress.flush(zlib.Z_SYNC_FLUSH)

    def syn_stream(
        self, headers: Sequence[tuple[str, str]], *, fin: bool = False
    ) -> tuple[int, bytes]:
        """Open a stream: its id and the SYN_STREAM frame (send frames in the order made)."""
        stream_id = self._next_id
        self._next_id += 2
        payload = struct.pack(">IIBB", stream_id, 0, 0, 0) + self._header_block(headers)
        return stream_id, _control(_SYN_STREAM, FLAG_FIN if fin else 0, payload)

    def checkpoint(self) -> SessionCheckpoint:
        """The state to :meth:`rewind` to if the frames made after this are never sent."""
        return SessionCheckpoint(self._next_id, self._compress.copy())

    def rewind(self, checkpoint: SessionCheckpoint) -> None:
        """Forget the frames made since ``checkpoint``: the peer's header decompressor never
        saw their header blocks, so ours must not have either, or every later block is
        unreadable to it."""
        self._next_id, self._compress = checkpoint.next_id, checkpoint.compress

    @staticmethod
    def data(stream_id: int, data: bytes, *, fin: bool = False) -> bytes:
        """DATA frames for ``data`` (split at the 24-bit limit); FIN on the last."""
        frames = b""
        view = memoryview(data)
        while True:
            chunk, view = view[:MAX_DATA], view[MAX_DATA:]
            last = not view
            flags = FLAG_FIN if fin and last else 0
            frames += struct.pack(">II", stream_id & 0x7FFFFFFF, (flags << 24) | len(chunk))
            frames += bytes(chunk)
            if last:
                return frames

    @staticmethod
    def rst_stream(stream_id: int, status: int = RST_CANCEL) -> bytes:
        """RST_STREAM for one stream."""
        return _control(_RST_STREAM, 0, struct.pack(">II", stream_id, status))

    @staticmethod
    def goaway(last_stream_id: int = 0) -> bytes:
        """GOAWAY (status OK): the session ends."""
        return _control(_GOAWAY, 0, struct.pack(">II", last_stream_id, 0))

    def feed(self, data: bytes) -> tuple[list[Event], bytes]:
        """Take bytes received; return the events and the bytes to send back (PING echoes,
        refusals of streams the peer opens)."""
        self._buffer += data
        events: list[Event] = []
        out = b""
        while len(self._buffer) >= 8:
            word, length_flags = struct.unpack_from(">II", self._buffer)
            flags, length = length_flags >> 24, length_flags & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                break
            payload = bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            if not word & 0x80000000:
                events.append(Data(word & 0x7FFFFFFF, payload, bool(flags & FLAG_FIN)))
                continue
            version, frame_type = (word >> 16) & 0x7FFF, word & 0xFFFF
            if version != _VERSION:
                raise SpdyError(f"SPDY version {version}, not 3")
            if frame_type == _SYN_REPLY:
                (stream_id,) = struct.unpack_from(">I", payload)
                self._read_headers(payload[4:])
                events.append(Reply(stream_id & 0x7FFFFFFF, bool(flags & FLAG_FIN)))
            elif frame_type == _SYN_STREAM:
                (stream_id,) = struct.unpack_from(">I", payload)
                self._read_headers(payload[10:])
                out += self.rst_stream(stream_id & 0x7FFFFFFF, RST_REFUSED_STREAM)
            elif frame_type == _HEADERS:
                self._read_headers(payload[4:])
            elif frame_type == _RST_STREAM:
                stream_id, status = struct.unpack_from(">II", payload)
                events.append(Reset(stream_id & 0x7FFFFFFF, status))
            elif frame_type == _PING:
                out += _control(_PING, 0, payload)
            elif frame_type == _GOAWAY:
                last, status = struct.unpack_from(">II", payload.ljust(8, b"\0"))
                events.append(GoAway(last & 0x7FFFFFFF, status))
            # SETTINGS, WINDOW_UPDATE and unknown types: nothing to do
        return events, out

    def _read_headers(self, block: bytes) -> None:
        # Only decompressed to keep the shared zlib stream in step; the values are not used.
        try:
            self._decompress.decompress(block)
        except zlib.error as exc:
            raise SpdyError(f"bad header block: {exc}") from None
