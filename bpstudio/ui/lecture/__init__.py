"""Lecture mode: presentation (full screen, chain-rule bar, key overlay), quiz, notes and breakpoints actions."""
