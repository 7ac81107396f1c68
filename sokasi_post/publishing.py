"""The publishing flow: which products go where, with what text and photos, and what blocks them."""

from __future__ import annotations

import hashlib
import shutil
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sokasi_post import errors
from sokasi_post.captions import caption_problems, render_caption
from sokasi_post.catalog import POST_FILE, Catalog
from sokasi_post.config import Settings
from sokasi_post.errors import (
    AuthError,
    PublishError,
    RejectedError,
    ThrottledError,
    TransientError,
    UnknownOutcomeError,
    UsageError,
)
from sokasi_post.i18n import _, format_date
from sokasi_post.ledger import Entry, Ledger, Setback
from sokasi_post.media import Prepared, prepare_products
from sokasi_post.models import Cooldown, Hindrance, PlannedPost, PostProblem, PreparedPhoto, Problem, Product
from sokasi_post.platforms import label_of, rules_for
from sokasi_post.publishers import Publisher, schedules_natively, with_retries
from sokasi_post.states import AFTER_SETBACK, DONE, DOUBTFUL, TROUBLE, Outcome, State, Unsent
from sokasi_post.yamlfile import display_path

CROP_WARNING = 0.75  # warn when Instagram's crop keeps less than this share of a photo
NEAR_LIMIT = 0.9  # warn when a caption uses more than this share of the platform's limit


@dataclass(frozen=True)
class PublishOptions:
    """What the command line asks of a publishing run: which products and platform, and how to treat them."""

    slugs: tuple[str, ...] = ()  # only these products (empty: all)
    platform: str | None = None  # only this platform (None: each product's own)
    repost: tuple[str, ...] = ()  # post these again although they were posted (after an edit)
    ignore_slots: bool = False  # do not wait for the posting times in schedule.slots
    ignore_cooldown: bool = False  # send even to a platform that is resting after an anti-abuse answer


def select_products(catalog: Catalog, slugs: tuple[str, ...]) -> tuple[Product, ...]:
    """The products named on the command line (all when none are named); unknown names are a usage error."""
    if not slugs:
        return catalog.products
    by_slug = {product.slug: product for product in catalog.products}
    broken = {problem.slug for problem in catalog.problems}
    unknown = [slug for slug in slugs if slug not in by_slug and slug not in broken]
    if unknown:
        raise UsageError(_("no product named {names} in the products folder; `sokasi-post check` lists them")
                         .format(names=", ".join(unknown)))
    return tuple(by_slug[slug] for slug in dict.fromkeys(slugs) if slug in by_slug)


def chosen_products(catalog: Catalog, options: PublishOptions) -> tuple[Product, ...]:
    """The products a run is asked for (`options.slugs`, else all); UsageError for an unknown name, or a --repost
    product that is not among them."""
    products = select_products(catalog, options.slugs)
    unknown = [slug for slug in options.repost if slug not in {p.slug for p in products}]
    if unknown:
        raise UsageError(_("--repost {slug}: no such product here").format(slug=unknown[0]))
    return products


def plan_post(product: Product, platform: str, settings: Settings, prepared: Prepared) -> PlannedPost:
    """What would be posted for one product on one platform, and every reason it could not be."""
    caption = render_caption(product, platform, settings)
    problems = [PostProblem(Hindrance.CAPTION, text) for text in caption_problems(caption, platform)]
    for failure in prepared.failures[(product.slug, platform)]:
        problems.append(PostProblem(Hindrance.PHOTO, _("photo {name} {problem}").format(name=failure.path.name,
                                                                                         problem=failure.message)))
    limit = rules_for(platform).photos_per_post
    if len(product.photos) > limit:
        problems.append(PostProblem(Hindrance.PHOTO_COUNT, _(
            "{platform} takes at most {limit} photos in one post; this product has {count}: list the best {limit} under "
            "photos:").format(platform=label_of(platform), limit=limit, count=len(product.photos))))
    photos = prepared.photos[(product.slug, platform)]
    return PlannedPost(product=product, platform=platform, caption=caption, photos=product.photos,
                       problems=tuple(problems), prepared=photos,
                       warnings=tuple(post_warnings(product, platform, caption, photos)))


def post_warnings(product: Product, platform: str, caption: str, photos: tuple[PreparedPhoto, ...]) -> list[str]:
    """What is worth a look before posting but does not block it; `check`, the dry run and the preview show the same."""
    found = []
    if product.price is None:
        found.append(_("No price: buyers will have to ask"))
    limit = rules_for(platform).caption_characters
    if NEAR_LIMIT * limit < len(caption) <= limit:
        found.append(_("The caption is near the limit: {length:,} of {limit:,} characters").format(
            length=len(caption), limit=limit))
    order = {path: number for number, path in enumerate(product.photos, start=1)}
    for photo in photos:
        if photo.kept < CROP_WARNING:
            found.append(_("Photo {number} ({name}): the crop removes {share:.0%} of it; check the basket is whole, "
                           "or use focus or fit: pad").format(number=order.get(photo.source, 0), name=photo.source.name,
                                                             share=1 - photo.kept))
    return found


@dataclass(frozen=True)
class Plan:
    """Every planned post, and the photo problems found while preparing them."""

    posts: tuple[PlannedPost, ...]
    photo_problems: tuple[Problem, ...]
    sold: tuple[Product, ...] = ()  # status: sold: never planned, never sent again; `status` still lists them

    def problems(self) -> list[Problem]:
        """The photo problems, then each post's caption and size problems and its warnings (the preview's), once each,
        as `check` lists them (a photo that cannot be prepared is a problem of the photo's file, not of post.yaml)."""
        return list(dict.fromkeys([
            *self.photo_problems,
            *(Problem(post.product.folder / POST_FILE, problem.message, slug=post.product.slug)
              for post in self.posts for problem in post.problems if problem.kind != Hindrance.PHOTO),
            *(Problem(post.product.folder / POST_FILE, warning, warning=True, slug=post.product.slug)
              for post in self.posts for warning in post.warnings),
        ]))


def broken_folders(catalog: Catalog, slugs: tuple[str, ...] = ()) -> dict[str, tuple[Problem, ...]]:
    """The product folders that did not load (all, or those named), each with its problems: shown wherever posts are."""
    loaded = {product.slug for product in catalog.products}
    found: dict[str, list[Problem]] = {}
    for problem in catalog.problems:
        if problem.slug and problem.slug not in loaded and (not slugs or problem.slug in slugs):
            found.setdefault(problem.slug, []).append(problem)
    return {slug: tuple(problems) for slug, problems in found.items()}


def products_with_problems(catalog: Catalog, planned: Plan, slugs: tuple[str, ...] = ()) -> set[str | None]:
    """The product folders with a problem that blocks them (not a warning): counted the same by check and the dry run."""
    problems = [*catalog.problems, *planned.problems()]
    return {p.slug for p in problems if not p.warning and (not slugs or p.slug in slugs)}


def plan(
    products: tuple[Product, ...],
    settings: Settings,
    platform: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Plan every product on each of its platforms (or only `platform`), photos prepared, in catalogue order."""
    if platform is not None:
        products = tuple(replace(p, platforms=tuple(n for n in p.platforms if n == platform)) for p in products)
    products = tuple(p for p in products if p.platforms)
    sold = tuple(p for p in products if p.is_sold)
    products = tuple(p for p in products if not p.is_sold)
    prepared = prepare_products(products, settings, progress)
    posts = tuple(plan_post(product, name, settings, prepared) for product in products for name in product.platforms)
    return Plan(posts, tuple(prepared.problems), sold)


def photo_count(products: tuple[Product, ...], platform: str | None = None) -> int:
    """How many source photos `plan` will look at (for a progress bar)."""
    return sum(len(p.photos) for p in products if any(platform in (None, n) for n in p.platforms))


def export_photos(posts: tuple[PlannedPost, ...], folder: Path) -> list[Path]:
    """Copy each post's prepared photos to `folder/<slug>/<platform>-NN.jpg` (NN = place in the post)."""
    written = []
    for post in posts:
        order = {photo: number for number, photo in enumerate(post.photos, start=1)}
        target = folder / post.product.slug
        target.mkdir(parents=True, exist_ok=True)
        for prepared in post.prepared:
            path = target / f"{post.platform}-{order[prepared.source]:02d}.jpg"
            shutil.copyfile(prepared.path, path)
            written.append(path)
    return written


# -- publishing for real ---------------------------------------------------------------------------

# A lost ledger's posts are looked for as far back as the platform's recent list goes.
FORGOTTEN_SINCE = datetime(2000, 1, 1, tzinfo=UTC)

# How long a platform account rests after an anti-abuse answer (docs/platforms.md I2), doubled for each repeat
# since the last successful post, up to a week. After a challenge: until the next successful `login`.
COOLDOWNS = {errors.SLOW_DOWN: timedelta(hours=1), errors.BLOCKED: timedelta(hours=24)}
LONGEST_COOLDOWN = timedelta(days=7)

sleep = time.sleep  # the one place the flow waits; tests replace it

# What a run remembers of a post it did not send (stopped, blocked, refused, in doubt, held, resting) for `status`
# and `report`; any other outcome forgets it.
SETBACKS = (Outcome.BLOCKED, Outcome.STOPPED, Outcome.RETRY_LATER, Outcome.REFUSED, Outcome.IN_DOUBT, Outcome.HELD,
            Outcome.COOLING)


@dataclass(frozen=True)
class Result:
    """What a run did with one product on one platform, and why, in words for the coordinator."""

    post: PlannedPost
    outcome: Outcome
    detail: str = ""

    @property
    def trouble(self) -> bool:
        """True when this post needs attention (the run's exit code is 1)."""
        return self.outcome in TROUBLE


_VERIFIED: weakref.WeakKeyDictionary[Publisher, str] = weakref.WeakKeyDictionary()


def verify(publisher: Publisher) -> str:
    """Check a publisher's credentials, retrying passing faults; who we post as, or an AuthError saying how to fix it.

    A publisher is checked once: a run that posts and then reads comments and counts asks the platform once.
    """
    if publisher not in _VERIFIED:
        _VERIFIED[publisher] = with_retries(publisher.check, sleep)
    return _VERIFIED[publisher]


def fingerprint(post: PlannedPost) -> str:
    """A hash of what the post says and shows: the final caption and the content of each photo, in order.

    The photos count by their originals, not by the prepared files, so changing media settings in the
    config (quality, say) does not make every published product look edited.
    """
    digest = hashlib.sha256(post.caption.encode())
    for photo in post.prepared:
        digest.update(photo.source_digest.encode())
    return digest.hexdigest()


def publish(planned: Plan, settings: Settings, ledger: Ledger, make_publisher: Callable[[str], Publisher], now: datetime,
            options: PublishOptions = PublishOptions(), report: Callable[[Result], None] = lambda result: None,
            notice: Callable[[str], None] = lambda text: None) -> list[Result]:
    """Send every ready post that the ledger does not have yet; one product and platform at a time.

    A post whose earlier attempt ended in doubt is first looked for on the platform and sent again only
    when it is provably absent. New products wait for a posting slot when config has `schedule.slots`
    (unless `options.ignore_slots`). A platform whose credentials fail, or that asks us to slow down, is left
    alone for the rest of the run, and rests (a cool-down, see COOLDOWNS) after an anti-abuse answer: until
    then nothing at all is sent to it, unless `options.ignore_cooldown`. The other platform carries on. Each
    result is reported when known.

    When the ledger remembers nothing of a platform (new, emptied, lost or put aside), every ready post is
    first looked for there, and `notice` says so; a post found is recorded, one that cannot be looked for
    is not sent.

    What the run did with a post that needs attention and did not go out (stopped, blocked, refused, in doubt,
    held for the daily limit, resting) is remembered in the ledger for `status` and `report`, one try more each
    time it was stopped at the platform; any other outcome (it went out, it waits for its time) forgets it.
    """
    run = _Run(settings, ledger, make_publisher, now, options.repost, options.ignore_cooldown)
    looked = run.look_first(planned, notice)
    released = run.release(planned, options.ignore_slots)
    results = []
    for post in planned.posts:
        slug, platform = post.product.slug, post.platform
        result = looked.get((slug, platform)) or run.handle(post, released)
        if result.outcome in SETBACKS:
            ledger.remember_setback(slug, platform, result.outcome, result.detail,
                                    tried=result.outcome not in (Outcome.BLOCKED, Outcome.HELD, Outcome.COOLING))
        else:  # it went out (FLAWED too: the ledger's row has its problem), or nothing is wrong with it
            ledger.forget_setback(slug, platform)
        report(result)
        results.append(result)
    return results


def reconcile(planned: Plan, settings: Settings, ledger: Ledger, make_publisher: Callable[[str], Publisher],
              now: datetime, report: Callable[[Result], None] = lambda result: None) -> list[Result]:
    """Look on the platforms for every post whose last attempt ended in doubt; record what is found. Sends nothing."""
    run = _Run(settings, ledger, make_publisher, now, ())
    results = []
    for post in planned.posts:
        entry = ledger.get(post.product.slug, post.platform)
        if entry and entry.state in DOUBTFUL:
            absent = Result(post, Outcome.RETRY_LATER, _("not on {platform}: the next publish sends it").format(
                platform=label_of(post.platform)))
            result = run.settle_doubt(post, entry) or absent
            report(result)
            results.append(result)
    return results


def current_slot(settings: Settings, now: datetime) -> str | None:
    """The latest posting slot that has begun (e.g. '2026-11-28 09:00'), or None when config has no slots."""
    slots = settings.schedule.slots
    if not slots:
        return None
    local = now.astimezone(settings.timezone)
    today = [slot for slot in slots if slot <= local.time().replace(tzinfo=None)]
    day = local.date() if today else local.date() - timedelta(days=1)
    return f"{day.isoformat()} {(today or slots)[-1].strftime('%H:%M')}"


def daily_limit(platform: str, settings: Settings) -> int | None:
    """How many posts a day `platform` takes at most (None: no cap): config's for Instagram, else the platform table's."""
    return settings.instagram.daily_limit if platform == "instagram" else rules_for(platform).daily_limit


def account_of(platform: str, settings: Settings) -> str:
    """The account a cool-down belongs to: the Page id on Facebook, the account name on Instagram."""
    return (settings.facebook.page_id if platform == "facebook" else settings.instagram.username) or ""


def start_cooldown(ledger: Ledger, platform: str, settings: Settings, kind: str, reason: str, now: datetime) -> Cooldown:
    """Record an anti-abuse answer: the account rests, longer for each repeat since its last successful post."""
    account = account_of(platform, settings)
    before = ledger.cooldown(platform, account)
    strikes = (before.strikes if before else 0) + 1
    rest = COOLDOWNS.get(kind)
    not_before = None if rest is None else now + min(rest * 2 ** (strikes - 1), LONGEST_COOLDOWN)
    cooldown = Cooldown(platform, account, kind, strikes, now, not_before, reason.splitlines()[0][:300])
    ledger.cool_down(cooldown)
    return cooldown


def active_cooldowns(settings: Settings, ledger: Ledger, now: datetime) -> dict[str, Cooldown]:
    """The enabled platforms resting now, by platform."""
    found = {}
    for platform in settings.enabled_platforms:
        cooldown = ledger.cooldown(platform, account_of(platform, settings))
        if cooldown is not None and cooldown.active(now):
            found[platform] = cooldown
    return found


def cooldown_text(cooldown: Cooldown, settings: Settings) -> str:
    """What the rest means, in words for the coordinator: since when, why, and when posting starts again."""
    name = label_of(cooldown.platform)
    since = format_date(cooldown.since.astimezone(settings.timezone))
    if cooldown.not_before is None:
        return _("{platform} asked on {since} to confirm it is really you; nothing is sent to {platform} until you open the "
                 "{platform} app on the phone, confirm, and run `sokasi-post login instagram`").format(platform=name, since=since)
    if cooldown.kind == errors.BLOCKED:
        text = _("{platform} blocked posting for a while on {since}; resting: nothing is sent to {platform} before {until} "
                 "(repeat {strikes} since the last good post)")
    else:
        text = _("{platform} asked to slow down on {since}; resting: nothing is sent to {platform} before {until} "
                 "(repeat {strikes} since the last good post)")
    return text.format(
        platform=name, since=since, until=format_date(cooldown.not_before.astimezone(settings.timezone)),
        strikes=cooldown.strikes)


class _Run:
    """State of one publishing run: the publishers made so far, and the platforms stopped."""

    def __init__(self, settings: Settings, ledger: Ledger, make_publisher: Callable[[str], Publisher], now: datetime,
                 repost: tuple[str, ...], ignore_cooldown: bool = False):
        self.settings = settings
        self.ignore_cooldown = ignore_cooldown
        self.ledger = ledger
        self.make_publisher = make_publisher
        self.now = now
        self.repost = set(repost)
        self.publishers: dict[str, Publisher] = {}
        self.stopped: dict[str, str] = {}
        self.full: dict[str, str] = {}  # platforms whose own publishing limit is reached: why (nothing more goes there)

    def release(self, planned: Plan, ignore_slots: bool) -> set[str] | None:
        """The new products this run may start on: all (None) without slots, else the oldest ready ones for this slot."""
        slot = None if ignore_slots else current_slot(self.settings, self.now)
        if slot is None:
            return None
        started = {entry.slug for entry in self.ledger.entries()}
        candidates = []
        for slug in dict.fromkeys(post.product.slug for post in planned.posts):
            posts = [post for post in planned.posts if post.product.slug == slug]
            if slug not in started and any(self._sendable(post) for post in posts):
                candidates.append((self.ledger.first_ready(slug), slug))
        room = self.settings.schedule.max_per_run - self.ledger.released_in(slot)
        chosen = [slug for _first, slug in sorted(candidates)[:max(room, 0)]]
        for slug in chosen:
            self.ledger.release(slot, slug)  # recorded before anything is sent, like every intent
        return set(chosen)

    def look_first(self, planned: Plan, notice: Callable[[str], None]) -> dict[tuple[str, str], Result]:
        """For each platform the ledger remembers nothing of, look there for every ready post before anything is
        sent (docs/exactly-once.md). Outcomes for the posts found, and for those that could not be looked for."""
        results: dict[tuple[str, str], Result] = {}
        for platform in dict.fromkeys(post.platform for post in planned.posts):
            posts = [p for p in planned.posts if p.platform == platform and not p.product.is_draft and not p.blocked]
            if not posts or self.ledger.remembers(platform):
                continue
            notice(_("The ledger remembers no {platform} post (it is new, or was emptied or lost): looking on {platform} for "
                     "every ready product ({count}) before sending anything, so none is posted twice").format(
                platform=label_of(platform), count=len(posts)))
            complete = True
            for post in posts:
                result = self._look_for(post)
                if result is not None:
                    results[(post.product.slug, platform)] = result
                    complete = complete and result.outcome in (Outcome.FOUND, Outcome.FLAWED)
            if complete:
                self.ledger.checked(platform)
        return results

    def _look_for(self, post: PlannedPost) -> Result | None:
        """Look for one post the ledger may have forgotten: an outcome when found or when we cannot tell, else None."""
        platform = post.platform
        refused = self._may_not_ask(post)
        if refused is not None:
            return refused
        publisher = self.publishers[platform]
        try:
            found = with_retries(lambda: publisher.find(post, FORGOTTEN_SINCE), sleep)
        except PublishError as error:
            if isinstance(error, errors.UnreachableError):  # nothing could be asked: the next run looks again
                self._stop(platform, error)
                return Result(post, Outcome.STOPPED, self.stopped[platform])
            if isinstance(error, (AuthError, ThrottledError)):
                self._stop(platform, error)
            return Result(post, Outcome.IN_DOUBT, _("not sent: the ledger does not know whether it was posted before, and "
                                                    "{platform} could not be asked ({error})").format(
                platform=label_of(platform), error=error))
        if found is None:
            return None
        self.ledger.adopt(post.product.slug, platform, fingerprint(post), found)
        link = found.permalink or found.remote_id
        if found.problem:
            return Result(post, Outcome.FLAWED, _("already on {platform}, but not as sent: {problem} ({link})").format(
                platform=label_of(platform), problem=found.problem, link=link))
        return Result(post, Outcome.FOUND, _("already on {platform}, the ledger had forgotten it: {link}").format(
            platform=label_of(platform), link=link))

    def _sendable(self, post: PlannedPost) -> bool:
        """True when the post itself could go out now: ready, not blocked, and due (or its platform holds it till then)."""
        when = post.product.publish_at
        due = not when or when <= self.now or schedules_natively(post.platform, self.settings, when, self.now)
        return not post.product.is_draft and not post.blocked and due

    def handle(self, post: PlannedPost, released: set[str] | None) -> Result:
        """What this run does with one post: the first reason not to send it now (in the post and the ledger, then in
        the run and the platform's rest), else, once a doubt is settled and the daily limit allows, send it."""
        entry = self.ledger.get(post.product.slug, post.platform)
        sent = fingerprint(post)
        held = self._held_by_the_post(post, entry, sent) or self._held_by_the_run(post, entry, released)
        if held is not None:
            return held
        if entry and entry.state in DOUBTFUL:
            settled = self.settle_doubt(post, entry)
            if settled is not None:
                return settled
            entry = self.ledger.get(post.product.slug, post.platform)
        if self._over_daily_limit(post.platform):
            return Result(post, Outcome.HELD, _("the daily limit of {limit} {platform} posts is reached; the rest go "
                                                "tomorrow").format(limit=daily_limit(post.platform, self.settings),
                                                                   platform=label_of(post.platform)))
        publisher = self._publisher(post.platform)
        if publisher is None:
            return Result(post, Outcome.STOPPED, self.stopped[post.platform])
        # A repost of a post that is out starts afresh: what the earlier post used (its photos, its containers) is spent.
        return self._send(post, publisher, sent, entry.progress if entry and entry.state not in DONE else {})

    def _held_by_the_post(self, post: PlannedPost, entry: Entry | None, sent: str) -> Result | None:
        """A result when the post itself or the ledger's row says not to send it: a draft, already posted (or changed
        since), blocked by its problems, or refused before and unchanged since; else None."""
        product = post.product
        if product.is_draft:
            return Result(post, Outcome.DRAFT, _("set status: ready in post.yaml to publish it"))
        if entry and entry.state in DONE and product.slug not in self.repost:
            link = entry.permalink or entry.remote_id
            if entry.fingerprint != sent:
                return Result(post, Outcome.CHANGED, _("changed since it was posted ({link}); `sokasi-post publish --repost "
                                                       "{slug}` posts it again").format(link=link, slug=product.slug))
            return Result(post, Outcome.ALREADY, link or "")
        if post.blocked:
            return Result(post, Outcome.BLOCKED, "; ".join(problem.message for problem in post.problems))
        if entry and entry.state == State.FAILED and entry.fingerprint == sent:
            return Result(post, Outcome.REFUSED, _("refused before, unchanged since: {error}").format(error=entry.last_error))
        return None

    def _held_by_the_run(self, post: PlannedPost, entry: Entry | None, released: set[str] | None) -> Result | None:
        """A result when this run may not send the post now: its time is still to come (and the platform cannot hold
        it), it waits for a posting slot, its platform was stopped earlier in the run, or it rests; else None."""
        when = post.product.publish_at
        if when and when > self.now and not schedules_natively(post.platform, self.settings, when, self.now):
            return Result(post, Outcome.WAITING, _("not before {when}").format(when=self._local(when)))
        if entry is None and released is not None and post.product.slug not in released:
            return Result(post, Outcome.QUEUED, _("in the queue for the next posting time ({times})").format(
                times=", ".join(slot.strftime("%H:%M") for slot in self.settings.schedule.slots)))
        if post.platform in self.full:
            return Result(post, Outcome.HELD, self.full[post.platform])
        if post.platform in self.stopped:
            return Result(post, Outcome.STOPPED, self.stopped[post.platform])
        return self._resting(post)

    def settle_doubt(self, post: PlannedPost, entry) -> Result | None:
        """Look for a post whose last attempt ended in doubt. An outcome when found or when we cannot tell;
        None when it is provably absent (recorded as pending), so it may be sent."""
        slug, platform = post.product.slug, post.platform
        refused = self._may_not_ask(post)
        if refused is not None:
            return refused
        publisher = self.publishers[platform]
        since = entry.sent_at or entry.updated_at
        try:
            found = with_retries(lambda: publisher.find(post, since), sleep)
            if found is None:
                # A post just made can take a moment to show in the Page's or the account's list.
                sleep(self.settings.look_again_seconds)
                found = with_retries(lambda: publisher.find(post, since), sleep)
        except (AuthError, ThrottledError, errors.UnreachableError) as error:
            self._stop(platform, error)
            if isinstance(error, errors.UnreachableError):  # still in doubt, and said like every post of the platform
                return Result(post, Outcome.IN_DOUBT, self.stopped[platform])
            return Result(post, Outcome.IN_DOUBT, _("could not look for it on {platform}: {error}").format(
                platform=label_of(platform), error=error))
        except PublishError as error:
            return Result(post, Outcome.IN_DOUBT, _("could not look for it on {platform}: {error}").format(
                platform=label_of(platform), error=error))
        if found is not None:
            self.ledger.succeed(slug, platform, found)
            link = found.permalink or found.remote_id
            if found.problem:
                return Result(post, Outcome.FLAWED, _("it had gone through after all, but not as sent: {problem} ({link})").format(
                    problem=found.problem, link=link))
            return Result(post, Outcome.FOUND, _("it had gone through after all: {link}").format(link=link))
        self.ledger.settle(slug, platform, State.PENDING, _("not found on {platform}; sent again").format(
            platform=label_of(platform)))
        return None

    def _local(self, when: datetime) -> str:
        """`when` in words, in the config's timezone."""
        return format_date(when.astimezone(self.settings.timezone))

    def _may_not_ask(self, post: PlannedPost) -> Result | None:
        """An outcome when the post's platform may not be asked now (resting, or its credentials failed); else None,
        and its publisher is ready in self.publishers."""
        resting = self._resting(post)
        if resting is not None:
            return resting
        if self._publisher(post.platform) is None:
            return Result(post, Outcome.STOPPED, self.stopped[post.platform])
        return None

    def _resting(self, post: PlannedPost) -> Result | None:
        """An outcome when the post's platform is in a cool-down (nothing may be sent to it, not even a look-up)."""
        if self.ignore_cooldown:
            return None
        cooldown = self.ledger.cooldown(post.platform, account_of(post.platform, self.settings))
        if cooldown is None or not cooldown.active(self.now):
            return None
        outcome = Outcome.STOPPED if cooldown.kind == errors.CHALLENGE else Outcome.COOLING
        return Result(post, outcome, cooldown_text(cooldown, self.settings))

    def _stop(self, platform: str, error: PublishError) -> None:
        """Leave `platform` alone for the rest of the run; after an anti-abuse answer, let the account rest.

        An unreachable platform is not asked again in this run (one check per platform), and does not rest: it is
        nobody's fault, so no post is marked failed and the next run simply tries again.
        """
        self.stopped[platform] = str(error)
        if isinstance(error, errors.UnreachableError):
            self.stopped[platform] = _("{problem} — nothing was sent; the next run will try again").format(problem=error)
            return
        kind = getattr(error, "cooldown", None)
        if not isinstance(error, ThrottledError) or kind is None:
            return
        cooldown = start_cooldown(self.ledger, platform, self.settings, kind, str(error), self.now)
        self.stopped[platform] = f"{error} — {cooldown_text(cooldown, self.settings)}"

    def _over_daily_limit(self, platform: str) -> bool:
        """True when the platform's daily limit (since local midnight) is reached: Instagram's is instagram.daily_limit,
        another's comes from the platform table; Facebook has none."""
        limit = daily_limit(platform, self.settings)
        if limit is None:
            return False
        local = self.now.astimezone(self.settings.timezone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return self.ledger.count_published_since(platform, midnight) >= limit

    def _publisher(self, platform: str) -> Publisher | None:
        """The platform's publisher, its credentials checked once per run; None (and the platform stopped) if they fail."""
        if platform in self.stopped:
            return None
        if platform not in self.publishers:
            try:
                publisher = self.make_publisher(platform)
                verify(publisher)
            except (AuthError, ThrottledError, TransientError) as error:
                self._stop(platform, error)
                return None
            self.publishers[platform] = publisher
        return self.publishers[platform]

    def _send(self, post: PlannedPost, publisher: Publisher, sent: str, progress: dict[str, Any]) -> Result:
        """Send one post: the intent first, then the request (resuming `progress`), then its receipt or how it ended."""
        slug, platform = post.product.slug, post.platform
        state = dict(progress)

        def checkpoint(update: dict[str, Any]) -> None:
            state.update(update)
            self.ledger.checkpoint(slug, platform, state)

        self.ledger.begin(slug, platform, sent)  # the intent, before anything public is sent
        try:
            receipt = with_retries(lambda: publisher.publish(post, dict(state), checkpoint), sleep)
        except errors.UnreachableError as error:  # before any byte of a request left: pending, not failed
            self._stop(platform, error)
            self.ledger.settle(slug, platform, State.PENDING, self.stopped[platform])
            return Result(post, Outcome.RETRY_LATER, self.stopped[platform])
        except TransientError as error:
            self.ledger.settle(slug, platform, State.PENDING, str(error))
            return Result(post, Outcome.RETRY_LATER, str(error))
        except errors.HeldBackError as error:  # nothing was sent: something must be done first, or the limit waited out
            self.ledger.settle(slug, platform, State.PENDING, str(error))
            if error.whole_platform:
                self.full[platform] = str(error)
                return Result(post, Outcome.HELD, str(error))
            return Result(post, Outcome.STOPPED, str(error))
        except (AuthError, ThrottledError) as error:
            self.ledger.settle(slug, platform, State.PENDING, str(error))
            self._stop(platform, error)
            return Result(post, Outcome.RETRY_LATER, self.stopped[platform])
        except RejectedError as error:
            self.ledger.settle(slug, platform, State.FAILED, str(error))
            return Result(post, Outcome.REFUSED, str(error))
        except UnknownOutcomeError as error:
            self.ledger.settle(slug, platform, State.UNKNOWN, str(error))
            return Result(post, Outcome.IN_DOUBT, str(error))
        self.ledger.succeed(slug, platform, receipt)
        self.ledger.end_cooldown(platform, account_of(platform, self.settings))  # a success: the next answer starts afresh
        if receipt.problem:
            return Result(post, Outcome.FLAWED, _("posted, but not as sent: {problem} ({link})").format(
                problem=receipt.problem, link=receipt.permalink or receipt.remote_id))
        if receipt.scheduled_for:
            return Result(post, Outcome.SCHEDULED_THERE, _("{platform} will publish it at {when}: {link}").format(
                platform=label_of(platform), link=receipt.permalink or receipt.remote_id,
                when=self._local(receipt.scheduled_for)))
        return Result(post, Outcome.POSTED, receipt.permalink or receipt.remote_id)




@dataclass(frozen=True)
class StatusRow:
    """One product on one platform, as `sokasi-post status` shows it."""

    slug: str
    platform: str
    state: State | Unsent
    changed: bool
    post_id: str | None
    url: str | None
    published_at: datetime | None
    updated_at: datetime | None
    attempts: int
    error: str | None
    via: str | None = None  # the way a post was made where its platform has two (Instagram: "graph" or "instagrapi")


def status_rows(planned: Plan, ledger: Ledger, broken: dict[str, tuple[Problem, ...]] | None = None) -> list[StatusRow]:
    """Every planned post with what the ledger knows of it, then, by product, each folder in `broken` (slug -> its
    problems: one row, platform "-", state "broken") and the ledger rows of products no longer planned.

    A post the last run did not send shows that run's word for it ("held back", "resting", "held for tomorrow", or
    "not sent"), its reason as the error, and the runs stopped at the platform as attempts; a sent post whose last
    run said something newer than its row shows that as the error.
    """
    setbacks = {(setback.slug, setback.platform): setback for setback in ledger.setbacks()}
    rows = []
    seen = set()
    for post in planned.posts:
        key = (post.product.slug, post.platform)
        seen.add(key)
        entry = ledger.get(*key)
        if entry is None:
            rows.append(_unsent_row(post, setbacks.get(key)))
        else:
            rows.append(_row(entry, entry.state in DONE and entry.fingerprint != fingerprint(post), setbacks.get(key)))
    for product in planned.sold:
        for platform in product.platforms:
            seen.add((product.slug, platform))
            rows.append(_sold_row(product.slug, platform, ledger.get(product.slug, platform)))
    rest = [*_broken_rows(broken or {}),
            *(_row(entry, False, setbacks.get((entry.slug, entry.platform)))
              for entry in ledger.entries() if (entry.slug, entry.platform) not in seen)]
    rows.extend(sorted(rest, key=lambda row: row.slug))  # stable: a broken folder's row before its ledger rows
    return rows


def _unsent_row(post: PlannedPost, setback: Setback | None) -> StatusRow:
    """A planned post the ledger has no row for: draft, blocked (by today's problems), or what the last run said."""
    slug, platform = post.product.slug, post.platform
    problems = "; ".join(problem.message for problem in post.problems) or None
    if post.product.is_draft:
        return StatusRow(slug, platform, Unsent.DRAFT, False, None, None, None, None, 0, problems)
    if setback is None or (setback.outcome == Outcome.BLOCKED and not post.blocked):  # fixed since the last run
        return StatusRow(slug, platform, Unsent.BLOCKED if post.blocked else Unsent.NOT_SENT, False, None, None, None, None, 0,
                         problems)
    if post.blocked:
        return StatusRow(slug, platform, Unsent.BLOCKED, False, None, None, None, setback.at, setback.tries, problems)
    return StatusRow(slug, platform, AFTER_SETBACK.get(setback.outcome, Unsent.NOT_SENT), False, None, None, None, setback.at,
                     setback.tries, setback.detail)


def _sold_row(slug: str, platform: str, entry: Entry | None) -> StatusRow:
    """A sold product on one platform: never sent again; a post made before keeps its id and link."""
    if entry is None:
        return StatusRow(slug, platform, Unsent.SOLD, False, None, None, None, None, 0, None)
    return StatusRow(slug, platform, Unsent.SOLD, False, entry.remote_id, entry.permalink, entry.published_at,
                     entry.updated_at, entry.attempts, None, entry.via)


def _broken_rows(broken: dict[str, tuple[Problem, ...]]) -> list[StatusRow]:
    """One row per product folder that did not load, its problems (warnings left out) as the error, file by file."""
    rows = []
    for slug, problems in broken.items():
        said = "; ".join(f"{display_path(p.path)}: {p.message}" for p in problems if not p.warning)
        if said:
            rows.append(StatusRow(slug, "-", Unsent.BROKEN, False, None, None, None, None, 0, said))
    return rows


def _row(entry, changed: bool, setback: Setback | None = None) -> StatusRow:
    """A status row from the ledger's row, with the last run's word when it is newer than the row."""
    error, updated_at = entry.last_error, entry.updated_at
    if setback is not None and setback.at >= entry.updated_at:  # the last run said something newer than the row
        error, updated_at = setback.detail, setback.at
    return StatusRow(entry.slug, entry.platform, entry.state, changed, entry.remote_id, entry.permalink, entry.published_at,
                     updated_at, entry.attempts, error, entry.via)
