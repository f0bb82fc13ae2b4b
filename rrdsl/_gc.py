"""The cyclic garbage collector, paused while rrdsl makes many objects and few cycles."""

from __future__ import annotations

import gc


class collector_paused:  # noqa: N801 (used as a function: `with collector_paused():`)
    """`with collector_paused():` runs the block with Python's cyclic garbage collector off (as
    it was, after).

    Loading a contract makes objects by the hundred thousand (the parse trees, the AST, the
    checked IR) and almost no reference cycles, and so does an evaluation (its contexts, which
    refer to themselves, are released at its end: runtime.Ctx.release), so each collection
    the allocations trigger walks a growing heap and frees next to nothing: 40 % of `rrdsl
    check` on a contract ten times the agreement's size, a quarter of an evaluation of a
    history ten times as long (measured in docs/performance.md).  What reference cycles the
    block does leave are collected once the collector is back on.  Nesting is
    harmless; the language server, which keeps the collector off and collects between
    analyses, is left as it is."""

    # a class, not a generator function with contextlib: an evaluation enters it once, and the
    # generator's context manager costs four times as much (0.9 µs against 0.24)
    __slots__ = ("was",)

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was:
            gc.enable()


__all__ = ["collector_paused"]
