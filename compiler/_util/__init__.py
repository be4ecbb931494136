"""Helpers shared by every stage: paths as shown to users, text, field paths, hashing, atomic writes."""
