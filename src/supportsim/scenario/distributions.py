"""Duration distributions used in scenarios.

Each distribution is a frozen pydantic model written in YAML as ``{dist: NAME, ...}``.
It knows its ``mean`` and ``variance`` (in the unit of the key it sits under, e.g.
minutes for ``handle_minutes``) and turns uniform random numbers into draws with
``ppf`` (inverse transform). Drawing by inverse transform from one uniform per ticket
keeps common random numbers aligned across scenarios: the same uniform gives a longer
handle time when the mean grows, never an unrelated one.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

from supportsim.scenario.limits import MAX_DURATION, MIN_WEIBULL_CV

FloatArray = NDArray[np.float64]


class _Distribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def cv(self) -> float:
        """Coefficient of variation (standard deviation / mean)."""
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0

    def ppf(self, u: FloatArray) -> FloatArray:  # pragma: no cover - overridden
        """Quantile function: map uniforms in [0, 1) to draws (never negative)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw ``size`` values with ``rng`` by inverse transform."""
        return self.ppf(rng.random(size))


class Exponential(_Distribution):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean_value: float = Field(alias="mean", gt=0, le=MAX_DURATION)

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.mean_value**2

    def ppf(self, u: FloatArray) -> FloatArray:
        return -self.mean_value * np.log1p(-u)


class _MeanCv(_Distribution):
    mean_value: float = Field(alias="mean", gt=0, le=MAX_DURATION)
    cv_value: float = Field(alias="cv", gt=0, le=10)

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return (self.mean_value * self.cv_value) ** 2


class Lognormal(_MeanCv):
    """Lognormal with the given mean and coefficient of variation."""

    dist: Literal["lognormal"]

    def ppf(self, u: FloatArray) -> FloatArray:
        sigma2 = math.log1p(self.cv_value**2)
        mu = math.log(self.mean_value) - sigma2 / 2
        return np.asarray(np.exp(mu + math.sqrt(sigma2) * special.ndtri(u)), dtype=np.float64)


class Gamma(_MeanCv):
    """Gamma with the given mean and coefficient of variation (shape = 1/cv²)."""

    dist: Literal["gamma"]

    def ppf(self, u: FloatArray) -> FloatArray:
        shape = 1.0 / self.cv_value**2
        return np.asarray(special.gammaincinv(shape, u) * (self.mean_value / shape))


class Weibull(_MeanCv):
    """Weibull with the given mean and coefficient of variation."""

    dist: Literal["weibull"]

    @model_validator(mode="after")
    def _shape_exists(self) -> Weibull:
        if self.cv_value < MIN_WEIBULL_CV:
            raise ValueError(f"a weibull's cv must be >= {MIN_WEIBULL_CV:g} (its shape would be over 130)")
        return self

    @cached_property
    def _shape_scale(self) -> tuple[float, float]:
        target = math.log1p(self.cv_value**2)

        def gap(log_k: float) -> float:
            k = math.exp(log_k)
            g1 = special.gammaln(1 + 1 / k)
            g2 = special.gammaln(1 + 2 / k)
            return float(g2 - 2 * g1 - target)

        from scipy import optimize  # heavy: imported when a Weibull is given by its cv

        shape = math.exp(optimize.brentq(gap, math.log(0.05), math.log(200.0)))
        scale = self.mean_value / math.exp(special.gammaln(1 + 1 / shape))
        return shape, scale

    def ppf(self, u: FloatArray) -> FloatArray:
        shape, scale = self._shape_scale
        return scale * (-np.log1p(-u)) ** (1 / shape)


class Deterministic(_Distribution):
    """Always the same value."""

    dist: Literal["deterministic"]
    value: float = Field(ge=0, le=MAX_DURATION)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.full(np.shape(u), self.value)


class Uniform(_Distribution):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, le=MAX_DURATION)
    high: float = Field(ge=0, le=MAX_DURATION)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def ppf(self, u: FloatArray) -> FloatArray:
        return self.low + (self.high - self.low) * u


class Empirical(_Distribution):
    """Resampling of observed values, each equally likely."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0, le=MAX_DURATION)]] = Field(min_length=1, max_length=1_000_000)

    @cached_property
    def _sorted(self) -> FloatArray:
        return np.sort(np.asarray(self.values, dtype=float))

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        return float(np.var(self.values))

    def ppf(self, u: FloatArray) -> FloatArray:
        values = self._sorted
        index = np.minimum((np.asarray(u) * len(values)).astype(np.int64), len(values) - 1)
        return values[index]


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Weibull | Deterministic | Uniform | Empirical,
    Field(discriminator="dist"),
]
"""Any duration distribution, chosen by its ``dist`` key."""
