"""The computed plan of one person under one regimen rule: what the engine returns and what a
control case stores. Dates follow the day convention in `engine` (the contract)."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta


@dataclass(frozen=True)
class PhasePlan:
    index: int
    measure: str  # control.models.Measure
    period_first_day: date  # the day after the previous period ended (or the anchor/arrival rule)
    period_last_day: date
    first_day: date  # later of period_first_day and the arrival date
    last_day: date  # == period_last_day


@dataclass(frozen=True)
class TestPlan:
    date: date
    who: str  # "person" | "co_residents"
    label: str  # e.g. 集中隔离第1天、抵达检测、解除居家健康监测后第7天
    phase_index: int | None = None


@dataclass(frozen=True)
class Plan:
    phases: tuple[PhasePlan, ...]
    tests: tuple[TestPlan, ...]
    release_on: date
    # Follow-up windows of each day under control, e.g. ((08:00, 10:00), (16:00, 18:00)).
    windows: tuple[tuple[time, time], ...] = ((time(8), time(10)), (time(16), time(18)))
    team_roles: tuple[str, ...] = ()  # e.g. 五包一: ("镇干部", "村干部", "医生", "民警", "网格员")
    team_name: str = ""  # 三包一 / 五包一
    daily_sign_off: bool = False
    release_conditions: tuple[str, ...] = field(default_factory=tuple)
    sign_off_photo: bool = False  # the daily sign-off comes with a work photo (001:237)

    def follow_up_days(self):
        """Every day from the first phase's first day to the last phase's last day."""
        if not self.phases:
            return []
        day, last = self.phases[0].first_day, self.phases[-1].last_day
        days = []
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
        return days

    def preview(self):
        """The JSON shape of `fangkong control preview` (the contract)."""
        return {
            "phases": [
                {"measure": p.measure, "first_day": p.first_day.isoformat(), "last_day": p.last_day.isoformat()}
                for p in self.phases
            ],
            "tests": [{"date": t.date.isoformat(), "who": t.who} for t in self.tests],
            "release_on": self.release_on.isoformat(),
        }
