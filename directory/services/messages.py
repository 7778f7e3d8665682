"""The catalogue of service errors: a stable code -> the message shown to people.

Services raise ``ServiceError(code, **params)``; web pages show ``exc.message``
(translated, through this catalogue), the API answers with the code in the
problem's ``type`` and the message in the language of ``Accept-Language`` as its
``detail`` (``directory.api.problems``). Messages are marked
with ``N_`` so ``pybabel extract`` collects them; a test checks that every code
raised anywhere has a message here and a Khmer translation.
"""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString, gettext


def N_(message: str) -> str:  # noqa: N802  (Babel's keyword for "mark, do not translate yet")
    """Mark a message for extraction; it is translated when shown."""
    return message


# The English text of a code the API already answered with stays as it was (lower case,
# no full stop), so API clients see the same ``detail``.
MESSAGES: dict[str, str] = {
    # not found
    "listing-not-found": N_("no listing %(id)s"),
    "revision-not-found": N_("no revision %(id)s"),
    "user-not-found": N_("user %(id)s not found"),
    "peer-token-not-found": N_("no peer token %(id)s"),
    "personal-token-not-found": N_("token %(id)s not found"),
    "claim-not-found": N_("no claim %(id)s"),
    "saved-search-not-found": N_("no saved search %(id)s"),
    # not allowed
    "create-owner-only": N_("only SME owners create listings"),
    "edit-not-allowed": N_("you may not edit this listing"),
    "submit-not-allowed": N_("you may not submit this listing"),
    "withdraw-not-allowed": N_("you may not withdraw this listing"),
    "review-not-allowed": N_("you may not review this listing"),
    "import-admin-only": N_("only admins import records"),
    "role-change-admin-only": N_("only an admin may change another user's role"),
    "deactivate-admin-only": N_("only an admin may deactivate another user"),
    "peer-tokens-admin-only": N_("only admins manage peer tokens"),
    "token-owner-only": N_("only the token's owner may revoke it"),
    "claim-not-allowed": N_("This listing cannot be claimed here."),
    "claim-decide-not-allowed": N_("you may not decide on this claim"),
    "confirm-not-allowed": N_("you may not confirm this listing"),
    "push-source-mismatch": N_("source %(source)r is not the token's peer %(peer)r"),
    # not in a state that allows it
    "no-draft": N_("There is no draft to submit."),
    "nothing-changed": N_("Nothing changed since the published version."),
    "revision-not-pending": N_("This revision is no longer waiting for review."),
    "reason-required": N_("Please give a reason the owner will see."),
    "incoming-approve-or-reject": N_("A record from a peer can only be approved or rejected."),
    "revision-not-valid": N_(
        "This revision does not pass validation (see the warnings): request changes or reject it."
    ),
    "merge-target-gone": N_("The other listing is withdrawn or merged already."),
    "merge-not-origin": N_(
        "Neither listing was made on this node: only the node that made a listing can merge it."
    ),
    "claim-role-unknown": N_("Choose what you are to this business."),
    "claim-already-pending": N_(
        "You have already claimed this listing; a focal point will decide."
    ),
    "claim-not-pending": N_("This claim has already been decided."),
    "listing-already-owned": N_("This listing already has an owner."),
    "reconfirm-link-invalid": N_(
        "This confirmation link is no longer valid: the listing was confirmed or edited since."
    ),
    "peer-id-invalid": N_("Choose one of the peers configured on this node."),
    "peer-not-configured": N_("peer %(peer)r is not configured on this node"),
    "scopes-invalid": N_("Choose at least one scope: what this peer may do with the token."),
    "invalid-record": N_("The record is not valid."),
    # accounts
    "email-invalid": N_("Enter a valid email address."),
    "email-taken": N_("An account with this email already exists."),
    "role-unknown": N_("Unknown role."),
    "country-unknown": N_("Unknown country code."),
    "audit-reason-required": N_("Give a reason; it goes to the audit log."),
    "credentials-wrong": N_("Email or password is wrong."),
    "current-password-wrong": N_("The current password is wrong."),
    "reset-link-invalid": N_("This reset link is invalid or has expired."),
    "too-many-attempts": N_("Too many failed sign-in attempts. Try again in %(minutes)d minutes."),
    "too-many-signups": N_(
        "Too many sign-ups from your network. Try again in %(minutes)d minutes."
    ),
    "email-not-confirmed": N_(
        "Confirm your email address first: open the link we sent to it. "
        "For a new link, sign up again with the same address."
    ),
    "confirm-link-invalid": N_("This confirmation link is invalid or has expired."),
    "password-too-short": N_("Use at least %(n)d characters."),
    "password-too-long": N_("Use at most %(n)d characters."),
    "password-too-common": N_("This password is too common; choose another."),
    "password-contains-email": N_("The password must not contain your email address."),
    "token-name-invalid": N_("Give the token a name of 1 to 100 characters."),
    "too-many-tokens": N_("You have %(n)d tokens; revoke one first."),
    # the JSON API's own checks (directory.api): the request, not a service, is refused
    "peer-token-required": N_("a valid peer token is required"),
    "token-scope-missing": N_("this token lacks the scope %(scope)s"),
    "sign-in-required": N_("sign in first (session cookie or personal token)"),
    "csrf-failed": N_(
        "the CSRF token is missing, invalid or expired (send it in the X-CSRFToken header)"
    ),
    "body-not-json": N_("the body is not valid JSON (line %(line)d, column %(column)d)"),
    "body-not-object": N_("the body must be a JSON object"),
    "body-invalid": N_("the body is not valid: see errors for the fields"),
    "reviewers-only": N_("only focal points and admins review listings"),
    "duplicate-other-unknown": N_("no listing %(id)s to compare with"),
    "query-integer-range": N_("%(name)s must be an integer from %(low)d to %(high)d"),
    "query-too-long": N_("%(name)s must be at most %(n)d characters"),
    "query-nul": N_("%(name)s must not contain a NUL character"),
    "query-boolean": N_("%(name)s must be true or false"),
    "cursor-unknown": N_("since is not a cursor this node handed out"),
    "published-listing-not-found": N_("no published listing %(id)s"),
    "own-listing-not-found": N_("no listing %(id)s of yours"),
    "if-match-required": N_("send If-Match with the ETag of GET /api/v1/my/listings/{id}"),
    "listing-changed": N_("the listing changed since you read it"),
    "rate-limited": N_("more than %(limit)d requests a minute; slow down"),
    # enquiries
    "enquiry-not-found": N_("no enquiry %(id)s"),
    "enquiries-off": N_("This business does not take enquiries through the directory."),
    "enquiry-sender-blocked": N_(
        "Enquiries from this email address are blocked by the directory's focal points."
    ),
    "enquiry-no-route": N_("This listing's home directory cannot be reached from here."),
    "too-many-enquiries-sender": N_(
        "You sent as many enquiries as one address may send in a day. Try again tomorrow."
    ),
    "too-many-enquiries-address": N_(
        "Too many enquiries from your network today. Try again tomorrow."
    ),
    "too-many-enquiries-listing": N_(
        "This business received as many enquiries as it can take today. Try again tomorrow."
    ),
    "enquiry-link-invalid": N_("This confirmation link is invalid or has expired."),
    "enquiry-closed": N_("This enquiry was already answered or declined, or it has expired."),
    "enquiry-block-not-allowed": N_("only focal points and admins block senders"),
    "enquiry-block-not-found": N_("no blocked sender %(id)s"),
    "too-many-saved-searches": N_("You keep %(n)d saved searches already; stop one first."),
    "saved-search-link-invalid": N_("This link is invalid, or the saved search was stopped."),
}


def english(code: str, params: dict[str, Any]) -> str:
    """The message for ``code`` in English (logs, the command line, the API's detail)."""
    text = MESSAGES[code]
    return text % params if params else text


def translated(code: str, params: dict[str, Any]) -> LazyString:
    """The message for ``code`` in the reader's language, rendered when shown."""
    return LazyString(gettext, MESSAGES[code], **params)
