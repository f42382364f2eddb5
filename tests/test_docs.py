"""The README documents every setting, and the simulator's magic numbers as the code has them."""

from __future__ import annotations

from pathlib import Path

from relaybox.carriers.simulator.outcomes import MAGIC
from relaybox.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f"RELAYBOX_{name.upper()}"
        for name in Settings.model_fields
        if f"`RELAYBOX_{name.upper()}`" not in README
    ]
    assert not missing, f"document these in README.md's configuration table: {missing}"


def test_every_magic_number_is_in_the_readme_table() -> None:
    for number in MAGIC:
        assert f"| `{number}` |" in README, number
