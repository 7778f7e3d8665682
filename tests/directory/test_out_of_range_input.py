"""Out-of-range numbers and absurdly deep field names answer 400/404/422, never 500, on both
databases: every route with an id in its path, every page parameter, form field depth."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from directory.models import Role
from directory.params import MAX_ID, IdConverter
from directory.web.forms import MESSAGES
from tests.conftest import load_example
from tests.directory.pages_helpers import csrf_from, form_fields, post_form, signed_in

HUGE = "99999999999999999999"
PAGED = ["/", "/admin/users", "/admin/audit"]


@pytest.fixture
def admin(app):
    client, _email = signed_in(app, Role.ADMIN)
    return client


def _id_routes(app):
    """Every rule with an ``<id:...>`` part."""
    for rule in app.url_map.iter_rules():
        if any(isinstance(conv, IdConverter) for conv in rule._converters.values()):
            yield rule


@pytest.mark.parametrize("value", [HUGE, str(MAX_ID + 1), "0"])
def test_every_id_route_answers_404_for_an_id_no_row_can_have(app, admin, value):
    rules = list(_id_routes(app))
    assert {r.rule for r in rules} >= {
        "/admin/users/<id:user_id>",
        "/admin/tokens/<id:token_id>",
        "/review/<id:revision_id>",
    }
    token = csrf_from(admin.get("/account/tokens").text)
    for rule in rules:
        url = rule.rule
        for name in rule.arguments:
            if name in ("decision",):
                url = url.replace(f"<any(confirm, discard):{name}>", "confirm")
            else:
                url = url.replace(f"<id:{name}>", value)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = admin.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (method, url, response.status_code)


@pytest.mark.parametrize("url", PAGED)
@pytest.mark.parametrize("page", [HUGE, "-1", "0", "1.0", "100001", "abc"])
def test_page_numbers_out_of_range_answer_400(admin, url, page):
    response = admin.get(f"{url}?page={page}")
    assert response.status_code == 400, response.status_code
    assert "page" in response.text


@pytest.mark.parametrize("url", PAGED)
def test_the_last_allowed_page_is_an_empty_page_not_an_error(admin, url):
    assert admin.get(f"{url}?page=100000").status_code == 200


def test_per_page_out_of_range_answers_400(admin):
    assert admin.get(f"/?per_page={HUGE}").status_code == 400
    assert admin.get("/?per_page=0").status_code == 400


@pytest.mark.parametrize(
    "url", ["/api/v1/listings?page=" + HUGE, "/api/v1/listings?per_page=" + HUGE]
)
def test_api_page_numbers_out_of_range_answer_400(app, url):
    assert app.test_client().get(url).status_code == 400


def test_the_last_day_as_audit_until_is_no_overflow(admin):
    assert admin.get("/admin/audit?until=9999-12-31").status_code == 200
    assert admin.get("/admin/audit?since=0001-01-01").status_code == 200


def test_oai_until_the_last_second_is_no_overflow(app):
    client = app.test_client()
    for until in ("9999-12-31", "9999-12-31T23:59:59Z"):
        response = client.get(f"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&until={until}")
        assert response.status_code == 200 and b"noRecordsMatch" in response.data, until


@pytest.mark.parametrize("depth", [6, 3000])
def test_a_field_name_deeper_than_the_schema_is_a_form_error(app, depth):
    client, _email = signed_in(app)
    fields = form_fields(load_example("battambang-rice-mill"))
    deep = "/contact" + "/x" * (depth - 1)
    response = post_form(client, "/my/listings/new", MultiDict([*fields, (deep, "v")]))
    assert response.status_code == 422
    assert '<a href="#f-contact-x">' in response.text  # the summary names the field
    with app.test_request_context("/"):
        assert str(MESSAGES["not_allowed"]) in response.text
