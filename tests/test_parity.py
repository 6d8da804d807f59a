"""Every public sync method of the catalog and its async twin answer alike, on the same catalog."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from massgen_discovery import Catalog
from massgen_discovery.testing import StaticSource

from .support import lab

# Each async method, with the calls that compare it to its sync twin (the name without the "a").
CALLS: dict[str, list[tuple[tuple[Any, ...], dict[str, Any]]]] = {
    "aget_model": [(("gpt-4o",), {}), (("mylab/m1",), {}), (("MYLAB/M2",), {}), (("no-such-model",), {})],
    "alist_models": [((), {}), (("mylab",), {})],
    "afind_models": [
        ((), {"supports_function_calling": True, "min_context": 128_000, "sort": "price", "limit": 20}),
        ((), {"providers": ["mylab"]}),
    ],
    "astatus": [((), {})],
    "arefresh": [((["mylab"],), {}), ((), {})],
    "achanges": [((), {}), ((), {"last": 1}), ((), {"provider": "mylab"})],
    "aaudit": [((), {"provider": "openai"}), ((), {"field": "max_input_tokens"})],
}


def _comparable(value: Any) -> Any:
    """The answer without what differs between two calls by nature (the time a refresh took)."""
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if hasattr(value, "model_dump"):
        dumped = value.model_dump(mode="json")
        dumped.pop("seconds", None)
        return dumped
    return value


def test_every_async_method_is_compared_with_its_sync_twin() -> None:
    asynchronous = {
        name
        for name, member in inspect.getmembers(Catalog)
        if inspect.iscoroutinefunction(member) and not name.startswith("_")
    }
    assert asynchronous == set(CALLS)
    for name in asynchronous:
        twin = getattr(Catalog, name[1:], None)
        assert twin is not None and not inspect.iscoroutinefunction(twin), name


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_sync_and_async_answer_alike(name: str) -> None:
    source = StaticSource("mylab", [lab("m1", max_input_tokens=131_072, supports_function_calling=True), lab("m2")])
    catalog = Catalog(sources=["litellm", source], offline=False)
    catalog.refresh()  # settle: both calls below see the same stored listings
    for args, kwargs in CALLS[name]:
        sync = await _in_thread(getattr(catalog, name[1:]), *args, **kwargs)
        asynchronous = await getattr(catalog, name)(*args, **kwargs)
        assert _comparable(asynchronous) == _comparable(sync), (name, args, kwargs)
    catalog.close()


async def _in_thread(func: Any, *args: Any, **kwargs: Any) -> Any:
    """The sync API from async code, as an app would call it (not on the event loop's thread)."""
    import asyncio

    return await asyncio.to_thread(func, *args, **kwargs)
