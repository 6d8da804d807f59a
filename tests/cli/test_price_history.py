"""`history` and `Catalog.price_history`: a model's price points from dated prices and the catalog's own moves."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from massgen_discovery import Catalog, ModelRecord
from massgen_discovery._domain.price_history import price_points
from massgen_discovery.cli import run

M = 1e-6


def test_dated_prices_become_points_oldest_first() -> None:
    """Two dated changes and today's rate: three points, each from the end of the one before."""
    record = ModelRecord(
        model="gemini/gemini-4-argon",
        provider="gemini",
        model_id="gemini-4-argon",
        sources=["genai-prices"],
        input_cost_per_token=4 * M,
        prices={"input_cost_per_token_before_2026-06-01": 1 * M, "input_cost_per_token_before_2026-12-01": 2 * M},
        provenance={
            "input_cost_per_token": "genai-prices",
            "input_cost_per_token_before_2026-06-01": "genai-prices",
            "input_cost_per_token_before_2026-12-01": "genai-prices",
        },
    )
    points = price_points(record, [], "input_cost_per_token")
    assert [(p["value"], p["from"], p["to"]) for p in points] == [
        (1 * M, None, "2026-06-01"),
        (2 * M, "2026-06-01", "2026-12-01"),
        (4 * M, "2026-12-01", None),
    ]
    assert all(set(p) == {"field", "value", "from", "to", "source"} for p in points)


def test_the_catalogs_own_price_moves_are_kept(httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]) -> None:
    """A server that reprices between refreshes: the old and the new price, with the move's time and source."""
    listing: dict[str, Any] = {"prompt": "0.000001", "completion": "0.000002"}

    def models(request: Request) -> Response:
        body = {"data": [{"id": "m1", "context_length": 32768, "pricing": dict(listing)}]}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request("/v1/models").respond_with_handler(models)
    url = httpserver.url_for("/v1")
    catalog = Catalog(endpoints={"lab": url})
    assert catalog.refresh(["lab"])[0].outcome == "ok"
    before = datetime.now(timezone.utc)
    listing["prompt"] = "0.000003"
    assert catalog.refresh(["lab"], force=True)[0].outcome == "ok"
    points = catalog.price_history("lab/m1", field="input_cost_per_token")
    assert [p["value"] for p in points] == [1 * M, 3 * M]
    assert points[0]["to"] == points[1]["from"] and points[1]["to"] is None and points[1]["source"] == "lab"
    started = points[1]["from"]
    assert started is not None and datetime.fromisoformat(started) >= before.replace(microsecond=0)
    assert catalog.price_history("lab/no-such") == []
    assert run(["history", "lab/m1", "--endpoint", f"lab={url}", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [p["value"] for p in shown if p["field"] == "input_cost_per_token"] == [1 * M, 3 * M]
    assert run(["history", "lab/m1", "--endpoint", f"lab={url}"]) == 0
    assert "$3.00" in capsys.readouterr().out
    assert run(["history", "lab/nope", "--endpoint", f"lab={url}"]) == 1
