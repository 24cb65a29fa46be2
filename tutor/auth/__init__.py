"""Roles, bearer tokens stored as hashes, and the access rules every edge (HTTP, CLI) applies."""
