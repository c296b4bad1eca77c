"""The Import page's verdicts: what a partner reads for each dry run."""

from __future__ import annotations

from types import SimpleNamespace

from ardenne_kpi.intake import import_view


def dry_run(**counts):
    base = dict(
        file="r.xlsx",
        status="dry-run",
        errors=[],
        warnings=[],
        inserted=0,
        updated=0,
        unchanged=0,
        scores=0,
        duplicate_of=None,
        validates=None,
        operator="FTLB",
    )
    return SimpleNamespace(**{**base, **counts})


def test_a_file_bringing_only_brand_scores_can_be_committed():
    verdict = import_view.verdict(dry_run(unchanged=12, scores=7))
    assert verdict.can_commit
    assert "7 note(s) de plateforme de marque" in verdict.text


def test_a_file_changing_nothing_cannot_be_committed():
    verdict = import_view.verdict(dry_run(unchanged=12))
    assert not verdict.can_commit and "rien à changer" in verdict.title


def test_a_refused_file_counts_its_errors():
    verdict = import_view.verdict(dry_run(status="refused", errors=[object(), object()]))
    assert verdict.kind == "error" and "2 erreur(s)" in verdict.text and not verdict.can_commit
