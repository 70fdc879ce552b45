"""A campaign's screening criteria applied to the answers of a visit: whoever meets them is
marked for follow-up (需跟进排查) with the reasons, for key-person control to take up."""

from django.utils.translation import gettext as _

from fangkong.screening.models import FollowUpFlag, FollowUpReason, Symptom

from .places import concerns, places_of_concern_visited


def reasons_for(campaign, answer, concern_list=None):
    """Why this answer meets the campaign's criteria: [{"code", "detail"}], empty when it does not."""
    reasons = []
    if campaign.flag_travel:
        if concern_list is None:
            concern_list = concerns(campaign.places_of_concern)
        for place, entry in places_of_concern_visited(concern_list, answer.places_visited):
            detail = place if place == entry else _("%(place)s（属%(concern)s）") % {"place": place, "concern": entry}
            reasons.append({"code": FollowUpReason.TRAVEL, "detail": detail})
    if campaign.flag_case_contact and answer.case_contact:
        reasons.append({"code": FollowUpReason.CASE_CONTACT, "detail": ""})
    if campaign.flag_symptoms:
        if answer.temperature is not None and answer.temperature >= campaign.fever_threshold:
            reasons.append({"code": FollowUpReason.FEVER, "detail": f"{answer.temperature}℃"})
        labels = dict(Symptom.choices)
        symptoms = [str(labels[code]) for code in answer.symptoms if code in labels]
        if symptoms:
            reasons.append({"code": FollowUpReason.SYMPTOMS, "detail": "、".join(symptoms)})
    return reasons


def flag_follow_ups(visit):
    """Mark the members whose answers meet the criteria; returns the flags made or renewed.

    A person keeps one open flag per campaign: a later visit that finds them again brings
    that flag's reasons and visit up to date instead of listing them twice."""
    campaign = visit.campaign
    concern_list = concerns(campaign.places_of_concern)
    flags = []
    for answer in visit.answers.select_related("person"):
        reasons = reasons_for(campaign, answer, concern_list)
        if not reasons:
            continue
        person = answer.person
        flag, created = FollowUpFlag.objects.get_or_create(
            person=person, campaign=campaign, resolved_at__isnull=True,
            defaults={"visit": visit, "reasons": reasons},
        )
        if not created:
            flag.visit = visit
            flag.reasons = reasons
            flag.save(update_fields=["visit", "reasons"])
        if not person.needs_follow_up:
            person.needs_follow_up = True
            person.save(update_fields=["needs_follow_up", "updated_at"])
        flags.append(flag)
    return flags
