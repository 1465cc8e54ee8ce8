"""The FastAPI application: built by `create_app`, wired to a running `System` through its lifespan."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute
from prometheus_client import CollectorRegistry

from api.admin import router as admin_router
from api.ai import router as ai_router
from api.audit import router as audit_router
from api.automation.fraud import router as fraud_router
from api.automation.metrics import router as metrics_router
from api.automation.reputation import router as reputation_router
from api.ats.application_prescreen import router as application_prescreen_router
from api.ats.activity import router as activity_router
from api.ats.applications import router as applications_router
from api.ats.candidate_profiles import router as candidate_profiles_router
from api.ats.candidates import router as candidates_router
from api.ats.companies import router as companies_router
from api.ats.job_details import router as job_details_router
from api.ats.job_notes import router as job_notes_router
from api.ats.jobs import router as jobs_router
from api.ats.notes import router as notes_router
from api.ats.placements import router as placements_router
from api.ats.saved import router as saved_router
from api.ats.skills import router as skills_router
from api.ats.sourcer_protection import router as sourcer_protection_router
from api.billing.connect import router as billing_connect_router
from api.billing.plans import router as billing_plans_router
from api.billing.profiles import router as billing_profiles_router
from api.billing.subscriptions import router as billing_subscriptions_router
from api.billing.money import router as billing_money_router
from api.billing.webhooks import router as stripe_webhooks_router
from api.conversations import router as conversations_router
from api.conversations.moderation import router as conversation_moderation_router
from api.deps import rate_limit
from api.documents.routes import router as documents_router
from api.gateway import open_gateway
from api.health import router as health_router
from api.identity.routes import router as identity_router
from api.identity.webhooks import router as clerk_webhooks_router
from api.limits import BodyLimit
from api.live.routes import router as live_router
from api.network import router as network_router
from api.notifications.routes import router as notifications_router
from api.notifications.unsubscribe import router as unsubscribe_router
from api.notifications.email_status import router as email_status_router
from api.notifications.resend_webhooks import router as resend_webhooks_router
from api.observability import RequestContext, RequestMetrics
from api.operations.console import install_console, router as console_router, static as console_static
from api.operations.money import router as console_money_router
from api.operations.consumers import router as console_consumers_router
from api.operations.replays import router as console_replays_router
from api.operations.dead_letters import router as console_dead_letters_router
from api.operations.streams import router as console_streams_router
from api.openapi import install_openapi
from api.paths import type_path_parameters
from api.privacy.erasure import router as privacy_erasure_router
from api.privacy.export import router as privacy_export_router
from api.privacy.retention import router as privacy_retention_router
from api.problems import install_problem_handlers
from adapters.system import System
from consumers.reactors import all_reactors
from consumers.billing.catalogue import seed_catalogue
from consumers.runtime.replay_runner import new_runner


def create_app(system_factory: Callable[[], AbstractAsyncContextManager[System]]) -> FastAPI:
    """An app that opens the system when it starts serving and closes it when it stops."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with system_factory() as system, open_gateway(system, app.state.metrics) as gateway:
            app.state.system = system
            app.state.gateway = gateway
            app.state.live = system.adapters.live.hub()  # this app's own (with Redis, a client of its own)
            app.state.replays = new_runner(system.store, system.clock)  # the console's replays, in the background
            try:
                await seed_catalogue(system.store, system.clock)
                yield
            finally:
                await app.state.replays.stop()
                await app.state.live.end_streams()
                await app.state.live.close()

    app = FastAPI(title="Splits", version="0.1.0", lifespan=lifespan, dependencies=[Depends(rate_limit)])
    app.state.metrics = CollectorRegistry()
    app.state.reactor_names = [reactor.name for reactor in all_reactors()]  # for /admin/status
    app.add_middleware(BodyLimit)  # inside RequestContext: a refused body still has its id and its count
    app.add_middleware(RequestContext, metrics=RequestMetrics(app.state.metrics))
    install_problem_handlers(app)
    install_console(app)  # after the API's handlers: under /console they answer as pages
    app.router.routes.extend(_api_routes())
    app.router._mark_routes_changed()
    install_openapi(app)
    return app


# In the order they are matched.
_ROUTERS = (
    health_router,
    admin_router,
    billing_plans_router,
    billing_subscriptions_router,
    billing_profiles_router,  # before the companies and firms routers: /{id}/billing-…
    billing_connect_router,
    billing_money_router,
    job_details_router,  # before jobs_router: /v1/jobs/{id}/owner is not a status move
    job_notes_router,  # before jobs_router: /v1/jobs/{id}/notes is not a status move
    activity_router,
    jobs_router,
    companies_router,
    candidates_router,
    sourcer_protection_router,
    candidate_profiles_router,
    skills_router,
    applications_router,
    application_prescreen_router,
    notes_router,
    placements_router,
    saved_router,
    clerk_webhooks_router,
    stripe_webhooks_router,
    resend_webhooks_router,
    privacy_export_router,
    privacy_retention_router,
    privacy_erasure_router,  # before identity_router: /v1/users/me is not a user id
    identity_router,
    network_router,
    email_status_router,  # before notifications_router: /v1/notification-preferences/{category}
    unsubscribe_router,  # before notifications_router: /v1/notification-preferences/{category}
    notifications_router,
    live_router,
    documents_router,
    ai_router,
    audit_router,
    fraud_router,
    metrics_router,
    reputation_router,
    conversation_moderation_router,
    console_money_router,
    console_consumers_router,
    console_replays_router,
    console_dead_letters_router,
    console_streams_router,
    conversations_router,
    console_router,
)


@functools.cache
def _api_routes() -> tuple[BaseRoute, ...]:
    """Every API route, included once per process into a bare app whose routes every app then shares.

    FastAPI analyses an included route's parameters, dependencies and models the first time the route is
    resolved, for each app it is included in: about a second of CPU per app, which every test building an app
    paid again. The routes hold nothing of an app (requests reach theirs through the ASGI scope; no dependency
    overrides are used), so they are built once.
    """
    base = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, dependencies=[Depends(rate_limit)])
    for router in _ROUTERS:
        base.include_router(router)
    base.add_api_route("/asyncapi.json", _asyncapi, include_in_schema=False)
    base.router.routes.append(console_static)
    type_path_parameters(base.router)
    return tuple(base.router.routes)


async def _asyncapi(request: Request) -> JSONResponse:
    """The published events as an AsyncAPI 3.0 document (infra/asyncapi.py), built once per process."""
    from infra.asyncapi import document
    from consumers.runtime.topology import Topology

    app = request.app
    if getattr(app.state, "asyncapi", None) is None:
        settings = app.state.system.settings
        app.state.asyncapi = await asyncio.to_thread(document, Topology(prefix=settings.rabbitmq_prefix))
    return JSONResponse(app.state.asyncapi)
