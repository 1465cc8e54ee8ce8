"""Unsubscribing from an email without signing in: the link every engagement email carries (and its
`List-Unsubscribe` header, RFC 2369 and RFC 8058).

The token names the user and the preference category and is signed with the token secret (adapters/tokens.py
`unsubscribe_token`, a year's life): whoever holds the email may turn that one category's email off for its
recipient, nothing else. `GET` only shows what the link does, with a button that posts back (a link scanner or a
prefetching mail client must not unsubscribe anyone); `POST` applies it — the one-click POST a mail client sends
(`List-Unsubscribe=One-Click` in a form body, ignored here: the token is the authority) — through the preferences
decider, leaving the category's in-app setting as it was. Doing it again records nothing. A malformed, tampered
or expired token is refused 422 with the reason in `code`, nothing written.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.bounds import NO_NUL
from api.deps import Now, Store, TokenSecret, request_metadata
from api.problems import problem
from api.responses import CommandResponse
from commands.notifications import preferences as prefs
from commands.notifications.events import Category
from eventstore import handle, load, stream_id_for
from adapters.tokens import ConfirmationRefused, check_unsubscribe

router = APIRouter(tags=["notifications"])
PATH = "/v1/notification-preferences/unsubscribe"
UnsubscribeToken = Annotated[str, Query(min_length=1, max_length=200, pattern=NO_NUL,
                                        description="The email's unsubscribe token")]
_CATEGORIES = set(get_args(Category))
_REFUSED = {422: {"description": "The token is malformed, tampered with or expired (`code` says which)"}}


def _refused(reason: str) -> Any:
    return problem(422, "unsubscribe link refused", f"the unsubscribe link is {reason}; choose your emails in your"
                   " notification settings instead", code=f"unsubscribe_token_{reason}")


def _checked(secret: bytes, token: str, now: Any) -> tuple[Any, str] | Any:
    try:
        user_id, category = check_unsubscribe(secret, token, int(now.timestamp()))
    except ConfirmationRefused as refused:
        return _refused(refused.reason)
    if category not in _CATEGORIES:
        return _refused("invalid")
    return user_id, category


@router.get(PATH, response_class=HTMLResponse, responses={200: {"content": {"text/html": {}}}, **_REFUSED})
async def confirm_unsubscribe(token: UnsubscribeToken, secret: TokenSecret, now: Now) -> Any:
    """A page saying which emails the link turns off, with the button that does it (a POST to this address)."""
    checked = _checked(secret, token, now)
    if not isinstance(checked, tuple):
        return checked
    _, category = checked
    action = escape(f"{PATH}?token={token}", quote=True)
    return HTMLResponse(
        "<!doctype html><html><body style=\"font-family: sans-serif; max-width: 560px; margin: auto\">"
        f"<p>Stop receiving Splits' <strong>{escape(category)}</strong> emails?</p>"
        f"<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"List-Unsubscribe\""
        " value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>"
        "<p style=\"font-size: 12px\">You can turn them on again in your notification settings.</p></body></html>")


@router.post(PATH, response_model=CommandResponse, responses=_REFUSED)
async def unsubscribe(token: UnsubscribeToken, request: Request, store: Store, secret: TokenSecret,
                      now: Now) -> Any:
    """Turn the token's category of email off for its user (RFC 8058 one-click): no sign-in, the token is the
    authority. Answers the preferences stream's version and consistency token."""
    checked = _checked(secret, token, now)
    if not isinstance(checked, tuple):
        return checked
    user_id, category = checked
    chosen, _, _ = await load(store, prefs.preferences, stream_id_for(prefs.preferences, user_id))
    command = prefs.SetPreference(user_id=user_id, category=category, email_enabled=False,
                                  in_app_enabled=chosen.in_app(category), at=now)
    meta = request_metadata(request, f"unsubscribe:{user_id}", None)
    return CommandResponse.of(user_id, await handle(store, prefs.preferences, user_id, command, meta))
