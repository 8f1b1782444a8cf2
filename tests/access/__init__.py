"""Helpers of the access-control matrix (tests/test_access_matrix.py)."""
