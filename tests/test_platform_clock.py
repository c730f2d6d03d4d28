from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from finplat import cob
from finplat.jobs import build_scheduler


def test_today_follows_the_platform_timezone_not_the_host(app, monkeypatch):
    # 2026-11-23 17:30 UTC is already 2026-11-24 01:30 in Beijing
    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc).astimezone(tz)

    monkeypatch.setattr(cob, "datetime", Frozen)
    with app.app_context():
        assert str(cob.local_today()) == "2026-11-24"
        monkeypatch.setitem(app.config, "TIMEZONE", "UTC")
        assert str(cob.local_today()) == "2026-11-23"


def test_scheduler_runs_cob_on_the_platform_clock(app):
    sched = build_scheduler(app)
    assert {job.id for job in sched.get_jobs()} == {"cob", "housekeeping", "revaluation"}
    for job in sched.get_jobs():
        assert job.trigger.timezone == ZoneInfo("Asia/Shanghai")
