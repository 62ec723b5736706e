"""The open sign-on page's submissions are rate-limited per address: 429 in the reader's language."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from letterhub.extensions import db
from letterhub.models import Proposal

from ..conftest import csrf_token


@pytest.fixture
def app_config():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_OPEN_SIGNON": "2 per minute",
        "RATELIMIT_KEY_PREFIX": f"letterhub-test-{uuid.uuid4().hex}",
    }


def test_the_third_request_to_sign_within_a_minute_is_refused_in_arabic(client, letter, invite):
    invite()
    letter.open_signon = True
    db.session.commit()
    path = f"/join/{letter.id}"
    client.get(path + "?lang=ar")
    token = csrf_token(client, path)
    data = {"csrf_token": token, "name_en": "Baytna", "email": "c@baytna.example", "country": "Lebanon"}
    assert [client.post(path, data=data).status_code for _ in range(2)] == [200, 200]
    refused = client.post(path, data=data)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "عدد الطلبات كبير جدًا" in page and 'lang="ar"' in page
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 2
    assert client.get(path).status_code == 200  # reading the page is not the submission's limit
