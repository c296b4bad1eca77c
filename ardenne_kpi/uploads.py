"""What pages do with partners' uploads, through the import engine (`reports/`): import a file
or preview it (dry run), list the uploads, undo one, serve an original file to whoever may
have it, and the size a file may have. Pages come here, never to the engine or the database."""

from __future__ import annotations

from ardenne_kpi.reports.guard import max_upload_bytes
from ardenne_kpi.reports.importer import import_file, list_uploads, original_file_for, rollback, rollback_preview

__all__ = ["import_file", "list_uploads", "max_upload_bytes", "original_file_for", "rollback", "rollback_preview"]
