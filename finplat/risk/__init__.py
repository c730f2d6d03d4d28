"""Risk: risk-sharing programs, guarantees, risk compensation funds, claims and portfolio risk."""
