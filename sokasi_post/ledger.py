"""The publish ledger: what was sent where, and what came back; sqlite3 only here.

One row per product and platform. The intent is written (state in_flight) before any request that
makes something public, and the receipt right after, each in its own transaction, so a run killed at
any moment leaves a row that says exactly how far it got. A post a run did not send leaves no row there: what
stopped it is kept apart (`setbacks`), for `status` and `report`. Tokens and passwords never reach it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sokasi_post.errors import StateError
from sokasi_post.i18n import _
from sokasi_post.models import Comment, Cooldown, Counts, Receipt
from sokasi_post.redaction import redact, redact_optional
from sokasi_post.states import Outcome, State
from sokasi_post.yamlfile import display_path

LEDGER_FILE = "ledger.sqlite3"
# Marks a platform whose posts were all looked for on the platform itself while the ledger remembered none of
# them (a new, emptied or lost ledger): until then, publish looks before it sends (docs/exactly-once.md).
CHECKED = "checked-on-"


@dataclass(frozen=True)
class Entry:
    """One product on one platform, as the ledger knows it."""

    slug: str
    platform: str
    state: State
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
    via: str | None = None  # the way the post was made where its platform has two ("graph", "instagrapi")


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


def _add_setbacks(db: sqlite3.Connection) -> None:
    # What the last run did with a post it could not send (stopped, held, resting, refused...), so `status` and
    # `report` can say it after the run; forgotten when the post goes out. Kept apart from `posts`, which only
    # holds posts that were sent (the exactly-once logic reads "no row" as "never sent").
    db.execute("CREATE TABLE setbacks (slug TEXT NOT NULL, platform TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL, "
               "detail TEXT NOT NULL, tries INTEGER NOT NULL, PRIMARY KEY (slug, platform))")


def _add_via(db: sqlite3.Connection) -> None:
    # Which way a post was made where its platform has two (Instagram: Meta's official API or instagrapi). The row
    # stays one per product and platform: a product posted one way is never posted again the other way.
    db.execute("ALTER TABLE posts ADD COLUMN via TEXT")


def _add_sales_loop(db: sqlite3.Connection) -> None:
    # The comments read on our posts, each once (`number` is the short id `inbox reply` takes); a forgotten or expired
    # one keeps its row without author or text, so that it is never stored again.
    db.execute("CREATE TABLE comments (number INTEGER PRIMARY KEY, platform TEXT NOT NULL, remote_id TEXT NOT NULL, "
               "slug TEXT NOT NULL, post_id TEXT NOT NULL, author TEXT, text TEXT, created_at TEXT NOT NULL, "
               "read_at TEXT NOT NULL, parent_id TEXT, ours INTEGER NOT NULL, question TEXT, "
               "UNIQUE (platform, remote_id))")
    # Our answer to a comment, at most one: the intent (in_flight) before it is sent, then its id (published).
    db.execute("CREATE TABLE replies (platform TEXT NOT NULL, comment_id TEXT NOT NULL, state TEXT NOT NULL, "
               "text TEXT NOT NULL, reply_id TEXT, sent_at TEXT, updated_at TEXT NOT NULL, error TEXT, "
               "PRIMARY KEY (platform, comment_id))")
    # The attention on each post over time: one row per reading.
    db.execute("CREATE TABLE attention (platform TEXT NOT NULL, slug TEXT NOT NULL, post_id TEXT NOT NULL, "
               "at TEXT NOT NULL, reactions INTEGER, comments INTEGER, shares INTEGER, likes INTEGER, "
               "PRIMARY KEY (platform, post_id, at))")
    # "Sold" written on a post: per product and platform, how far it got (done, in_flight, unknown, by_hand, failed).
    db.execute("CREATE TABLE sold_marks (slug TEXT NOT NULL, platform TEXT NOT NULL, state TEXT NOT NULL, "
               "updated_at TEXT NOT NULL, error TEXT, PRIMARY KEY (slug, platform))")
    # When a product was first seen sold, for the weekly report.
    db.execute("CREATE TABLE sold (slug TEXT PRIMARY KEY, at TEXT NOT NULL)")


def _add_automatic_answers(db: sqlite3.Connection) -> None:
    # Which answers went out without the coordinator asking (inbox.auto_reply), for their caps and the report.
    db.execute("ALTER TABLE replies ADD COLUMN auto INTEGER NOT NULL DEFAULT 0")


# Named migrations, applied in order, each once (the table `migrations` remembers which ran).
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("001_create_posts", _create_posts),
    ("002_sent_at_and_queue", _add_sent_at_and_queue),
    ("003_imports_and_reports", _add_imports_and_reports),
    ("004_cooldowns_and_notices", _add_cooldowns_and_notices),
    ("005_setbacks", _add_setbacks),
    ("006_via", _add_via),
    ("007_sales_loop", _add_sales_loop),
    ("008_automatic_answers", _add_automatic_answers),
]


@dataclass(frozen=True)
class Setback:
    """What the last run did with a post that needed attention and that it did not send (or that did not go out)."""

    slug: str
    platform: str
    at: datetime
    outcome: Outcome  # what the run did with it (STOPPED, BLOCKED, HELD, COOLING, REFUSED ...)
    detail: str  # the reason, in words, as the run said it
    tries: int  # runs in a row that tried to send it and were stopped (a hold or a rest does not count)


@dataclass(frozen=True)
class StoredComment:
    """A comment as the ledger keeps it: `number` is its short id; author and text are None once forgotten."""

    number: int
    platform: str
    remote_id: str
    slug: str
    post_id: str
    author: str | None
    text: str | None
    created_at: datetime
    read_at: datetime
    parent_id: str | None
    ours: bool
    question: str | None  # the kind of buyer's question (questions.question_kind), or None


@dataclass(frozen=True)
class StoredReply:
    """Our answer to one comment: its state (pending, in_flight, unknown, published, failed), text and id."""

    platform: str
    comment_id: str
    state: str
    text: str
    reply_id: str | None
    sent_at: datetime | None
    updated_at: datetime
    error: str | None
    auto: bool = False  # sent without the coordinator asking (inbox.auto_reply)


class _Outdated(Exception):
    """Opened for reading only, the ledger turns out to need a migration (written by an older version)."""


class _Damaged(Exception):
    """The ledger file is not a database this version can use (damaged, or written by a newer version)."""

    def __init__(self, reason: str, kind: str):
        super().__init__(reason)
        self.kind = kind  # "damaged" or "newer": also the word in the name of the file it is moved to


def _state_error(path: Path, error: sqlite3.Error) -> Exception:
    """sqlite3's error on the ledger -> _Damaged (the caller puts the file aside) or a StateError in words."""
    said = str(error).lower()
    where = display_path(path)
    if isinstance(error, sqlite3.DatabaseError) and any(word in said for word in ("malformed", "not a database", "corrupt")):
        return _Damaged(str(error), "damaged")
    if "readonly" in said or "read-only" in said:
        text = _("the state folder is read-only, so the ledger {path} cannot be written. Nothing was sent; make the folder "
                 "writable (or copy the project to a folder of your own) and run again")
    elif "locked" in said or "busy" in said:
        text = _("the ledger {path} stayed locked by another program for 30 seconds. Nothing was sent twice; close the other "
                 "sokasi-post (or the program that has the file open) and run again")
    elif "full" in said:
        text = _("the disk is full, so the ledger {path} cannot be written. Nothing will be sent twice (the next run looks "
                 "on the platforms first); free some space and run again")
    else:
        text = _("the ledger {path} cannot be used ({reason}). Nothing will be sent twice (the next run looks on the "
                 "platforms first); check that the state folder is yours and the disk is fine, then run again")
    return StateError(text.format(path=where, reason=error))


class _Connection(sqlite3.Connection):
    """A connection to the ledger whose errors say, in words, what is wrong with the file or the folder."""

    ledger_path = Path(LEDGER_FILE)

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.Error as error:
            raise _state_error(self.ledger_path, error) from None

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.Error as error:
            raise _state_error(self.ledger_path, error) from None


def _connect_read_only(path: Path) -> _Connection:
    """Open the ledger for reading only; in a folder that cannot be written (no room for SQLite's shared-memory
    file), as an unchanging file, which is what it is there."""
    uri = path.resolve().as_uri()
    db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None, factory=_Connection)
    try:
        sqlite3.Connection.execute(db, "SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
    return sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30, isolation_level=None, factory=_Connection)


class Ledger:
    """The SQLite file in state_dir that remembers every post's state; `with Ledger.open(state_dir) as ledger:`."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC), read_only: bool = False):
        self.path = path
        self.clock = clock
        self.read_only = read_only
        self.notes: list[str] = []  # what opening it had to do (a damaged file put aside), for the coordinator
        self.db: _Connection
        try:
            if read_only:
                self.db = _connect_read_only(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(path, timeout=30, isolation_level=None, factory=_Connection)
        except sqlite3.Error as error:
            raise _state_error(path, error) from None
        self.db.ledger_path = path
        self.db.row_factory = sqlite3.Row
        try:
            if not read_only:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")  # a receipt must survive a power cut right after it is written
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def open(cls, state_dir: Path, read_only: bool = False, notice: Callable[[str], None] | None = None) -> Ledger:
        """The ledger of this state folder, created on first use; for a `with` block, which closes it.

        A damaged file, or one written by a newer version, is never silently started afresh: it is moved aside
        (named in `notes`, and told through `notice`), and a new ledger begins, which makes `publish` look on the
        platforms before it sends anything. With `read_only`, nothing is written, moved or created: a missing ledger
        reads as empty.
        """
        ledger = cls._open_or_set_aside(state_dir, read_only)
        if notice is not None:
            for note in ledger.notes:
                notice(note)
        return ledger

    @classmethod
    def _open_or_set_aside(cls, state_dir: Path, read_only: bool) -> Ledger:
        """The ledger of this state folder; an older one brought up to date, a damaged or newer one put aside."""
        path = state_dir / LEDGER_FILE
        if read_only and not path.is_file():
            return cls(Path(":memory:"))
        try:
            return cls(path, read_only=read_only)
        except _Outdated:
            if not os.access(state_dir, os.W_OK):
                raise StateError(_("the ledger {path} needs an update that cannot be written here (the state folder is "
                                   "read-only); run sokasi-post once where it can write").format(
                    path=display_path(path))) from None
            return cls._open_or_set_aside(state_dir, False)  # an older version's ledger: brought up to date first
        except _Damaged as damaged:
            if read_only:
                raise StateError(_("the ledger {path} cannot be read ({reason}); run `sokasi-post doctor` once to put it "
                                   "aside and start a new one").format(
                    path=display_path(path), reason=damaged)) from None
            aside = path.with_name(f"{path.stem}.{damaged.kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}{path.suffix}")
            for suffix in ("", "-wal", "-shm"):  # the journal files belong to the damaged file, not to the new one
                part = Path(f"{path}{suffix}")
                if part.exists():
                    part.replace(Path(f"{aside}{suffix}"))
            ledger = cls(path)
            said = (_("was written by a newer version of sokasi-post ({reason})") if damaged.kind == "newer"
                    else _("is damaged ({reason})")).format(reason=damaged)
            ledger.notes.append(_("the ledger {path} {said}: it was moved to {aside} and a new ledger started. Before "
                                  "posting anything, publish now looks on Facebook and Instagram for every product, so "
                                  "nothing is posted twice").format(path=display_path(path), said=said,
                                                                      aside=display_path(aside)))
            return ledger

    def close(self) -> None:
        """Close the file; every write was already committed in its own transaction."""
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _migrate(self) -> None:
        """Apply the migrations not yet run (read only: refuse a ledger that needs one); refuse a newer version's ledger."""
        try:
            self.db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reads the header: is it a database?
        except sqlite3.DatabaseError as error:  # pragma: no cover - execute already translates
            raise _Damaged(str(error), "damaged") from None
        if self.read_only:
            tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            done = {row["name"] for row in self.db.execute("SELECT name FROM migrations")} if "migrations" in tables else set()
            if {name for name, _migration in MIGRATIONS} - done:
                raise _Outdated(display_path(self.path))
            self._refuse_newer(done)
            return
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {row["name"] for row in self.db.execute("SELECT name FROM migrations")}
        self._refuse_newer(done)
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

    @staticmethod
    def _refuse_newer(done: set[str]) -> None:
        """A ledger with migrations this version does not know was written by a newer one: _Damaged("newer")."""
        unknown = sorted(done - {name for name, _migration in MIGRATIONS})
        if unknown:
            raise _Damaged(_("it has the changes {names}, which this version does not know").format(names=", ".join(unknown)),
                           "newer")

    def _now(self) -> str:
        """The ledger clock's time, as stored."""
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
                (slug, platform, State.IN_FLIGHT, fingerprint, now, now, now),
            )

    def checkpoint(self, slug: str, platform: str, progress: dict[str, Any]) -> None:
        """Remember partial progress (e.g. uploaded photo ids) so a retry can reuse it."""
        with self.db:
            self.db.execute("UPDATE posts SET progress = ?, updated_at = ? WHERE slug = ? AND platform = ?",
                            (json.dumps(progress), self._now(), slug, platform))

    def succeed(self, slug: str, platform: str, receipt: Receipt) -> None:
        """Record the platform's receipt: the post exists (its problem, if it is not as sent, as the last error)."""
        state = State.SCHEDULED if receipt.scheduled_for else State.PUBLISHED
        with self.db:
            self.db.execute(
                """UPDATE posts SET state = ?, remote_id = ?, permalink = ?, published_at = ?, scheduled_for = ?,
                       last_error = ?, updated_at = ?, via = ? WHERE slug = ? AND platform = ?""",
                (state, receipt.remote_id, redact_optional(receipt.permalink), receipt.at.isoformat(),
                 receipt.scheduled_for.isoformat() if receipt.scheduled_for else None, redact_optional(receipt.problem),
                 self._now(), receipt.via or None, slug, platform),
            )

    def settle(self, slug: str, platform: str, state: State, error: str) -> None:
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
        """Record that a report for the group was made at `at`."""
        with self.db:
            self.db.execute("INSERT INTO reports VALUES (?)", (at.isoformat(),))

    def cooldown(self, platform: str, account: str) -> Cooldown | None:
        """The last cool-down of this platform account (active or over), until a successful post clears it."""
        row = self.db.execute("SELECT * FROM cooldowns WHERE platform = ? AND account = ?", (platform, account)).fetchone()
        if row is None:
            return None
        return Cooldown(platform=row["platform"], account=row["account"], kind=row["kind"], strikes=row["strikes"],
                        since=_when(row["since"]), not_before=_time(row["not_before"]), reason=redact(row["reason"]))

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

    def remembers(self, platform: str) -> bool:
        """Whether the ledger knows this platform's posts: it has a row for it, or every ready post was once looked
        for there (a new, emptied or lost ledger knows nothing: publish must look before it sends)."""
        if self.db.execute("SELECT 1 FROM posts WHERE platform = ? LIMIT 1", (platform,)).fetchone():
            return True
        return self.db.execute("SELECT 1 FROM notices WHERE name = ?", (CHECKED + platform,)).fetchone() is not None

    def checked(self, platform: str) -> None:
        """Record that every ready post was looked for on `platform` (see `remembers`)."""
        self.first_time(CHECKED + platform)

    def adopt(self, slug: str, platform: str, fingerprint: str, receipt: Receipt) -> None:
        """Record a post found on the platform that the ledger did not know (it was lost or emptied)."""
        now = self._now()
        with self.db:
            self.db.execute(
                """INSERT INTO posts (slug, platform, state, fingerprint, attempts, created_at, updated_at, sent_at)
                   VALUES (?, ?, ?, ?, 0, ?, ?, ?)
                   ON CONFLICT (slug, platform) DO UPDATE SET fingerprint = excluded.fingerprint""",
                (slug, platform, State.IN_FLIGHT, fingerprint, now, now, receipt.at.isoformat()))
        self.succeed(slug, platform, receipt)

    def setback(self, slug: str, platform: str) -> Setback | None:
        """What the last run did with this post, when it needed attention and did not go out; else None."""
        row = self.db.execute("SELECT * FROM setbacks WHERE slug = ? AND platform = ?", (slug, platform)).fetchone()
        return _setback(row) if row else None

    def setbacks(self) -> list[Setback]:
        """Every remembered setback, by product then platform."""
        return [_setback(row) for row in self.db.execute("SELECT * FROM setbacks ORDER BY slug, platform")]

    def remember_setback(self, slug: str, platform: str, outcome: Outcome, detail: str, tried: bool = True) -> None:
        """Record what this run did with a post it could not send; `tried` (it was stopped at the platform) adds a try.

        The detail is stored through redaction.redact, like every other text a platform may have written.
        """
        with self.db:
            self.db.execute(
                """INSERT INTO setbacks (slug, platform, at, outcome, detail, tries) VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (slug, platform) DO UPDATE SET at = excluded.at, outcome = excluded.outcome,
                       detail = excluded.detail, tries = tries + excluded.tries""",
                (slug, platform, self._now(), outcome, redact(detail), int(tried)))

    def forget_setback(self, slug: str, platform: str) -> None:
        """Forget the post's setback (it went out, or the run had nothing to say about it)."""
        with self.db:
            self.db.execute("DELETE FROM setbacks WHERE slug = ? AND platform = ?", (slug, platform))

    def count_published_since(self, platform: str, since: datetime) -> int:
        """How many posts went out on `platform` from `since` on (for a daily limit)."""
        row = self.db.execute(
            "SELECT COUNT(*) FROM posts WHERE platform = ? AND state IN (?, ?) AND published_at >= ?",
            (platform, State.PUBLISHED, State.SCHEDULED, since.astimezone(UTC).isoformat()),
        ).fetchone()
        return row[0]


    # -- the sales loop: comments, our answers, attention, "sold" on the posts ----------------------------------------

    def remember_comments(self, slug: str, comments: list[Comment], kind_of: Callable[[str], str | None],
                          read_at: datetime) -> list[int]:
        """Store the comments not seen before (each once, whatever was fetched), as read at `read_at`; the numbers of
        the new ones. Our own comments (`ours`) are stored too, so that an answer made in the app counts as one.
        """
        now, new = read_at.astimezone(UTC).isoformat(), []
        with self.db:
            for comment in comments:
                cursor = self.db.execute(
                    """INSERT INTO comments (platform, remote_id, slug, post_id, author, text, created_at, read_at,
                           parent_id, ours, question) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (platform, remote_id) DO NOTHING""",
                    (comment.platform, comment.remote_id, slug, comment.post_id, redact(comment.author),
                     redact(comment.text), comment.created_at.astimezone(UTC).isoformat(), now, comment.parent_id,
                     int(comment.ours), None if comment.ours else kind_of(comment.text)))
                if cursor.rowcount:
                    new.append(int(cursor.lastrowid or 0))
        return new

    def stored_comments(self) -> list[StoredComment]:
        """Every comment kept, newest first."""
        return [_stored_comment(row) for row in self.db.execute("SELECT * FROM comments ORDER BY created_at DESC, number DESC")]

    def stored_comment(self, number: int) -> StoredComment | None:
        row = self.db.execute("SELECT * FROM comments WHERE number = ?", (number,)).fetchone()
        return _stored_comment(row) if row else None

    def forget_comment(self, number: int) -> bool:
        """Delete one comment's author and text (its row stays, so it is never stored again); False when unknown."""
        with self.db:
            cursor = self.db.execute("UPDATE comments SET author = NULL, text = NULL WHERE number = ?", (number,))
        return bool(cursor.rowcount)

    def forget_comments_read_before(self, before: datetime) -> int:
        """Delete the author and text of every comment read before `before` (the retention time); how many."""
        with self.db:
            cursor = self.db.execute("UPDATE comments SET author = NULL, text = NULL WHERE read_at < ? AND "
                                     "(text IS NOT NULL OR author IS NOT NULL)", (before.astimezone(UTC).isoformat(),))
        return cursor.rowcount

    def stored_reply(self, platform: str, comment_id: str) -> StoredReply | None:
        row = self.db.execute("SELECT * FROM replies WHERE platform = ? AND comment_id = ?", (platform, comment_id)).fetchone()
        return _stored_reply(row) if row else None

    def stored_replies(self) -> list[StoredReply]:
        return [_stored_reply(row) for row in self.db.execute("SELECT * FROM replies")]

    def begin_reply(self, platform: str, comment_id: str, text: str, auto: bool = False) -> None:
        """The intent to answer a comment (`auto`: without the coordinator asking), written before it is sent."""
        now = self._now()
        with self.db:
            self.db.execute(
                """INSERT INTO replies (platform, comment_id, state, text, sent_at, updated_at, auto)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, comment_id) DO UPDATE SET state = excluded.state, text = excluded.text,
                       sent_at = excluded.sent_at, updated_at = excluded.updated_at, error = NULL, auto = excluded.auto""",
                (platform, comment_id, State.IN_FLIGHT, redact(text), now, now, int(auto)))

    def automatic_answers(self, since: datetime | None = None, post_id: str | None = None) -> int:
        """How many automatic answers were begun (since `since`; on comments of `post_id`, when given)."""
        row = self.db.execute(
            """SELECT COUNT(*) FROM replies JOIN comments ON comments.platform = replies.platform
                   AND comments.remote_id = replies.comment_id
               WHERE replies.auto = 1 AND (? IS NULL OR replies.sent_at >= ?) AND (? IS NULL OR comments.post_id = ?)""",
            (*[since.astimezone(UTC).isoformat() if since else None] * 2, post_id, post_id)).fetchone()
        return int(row[0])

    def reply_sent(self, platform: str, comment_id: str, reply_id: str) -> None:
        with self.db:
            self.db.execute("UPDATE replies SET state = ?, reply_id = ?, updated_at = ?, error = NULL "
                            "WHERE platform = ? AND comment_id = ?",
                            (State.PUBLISHED, reply_id, self._now(), platform, comment_id))

    def settle_reply(self, platform: str, comment_id: str, state: State, error: str) -> None:
        with self.db:
            self.db.execute("UPDATE replies SET state = ?, error = ?, updated_at = ? WHERE platform = ? AND comment_id = ?",
                            (state, redact(error), self._now(), platform, comment_id))

    def snapshot(self, slug: str, counts: Counts) -> None:
        """Keep one reading of a post's attention (the series `attention` returns)."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO attention VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (counts.platform, slug, counts.post_id, counts.at.astimezone(UTC).isoformat(), counts.reactions,
                             counts.comments, counts.shares, counts.likes))

    def last_reading(self, platform: str, post_id: str) -> datetime | None:
        """When the post's attention was last read, or None."""
        row = self.db.execute("SELECT MAX(at) FROM attention WHERE platform = ? AND post_id = ?", (platform, post_id)).fetchone()
        return _time(row[0])

    def attention(self, slug: str | None = None) -> list[tuple[str, Counts]]:
        """Every reading kept (of one product's posts, when `slug` is given), oldest first, as (slug, counts)."""
        rows = self.db.execute("SELECT * FROM attention WHERE ? IS NULL OR slug = ? ORDER BY at", (slug, slug))
        return [(row["slug"], Counts(row["platform"], row["post_id"], _when(row["at"]), row["reactions"], row["comments"],
                                     row["shares"], row["likes"])) for row in rows]

    def sold_mark(self, slug: str, platform: str) -> str | None:
        """How far "sold" was written on the product's post there: done, in_flight, unknown, by_hand, failed; or None."""
        row = self.db.execute("SELECT state FROM sold_marks WHERE slug = ? AND platform = ?", (slug, platform)).fetchone()
        return row["state"] if row else None

    def set_sold_mark(self, slug: str, platform: str, state: str, error: str | None = None) -> None:
        with self.db:
            self.db.execute("""INSERT INTO sold_marks VALUES (?, ?, ?, ?, ?) ON CONFLICT (slug, platform) DO UPDATE SET
                                   state = excluded.state, updated_at = excluded.updated_at, error = excluded.error""",
                            (slug, platform, state, self._now(), redact_optional(error)))

    def remember_sold(self, slugs: list[str]) -> None:
        """Note when each product was first seen sold (kept as it was if seen before)."""
        with self.db:
            self.db.executemany("INSERT OR IGNORE INTO sold VALUES (?, ?)", [(slug, self._now()) for slug in slugs])

    def sold_since(self, since: datetime) -> list[tuple[str, datetime]]:
        rows = self.db.execute("SELECT slug, at FROM sold WHERE at >= ? ORDER BY at", (since.astimezone(UTC).isoformat(),))
        return [(row["slug"], _when(row["at"])) for row in rows]


def _stored_comment(row: sqlite3.Row) -> StoredComment:
    return StoredComment(number=row["number"], platform=row["platform"], remote_id=row["remote_id"], slug=row["slug"],
                         post_id=row["post_id"], author=row["author"], text=row["text"], created_at=_when(row["created_at"]),
                         read_at=_when(row["read_at"]), parent_id=row["parent_id"], ours=bool(row["ours"]),
                         question=row["question"])


def _stored_reply(row: sqlite3.Row) -> StoredReply:
    return StoredReply(platform=row["platform"], comment_id=row["comment_id"], state=row["state"], text=row["text"],
                       reply_id=row["reply_id"], sent_at=_time(row["sent_at"]), updated_at=_when(row["updated_at"]),
                       error=row["error"], auto=bool(row["auto"]))


def _time(value: str | None) -> datetime | None:
    """A time the ledger may not have (a NULL column)."""
    return datetime.fromisoformat(value) if value else None


def _when(value: str) -> datetime:
    """A time the ledger always has (a NOT NULL column)."""
    return datetime.fromisoformat(value)


def _setback(row: sqlite3.Row) -> Setback:
    return Setback(slug=row["slug"], platform=row["platform"], at=_when(row["at"]), outcome=Outcome(row["outcome"]),
                   detail=redact(row["detail"]), tries=row["tries"])


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        slug=row["slug"], platform=row["platform"], state=State(row["state"]), fingerprint=row["fingerprint"],
        remote_id=row["remote_id"], permalink=row["permalink"], progress=json.loads(row["progress"] or "{}"),
        attempts=row["attempts"], last_error=redact_optional(row["last_error"]), updated_at=_when(row["updated_at"]),
        published_at=_time(row["published_at"]), scheduled_for=_time(row["scheduled_for"]), sent_at=_time(row["sent_at"]),
        via=row["via"],
    )
