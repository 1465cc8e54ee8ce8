"""Realistic contexts for every notification template: each module beside this one has `SAMPLES`, template →
a list of contexts (the variants a template branches on). The audience is added by the test from the catalogue."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def all_samples() -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for template, variants in module.SAMPLES.items():
            assert template not in merged, f"{template} has samples in two modules"
            merged[template] = variants
    return merged
