"""The pages people browse and the Atom feed: HTML and XML strings, built from records and changes.

Every piece of upstream text goes through :func:`text` (control characters escaped, then markup
escaped), so a model id carrying ``<script>`` renders as those characters. Pages load nothing from
elsewhere: the style sheet is inline and there is no script, so they work air-gapped; filters are a
plain GET form whose fields carry the API's parameter names, so a page's URL is the API's filter.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .._domain.display import format_price, format_tokens, inert, show_value
from .._domain.pricing import CACHE_TTLS, SERVICE_TIERS

if TYPE_CHECKING:
    from ..records import Change, ModelRecord

__all__ = ["atom_feed", "compare_page", "list_page", "model_page", "text", "unknown_page"]

FLAGS = (
    ("tools", "supports_function_calling"),
    ("vision", "supports_vision"),
    ("structured_output", "supports_response_schema"),
    ("reasoning", "supports_reasoning"),
    ("prompt_caching", "supports_prompt_caching"),
    ("pdf", "supports_pdf_input"),
    ("audio_input", "supports_audio_input"),
)
"""The capability filters, by their API name, and the record field each reads."""

_STYLE = """
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1f24;
background:#fff}header{background:#1b1f24;color:#fff;padding:.6rem 1rem}header a{color:#fff;text-decoration:none;
font-weight:600}main{padding:1rem;max-width:1400px;margin:auto}h1{font-size:1.3rem;margin:.2rem 0 .8rem;
overflow-wrap:anywhere}form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:.8rem}
form label{display:flex;flex-direction:column;font-size:.8rem;color:#444}form input[type=text],form input[type=number],
form select{font:inherit;padding:.25rem .4rem;min-width:7rem;max-width:100%}fieldset{border:1px solid #ccc;
padding:.3rem .6rem;display:flex;flex-wrap:wrap;gap:.2rem .8rem}fieldset label{flex-direction:row;gap:.25rem;
font-size:.9rem;color:#1b1f24}button{font:inherit;padding:.3rem .9rem}.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e3e3;
vertical-align:top}th{background:#f4f5f7;white-space:nowrap}td.num{text-align:right;white-space:nowrap}
td.key{overflow-wrap:anywhere;min-width:12rem}.muted{color:#666}.pages{display:flex;gap:1rem;margin:.8rem 0;
flex-wrap:wrap}.note{background:#fff7e0;padding:.5rem .8rem;border-left:3px solid #e0a800;margin:.6rem 0}
.error{background:#fdecea;border-left-color:#d93025}code{overflow-wrap:anywhere}
@media (max-width:600px){main{padding:.5rem}th,td{padding:.25rem .3rem;font-size:.8rem;white-space:normal;
overflow-wrap:anywhere}td.key{min-width:7rem}#fields td:last-child,#prices td:last-child{min-width:5.5rem}
.wide{display:none}h1{font-size:1.1rem}}
"""


def text(value: object) -> str:
    """Upstream text as inert HTML: control characters escaped, then ``<``, ``&`` and quotes."""
    return html.escape(inert(value), quote=True)


def _model_href(model: str) -> str:
    return "/models/" + quote(model, safe="/:@")


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{text(title)}</title><style>{_STYLE}</style>"
        '<link rel="alternate" type="application/atom+xml" title="Model changes" href="/changes.atom">'
        '</head><body><header><a href="/">massgen-discovery</a> <span class="muted">· '
        '<a href="/changes.atom">changes feed</a> · <a href="/openapi.json">API</a></span></header>'
        f"<main>{body}</main></body></html>"
    )


def _price(value: float | None) -> str:
    return "?" if value is None else format_price(value)


def _flags(record: ModelRecord) -> str:
    return " ".join(name for name, field in FLAGS if getattr(record, field) is True)


def _query(params: Mapping[str, Any], **changes: Any) -> str:
    """The current filter's query string with ``changes`` applied (None removes a parameter)."""
    merged: dict[str, Any] = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, str(item)))
    return urlencode(pairs)


def _filters(params: Mapping[str, Any], providers: Sequence[str]) -> str:
    chosen = params.get("provider") or []
    options = "".join(
        f'<option value="{text(p)}"{" selected" if p in chosen else ""}>{text(p)}</option>' for p in providers
    )
    checks = "".join(
        f'<label><input type="checkbox" name="{name}" value="true"'
        f"{' checked' if params.get(name) == 'true' else ''}> {name.replace('_', ' ')}</label>"
        for name, _ in FLAGS
    )
    sort = params.get("sort") or "name"
    sorts = "".join(
        f'<option value="{s}"{" selected" if s == sort else ""}>{s}</option>'
        for s in ("name", "price", "context", "newest")
    )
    mode = params.get("mode") or "chat"
    modes = "".join(
        f'<option value="{m}"{" selected" if m == mode else ""}>{m}</option>'
        for m in ("chat", "all", "embedding", "image_generation", "audio_transcription", "audio_speech", "rerank")
    )

    def field(name: str, label: str, kind: str = "text", extra: str = "") -> str:
        value = text(params.get(name) or "")
        return f'<label>{label}<input type="{kind}" name="{name}" value="{value}"{extra}></label>'

    terms = params.get("q") or []
    return (
        '<form class="filters" method="get" action="/">'
        f'<label>search<input type="text" name="q" value="{text(" ".join(terms))}" placeholder="substring"></label>'
        '<label>provider<select name="provider" multiple size="4">'
        f'<option value="">any</option>{options}</select></label>'
        + field("min_context", "min context", extra=' placeholder="128k" inputmode="numeric"')
        + field("max_input_cost", "max $/1M in", extra=' inputmode="decimal"')
        + field("max_output_cost", "max $/1M out", extra=' inputmode="decimal"')
        + f'<label>mode<select name="mode">{modes}</select></label>'
        f'<label>sort<select name="sort">{sorts}</select></label>'
        f"<fieldset><legend>capabilities</legend>{checks}"
        f'<label><input type="checkbox" name="available" value="true"'
        f"{' checked' if params.get('available') == 'true' else ''}> available</label></fieldset>"
        '<button type="submit">filter</button> <a href="/">reset</a></form>'
    )


def list_page(
    records: Sequence[ModelRecord],
    total: int,
    offset: int,
    limit: int,
    params: Mapping[str, Any],
    providers: Sequence[str],
    notes: Iterable[str] = (),
) -> str:
    """The table of models for a filter: one ``<tr data-model="KEY">`` per model, a total, pages."""
    headers = []
    for label, key, css in (
        ("model", "name", ""),
        ("provider", None, "wide"),
        ("context", "context", ""),
        ("max out", None, "wide"),
        ("$/1M in", "price", ""),
        ("$/1M out", None, ""),
        ("capabilities", None, "wide"),
    ):
        link = text(_query(params, sort=key, offset=None))
        inner = f'<a href="/?{link}">{label}</a>' if key else label
        headers.append(f'<th class="{css}">{inner}</th>')
    rows = "".join(
        f'<tr data-model="{text(r.model)}">'
        f'<td class="key"><a href="{text(_model_href(r.model))}">{text(r.model)}</a></td>'
        f'<td class="wide">{text(r.provider)}</td><td class="num">{format_tokens(r.max_input_tokens)}</td>'
        f'<td class="num wide">{format_tokens(r.max_output_tokens)}</td>'
        f'<td class="num">{_price(r.input_cost_per_token)}</td><td class="num">{_price(r.output_cost_per_token)}</td>'
        f'<td class="wide">{_flags(r)}</td></tr>'
        for r in records
    )
    shown = f"{offset + 1:,} to {offset + len(records):,} of " if records else ""
    pages = [f'<span id="total">{shown}<strong data-total="{total}">{total:,}</strong> models</span>']
    if offset > 0:
        pages.append(
            f'<a rel="prev" href="/?{text(_query(params, offset=max(0, offset - limit) or None))}">previous</a>'
        )
    if offset + limit < total:
        pages.append(f'<a rel="next" href="/?{text(_query(params, offset=offset + limit))}">next</a>')
    api = f"/v1/models?{_query(params)}"
    body = (
        "<h1>Models</h1>"
        + _filters(params, providers)
        + "".join(f'<p class="note">{text(n)}</p>' for n in notes)
        + f'<div class="pages">{" ".join(pages)} <a class="muted" href="{text(api)}">as JSON</a></div>'
        + '<div class="scroll"><table id="models">'
        + f"<thead><tr>{''.join(headers)}</tr></thead><tbody>{rows}</tbody></table></div>"
        + f'<div class="pages">{" ".join(pages[1:])}</div>'
    )
    return _document("Models", body)


def model_page(
    record: ModelRecord, cost: Mapping[str, Any] | None, cost_error: str | None, params: Mapping[str, str]
) -> str:
    """Every field of one model with its source, its conflicts, every price, and a cost calculator."""
    from ..records import MERGEABLE_FIELDS

    rows = []
    for name in ("model", "provider", "model_id", *MERGEABLE_FIELDS):
        if name == "prices":
            continue
        value = getattr(record, name)
        rows.append(
            f'<tr data-field="{name}"><th>{name}</th><td class="key">{text(show_value(name, value))}</td>'
            f"<td>{text(record.provenance.get(name, ''))}</td></tr>"
        )
    rows.append(f'<tr data-field="sources"><th>sources</th><td>{text(", ".join(record.sources))}</td><td></td></tr>')
    fetched = record.fetched_at.isoformat() if record.fetched_at else "bundled data only"
    rows.append(f'<tr data-field="fetched_at"><th>fetched_at</th><td>{text(fetched)}</td><td></td></tr>')
    price_rows = [
        (name, getattr(record, name))
        for name in (
            "input_cost_per_token",
            "output_cost_per_token",
            "cache_read_input_token_cost",
            "cache_creation_input_token_cost",
        )
    ] + sorted((record.prices or {}).items())
    prices = "".join(
        f'<tr data-price="{text(name)}"><td class="key"><code>{text(name)}</code></td>'
        f'<td class="num">{text(show_value(name, value))}</td>'
        f"<td>{text(record.provenance.get(name, ''))}</td></tr>"
        for name, value in price_rows
    )
    conflicts = "".join(
        f"<tr><td>{text(c.field)}</td><td>{text(c.kept_value)}</td><td>{text(c.kept_source)}</td>"
        f"<td>{text(c.other_value)}</td><td>{text(c.other_source)}</td></tr>"
        for c in record.conflicts
    )
    body = f"<h1>{text(record.model)}</h1>"
    body += (
        '<div class="scroll"><table id="fields"><thead><tr><th>field</th><th>value</th><th>source</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    body += (
        '<h2>Prices</h2><div class="scroll"><table id="prices"><thead><tr><th>rate</th><th>value</th><th>source</th>'
        f"</tr></thead><tbody>{prices}</tbody></table></div>"
    )
    body += "<h2>Conflicts</h2>" + (
        '<div class="scroll"><table id="conflicts"><thead><tr><th>field</th><th>kept</th><th>from</th><th>other</th>'
        f"<th>from</th></tr></thead><tbody>{conflicts}</tbody></table></div>"
        if conflicts
        else '<p class="muted">The sources agree.</p>'
    )
    body += _calculator(record, cost, cost_error, params)
    return _document(record.model, body)


def _calculator(
    record: ModelRecord, cost: Mapping[str, Any] | None, error: str | None, params: Mapping[str, str]
) -> str:
    def number(name: str, label: str) -> str:
        return (
            f'<label>{label}<input type="text" inputmode="numeric" name="{name}" '
            f'value="{text(params.get(name, ""))}" placeholder="0"></label>'
        )

    def select(name: str, options: Sequence[str]) -> str:
        chosen = params.get(name) or options[0]
        inner = "".join(f"<option{' selected' if o == chosen else ''}>{o}</option>" for o in options)
        return f'<label>{name.replace("_", " ")}<select name="{name}">{inner}</select></label>'

    form = (
        "<h2>Cost of a call</h2>"
        f'<form class="filters" id="calculator" method="get" action="{text(_model_href(record.model))}">'
        + number("input", "input tokens")
        + number("output", "output tokens")
        + number("cached", "cached tokens")
        + number("cache_write", "cache-write tokens")
        + select("cache_ttl", CACHE_TTLS)
        + number("reasoning", "reasoning tokens")
        + select("service_tier", tuple(SERVICE_TIERS))
        + '<button type="submit">price it</button></form>'
    )
    if error:
        return form + f'<p class="note error" id="cost-error">{text(error)}</p>'
    if cost is None:
        return form
    parts = "".join(
        f'<tr><td>{text(p["part"])}</td><td class="num">{p["tokens"]:,}</td>'
        f"<td><code>{text(p['rate_name'])}</code></td>"
        f'<td class="num">${p["cost"]:.6f}</td></tr>'
        for p in cost["parts"]
    )
    notes = "".join(f'<p class="note">{text(n)}</p>' for n in cost.get("notes", []))
    return (
        form + '<div class="scroll"><table id="cost"><thead><tr><th>part</th><th>tokens</th><th>rate</th><th>USD</th>'
        f'</tr></thead><tbody>{parts}<tr><th>total</th><td></td><td></td><td class="num" id="cost-total">'
        f"${cost['total']:.6f}</td></tr></tbody></table></div>{notes}"
    )


def unknown_page(message: str, suggestions: Sequence[str]) -> str:
    """The page for a model nobody knows: why, and the close matches as links."""
    links = "".join(f'<li><a href="{text(_model_href(s))}">{text(s)}</a></li>' for s in suggestions)
    body = f'<h1>Unknown model</h1><p class="note error">{text(message)}</p>'
    if links:
        body += f'<p>Did you mean:</p><ul id="suggestions">{links}</ul>'
    return _document("Unknown model", body)


_COMPARED = (
    "provider", "mode", "max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
    "cache_read_input_token_cost", "cache_creation_input_token_cost", "supports_function_calling",
    "supports_vision", "supports_response_schema", "supports_reasoning", "supports_prompt_caching",
    "supports_pdf_input", "supports_audio_input", "input_modalities", "output_modalities", "release_date",
    "knowledge_cutoff", "deprecation_date", "available",
)  # fmt: skip


def compare_page(found: Sequence[tuple[str, ModelRecord | None]]) -> str:
    """Models side by side: a column per model, a row per field, each value with its source."""
    heads = "".join(
        f'<th data-model="{text(r.model if r else name)}">'
        + (f'<a href="{text(_model_href(r.model))}">{text(r.model)}</a>' if r else f"{text(name)} (unknown)")
        + "</th>"
        for name, r in found
    )
    rows = []
    names = list(_COMPARED) + sorted({k for _, r in found if r is not None for k in (r.prices or {})})
    for name in names:
        cells = []
        for _, r in found:
            if r is None:
                cells.append('<td class="muted">—</td>')
                continue
            value = getattr(r, name) if name in _COMPARED else (r.prices or {}).get(name)
            source = r.provenance.get(name, "")
            cells.append(
                f'<td>{text(show_value(name, value))}<br><span class="muted">{text(source)}</span></td>'
                if source
                else f"<td>{text(show_value(name, value))}</td>"
            )
        rows.append(f'<tr data-field="{text(name)}"><th>{text(name)}</th>{"".join(cells)}</tr>')
    body = (
        "<h1>Compare</h1>"
        '<form class="filters" method="get" action="/compare"><label>models (comma-separated)'
        f'<input type="text" name="models" value="{text(",".join(n for n, _ in found))}"></label>'
        '<button type="submit">compare</button></form>'
        f'<div class="scroll"><table id="compare"><thead><tr><th>field</th>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return _document("Compare", body)


def _xml(value: object) -> str:
    return html.escape(inert(value), quote=True)


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _change_title(change: Change) -> str:
    held = " (held)" if change.held else ""
    if change.kind == "changed":
        name = change.field or ""
        return f"{change.model}: {name} {show_value(name, change.old)} -> {show_value(name, change.new)}{held}"
    return f"{change.model} {change.kind}{held}"


def atom_feed(changes: Sequence[Change], base_url: str) -> str:
    """An Atom 1.0 feed of what changed (added, removed, price and limit moves), newest first."""
    updated = _iso(changes[0].at) if changes else "1970-01-01T00:00:00Z"
    entries = []
    for change in changes:
        key = f"{change.generation or ''}:{change.kind}:{change.model}:{change.field or ''}:{_iso(change.at)}"
        source = f" (source: {change.source})" if change.source else ""
        reason = f" Held: {change.reason}" if change.held and change.reason else ""
        entries.append(
            "<entry>"
            f"<id>urn:massgen-discovery:change:{quote(key, safe=':')}</id>"
            f"<title>{_xml(_change_title(change))}</title>"
            f"<updated>{_iso(change.at)}</updated>"
            f'<link href="{_xml(base_url + _model_href(change.model))}"/>'
            f'<category term="{_xml(change.kind)}"/>'
            f'<content type="text">{_xml(_change_title(change) + source + reason)}</content>'
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>massgen-discovery: model changes</title>"
        f"<id>urn:massgen-discovery:changes:{quote(base_url, safe='')}</id>"
        f"<updated>{updated}</updated>"
        f'<link rel="self" href="{_xml(base_url + "/changes.atom")}"/>'
        f'<link rel="alternate" href="{_xml(base_url + "/")}"/>'
        "<author><name>massgen-discovery</name></author>" + "".join(entries) + "</feed>"
    )
