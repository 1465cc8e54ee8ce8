"""Audit exports of a placement's money trail (`api/audit/routes.py`)."""

from api.audit.routes import router

__all__ = ["router"]
