"""The HuggingFace router's listing as pydantic models: loaded when a listing is parsed.

Kept out of :mod:`~massgen_discovery.sources.huggingface`, which the catalog imports on every
cold lookup to learn the source's cache key.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, OnErrorOmit, TypeAdapter, field_validator

__all__ = ["Architecture", "Model", "Pricing", "Provider", "listing"]

_PAYLOAD = ConfigDict(extra="ignore", defer_build=True)


class Pricing(BaseModel):
    model_config = _PAYLOAD

    input: float | None = None
    output: float | None = None


class Provider(BaseModel):
    model_config = _PAYLOAD

    provider: str
    status: str
    context_length: int | None = None
    pricing: Pricing | None = None
    is_free: bool | None = None
    supports_tools: bool | None = None
    supports_structured_output: bool | None = None
    first_token_latency_ms: float | None = None
    throughput: float | None = None

    @field_validator("context_length", mode="before")
    @classmethod
    def _positive(cls, value: Any) -> Any:
        # 0 and null mean "not reported"; a float like 131072.0 is still a whole number.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class Architecture(BaseModel):
    model_config = _PAYLOAD

    input_modalities: list[str] | None = None
    output_modalities: list[str] | None = None


class Model(BaseModel):
    model_config = _PAYLOAD

    id: str
    architecture: Architecture | None = None
    providers: list[OnErrorOmit[Provider]] = []


@cache
def listing() -> TypeAdapter[list[Model]]:
    return TypeAdapter(list[OnErrorOmit[Model]])
