"""The reference framework of the plan: its model (`model`: dimensions, keys, objectives,
audiences, zones, operators, projects, indicators, obligations), its loading from the YAML
file (`loading`) with every field checked and every problem named (`checks`), the framework
as an Excel workbook both ways (`workbook`) and what is due (`expected`: the series every
obligation owes).

The model and the loading are the framework's public face, re-exported here: callers write
`framework.Indicator`, `framework.load_framework(path)`.
"""

from ardenne_kpi.framework.checks import ONE_LINE_FIELDS
from ardenne_kpi.framework.loading import (
    MAX_FRAMEWORK_BYTES,
    load_framework,
    parse_framework,
    too_large,
)
from ardenne_kpi.framework.model import (
    AGGREGATION_LABELS,
    AGGREGATIONS,
    COMPONENT_AGGREGATIONS,
    DEFAULT_PATH,
    DIRECTION_LABELS,
    DIRECTIONS,
    FREQUENCIES,
    FREQUENCY_LABELS,
    KNOWN_LICENCES,
    MEASURE_LABELS,
    MEASURES,
    OBLIGATION_GRAINS,
    Activity,
    Audience,
    Entry,
    Framework,
    Indicator,
    Key,
    Obligation,
    OpenData,
    Operator,
    Project,
    Target,
    WorkModule,
    Zone,
)

__all__ = [
    "AGGREGATIONS",
    "AGGREGATION_LABELS",
    "Activity",
    "Audience",
    "COMPONENT_AGGREGATIONS",
    "DEFAULT_PATH",
    "DIRECTIONS",
    "DIRECTION_LABELS",
    "Entry",
    "FREQUENCIES",
    "FREQUENCY_LABELS",
    "Framework",
    "Indicator",
    "KNOWN_LICENCES",
    "Key",
    "MAX_FRAMEWORK_BYTES",
    "MEASURES",
    "MEASURE_LABELS",
    "OBLIGATION_GRAINS",
    "ONE_LINE_FIELDS",
    "Obligation",
    "OpenData",
    "Operator",
    "Project",
    "Target",
    "WorkModule",
    "Zone",
    "load_framework",
    "parse_framework",
    "too_large",
]
