"""The publish ledger: what was sent where, and what came back; sqlite3 only here.

One row per product and platform. The intent is written (state in_flight) before any request that
makes something public, and the receipt right after, each in its own transaction, so a run killed at
any moment leaves a row that says exactly how far it got. Tokens and passwords never reach it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sokasi_post.models import Receipt
from sokasi_post.redaction import redact, redact_optional

LEDGER_FILE = "ledger.sqlite3"

# States of a product on a platform.
PENDING = "pending"  # not posted; the next run may send it
IN_FLIGHT = "in_flight"  # a request that creates the post was about to be sent, or was sent
PUBLISHED = "published"
SCHEDULED = "scheduled"  # handed to the platform's own scheduler
FAILED = "failed"  # the platform refused this content; resent only when the post changes
UNKNOWN = "unknown"  # sent, but no clear answer came back: look on the platform before resending
DONE = (PUBLISHED, SCHEDULED)
DOUBTFUL = (IN_FLIGHT, UNKNOWN)


@dataclass(frozen=True)
class Entry:
    """One product on one platform, as the ledger knows it."""

    slug: str
    platform: str
    state: str
    fingerprint: str | None
    remote_id: str | None
    permalink: str | None
    progress: dict[str, Any]
    attempts: int
    last_error: str | None
    updated_at: datetime
    published_at: datetime | None
    scheduled_for: datetime | None
    sent_at: datetime | None = None


def _create_posts(db: sqlite3.Connection) -> None:
    db.execute("""
        CREATE TABLE posts (
            slug TEXT NOT NULL,
            platform TEXT NOT NULL,
            state TEXT NOT NULL,
            fingerprint TEXT,
            remote_id TEXT,
            permalink TEXT,
            progress TEXT NOT NULL DEFAULT '{}',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            published_at TEXT,
            scheduled_for TEXT,
            PRIMARY KEY (slug, platform)
        )""")


def _add_sent_at_and_queue(db: sqlite3.Connection) -> None:
    # sent_at: when the last intent was written, so a look-up on the platform knows from when to search.
    db.execute("ALTER TABLE posts ADD COLUMN sent_at TEXT")
    db.execute("UPDATE posts SET sent_at = updated_at")
    # The queue: when each product was first seen ready (oldest first), and which slot released which product.
    db.execute("CREATE TABLE ready (slug TEXT PRIMARY KEY, first_ready_at TEXT NOT NULL)")
    db.execute("CREATE TABLE releases (slot TEXT NOT NULL, slug TEXT NOT NULL, released_at TEXT NOT NULL, "
               "PRIMARY KEY (slot, slug))")


def _add_imports_and_reports(db: sqlite3.Connection) -> None:
    # Chat messages already turned into products (so an import never drafts one twice), and report times.
    db.execute("CREATE TABLE imported (key TEXT PRIMARY KEY, slug TEXT NOT NULL, imported_at TEXT NOT NULL)")
    db.execute("CREATE TABLE reports (at TEXT NOT NULL)")


def _add_cooldowns_and_notices(db: sqlite3.Connection) -> None:
    # After an anti-abuse answer, nothing goes to that platform and account before not_before (NULL: until the
    # next successful login); strikes count the answers since the last success, so each repeat waits longer.
    db.execute("CREATE TABLE cooldowns (platform TEXT NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL, "
               "strikes INTEGER NOT NULL, since TEXT NOT NULL, not_before TEXT, reason TEXT NOT NULL, "
               "PRIMARY KEY (platform, account))")
    # One-time messages already shown (e.g. the first Facebook post's "look at it logged out").
    db.execute("CREATE TABLE notices (name TEXT PRIMARY KEY, at TEXT NOT NULL)")


# Named migrations, applied in order, each once (the table `migrations` remembers which ran).
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_create_posts", _create_posts),
    ("002_sent_at_and_queue", _add_sent_at_and_queue),
    ("003_imports_and_reports", _add_imports_and_reports),
    ("004_cooldowns_and_notices", _add_cooldowns_and_notices),
]


@dataclass(frozen=True)
class Cooldown:
    """A platform account resting after an anti-abuse answer: nothing is sent to it before `not_before`."""

    platform: str
    account: str
    kind: str  # errors.SLOW_DOWN, BLOCKED or CHALLENGE
    strikes: int  # anti-abuse answers since the last successful post
    since: datetime
    not_before: datetime | None  # None: until the next successful login
    reason: str

    def active(self, now: datetime) -> bool:
        """True while nothing may be sent."""
        return self.not_before is None or now < self.not_before


class Ledger:
    """The SQLite file in state_dir that remembers every post's state."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a receipt must survive a power cut right after it is written
        self._migrate()

    @classmethod
    def open(cls, state_dir: Path) -> Ledger:
        """The ledger of this state folder, created on first use."""
        return cls(state_dir / LEDGER_FILE)

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row["name"] for row in self.db.execute("SELECT name FROM migrations")}
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                migration(self.db)
                self.db.execute("INSERT INTO migrations VALUES (?, ?)", (name, self._now()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _now(self) -> str:
        return self.clock().isoformat()

    def get(self, slug: str, platform: str) -> Entry | None:
        """The ledger's row for this product and platform, if any."""
        row = self.db.execute("SELECT * FROM posts WHERE slug = ? AND platform = ?", (slug, platform)).fetchone()
        return _entry(row) if row else None

    def entries(self) -> list[Entry]:
        """Every row, by product then platform."""
        return [_entry(row) for row in self.db.execute("SELECT * FROM posts ORDER BY slug, platform")]

    def begin(self, slug: str, platform: str, fingerprint: str) -> None:
        """Record the intent to create the post, before the request is sent."""
        now = self._now()
        with self.db:
            self.db.execute(
                """INSERT INTO posts (slug, platform, state, fingerprint, attempts, created_at, updated_at, sent_at)
                   VALUES (?, ?, ?, ?, 1, ?, ?, ?)
                   ON CONFLICT (slug, platform) DO UPDATE SET
                       state = excluded.state, fingerprint = excluded.fingerprint, attempts = attempts + 1,
                       last_error = NULL, updated_at = excluded.updated_at, sent_at = excluded.sent_at""",
                (slug, platform, IN_FLIGHT, fingerprint, now, now, now),
            )

    def checkpoint(self, slug: str, platform: str, progress: dict[str, Any]) -> None:
        """Remember partial progress (e.g. uploaded photo ids) so a retry can reuse it."""
        with self.db:
            self.db.execute("UPDATE posts SET progress = ?, updated_at = ? WHERE slug = ? AND platform = ?",
                            (json.dumps(progress), self._now(), slug, platform))

    def succeed(self, slug: str, platform: str, receipt: Receipt) -> None:
        """Record the platform's receipt: the post exists (its problem, if it is not as sent, as the last error)."""
        state = SCHEDULED if receipt.scheduled_for else PUBLISHED
        with self.db:
            self.db.execute(
                """UPDATE posts SET state = ?, remote_id = ?, permalink = ?, published_at = ?, scheduled_for = ?,
                       last_error = ?, updated_at = ? WHERE slug = ? AND platform = ?""",
                (state, receipt.remote_id, redact_optional(receipt.permalink), receipt.at.isoformat(),
                 receipt.scheduled_for.isoformat() if receipt.scheduled_for else None, redact_optional(receipt.problem),
                 self._now(), slug, platform),
            )

    def settle(self, slug: str, platform: str, state: str, error: str) -> None:
        """Record how an attempt ended without a receipt: pending, failed or unknown, with the reason.

        Every text a platform may have written (reasons, problems, links) is stored through redaction.redact, here
        rather than in the callers, so no way of reaching the ledger can store a secret a server echoed.
        """
        with self.db:
            self.db.execute("UPDATE posts SET state = ?, last_error = ?, updated_at = ? WHERE slug = ? AND platform = ?",
                            (state, redact(error), self._now(), slug, platform))

    def first_ready(self, slug: str) -> datetime:
        """When this product was first seen ready to go (remembered from the first time asked)."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO ready VALUES (?, ?)", (slug, self._now()))
        return datetime.fromisoformat(self.db.execute("SELECT first_ready_at FROM ready WHERE slug = ?", (slug,)).fetchone()[0])

    def released_in(self, slot: str) -> int:
        """How many products the posting slot `slot` has released."""
        return self.db.execute("SELECT COUNT(*) FROM releases WHERE slot = ?", (slot,)).fetchone()[0]

    def release(self, slot: str, slug: str) -> None:
        """Record that `slot` released `slug` (before anything is sent, like every intent)."""
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO releases VALUES (?, ?, ?)", (slot, slug, self._now()))

    def imported(self, keys: list[str]) -> set[str]:
        """Which of these chat message keys were imported before."""
        found = set()
        for key in keys:
            if self.db.execute("SELECT 1 FROM imported WHERE key = ?", (key,)).fetchone():
                found.add(key)
        return found

    def remember_import(self, keys: list[str], slug: str) -> None:
        """Record that these chat messages became product `slug`."""
        now = self._now()
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO imported VALUES (?, ?, ?)", [(key, slug, now) for key in keys])

    def last_report(self) -> datetime | None:
        """When the last report for the group was made, if ever."""
        row = self.db.execute("SELECT MAX(at) FROM reports").fetchone()
        return _time(row[0])

    def remember_report(self, at: datetime) -> None:
        with self.db:
            self.db.execute("INSERT INTO reports VALUES (?)", (at.isoformat(),))

    def cooldown(self, platform: str, account: str) -> Cooldown | None:
        """The last cool-down of this platform account (active or over), until a successful post clears it."""
        row = self.db.execute("SELECT * FROM cooldowns WHERE platform = ? AND account = ?", (platform, account)).fetchone()
        if row is None:
            return None
        return Cooldown(platform=row["platform"], account=row["account"], kind=row["kind"], strikes=row["strikes"],
                        since=_time(row["since"]), not_before=_time(row["not_before"]), reason=redact(row["reason"]))

    def cool_down(self, cooldown: Cooldown) -> None:
        """Record (or replace) a platform account's cool-down."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO cooldowns VALUES (?, ?, ?, ?, ?, ?, ?)", (
                cooldown.platform, cooldown.account, cooldown.kind, cooldown.strikes, cooldown.since.isoformat(),
                cooldown.not_before.isoformat() if cooldown.not_before else None, redact(cooldown.reason)))

    def end_cooldown(self, platform: str, account: str, kind: str | None = None) -> None:
        """Forget the cool-down (after a successful post; after a login, only one of `kind`)."""
        with self.db:
            if kind is None:
                self.db.execute("DELETE FROM cooldowns WHERE platform = ? AND account = ?", (platform, account))
            else:
                self.db.execute("DELETE FROM cooldowns WHERE platform = ? AND account = ? AND kind = ?", (platform, account, kind))

    def first_time(self, notice: str) -> bool:
        """True the first time this one-time notice is asked for (and remembered as shown), False ever after."""
        with self.db:
            return self.db.execute("INSERT OR IGNORE INTO notices VALUES (?, ?)", (notice, self._now())).rowcount == 1

    def count_published_since(self, platform: str, since: datetime) -> int:
        """How many posts went out on `platform` from `since` on (for a daily limit)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM posts WHERE platform = ? AND state IN (?, ?) AND published_at >= ?",
            (platform, PUBLISHED, SCHEDULED, since.astimezone(UTC).isoformat()),
        ).fetchone()
        return row[0]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        slug=row["slug"], platform=row["platform"], state=row["state"], fingerprint=row["fingerprint"],
        remote_id=row["remote_id"], permalink=row["permalink"], progress=json.loads(row["progress"] or "{}"),
        attempts=row["attempts"], last_error=redact_optional(row["last_error"]), updated_at=_time(row["updated_at"]),
        published_at=_time(row["published_at"]), scheduled_for=_time(row["scheduled_for"]), sent_at=_time(row["sent_at"]),
    )
