"""Small database helpers shared by the worker passes."""

from django.db import connection


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
          "text": ("text[]", "TEXT")}


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
