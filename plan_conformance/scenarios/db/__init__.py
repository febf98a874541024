"""Database-level scenarios: the queue contract straight in SQL (see conftest.py)."""
