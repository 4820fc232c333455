"""Builders and servers shared by the tests (no tests here)."""
