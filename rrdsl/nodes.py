"""The base of the AST's and the IR's classes: their one `__repr__`, `__eq__` and `__hash__`.

attrs generates and compiles these methods for each class it makes; for the ninety-odd node
classes that was a fifth of the start of `rrdsl check`, which never prints a node and hardly
compares one (its caches, and the compiler's, go by identity). The classes are made with
`repr=False, eq=False` and inherit these, which give what attrs' would: `Name(name='x')` with
the fields that are part of the repr, in order; equal when of the same class and equal in
every field that is part of equality (spans are not); a hash that follows equality.
"""

from __future__ import annotations

import operator
from typing import Any

import attrs


class _EqKey:
    """`cls._eq_key`: a function from a node to what its equality compares, made when a class
    is first compared or hashed and then kept on the class (in place of this descriptor)."""

    def __get__(self, obj: object, cls: Any) -> Any:
        names = [a.name for a in attrs.fields(cls) if a.eq]
        key = operator.attrgetter(*names) if names else _nothing
        cls._eq_key = key
        return key


def _nothing(node: object) -> tuple[()]:
    return ()


class _Repr:
    """`cls._repr_names`: the fields a class's repr shows, kept like `_EqKey`'s function."""

    def __get__(self, obj: object, cls: Any) -> tuple[str, ...]:
        names = tuple(a.name for a in attrs.fields(cls) if a.repr)
        cls._repr_names = names
        return names


class Node:
    """A node class made by attrs (no slots of its own: attrs adds them)."""

    __slots__ = ()
    _eq_key: Any = _EqKey()
    _repr_names: Any = _Repr()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._repr_names)
        return f"{self.__class__.__qualname__}({fields})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self._eq_key
        return key(self) == key(other)  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash((self.__class__, self._eq_key(self)))
