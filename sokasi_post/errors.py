"""The few kinds of error the tool raises; the CLI turns each into a message and an exit code."""


class SokasiError(Exception):
    """A foreseeable problem, explained to the user in one message."""

    exit_code = 1


class UsageError(SokasiError):
    """The command line asked for something that does not exist or cannot be done."""

    exit_code = 2


class ConfigError(SokasiError):
    """config.yaml is missing, unreadable or invalid; nothing can be done without it."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class StateError(SokasiError):
    """The state folder (the ledger) cannot be read or written; the message says what happened and what to do."""


class SiteError(SokasiError):
    """The site could not be put online (git missing, the remote unreachable or refusing); the message says what to do."""


class PublishError(SokasiError):
    """A platform did not take a post; the subclass tells the publishing flow what to do next."""


class TransientError(PublishError):
    """A passing fault (network, Meta's 'please retry'): nothing was created; try again after a pause."""


class UnreachableError(TransientError):
    """The platform could not be reached at all (no internet, its name not found, the connection refused or timed out
    while connecting), so no byte of the request left: nothing happened there. Not retried in this run; the next tries.

    `reason` says in a few plain words which of these it was, for the log; the message is the same for all.
    """

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


# Kinds of anti-abuse answer, each with its own cool-down (publishing.COOLDOWNS says how long).
SLOW_DOWN = "slow_down"  # HTTP 429, PleaseWaitFewMinutes, Facebook's rate-limit codes
BLOCKED = "blocked"  # FeedbackRequired, a sentry block, Facebook code 368
CHALLENGE = "challenge"  # Instagram wants the person to confirm it is them: nothing until the next `login`


class ThrottledError(PublishError):
    """The platform asks us to slow down or to check the account: stop that platform, and let it cool down.

    `cooldown` is one of SLOW_DOWN, BLOCKED or CHALLENGE, or None when no cool-down is needed.
    """

    def __init__(self, message: str, cooldown: str | None = SLOW_DOWN):
        super().__init__(message)
        self.cooldown = cooldown


class AuthError(PublishError):
    """The token or session is missing, wrong or expired: stop that platform; the message says how to fix it."""

    exit_code = 2


class RejectedError(PublishError):
    """The platform refused this post's content; retrying the same post will not help."""


class HeldBackError(PublishError):
    """Nothing was sent: the post cannot go until something is done first (the message says what, in plain words).

    `whole_platform`: nothing more goes to this platform in this run (e.g. its 24-hour publishing limit is reached).
    """

    def __init__(self, message: str, whole_platform: bool = False):
        super().__init__(message)
        self.whole_platform = whole_platform


class UnknownOutcomeError(PublishError):
    """The request may have created the post, but no clear answer came back: never resend blindly."""
