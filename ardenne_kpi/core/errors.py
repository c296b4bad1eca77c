"""The one exception hierarchy: every error a user can meet carries a French message
that says where the problem is and what to do about it."""

from __future__ import annotations


class ArdenneError(Exception):
    """Base of every error shown to a user: `title` is short, `message` says where and what to do."""

    title = "Erreur"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class PeriodError(ArdenneError):
    """A period text or date that cannot be read as a period of the programme."""

    title = "Période illisible"


class FrameworkError(ArdenneError):
    """A framework file with problems; `problems` lists every one with its place in the file."""

    title = "Référentiel invalide"

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"Le référentiel contient {len(self.problems)} problème(s) :\n- " + "\n- ".join(self.problems))


class ReportError(ArdenneError):
    """A partner workbook that cannot be imported as it is."""

    title = "Rapport refusé"


class DatabaseBusyError(ArdenneError):
    """The database file is held by another process (usually the running dashboard)."""

    title = "Base de données occupée"


class StorageError(ArdenneError):
    """A file the application keeps (an upload's original, a backup) could not be written."""

    title = "Écriture impossible"


class DatabaseDamagedError(ArdenneError):
    """The database file cannot be read: damaged, truncated, or not a DuckDB file."""

    title = "Base de données illisible"


class DatabaseReadOnlyError(ArdenneError):
    """The database file (or its folder) may not be written by this process: read-only, not damaged."""

    title = "Base en lecture seule"


class DatabaseVersionError(ArdenneError):
    """The database file was written by a newer version of the application."""

    title = "Base trop récente"


class DemoError(ArdenneError):
    """The demonstration database could not be built."""

    title = "Démonstration impossible"


class AccessError(ArdenneError):
    """An action the signed-in user may not do; the message says why in one sentence."""

    title = "Action non autorisée"


class SessionKeyError(ArdenneError):
    """No key to sign sessions with (core/sessions.py): a sign-in then lasts as long as its tab."""

    title = "Clé des sessions indisponible"


class AccountsError(ArdenneError):
    """The accounts file cannot be trusted as it is: the app stays closed rather than open to all."""

    title = "Comptes inutilisables"


class KpiError(ArdenneError):
    """A KPI request that cannot be answered as asked (unknown indicator, unusable period)."""

    title = "Indicateur"


class AnalysisError(ArdenneError):
    """An analysis that cannot be saved as it is."""

    title = "Analyse non enregistrée"


class PublicationError(ArdenneError):
    """Public figures that cannot be published as asked."""

    title = "Publication impossible"


class SnapshotError(ArdenneError):
    """A snapshot that cannot be created or found as asked."""

    title = "Instantané impossible"


class ReviewError(ArdenneError):
    """A validation, a return or a lock that cannot be done (already reviewed, not a semester…)."""

    title = "Validation impossible"


class LockedPeriodError(ReviewError):
    """A validation, return or rollback that would move a locked period's figures, asked without a reason."""

    title = "Période verrouillée"
