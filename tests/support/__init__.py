"""What tests share: captured payloads, made-up records, loopback servers, a real redis-server.

Imported by tests and by ``conftest.py`` (which holds only fixtures); never the other way round.
"""

from .data import DEAD_URL, FIXTURES, FakeClock, lab, load_fixture

__all__ = ["DEAD_URL", "FIXTURES", "FakeClock", "lab", "load_fixture"]
