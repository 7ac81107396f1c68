"""Click commands only: read options, call the core, print. Errors become a message and an exit code."""

from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sokasi_post import publishing, run
from sokasi_post.captions import format_rupiah
from sokasi_post.catalog import Catalog, load_catalog, unknown_site_makers
from sokasi_post.config import Settings, find_config, load_settings, read_secret, site_or_default
from sokasi_post.errors import ConfigError, SokasiError, UsageError
from sokasi_post.i18n import LANGUAGES, _, format_date, ngettext, set_language
from sokasi_post.models import PLATFORMS, Cooldown, PlannedPost, PreparedPhoto, Problem, Product
from sokasi_post.platforms import label_of, rules_for
from sokasi_post.publishers import secrets_of
from sokasi_post.publishing import Plan, PublishOptions, StatusRow, export_photos, photo_count, plan, select_products
from sokasi_post.redaction import RedactingFilter, boundary, redact, remember
from sokasi_post.states import Outcome, word_for
from sokasi_post.yamlfile import display_path

if TYPE_CHECKING:
    from sokasi_post.salesloop import InboxItem

# Click's own words (Usage:, Options:, its error messages) go through gettext; give them our catalogue.
# Each of these modules imported gettext's functions under its own private names; mypy cannot see those names.
for _module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui, click.types):
    if hasattr(_module, "_"):
        _module._ = _  # type: ignore[attr-defined]  # Click's private name for gettext, checked by hasattr above
    if hasattr(_module, "ngettext"):
        _module.ngettext = ngettext  # type: ignore[attr-defined]  # likewise

DEBUG_ENV = "SOKASI_POST_DEBUG"  # set to 1 to let errors raise with a full traceback
LOG_FILE = "sokasi-post.log"
# Libraries that log whole URLs or response bodies at INFO or DEBUG (with tokens or session ids in them).
NOISY_LOGGERS = ("urllib3", "requests", "instagrapi", "private_request", "public_request", "curl_cffi", "facebook")


@dataclass
class _App:
    """What the global options say, and the settings once a command needs them."""

    config_option: str | None
    verbose: int
    quiet: bool
    language_chosen: bool = False
    secrets: tuple[str, ...] = ()
    loaded: Settings | None = None  # once a command has read config.yaml

    def settings(self) -> Settings:
        """Read config.yaml (found as --config says), and set up language, secret masking and warnings from it."""
        settings = load_settings(find_config(self.config_option))
        if settings.language and not self.language_chosen:
            set_language(settings.language)
        self.secrets = tuple(secrets_of(settings))
        remember(self.secrets)  # masked in everything written from now on, whatever writes it
        for handler in logging.getLogger().handlers:
            _redact_on(handler, self.secrets)
        for warning in settings.warnings:
            self.warn(warning)
        self.loaded = settings
        return settings

    def record_crash(self, details: str) -> Path | None:
        """Append a bug's traceback (secrets removed) to the log file in state_dir; where it went, or None."""
        if self.loaded is None:
            return None
        path = self.loaded.state_dir / "logs" / LOG_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log:
                log.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} ERROR unexpected error\n{details}\n")
        except OSError:
            return None
        return path

    def log_to_file(self, settings: Settings) -> Path:
        """Also log this run, secrets removed, to state_dir/logs/sokasi-post.log (for cron runs above all)."""
        folder = settings.state_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler = _LogFile(folder / LOG_FILE, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        _redact_on(handler, self.secrets)
        root = logging.getLogger()
        for old in [h for h in root.handlers if isinstance(h, _LogFile)]:  # one log file per run
            root.removeHandler(old)
            old.close()
        root.addHandler(handler)
        root.setLevel(min(root.level, logging.INFO))
        return folder / LOG_FILE

    def say(self, message: str) -> None:
        """Progress and summaries, on stderr; silenced by -q."""
        if not self.quiet:
            click.echo(message, err=True)

    def warn(self, message: str) -> None:
        """Something worth a look, on stderr; silenced by -q."""
        if not self.quiet:
            click.echo(_("warning: {message}").format(message=message), err=True)


class _LogFile(logging.FileHandler):
    """The log file of a run (told apart from other handlers, so that a second command in one process replaces it)."""


def _redact_on(handler: logging.Handler, secrets: tuple[str, ...]) -> None:
    """Mask these secrets in everything this run writes, and give `handler` the redacting filter (once)."""
    remember(secrets)
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())


class _Cli(click.Group):
    """The command group; turns every SokasiError into a clear message and its exit code."""

    def main(self, *args, **kwargs):
        """Run with the one redaction boundary around everything: whatever reaches stdout or stderr (Click's own
        words, echo, log lines, tracebacks) is written through redaction.redact, with the secrets of this run."""
        with boundary():
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; whatever goes wrong is said in one clear message (see _say_error) with its exit code."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # the reader went away (`sokasi-post status | head -3`): nothing more to say
            _quiet_stdout()
            ctx.exit(0)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            if os.environ.get(DEBUG_ENV):
                raise
            ctx.exit(_say_error(ctx.obj, error))


def _say_error(app: _App | None, error: Exception) -> int:
    """Say `error` on stderr without secrets, and give its exit code: a SokasiError its own message, a file that cannot
    be read or written its name and why, anything else (a bug) one line, its traceback in the log file."""
    secrets = app.secrets if app else ()
    if isinstance(error, SokasiError):
        for line in redact(str(error), secrets).splitlines():
            click.echo(_("error: {message}").format(message=line), err=True)
        if app is not None and app.verbose:
            click.echo(redact(traceback.format_exc(), secrets), err=True)
        return error.exit_code
    if isinstance(error, OSError):
        path = display_path(Path(error.filename)) if error.filename else _("a file")
        click.echo(_("error: {path}: {reason}").format(path=path, reason=error.strerror or error), err=True)
        return 1
    details = redact(traceback.format_exc(), secrets)
    where = app.record_crash(details) if app is not None else None
    message = redact(str(error), secrets).splitlines()[0] if str(error) else ""
    if where is not None:
        click.echo(_("error: unexpected {kind}: {message} (the details are in {log}; please report it)").format(
            kind=type(error).__name__, message=message, log=display_path(where)), err=True)
    else:
        click.echo(_("error: unexpected {kind}: {message} (run with -v for details; please report it)").format(
            kind=type(error).__name__, message=message), err=True)
    if app is not None and app.verbose:
        click.echo(details, err=True)
    return 1


def _quiet_stdout() -> None:
    """After a broken pipe: send what is still to be written (Python's flush at exit) nowhere, without an error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ is not None else 1)
    except (OSError, ValueError):
        pass


def _shell_word(text: str) -> str:
    """`text` as one word for a shell command (quoted only when it needs to be)."""
    import shlex

    return shlex.quote(text)


def _translated_help(function) -> str:
    """A command's docstring, cleaned, in the user's language: it is the command's --help."""
    return _(inspect.cleandoc(function.__doc__))


def _group(**options):
    return lambda function: click.group(help=_translated_help(function), **options)(function)


@_group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_option", metavar="PATH",
              help=_("The config file (default: $SOKASI_POST_CONFIG, else config.yaml here or in a folder above)."))
@click.option("--lang", type=click.Choice(LANGUAGES), help=_("Language: id (Bahasa Indonesia) or en (English)."))
@click.option("-v", "--verbose", count=True, help=_("Say more; show details of errors."))
@click.option("-q", "--quiet", is_flag=True, help=_("Say only what went wrong."))
@click.version_option(package_name="sokasi-post", prog_name="sokasi-post", message=_("%(prog)s, version %(version)s"))
@click.pass_context
def cli(ctx: click.Context, config_option: str | None, lang: str | None, verbose: int, quiet: bool) -> None:
    """Post the bamboo crafts of Tigawasa on a Facebook Page and Instagram.

    Each product is a folder in posts/ with a post.yaml and its photos. The options below work after the
    command name too (sokasi-post check --lang en).

    Example: sokasi-post check && sokasi-post publish --dry-run
    """
    if lang:
        set_language(lang)
    ctx.obj = _App(config_option=config_option, verbose=verbose, quiet=quiet, language_chosen=bool(lang))
    _set_up_logging(ctx.obj)


def _set_up_logging(app: _App) -> None:
    """Log to the terminal as -v and -q ask, every line without secrets."""
    level = logging.WARNING if app.verbose == 0 else logging.INFO if app.verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.ERROR if app.quiet else level, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # the terminal keeps its level when the log file asks for INFO
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            handler.setLevel(logging.ERROR if app.quiet else level)
    for handler in logging.getLogger().handlers:  # log lines lose their secrets from the first one on
        _redact_on(handler, ())
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _after_the_command(ctx: click.Context, param: click.Parameter, value):
    """A global option given after the command name (`sokasi-post check --lang en`): it counts the same as before it."""
    app = ctx.find_object(_App)
    if app is None or value in (None, False, 0):
        return value
    if param.name == "config_option":
        app.config_option = value
    elif param.name == "lang":
        set_language(value)
        app.language_chosen = True
    elif param.name == "verbose":
        app.verbose += value
    elif param.name == "quiet":
        app.quiet = True
    _set_up_logging(app)
    return value


def _global_options(function, language: bool = True):
    """The group's own options, accepted after the command name as well."""
    options = [
        click.option("--config", "config_option", metavar="PATH", expose_value=False, callback=_after_the_command,
                     help=_("The config file (default: $SOKASI_POST_CONFIG, else config.yaml here or in a folder above).")),
        click.option("--lang", type=click.Choice(LANGUAGES), expose_value=False, callback=_after_the_command,
                     help=_("Language: id (Bahasa Indonesia) or en (English).")) if language else None,
        click.option("-v", "--verbose", count=True, expose_value=False, callback=_after_the_command,
                     help=_("Say more; show details of errors.")),
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_after_the_command,
                     help=_("Say only what went wrong.")),
    ]
    for option in reversed([o for o in options if o is not None]):
        function = option(function)
    return function


def _command(*args, own_lang: bool = False, **options):
    """cli.command, with the function's docstring translated as its --help, and the global options after its name
    (but --lang when the command has its own)."""
    return lambda function: cli.command(*args, help=_translated_help(function), **options)(
        _global_options(function, language=not own_lang))


def _plan_with_progress(app: _App, products: tuple[Product, ...], settings: Settings, platform: str | None = None) -> Plan:
    """Plan (and prepare the photos of) `products`, with a progress bar on a terminal for more than a few photos."""
    total = photo_count(products, platform)
    if app.quiet or total <= 4 or not _is_terminal(sys.stderr):
        return plan(products, settings, platform)
    with click.progressbar(length=total, label=_("Preparing photos"), file=sys.stderr) as bar:
        return plan(products, settings, platform, progress=bar.update)


def _is_terminal(stream) -> bool:
    """True when `stream` is an open terminal; a closed or missing one (cron, systemd, `<&-`) is not."""
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def _problem_line(problem: Problem) -> str:
    prefix = _("warning: ") if problem.warning else ""
    return f"{display_path(problem.path)}: {prefix}{problem.message}"


@_command()
@click.pass_obj
def check(app: _App) -> None:
    """Check config.yaml and every product folder, and list every problem.

    Exit code 0 when all is well, 1 when a product has a problem, 2 when the config is unusable.

    Example: sokasi-post check
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    problems = [*catalog.problems, *_plan_with_progress(app, catalog.products, settings).problems(),
                *unknown_site_makers(catalog.products, settings)]
    problems.sort(key=lambda p: (p.slug or "", p.warning))
    for problem in [*settings.unfinished, *problems]:
        click.echo(_problem_line(problem))
    _say_location(app, settings)
    bad = len({p.slug for p in problems if not p.warning})
    total = len(catalog.products) + len({p.slug for p in catalog.problems if not p.warning})
    if settings.unfinished:
        app.say(_("{config}: {count} example values from `sokasi-post init` still to replace (listed above); nothing is "
                  "published until they are").format(config=display_path(settings.config_path),
                                                     count=len(settings.unfinished)))
    if bad:
        app.say(_("Products with problems: {bad} of {total}; fix them and run `sokasi-post check` again (config: {config})")
                .format(bad=bad, total=total, config=display_path(settings.config_path)))
    sold = [product.slug for product in catalog.products if product.is_sold]
    if sold:
        app.say(_("Sold, never posted again (their pages on the site say so): {slugs}").format(slugs=", ".join(sold)))
    if bad or settings.unfinished:
        raise SystemExit(1)
    app.say(_("All good. Products: {total}; config: {config}").format(
        total=total, config=display_path(settings.config_path)))


def _tell(text: str) -> None:
    """Something the coordinator must hear once, even from a quiet (-q) cron run: on stderr, and in the log."""
    click.echo(_("note: {message}").format(message=text), err=True)
    logging.getLogger("sokasi_post").info("%s", text)  # the log file (INFO); the terminal has it from the echo


def _say_location(app: _App, settings: Settings) -> None:
    """Which place Instagram posts are tagged with: a warning until a place id is fixed in config.yaml."""
    from sokasi_post.places import FIXED, location_lines, location_state

    show = app.say if location_state(settings) == FIXED else app.warn
    for line in location_lines(settings):
        show(line)


def _kilobytes(size: int) -> str:
    return _("{size:,} KB").format(size=round(size / 1024))


def _fetched_from(post: PlannedPost, photo: PreparedPhoto, settings: Settings) -> str | None:
    """Where Meta's official API will fetch this Instagram photo (the shop-window site's copy), when it will."""
    ig, site = settings.instagram, settings.site
    if post.platform != "instagram" or not ig.official or ig.photo_host != "site" or site is None or not site.base_url:
        return None
    from sokasi_post.media import public_photo_name

    return site.base_url + public_photo_name(photo.path)


def _show_post(post: PlannedPost, settings: Settings) -> None:
    """Print what one planned post would send."""
    product = post.product
    click.echo(f"== {product.slug} → {label_of(post.platform)} ==")
    if product.is_draft:
        click.echo(_("Draft: will not be posted (set status: ready in post.yaml)"))
    if product.publish_at:
        when = product.publish_at.astimezone(settings.timezone)
        click.echo(_("Not before: {when}").format(when=format_date(when)))
    prepared = {photo.source: photo for photo in post.prepared}
    click.echo(_("Photos ({count}, {size} to upload):").format(
        count=len(post.photos), size=_kilobytes(sum(photo.size for photo in post.prepared))))
    for number, photo in enumerate(post.photos, start=1):
        ready = prepared.get(photo)
        made = (_("{width} × {height}, {size}").format(width=ready.width, height=ready.height, size=_kilobytes(ready.size))
                if ready else _("cannot be prepared"))
        click.echo(f"  {number}. {photo.name} → {made}")
        if photo.name in product.alt:
            click.echo(_("     alt: {text}").format(text=product.alt[photo.name]))
        if ready and (address := _fetched_from(post, ready, settings)):
            click.echo(_("     Instagram fetches it from: {address}").format(address=address))
    click.echo(_("Caption ({length:,} of {limit:,} characters):").format(
        length=len(post.caption), limit=rules_for(post.platform).caption_characters))
    for line in post.caption.splitlines():
        click.echo(f"    {line}".rstrip())
    for problem in post.problems:
        click.echo(_("BLOCKED: {problem}").format(problem=problem.message))
    click.echo()


@_command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("--dry-run", is_flag=True, help=_("Show what would be posted; send nothing, need no password."))
@click.option("--platform", type=click.Choice(PLATFORMS), help=_("Only this platform."))
@click.option("--now", "ignore_slots", is_flag=True, help=_("Do not wait for the posting times in schedule.slots."))
@click.option("--repost", multiple=True, metavar="SLUG", help=_("Post this product again although it was posted (after an edit)."))
@click.option("--ignore-cooldown", is_flag=True,
              help=_("Send even to a platform that is resting after an anti-abuse answer (risky for the account)."))
@click.pass_obj
def publish(app: _App, slugs: tuple[str, ...], dry_run: bool, platform: str | None, ignore_slots: bool,
            repost: tuple[str, ...], ignore_cooldown: bool) -> None:
    """Publish the ready products (all, or the SLUGs named) on Facebook and Instagram.

    With --dry-run, show per product and platform the final caption, the photos in order and anything
    that would block it; nothing is sent and no token or password is needed. Exit code 1 when a product
    is blocked or has a problem (the others are still shown).

    After an anti-abuse answer (Instagram's "try again later", a challenge, Facebook's temporary block) a
    platform rests: nothing is sent to it until the time `status` shows, --now included.

    Example: sokasi-post publish --dry-run sokasi-bundar-poleng --platform instagram
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    options = PublishOptions(slugs=slugs, platform=platform, repost=repost, ignore_slots=ignore_slots,
                             ignore_cooldown=ignore_cooldown)
    products = publishing.chosen_products(catalog, options)
    for product in products:
        if product.is_sold and product.slug in (*slugs, *repost):  # asked for by name: say why nothing goes out
            click.echo(_("{slug}: sold, never posted again (`sokasi-post sold --undo {slug}` puts it back on sale)")
                       .format(slug=product.slug))
    if dry_run:
        _dry_run(app, settings, catalog, products, options)
        return
    _refuse_unfinished(settings, platform)
    if ignore_cooldown:
        app.warn(_("--ignore-cooldown: sending to a resting platform; another anti-abuse answer doubles the rest and "
                   "can get the account locked"))
    _publish_for_real(app, settings, catalog, products, options)


def _dry_run(app: _App, settings: Settings, catalog: Catalog, products: tuple[Product, ...],
             options: PublishOptions) -> None:
    """Show what each post would send, the problems, and a preview; send nothing. Exit code 1 when anything blocks."""
    planned = _plan_with_progress(app, products, settings, options.platform)
    for post in planned.posts:
        _show_post(post, settings)
    problems = [p for p in catalog.problems if not options.slugs or p.slug in options.slugs]
    for problem in [*problems, *(p for p in planned.problems() if p.warning)]:
        click.echo(_problem_line(problem))
    for problem in _unfinished_for(settings, options.platform):  # a dry run is what one does before filling them in
        click.echo(_problem_line(replace(problem, warning=True)))
    now = datetime.now(UTC)
    from sokasi_post.preview import render_preview

    made = render_preview(planned, settings, settings.state_dir / "preview", now,
                          broken=publishing.broken_folders(catalog, options.slugs))
    app.say(_("Preview with the photos as they will look: {index}").format(index=display_path(made.index)))
    for cooldown in run.resting(settings, now).values():
        app.warn(publishing.cooldown_text(cooldown, settings))
    if not options.platform or options.platform == "instagram":
        _say_location(app, settings)
    blocked = [post for post in planned.posts if post.blocked and not post.product.is_draft]
    drafts = [post for post in planned.posts if post.product.is_draft]
    app.say(_("Dry run, nothing was sent. Posts ready: {ready}; blocked: {blocked}; drafts: {drafts}; "
              "products with problems: {broken}").format(
        ready=len(planned.posts) - len(blocked) - len(drafts), blocked=len(blocked), drafts=len(drafts),
        broken=len(publishing.products_with_problems(catalog, planned, options.slugs))))
    if _unfinished_for(settings, options.platform):
        app.warn(_("{config} still has example values from `sokasi-post init` (above): `publish` sends nothing until "
                   "they are replaced").format(config=display_path(settings.config_path)))
    if blocked or any(not p.warning for p in problems):
        raise SystemExit(1)


def _unfinished_for(settings: Settings, platform: str | None) -> list[Problem]:
    """The config's example values left from `init` that matter for posting to `platform` (or to every platform)."""
    return [p for p in settings.unfinished if p.platform is None or platform is None or p.platform == platform]


def _refuse_unfinished(settings: Settings, platform: str | None) -> None:
    """Publishing with an example Page ID, account or WhatsApp number is refused, naming each with its line."""
    unfinished = _unfinished_for(settings, platform)
    if unfinished:
        raise ConfigError([*(f"{display_path(p.path)}: {p.message}" for p in unfinished),
                           _("nothing was sent: replace the example values above, then run `sokasi-post check`")])


def _publish_for_real(app: _App, settings: Settings, catalog: Catalog, products: tuple[Product, ...],
                      options: PublishOptions) -> None:
    """Send what is ready, one line per product and platform; exit code 1 when anything needs attention."""
    log_path = app.log_to_file(settings)

    def show(result: publishing.Result, line: str) -> None:
        if result.trouble or not app.quiet:  # -q (cron): only what needs attention, so no mail every 15 minutes
            click.echo(line)

    tally = run.publish(settings, products, options, planner=partial(_plan_with_progress, app), report=show, notice=_tell)
    if tally.busy:
        _say_busy(app, settings)
        return
    if tally.first_facebook:
        click.echo(tally.first_facebook)
    problems = [p for p in catalog.problems if (not options.slugs or p.slug in options.slugs) and not p.warning]
    for problem in problems:
        click.echo(_problem_line(problem))
    app.say(_("Posted: {posted}; scheduled: {scheduled}; already there: {already}; waiting: {waiting}; "
              "need attention: {trouble}. Log: {log}").format(
        posted=tally.count(Outcome.POSTED), scheduled=tally.count(Outcome.SCHEDULED_THERE),
        already=tally.count(Outcome.ALREADY), waiting=tally.count(Outcome.WAITING, Outcome.HELD),
        trouble=tally.trouble + len(problems), log=display_path(log_path)))
    if problems or tally.trouble:
        raise SystemExit(1)


def _say_busy(app: _App, settings: Settings) -> None:
    """Another run holds the lock (and is not stuck, which the core raises as an error): nothing was done."""
    app.say(_("Another run is in progress (lock {path}); nothing done.").format(path=display_path(run.lock_path(settings))))


@_command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help=_("Folder to write the photos into."))
@click.option("--platform", type=click.Choice(PLATFORMS), help=_("Only this platform."))
@click.pass_obj
def prepare(app: _App, slugs: tuple[str, ...], out_dir: Path, platform: str | None) -> None:
    """Write the platform-ready photos of the products (all, or the SLUGs named) into a folder.

    Each photo becomes OUT/<slug>/<platform>-NN.jpg (NN = its place in the post): upright, cropped or
    padded for Instagram, small, and without hidden location data. Handy for the WhatsApp group or a
    marketplace too. Exit code 1 when a photo could not be prepared (all the others still are).

    Example: sokasi-post prepare sokasi-bundar-poleng --out siap-kirim
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    products = select_products(catalog, slugs)
    planned = _plan_with_progress(app, products, settings, platform)
    written = export_photos(planned.posts, out_dir)
    for path in written:
        click.echo(display_path(path))
    problems = [*(p for p in catalog.problems if not slugs or p.slug in slugs), *planned.photo_problems]
    for problem in problems:
        click.echo(_problem_line(problem), err=True)
    app.say(_("Photos written: {count}; total {size}").format(
        count=len(written), size=_kilobytes(sum(path.stat().st_size for path in written))))
    if any(not p.warning for p in problems):
        raise SystemExit(1)


@_command()
@click.argument("slug")
@click.pass_obj
def new(app: _App, slug: str) -> None:
    """Create a product folder SLUG with a commented post.yaml to fill in (a draft).

    Example: sokasi-post new sokasi-bundar-poleng
    """
    from sokasi_post.starter import new_product

    settings = app.settings()
    if not settings.posts_dir.is_dir():
        raise ConfigError([_("{config}: posts_dir: the products folder {folder} does not exist").format(
            config=display_path(settings.config_path), folder=display_path(settings.posts_dir))])
    post_file = new_product(settings.posts_dir, slug)
    click.echo(display_path(post_file))
    app.say(_("Created {path}: fill it in, put the photos in {folder}, then set status: ready").format(
        path=display_path(post_file), folder=display_path(post_file.parent)))


@_command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.pass_obj
def init(app: _App, folder: Path) -> None:
    """Write a starter config.yaml and one example product into FOLDER (default: here).

    Refuses to overwrite an existing config.yaml or posts folder.

    Example: sokasi-post init tigawasa && cd tigawasa && sokasi-post check
    """
    from sokasi_post.starter import init_project

    folder.mkdir(parents=True, exist_ok=True)
    for path in init_project(folder):
        click.echo(display_path(path))
    here = folder.resolve() == Path.cwd().resolve()
    config = display_path(folder / "config.yaml")
    if here:
        app.say(_("Done. Edit {config} (Page ID, Instagram account, WhatsApp number), then run `sokasi-post check`")
                .format(config=config))
    else:
        app.say(_("Done. Go into the folder (`cd {folder}`), edit config.yaml (Page ID, Instagram account, WhatsApp "
                  "number), then run `sokasi-post check`").format(folder=_shell_word(str(folder))))


@_command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("Folder to write the preview into: a new or empty one, or one it made before (default: state_dir/preview)."))
@click.option("--open", "open_it", is_flag=True, help=_("Open the preview in the web browser."))
@click.pass_obj
def preview(app: _App, slugs: tuple[str, ...], out_dir: Path | None, open_it: bool) -> None:
    """Show every post as it will look, to check and to share with the group; nothing is posted.

    Writes a folder with index.html (each post as it will look on Facebook and Instagram, the
    Instagram grid with the new posts in place, warnings), the prepared photos, and preview.png, a
    contact sheet small enough for WhatsApp. Works offline; needs no token or password.

    Example: sokasi-post preview --open
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    planned = _plan_with_progress(app, select_products(catalog, slugs), settings)
    from sokasi_post.preview import render_preview

    made = render_preview(planned, settings, out_dir or settings.state_dir / "preview", datetime.now(UTC),
                          broken=publishing.broken_folders(catalog, slugs))
    click.echo(display_path(made.index))
    app.say(_("Preview written: open {index} in a browser; {sheet} is the picture to send to the group").format(
        index=display_path(made.index), sheet=display_path(made.sheet)))
    if open_it:
        import webbrowser

        webbrowser.open(made.index.resolve().as_uri())


@_command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("Folder to write the site into: a new or empty one, or one it made before (default: site.out)."))
@click.option("--publish", "push", is_flag=True, help=_("Then put it online: push it with git to site.git_remote."))
@click.pass_obj
def site(app: _App, out_dir: Path | None, push: bool) -> None:
    """Write the shop-window site: every product for sale, with prices, makers and a WhatsApp order button.

    One page per product and per craftsman, in both languages, link previews for WhatsApp and Facebook,
    sitemap.xml and feed.csv (Meta's catalogue feed). Sold products leave the index and keep their page
    with a "Sold" badge. Only changed files are rewritten. Works offline; --publish pushes the folder to
    the git remote in config.yaml (see docs/hosting.md).

    Example: sokasi-post site --publish
    """
    settings = app.settings()
    # The order button sends buyers to contact.whatsapp: with the starter's example number they would reach a stranger.
    unfinished = [p for p in settings.unfinished if p.platform is None]
    if push and unfinished:
        raise ConfigError([*(f"{display_path(p.path)}: {p.message}" for p in unfinished),
                           _("the site was not put online: replace the example values above, then run it again")])
    result = run.build_site(settings, out_dir)
    for problem in [*(replace(p, warning=True) for p in unfinished), *result.problems]:
        click.echo(_problem_line(problem))
    folder = out_dir or site_or_default(settings).out_dir
    click.echo(display_path(folder / "index.html"))
    app.say(_("Site written: {pages} pages; {written} files changed, {removed} removed, {unchanged} unchanged").format(
        pages=result.pages, written=len(result.written), removed=len(result.removed), unchanged=result.unchanged))
    if push:
        pushed = run.push_site(settings, folder)
        if pushed.commit is None:
            app.say(_("Nothing new to put online: the site there is already this one."))
        else:
            app.say(_("Put online: {count} files changed, on branch {branch} of {remote}").format(
                count=len(pushed.changed), branch=settings.site.git_branch if settings.site else "",
                remote=settings.site.git_remote if settings.site else ""))  # config refuses one with a secret
    if any(not problem.warning for problem in result.problems):
        raise SystemExit(1)


@_command()
@click.argument("slugs", nargs=-1, required=True, metavar="SLUG...")
@click.option("--undo", is_flag=True, help=_("Put them back on sale (status: ready)."))
@click.pass_obj
def sold(app: _App, slugs: tuple[str, ...], undo: bool) -> None:
    """Mark products as sold (status: sold in post.yaml): never posted again; on the site they leave the index and
    keep their page with a "Sold" badge, so links already shared still work.

    Example: sokasi-post sold sokasi-bundar-poleng
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    select_products(catalog, slugs)  # an unknown name is refused with "did you mean", before any file changes
    for slug, changed in run.mark_sold(settings, slugs, sold=not undo):
        if undo:
            said = _("{slug}: back on sale (status: ready)") if changed else _("{slug}: already on sale")
        else:
            said = _("{slug}: sold (status: sold)") if changed else _("{slug}: already sold")
        click.echo(said.format(slug=slug))
    if settings.site is not None:
        result = run.build_site(settings)
        app.say(_("Site updated: {written} files changed (`sokasi-post site --publish` puts it online)").format(
            written=len(result.written)))


@_command()
@click.argument("action", required=False, type=click.Choice(["reply"]))
@click.argument("number", required=False, type=int)
@click.option("--text", help=_("The answer to send (default: the suggested one)."))
@click.option("--forget", type=int, metavar="ID", help=_("Delete this comment's name and text from the ledger."))
@click.option("--offline", is_flag=True, help=_("Show what the ledger has; read nothing from Facebook or Instagram."))
@click.option("--json", "as_json", is_flag=True, help=_("Print a JSON array, for scripts."))
@click.pass_obj
def inbox(app: _App, action: str | None, number: int | None, text: str | None, forget: int | None, offline: bool,
          as_json: bool) -> None:
    """Read buyers' comments on the recent posts and list them by product, newest first, each with the price and the
    maker; questions about buying (price, still available, ordering, shipping) are marked, with a suggested answer.

    `inbox reply ID` sends the answer to comment ID as the Page (Facebook) or the account (Instagram through the
    official API), exactly once; with instagrapi it prints the text to paste in the Instagram app instead.
    Also reads each recent post's likes, reactions, comments and shares, and writes "TERJUAL / SOLD" on the posts of
    sold products. Comment texts are deleted after inbox.retention_days.

    Example: sokasi-post inbox reply 7
    """
    settings = app.settings()
    if forget is not None:
        if not run.forget_comment(settings, forget):
            raise UsageError(_("there is no comment {number} in the inbox").format(number=forget))
        app.say(_("Comment {number}: its name and text are deleted").format(number=forget))
        return
    products = load_catalog(settings).products
    if action == "reply":
        if number is None:
            raise UsageError(_("which comment? e.g. `sokasi-post inbox reply 7` (the number `inbox` shows)"))
        _answer(app, settings, products, number, text)
        return
    shown = run.inbox(settings, products, fetch=not offline, notice=_tell)
    if as_json:
        click.echo(json.dumps([_inbox_json(item) for item in shown.items], indent=2, ensure_ascii=False))
    else:
        _print_inbox(shown.items, settings)
    _say_inbox_run(app, shown)
    if shown.loop is not None and (shown.loop.stopped or shown.loop.problems):
        raise SystemExit(1)  # something could not be read: cron's mail and the exit code say so


def _answer(app: _App, settings: Settings, products: tuple[Product, ...], number: int, text: str | None) -> None:
    """Send (or give to paste) the answer to one comment, and say how it went; exit 1 when it did not go out."""
    said = run.answer(settings, products, number, text)
    if said.outcome == "by_hand":
        click.echo(_("Instagram through instagrapi sends no answers (the private API risks the account). Paste this in "
                     "the Instagram app, under the comment:"))
        click.echo(said.detail)
        return
    if said.outcome in ("sent", "already"):
        click.echo(_("Comment {number}: answered. {detail}").format(number=number, detail=said.detail))
        return
    click.echo(_("Comment {number}: not answered: {detail}").format(number=number, detail=said.detail), err=True)
    raise SystemExit(1)


def _print_inbox(items: tuple[InboxItem, ...], settings: Settings) -> None:
    """The comments by product: a heading with price and maker, then each comment with its number and state."""
    slug = None
    for item in items:
        comment = item.comment
        if comment.slug != slug:
            slug = comment.slug
            product = item.product
            title = product.title if product else slug
            details = [format_rupiah(product.price) if product and product.price else "", product.maker or "" if product else ""]
            click.echo("== " + " — ".join(part for part in (title, *details) if part) + " ==")
        when = format_date(comment.created_at.astimezone(settings.timezone))
        state = _("answered") if item.answered else (_("QUESTION, waiting") if item.kind else "")
        click.echo(f"  #{comment.number} {label_of(comment.platform)} · {comment.author or _('(no name)')} · {when}"
                   + (f" · {state}" if state else ""))
        click.echo(f"      “{comment.text}”")
        if item.suggestion:
            click.echo(_("      suggested answer (`sokasi-post inbox reply {number}` sends it):").format(number=comment.number))
            for line in item.suggestion.splitlines():
                click.echo(f"        {line}")
    if not items:
        click.echo(_("No comments yet on the recent posts."))


def _say_inbox_run(app: _App, shown: run.Inbox) -> None:
    """What the reading did, on stderr: new comments, questions waiting, platforms not read, "sold" written."""
    waiting = sum(1 for item in shown.items if item.kind and not item.answered)
    if shown.busy:
        app.warn(_("another run is in progress: shown from the ledger, nothing new was read"))
    if shown.loop is not None:
        app.say(_("New comments: {new}; questions waiting for an answer: {waiting}").format(new=len(shown.loop.new),
                                                                                         waiting=waiting))
        # What could not be read is said even with -q: it needs attention (and cron mails what is printed).
        for platform, why in shown.loop.stopped.items():
            click.echo(_("warning: {message}").format(message=_("{platform} not read: {why}").format(
                platform=label_of(platform), why=why)), err=True)
        for problem in shown.loop.problems:
            click.echo(_("warning: {message}").format(message=problem), err=True)
    for comment, said in shown.automatic:
        if said.outcome == "sent":
            app.say(_("Answered automatically (inbox.auto_reply): #{number} on {slug}").format(number=comment.number,
                                                                                               slug=comment.slug))
        else:
            app.warn(_("automatic answer to #{number} on {slug}: {detail}").format(number=comment.number, slug=comment.slug,
                                                                                 detail=said.detail))
    for line in _sold_lines(shown.sold_marks):
        app.say(line)


def _sold_lines(marks: tuple[tuple[str, str, str], ...]) -> list[str]:
    """What writing "sold" on the posts did, one line each."""
    lines = []
    for slug, platform, what in marks:
        if what == "done":
            lines.append(_("{slug} → {platform}: the post now begins with TERJUAL / SOLD").format(
                slug=slug, platform=label_of(platform)))
        elif what == "by_hand":
            lines.append(_("{slug} → {platform}: sold; the official API cannot edit a caption, so add the first line "
                           "TERJUAL / SOLD to the post by hand in the Instagram app").format(slug=slug, platform=label_of(platform)))
        else:
            lines.append(_("{slug} → {platform}: TERJUAL / SOLD not written yet ({what}); the next run tries again").format(
                slug=slug, platform=label_of(platform), what=what))
    return lines


def _inbox_json(item: InboxItem) -> dict[str, object]:
    """One comment of `inbox --json`."""
    comment, product = item.comment, item.product
    return {"number": comment.number, "platform": comment.platform, "slug": comment.slug, "post_id": comment.post_id,
            "comment_id": comment.remote_id, "title": product.title if product else None,
            "price": product.price if product else None, "maker": product.maker if product else None,
            "author": comment.author, "text": comment.text, "created_at": comment.created_at.isoformat(),
            "question": item.kind, "answered": item.answered, "reply_state": item.reply_state,
            "suggestion": item.suggestion}


@_command()
@click.option("--json", "as_json", is_flag=True, help=_("Print a JSON array, for scripts."))
@click.pass_obj
def status(app: _App, as_json: bool) -> None:
    """Show each product on each platform: state, when, post id, link, last error.

    States: not sent, draft, blocked, pending, in_flight, published, scheduled, failed, unknown,
    held back (its platform stopped the last run), resting, held for tomorrow (the daily limit),
    broken (a product folder that does not load, with its problems); "changed" marks a published
    product edited since. A platform resting after an anti-abuse answer is shown with the time it
    tries again (in --json: "cooldown"). Reads only the ledger: no network.

    Example: sokasi-post status --json
    """
    settings = app.settings()
    catalog = load_catalog(settings)
    shown = run.status(settings, _plan_with_progress(app, catalog.products, settings), publishing.broken_folders(catalog))
    stuck = [shown.stuck] if shown.stuck else []
    for message in [*stuck, *(f"{display_path(p.path)}: {p.message}" for p in settings.unfinished)]:
        click.echo(_("warning: {message}").format(message=message), err=True)  # on stderr, so that --json stays JSON
    if as_json:
        click.echo(json.dumps([_status_json(row, shown.resting.get(row.platform)) for row in shown.rows], indent=2,
                              ensure_ascii=False))
        return
    for line in _status_table(shown.rows, settings):
        click.echo(line)
    for cooldown in shown.resting.values():
        click.echo(_("{platform}: resting. {reason}").format(
            platform=label_of(cooldown.platform), reason=publishing.cooldown_text(cooldown, settings)))


def _status_json(row: StatusRow, cooldown: Cooldown | None) -> dict[str, object]:
    """One row of `status --json`: the state as the ledger names it, times in ISO 8601, the platform's rest."""
    return {"slug": row.slug, "platform": row.platform, "state": row.state, "changed": row.changed,
            "post_id": row.post_id, "url": row.url,
            "published_at": row.published_at.isoformat() if row.published_at else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None, "attempts": row.attempts,
            "error": row.error, "via": row.via, "cooldown": _cooldown_json(cooldown)}


def _status_table(rows: list[StatusRow], settings: Settings) -> list[str]:
    """`status` as lines: a header, then one row per product and platform, the columns as wide as their longest text."""
    table = [(_("PRODUCT"), _("PLATFORM"), _("STATE"), _("WHEN"), _("LINK / LAST PROBLEM"))]
    for row in rows:
        when = row.published_at or row.updated_at
        state = word_for(row.state) + (_(" (changed)") if row.changed else "")
        tries = ngettext("{count} try", "{count} tries", row.attempts).format(count=row.attempts) if row.attempts else ""
        said = " — ".join(text for text in (row.url, row.error, tries if row.error else "") if text)
        shown = when.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M") if when else "-"
        platform = f"{row.platform} ({row.via})" if row.via else row.platform  # which way it was made, where two exist
        table.append((row.slug, platform, state, shown, said))
    widths = [max(len(cells[column]) for cells in table) for column in range(4)]
    return ["  ".join([*(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)), cells[4]]).rstrip()
            for cells in table]


def _cooldown_json(cooldown: Cooldown | None) -> dict[str, object] | None:
    """A platform's active cool-down for `status --json`: its kind, when it ends (null: at the next login), why."""
    if cooldown is None:
        return None
    return {"kind": cooldown.kind, "since": cooldown.since.isoformat(),
            "until": cooldown.not_before.isoformat() if cooldown.not_before else None,
            "strikes": cooldown.strikes, "reason": cooldown.reason}


@_command()
@click.pass_obj
def reconcile(app: _App) -> None:
    """Look on Facebook and Instagram for posts whose last attempt ended without a clear answer.

    Records each one found as published; one provably absent is left for the next `publish`. Sends nothing.

    Example: sokasi-post reconcile
    """
    settings = app.settings()
    app.log_to_file(settings)
    tally = run.reconcile(settings, load_catalog(settings).products, planner=partial(_plan_with_progress, app),
                          notice=_tell)
    if tally.busy:
        _say_busy(app, settings)
        return
    for result in tally.results:
        click.echo(f"{result.post.product.slug} → {label_of(result.post.platform)}: {result.detail}")
    app.say(_("Looked for {count} posts in doubt.").format(count=len(tally.results)))
    if tally.count(Outcome.IN_DOUBT):
        raise SystemExit(1)


@_command("import-whatsapp")
@click.argument("export", type=click.Path(exists=True, path_type=Path))
@click.option("--since", metavar="DATE", help=_("Only messages from this day on (2026-11-28)."))
@click.option("--from", "senders", multiple=True, metavar="NAME", help=_("Only messages from this sender (repeatable)."))
@click.option("--date-order", type=click.Choice(["dmy", "mdy"]), help=_("Force how the chat's dates are read."))
@click.option("--dry-run", is_flag=True, help=_("Show the products it would draft; write nothing."))
@click.pass_obj
def import_whatsapp(app: _App, export: Path, since: str | None, senders: tuple[str, ...], date_order: str | None,
                    dry_run: bool) -> None:
    """Turn a WhatsApp chat export (.zip, its folder, or the .txt) into draft products.

    A sender's photos sent within a few minutes, with the words just before or after them, become one
    product folder in posts/ with the photos copied and a post.yaml (status: draft): the first line is
    the title, a price like "Rp 175.000" or "175rb" is read, the sender is the maker. Importing the same
    chat again, or a later one that overlaps, drafts nothing twice.

    Example: sokasi-post import-whatsapp "WhatsApp Chat with Sokasi Tigawasa.zip" --since 2026-11-01
    """
    from sokasi_post.importer import Draft, parse_since

    settings = app.settings()

    def show(draft: Draft) -> None:
        price = f" · {format_rupiah(draft.price)}" if draft.price else ""
        click.echo(f"{display_path(settings.posts_dir / draft.slug)}: {draft.title}{price} · "
                   f"{draft.maker or '-'} · " + _("photos: {count}").format(count=len(draft.photos) - len(draft.missing)))

    found = run.import_chat(settings, export, since=parse_since(since), senders=senders, date_order=date_order,
                            dry_run=dry_run, show=show, notice=_tell)
    for warning in found.warnings:
        app.warn(warning)
    verb = _("Would draft") if dry_run else _("Drafted")
    app.say(_("{verb}: {count} products from {messages} messages; already imported before: {already}. Check them with "
              "`sokasi-post preview`, then set status: ready").format(verb=verb, count=len(found.drafts),
                                                                    messages=found.messages, already=found.already))


@_command(own_lang=True)
@click.option("--since", metavar="DATE", help=_("Report from this day on (default: since the last report)."))
@click.option("--lang", type=click.Choice(["id", "en"]), help=_("Language of the report (default: the tool's)."))
@click.pass_obj
def report(app: _App, since: str | None, lang: str | None) -> None:
    """Print a message for the WhatsApp group: what went online (with links), what is next, what failed.

    Uses WhatsApp's formatting (*bold*, _italic_). Covers what was published since the last report,
    or since --since. Reads only the ledger: no network.

    Example: sokasi-post report --lang id
    """
    from sokasi_post.importer import parse_since
    from sokasi_post.report import report_for_the_group

    if lang:
        set_language(lang)
    settings = app.settings()
    catalog = load_catalog(settings)
    planned = _plan_with_progress(app, catalog.products, settings)
    click.echo(report_for_the_group(planned, settings, parse_since(since), datetime.now(UTC),
                                    broken=publishing.broken_folders(catalog),
                                    notice=_tell))


@_command()
@click.argument("platform", type=click.Choice(["instagram"]))
@click.pass_obj
def login(app: _App, platform: str) -> None:
    """Log in to Instagram once, on this computer, and save the session for `publish` and cron.

    Uses the password in the environment variable named by instagram.password_env, or asks for it;
    asks for a two-factor or security code when Instagram wants one. The session is saved to
    instagram.session_file, readable by you only. Facebook needs no login: it uses a Page token.

    Example: sokasi-post login instagram
    """
    settings = app.settings()
    if settings.instagram.official:  # Meta's official API posts with the Page token: there is no session to save
        raise UsageError(_("no login needed: config.yaml has instagram.backend: graph, which posts with the Page token in "
                           "{variable}; `sokasi-post doctor` checks it").format(variable=settings.instagram.token_env))
    from sokasi_post.publishers.instagram import login as instagram_login

    password = read_secret(settings.instagram.password_env)
    if not password:
        if not _is_terminal(sys.stdin):
            raise UsageError(_("no password: set {variable}, or run `sokasi-post login instagram` in a terminal")
                             .format(variable=settings.instagram.password_env))
        password = click.prompt(_("Instagram password for @{user}").format(user=settings.instagram.username),
                                hide_input=True, err=True)
    app.secrets = (*app.secrets, password)
    for handler in logging.getLogger().handlers:
        _redact_on(handler, app.secrets)
    app.log_to_file(settings)
    def ask(question: str) -> str:
        if sys.stdin is None or sys.stdin.closed:  # cron or systemd: nobody can type the code
            raise UsageError(_("Instagram asks for a code ({question}); run `sokasi-post login instagram` in a terminal "
                               "to type it").format(question=question.rstrip(": ")))
        return click.prompt(question, err=True)

    who = instagram_login(settings, password, ask=ask)
    app.say(_("Logged in as {who}; session saved to {path}").format(
        who=who, path=display_path(settings.instagram.session_file)))
    run.logged_in(settings, platform, notice=_tell)


@_command()
@click.pass_obj
def doctor(app: _App) -> None:
    """Check, without posting, that everything is ready: config, Facebook token, Instagram session, clock.

    Prints one line per check: [ok] fine, [!!] needs fixing (with what to do), [??] could not be checked
    from here (with how to check it by hand). Exit code 1 when something needs fixing.

    Example: sokasi-post doctor
    """
    settings = app.settings()
    app.log_to_file(settings)
    now = datetime.now(UTC)
    local = now.astimezone(settings.timezone)
    lines: list[run.Check] = [
        (True, _("config: {path}").format(path=display_path(settings.config_path))),
        *((False, f"{display_path(p.path)}: {p.message}") for p in settings.unfinished),
        (True, _("clock: {local} ({zone}), {utc} UTC").format(local=local.strftime("%Y-%m-%d %H:%M %Z"),
                                                             zone=settings.timezone.key, utc=now.strftime("%H:%M"))),
        *run.doctor(settings, now, notice=_tell),
    ]
    for good, line in lines:
        click.echo({True: "[ok] ", False: "[!!] ", None: "[??] "}[good] + line)  # [??]: could not be checked
    if any(good is False for good, _line in lines):
        raise SystemExit(1)


def main() -> None:
    """Entry point of the `sokasi-post` command."""
    cli(prog_name="sokasi-post")
