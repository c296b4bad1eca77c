"""The demonstration: a deterministic database built the way real data arrives (`database`:
values, the portfolio's odd cases, the shipped archive) from report workbooks written in the
template and in partners' own layouts (`reports`). `python -m ardenne_kpi.demo` writes the
shipped archive again (data/demo.tar.xz).
"""

from ardenne_kpi.demo.database import (
    CHURN,
    LATE_OPERATOR,
    MISSING_LAST_REPORT,
    MISSING_PERIOD,
    NESTED_AUDIENCE,
    NESTED_ZONE,
    NEVER_REPORTED,
    SEMESTER_REPORTER,
    TOTAL_AND_PART,
    USER,
    build_values,
    create_demo,
    install_demo,
    write_archive,
)

__all__ = [
    "CHURN",
    "LATE_OPERATOR",
    "MISSING_LAST_REPORT",
    "MISSING_PERIOD",
    "NESTED_AUDIENCE",
    "NESTED_ZONE",
    "NEVER_REPORTED",
    "SEMESTER_REPORTER",
    "TOTAL_AND_PART",
    "USER",
    "build_values",
    "create_demo",
    "install_demo",
    "write_archive",
]
