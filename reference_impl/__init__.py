"""Reference implementation of the plan-generation job queue and pipeline behind a Supabase-compatible HTTP surface."""
