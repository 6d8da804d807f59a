"""Google Gemini: ``GET https://generativelanguage.googleapis.com/v1beta/models``.

Paginated with ``nextPageToken``. Entries are ``{"name": "models/gemini-2.5-pro", "inputTokenLimit", "outputTokenLimit",
"supportedGenerationMethods": [...]}``; ``generateContent`` means chat, ``embedContent`` embedding.
The key goes in the ``x-goog-api-key`` header, never in the URL (URLs end up in error messages).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._listing import HostedListing, as_dict, as_list, mode_from_id, positive_int

if TYPE_CHECKING:
    import httpx

    from ._http import ConditionalGet

__all__ = ["GeminiSource"]

_MAX_PAGES = 20


class GeminiSource(HostedListing):
    """The Gemini API's listing, with the user's key."""

    name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com/v1beta"

    def headers(self) -> dict[str, str]:
        """``x-goog-api-key``."""
        return {"x-goog-api-key": self.credential} if self.credential else {}

    async def fetch(
        self, client: httpx.AsyncClient, previous: Any = None, *, validators: ConditionalGet | None = None
    ) -> Any:
        """Every page, concatenated into one ``{"models": [...]}``."""
        models: list[Any] = []
        params = {"pageSize": "1000"}
        for _ in range(_MAX_PAGES):
            page = as_dict(await self.get(client, self._url(self.path), params=params, validators=validators))
            models.extend(as_list(page.get("models")))
            token = page.get("nextPageToken")
            if not isinstance(token, str) or not token:
                break
            params = {"pageSize": "1000", "pageToken": token}
        return {"models": models}

    def entry_ids(self, entry: dict[str, Any]) -> list[str]:
        """``models/gemini-2.5-pro`` -> ``gemini-2.5-pro``."""
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            return []
        return [name.removeprefix("models/")]

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Limits and the mode from the supported generation methods."""
        methods = {m for m in as_list(entry.get("supportedGenerationMethods")) if isinstance(m, str)}
        guessed: set[str] = set()
        if "generateContent" in methods:
            # TTS and image models are called through generateContent too: the name tells them
            # apart (a guess, below LiteLLM's stated mode); chat otherwise, as the method says.
            mode = mode_from_id(str(entry.get("name", "")))
            if mode != "chat":
                guessed.add("mode")
        elif methods & {"embedContent", "embedText", "batchEmbedContents"}:
            mode = "embedding"
        elif "predict" in methods or "predictLongRunning" in methods:
            mode = "image_generation"
        else:
            mode = mode_from_id(str(entry.get("name", "")))
            guessed.add("mode")
        values = {
            "mode": mode,
            "max_input_tokens": positive_int(entry.get("inputTokenLimit")),
            "max_output_tokens": positive_int(entry.get("outputTokenLimit")),
        }
        return {k: v for k, v in values.items() if v is not None}, guessed
