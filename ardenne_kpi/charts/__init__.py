"""Plotly figures, pure functions of DataFrames: the house style (`style`), then one module per
subject: `kpis` (trends, breakdowns, status by dimension), `coverage` (heatmaps) and `brand` (the
brand's scores). The attractiveness portal's charts are the portal's (`portal.public_charts`)."""

from ardenne_kpi.charts import brand, coverage, kpis, style

__all__ = ["brand", "coverage", "kpis", "style"]
