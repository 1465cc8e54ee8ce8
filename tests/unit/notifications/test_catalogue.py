"""The notification catalogue tells the truth: every template it names exists and renders, with realistic data,
for every audience it lists; every template file is in it; every event the notifier plans for is in it; and
docs/notifications.md is the table it generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.notifications import catalogue
from consumers.notifications.reactions import _PLANNERS
from consumers.notifications.templates import render, template_names
from tests.unit.notifications.samples import all_samples

SAMPLES = all_samples()
CASES = sorted({(row.template, audience) for row in catalogue.ROWS for audience in row.audiences})
URL = "https://portal.splits.example/applications/6f1d1e7a"


def test_every_template_file_is_in_the_catalogue_and_every_catalogued_template_has_a_file() -> None:
    assert {row.template for row in catalogue.ROWS} == set(template_names())


def test_every_template_has_samples() -> None:
    assert set(SAMPLES) == set(template_names())


def test_the_notifier_plans_for_exactly_the_catalogued_events() -> None:
    assert {cls.__name__ for cls in _PLANNERS} == {row.event for row in catalogue.ROWS}


@pytest.mark.parametrize(("template", "audience"), CASES)
def test_every_template_renders_for_every_audience_it_is_sent_to(template: str, audience: str) -> None:
    for sample in SAMPLES[template]:
        rendered = render(template, sample | {"audience": audience, "action_url": URL})
        assert rendered.subject and "\n" not in rendered.subject and len(rendered.subject) <= 200
        assert rendered.text.strip() and URL in rendered.text
        assert rendered.html.startswith("<!doctype html>") and URL in rendered.html
        assert "<script>" not in rendered.html, "a typed name reached the HTML unescaped"
        assert "{{" not in rendered.text + rendered.html and "{%" not in rendered.text + rendered.html


def test_the_published_table_is_the_catalogue() -> None:
    published = (Path(__file__).parents[3] / "docs" / "notifications.md").read_text()
    assert published == catalogue.markdown(), "run: python -m consumers.notifications.catalogue > docs/notifications.md"


def test_an_unlisted_notice_is_refused() -> None:
    catalogue.check("ApplicationProposed", "candidate", "application_proposed", "applications")
    with pytest.raises(catalogue.UnlistedNotice):
        catalogue.check("ApplicationProposed", "company", "application_proposed", "applications")
