"""Anthropic: ``GET https://api.anthropic.com/v1/models``, paginated with ``has_more`` / ``last_id``.

Entries carry ``max_input_tokens``, ``max_tokens`` (the output limit) and nested ``capabilities``
(``image_input``, ``pdf_input``, ``structured_outputs``, ``thinking``, each ``{"supported": bool}``).
Auth is ``x-api-key`` plus ``anthropic-version``, not a Bearer token.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ._listing import HostedListing, as_dict, as_list, positive_int

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = ["AnthropicSource"]

_PAGE_LIMIT = "1000"
_MAX_PAGES = 20
_DATED = r"-\d{8}$"


class AnthropicSource(HostedListing):
    """Anthropic's listing, with the user's key."""

    name = "anthropic"
    default_base_url = "https://api.anthropic.com/v1"

    def headers(self) -> dict[str, str]:
        """``x-api-key`` and the API version header."""
        headers = {"anthropic-version": "2023-06-01"}
        if self.credential:
            headers["x-api-key"] = self.credential
        return headers

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """Every page, concatenated into one ``{"data": [...]}``."""
        data: list[Any] = []
        params = {"limit": _PAGE_LIMIT}
        for _ in range(_MAX_PAGES):
            page = await self.get(client, self._url(self.path), params=params, validators=validators)
            data.extend(as_list(as_dict(page).get("data")))
            last = as_dict(page).get("last_id")
            if not as_dict(page).get("has_more") or not isinstance(last, str) or not last:
                break
            params = {"limit": _PAGE_LIMIT, "after_id": last}
        return {"data": data}

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Limits and capability flags; every Claude model is a chat model."""
        values: dict[str, Any] = {
            "mode": "chat",
            "max_input_tokens": positive_int(entry.get("max_input_tokens")),
            "max_output_tokens": positive_int(entry.get("max_tokens")),
        }
        caps = as_dict(entry.get("capabilities"))

        def supported(name: str) -> bool | None:
            value = as_dict(caps.get(name)).get("supported")
            return value if isinstance(value, bool) else None

        values["supports_vision"] = supported("image_input")
        values["supports_pdf_input"] = supported("pdf_input")
        values["supports_response_schema"] = supported("structured_outputs")
        values["supports_reasoning"] = supported("thinking")
        if values["supports_vision"] is not None:
            inputs = (
                ["text"]
                + (["image"] if values["supports_vision"] else [])
                + (["pdf"] if values["supports_pdf_input"] else [])
            )
            values["input_modalities"] = inputs
        return {k: v for k, v in values.items() if v is not None}, set()

    def entry_ids(self, entry: dict[str, Any]) -> list[str]:
        """The dated id and its undated name (``claude-sonnet-4-5-20250929`` -> ``claude-sonnet-4-5``).

        Anthropic lists dated ids, newest first; the undated name is what people type and what
        LiteLLM's map keys too, so both carry the listing's data (the newest dated model wins).
        """
        ids = super().entry_ids(entry)
        if ids and (undated := re.sub(_DATED, "", ids[0])) != ids[0]:
            ids.append(undated)
        return ids
