"""The main window: menus and actions, file open/save, dialogs, docks, and how they are wired together."""
