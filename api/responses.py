"""What every command route answers: the entity, its new version, and the token to read the write."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from eventstore import CommandResult


class CommandResponse(BaseModel):
    id: UUID
    version: int
    consistency_token: str | None = Field(description="Pass as ?after= or X-Consistency-Token to read your write")

    @classmethod
    def of(cls, entity_id: UUID, result: CommandResult) -> CommandResponse:
        return cls(id=entity_id, version=result.version, consistency_token=result.token)
