"""End-to-end scenarios through the Supabase-shaped HTTP surface, as the app uses it."""
