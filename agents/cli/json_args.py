"""JSON options of the command line, read with one clear error."""

from __future__ import annotations

import json
from typing import Any

from simulators.errors import InvalidArgumentError


def json_object(option: str, text: str) -> dict[str, Any]:
    """The JSON object `text` given to `option`, or InvalidArgumentError naming it."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidArgumentError(option, text, f"a JSON object ({error.msg} at column "
                                                 f"{error.colno})") from None
    if not isinstance(value, dict):
        raise InvalidArgumentError(option, text, "a JSON object")
    return value
