"""OAI-PMH 2.0 request checking: verbs, their arguments, dates, and the protocol errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

VERBS: dict[str, tuple[set[str], set[str]]] = {
    # verb: (required arguments, optional arguments); resumptionToken is handled apart
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), set()),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}),
}
RESUMABLE = {"ListSets", "ListIdentifiers", "ListRecords"}
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?")
DAY = "%Y-%m-%d"
SECOND = "%Y-%m-%dT%H:%M:%SZ"


class OAIError(Exception):
    """A protocol error: ``code`` is one of the OAI-PMH error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class OAIRequest:
    """A checked request: the verb and its single-valued arguments."""

    verb: str
    args: dict[str, str]


def parse_request(multi: dict[str, list[str]]) -> OAIRequest:
    """Check verb and arguments (from a multi-dict as lists); raises OAIError."""
    verbs = multi.get("verb", [])
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "the verb argument is missing, repeated or not an OAI-PMH verb")
    verb = verbs[0]
    repeated = sorted(k for k, values in multi.items() if len(values) > 1)
    if repeated:
        raise OAIError("badArgument", f"repeated argument: {', '.join(repeated)}")
    args = {k: v[0] for k, v in multi.items() if k != "verb"}
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in RESUMABLE:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument")
        return OAIRequest(verb, args)
    unknown = sorted(set(args) - required - optional)
    if unknown:
        raise OAIError("badArgument", f"illegal argument for {verb}: {', '.join(unknown)}")
    missing = sorted(required - set(args))
    if missing:
        raise OAIError("badArgument", f"missing argument for {verb}: {', '.join(missing)}")
    if "from" in args or "until" in args:
        check_dates(args.get("from"), args.get("until"))
    return OAIRequest(verb, args)


def parse_date(value: str, *, end: bool) -> tuple[datetime, str]:
    """A from/until value as a UTC datetime and its granularity; the end of the day for an
    ``until`` given as a day. Raises OAIError(badArgument)."""
    if not DATE_RE.fullmatch(value):
        raise OAIError(
            "badArgument", f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"
        )
    for fmt in (SECOND, DAY):
        try:
            moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if fmt == DAY and end:
            moment += timedelta(days=1, seconds=-1)
        return moment, fmt
    raise OAIError("badArgument", f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)")


def check_dates(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    """Parse from/until; same granularity for both, and from not after until."""
    start = parse_date(since, end=False) if since else None
    stop = parse_date(until, end=True) if until else None
    if start and stop:
        if start[1] != stop[1]:
            raise OAIError("badArgument", "from and until must have the same granularity")
        if start[0] > stop[0]:
            raise OAIError("badArgument", "from is later than until")
    return (start[0] if start else None, stop[0] if stop else None)
