"""Which INSERTs a rebuild merges into multi-row statements, and what it sends for them."""

from __future__ import annotations

import pytest

from consumers.runtime.multirow import MAX_PARAMS, MAX_ROWS, Statement, insert_shape, merged
from projections.core import Sql

NAMED = "INSERT INTO items (item, title, status, opened_at, seen_at) VALUES (%(item)s, %(title)s, 'open', %(at)s, %(at)s) ON CONFLICT (item) DO NOTHING"
POSITIONAL = "INSERT INTO notes (item, note) VALUES (%s, %s)"


@pytest.mark.parametrize("text", [
    NAMED,
    POSITIONAL,
    "insert into s.t(a, b, c) values (%s::uuid[], -3, NULL)",
    'INSERT INTO "Odd"."T" (a) VALUES (%s :: text) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING',
    "INSERT INTO t (a, b) VALUES (%s, DEFAULT) ON CONFLICT DO NOTHING;",
])
def test_single_row_inserts_of_placeholders_and_constants_merge(text: str) -> None:
    assert insert_shape(text) is not None


@pytest.mark.parametrize("text", [
    "INSERT INTO t (a) VALUES (%s) RETURNING id",  # what comes back would change
    "INSERT INTO t (a, n) VALUES (%s, 1) ON CONFLICT (a) DO UPDATE SET n = t.n + 1",  # a duplicate would fail
    "INSERT INTO t (a) VALUES ((SELECT max(a) + 1 FROM t))",  # a later row would not see the earlier ones
    "INSERT INTO t (a) VALUES (next_free(%s))",  # a function may read the table too
    "INSERT INTO t (a) SELECT %s WHERE NOT EXISTS (SELECT 1 FROM t)",
    "INSERT INTO t (a) VALUES (%s), (%s)",
    "INSERT INTO t (a) VALUES (%b)",
    "INSERT INTO t (a, b) VALUES (%s, '100%%')",
    "INSERT INTO t (a, b) VALUES (%s, %(b)s)",
    "UPDATE t SET a = %s WHERE b = %s",
])
def test_anything_else_is_left_as_it_is(text: str) -> None:
    assert insert_shape(text) is None


def test_a_run_becomes_one_statement_with_numbered_placeholders_and_a_repeated_name_sent_once() -> None:
    run = [Sql(NAMED, {"item": f"i{k}", "title": f"t{k}", "at": k, "unused": "x"}) for k in range(3)]

    (statement,) = merged(run)

    assert statement.numbered
    assert statement.text == (
        "INSERT INTO items (item, title, status, opened_at, seen_at) VALUES"
        " ($1, $2, 'open', $3, $3), ($4, $5, 'open', $6, $6), ($7, $8, 'open', $9, $9) ON CONFLICT (item) DO NOTHING"
    )
    assert statement.param_sets == [["i0", "t0", 0, "i1", "t1", 1, "i2", "t2", 2]]


def test_only_consecutive_statements_of_one_text_merge_and_the_order_is_kept() -> None:
    update = "UPDATE notes SET note = %s WHERE item = %s"
    statements = [Sql(POSITIONAL, ("a", "1")), Sql(POSITIONAL, ("b", "2")), Sql(update, ("x", "a")),
                  Sql(update, ("y", "b")), Sql(POSITIONAL, ("c", "3"))]

    out = merged(statements)

    assert out == [
        Statement("INSERT INTO notes (item, note) VALUES ($1, $2), ($3, $4)", [["a", "1", "b", "2"]], numbered=True),
        Statement(update, [("x", "a"), ("y", "b")]),
        Statement(POSITIONAL, [("c", "3")]),
    ]


def test_a_long_run_is_cut_to_the_rows_and_parameters_a_statement_may_take() -> None:
    run = [Sql(POSITIONAL, (str(k), "n")) for k in range(2 * MAX_ROWS + 1)]

    out = merged(run)

    assert [len(s.param_sets[0]) // 2 if s.numbered else len(s.param_sets) for s in out] == [MAX_ROWS, MAX_ROWS, 1]
    assert out[-1] == Statement(POSITIONAL, [(str(2 * MAX_ROWS), "n")])
    wide = "INSERT INTO w (" + ", ".join(f"c{k}" for k in range(300)) + ") VALUES (" + ", ".join(["%s"] * 300) + ")"
    shape = insert_shape(wide)
    assert shape is not None and shape.rows_per_statement * 300 <= MAX_PARAMS


def test_a_run_whose_parameters_do_not_fit_its_text_goes_out_as_it_was_for_the_driver_to_report() -> None:
    run = [Sql(NAMED, {"item": "a", "title": "t", "at": 1}), Sql(NAMED, {"item": "b", "at": 2})]

    assert merged(run) == [Statement(NAMED, [s.params for s in run])]
