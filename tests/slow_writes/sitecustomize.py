"""Loaded by the commands that tests/test_write_kills.py starts (this folder first on their
PYTHONPATH): files written under ARDENNE_TEST_SLOW_WRITES are written 64 KiB (ARDENNE_TEST_SLOW_CHUNK bytes) at a time with
a pause between, so that a kill drawn at random lands inside a write often, not only in the
computing before it. Nothing else changes; the product never reads this variable."""

import builtins
import io
import os
import time

FOLDER = os.environ.get("ARDENNE_TEST_SLOW_WRITES")
CHUNK = int(os.environ.get("ARDENNE_TEST_SLOW_CHUNK") or 64 * 1024)
PAUSE = 0.02


class _Slow:
    def __init__(self, handle) -> None:
        self._handle = handle

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        for start in range(0, len(view), CHUNK):
            self._handle.write(view[start : start + CHUNK])
            self._handle.flush()
            time.sleep(PAUSE)
        return len(view)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __iter__(self):
        return iter(self._handle)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _under(file) -> bool:
    try:
        name = os.readlink(f"/proc/self/fd/{file}") if isinstance(file, int) else os.path.abspath(file)
    except (OSError, TypeError):
        return False
    return name.startswith(FOLDER)


if FOLDER:
    _real_open = io.open

    def _open(file, mode="r", *args, **kwargs):
        handle = _real_open(file, mode, *args, **kwargs)
        if any(m in mode for m in "wax+") and "b" in mode and _under(file):
            return _Slow(handle)
        return handle

    io.open = _open
    builtins.open = _open
