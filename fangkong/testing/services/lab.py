"""The lab (实验室): receiving tubes in batches and recording their results.

A tube's first result settles it (`Tube.result`, `result_at`, status 已出结果). Every result is
kept as a `TubeResult`, as reported:

- the same result again is a duplicate: kept, nothing else changes;
- a different later result is kept with `conflicting=True`, the tube is flagged `conflict`, its
  first result stays, and a RESULT_CONFLICT alert is raised at the tube's sampling point;
- 无效 (invalid) is not a finding but a failed run that the lab repeats on the same tube: it does
  not settle the tube for good, so the next real result replaces it (both kept, no conflict), and
  an invalid run after a real result changes nothing.

A positive or abnormal result that settles a tube starts chasing its members at once
(`chasing.chase_tubes`), in the same transaction as the results.
"""

import datetime
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fangkong.alerts.models import AlertKind, Severity
from fangkong.alerts.services import raise_alert
from fangkong.lib.dates import cn_datetime
from fangkong.lib.db import rows_table
from fangkong.orgs.jurisdiction import jurisdiction_paths, path_filter
from fangkong.testing.models import LabBatch, Result, Tube, TubeResult, TubeStatus

try:
    from fangkong.testing.services.chasing import chase_tubes
except ModuleNotFoundError as missing:
    if missing.name != "fangkong.testing.services.chasing":
        raise
    chase_tubes = None

logger = logging.getLogger("fangkong.testing")

CHUNK = 2000  # barcodes per query, far below SQLite's parameter limit
# Clocks of lab instruments and of the server disagree a little.
CLOCK_SKEW = datetime.timedelta(minutes=10)

RESULT_WORDS = {
    "negative": Result.NEGATIVE, "neg": Result.NEGATIVE, "阴性": Result.NEGATIVE, "阴": Result.NEGATIVE,
    "positive": Result.POSITIVE, "pos": Result.POSITIVE, "阳性": Result.POSITIVE, "阳": Result.POSITIVE,
    "abnormal": Result.ABNORMAL, "异常": Result.ABNORMAL, "可疑": Result.ABNORMAL, "异常可疑": Result.ABNORMAL,
    "可疑阳性": Result.ABNORMAL, "invalid": Result.INVALID, "无效": Result.INVALID,
}
FINDINGS = (Result.NEGATIVE, Result.POSITIVE, Result.ABNORMAL)
CHASED = (Result.POSITIVE, Result.ABNORMAL)
# What instruments print for a target that did not amplify: no Ct value.
NO_CT = {"", "-", "/", "—", "NOCT", "NO CT", "N/A", "NA", "UNDET", "UNDETERMINED", "未检出", "无"}
FIELD_LABELS = {"barcode": "试管条码", "result": "检测结果", "ct_values": "Ct值", "tested_at": "检测时间"}


def _text(value):
    return unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()


def normalise_barcode(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", _text(value)).upper()


def parse_result(value):
    """negative/positive/abnormal/invalid, or 阴性/阳性/异常/可疑/无效 (brackets and spaces ignored)."""
    word = re.sub(r"[\s()（）]", "", _text(value)).lower()
    if word not in RESULT_WORDS:
        raise ValidationError(_("无法识别的检测结果“%(value)s”，应为阴性、阳性、异常（可疑）或无效")
                              % {"value": _text(value)})
    return RESULT_WORDS[word]


def parse_ct(name, value):
    """A Ct value as a number between 0 and 50; None when the target did not amplify."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _text(value)
        if text.upper() in NO_CT:
            return None
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(_("%(name)s的Ct值“%(value)s”不是数字") % {"name": name, "value": text}) from None
    if not 0 < number <= 50:
        raise ValidationError(_("%(name)s的Ct值%(value)s超出范围（0～50）") % {"name": name, "value": _text(value)})
    return round(number, 2)


def parse_ct_values(values):
    if values in (None, ""):
        return {}
    if not isinstance(values, dict):
        raise ValidationError(_("Ct值应写成{\"ORF1ab\": 35.2, \"N\": 36.1}的形式"))
    cleaned = {}
    for name, value in values.items():
        name = _text(name)
        if not name or len(name) > 20:
            raise ValidationError(_("Ct值的靶标名称应为1至20个字"))
        number = parse_ct(name, value)
        if number is not None:
            cleaned[name] = number
    return cleaned


_CN_MOMENT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:(\d{1,2})\s*[:时点]\s*(?:(\d{1,2})\s*[:分]?\s*)?"
    r"(?:(\d{1,2})\s*秒?)?)?$"
)
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)


def parse_moment(value):
    """An aware moment from a datetime, an Excel date number, ISO text or the ways people write it
    (2022-04-01 12:30, 2022/4/1 12:30, 2022年4月1日12时30分). Local time unless a zone is given."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 100000:
        moment = _EXCEL_EPOCH + datetime.timedelta(days=float(value))
        moment = moment.replace(microsecond=0)
    else:
        text = _text(value)
        try:
            moment = parse_datetime(text)
        except ValueError:
            moment = None
        if moment is None:
            match = _CN_MOMENT.match(text)
            if not match:
                raise ValidationError(_("无法识别的时间“%(value)s”，请写成2022-04-01 12:30") % {"value": text})
            try:
                moment = datetime.datetime(*(int(part or 0) for part in match.groups()))
            except ValueError:
                raise ValidationError(_("时间“%(value)s”不存在") % {"value": text}) from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def lab_tubes(user):
    """The tubes a user may report on and see at the lab: those of sampling points within their
    jurisdiction and those received by a lab within it (a county lab tests tubes from everywhere)."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return Tube.objects.all()
    if not paths:
        return Tube.objects.none()
    return Tube.objects.filter(path_filter("unit_path", paths) | path_filter("batch__unit_path", paths))


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _tubes_by_barcode(queryset, barcodes):
    found = {}
    for chunk in _chunks(barcodes):
        found.update((tube.barcode, tube) for tube in queryset.filter(barcode__in=chunk))
    return found


# Receiving ------------------------------------------------------------------------------------


def receive_tubes(lab_unit, barcodes, user, now):
    """Receive the tubes with these barcodes at `lab_unit` as one LabBatch.

    A tube is received once. A tube still open at its point is closed on receipt (closed at
    `now`): once it is at the lab nobody can be sampled into it any more. Known tubes are
    received even when some barcodes are wrong; the returned batch carries what was not
    received: `unknown` (barcodes not on record), `already_received` (in an earlier batch,
    here or at another lab), `closed_on_receipt` (were still open) and `messages` (Chinese).
    Raises ValidationError, writing nothing, when no tube at all can be received."""
    wanted = list(dict.fromkeys(code for code in (normalise_barcode(b) for b in barcodes) if code))
    if not wanted:
        raise ValidationError(_("请至少扫描一个试管条码。"))
    tubes = _tubes_by_barcode(Tube.objects.only("id", "barcode", "status", "batch_id"), wanted)
    unknown = [code for code in wanted if code not in tubes]
    receivable = [t for t in tubes.values() if t.batch_id is None and t.status in (TubeStatus.OPEN, TubeStatus.CLOSED)]
    receivable_ids = {t.pk for t in receivable}
    already = [code for code in wanted if code in tubes and tubes[code].pk not in receivable_ids]
    messages = _receipt_messages(unknown, already)
    if not receivable:
        raise ValidationError(messages or [_("没有可接收的试管。")])
    with transaction.atomic():
        batch = LabBatch.objects.create(lab=lab_unit, received_at=now, received_by=user)
        ids = [t.pk for t in receivable]
        open_ids = [t.pk for t in receivable if t.status == TubeStatus.OPEN]
        received = 0
        # Conditional updates: a tube taken by another batch meanwhile is not taken twice.
        for chunk in _chunks(open_ids):
            Tube.objects.filter(pk__in=chunk, status=TubeStatus.OPEN, batch__isnull=True).update(closed_at=now)
        for chunk in _chunks(ids):
            received += Tube.objects.filter(
                pk__in=chunk, batch__isnull=True, status__in=[TubeStatus.OPEN, TubeStatus.CLOSED]
            ).update(batch=batch, received_at=now, status=TubeStatus.RECEIVED)
        if received < len(ids):
            taken = set(Tube.objects.filter(pk__in=ids).exclude(batch=batch).values_list("barcode", flat=True))
            already += sorted(taken)
            messages = _receipt_messages(unknown, already)
        batch.tubes = received
        batch.save(update_fields=["tubes"])
    batch.unknown = unknown
    batch.already_received = already
    batch.closed_on_receipt = [t.barcode for t in receivable if t.status == TubeStatus.OPEN]
    batch.messages = messages
    return batch


def _receipt_messages(unknown, already):
    messages = []
    if unknown:
        messages.append(_("以下%(n)s个条码查无此管，未接收：%(codes)s") % {"n": len(unknown), "codes": "、".join(unknown)})
    if already:
        messages.append(_("以下%(n)s支试管此前已接收，未重复接收：%(codes)s")
                        % {"n": len(already), "codes": "、".join(already)})
    return messages


# Results --------------------------------------------------------------------------------------


class ResultRowsError(Exception):
    """Some rows are bad; nothing was written. `errors` lists {row, field, column, message} in
    Chinese; `counts` is as `record_results` returns it (zeros but `rows` and `unknown`)."""

    def __init__(self, errors, counts):
        super().__init__(_("有%(n)s处错误，未写入任何结果。") % {"n": len(errors)})
        self.errors = errors
        self.counts = counts


@dataclass
class _Row:
    row_no: int
    barcode: str
    result: str = ""
    ct_values: dict = field(default_factory=dict)
    tested_at: datetime.datetime = None


def empty_counts(rows=0):
    return {"rows": rows, "tubes": 0, "negative": 0, "positive": 0, "abnormal": 0, "invalid": 0, "duplicates": 0,
            "conflicts": 0, "unknown": 0}


def _check_rows(rows, row_numbers, user, now):
    errors, parsed = [], []

    def fail(row_no, name, message):
        errors.append({"row": row_no, "field": name, "column": FIELD_LABELS[name], "message": str(message)})

    for index, data in enumerate(rows):
        row_no = row_numbers[index] if row_numbers else index + 1
        if not isinstance(data, dict):
            fail(row_no, "barcode", _("每一行应包含试管条码、检测结果等字段"))
            continue
        row = _Row(row_no, normalise_barcode(data.get("barcode")))
        bad = False
        if not row.barcode:
            fail(row_no, "barcode", _("必填"))
            bad = True
        elif len(row.barcode) > 40:
            fail(row_no, "barcode", _("试管条码不能超过40个字符"))
            bad = True
        for name, parse in (("result", parse_result), ("ct_values", parse_ct_values)):
            value = data.get(name)
            if name == "result" and not _text(value):
                fail(row_no, name, _("必填"))
                bad = True
                continue
            try:
                setattr(row, name, parse(value))
            except ValidationError as error:
                fail(row_no, name, error.messages[0])
                bad = True
        tested_at = data.get("tested_at")
        if tested_at in (None, ""):
            row.tested_at = now
        else:
            try:
                row.tested_at = parse_moment(tested_at)
            except ValidationError as error:
                fail(row_no, "tested_at", error.messages[0])
                bad = True
            else:
                if row.tested_at > now + CLOCK_SKEW:
                    fail(row_no, "tested_at", _("检测时间%(at)s晚于现在") % {"at": cn_datetime(row.tested_at, True)})
                    bad = True
        if not bad:
            parsed.append(row)
    tubes = _tubes_by_barcode(lab_tubes(user) if user is not None else Tube.objects.all(),
                              {row.barcode for row in parsed})
    unknown = 0
    for row in parsed:
        tube = tubes.get(row.barcode)
        if tube is None:
            unknown += 1
            fail(row.row_no, "barcode", _("试管条码“%(code)s”不存在，或尚未由本机构接收") % {"code": row.barcode})
        elif row.tested_at < tube.opened_at - CLOCK_SKEW:
            fail(row.row_no, "tested_at", _("检测时间%(at)s早于该管开管时间%(opened)s")
                 % {"at": cn_datetime(row.tested_at, True), "opened": cn_datetime(tube.opened_at, True)})
    errors.sort(key=lambda error: error["row"])
    return parsed, errors, unknown


def record_results(rows, user, now, source, row_numbers=None):
    """Record lab results: `rows` are {barcode, result, ct_values (optional dict), tested_at
    (optional, default `now`)}. Every row is checked first; when any is bad ResultRowsError is
    raised and nothing is written. Then all rows are written in one transaction (see the module
    docstring for first, duplicate, conflicting and invalid results), conflicts are alerted and
    newly positive or abnormal tubes are chased. `user` limits the tubes to `lab_tubes(user)`
    (None: any tube, for commands). `row_numbers` gives the row numbers to report (the
    spreadsheet's), else rows count from 1. Returns the counts
    {rows, tubes, negative, positive, abnormal, invalid, duplicates, conflicts, unknown}."""
    rows = list(rows)
    parsed, errors, unknown = _check_rows(rows, row_numbers, user, now)
    if not rows:
        errors.append({"row": None, "field": "barcode", "column": "", "message": _("没有任何结果行")})
    if errors:
        raise ResultRowsError(errors, {**empty_counts(len(rows)), "unknown": unknown})
    counts = empty_counts(len(rows))
    with transaction.atomic():
        tubes = {}
        for chunk in _chunks({row.barcode for row in parsed}):
            tubes.update((t.barcode, t) for t in Tube.objects.select_for_update(of=("self",)).select_related("point__unit")
                         .filter(barcode__in=chunk))
        settled_before = {code: tube.result for code, tube in tubes.items()}
        results, changed, conflicts = [], {}, []
        for row in parsed:
            tube = tubes[row.barcode]
            counts[row.result] += 1
            conflicting = False
            if not tube.result or (tube.result == Result.INVALID and row.result != Result.INVALID):
                tube.result, tube.result_at, tube.status = row.result, row.tested_at, TubeStatus.RESULTED
                if tube.closed_at is None:  # a result means the tube is at the lab, whatever was scanned
                    tube.closed_at = now
                changed[tube.pk] = tube
            elif row.result == tube.result or row.result == Result.INVALID:
                counts["duplicates"] += row.result == tube.result
            else:
                conflicting = True
                counts["conflicts"] += 1
                if not tube.conflict:
                    tube.conflict = True
                    changed[tube.pk] = tube
                conflicts.append((tube, row))
            results.append((tube.pk, row.result, json.dumps(row.ct_values), row.tested_at, conflicting))
        _insert_results(results, now, source[:20], user)
        _save_settled(changed.values())
        for tube, row in conflicts:
            _alert_conflict(tube, row, now)
        newly_chased = [tube for code, tube in tubes.items()
                        if tube.result in CHASED and settled_before[code] not in CHASED]
        if newly_chased:
            if chase_tubes is None:
                logger.error("核酸结果阳性或异常但追踪模块不可用：%s", ", ".join(t.barcode for t in newly_chased))
            else:
                chase_tubes(newly_chased, now)
    counts["tubes"] = len(tubes)
    return counts


def _insert_results(results, now, source, user):
    """Every reported result as a TubeResult row, one INSERT … SELECT a chunk: (tube id, result,
    Ct values as JSON text, tested at, conflicting)."""
    table = TubeResult._meta.db_table
    ct_values = "CAST(v.ct_values AS jsonb)" if connection.vendor == "postgresql" else "v.ct_values"
    for chunk in _chunks(results):
        values, params = rows_table(
            [("tube", "bigint"), ("result", "text"), ("ct_values", "text"), ("tested_at", "timestamptz"),
             ("conflicting", "int")],
            [(tube, result, ct, tested_at, int(conflicting)) for tube, result, ct, tested_at, conflicting in chunk],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (tube_id, result, ct_values, tested_at, reported_at, source, reported_by_id, "
                f"conflicting) SELECT v.tube, v.result, {ct_values}, v.tested_at, %s, %s, %s, (v.conflicting <> 0) "
                f"FROM {values} v",
                [connection.ops.adapt_datetimefield_value(now), source, user.pk if user is not None else None,
                 *params],
            )


def _save_settled(tubes):
    """Write the tubes' result fields with one UPDATE … FROM a derived table a chunk (a lab
    reports tens of thousands of tubes at once; bulk_update's CASE per row does not scale)."""
    table = Tube._meta.db_table
    for chunk in _chunks(tubes):
        values, params = rows_table(
            [("id", "bigint"), ("result", "text"), ("result_at", "timestamptz"), ("status", "text"),
             ("closed_at", "timestamptz"), ("conflict", "int")],
            [(t.pk, t.result, t.result_at, t.status, t.closed_at, int(t.conflict)) for t in chunk],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET result = v.result, result_at = v.result_at, status = v.status, "
                f"closed_at = v.closed_at, conflict = (v.conflict <> 0) FROM {values} v WHERE {table}.id = v.id",
                params,
            )


def _alert_conflict(tube, row, now):
    labels = dict(Result.choices)
    serious = {tube.result, row.result} & set(CHASED)
    raise_alert(
        AlertKind.RESULT_CONFLICT, tube.point.unit, key=f"result_conflict:{tube.pk}", subject=tube, now=now,
        severity=Severity.URGENT if serious else None,
        title=_("试管%(code)s检测结果冲突：首次%(first)s，又报%(second)s")
        % {"code": tube.barcode, "first": labels[tube.result], "second": labels[row.result]},
        detail=_("首次结果%(first)s（%(first_at)s），后报结果%(second)s（%(second_at)s）。以首次结果为准，请与检测机构核实。")
        % {"first": labels[tube.result], "first_at": cn_datetime(tube.result_at, True), "second": labels[row.result],
           "second_at": cn_datetime(row.tested_at, True)},
    )


def conflicting_tubes(user):
    """Tubes flagged with conflicting results that the user may see at the lab, with all their results."""
    return (lab_tubes(user).filter(conflict=True).select_related("point__unit", "round")
            .prefetch_related("results").order_by("-result_at", "barcode"))


def results_for(user, barcode=None):
    """The results the user may see (of `lab_tubes(user)`), newest first."""
    results = TubeResult.objects.filter(tube__in=lab_tubes(user)).select_related("tube")
    if barcode:
        results = results.filter(tube__barcode=normalise_barcode(barcode))
    return results.order_by("-reported_at", "-id")

