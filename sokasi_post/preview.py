"""The preview pack: an HTML page (no scripts, no internet) and a PNG sheet showing each post as it will look.

It uses the exact captions and prepared photos that `publish` sends (the plan), so what the group sees
is what goes out.

It writes only into a new or empty folder, or one it wrote before (it leaves a marker file there, with the
list of what it wrote and a hash of each): a folder of the user's is never overwritten, and nothing is ever
deleted that it did not write itself.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sokasi_post.captions import HASHTAG, format_rupiah
from sokasi_post.config import Settings
from sokasi_post.errors import UsageError
from sokasi_post.i18n import _, format_date, language
from sokasi_post.ledger import Ledger
from sokasi_post.media import contact_sheet
from sokasi_post.models import PlannedPost, PreparedPhoto, Problem
from sokasi_post.ownedfolder import claim, unchanged, write_atomically
from sokasi_post.platforms import label_of, rules_for
from sokasi_post.publishing import Plan, active_cooldowns, cooldown_text, fingerprint
from sokasi_post.states import DONE, State, phrase_for
from sokasi_post.yamlfile import display_path

INDEX = "index.html"
SIGNATURE = ".preview-of"  # the marker: what this folder's preview shows, and the files it wrote
SHEET = "preview.png"
GRID_TILES = 12
CAPTION_FOLD = 125  # Instagram shows about this many characters before "more"
SHEET_BROKEN = 6  # broken folders named one by one on the contact sheet; the rest are counted


@dataclass(frozen=True)
class Preview:
    """Where the preview pack was written."""

    index: Path
    sheet: Path


def render_preview(planned: Plan, settings: Settings, folder: Path, now: datetime, *,
                   broken: dict[str, tuple[Problem, ...]] | None = None) -> Preview:
    """Write index.html, the prepared photos (<slug>/<platform>-NN.jpg) and preview.png into `folder`.

    `broken` holds the product folders that did not load (slug -> their problems): listed first, on the page and the
    sheet, so a folder with a mistake never just goes missing from what the group sees.
    When nothing it shows has changed since the last preview in `folder`, the files there are kept as they are.
    """
    broken = dict(sorted((broken or {}).items()))
    with Ledger.open(settings.state_dir, read_only=True) as ledger:  # a preview writes nothing in the ledger
        states = {(p.product.slug, p.platform): ledger.get(p.product.slug, p.platform) for p in planned.posts}
        resting = {platform: cooldown_text(cooldown, settings)
                   for platform, cooldown in active_cooldowns(settings, ledger, now).items()}
    signature = _signature(planned, states, now, resting, broken)
    before = _claim(folder)
    if before.get("signature") == signature and (folder / INDEX).is_file():
        return Preview(index=folder / INDEX, sheet=folder / SHEET)
    out = _Writer(folder, before)
    for post in planned.posts:
        for number, prepared in _numbered(post):
            out.write(f"{post.product.slug}/{post.platform}-{number:02d}.jpg", prepared.path.read_bytes())
    cards = [_product_html(slug, [p for p in planned.posts if p.product.slug == slug], settings, states, now, resting)
             for slug in dict.fromkeys(p.product.slug for p in planned.posts)]
    tiles = [(post.prepared[0].path, *sheet_label(post, states.get((post.product.slug, post.platform))))
             for post in planned.posts if post.prepared]
    sheet = folder / SHEET
    if tiles or broken:
        out.write(SHEET, contact_sheet(tiles, out.scratch(SHEET), notes=sheet_notes(broken)).read_bytes())
    page = _PAGE.format(
        lang=language(), title=html.escape(_("Preview of the next posts")), style=_STYLE,
        heading=html.escape(_("Preview of the next posts")),
        intro=html.escape(_("Made {when} from the products folder: the exact photos and captions that `sokasi-post "
                            "publish` would send. Nothing has been posted by making this page.").format(
            when=format_date(now.astimezone(settings.timezone)))),
        sheet=f'<p><a href="{SHEET}">{_esc(_("Contact sheet (PNG) for WhatsApp"))}</a></p>' if tiles or broken else "",
        broken=_broken_html(broken), grid=_grid_html(planned, states), cards="\n".join(cards))
    out.write(INDEX, page.encode("utf-8"))
    out.finish(signature)
    return Preview(index=folder / INDEX, sheet=sheet)


def _signature(planned: Plan, states: dict, now: datetime, resting: dict[str, str],
               broken: dict[str, tuple[Problem, ...]]) -> str:
    """A hash of everything the page shows: posts, photos, ledger states, rests, broken folders, language, and the day
    (for 'scheduled')."""
    parts = [language(), now.date().isoformat(), *sorted(resting.values())]
    for slug, problems in broken.items():
        parts += ["broken", slug, str(len(problems)), *(_problem_text(problem) for problem in problems)]
    for post in planned.posts:
        entry = states.get((post.product.slug, post.platform))
        blocking = tuple(problem.message for problem in post.problems)
        parts += [post.product.slug, post.platform, post.caption, repr(blocking), repr(post.product),
                  *(photo.path.name for photo in post.prepared)]
        parts += [entry.state, entry.permalink or "", entry.last_error or ""] if entry else ["", "", ""]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


# The only names the preview ever writes (and so the only ones it may remove): anything else in a marker is ignored.
_OUR_FILE = re.compile(r"(?:index\.html|preview\.png|[a-z0-9]+(?:-[a-z0-9]+)*/(?:facebook|instagram)-\d\d\.jpg)")
_OUR_FOLDER = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _claim(folder: Path) -> dict:
    """What the preview wrote into `folder` before (empty for a new or empty folder); UsageError if it is not ours."""
    marker = claim(folder, SIGNATURE, UsageError(_(
        "{folder}: this folder has other files in it and was not made by `sokasi-post preview`; nothing was written: "
        "choose a new or empty folder with --out").format(folder=display_path(folder))))
    # A marker from an older version holds only the signature: the folder is ours, but what it wrote is not known.
    return marker if isinstance(marker, dict) else {}


class _Writer:
    """Writes the preview's files into its folder, each through a new file renamed into place (never through a link
    someone put there), and at the end removes what the previous preview wrote that is not wanted any more."""

    def __init__(self, folder: Path, before: dict):
        self.folder = folder
        written = before.get("written")
        self.before = {name: digest for name, digest in (written.items() if isinstance(written, dict) else ())
                       if isinstance(name, str) and isinstance(digest, str) and _OUR_FILE.fullmatch(name)}
        folders = before.get("folders")
        self.folders = {name for name in (folders if isinstance(folders, list) else ())
                        if isinstance(name, str) and _OUR_FOLDER.fullmatch(name)}
        self.written: dict[str, str] = {}
        self.scratched: list[Path] = []

    def scratch(self, name: str) -> Path:
        """A new, empty file in the folder to render into (renamed into place by write, removed by finish)."""
        descriptor, path = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.folder)
        os.close(descriptor)
        self.scratched.append(Path(path))
        return Path(path)

    def write(self, name: str, data: bytes) -> None:
        """Write `name` (under the folder; in a slug's subfolder it makes) through a new file renamed into place."""
        parent = self.folder
        if "/" in name:
            sub = name.split("/")[0]
            parent = self.folder / sub
            if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                raise UsageError(_("{path}: is in the way of the preview (it was not made by it); move it away or "
                                   "choose another folder with --out").format(path=display_path(parent)))
            if not parent.exists():
                parent.mkdir()
                self.folders.add(sub)
        write_atomically(self.folder / name, data)
        self.written[name] = hashlib.sha256(data).hexdigest()

    def finish(self, signature: str) -> None:
        """Remove the old files not written this time (only if unchanged since), then empty folders it made; mark."""
        for scratch in self.scratched:
            scratch.unlink(missing_ok=True)
        for name, digest in self.before.items():
            if name not in self.written and unchanged(self.folder / name, digest):
                (self.folder / name).unlink()
        for sub in sorted(self.folders):
            path = self.folder / sub
            if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                path.rmdir()
        self.folders = {sub for sub in self.folders if (self.folder / sub).is_dir()}
        marker = {"signature": signature, "written": self.written, "folders": sorted(self.folders)}
        self.write(SIGNATURE, json.dumps(marker, indent=1).encode("utf-8"))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _caption_html(text: str) -> str:
    """Escaped caption with hashtags and links marked, line breaks kept (by CSS)."""
    escaped = _esc(text)
    escaped = HASHTAG.sub(lambda m: f'<span class="tag">{m.group(0)}</span>', escaped)
    return re.sub(r"(https?://[^\s<]+)", r'<span class="link">\1</span>', escaped)


def _photo_src(post: PlannedPost, number: int) -> str:
    return _esc(f"{post.product.slug}/{post.platform}-{number:02d}.jpg")


def _numbered(post: PlannedPost) -> list[tuple[int, PreparedPhoto]]:
    """(place in the post, prepared photo) for each photo that could be prepared."""
    order = {photo: number for number, photo in enumerate(post.photos, start=1)}
    return [(order[prepared.source], prepared) for prepared in post.prepared]


def _warnings(post: PlannedPost, now: datetime, settings: Settings) -> list[tuple[str, str]]:
    """(kind, text) pairs shown above a card: errors block the post, notes only inform."""
    product, notes = post.product, []
    notes += [("error", problem.message) for problem in post.problems]
    if product.is_draft:
        notes.append(("note", _("Draft: it will not be posted until post.yaml says status: ready")))
    if product.publish_at and product.publish_at > now:
        notes.append(("note", _("Scheduled: not before {when}").format(
            when=format_date(product.publish_at.astimezone(settings.timezone)))))
    notes += [("warn", warning) for warning in post.warnings]
    return notes


# A permalink comes from the platform's answer; only an http(s) address of printable characters is made a link.
_WEB_LINK = re.compile(r"https?://[^\s\"'<>\\`\x00-\x1f\x7f]+", re.I)


def _state_html(entry) -> str:
    done = " done" if entry is not None and entry.state in DONE else ""
    badge = f'<span class="state{done}">{_esc(phrase_for(entry.state if entry else None))}</span>'
    # a link that is not a web address (javascript:, data:, file:) never becomes one
    if done and entry.permalink and _WEB_LINK.fullmatch(entry.permalink):
        return f'{badge} <a href="{_esc(entry.permalink)}">{_esc(_("open"))}</a>'
    return badge


def _problem_text(problem: Problem) -> str:
    """One problem as `check` prints it: the file, then what is wrong."""
    prefix = _("warning: ") if problem.warning else ""
    return f"{display_path(problem.path)}: {prefix}{problem.message}"


def _broken_html(broken: dict[str, tuple[Problem, ...]]) -> str:
    """The product folders that did not load, each with every problem: first on the page, never left out."""
    if not broken:
        return ""
    folders = "".join(
        f'<li data-broken="{_esc(slug)}"><b>{_esc(slug)}</b><ul>'
        + "".join(f"<li>{_esc(_problem_text(problem))}</li>" for problem in problems) + "</ul></li>"
        for slug, problems in broken.items())
    why = _("These folders are not shown below and will not be posted until the problems are fixed; "
            "`sokasi-post check` checks them again.")
    return (f'<section class="broken"><h2>{_esc(_("Product folders with problems"))}</h2>'
            f"<p>{_esc(why)}</p><ul>{folders}</ul></section>")


def sheet_label(post: PlannedPost, entry) -> tuple[str | None, list[str]]:
    """What the contact sheet says on one post: the banner across its photo (DRAFT, BLOCKED or none), then the lines
    under it: title and platform, price and maker, and whether it will go out."""
    product = post.product
    banner = _("DRAFT") if product.is_draft else _("BLOCKED") if post.blocked else None
    lines = [f"{product.title} · {label_of(post.platform)} · " + _("photos: {count}").format(count=len(post.prepared)),
             " · ".join([format_rupiah(product.price) if product.price else _("no price"),
                         *([product.maker] if product.maker else [])])]
    if product.is_draft:
        lines.append(_("DRAFT: not posted until post.yaml says status: ready"))
    if post.blocked:
        lines.append(_("BLOCKED: {problem}").format(problem=post.problems[0].message))
    if not product.is_draft and not post.blocked:
        lines.append(phrase_for(entry.state if entry else None))
    return banner, lines


def sheet_notes(broken: dict[str, tuple[Problem, ...]]) -> list[str]:
    """The lines above the tiles of the contact sheet: how many product folders have problems, and which."""
    if not broken:
        return []
    notes = [_("Product folders with problems: {count}; they are not on this sheet (see `sokasi-post check`)").format(
        count=len(broken))]
    for slug, problems in list(broken.items())[:SHEET_BROKEN]:
        first = next((problem for problem in problems if not problem.warning), problems[0]) if problems else None
        notes.append(f"{slug}: {first.message}" if first else slug)
    if len(broken) > SHEET_BROKEN:
        notes.append(_("and {count} more").format(count=len(broken) - SHEET_BROKEN))
    return notes


def _product_html(slug: str, posts: list[PlannedPost], settings: Settings, states: dict, now: datetime,
                  resting: dict[str, str]) -> str:
    """One product's article: a card per platform with its state, notes, the post as it will look, and its length."""
    product = posts[0].product
    cards = []
    for post in posts:
        entry = states.get((slug, post.platform))
        found = _warnings(post, now, settings)
        if entry is not None and entry.state in DONE and entry.last_error:  # posted, but not as sent
            found.insert(0, ("error", entry.last_error))
        elif entry is not None and entry.last_error:  # why the last run did not post it
            found.insert(0, ("warn" if entry.state == State.PENDING else "error",
                             _("Last try: {error}").format(error=entry.last_error)))
        if post.platform in resting and not (entry and entry.state in DONE):
            found.insert(0, ("error", resting[post.platform]))
        notes = "".join(f'<li class="{kind}">{_esc(text)}</li>' for kind, text in found)
        body = _facebook_html(post, settings) if post.platform == "facebook" else _instagram_html(post, settings)
        limit = rules_for(post.platform).caption_characters
        cards.append(
            f'<div class="card {post.platform}" data-platform="{post.platform}">'
            f'<h3>{_esc(label_of(post.platform))} {_state_html(states.get((slug, post.platform)))}</h3>'
            f'{"<ul class=notes>" + notes + "</ul>" if notes else ""}{body}'
            f'<p class="count">{_esc(_("{length:,} of {limit:,} characters").format(length=len(post.caption), limit=limit))}'
            f"</p></div>")
    maker = f" · {_esc(product.maker)}" if product.maker else ""
    return (f'<article class="product" id="{_esc(slug)}" data-slug="{_esc(slug)}">'
            f"<h2>{_esc(product.title)}{maker}</h2><div class=cards>{''.join(cards)}</div></article>")


def _facebook_html(post: PlannedPost, settings: Settings) -> str:
    photos = _numbered(post)
    shown = photos[:4]
    more = len(photos) - len(shown)
    images = []
    for index, (number, photo) in enumerate(shown):
        overlay = f'<span class="more">+{more}</span>' if more and index == len(shown) - 1 else ""
        alt = _esc(post.product.alt.get(photo.source.name, post.product.title))
        images.append(f'<div class="cell"><img src="{_photo_src(post, number)}" alt="{alt}">{overlay}</div>')
    page = settings.contact.name or _("Facebook Page")
    return (f'<div class="fb-head"><span class="avatar">{_esc(page[:1])}</span><b>{_esc(page)}</b></div>'
            f'<p class="text">{_caption_html(post.caption)}</p>'
            f'<div class="fb-grid n{min(len(shown), 4)}">{"".join(images)}</div>')


def _instagram_html(post: PlannedPost, settings: Settings) -> str:
    photos = _numbered(post)
    user = settings.instagram.username or "instagram"
    if not photos:
        frame = f'<div class="frame empty">{_esc(_("no photo could be prepared"))}</div>'
    else:
        first = photos[0][1]
        alt = _esc(post.product.alt.get(first.source.name, post.product.title))
        frame = (f'<div class="frame" style="aspect-ratio: {first.width} / {first.height}">'
                 f'<img src="{_photo_src(post, photos[0][0])}" alt="{alt}"></div>')
    dots = "".join(f'<span class="dot{" on" if i == 0 else ""}"></span>' for i in range(len(photos))) if len(photos) > 1 else ""
    strip = "".join(f'<img src="{_photo_src(post, number)}" alt="{_esc(_("photo {n}").format(n=number))}">'
                    for number, _prepared in photos[1:])
    head, rest = post.caption[:CAPTION_FOLD], post.caption[CAPTION_FOLD:]
    caption = f"<b>{_esc(user)}</b> {_caption_html(head)}"
    if rest:
        caption += f"<details><summary>… {_esc(_('more'))}</summary>{_caption_html(rest)}</details>"
    return (f'<div class="ig-head"><span class="avatar">{_esc(user[:1])}</span><b>{_esc(user)}</b></div>{frame}'
            f'<div class="dots">{dots}</div>{"<div class=strip>" + strip + "</div>" if strip else ""}'
            f'<p class="text">{caption}</p>')


def _grid_html(planned: Plan, states: dict) -> str:
    """The account's next tiles: the posts still to go out (the next one top left), then those already posted."""
    instagram = [post for post in planned.posts if post.platform == "instagram" and post.prepared]
    coming = [p for p in instagram if not p.product.is_draft and not p.blocked
              and not (states.get((p.product.slug, "instagram")) and states[(p.product.slug, "instagram")].state in DONE)]
    coming.sort(key=lambda p: p.product.publish_at.timestamp() if p.product.publish_at else 0.0)
    posted = [p for p in instagram if (entry := states.get((p.product.slug, "instagram"))) and entry.state in DONE
              and entry.fingerprint == fingerprint(p)]
    posted.sort(key=lambda p: states[(p.product.slug, "instagram")].published_at, reverse=True)
    tiles = [(post, True) for post in reversed(coming)] + [(post, False) for post in posted]
    if not tiles:
        return f'<p>{_esc(_("No Instagram posts to show yet."))}</p>'
    cells = []
    for post, new in tiles[:GRID_TILES]:
        badge = f'<span class="new">{_esc(_("new"))}</span>' if new else ""
        number = _numbered(post)[0][0]
        cells.append(f'<a class="tile" href="#{_esc(post.product.slug)}"><img src="{_photo_src(post, number)}" '
                     f'alt="{_esc(post.product.title)}">{badge}</a>')
    return f'<div class="grid">{"".join(cells)}</div>'


_STYLE = """
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3efe8;color:#1c1a17}
header,section{max-width:980px;margin:0 auto;padding:12px 14px}
h1{font-size:1.4em;margin:.4em 0}h2{font-size:1.15em;margin:.2em 0 .6em}h3{font-size:1em;margin:0 0 .5em}
.product{background:#fffdf9;border-radius:12px;padding:12px;margin:14px 0;box-shadow:0 1px 3px #0002}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(290px,1fr));gap:14px}
.card{background:#fff;border:1px solid #ddd;border-radius:10px;padding:10px;overflow:hidden}
.card img{display:block;width:100%;height:100%;object-fit:cover}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.5em 0}
.tag,.link{color:#2a5bb8}.count{color:#666;font-size:.85em;margin:0}
.notes{margin:0 0 .5em;padding-left:1.2em;font-size:.9em}.notes .error{color:#b00020;font-weight:600}
.notes .warn{color:#8a5a00}.notes .note{color:#445}
.avatar{display:inline-block;width:28px;height:28px;border-radius:50%;background:#c9a46a;color:#fff;text-align:center;
line-height:28px;margin-right:8px;text-transform:uppercase}
.fb-head,.ig-head{display:flex;align-items:center;margin-bottom:6px}
.fb-grid{display:grid;gap:2px;grid-template-columns:1fr 1fr}.fb-grid.n1{grid-template-columns:1fr}
.fb-grid.n3 .cell:first-child{grid-column:1 / 3}.fb-grid .cell{position:relative;aspect-ratio:1}
.fb-grid.n1 .cell{aspect-ratio:auto}.fb-grid.n1 img{height:auto}
.more{position:absolute;inset:0;background:#0008;color:#fff;font-size:2em;display:flex;align-items:center;justify-content:center}
.frame{background:#000;width:100%}.frame.empty{color:#fff;padding:2em;text-align:center}
.dots{text-align:center;height:14px}.dot{display:inline-block;width:6px;height:6px;border-radius:50%;background:#bbb;margin:4px 2px}
.dot.on{background:#2a5bb8}.strip{display:flex;gap:4px;overflow-x:auto}.strip img{width:64px;height:80px;flex:none}
details{display:inline}summary{color:#777;cursor:pointer;display:inline}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:3px;max-width:480px}
.tile{position:relative;aspect-ratio:3 / 4;display:block;background:#ddd;overflow:hidden}
.tile img{display:block;width:100%;height:100%;object-fit:cover}
.new{position:absolute;top:4px;left:4px;background:#2a5bb8;color:#fff;font-size:.75em;padding:1px 6px;border-radius:8px}
.state{font-weight:normal;font-size:.8em;background:#eee;border-radius:8px;padding:1px 8px;margin-left:6px}
.state.done{background:#d7f0d9}
.broken{background:#fdecee;border:2px solid #b00020;border-radius:12px;margin:10px auto}.broken h2{color:#b00020}
.broken li{overflow-wrap:anywhere}
"""

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
<h1>{heading}</h1>
<p>{intro}</p>
{sheet}
</header>
{broken}
<section class="grid-section"><h2>Instagram</h2>{grid}</section>
<section class="products">
{cards}
</section>
</body>
</html>
"""
