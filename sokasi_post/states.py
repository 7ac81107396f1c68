"""One vocabulary for where a post stands: what the ledger stores, what `status` shows, what a run did with it.

Each is an enumeration whose text is what the ledger stores and `status --json` shows (so it never changes), and
each has its words for people defined here once, in English, with the Indonesian in locale/id.po: `status`, the
lines of `publish`, the preview, the contact sheet and the report all say them through `word_for`/`phrase_for`.
"""

from __future__ import annotations

from enum import StrEnum

from sokasi_post.i18n import N_, _


class State(StrEnum):
    """A post's state in the ledger (one row per product and platform, written once a request was about to go)."""

    PENDING = "pending"  # not posted; the next run may send it
    IN_FLIGHT = "in_flight"  # a request that creates the post was about to be sent, or was sent
    PUBLISHED = "published"
    SCHEDULED = "scheduled"  # handed to the platform's own scheduler
    FAILED = "failed"  # the platform refused this content; resent only when the post changes
    UNKNOWN = "unknown"  # sent, but no clear answer came back: look on the platform before resending


DONE = (State.PUBLISHED, State.SCHEDULED)  # the post is on the platform
DOUBTFUL = (State.IN_FLIGHT, State.UNKNOWN)  # it may be: look there before sending it again


class Unsent(StrEnum):
    """How `status` names a post the ledger has no row for, and a product folder that does not load."""

    NOT_SENT = "not sent"
    DRAFT = "draft"
    BLOCKED = "blocked"  # today's problems stop it
    HELD_BACK = "held back"  # its platform could not be used in the last run
    RESTING = "resting"  # its platform rests after an anti-abuse answer
    HELD_FOR_TOMORROW = "held for tomorrow"  # the daily limit was reached
    BROKEN = "broken"  # a product folder that does not load (its platform is "-")
    SOLD = "sold"  # status: sold in post.yaml: never posted again (a post made before keeps its link)


class Outcome(StrEnum):
    """What a run did with one post; the ledger keeps it for a post the run did not send (its `setbacks`)."""

    POSTED = "posted"
    SCHEDULED_THERE = "scheduled"  # handed to the platform's own scheduler
    ALREADY = "already"  # the ledger has it as posted
    FOUND = "found"  # on the platform after all (it was in doubt, or the ledger had forgotten it)
    CHANGED = "changed"  # posted, and edited since: `publish --repost` sends it again
    DRAFT = "draft"
    BLOCKED = "blocked"  # its problems stop it
    WAITING = "waiting"  # its publish_at is still to come
    QUEUED = "queued"  # waits for the next posting slot
    HELD = "held"  # the platform's daily limit is reached
    STOPPED = "stopped"  # its platform could not be used in this run (credentials, no connection, a challenge)
    RETRY_LATER = "retry-later"  # a passing fault: nothing was created, the next run sends it
    REFUSED = "failed"  # the platform refused the content
    IN_DOUBT = "unknown"  # no clear answer: it is looked for before it is ever sent again
    COOLING = "cooling"  # the platform rests after an anti-abuse answer: a known wait
    FLAWED = "flawed"  # it went out, but not as sent


# What needs the coordinator's attention (the run's exit code is 1). COOLING is a known wait, said once when it began;
# a rest that needs a person (a challenge) is STOPPED instead.
TROUBLE = frozenset({Outcome.BLOCKED, Outcome.STOPPED, Outcome.RETRY_LATER, Outcome.REFUSED, Outcome.IN_DOUBT,
                     Outcome.FLAWED})

# How `status` names a post the last run did not send, after what that run did with it (any other: "not sent").
AFTER_SETBACK = {Outcome.STOPPED: Unsent.HELD_BACK, Outcome.COOLING: Unsent.RESTING, Outcome.HELD: Unsent.HELD_FOR_TOMORROW}

# The words of each, in `status` (a state) and in the lines of `publish` (an outcome). One table per enumeration:
# their texts overlap ("failed" is a state and an outcome), so one dictionary cannot hold them all.
STATE_WORDS = {State.PENDING: N_("pending"), State.IN_FLIGHT: N_("in flight"), State.PUBLISHED: N_("published"),
               State.SCHEDULED: N_("scheduled"), State.FAILED: N_("failed"), State.UNKNOWN: N_("unknown")}
UNSENT_WORDS = {Unsent.NOT_SENT: N_("not sent"), Unsent.DRAFT: N_("draft"), Unsent.BLOCKED: N_("blocked"),
                Unsent.HELD_BACK: N_("held back"), Unsent.RESTING: N_("resting"),
                Unsent.HELD_FOR_TOMORROW: N_("held for tomorrow"), Unsent.BROKEN: N_("broken"),
                Unsent.SOLD: N_("sold")}
# An outcome that is the same situation as a status state is said with that state's word.
OUTCOME_WORDS = {
    Outcome.POSTED: N_("posted"), Outcome.SCHEDULED_THERE: STATE_WORDS[State.SCHEDULED],
    Outcome.ALREADY: N_("already posted"), Outcome.FOUND: N_("was posted after all"), Outcome.CHANGED: N_("changed"),
    Outcome.DRAFT: UNSENT_WORDS[Unsent.DRAFT], Outcome.BLOCKED: UNSENT_WORDS[Unsent.BLOCKED],
    Outcome.WAITING: N_("waiting"), Outcome.QUEUED: N_("queued"),
    **{outcome: UNSENT_WORDS[state] for outcome, state in AFTER_SETBACK.items()},
    Outcome.RETRY_LATER: N_("not posted, will retry"), Outcome.REFUSED: N_("refused"),
    Outcome.IN_DOUBT: N_("outcome unknown"), Outcome.FLAWED: N_("posted, needs a look"),
}
# The preview and the contact sheet say a ledger state as the group understands it (None: the ledger has no row).
PHRASES: dict[State | None, str] = {
    None: N_("not posted yet"), State.PENDING: N_("waiting to be sent"),
    State.IN_FLIGHT: N_("sending not finished: the next run looks on the platform first"),
    State.PUBLISHED: OUTCOME_WORDS[Outcome.POSTED], State.SCHEDULED: STATE_WORDS[State.SCHEDULED],
    State.FAILED: OUTCOME_WORDS[Outcome.REFUSED], State.UNKNOWN: OUTCOME_WORDS[Outcome.IN_DOUBT],
}


def word_for(value: State | Unsent | Outcome) -> str:
    """The word people see for a state (in `status`) or an outcome (in the lines of `publish`), in their language."""
    if isinstance(value, Outcome):
        return _(OUTCOME_WORDS[value])
    if isinstance(value, Unsent):
        return _(UNSENT_WORDS[value])
    return _(STATE_WORDS[value])


def phrase_for(state: State | None) -> str:
    """A post's ledger state as the preview and the contact sheet say it (never the ledger's own name, in_flight)."""
    return _(PHRASES[state])
