"""Serving forms of lem's engines: today the synthetic OpenAI-compatible server (a test double)."""
