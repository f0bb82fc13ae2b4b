"""The cyclic garbage collector, paused while rrdsl makes many objects and few cycles."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector off (as it was, after).

    Loading a contract makes objects by the hundred thousand (the parse trees, the AST, the
    checked IR) and almost no reference cycles, and so does an evaluation (its contexts, which
    refer to themselves, are released at its end: runtime.Ctx.release), so each collection
    the allocations trigger walks a growing heap and frees next to nothing: 40 % of `rrdsl
    check` on a contract ten times the agreement's size, and more than half of a batch's
    evaluations whose outcomes are kept (measured in docs/performance.md).  What reference
    cycles the block does leave are collected once the collector is back on.  Nesting is
    harmless; the language server, which keeps the collector off and collects between
    analyses, is left as it is."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["collector_paused"]
