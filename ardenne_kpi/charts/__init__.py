"""Plotly figures, pure functions of DataFrames: the house style (`style`), then one module per
subject: `kpis` (trends, breakdowns, status by dimension), `coverage` (heatmaps), `brand`
(the brand's scores) and `public` (the attractiveness portal's charts)."""

from ardenne_kpi.charts import brand, coverage, kpis, public, style

__all__ = ["brand", "coverage", "kpis", "public", "style"]
