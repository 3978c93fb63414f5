"""The base of every request body, so all apps refuse and accept the same way."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Strict


class RequestModel(BaseModel):
    # Unknown fields are refused, so a misspelt field is an error, not silently ignored.
    # Strict: "1" is not an id and "yes" is not a boolean.
    model_config = ConfigDict(extra="forbid", strict=True)


# JSON has no enum or date-time type: mark such fields `Annotated[Role, FromJsonText]`
# so their text form is read (strict mode would want the Python object).
FromJsonText = Strict(False)
