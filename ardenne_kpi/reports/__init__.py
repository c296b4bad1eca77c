"""Reading partner workbooks: guard, read, locate, parse values, validate, import.

The modules, in the order a file goes through them:

- `guard`     cheap pre-checks on the bytes, then the parse in a child process with
              memory and time limits, so no file can take the dashboard down;
- `intake`    a file's bytes read and its guarded parse started, before the database
              layer loads (the import command's first step);
- `workbook`  the cells of every sheet (python-calamine) plus what calamine cannot say:
              percentage formats and formulas without a cached result;
- `locate`    the header row, its columns (French/English synonyms), long or wide
              layout, and the metadata of the title block above it;
- `values`    numbers written the French or the English way;
- `validate`  every cell checked against the framework, all problems at once;
- `locks`     which new or changed values of a file fall in a period the coordinator locked;
- `importer`  the public API: dry run, import in one transaction, supersession,
              rollback, upload history.

Only `importer` and `locks` touch the database (through `ardenne_kpi.db.imports` and
`ardenne_kpi.db.review`).
"""
