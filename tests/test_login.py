"""`sokasi-post login instagram`: password from the environment or a hidden prompt, codes at the prompt, session 0600."""

from __future__ import annotations

import json
import os
import stat

import pytest
from instagrapi.exceptions import BadPassword, TwoFactorRequired

from sokasi_post.publishers import instagram


class LoginClient:
    """Stands in for instagrapi.Client at the login step only (its login talks to hosts the fake cannot be):
    it has the real method names and raises instagrapi's real exceptions."""

    instances: list[LoginClient] = []

    def __init__(self, *args, **kwargs):
        self.logins = []
        self.uuids = None
        self.challenge_code_handler = None
        self.device = {"country": "US", "country_code": 1, "locale": "en_US", "timezone_offset": -14400}  # instagrapi's
        self.device_when_logging_in = None
        LoginClient.instances.append(self)

    def set_uuids(self, uuids):
        self.uuids = uuids

    def set_country(self, country="US"):
        self.device["country"] = country

    def set_country_code(self, country_code=1):
        self.device["country_code"] = int(country_code)

    def set_locale(self, locale="en_US"):
        self.device["locale"] = locale

    def set_timezone_offset(self, seconds=0, timezone_name=None):
        self.device["timezone_offset"] = int(seconds)

    def login(self, username, password, relogin=False, verification_code=""):
        self.logins.append((username, password, verification_code))
        self.device_when_logging_in = dict(self.device)
        if password != "benar":
            raise BadPassword(message="The password you entered is incorrect.")
        if not verification_code:
            raise TwoFactorRequired(message="Two-factor authentication required")
        return True

    def get_settings(self):
        return {"uuids": {"phone_id": "p-1"}, "authorization_data": {"ds_user_id": "4242", "sessionid": "SECRET-SESSION"},
                **self.device}


@pytest.fixture(autouse=True)
def login_client(monkeypatch):
    LoginClient.instances.clear()
    monkeypatch.setattr(instagram, "Client", LoginClient)
    monkeypatch.delenv("INSTAGRAM_PASSWORD", raising=False)


def test_login_asks_for_the_two_factor_code_and_saves_the_session_for_the_user_only(project):
    result = project.run("login", "instagram", env={"INSTAGRAM_PASSWORD": "benar"}, input="123456\n")
    assert result.exit_code == 0, result.output
    assert "Two-factor code" in result.stderr
    (client,) = LoginClient.instances
    assert client.logins == [("sokasi.tigawasa", "benar", ""), ("sokasi.tigawasa", "benar", "123456")]
    session = project.root / ".sokasi-post" / "instagram-session.json"
    assert json.loads(session.read_text())["authorization_data"]["sessionid"] == "SECRET-SESSION"
    if os.name == "posix":
        assert stat.S_IMODE(session.stat().st_mode) == 0o600
    assert "benar" not in result.output
    assert "Logged in as @sokasi.tigawasa; session saved to .sokasi-post/instagram-session.json" in result.stderr


def test_login_presents_a_phone_in_indonesia_on_bali_time_and_saves_it(project):
    result = project.run("login", "instagram", env={"INSTAGRAM_PASSWORD": "benar"}, input="123456\n")
    assert result.exit_code == 0, result.output
    (client,) = LoginClient.instances
    bali = {"country": "ID", "country_code": 62, "locale": "id_ID", "timezone_offset": 8 * 3600}
    assert client.device_when_logging_in == bali  # set before the first login request, not only in the file
    saved = json.loads((project.root / ".sokasi-post" / "instagram-session.json").read_text())
    assert {key: saved[key] for key in bali} == bali


def test_login_keeps_the_same_device_on_a_second_login(project):
    project.run("login", "instagram", env={"INSTAGRAM_PASSWORD": "benar"}, input="111111\n")
    project.run("login", "instagram", env={"INSTAGRAM_PASSWORD": "benar"}, input="222222\n")
    assert LoginClient.instances[1].uuids == {"phone_id": "p-1"}


def test_a_wrong_password_is_one_clear_line(project):
    result = project.run("login", "instagram", env={"INSTAGRAM_PASSWORD": "salah-sekali"})
    assert result.exit_code == 2
    assert result.stderr == ("error: Instagram refused the password for @sokasi.tigawasa; check INSTAGRAM_PASSWORD or type "
                             "it again\n")
    assert "salah-sekali" not in result.output
    assert not (project.root / ".sokasi-post" / "instagram-session.json").exists()


def test_without_a_terminal_or_a_password_login_says_what_to_do(project):
    result = project.run("login", "instagram")  # CliRunner's stdin is not a terminal, like cron
    assert result.exit_code == 2
    assert result.stderr == ("error: no password: set INSTAGRAM_PASSWORD, or run `sokasi-post login instagram` in a "
                             "terminal\n")


def test_with_the_official_api_login_says_none_is_needed_and_asks_for_no_password(project):
    project.config.write_text(project.config.read_text(encoding="utf-8").replace(
        "instagram:\n", "instagram:\n  backend: graph\n  photo_host: page\n"), encoding="utf-8")
    result = project.run("login", "instagram", input="never-read\n")
    assert result.exit_code == 2
    assert result.stderr == ("error: no login needed: config.yaml has instagram.backend: graph, which posts with the Page "
                             "token in FACEBOOK_PAGE_TOKEN; `sokasi-post doctor` checks it\n")
    assert not (project.root / ".sokasi-post" / "instagram-session.json").exists()
