"""The persons ledger (人员台账): template, import, export and synthetic ledgers — the one
entry point that pages, commands and the API call.

    import_persons(path, *, unit, user=None, file_name=None, dry_run=False) -> ImportBatch
    export_persons(queryset, out, *, masked)
    write_persons_template(out)
    generate_persons(out, count, unit_codes=())
    LedgerError: a file that cannot be read at all (Chinese message)
"""

from .exporter import export_persons
from .generator import generate_persons
from .importer import import_persons
from .sheets import LedgerError
from .template import write_persons_template

__all__ = ["LedgerError", "export_persons", "generate_persons", "import_persons", "write_persons_template"]
