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
