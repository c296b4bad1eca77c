"""The outcome of importing one file: `ImportResult` (its status, counts, errors, warnings and
value-by-value changes) and the words for a value's change.

`importer.import_file` fills it; the Import page (`import_view`), the command line and
the web form read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.model import Issue, ParsedReport

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NEW, CHANGED, SAME, RESTORED = "new", "changed", "unchanged", "restored"
CHANGE_COLUMNS = [
    "indicator",
    "operator",
    "zone",
    "audience",
    "period",
    "old_value",
    "new_value",
    "change",
    "sheet",
    "cell",
]


@dataclass(frozen=True)
class Checked:
    """What a dry run read from a file, kept for the import that follows it (the page's
    « Enregistrer »): the same bytes, operator and framework are not parsed again."""

    sha: str
    operator: str | None  # as asked, before resolution
    framework: Framework
    report: ParsedReport  # without its value columns: `incoming` holds them
    incoming: dict[str, np.ndarray]  # `ParsedReport.incoming`

    def fits(self, sha: str, operator: str | None, framework: Framework) -> bool:
        return (
            self.sha == sha
            and self.operator == operator
            and (self.framework is framework or self.framework.source_text == framework.source_text != "")
        )


@dataclass
class ImportResult:
    """The outcome of one file. `status`: imported | unchanged | validated | dry-run | refused
    (validated: the coordination sent the same bytes as a partner's upload waiting for
    validation, and that upload is validated: `validates`)."""

    file: str
    status: str
    upload_id: int | None = None
    inserted: int = 0
    updated: int = 0  # changed values, restored ones included
    unchanged: int = 0
    restored: int = 0  # values an earlier import of the same file brought, counting again
    scores: int = 0  # brand-platform scores written (or that would be, in a dry run)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # the file's values and their diff (`ParsedReport.incoming`, `sql.compare`), as NumPy columns
    changes_table: dict[str, np.ndarray] | None = field(default=None, repr=False)
    duplicate_of: dict[str, Any] | None = None
    validates: int | None = None  # the submitted upload of the same bytes this import validates (or would)
    operator: str | None = None
    parse_stats: dict[str, float | None] = field(
        default_factory=dict, repr=False
    )  # the parse child's peak_rss and seconds
    _changes: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _checked: Checked | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    @property
    def changes(self) -> pd.DataFrame:
        """One row per value of the file (CHANGE_COLUMNS): nouveau / modifié / inchangé, the old
        and new value, sheet and cell. Built from `changes_table` on first use: an import that
        nobody previews does not pay for a 100 000-row DataFrame."""
        if self._changes is None:
            import pandas as pd

            if self.changes_table is None:
                self._changes = pd.DataFrame(columns=CHANGE_COLUMNS)
            else:
                import pyarrow as pa  # the Arrow types give each column its pandas type

                columns = {**self.changes_table, "new_value": self.changes_table["value"]}
                df = pa.table({name: columns[name] for name in CHANGE_COLUMNS}).to_pandas()
                for column in ("old_value", "new_value"):
                    df[column] = df[column].astype("float64")
                df["change"] = df["change"].astype("object")
                self._changes = df
        return self._changes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what `import --json` prints for each file."""
        dup = None
        if self.duplicate_of:
            dup = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.duplicate_of.items()}
        return {
            "file": self.file,
            "status": self.status,
            "upload_id": self.upload_id,
            "operator": self.operator,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "restored": self.restored,
            "brand_scores": self.scores,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "duplicate_of": dup,
            "validates": self.validates,
        }

    def summary_fr(self) -> str:
        """One French line for the command line and the page."""
        if self.status == "refused":
            return f"{self.file} : refusé ({len(self.errors)} erreur(s)), rien n'a été enregistré."
        if self.validates is not None and self.status in ("validated", "dry-run"):
            d = self.duplicate_of or {}
            who = f" soumis par {d['uploaded_by']}" if d.get("uploaded_by") else " soumis"
            if self.status == "dry-run":
                return (
                    f"{self.file} : fichier identique à l'import n° {self.validates}{who}, qui attend la "
                    "validation : l'enregistrer le valide (simulation, rien n'a été modifié)."
                )
            return (
                f"{self.file} : fichier identique à l'import n° {self.validates}{who} ; cet import est "
                "validé : ses valeurs comptent maintenant dans les chiffres validés."
            )
        if self.duplicate_of and self.status == "unchanged":
            d = self.duplicate_of
            when = (
                d["uploaded_at"].strftime("%d/%m/%Y %H:%M")
                if hasattr(d["uploaded_at"], "strftime")
                else d["uploaded_at"]
            )
            who = f" par {d['uploaded_by']}" if d.get("uploaded_by") else ""
            return f"{self.file} : fichier identique à l'import n° {d['upload_id']} du {when}{who} ; rien n'a changé."
        counts = f"{self.inserted} nouvelle(s), {self.updated} modifiée(s), {self.unchanged} inchangée(s)"
        if self.restored:
            counts += f", dont {self.restored} rétablie(s) (valeurs d'un import précédent de ce fichier)"
        if self.scores:
            counts += f", {self.scores} note(s) de plateforme de marque"
        if self.status == "dry-run":
            return f"{self.file} : simulation, rien n'a été enregistré — {counts}."
        number = f" (import n° {self.upload_id})" if self.upload_id else ""
        verb = "rien à changer" if self.status == "unchanged" else "importé"
        return f"{self.file} : {verb}{number} — {counts}, {len(self.warnings)} avertissement(s)."
