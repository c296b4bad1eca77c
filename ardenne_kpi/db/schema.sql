-- Ardenne KPI store. Applied on every connect: every statement is idempotent.
-- Bump SCHEMA_VERSION in db/__init__.py with any change, and add a migration there.

CREATE TABLE IF NOT EXISTS meta (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR
);

-- ------------------------------------------------------------------ framework
-- Rewritten whole from the framework file whenever it is loaded (see sync_framework).
CREATE TABLE IF NOT EXISTS dimensions (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, position INTEGER);
CREATE TABLE IF NOT EXISTS themes     (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, position INTEGER);
CREATE TABLE IF NOT EXISTS keys       (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, theme VARCHAR, position INTEGER);
CREATE TABLE IF NOT EXISTS objectives (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, position INTEGER);
CREATE TABLE IF NOT EXISTS audiences  (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, parent VARCHAR, position INTEGER);
CREATE TABLE IF NOT EXISTS zones      (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, parent VARCHAR, country VARCHAR, position INTEGER);
CREATE TABLE IF NOT EXISTS operators  (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, country VARCHAR, role VARCHAR, position INTEGER);
CREATE TABLE IF NOT EXISTS projects   (code VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, kind VARCHAR, lead VARCHAR, position INTEGER);
CREATE TABLE IF NOT EXISTS work_modules (code VARCHAR PRIMARY KEY, project VARCHAR, label VARCHAR NOT NULL, position INTEGER);
CREATE TABLE IF NOT EXISTS activities (code VARCHAR PRIMARY KEY, work_module VARCHAR, project VARCHAR, label VARCHAR NOT NULL, position INTEGER);
CREATE TABLE IF NOT EXISTS indicators (
    code        VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,
    unit        VARCHAR,
    direction   VARCHAR,      -- up | down
    frequency   VARCHAR,      -- M | Q | S | Y | B
    agg_time    VARCHAR,      -- sum | last | mean
    agg_space   VARCHAR,      -- sum | last | mean
    type        VARCHAR,
    by_zone     BOOLEAN,
    project     VARCHAR,
    work_module VARCHAR,
    baseline    DOUBLE,
    baseline_period VARCHAR,
    position    INTEGER
);
-- One row per (indicator, mapped code) for each kind of mapping.
CREATE TABLE IF NOT EXISTS indicator_links (
    indicator VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,   -- dimension | key | objective | audience | operator | activity
    code      VARCHAR NOT NULL,
    PRIMARY KEY (indicator, kind, code)
);
CREATE TABLE IF NOT EXISTS targets (
    indicator    VARCHAR NOT NULL,
    period       VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    value        DOUBLE NOT NULL,
    kind         VARCHAR,         -- intermediaire | finale
    source       VARCHAR
);

-- ------------------------------------------------------------------ reports
CREATE SEQUENCE IF NOT EXISTS upload_ids START 1;
CREATE TABLE IF NOT EXISTS uploads (
    id           INTEGER PRIMARY KEY DEFAULT nextval('upload_ids'),
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    size_bytes   BIGINT,
    operator     VARCHAR,
    uploaded_by  VARCHAR,
    uploaded_at  TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL,   -- imported | rolled_back | demo
    inserted     INTEGER DEFAULT 0,
    updated      INTEGER DEFAULT 0,
    unchanged    INTEGER DEFAULT 0,
    warnings     INTEGER DEFAULT 0,
    stored_path  VARCHAR,            -- original file under data/uploads/, by hash
    messages     VARCHAR,            -- JSON list of the warnings given at import
    rolled_back_at TIMESTAMP,
    rolled_back_by VARCHAR
);

-- Every value ever reported. A value's identity is (indicator, operator, zone, audience,
-- period); `is_current` marks the one that counts now (latest upload not rolled back).
-- Superseded and rolled-back values stay, so any upload can be undone.
CREATE SEQUENCE IF NOT EXISTS value_ids START 1;
CREATE TABLE IF NOT EXISTS report_values (
    id           BIGINT PRIMARY KEY DEFAULT nextval('value_ids'),
    indicator    VARCHAR NOT NULL,
    operator     VARCHAR NOT NULL,
    zone         VARCHAR NOT NULL,      -- ARD when the partner gave none
    audience     VARCHAR NOT NULL,      -- '' = all audiences
    period       VARCHAR NOT NULL,      -- canonical code (2019-Q3, S05, 2019...)
    grain        VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    value        DOUBLE NOT NULL,
    comment      VARCHAR,
    upload_id    INTEGER NOT NULL,
    sheet        VARCHAR,
    cell         VARCHAR,
    is_current   BOOLEAN NOT NULL DEFAULT TRUE
);

-- Scores of the 7 brand-platform elements reported by partners (1–5 with a comment).
CREATE TABLE IF NOT EXISTS brand_scores (
    operator   VARCHAR NOT NULL,
    period     VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    element    VARCHAR NOT NULL,
    score      INTEGER NOT NULL,
    comment    VARCHAR,
    upload_id  INTEGER NOT NULL,
    sheet      VARCHAR,
    cell       VARCHAR,
    is_current BOOLEAN NOT NULL DEFAULT TRUE
);

-- Committee snapshots: a frozen copy of the values that counted at a committee date.
CREATE SEQUENCE IF NOT EXISTS snapshot_ids START 1;
CREATE TABLE IF NOT EXISTS snapshots (
    id         INTEGER PRIMARY KEY DEFAULT nextval('snapshot_ids'),
    name       VARCHAR NOT NULL,
    taken_on   DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR
);
CREATE TABLE IF NOT EXISTS snapshot_values (
    snapshot_id INTEGER NOT NULL,
    value_id    BIGINT NOT NULL
);

-- No secondary indexes: DuckDB's zone maps serve these scans; ART indexes on an
-- insert-heavy table only slow imports down.

-- ------------------------------------------------------------------ committee snapshots (reporting)
-- What a snapshot froze besides its values: each indicator's status and each dimension × key
-- coverage cell's state, as computed at the committee date, so a comparison shows what the
-- committee saw even after the framework or the status rules change.
ALTER TABLE snapshots ADD COLUMN IF NOT EXISTS framework_version VARCHAR;
CREATE TABLE IF NOT EXISTS snapshot_status (
    snapshot_id   INTEGER NOT NULL,
    indicator     VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,
    progress      DOUBLE,
    latest_period VARCHAR,
    latest_value  DOUBLE
);
CREATE TABLE IF NOT EXISTS snapshot_cells (
    snapshot_id INTEGER NOT NULL,
    row_code    VARCHAR NOT NULL,
    col_code    VARCHAR NOT NULL,
    state       VARCHAR NOT NULL
);

-- ------------------------------------------------------------------ measures and ratios
-- What an indicator measures (output | territory) and, for a ratio, its components: the
-- ratio is computed from the aggregated numerator and denominator (kpis.py).
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS measure VARCHAR;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS numerator VARCHAR;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS denominator VARCHAR;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS ratio_scale DOUBLE;
ALTER TABLE indicators ADD COLUMN IF NOT EXISTS components_agg VARCHAR;
-- A ratio's components as the partner reported them (NULL when only the ratio was given:
-- such a value cannot be weighted).
ALTER TABLE report_values ADD COLUMN IF NOT EXISTS numerator DOUBLE;
ALTER TABLE report_values ADD COLUMN IF NOT EXISTS denominator DOUBLE;

-- ------------------------------------------------------------------ coordinator's analyses (schema 3)
-- The coordinator's reading of one indicator for one period, for the committee. Every text
-- written is kept; the latest one for an (indicator, period) is the one shown.
CREATE SEQUENCE IF NOT EXISTS analysis_ids START 1;
CREATE TABLE IF NOT EXISTS analyses (
    id         INTEGER PRIMARY KEY DEFAULT nextval('analysis_ids'),
    indicator  VARCHAR NOT NULL,
    period     VARCHAR NOT NULL,
    body       VARCHAR NOT NULL,
    written_by VARCHAR,
    written_at TIMESTAMP NOT NULL
);

-- ------------------------------------------------------------------ reminders
-- Every reminder sent from Suivi by e-mail (reminders.py): to whom, for what, by whom, and
-- whether the mail server took it.
CREATE SEQUENCE IF NOT EXISTS reminders_sent_id START 1;
CREATE TABLE IF NOT EXISTS reminders_sent (
    id          INTEGER PRIMARY KEY DEFAULT nextval('reminders_sent_id'),
    operator    VARCHAR NOT NULL,
    recipient   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    subject     VARCHAR NOT NULL,
    n_missing   INTEGER NOT NULL,
    sent_at     TIMESTAMP NOT NULL,
    sent_by     VARCHAR,
    outcome     VARCHAR NOT NULL  -- 'envoyé' or the mail server's refusal, in French
);

-- ------------------------------------------------------------------ validation and period locks (schema 4)
-- A partner's upload is 'submitted' (soumis) until an admin validates it ('validated') or
-- sends it back ('returned', status 'returned': its values stop counting, the partner reads
-- `review_message` on the Import page). An admin's own import is validated as it lands.
-- `is_validated` marks, per value identity, the row of the latest live validated upload: the
-- one the validated figures count (`is_current` counts submitted uploads too).
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS review VARCHAR DEFAULT 'validated';
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS reviewed_by VARCHAR;
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS reviewed_at TIMESTAMP;
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS review_message VARCHAR;
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS lock_reason VARCHAR;  -- an admin's import into a locked period
-- TRUE by default: rows written outside the import engine (the demo, an evaluation base) are
-- validated current ones; the import engine writes FALSE, then `imports.refresh_validated`.
ALTER TABLE report_values ADD COLUMN IF NOT EXISTS is_validated BOOLEAN DEFAULT TRUE;
-- A locked period (a programme semester): a partner's values that would change it are
-- refused; an admin's need a reason. Unlocking keeps the row (when, by whom).
CREATE SEQUENCE IF NOT EXISTS period_lock_ids START 1;
CREATE TABLE IF NOT EXISTS period_locks (
    id           INTEGER PRIMARY KEY DEFAULT nextval('period_lock_ids'),
    period       VARCHAR NOT NULL,
    period_start DATE NOT NULL,
    period_end   DATE NOT NULL,
    locked_at    TIMESTAMP NOT NULL,
    locked_by    VARCHAR,
    unlocked_at  TIMESTAMP,
    unlocked_by  VARCHAR
);
-- What the coordination changed in a locked period with a reason: validating, sending back or
-- rolling back an upload whose figures there would move (an import's reason stays in
-- uploads.lock_reason). `periods`: the locked semesters whose figures it changed.
CREATE SEQUENCE IF NOT EXISTS lock_override_ids START 1;
CREATE TABLE IF NOT EXISTS lock_overrides (
    id        INTEGER PRIMARY KEY DEFAULT nextval('lock_override_ids'),
    upload_id INTEGER NOT NULL,
    action    VARCHAR NOT NULL,  -- validated | returned | rolled_back
    periods   VARCHAR[] NOT NULL,
    reason    VARCHAR NOT NULL,
    done_by   VARCHAR,
    done_at   TIMESTAMP NOT NULL
);
-- Every change of the framework made from the app (a replacement, a series adopted as an
-- obligation or ended): when, by whom, what, and the framework it gave (its YAML).
CREATE SEQUENCE IF NOT EXISTS framework_change_ids START 1;
CREATE TABLE IF NOT EXISTS framework_changes (
    id         INTEGER PRIMARY KEY DEFAULT nextval('framework_change_ids'),
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR,
    summary    VARCHAR NOT NULL,
    version    VARCHAR,
    yaml       VARCHAR NOT NULL
);
