"""The summary line of `functions-cli preview` counts errors in words: one new error,
two new errors (the editor's Preview tab says the same)."""

from functions_cli.preview import summary_lines

LISTS = {"changed": 0, "new": 0, "missing": 0}


def summary(new: int, fixed: int, changed: int) -> str:
    counts = {"compared": 5, "same": 1, "different": 4, "new_errors": new,
              "fixed_errors": fixed, "changed_errors": changed,
              "events": LISTS, "objects": LISTS}  # fmt: skip
    return summary_lines({"summary": counts, "source": "orders", "fetch": ""})[0]


def test_one_error_is_one_error_and_two_are_errors():
    assert summary(1, 1, 1) == (
        "5 webhooks of orders: 1 same, 4 different (1 new error, 1 error gone, 1 error changed)"
    )
    assert summary(2, 0, 3) == (
        "5 webhooks of orders: 1 same, 4 different (2 new errors, 3 errors changed)"
    )
