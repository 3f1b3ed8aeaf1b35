"""All Qt: the app start-up, and one sub-package per room of the window."""
