"""What a process needs before it may start, and which providers it stands in for locally.

Every `splits` command but `splits dev` runs as production unless ENVIRONMENT says otherwise (infra/cli.py), so
a deployment that forgets a setting is refused rather than quietly unsafe. A production process refuses to
start, in one line naming every missing setting, without: a Clerk instance, the token secret, the audit
signing key, the data key, and the keys of Stripe, Resend and OpenAI. A provider's keys may be left out only
when its simulation is asked for by name (`SPLITS_PAYMENTS=simulated`, `SPLITS_EMAIL=mailbox`,
`SPLITS_AI=local`); a simulation is then announced at start and listed by `/ready`.

Outside production the stand-ins are still what runs without keys (that is how `splits dev` works with no
settings at all), and they are listed by `/ready` too. Development sign-in is refused everywhere but under
`splits dev`, and there only while no Clerk instance is configured: with real users, `dev:<their id>` would
be them.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from adapters.settings import Settings

# The names a simulation is asked for by, per provider (also the words `/ready` lists).
SIMULATION_NAMES = {"payments": "SPLITS_PAYMENTS=simulated", "email": "SPLITS_EMAIL=mailbox", "ai": "SPLITS_AI=local"}
_CLERK_KEYS = (("SPLITS_CLERK_SECRET_KEY", "splits_clerk_secret_key"), ("APP_CLERK_SECRET_KEY", "app_clerk_secret_key"))
_CLERK_PAIRS = (("SPLITS_CLERK_JWKS_URL", "splits_clerk_jwks_url", "SPLITS_CLERK_ISSUER", "splits_clerk_issuer"),
                ("APP_CLERK_JWKS_URL", "app_clerk_jwks_url", "APP_CLERK_ISSUER", "app_clerk_issuer"))


def _given(value: SecretStr | str | None) -> bool:
    return bool(value.get_secret_value() if isinstance(value, SecretStr) else value)


def payments_simulated(settings: Settings) -> bool:
    """Payments stay on this machine: asked for by name, or (unnamed) no Stripe key."""
    if settings.splits_payments is not None:
        return settings.splits_payments == "simulated"
    return not _given(settings.stripe_secret_key)


def email_to_mailbox(settings: Settings) -> bool:
    """Emails are only recorded (the mailbox): asked for by name, or (unnamed) no Resend key."""
    if settings.splits_email is not None:
        return settings.splits_email == "mailbox"
    return not _given(settings.resend_api_key)


def ai_local(settings: Settings) -> bool:
    """AI reviews use the local scorer: asked for by name, or (unnamed) no OpenAI key."""
    if settings.splits_ai is not None:
        return settings.splits_ai == "local"
    return not _given(settings.openai_api_key)


def simulations(settings: Settings) -> list[str]:
    """The providers this process stands in for: some of `payments`, `email`, `ai`."""
    chosen = {"payments": payments_simulated(settings), "email": email_to_mailbox(settings), "ai": ai_local(settings)}
    return [name for name, simulated in chosen.items() if simulated]


def _clerk_missing(settings: Settings) -> list[str]:
    halves = [(url_name if not getattr(settings, url) else issuer_name)
              for url_name, url, issuer_name, issuer in _CLERK_PAIRS
              if bool(getattr(settings, url)) != bool(getattr(settings, issuer))]
    if halves:
        return halves
    if any(getattr(settings, url) and getattr(settings, issuer) for _, url, _, issuer in _CLERK_PAIRS):
        # Each configured instance needs its Backend API key: a user's email and its verification are read there.
        return [key for (_, url, _, _), (key, field) in zip(_CLERK_PAIRS, _CLERK_KEYS, strict=True)
                if getattr(settings, url) and not _given(getattr(settings, field))]
    return ["SPLITS_CLERK_JWKS_URL and SPLITS_CLERK_ISSUER (or APP_CLERK_JWKS_URL and APP_CLERK_ISSUER)"]


def missing_settings(settings: Settings) -> list[str]:
    """The settings this process cannot start without, by name. A provider named explicitly (`SPLITS_PAYMENTS=
    stripe`, ...) needs its keys in any environment; production needs everything its simulations do not cover."""
    production = settings.environment == "production"
    missing: list[str] = []
    if production:
        missing += _clerk_missing(settings)
        missing += [name for name, value in (("SPLITS_TOKEN_SECRET", settings.splits_token_secret),
                                             ("AUDIT_SIGNING_KEY", settings.audit_signing_key)) if not _given(value)]
        if not _given(settings.splits_data_key) and settings.splits_data_key_file is None:
            missing.append("SPLITS_DATA_KEY")
    providers = (
        (settings.splits_payments, "stripe", (("STRIPE_SECRET_KEY", settings.stripe_secret_key),
                                              ("STRIPE_WEBHOOK_SECRET", settings.stripe_webhook_secret))),
        (settings.splits_email, "resend", (("RESEND_API_KEY", settings.resend_api_key),
                                            # without it bounces and complaints go unheard: mail keeps going to them
                                            ("RESEND_WEBHOOK_SECRET", settings.resend_webhook_secret))),
        (settings.splits_ai, "openai", (("OPENAI_API_KEY", settings.openai_api_key),)),
    )
    for named, real, keys in providers:
        if named == real or (production and named is None):
            missing += [name for name, value in keys if not _given(value)]
    return missing


def refusal(settings: Settings) -> str | None:
    """The one line a process refuses to start with, or None when it may start."""
    problems: list[str] = []
    missing = missing_settings(settings)
    if missing:
        problems.append("missing " + ", ".join(missing))
    if settings.splits_dev_auth and not settings.development:
        problems.append("SPLITS_DEV_AUTH works only under `splits dev`")
    if settings.splits_dev_auth and any(getattr(settings, url) and getattr(settings, issuer)
                                        for _, url, _, issuer in _CLERK_PAIRS):
        problems.append("SPLITS_DEV_AUTH cannot be on while a Clerk instance is configured")
    if settings.splits_clock_offset and settings.environment == "production":
        problems.append("SPLITS_CLOCK_OFFSET moves the clock, which production never does")
    if settings.splits_clock_offset < timedelta(0):
        problems.append("SPLITS_CLOCK_OFFSET is negative: the clock only moves forward")
    if not problems:
        return None
    hint = ""
    if any(name.startswith(("STRIPE_", "RESEND_", "OPENAI_")) for name in missing):
        hint = f" (a provider may be simulated only by name: {', '.join(SIMULATION_NAMES.values())})"
    return f"refusing to start (ENVIRONMENT={settings.environment}): {'; '.join(problems)}{hint}"


def simulation_notices(settings: Settings) -> list[str]:
    """What to announce at start: each provider this process simulates, and why."""
    reasons = {
        "payments": ("SPLITS_PAYMENTS=simulated" if settings.splits_payments else "no STRIPE_SECRET_KEY",
                     "no money moves, every Stripe id starts with sim_"),
        "email": ("SPLITS_EMAIL=mailbox" if settings.splits_email else "no RESEND_API_KEY",
                  "emails are recorded, not sent"),
        "ai": ("SPLITS_AI=local" if settings.splits_ai else "no OPENAI_API_KEY",
               "AI reviews use the local keyword scorer"),
    }
    return [f"SIMULATED {name} ({reasons[name][0]}): {reasons[name][1]}" for name in simulations(settings)]
