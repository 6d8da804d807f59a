from __future__ import annotations

from pathlib import Path

from massgen_discovery.providers import readme_table

README = Path(__file__).parent.parent / "README.md"


def test_readme_providers_table_is_generated_from_the_registry() -> None:
    """The README's providers table is exactly what `python -m massgen_discovery.providers` prints."""
    text = README.read_text()
    assert readme_table() in text, "regenerate it with: python -m massgen_discovery.providers"
