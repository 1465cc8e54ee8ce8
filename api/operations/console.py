"""The operator console's shell: who may see it, how its pages are rendered, and the headers every page carries.

Signed in with the same Clerk session as the rest of Splits: the browser's `__session` cookie (read on
/console paths only, api/deps.py) or `Authorization: Bearer`. Platform admins only (the domain has no
finance role); anyone else gets an HTML 403, a caller with no session the sign-in page.

A page posts only forms, and every form carries a CSRF token bound to the operator's Clerk user and session
(`csrf_field()`), checked together with the browser's own `Sec-Fetch-Site`/`Origin` by `CsrfChecked`. Every
response under /console carries a strict Content-Security-Policy: scripts and styles only from
/console/static, nothing inline, no frames, forms only back to this origin. Errors under /console are pages,
with the same status the API would answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import structlog
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import WebSocketRequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import AuthUnavailable, InvalidToken
from api.deps import authenticate, request_metadata
from eventstore import Metadata
from projections.identity.access import Access

log = structlog.get_logger(__name__)

PREFIX = "/console"
SESSION_COOKIE = "__session"  # Clerk's same-site session cookie
_HERE = Path(__file__).parent

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
    "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'", f"report-uri {PREFIX}/csp-reports",
))
_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
)

NAV = (("streams", "Streams"), ("consumers", "Consumers"), ("dead_letters", "Dead letters"),
       ("replays", "Replays"), ("money", "Money"))

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class ConsoleRefused(Exception):
    """The console will not show this caller the page (401 sign in, 403 not an operator, 503 Clerk away)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def _url(path: str, **query: Any) -> str:
    """A console URL with its query string (None values left out)."""
    pairs = {k: v for k, v in query.items() if v is not None and v != ""}
    return f"{path}?{urlencode(pairs)}" if pairs else path


_environment = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
_environment.globals.update(url=_url, nav_items=NAV, prefix=PREFIX)
_environment.filters["pretty_json"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)


def _session_id(request: Request) -> str:
    verification = getattr(request.state, "verification", None)
    return getattr(verification, "session_id", None) or ""


def csrf_token(request: Request, operator: Access) -> str:
    """The form token of this operator's session: an HMAC of their Clerk user and session ids."""
    secret = request.app.state.system.adapters.tokens.secret
    message = f"console-csrf:{operator.clerk_user_id}:{_session_id(request)}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _page(request: Request, template: str, operator: Access | None, context: dict[str, Any]) -> str:
    token = csrf_token(request, operator) if operator is not None else ""
    return _environment.get_template(template).render(
        operator=operator, request_path=request.url.path,
        csrf_field=lambda: Markup('<input type="hidden" name="csrf" value="{}">').format(token),
        **context,
    )


def render(request: Request, template: str, operator: Access | None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """A whole page (the template extends layout.html)."""
    return HTMLResponse(_page(request, template, operator, context), status_code=status_code)


def render_fragment(request: Request, template: str, operator: Access, **context: Any) -> HTMLResponse:
    """Part of a page, for console.js to swap in (`data-refresh`)."""
    return HTMLResponse(_page(request, template, operator, context))


def console_error(request: Request, operator: Access | None, status: int, title: str, detail: str) -> HTMLResponse:
    """A page saying what was refused and why; nothing was changed."""
    return render(request, "error.html", operator, status_code=status, status=status, title=title, detail=detail)


def operator_metadata(request: Request, operator: Access) -> Metadata:
    """The metadata of what an operator does in the console: the operator as actor, the request's correlation id."""
    return request_metadata(request, operator.actor, None)


async def console_operator(request: Request) -> Access:
    """The signed-in platform admin, or a refusal page."""
    try:
        token = await authenticate(request)
    except InvalidToken as exc:
        raise ConsoleRefused(401, "Sign in again", f"your session was refused ({exc.reason}).") from None
    except AuthUnavailable:
        raise ConsoleRefused(503, "Sign-in unavailable", "Clerk could not be reached to check your session; "
                                                           "try again in a moment.") from None
    if token is None:
        raise ConsoleRefused(401, "Sign in", "the console is for Splits operators: sign in first.")
    access = await request.app.state.gateway.access.resolve(token.user_id)
    if not access.is_platform_admin:
        raise ConsoleRefused(403, "Not for you", "the console is for platform admins only.")
    return access


Operator = Annotated[Access, Depends(console_operator)]


def _same_origin(request: Request) -> bool:
    """The browser says the form came from this origin (Fetch metadata, else Origin, else Referer)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # not a browser: no cookie-riding to fear, and the token is still required
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")


async def check_csrf(request: Request, operator: Operator) -> None:
    """Every console POST: from this origin, with the operator's form token."""
    form = await request.form()
    sent = form.get("csrf")
    if not _same_origin(request) or not isinstance(sent, str) or not sent.isascii() or not hmac.compare_digest(
            sent, csrf_token(request, operator)):  # compare_digest raises on a non-ASCII str
        raise ConsoleRefused(403, "Form expired", "the form did not come from this console session; reload the "
                                                  "page and try again. Nothing was changed.")


CsrfChecked = Depends(check_csrf)


@router.get("")
async def home(request: Request, operator: Operator) -> HTMLResponse:
    return render(request, "home.html", operator)


@router.get("/sign-in")
async def sign_in(request: Request) -> HTMLResponse:
    settings = request.app.state.system.settings
    return render(request, "sign_in.html", None, dev=settings.splits_dev_auth, error=None)


@router.post("/sign-in")
async def dev_sign_in(request: Request,
                      clerk_user_id: Annotated[str, Form(max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]) -> Response:
    """Development sign-in (`splits dev` with no Clerk instance): the cookie a Clerk frontend would set."""
    if not request.app.state.system.settings.splits_dev_auth or not _same_origin(request):
        return console_error(request, None, 403, "Not here", "development sign-in is only for `splits dev`; sign "
                                                             "in with Clerk.")
    answer = RedirectResponse(PREFIX, status_code=303)
    answer.set_cookie(SESSION_COOKIE, f"dev:{clerk_user_id}", httponly=True, samesite="strict", path=PREFIX)
    return answer


@router.post("/sign-out", dependencies=[CsrfChecked])
async def sign_out() -> Response:
    answer = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return answer


@router.post("/csp-reports", status_code=204)
async def csp_report(request: Request) -> Response:
    """A browser's report of something the policy blocked: logged (directive and blocked address only)."""
    body = await request.body()
    try:
        report = json.loads(body[:16_384] or b"{}").get("csp-report", {})
    except (ValueError, AttributeError):
        report = {}
    if isinstance(report, dict):
        log.warning("console content security policy violation",
                    directive=str(report.get("violated-directive", ""))[:200],
                    blocked=str(report.get("blocked-uri", ""))[:200], page=str(report.get("document-uri", ""))[:200])
    return Response(status_code=204)


static = Mount(f"{PREFIX}/static", StaticFiles(directory=_HERE / "static"), name="console-static")


class ConsoleHeaders:
    """ASGI middleware: every response under /console carries the console's security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (scope["path"] == PREFIX or scope["path"].startswith(f"{PREFIX}/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in _HEADERS}
                message["headers"] = [(k, v) for k, v in message.get("headers", []) if k not in names] + list(_HEADERS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_console(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(f"{PREFIX}/")


def install_console(app: FastAPI) -> None:
    """The headers on every console response, and errors under /console as pages (after the API's handlers)."""
    app.add_middleware(ConsoleHeaders)

    @app.exception_handler(ConsoleRefused)
    async def refused(request: Request, exc: ConsoleRefused) -> HTMLResponse:
        if exc.status == 401:
            settings = request.app.state.system.settings
            return render(request, "sign_in.html", None, status_code=401, dev=settings.splits_dev_auth,
                          error=exc.detail)
        return console_error(request, None, exc.status, exc.title, exc.detail)

    # Every handler the API has (the 500 of an unexpected exception included), not a list that a new one misses.
    for kind, handler in list(app.exception_handlers.items()):
        if kind not in (ConsoleRefused, WebSocketRequestValidationError):
            app.add_exception_handler(kind, _as_page(handler))


def _as_page(api_handler: Callable[..., Any]) -> Callable[..., Any]:
    """The API's handler outside /console; under it, a page with the status and detail the API would answer."""

    async def either(request: Request, exc: Exception) -> Response:
        answer = await api_handler(request, exc)
        if not _is_console(request):
            return answer
        try:
            problem = json.loads(bytes(answer.body))
        except (ValueError, AttributeError):
            problem = {}
        page = console_error(request, None, answer.status_code, str(problem.get("title", "Refused")).capitalize(),
                             str(problem.get("detail") or problem.get("title") or "the request was refused."))
        for name in ("retry-after", "allow"):
            if name in answer.headers:
                page.headers[name] = answer.headers[name]
        for name, value in _HEADERS:  # a 500 is answered outside ConsoleHeaders (Starlette's outermost middleware)
            page.headers[name.decode()] = value.decode()
        return page

    return either
