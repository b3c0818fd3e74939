"""Transcripts recorded on a normal Python for the browser (scripts/record_runs.py)."""
