"""Record the README's five-minute tour: real commands in a fresh folder, real output.

The tour is a list of lines as a person types them: `sokasi-post …` commands, `cd` and, for what a person does by
hand (edit a file, copy photos, connect the accounts), a `# (…)` comment that says so. Each manual step is really
done here, as the person would do it, by the function that ACTIONS gives for its words.

Facebook and Instagram cannot be reached from here, so the commands run against the local stand-ins the tests use
(tests/fakegraph.py, tests/fakeinstagram.py) — the real facebook-sdk and instagrapi code talks to them on
127.0.0.1, and nothing else is reachable. Pointing the tool at them (facebook.graph_url and no pauses in
config.yaml, the Page token in the environment, a saved Instagram session) is the one thing the transcript does not
show; the README says so. tests/test_tour.py follows the tour from the READMEs themselves with this same set-up.

Run from the repository root:
    python scripts/tour.py --lang en --write README.md
    python scripts/tour.py --lang id --write README.id.md
Without --write the transcript is printed. A command that fails unexpectedly (see `unexpected`) stops the
recording: the README is not written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import instagrapi.config  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner, Result  # noqa: E402

from sokasi_post import publishing  # noqa: E402
from sokasi_post.cli import cli  # noqa: E402
from sokasi_post.config import load_settings  # noqa: E402
from sokasi_post.i18n import _, language, set_language  # noqa: E402
from sokasi_post.publishers import instagram  # noqa: E402
from tests.fakegraph import FakeGraph  # noqa: E402
from tests.fakeinstagram import LOCAL_HOSTS, FakeInstagram, make_client  # noqa: E402

# What the person writes into config.yaml instead of the starter's samples: made up, but shaped like the real thing.
PAGE_ID = "109284736150294"
ACCOUNT = "anyaman.tigawasa"
WHATSAPP = "+62 813-3791-4682"

# The words of each manual step, as the tour shows them after `$ # (`.
EDIT_CONFIG = {"en": "edit config.yaml: your Page ID, Instagram account, WhatsApp number",
               "id": "edit config.yaml: ID Halaman, akun Instagram, dan nomor WhatsApp Anda"}
ADD_PRODUCT = {"en": "copy two photos into posts/sokasi-bundar-poleng/ and fill in its post.yaml",
               "id": "salin dua foto ke posts/sokasi-bundar-poleng/ lalu isi post.yaml-nya"}
CONNECT = {"en": 'connect Facebook and Instagram, as "Connecting Facebook and Instagram" below says',
           "id": 'hubungkan Facebook dan Instagram, seperti di "Menghubungkan Facebook dan Instagram" di bawah'}

POST = {
    "en": ("title: Sokasi bundar motif poleng\n"
           "caption: |\n  Round sokasi woven from black and natural bamboo in Tigawasa, Banjar, Buleleng.\n"
           "  Diameter 30 cm, with a lid. For canang and banten.\n"
           "price: 175000\nmaker: Ni Ketut Sari\nstatus: ready\n"),
    "id": ("title: Sokasi bundar motif poleng\n"
           "caption: |\n  Sokasi bundar anyaman bambu hitam dan alami dari Tigawasa, Banjar, Buleleng.\n"
           "  Diameter 30 cm, dengan tutup. Untuk canang dan banten.\n"
           "price: 175000\nmaker: Ni Ketut Sari\nstatus: ready\n"),
}
PHOTOS = {"1-depan.jpg": ROOT / "posts" / "sokasi-bundar-poleng" / "1-depan.jpg",
          "2-atas.jpg": ROOT / "posts" / "sokasi-bundar-poleng" / "2-atas.jpg"}


def tour(lang: str) -> list[str]:
    """The tour's lines, as typed after the `$ ` prompt."""
    return ["sokasi-post init tigawasa",
            "cd tigawasa",
            f"# ({EDIT_CONFIG[lang]})",
            "sokasi-post new sokasi-bundar-poleng",
            f"# ({ADD_PRODUCT[lang]})",
            "sokasi-post check",
            "sokasi-post preview",
            "sokasi-post publish --dry-run --platform instagram",
            f"# ({CONNECT[lang]})",
            "sokasi-post publish",
            "sokasi-post status",
            "sokasi-post report"]


def manual_step(line: str) -> str | None:
    """The words of a `# (…)` manual step, or None for any other line."""
    found = re.fullmatch(r"# \((.*)\)", line)
    return found.group(1) if found else None


class StandIns:
    """The two fakes, started, and the tool pointed at them; run commands and do the tour's manual steps with it."""

    def __init__(self, graph: FakeGraph, fake: FakeInstagram):
        self.graph, self.fake = graph, fake
        self.runner = CliRunner()
        # The environment each command sees: the fake's CA, no proxy, and nothing of the caller's own set-up (a real
        # token, another config, the debug switch). The Page token is added by the "connect" step.
        self.env: dict[str, str | None] = {
            "REQUESTS_CA_BUNDLE": str(fake.ca_path), "CURL_CA_BUNDLE": str(fake.ca_path), "NO_PROXY": "127.0.0.1,localhost",
            **dict.fromkeys(("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy",
                             "FACEBOOK_PAGE_TOKEN", "INSTAGRAM_PASSWORD", "SOKASI_POST_CONFIG", "SOKASI_POST_DEBUG")),
        }

    def run(self, command: str, lang: str) -> Result:
        """Run one `sokasi-post …` line in the current folder, speaking `lang` as the recording does."""
        words = shlex.split(command)
        assert words[0] == "sokasi-post", command
        _speak(lang)
        return self.runner.invoke(cli, ["--lang", lang, *words[1:]], prog_name="sokasi-post", env=self.env)

    def edit_config(self, lang: str) -> None:
        """The person's edit: their Page ID, Instagram account and WhatsApp number instead of the samples.
        Hidden from the transcript: facebook.graph_url pointing at the fake Graph, and no pauses on Instagram."""
        config = Path("config.yaml")
        text = config.read_text(encoding="utf-8")
        for key, value in (("page_id", f'"{PAGE_ID}"'), ("username", ACCOUNT), ("whatsapp", f'"{WHATSAPP}"')):
            text = _set_value(text, key, value)
        text = re.sub(r"^facebook:[ \t]*\n", f"facebook:\n  graph_url: {self.graph.url}\n", text, count=1, flags=re.M)
        text = re.sub(r"^instagram:[ \t]*\n", "instagram:\n  pause_min_seconds: 0\n  pause_max_seconds: 0\n", text,
                      count=1, flags=re.M)
        config.write_text(text, encoding="utf-8")

    def add_product(self, lang: str) -> None:
        """Two photos from the bundled sample product, and a filled-in post.yaml."""
        folder = Path("posts") / "sokasi-bundar-poleng"
        for name, source in PHOTOS.items():
            shutil.copy(source, folder / name)
        (folder / "post.yaml").write_text(POST[lang], encoding="utf-8")

    def connect(self, lang: str) -> None:
        """What "Connecting Facebook and Instagram" ends with: the Page token in FACEBOOK_PAGE_TOKEN, and the saved
        session that `sokasi-post login instagram` writes (here the fake's, as it cannot log in the real way)."""
        self.env["FACEBOOK_PAGE_TOKEN"] = self.graph.page_token
        settings = load_settings(Path("config.yaml").resolve())
        instagram.save_session(self.fake.session_settings(), settings.instagram.session_file)


# The manual steps as this script does them, by their exact words; tests/test_tour.py keeps its own table.
ACTIONS: dict[str, Callable[[StandIns, str], None]] = {
    **{EDIT_CONFIG[lang]: StandIns.edit_config for lang in EDIT_CONFIG},
    **{ADD_PRODUCT[lang]: StandIns.add_product for lang in ADD_PRODUCT},
    **{CONNECT[lang]: StandIns.connect for lang in CONNECT},
}


def _set_value(text: str, key: str, value: str) -> str:
    """`key: old  # comment` -> `key: value  # comment` (the comment kept in its column); the key must be there once."""
    pattern = re.compile(rf'^([ \t]*{key}:)([ \t]*)("[^"\n]*"|[^\s#]+)?([ \t]*)(#.*)?$', re.M)
    if len(pattern.findall(text)) != 1:
        raise SystemExit(f"tour: config.yaml has no single `{key}:` line to edit; update scripts/tour.py")

    def replace(found: re.Match) -> str:
        key_part, space, old, gap, comment = (found.group(n) or "" for n in range(1, 6))
        width = len(space) + len(old) + len(gap) - 1  # where the comment starts, after `key: `
        padding = " " * max(width - len(value), 1) if comment else ""
        return f"{key_part} {value}{padding}{comment}"

    return pattern.sub(replace, text)


@contextlib.contextmanager
def stand_ins() -> Iterator[StandIns]:
    """Start the fakes and point the tool at them, as tests/fakeinstagram.py's fake_instagram fixture does:
    instagrapi's API domain, its sleeps (recorded, not slept), no lookups of any host but 127.0.0.1; the
    Instagram client built for the fake, and no pauses between posts. Everything is undone on leaving."""
    with FakeGraph(page_id=PAGE_ID) as graph, FakeInstagram(username=ACCOUNT) as fake, \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(instagrapi.config, "API_DOMAIN", fake.domain)
        recorder = SimpleNamespace(**{**{n: getattr(time, n) for n in dir(time) if n[0] != "_"}, "sleep": fake.sleeps.append})
        for name, module in list(sys.modules.items()):
            if name.startswith("instagrapi") and getattr(module, "time", None) is time:
                patch.setattr(module, "time", recorder)
        real_getaddrinfo = socket.getaddrinfo

        def local_only(host, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in LOCAL_HOSTS:
                raise socket.gaierror(socket.EAI_NONAME, f"tour: lookup of {name!r} blocked, only 127.0.0.1 is used")
            return real_getaddrinfo(host, *args, **kwargs)

        patch.setattr(socket, "getaddrinfo", local_only)
        patch.setattr(instagram, "new_client", lambda: make_client(fake))
        patch.setattr(publishing, "sleep", lambda seconds: None)
        yield StandIns(graph, fake)


def _speak(lang: str) -> None:
    """Messages in `lang` from now on (reading the translations only when the language changes: it is slow)."""
    if language() != lang:
        set_language(lang)


def shows_failure(output: str, lang: str) -> bool:
    """Does this output say the command failed? The rule for expected failures: a command exits non-zero exactly
    when its output has a line starting with `error: ` (in the tour's language)."""
    _speak(lang)
    error = _("error: {message}").split("{")[0]
    return any(line.startswith(error) for line in output.splitlines())


def crashed(output: str, lang: str) -> bool:
    """A traceback, or the tool's own words for a bug (`error: unexpected …`): never expected in the tour."""
    _speak(lang)
    crash = _("error: unexpected {kind}: {message} (run with -v for details; please report it)").split("{")[0]
    return "Traceback (most recent call last)" in output or any(line.startswith(crash) for line in output.splitlines())


def unexpected(output: str, exit_code: int, lang: str) -> str | None:
    """Why a command's run is not one the tour may show (see shows_failure and crashed), or None."""
    if crashed(output, lang):
        return "it crashed"
    if shows_failure(output, lang) != (exit_code != 0):
        return f"exit code {exit_code}, and {'an' if shows_failure(output, lang) else 'no'} error line"
    return None


def record(lang: str) -> str:
    """Follow the tour in a fresh folder and return what a terminal would show; stop at an unexpected failure."""
    shown: list[str] = []
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as temporary, stand_ins() as fakes:
        os.chdir(temporary)
        try:
            for line in tour(lang):
                shown.append(f"$ {line}")
                if line.startswith("cd "):
                    os.chdir(shlex.split(line)[1])
                elif (step := manual_step(line)) is not None:
                    ACTIONS[step](fakes, lang)
                else:
                    result = fakes.run(line, lang)
                    output = "\n".join(text.rstrip() for text in result.output.rstrip().splitlines())
                    if output:
                        shown.append(output)
                    problem = unexpected(result.output, result.exit_code, lang)
                    if problem:
                        sys.stderr.write("\n".join(shown) + "\n")
                        raise SystemExit(f"tour: `{line}` failed unexpectedly ({problem}); nothing was written")
        finally:
            os.chdir(here)
    return "\n".join(shown)


def write(readme: Path, transcript: str) -> None:
    """Put the transcript between the README's <!-- tour --> and <!-- /tour --> markers."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index("<!-- tour -->") + len("<!-- tour -->"), text.index("<!-- /tour -->")
    readme.write_text(text[:start] + f"\n```console\n{transcript}\n```\n" + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["en", "id"], default="en")
    parser.add_argument("--write", type=Path, help="put the transcript into this README, between <!-- tour --> markers")
    arguments = parser.parse_args()
    transcript = record(arguments.lang)
    if arguments.write:
        write(arguments.write, transcript)
    else:
        print(transcript)


if __name__ == "__main__":
    main()
