"""The bulk upload of scans (离线采集批量上传): the same records run through open_tube + scan one by
one and through `ingest` give the same answers and the same rows, in one chunk or many; and the
refusals that only an upload can meet (points, scanners, clocks, tubes of other points)."""

import gc
import json
import types
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangkong.conftest import fictional_id, make_user
from fangkong.control.testing import local, make_case
from fangkong.orgs.services import add_unit
from fangkong.people.models import Person
from fangkong.testing.models import RetestOrder, Sample, Tube, TubeStatus
from fangkong.testing.services import ingest as ingest_module
from fangkong.testing.services.ingest import ScanRecord, ingest
from fangkong.testing.services.rounds import add_point, create_round
from fangkong.testing.services.sampling import open_tube, scan

from .test_rounds import DAY

T0 = local(DAY, time(8))


@pytest.fixture
def upload(triad):
    """A round of 城关镇 pooled 1:3, points A and B in 东门村, a sampler of 东门村, and people."""
    county = triad.county
    statistician = make_user("town_statistician", "statistician", county.town)
    testing_round = create_round(county.town, "三人混采轮", [county.town], DAY, DAY + timedelta(days=1),
                                 "all_residents", {"default": 3}, statistician)
    points = {}
    for code in ("A", "B"):
        unit = add_unit(county.east, code=f"430626100201-{code}", name=f"东门村{code}采样点", type="sampling_point")
        points[code] = add_point(testing_round, unit, time(7), time(19), "")
    people = [Person.objects.create(name=f"东门{i}", id_number=fictional_id(birth="19900101", seq=100 + i),
                                    unit=county.east_grid) for i in range(6)]
    controlled = Person.objects.create(name="在管人员", id_number=fictional_id(seq=201), unit=county.east_grid)
    make_case(controlled, opened_at=T0 - timedelta(days=1))
    retest = Person.objects.create(name="待复检", id_number=fictional_id(seq=202), unit=county.east_grid)
    RetestOrder.objects.create(person=retest, unit_path=retest.unit_path, ordered_at=T0 - timedelta(hours=5))
    return types.SimpleNamespace(round=testing_round, points=points, people=people, controlled=controlled,
                                 retest=retest, sampler=make_user("east_sampler", "testing_staff", county.east),
                                 west_sampler=make_user("west_sampler", "testing_staff", county.west))


def the_batch(u, triad):
    """Every rule of a scan, in an order that makes them meet."""
    p = u.people
    unknown = fictional_id(birth="19850505", seq=77)
    codes = [
        ("T1", "A", p[0].id_number),
        ("T1", "A", f"HC:{p[1].id_number}"),
        ("T1", "A", p[0].id_number),  # already in this tube
        ("T2", "A", p[0].id_number),  # in another open tube
        ("T1", "A", f"P{p[2].pk}"),  # fills T1, which closes
        ("T1", "A", p[3].id_number),  # full
        ("T2", "A", p[0].id_number),  # T1 closed: may go into T2 now
        ("T2", "A", "abc"),
        ("T2", "A", json.dumps({"idno": unknown, "name": "赵六"}, ensure_ascii=False)),  # provisional
        ("T2", "A", unknown),  # the provisional person again, same tube
        ("T2", "A", u.controlled.id_number),  # 1:1
        ("T2", "A", u.retest.id_number),  # 1:1 (retest pending)
        ("T3", "B", p[4].id_number),
        ("T2", "A", "P999999"),
        ("T2", "A", f"https://jkm.example.cn/code?idno={p[1].id_number}"),  # fills T2
        ("T3", "B", triad.west_person.id_number),  # a person of another village
        ("T3", "B", p[3].id_number.lower()),
        ("T3", "B", p[5].id_number),  # T3 full
    ]
    return [ScanRecord(barcode, u.points[point].unit.code, code, T0 + timedelta(minutes=i))
            for i, (barcode, point, code) in enumerate(codes)]


def scan_one_by_one(u, records, user, unit=None):
    """What a scanner online would have done: open each tube when first seen, scan each code."""
    answers = []
    for record in records:
        point = next(p for p in u.points.values() if p.unit.code == record.point)
        tube = Tube.objects.filter(barcode=record.barcode).first()
        if tube is None:
            tube = open_tube(u.round, point, record.barcode, user, record.scanned_at)
        result = scan(tube, [record.code], user, record.scanned_at, unit=unit).results[0]
        answers.append("" if result.accepted else result.reason)
    return answers


def by_upload(records, u, user, unit=None):
    outcome = ingest(u.round, records, user, T0 + timedelta(hours=4), unit=unit)
    reasons = {refusal.index: refusal.reason for refusal in outcome.refusals}
    return [reasons.get(i, "") for i in range(len(records))], outcome


def snapshot():
    """The rows both ways must leave, by natural keys (ids differ after a rollback on PostgreSQL)."""
    tubes = sorted(Tube.objects.values_list("barcode", "point__unit__code", "capacity", "size", "status", "opened_at",
                                            "opened_by__username", "closed_at"))
    samples = sorted(Sample.objects.values_list("tube__barcode", "person__id_number", "round_id", "unit_path",
                                                "scanned_at", "scanned_by__username"))
    persons = sorted(Person.objects.filter(is_provisional=True).values_list(
        "id_number", "name", "name_initials", "unit__code", "sex", "birth_date", "unit_path"))
    history = sorted(Person.history.filter(is_provisional=True).values_list("id_number", "history_type",
                                                                              "history_user__username"))
    retests = sorted(RetestOrder.objects.values_list("person__id_number", "done_at", "sample__tube__barcode"))
    return {"tubes": tubes, "samples": samples, "persons": persons, "history": history, "retests": retests}


class Rollback(Exception):
    pass


def run_both(run_scans, run_upload):
    """(scans' answers and rows, upload's answers and rows), each from the same starting rows."""
    seen = {}
    for name, run in (("scans", run_scans), ("upload", run_upload)):
        try:
            with transaction.atomic():
                seen[name] = (run(), snapshot())
                raise Rollback
        except Rollback:
            pass
    return seen["scans"], seen["upload"]


@pytest.mark.parametrize("chunk", [ingest_module.CHUNK, 4])
def test_an_upload_answers_and_writes_as_scanning_one_by_one(upload, triad, monkeypatch, chunk):
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    records = the_batch(upload, triad)
    (scan_answers, scan_rows), (upload_answers, upload_rows) = run_both(
        lambda: scan_one_by_one(upload, records, upload.sampler),
        lambda: by_upload(records, upload, upload.sampler)[0],
    )
    assert upload_answers == scan_answers
    assert upload_rows == scan_rows
    accepted = [i for i, reason in enumerate(upload_answers) if not reason]
    assert accepted == [0, 1, 4, 6, 8, 12, 14, 15, 16]
    assert "已在本管中" in upload_answers[2] and "另一支未封管的试管（T1）" in upload_answers[3]
    assert "试管已满（3人）" in upload_answers[5] and "1:1" in upload_answers[10] and "1:1" in upload_answers[11]
    assert [row[0] for row in upload_rows["persons"]] == [fictional_id(birth="19850505", seq=77)]
    assert {(barcode, status) for barcode, _p, _c, _s, status, *_r in upload_rows["tubes"]} == {
        ("T1", "closed"), ("T2", "closed"), ("T3", "closed")}


@pytest.mark.parametrize("chunk,part", [(ingest_module.CHUNK, ingest_module.LOOKUP_PART), (2, 1)])
def test_plain_id_numbers_are_looked_up_first_and_checked_in_full_unless_a_resident_holds_them(
        upload, triad, monkeypatch, chunk, part):
    monkeypatch.setattr(ingest_module, "CHUNK", chunk)
    monkeypatch.setattr(ingest_module, "LOOKUP_PART", part)
    valid = fictional_id(birth="19850505", seq=78)
    bad_check_digit = valid[:17] + ("0" if valid[17] != "0" else "1")
    other = fictional_id(birth="19850505", seq=79)
    # A passport holder whose number reads as an ID number, with a wrong check digit.
    passport = Person.objects.create(name="外籍人员", id_type="passport",
                                     id_number=other[:17] + ("0" if other[17] != "0" else "1"),
                                     unit=triad.county.east_grid)
    future = fictional_id(birth="20991231", seq=5)
    codes = [
        ("T1", json.dumps({"idno": valid, "name": "钱七"}, ensure_ascii=False)),  # registered here, provisional
        ("T2", bad_check_digit),  # unknown and invalid: the scan's reason
        ("T2", passport.id_number),  # registered, but not as a resident: checked in full
        ("T2", future),  # born after the scan
        ("T3", upload.people[0].id_number),
        ("T3", valid),  # the provisional person, by plain number in a later chunk: already in T1
        ("T4", upload.people[1].id_number),
    ]
    records = [ScanRecord(barcode, upload.points["A"].unit.code, code, T0 + timedelta(minutes=i))
               for i, (barcode, code) in enumerate(codes)]
    (scan_answers, scan_rows), (upload_answers, upload_rows) = run_both(
        lambda: scan_one_by_one(upload, records, upload.sampler, unit=triad.county.east_grid),
        lambda: by_upload(records, upload, upload.sampler, unit=triad.county.east_grid)[0],
    )
    assert upload_answers == scan_answers
    assert upload_rows == scan_rows
    assert [i for i, reason in enumerate(upload_answers) if not reason] == [0, 4, 6]
    assert "钱七已在本轮另一支未封管的试管（T1）中" in upload_answers[5]
    assert upload_answers[1] and upload_answers[2] and upload_answers[3]


def test_an_upload_counts_and_refuses_with_positions(upload, triad):
    records = the_batch(upload, triad)
    answers, outcome = by_upload(records, upload, upload.sampler)
    assert outcome.counts() == {"records": 18, "accepted": 9, "refused": 9, "provisional": 1, "tubes_opened": 3,
                                "tubes_closed": 3}
    assert [r.index for r in outcome.refusals] == [i for i, a in enumerate(answers) if a]
    assert outcome.refusals[0].barcode == "T1" and outcome.refusals[0].code == upload.people[0].id_number


def test_single_tubes_complete_retests_as_scans_do(upload, triad):
    upload.round.pool_sizes = {"default": 1}
    upload.round.save()
    records = [ScanRecord("S1", upload.points["A"].unit.code, upload.retest.id_number, T0),
               ScanRecord("S2", upload.points["A"].unit.code, upload.people[0].id_number, T0 + timedelta(minutes=1))]
    (scan_answers, scan_rows), (upload_answers, upload_rows) = run_both(
        lambda: scan_one_by_one(upload, records, upload.sampler),
        lambda: by_upload(records, upload, upload.sampler)[0],
    )
    assert upload_answers == scan_answers == ["", ""]
    assert upload_rows == scan_rows
    assert upload_rows["retests"] == [(upload.retest.id_number, T0, "S1")]


def test_a_later_upload_goes_on_with_the_tubes_of_an_earlier_one_and_with_scans(upload, triad):
    point = upload.points["A"].unit.code
    p = upload.people
    ingest(upload.round, [ScanRecord("T1", point, p[0].id_number, T0)], upload.sampler, T0)
    tube = Tube.objects.get(barcode="T1")
    scan(tube, [p[1].id_number], upload.sampler, T0 + timedelta(minutes=1))
    outcome = ingest(upload.round, [("T2", point, p[1].id_number, T0 + timedelta(minutes=2)),
                                    ("T1", point, p[0].id_number, T0 + timedelta(minutes=3)),
                                    ("T1", point, p[2].id_number, T0 + timedelta(minutes=4)),
                                    ("T2", point, p[1].id_number, T0 + timedelta(minutes=5))],
                     upload.sampler, T0 + timedelta(hours=1))
    assert [(r.index, r.reason) for r in outcome.refusals] == [
        (0, "东门1已在本轮另一支未封管的试管（T1）中"), (1, "东门0已在本管中，不重复采样")]
    tube.refresh_from_db()
    assert (tube.size, tube.status, tube.closed_at) == (3, TubeStatus.CLOSED, T0 + timedelta(minutes=4))
    assert Sample.objects.filter(person=p[1]).count() == 2  # into T2 once T1 closed


def test_upload_refuses_points_scanners_clocks_and_tubes_it_cannot_use(upload, triad, county):
    a, b = upload.points["A"].unit.code, upload.points["B"].unit.code
    p = upload.people
    Tube.objects.create(barcode="OLD", round=upload.round, point=upload.points["B"], capacity=3,
                        opened_at=T0 - timedelta(hours=1))
    now = T0 + timedelta(hours=1)
    outcome = ingest(upload.round, [
        ScanRecord("T1", "NO-SUCH-POINT", p[0].id_number, T0),
        ScanRecord("T1", a, p[0].id_number, T0, scanner="nobody"),
        ScanRecord("T1", a, p[0].id_number, now + timedelta(hours=1)),
        ScanRecord("OLD", a, p[0].id_number, T0),
        ScanRecord("T9", a, p[0].id_number, local(DAY + timedelta(days=5), time(8)) - timedelta(days=30)),
        ScanRecord("", a, p[0].id_number, T0),
        ScanRecord("T1", a, p[1].id_number, T0, scanner=upload.sampler.username),
        ScanRecord("T1", b, p[2].id_number, T0),
    ], upload.sampler, now)
    reasons = [r.reason for r in outcome.refusals]
    assert reasons[0] == "采样点“NO-SUCH-POINT”不是本轮的采样点"
    assert "nobody" in reasons[1] and "时钟" in reasons[2] and "已在采样点“东门村B采样点”开管" in reasons[3]
    assert "不能开管" in reasons[4] and reasons[5] == "请扫描或输入试管条码"
    assert "已在采样点“东门村A采样点”开管" in reasons[6]
    assert outcome.accepted == 1 and [r.index for r in outcome.refusals] == [0, 1, 2, 3, 4, 5, 7]
    assert "已在采样点“东门村A采样点”开管" in ingest(upload.round, [ScanRecord("T1", b, p[2].id_number, T0)],
                                                  upload.sampler, now).refusals[0].reason
    outside = ingest(upload.round, [ScanRecord("W1", a, p[2].id_number, T0)], upload.west_sampler, now)
    assert outside.refusals[0].reason == "采样点“东门村A采样点”不在您的辖区内" and not Tube.objects.filter(barcode="W1")


def test_a_scan_time_up_to_ten_minutes_ahead_of_the_server_is_taken_in_any_time_zone(upload, triad):
    """Scanner clocks run a little ahead: up to CLOCK_SKEW is taken, later is refused, whatever
    zone the time is given in (the server's `now` is UTC, scans mostly local)."""
    a, p = upload.points["A"].unit.code, upload.people
    now = (T0 + timedelta(hours=1)).astimezone(dt_timezone.utc)
    skew, second = ingest_module.CLOCK_SKEW, timedelta(seconds=1)
    here = T0.tzinfo
    outcome = ingest(upload.round, [
        ScanRecord("T1", a, p[0].id_number, (now + skew).astimezone(here)),
        ScanRecord("T1", a, p[1].id_number, now + skew),
        ScanRecord("T1", a, p[2].id_number, (now + skew + second).astimezone(here)),
        ScanRecord("T2", a, p[3].id_number, now + skew + second),
        ScanRecord("T2", a, p[4].id_number, (now + skew + second).astimezone(dt_timezone(timedelta(hours=-5)))),
    ], upload.sampler, now)
    assert [r.index for r in outcome.refusals] == [2, 3, 4]
    assert all("时钟" in r.reason for r in outcome.refusals) and outcome.accepted == 2


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York"])
def test_scan_times_are_written_as_the_instants_given_on_days_with_and_without_a_clock_change(upload, zone):
    """The samples' COPY takes a scan time as microseconds since 2000-01-01 UTC, worked out from
    the local day's start: on a day the clocks change, from the instant itself."""
    with timezone.override(zone):
        here = timezone.get_current_timezone()
        u = ingest_module._Upload(upload.round, upload.sampler, T0, None)
        moments = []
        for day in (date(2026, 3, 8), date(2026, 3, 29), date(2026, 7, 1), date(2026, 10, 25), date(2026, 11, 1)):
            start = datetime.combine(day, time(0), tzinfo=here)
            moments += [(start + timedelta(minutes=17 * k)).astimezone(here) for k in range(0, 24 * 60 // 17 + 1)]
        moments += [m.astimezone(dt_timezone.utc) for m in moments[::7]]
        moments += [m.astimezone(dt_timezone(timedelta(hours=-5))) for m in moments[::11]]
        for moment in moments:
            u.day(moment)
            assert u.micros(moment) == (moment - ingest_module.PG_EPOCH) // timedelta(microseconds=1), moment


def test_unknown_people_go_to_the_unit_given_or_are_refused_without_one(upload, triad):
    a = upload.points["A"].unit.code
    number = fictional_id(birth="19870303", seq=5)
    outcome = ingest(upload.round, [ScanRecord("T1", a, number, T0)], upload.sampler, T0,
                     unit=triad.county.east_grid)
    assert outcome.provisional == 1
    assert Person.objects.get(id_number=number).unit == triad.county.east_grid
    refused = ingest(upload.round, [ScanRecord("T1", a, fictional_id(birth="19870303", seq=6), T0)],
                     upload.sampler, T0, unit=triad.county.town)
    assert "不是村（社区）、网格或楼栋" in refused.refusals[0].reason


def test_an_upload_is_one_transaction(upload, triad, monkeypatch):
    a = upload.points["A"].unit.code

    insert_tubes = ingest_module._insert_tubes

    def broken(*args):
        insert_tubes(*args)  # the samples are written by now on PostgreSQL, and the tube
        raise ValidationError("disk full")

    monkeypatch.setattr(ingest_module, "_insert_tubes", broken)
    with pytest.raises(ValidationError):
        ingest(upload.round, [ScanRecord("T1", a, upload.people[0].id_number, T0)], upload.sampler, T0)
    assert not Tube.objects.filter(barcode="T1").exists()
    assert not Sample.objects.filter(person=upload.people[0]).exists()
    assert gc.isenabled()  # paused for the upload, running again after it failed


def test_the_cycle_collector_is_paused_for_an_upload_and_runs_again_after_it(upload, monkeypatch):
    seen, insert_tubes = [], ingest_module._insert_tubes

    def watched(*args):
        seen.append(gc.isenabled())
        return insert_tubes(*args)

    monkeypatch.setattr(ingest_module, "_insert_tubes", watched)
    outcome = ingest(upload.round, [ScanRecord("T1", upload.points["A"].unit.code, upload.people[0].id_number, T0)],
                     upload.sampler, T0)
    assert outcome.accepted == 1 and seen == [False] and gc.isenabled()


@pytest.mark.parametrize("part", [2, 4])
def test_an_upload_of_its_own_transaction_looks_chunks_ahead_and_answers_as_inside_one(
        upload, triad, monkeypatch, transactional_db, part):
    """On its own (a request, a command) an upload looks up the persons of the next two chunks on
    a second connection while a chunk is decided and written; what that connection cannot see yet
    (a person registered, a retest completed by a chunk before) must not change a single answer."""
    from django.db import connection

    monkeypatch.setattr(ingest_module, "CHUNK", 4)
    monkeypatch.setattr(ingest_module, "LOOKUP_PART", part)
    point = upload.points["A"]
    open_tube(upload.round, point, "S1", upload.sampler, T0 - timedelta(minutes=1), capacity=1)
    p, unknown = upload.people, fictional_id(birth="19850505", seq=80)
    codes = [
        # chunk 1: a retest done in a single tube, a person registered
        ("S1", upload.retest.id_number),
        ("T8", json.dumps({"idno": unknown, "name": "孙八"}, ensure_ascii=False)),
        ("T8", p[0].id_number),
        ("T8", p[1].id_number),  # T8 full
        # chunk 2, looked up while chunk 1 is written: the retest is no longer owed, the person is known
        ("T9", upload.retest.id_number),
        ("T9", unknown),
        ("T9", p[2].id_number),  # T9 full
        ("T10", p[3].id_number),
        # chunk 3, looked up while chunk 1 is written (two ahead): the same must hold
        ("T10", p[4].id_number),
        ("T10", unknown),  # T10 full
        ("T11", upload.retest.id_number),
    ]
    records = [ScanRecord(barcode, point.unit.code, code, T0 + timedelta(minutes=i))
               for i, (barcode, code) in enumerate(codes)]
    with transaction.atomic():  # inside a caller's transaction: no second connection
        inside = by_upload(records, upload, upload.sampler, unit=triad.county.east_grid)[0], snapshot()
        transaction.set_rollback(True)
    events, start, decide = [], ingest_module._Lookups.start, ingest_module._ingest_chunk

    def spy(self, chunk, refuse, ahead=False):
        events.append(("start", ahead))
        return start(self, chunk, refuse, ahead=ahead)

    def deciding(*args, **kwargs):
        events.append("decide")
        return decide(*args, **kwargs)

    monkeypatch.setattr(ingest_module._Lookups, "start", spy)
    monkeypatch.setattr(ingest_module, "_ingest_chunk", deciding)
    assert not connection.in_atomic_block
    alone = by_upload(records, upload, upload.sampler, unit=triad.county.east_grid)[0], snapshot()
    assert alone == inside
    assert alone[0] == [""] * len(records)
    assert alone[1]["retests"] == [(upload.retest.id_number, T0, "S1")]
    assert [row[0] for row in alone[1]["persons"]] == [unknown]
    if connection.vendor == "postgresql":  # the next chunk before deciding one, the one after while it is written
        assert events == [("start", False), ("start", True), "decide", ("start", True), "decide", "decide"]
    else:
        assert events == [("start", False), "decide"] * 3
