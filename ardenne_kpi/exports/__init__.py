"""The files the dashboard writes, as bytes in memory: the coverage workbook and detail
(`coverage`), and the steering-committee pack (`pack`: data, pdf, xlsx)."""
