"""The BG/NBD churn model against Fader, Hardie and Lee (2005), on simulated customers, and at its edges."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1
from support.paths import TEST_DATA

from tiering.churn import BetaGeo, ChurnModelFitError, _FitData, _negative_log_likelihood

Customers = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]

CDNOW_SUMMARY = TEST_DATA / "cdnow_customers_summary.csv"


@pytest.fixture(scope="module")
def cdnow() -> Customers:
    """The paper's CDNOW sample: 2,357 customers, times in weeks."""
    table = np.loadtxt(CDNOW_SUMMARY, delimiter=",", skiprows=1)
    assert table.shape == (2357, 4)
    return table[:, 1], table[:, 2], table[:, 3]


@pytest.fixture(scope="module")
def cdnow_model(cdnow: Customers) -> BetaGeo:
    return BetaGeo.fit(*cdnow)


def simulate(model: BetaGeo, customers: int, max_age: float, rng: np.random.Generator) -> Customers:
    """(x, t_x, T) of customers who follow the BG/NBD story, observed for T ~ U(max_age / 4, max_age)."""
    rate = rng.gamma(model.r, 1 / model.alpha, customers)
    dropout = rng.beta(model.a, model.b, customers)
    age = rng.uniform(max_age / 4, max_age, customers)
    frequency = np.zeros(customers)
    recency = np.zeros(customers)
    clock = np.zeros(customers)
    buying = np.arange(customers)
    while buying.size:
        clock[buying] += rng.exponential(1 / rate[buying])
        buying = buying[clock[buying] <= age[buying]]
        frequency[buying] += 1
        recency[buying] = clock[buying]
        buying = buying[rng.random(buying.size) >= dropout[buying]]
    return frequency, recency, age


def unfitted(r: float, alpha: float, a: float, b: float) -> BetaGeo:
    return BetaGeo(r=r, alpha=alpha, a=a, b=b, log_likelihood=math.nan)


# The paper's results on CDNOW


def test_fit_reproduces_the_published_cdnow_parameters(cdnow_model: BetaGeo) -> None:
    assert round(cdnow_model.r, 3) == 0.243
    assert round(cdnow_model.alpha, 3) == 4.414
    assert round(cdnow_model.a, 3) == 0.793
    assert round(cdnow_model.b, 3) == 2.426
    assert cdnow_model.log_likelihood == pytest.approx(-9582.4, abs=0.1)


def test_expected_purchases_of_the_published_cdnow_customer(cdnow_model: BetaGeo) -> None:
    expected = cdnow_model.expected_purchases(39, 2, 30.43, 38.86)
    assert round(float(expected), 3) == 1.226


def test_expected_purchases_match_eq_10_in_its_hypergeometric_form(cdnow: Customers, cdnow_model: BetaGeo) -> None:
    x, t_x, age = cdnow
    r, alpha, a, b = cdnow_model.r, cdnow_model.alpha, cdnow_model.a, cdnow_model.b
    for t in (1.0, 39.0, 78.0):
        # Eq. (10) as printed; scipy's hyp2f1 is accurate for CDNOW's purchase counts and these horizons.
        hypergeometric = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + age + t))
        numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hypergeometric)
        repeat = x > 0
        odds = np.where(repeat, a / np.where(repeat, b + x - 1, 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0)
        np.testing.assert_allclose(cdnow_model.expected_purchases(t, x, t_x, age), numerator / (1 + odds), rtol=1e-9)


def test_p_alive_matches_its_closed_form(cdnow: Customers, cdnow_model: BetaGeo) -> None:
    x, t_x, age = cdnow
    r, alpha, a, b = cdnow_model.r, cdnow_model.alpha, cdnow_model.a, cdnow_model.b
    repeat = x > 0
    odds = np.where(repeat, a / np.where(repeat, b + x - 1, 1) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0)
    np.testing.assert_allclose(cdnow_model.p_alive(x, t_x, age), 1 / (1 + odds), rtol=1e-12)


# Fitting


def test_fit_on_grouped_rows_equals_fit_on_raw_rows(cdnow: Customers, cdnow_model: BetaGeo) -> None:
    rows, counts = np.unique(np.column_stack(cdnow), axis=0, return_counts=True)
    assert len(rows) < len(cdnow[0])
    grouped = BetaGeo.fit(rows[:, 0], rows[:, 1], rows[:, 2], weights=counts)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(grouped, name) == pytest.approx(getattr(cdnow_model, name), rel=1e-8)
    assert grouped.log_likelihood == pytest.approx(cdnow_model.log_likelihood, rel=1e-12)


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    truth = unfitted(r=1.5, alpha=3.0, a=0.6, b=3.0)
    fitted = BetaGeo.fit(*simulate(truth, 5000, max_age=104.0, rng=np.random.default_rng(7)))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted, name) == pytest.approx(getattr(truth, name), rel=0.15)


def test_fit_weights_count_customers(cdnow: Customers, cdnow_model: BetaGeo) -> None:
    x, t_x, age = cdnow
    doubled = BetaGeo.fit(x, t_x, age, weights=np.full(x.size, 2.0))
    assert doubled.r == pytest.approx(cdnow_model.r, rel=1e-8)
    assert doubled.log_likelihood == pytest.approx(2 * cdnow_model.log_likelihood, rel=1e-12)


def test_gradient_of_the_likelihood_matches_finite_differences(cdnow: Customers) -> None:
    x, t_x, age = cdnow
    distinct_x, x_index = np.unique(x, return_inverse=True)
    shares = np.full(x.size, 1 / x.size)
    data = _FitData(x, t_x, age, shares, distinct_x, np.bincount(x_index, weights=shares).astype(np.float64))
    for log_params in (np.log([0.24, 4.4, 0.79, 2.4]), np.log([3.0, 0.2, 20.0, 0.05]), np.log([1e-3, 1e3, 1e-2, 1e2])):
        numeric = approx_fprime(log_params, lambda point: _negative_log_likelihood(point, data)[0], 1e-7)
        np.testing.assert_allclose(_negative_log_likelihood(log_params, data)[1], numeric, atol=1e-6)


def test_fit_fails_clearly_when_nobody_seems_to_drop_out() -> None:
    rng = np.random.default_rng(0)
    age = rng.uniform(10, 50, 50)
    with pytest.raises(ChurnModelFitError, match="do not pin down the BG/NBD parameters a and b"):
        BetaGeo.fit(rng.integers(1, 10, 50), age, age)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 2], [1, 2], [3], "must have the same length"),
        ([1, -1], [1, 0], [3, 3], "frequency must be a whole number >= 0, but customer 1"),
        ([1.5, 1], [1, 1], [3, 3], "frequency must be a whole number >= 0, but customer 0 has frequency 1.5"),
        ([1, 1], [1, 4], [3, 3], "recency must not exceed T, but customer 1 has recency 4 and T 3"),
        ([1, 1], [-1, 1], [3, 3], "recency must be >= 0, but customer 0"),
        ([0, 1], [1, 1], [3, 3], "recency must be 0 when frequency is 0, but customer 0"),
        ([1, 1], [1, np.nan], [3, 3], "must be finite, but customer 1"),
        ([1, 1], [1, 1], [3, np.inf], "must be finite, but customer 1"),
        (["one", 1], [1, 1], [3, 3], "frequency must be numbers"),
    ],
)
def test_invalid_customers_are_refused(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BetaGeo.fit(frequency, recency, T)
    with pytest.raises(ValueError, match=message):
        unfitted(1.0, 1.0, 1.0, 1.0).p_alive(frequency, recency, T)


def test_fit_refuses_too_little_data(cdnow: Customers) -> None:
    x, t_x, age = cdnow
    with pytest.raises(ValueError, match="at least 10 customers, got 9"):
        BetaGeo.fit(x[:9], t_x[:9], age[:9])
    with pytest.raises(ValueError, match="at least 10 customers"):
        BetaGeo.fit(x[:20], t_x[:20], age[:20], weights=np.full(20, 0.1))
    no_repeat = x == 0
    with pytest.raises(ValueError, match="at least one customer with a repeat purchase"):
        BetaGeo.fit(x[no_repeat], t_x[no_repeat], age[no_repeat])
    with pytest.raises(ValueError, match="one-dimensional"):
        BetaGeo.fit(x.reshape(-1, 1), t_x.reshape(-1, 1), age.reshape(-1, 1))


@pytest.mark.parametrize(
    ("weights", "message"),
    [(np.ones(3), "one entry per customer"), (-np.ones(2357), "weights must be finite and >= 0, but customer 0")],
)
def test_fit_refuses_invalid_weights(cdnow: Customers, weights: NDArray[np.float64], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BetaGeo.fit(*cdnow, weights=weights)


def test_invalid_horizons_and_parameters_are_refused(cdnow_model: BetaGeo) -> None:
    with pytest.raises(ValueError, match="t must be a finite horizon >= 0, but customer 1 has t -1"):
        cdnow_model.expected_purchases([1, -1], [1, 1], [1, 1], [3, 3])
    with pytest.raises(ValueError, match="does not fit customers"):
        cdnow_model.expected_purchases([1, 2, 3], [1, 1], [1, 1], [3, 3])
    with pytest.raises(ValueError, match="parameter b must be a positive finite number"):
        unfitted(1.0, 1.0, 1.0, 0.0)


# Numerical edges


@pytest.mark.parametrize(
    ("model", "frequency", "recency", "T"),
    [
        (unfitted(0.243, 4.414, 0.793, 2.426), 0, 0, 38.86),
        (unfitted(0.243, 4.414, 0.793, 2.426), 5000, 9000, 10_000),
        (unfitted(0.243, 4.414, 0.793, 2.426), 5000, 10_000, 10_000),
        (unfitted(0.243, 4.414, 0.793, 2.426), 3, 38.86, 38.86),
        (unfitted(1e-6, 1e-6, 1e-6, 1e-6), 5000, 1, 10_000),
        (unfitted(1e6, 1e6, 1e6, 1e6), 5000, 1, 10_000),
        (unfitted(1e-6, 1e6, 1e6, 1e-6), 1, 1e-3, 10_000),
        (unfitted(1e6, 1e-6, 1e-6, 1e6), 2, 10_000, 10_000),
    ],
)
def test_extreme_customers_and_parameters_give_finite_answers(
    model: BetaGeo, frequency: float, recency: float, T: float
) -> None:
    p_alive = model.p_alive(frequency, recency, T)
    assert 0 <= p_alive <= 1
    horizons = np.array([0.0, 1e-9, 1.0, 39.0, 1e4, 1e8])
    expected = model.expected_purchases(horizons, frequency, recency, T)
    assert np.all(np.isfinite(expected))
    assert expected[0] == 0
    assert np.all(np.diff(expected) >= 0)


def test_customers_without_repeat_purchases_are_alive(cdnow_model: BetaGeo) -> None:
    assert np.all(cdnow_model.p_alive([0, 0], [0, 0], [0, 1e4]) == 1)


model_parameters = st.floats(min_value=-6, max_value=6).map(lambda exponent: 10.0**exponent)


@st.composite
def customer_rows(draw: st.DrawFn) -> Customers:
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=5000),
                st.floats(min_value=0, max_value=1),
                st.floats(min_value=0, max_value=1e4),
            ),
            min_size=1,
            max_size=4,
        )
    )
    frequency = np.array([x for x, _, _ in rows], dtype=np.float64)
    age = np.array([age for _, _, age in rows])
    recency = np.where(frequency > 0, np.array([share for _, share, _ in rows]) * age, 0.0)
    return frequency, recency, age


@settings(max_examples=300, deadline=None)
@given(model_parameters, model_parameters, model_parameters, model_parameters, customer_rows())
def test_p_alive_is_a_probability(r: float, alpha: float, a: float, b: float, customers: Customers) -> None:
    p_alive = unfitted(r, alpha, a, b).p_alive(*customers)
    assert np.all((p_alive >= 0) & (p_alive <= 1))


@settings(max_examples=100, deadline=None)
@given(
    model_parameters,
    model_parameters,
    model_parameters,
    model_parameters,
    customer_rows(),
    st.floats(min_value=0, max_value=1e4),
    st.floats(min_value=0, max_value=1e4),
)
def test_expected_purchases_are_finite_non_negative_and_grow_with_the_horizon(
    r: float, alpha: float, a: float, b: float, customers: Customers, t: float, longer_by: float
) -> None:
    model = unfitted(r, alpha, a, b)
    sooner = model.expected_purchases(t, *customers)
    later = model.expected_purchases(t + longer_by, *customers)
    assert np.all(np.isfinite(later))
    assert np.all(sooner >= 0)
    # Gauss rules of different sizes agree to rounding, not to the last bit.
    assert np.all(later >= sooner * (1 - 1e-10))
