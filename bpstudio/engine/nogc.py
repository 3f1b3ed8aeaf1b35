"""Pause Python's cyclic garbage collector while building big acyclic structures.

Building a 65k-node graph allocates hundreds of thousands of containers, and each
allocation burst makes the collector walk every live object (micrograd spends 90%
of its time there). Nothing we build here is cyclic, so pausing it is safe.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
