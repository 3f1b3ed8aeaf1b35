"""Undo commands for edits, groups and step into / collapse: each only calls Document methods."""
