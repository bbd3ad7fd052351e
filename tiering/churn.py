"""The BG/NBD churn model of Fader, Hardie and Lee (2005).

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your Customers' the Easy Way: An
Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.

A customer buys at Poisson rate lambda while alive and, after each repeat purchase, drops out for good with
probability p; across customers lambda ~ Gamma(r, alpha) and p ~ Beta(a, b). A customer is summarised by the
paper's (x, t_x, T): x repeat purchases, the last at t_x (0 when x = 0), observed for T since the first
purchase, all times in one unit of the caller's choosing (alpha is then in that unit too).

- `BetaGeo.fit`: maximum likelihood with eq. (6), L = A1 A2 (A3 + [x > 0] A4), in log space.
- `BetaGeo.p_alive`: P(still active at T | x, t_x, T) = 1 / (1 + A4 / A3)
  = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)),
  the factor by which eq. (10) turns the expectation for an active customer into one given the history.
- `BetaGeo.expected_purchases`: eq. (10), E[Y(t) | x, t_x, T], the expected number of purchases in (T, T + t].
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, NamedTuple, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import eigh_tridiagonal
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln

__all__ = ["BetaGeo", "ChurnModelFitError"]

FloatArray = NDArray[np.float64]

MIN_CUSTOMERS: Final = 10
"""Fewest customers (sum of weights) a fit accepts: four parameters need well more than four customers."""

QUADRATURE_NODES: Final = 64
"""Nodes of the Gauss rule over the posterior of p in `BetaGeo.expected_purchases`, for t <= 10 (alpha + T)."""
_MAX_DOUBLINGS: Final = 4
"""Longer horizons get at most 2^4 = 16 times as many nodes (1024), from t > 640 (alpha + T) on."""
_CHUNK_ENTRIES: Final = 1 << 20
"""Customers times nodes evaluated at once, to bound memory."""

_PARAMETER_NAMES: Final = ("r", "alpha", "a", "b")
_SEARCH_RANGE: Final = 1e6
"""The fit searches each parameter within this factor of its start (alpha starts at the mean T)."""
_STATIONARY_GRADIENT: Final = 1e-9
"""Largest gradient of the mean log-likelihood, in log-parameters, that counts as converged."""
_POLISH_STEPS: Final = 5
_HESSIAN_STEP: Final = 1e-4


class ChurnModelFitError(ValueError):
    """The customers' histories did not yield a maximum-likelihood BG/NBD fit."""


@dataclass(frozen=True)
class BetaGeo:
    """A BG/NBD model: purchase rates ~ Gamma(r, alpha), dropout probabilities ~ Beta(a, b).

    `log_likelihood` is the maximised log-likelihood of the data the model was fitted on.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def __post_init__(self) -> None:
        for name in _PARAMETER_NAMES:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be a positive finite number, got {value!r}.")

    @classmethod
    def fit(
        cls,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        *,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Fit by maximum likelihood, eq. (6) of the paper.

        `weights` counts the customers that share a row (x, t_x, T): grouping identical rows and passing their
        counts gives the same fit as the raw rows, faster.

        Raises ValueError on invalid customers, and ChurnModelFitError when the likelihood has no interior
        maximum (a parameter running off towards 0 or infinity: the data cannot pin it down) or the optimiser
        does not reach it.
        """
        x, t_x, age = _customers(frequency, recency, T)
        if x.ndim != 1:
            raise ValueError(f"frequency, recency and T must be one-dimensional, got shape {x.shape}.")
        counts = np.ones_like(x) if weights is None else _weights(weights, x.shape)
        customers = float(counts.sum())
        if customers < MIN_CUSTOMERS:
            raise ValueError(f"fitting needs at least {MIN_CUSTOMERS} customers, got {customers:g}.")
        if not np.any((x > 0) & (counts > 0)):
            raise ValueError("fitting needs at least one customer with a repeat purchase, and there is none.")
        mean_age = float(np.average(age, weights=counts))
        if mean_age <= 0:
            raise ValueError("fitting needs customers with some history, but every T is 0.")

        distinct_x, x_index = np.unique(x, return_inverse=True)
        shares = counts / customers
        distinct_x_shares = np.asarray(np.bincount(x_index, weights=shares), dtype=np.float64)
        data = _FitData(x, t_x, age, shares, distinct_x, distinct_x_shares)
        # Log-parameters make positivity free and the problem unit-free once alpha starts at the data's time scale.
        start = np.log([1.0, mean_age, 1.0, 1.0])
        bounds = [(centre - np.log(_SEARCH_RANGE), centre + np.log(_SEARCH_RANGE)) for centre in start]
        result = minimize(_negative_log_likelihood, start, args=(data,), jac=True, method="L-BFGS-B", bounds=bounds)
        for name, value, (low, high) in zip(_PARAMETER_NAMES, result.x, bounds, strict=True):
            if not low + 1e-6 < value < high - 1e-6:
                raise ChurnModelFitError(
                    f"the data do not pin down the BG/NBD parameter {name}: it ran to {np.exp(value):.3g}, "
                    "the edge of its search range."
                )
        log_params, mean_negative_log_likelihood = _polish(np.asarray(result.x, dtype=np.float64), data)
        r, alpha, a, b = (float(value) for value in np.exp(log_params))
        return cls(r=r, alpha=alpha, a=a, b=b, log_likelihood=-mean_negative_log_likelihood * customers)

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
        """P(the customer is still active at T | x, t_x, T), in [0, 1]; 1 for customers without repeat purchases."""
        return self._p_alive(*_customers(frequency, recency, T))

    def expected_purchases(self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
        """Eq. (10): E[Y(t) | x, t_x, T], the expected number of purchases in the next t time units.

        `t` is a horizon >= 0, broadcast against the customers. Integrating the Gamma posterior of lambda out
        of eq. (10) leaves P(alive) E[(1 - (1 + p s)^-(r + x)) / p] over p ~ Beta(a, b + x), s = t / (alpha + T).
        The paper's hypergeometric form of that expectation cancels catastrophically for small t, for a near 1
        and for large x (scipy's hyp2f1 returns NaN there), so it is taken with a Gauss rule for Beta(a, b + x)
        instead: 64 nodes up to s = 10, twice as many for every fourfold s, at most 1024. That matches eq. (10)
        to 1e-9 for every s <= 10, and up to s = 3000 for customers with b + x <= 30, the new and light buyers
        such long horizons suit; heavy buyers are off by 4e-6 at s = 100 and 1e-4 at s = 300. Every even
        derivative of the integrand is positive, so a rule can only err low, and (checked numerically) it errs
        less with more nodes: the result is non-decreasing in t, up to rounding.
        """
        x, t_x, age = _customers(frequency, recency, T)
        horizon = _as_float_array(t, "t")
        try:
            x, t_x, age, horizon = np.broadcast_arrays(x, t_x, age, horizon)
        except ValueError:
            raise ValueError(f"t of shape {horizon.shape} does not fit customers of shape {x.shape}.") from None
        shape = x.shape
        x, t_x, age, horizon = x.ravel(), t_x.ravel(), age.ravel(), horizon.ravel()
        _require(
            np.isfinite(horizon) & (horizon >= 0),
            lambda i: f"t must be a finite horizon >= 0, but customer {i} has t {horizon[i]}.",
        )
        scaled_horizon = horizon / (self.alpha + age)
        rule_sizes = _quadrature_nodes(scaled_horizon)
        expected_if_alive = np.empty(x.shape)
        groups, group_of = np.unique(np.stack([x, rule_sizes], axis=1), axis=0, return_inverse=True)
        members = np.split(np.argsort(group_of, kind="stable"), np.cumsum(np.bincount(group_of))[:-1])
        for (purchases, rule_size), rows in zip(groups, members, strict=True):
            nodes, weights = _beta_gauss_rule(self.a, self.b + purchases, int(rule_size))
            expected_if_alive[rows] = _expected_purchases_if_alive(
                nodes, weights, self.r + purchases, scaled_horizon[rows]
            )
        return (self._p_alive(x, t_x, age) * expected_if_alive).reshape(shape)

    def _p_alive(self, x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
        log_odds, _, _ = _dropout_log_odds(self.r, self.alpha, self.a, self.b, x, t_x, age)
        return np.asarray(expit(-log_odds), dtype=np.float64)


class _FitData(NamedTuple):
    """Customers ready for the likelihood: each row's share of the total weight, and the shares by x."""

    x: FloatArray
    t_x: FloatArray
    age: FloatArray
    shares: FloatArray
    distinct_x: FloatArray
    distinct_x_shares: FloatArray


def _dropout_log_odds(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """log(A4 / A3) of eq. (6), the log-odds that the customer dropped out after the last purchase.

    It is -inf for customers without repeat purchases, who cannot have dropped out. Also returns
    log((alpha + T) / (alpha + t_x)) and b + x - 1, its pieces that the likelihood's gradient reuses.
    """
    repeat = x > 0
    # b + x - 1 is only used when x >= 1, where it is >= b > 0.
    b_x = np.where(repeat, b + x - 1, 1.0)
    log_age_ratio = np.log1p((age - t_x) / (alpha + t_x))
    log_odds = np.where(repeat, np.log(a) - np.log(b_x) + (r + x) * log_age_ratio, -np.inf)
    return log_odds, log_age_ratio, b_x


def _negative_log_likelihood(log_params: FloatArray, data: _FitData) -> tuple[float, FloatArray]:
    """The weighted mean of -log eq. (6) over the customers, and its gradient in log-parameters.

    log L = log A1 + log A2 + log A3 + log(1 + A4 / A3), with log A3 = -(r + x) log(alpha + T); the gamma
    functions depend on x alone, so they are evaluated once per distinct x.
    """
    r, alpha, a, b = (float(value) for value in np.exp(log_params))
    x, t_x, age, shares, distinct_x, distinct_x_shares = data
    log_a1_a2 = (
        _dot(distinct_x_shares, gammaln(r + distinct_x) + gammaln(b + distinct_x) - gammaln(a + b + distinct_x))
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        - gammaln(b)
    )
    digamma_r_x = _dot(distinct_x_shares, digamma(r + distinct_x))
    digamma_b_x = _dot(distinct_x_shares, digamma(b + distinct_x))
    digamma_a_b_x = _dot(distinct_x_shares, digamma(a + b + distinct_x))

    r_x = r + x
    log_age = np.log(alpha + age)
    log_odds, log_age_ratio, b_x = _dropout_log_odds(r, alpha, a, b, x, t_x, age)
    dropped = expit(log_odds)
    log_likelihood = log_a1_a2 + _dot(shares, np.logaddexp(0.0, log_odds) - r_x * log_age)
    gradient = np.array(
        [
            r * (digamma_r_x - digamma(r) + np.log(alpha) + _dot(shares, dropped * log_age_ratio - log_age)),
            alpha * (r / alpha - _dot(shares, r_x * ((1 - dropped) / (alpha + age) + dropped / (alpha + t_x)))),
            a * (digamma(a + b) - digamma_a_b_x) + _dot(shares, dropped),
            b * (digamma_b_x - digamma_a_b_x - digamma(b) + digamma(a + b) - _dot(shares, dropped / b_x)),
        ]
    )
    return -float(log_likelihood), -gradient


def _polish(log_params: FloatArray, data: _FitData) -> tuple[FloatArray, float]:
    """Newton steps from near the maximum until the gradient vanishes, checking that it is a strict maximum.

    L-BFGS-B stops on the objective's relative change, which leaves a gradient near 1e-6 on data with many
    purchases; Newton on the analytic gradient, with a central-difference Hessian, takes a step or two more.
    """
    value, gradient = _negative_log_likelihood(log_params, data)
    for _ in range(_POLISH_STEPS):
        if np.max(np.abs(gradient)) <= _STATIONARY_GRADIENT:
            return log_params, value
        hessian = np.array(
            [
                _negative_log_likelihood(log_params + shift, data)[1]
                - _negative_log_likelihood(log_params - shift, data)[1]
                for shift in np.eye(log_params.size) * _HESSIAN_STEP
            ]
        ) / (2 * _HESSIAN_STEP)
        curvatures, directions = np.linalg.eigh((hessian + hessian.T) / 2)
        if curvatures[0] <= 0:
            flat = [name for name, share in zip(_PARAMETER_NAMES, directions[:, 0], strict=True) if abs(share) > 0.3]
            raise ChurnModelFitError(
                f"the data do not pin down the BG/NBD parameters {' and '.join(flat)}: the likelihood has no peak "
                "along them."
            )
        log_params = log_params - np.linalg.solve(hessian, gradient)
        value, gradient = _negative_log_likelihood(log_params, data)
    raise ChurnModelFitError(
        f"the BG/NBD fit did not converge: the likelihood's gradient is still {np.max(np.abs(gradient)):.1e}."
    )


def _beta_gauss_rule(a: float, b: float, nodes: int) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights (summing to 1) of the Gauss rule for Beta(a, b), by Golub-Welsch.

    The Jacobi matrix comes from the Beta distribution's continued-fraction coefficients, which are positive
    and written as products of ratios: no cancellation, and no overflow for tiny or huge a and b.
    """
    k = np.arange(1.0, nodes)
    total = a + b
    upper = np.concatenate(([a / total], (k + a) / (2 * k + total - 1) * ((k + total - 1) / (2 * k + total))))
    lower = k / (2 * k + total - 2) * ((k + b - 1) / (2 * k + total - 1))
    diagonal = upper.copy()
    diagonal[1:] += lower
    values, vectors = eigh_tridiagonal(diagonal, np.sqrt(upper[:-1] * lower))
    return np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0), np.asarray(vectors[0] ** 2, dtype=np.float64)


def _quadrature_nodes(scaled_horizon: FloatArray) -> FloatArray:
    """Nodes for each customer's Gauss rule: 64 up to s = t / (alpha + T) = 10, doubling with every fourfold s."""
    doublings = np.ceil(np.log(np.maximum(scaled_horizon, 10.0) / 10.0) / np.log(4.0))
    return np.asarray(QUADRATURE_NODES * 2.0 ** np.minimum(doublings, _MAX_DOUBLINGS), dtype=np.float64)


def _expected_purchases_if_alive(
    nodes: FloatArray, weights: FloatArray, r_x: float, scaled_horizon: FloatArray
) -> FloatArray:
    """E[(1 - (1 + p s)^-(r + x)) / p] for p on the rule's nodes, with s = t / (alpha + T)."""
    expected = np.empty(scaled_horizon.shape)
    rows_per_chunk = max(1, _CHUNK_ENTRIES // nodes.size)
    p = nodes[np.newaxis, :]
    for start in range(0, scaled_horizon.size, rows_per_chunk):
        s = scaled_horizon[start : start + rows_per_chunk, np.newaxis]
        with np.errstate(divide="ignore", invalid="ignore"):
            per_node = -np.expm1(-r_x * np.log1p(p * s)) / p
        # The integrand tends to (r + x) s as p -> 0, where the formula above reads 0 / 0.
        per_node = np.where(p > 0, per_node, r_x * s)
        expected[start : start + rows_per_chunk] = np.einsum("ij,j->i", per_node, weights)
    return expected


def _dot(weights: FloatArray, values: FloatArray) -> float:
    """Weighted sum; einsum rather than BLAS, whose threads stall for milliseconds when the cores are busy."""
    return float(np.einsum("i,i->", weights, values))


def _customers(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated (x, t_x, T) arrays of one shape."""
    x = _as_float_array(frequency, "frequency")
    t_x = _as_float_array(recency, "recency")
    age = _as_float_array(T, "T")
    if not x.shape == t_x.shape == age.shape:
        raise ValueError(
            f"frequency, recency and T must have the same length, got shapes {x.shape}, {t_x.shape} and {age.shape}."
        )
    shape = x.shape
    x, t_x, age = x.ravel(), t_x.ravel(), age.ravel()
    _require(
        np.isfinite(x) & np.isfinite(t_x) & np.isfinite(age),
        lambda i: f"frequency, recency and T must be finite, but customer {i} has {x[i]}, {t_x[i]} and {age[i]}.",
    )
    _require(
        (x >= 0) & (x == np.floor(x)),
        lambda i: f"frequency must be a whole number >= 0, but customer {i} has frequency {x[i]:g}.",
    )
    _require(t_x >= 0, lambda i: f"recency must be >= 0, but customer {i} has recency {t_x[i]:g}.")
    _require(
        t_x <= age,
        lambda i: f"recency must not exceed T, but customer {i} has recency {t_x[i]:g} and T {age[i]:g}.",
    )
    _require(
        (x > 0) | (t_x == 0),
        lambda i: f"recency must be 0 when frequency is 0, but customer {i} has frequency 0 and recency {t_x[i]:g}.",
    )
    return x.reshape(shape), t_x.reshape(shape), age.reshape(shape)


def _weights(weights: ArrayLike, shape: tuple[int, ...]) -> FloatArray:
    counts = _as_float_array(weights, "weights")
    if counts.shape != shape:
        raise ValueError(f"weights must have one entry per customer, got shape {counts.shape} for {shape}.")
    _require(
        np.isfinite(counts) & (counts >= 0),
        lambda i: f"weights must be finite and >= 0, but customer {i} has weight {counts[i]}.",
    )
    return counts


def _as_float_array(values: ArrayLike, name: str) -> FloatArray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers.") from None


def _require(valid: NDArray[np.bool_], problem: Callable[[int], str]) -> None:
    """Raise ValueError describing the first invalid entry of a one-dimensional check."""
    if not np.all(valid):
        raise ValueError(problem(int(np.argmin(valid))))
