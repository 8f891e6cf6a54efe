"""Satisfaction KPIs on hand-built surveys: one dbt build shared by every case of this module.

Tickets are P1 incidents (SLA policy INC-P1: 24x7 calendar, response 15 min, resolution 240 min, no pauses),
so each ticket's SLA outcome is plain wall-clock arithmetic:
- T1, T2 (email / SD): responded after 5 min, resolved after 1 h -> every clock met.
- T3, T4 (email / SD): responded after 5 min, resolved after 10 h > 4 h -> resolution breached.
- T5, T6 (email / SD): resolved after 1 h -> met. T7 (vpn / NET, P2): survey never answered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from kpi_raw_rows import insert_rows, new_warehouse, query


def _ticket(ticket_id: str, resolve_hours: int, service: str = "email", group: str = "SD", priority: int = 1) -> dict:
    return {
        "ticket_id": ticket_id,
        "ticket_type": "incident",
        "opened_at": "2026-03-02 10:00Z",
        "first_response_at": "2026-03-02 10:05Z",
        "resolved_at": f"2026-03-02 {10 + resolve_hours:02d}:00Z",
        "state": "resolved",
        "priority": priority,
        "service": service,
        "assignment_group": group,
    }


TICKETS = [
    _ticket("T1", 1),
    _ticket("T2", 1),
    _ticket("T3", 10),
    _ticket("T4", 10),
    _ticket("T5", 1),
    _ticket("T6", 1),
    _ticket("T7", 1, service="vpn", group="NET", priority=2),
]


def _survey(survey_id: str, ticket_id: str, csat: int | None, nps: int | None, answered: bool = True) -> dict:
    return {
        "survey_id": survey_id,
        "ticket_id": ticket_id,
        "sent_at": "2026-03-03 09:00Z",
        "responded_at": "2026-03-03 12:00Z" if answered else None,
        "csat_score": csat,
        "nps_score": nps,
    }


SURVEYS = [
    _survey("S1", "T1", 5, 10),
    _survey("S2", "T2", 4, 9),
    _survey("S3", "T3", 2, 3),
    _survey("S4", "T4", 3, 7),
    _survey("S5", "T5", None, None, answered=False),
    # CSAT 6 is outside the 1-5 scale: answered, but the score is never counted and the survey is flagged
    _survey("S6", "T6", 6, None),
    _survey("S7", "T7", None, None, answered=False),
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory, dbt: Callable[..., str]) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("satisfaction")
    path = new_warehouse(work / "itsm.duckdb")
    insert_rows(path, "tickets", TICKETS)
    insert_rows(path, "surveys", SURVEYS)
    output = dbt(
        ["build", "--select", "+kpi_satisfaction_monthly", "--indirect-selection", "cautious"],
        path,
        work,
        {"as_of": "2026-03-31 00:00:00+00"},
    )
    return path, output


@pytest.fixture(scope="module")
def email_sd(build: tuple[Path, str]) -> dict[str, object]:
    rows = query(build[0], "select * from marts.kpi_satisfaction_monthly where service = 'email'")
    assert len(rows) == 1
    assert str(rows[0]["month"]) == "2026-03-01" and rows[0]["assignment_group"] == "SD" and rows[0]["priority"] == 1
    return rows[0]


def test_csat_mean_and_share_satisfied(email_sd: dict[str, object]) -> None:
    # valid scores 5, 4, 2, 3 (S6's 6 is out of scale): mean 14 / 4 = 3.5; satisfied (4-5) 2 / 4 = 50 %
    assert email_sd["csat_responses"] == 4
    assert email_sd["csat_mean"] == pytest.approx(3.5)
    assert email_sd["satisfied_pct"] == pytest.approx(50.0)
    # median of 2, 3, 4, 5 = 3.5
    assert email_sd["csat_median"] == pytest.approx(3.5)


def test_response_rate(email_sd: dict[str, object]) -> None:
    # 6 sent, answered S1-S4 and S6 -> 5 / 6 = 83.33 %
    assert email_sd["surveys_sent"] == 6
    assert email_sd["responses"] == 5
    assert email_sd["response_rate_pct"] == pytest.approx(500 / 6)


def test_nps(email_sd: dict[str, object]) -> None:
    # NPS scores 10, 9 (promoters), 7 (passive), 3 (detractor): (2 - 1) / 4 = +25
    assert (email_sd["promoters"], email_sd["passives"], email_sd["detractors"]) == (2, 1, 1)
    assert email_sd["nps"] == pytest.approx(25.0)


def test_csat_split_by_sla_met_and_breached(email_sd: dict[str, object]) -> None:
    # met: T1 5, T2 4 -> 4.5 (T5 unanswered, T6 out of scale); breached: T3 2, T4 3 -> 2.5
    assert email_sd["csat_responses_sla_met"] == 2
    assert email_sd["csat_mean_sla_met"] == pytest.approx(4.5)
    assert email_sd["csat_responses_sla_breached"] == 2
    assert email_sd["csat_mean_sla_breached"] == pytest.approx(2.5)


def test_no_responses_give_null_not_zero(build: tuple[Path, str]) -> None:
    rows = query(build[0], "select * from marts.kpi_satisfaction_monthly where service = 'vpn'")
    assert len(rows) == 1
    vpn = rows[0]
    assert vpn["surveys_sent"] == 1 and vpn["responses"] == 0
    assert vpn["response_rate_pct"] == pytest.approx(0.0)
    assert vpn["csat_mean"] is None
    assert vpn["satisfied_pct"] is None
    assert vpn["nps"] is None


def test_score_outside_scale_is_flagged_not_counted(build: tuple[Path, str]) -> None:
    warehouse, output = build
    s6 = query(
        warehouse, "select csat_score, quality_status, has_response from marts.fct_survey where survey_id = 'S6'"
    )
    assert s6 == [{"csat_score": None, "quality_status": "csat_out_of_scale", "has_response": True}]
    assert "WARN 1 accepted_values_fct_survey_quality_status" in output
