"""What changed between two generations: from records held in memory, or from stored documents."""

from __future__ import annotations

from typing import Any

from massgen_discovery._domain.changes import Moved, diff_docs, diff_moved, diff_records
from massgen_discovery.records import ModelRecord


def _r(model: str, source: str = "groq", **values: Any) -> ModelRecord:
    provider, _, model_id = model.partition("/")
    known = {k: v for k, v in values.items() if v is not None}
    return ModelRecord(
        model=model, provider=provider, model_id=model_id, sources=[source], provenance=dict.fromkeys(known, source),
        **known,
    )  # fmt: skip


def _doc(record: ModelRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_defaults=True)


def test_records_and_documents_give_the_same_changes() -> None:
    """Added, removed, changed fields with their sources; a model whose compared fields did not move is left out."""
    old = [_r("groq/a", max_input_tokens=8192), _r("groq/b", input_cost_per_token=1e-6), _r("groq/c", mode="chat")]
    new = [
        _r("groq/a", max_input_tokens=131072),
        _r("groq/b", input_cost_per_token=1e-6, first_token_latency_ms=12.0),  # only a measurement moved
        _r("groq/d", supports_vision=True),
    ]
    changes = diff_records(old, new)
    assert changes == diff_docs([_doc(r) for r in old], [_doc(r) for r in new])
    kinds = {(c["model"], c["kind"], c.get("field")) for c in changes}
    assert kinds == {
        ("groq/a", "changed", "max_input_tokens"),
        ("groq/c", "removed", None),
        ("groq/d", "added", None),
    }
    assert diff_moved(Moved(records=old), Moved(records=new)) == changes
    assert diff_moved(Moved(docs=[_doc(r) for r in old], read_back=True), Moved(docs=[_doc(r) for r in new])) == changes


def test_an_old_document_read_back_that_fails_the_gate_is_left_out() -> None:
    """Documents from the store are input: a model whose old document has a field of the wrong type reports nothing."""
    bad = {"model": "groq/a", "provider": "groq", "model_id": "a", "max_input_tokens": "lots"}
    new = [_doc(_r("groq/a", max_input_tokens=131072))]
    assert diff_docs([bad], new, gate_old=True) == []
    good = {**bad, "max_input_tokens": 8192, "provenance": {"*": "groq"}}
    assert [(c["kind"], c["old"], c["new"]) for c in diff_docs([good], new)] == [("changed", 8192, 131072)]


def test_the_same_models_in_the_same_order_are_compared_side_by_side_with_the_same_result() -> None:
    """A listing whose values moved (the usual refresh) takes the side-by-side path; it reports the same."""
    old = [_r(f"groq/m{n}", max_input_tokens=8192, input_cost_per_token=1e-6) for n in range(50)]
    new = [
        _r(
            f"groq/m{n}",
            max_input_tokens=8192 * (2 if n % 7 == 0 else 1),
            input_cost_per_token=1e-6,
            first_token_latency_ms=float(n),
        )
        for n in range(50)
    ]
    changes = diff_records(old, new)
    assert changes == diff_docs([_doc(r) for r in old], [_doc(r) for r in new])
    assert sorted(c["model"] for c in changes) == sorted(f"groq/m{n}" for n in range(0, 50, 7))
    # The same records in another order take the general path, and agree.
    assert diff_records(old[::-1], new) == changes
    assert diff_records(old, old) == []
