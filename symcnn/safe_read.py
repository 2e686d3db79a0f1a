"""Bounded reads of model files: no read is larger than a documented limit, whatever ``stat``
says, and no read blocks.

- :func:`read_text`: a regular file only (FIFOs, sockets and devices such as ``/dev/zero``
  or ``/dev/urandom`` are refused before anything is read, also behind a symlink); at most
  :data:`MAX_FILE_BYTES` bytes are read; the text must be UTF-8.
- :func:`read_zip_member`: one member of a zip archive (a ``.keras`` file), refused if the
  archive's central directory or the member's declared size is too large, *before* anything
  is inflated, and read through a bounded stream in case the declared size lies.
- :func:`load_json` and :func:`check_data`: JSON whose nesting, number of values and integer
  sizes are bounded (a 5,000-digit integer is a :class:`~symcnn.errors.SpecError` naming
  where it is, not Python's bare ``ValueError``).

>>> import json, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "m.json")
>>> with open(path, "w") as f:
...     _ = f.write('{"layers": [1, 2]}')
>>> load_json(read_text(path), path)
{'layers': [1, 2]}
>>> read_text("/dev/zero")
Traceback (most recent call last):
...
symcnn.errors.SpecError: /dev/zero: not a regular file (a character device); symcnn reads model files only. Received: path='/dev/zero'
"""

from __future__ import annotations

import json
import os
import stat
import struct
import zipfile
from typing import Any

from .errors import OutputError, SpecError, shorten
from .safe import MAX_DIGITS, brief

__all__ = ["MAX_FILE_BYTES", "MAX_MEMBER_BYTES", "MAX_ZIP_DIRECTORY_BYTES", "MAX_NESTING",
           "MAX_VALUES", "read_text", "read_zip_member", "load_json", "check_data", "excerpt",
           "regular_file", "nesting_depth", "write_bytes", "decode_text", "DuplicateKey",
           "LongInteger", "parse_int"]

#: Largest model file read (YAML, JSON, Keras JSON config), in bytes.
MAX_FILE_BYTES = 1_000_000
#: Largest ``config.json`` read from a ``.keras`` archive, in bytes (inflated size).
MAX_MEMBER_BYTES = 10_000_000
#: Largest central directory of a ``.keras`` archive, in bytes (about 20,000 members).
MAX_ZIP_DIRECTORY_BYTES = 1_000_000
#: Deepest nesting of lists and mappings in a model file.
MAX_NESTING = 64
#: Most values (list items, mapping entries, scalars) in a model file.
MAX_VALUES = 100_000

_KINDS = [(stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory")]


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _refuse_kind(path: str, mode: int):
    return SpecError(f"{path}: not a regular file ({_kind(mode)}); symcnn reads model files "
                     f"only. Received: path={path!r}")


def regular_file(path: str) -> None:
    """Raise a :class:`SpecError` unless ``path`` (after symlinks) is an existing regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise SpecError(f"{path}: cannot read the file ({err.strerror or err}). "
                        f"Received: path={path!r}") from None
    if not stat.S_ISREG(mode):
        raise _refuse_kind(path, mode)


def _open(path: str) -> int:
    """A descriptor of the regular file ``path``: opened without blocking, checked by fstat."""
    regular_file(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise SpecError(f"{path}: cannot read the file ({err.strerror or err}). "
                        f"Received: path={path!r}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):  # replaced between the two checks
        os.close(fd)
        raise _refuse_kind(path, mode)
    return fd


def read_bytes(path: str, limit: int = MAX_FILE_BYTES, kind: str = "a model file") -> bytes:
    """At most ``limit`` bytes of the regular file ``path``; more is a :class:`SpecError`
    (``kind`` says what the file is meant to be)."""
    path = os.fspath(path)
    fd = _open(path)
    try:
        with os.fdopen(fd, "rb", closefd=True) as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise SpecError(f"{path}: cannot read the file ({err.strerror or err}). "
                        f"Received: path={path!r}") from None
    if len(data) > limit:
        raise SpecError(f"{path}: larger than {limit:,} bytes; {kind} is small. "
                        f"Received: a file of more than {limit:,} bytes")
    return data


def _decode(data: bytes, what: str) -> str:
    try:  # a byte-order mark, as some Windows editors write, is not part of the text
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise SpecError(f"{what}: not UTF-8 text (byte 0x{data[err.start]:02x} at offset "
                        f"{err.start:,}). Received: {what}") from None


def read_text(path: str, limit: int = MAX_FILE_BYTES, kind: str = "a model file") -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes."""
    path = os.fspath(path)
    return _decode(read_bytes(path, limit, kind), path)


def decode_text(data: bytes, what: str) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped), or a :class:`SpecError`
    naming ``what``."""
    return _decode(data, what)


def _directory_size(handle, path: str) -> int:
    """The central directory's size from the end records, read before zipfile parses it."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    handle.seek(max(0, end - 65_557))
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise SpecError(f"{path}: not a zip archive (no end of central directory), so not a "
                        f".keras model file. Received: path={path!r}")
    entries, size = struct.unpack("<HL", tail[at + 10:at + 16])
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # ZIP64: the locator is 20 bytes before
        loc = tail[at - 20:at] if at >= 20 else b""
        if loc[:4] != b"PK\x06\x07":
            raise SpecError(f"{path}: a malformed ZIP64 archive. Received: path={path!r}")
        (offset,) = struct.unpack("<Q", loc[8:16])
        handle.seek(offset)
        record = handle.read(56)
        if record[:4] != b"PK\x06\x06" or len(record) < 56:
            raise SpecError(f"{path}: a malformed ZIP64 archive. Received: path={path!r}")
        (size,) = struct.unpack("<Q", record[40:48])
    handle.seek(0)
    return size


def read_zip_member(path: str, member: str, limit: int = MAX_MEMBER_BYTES) -> str:
    """The UTF-8 text of ``member`` in the zip archive ``path``, bounded before inflating."""
    path = os.fspath(path)
    fd = _open(path)
    with os.fdopen(fd, "rb", closefd=True) as handle:
        directory = _directory_size(handle, path)
        if directory > MAX_ZIP_DIRECTORY_BYTES:
            raise SpecError(f"{path}: the zip archive's directory is {directory:,} bytes (at "
                            f"most {MAX_ZIP_DIRECTORY_BYTES:,}): too many members for a .keras "
                            f"file. Received: path={path!r}")
        try:
            with zipfile.ZipFile(handle) as archive:
                try:
                    info = archive.getinfo(member)
                except KeyError:
                    raise SpecError(f"{path}: a zip archive without {member}, so not a .keras "
                                    f"model file. Received: path={path!r}") from None
                if info.file_size > limit:
                    raise SpecError(f"{path}: {member} would inflate to {info.file_size:,} "
                                    f"bytes (at most {limit:,}); it is not read. "
                                    f"Received: path={path!r}")
                with archive.open(info) as stream:
                    data = stream.read(limit + 1)
        except SpecError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
                OSError, RuntimeError, ValueError) as err:
            raise SpecError(f"{path}: a damaged or unsupported zip archive ({type(err).__name__}: "
                            f"{brief(str(err))}). Received: path={path!r}") from None
    if len(data) > limit:
        raise SpecError(f"{path}: {member} is larger than {limit:,} bytes. "
                        f"Received: path={path!r}")
    return _decode(data, f"{member} in {path}")


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path``; any failure (a full disk: ``/dev/full``) is an OutputError."""
    path = os.fspath(path)
    try:
        with open(path, "wb") as handle:
            handle.write(data)
            handle.flush()
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}. "
                          f"Received: path={path!r}") from None


class LongInteger:
    """An integer of more than :data:`~symcnn.safe.MAX_DIGITS` digits as a reader found it
    (JSON's ``parse_int``, YAML's integer constructor: Python refuses to convert it), kept
    for :func:`check_data` to refuse with the path of the value."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {self.digits:,} digits>"


def parse_int(text: str):
    """An integer written in decimal ``text``, or a :class:`LongInteger` past the digit limit."""
    digits = len(text.lstrip("+-"))
    return LongInteger(digits) if digits > MAX_DIGITS else int(text)


#: The smallest integer of more than :data:`~symcnn.safe.MAX_DIGITS` digits.
_TOO_LONG = 10 ** MAX_DIGITS


def _long_integer(value) -> bool:
    if isinstance(value, LongInteger):
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _TOO_LONG


def _path_of(data: Any, target: Any) -> str:
    """Where ``target`` (the very object) is in ``data``: ``layers[0].Dense``."""
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if value is target:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                if key is target:  # YAML's keys may be integers
                    return f"a key of {path or 'the document'}"
                at = f"{path}[{brief(key)}]" if not isinstance(key, str) else \
                    f"{path}.{key}" if path else key
                stack.append((item, at))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return ""


def _too_long(data: Any, value: Any, where: str) -> SpecError:
    path = _path_of(data, value)
    shown = repr(value) if isinstance(value, LongInteger) else brief(value)
    at = f"{where}: {path}" if path else where
    received = f"{path}={shown}" if path and not path.startswith("a key") else shown
    return SpecError(f"{at}: an integer of more than {MAX_DIGITS:,} digits, the most symcnn "
                     f"reads in a file. Received: {received}")


def check_data(data: Any, where: str) -> Any:
    """``data`` (parsed JSON/YAML) if its nesting, size and integers are within bounds.

    Walks iteratively, so nesting of any depth is reported, never a ``RecursionError``.
    An integer of more than :data:`~symcnn.safe.MAX_DIGITS` digits (or a
    :class:`LongInteger`) is refused with its path:

    >>> check_data({"layers": [{"Dense": 10 ** 5000}]}, "m.json")
    Traceback (most recent call last):
    ...
    symcnn.errors.SpecError: m.json: layers[0].Dense: an integer of more than 4,300 digits, the most symcnn reads in a file. Received: layers[0].Dense=<an integer of 5,001 digits>
    """
    stack = [(data, 1)]
    count = 0
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise SpecError(f"{where}: more than {MAX_VALUES:,} values; a model file is small. "
                            f"Received: a larger document")
        if depth > MAX_NESTING:
            raise SpecError(f"{where}: nested deeper than {MAX_NESTING} levels. "
                            f"Received: a document nested deeper")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            stack.extend((k, depth + 1) for k in value.keys() if not isinstance(k, str))
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)
        elif _long_integer(value):
            raise _too_long(data, value, where)
    return data


def load_json(text: str, where: str) -> Any:
    """JSON ``text`` parsed with bounded nesting and integers (see :func:`check_data`); each
    error names ``where`` and shows the start of the text.

    >>> load_json('{"a": [1, 2]}', "m.json")
    {'a': [1, 2]}
    >>> load_json('{"a": [1, 2', "m.json")
    Traceback (most recent call last):
    ...
    symcnn.errors.SpecError: m.json: not valid JSON (Expecting ',' delimiter at line 1, column 12). Received: '{"a": [1, 2'
    """
    received = f"Received: {excerpt(text)!r}"
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise SpecError(f"{where}: not valid model JSON: nested deeper than {MAX_NESTING} "
                        f"levels ({depth:,}). {received}")
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_int=parse_int)
    except DuplicateKey as err:
        raise SpecError(f"{where}: the key {err.key!r} appears twice in one object; only one "
                        f"can count (JSON would keep the last silently). {received}") from None
    except json.JSONDecodeError as err:
        raise SpecError(f"{where}: not valid JSON ({err.msg} at line {err.lineno}, column "
                        f"{err.colno}). {received}") from None
    except (ValueError, RecursionError) as err:  # a long integer is refused by check_data
        raise SpecError(f"{where}: not valid model JSON ({type(err).__name__}: "
                        f"{brief(str(err))}). {received}") from None
    return check_data(data, where)


class DuplicateKey(Exception):
    """A mapping (JSON object, YAML mapping) names one key twice."""

    def __init__(self, key) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise DuplicateKey(key)
        out[key] = value
    return out


def excerpt(text: str) -> str:
    """The first 60 characters of ``text`` for a message, marked when cut."""
    return shorten(text, 60)


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of JSON ``text`` outside strings (a linear scan)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest
