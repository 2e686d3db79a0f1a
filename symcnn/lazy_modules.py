"""Packages whose names load on first use (PEP 562): ``symcnn`` and ``symcnn.zoo``.

A package that exports a function under the name of one of its submodules
(``symcnn.symbols``, ``symcnn.zoo.resnet``) would lose the function when the submodule is
imported, since Python then sets the submodule as the package's attribute.
:func:`keep_functions` makes the package ignore that assignment for those names.
"""

from __future__ import annotations

import sys
import types

__all__ = ["keep_functions"]


def keep_functions(package: str, shadowed: frozenset) -> None:
    """Make the module ``package`` keep its functions named in ``shadowed`` when submodules
    of the same names are imported."""

    class Package(types.ModuleType):
        def __setattr__(self, name, value):
            if name in shadowed and isinstance(value, types.ModuleType):
                return
            super().__setattr__(name, value)

    sys.modules[package].__class__ = Package
