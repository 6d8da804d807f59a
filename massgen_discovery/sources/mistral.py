"""Mistral: ``GET https://api.mistral.ai/v1/models``.

Entries carry ``capabilities``, ``max_context_length``, ``deprecation`` and ``aliases``. Aliases
(``mistral-medium`` for ``mistral-medium-2508``) are listed as records of their own with the
entry's values, so ``mistral/mistral-medium`` is known and available, as it is to the API.
"""

from __future__ import annotations

from typing import Any

from ._listing import HostedListing, as_dict, as_list, entry_id, generic_values

__all__ = ["MistralSource"]


class MistralSource(HostedListing):
    """Mistral's listing, with the user's key."""

    name = "mistral"
    default_base_url = "https://api.mistral.ai/v1"

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Generic fields plus the capability flags and the deprecation date."""
        values, guessed = generic_values(entry)
        caps = as_dict(entry.get("capabilities"))
        if isinstance(caps.get("function_calling"), bool):
            values["supports_function_calling"] = caps["function_calling"]
        if isinstance(caps.get("vision"), bool):
            values["supports_vision"] = caps["vision"]
            values["input_modalities"] = ["text", "image"] if caps["vision"] else ["text"]
        if caps:
            guessed.discard("mode")
            if caps.get("completion_chat") is True:
                values["mode"] = "chat"
            elif caps.get("moderation") is True or caps.get("classification") is True:
                values["mode"] = "moderation"
            elif caps.get("ocr") is True:
                values["mode"] = "ocr"
            elif caps.get("completion_fim") is True:
                values["mode"] = "completion"
            elif caps.get("audio") is True:
                values["mode"] = "audio_transcription"
            elif "embed" in (entry_id(entry) or ""):
                values["mode"] = "embedding"
            else:
                values["mode"] = values.get("mode", "chat")
                guessed.add("mode")
        deprecation = entry.get("deprecation")
        if isinstance(deprecation, str) and deprecation:
            values["deprecation_date"] = deprecation[:10]
            values["status"] = "deprecated"
        return values, guessed

    def entry_ids(self, entry: dict[str, Any]) -> list[str]:
        """The entry's id and each of its aliases."""
        ids = super().entry_ids(entry)
        ids += [a for a in as_list(entry.get("aliases")) if isinstance(a, str) and a and a not in ids]
        return ids
