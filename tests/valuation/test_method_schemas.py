"""The valuation methods' input schemas: the API.md shapes, given as strings or JSON numbers (read as Decimal,
the way the API's parser reads bodies), unknown fields and bad types refused, partial loading."""
import json
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from finplat.valuation.method_schemas import INPUT_SCHEMAS, load_inputs
from finplat.valuation.methods import METHODS, compute

D = Decimal


def body(text: str):
    return json.loads(text, parse_float=Decimal)  # as finplat.api_base.DecimalParser reads a request


def messages_of(method, data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_inputs(method, data, **kwargs)
    return caught.value.messages


EXAMPLES = {  # API.md "Valuation", amounts as strings
    "income_capitalisation": {"annual_net_income": "40000.00", "rate": "0.0600", "years": "20"},
    "land_price_coefficient": {"base_price": "800.00", "area": "1000.00", "factor_corrections": ["0.05", "-0.03"],
                               "rate": "0.06", "remaining_years": "30", "max_years": 50},
    "cost": {"replacement_cost_per_m2": "1500.00", "floor_area": "120.00", "structure": "brick_concrete",
             "age_years": "20", "land_value": "50000.00"},
    "market_comparison": {"comparables": [
        {"price": "300000.00", "area": "100.00", "factors": ["1", "1.05", "1", "0.98", "1"]},
        {"price": "260000.00", "area": "80.00", "factors": ["1", "1.02", "1", "1", "1"]},
        {"price": "450000.00", "area": "150.00", "factors": ["0.98", "1", "1.02", "1", "1"]}], "area": "120.00"},
    "share_nav": {"net_assets": "5000000.00", "total_shares": 10000, "shares": 250},
}
VALUES = {"income_capitalisation": D("458796.85"), "land_price_coefficient": D("712612.71"),
          "cost": D("159440.00"), "market_comparison": D("376032.00"), "share_nav": D("125000.00")}


def test_one_schema_per_method():
    assert set(INPUT_SCHEMAS) == set(METHODS) == set(EXAMPLES)


@pytest.mark.parametrize("method", sorted(EXAMPLES))
def test_the_api_shapes_load_and_compute(method):
    inputs = load_inputs(method, EXAMPLES[method])
    assert compute(method, inputs).value == VALUES[method]


def test_json_numbers_are_read_as_decimals():
    inputs = load_inputs("income_capitalisation", body('{"annual_net_income": 40000, "rate": 0.06, "years": 21.1}'))
    assert inputs == {"annual_net_income": D("40000.00"), "rate": D("0.06"), "years": D("21.1")}
    assert all(isinstance(value, Decimal) for value in inputs.values())
    land = load_inputs("land_price_coefficient", body(
        '{"base_price": 800, "area": 1000.5, "factor_corrections": [-0.03, 0.05], "rate": 0.06,'
        ' "remaining_years": 21.10, "max_years": 40}'))
    assert land["factor_corrections"] == [D("-0.03"), D("0.05")] and land["max_years"] == 40
    market = load_inputs("market_comparison", body(
        '{"comparables": [{"price": 300000, "area": 100, "factors": [1.05, 0.98]}], "area": 120}'))
    assert market["comparables"][0] == {"price": D("300000"), "area": D("100"), "factors": [D("1.05"), D("0.98")]}


def test_every_field_is_required():
    assert set(messages_of("land_price_coefficient", {})) == set(EXAMPLES["land_price_coefficient"])
    assert set(messages_of("market_comparison", {"comparables": [{}], "area": "1"})["comparables"][0]) == {
        "price", "area", "factors"}


def test_unknown_fields_are_refused():
    assert "term" in messages_of("income_capitalisation", {**EXAMPLES["income_capitalisation"], "term": 20})
    comparable = {**EXAMPLES["market_comparison"]["comparables"][0], "weight": "0.5"}
    errors = messages_of("market_comparison", {"comparables": [comparable], "area": "1"})
    assert "weight" in errors["comparables"][0]


@pytest.mark.parametrize("method, field, value", [
    ("income_capitalisation", "annual_net_income", "abc"),
    ("income_capitalisation", "annual_net_income", "1.001"),  # money has two places
    ("income_capitalisation", "annual_net_income", "-1.00"),
    ("income_capitalisation", "rate", True),
    ("income_capitalisation", "rate", "1.5"),  # a rate is a share of 1
    ("income_capitalisation", "years", "1e9999"),
    ("income_capitalisation", "years", "NaN"),
    ("land_price_coefficient", "max_years", "50"),  # a JSON integer
    ("land_price_coefficient", "max_years", 50.5),
    ("land_price_coefficient", "factor_corrections", "0.05"),
    ("land_price_coefficient", "factor_corrections", ["-1.5"]),
    ("cost", "structure", "wood"),
    ("cost", "floor_area", None),
    ("market_comparison", "comparables", {"price": "1.00"}),
    ("share_nav", "shares", "250"),
    ("share_nav", "total_shares", -1),
])
def test_bad_types_are_refused(method, field, value):
    assert field in messages_of(method, {**EXAMPLES[method], field: value})


def test_a_bad_factor_is_named_by_its_place():
    comparables = [*EXAMPLES["market_comparison"]["comparables"][:2],
                   {"price": "1.00", "area": "1.00", "factors": ["1", "x"]}]
    errors = messages_of("market_comparison", {"comparables": comparables, "area": "1"})
    assert list(errors["comparables"][2]["factors"]) == [1]


def test_range_rules_are_left_to_the_methods():
    # zero rates and areas, too few comparables, remaining years past the maximum: the types are fine
    inputs = load_inputs("land_price_coefficient", {**EXAMPLES["land_price_coefficient"], "rate": "0",
                                                    "remaining_years": "60"})
    assert inputs["rate"] == 0 and inputs["remaining_years"] == 60
    assert len(load_inputs("market_comparison", {"comparables": [], "area": "0"})["comparables"]) == 0


def test_partial_loading_leaves_inputs_out_for_the_caller_to_derive():
    assert load_inputs("cost", {"structure": "simple"}, partial=True) == {"structure": "simple"}
    assert INPUT_SCHEMAS["share_nav"]().load({}, partial=True) == {}
    assert load_inputs("land_price_coefficient", {"factor_corrections": ["-0.03"]}, partial=True) == {
        "factor_corrections": [D("-0.03")]}
    # a partial request still gives each comparable whole: nothing derives a comparable's figures
    errors = messages_of("market_comparison", {"comparables": [{"price": "1.00"}]}, partial=True)
    assert set(errors["comparables"][0]) == {"area", "factors"}
    # and the types are checked all the same
    assert "rate" in messages_of("income_capitalisation", {"rate": "high"}, partial=True)


def test_an_unknown_method_is_named():
    assert list(messages_of("dcf", {})) == ["method"]
