"""The schedules and SLA file: read whole, every bad line named, and written back the same."""

from __future__ import annotations

import datetime as dt

import pytest

from cxdash.sla import config

GOOD = """\
[schedules.default]
timezone = "Europe/Berlin"
mon = ["09:00-12:30", "13:30-17:00"]
tue = ["09:00-17:00"]
holidays = ["2026-12-25", 2026-12-26]

[schedules."Night shift"]
timezone = "America/New_York"
fri = ["22:00-06:00"]

[teams]
"Night desk" = "Night shift"

[[sla]]
priority = ["urgent", "high"]
first_response = "1h"
resolution = "8h"

[[sla]]
channel = "chat"
first_response = "90m"
business_hours = false

[[sla]]
resolution = "2d"
"""


def test_a_good_file_reads_into_schedules_teams_and_ordered_policies() -> None:
    cfg = config.parse(GOOD)
    default, night = cfg.schedules
    assert default.timezone == "Europe/Berlin"
    assert default.intervals == (config.Interval(0, 540, 750), config.Interval(0, 810, 1020),
                                 config.Interval(1, 540, 1020))  # fmt: skip
    assert default.holidays == (dt.date(2026, 12, 25), dt.date(2026, 12, 26))
    assert night.intervals == (config.Interval(4, 22 * 60, 30 * 60),)  # into Saturday 06:00
    assert cfg.schedule_for("Night desk") is night and cfg.schedule_for("Billing") is default
    first, second, third = cfg.policies
    assert first.conditions == (("priority", ("urgent", "high")),)
    assert (first.first_response_minutes, first.resolution_minutes) == (60, 480)
    assert (second.first_response_minutes, second.business_hours) == (90, False)
    assert third.resolution_minutes == 2 * 24 * 60 and third.business_hours
    # first match wins: an urgent chat takes policy 1, a normal chat policy 2
    contact = {"priority": "urgent", "channel": "chat"}
    assert next(p.position for p in cfg.policies if p.matches(contact)) == 1
    assert next(p.position for p in cfg.policies if p.matches({"channel": "chat"})) == 2
    assert next(p.position for p in cfg.policies if p.matches({"channel": "email"})) == 3
    assert cfg.notes == ("schedules.toml:9: fri '22:00-06:00' ends before it starts, so it is "
                         "read as a night across midnight (8 hours, into sat); for a day shift "
                         "write '06:00-22:00'",)  # fmt: skip


def test_written_back_it_reads_the_same() -> None:
    cfg = config.parse(GOOD)
    text = config.to_toml(cfg)
    assert config.parse(text) == cfg
    assert 'first_response = "90m"' in text and 'resolution = "2d"' in text
    assert '[schedules."Night shift"]' in text and 'fri = ["22:00-06:00"]' in text


@pytest.mark.parametrize(("text", "problem"), [
    ('[schedules.default]\ntimezone = "Europe/Berlinn"\nmon = ["09:00-17:00"]\n',
     "schedules.toml:2: schedule 'default': time zone 'Europe/Berlinn' does not exist"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["9-17"]\n',
     "schedules.toml:3: schedule 'default': mon '9-17' is not an interval"),
    ('[schedules.default]\ntimezone = "UTC"\n\ntue = ["25:00-26:00"]\n',
     "schedules.toml:4: schedule 'default': tue '25:00-26:00' is not an interval"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-13:00", "12:00-17:00"]\n',
     "schedules.toml:3: schedule 'default': mon 12:00-17:00 overlaps mon 09:00-13:00"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["20:00-08:00"]\ntue = ["07:00-12:00"]\n',
     "schedules.toml:4: schedule 'default': tue 07:00-12:00 overlaps mon 20:00-08:00"),
    ('[schedules.default]\ntimezone = "UTC"\nsun = ["20:00-08:00"]\nmon = ["07:00-12:00"]\n',
     "schedules.toml:3: schedule 'default': sun 20:00-08:00 overlaps mon 07:00-12:00"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\nholidays = ["2062-13-01"]\n',
     "schedules.toml:4: schedule 'default': holiday '2062-13-01' is not a date between 1990"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\nholidays = ["3026-12-25"]\n',
     "schedules.toml:4: schedule 'default': holiday '3026-12-25' is not a date between 1990"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[[sla]]\n'
     'first_response = "0h"\n', "schedules.toml:5: policy 1: first_response '0h' is not a "
     "positive time"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[[sla]]\nresolution = "4h"\n'
     '[[sla]]\nresolution = "-2h"\n', "schedules.toml:7: policy 2: resolution '-2h' is not a "
     "positive time"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[[sla]]\nregion = "EU"\n'
     'resolution = "4h"\n', "schedules.toml:5: policy 1: unknown key 'region'"),
    ('[schedules.day]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[[sla]]\nresolution = "4h"\n',
     "schedules.toml:1: a policy counts business hours but there is no [schedules.default]"),
    ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[teams]\nNight = "night"\n',
     "schedules.toml:5: team 'Night' uses schedule 'night', which is not in [schedules] "
     "(default)"),
    ('[schedules.default]\ntimezone = "UTC"\n', "schedules.toml:1: schedule 'default' has no "
     "open interval on any day"),
    ('[schedules.default\ntimezone = "UTC"\n', "schedules.toml: not valid TOML"),
])  # fmt: skip
def test_each_bad_line_is_named_and_nothing_is_read(text: str, problem: str) -> None:
    with pytest.raises(config.ConfigError) as raised:
        config.parse(text)
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_a_policy_naming_a_team_no_contact_has_is_refused_given_the_store_s_teams() -> None:
    text = ('[schedules.default]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\n[teams]\n'
            '"Billing" = "default"\n[[sla]]\nteam = ["Support", "Suport"]\nresolution = "4h"\n')
    with pytest.raises(config.ConfigError) as raised:
        config.parse(text, teams=["Support", "Returns"])
    assert raised.value.problems == [
        "schedules.toml:5: team 'Billing' is in no contact (teams: Returns, Support)",
        "schedules.toml:7: policy 1 names team 'Suport', which is in no contact (teams: "
        "Returns, Support)"]  # fmt: skip
    assert config.parse(text.replace("Suport", "Returns").replace('"Billing"', '"Support"'),
                        teams=["Support", "Returns"]).policies[0].conditions == (
        ("team", ("Support", "Returns")),)  # fmt: skip


def test_every_problem_is_said_at_once() -> None:
    text = ('[schedules.default]\ntimezone = "Mars/Olympus"\nmon = ["9:00-17:00", "x"]\n'
            '[[sla]]\nfirst_response = "soon"\n')
    with pytest.raises(config.ConfigError) as raised:
        config.parse(text, source="ops/sla.toml")
    assert [p.split(":")[1] for p in raised.value.problems] == ["2", "3", "5"]
    assert all(p.startswith("ops/sla.toml:") for p in raised.value.problems)
