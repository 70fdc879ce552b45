"""Hand-over of a control case to another unit or area (协查移交).

A case handed to a unit of the system waits for that unit to accept it: until then the sender
keeps the case (and sees it), the receiver sees the transfer in its pending list and gets a
TRANSFER_PENDING alert. On acceptance the case, its tests, slots and entries move to the
receiving unit. A case handed to an area outside the system (`to_area`) is closed as
transferred out when the sender confirms it was handed over.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.alerts.models import AlertKind
from fangkong.alerts.services import raise_alert, resolve_alerts
from fangkong.control.models import (
    ACTIVE_STATUSES, CaseStatus, CaseTest, CaseTransfer, ControlCase, FollowUpEntry, FollowUpSlot,
)
from fangkong.orgs.jurisdiction import jurisdiction_paths, path_filter
from fangkong.orgs.models import Unit

from .cases import _active, _finish, _history


def transfer_key(transfer):
    return f"transfer:{transfer.pk}"


def pending_transfers():
    return CaseTransfer.objects.filter(accepted_at__isnull=True, declined_at__isnull=True)


def covers(user, unit):
    """Whether the user's jurisdiction includes the unit."""
    paths = jurisdiction_paths(user)
    if paths is None:
        return True
    return any(unit.path.startswith(path) for path in paths)


def transfers_for(user):
    """Transfers the user may see: sent from or to a unit in the user's jurisdiction."""
    paths = jurisdiction_paths(user)
    queryset = CaseTransfer.objects.all()
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(path_filter("from_unit__path", paths) | path_filter("to_unit__path", paths))


def incoming_for(user):
    """Pending transfers waiting for the user's units to accept them."""
    paths = jurisdiction_paths(user)
    queryset = pending_transfers().filter(to_unit__isnull=False)
    if paths is None:
        return queryset
    if not paths:
        return queryset.none()
    return queryset.filter(path_filter("to_unit__path", paths))


def _may_change(user):
    if user is None or not user.has_perm("control.change_controlcase"):
        raise PermissionDenied(_("您没有办理管控对象的权限。"))


def transfer_case(case, *, to_unit=None, to_area="", reason, by, now):
    """Hand the case to another unit (which must accept it) or to an area outside the system."""
    _may_change(by)
    reason = (reason or "").strip()
    to_area = (to_area or "").strip()
    if not reason:
        raise ValidationError({"reason": _("移交须填写原因。")})
    if (to_unit is None) == (not to_area):
        raise ValidationError({"to_unit": _("请选择接收单位，或填写外地接收地区（二选一）。")})
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().select_related("person", "unit").get(pk=case.pk)
        _active(case)
        if not covers(by, case.unit):
            raise PermissionDenied(_("只有责任单位可以移交该管控对象。"))
        if to_unit is not None and to_unit.pk == case.unit_id:
            raise ValidationError({"to_unit": _("接收单位与当前责任单位相同。")})
        if pending_transfers().filter(case=case).exists():
            raise ValidationError(_("该管控对象已有待接收的移交。"))
        transfer = CaseTransfer.objects.create(
            case=case, from_unit=case.unit, to_unit=to_unit, to_area=to_area[:100], reason=reason,
            requested_at=now, requested_by=by,
        )
    if to_unit is not None:
        raise_alert(
            AlertKind.TRANSFER_PENDING, to_unit, key=transfer_key(transfer),
            title=_("协查移交待接收：%(name)s（%(from)s移交）") % {"name": case.person.name, "from": case.unit.name},
            detail=reason, subject=transfer, now=now,
        )
    return transfer


def _claim(transfer, **changes):
    """Settle a pending transfer with a conditional update; False when somebody else did."""
    return bool(
        CaseTransfer.objects.filter(pk=transfer.pk, accepted_at__isnull=True, declined_at__isnull=True).update(
            **changes
        )
    )


def accept_transfer(transfer, by, now):
    """The receiving unit takes the case over: it moves there with its tests, slots and entries."""
    _may_change(by)
    if transfer.to_unit_id is None:
        raise ValidationError(_("移交外地的档案由移交单位确认交接。"))
    to_unit = Unit.objects.get(pk=transfer.to_unit_id)
    if not covers(by, to_unit):
        raise PermissionDenied(_("只有接收单位可以接收该移交。"))
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().get(pk=transfer.case_id)
        if not _claim(transfer, accepted_at=now, accepted_by=by):
            raise ValidationError(_("该移交已处理。"))
        case.unit = to_unit
        _history(case, by, _("接收移交"))
        case.save()
        for model in (CaseTest, FollowUpSlot, FollowUpEntry):
            model.objects.filter(case=case).update(unit_path=case.unit_path)
    resolve_alerts(AlertKind.TRANSFER_PENDING, transfer_key(transfer), now=now, note=_("已接收"))
    transfer.refresh_from_db()
    return transfer


def decline_transfer(transfer, by, now, reason):
    """The receiving unit declines: the case stays with the sender, who is told why."""
    _may_change(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("退回须填写原因。")})
    if transfer.to_unit_id is None or not covers(by, Unit.objects.get(pk=transfer.to_unit_id)):
        raise PermissionDenied(_("只有接收单位可以退回该移交。"))
    if not _claim(transfer, declined_at=now, decline_reason=reason):
        raise ValidationError(_("该移交已处理。"))
    resolve_alerts(AlertKind.TRANSFER_PENDING, transfer_key(transfer), now=now, note=_("已退回"))
    transfer.refresh_from_db()
    case = transfer.case
    raise_alert(
        AlertKind.OTHER, transfer.from_unit, key=f"{transfer_key(transfer)}:declined",
        title=_("协查移交被退回：%(name)s") % {"name": case.person.name}, detail=reason, subject=transfer, now=now,
    )
    return transfer


def confirm_handover(transfer, by, now, note=""):
    """The sender confirms a case handed to an area outside the system was taken over: the case
    is closed as transferred out."""
    _may_change(by)
    if transfer.to_unit_id is not None:
        raise ValidationError(_("移交本系统单位的档案须由接收单位接收。"))
    if not covers(by, transfer.from_unit):
        raise PermissionDenied(_("只有移交单位可以确认交接。"))
    with transaction.atomic():
        case = ControlCase.objects.select_for_update().get(pk=transfer.case_id)
        if case.status not in ACTIVE_STATUSES:
            raise ValidationError(_("该管控对象已结案。"))
        if not _claim(transfer, accepted_at=now, accepted_by=by):
            raise ValidationError(_("该移交已处理。"))
        text = _("已移交%(area)s：%(reason)s") % {"area": transfer.to_area, "reason": transfer.reason}
        _finish(case, CaseStatus.TRANSFERRED_OUT, by, now, (note or "").strip() or text)
    transfer.refresh_from_db()
    return transfer
