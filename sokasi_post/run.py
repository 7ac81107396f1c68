"""What each command does with the state folder, without Click: it opens the ledger (and for a run that may post,
takes the run lock), does its work, closes them, and hands back values that cli.py prints.

`publish` and `reconcile` are the runs: one at a time per state folder (runlock.py), with the plan made inside the
lock, every result reported as it is known, and a tally at the end. Tests call them with their own publishers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sokasi_post import publishing
from sokasi_post.catalog import POST_FILE, load_catalog, set_status
from sokasi_post.config import Settings, site_or_default
from sokasi_post.errors import CHALLENGE, SiteError, SokasiError, StateError, ThrottledError, UsageError
from sokasi_post.i18n import _, format_date
from sokasi_post.ledger import Ledger
from sokasi_post.models import Cooldown, Problem, Product
from sokasi_post.platforms import label_of
from sokasi_post.publishers import SETUP_HELP, Publisher, build
from sokasi_post.publishing import Plan, PublishOptions, Result, StatusRow, plan
from sokasi_post.redaction import redact
from sokasi_post.runlock import LOCK_FILE, RunLock
from sokasi_post.states import Outcome, word_for
from sokasi_post.yamlfile import YamlFileError, display_path

FIRST_FACEBOOK_POST = "facebook-first-post-logged-out"  # the one-time notice after the first Facebook post
# Seconds the computer's clock may differ from a platform's before doctor complains.
CLOCK_TOLERANCE = 120
SITE_PUSHED = "site-pushed"  # in state_dir: the digest of the site's manifest as it was last put online
# A platform's long reason for holding a post back is said in full once a run, then "as for <product> above".
SAID_ONCE = (Outcome.STOPPED, Outcome.RETRY_LATER, Outcome.IN_DOUBT)

if TYPE_CHECKING:  # imported where used: most commands need neither, and each costs start-up time
    from sokasi_post.importer import Draft, ImportPlan
    from sokasi_post.ledger import StoredComment
    from sokasi_post.salesloop import Answer, InboxItem, LoopRun
    from sokasi_post.site import SiteResult
    from sokasi_post.sitepush import PushResult

log = logging.getLogger("sokasi_post.publish")

MakePublisher = Callable[[str], Publisher]
Planner = Callable[[tuple[Product, ...], Settings, str | None], Plan]  # publishing.plan, or one that shows progress
Check = tuple[bool | None, str]  # a doctor line: True fine, False needs fixing, None could not be checked from here


def _nothing(*_args: object) -> None:
    """The default for a callback nobody listens to."""


@dataclass(frozen=True)
class Tally:
    """What a run did: each post's result in the order they came, and the counts its summary gives."""

    results: tuple[Result, ...] = ()
    busy: bool = False  # another run held the lock: nothing was done
    first_facebook: str | None = None  # the one-time notice after the first Facebook post, when this run made it
    sold_marks: tuple[tuple[str, str, str], ...] = ()  # "sold" written on posts: (slug, platform, what happened)

    def count(self, *outcomes: Outcome) -> int:
        """How many posts ended in one of `outcomes`."""
        return sum(1 for result in self.results if result.outcome in outcomes)

    @property
    def trouble(self) -> int:
        """How many posts need attention (the run's exit code is 1 when there is any)."""
        return sum(1 for result in self.results if result.trouble)


def publish(settings: Settings, products: tuple[Product, ...], options: PublishOptions, *, planner: Planner = plan,
            make_publisher: MakePublisher | None = None, report: Callable[[Result, str], None] = _nothing,
            notice: Callable[[str], None] = _nothing, now: datetime | None = None) -> Tally:
    """One publishing run of `products` (publishing.publish) under the run lock; a busy Tally at once when another run
    holds it.

    They are planned inside the lock, on `options.platform` (the planner prepares the photos: the CLI's shows a
    progress bar). Each result is given to `report` with its line for the terminal as soon as it is known, and
    written to the log in full; `notice` hears what the coordinator must be told once (a ledger put aside, a platform
    looked on first). The default publishers are the real ones.
    """
    lock = _acquire(settings)
    if lock is None:
        return Tally(busy=True)
    lines = _Lines()

    def each(result: Result) -> None:
        report(result, lines.shown(result))
        log.info("%s", lines.logged(result))

    with lock:
        if settings.site is not None:  # the site first: a product is on it before its posts go out
            _keep_site_current(settings, notice)
        planned = planner(products, settings, options.platform)
        with Ledger.open(settings.state_dir, notice=notice) as ledger:
            make = _once_each(make_publisher or _real_publishers(settings))
            moment = now or datetime.now(UTC)
            results = publishing.publish(planned, settings, ledger, make, moment, options, each, notice)
            first = _first_facebook_notice(ledger, results)
            unusable = {r.post.platform: r.detail for r in results if r.outcome == Outcome.STOPPED}
            marks = _after_posting(settings, products, ledger, make, moment, notice, unusable)
    return Tally(tuple(results), first_facebook=first, sold_marks=tuple(marks))


def _once_each(make: MakePublisher) -> MakePublisher:
    """`make`, giving one publisher per platform for the whole run (so its credentials are checked once)."""
    made: dict[str, Publisher] = {}

    def once(platform: str) -> Publisher:
        if platform not in made:
            made[platform] = make(platform)
        return made[platform]

    return once


def _after_posting(settings: Settings, products: tuple[Product, ...], ledger: Ledger, make: MakePublisher, now: datetime,
                   notice: Callable[[str], None], unusable: dict[str, str]) -> list[tuple[str, str, str]]:
    """After the posts: "sold" written on the posts of sold products, and one reading of each recent post's attention
    (docs/sales-loop.md), on the platforms the run could use. Trouble here is said once and never changes what the
    posts did."""
    from sokasi_post import salesloop

    marks = salesloop.mark_sold(settings, products, ledger, make, now, unusable)
    loop = salesloop.read(settings, ledger, make, now, comments=False, skip=unusable, every=salesloop.READ_EVERY)
    for problem in loop.problems:
        notice(problem)
    return marks


@dataclass(frozen=True)
class Inbox:
    """What `inbox` shows: the comments kept, and what this reading did (None: nothing was read)."""

    items: tuple[InboxItem, ...]
    loop: LoopRun | None = None
    sold_marks: tuple[tuple[str, str, str], ...] = ()
    busy: bool = False  # another run held the lock: only what the ledger had is shown
    automatic: tuple[tuple[StoredComment, Answer], ...] = ()  # answers sent without asking (inbox.auto_reply)


def inbox(settings: Settings, products: tuple[Product, ...], *, fetch: bool = True,
          make_publisher: MakePublisher | None = None, notice: Callable[[str], None] = _nothing,
          now: datetime | None = None) -> Inbox:
    """Read new comments and attention on the recent posts (unless `fetch` is False), write "sold" where it is due,
    and list the comments kept. Under the run lock; when another run holds it, only what the ledger has is listed."""
    from sokasi_post import salesloop

    moment = now or datetime.now(UTC)
    lock = _acquire(settings) if fetch else None
    with lock or contextlib.nullcontext(), Ledger.open(settings.state_dir, notice=notice) as ledger:
        loop, marks, automatic = None, [], []
        if lock is not None:
            make = _once_each(make_publisher or _real_publishers(settings))
            loop = salesloop.read(settings, ledger, make, moment)
            marks = salesloop.mark_sold(settings, products, ledger, make, moment, loop.stopped)  # not asked twice
            automatic = salesloop.auto_answer(settings, products, ledger, make, moment, loop.stopped)
        items = salesloop.inbox_items(settings, products, ledger)
    return Inbox(tuple(items), loop, tuple(marks), busy=fetch and lock is None, automatic=tuple(automatic))


def answer(settings: Settings, products: tuple[Product, ...], number: int, text: str | None, *,
           make_publisher: MakePublisher | None = None, now: datetime | None = None) -> Answer:
    """Answer comment `number` exactly once (salesloop.answer), under the run lock."""
    from sokasi_post import salesloop

    lock = _acquire(settings)
    if lock is None:
        return salesloop.Answer("busy", _("another run is in progress; try again in a moment"))
    with lock, Ledger.open(settings.state_dir) as ledger:
        return salesloop.answer(settings, products, ledger, make_publisher or _real_publishers(settings), number, text,
                                now or datetime.now(UTC))


def forget_comment(settings: Settings, number: int) -> bool:
    """Delete comment `number`'s author and text from the ledger at once; False when there is no such comment."""
    with Ledger.open(settings.state_dir) as ledger:
        return ledger.forget_comment(number)


def reconcile(settings: Settings, products: tuple[Product, ...], *, planner: Planner = plan,
              make_publisher: MakePublisher | None = None, notice: Callable[[str], None] = _nothing,
              now: datetime | None = None) -> Tally:
    """Look on the platforms for every post of `products` in doubt (publishing.reconcile), under the run lock, planned
    inside it; a busy Tally at once when another run holds it. Sends nothing."""
    lock = _acquire(settings)
    if lock is None:
        return Tally(busy=True)
    with lock:
        planned = planner(products, settings, None)
        with Ledger.open(settings.state_dir, notice=notice) as ledger:
            results = publishing.reconcile(planned, settings, ledger, make_publisher or _real_publishers(settings),
                                           now or datetime.now(UTC))
    return Tally(tuple(results))


def first_posted(ledger: Ledger) -> dict[str, datetime]:
    """When each product first went out on any platform (the site lists the newest first)."""
    found: dict[str, datetime] = {}
    for entry in ledger.entries():
        if entry.published_at is not None:
            found[entry.slug] = min(entry.published_at, found.get(entry.slug, entry.published_at))
    return found


def build_site(settings: Settings, out: Path | None = None) -> SiteResult:
    """The shop-window site from the whole catalogue (drafts left out, sold products with their badge), written into
    `out` (default: site.out); only changed files are rewritten. Reads the ledger, never writes it; no network."""
    catalog = load_catalog(settings)
    with Ledger.open(settings.state_dir, read_only=True) as ledger:
        first = first_posted(ledger)
    from sokasi_post import site

    folder = out or site_or_default(settings).out_dir
    return site.build_site(catalog.products, settings, folder, first_posted=first)


def push_site(settings: Settings, folder: Path) -> PushResult:
    """The built site pushed with git to site.git_remote, branch site.git_branch (SiteError when it cannot be)."""
    from sokasi_post import site, sitepush

    if settings.site is None or settings.site.git_remote is None:
        raise SiteError(_("{config}: site.git_remote is not set; say where the site goes (docs/hosting.md)").format(
            config=display_path(settings.config_path)))
    pushed = sitepush.push_site(folder, settings.site.git_remote, settings.site.git_branch,
                                settings.state_dir / "site.git", keep_out=(site.MANIFEST,))
    (settings.state_dir / SITE_PUSHED).write_text(_site_digest(folder) + "\n", encoding="utf-8")
    return pushed


def _site_digest(folder: Path) -> str:
    """What identifies a built site: the digest of its manifest (every file's name and digest)."""
    from sokasi_post.site import MANIFEST

    manifest = folder / MANIFEST
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else ""


def _keep_site_current(settings: Settings, notice: Callable[[str], None]) -> None:
    """Before a publishing run: the site rebuilt, and pushed when a remote is set and what is online is not this
    site (a push that failed, offline, is tried again by the next run); trouble is said, never fatal."""
    try:
        result = build_site(settings)
        log.info("site: %d files written, %d removed", len(result.written), len(result.removed))
        if settings.site is None or not settings.site.git_remote:
            return
        marker = settings.state_dir / SITE_PUSHED
        if not marker.is_file() or marker.read_text(encoding="utf-8").strip() != _site_digest(settings.site.out_dir):
            pushed = push_site(settings, settings.site.out_dir)
            log.info("site pushed: %d files changed", len(pushed.changed))
    except OSError as error:
        notice(_("the shop-window site was not updated ({error}); the posts go out all the same").format(
            error=error.strerror or error))
    except SokasiError as error:
        notice(_("the shop-window site was not updated ({error}); the posts go out all the same").format(
            error=redact(str(error))))


def mark_sold(settings: Settings, slugs: tuple[str, ...], sold: bool = True) -> list[tuple[str, bool]]:
    """Set status: sold (or back to ready) in each named product's post.yaml: (slug, whether the file changed)."""
    status = "sold" if sold else "ready"
    done = []
    for slug in slugs:
        post_file = settings.posts_dir / slug / POST_FILE
        try:
            done.append((slug, set_status(post_file.parent, status)))
        except YamlFileError as error:
            raise UsageError(f"{display_path(post_file)}: {error}") from None
        except OSError as error:
            raise UsageError(_("{path}: cannot be written ({reason})").format(
                path=display_path(post_file), reason=error.strerror or error)) from None
    return done


def headline(result: Result) -> str:
    """`product → Platform: word`, the start of a result's line."""
    post = result.post
    return f"{post.product.slug} → {label_of(post.platform)}: {word_for(result.outcome)}"


class _Lines:
    """The lines of one run's results: a platform's long reason for holding posts back is shown in full once, then as
    "as for <product> above" (offline, say: one sentence per platform, not one per product); the log has it all."""

    def __init__(self) -> None:
        self.said: dict[str, tuple[str, str]] = {}  # platform -> (product, the reason said in full)

    def shown(self, result: Result) -> str:
        """The line for the terminal."""
        post, detail = result.post, result.detail
        if result.outcome in SAID_ONCE and detail:
            first, reason = self.said.get(post.platform, ("", ""))
            if reason == detail:
                detail = _("as for {slug} above").format(slug=first)
            else:
                self.said[post.platform] = (post.product.slug, detail)
        return f"{headline(result)}: {detail}" if detail else headline(result)

    @staticmethod
    def logged(result: Result) -> str:
        """The line for the log file: always the whole reason."""
        return f"{headline(result)}: {result.detail}" if result.detail else headline(result)


def _real_publishers(settings: Settings) -> MakePublisher:
    """The real publishers, pausing through publishing.sleep (which tests replace)."""
    return lambda platform: build(platform, settings, publishing.sleep)


def _acquire(settings: Settings) -> RunLock | None:
    """The run lock, or None when another run holds it (a note in the log); StateError when that run is stuck."""
    lock = RunLock.try_acquire(settings.state_dir)
    if lock is None:
        stuck = stuck_run(settings)
        if stuck is not None:
            log.error("%s", stuck)
            raise StateError(stuck)
        log.info("another run is in progress; nothing done")
    return lock


def stuck_run(settings: Settings, now: datetime | None = None) -> str | None:
    """A sentence about a run that has held the lock far too long (it is stuck), or None."""
    holder = RunLock.holder(settings.state_dir)
    if holder is None or not holder.stuck(now or datetime.now(UTC)):
        return None
    return _("a run started {when} (process {pid}) still holds the lock {path}: it is stuck, and nothing is posted "
             "while it runs. Stop it (end process {pid}, or restart the computer), then run again").format(
        when=format_date(holder.started.astimezone(settings.timezone)), pid=holder.pid,
        path=display_path(lock_path(settings)))


def lock_path(settings: Settings) -> Path:
    """The run lock's file, to name it."""
    return settings.state_dir / LOCK_FILE


def _first_facebook_notice(ledger: Ledger, results: list[Result]) -> str | None:
    """The one-time notice after the very first Facebook post, when this run made it (written to the log too)."""
    first = next((result for result in results if result.post.platform == "facebook"
                  and result.outcome in (Outcome.POSTED, Outcome.FLAWED)), None)
    if first is None or not ledger.first_time(FIRST_FACEBOOK_POST):
        return None
    entry = ledger.get(first.post.product.slug, "facebook")
    link = (entry.permalink or entry.remote_id) if entry else None
    # Posts of an app in Development mode are seen only by the app's own people (docs/platforms.md F1).
    notice = _("First Facebook post: open {link} in a private (incognito) window, logged out, to see it as buyers do. If "
               "it is not there, the Facebook app is still in Development mode: switch it to Live ({help})").format(
        link=link, help=_(SETUP_HELP))
    log.info("%s", notice)
    return notice


# -- the commands that read or note something in the ledger ----------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What `status` shows: a row per product and platform, the platforms resting, and a run stuck holding the lock."""

    rows: list[StatusRow]
    resting: dict[str, Cooldown]
    stuck: str | None


def status(settings: Settings, planned: Plan, broken: dict[str, tuple[Problem, ...]], now: datetime | None = None) -> Status:
    """Every post's state from the ledger (read only: nothing is written), the rests, and a stuck run."""
    now = now or datetime.now(UTC)
    with Ledger.open(settings.state_dir, read_only=True) as ledger:
        rows = publishing.status_rows(planned, ledger, broken=broken)
        resting = publishing.active_cooldowns(settings, ledger, now)
    return Status(rows, resting, stuck_run(settings, now))


def resting(settings: Settings, now: datetime) -> dict[str, Cooldown]:
    """The enabled platforms resting now, by platform (read only)."""
    with Ledger.open(settings.state_dir, read_only=True) as ledger:
        return publishing.active_cooldowns(settings, ledger, now)


def logged_in(settings: Settings, platform: str, notice: Callable[[str], None] = _nothing) -> None:
    """After a successful login: a rest that waited for the person to confirm it is them ends; a timed one runs on."""
    with Ledger.open(settings.state_dir, notice=notice) as ledger:
        ledger.end_cooldown(platform, publishing.account_of(platform, settings), kind=CHALLENGE)


def doctor(settings: Settings, now: datetime, *, make_publisher: MakePublisher | None = None,
           notice: Callable[[str], None] = _nothing) -> list[Check]:
    """Each enabled platform checked without posting: who we post as, what its publisher finds, its clock.

    A resting account is not even asked who it is (docs/platforms.md I2); an anti-abuse answer starts a rest.
    """
    make = make_publisher or _real_publishers(settings)
    checks: list[Check] = []
    with Ledger.open(settings.state_dir, notice=notice) as ledger:
        rests = publishing.active_cooldowns(settings, ledger, now)
        for platform in settings.enabled_platforms:
            checks += _check_platform(platform, settings, ledger, rests.get(platform), make, now)
    return checks + _site_checks(settings)


def _site_checks(settings: Settings) -> list[Check]:
    """doctor's lines for the shop window: only where the site is to be put online with git."""
    if settings.site is None or settings.site.git_remote is None:
        return []
    from sokasi_post.sitepush import git_available

    if not git_available():
        return [(False, _("site: the git command is not installed, so `site --publish` cannot put the site online; "
                          "install git (docs/hosting.md), or copy the site folder to the web host by hand"))]
    return [(True, _("site: git is installed; `site --publish` pushes to branch {branch} of {remote}").format(
        branch=settings.site.git_branch, remote=settings.site.git_remote))]


def _check_platform(platform: str, settings: Settings, ledger: Ledger, rest: Cooldown | None, make: MakePublisher,
                    now: datetime) -> list[Check]:
    """doctor's lines for one platform."""
    name = label_of(platform)
    if rest is not None:
        return [(False, f"{name}: {publishing.cooldown_text(rest, settings)}")]
    try:
        publisher = make(platform)
        who = publishing.verify(publisher)
        found = publisher.diagnose()
    except SokasiError as error:
        said = redact(str(error))
        if isinstance(error, ThrottledError) and error.cooldown:
            cooldown = publishing.start_cooldown(ledger, platform, settings, error.cooldown, said, now)
            said += " — " + publishing.cooldown_text(cooldown, settings)
        return [(False, f"{name}: {said}")]
    return [(True, f"{name}: {who}"), *((good, f"{name}: {redact(line)}") for good, line in found),
            *_clock_check(publisher, platform)]


def _clock_check(publisher: Publisher, platform: str) -> list[Check]:
    """A doctor line when this computer's clock is far from the platform's (known after a request), else none."""
    offset = getattr(publisher, "clock_offset", lambda: None)()
    if offset is None or abs(offset) <= CLOCK_TOLERANCE:
        return []
    # Scheduled posts and Instagram's own checks go wrong when the laptop's clock is off.
    return [(False, _("clock: this computer's clock is {minutes} minutes {way} {platform}'s; set the right time (and turn "
                      "on automatic time)").format(minutes=round(abs(offset) / 60),
                                                   way=_("ahead of") if offset > 0 else _("behind"),
                                                   platform=label_of(platform)))]


def import_chat(settings: Settings, export: Path, *, since: date | None = None, senders: tuple[str, ...] = (),
                date_order: str | None = None, dry_run: bool = False, show: Callable[[Draft], None] = _nothing,
                notice: Callable[[str], None] = _nothing) -> ImportPlan:
    """Read a WhatsApp export into draft products, each shown before anything is written; with `dry_run`, none is."""
    from sokasi_post.importer import Export, plan_import, write_drafts

    with contextlib.closing(Export(export)) as source, Ledger.open(settings.state_dir, notice=notice) as ledger:
        found = plan_import(source, settings, ledger, since, senders, date_order)
        for draft in found.drafts:
            show(draft)
        if not dry_run:
            write_drafts(found, source, settings, ledger)
    return found
