"""Disposing of a lead with outcome case_opened opens a control case for the person (registered
provisionally when nobody matched)."""


from fangkong.leads.models import LeadOutcome, LeadStatus
from fangkong.leads.services.intake import create_lead
from fangkong.leads.services.workflow import dispose_lead
from fangkong.people.models import Person

from .conftest import DAY, at


def test_case_opened_for_a_provisional_person(triad, newcomer):

    lead = create_lead("push", triad.county.county, {**newcomer, "category": "高风险地区返乡人员"}, at(DAY, 9))
    dispose_lead(lead, LeadOutcome.CASE_OPENED, triad.inside, at(DAY, 10))
    lead.refresh_from_db()
    person = Person.objects.get(id_number=newcomer["id_number"])
    assert person.unit == triad.county.east and lead.person == person
    assert lead.status == LeadStatus.DISPOSED
    case = lead.cases.get()
    assert (case.person, case.category, case.unit) == (person, "high_risk_area", triad.county.east)
