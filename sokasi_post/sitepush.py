"""Putting the built site online: its folder pushed to a branch of a git remote (GitHub Pages, or any git host).

The one home of the `git` command, run without a shell, a terminal or a prompt. The site folder never holds a
.git (people copy that folder to other hosts, and a .git inside would be published with it): the repository lives
in the state folder, and git is pointed at both with --git-dir and --work-tree. Each push is a new commit on top of
the remote branch as it is at that moment (fetched first), so a branch made elsewhere (on GitHub, by another
computer) is never overwritten: nothing is ever force-pushed. docs/hosting.md tells the steps around it.
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sokasi_post.errors import SiteError
from sokasi_post.i18n import _
from sokasi_post.redaction import MASK, redact

NAME, EMAIL = "sokasi-post", "sokasi-post@localhost"  # the commits' author: the user's own git identity is never needed
MESSAGE = "Update the shop window"
LOCAL_TIMEOUT = 120  # seconds for a git call on this computer (hashing the site's photos takes a few)
NETWORK_TIMEOUT = 1200  # seconds for a fetch or a push: a first push of every photo over a slow village connection
ATTEMPTS = 3  # pushes tried when the remote branch moves on while ours is being made
# Files GitHub itself writes to a Pages branch (CNAME, when a custom domain is set in the repository's settings): kept
# on the branch while the site folder has none, or the custom domain would stop working after the next push.
KEPT = ("CNAME",)
NOJEKYLL = ".nojekyll"  # GitHub Pages serves files and folders starting with _ only when the branch has this file

_OPTIONS = ("core.autocrlf=false", "core.safecrlf=false", "core.logAllRefUpdates=false", "commit.gpgSign=false",
            "http.lowSpeedLimit=1000", "http.lowSpeedTime=120")  # a transfer stalled below 1 kB/s for 2 minutes is stopped
# Variables that would point git at another repository than ours (set when the tool runs inside a git hook).
_REPOSITORY_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
                         "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX")
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s]*@")  # https://user:token@host -> https://***@host
_RACED = re.compile(r"^!.*\[rejected\] \((?:fetch first|non-fast-forward)\)", re.MULTILINE)

_HOST_KEY = ("host key verification failed",)
_AUTH = ("authentication failed", "could not read username", "could not read password", "permission denied",
         "access denied", "invalid username or password", "returned error: 401", "returned error: 403", "permission to ",
         "invalid credentials", "bad credentials")
_NOT_FOUND = ("does not appear to be a git repository", "repository not found", "not found", "returned error: 404",
              "no such file or directory")
_UNREACHABLE = ("could not resolve", "failed to connect", "couldn't connect", "connection refused", "timed out",
                "network is unreachable", "no route to host", "connection reset", "connection closed", "ssl", "tls",
                "unable to access", "could not read from remote repository", "operation too slow")


@dataclass(frozen=True)
class PushResult:
    """What one push did: the new commit (None when nothing changed), the paths it changed, and whether it went out."""

    commit: str | None
    changed: tuple[str, ...]  # relative to the site folder: added, modified and deleted
    pushed: bool


def git_available() -> bool:
    """Whether the `git` command can be run here (for doctor and check)."""
    try:
        return _run(["git", "--version"], timeout=10).returncode == 0
    except SiteError:
        return False


def push_site(folder: Path, remote: str, branch: str, git_dir: Path, keep_out: tuple[str, ...] = ()) -> PushResult:
    """Publish the site in `folder` to `branch` of `remote` (a URL or a path), on top of what that branch already has;
    the files named in `keep_out` (the site builder's own bookkeeping) stay on this computer."""
    folder, git_dir = folder.absolute(), git_dir.absolute()
    _check(folder, remote, branch, git_dir)
    git = _Git(folder, git_dir, remote)
    git.prepare(branch)
    if not (folder / NOJEKYLL).exists():
        (folder / NOJEKYLL).write_bytes(b"")
    for _attempt in range(ATTEMPTS):
        parent = git.fetch(branch)
        commit = git.commit(parent, keep_out)
        if commit is None:
            return PushResult(commit=None, changed=(), pushed=False)
        if git.push(commit, branch):
            return PushResult(commit=commit, changed=git.changed(commit), pushed=True)
    raise SiteError(_("branch {branch} of {remote} changed again each time the site was about to go out ({attempts} times): "
                      "someone else is pushing to it; nothing was overwritten; run `sokasi-post site --publish` again later")
                    .format(branch=branch, remote=shown(remote), attempts=ATTEMPTS))


def shown(remote: str) -> str:
    """The remote as it may be shown: the user and password (or token) of a URL replaced by ***."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", remote)


def _check(folder: Path, remote: str, branch: str, git_dir: Path) -> None:
    if not folder.is_dir():
        raise SiteError(_("{folder} is not there: build the site first with `sokasi-post site`").format(folder=folder))
    if git_dir == folder or folder in git_dir.parents:
        raise SiteError(_("the site's git repository ({git_dir}) is inside the site folder ({folder}) and would be published "
                          "with it: choose a state folder outside the site folder").format(git_dir=git_dir, folder=folder))
    if not remote.strip() or remote.startswith("-"):
        raise SiteError(_("site.git_remote in config.yaml is not a git address ({remote}): give an SSH address such as "
                          "git@github.com:NAME/REPOSITORY.git, an https:// address, or a folder path").format(remote=shown(remote)))
    if _run(["git", "check-ref-format", f"refs/heads/{branch}"], LOCAL_TIMEOUT).returncode != 0 or branch.startswith("-"):
        raise SiteError(_("site.git_branch in config.yaml ({branch}) is not a valid branch name: use letters, digits and -, "
                          "for example gh-pages").format(branch=branch))


class _Git:
    """git pointed at the site folder (the work tree) and at the repository in the state folder."""

    def __init__(self, folder: Path, git_dir: Path, remote: str):
        self.folder, self.git_dir, self.remote = folder, git_dir, remote
        options = [item for option in _OPTIONS for item in ("-c", option)]
        # No hook of the user's (a global core.hooksPath) runs on the site's commits or pushes.
        options += ["-c", f"core.hooksPath={git_dir / 'no-hooks'}"]
        self.base = ["git", f"--git-dir={git_dir}", f"--work-tree={folder}", *options]

    def run(self, *args: str, network: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run one git command; when `check`, a failure becomes a SiteError with one clear line."""
        result = _run([*self.base, *args], NETWORK_TIMEOUT if network else LOCAL_TIMEOUT)
        if check and result.returncode != 0:
            raise self.failure(result, network)
        return result

    def output(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    def prepare(self, branch: str) -> None:
        """Make the repository the first time (bare: the work tree is given on each call), and clear a stale lock."""
        if not (self.git_dir / "HEAD").is_file():
            self.git_dir.parent.mkdir(parents=True, exist_ok=True)
            result = _run(["git", "init", "--quiet", "--bare", "--", str(self.git_dir)], LOCAL_TIMEOUT)
            if result.returncode != 0:
                raise self.failure(result, network=False)
        self.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        lock = self.git_dir / "index.lock"
        # Only a git call of ours holds the index, and each is stopped after LOCAL_TIMEOUT: an older lock was left by one
        # that was stopped (a timeout, a power cut), and would block every later run.
        if lock.exists() and time.time() - lock.stat().st_mtime > 2 * LOCAL_TIMEOUT:
            lock.unlink(missing_ok=True)

    def fetch(self, branch: str) -> str | None:
        """The remote branch's newest commit, fetched here; None when the remote has no such branch yet."""
        result = self.run("fetch", "--no-tags", "--quiet", "--", self.remote, f"+refs/heads/{branch}:refs/sokasi/remote",
                          network=True, check=False)
        if result.returncode != 0:
            if "couldn't find remote ref" in result.stderr.lower():
                return None
            raise self.failure(result, network=True)
        return self.output("rev-parse", "--verify", "refs/sokasi/remote^{commit}")

    def commit(self, parent: str | None, keep_out: tuple[str, ...] = ()) -> str | None:
        """A commit of the site folder as it is (but `keep_out`), on top of `parent`; None when it has exactly
        `parent`'s files."""
        # The index is kept between runs, so only files whose size or time changed are read again.
        self.run("add", "--all", "--force")  # --force: a global gitignore of the user's never leaves a site file out
        if keep_out:
            self.run("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *keep_out)
        if parent is not None:
            self.keep_github_files(parent)
        tree = self.output("write-tree")
        if parent is not None and tree == self.output("rev-parse", f"{parent}^{{tree}}"):
            return None
        commit = self.output("commit-tree", "--no-gpg-sign", "-m", MESSAGE, *(("-p", parent) if parent else ()), tree)
        self.run("update-ref", "HEAD", commit)
        return commit

    def keep_github_files(self, parent: str) -> None:
        for name in KEPT:
            entry = self.run("ls-tree", "-z", parent, "--", name).stdout.rstrip("\0")
            if entry and not (self.folder / name).exists():
                mode, _kind, rest = entry.split(" ", 2)  # "100644 blob <id>\tCNAME"
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{rest.split(chr(9), 1)[0]},{name}")

    def push(self, commit: str, branch: str) -> bool:
        """Push `commit` to the branch; False when the branch moved on meanwhile (never forced over it)."""
        result = self.run("push", "--porcelain", "--no-verify", "--", self.remote, f"{commit}:refs/heads/{branch}",
                          network=True, check=False)
        if result.returncode == 0:
            return True
        if _RACED.search(result.stdout):
            return False
        raise self.failure(result, network=True, branch=branch)

    def changed(self, commit: str) -> tuple[str, ...]:
        """The paths `commit` added, modified or deleted, compared with its parent (all of them for a first commit)."""
        listing = self.run("diff-tree", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id", "--root", commit).stdout
        return tuple(path for path in listing.split("\0") if path)

    def failure(self, result: subprocess.CompletedProcess[str], network: bool, branch: str = "") -> SiteError:
        """The one line that says what went wrong and what to do, without a password or token of the remote's URL."""
        secrets = _userinfo_parts(self.remote)
        detail = redact(shown(_detail(result)), secrets)
        remote = shown(self.remote)
        if not network:
            return SiteError(_("git could not record the site in {git_dir} ({detail}): check that this folder can be written, "
                               "then run `sokasi-post site --publish` again").format(git_dir=self.git_dir, detail=detail))
        return _network_failure(f"{result.stdout}\n{result.stderr}".lower(), remote, branch, detail)


def _network_failure(text: str, remote: str, branch: str, detail: str) -> SiteError:
    if any(words in text for words in _HOST_KEY):
        return SiteError(_("ssh does not trust the server of {remote} yet: connect once by hand (for GitHub: ssh -T "
                           "git@github.com) and answer yes, then run `sokasi-post site --publish` again").format(remote=remote))
    if any(words in text for words in _AUTH):
        return SiteError(_("{remote} did not accept the login: the token or SSH key is missing, wrong, expired or not allowed to "
                           "write there; make one as docs/hosting.md says, then run `sokasi-post site --publish` again")
                         .format(remote=remote))
    if any(words in text for words in _NOT_FOUND):
        return SiteError(_("there is no git repository at {remote} (or this login cannot see it): check site.git_remote in "
                           "config.yaml; for GitHub Pages, make the repository first (docs/hosting.md)").format(remote=remote))
    if any(words in text for words in _UNREACHABLE):
        return SiteError(_("could not reach {remote} (no internet, or a wrong address in site.git_remote): the site is not "
                           "online yet; run `sokasi-post site --publish` again later").format(remote=remote))
    if branch and "rejected" in text:
        return SiteError(_("{remote} refused the site on branch {branch} ({detail}): check the branch's rules in the "
                           "repository's settings, or set another site.git_branch in config.yaml")
                         .format(remote=remote, branch=branch, detail=detail))
    return SiteError(_("git could not send the site to {remote} ({detail}): the site is not online yet; run "
                       "`sokasi-post site --publish` again later").format(remote=remote, detail=detail))


def _detail(result: subprocess.CompletedProcess[str]) -> str:
    """git's own words for what went wrong, in one short line."""
    refused = [line.rsplit("\t", 1)[-1] for line in result.stdout.splitlines() if line.startswith("!")]
    said = [line.strip() for line in result.stderr.splitlines() if line.strip() and not line.startswith("hint:")]
    errors = [re.sub(r"^(?:fatal|error): ", "", line) for line in said if line.startswith(("fatal:", "error:"))]
    line = (refused or errors or said[-1:] or [f"exit code {result.returncode}"])[0]
    return line if len(line) <= 200 else line[:199] + "…"


def _userinfo_parts(remote: str) -> list[str]:
    """The user name and password (or token) in a URL, as typed and as the parts git would send."""
    match = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://([^/\s]*)@", remote)
    if match is None:
        return []
    userinfo = match.group(1)
    return [userinfo, *userinfo.split(":", 1)]


def _environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in _REPOSITORY_VARIABLES}
    environment.update(GIT_TERMINAL_PROMPT="0",  # a cron run never waits for a password that nobody will type
                       GCM_INTERACTIVE="never",  # nor does Git Credential Manager open a window
                       LC_ALL="C", LANGUAGE="C",  # git's messages in English, which failure() reads
                       GIT_AUTHOR_NAME=NAME, GIT_AUTHOR_EMAIL=EMAIL, GIT_COMMITTER_NAME=NAME, GIT_COMMITTER_EMAIL=EMAIL)
    return environment


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run git with no shell, no terminal and no input; one that runs past `timeout` is stopped with all it started."""
    try:
        # A new session has no terminal, so ssh cannot stop to ask for a passphrase either (POSIX; ignored on Windows).
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=_environment(), start_new_session=True)
    except FileNotFoundError:
        raise SiteError(_("the `git` command is not installed, and putting the site online needs it: install git (on "
                          "Debian or Ubuntu: sudo apt install git), or copy the site folder to a web host by hand "
                          "(docs/hosting.md)")) from None
    except OSError as error:
        raise SiteError(_("git could not be started ({error}): the site is not online yet").format(error=error.strerror)) from None
    with process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            process.communicate()
            raise SiteError(_("git was stopped after {seconds} seconds without finishing (a very slow or broken connection?): "
                              "the site is not fully online; run `sokasi-post site --publish` again later")
                            .format(seconds=math.ceil(timeout))) from None
    return subprocess.CompletedProcess(command, process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a git that hangs, and on Linux and macOS every process it started."""
    if sys.platform == "win32":  # no process groups there: git alone is stopped
        process.kill()
    else:
        # git's own children (ssh, the https helper) hold the pipes open: stop the whole group, not git alone.
        os.killpg(process.pid, signal.SIGKILL)
