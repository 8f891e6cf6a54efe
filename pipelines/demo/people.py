"""Fake people and the support organisation (groups, their members) for the demo tickets.

Names are invented from two short lists; group names come from each service's owner in services.csv.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.demo.reference import Service

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Femi",
    "Grace",
    "Hiro",
    "Isla",
    "Jonas",
    "Kavya",
    "Liam",
    "Maya",
    "Nikos",
    "Olivia",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
    "Amir",
    "Bea",
    "Carlos",
    "Dana",
    "Ethan",
    "Farah",
    "Gabe",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
]
LAST_NAMES = [
    "Adams",
    "Baker",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Murphy",
    "Novak",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Young",
    "Zhang",
    "Ahmed",
    "Brown",
    "Costa",
    "Diaz",
    "Ellis",
    "Ford",
    "Gupta",
    "Hall",
    "Iyer",
    "Jones",
]

SERVICE_DESK = "Service Desk"
MEMBERS_PER_GROUP = 5


def person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct 'First Last' names (deterministic for the generator state)."""
    combos = np.array([f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES])
    return combos[rng.permutation(len(combos))[:count]]


def support_groups(services: tuple[Service, ...]) -> list[str]:
    """Service Desk first, then each owner team and its third-line group, in services.csv order."""
    groups = [SERVICE_DESK]
    for service in services:
        for group in (service.owner, f"{service.owner} L3"):
            if group not in groups:
                groups.append(group)
    return groups


def escalation_chain(service: Service) -> list[str]:
    """The order a ticket of this service travels through groups when it is reassigned."""
    return [SERVICE_DESK, service.owner, f"{service.owner} L3", service.owner, f"{service.owner} L3"]


def group_members(rng: np.random.Generator, groups: list[str]) -> pl.DataFrame:
    """(assignment_group, member_slot, assignee): a few agents per group, nobody in two groups."""
    names = person_names(rng, len(groups) * MEMBERS_PER_GROUP)
    return pl.DataFrame(
        {
            "assignment_group": np.repeat(groups, MEMBERS_PER_GROUP),
            "member_slot": np.tile(np.arange(MEMBERS_PER_GROUP), len(groups)),
            "assignee": names,
        }
    )
