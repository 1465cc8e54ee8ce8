"""The conversations read schema: one projection, its tables declared by the modules beside this one."""

from __future__ import annotations

from projections.core import Projection

conversations = Projection(name="conversations", ddl=[])
