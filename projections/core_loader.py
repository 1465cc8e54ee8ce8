"""Loading a read schema's modules: each module of the package declares its tables and handlers on the
package's one Projection when imported, so importing them all completes the projection."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

_NOT_TABLES = {"schema", "queries", "access"}


def load_table_modules(package: ModuleType) -> None:
    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in _NOT_TABLES and not info.name.startswith("_") and not info.name.endswith("queries"):
            importlib.import_module(f"{package.__name__}.{info.name}")
