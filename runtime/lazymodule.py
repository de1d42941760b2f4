"""Model classes built on first use: what a generated models module binds to.

A generated group-version module (``kubetyped.k8s.core.v1``) declares each of its models once,
as an ordinary module-level class under a guard::

    _models = lazy_models(globals(), {"Pod": ("PodSpec", "PodStatus"), ...}, {...})

    if TYPE_CHECKING or _models.building():
        from kubetyped.model import K8sObject

    if TYPE_CHECKING or _models.wanted("Pod"):

        class Pod(K8sObject): ...

Type checkers and IDEs take the guards as true and read every class as written. At runtime
importing the module defines none of them, nor imports what they use (pydantic and the
runtime's model classes); the module's ``__getattr__`` (PEP 562) builds a
class the first time it is asked for, together with the classes of the module its fields name
(its closure in the table above; a class of another module is named through that module, which
builds it the same way), by running the module's code again with exactly those guards true.
The classes are defined in the order they are written, which puts the classes a class uses
before it, and a class is created once, by its one declaration, in its own module:
``__module__``, pickling, ``typing.get_type_hints`` and the forward references of classes in a
reference cycle behave as they do for any module-level class.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Mapping
from types import CodeType
from typing import Any

__all__ = ["LazyModels", "lazy_models"]

# One lock for every module: building a class of one module may build classes of another,
# and a module may be built from two threads at once.
_LOCK = threading.RLock()
_KEY = "__kubetyped_lazy_models__"


class LazyModels:
    """The classes of one generated module, and which of them its code defines when run."""

    def __init__(
        self,
        namespace: dict[str, Any],
        code: CodeType,
        uses: Mapping[str, tuple[str, ...]],
        exports: Mapping[str, str],
    ) -> None:
        self._namespace = namespace
        self._code: CodeType | None = code  # the module's own code, run again to build
        self._uses = uses  # class -> the classes of this module its fields name
        self._exports = exports  # other names (the resource clients) -> module they live in
        self._wanted: set[str] = set()

    def building(self) -> bool:
        """Whether the module's code is running to build classes (then it imports what they
        use; an import of the module alone imports none of it)."""
        return bool(self._wanted)

    def wanted(self, name: str) -> bool:
        """Whether the module's code, running now, is to define class ``name``."""
        return name in self._wanted and name not in self._namespace

    def getattr(self, name: str) -> Any:
        """The module's ``__getattr__``: a class, built now, or an export, imported now."""
        if name in self._uses:
            with _LOCK:
                if name not in self._namespace:
                    self._build(name)
            return self._namespace[name]
        source = self._exports.get(name)
        if source is not None:
            module = importlib.import_module(source, self._namespace["__package__"])
            return getattr(module, name)
        raise AttributeError(f"module {self._namespace['__name__']!r} has no attribute {name!r}")

    def dir(self) -> list[str]:
        """The module's ``__dir__``: what it defines, what it can build, what it exports."""
        return sorted(set(self._namespace) | set(self._uses) | set(self._exports))

    def _build(self, name: str) -> None:
        closure: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current not in closure and current not in self._namespace:
                closure.add(current)
                todo.extend(self._uses[current])
        code = self._code
        if code is None:  # pragma: no cover - every class is built already
            return
        self._wanted |= closure
        try:
            exec(code, self._namespace)
        finally:
            self._wanted = {n for n in self._wanted if n not in self._namespace} - closure
        if all(n in self._namespace for n in self._uses):
            self._code = None  # everything is built: the code is not needed any more


def lazy_models(
    namespace: dict[str, Any],
    uses: Mapping[str, tuple[str, ...]],
    exports: Mapping[str, str],
) -> LazyModels:
    """The lazy classes of the module whose ``globals()`` is ``namespace``; called at its top.

    ``uses`` maps each class to the classes of the same module its fields name; ``exports``
    maps the other names the module resolves on first use to the (relative) module to import
    them from. When the module's code runs again to build classes, this returns the same
    object.
    """
    existing = namespace.get(_KEY)
    if isinstance(existing, LazyModels):
        return existing
    models = LazyModels(namespace, sys._getframe(1).f_code, uses, exports)
    namespace[_KEY] = models
    return models
