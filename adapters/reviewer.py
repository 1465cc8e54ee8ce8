"""The AI reviewer: OpenAI asked for a structured answer, or the transparent local scorer standing in for it.

`infra/bootstrap.py` chooses one from the settings (`reviewer_for`: OpenAI when `OPENAI_API_KEY` is set and
`SPLITS_AI` does not ask for `local`, adapters/startup.py) and the ai-review reactor calls it from its context
(consumers/ai/reactions.py). The reactor says what is asked (`ReviewRequest`: the prompt, the shape of the answer,
and the local scorer's answer to the same inputs); the reviewer says what came of it (`ReviewOutcome`).

OpenAI's answers sort three ways: a valid answer is the review; an answer that is malformed, does not fit the
shape asked, is cut off or refused, and a request OpenAI refuses (4xx), are a failure with its reason; an
unreachable provider, a 5xx, 408/409 or a rate limit raise `ReviewUnavailable` (after the SDK's own two retries)
for the caller to retry later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar
from weakref import WeakKeyDictionary

import openai
import pydantic

from adapters.settings import Settings
from adapters.startup import ai_local
from adapters.tracing import SpanKind, tracer

A = TypeVar("A", bound=pydantic.BaseModel)

# One call's bound: with the SDK's two retries, a review takes at most three of these.
CALL_TIMEOUT_S = 30.0


class ReviewUnavailable(Exception):
    """The reviewer could not be reached or asked us to come back later: retrying the event may succeed."""


@dataclass(frozen=True)
class ReviewRequest(Generic[A]):
    """One review to make: what a model is asked (the instructions, the message, the structured answer and the
    sampling), and the local scorer's answer to the same inputs, which the local reviewer gives instead."""

    system: str
    user: str
    answer: type[A]
    temperature: float
    max_tokens: int
    local_model: str
    local: Callable[[], A]


@dataclass(frozen=True)
class ReviewOutcome(Generic[A]):
    """What one run of a reviewer gave: a review, or the reason there is none; with what it cost."""

    model: str | None
    review: A | None = None
    failure: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_ms: int = 0


class Reviewer(Protocol):
    async def review(self, request: ReviewRequest[A]) -> ReviewOutcome[A]: ...


class LocalReviewer:
    """The transparent local scorer: the request's own local answer, named by its model, nothing sent anywhere."""

    async def review(self, request: ReviewRequest[A]) -> ReviewOutcome[A]:
        started = time.monotonic()
        review = request.local()
        return ReviewOutcome(request.local_model, review=review,
                             duration_ms=round((time.monotonic() - started) * 1000))


LOCAL_REVIEWER = LocalReviewer()


def _validation_problems(exc: pydantic.ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(problems)


def _usage(raw: Any) -> tuple[int, int]:
    try:
        usage = raw.http_response.json().get("usage") or {}
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0, 0


class OpenAIReviewer:
    """OpenAI's chat completions with a structured output, for one key, base URL and model.

    Its client is made on first use in each event loop (a client's connection pool belongs to one loop) and kept
    for as long as that loop lives."""

    def __init__(self, api_key: str, base_url: str | None, model: str) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self.model = model
        self._clients: WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = WeakKeyDictionary()

    def client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = openai.AsyncOpenAI(api_key=self._api_key, base_url=self._base_url, max_retries=2,
                                                     timeout=CALL_TIMEOUT_S)
        return self._clients[loop]

    async def review(self, request: ReviewRequest[A]) -> ReviewOutcome[A]:
        """Ask for a structured answer to `request`; raises `ReviewUnavailable` when worth retrying."""
        model = f"openai/{self.model}"
        messages = [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}]
        started = time.monotonic()
        tokens = (0, 0)

        def outcome(review: A | None = None, failure: str | None = None) -> ReviewOutcome[A]:
            return ReviewOutcome(model, review=review, failure=failure, prompt_tokens=tokens[0],
                                 completion_tokens=tokens[1], duration_ms=round((time.monotonic() - started) * 1000))

        def failed(reason: str) -> ReviewOutcome[A]:
            return outcome(failure=reason)

        try:
            with tracer().start_as_current_span("openai.review", kind=SpanKind.CLIENT,
                                                attributes={"peer.service": "openai", "gen_ai.request.model": model}):
                raw = await self.client().chat.completions.with_raw_response.parse(
                    model=self.model, messages=messages, response_format=request.answer,  # type: ignore[arg-type]
                    temperature=request.temperature, max_tokens=request.max_tokens)
            tokens = _usage(raw)
            completion = raw.parse()
        except (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError) as exc:
            raise ReviewUnavailable(f"OpenAI is unavailable: {exc!r}") from exc
        except openai.APIStatusError as exc:
            if exc.status_code in (408, 409) or exc.status_code >= 500:
                raise ReviewUnavailable(f"OpenAI answered {exc.status_code}: {exc.message}") from exc
            return failed(f"OpenAI refused the request ({exc.status_code}): {exc.message}")
        except pydantic.ValidationError as exc:
            return failed(f"the model's answer is not a valid fit review: {_validation_problems(exc)}")
        except openai.LengthFinishReasonError:
            return failed(f"the model's answer was cut off at the {request.max_tokens}-token limit")
        except openai.ContentFilterFinishReasonError:
            return failed("the model's answer was withheld by OpenAI's content filter")
        except openai.OpenAIError as exc:
            return failed(f"the model's answer could not be used: {exc}")
        message = completion.choices[0].message if completion.choices else None
        if message is None or message.parsed is None:
            refusal = message.refusal if message is not None else None
            return failed(f"the model declined to review: {refusal}" if refusal else "the model gave no review")
        usage = completion.usage
        if usage is not None:
            tokens = (usage.prompt_tokens, usage.completion_tokens)
        return outcome(review=message.parsed)


def reviewer_for(settings: Settings) -> Reviewer:
    """OpenAI when its key is set and the local scorer is not asked for by name; the local scorer otherwise."""
    if not ai_local(settings) and settings.openai_api_key is not None:
        return OpenAIReviewer(settings.openai_api_key.get_secret_value(), settings.openai_base_url or None,
                              settings.openai_model)
    return LOCAL_REVIEWER
