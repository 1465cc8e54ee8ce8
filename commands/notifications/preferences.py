"""A user's notification preferences: per category, whether to email and whether to notify in-app (domain §10).
Every category is on until the user turns it off; setting what is already set records nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from pydantic import AwareDatetime

from commands.core import Command, Decider
from commands.notifications.events import Category, NotificationPreferenceSet


class SetPreference(Command):
    user_id: UUID
    category: Category
    email_enabled: bool
    in_app_enabled: bool
    at: AwareDatetime


@dataclass(frozen=True)
class Preferences:
    by_category: Mapping[str, tuple[bool, bool]] = field(default_factory=dict)

    def email(self, category: str) -> bool:
        return self.by_category.get(category, (True, True))[0]

    def in_app(self, category: str) -> bool:
        return self.by_category.get(category, (True, True))[1]


def initial_state() -> Preferences:
    return Preferences()


def evolve(s: Preferences, e: NotificationPreferenceSet) -> Preferences:
    return Preferences({**s.by_category, e.category: (e.email_enabled, e.in_app_enabled)})


def decide(cmd: SetPreference, s: Preferences) -> list[NotificationPreferenceSet]:
    if (s.email(cmd.category), s.in_app(cmd.category)) == (cmd.email_enabled, cmd.in_app_enabled):
        return []
    return [NotificationPreferenceSet(**cmd.model_dump())]


preferences: Decider[SetPreference, NotificationPreferenceSet, Preferences] = Decider(
    "notificationprefs", initial_state, evolve, decide, events=(NotificationPreferenceSet,),
)
