"""RAG status, tiles and the continual-improvement rules on hand-built frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboards.improvement import before_after, wrong_way_moves
from dashboards.status import build_tiles, format_value, movement, rag_status

TARGETS = pd.DataFrame(
    {
        "kpi": ["sla_resolution_attainment_pct", "mttr_business_hours_median", "csat_mean"],
        "service": ["*", "*", "*"],
        "target": [95.0, 8.0, 4.2],
        "direction": ["higher_is_better", "lower_is_better", "higher_is_better"],
        "amber_margin": [3.0, 2.0, 0.3],
        "unit": ["%", "business hours", "score 1-5"],
        "description": ["Resolution SLA", "Median MTTR", "CSAT"],
    }
)


@pytest.mark.parametrize(
    ("value", "target", "direction", "margin", "expected"),
    [
        (95.0, 95, "higher_is_better", 3, "green"),  # exactly on target is met
        (92.0, 95, "higher_is_better", 3, "amber"),  # 3 below = edge of the amber band
        (91.9, 95, "higher_is_better", 3, "red"),
        (8.0, 8, "lower_is_better", 2, "green"),
        (9.5, 8, "lower_is_better", 2, "amber"),
        (10.5, 8, "lower_is_better", 2, "red"),
        (None, 8, "lower_is_better", 2, "grey"),
        (float("nan"), 8, "lower_is_better", 2, "grey"),
        (7.0, None, "lower_is_better", 2, "grey"),
    ],
)
def test_rag_status_bands(value, target, direction, margin, expected):
    assert rag_status(value, target, direction, margin) == expected


def test_rag_status_rejects_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        rag_status(1.0, 1.0, "sideways", 0)


def test_tiles_latest_month_vs_target_and_calendar_previous_month():
    monthly = pd.DataFrame(
        {
            "kpi": ["sla_resolution_attainment_pct"] * 3 + ["mttr_business_hours_median"] * 2,
            "month": [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1), date(2026, 4, 1), date(2026, 6, 1)],
            "value": [90.0, 75.0, 40.0, 4.0, 8.5],
        }
    )
    tiles = {t.kpi: t for t in build_tiles(monthly, TARGETS)}
    sla = tiles["sla_resolution_attainment_pct"]
    assert (sla.month, sla.value, sla.previous, sla.status) == (date(2026, 6, 1), 40.0, 75.0, "red")
    assert sla.delta == -35.0 and sla.trend == "worse"
    mttr = tiles["mttr_business_hours_median"]
    # May is missing: no month-over-month comparison rather than comparing with April
    assert (mttr.value, mttr.previous, mttr.delta, mttr.status) == (8.5, None, None, "amber")
    assert tiles["csat_mean"].status == "grey" and tiles["csat_mean"].value is None
    assert tiles["availability_pct"].target is None  # no target row in this frame: shown as n/a, not invented


def test_format_value_units():
    assert format_value(99.85, "%") == "99.85%"
    assert format_value(8.5, "business hours") == "8.5 h"
    assert format_value(3.5, "score 1-5") == "3.50"
    assert format_value(None, "%") == "n/a"


def _breakdown_rows() -> pd.DataFrame:
    # SLA attainment by service: email 50 -> 50 (2 then 2 decided), vpn 100 -> 33.3 (2 then 3 decided).
    rows = [
        ("service", "email", "sla_resolution_attainment_pct", "2026-05-01", 50.0, 2),
        ("service", "email", "sla_resolution_attainment_pct", "2026-06-01", 50.0, 2),
        ("service", "vpn", "sla_resolution_attainment_pct", "2026-05-01", 100.0, 2),
        ("service", "vpn", "sla_resolution_attainment_pct", "2026-06-01", 100.0 / 3, 3),
        ("service", "email", "csat_mean", "2026-05-01", 4.0, 10),
        ("service", "email", "csat_mean", "2026-06-01", 4.1, 10),
    ]
    return pd.DataFrame(rows, columns=["dimension", "member", "kpi", "month", "value", "weight"])


def test_wrong_way_ranks_beyond_threshold_and_names_driver():
    overall = pd.DataFrame(
        {
            "kpi": ["sla_resolution_attainment_pct"] * 2 + ["mttr_business_hours_median"] * 2 + ["csat_mean"] * 2,
            "month": ["2026-05-01", "2026-06-01"] * 3,
            # SLA 75 -> 40: worse by 35 > 3 -> impact 35 / 3 = 11.67
            # MTTR 5 -> 8.5: worse by 3.5 > 2 -> impact 1.75
            # CSAT 4.0 -> 4.1: better -> not listed
            "value": [75.0, 40.0, 5.0, 8.5, 4.0, 4.1],
        }
    )
    result = wrong_way_moves(overall, _breakdown_rows(), TARGETS)
    assert list(result["kpi"]) == ["sla_resolution_attainment_pct", "mttr_business_hours_median"]
    assert result["impact"].tolist() == pytest.approx([35 / 3, 1.75])
    # vpn: share of June SLA outcomes 3/5 = 0.6, change 33.3 - 100 = -66.7 -> contribution -40; email 0
    assert result.loc[0, "driver"] == "service vpn"
    assert result.loc[0, "driver_delta"] == pytest.approx(-40.0)
    assert pd.isna(result.loc[1, "driver"])  # no by-service MTTR rows: driver unknown, not guessed


def test_wrong_way_driver_can_be_a_group_or_category():
    overall = pd.DataFrame(
        {"kpi": ["sla_resolution_attainment_pct"] * 2, "month": ["2026-05-01", "2026-06-01"], "value": [90.0, 60.0]}
    )
    groups = pd.DataFrame(
        [
            # G9: 90 -> 20 with 4 of June's 5 group-level SLAs -> 0.8 * (20 - 90) = -56, beyond vpn's -40
            ("assignment_group", "G9", "sla_resolution_attainment_pct", "2026-05-01", 90.0, 5),
            ("assignment_group", "G9", "sla_resolution_attainment_pct", "2026-06-01", 20.0, 4),
            ("assignment_group", "G1", "sla_resolution_attainment_pct", "2026-05-01", 90.0, 5),
            ("assignment_group", "G1", "sla_resolution_attainment_pct", "2026-06-01", 90.0, 1),
        ],
        columns=["dimension", "member", "kpi", "month", "value", "weight"],
    )
    result = wrong_way_moves(overall, pd.concat([_breakdown_rows(), groups]), TARGETS)
    assert result.loc[0, "driver"] == "assignment group G9"
    assert result.loc[0, "driver_delta"] == pytest.approx(0.8 * (20.0 - 90.0))


def test_wrong_way_move_within_threshold_is_not_listed():
    overall = pd.DataFrame(
        {"kpi": ["sla_resolution_attainment_pct"] * 2, "month": ["2026-05-01", "2026-06-01"], "value": [96.0, 93.5]}
    )
    # worse by 2.5, threshold 3 -> not a wrong-way move
    assert len(wrong_way_moves(overall, _breakdown_rows(), TARGETS)) == 0


@pytest.mark.parametrize(
    ("delta", "direction", "threshold", "expected"),
    [
        (-35.0, "higher_is_better", 3.0, "worse"),
        (-2.5, "higher_is_better", 3.0, "steady"),  # inside the amber margin: noise, not news
        (-3.0, "higher_is_better", 3.0, "steady"),  # exactly the margin is not beyond it
        (3.5, "higher_is_better", 3.0, "better"),
        (3.5, "lower_is_better", 2.0, "worse"),  # MTTR up 3.5 h with a 2 h margin
        (-0.15, "higher_is_better", 0.3, "steady"),  # CSAT 3.95 -> 3.80
        (-0.1, "higher_is_better", None, "worse"),  # no margin in reference data: any move counts
        (0.0, "higher_is_better", 0.0, "steady"),
        (None, "higher_is_better", 3.0, "steady"),
    ],
)
def test_movement_counts_only_moves_beyond_the_amber_margin(delta, direction, threshold, expected):
    assert movement(delta, direction, threshold) == expected


def test_tile_says_worse_exactly_for_the_kpis_listed_as_moved_the_wrong_way():
    overall = pd.DataFrame(
        {
            "kpi": ["sla_resolution_attainment_pct"] * 2 + ["mttr_business_hours_median"] * 2 + ["csat_mean"] * 2,
            "month": [date(2026, 5, 1), date(2026, 6, 1)] * 3,
            # SLA 96 -> 93.5: worse by 2.5 <= 3 (steady); MTTR 5 -> 8.5 h: worse by 3.5 > 2; CSAT 3.95 -> 3.80:
            # worse by 0.15 <= 0.3 (steady)
            "value": [96.0, 93.5, 5.0, 8.5, 3.95, 3.80],
        }
    )
    tiles = {t.kpi: t.trend for t in build_tiles(overall, TARGETS) if t.value is not None}
    listed = set(wrong_way_moves(overall, _breakdown_rows(), TARGETS)["kpi"])
    assert tiles == {
        "sla_resolution_attainment_pct": "steady",
        "mttr_business_hours_median": "worse",
        "csat_mean": "steady",
    }
    assert listed == {"mttr_business_hours_median"} == {k for k, word in tiles.items() if word == "worse"}


def test_wrong_way_needs_the_calendar_previous_month():
    overall = pd.DataFrame(
        {"kpi": ["sla_resolution_attainment_pct"] * 2, "month": ["2026-03-01", "2026-06-01"], "value": [99.0, 40.0]}
    )
    assert len(wrong_way_moves(overall, _breakdown_rows(), TARGETS)) == 0


def test_before_after_weighted_windows_and_improved_flag():
    register = pd.DataFrame(
        {
            "initiative_id": ["CSI-9", "CSI-10"],
            "initiative": ["Faster email fixes", "Nothing measured"],
            "service": ["email", "crm"],
            "kpi": ["mttr_business_hours_median", "csat_mean"],
            "start_date": [date(2026, 6, 15), date(2026, 6, 1)],
        }
    )
    history = pd.DataFrame(
        {
            "kpi": ["mttr_business_hours_median"] * 5,
            "service": ["email"] * 5,
            "month": ["2026-02-01", "2026-03-01", "2026-05-01", "2026-06-01", "2026-07-01"],
            "value": [99.0, 10.0, 6.0, 5.0, 3.0],
            "weight": [1, 1, 3, 1, 1],
        }
    )
    result = before_after(history, register, TARGETS, window_months=3)
    email = result.iloc[0]
    # start month June; before = Mar..May weighted: (10*1 + 6*3) / 4 = 7.0 (Feb is outside the 3-month window)
    # after = Jun..Aug: (5*1 + 3*1) / 2 = 4.0; lower is better -> improved
    assert (email["before"], email["after"], email["target"], email["improved"]) == (7.0, 4.0, 8.0, True)
    crm = result.iloc[1]
    assert pd.isna(crm["before"]) and pd.isna(crm["after"]) and crm["improved"] is None
