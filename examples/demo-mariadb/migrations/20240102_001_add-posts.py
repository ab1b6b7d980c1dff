# SPDX-License-Identifier: MIT
"""A Python migration: apply() and undo() return the SQL to run."""

TABLE = "posts"


def apply():
    return f"""
CREATE TABLE {TABLE} (
    id INT AUTO_INCREMENT PRIMARY KEY,
    user_id INT NOT NULL,
    title VARCHAR(200) NOT NULL,
    CONSTRAINT {TABLE}_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;
CREATE INDEX {TABLE}_title ON {TABLE} (title);
"""


def undo():
    return f"DROP TABLE {TABLE};"
