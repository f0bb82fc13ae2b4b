"""The base of the AST's and the IR's classes: their one `__repr__`.

attrs generates and compiles a `__repr__` for each class it makes; for the ninety-odd node
classes that was a tenth of the start of `rrdsl check`, which never prints a node. The
classes are made with `repr=False` and inherit this one, which writes what attrs' would:
`Name(name='x')`, the fields that are part of the repr, in order.
"""

from __future__ import annotations

from typing import Any

import attrs

_REPR_FIELDS: dict[type, tuple[str, ...]] = {}


class Node:
    """A node class made by attrs with `repr=False` (no slots of its own: attrs adds them)."""

    __slots__ = ()

    def __repr__(self) -> str:
        cls: Any = type(self)  # an attrs class (Node itself is not)
        names = _REPR_FIELDS.get(cls)
        if names is None:
            names = _REPR_FIELDS[cls] = tuple(a.name for a in attrs.fields(cls) if a.repr)
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{cls.__qualname__}({fields})"
