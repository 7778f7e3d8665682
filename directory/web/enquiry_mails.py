"""The mails of the enquiry flow, each in its reader's language; a failed send is logged only.

They need a request or ``test_request_context`` (links are built with url_for).
"""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from directory.mail import MailError, send_mail
from directory.models import Enquiry, Listing, User
from directory.records import parse_json
from directory.services.enquiries import confirmation_token, status_token
from directory.web.labels import display_names


def _base() -> str:
    return current_app.config["SMEDIR"]["node"]["base_url"].rstrip("/")


def _send(to: str, subject: str, body: str, what: str) -> None:
    try:
        send_mail(current_app.config["SMEDIR"], to, subject, body)
    except MailError:
        current_app.logger.exception("enquiry mail (%s) not sent", what)


def _name(session, listing_id: str) -> str:
    listing = session.get(Listing, listing_id)
    if listing is None or not listing.document:
        return listing_id
    return display_names(parse_json(listing.document).get("names"))[0]


def mail_confirmation(enquiry: Enquiry) -> None:
    """To a sender without an account: the link that confirms the address and sends."""
    token = confirmation_token(enquiry, current_app.secret_key)
    link = _base() + url_for("enquiries.confirm", token=token)
    hours = current_app.config["SMEDIR"]["enquiries"]["confirm_hours"]
    with force_locale(enquiry.locale):
        subject = _("Confirm your enquiry")
        body = render_template("enquiries/confirm_mail.txt", link=link, hours=hours)
    _send(enquiry.sender_email, subject, body, "confirmation")


def mail_owner(session, enquiry: Enquiry) -> None:
    """To the listing's owner: a new enquiry waits in "My enquiries" (no sender address)."""
    listing = session.get(Listing, enquiry.listing_id)
    owner = session.get(User, listing.owner_id) if listing and listing.owner_id else None
    if owner is None:
        return
    link = _base() + url_for("enquiries.detail", enquiry_id=enquiry.id)
    with force_locale(owner.locale):
        subject = _("A buyer sent an enquiry")
        body = render_template(
            "enquiries/owner_mail.txt",
            enquiry=enquiry,
            name=_name(session, enquiry.listing_id),
            link=link,
        )
    _send(owner.email, subject, body, "owner")


def mail_buyer(enquiry: Enquiry) -> None:
    """To the buyer: the enquiry was answered, declined or refused, with the status link."""
    if not enquiry.sender_email:
        return
    link = _base() + url_for(
        "enquiries.status", token=status_token(enquiry, current_app.secret_key)
    )
    with force_locale(enquiry.locale):
        subject = _("News about your enquiry")
        body = render_template("enquiries/buyer_mail.txt", enquiry=enquiry, link=link)
    _send(enquiry.sender_email, subject, body, "buyer")


def mail_saved_search_confirmation(saved) -> None:
    """To a buyer who saved a search: the link that starts the mails."""
    from directory.services.saved_searches import search_token

    token = search_token(saved, current_app.secret_key, "confirm")
    link = _base() + url_for("enquiries.saved_link", action="confirm", token=token)
    with force_locale(saved.locale):
        subject = _("Confirm your saved search")
        body = render_template("enquiries/saved_confirm_mail.txt", link=link)
    _send(saved.email, subject, body, "saved search confirmation")


def mail_saved_searches(session) -> int:
    """Mail every due saved search its new matches (at most one mail a day); how many went."""
    from directory.services import saved_searches as saved_svc

    sent = 0
    for saved in saved_svc.due_searches(session):
        ids = saved_svc.new_matches(session, saved)
        if ids:
            links = [
                (_name(session, i), _base() + url_for("public.listing", listing_id=i)) for i in ids
            ]
            stop = saved_svc.search_token(saved, current_app.secret_key, "stop")
            with force_locale(saved.locale):
                subject = _("New listings match your saved search")
                body = render_template(
                    "enquiries/saved_mail.txt",
                    links=links,
                    stop=_base() + url_for("enquiries.saved_link", action="stop", token=stop),
                )
            _send(saved.email, subject, body, "saved search")
            sent += 1
        saved_svc.mark_checked(session, saved, mailed=bool(ids))
    return sent
