"""config.yaml: where it is found, how paths resolve, and every mistake is a clear exit-2 error."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from sokasi_post.cli import cli
from sokasi_post.config import load_settings
from sokasi_post.errors import ConfigError

from .conftest import CONFIG


def errors_of(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, **kwargs)
    return caught.value.problems


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_fill_everything_not_given(tmp_path):
    settings = load_settings(write(tmp_path, "contact: {whatsapp: '0812 3456 7890'}\nfacebook: {enabled: false}\n"
                                             "instagram: {enabled: false}\n"))
    assert settings.posts_dir == tmp_path / "posts"
    assert settings.state_dir == tmp_path / ".sokasi-post"
    assert settings.timezone == ZoneInfo("Asia/Makassar")
    assert settings.facebook.token_env == "FACEBOOK_PAGE_TOKEN"
    assert settings.facebook.graph_url == "https://graph.facebook.com"
    assert settings.facebook.api_version == "v25.0"
    assert settings.instagram.password_env == "INSTAGRAM_PASSWORD"
    assert settings.instagram.session_file == tmp_path / ".sokasi-post" / "instagram-session.json"
    assert settings.enabled_platforms == ()


def test_relative_paths_resolve_against_the_config_folder_not_the_current_one(tmp_path, monkeypatch):
    folder = tmp_path / "koperasi"
    folder.mkdir()
    write(folder, CONFIG + "state_dir: data/state\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(Path("../koperasi/config.yaml"))
    assert settings.posts_dir == folder / "posts"
    assert settings.state_dir == folder / "data" / "state"


def test_session_file_resolves_against_the_config_folder(tmp_path, monkeypatch):
    text = CONFIG.replace("  username: sokasi.tigawasa\n", "  username: sokasi.tigawasa\n  session_file: sesi/ig.json\n")
    path = write(tmp_path, text)
    monkeypatch.chdir("/")
    assert load_settings(path).instagram.session_file == tmp_path / "sesi" / "ig.json"


def test_config_is_found_by_option_then_environment_then_current_folder(tmp_path, monkeypatch):
    for name in ("by-option", "by-env", "here"):
        (tmp_path / name).mkdir()
        write(tmp_path / name, CONFIG)
        (tmp_path / name / "posts").mkdir()
    runner = CliRunner()
    monkeypatch.chdir(tmp_path / "here")
    monkeypatch.delenv("SOKASI_POST_CONFIG", raising=False)

    def used(args, env=None):
        result = runner.invoke(cli, [*args, "check"], env=env)
        assert result.exit_code == 0, result.output
        return result.stderr.strip().rsplit("config: ", 1)[1]

    env = {"SOKASI_POST_CONFIG": str(tmp_path / "by-env" / "config.yaml")}
    assert used(["--config", str(tmp_path / "by-option" / "config.yaml")], env) == str(
        tmp_path / "by-option" / "config.yaml")
    assert used([], env) == str(tmp_path / "by-env" / "config.yaml")
    assert used([]) == "config.yaml"


def test_missing_config_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOKASI_POST_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert result.stderr == ("error: config.yaml: no config file here. Use --config PATH, set SOKASI_POST_CONFIG, "
                             "or run `sokasi-post init` to create one.\n")


def test_unknown_key_with_suggestion_exits_2(tmp_path):
    path = write(tmp_path, CONFIG + "facebok: {}\n")
    (tmp_path / "posts").mkdir()
    result = CliRunner().invoke(cli, ["--config", str(path), "check"])
    assert result.exit_code == 2
    assert f"error: {path}: facebok: unknown key (did you mean facebook?)" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_nested_key(tmp_path):
    path = write(tmp_path, CONFIG.replace("  page_id:", "  tokn_env: X\n  page_id:"))
    assert errors_of(path)[0].endswith(
        "facebook.tokn_env: unknown key (did you mean facebook.token_env?); "
        "the keys here are: enabled, page_id, token_env, app_id_env, app_secret_env, graph_url, api_version, native_schedule")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("  page_id:", "  enabled: yes please\n  page_id:"),
         "facebook.enabled: expected true or false, got text ('yes please')"),
        (("posts_dir: posts", "posts_dir: [a, b]"), "posts_dir: expected text, got a list"),
        (("  hashtags: [sokasi, tigawasa]", "  hashtags: sokasi"),
         "captions.hashtags: expected a list of hashtags, e.g. [sokasi, bambu], or one list per platform under all, "
         "facebook and instagram, got text ('sokasi')"),
        (('  whatsapp: "+62 812-3456-7890"', "  whatsapp: telepon saya"),
         "contact.whatsapp: expected a phone number with country code, e.g. \"+62 812-3456-7890\", "
         "got 'telepon saya'"),
        (('  whatsapp: "+62 812-3456-7890"', "  whatsapp:"),
         "contact.whatsapp: missing; expected a phone number, e.g. \"+62 812-3456-7890\""),
        (('  page_id: "111222333444555"', "  page_id: my-page"),
         "facebook.page_id: expected the Page's numeric ID, got 'my-page'"),
        (('  page_id: "111222333444555"', ""),
         "facebook.page_id: missing; expected the Page's numeric ID (or set facebook.enabled: false)"),
        (("  username: sokasi.tigawasa", ""),
         "instagram.username: missing; expected the account name (or set instagram.enabled: false)"),
        (("posts_dir: posts", "posts_dir: posts\ntimezone: Bali/Denpasar"),
         "timezone: unknown time zone 'Bali/Denpasar'; Bali is Asia/Makassar"),
        (("  page_id:", "  api_version: '3.1'\n  page_id:"),
         "facebook.api_version: expected a Graph API version like v25.0, got '3.1'"),
        (("  page_id:", "  api_version: v19.0\n  page_id:"),
         "facebook.api_version: v19.0 is no longer served by Facebook; use v25.0 or newer"),
        (("  page_id:", "  graph_url: graph.facebook.com\n  page_id:"),
         "facebook.graph_url: expected an http(s) address, got 'graph.facebook.com'"),
        (("captions:", "captions:\n  instagram: '{title} {harga}'"),
         "captions.instagram: unknown field {harga}; the fields are: {title}, {caption}, {price}, {maker}, {order}, "
         "{whatsapp}, {contact_name}, {hashtags}"),
        (("facebook:", "contact_name: x\nfacebook:"),
         "contact_name: unknown key (did you mean contact?); the keys here are: language, posts_dir, state_dir, "
         "timezone, facebook, instagram, contact, whatsapp, reconcile, schedule, media, captions"),
        (("instagram:\n  username: sokasi.tigawasa", "instagram: sokasi.tigawasa"),
         "instagram: expected a section of keys (enabled, username, password_env, session_file, location, "
         "pause_min_seconds, pause_max_seconds, daily_limit), "
         "got text ('sokasi.tigawasa')"),
    ],
)
def test_each_mistake_names_the_key_and_what_was_expected(tmp_path, change, expected):
    path = write(tmp_path, CONFIG.replace(*change))
    assert f"{path}: {expected}" in errors_of(path)


def test_all_problems_are_reported_at_once(tmp_path):
    path = write(tmp_path, CONFIG.replace("posts_dir: posts", "posts_dir: 3\nstate_dir: [x]"))
    assert len(errors_of(path)) == 2


def test_a_token_pasted_into_token_env_is_never_echoed(tmp_path):
    token = "EAAGm0PX4ZCpsBAKZCZBsecretsecretsecret"
    path = write(tmp_path, CONFIG.replace("  page_id:", f"  token_env: {token}\n  page_id:"))
    result = CliRunner().invoke(cli, ["--config", str(path), "-v", "check"])
    assert result.exit_code == 2
    assert "facebook.token_env: expected the NAME of an environment variable" in result.stderr
    assert token not in result.output


def test_a_graph_version_about_to_end_is_a_warning(tmp_path):
    path = write(tmp_path, CONFIG.replace("  page_id:", "  api_version: v21.0\n  page_id:"))
    settings = load_settings(path, today=date(2026, 11, 28))
    assert settings.warnings == (f"{path}: facebook.api_version: v21.0 stops working on 2027-01-21; "
                                 "change it to v25.0 or newer",)
    assert errors_of(path, today=date(2027, 1, 21)) == [
        f"{path}: facebook.api_version: v21.0 is no longer served by Facebook; use v25.0 or newer"]


def test_yaml_error_in_config_exits_2_with_line(tmp_path):
    path = write(tmp_path, "posts_dir: [\n")
    result = CliRunner().invoke(cli, ["--config", str(path), "check"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: line 2, column 1: YAML syntax error")


def test_missing_posts_folder_is_a_config_error(tmp_path):
    path = write(tmp_path, CONFIG)
    result = CliRunner().invoke(cli, ["--config", str(path), "publish", "--dry-run"])
    assert result.exit_code == 2
    assert "posts_dir: the products folder" in result.stderr
    assert "does not exist" in result.stderr


def test_the_bundled_config_and_samples_check_clean():
    root = Path(__file__).resolve().parent.parent
    result = CliRunner().invoke(cli, ["--config", str(root / "config.yaml"), "check"])
    assert result.exit_code == 0, result.output
    assert "All good. Products: 3;" in result.stderr
