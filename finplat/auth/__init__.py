"""Institutions, users, roles, API tokens, login and permission checks."""
