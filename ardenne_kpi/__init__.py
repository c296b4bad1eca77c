"""Ardenne KPI: performance measurement of the Ardenne Attractivity territorial marketing plan."""

__version__ = "0.1.0"
