"""Accounts: the people who ask, their addresses, and their append-only history."""
