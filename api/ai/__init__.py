"""The ai context's routes: the AI fit reviews of an application."""

from __future__ import annotations

from api.ai.routes import router

__all__ = ["router"]
