"""Plans (one row per tier) and the versions of each plan's split rates (domain §3.4, §5.3, §13).

A rate version is in force from its `effective_from` until the next version of the same tier takes over:
`effective_to` is that next version's `effective_from`, NULL for the current one. It is recomputed for the
whole tier on each new version, so it never depends on the order or number of times the versions are applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg.types.json import Jsonb

from commands.billing.events import PlanDefined, PlanUpdated, SplitsRatesSet
from projections.billing.schema import billing
from projections.core import Sql

billing.ddl.append(
    """
    CREATE TABLE IF NOT EXISTS plans (
        tier                    text PRIMARY KEY,
        name                    text NOT NULL,
        price_monthly_cents     bigint NOT NULL,
        price_annual_cents      bigint NOT NULL,
        trial_days              integer NOT NULL,
        entitlements            jsonb NOT NULL,
        features                jsonb NOT NULL,
        stripe_price_id_monthly text,
        stripe_price_id_annual  text,
        active                  boolean NOT NULL,
        created_at              timestamptz NOT NULL,
        updated_at              timestamptz NOT NULL
    );
    CREATE TABLE IF NOT EXISTS splits_rates (
        tier                    text NOT NULL,
        version                 integer NOT NULL,
        effective_from          timestamptz NOT NULL,
        effective_to            timestamptz,
        candidate_recruiter_bps integer NOT NULL,
        job_owner_bps           integer NOT NULL,
        company_recruiter_bps   integer NOT NULL,
        candidate_sourcer_bps   integer NOT NULL,
        company_sourcer_bps     integer NOT NULL,
        total_bps               integer NOT NULL,
        created_by              text NOT NULL,
        created_at              timestamptz NOT NULL,
        PRIMARY KEY (tier, version)
    );
    CREATE INDEX IF NOT EXISTS splits_rates_current_idx ON splits_rates (tier) WHERE effective_to IS NULL;
    """
)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# What PlanUpdated.changes may set, and the values each column accepts: a projection never fails on data,
# so a change a column cannot hold (a NULL price, a text trial length) is left out.
_CHANGEABLE: dict[str, Callable[[Any], bool]] = {
    "name": lambda v: isinstance(v, str),
    "price_monthly_cents": _is_int,
    "price_annual_cents": _is_int,
    "trial_days": _is_int,
    "entitlements": lambda v: isinstance(v, dict),
    "features": lambda v: isinstance(v, list),
    "stripe_price_id_monthly": lambda v: v is None or isinstance(v, str),
    "stripe_price_id_annual": lambda v: v is None or isinstance(v, str),
    "active": lambda v: isinstance(v, bool),
}
_JSON = frozenset({"entitlements", "features"})
_DEFINED = ("name", "price_monthly_cents", "price_annual_cents", "trial_days", "entitlements", "features",
            "stripe_price_id_monthly", "stripe_price_id_annual", "active")


@billing.handles(PlanDefined)
def _(e: PlanDefined) -> Sql:
    values = {c: Jsonb(getattr(e, c)) if c in _JSON else getattr(e, c) for c in _DEFINED}
    return Sql(
        f"INSERT INTO plans (tier, {', '.join(_DEFINED)}, created_at, updated_at)"
        f" VALUES (%(tier)s, {', '.join(f'%({c})s' for c in _DEFINED)}, %(at)s, %(at)s)"
        " ON CONFLICT (tier) DO NOTHING",
        {**values, "tier": e.tier, "at": e.at},
    )


@billing.handles(PlanUpdated)
def _(e: PlanUpdated) -> Sql | None:
    changes = {k: Jsonb(v) if k in _JSON else v for k, v in e.changes.items()
               if k in _CHANGEABLE and _CHANGEABLE[k](v)}
    if not changes:
        return None
    assignments = ", ".join(f"{column} = %({column})s" for column in sorted(changes))
    return Sql(f"UPDATE plans SET {assignments}, updated_at = %(at)s WHERE tier = %(tier)s",
               {**changes, "tier": e.tier, "at": e.at})


_RATES = ("candidate_recruiter_bps", "job_owner_bps", "company_recruiter_bps", "candidate_sourcer_bps",
          "company_sourcer_bps")


@billing.handles(SplitsRatesSet)
def _(e: SplitsRatesSet) -> list[Sql]:
    rates = {c: getattr(e, c) for c in _RATES}
    return [
        Sql(
            f"INSERT INTO splits_rates (tier, version, effective_from, {', '.join(_RATES)}, total_bps, created_by,"
            f" created_at) VALUES (%(tier)s, %(version)s, %(from)s, {', '.join(f'%({c})s' for c in _RATES)},"
            " %(total)s, %(by)s, %(at)s) ON CONFLICT (tier, version) DO NOTHING",
            {**rates, "tier": e.tier, "version": e.version, "from": e.effective_from, "total": sum(rates.values()),
             "by": e.by, "at": e.at},
        ),
        Sql(
            "UPDATE splits_rates r SET effective_to = (SELECT n.effective_from FROM splits_rates n"
            " WHERE n.tier = r.tier AND n.version > r.version ORDER BY n.version LIMIT 1) WHERE r.tier = %s",
            (e.tier,),
        ),
    ]
