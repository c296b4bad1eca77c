"""What reading a report produces: issues with their place, and the parsed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ardenne_kpi.core.periods import Period

if TYPE_CHECKING:  # pandas and NumPy stay out of the parsing child process
    import numpy as np
    import pandas as pd

ERROR = "error"
WARNING = "warning"

# The columns of a parsed report, in order; `cell` is the cell of the value itself.
COLUMNS = ("indicator", "operator", "zone", "audience", "period", "value", "comment", "sheet", "cell")
# A ratio's components, when the partner gave them (None otherwise); kept beside COLUMNS
# because only a table with numerator and denominator columns fills them.
COMPONENTS = ("numerator", "denominator")

# A file with thousands of bad cells gets this many messages of each kind, then a summary.
MAX_ISSUES = 300


@dataclass(frozen=True)
class Issue:
    """One problem found in a report. `message` is French and self-contained: it names the
    sheet and the cell (when there is one) and says how to fix the problem."""

    sheet: str
    cell: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message, "severity": self.severity}


def where(sheet: str, cell: str = "") -> str:
    """The French place prefix of a message: « Feuille « Données », cellule F12 »."""
    if sheet and cell:
        return f"Feuille « {sheet} », cellule {cell}"
    if sheet:
        return f"Feuille « {sheet} »"
    return "Fichier"


class IssueList:
    """Errors and warnings collected all at once, capped so a broken 100 000-row file stays readable."""

    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.dropped = {ERROR: 0, WARNING: 0}

    def add(self, severity: str, sheet: str, cell: str, message: str) -> None:
        target = self.errors if severity == ERROR else self.warnings
        if len(target) >= MAX_ISSUES:
            self.dropped[severity] += 1
            return
        target.append(Issue(sheet, cell, message, severity))

    def error(self, sheet: str, cell: str, message: str) -> None:
        self.add(ERROR, sheet, cell, message)

    def warning(self, sheet: str, cell: str, message: str) -> None:
        self.add(WARNING, sheet, cell, message)

    def close(self) -> None:
        """Append the "… and N more" summaries of capped messages."""
        for severity, target, noun in ((ERROR, self.errors, "erreur(s)"), (WARNING, self.warnings, "avertissement(s)")):
            if self.dropped[severity]:
                target.append(
                    Issue(
                        "",
                        "",
                        f"… et {self.dropped[severity]} autre(s) {noun} du même genre, "
                        "non détaillé(e)s : corrigez d'abord celles ci-dessus.",
                        severity,
                    )
                )
                self.dropped[severity] = 0


@dataclass
class TableInfo:
    """Where a table was found: for the preview and the annotated workbook."""

    sheet: str
    header_row: int  # 1-based, as Excel shows it
    layout: str  # long | wide
    columns: dict[str, str]  # field -> column letter
    rows: int = 0


@dataclass
class ParsedReport:
    """A report read and checked against the framework, without touching the database.

    `columns` holds one list per name of COLUMNS (one entry per value, with its sheet and
    cell); `periods` maps each period code to its Period; `brand` the brand-platform sheets
    (`ardenne_kpi.intake.brand_sheet.BrandSheet`). `errors` non-empty means the file must be refused as
    a whole.
    """

    file_name: str
    kind: str
    operator: str | None = None
    columns: dict[str, list[Any]] = field(default_factory=lambda: {c: [] for c in COLUMNS})
    periods: dict[str, Period] = field(default_factory=dict)
    tables: list[TableInfo] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # sheets without an indicator table, name -> cells (None: too long to be sent back)
    unlocated: dict[str, list[list[Any]] | None] = field(default_factory=dict)
    brand: list[Any] = field(default_factory=list)  # brand_sheet.BrandSheet, read by the parent

    def __len__(self) -> int:
        return len(self.columns["value"])

    def components(self) -> tuple[list[Any], list[Any]]:
        """(numerators, denominators), one per value, None where the partner gave none."""
        n = len(self)
        numerators, denominators = ((self.columns.get(name, []) + [None] * n)[:n] for name in COMPONENTS)
        return numerators, denominators

    @property
    def ok(self) -> bool:
        return not self.errors

    def frame(self) -> pd.DataFrame:
        """The values as a DataFrame with the period's grain, start and end added."""
        import pandas as pd

        df = pd.DataFrame(self.columns, columns=list(COLUMNS))
        df["value"] = df["value"].astype("float64")
        for name, values in zip(COMPONENTS, self.components(), strict=True):
            df[name] = pd.Series(values, dtype="float64")
        grains = {c: p.grain for c, p in self.periods.items()}
        starts = {c: p.start for c, p in self.periods.items()}
        ends = {c: p.end for c, p in self.periods.items()}
        df["grain"] = df["period"].map(grains).astype("string") if len(df) else pd.Series(dtype="string")
        df["period_start"] = pd.to_datetime(df["period"].map(starts)) if len(df) else pd.Series(dtype="datetime64[s]")
        df["period_end"] = pd.to_datetime(df["period"].map(ends)) if len(df) else pd.Series(dtype="datetime64[s]")
        return df

    def incoming(self) -> dict[str, np.ndarray]:
        """The values as NumPy columns that DuckDB scans as a table (row_no first, then COLUMNS,
        numerator, denominator, grain, period_start, period_end): what the importer compares
        and writes. Neither pandas nor pyarrow: an import command need not load them (a second
        of CPU), and DuckDB reads these columns as fast.

        Texts are object arrays (None for NULL), the components masked floats, the period
        bounds seconds since the epoch (DuckDB's TIMESTAMP_S; the SQL casts them to DATE)."""
        import numpy as np

        cols, n = self.columns, len(self)
        codes = list(dict.fromkeys(cols["period"]))
        where = {code: k for k, code in enumerate(codes)}
        index = np.fromiter(map(where.__getitem__, cols["period"]), dtype=np.intp, count=n)
        known = [self.periods[code] for code in codes]

        def bounds(attribute: str) -> np.ndarray:
            days = np.array([getattr(p, attribute) for p in known], dtype="datetime64[D]")
            return days.astype("datetime64[s]")[index] if n else np.array([], dtype="datetime64[s]")

        def text(name: str) -> np.ndarray:
            out = np.empty(n, dtype=object)
            out[:] = cols[name]
            return out

        def component(name: str, values: list[Any]) -> np.ndarray:
            if name not in cols:  # no ratio in the file (the usual case): nothing to look at
                return np.ma.masked_array(np.zeros(n, dtype=np.float64), mask=np.ones(n, dtype=bool))
            missing = [v is None for v in values]
            return np.ma.masked_array([0.0 if v is None else v for v in values], mask=missing, dtype=np.float64)

        return {
            "row_no": np.arange(n, dtype=np.int64),
            **{name: text(name) for name in ("indicator", "operator", "zone", "audience", "period")},
            "value": np.array(cols["value"], dtype=np.float64),
            **{name: text(name) for name in ("comment", "sheet", "cell")},
            **{name: component(name, values) for name, values in zip(COMPONENTS, self.components(), strict=True)},
            "grain": np.array([p.grain for p in known], dtype=object)[index] if n else text("period"),
            "period_start": bounds("start"),
            "period_end": bounds("end"),
        }
