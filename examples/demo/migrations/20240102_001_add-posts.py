# SPDX-License-Identifier: MIT
"""A Python migration: apply() and undo() return the SQL to run."""

TABLE = "posts"


def apply():
    return f"""
CREATE TABLE {TABLE} (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL
);
CREATE INDEX {TABLE}_user_id ON {TABLE}(user_id);
"""


def undo():
    return f"DROP TABLE {TABLE};"
