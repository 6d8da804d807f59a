"""OpenRouter: the public ``GET https://openrouter.ai/api/v1/models`` (a key is sent when set).

Prices are strings in USD per token, ``"-1"`` meaning variable (unknown) and ``"0"`` free (the
``:free`` variants). ``supported_parameters`` lists what a model accepts: ``tools``,
``structured_outputs``, ``reasoning``. Records are ``openrouter/<id>``, whose provider is
``openrouter`` whoever made the model.
"""

from __future__ import annotations

from typing import Any

from ..errors import SourceFormatError
from ._listing import HostedListing, as_dict, as_list, entries, positive_int
from ._pricing_block import pricing_values

__all__ = ["OpenRouterSource"]

_MODALITY = {"file": "pdf"}
"""OpenRouter's modality words -> ours (its "file" input is documents: PDFs)."""


class OpenRouterSource(HostedListing):
    """OpenRouter's public listing."""

    name = "openrouter"
    default_base_url = "https://openrouter.ai/api/v1"
    key_required = False

    @property
    def authoritative_for(self) -> str | None:
        """The public listing decides availability on OpenRouter, key or not."""
        return self.provider

    def entry_values(self, entry: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Limits, prices, modalities and flags from ``supported_parameters``."""
        top = as_dict(entry.get("top_provider"))
        pricing = as_dict(entry.get("pricing"))
        arch = as_dict(entry.get("architecture"))
        inputs = [_MODALITY.get(m, m) for m in as_list(arch.get("input_modalities")) if isinstance(m, str)]
        outputs = [_MODALITY.get(m, m) for m in as_list(arch.get("output_modalities")) if isinstance(m, str)]
        values: dict[str, Any] = {
            "max_input_tokens": positive_int(entry.get("context_length")) or positive_int(top.get("context_length")),
            "max_output_tokens": positive_int(top.get("max_completion_tokens")),
            **pricing_values(pricing),
            "input_modalities": inputs or None,
            "output_modalities": outputs or None,
        }
        if inputs:
            values["supports_vision"] = "image" in inputs
            values["supports_audio_input"] = "audio" in inputs
            values["supports_pdf_input"] = "pdf" in inputs
        params = {p for p in as_list(entry.get("supported_parameters")) if isinstance(p, str)}
        if params:
            values["supports_function_calling"] = "tools" in params
            values["supports_response_schema"] = "structured_outputs" in params
            values["supports_reasoning"] = bool(params & {"reasoning", "include_reasoning"})
        if not outputs or "text" in outputs:
            values["mode"] = "chat"
        elif "image" in outputs:
            values["mode"] = "image_generation"
        elif "audio" in outputs:
            values["mode"] = "audio_speech"
        expiry = entry.get("expiration_date")
        if isinstance(expiry, str) and expiry:
            values["deprecation_date"] = expiry[:10]
        return {k: v for k, v in values.items() if v is not None}, set()

    def payload_aliases(self, payload: Any) -> dict[str, str]:
        """``openrouter/<canonical_slug>`` -> ``openrouter/<id>`` (a dated slug names the same model)."""
        out: dict[str, str] = {}
        try:
            items = entries(payload)
        except SourceFormatError:
            return out
        for entry in items:
            model_id, slug = entry.get("id"), entry.get("canonical_slug")
            if isinstance(model_id, str) and isinstance(slug, str) and slug and slug != model_id:
                out[f"{self.name}/{slug}"] = f"{self.name}/{model_id}"
        return out
