"""Regenerate src/charterdsl/parse-tables.json after changing grammar/charter.lark."""

from pathlib import Path

from charterdsl.parser import TABLES, write_tables

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "src" / "charterdsl" / TABLES
    write_tables(target)
    print(f"wrote {target}")
