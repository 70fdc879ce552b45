"""The preset roles: code, name, and the permissions each holds. Kept as data so a
deployment can grant more in the admin; `ensure_roles` (after every migrate) creates missing
roles and gives each role the preset permissions it lacks, so a permission added by a later
release reaches existing deployments."""

from django.contrib.auth.models import Permission

READ = ["orgs.view_unit", "people.view_person", "people.view_household", "screening.view_campaign",
        "screening.view_visit"]
IDENTITY = ["people.view_identity"]
EXPORT = ["people.export_person"]
EDIT_PEOPLE = ["people.add_person", "people.change_person", "people.add_household", "people.change_household",
               "people.import_person"]
VISIT = ["screening.add_visit", "screening.change_visit"]
CAMPAIGN = ["screening.add_campaign", "screening.change_campaign"]
UNITS = ["orgs.add_unit", "orgs.change_unit"]
CONTROL_READ = ["control.view_controlcase", "control.view_regimenversion", "control.view_followupentry",
                "leads.view_lead", "areas.view_riskarea", "sites.view_room", "sites.view_stay", "alerts.view_alert"]
LEADS = ["leads.add_lead", "leads.change_lead", "leads.dispose_lead"]
CONTROL = ["control.add_controlcase", "control.change_controlcase", "control.release_controlcase",
           "control.add_followupentry"]
FOLLOW_UP = ["control.add_followupentry"]
REGIMENS = ["control.add_regimenversion", "control.change_regimenversion", "control.change_regimenversion_cases",
            "areas.add_riskarea", "areas.change_riskarea"]
ALERTS = ["alerts.change_alert"]
ALERT_RULES = ["alerts.add_alertrule", "alerts.change_alertrule", "alerts.view_alertrule"]
REPORTS_READ = ["reports.view_filing", "reports.view_reportform", "reports.view_snapshot", "reports.view_bulletin",
                "reports.view_reporttemplate"]
# 填报: file the unit's daily report and correct it (with a reason).
REPORTS_FILE = ["reports.add_filing", "reports.change_filing"]
# 写汇报: write situation reports from the templates; upload new template versions.
REPORTS_WRITE = ["reports.generate_bulletin", "reports.add_reporttemplate"]
REPORT_FORMS = ["reports.add_reportform", "reports.change_reportform"]
TESTING_READ = ["testing.view_testinground", "testing.view_samplingpoint", "testing.view_tube", "testing.view_sample",
                "testing.view_labbatch", "testing.view_tuberesult", "testing.view_chase", "testing.view_retestorder",
                "testing.view_exemption", "testing.view_groupmember", "testing.view_frequencyrule"]
# 采样: open tubes at a point and scan people into them.
SAMPLING = ["testing.add_tube", "testing.change_tube", "testing.add_sample"]
# 实验室: receive tubes and report results.
LAB = ["testing.add_labbatch", "testing.add_tuberesult"]
# 查验核酸证明: checkpoints and school or company gates ask whether a person holds a negative result.
CERTIFICATE = ["testing.view_sample"]
TESTING_ROUNDS = ["testing.add_testinground", "testing.change_testinground", "testing.add_samplingpoint",
                  "testing.change_samplingpoint"]
# 应检尽检: record exemptions (卧床、外出) and who belongs to the key groups tested on a schedule.
COVERAGE = ["testing.add_exemption", "testing.change_exemption", "testing.delete_exemption", "testing.add_groupmember",
            "testing.change_groupmember"]
# 定期检测频次: the testing frequency of key groups, as versioned data.
FREQUENCY_RULES = ["testing.add_frequencyrule", "testing.change_frequencyrule"]
VACCINATION_READ = ["vaccination.view_product", "vaccination.view_dose", "vaccination.view_deferral"]
# 导入接种名单: import doses from vaccination lists.
VACCINATION_IMPORT = ["vaccination.add_dose", "vaccination.change_dose"]
# 暂缓接种: record who should not be vaccinated for now (禁忌症).
VACCINATION_DEFER = ["vaccination.add_deferral", "vaccination.change_deferral"]
SITES = ["sites.add_room", "sites.change_room", "sites.add_stay", "sites.change_stay"]

ROLES = [
    ("leader", "指挥长/领导", "查看辖区全部数据", READ + IDENTITY + EXPORT + CAMPAIGN + CONTROL_READ + REGIMENS + ALERTS
     + ALERT_RULES + REPORTS_READ + REPORTS_WRITE + TESTING_READ + FREQUENCY_RULES + VACCINATION_READ),
    ("statistician", "办公室统计员", "汇总、导入导出台账",
     READ + IDENTITY + EXPORT + EDIT_PEOPLE + CAMPAIGN + VISIT + UNITS + CONTROL_READ + LEADS + CONTROL + REGIMENS
     + SITES + ALERTS + ALERT_RULES + REPORTS_READ + REPORTS_FILE + REPORTS_WRITE + REPORT_FORMS
     + TESTING_READ + TESTING_ROUNDS + COVERAGE + FREQUENCY_RULES + VACCINATION_READ + VACCINATION_IMPORT
     + VACCINATION_DEFER),
    ("grid_worker", "网格员", "入户摸排、维护本网格人员、重点人员管控",
     READ + IDENTITY + EDIT_PEOPLE + VISIT + CONTROL_READ + LEADS + CONTROL + ALERTS + REPORTS_READ
     + REPORTS_FILE + TESTING_READ + COVERAGE + VACCINATION_READ + VACCINATION_DEFER),
    ("school_officer", "学校防控专员", "学校师生健康管理",
     READ + IDENTITY + EDIT_PEOPLE + CONTROL_READ + FOLLOW_UP + ALERTS + REPORTS_READ + REPORTS_FILE
     + CERTIFICATE),
    ("company_officer", "企业防控专员", "企业员工健康管理",
     READ + IDENTITY + EDIT_PEOPLE + CONTROL_READ + FOLLOW_UP + ALERTS + REPORTS_READ + REPORTS_FILE
     + CERTIFICATE),
    ("checkpoint_staff", "卡口值守人员", "卡口查验登记", READ + ["leads.add_lead"] + CERTIFICATE),
    ("isolation_staff", "隔离点工作人员", "隔离点人员管理", READ + IDENTITY + CONTROL_READ + FOLLOW_UP + SITES
     + ALERTS),
    ("testing_staff", "核酸检测人员", "采样检测", READ + IDENTITY + TESTING_READ + SAMPLING + LAB + ["alerts.view_alert"]),
    ("vaccination_staff", "疫苗接种人员", "导入接种名单、登记暂缓接种",
     READ + IDENTITY + VACCINATION_READ + VACCINATION_IMPORT + VACCINATION_DEFER),
    ("inspector", "督查人员", "督导检查", READ + CONTROL_READ + REPORTS_READ + TESTING_READ + VACCINATION_READ),
    ("readonly", "只读", "只能查看（证件号、手机号脱敏）", READ + CONTROL_READ + REPORTS_READ + TESTING_READ
     + VACCINATION_READ),
]


def ensure_roles(**kwargs):
    from .models import Role

    for code, name, description, perms in ROLES:
        role, _created = Role.objects.get_or_create(code=code, defaults={"name": name, "description": description})
        wanted = Permission.objects.none()
        for label in perms:
            app_label, codename = label.split(".")
            wanted |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        role.permissions.add(*wanted)
