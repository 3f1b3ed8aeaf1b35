"""The version, in a module of its own: the window (Help ▸ About) reads it without
importing the root package, which imports the window lazily for show()."""
__version__ = "0.1.0"
