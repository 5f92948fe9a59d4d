"""Writing episode YAML for the commands that create or edit episode files.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and block styles, so an
edit by `fiveml refs fill` changes only the values it fills. Files are always checked by
the pipeline's own safe loader first (no tags, no aliases) before ruamel reads them.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML


def round_trip() -> YAML:
    """The house style: 2-space mappings, sequences indented under their key, no wrapping."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump(data: Any) -> str:
    buffer = io.StringIO()
    round_trip().dump(data, buffer)
    return buffer.getvalue()
