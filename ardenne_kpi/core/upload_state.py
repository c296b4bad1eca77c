"""The two states an upload carries (`uploads.status` and `uploads.review`), with their French labels.

- `UploadStatus`: what became of the file: imported, rolled back, refused… (not an
  indicator's status, `core.indicator_status`, nor a report's timeliness, `reporting`);
- `ReviewState`: the coordinator's review of it: a partner's upload is submitted until an
  admin validates it or sends it back; the validated figures count validated ones only.
"""

from ardenne_kpi.core.vocabulary import Term


class UploadStatus(Term):
    IMPORTED = "imported", "importé"
    ROLLED_BACK = "rolled_back", "annulé"
    DEMO = "demo", "démonstration"
    UNCHANGED = "unchanged", "inchangé"
    REFUSED = "refused", "refusé"
    RETURNED = "returned", "renvoyé au partenaire"


class ReviewState(Term):
    VALIDATED = "validated", "validé"
    SUBMITTED = "submitted", "soumis"
    RETURNED = "returned", "renvoyé"
