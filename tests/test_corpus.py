"""Every file of the shared corpus (odd and hostile workbooks collected by python-calamine)
either imports or is refused with a French message: never a traceback, never a partial write."""

from __future__ import annotations

from pathlib import Path

import pytest

from ardenne_kpi import db
from ardenne_kpi.intake import importer

CORPUS = Path(__file__).resolve().parent / "data" / "corpus"  # shared/corpus, copied: the suite stands alone
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() != ".md")
FRENCH = ("fichier", "feuille", "classeur", "refusé", "format", "protégé", "tableau")


@pytest.fixture(scope="module")
def con(fw):
    con = db.connect(":memory:")
    db.sync_framework(con, fw)
    yield con
    con.close()


def counts(con):
    return db.table_counts(con)["uploads"], db.table_counts(con)["report_values"]


@pytest.mark.skipif(not FILES, reason="corpus absent")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_imports_or_is_refused_in_french(con, fw, path):
    before = counts(con)
    result = importer.import_file(con, path, path.name, operator="FTLB", framework=fw)
    assert result.status in ("imported", "unchanged", "refused")
    if result.status == "refused":
        assert result.errors
        for issue in result.errors:
            assert "Traceback" not in issue.message and "Error" not in issue.message.split("(")[0]
            assert any(word in issue.message.lower() for word in FRENCH), issue.message
        assert counts(con) == before
