"""With no Clerk instance configured, every bearer token (even `alg=none`) was a 503 "authentication
unavailable", so clients retried forever. No instance could ever accept such a token: it is a 401 that
says why."""

from __future__ import annotations

import pytest

from adapters.settings import Settings
from tests.api import bearer, serving

TOKENS = {
    "alg-none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyX3gifQ.",
    "rs256-looking": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c2VyX3gifQ.c2lnbmF0dXJl",
    "garbage": "not.a.jwt",
}


@pytest.mark.parametrize("token", TOKENS, ids=list(TOKENS))
async def test_a_bearer_token_without_a_clerk_instance_is_a_401_with_a_reason(fresh_store, token) -> None:
    async with serving(fresh_store, Settings(database_url=fresh_store.pool.conninfo)) as (client, _):
        answers = [await client.get("/v1/jobs", headers=bearer(TOKENS[token])),
                   await client.post("/v1/jobs", json={}, headers=bearer(TOKENS[token]))]
    for answer in answers:
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert (answer.json()["code"], answer.json()["reason"]) == ("invalid_token", "no_clerk_instance")
        assert "retry-after" not in answer.headers
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]
