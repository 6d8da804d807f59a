"""What every source is keyed by: the clean base URL and the fingerprinted credentials it carried."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import pytest

from massgen_discovery.sources import SourceBase
from massgen_discovery.sources._urls import split_url_credentials
from massgen_discovery.sources.ollama import DEFAULT_BASE_URL, resolve_base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.anthropic.com/v1",
        "https://api.anthropic.com/",
        "https://h:8080/a/b//",
        "  http://127.0.0.1:9/v1/  ",
        "http://[::1]:80/x/",
        "https://h",
        "HTTPS://Host/v1",
        "https://h/v1#frag",
        "https://h/v1?",
        "https://u:p@h/v1",
        "https://h/v1?api_key=x&region=eu",
        "https://h/a b",
        "https://h/a\\b",
    ],
)
def test_a_plain_url_is_keyed_as_the_parsed_one(url: str) -> None:
    """The parse-free path for plain URLs gives what ``urlsplit`` gives, credentials included."""
    source = SourceBase(url, "key")
    clean, userinfo, query = split_url_credentials(url.strip())
    parts = urlsplit(url.strip())  # what urllib makes of it, userinfo, query and fragment left out
    assert clean == urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path.rstrip("/"), "", ""))
    assert source.base_url == clean
    secret = source.cache_credential or ""
    assert ("key" in secret) and ((userinfo or "") in secret)
    assert all(k in secret and v in secret for k, v in query.items())
    assert source._url("/models").startswith(clean.split("://")[0])


def test_ollama_default_base_is_its_own_root() -> None:
    """The default needs no parse; anything else is read as Ollama's client reads it."""
    assert resolve_base_url(DEFAULT_BASE_URL) == DEFAULT_BASE_URL
    assert resolve_base_url("localhost") == DEFAULT_BASE_URL
    assert resolve_base_url("http://127.0.0.1:9/v1") == "http://127.0.0.1:9"
