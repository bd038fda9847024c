# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""libopscope from Python, through ctypes: mark your own operations for opscope record.

    import opscope
    parse = opscope.kind("parse")
    with opscope.op(parse):
        ...

The library is found as OPSCOPE_LIB names it, else as libopscope.so.1 on the library
path (LD_LIBRARY_PATH, or after make install to a standard prefix). Without it, or
without opscope attached, every call is a cheap no-op: the program runs as before.
"""
import ctypes
import os

ABI = 1          # OPSCOPE_ABI of <opscope/ops.h>
_OP_WORDS = 40   # sizeof(opscope_op) / 8


def _load():
    try:
        lib = ctypes.CDLL(os.environ.get("OPSCOPE_LIB", "libopscope.so.1"))
    except OSError:
        return None
    lib.opscope_kind_v.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.opscope_kind_v.restype = ctypes.c_int
    for name in ("opscope_end_v", "opscope_end_failed_v", "opscope_exec_begin_v",
                 "opscope_exec_end_v"):
        getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int]
        getattr(lib, name).restype = None
    lib.opscope_begin_v.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.opscope_begin_v.restype = None
    return lib


_lib = _load()


def kind(name):
    """The id of an operation kind (register each name once, keep the id)."""
    return _lib.opscope_kind_v(name.encode(), ABI) if _lib else 0


class op:
    """One operation: begins when the with-block is entered, ends when it is left (as
    failed when an exception leaves it). Hand op.handle to the thread that runs it, which
    wraps its part in exec(handle)."""

    __slots__ = ("_kind", "_buf")

    def __init__(self, kind_id):
        self._kind = kind_id
        self._buf = (ctypes.c_uint64 * _OP_WORDS)()

    @property
    def handle(self):
        return self._buf

    def begin(self):
        if _lib:
            _lib.opscope_begin_v(self._buf, self._kind, ABI)
        return self

    def end(self, failed=False):
        if _lib:
            (_lib.opscope_end_failed_v if failed else _lib.opscope_end_v)(self._buf, ABI)

    def __enter__(self):
        return self.begin()

    def __exit__(self, exc_type, exc, tb):
        self.end(failed=exc_type is not None)
        return False


class exec:
    """The calling thread runs another thread's operation (op.handle) in this block."""

    __slots__ = ("_buf",)

    def __init__(self, handle):
        self._buf = handle

    def __enter__(self):
        if _lib:
            _lib.opscope_exec_begin_v(self._buf, ABI)
        return self

    def __exit__(self, exc_type, exc, tb):
        if _lib:
            _lib.opscope_exec_end_v(self._buf, ABI)
        return False
