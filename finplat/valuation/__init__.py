"""Valuation: reference data, the appraisal methods (pure), valuation records and batch revaluation."""
