"""The command line: `bpstudio [FILE]` opens the window; grad, check, train and render run headless.

main.py parses and dispatches; each command is a module of its own; common.py holds what they share.
"""
