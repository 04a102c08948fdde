"""DECP formats recognised by `leviers ingest` (importing this package registers them)."""

from leviers.decp.formats import (
    json_formats,  # noqa: F401  (registers on import)
    tabular,  # noqa: F401
    xml_formats,  # noqa: F401
)
