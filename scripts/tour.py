"""Record the README's five-minute tour: real commands in a fresh folder, real output.

Facebook and Instagram cannot be reached from here, so `publish` runs against the local stand-ins the
tests use (tests/fakegraph.py, tests/fakeinstagram.py) — the real facebook-sdk and instagrapi code
talks to them on 127.0.0.1. Everything else is exactly what a coordinator would type and see.

Run from the repository root:  python scripts/tour.py [--lang id|en]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import instagrapi.config  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from sokasi_post import publishing  # noqa: E402
from sokasi_post.cli import cli  # noqa: E402
from sokasi_post.i18n import set_language  # noqa: E402
from sokasi_post.publishers import instagram  # noqa: E402
from tests.fakegraph import FakeGraph  # noqa: E402
from tests.fakeinstagram import FakeInstagram, make_client  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["en", "id"], default="en")
    parser.add_argument("--write", type=Path, help="put the transcript into this README, between <!-- tour --> markers")
    arguments = parser.parse_args()
    lang = arguments.lang
    target = arguments.write.resolve() if arguments.write else None
    here = Path.cwd()
    transcript = io.StringIO()
    with contextlib.redirect_stdout(transcript):
        record(lang)
    os.chdir(here)
    text = transcript.getvalue().rstrip()
    if target:
        readme = target.read_text(encoding="utf-8")
        start, end = readme.index("<!-- tour -->") + len("<!-- tour -->"), readme.index("<!-- /tour -->")
        target.write_text(readme[:start] + f"\n```console\n{text}\n```\n" + readme[end:], encoding="utf-8")
    else:
        print(text)


def record(lang: str) -> None:
    """Run the tour's commands in a fresh folder and print what a terminal would show."""
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as temporary, FakeGraph(page_id="123456789012345") as graph, FakeInstagram() as fake:
        home = Path(temporary)
        os.chdir(home)
        instagrapi.config.API_DOMAIN = fake.domain
        os.environ.update(REQUESTS_CA_BUNDLE=str(fake.ca_path), CURL_CA_BUNDLE=str(fake.ca_path),
                          FACEBOOK_PAGE_TOKEN=graph.page_token)
        instagram.new_client = lambda: make_client(fake)
        publishing.sleep = lambda seconds: None

        def run(command: str) -> None:
            set_language(lang)
            words = shlex.split(command)
            print(f"$ {command}")
            result = runner.invoke(cli, ["--lang", lang, *words[1:]], prog_name="sokasi-post")
            print(result.output.rstrip())

        run("sokasi-post init tigawasa")
        os.chdir(home / "tigawasa")
        config = home / "tigawasa" / "config.yaml"
        config.write_text(config.read_text().replace("  api_version: v25.0", f"  api_version: v25.0\n  graph_url: {graph.url}")
                          .replace("instagram:\n", "instagram:\n  pause_min_seconds: 0\n  pause_max_seconds: 0\n"))
        instagram.save_session(fake.session_settings(), home / "tigawasa" / ".sokasi-post" / "instagram-session.json")
        run("sokasi-post new sokasi-bundar-poleng")
        folder = home / "tigawasa" / "posts" / "sokasi-bundar-poleng"
        for number, name in enumerate(("1-depan.jpg", "2-atas.jpg"), start=1):
            shutil.copy(ROOT / "posts" / "sokasi-bundar-poleng" / f"{number}-{name.split('-', 1)[1]}", folder / name)
        (folder / "post.yaml").write_text(POST[lang], encoding="utf-8")
        print({"en": "$ # (two photos copied into posts/sokasi-bundar-poleng/, post.yaml filled in)",
               "id": "$ # (dua foto disalin ke posts/sokasi-bundar-poleng/, post.yaml diisi)"}[lang])
        for command in ("sokasi-post check", "sokasi-post preview", "sokasi-post publish --dry-run --platform instagram",
                        "sokasi-post publish", "sokasi-post status", "sokasi-post report"):
            run(command)


if __name__ == "__main__":
    main()
