"""The files the dashboard writes, as bytes in memory: the coverage workbook and detail
(`coverage`). A new export lives here, one module per file it writes; the committee pack is
the committee's (`committee.pack`)."""
