"""A partner's report taken in: read, checked, imported, reviewed; and the files it starts
from or is told back with.

The import engine, in the order a file goes through it:

- `guard`     cheap pre-checks on the bytes, then the parse in a child process with
              memory and time limits, so no file can take the dashboard down;
- `arrival`   a file's bytes read and its guarded parse started, before the database
              layer loads (the import command's first step);
- `workbook`  the cells of every sheet (python-calamine) plus what calamine cannot say:
              percentage formats and formulas without a cached result;
- `locate`    the header row, its columns (French/English synonyms), long or wide
              layout, and the metadata of the title block above it;
- `values`    numbers written the French or the English way;
- `value_rules` how a value cell is read under its indicator's rule (any, count, percent);
- `resolver`  the framework's codes and labels matched in the cells;
- `validate`  every cell checked against the framework, all problems at once: the bulk
              path column by column, and `cells` for the rows that earn a message;
- `reader`    the child's whole parse: workbook -> tables -> checked values;
- `report`    the parent's side of the parse: the guarded child, then brand-platform sheets;
- `locks`     which new or changed values of a file fall in a period the coordinator locked;
- `brand_sheet` a report's brand-platform sheet (read, checked, stored);
- `import_warnings` the warnings that compare a file with the database (and its totals);
- `outcome`   `ImportResult`, what importing one file gives back;
- `originals` the original files kept beside the database;
- `rollback`  undoing an upload;
- `importer`  the public API, the pages' door to the engine: import or preview (dry run)
              in one transaction, supersession, rollback, upload history, original files.
              Who is signed in is checked by the callers (pages, command line), never here.

Around it: `review` (the coordinator's review: validated figures, submitted uploads, period
locks), `import_view` (the Import page's verdicts and tables), `annotate` (a refused file
with its faulty cells marked), `templates` (the partner's report template), `web_entry` (the
web form « Saisir en ligne ») and `brand` (the brand-platform scores as the Marque page reads
them). The engine's steps before `importer` never touch the database; `importer`, `locks`,
`brand_sheet`, `import_warnings`, `originals`, `rollback` and the modules around the engine
reach it through `ardenne_kpi.db`.

This face imports nothing: the import command loads `arrival` before DuckDB and pandas.
"""
