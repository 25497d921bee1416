"""geoverify's data: the catalogue, the evidence, and what checks and decisions produce.

The lowest layer but for errors and units: plain objects that every other layer
passes along (see ``docs/architecture.md``).
"""

from geoverify.model.catalogue import (
    OPERATORS,
    AggregateCondition,
    Catalogue,
    Condition,
    Direction,
    Indicator,
    ItemCondition,
    Reading,
    display_text,
)
from geoverify.model.evidence import (
    ITEM_PROOF_KEYS,
    Evidence,
    Submission,
    is_remote,
    resolve_location,
)
from geoverify.model.results import (
    EvidenceRecord,
    Measurement,
    Result,
    Table,
    Verdict,
    jsonable,
)

__all__ = [
    "ITEM_PROOF_KEYS",
    "OPERATORS",
    "AggregateCondition",
    "Catalogue",
    "Condition",
    "Direction",
    "Evidence",
    "EvidenceRecord",
    "Indicator",
    "ItemCondition",
    "Measurement",
    "Reading",
    "Result",
    "Submission",
    "Table",
    "Verdict",
    "display_text",
    "is_remote",
    "jsonable",
    "resolve_location",
]
