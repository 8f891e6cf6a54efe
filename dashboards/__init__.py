"""Plotly dashboards over the KPI marts: figure builders, queries, the offline HTML report and the Dash app."""
