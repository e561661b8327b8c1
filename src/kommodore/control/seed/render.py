"""A seed document as text: JSON, or YAML a person can read and edit."""

from __future__ import annotations

import msgspec
import yaml

from kommodore.control.seed.document import SeedDocument


def render_json(doc: SeedDocument) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def render_yaml(doc: SeedDocument) -> bytes:
    """Keys in the document's order (not sorted), Unicode as written."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(
        msgspec.to_builtins(doc), Dumper=dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return text.encode()
