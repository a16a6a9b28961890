"""The filter model: URL parsing and validation, SQL parameters, and the selection in words."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from impact.model.calendar import parse_quarter, quarter_label
from impact.query.filters import Choices, Filters, from_query_params


@pytest.fixture
def options(definition) -> Choices:
    frame = pd.DataFrame({
        "iso3": ["UGA", "KEN", "MMR"], "country": ["Uganda", "Kenya", "Myanmar"],
        "region": ["East Africa", "East Africa", "South-East Asia"],
        "first_period": [pd.Timestamp("2011-07-01")] * 3, "last_period": [pd.Timestamp("2019-01-01")] * 3,
    })
    return Choices.from_frame(frame, definition)


def test_quarters_parse_and_print():
    assert parse_quarter("2016Q3") == dt.date(2016, 7, 1)
    assert parse_quarter("2016-Q1") == dt.date(2016, 1, 1)
    for bad in ("2016Q5", "16Q1", "2016Q1; drop", "", "x" * 500, "1066Q1"):
        assert parse_quarter(bad) is None
    assert quarter_label(dt.date(2019, 3, 31)) == "2019Q1"


def test_url_round_trip(options):
    filters = Filters(period_from=dt.date(2014, 1, 1), country=("UGA", "KEN"), theme=("Mental health",),
                      gender=("Female",))
    parsed, notices = from_query_params(filters.to_query_params(options), options)
    assert parsed == filters and notices == []


def test_unknown_and_hostile_values_are_dropped_with_a_notice(options):
    query = {
        "country": ["UGA", "XXX", "UGA' or 1=1 --"],
        "theme": ["<script>alert(1)</script>"],
        "from": ["2030Q1"],
        "cadre": ["Nurse"] * 3,
        "gender": ["F" * 10_000],
    }
    filters, notices = from_query_params(query, options)
    assert filters == Filters(country=("UGA",), cadre=("Nurse",))
    text = " ".join(notices)
    assert "country" in text and "theme" in text and "period" in text and "gender" in text
    assert all(len(n) < 300 for n in notices)


def test_too_many_values_are_cut(options):
    filters, notices = from_query_params({"country": ["UGA"] * 1000}, options)
    assert filters.country == ("UGA",)
    assert notices


def test_reversed_period_is_ignored(options):
    filters, notices = from_query_params({"from": ["2018Q1"], "to": ["2012Q1"]}, options)
    assert filters.period_from is None and filters.period_to is None and notices


def test_params_are_one_struct_of_the_window_and_the_dimensions_filtered_on(options):
    params = Filters(region=("East Africa",), grant_type=("Large grant",)).params(options)
    assert set(params) == {"filters"}
    bound = params["filters"]
    assert bound["period_from"] == dt.date(2011, 7, 1) and bound["period_to"] == dt.date(2019, 1, 1)
    assert dict(zip(bound["chosen"]["key"], bound["chosen"]["value"])) == {"region": ["East Africa"],
                                                                            "grant_type": ["Large grant"]}
    assert Filters().params(options)["filters"]["chosen"] == {"key": [], "value": []}


def test_a_filter_is_spelt_by_its_dimension_and_linked_by_its_url_key(options):
    grant = options.values["grant_type"][0]
    filters = Filters(grant_type=(grant,))
    assert filters.to_query_params(options) == {"grant": [grant]}
    assert from_query_params({"grant": [grant]}, options)[0] == filters
    with pytest.raises(TypeError, match="grant"):
        Filters(grant=(grant,))


def test_filters_are_values(options):
    a = Filters(country=("UGA",), theme=("Mental health",))
    b = Filters(theme=("Mental health",), country=("UGA",))
    assert a == b and hash(a) == hash(b) and a != Filters(country=("UGA",))
    assert a.cadre == () and a.replace(country=()) == Filters(theme=("Mental health",))
    import pickle

    assert pickle.loads(pickle.dumps(a)) == a


def test_describe_in_words(options):
    assert Filters().describe(options) == "All projects, countries and periods"
    text = Filters(country=("UGA",), period_from=dt.date(2015, 1, 1)).describe(options)
    assert text == "2015Q1–end; Country: Uganda"
