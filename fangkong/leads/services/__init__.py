"""Leads (排查线索): routing to the unit of the person's address, intake with deadlines from
the policy in force, verification and disposal, the overdue check the worker runs, imports
of pushed lists and assistance letters, and leads from door-to-door screening."""
