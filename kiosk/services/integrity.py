"""Is the store's data what the product promises? SQLite's own checks and our invariants.

Each invariant is one entry in ``INVARIANTS``: a name, the rule in a sentence, and one
SELECT that returns the rows breaking it (none when it holds), in SQL that SQLite and
PostgreSQL both run. Constraints already guard some of them; the check still asks, because
a restored old file, a hand-made fix or a migration can slip past a constraint.

A branch that adds a device status, a table or a rule adds its entry here (and a test that
plants a row breaking it, in ``tests/db/test_check.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from peewee import Database, SqliteDatabase

from .. import migrate


@dataclass(frozen=True)
class Invariant:
    name: str
    rule: str  # what must hold, in words an operator can act on
    sql: str  # selects the rows that break the rule


@dataclass(frozen=True)
class Finding:
    name: str
    rule: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # the offenders; empty when the rule holds

    @property
    def ok(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class CheckReport:
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.findings)

    @property
    def broken(self) -> list[Finding]:
        return [f for f in self.findings if not f.ok]


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "unit_life_matches_status",
        "A unit's last recorded step (its life, device_event) left it in the status it has.",
        """SELECT d.id AS device_id, d.serial, d.status, e.event AS last_step,
                  e.status AS left_as
           FROM device d
           JOIN device_event e ON e.device_id = d.id
           WHERE e.id = (SELECT MAX(x.id) FROM device_event x WHERE x.device_id = d.id)
             AND e.status <> d.status
           ORDER BY d.id""",
    ),
    Invariant(
        "sold_unit_sold_once",
        "A unit leaves our stock (by a sale line, or as a replacement) once more than it came "
        "back sealed under money back while a customer or the maker's return has it (sold, "
        "replaced out, returned), and exactly as often as it came back while it is in stock or "
        "on the road. A unit bought elsewhere and registered at the desk never left our stock.",
        """SELECT device_id, serial, status, sale_lines, replacements, sealed_returns
           FROM (SELECT d.id AS device_id, d.serial, d.status, r.source,
                        (SELECT COUNT(*) FROM sale_line l WHERE l.device_id = d.id) AS sale_lines,
                        (SELECT COUNT(*) FROM swap n WHERE n.new_device_id = d.id) AS replacements,
                        (SELECT COUNT(*) FROM swap b
                         WHERE b.old_device_id = d.id AND b.unit_state = 'sealed') AS sealed_returns
                 FROM device d LEFT JOIN registration r ON r.id = d.registration_id) u
           WHERE (status IN ('in_stock', 'in_transit')
                  AND sale_lines + replacements - sealed_returns <> 0)
              OR (status IN ('sold', 'replaced_out', 'returned')
                  AND sale_lines + replacements - sealed_returns <> 1
                  AND NOT (sale_lines + replacements = 0
                           AND COALESCE(source, '') = 'staff_entered'))
              OR (status IN ('shipped', 'lost', 'damaged')
                  AND sale_lines + replacements - sealed_returns NOT IN (0, 1))
           ORDER BY device_id""",
    ),
    Invariant(
        "unit_status_matches_history",
        "A unit's status agrees with the last swap that took it back: in stock, on the road or "
        "sold again only after a sealed money back; replaced out only after a warranty or "
        "accident swap; returned only after an opened or faulty money back.",
        """SELECT d.id AS device_id, d.serial, d.status, o.outcome AS last_taken_back_as,
                  o.unit_state
           FROM device d
           LEFT JOIN swap o
             ON o.id = (SELECT MAX(x.id) FROM swap x WHERE x.old_device_id = d.id)
           WHERE (d.status IN ('in_stock', 'in_transit', 'sold') AND o.id IS NOT NULL
                  AND NOT (o.outcome = 'money_back' AND o.unit_state = 'sealed'))
              OR (d.status = 'replaced_out' AND (o.id IS NULL OR o.outcome = 'money_back'))
              OR (d.status = 'returned'
                  AND (o.id IS NULL OR o.outcome <> 'money_back' OR o.unit_state = 'sealed'))
           ORDER BY d.id""",
    ),
    Invariant(
        "stock_never_negative",
        "No stock count is below zero.",
        """SELECT id AS stock_level_id, store_id, product_id, quantity
           FROM stock_level WHERE quantity < 0 ORDER BY id""",
    ),
    Invariant(
        "one_accident_per_chain",
        "A registration chain has at most one accidental damage replacement.",
        """SELECT registration_id, COUNT(*) AS accident_swaps FROM swap
           WHERE outcome = 'accident' GROUP BY registration_id HAVING COUNT(*) > 1
           ORDER BY registration_id""",
    ),
    Invariant(
        "one_live_unit_per_chain",
        "A registration chain has at most one unit in the customer's hands (status sold).",
        """SELECT registration_id, COUNT(*) AS live_units FROM device
           WHERE registration_id IS NOT NULL AND status = 'sold'
           GROUP BY registration_id HAVING COUNT(*) > 1 ORDER BY registration_id""",
    ),
    Invariant(
        "chain_flags_match_swaps",
        "A chain's accident and money-back flags are set exactly when it has such a swap, "
        "and a money-back return ended the chain.",
        # SQLite keeps booleans as 0/1 and PostgreSQL as true/false: CASE makes both 0/1.
        """SELECT r.id AS registration_id,
                  CASE WHEN r.accident_claim_used THEN 1 ELSE 0 END AS accident_flag,
                  COUNT(DISTINCT a.id) AS accident_swaps,
                  CASE WHEN r.money_back_used THEN 1 ELSE 0 END AS money_back_flag,
                  COUNT(DISTINCT m.id) AS money_back_swaps,
                  r.ended_at
           FROM registration r
           LEFT JOIN swap a ON a.registration_id = r.id AND a.outcome = 'accident'
           LEFT JOIN swap m ON m.registration_id = r.id AND m.outcome = 'money_back'
           GROUP BY r.id, r.accident_claim_used, r.money_back_used, r.ended_at
           HAVING CASE WHEN r.accident_claim_used THEN 1 ELSE 0 END
                  <> CASE WHEN COUNT(DISTINCT a.id) > 0 THEN 1 ELSE 0 END
               OR CASE WHEN r.money_back_used THEN 1 ELSE 0 END
                  <> CASE WHEN COUNT(DISTINCT m.id) > 0 THEN 1 ELSE 0 END
               OR (COUNT(DISTINCT m.id) > 0 AND r.ended_at IS NULL)
           ORDER BY r.id""",
    ),
    Invariant(
        "sale_totals_match_lines",
        "A sale's total, subtotal, discount and VAT are the sums of its lines.",
        """SELECT s.id AS sale_id, s.total, COALESCE(SUM(l.line_total), 0) AS lines_total,
                  s.vat_total, COALESCE(SUM(l.vat_amount), 0) AS lines_vat
           FROM sale s LEFT JOIN sale_line l ON l.sale_id = s.id
           GROUP BY s.id, s.total, s.subtotal, s.discount_total, s.vat_total
           HAVING s.total <> COALESCE(SUM(l.line_total), 0)
              OR s.vat_total <> COALESCE(SUM(l.vat_amount), 0)
              OR s.subtotal <> COALESCE(SUM(CASE WHEN l.kind <> 'discount'
                                                 THEN l.line_total ELSE 0 END), 0)
              OR s.discount_total <> -COALESCE(SUM(CASE WHEN l.kind = 'discount'
                                                        THEN l.line_total ELSE 0 END), 0)
           ORDER BY s.id""",
    ),
    Invariant(
        "sale_with_devices_has_claim_token",
        "A sale with a device on it has its claim token (the receipt's QR).",
        """SELECT s.id AS sale_id FROM sale s
           WHERE EXISTS (SELECT 1 FROM sale_line l
                         WHERE l.sale_id = s.id AND l.device_id IS NOT NULL)
             AND NOT EXISTS (SELECT 1 FROM claim_token t WHERE t.sale_id = s.id)
           ORDER BY s.id""",
    ),
    Invariant(
        "sale_age_check_passed",
        "The age check a sale names was passed, in the sale's own store.",
        """SELECT s.id AS sale_id, a.id AS age_check_id, a.result, a.store_id AS check_store_id,
                  s.store_id
           FROM sale s JOIN age_check a ON a.id = s.age_check_id
           WHERE a.result <> 'passed' OR a.store_id <> s.store_id
           ORDER BY s.id""",
    ),
)


def run_checks(database: Database, migrations_dir: Path) -> CheckReport:
    """Every check on ``database`` (connected): SQLite's own first, then ours."""
    findings: list[Finding] = []
    if isinstance(database, SqliteDatabase):
        findings += _sqlite_checks(database)
    waiting = [p.stem for p in migrate.pending(database, migrations_dir)]
    findings.append(
        Finding(
            "migrations_applied",
            "Every migration of this kiosk version is applied (`flask --app kiosk db upgrade`).",
            ["pending_migration"],
            [(name,) for name in waiting],
        )
    )
    for invariant in INVARIANTS:
        cursor = database.execute_sql(invariant.sql)
        columns = [c[0] for c in cursor.description]
        findings.append(
            Finding(invariant.name, invariant.rule, columns, [tuple(r) for r in cursor.fetchall()])
        )
    return CheckReport(findings)


def _sqlite_checks(database: SqliteDatabase) -> list[Finding]:
    rows = [tuple(r) for r in database.execute_sql("PRAGMA integrity_check").fetchall()]
    integrity = Finding(
        "integrity",
        "SQLite finds every page, index and record of the file sound (PRAGMA integrity_check).",
        ["problem"],
        [] if rows == [("ok",)] else rows,
    )
    orphans = database.execute_sql("PRAGMA foreign_key_check").fetchall()
    foreign_keys = Finding(
        "foreign_keys",
        "Every row's references point at rows that exist (PRAGMA foreign_key_check).",
        ["table", "rowid", "references", "foreign_key"],
        [tuple(r) for r in orphans],
    )
    return [integrity, foreign_keys]
