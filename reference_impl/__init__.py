"""Reference implementation of the plan-generation job queue and pipeline.

Served behind a Supabase-compatible HTTP surface (functions, REST, auth).
"""
