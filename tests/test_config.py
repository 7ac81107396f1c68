"""config.yaml: where it is found, how paths resolve, and every mistake is a clear exit-2 error."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from sokasi_post.cli import cli
from sokasi_post.config import find_config, load_settings
from sokasi_post.errors import ConfigError
from sokasi_post.yamlfile import parse_yaml

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
        (('  whatsapp: "+62 813-3791-2468"', "  whatsapp: telepon saya"),
         "contact.whatsapp: expected a phone number with country code, e.g. \"+62 812-3456-7890\", "
         "got 'telepon saya'"),
        (('  whatsapp: "+62 813-3791-2468"', "  whatsapp:"),
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
         "timezone, facebook, instagram, contact, whatsapp, reconcile, schedule, media, captions, inbox, site"),
        (("instagram:\n  username: sokasi.tigawasa", "instagram: sokasi.tigawasa"),
         "instagram: expected a section of keys (enabled, username, password_env, session_file, location, "
         "pause_min_seconds, pause_max_seconds, daily_limit, backend, user_id, token_env, photo_host), "
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


def test_the_bundled_samples_check_clean_and_its_config_says_what_to_fill_in():
    root = Path(__file__).resolve().parent.parent
    result = CliRunner().invoke(cli, ["--config", str(root / "config.yaml"), "check"])
    assert result.exit_code == 1  # the bundled config keeps init's example Page ID and number: not for publishing
    assert [line.split(" is still")[0].rsplit("config.yaml: ", 1)[1] for line in result.stdout.splitlines()] == [
        "line 11: facebook.page_id", "line 25: contact.whatsapp"]
    assert "Products with problems" not in result.stderr


def test_a_tab_used_to_indent_says_to_use_spaces(tmp_path):
    path = write(tmp_path, CONFIG.replace("  page_id:", "\tpage_id:"))
    assert errors_of(path) == [f"{path}: line 3, column 1: YAML syntax error: a tab where YAML expects spaces; "
                               "use spaces, not tabs, to indent"]


@pytest.mark.parametrize(
    ("hashtags", "expected"),
    [
        ("  hashtags: [#sokasi, #tigawasa]", "line 9: # starts a comment in YAML: write the tags without # "
                                             "(hashtags: [a, b]) or in quotes"),
        ("  hashtags:\n    all: [sokasi, #tigawasa]", "line 10: # starts a comment in YAML: write the tags without # "
                                                      "(all: [a, b]) or in quotes"),
        ("  hashtags: #sokasi", "line 9: captions.hashtags: # starts a comment in YAML: write the tags without # "
                                "(hashtags: [a, b]) or in quotes"),
        ("  hashtags:\n    all: #sokasi #tigawasa", "line 10: captions.hashtags.all: # starts a comment in YAML: write "
                                                    "the tags without # (all: [a, b]) or in quotes"),
    ],
)
def test_hashtags_written_with_a_hash_say_that_hash_starts_a_comment(tmp_path, hashtags, expected):
    path = write(tmp_path, CONFIG.replace("  hashtags: [sokasi, tigawasa]", hashtags))
    assert errors_of(path) == [f"{path}: {expected}"]


def test_a_hashtag_list_left_empty_with_a_note_is_no_problem(tmp_path):
    path = write(tmp_path, CONFIG.replace("  hashtags: [sokasi, tigawasa]", "  hashtags:   # none yet"))
    assert load_settings(path).captions.hashtags == ()


@pytest.mark.parametrize(
    ("slots", "got"),
    [
        ("09:00", "text ('09:00')"),
        ("17:00", "17:00 (YAML reads it as the number 1020)"),
    ],
)
def test_a_single_slot_not_in_a_list_is_answered_with_a_slots_example(tmp_path, slots, got):
    path = write(tmp_path, CONFIG + f"schedule:\n  slots: {slots}\n")
    assert errors_of(path) == [f'{path}: schedule.slots: expected a list of times of day in quotes, e.g. '
                               f'slots: ["09:00", "17:00"], got {got}']


def test_slots_written_without_quotes_are_read_as_typed(tmp_path):
    path = write(tmp_path, CONFIG + "schedule:\n  slots: [09:00, 17:00, 9:30]\n")
    assert [t.isoformat("minutes") for t in load_settings(path).schedule.slots] == ["09:00", "09:30", "17:00"]


def test_config_pointing_at_a_project_folder_uses_its_config_yaml(tmp_path):
    write(tmp_path, CONFIG)
    (tmp_path / "posts").mkdir()
    result = CliRunner().invoke(cli, ["--config", str(tmp_path), "check"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith(f"config: {tmp_path / 'config.yaml'}")


def test_config_pointing_at_a_folder_without_one_says_what_to_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kosong").mkdir()
    result = CliRunner().invoke(cli, ["--config", "kosong", "check"])
    assert result.exit_code == 2
    assert result.stderr == ("error: kosong is a folder; give the config file (kosong/config.yaml), or run "
                             "`sokasi-post init kosong`\n")


@pytest.mark.parametrize("where", ["posts", "posts/sokasi-bundar"])
def test_config_is_found_in_the_folders_above_like_git(project, monkeypatch, where):
    project.good("sokasi-bundar")
    monkeypatch.chdir(project.root / where)
    assert find_config(None).resolve() == project.config
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith(f"config: {'../' * where.count('/')}../config.yaml")


def test_the_problems_of_other_products_are_shown_from_a_product_folder_relative_to_it(project, monkeypatch):
    project.good("sokasi-bundar")
    project.product("sokasi-rusak", "title: S\ncaption: C\nprice: -1\n")
    monkeypatch.chdir(project.root / "posts" / "sokasi-bundar")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.stdout == "../sokasi-rusak/post.yaml: price: must be more than zero, got -1\n"


def test_the_nearest_config_above_wins_and_the_environment_still_comes_first(tmp_path, monkeypatch):
    write(tmp_path, CONFIG)
    inner = tmp_path / "koperasi" / "posts"
    inner.mkdir(parents=True)
    write(tmp_path / "koperasi", CONFIG)
    monkeypatch.chdir(inner)
    monkeypatch.delenv("SOKASI_POST_CONFIG", raising=False)
    assert find_config(None) == tmp_path / "koperasi" / "config.yaml"
    monkeypatch.setenv("SOKASI_POST_CONFIG", str(tmp_path / "config.yaml"))
    assert find_config(None) == tmp_path / "config.yaml"


def test_the_line_of_each_key_is_known_nested_keys_dotted():
    document = parse_yaml(CONFIG)
    assert document.lines["posts_dir"] == 1
    assert document.lines["facebook.page_id"] == 3
    assert document.lines["contact.whatsapp"] == 7
    assert document.written["contact.whatsapp"] == "+62 813-3791-2468"


def test_the_problems_of_every_section_are_listed_in_the_same_order_each_time(tmp_path):
    path = write(tmp_path, """\
posts_dir: posts
timezone: Bali/Denpasar
language: fr
facebook:
  page_id: my-page
  token_env: EAABsecret
  graph_url: http://graph.example.com
  api_version: v19.0
instagram:
  username: sokasi.tigawasa
  location: {lat: -8.17}
  pause_min_seconds: 90
  pause_max_seconds: 30
  daily_limit: 40
contact:
  whatsapp: "123"
  greeting: "Halo {nama}"
reconcile: {wait_seconds: 601}
whatsapp: {group_minutes: 0}
media: {quality: 99}
schedule: {slots: ["25:00"], max_per_run: 0}
captions:
  instagram: "{harga}"
  hashtags: {semua: [sokasi]}
""")
    keys = [problem.removeprefix(f"{path}: ").split(":")[0] for problem in errors_of(path)]
    assert keys == [
        "timezone", "facebook.page_id", "facebook.token_env", "facebook.graph_url", "facebook.api_version",
        "instagram.location.name", "instagram.pause_min_seconds and pause_max_seconds", "instagram.daily_limit",
        "reconcile.wait_seconds", "whatsapp.group_minutes", "contact.whatsapp", "language", "media.quality",
        "schedule.slots", "schedule.max_per_run", "captions.instagram", "captions.hashtags", "contact.greeting",
    ]
