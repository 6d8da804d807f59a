"""The HuggingFace router's listing as typed dicts, validated by pydantic: loaded when a listing is parsed.

Kept out of :mod:`~massgen_discovery.sources.huggingface`, which the catalog imports on every
cold lookup to learn the source's cache key. Typed dicts, not models: a big listing has tens of
thousands of routes, and pydantic validates them into dicts about three times faster than into
model instances. A key the router did not send is absent; a broken model or provider entry is
dropped (``OnErrorOmit``) and the rest kept.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BeforeValidator, OnErrorOmit, TypeAdapter
from typing_extensions import NotRequired, TypedDict

__all__ = ["Architecture", "Model", "Pricing", "Provider", "listing"]


def _positive(value: Any) -> Any:
    # 0 and null mean "not reported"; a float like 131072.0 is still a whole number.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class Pricing(TypedDict):
    input: NotRequired[float | None]
    output: NotRequired[float | None]


class Provider(TypedDict):
    provider: str
    status: str
    context_length: NotRequired[Annotated[int | None, BeforeValidator(_positive)]]
    pricing: NotRequired[Pricing | None]
    is_free: NotRequired[bool | None]
    supports_tools: NotRequired[bool | None]
    supports_structured_output: NotRequired[bool | None]
    first_token_latency_ms: NotRequired[float | None]
    throughput: NotRequired[float | None]


class Architecture(TypedDict):
    input_modalities: NotRequired[list[str] | None]
    output_modalities: NotRequired[list[str] | None]


class Model(TypedDict):
    id: str
    architecture: NotRequired[Architecture | None]
    providers: NotRequired[list[OnErrorOmit[Provider]]]


@cache
def listing() -> TypeAdapter[list[Model]]:
    return TypeAdapter(list[OnErrorOmit[Model]])
