"""Calibration: historical observations, fit statistics and the estimator."""

from pathlib import Path

CALIBRATION_DIR = Path(__file__).resolve().parent
DEFAULT_OBSERVATIONS = CALIBRATION_DIR / "data" / "observations.csv"
DEFAULT_CALIBRATED = CALIBRATION_DIR / "calibrated.yaml"

__all__ = ["CALIBRATION_DIR", "DEFAULT_CALIBRATED", "DEFAULT_OBSERVATIONS"]
