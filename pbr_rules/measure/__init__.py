"""Cohort measures: what each client contributes, and the measure over the whole cohort.

    members.py   one client: is it a member, when does its period close, what is its value
    cohort.py    all clients: the aggregate against the target, and the measure's status

A measure has the same as-of meaning as an outcome: pending (with the day it is due) until the
cohort period has ended and every member's period has closed (its last day plus the lag of the
data it reads); then achieved or not achieved, dated the day the last period closed, and never
changing after that.
"""

from .cohort import MeasureResult, MeasureRun, MeasureTally
from .members import Member, MemberFinder

__all__ = ["Member", "MemberFinder", "MeasureResult", "MeasureRun", "MeasureTally"]
