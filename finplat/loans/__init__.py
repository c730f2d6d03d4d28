"""Loans: products, applications, repayment schedules and servicing."""
