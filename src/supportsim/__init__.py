"""supportsim: simulate customer-service operations and plan their capacity.

>>> import supportsim
>>> scenario = supportsim.load_scenario("scenarios/single_queue.yaml")
>>> result = supportsim.simulate(scenario, seed=1, replications=2)
>>> result.summary["channels"]["phone"]["asa_seconds"]["mean"] > 0
True
"""

from supportsim.loader import ScenarioError, load_scenario, parse_scenario, scenario_to_yaml
from supportsim.scenario import Scenario
from supportsim.simulation import SimulationResult, simulate

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "load_scenario",
    "parse_scenario",
    "scenario_to_yaml",
    "simulate",
]
__version__ = "0.1.0"
