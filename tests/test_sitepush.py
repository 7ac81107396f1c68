"""Putting the site online with git, against bare repositories in tmp_path: the real `git` command, no network."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from sokasi_post import sitepush
from sokasi_post.errors import SiteError
from sokasi_post.sitepush import push_site

BRANCH = "gh-pages"


def git(*args: str, cwd: Path | None = None) -> str:
    """The output of a git command run by the test itself (with an identity of its own)."""
    environment = {**os.environ, "GIT_AUTHOR_NAME": "Other", "GIT_AUTHOR_EMAIL": "other@example.org",
                   "GIT_COMMITTER_NAME": "Other", "GIT_COMMITTER_EMAIL": "other@example.org"}
    return subprocess.run(["git", *args], cwd=cwd, env=environment, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository, as GitHub makes one."""
    path = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(path))
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A built site: an index, a product page, a photo, and a folder starting with _ (which needs .nojekyll on GitHub)."""
    folder = tmp_path / "site"
    (folder / "p" / "sokasi-bundar").mkdir(parents=True)
    (folder / "_assets").mkdir()
    (folder / "index.html").write_text("<h1>Sokasi Tigawasa</h1>", encoding="utf-8")
    (folder / "p" / "sokasi-bundar" / "index.html").write_text("<h1>Sokasi bundar</h1>", encoding="utf-8")
    (folder / "p" / "sokasi-bundar" / "720.jpg").write_bytes(b"\xff\xd8 a photo \xff\xd9")
    (folder / "_assets" / "site.css").write_text("body { margin: 0 }", encoding="utf-8")
    return folder


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "site.git"


def files_on(remote: Path, ref: str = BRANCH) -> set[str]:
    return set(git(f"--git-dir={remote}", "ls-tree", "-r", "--name-only", ref).splitlines())


def tip(remote: Path) -> str:
    return git(f"--git-dir={remote}", "rev-parse", BRANCH)


def test_the_first_push_creates_the_branch_with_every_file_and_nojekyll(site, remote, state):
    result = push_site(site, str(remote), BRANCH, state)
    assert result.pushed and result.commit == tip(remote)
    everything = {".nojekyll", "index.html", "p/sokasi-bundar/index.html", "p/sokasi-bundar/720.jpg", "_assets/site.css"}
    assert files_on(remote) == everything
    assert set(result.changed) == everything
    assert git(f"--git-dir={remote}", "log", "-1", "--format=%an <%ae> / %cn <%ce>", BRANCH) == (
        "sokasi-post <sokasi-post@localhost> / sokasi-post <sokasi-post@localhost>")


def test_a_second_push_after_changing_one_file_pushes_exactly_that_file(site, remote, state):
    old = push_site(site, str(remote), BRANCH, state).commit
    (site / "p" / "sokasi-bundar" / "index.html").write_text("<h1>Sokasi bundar</h1><p>Terjual</p>", encoding="utf-8")
    result = push_site(site, str(remote), BRANCH, state)
    assert result.pushed and result.commit == tip(remote) != old
    assert git(f"--git-dir={remote}", "diff", "--name-only", old, result.commit) == "p/sokasi-bundar/index.html"
    assert result.changed == ("p/sokasi-bundar/index.html",)
    assert git(f"--git-dir={remote}", "rev-parse", f"{result.commit}^") == old


def test_nothing_changed_makes_no_new_commit(site, remote, state):
    first = push_site(site, str(remote), BRANCH, state)
    again = push_site(site, str(remote), BRANCH, state)
    assert again == sitepush.PushResult(commit=None, changed=(), pushed=False)
    assert tip(remote) == first.commit
    assert git(f"--git-dir={remote}", "rev-list", "--count", BRANCH) == "1"


def test_a_branch_made_elsewhere_stays_in_the_history_and_is_never_forced_over(site, remote, state, tmp_path):
    clone = tmp_path / "elsewhere"
    git("init", "--quiet", str(clone))
    (clone / "README.md").write_text("Our shop window\n", encoding="utf-8")
    git("add", "README.md", cwd=clone)
    git("commit", "--quiet", "-m", "Made on GitHub", cwd=clone)
    git("push", "--quiet", str(remote), f"HEAD:refs/heads/{BRANCH}", cwd=clone)
    theirs = tip(remote)
    result = push_site(site, str(remote), BRANCH, state)
    assert result.pushed
    assert git(f"--git-dir={remote}", "rev-parse", f"{BRANCH}^") == theirs
    assert "README.md" in result.changed and "README.md" not in files_on(remote)  # the branch mirrors the site folder


def test_when_the_branch_moves_on_between_two_pushes_the_next_one_goes_on_top_of_it(site, remote, state, tmp_path):
    push_site(site, str(remote), BRANCH, state)
    clone = tmp_path / "elsewhere"
    git("clone", "--quiet", "--branch", BRANCH, str(remote), str(clone))
    (clone / "CNAME").write_text("sokasi.example.org\n", encoding="utf-8")  # what GitHub writes for a custom domain
    git("add", "CNAME", cwd=clone)
    git("commit", "--quiet", "-m", "Create CNAME", cwd=clone)
    git("push", "--quiet", "origin", BRANCH, cwd=clone)
    theirs = tip(remote)
    (site / "index.html").write_text("<h1>Sokasi Tigawasa</h1><p>New</p>", encoding="utf-8")
    result = push_site(site, str(remote), BRANCH, state)
    assert git(f"--git-dir={remote}", "rev-parse", f"{BRANCH}^") == theirs
    assert result.changed == ("index.html",)
    assert "CNAME" in files_on(remote)  # GitHub's custom-domain file stays while the site folder has none


def test_a_push_that_loses_a_race_is_made_again_on_the_new_tip(site, remote, state, tmp_path, monkeypatch):
    push_site(site, str(remote), BRANCH, state)
    clone = tmp_path / "elsewhere"
    git("clone", "--quiet", "--branch", BRANCH, str(remote), str(clone))
    real_push = sitepush._Git.push

    def someone_pushes_first(self, commit, branch):
        if not (clone / "late.txt").exists():
            (clone / "late.txt").write_text("pushed meanwhile\n", encoding="utf-8")
            git("add", "late.txt", cwd=clone)
            git("commit", "--quiet", "-m", "Meanwhile", cwd=clone)
            git("push", "--quiet", "origin", BRANCH, cwd=clone)
        return real_push(self, commit, branch)

    monkeypatch.setattr(sitepush._Git, "push", someone_pushes_first)
    (site / "index.html").write_text("<h1>Changed</h1>", encoding="utf-8")
    result = push_site(site, str(remote), BRANCH, state)
    assert result.pushed and tip(remote) == result.commit
    assert git(f"--git-dir={remote}", "log", "--format=%s", BRANCH).splitlines()[1] == "Meanwhile"


def test_a_deleted_file_is_deleted_on_the_remote(site, remote, state):
    push_site(site, str(remote), BRANCH, state)
    (site / "p" / "sokasi-bundar" / "720.jpg").unlink()
    result = push_site(site, str(remote), BRANCH, state)
    assert result.changed == ("p/sokasi-bundar/720.jpg",)
    assert "p/sokasi-bundar/720.jpg" not in files_on(remote)


def test_a_remote_given_as_a_relative_path_is_found_from_the_current_folder(site, remote, state, monkeypatch):
    monkeypatch.chdir(remote.parent)
    assert push_site(site, "remote.git", BRANCH, state).pushed
    assert "index.html" in files_on(remote)


def test_the_site_folder_never_gets_a_git_folder(site, remote, state):
    push_site(site, str(remote), BRANCH, state)
    (site / "index.html").write_text("<h1>Again</h1>", encoding="utf-8")
    push_site(site, str(remote), BRANCH, state)
    assert not any(path.name == ".git" for path in site.rglob("*"))
    assert sorted(path.name for path in site.iterdir()) == [".nojekyll", "_assets", "index.html", "p"]
    assert (state / "HEAD").is_file()


def test_a_file_the_users_global_gitignore_would_hide_is_still_published(site, remote, state, tmp_path, monkeypatch):
    ignore = tmp_path / "global-ignore"
    ignore.write_text("*.csv\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "core.excludesFile")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(ignore))
    (site / "feed.csv").write_text("id,title\n", encoding="utf-8")
    push_site(site, str(remote), BRANCH, state)
    assert "feed.csv" in files_on(remote)


def test_a_password_in_the_remote_url_is_never_shown_in_the_error_nor_kept(site, state):
    with socket.socket() as closed:  # a port on this computer where nothing listens: the connection is refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    remote = f"https://coordinator:ghp_S3cretToken42@127.0.0.1:{port}/tigawasa/sokasi.git"
    with pytest.raises(SiteError) as raised:
        push_site(site, remote, BRANCH, state)
    message = str(raised.value)
    assert "S3cretToken42" not in message and "coordinator" not in message
    assert message.startswith(f"could not reach https://***@127.0.0.1:{port}/tigawasa/sokasi.git (no internet")
    assert "\n" not in message
    assert not any(b"S3cretToken42" in path.read_bytes() for path in state.rglob("*") if path.is_file())


def test_a_missing_remote_path_gives_one_clear_line(site, state, tmp_path):
    with pytest.raises(SiteError) as raised:
        push_site(site, str(tmp_path / "nowhere.git"), BRANCH, state)
    assert str(raised.value) == (f"there is no git repository at {tmp_path / 'nowhere.git'} (or this login cannot see it): "
                                 "check site.git_remote in config.yaml; for GitHub Pages, make the repository first "
                                 "(docs/hosting.md)")


def test_git_missing_from_the_path_gives_one_clear_line(site, remote, state, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert sitepush.git_available() is False
    with pytest.raises(SiteError) as raised:
        push_site(site, str(remote), BRANCH, state)
    assert str(raised.value).startswith("the `git` command is not installed, and putting the site online needs it: ")
    assert "\n" not in str(raised.value)


def test_git_is_available_here():
    assert sitepush.git_available() is True


def test_a_git_that_hangs_is_stopped_with_everything_it_started(site, remote, state, tmp_path, monkeypatch):
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    fake = bin_folder / "git"
    fake.write_text("#!/bin/sh\nsleep 30 &\nwait\n", encoding="utf-8")  # a child holding the pipes, like ssh
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(sitepush, "LOCAL_TIMEOUT", 0.3)
    with pytest.raises(SiteError) as raised:
        push_site(site, str(remote), BRANCH, state)
    assert str(raised.value).startswith("git was stopped after 1 seconds without finishing")


def test_a_branch_name_git_refuses_is_named_before_anything_runs(site, remote, state):
    with pytest.raises(SiteError, match=r"^site.git_branch in config.yaml \(gh\.\.pages\) is not a valid branch name"):
        push_site(site, str(remote), "gh..pages", state)
    assert not state.exists()


def test_a_missing_site_folder_says_to_build_it_first(tmp_path, remote, state):
    with pytest.raises(SiteError, match="build the site first with `sokasi-post site`"):
        push_site(tmp_path / "site", str(remote), BRANCH, state)


def test_shown_hides_the_user_and_password_of_a_url_only():
    assert sitepush.shown("https://me:tok@en@github.com/a/b.git") == "https://***@github.com/a/b.git"
    assert sitepush.shown("https://x-access-token:ghp_abc@github.com/a/b.git") == "https://***@github.com/a/b.git"
    assert sitepush.shown("git@github.com:tigawasa/sokasi.git") == "git@github.com:tigawasa/sokasi.git"
    assert sitepush.shown("/srv/site.git") == "/srv/site.git"
