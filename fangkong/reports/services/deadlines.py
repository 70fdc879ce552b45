"""Missing filings at the deadline (日报未报), through the shared alert mechanism."""


def check_report_deadlines(now=None):
    return {}
