"""Small database helpers shared by the worker passes."""

from django.db import connection
from django.db.models.expressions import RawSQL


def relaxed_commit():
    """Inside a transaction of a worker pass on PostgreSQL: commit without waiting for the WAL
    to reach the disk. Safe for passes that can be repeated: if the server crashes before the
    commit is flushed, the transaction is lost as a whole and the next pass does it again (its
    claims are conditional updates). No effect on SQLite."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


# SQL types of the columns a derived table can carry: PostgreSQL array type, SQLite cast.
_TYPES = {"bigint": ("bigint[]", "INTEGER"), "int": ("int[]", "INTEGER"), "timestamptz": ("timestamptz[]", "TEXT"),
          "text": ("text[]", "TEXT"), "bool": ("boolean[]", "INTEGER")}


def rows_table(columns, rows):
    """A derived table `(…) AS t(col, …)`-like SQL fragment holding `rows`, passed as one parameter
    per column on PostgreSQL (unnest of arrays) or one JSON parameter on SQLite, so that
    statements over thousands of rows stay short to build and to parse. `columns` is
    [(name, type)] with types from _TYPES; datetimes must be aware. Returns (sql, params)."""
    names = [name for name, _type in columns]
    if connection.vendor == "postgresql":
        arrays, params = [], []
        for i, (_name, kind) in enumerate(columns):
            if kind in ("bigint", "int"):
                # Integers as one comma-separated text (empty: NULL): the driver quotes a list
                # element by element, which costs more than the query for tens of thousands.
                arrays.append(f"string_to_array(%s, ',', '')::{_TYPES[kind][0]}")
                params.append(",".join("" if row[i] is None else str(int(row[i])) for row in rows))
            elif kind == "text" and (joined := _joined([row[i] for row in rows])) is not None:
                # Texts likewise, as one text split at a character they do not hold: quoting an
                # array of long texts (an alert's list of names) costs several times more.
                arrays.append("string_to_array(%s, chr(31))")
                params.append(joined)
            else:
                arrays.append(f"%s::{_TYPES[kind][0]}")
                params.append([row[i] for row in rows])
        sql = f"(SELECT * FROM unnest({', '.join(arrays)}) AS t({', '.join(names)}))"
        return sql, params
    import json

    adapt = connection.ops.adapt_datetimefield_value
    picks = ", ".join(
        f"CAST(json_extract(value, '$[{i}]') AS {_TYPES[kind][1]}) AS {name}" for i, (name, kind) in enumerate(columns)
    )
    data = [[adapt(v) if kind == "timestamptz" else v for v, (_n, kind) in zip(row, columns)] for row in rows]
    return f"(SELECT {picks} FROM json_each(%s))", [json.dumps(data)]


_SEPARATOR = "\x1f"  # the unit separator, chr(31): no text a person types holds it


def _joined(texts):
    """`texts` (two or more, none of them None) joined by the separator, or None when they cannot
    be: a NULL, a value that is not a text, or a text that holds the separator."""
    if len(texts) < 2:  # string_to_array gives no element for an empty text
        return None
    try:
        joined = _SEPARATOR.join(texts)
    except TypeError:
        return None
    return joined if joined.count(_SEPARATOR) == len(texts) - 1 else None


def values_in(values, kind):
    """A subquery of `values` (of a type of _TYPES) for `field__in=` over thousands of them: one
    parameter for all (see `rows_table`), where a list gives one placeholder each."""
    table, params = rows_table([("value", kind)], [(value,) for value in values])
    return RawSQL(f"SELECT value FROM {table} v", params)


def take_pks(model, count):
    """`count` pks taken from the sequence of `model`'s table (PostgreSQL), for rows written
    later whose pks are needed first."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, count])
        return [pk for (pk,) in cursor.fetchall()]


# The derived-table type that carries each kind of model field `insert_many` writes.
_FIELD_TYPES = {
    "CharField": "text", "TextField": "text", "SlugField": "text", "ForeignKey": "bigint", "OneToOneField": "bigint",
    "BigIntegerField": "bigint", "PositiveBigIntegerField": "bigint", "IntegerField": "bigint",
    "PositiveIntegerField": "bigint", "SmallIntegerField": "bigint", "PositiveSmallIntegerField": "bigint",
    "DateTimeField": "timestamptz", "BooleanField": "bool",
}


def insert_rows(model, names, rows):
    """Insert `rows`, tuples of the values of the fields `names` (by attname: `unit_id`), into
    `model`'s table, every other field taking its default (a callable default is called once for
    all the rows); returns the new pks in the rows' order. No instance is made: for the thousands
    of rows a pass writes whose objects nobody needs (an alert's steps and deliveries). Every
    field but the pk must be of a kind in _FIELD_TYPES, and a field left out must not be set on
    save (auto_now): a TypeError says which is not. On PostgreSQL one INSERT … SELECT over a
    derived table, its pks taken from the sequence first; elsewhere bulk_create."""
    meta = model._meta
    by_name = {f.attname: f for f in meta.concrete_fields if not f.primary_key}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise TypeError(f"insert_rows: {meta.label} has no field {', '.join(unknown)}")
    defaults = {}
    for name, f in by_name.items():
        if name not in names:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                raise TypeError(f"insert_rows cannot leave out {meta.label}.{f.name}, which is set on save")
            defaults[name] = f.get_default()
    columns = [*names, *defaults]
    kinds = []
    for name in columns:
        kind = _FIELD_TYPES.get(by_name[name].get_internal_type())
        if kind is None:
            raise TypeError(f"insert_rows cannot write {meta.label}.{by_name[name].name} "
                            f"({by_name[name].get_internal_type()})")
        kinds.append(kind)
    rows = list(rows)
    if not rows:
        return []
    tail = tuple(defaults.values())
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**dict(zip(columns, (*row, *tail)))) for row in rows])
        return [obj.pk for obj in objs]
    pks = take_pks(model, len(rows))
    quote = connection.ops.quote_name
    table, params = rows_table([("c0", "bigint"), *((f"c{i + 1}", kind) for i, kind in enumerate(kinds))],
                               [(pk, *row, *tail) for pk, row in zip(pks, rows)])
    names_sql = ", ".join(quote(column) for column in [meta.pk.column, *(by_name[n].column for n in columns)])
    picks = ", ".join(f"v.c{i}" for i in range(len(columns) + 1))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({names_sql}) SELECT {picks} FROM {table} v", params)
    return pks


def insert_many(model, objs):
    """Insert the unsaved instances `objs` of `model` and set their pks, as bulk_create does, but
    on PostgreSQL as one INSERT … SELECT over a derived table (see `insert_rows`): for thousands
    of rows bulk_create spends more on building and quoting its placeholders than the database
    spends inserting. Every field but the pk must be of a kind in _FIELD_TYPES (a TypeError says
    which is not). Returns `objs`."""
    objs = list(objs)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for f in fields:
        if f.get_internal_type() not in _FIELD_TYPES:
            raise TypeError(f"insert_many cannot write {meta.label}.{f.name} ({f.get_internal_type()})")
    if connection.vendor != "postgresql" or not objs:
        return model.objects.bulk_create(objs)
    text = [_FIELD_TYPES[f.get_internal_type()] == "text" for f in fields]
    rows = []
    for obj in objs:
        values = [f.pre_save(obj, add=True) for f in fields]
        rows.append([None if value is None else str(value) if is_text else value
                     for value, is_text in zip(values, text)])
    pks = insert_rows(model, [f.attname for f in fields], rows)
    for obj, pk in zip(objs, pks):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
