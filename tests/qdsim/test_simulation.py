"""The one engine interface: both engines behind simulate_scenarios agree, and the one
input converter gives PySD the scenario's own path points."""

import numpy as np
import pytest

from qdsim.errors import EngineError
from qdsim.sampling import design
from qdsim.simulation import pysd_inputs, simulate_scenarios
from qdsim.variables import OUTPUT_VARIABLES

#: The ensemble engine's measured parity with PySD (tests/model/test_ensemble.py).
RELATIVE_TOLERANCE = 1e-9


def test_pysd_and_ensemble_give_the_same_labelled_dataset(plan, plan_in_pysd):
    reference = plan_in_pysd
    ensemble = simulate_scenarios([plan], engine="ensemble")
    assert reference.attrs["engine"] == "pysd" and ensemble.attrs["engine"] == "ensemble"
    assert list(reference.data_vars) == list(ensemble.data_vars) == list(OUTPUT_VARIABLES)
    for name in OUTPUT_VARIABLES:
        expected = reference[name].to_numpy()
        assert reference[name].attrs == ensemble[name].attrs
        np.testing.assert_allclose(ensemble[name].to_numpy(), expected, rtol=RELATIVE_TOLERANCE,
                                   atol=RELATIVE_TOLERANCE * np.max(np.abs(expected)),
                                   err_msg=name)


def test_designs_give_one_run_per_draw_and_need_the_ensemble(plan):
    chosen = design(plan, 3, seed=1)
    sampled = simulate_scenarios([plan], engine="ensemble", designs=[chosen],
                                 variables=["population"])
    assert sampled["population"].dims == ("scenario", "sample", "year")
    assert sampled.sizes["sample"] == 3
    assert len(np.unique(sampled["population"].sel(year=2035).to_numpy())) == 3
    with pytest.raises(EngineError, match="ensemble engine"):
        simulate_scenarios([plan], engine="pysd", designs=[chosen])
    with pytest.raises(EngineError, match="unknown engine 'vensim'"):
        simulate_scenarios([plan], engine="vensim")


def test_pysd_inputs_are_the_scenario_values_at_their_own_years(plan):
    inputs = pysd_inputs(plan.parameters)
    for name, value in plan.parameters.items():
        if isinstance(value, tuple):
            series = inputs[name]
            for year, point in value:
                assert series[year] == pytest.approx(point, rel=1e-15, abs=0)
        else:
            assert inputs[name] == value
